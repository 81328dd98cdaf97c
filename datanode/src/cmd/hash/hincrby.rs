//! HINCRBY key field increment: the field's counter (SEMANTICS.md §3, §4).

use crate::cmd::format::parse_int;
use crate::cmd::strings::{COUNTER_MAX, COUNTER_MIN, string_bytes};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hincrby",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Increment the integer value of a hash field by the given number.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let by = i128::from(args.int()?);
    let cell = super::cell_for_write(shard, &key, &field)?;
    let current = if cell.is_live() {
        let text = string_bytes(&cell);
        i128::from(parse_int(&text).ok_or_else(|| ReplyError::new("ERR hash value is not an integer"))?)
    } else {
        0
    };
    let new = current + by;
    if !(COUNTER_MIN..=COUNTER_MAX).contains(&new) {
        return Err(ReplyError::overflow());
    }
    super::increment(shard, &key, field, &cell, by, 0.0, false);
    Ok(Reply::Int(new as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn increments_missing_and_present_fields() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "5"]), Reply::Int(5));
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "-7"]), Reply::Int(-2));
        run(&mut s, &["HSET", "h", "b", "100"]);
        assert_eq!(run(&mut s, &["HINCRBY", "h", "b", "1"]), Reply::Int(101));
        assert_eq!(run(&mut s, &["HGET", "h", "b"]), bulk("101"));
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(2));
    }

    #[test]
    fn refuses_non_integers() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "s", "abc", "f", "1.5", "sp", " 1"]);
        for f in ["s", "f", "sp"] {
            assert_eq!(run(&mut s, &["HINCRBY", "h", f, "1"]), Reply::error("ERR hash value is not an integer"));
        }
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "x"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "1.5"]), Reply::from(ReplyError::not_integer()));
        assert_eq!(run(&mut s, &["HGET", "h", "s"]), bulk("abc"));
    }

    #[test]
    fn counter_range() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "288230376151711743"]), Reply::Int(288230376151711743));
        assert_eq!(run(&mut s, &["HINCRBY", "h", "a", "1"]), Reply::from(ReplyError::overflow()));
        assert_eq!(run(&mut s, &["HINCRBY", "h", "b", "-288230376151711745"]), Reply::from(ReplyError::overflow()));
        assert_eq!(run(&mut s, &["HEXISTS", "h", "b"]), Reply::Int(0));
        run(&mut s, &["HSET", "h", "big", "9223372036854775807"]);
        assert_eq!(run(&mut s, &["HINCRBY", "h", "big", "1"]), Reply::from(ReplyError::overflow()));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HINCRBY", "k", "a", "1"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["HINCRBY", "k", "a"]),
            Reply::error("ERR wrong number of arguments for 'hincrby' command")
        );
    }
}
