//! Whole-state transfer: a shard's snapshot (all of it, or some slots), and joining one in.
//! A snapshot is a big delta whose context covers everything its side saw, so joining it
//! also removes what that side removed.

use std::collections::HashSet;

use bytes::Bytes;

use super::Shard;
use crate::crdt::context::CausalContext;
use crate::keyspace::claims::{RangeClaims, SeenAt};
use crate::keyspace::delta::{Delta, Snapshot};
use crate::keyspace::entry::Entry;
use crate::keyspace::slot::{SlotRange, slot_of};

fn in_ranges(ranges: &[SlotRange], key: &[u8]) -> bool {
    let slot = slot_of(key);
    ranges.iter().any(|r| r.contains(slot))
}

/// Every dot an entry holds, counters' included (`observed` leaves those out: a write does
/// not remove increments). A receiver of the record holds these atoms, so it has seen them.
fn every_dot(entry: &Entry, out: &mut Vec<crate::crdt::Dot>) {
    let mut copy = entry.clone();
    copy.for_each_tag_mut(&mut |t| out.push(t.dot));
}

/// Records a key a snapshot changed: its whole new entry, and the dots of what it held
/// before and holds now, as that key's own (`Delta::attributed`).
fn note_change(
    record: &mut Delta,
    observed: &mut Vec<crate::crdt::Dot>,
    key: Bytes,
    before: Option<&Entry>,
    after: Entry,
) {
    let mut dots = Vec::new();
    if let Some(b) = before {
        b.observed(&mut dots);
    }
    every_dot(&after, &mut dots);
    observed.extend_from_slice(&dots);
    record.attributed.push((key.clone(), dots.into()));
    record.put_new(key, after);
}

fn all_slots(ranges: &[SlotRange]) -> bool {
    ranges.contains(&SlotRange::ALL)
}

