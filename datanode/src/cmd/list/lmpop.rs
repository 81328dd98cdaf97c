//! LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP timeout numkeys ...:
//! pop up to `count` elements from the first non-empty list.

use crate::cmd::mpop::{self, MultiPop};
use crate::cmd::{Args, Blocked, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{End, pop};

pub const LMPOP: CommandSpec = CommandSpec {
    name: "lmpop",
    arity: -4,
    flags: &["write", "movablekeys"],
    keys: (0, 0, 0),
    group: "list",
    summary: "Pop elements from a list",
    handler: Handler::Data(run_lmpop),
};

pub const BLMPOP: CommandSpec = CommandSpec {
    name: "blmpop",
    arity: -5,
    flags: &["write", "blocking", "movablekeys"],
    keys: (0, 0, 0),
    group: "list",
    summary: "Pop elements from a list, or block until one is available",
    handler: Handler::Blocking(run_blmpop),
};

/// Pops from the first list that has elements: `[key, [elements]]`, or `None` if all are empty.
fn attempt(shard: &mut Shard, req: &MultiPop<End>) -> Result<Option<Reply>, ReplyError> {
    for key in &req.keys {
        if let Some(values) = pop(shard, key, req.side, req.count)? {
            return Ok(Some(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::bulks(values)])));
        }
    }
    Ok(None)
}

fn run_lmpop(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let req = mpop::parse(args, End::parse)?;
    Ok(attempt(shard, &req)?.unwrap_or(Reply::NilArray))
}

fn run_blmpop(args: &mut Args, shard: &mut Shard) -> Result<Blocked, ReplyError> {
    mpop::blocking(args, shard, End::parse, attempt)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::cmd::list::attempt;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::cmd::{Blocked, ReplyError};
    use crate::resp::Reply;

    fn popped(key: &str, values: &[&str]) -> Reply {
        Reply::Array(vec![bulk(key), bulks(values)])
    }

    #[test]
    fn pops_from_the_first_non_empty_list() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "c"]);
        assert_eq!(run(&mut s, &["lmpop", "2", "m", "l", "left"]), popped("l", &["a"]));
        assert_eq!(run(&mut s, &["lmpop", "2", "m", "l", "RIGHT", "COUNT", "5"]), popped("l", &["c", "b"]));
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left"]), Reply::NilArray);
        run(&mut s, &["rpush", "l", "x", "y"]);
        assert_eq!(run(&mut s, &["blmpop", "0", "1", "l", "left", "count", "1"]), popped("l", &["x"]));
        assert_eq!(run(&mut s, &["blmpop", "0", "1", "l", "left"]), popped("l", &["y"]));
        assert_eq!(run(&mut s, &["blmpop", "0", "1", "l", "left"]), Reply::NilArray);
        assert_eq!(s.dbsize(), 0);
    }

    #[test]
    fn blmpop_waits_on_its_keys() {
        let mut s = shard();
        match attempt(&mut s, &["blmpop", "0.01", "2", "a", "b", "left"]) {
            Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                assert_eq!(keys, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
                assert_eq!(timeout_ms, 10);
                assert_eq!(on_timeout, Reply::NilArray);
            }
            _ => panic!("expected to wait"),
        }
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        run(&mut s, &["rpush", "l", "a"]);
        let numkeys = Reply::error("ERR numkeys should be greater than 0");
        let count = Reply::error("ERR count should be greater than 0");
        assert_eq!(run(&mut s, &["lmpop", "0", "l", "left"]), numkeys);
        assert_eq!(run(&mut s, &["lmpop", "x", "l", "left"]), numkeys);
        assert_eq!(run(&mut s, &["lmpop", "-1", "l", "left"]), numkeys);
        assert_eq!(run(&mut s, &["lmpop", "2", "l", "left"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "9223372036854775807", "l", "left"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "middle"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left", "count", "0"]), count);
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left", "count", "x"]), count);
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left", "count"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left", "count", "1", "count", "2"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "1", "l", "left", "1"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lmpop", "2", "s", "l", "left"]), ReplyError::wrongtype().into());
        assert_eq!(
            run(&mut s, &["blmpop", "x", "1", "l", "left"]),
            Reply::error("ERR timeout is not a float or out of range")
        );
        assert_eq!(run(&mut s, &["blmpop", "-1", "1", "l", "left"]), Reply::error("ERR timeout is negative"));
        // As Redis: the timeout is read after the other arguments.
        let numkeys = Reply::error("ERR numkeys should be greater than 0");
        assert_eq!(run(&mut s, &["blmpop", "x", "0", "l", "left"]), numkeys);
        let count = Reply::error("ERR count should be greater than 0");
        assert_eq!(run(&mut s, &["blmpop", "x", "1", "l", "left", "count", "0"]), count);
        assert_eq!(run(&mut s, &["blmpop", "0", "0", "l", "left"]), numkeys);
        assert_eq!(run(&mut s, &["lmpop", "1", "l"]), ReplyError::wrong_arity("lmpop").into());
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(1));
    }
}
