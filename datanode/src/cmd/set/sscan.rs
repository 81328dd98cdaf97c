//! SSCAN key cursor [MATCH pattern] [COUNT count]

use crate::cmd::hash::scan_reply;
use crate::cmd::scan::{page, parse_cursor, parse_opts};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "sscan",
    arity: -3,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Incrementally iterate Set elements.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let cursor = parse_cursor(&args.bytes()?)?;
    // As in Redis, the options are parsed only once the key is found.
    let Some(set) = super::read_set(shard, &key)? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_opts(args, false)?;
    if opts.novalues {
        return Err(ReplyError::syntax());
    }
    let (next, found) = page(set.members().map(|m| (m, ())), cursor, &opts);
    Ok(scan_reply(next, found.into_iter().map(|(m, ())| Reply::Bulk(m)).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    #[test]
    fn visits_every_member_once() {
        let mut s = shard();
        for i in 0..30 {
            run(&mut s, &["SADD", "s", &format!("m{i}")]);
        }
        let mut cursor = "0".to_string();
        let mut all = Vec::new();
        loop {
            let Reply::Array(parts) = run(&mut s, &["SSCAN", "s", &cursor, "COUNT", "7"]) else {
                panic!("not an array")
            };
            let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else { panic!("bad shape {parts:?}") };
            all.extend(items.iter().cloned());
            cursor = String::from_utf8(next.to_vec()).expect("utf8");
            if cursor == "0" {
                break;
            }
        }
        all.sort_by_key(|r| format!("{r:?}"));
        all.dedup();
        assert_eq!(all.len(), 30);
    }

    #[test]
    fn matches_a_pattern() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "apple", "banana", "avocado"]);
        let Reply::Array(parts) = run(&mut s, &["SSCAN", "s", "0", "MATCH", "a*", "COUNT", "100"]) else {
            panic!("not an array")
        };
        assert_eq!(parts[0], bulk("0"));
        let Reply::Array(mut items) = parts[1].clone() else { panic!("not an array") };
        items.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(items, vec![bulk("apple"), bulk("avocado")]);
    }

    #[test]
    fn missing_key_and_errors() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SSCAN", "nokey", "0", "bogus"]), Reply::Array(vec![bulk("0"), bulks(&[])]));
        assert_eq!(run(&mut s, &["SSCAN", "nokey", "x"]), Reply::error("ERR invalid cursor"));
        run(&mut s, &["SADD", "s", "a"]);
        assert_eq!(run(&mut s, &["SSCAN", "s", "0", "bogus"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["SSCAN", "s", "0", "NOVALUES"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["SSCAN", "s", "0", "MATCH"]), Reply::from(ReplyError::syntax()));
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SSCAN", "k", "0"]), Reply::from(ReplyError::wrongtype()));
    }
}
