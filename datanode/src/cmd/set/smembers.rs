//! SMEMBERS key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "smembers",
    arity: 2,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Get all the members in a set.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let set = super::read_set(shard, &key)?;
    Ok(super::set_reply(set.map_or_else(Vec::new, |s| s.members().cloned().collect())))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn lists_members_sorted() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "c", "a", "b"]);
        assert_eq!(run(&mut s, &["SMEMBERS", "s"]), Reply::Set(vec![bulk("a"), bulk("b"), bulk("c")]));
        assert_eq!(run(&mut s, &["SMEMBERS", "nokey"]), Reply::Set(vec![]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SMEMBERS", "k"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SMEMBERS"]), Reply::error("ERR wrong number of arguments for 'smembers' command"));
    }
}
