//! STRLEN key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "strlen",
    arity: 2,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Returns the length of a string value.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    Ok(Reply::Int(super::get_string(shard, &key)?.map_or(0, |v| v.len() as i64)))
}
