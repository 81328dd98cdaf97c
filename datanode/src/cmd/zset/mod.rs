//! Sorted set commands (SEMANTICS.md §6): an observed-remove map of members whose score is
//! a register (ZADD) plus a counter (ZINCRBY), read through an index ordered by
//! (score, member).

mod bzpop;
mod ranges;
mod score;
mod zadd;
mod zcard;
mod zcount;
mod zmpop;
mod zpop;
mod zrandmember;
mod zrange;
mod zrank;
mod zrem;
mod zremrange;
mod zscan;
mod zscore;
mod zsetop;

#[cfg(test)]
mod conflicts;

use bytes::Bytes;

use super::util::{check_write, read_kind, write_one};
use super::{CommandSpec, DataFn, Handler, ReplyError};
use crate::crdt::cell::Cell;
use crate::crdt::zset::ZSet;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub use ranges::Scored;
pub use score::parse_score;

pub const COMMANDS: &[CommandSpec] = &[
    zadd::ZADD,
    zadd::ZINCRBY,
    zcard::SPEC,
    zcount::ZCOUNT,
    zcount::ZLEXCOUNT,
    zpop::ZPOPMIN,
    zpop::ZPOPMAX,
    zmpop::ZMPOP,
    zmpop::BZMPOP,
    bzpop::BZPOPMIN,
    bzpop::BZPOPMAX,
    zrandmember::SPEC,
    zrange::ZRANGE,
    zrange::ZRANGEBYSCORE,
    zrange::ZREVRANGEBYSCORE,
    zrange::ZRANGEBYLEX,
    zrange::ZREVRANGEBYLEX,
    zrange::ZREVRANGE,
    zrange::ZRANGESTORE,
    zrank::ZRANK,
    zrank::ZREVRANK,
    zrem::SPEC,
    zremrange::ZREMRANGEBYRANK,
    zremrange::ZREMRANGEBYSCORE,
    zremrange::ZREMRANGEBYLEX,
    zscan::SPEC,
    zscore::ZSCORE,
    zscore::ZMSCORE,
    zsetop::ZUNION,
    zsetop::ZINTER,
    zsetop::ZDIFF,
    zsetop::ZUNIONSTORE,
    zsetop::ZINTERSTORE,
    zsetop::ZDIFFSTORE,
];

/// A data command of this family (Redis's COMMAND DOCS group "sorted-set").
const fn spec(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    keys: (i32, i32, i32),
    summary: &'static str,
    run: DataFn,
) -> CommandSpec {
    CommandSpec { name, arity, flags, keys, group: "sorted-set", summary, handler: Handler::Data(run) }
}

/// The sorted set under `key` for a read: `None` if missing, WRONGTYPE if another type.
pub fn read_zset<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a ZSet>, ReplyError> {
    Ok(read_kind(shard, key, Kind::ZSet)?.and_then(as_zset))
}

/// The sorted set under `key` as a write about to happen sees it (an expired key is deleted
/// first): `None` if there is none, WRONGTYPE if the key holds another type.
pub fn zset_for_write<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a ZSet>, ReplyError> {
    Ok(check_write(shard, key, Kind::ZSet)?.and_then(|e| e.content(Kind::ZSet)).and_then(as_zset))
}

fn as_zset(c: &Content) -> Option<&ZSet> {
    match c {
        Content::ZSet(z) => Some(z),
        _ => None,
    }
}

/// What a write does to one member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// ZADD: the score register is written and the increments seen are reset.
    Set(f64),
    /// ZINCRBY, ZADD INCR: an increment of the score counter.
    Incr(f64),
    /// ZREM and friends: the member's atoms seen are removed.
    Remove,
}

/// Commits `changes` to the sorted set under `key` as one write (nothing if empty). The
/// caller has checked the key's type.
pub fn commit_changes(shard: &mut Shard, key: &Bytes, changes: Vec<(Bytes, Change)>) {
    if changes.is_empty() {
        return;
    }
    write_one(shard, key, Kind::ZSet, |tag, entry, part, observed| {
        let current = entry.and_then(|e| e.content(Kind::ZSet)).and_then(as_zset);
        let empty = Cell::default();
        let mut delta = ZSet::default();
        for (member, change) in changes {
            let old = current.and_then(|z| z.cell(&member)).unwrap_or(&empty);
            let cell = match change {
                Change::Set(score) => {
                    old.observed(observed);
                    old.write_delta(tag, score)
                }
                Change::Incr(by) => old.increment_delta(tag, 0, by, true),
                Change::Remove => {
                    old.observed(observed);
                    old.remove_delta()
                }
            };
            delta.put_delta(member, cell);
        }
        part.contents.push(Content::ZSet(Box::new(delta)));
    });
}

/// The current score of `member` under `key`, read without counting a keyspace hit.
pub fn score_now(shard: &Shard, key: &[u8], member: &[u8]) -> Option<f64> {
    shard.keyspace().get(key)?.content(Kind::ZSet).and_then(as_zset)?.score(member)
}

/// Z*STORE: replaces whatever `dst` held (any type, and its TTL) with `items`, in one
/// commit (SEMANTICS.md §6: a store is DEL dst + adds). Returns how many members it holds.
pub fn store(shard: &mut Shard, dst: &Bytes, items: Vec<Scored>) -> usize {
    let mut delta = Delta::new();
    shard.delete_delta(dst, &mut delta);
    if items.is_empty() && delta.is_empty() {
        return 0;
    }
    let tag = shard.mint();
    delta.observe([tag.dot]);
    let stored = items.len();
    if !items.is_empty() {
        let fresh = Cell::default();
        let mut z = ZSet::default();
        for (member, score) in items {
            z.put_delta(member, fresh.write_delta(tag, score));
        }
        delta.put(dst.clone(), Entry::with(Content::ZSet(Box::new(z))));
    }
    shard.commit(delta);
    stored
}

/// Members, with their scores if `withscores`: flat in RESP2, [member, score] pairs in RESP3,
/// as Redis 7.0 sends them.
pub fn scored_reply(items: Vec<Scored>, withscores: bool) -> Reply {
    if withscores {
        Reply::Pairs(items.into_iter().map(|(m, s)| (Reply::Bulk(m), Reply::Double(s))).collect())
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{run, shard};

    #[test]
    fn every_command_is_registered_once() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        assert_eq!(before, 34);
    }

    #[test]
    fn a_store_replaces_any_type_and_the_ttl() {
        let mut s = shard();
        run(&mut s, &["SET", "d", "x", "EX", "100"]);
        let n = store(&mut s, &Bytes::from_static(b"d"), vec![(Bytes::from_static(b"m"), 1.5)]);
        assert_eq!(n, 1);
        assert_eq!(run(&mut s, &["ZSCORE", "d", "m"]), Reply::Double(1.5));
        assert_eq!(s.keyspace().get(&b"d"[..]).and_then(|e| e.ttl.deadline()), None);
        assert_eq!(store(&mut s, &Bytes::from_static(b"d"), Vec::new()), 0);
        assert_eq!(s.dbsize(), 0);
    }
}
