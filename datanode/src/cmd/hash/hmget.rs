//! HMGET key field [field ...]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hmget",
    arity: -3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Get the values of all the given hash fields.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let fields = args.rest();
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Array(
        fields.iter().map(|f| map.and_then(|m| super::field_value(m, f)).map_or(Reply::Nil, Reply::Bulk)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn reads_fields_in_order() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(
            run(&mut s, &["HMGET", "h", "b", "x", "a", "b"]),
            Reply::Array(vec![bulk("2"), Reply::Nil, bulk("1"), bulk("2")])
        );
        assert_eq!(run(&mut s, &["HMGET", "nokey", "a", "b"]), Reply::Array(vec![Reply::Nil, Reply::Nil]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HMGET", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HMGET", "k"]), Reply::error("ERR wrong number of arguments for 'hmget' command"));
    }
}
