//! ZSCAN key cursor [MATCH pattern] [COUNT count]

use super::{read_zset, spec};
use crate::cmd::format::fmt_double;
use crate::cmd::hash::scan_reply;
use crate::cmd::scan::{page, parse_cursor, parse_opts};
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = spec(
    "zscan",
    -3,
    &["readonly"],
    (1, 1, 1),
    "Incrementally iterate sorted sets elements and associated scores",
    run,
);

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let cursor = parse_cursor(&args.bytes()?)?;
    // As in Redis, the options are parsed only once the key is found.
    let Some(z) = read_zset(shard, &key)? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_opts(args, false)?;
    if opts.novalues {
        // HSCAN's option only (and not in Redis 7.0 at all).
        return Err(ReplyError::syntax());
    }
    let compact = z.len() <= LISTPACK_ENTRIES && z.ordered().all(|(_, m)| m.len() <= LISTPACK_VALUE);
    let (next, found) = page(z.ordered().map(|(s, m)| (m, s.0)), cursor, &opts);
    let mut out = Vec::with_capacity(found.len() * 2);
    for (member, score) in found {
        out.push(Reply::Bulk(member));
        // Scores go out as strings in both protocols, as Redis sends them.
        out.push(Reply::Bulk(scan_score(score, compact).into()));
    }
    Ok(scan_reply(next, out))
}

/// Redis's defaults for `zset-max-listpack-entries` and `zset-max-listpack-value`: below them
/// Redis keeps a sorted set as a listpack of strings, which ZSCAN returns as stored.
const LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;

/// A score as ZSCAN prints it: a listpack stores scores with Redis's `d2string` (integral
/// values up to 2^62 as integers), a skiplist prints them with "%.17g".
fn scan_score(score: f64, compact: bool) -> String {
    const INT_LIMIT: f64 = (i64::MAX / 2) as f64;
    if compact && score != 0.0 && (-INT_LIMIT..=INT_LIMIT).contains(&score) && score.fract() == 0.0 {
        return (score as i64).to_string();
    }
    fmt_double(score)
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    fn scan_all(s: &mut crate::shard::Shard, extra: &[&str]) -> Vec<Reply> {
        crate::cmd::testing::scan_all(s, &["ZSCAN", "z"], extra)
    }

    #[test]
    fn visits_every_member_with_its_score() {
        let mut s = shard();
        for i in 0..25 {
            run(&mut s, &["ZADD", "z", &format!("{i}.5"), &format!("m{i}")]);
        }
        let all = scan_all(&mut s, &["COUNT", "3"]);
        assert_eq!(all.len(), 50);
        let mut pairs: Vec<(Reply, Reply)> = all.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
        pairs.sort_by_key(|(m, _)| format!("{m:?}"));
        pairs.dedup();
        assert_eq!(pairs.len(), 25);
        assert!(pairs.contains(&(bulk("m7"), bulk("7.5"))));
        let matched = scan_all(&mut s, &["MATCH", "m1*"]);
        assert_eq!(matched.len(), 22);
    }

    #[test]
    fn scores_print_like_percent_17g() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "0.1", "a"]);
        assert_eq!(
            run(&mut s, &["ZSCAN", "z", "0"]),
            Reply::Array(vec![bulk("0"), bulks(&["a", "0.10000000000000001"])])
        );
    }

    #[test]
    fn integral_scores_print_as_redis_listpacks_store_them() {
        assert_eq!(super::scan_score(1e17, true), "100000000000000000");
        assert_eq!(super::scan_score(-1e18, true), "-1000000000000000000");
        assert_eq!(super::scan_score(1e19, true), "1e+19");
        assert_eq!(super::scan_score(1e17, false), "1e+17");
        assert_eq!(super::scan_score(0.5, true), "0.5");
        assert_eq!(super::scan_score(f64::NEG_INFINITY, true), "-inf");
        assert_eq!(super::scan_score(0.0, true), "0");
    }

    #[test]
    fn errors_and_missing_keys() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        run(&mut s, &["ZADD", "z", "1", "a"]);
        let empty = Reply::Array(vec![bulk("0"), Reply::Array(vec![])]);
        assert_eq!(run(&mut s, &["ZSCAN", "nokey", "0"]), empty);
        assert_eq!(run(&mut s, &["ZSCAN", "nokey", "0", "COUNT", "x"]), empty);
        assert_eq!(run(&mut s, &["ZSCAN", "nokey", "x"]), Reply::error("ERR invalid cursor"));
        assert_eq!(run(&mut s, &["ZSCAN", "str", "0"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZSCAN", "z", "0", "COUNT", "0"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["ZSCAN", "z", "0", "COUNT", "x"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["ZSCAN", "z", "0", "NOVALUES"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["ZSCAN", "z", "0", "TYPE", "zset"]), Reply::from(ReplyError::syntax()));
    }
}
