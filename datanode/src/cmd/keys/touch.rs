//! TOUCH key [key ...]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "touch",
    arity: -2,
    flags: &["readonly", "fast"],
    keys: (1, -1, 1),
    group: "generic",
    summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let mut n = 0;
    for key in args.rest() {
        if shard.lookup(&key, Access::Read).is_some() {
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}
