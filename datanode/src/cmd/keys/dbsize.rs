//! DBSIZE

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "dbsize",
    arity: 1,
    flags: &["readonly", "fast"],
    keys: (0, 0, 0),
    group: "server",
    summary: "Returns the number of keys in the database.",
    handler: Handler::Data(run),
};

fn run(_: &mut Args, shard: &mut Shard) -> CmdResult {
    Ok(Reply::Int(shard.dbsize() as i64))
}
