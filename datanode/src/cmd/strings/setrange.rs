//! SETRANGE key offset value

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::set::{TtlChange, store_string};

pub const SPEC: CommandSpec = CommandSpec {
    name: "setrange",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    handler: Handler::Data(run),
};

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
    super::check_length(offset as u64, patch.len() as u64)?;
    let mut value = old.map(|v| v.to_vec()).unwrap_or_default();
    // Both fit in 512 MB now.
    let start = offset as usize;
    let end = start + patch.len();
    if value.len() < end {
        value.resize(end, 0);
    }
    if let Some(dst) = value.get_mut(start..end) {
        dst.copy_from_slice(&patch);
    }
    let len = value.len();
    store_string(shard, &key, Bytes::from(value), TtlChange::Keep);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn limits_as_redis() {
        let mut s = shard();
        let too_big = Reply::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(run(&mut s, &["SETRANGE", "k", "536870912", "x"]), too_big);
        // Issue 13: an offset near i64::MAX overflowed the size check.
        assert_eq!(run(&mut s, &["SETRANGE", "k", "9223372036854775807", "x"]), too_big);
        assert_eq!(run(&mut s, &["SETRANGE", "k", "-1", "x"]), Reply::error("ERR offset is out of range"));
        assert_eq!(run(&mut s, &["SETRANGE", "k", "2", "x"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("\0\0x"));
    }
}
