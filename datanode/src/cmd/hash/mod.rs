//! Hash commands (SEMANTICS.md §4): an observed-remove map of fields, each field a register
//! plus a counter that reads like a string value. A field with no live content is invisible.

mod hdel;
mod hexists;
mod hget;
mod hgetall;
mod hincrby;
mod hincrbyfloat;
mod hlen;
mod hmget;
mod hrandfield;
mod hscan;
mod hset;
mod hsetnx;
mod hstrlen;

#[cfg(test)]
pub(crate) mod conflicts;

use bytes::Bytes;

use super::strings::string_bytes;
use super::util::{check_write, read_kind, write_one};
use super::{CommandSpec, ReplyError};
use crate::crdt::cell::Cell;
use crate::crdt::ormap::OrMap;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::shard::Shard;

pub use hscan::scan_reply;

pub const COMMANDS: &[CommandSpec] = &[
    hdel::SPEC,
    hexists::SPEC,
    hget::SPEC,
    hgetall::HGETALL,
    hgetall::HKEYS,
    hgetall::HVALS,
    hincrby::SPEC,
    hincrbyfloat::SPEC,
    hlen::SPEC,
    hmget::SPEC,
    hrandfield::SPEC,
    hscan::SPEC,
    hset::HSET,
    hset::HMSET,
    hsetnx::SPEC,
    hstrlen::SPEC,
];

/// The hash under `key`: `None` if missing, WRONGTYPE if another type.
pub fn read_hash<'a>(shard: &'a mut Shard, key: &[u8]) -> Result<Option<&'a OrMap<Bytes>>, ReplyError> {
    match read_kind(shard, key, Kind::Hash)? {
        Some(Content::Hash(map)) => Ok(Some(map)),
        _ => Ok(None),
    }
}

/// The hash content of an entry, visible or not (what a write observes).
pub fn hash_in(entry: Option<&Entry>) -> Option<&OrMap<Bytes>> {
    match entry?.content(Kind::Hash)? {
        Content::Hash(map) => Some(map),
        _ => None,
    }
}

/// The value `field` reads as, if it is live.
pub fn field_value(map: &OrMap<Bytes>, field: &[u8]) -> Option<Bytes> {
    map.get(field).filter(|c| c.is_live()).map(string_bytes)
}

/// The live fields in field order: HKEYS, HVALS and HGETALL must agree on one order, and a
/// sorted one makes replies the same in every region.
pub fn live_fields(map: &OrMap<Bytes>) -> impl Iterator<Item = (&Bytes, &Cell<Bytes>)> {
    map.sorted().into_iter().filter(|(_, c)| c.is_live())
}

/// The cell of `field` in the hash under `key`, about to be written (empty if missing);
/// WRONGTYPE if the key holds another type.
fn cell_for_write(shard: &mut Shard, key: &[u8], field: &[u8]) -> Result<Cell<Bytes>, ReplyError> {
    let entry = check_write(shard, key, Kind::Hash)?;
    Ok(hash_in(entry).and_then(|m| m.get(field)).cloned().unwrap_or_default())
}

/// Commits one increment of `field`'s counter (`cell` as read for the write).
fn increment(shard: &mut Shard, key: &Bytes, field: Bytes, cell: &Cell<Bytes>, int: i128, float: f64, is_float: bool) {
    write_one(shard, key, Kind::Hash, |tag, _, part, _| {
        let mut delta = OrMap::default();
        delta.put_delta(field, cell.increment_delta(tag, int, float, is_float));
        part.contents.push(Content::Hash(Box::new(delta)));
    });
}
