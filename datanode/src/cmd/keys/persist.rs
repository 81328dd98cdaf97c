//! PERSIST key: an explicit "no expiry" (which beats concurrent deadlines).

use crate::cmd::util::{set_ttl, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "persist",
    arity: 2,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "generic",
    summary: "Removes the expiration time of a key.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let Some(entry) = shard.lookup(&key, Access::Write) else { return Ok(Reply::Int(0)) };
    if entry.ttl.deadline().is_none() {
        return Ok(Reply::Int(0));
    }
    let Some(kind) = entry.visible().map(|c| c.kind()) else { return Ok(Reply::Int(0)) };
    write_one(shard, &key, kind, |tag, entry, part, observed| set_ttl(entry, tag, None, part, observed));
    Ok(Reply::Int(1))
}
