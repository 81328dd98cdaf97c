//! BZPOPMIN, BZPOPMAX key [key ...] timeout: pop the lowest (highest) member of the first
//! non-empty sorted set, or wait. The session does the waiting and tries again when one of
//! the keys is written (ZADDs arriving from peers included, SEMANTICS.md §8).

use crate::cmd::format::parse_timeout;
use crate::cmd::{Args, BlockFn, Blocked, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::zpop::pop_members;

const fn spec(name: &'static str, summary: &'static str, run: BlockFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: -3,
        flags: &["write", "noscript", "blocking", "fast"],
        keys: (1, -2, 1),
        group: "sorted-set",
        summary,
        handler: Handler::Blocking(run),
    }
}

pub const BZPOPMIN: CommandSpec = spec(
    "bzpopmin",
    "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
    run_bzpopmin,
);
pub const BZPOPMAX: CommandSpec = spec(
    "bzpopmax",
    "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
    run_bzpopmax,
);

fn run_bzpopmin(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    run(args, shard, false)
}

fn run_bzpopmax(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    run(args, shard, true)
}

fn run(args: &mut Args, shard: &mut Shard, max: bool) -> Result<Blocked, ReplyError> {
    let mut keys = args.rest();
    let timeout = keys.pop().ok_or_else(ReplyError::syntax)?;
    let timeout_ms = parse_timeout(&timeout)?;
    for key in &keys {
        if let Some((member, score)) = pop_members(shard, key, max, 1)?.and_then(|mut v| v.pop()) {
            // [key, member, score]: the score a bulk string in RESP2, a double in RESP3.
            return Ok(Blocked::Reply(Reply::Array(vec![
                Reply::Bulk(key.clone()),
                Reply::Bulk(member),
                Reply::Double(score),
            ])));
        }
    }
    Ok(Blocked::Wait { keys, timeout_ms, on_timeout: Reply::NilArray })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::cmd::list::attempt;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::cmd::{Blocked, ReplyError};
    use crate::resp::Reply;

    fn popped(key: &str, member: &str, score: f64) -> Reply {
        Reply::Array(vec![bulk(key), bulk(member), Reply::Double(score)])
    }

    #[test]
    fn pops_from_the_first_non_empty_sorted_set() {
        let mut s = shard();
        run(&mut s, &["zadd", "b", "1", "x", "2", "y", "3", "z"]);
        run(&mut s, &["zadd", "c", "1.5", "w"]);
        assert_eq!(run(&mut s, &["bzpopmin", "a", "b", "c", "0"]), popped("b", "x", 1.0));
        assert_eq!(run(&mut s, &["bzpopmax", "a", "b", "c", "0"]), popped("b", "z", 3.0));
        assert_eq!(run(&mut s, &["bzpopmax", "a", "b", "c", "0.5"]), popped("b", "y", 2.0));
        assert_eq!(run(&mut s, &["bzpopmin", "b", "c", "0"]), popped("c", "w", 1.5));
        assert_eq!(s.dbsize(), 0);
        // Outside a session (MULTI) the command answers at once.
        assert_eq!(run(&mut s, &["bzpopmin", "a", "0"]), Reply::NilArray);
    }

    #[test]
    fn waits_on_every_key_when_all_are_empty() {
        let mut s = shard();
        match attempt(&mut s, &["bzpopmin", "a", "b", "1.5"]) {
            Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                assert_eq!(keys, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
                assert_eq!((timeout_ms, on_timeout), (1500, Reply::NilArray));
            }
            _ => panic!("expected to wait"),
        }
        run(&mut s, &["zadd", "b", "4", "m"]);
        match attempt(&mut s, &["bzpopmax", "a", "b", "1.5"]) {
            Ok(Blocked::Reply(r)) => assert_eq!(r, popped("b", "m", 4.0)),
            _ => panic!("expected a reply"),
        }
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["bzpopmin", "s", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["bzpopmin", "q", "s", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["bzpopmin", "q", "x"]), Reply::error("ERR timeout is not a float or out of range"));
        assert_eq!(run(&mut s, &["bzpopmax", "q", "-1"]), Reply::error("ERR timeout is negative"));
        assert_eq!(run(&mut s, &["bzpopmax", "q"]), ReplyError::wrong_arity("bzpopmax").into());
    }
}
