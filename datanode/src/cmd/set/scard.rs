//! SCARD key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "scard",
    arity: 2,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Get the number of members in a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::Int(super::read_set(shard, &key)?.map_or(0, |s| s.len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_members() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(0));
        run(&mut s, &["SADD", "s", "a", "b"]);
        assert_eq!(run(&mut s, &["SCARD", "s"]), Reply::Int(2));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SCARD", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["SCARD", "k", "x"]),
            Reply::error("ERR wrong number of arguments for 'scard' command")
        );
    }
}
