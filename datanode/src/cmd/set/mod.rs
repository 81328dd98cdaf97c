//! Set commands (SEMANTICS.md §5): an observed-remove set where adds win over concurrent
//! removals.

mod sadd;
mod scard;
mod sdiff;
mod sinter;
mod sintercard;
mod sismember;
mod smembers;
mod smove;
mod spop;
mod srandmember;
mod srem;
mod sscan;
mod sunion;

pub mod random;

#[cfg(test)]
mod conflicts;

use bytes::Bytes;

use super::util::{read_kind, write_one};
use super::{CommandSpec, ReplyError};
use crate::crdt::orset::OrSet;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const COMMANDS: &[CommandSpec] = &[
    sadd::SPEC,
    scard::SPEC,
    sdiff::SDIFF,
    sdiff::SDIFFSTORE,
    sinter::SINTER,
    sinter::SINTERSTORE,
    sintercard::SPEC,
    sismember::SISMEMBER,
    sismember::SMISMEMBER,
    smembers::SPEC,
    smove::SPEC,
    spop::SPEC,
    srandmember::SPEC,
    srem::SPEC,
    sscan::SPEC,
    sunion::SUNION,
    sunion::SUNIONSTORE,
];

/// The set under `key`: `None` if missing, WRONGTYPE if another type.
pub fn read_set<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a OrSet>, ReplyError> {
    match read_kind(shard, key, Kind::Set)? {
        Some(Content::Set(set)) => Ok(Some(set)),
        _ => Ok(None),
    }
}

/// The set content of an entry, visible or not (what a write observes).
pub fn set_in(entry: Option<&Entry>) -> Option<&OrSet> {
    match entry?.content(Kind::Set)? {
        Content::Set(set) => Some(set),
        _ => None,
    }
}

/// The sets under `keys` (`None` = missing, read as empty), or WRONGTYPE if any key holds
/// another type, checked for every key as Redis 7 does.
pub fn load_sets<'a>(shard: &'a mut Shard, keys: &[Bytes]) -> Result<Vec<Option<&'a OrSet>>, ReplyError> {
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        found.push(read_set(shard, key)?.is_some());
    }
    // Every read is done (and any expired key dealt with): borrow the sets together.
    let shard: &'a Shard = shard;
    Ok(keys
        .iter()
        .zip(found)
        .map(|(key, found)| {
            let content = shard.keyspace().get(key).and_then(Entry::visible).filter(|_| found);
            match content {
                Some(Content::Set(set)) => Some(&**set),
                _ => None,
            }
        })
        .collect())
}

/// A set reply (RESP3 set, RESP2 array), sorted so every region answers alike.
pub fn set_reply(mut members: Vec<Bytes>) -> Reply {
    members.sort_unstable();
    Reply::Set(members.into_iter().map(Reply::Bulk).collect())
}

/// Removes `members` (all present, no repeats) from the set under `key` in one commit. A set
/// left empty is gone, TTL included, as in Redis.
pub fn remove_members(shard: &mut Shard, key: &Bytes, members: &[Bytes]) {
    write_one(shard, key, Kind::Set, |_, entry, part, observed| {
        let current = set_in(entry);
        let mut delta = OrSet::default();
        for member in members {
            if let Some(set) = current {
                set.observed_member(member, observed);
            }
            delta.remove_delta(member.clone());
        }
        if current.is_none_or(|s| s.len() <= members.len()) {
            if let Some(e) = entry {
                e.ttl.observed(observed);
            }
        }
        part.contents.push(Content::Set(Box::new(delta)));
    });
}

/// Stores `members` as the whole set under `dst` (S*STORE): a DEL of `dst` plus the adds, in
/// one commit (SEMANTICS.md §5). An empty result only deletes. Returns the count stored.
pub fn store(shard: &mut Shard, dst: &Bytes, members: Vec<Bytes>) -> usize {
    let stored = members.len();
    let mut delta = Delta::new();
    shard.delete_delta(dst, &mut delta);
    if members.is_empty() && delta.is_empty() {
        return 0;
    }
    let tag = shard.mint();
    delta.observe([tag.dot]);
    if !members.is_empty() {
        let mut set = OrSet::default();
        for member in members {
            set.insert_delta(member, tag);
        }
        delta.put(dst.clone(), Entry::with(Content::Set(Box::new(set))));
    }
    shard.commit(delta);
    stored
}
