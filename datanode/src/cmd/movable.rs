//! Where a request's keys are, including commands whose keys follow a `numkeys` argument
//! (ZUNIONSTORE, LMPOP, SINTERCARD ...), which the fixed (first, last, step) of a spec cannot
//! describe. Cluster routing and COMMAND GETKEYS both need the real positions.

use bytes::Bytes;

use super::CommandSpec;
use super::format::parse_int;

/// How a movable-keys command lays out its keys: an optional fixed key (the destination of
/// the *STORE variants), then `numkeys` at `count_at`, then that many keys.
struct Movable {
    fixed: Option<usize>,
    count_at: usize,
}

fn movable(name: &str) -> Option<Movable> {
    let m = |fixed, count_at| Some(Movable { fixed, count_at });
    match name {
        "zunion" | "zinter" | "zdiff" | "sintercard" | "lmpop" | "zmpop" => m(None, 1),
        "blmpop" | "bzmpop" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => m(None, 2),
        "zunionstore" | "zinterstore" | "zdiffstore" => m(Some(1), 2),
        _ => None,
    }
}

/// GEORADIUS and GEORADIUSBYMEMBER: the source key, then the key of the last STORE or
/// STOREDIST (looked for from argument 5 on, as Redis's `georadiusGetKeys` does).
fn geo_store_keys(name: &str, args: &[Bytes]) -> Option<[Option<usize>; 2]> {
    if name != "georadius" && name != "georadiusbymember" {
        return None;
    }
    let mut stored = None;
    let mut i = 5;
    while i + 1 < args.len() {
        let is_store =
            args.get(i).is_some_and(|a| a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"storedist"));
        if is_store {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    Some([Some(1), stored])
}

/// Indexes of the key arguments of `args` (the command name at 0). `None` when the key
/// count is not a number from 1 to the arguments left: the request then has no keys, which
/// is what Redis's getkeys procedures answer, and the command itself reports the error.
pub fn key_positions(spec: &CommandSpec, args: &[Bytes]) -> Option<impl Iterator<Item = usize> + use<>> {
    let argc = args.len();
    if let Some(Movable { fixed, count_at }) = movable(spec.name) {
        let first = count_at + 1;
        let n = parse_int(args.get(count_at)?)?;
        let n = usize::try_from(n).ok().filter(|n| (1..=argc.saturating_sub(first)).contains(n))?;
        return Some(fixed.into_iter().chain((first..first + n).step_by(1)));
    }
    if let Some(keys) = geo_store_keys(spec.name, args) {
        let [src, dst] = keys;
        let dst = dst.map_or(0..0, |d| d..d + 1);
        return Some(src.into_iter().chain(dst.step_by(1)));
    }
    let (first, last, step) = spec.keys;
    if first <= 0 || step <= 0 {
        return Some(None.into_iter().chain((0..0).step_by(1)));
    }
    let last = if last < 0 { argc as i64 + i64::from(last) } else { i64::from(last) };
    let end = (last.min(argc as i64 - 1) + 1).max(i64::from(first)) as usize;
    Some(None.into_iter().chain((first as usize..end).step_by(step as usize)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::lookup;

    fn keys(words: &str) -> Option<Vec<String>> {
        let args: Vec<Bytes> = words.split(' ').map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let spec = lookup(&args[0]).unwrap();
        key_positions(spec, &args).map(|it| it.map(|i| String::from_utf8(args[i].to_vec()).unwrap()).collect())
    }

    fn some(keys: &[&str]) -> Option<Vec<String>> {
        Some(keys.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn fixed_positions_follow_the_spec() {
        assert_eq!(keys("GET a"), some(&["a"]));
        assert_eq!(keys("MSET a 1 b 2"), some(&["a", "b"]));
        assert_eq!(keys("BLPOP a b 0"), some(&["a", "b"]));
        assert_eq!(keys("DEL a b c"), some(&["a", "b", "c"]));
        assert_eq!(keys("OBJECT ENCODING a"), some(&["a"]));
        assert_eq!(keys("OBJECT HELP"), some(&[]));
        assert_eq!(keys("WATCH a b"), some(&["a", "b"]));
        assert_eq!(keys("PING"), some(&[]));
        assert_eq!(keys("KEYS *"), some(&[]));
    }

    #[test]
    fn numkeys_commands() {
        assert_eq!(keys("ZUNIONSTORE d 2 a b WEIGHTS 1 2"), some(&["d", "a", "b"]));
        assert_eq!(keys("ZINTERSTORE d 1 a"), some(&["d", "a"]));
        assert_eq!(keys("ZDIFFSTORE d 2 a b"), some(&["d", "a", "b"]));
        assert_eq!(keys("ZUNION 2 a b WITHSCORES"), some(&["a", "b"]));
        assert_eq!(keys("ZINTER 1 a"), some(&["a"]));
        assert_eq!(keys("ZDIFF 2 a b"), some(&["a", "b"]));
        assert_eq!(keys("SINTERCARD 2 a b LIMIT 1"), some(&["a", "b"]));
        assert_eq!(keys("LMPOP 2 a b LEFT"), some(&["a", "b"]));
        assert_eq!(keys("BLMPOP 0 2 a b LEFT COUNT 2"), some(&["a", "b"]));
        assert_eq!(keys("ZMPOP 2 a b MIN"), some(&["a", "b"]));
        assert_eq!(keys("BZMPOP 0 1 a MAX COUNT 2"), some(&["a"]));
    }

    #[test]
    fn georadius_store_keys() {
        assert_eq!(keys("GEORADIUS src 1 2 3 km"), some(&["src"]));
        assert_eq!(keys("GEORADIUS src 1 2 3 km STORE d"), some(&["src", "d"]));
        assert_eq!(keys("GEORADIUS src 1 2 3 km STORE d STOREDIST e COUNT 1"), some(&["src", "e"]));
        assert_eq!(keys("GEORADIUSBYMEMBER src m 3 km storedist d"), some(&["src", "d"]));
        assert_eq!(keys("GEORADIUS src 1 2 3 km STORE"), some(&["src"]));
        assert_eq!(keys("GEORADIUS_RO src 1 2 3 km"), some(&["src"]));
        assert_eq!(keys("GEOSEARCHSTORE d src FROMMEMBER m BYRADIUS 1 km"), some(&["d", "src"]));
    }

    #[test]
    fn bad_numkeys_means_no_keys() {
        assert_eq!(keys("ZUNIONSTORE d 5 a"), None);
        assert_eq!(keys("ZUNIONSTORE d 0 a"), None);
        assert_eq!(keys("LMPOP -1 a LEFT"), None);
        assert_eq!(keys("LMPOP x a LEFT"), None);
        assert_eq!(keys("SINTERCARD 3 a b"), None);
        assert_eq!(keys("BLMPOP 0 9 a LEFT"), None);
    }
}
