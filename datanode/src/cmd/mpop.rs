//! The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share, read in Redis's order so a command
//! with two faults gets Redis's error: `numkeys key [key ...] <side> [COUNT count]`, and the
//! blocking forms' timeout, first on the line but read last.

use bytes::Bytes;

use super::format::{parse_int, parse_timeout};
use super::{Args, Blocked, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

/// What to pop: from the first of `keys` that has elements, up to `count` from `side`.
pub struct MultiPop<S> {
    pub keys: Vec<Bytes>,
    pub side: S,
    pub count: usize,
}

/// Reads `numkeys key [key ...] <side> [COUNT count]`; `side` reads the side word.
pub fn parse<S>(args: &mut Args, side: impl FnOnce(&[u8]) -> Result<S, ReplyError>) -> Result<MultiPop<S>, ReplyError> {
    let numkeys = parse_int(&args.bytes()?)
        .filter(|n| *n > 0)
        .ok_or_else(|| ReplyError::new("ERR numkeys should be greater than 0"))?;
    // The keys and the side must all be there.
    if numkeys >= args.remaining() as i64 {
        return Err(ReplyError::syntax());
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| args.next()).collect();
    let side = side(&args.bytes()?)?;
    let mut count = None;
    while !args.is_empty() {
        if count.is_none() && args.remaining() > 1 && args.eat("count") {
            let n = parse_int(&args.bytes()?)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| ReplyError::new("ERR count should be greater than 0"))?;
            count = Some(n);
        } else {
            return Err(ReplyError::syntax());
        }
    }
    Ok(MultiPop { keys, side, count: count.unwrap_or(1) })
}

/// The blocking form: `timeout` then the arguments above; the reply of `attempt`, or a wait
/// on every key that times out with a nil array.
pub fn blocking<S>(
    args: &mut Args,
    shard: &mut Shard,
    side: impl FnOnce(&[u8]) -> Result<S, ReplyError>,
    attempt: impl FnOnce(&mut Shard, &MultiPop<S>) -> Result<Option<Reply>, ReplyError>,
) -> Result<Blocked, ReplyError> {
    let timeout = args.bytes()?;
    let req = parse(args, side)?;
    let timeout_ms = parse_timeout(&timeout)?;
    Ok(match attempt(shard, &req)? {
        Some(reply) => Blocked::Reply(reply),
        None => Blocked::Wait { keys: req.keys, timeout_ms, on_timeout: Reply::NilArray },
    })
}
