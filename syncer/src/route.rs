//! Routing by slot: a peer's delta or full sync, split into the parts for each local shard,
//! so two regions may have different shard counts. Pure.

use bytes::Bytes;
use meridian_datanode::keyspace::delta::Delta;
use meridian_datanode::keyspace::entry::Entry;
use meridian_datanode::keyspace::slot::{SlotRange, slot_of};
use meridian_datanode::node::codec::{crc, decode_delta, decode_entries, encode_delta, encode_entries};
use meridian_datanode::repl::fullsync::FullSync;
use meridian_datanode::repl::stream::{CHUNK_ENTRIES, wire_ranges};
use meridian_proto::{Frame, FullSyncBegin};

use crate::error::Result;

/// A peer's delta as the frames for the local shards owning its keys (`local`: sorted,
/// covering every slot). A delta for one shard travels as it came, without decoding when
/// there is only one shard; one over several is split and each part encoded.
pub fn route_frame(local: &[SlotRange], frame: Frame) -> Result<Vec<(usize, Frame)>> {
    if local.len() <= 1 {
        return Ok(vec![(0, frame)]);
    }
    let parts = split_delta(local, decode_delta(&frame.payload)?);
    if let [(only, _)] = parts.as_slice() {
        return Ok(vec![(*only, frame)]);
    }
    Ok(parts
        .into_iter()
        .map(|(shard, part)| {
            let payload = encode_delta(&part);
            (shard, Frame { crc32: crc(&payload), payload, ..frame.clone() })
        })
        .collect())
}

/// A peer shard's full sync of `ranges` as the full syncs each local shard takes: its
/// slots among `ranges`, and the header and chunks for them. With one local shard concerned
/// the chunks pass as they came; otherwise they are split by owner and chunked again. A
/// full sync that covers only part of a local shard's slots says so (`partial`): the local
/// master then keeps its context as a claim for those slots only (`keyspace::claims`).
pub fn route_full_sync(
    local: &[SlotRange],
    ranges: &[SlotRange],
    full: FullSync,
) -> Result<Vec<(usize, FullSyncBegin, Vec<Frame>)>> {
    let targets: Vec<(usize, Vec<SlotRange>)> = local
        .iter()
        .enumerate()
        .filter_map(|(i, mine)| {
            let parts: Vec<SlotRange> = ranges.iter().filter_map(|r| intersect(*r, *mine)).collect();
            (!parts.is_empty()).then_some((i, parts))
        })
        .collect();
    let begin_for = |i: usize, parts: &[SlotRange]| FullSyncBegin {
        ranges: wire_ranges(parts),
        partial: local.get(i).is_none_or(|mine| parts != [*mine]),
        ..full.begin.clone()
    };
    if let [(i, parts)] = targets.as_slice() {
        return Ok(vec![(*i, begin_for(*i, parts), full.chunks)]);
    }
    let mut per_shard: Vec<Vec<(Bytes, Entry)>> = vec![Vec::new(); local.len()];
    for chunk in &full.chunks {
        for (i, part) in split_entries(local, decode_entries(&chunk.payload)?).into_iter().enumerate() {
            if let Some(v) = per_shard.get_mut(i) {
                v.extend(part);
            }
        }
    }
    Ok(targets
        .iter()
        .map(|(i, parts)| {
            let entries = per_shard.get(*i).map(Vec::as_slice).unwrap_or_default();
            let chunks = entries
                .chunks(CHUNK_ENTRIES)
                .map(|c| {
                    let payload = encode_entries(c);
                    Frame { crc32: crc(&payload), payload, ..Frame::default() }
                })
                .collect();
            (*i, begin_for(*i, parts), chunks)
        })
        .collect())
}

/// The index of the local shard (sorted, covering every slot) that owns `slot`.
pub fn shard_of(ranges: &[SlotRange], slot: u16) -> usize {
    ranges.partition_point(|r| r.end < slot).min(ranges.len().saturating_sub(1))
}

/// Splits a delta by owning shard: each part with its keys and their dots, marked `split`
/// when there are several (see `Delta::split_by`).
pub fn split_delta(ranges: &[SlotRange], delta: Delta) -> Vec<(usize, Delta)> {
    delta.split_by(|key| shard_of(ranges, slot_of(key)))
}

/// Splits snapshot entries by owning shard.
pub fn split_entries(ranges: &[SlotRange], entries: Vec<(Bytes, Entry)>) -> Vec<Vec<(Bytes, Entry)>> {
    let mut out = vec![Vec::new(); ranges.len()];
    for (key, entry) in entries {
        let shard = shard_of(ranges, slot_of(&key));
        if let Some(part) = out.get_mut(shard) {
            part.push((key, entry));
        }
    }
    out
}

pub use meridian_datanode::keyspace::slot::intersect;

#[cfg(test)]
mod tests {
    use super::*;

    fn halves() -> Vec<SlotRange> {
        vec![SlotRange { start: 0, end: 8191 }, SlotRange { start: 8192, end: 16383 }]
    }

    #[test]
    fn keys_go_to_the_shard_owning_their_slot() {
        let r = halves();
        assert_eq!(shard_of(&r, 0), 0);
        assert_eq!(shard_of(&r, 8191), 0);
        assert_eq!(shard_of(&r, 8192), 1);
        assert_eq!(shard_of(&r, 16383), 1);
        assert_eq!(shard_of(&[SlotRange::ALL], 9000), 0);
        // "a" hashes to 15495, "b" to 3300.
        let mut d = Delta::new();
        d.put(Bytes::from_static(b"a"), Entry::default());
        d.put(Bytes::from_static(b"b"), Entry::default());
        let parts = split_delta(&r, d);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().any(|(s, d)| *s == 1 && d.entries[0].0 == "a"));
        assert!(parts.iter().any(|(s, d)| *s == 0 && d.entries[0].0 == "b"));
        let split = split_entries(&r, vec![(Bytes::from_static(b"a"), Entry::default())]);
        assert_eq!((split[0].len(), split[1].len()), (0, 1));
    }

    #[test]
    fn ranges_intersect() {
        let a = SlotRange { start: 0, end: 100 };
        assert_eq!(intersect(a, SlotRange { start: 50, end: 200 }), Some(SlotRange { start: 50, end: 100 }));
        assert_eq!(intersect(a, SlotRange { start: 101, end: 200 }), None);
    }
}
