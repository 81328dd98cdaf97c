//! TYPE key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "type",
    arity: 2,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "generic",
    summary: "Determines the type of value stored at a key.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::status(shard.kind_of(&key).map_or("none", |k| k.name())))
}
