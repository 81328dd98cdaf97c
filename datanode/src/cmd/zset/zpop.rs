//! ZPOPMIN key [count], ZPOPMAX key [count]: the lowest (highest) members as this region
//! sees them, removed in one write. Two regions popping concurrently may both return the same
//! member; it is removed once (SEMANTICS.md §6).

use bytes::Bytes;

use super::{Change, Scored, commit_changes, scored_reply, spec, zset_for_write};
use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, ReplyError};
use crate::crdt::zset::Score;
use crate::resp::Reply;
use crate::shard::Shard;

pub const ZPOPMIN: CommandSpec = spec(
    "zpopmin",
    -2,
    &["write", "fast"],
    (1, 1, 1),
    "Remove and return members with the lowest scores in a sorted set",
    run_zpopmin,
);

pub const ZPOPMAX: CommandSpec = spec(
    "zpopmax",
    -2,
    &["write", "fast"],
    (1, 1, 1),
    "Remove and return members with the highest scores in a sorted set",
    run_zpopmax,
);

fn run_zpopmin(args: &mut Args, shard: &mut Shard) -> CmdResult {
    pop(args, shard, false)
}

fn run_zpopmax(args: &mut Args, shard: &mut Shard) -> CmdResult {
    pop(args, shard, true)
}

fn pop(args: &mut Args, shard: &mut Shard, max: bool) -> CmdResult {
    let key = args.bytes()?;
    if args.remaining() > 1 {
        return Err(ReplyError::syntax());
    }
    let given = args.next();
    let count = match &given {
        None => 1,
        Some(c) => {
            let n = parse_int(c)
                .filter(|n| *n >= 0)
                .ok_or_else(|| ReplyError::new("ERR value is out of range, must be positive"))?;
            usize::try_from(n).unwrap_or(usize::MAX)
        }
    };
    let Some(popped) = pop_members(shard, &key, max, count)? else { return Ok(Reply::Array(Vec::new())) };
    if given.is_none() {
        // Without a count Redis 7.0 sends [member, score] flat in RESP3 too.
        return Ok(Reply::Array(popped.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)]).collect()));
    }
    Ok(scored_reply(popped, true))
}

/// Removes up to `count` of the lowest (highest, if `max`) members in one write, and returns
/// them with their scores; `None` when there is no sorted set under `key` (or `count` is 0),
/// WRONGTYPE when the key holds another type. Every ZPOP-like command pops through here.
pub fn pop_members(shard: &mut Shard, key: &Bytes, max: bool, count: usize) -> Result<Option<Vec<Scored>>, ReplyError> {
    let Some(z) = zset_for_write(shard, key)?.filter(|_| count > 0) else { return Ok(None) };
    let pair = |(s, m): &(Score, Bytes)| (m.clone(), s.0);
    let popped: Vec<Scored> = if max {
        z.ordered().rev().take(count).map(pair).collect()
    } else {
        z.ordered().take(count).map(pair).collect()
    };
    commit_changes(shard, key, popped.iter().map(|(m, _)| (m.clone(), Change::Remove)).collect());
    Ok(Some(popped))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    fn flat(items: &[(&str, f64)]) -> Reply {
        Reply::Array(items.iter().flat_map(|(m, s)| [Reply::text(m), Reply::Double(*s)]).collect())
    }

    fn with_scores(items: &[(&str, f64)]) -> Reply {
        Reply::Pairs(items.iter().map(|(m, s)| (Reply::text(m), Reply::Double(*s))).collect())
    }

    #[test]
    fn pops() {
        let mut s = shard();
        run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(run(&mut s, &["ZPOPMIN", "z"]), flat(&[("a", 1.0)]));
        assert_eq!(run(&mut s, &["ZPOPMAX", "z"]), flat(&[("d", 4.0)]));
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["ZPOPMAX", "z", "1"]), with_scores(&[("c", 3.0)]));
        assert_eq!(run(&mut s, &["ZADD", "z", "5", "e"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["ZPOPMAX", "z", "10"]), with_scores(&[("e", 5.0), ("b", 2.0)]));
        assert_eq!(s.dbsize(), 0);
        assert_eq!(run(&mut s, &["ZPOPMIN", "z"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "3"]), Reply::Array(vec![]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "str", "x"]);
        let range = Reply::error("ERR value is out of range, must be positive");
        assert_eq!(run(&mut s, &["ZPOPMIN", "str", "-1"]), range);
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "x"]), range);
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "1", "2"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "x", "2"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["ZPOPMAX", "str"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["ZPOPMAX", "str", "0"]), Reply::from(ReplyError::wrongtype()));
    }
}
