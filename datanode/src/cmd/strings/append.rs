//! APPEND key value: rewrites the whole value (LWW with concurrent writes, SEMANTICS.md §2).

use bytes::{Bytes, BytesMut};

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

use super::set::{TtlChange, store_string};

pub const SPEC: CommandSpec = CommandSpec {
    name: "append",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let suffix = args.bytes()?;
    let old = super::get_string(shard, &key)?.unwrap_or_default();
    super::check_length(old.len() as u64, suffix.len() as u64)?;
    let mut value = BytesMut::with_capacity(old.len() + suffix.len());
    value.extend_from_slice(&old);
    value.extend_from_slice(&suffix);
    let len = value.len();
    store_string(shard, &key, Bytes::from(value), TtlChange::Keep);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn appends() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["APPEND", "k", "ab"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["APPEND", "k", "c"]), Reply::Int(3));
    }
}
