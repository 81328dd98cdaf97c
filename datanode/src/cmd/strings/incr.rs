//! INCR, DECR, INCRBY, DECRBY: counter increments (SEMANTICS.md §3).

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::{COUNTER_MAX, COUNTER_MIN, commit_increment, live_cell, string_int};

const fn spec(name: &'static str, arity: i32, summary: &'static str, run: crate::cmd::DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags: &["write", "denyoom", "fast"],
        keys: (1, 1, 1),
        group: "string",
        summary,
        handler: Handler::Data(run),
    }
}

pub const INCR: CommandSpec = spec("incr", 2, "Increments the integer value of a key by one.", run_incr);
pub const DECR: CommandSpec = spec("decr", 2, "Decrements the integer value of a key by one.", run_decr);
pub const INCRBY: CommandSpec = spec("incrby", 3, "Increments the integer value of a key by a number.", run_incrby);
pub const DECRBY: CommandSpec = spec("decrby", 3, "Decrements a number from the integer value of a key.", run_decrby);

fn run_incr(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    increment(shard, &key, 1)
}

fn run_decr(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    increment(shard, &key, -1)
}

fn run_incrby(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let by = args.int()?;
    increment(shard, &key, i128::from(by))
}

fn run_decrby(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let by = args.int()?;
    if by == i64::MIN {
        return Err(ReplyError::new("ERR decrement would overflow"));
    }
    increment(shard, &key, -i128::from(by))
}

/// Adds `by` to the integer under `key`, refusing a local result outside the counter range.
pub fn increment(shard: &mut Shard, key: &bytes::Bytes, by: i128) -> CmdResult {
    let current = match live_cell(shard, key)? {
        Some(cell) => string_int(cell).ok_or_else(ReplyError::not_integer)?,
        None => 0,
    };
    let new = current + by;
    if !(COUNTER_MIN..=COUNTER_MAX).contains(&new) {
        return Err(ReplyError::overflow());
    }
    commit_increment(shard, key, by, 0.0, false);
    Ok(Reply::Int(new as i64))
}
