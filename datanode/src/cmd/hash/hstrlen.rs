//! HSTRLEN key field

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hstrlen",
    arity: 3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Get the length of the value of a hash field.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let field = args.bytes()?;
    let map = super::read_hash(shard, &key)?;
    Ok(Reply::Int(map.and_then(|m| super::field_value(m, &field)).map_or(0, |v| v.len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn measures_the_value_as_read() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "hello", "n", "99"]);
        assert_eq!(run(&mut s, &["HSTRLEN", "h", "a"]), Reply::Int(5));
        assert_eq!(run(&mut s, &["HSTRLEN", "h", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["HSTRLEN", "nokey", "a"]), Reply::Int(0));
        run(&mut s, &["HINCRBY", "h", "n", "1"]);
        assert_eq!(run(&mut s, &["HSTRLEN", "h", "n"]), Reply::Int(3));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HSTRLEN", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HSTRLEN", "k"]), Reply::error("ERR wrong number of arguments for 'hstrlen' command"));
    }
}
