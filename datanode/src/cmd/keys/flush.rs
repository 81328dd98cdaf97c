//! FLUSHALL / FLUSHDB [ASYNC|SYNC]: a DEL of every key this region has seen, shipped to all
//! regions as one delta (SEMANTICS.md §10, a deliberate difference from Redis Enterprise).

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const FLUSHALL: CommandSpec = CommandSpec {
    name: "flushall",
    arity: -1,
    flags: &["write"],
    keys: (0, 0, 0),
    group: "server",
    summary: "Removes all keys from all databases.",
    handler: Handler::Data(run),
};

pub const FLUSHDB: CommandSpec =
    CommandSpec { name: "flushdb", summary: "Remove all keys from the current database.", ..FLUSHALL };

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let _mode_given = args.eat("async") || args.eat("sync");
    args.finish().map_err(|_| ReplyError::syntax())?;
    shard.flush();
    Ok(Reply::Ok)
}
