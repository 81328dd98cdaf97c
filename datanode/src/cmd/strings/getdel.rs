//! GETDEL key

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "getdel",
    arity: 2,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Returns the string value of a key after deleting the key.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let value = super::get_string(shard, &key)?;
    if value.is_some() {
        shard.delete(&key);
    }
    Ok(value.map_or(Reply::Nil, Reply::Bulk))
}
