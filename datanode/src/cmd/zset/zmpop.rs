//! ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP timeout numkeys ...: pop up
//! to `count` members from the first non-empty sorted set (arguments as LMPOP's: `mpop`).

use crate::cmd::args::is;
use crate::cmd::mpop::{self, MultiPop};
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

/// MIN or MAX: whether to pop the highest scores.
fn side(word: &[u8]) -> Result<bool, ReplyError> {
    match () {
        _ if is(word, "min") => Ok(false),
        _ if is(word, "max") => Ok(true),
        _ => Err(ReplyError::syntax()),
    }
}

/// Pops from the first sorted set that has members: `[key, [[member, score], ...]]`, or
/// `None` if all are empty.
fn attempt(shard: &mut Shard, req: &MultiPop<bool>) -> Result<Option<Reply>, ReplyError> {
    for key in &req.keys {
        if let Some(popped) = pop_members(shard, key, req.side, req.count)? {
            // Nested pairs in RESP2 too (unlike ZRANGE WITHSCORES).
            let pairs = popped.into_iter().map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)])).collect();
            return Ok(Some(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(pairs)])));
        }
    }
    Ok(None)
}

fn run_zmpop(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let req = mpop::parse(args, side)?;
    Ok(attempt(shard, &req)?.unwrap_or(Reply::NilArray))
}

fn run_bzmpop(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    mpop::blocking(args, shard, side, attempt)
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
