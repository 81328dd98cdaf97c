//! HINCRBYFLOAT key field increment: the field's counter, float part (SEMANTICS.md §3, §4).

use crate::cmd::format::parse_float;
use crate::cmd::strings::string_bytes;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hincrbyfloat",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Increment the float value of a hash field by the given amount.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let by = args.float()?;
    if !by.is_finite() {
        return Err(ReplyError::new("ERR value is NaN or Infinity"));
    }
    let cell = super::cell_for_write(shard, &key, &field)?;
    let current = if cell.is_live() {
        parse_float(&string_bytes(&cell)).ok_or_else(|| ReplyError::new("ERR hash value is not a float"))?
    } else {
        0.0
    };
    if !(current + by).is_finite() {
        return Err(ReplyError::new("ERR increment would produce NaN or Infinity"));
    }
    super::increment(shard, &key, field.clone(), &cell, 0, by, true);
    let map = super::read_hash(shard, &key)?;
    Ok(map.and_then(|m| super::field_value(m, &field)).map_or(Reply::Nil, Reply::Bulk))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn increments_and_prints_like_redis() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "10.5"]), bulk("10.5"));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "0.1"]), bulk("10.6"));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "-0.6"]), bulk("10"));
        run(&mut s, &["HSET", "h", "b", "5", "c", "1.5e3"]);
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "b", "1"]), bulk("6"));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "c", "1"]), bulk("1501"));
        assert_eq!(run(&mut s, &["HGET", "h", "c"]), bulk("1501"));
    }

    #[test]
    fn refuses_non_floats() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "s", "abc"]);
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "s", "1"]), Reply::error("ERR hash value is not a float"));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "x"]), Reply::from(ReplyError::not_float()));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "nan"]), Reply::from(ReplyError::not_float()));
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "h", "a", "inf"]), Reply::error("ERR value is NaN or Infinity"));
        assert_eq!(run(&mut s, &["HEXISTS", "h", "a"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HINCRBYFLOAT", "k", "a", "1"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["HINCRBYFLOAT", "k", "a"]),
            Reply::error("ERR wrong number of arguments for 'hincrbyfloat' command")
        );
    }
}
