//! ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP timeout numkeys ...: pop up
//! to `count` members from the first non-empty sorted set. Arguments are read in Redis's
//! order (numkeys, the keys, MIN|MAX, COUNT, and BZMPOP's timeout last), so a command with
//! two faults gets Redis's error.

use bytes::Bytes;

use crate::cmd::args::is;
use crate::cmd::format::{parse_int, parse_timeout};
use crate::cmd::{Args, Blocked, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::zpop::pop_members;

pub const ZMPOP: CommandSpec = CommandSpec {
    name: "zmpop",
    arity: -4,
    flags: &["write", "movablekeys"],
    keys: (0, 0, 0),
    group: "sorted-set",
    summary: "Remove and return members with scores in a sorted set",
    handler: Handler::Data(run_zmpop),
};

pub const BZMPOP: CommandSpec = CommandSpec {
    name: "bzmpop",
    arity: -5,
    flags: &["write", "blocking", "movablekeys"],
    keys: (0, 0, 0),
    group: "sorted-set",
    summary: "Remove and return members with scores in a sorted set or block until one is available",
    handler: Handler::Blocking(run_bzmpop),
};

struct Request {
    keys: Vec<Bytes>,
    max: bool,
    count: usize,
}

fn parse(args: &mut Args) -> Result<Request, ReplyError> {
    let numkeys = parse_int(&args.bytes()?)
        .filter(|n| *n > 0)
        .ok_or_else(|| ReplyError::new("ERR numkeys should be greater than 0"))?;
    // The keys and MIN|MAX must all be there.
    if numkeys >= args.remaining() as i64 {
        return Err(ReplyError::syntax());
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| args.next()).collect();
    let side = args.bytes()?;
    let max = match () {
        _ if is(&side, "min") => false,
        _ if is(&side, "max") => true,
        _ => return Err(ReplyError::syntax()),
    };
    let mut count = None;
    while !args.is_empty() {
        if count.is_none() && args.remaining() > 1 && args.eat("count") {
            let n = parse_int(&args.bytes()?)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| ReplyError::new("ERR count should be greater than 0"))?;
            count = Some(n);
        } else {
            return Err(ReplyError::syntax());
        }
    }
    Ok(Request { keys, max, count: count.unwrap_or(1) })
}

/// Pops from the first sorted set that has members: `[key, [[member, score], ...]]`, or
/// `None` if all are empty.
fn attempt(shard: &mut Shard, req: &Request) -> Result<Option<Reply>, ReplyError> {
    for key in &req.keys {
        if let Some(popped) = pop_members(shard, key, req.max, req.count)? {
            // Nested pairs in RESP2 too (unlike ZRANGE WITHSCORES).
            let pairs = popped.into_iter().map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)])).collect();
            return Ok(Some(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(pairs)])));
        }
    }
    Ok(None)
}

fn run_zmpop(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let req = parse(args)?;
    Ok(attempt(shard, &req)?.unwrap_or(Reply::NilArray))
}

fn run_bzmpop(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    let timeout = args.bytes()?;
    let req = parse(args)?;
    let timeout_ms = parse_timeout(&timeout)?;
    Ok(match attempt(shard, &req)? {
        Some(reply) => Blocked::Reply(reply),
        None => Blocked::Wait { keys: req.keys, timeout_ms, on_timeout: Reply::NilArray },
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::cmd::list::attempt;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::cmd::{Blocked, ReplyError};
    use crate::resp::Reply;

    fn popped(key: &str, members: &[(&str, f64)]) -> Reply {
        let pairs = members.iter().map(|(m, s)| Reply::Array(vec![bulk(m), Reply::Double(*s)])).collect();
        Reply::Array(vec![bulk(key), Reply::Array(pairs)])
    }

    #[test]
    fn pops_from_the_first_non_empty_sorted_set() {
        let mut s = shard();
        run(&mut s, &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(run(&mut s, &["zmpop", "2", "q", "z", "min"]), popped("z", &[("a", 1.0)]));
        assert_eq!(run(&mut s, &["zmpop", "1", "z", "MAX", "COUNT", "2"]), popped("z", &[("d", 4.0), ("c", 3.0)]));
        assert_eq!(run(&mut s, &["bzmpop", "0", "1", "z", "min", "count", "9"]), popped("z", &[("b", 2.0)]));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["zmpop", "1", "z", "min"]), Reply::NilArray);
        assert_eq!(run(&mut s, &["bzmpop", "0", "1", "z", "min"]), Reply::NilArray);
    }

    #[test]
    fn bzmpop_waits_on_its_keys() {
        let mut s = shard();
        match attempt(&mut s, &["bzmpop", "0.01", "2", "a", "b", "max"]) {
            Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                assert_eq!(keys, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
                assert_eq!((timeout_ms, on_timeout), (10, Reply::NilArray));
            }
            _ => panic!("expected to wait"),
        }
    }

    /// Redis's texts, and its order: the timeout is read last.
    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        let numkeys = Reply::error("ERR numkeys should be greater than 0");
        let count = Reply::error("ERR count should be greater than 0");
        let syntax: Reply = ReplyError::syntax().into();
        assert_eq!(run(&mut s, &["zmpop", "0", "q", "min"]), numkeys);
        assert_eq!(run(&mut s, &["zmpop", "-1", "q", "min"]), numkeys);
        assert_eq!(run(&mut s, &["zmpop", "x", "q", "min"]), numkeys);
        assert_eq!(run(&mut s, &["zmpop", "2", "q", "min"]), syntax);
        assert_eq!(run(&mut s, &["zmpop", "1", "q", "mid"]), syntax);
        assert_eq!(run(&mut s, &["zmpop", "1", "q", "min", "count"]), syntax);
        assert_eq!(run(&mut s, &["zmpop", "1", "q", "min", "count", "0"]), count);
        assert_eq!(run(&mut s, &["zmpop", "1", "q", "min", "count", "1", "count", "1"]), syntax);
        assert_eq!(run(&mut s, &["zmpop", "1", "s", "min"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["bzmpop", "x", "0", "q", "min"]), numkeys);
        assert_eq!(run(&mut s, &["bzmpop", "x", "1", "q", "min", "count", "0"]), count);
        assert_eq!(
            run(&mut s, &["bzmpop", "x", "1", "q", "min"]),
            Reply::error("ERR timeout is not a float or out of range")
        );
        assert_eq!(run(&mut s, &["bzmpop", "-1", "1", "q", "min"]), Reply::error("ERR timeout is negative"));
        assert_eq!(run(&mut s, &["bzmpop", "0", "1", "s", "min"]), ReplyError::wrongtype().into());
    }
}
