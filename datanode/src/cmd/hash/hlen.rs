//! HLEN key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hlen",
    arity: 2,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Get the number of fields in a hash.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::Int(super::read_hash(shard, &key)?.map_or(0, |m| m.live_len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_live_fields() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(0));
        run(&mut s, &["HSET", "h", "a", "1", "b", "2"]);
        run(&mut s, &["HINCRBY", "h", "c", "1"]);
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(3));
        run(&mut s, &["HDEL", "h", "c"]);
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(2));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HLEN", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HLEN", "k", "x"]), Reply::error("ERR wrong number of arguments for 'hlen' command"));
    }
}
