//! SISMEMBER key member, and SMISMEMBER key member [member ...]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SISMEMBER: CommandSpec = CommandSpec {
    name: "sismember",
    arity: 3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Determine if a given value is a member of a set.",
    handler: Handler::Data(run_sismember),
};

pub const SMISMEMBER: CommandSpec = CommandSpec {
    name: "smismember",
    arity: -3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "set",
    summary: "Returns the membership associated with the given elements for a set.",
    handler: Handler::Data(run_smismember),
};

fn run_sismember(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let member = args.bytes()?;
    let set = super::read_set(shard, &key)?;
    Ok(Reply::Int(i64::from(set.is_some_and(|s| s.contains(&member)))))
}

fn run_smismember(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let members = args.rest();
    let set = super::read_set(shard, &key)?;
    Ok(Reply::Array(members.iter().map(|m| Reply::Int(i64::from(set.is_some_and(|s| s.contains(m))))).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn membership() {
        let mut s = shard();
        run(&mut s, &["SADD", "s", "a", "b"]);
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "a"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["SISMEMBER", "nokey", "a"]), Reply::Int(0));
        assert_eq!(
            run(&mut s, &["SMISMEMBER", "s", "a", "x", "b"]),
            Reply::Array(vec![Reply::Int(1), Reply::Int(0), Reply::Int(1)])
        );
        assert_eq!(run(&mut s, &["SMISMEMBER", "nokey", "a"]), Reply::Array(vec![Reply::Int(0)]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["SISMEMBER", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["SMISMEMBER", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(
            run(&mut s, &["SMISMEMBER", "k"]),
            Reply::error("ERR wrong number of arguments for 'smismember' command")
        );
        assert_eq!(
            run(&mut s, &["SISMEMBER", "k"]),
            Reply::error("ERR wrong number of arguments for 'sismember' command")
        );
    }
}
