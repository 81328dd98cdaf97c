//! LLEN key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::list::List;
use crate::resp::Reply;
use crate::shard::Shard;

use super::read_list;

pub const SPEC: CommandSpec = CommandSpec {
    name: "llen",
    arity: 2,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Get the length of a list",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::Int(read_list(shard, &key)?.map_or(0, List::len) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_elements() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(0));
        run(&mut s, &["rpush", "l", "a", "b", "a"]);
        assert_eq!(run(&mut s, &["llen", "l"]), Reply::Int(3));
        run(&mut s, &["set", "s", "v"]);
        assert_eq!(run(&mut s, &["llen", "s"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["llen", "l", "x"]), ReplyError::wrong_arity("llen").into());
    }
}
