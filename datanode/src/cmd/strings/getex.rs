//! GETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST]

use bytes::Bytes;

use crate::cmd::util::{ExpireUnit, deadline, set_ttl, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::keyspace::entry::Kind;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "getex",
    arity: -2,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "string",
    summary: "Returns the string value of a key after setting its expiration time.",
    handler: Handler::Data(run),
};

enum Change {
    None,
    Persist,
    At(u64),
}

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key: Bytes = args.bytes()?;
    let mut change = Change::None;
    while let Some(opt) = args.next() {
        let unit = match &opt.to_ascii_uppercase()[..] {
            b"PERSIST" if matches!(change, Change::None) => {
                change = Change::Persist;
                continue;
            }
            b"EX" if matches!(change, Change::None) => ExpireUnit::Secs,
            b"PX" if matches!(change, Change::None) => ExpireUnit::Millis,
            b"EXAT" if matches!(change, Change::None) => ExpireUnit::AtSecs,
            b"PXAT" if matches!(change, Change::None) => ExpireUnit::AtMillis,
            _ => return Err(ReplyError::syntax()),
        };
        let n = args.int()?;
        change = Change::At(deadline(unit, n, shard.now(), "getex", false)?);
    }
    let Some(value) = super::get_string(shard, &key)? else { return Ok(Reply::Nil) };
    match change {
        Change::None => {}
        Change::At(at) if at <= shard.now() => {
            shard.delete(&key);
        }
        Change::At(at) => write_one(shard, &key, Kind::Str, |tag, entry, part, observed| {
            set_ttl(entry, tag, Some(at), part, observed)
        }),
        Change::Persist => {
            let has_ttl = shard.keyspace().get(&key).is_some_and(|e| e.ttl.deadline().is_some());
            if has_ttl {
                write_one(shard, &key, Kind::Str, |tag, entry, part, observed| {
                    set_ttl(entry, tag, None, part, observed)
                });
            }
        }
    }
    Ok(Reply::Bulk(value))
}
