//! TTL, PTTL, EXPIRETIME, PEXPIRETIME key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

const fn spec(name: &'static str, summary: &'static str, run: crate::cmd::DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: 2,
        flags: &["readonly", "fast"],
        keys: (1, 1, 1),
        group: "generic",
        summary,
        handler: Handler::Data(run),
    }
}

pub const TTL: CommandSpec = spec("ttl", "Returns the expiration time in seconds of a key.", run_ttl);
pub const PTTL: CommandSpec = spec("pttl", "Returns the expiration time in milliseconds of a key.", run_pttl);
pub const EXPIRETIME: CommandSpec =
    spec("expiretime", "Returns the expiration time of a key as a Unix timestamp.", run_expiretime);
pub const PEXPIRETIME: CommandSpec =
    spec("pexpiretime", "Returns the expiration time of a key as a Unix milliseconds timestamp.", run_pexpiretime);

fn run_ttl(args: &mut Args, shard: &mut Shard) -> CmdResult {
    ttl(args, shard, false, false)
}
fn run_pttl(args: &mut Args, shard: &mut Shard) -> CmdResult {
    ttl(args, shard, true, false)
}
fn run_expiretime(args: &mut Args, shard: &mut Shard) -> CmdResult {
    ttl(args, shard, false, true)
}
fn run_pexpiretime(args: &mut Args, shard: &mut Shard) -> CmdResult {
    ttl(args, shard, true, true)
}

/// -2 for a missing key, -1 for no expiry, else the (remaining or absolute) time, seconds
/// rounded as Redis rounds them.
fn ttl(args: &mut Args, shard: &mut Shard, millis: bool, absolute: bool) -> CmdResult {
    let key = args.bytes()?;
    let now = shard.now();
    let Some(entry) = shard.lookup(&key, Access::Read) else { return Ok(Reply::Int(-2)) };
    let Some((deadline, _)) = entry.ttl.deadline() else { return Ok(Reply::Int(-1)) };
    let t = if absolute { deadline as i64 } else { (deadline as i64 - now as i64).max(0) };
    Ok(Reply::Int(if millis { t } else { (t + 500) / 1000 }))
}
