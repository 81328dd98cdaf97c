//! MSET key value [key value ...] and MSETNX.

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

use super::set::{TtlChange, store};

pub const MSET: CommandSpec = CommandSpec {
    name: "mset",
    arity: -3,
    flags: &["write", "denyoom"],
    keys: (1, -1, 2),
    group: "string",
    summary: "Atomically creates or modifies the string values of one or more keys.",
    handler: Handler::Data(run_mset),
};

pub const MSETNX: CommandSpec = CommandSpec {
    name: "msetnx",
    summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.",
    handler: Handler::Data(run_msetnx),
    ..MSET
};

fn pairs(args: &mut Args, name: &str) -> Result<Vec<(bytes::Bytes, bytes::Bytes)>, ReplyError> {
    let rest = args.rest();
    if rest.len() % 2 != 0 {
        return Err(ReplyError::wrong_arity(name));
    }
    Ok(rest.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
}

fn run_mset(args: &mut Args, shard: &mut Shard) -> CmdResult {
    for (k, v) in pairs(args, "mset")? {
        store(shard, &k, v, TtlChange::Clear);
    }
    Ok(Reply::Ok)
}

fn run_msetnx(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let pairs = pairs(args, "msetnx")?;
    if pairs.iter().any(|(k, _)| shard.lookup(k, Access::Read).is_some()) {
        return Ok(Reply::Int(0));
    }
    for (k, v) in pairs {
        store(shard, &k, v, TtlChange::Clear);
    }
    Ok(Reply::Int(1))
}
