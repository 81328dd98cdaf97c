//! BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH: LMOVE, or wait
//! for the source to be written.

use bytes::Bytes;

use crate::cmd::{Args, BlockFn, Blocked, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::End;
use super::lmove::move_one;
use crate::cmd::format::parse_timeout;

const fn spec(name: &'static str, arity: i32, summary: &'static str, run: BlockFn) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags: &["write", "denyoom", "noscript", "blocking"],
        keys: (1, 2, 1),
        group: "list",
        summary,
        handler: Handler::Blocking(run),
    }
}

pub const BLMOVE: CommandSpec = spec(
    "blmove",
    6,
    "Pop an element from a list, push it to another list and return it; or block until one is available",
    run_blmove,
);
pub const BRPOPLPUSH: CommandSpec = spec(
    "brpoplpush",
    4,
    "Pop an element from a list, push it to another list and return it; or block until one is available",
    run_brpoplpush,
);

fn run_blmove(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    let from = End::parse(&args.bytes()?)?;
    let to = End::parse(&args.bytes()?)?;
    let timeout = parse_timeout(&args.bytes()?)?;
    attempt(shard, src, dst, from, to, timeout)
}

fn run_brpoplpush(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    let timeout = parse_timeout(&args.bytes()?)?;
    attempt(shard, src, dst, End::Right, End::Left, timeout)
}

fn attempt(
    shard: &mut Shard,
    src: Bytes,
    dst: Bytes,
    from: End,
    to: End,
    timeout_ms: u64,
) -> Result<Blocked, ReplyError> {
    match move_one(shard, &src, &dst, from, to)? {
        Some(value) => Ok(Blocked::Reply(Reply::Bulk(value))),
        None => Ok(Blocked::Wait { keys: vec![src], timeout_ms, on_timeout: Reply::Nil }),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::cmd::list::attempt;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::cmd::{Blocked, ReplyError};
    use crate::resp::Reply;

    #[test]
    fn moves_when_the_source_has_elements() {
        let mut s = shard();
        run(&mut s, &["rpush", "a", "1", "2"]);
        assert_eq!(run(&mut s, &["blmove", "a", "b", "left", "right", "0"]), bulk("1"));
        assert_eq!(run(&mut s, &["brpoplpush", "a", "b", "0"]), bulk("2"));
        assert_eq!(run(&mut s, &["lrange", "b", "0", "-1"]), bulks(&["2", "1"]));
        assert_eq!(s.dbsize(), 1);
    }

    #[test]
    fn waits_on_the_source() {
        let mut s = shard();
        match attempt(&mut s, &["blmove", "a", "b", "left", "left", "0.25"]) {
            Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                assert_eq!(keys, vec![Bytes::from_static(b"a")]);
                assert_eq!(timeout_ms, 250);
                assert_eq!(on_timeout, Reply::Nil);
            }
            _ => panic!("expected to wait"),
        }
        assert_eq!(run(&mut s, &["brpoplpush", "a", "b", "0"]), Reply::Nil);
        assert_eq!(run(&mut s, &["blmove", "a", "b", "left", "left", "0"]), Reply::Nil);
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        run(&mut s, &["rpush", "l", "a"]);
        assert_eq!(run(&mut s, &["blmove", "l", "s", "left", "right", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["blmove", "s", "l", "left", "right", "0"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["brpoplpush", "l", "s", "0"]), ReplyError::wrongtype().into());
        // Positions are parsed before the timeout.
        assert_eq!(run(&mut s, &["blmove", "l", "l", "foo", "right", "x"]), ReplyError::syntax().into());
        assert_eq!(
            run(&mut s, &["blmove", "l", "l", "left", "right", "x"]),
            Reply::error("ERR timeout is not a float or out of range")
        );
        assert_eq!(run(&mut s, &["brpoplpush", "l", "l", "-2"]), Reply::error("ERR timeout is negative"));
        assert_eq!(run(&mut s, &["blmove", "l", "l", "left", "right"]), ReplyError::wrong_arity("blmove").into());
        assert_eq!(run(&mut s, &["lrange", "l", "0", "-1"]), bulks(&["a"]));
    }
}
