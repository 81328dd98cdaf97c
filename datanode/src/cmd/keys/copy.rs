//! COPY source destination [DB db] [REPLACE]: writes dst freshly (SEMANTICS.md §10).

use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::keyspace::delta::Delta;
use crate::keyspace::slot_of;
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "copy",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, 2, 1),
    group: "generic",
    summary: "Copies the value of a key to a new key.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let src = args.bytes()?;
    let dst = args.bytes()?;
    let mut replace = false;
    while let Some(opt) = args.next() {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") {
            match parse_int(&args.bytes()?) {
                Some(0) => {}
                Some(_) => {
                    return Err(ReplyError::new("ERR Copying to another database is not allowed in cluster mode"));
                }
                None => return Err(ReplyError::not_integer()),
            }
        } else {
            return Err(ReplyError::syntax());
        }
    }
    if slot_of(&src) != slot_of(&dst) {
        return Err(ReplyError::crossslot());
    }
    if src == dst {
        return Err(ReplyError::new("ERR source and destination objects are the same"));
    }
    let Some(entry) = shard.lookup(&src, Access::Read) else { return Ok(Reply::Int(0)) };
    let Some(content) = entry.visible().cloned() else { return Ok(Reply::Int(0)) };
    let deadline = entry.ttl.deadline().map(|(d, _)| d);
    if !replace && shard.lookup(&dst, Access::Write).is_some() {
        return Ok(Reply::Int(0));
    }
    let mut delta = Delta::new();
    super::rename::overwrite(shard, &mut delta, &dst, &content, deadline);
    shard.commit(delta);
    Ok(Reply::Int(1))
}
