//! Routing by slot: a peer's delta or snapshot chunk, split into the parts for each local
//! shard, so two regions may have different shard counts. Pure.

use bytes::Bytes;
use meridian_datanode::keyspace::delta::Delta;
use meridian_datanode::keyspace::entry::Entry;
use meridian_datanode::keyspace::slot::{SlotRange, slot_of};

/// The index of the local shard (sorted, covering every slot) that owns `slot`.
pub fn shard_of(ranges: &[SlotRange], slot: u16) -> usize {
    ranges.partition_point(|r| r.end < slot).min(ranges.len().saturating_sub(1))
}

/// Splits a delta by owning shard. Each part keeps all of the delta's dots: a shard that
/// claims dots of keys it does not own loses nothing, since its context is only ever used
/// for its own slots, and the dots of one delta are never split between two of its parts.
pub fn split_delta(ranges: &[SlotRange], delta: Delta) -> Vec<(usize, Delta)> {
    let mut parts: Vec<(usize, Delta)> = Vec::new();
    let Delta { dots, entries, ctx, minted, applied, merge_ctx } = delta;
    for (key, entry) in entries {
        let shard = shard_of(ranges, slot_of(&key));
        match parts.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, d)) => d.entries.push((key, entry)),
            None => {
                let part = Delta {
                    dots: dots.clone(),
                    entries: vec![(key, entry)],
                    ctx: ctx.clone(),
                    minted,
                    applied: applied.clone(),
                    merge_ctx,
                };
                parts.push((shard, part));
            }
        }
    }
    parts
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

/// The intersection of two slot ranges.
pub fn intersect(a: SlotRange, b: SlotRange) -> Option<SlotRange> {
    let start = a.start.max(b.start);
    let end = a.end.min(b.end);
    (start <= end).then_some(SlotRange { start, end })
}

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
