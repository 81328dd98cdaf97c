//! KEYS pattern

use crate::cmd::glob;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "keys",
    arity: 2,
    flags: &["readonly"],
    keys: (0, 0, 0),
    group: "generic",
    summary: "Returns all key names that match a pattern.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let pattern = args.bytes()?;
    let now = shard.now();
    let keys: Vec<Reply> = shard
        .keyspace()
        .iter()
        .filter(|(k, e)| e.is_visible() && e.ttl.deadline().is_none_or(|(d, _)| d > now) && glob::matches(&pattern, k))
        .map(|(k, _)| Reply::Bulk(bytes::Bytes::copy_from_slice(k)))
        .collect();
    Ok(Reply::Array(keys))
}
