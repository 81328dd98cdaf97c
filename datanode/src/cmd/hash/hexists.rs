//! HEXISTS key field

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hexists",
    arity: 3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Determine if a hash field exists.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Int(i64::from(map.and_then(|m| m.get(&field)).is_some_and(|c| c.is_live()))))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn tells_live_fields() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(run(&mut s, &["HEXISTS", "h", "a"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HEXISTS", "h", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["HEXISTS", "nokey", "a"]), Reply::Int(0));
        run(&mut s, &["HDEL", "h", "a"]);
        assert_eq!(run(&mut s, &["HEXISTS", "h", "a"]), Reply::Int(0));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HEXISTS", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HEXISTS", "k"]), Reply::error("ERR wrong number of arguments for 'hexists' command"));
    }
}
