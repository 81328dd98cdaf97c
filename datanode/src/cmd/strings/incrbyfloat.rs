//! INCRBYFLOAT key increment

use crate::cmd::format::parse_float;
use crate::cmd::util::write_one;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{cell_for_write, string_bytes};

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
    let cell = cell_for_write(shard, &key)?;
    let current =
        if cell.is_live() { parse_float(&string_bytes(&cell)).ok_or_else(ReplyError::not_float)? } else { 0.0 };
    let new = current + by;
    if !new.is_finite() {
        return Err(ReplyError::new("ERR increment would produce NaN or Infinity"));
    }
    write_one(shard, &key, Kind::Str, |tag, _, part, _| {
        part.contents.push(Content::Str(cell.increment_delta(tag, 0, by, true)));
    });
    Ok(super::get_string(shard, &key)?.map_or(Reply::Nil, Reply::Bulk))
}
