//! MGET key [key ...]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::keyspace::entry::Content;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "mget",
    arity: -2,
    flags: &["readonly", "fast"],
    keys: (1, -1, 1),
    group: "string",
    summary: "Atomically returns the string values of one or more keys.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    // A key of another type reads as nil here, as in Redis.
    Ok(Reply::Array(
        keys.iter()
            .map(|k| match shard.read(k) {
                Some(Content::Str(cell)) => Reply::Bulk(super::string_bytes(cell)),
                Some(Content::Hll(h)) => h.value().map_or(Reply::Nil, Reply::Bulk),
                _ => Reply::Nil,
            })
            .collect(),
    ))
}
