//! HGET key field

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hget",
    arity: 3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Get the value of a hash field.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(map.and_then(|m| super::field_value(m, &field)).map_or(Reply::Nil, Reply::Bulk))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn reads_a_field() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1"]);
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("1"));
        assert_eq!(run(&mut s, &["HGET", "h", "b"]), Reply::Nil);
        assert_eq!(run(&mut s, &["HGET", "nokey", "a"]), Reply::Nil);
    }

    #[test]
    fn reads_increments() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "10"]);
        run(&mut s, &["HINCRBY", "h", "a", "5"]);
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("15"));
        run(&mut s, &["HINCRBYFLOAT", "h", "a", "0.5"]);
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), bulk("15.5"));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HGET", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HGET", "k"]), Reply::error("ERR wrong number of arguments for 'hget' command"));
    }
}