impl Shard {
    /// The whole state as one delta, for a replica or peer that must catch up in full.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_of(&[SlotRange::ALL])
    }

    /// The keys of some slots, with the shard's whole context.
    pub fn snapshot_of(&self, ranges: &[SlotRange]) -> Snapshot {
        let entries: Vec<(Bytes, Entry)> = if all_slots(ranges) {
            self.keyspace.iter().map(|(k, e)| (Bytes::copy_from_slice(k), e.clone())).collect()
        } else {
            ranges
                .iter()
                .flat_map(|r| r.start..=r.end)
                .flat_map(|slot| self.keyspace.slot(slot))
                .map(|(k, e)| (Bytes::copy_from_slice(k), e.clone()))
                .collect()
        };
        let claims = if all_slots(ranges) { self.claims.clone() } else { self.claims.within(ranges) };
        Snapshot { ctx: self.ctx.clone(), applied: self.applied.clone(), entries, claims }
    }

    /// Joins a whole-state delta: what its side had seen and no longer holds goes here too.
    pub fn apply_snapshot(&mut self, snap: &Snapshot) {
        let _ = self.apply_snapshot_in(&[SlotRange::ALL], snap, false);
    }

    /// Joins a snapshot of the keys of `ranges` (keys of other slots stay as they are).
    /// `partial`: the snapshot holds only some of this shard's slots (a peer shard of another
    /// layout), so its context is kept as a claim for `ranges` (see `keyspace::claims`);
    /// otherwise it becomes this shard's. Returns the delta that records the change: for each
    /// key it changed, the whole new entry and the dots of what it held before, with the
    /// snapshot's context, so replicas that held the same state reach the same one by joining
    /// it as any other delta.
    pub fn apply_snapshot_in(&mut self, ranges: &[SlotRange], snap: &Snapshot, partial: bool) -> Delta {
        let theirs: HashSet<&Bytes> = snap.entries.iter().map(|(k, _)| k).collect();
        let mut record = Delta::new();
        let mut observed = Vec::new();
        let Shard { keyspace, ctx, claims, compact_eagerly, .. } = self;
        let (ctx, claims) = (&*ctx, &*claims);
        fn seen<'a>(ctx: &'a CausalContext, claims: &'a RangeClaims, key: &[u8]) -> SeenAt<'a> {
            SeenAt { ctx, claims, slot: slot_of(key) }
        }
        let absent: Vec<Bytes> = keyspace
            .keys()
            .into_iter()
            .filter(|k| !theirs.contains(k) && (all_slots(ranges) || in_ranges(ranges, k)))
            .collect();
        for key in absent {
            let before = keyspace.get(&key).cloned();
            let after = keyspace.update(&key, |entry| {
                entry.join_absent(&seen(ctx, claims, &key), &seen(&snap.ctx, &snap.claims, &key));
                entry.clone()
            });
            if before.as_ref() != Some(&after) {
                note_change(&mut record, &mut observed, key, before.as_ref(), after);
            }
        }
        for (key, part) in &snap.entries {
            if !all_slots(ranges) && !in_ranges(ranges, key) {
                continue;
            }
            let before = keyspace.get(key).cloned();
            let after = keyspace.update(key, |entry| {
                entry.join(&seen(ctx, claims, key), part, &seen(&snap.ctx, &snap.claims, key), true);
                if *compact_eagerly {
                    entry.compact();
                }
                entry.clone()
            });
            if before.as_ref() != Some(&after) {
                note_change(&mut record, &mut observed, key.clone(), before.as_ref(), after);
            }
        }
        // A partial snapshot's context becomes a claim, not this shard's: the atoms it
        // brought are seen for good all the same (a replica joining the record inserts the
        // same dots, so the two stay alike). A whole one's context covers them.
        if partial {
            for dot in &observed {
                self.ctx.insert(*dot);
            }
        }
        let scope = if partial { ranges.to_vec() } else { Vec::new() };
        let claims = if partial { snap.claims.within(ranges) } else { snap.claims.clone() };
        self.take_context(&snap.ctx, &scope, Some(&claims));
        // Only a snapshot of every slot holds the whole effect of the deltas it applied.
        if all_slots(ranges) {
            self.applied.merge(&snap.applied);
            record.applied = Some(Box::new(snap.applied.clone()));
        }
        self.write_seq += 1;
        for (key, _) in &record.entries {
            self.touched(key);
        }
        record.observe(observed);
        record.ctx = Some(Box::new(snap.ctx.clone()));
        record.merge_ctx = true;
        record.scope = scope;
        record.claims = (!claims.is_empty()).then(|| Box::new(claims));
        record
    }

    /// The shard's context, for a subscriber or a status report.
    pub fn context_clone(&self) -> CausalContext {
        self.ctx.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{execute, run};
    use crate::crdt::ActorId;
    use crate::keyspace::slot::{SlotRange, slot_of};
    use crate::shard::{Identity, Shard};

    fn shard(region: u8) -> Shard {
        Shard::replicated(Identity { region, actor: ActorId(u64::from(region)) })
    }

    /// A snapshot's effect, recorded as a delta, brings a replica that held the same
    /// state to the same digest (this is what a master's replicas receive after the master
    /// joined a peer's full sync).
    #[test]
    fn the_record_of_a_snapshot_replays_on_a_replica() {
        let mut peer = shard(2);
        run(&mut peer, &["SET", "a", "peer"]);
        run(&mut peer, &["SADD", "s", "x", "y"]);
        run(&mut peer, &["HSET", "h", "f", "1", "g", "2"]);
        let mut master = shard(1);
        run(&mut master, &["SET", "b", "mine"]);
        run(&mut master, &["SADD", "s", "z"]);
        let mut replica = shard(1);
        replica.apply_snapshot(&master.snapshot());
        assert_eq!(replica.digest(), master.digest());

        // The peer removes a member the master will have learnt, then sends a snapshot.
        let first = master.apply_snapshot_in(&[SlotRange::ALL], &peer.snapshot(), false);
        replica.apply_remote(&first);
        assert_eq!(replica.digest(), master.digest());
        run(&mut peer, &["SREM", "s", "x"]);
        run(&mut peer, &["HDEL", "h", "g"]);
        run(&mut peer, &["DEL", "a"]);
        let second = master.apply_snapshot_in(&[SlotRange::ALL], &peer.snapshot(), false);
        replica.apply_remote(&second);
        assert_eq!(replica.digest(), master.digest());
        assert_eq!(run(&mut replica, &["SMEMBERS", "s"]), run(&mut master, &["SMEMBERS", "s"]));
        assert_eq!(run(&mut master, &["HGETALL", "h"]), run(&mut peer, &["HGETALL", "h"]));
        assert_eq!(run(&mut master, &["EXISTS", "a", "b"]), crate::resp::Reply::Int(1));
    }

    /// Converged regions have one digest whatever their full syncs were: the claim a
    /// snapshot from a peer of another layout leaves counts only while it says more than the
    /// context (the chaos run found two regions with equal entries and contexts apart by it).
    #[test]
    fn a_claim_the_context_covers_leaves_the_digest_alone() {
        let mut peer = shard(2);
        let set_a = execute(&mut peer, &["SET", "a", "1"]).delta.unwrap();
        let set_b = execute(&mut peer, &["SET", "b", "2"]).delta.unwrap();
        let range = SlotRange { start: slot_of(b"a"), end: slot_of(b"a") };
        let mut by_snapshot = shard(1);
        let _ = by_snapshot.apply_snapshot_in(&[range], &peer.snapshot_of(&[range]), true);
        assert!(!by_snapshot.claims().is_empty());
        let mut a_only = shard(1);
        a_only.apply_remote(&set_a);
        assert_ne!(by_snapshot.digest(), a_only.digest(), "the claim has seen b's dot: it still tells");
        let mut by_stream = shard(1);
        for d in [&set_a, &set_b] {
            by_snapshot.apply_remote(d);
            by_stream.apply_remote(d);
        }
        assert_eq!(by_snapshot.digest(), by_stream.digest());
        // A full sync of every slot keeps the claim (a replica joining its record keeps it
        // too), and the digest still leaves it out.
        let _ = by_snapshot.apply_snapshot_in(&[SlotRange::ALL], &peer.snapshot(), false);
        assert_eq!(by_snapshot.digest(), by_stream.digest());
    }

    /// What a claim says beyond the context is what counts: claims left by full syncs at
    /// different times, which say the same beyond a common context, give one digest.
    #[test]
    fn claims_count_by_what_they_add_to_the_context() {
        let dots = |range: std::ops::RangeInclusive<u64>| {
            let mut c = crate::crdt::CausalContext::new();
            c.insert_range(ActorId(9), *range.start(), *range.end());
            c
        };
        let low = SlotRange { start: 0, end: 8191 };
        let with_claim = |claim: std::ops::RangeInclusive<u64>| {
            let mut s = shard(1);
            s.take_context(&dots(1..=3), &[], None);
            s.take_context(&dots(claim), &[low], None);
            s
        };
        assert_eq!(with_claim(1..=5).digest(), with_claim(4..=5).digest());
        assert_ne!(with_claim(1..=5).digest(), with_claim(1..=4).digest());
        assert_eq!(with_claim(2..=3).digest(), shard_with_context(&dots(1..=3)).digest());
    }

    /// A slot range's digest holds its keys' entries only: shards that hold other keys
    /// besides, or have seen other dots, still agree on it; a difference inside it shows.
    #[test]
    fn a_range_digest_speaks_for_the_range_only() {
        let (a, b) = (slot_of(b"a"), slot_of(b"b"));
        let of_a = SlotRange { start: a, end: a };
        let mut one = shard(1);
        let mut two = shard(2);
        let set_a = execute(&mut one, &["SET", "a", "1"]).delta.unwrap();
        two.apply_remote(&set_a);
        run(&mut two, &["SET", "b", "2"]);
        run(&mut one, &["HSET", "b", "f", "v"]);
        assert_ne!(a, b);
        assert_eq!(one.digest_of(of_a), two.digest_of(of_a));
        assert_ne!(one.digest_of(SlotRange::ALL), two.digest_of(SlotRange::ALL));
        run(&mut two, &["APPEND", "a", "x"]);
        assert_ne!(one.digest_of(of_a), two.digest_of(of_a));
    }

    fn shard_with_context(ctx: &crate::crdt::CausalContext) -> Shard {
        let mut s = shard(1);
        s.take_context(ctx, &[], None);
        s
    }

    /// A snapshot of some slots touches only those slots.
    #[test]
    fn a_partial_snapshot_leaves_other_slots_alone() {
        let mut peer = shard(2);
        run(&mut peer, &["SET", "a", "1"]);
        run(&mut peer, &["SET", "b", "2"]);
        let range = SlotRange { start: slot_of(b"a"), end: slot_of(b"a") };
        let snap = peer.snapshot_of(&[range]);
        assert_eq!(snap.entries.len(), 1);
        let mut mine = shard(1);
        run(&mut mine, &["SET", "b", "local"]);
        let _ = mine.apply_snapshot_in(&[range], &snap, false);
        assert_eq!(run(&mut mine, &["MGET", "a", "b"]), run(&mut mine, &["MGET", "a", "b"]));
        assert_eq!(
            run(&mut mine, &["GET", "b"]),
            crate::resp::Reply::Bulk(bytes::Bytes::from_static(b"local")),
            "a key outside the range is not removed by the snapshot's context"
        );
        assert_eq!(run(&mut mine, &["GET", "a"]), crate::resp::Reply::Bulk(bytes::Bytes::from_static(b"1")));
    }
}
