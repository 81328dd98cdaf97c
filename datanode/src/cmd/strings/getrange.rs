//! GETRANGE key start end (and its old name SUBSTR)

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "getrange",
    arity: 4,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Returns a substring of the string stored at a key.",
    handler: Handler::Data(run),
};

pub const SUBSTR: CommandSpec = CommandSpec { name: "substr", ..SPEC };

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let start = args.int()?;
    let end = args.int()?;
    let value = super::get_string(shard, &key)?.unwrap_or_default();
    Ok(Reply::Bulk(match range(start, end, value.len()) {
        Some((s, e)) => value.slice(s..=e),
        None => bytes::Bytes::new(),
    }))
}

/// Redis's GETRANGE index arithmetic: negative indexes count from the end, both clamp.
pub fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if len == 0 || (start < 0 && end < 0 && start > end) {
        return None;
    }
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { (len + end).max(0) } else { end.min(len - 1) };
    (start <= end && start < len).then_some((start as usize, end as usize))
}
