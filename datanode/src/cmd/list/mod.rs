//! List commands (SEMANTICS.md §8): a list is a sequence of elements, each with its own
//! identity and a dense position (`crdt::list`). Pushes take a run of positions in one gap,
//! removals (pops, LREM, LTRIM) are observed removes of the elements seen, LSET writes one
//! element's value register.

mod blmove;
mod bpop;
mod lindex;
mod linsert;
mod llen;
mod lmove;
mod lmpop;
mod lpos;
mod lrange;
mod lrem;
mod lset;
mod ltrim;
mod pop;
mod push;

#[cfg(test)]
mod conflicts;

use bytes::Bytes;

use super::args::is;
use super::util::{check_write, read_kind, write_one};
use super::{CommandSpec, ReplyError};
use crate::crdt::list::{Elem, List, Pos};
use crate::crdt::{Dot, Tag};
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::shard::Shard;

pub const COMMANDS: &[CommandSpec] = &[
    blmove::BLMOVE,
    blmove::BRPOPLPUSH,
    bpop::BLPOP,
    bpop::BRPOP,
    lindex::SPEC,
    linsert::SPEC,
    llen::SPEC,
    lmove::LMOVE,
    lmove::RPOPLPUSH,
    lmpop::LMPOP,
    lmpop::BLMPOP,
    lpos::SPEC,
    lrange::SPEC,
    lrem::SPEC,
    lset::SPEC,
    ltrim::SPEC,
    pop::LPOP,
    pop::RPOP,
    push::LPUSH,
    push::RPUSH,
    push::LPUSHX,
    push::RPUSHX,
];

/// An end of a list: LEFT is the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// `LEFT` or `RIGHT`, any case; anything else is a syntax error.
    pub fn parse(arg: &[u8]) -> Result<End, ReplyError> {
        if is(arg, "left") {
            Ok(End::Left)
        } else if is(arg, "right") {
            Ok(End::Right)
        } else {
            Err(ReplyError::syntax())
        }
    }
}

/// The list content of an entry, visible or not (callers have checked the type).
pub fn list_in(entry: Option<&Entry>) -> Option<&List> {
    match entry?.content(Kind::List)? {
        Content::List(l) => Some(l),
        _ => None,
    }
}

/// The list under `key` for a read: `None` if missing, WRONGTYPE if another type.
pub fn read_list<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a List>, ReplyError> {
    match read_kind(shard, key, Kind::List)? {
        Some(Content::List(l)) => Ok(Some(l)),
        _ => Ok(None),
    }
}

/// Puts the removal of one element into a delta list and covers every atom it had.
pub fn remove(delta: &mut List, pos: &Pos, elem: &Elem, observed: &mut Vec<Dot>) {
    elem.observed(observed);
    delta.remove_delta(pos.clone());
}

/// `util::write_one` for lists, with `fresh` tags instead of one: each new element gets a
/// dot of its own, so a removal of one element never names a sibling pushed by the same
/// command, whatever order deltas reach a replica in. `build` fills the delta list.
pub fn write_list<R>(
    shard: &mut Shard,
    key: &Bytes,
    fresh: usize,
    build: impl FnOnce(&[Tag], Option<&Entry>, &mut List, &mut Vec<Dot>) -> R,
) -> R {
    let mut delta = Delta::new();
    shard.prepare_write(key, Kind::List, &mut delta);
    let tags: Vec<Tag> = (0..fresh.max(1)).map(|_| shard.mint()).collect();
    let mut observed: Vec<Dot> = tags.iter().map(|t| t.dot).collect();
    let mut list = List::default();
    let r = build(&tags, shard.keyspace().get(key), &mut list, &mut observed);
    delta.observe(observed);
    delta.put(key.clone(), Entry::with(Content::List(Box::new(list))));
    shard.commit(delta);
    r
}

/// Pops up to `count` (≥ 1) elements from `end` of the list under `key` as one write, in
/// pop order; `None` if the key is missing.
pub fn pop(shard: &mut Shard, key: &Bytes, end: End, count: usize) -> Result<Option<Vec<Bytes>>, ReplyError> {
    if check_write(shard, key, Kind::List)?.and_then(|e| list_in(Some(e))).is_none_or(List::is_empty) {
        return Ok(None);
    }
    let values = write_one(shard, key, Kind::List, |_, entry, part, observed| {
        let mut delta = List::default();
        let mut values = Vec::new();
        if let Some(list) = list_in(entry) {
            let picked: Vec<(&Pos, &Elem)> = match end {
                End::Left => list.iter().take(count).collect(),
                End::Right => list.iter().rev().take(count).collect(),
            };
            for (pos, elem) in &picked {
                remove(&mut delta, pos, elem, observed);
                values.push(elem.bytes());
            }
        }
        part.contents.push(Content::List(Box::new(delta)));
        values
    });
    Ok(Some(values))
}

/// Redis's list index (negative counts from the tail), if it falls inside the list.
pub fn index(len: usize, i: i64) -> Option<usize> {
    let len = len as i64;
    let i = if i < 0 { len + i } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// LRANGE/LTRIM bounds clamped as Redis does: the inclusive range, or `None` if empty.
pub fn range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

/// Test support: one attempt of a blocking command, as the session would make it.
#[cfg(test)]
pub fn attempt(shard: &mut Shard, words: &[&str]) -> Result<super::Blocked, ReplyError> {
    let items: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
    let spec = items.first().and_then(|name| super::lookup(name)).ok_or_else(ReplyError::syntax)?;
    match spec.handler {
        super::Handler::Blocking(f) => f(&mut super::Args::new(items), shard),
        _ => Err(ReplyError::syntax()),
    }
}
