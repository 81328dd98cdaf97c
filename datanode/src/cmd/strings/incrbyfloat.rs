//! INCRBYFLOAT key increment

use crate::cmd::format::parse_float;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{commit_increment, live_cell, string_bytes};

pub const SPEC: CommandSpec = CommandSpec {
    name: "incrbyfloat",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Increment the floating point value of a key by a number.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let by = args.float()?;
    let current = match live_cell(shard, &key)? {
        Some(cell) => parse_float(&string_bytes(cell)).ok_or_else(ReplyError::not_float)?,
        None => 0.0,
    };
    let new = current + by;
    if !new.is_finite() {
        return Err(ReplyError::new("ERR increment would produce NaN or Infinity"));
    }
    commit_increment(shard, &key, 0, by, true);
    Ok(super::get_string(shard, &key)?.map_or(Reply::Nil, Reply::Bulk))
}
