//! EXISTS key [key ...]: counts repeated keys once per mention, as Redis.

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "exists",
    arity: -2,
    flags: &["readonly", "fast"],
    keys: (1, -1, 1),
    group: "generic",
    summary: "Determines whether one or more keys exist.",
    handler: Handler::Data(run),
};

/// Counts the keys that exist, a key mentioned twice counting twice (TOUCH shares this).
pub(super) fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let mut n = 0;
    for key in args.rest() {
        if shard.lookup(&key, Access::Read).is_some() {
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}
