//! SETRANGE key offset value

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::set::{TtlChange, store};

pub const SPEC: CommandSpec = CommandSpec {
    name: "setrange",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    handler: Handler::Data(run),
};

/// Redis's limit on the size a string may grow to (proto-max-bulk-len).
const MAX_STRING: i64 = 512 * 1024 * 1024;

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let offset = args.int()?;
    let patch = args.bytes()?;
    if offset < 0 {
        return Err(ReplyError::new("ERR offset is out of range"));
    }
    let old = super::get_string(shard, &key)?;
    if patch.is_empty() {
        return Ok(Reply::Int(old.map_or(0, |v| v.len() as i64)));
    }
    if offset + patch.len() as i64 > MAX_STRING {
        return Err(ReplyError::new("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    }
    let mut value = old.map(|v| v.to_vec()).unwrap_or_default();
    let end = offset as usize + patch.len();
    if value.len() < end {
        value.resize(end, 0);
    }
    value[offset as usize..end].copy_from_slice(&patch);
    let len = value.len();
    store(shard, &key, Bytes::from(value), TtlChange::Keep);
    Ok(Reply::Int(len as i64))
}
