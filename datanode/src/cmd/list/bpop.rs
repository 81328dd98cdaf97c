//! BLPOP, BRPOP key [key ...] timeout: pop from the first non-empty list, or wait. The
//! session does the waiting and runs the command again when one of the keys is written
//! (pushes arriving from peers included, SEMANTICS.md §8).

use crate::cmd::{Args, BlockFn, Blocked, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{End, pop};
use crate::cmd::format::parse_timeout;

const fn spec(name: &'static str, summary: &'static str, run: BlockFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: -3,
        flags: &["write", "noscript", "blocking"],
        keys: (1, -2, 1),
        group: "list",
        summary,
        handler: Handler::Blocking(run),
    }
}

pub const BLPOP: CommandSpec =
    spec("blpop", "Remove and get the first element in a list, or block until one is available", run_blpop);
pub const BRPOP: CommandSpec =
    spec("brpop", "Remove and get the last element in a list, or block until one is available", run_brpop);

fn run_blpop(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    run(args, shard, End::Left)
}

fn run_brpop(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    run(args, shard, End::Right)
}

fn run(args: &mut Args, shard: &mut Shard, end: End) -> Result<Blocked, ReplyError> {
    let mut keys = args.rest();
    let timeout = keys.pop().ok_or_else(ReplyError::syntax)?;
    let timeout_ms = parse_timeout(&timeout)?;
    for key in &keys {
        if let Some(value) = pop(shard, key, end, 1)?.and_then(|mut v| v.pop()) {
            return Ok(Blocked::Reply(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(value)])));
        }
    }
    Ok(Blocked::Wait { keys, timeout_ms, on_timeout: Reply::NilArray })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::cmd::list::attempt;
    use crate::cmd::testing::{bulks, run, shard};
    use crate::cmd::{Blocked, ReplyError};
    use crate::resp::Reply;

    #[test]
    fn pops_from_the_first_non_empty_list() {
        let mut s = shard();
        run(&mut s, &["rpush", "b", "1", "2"]);
        run(&mut s, &["rpush", "c", "3"]);
        assert_eq!(run(&mut s, &["blpop", "a", "b", "c", "0"]), bulks(&["b", "1"]));
        assert_eq!(run(&mut s, &["brpop", "a", "b", "c", "0"]), bulks(&["b", "2"]));
        assert_eq!(run(&mut s, &["brpop", "a", "b", "c", "0.5"]), bulks(&["c", "3"]));
        assert_eq!(s.dbsize(), 0);
    }

    #[test]
    fn waits_on_every_key_when_all_are_empty() {
        let mut s = shard();
        match attempt(&mut s, &["blpop", "a", "b", "1.5"]) {
            Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                assert_eq!(keys, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
                assert_eq!(timeout_ms, 1500);
                assert_eq!(on_timeout, Reply::NilArray);
            }
            _ => panic!("expected to wait"),
        }
        match attempt(&mut s, &["brpop", "a", "0"]) {
            Ok(Blocked::Wait { timeout_ms, .. }) => assert_eq!(timeout_ms, 0),
            _ => panic!("expected to wait"),
        }
        // Outside a session (MULTI) the command replies at once.
        assert_eq!(run(&mut s, &["blpop", "a", "b", "0"]), Reply::NilArray);
        // The retry after a push succeeds.
        run(&mut s, &["rpush", "b", "x"]);
        match attempt(&mut s, &["blpop", "a", "b", "1.5"]) {
            Ok(Blocked::Reply(r)) => assert_eq!(r, bulks(&["b", "x"])),
            _ => panic!("expected a reply"),
        }
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        run(&mut s, &["rpush", "l", "a", "b"]);
        assert_eq!(run(&mut s, &["blpop", "s", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["blpop", "m", "s", "l", "0"]), ReplyError::wrongtype().into());
        // Keys after the first non-empty list are not looked at.
        assert_eq!(run(&mut s, &["blpop", "l", "s", "0"]), bulks(&["l", "a"]));
        let not_float = Reply::error("ERR timeout is not a float or out of range");
        let negative = Reply::error("ERR timeout is negative");
        assert_eq!(run(&mut s, &["blpop", "l", "x"]), not_float);
        assert_eq!(run(&mut s, &["brpop", "s", "nan"]), not_float);
        assert_eq!(run(&mut s, &["blpop", "l", " 1"]), not_float);
        assert_eq!(run(&mut s, &["blpop", "l", "-1"]), negative);
        assert_eq!(run(&mut s, &["blpop", "l", "inf"]), negative);
        assert_eq!(run(&mut s, &["blpop", "l", "1e20"]), negative);
        assert_eq!(run(&mut s, &["blpop", "l", "9223372036854775807"]), negative);
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["blpop", "l"]), ReplyError::wrong_arity("blpop").into());
    }
}
