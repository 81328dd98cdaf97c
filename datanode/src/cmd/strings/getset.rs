//! GETSET key value

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

use super::set::{TtlChange, store};

pub const SPEC: CommandSpec = CommandSpec {
    name: "getset",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Returns the previous string value of a key after setting it to a new value.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let value = args.bytes()?;
    let old = super::get_string(shard, &key)?;
    store(shard, &key, value, TtlChange::Clear);
    Ok(old.map_or(Reply::Nil, Reply::Bulk))
}
