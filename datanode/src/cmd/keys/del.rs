//! DEL key [key ...] and UNLINK: observed removes of everything each key holds.

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const DEL: CommandSpec = CommandSpec {
    name: "del",
    arity: -2,
    flags: &["write"],
    keys: (1, -1, 1),
    group: "generic",
    summary: "Deletes one or more keys.",
    handler: Handler::Data(run),
};

pub const UNLINK: CommandSpec = CommandSpec {
    name: "unlink",
    flags: &["write", "fast"],
    summary: "Asynchronously deletes one or more keys.",
    ..DEL
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let mut deleted = 0;
    for key in args.rest() {
        if shard.lookup(&key, Access::Write).is_some() && shard.delete(&key) {
            deleted += 1;
        }
    }
    Ok(Reply::Int(deleted))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_only_keys_that_existed() {
        let mut s = shard();
        run(&mut s, &["SET", "a", "1"]);
        run(&mut s, &["INCR", "b"]);
        assert_eq!(run(&mut s, &["DEL", "a", "b", "c", "a"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["EXISTS", "a", "b"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 0);
    }
}
