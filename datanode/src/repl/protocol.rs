//! The replication protocol's decisions and state changes, without I/O: what a master
//! answers a replica or a syncer that asks to follow it, which backlog records a syncer gets,
//! how a master applies what peers send, and how a replica applies its master's stream.
//! The gRPC service and the follow loop only carry these over the network; the simulation
//! tests drive them directly under a deterministic network.

use bytes::Bytes;

use super::Error;
use crate::crdt::CausalContext;
use crate::keyspace::claims::RangeClaims;
use crate::keyspace::delta::{Delta, Snapshot};
use crate::keyspace::slot::{SlotRange, slot_of};
use crate::node::backlog::{Record, Resume};
use crate::node::codec::{crc, decode_delta, encode_delta};
use crate::node::replication::ReplState;
use crate::shard::Shard;

/// Where a follower starts: from `offset` of stream `replid`, after a snapshot if one is given.
#[derive(Debug)]
pub struct Start {
    pub replid: String,
    pub offset: u64,
    pub snapshot: Option<Snapshot>,
    /// For a syncer: records from here on are live (appended after it subscribed).
    pub live_from: u64,
}

/// A replica that holds stream `replid` up to `offset` asks to follow: a partial sync when
/// the backlog still holds that position, else a full sync. Called with the shard locked, so
/// the snapshot and the offset it starts at agree.
pub fn start_replica(repl: &ReplState, shard: &mut Shard, replid: &str, offset: u64) -> Option<Start> {
    repl.ensure_backlog(shard);
    let guard = repl.stream.backlog.lock();
    let b = guard.as_ref()?;
    Some(match b.resume(replid, offset) {
        Resume::Partial(at) => Start { replid: b.replid.clone(), offset: at, snapshot: None, live_from: b.offset() },
        Resume::Full => Start {
            replid: b.replid.clone(),
            offset: b.offset(),
            snapshot: Some(shard.snapshot()),
            live_from: b.offset(),
        },
    })
}

/// A syncer that has applied the deltas named by `applied` asks for the slots `ranges`: the
/// backlog from its start when it holds every delta the syncer lacks, else a snapshot of those
/// slots first.
pub fn start_subscriber(
    repl: &ReplState,
    shard: &mut Shard,
    applied: &CausalContext,
    ranges: &[SlotRange],
    full: bool,
) -> Option<Start> {
    repl.ensure_backlog(shard);
    let guard = repl.stream.backlog.lock();
    let b = guard.as_ref()?;
    Some(if !full && b.covers(applied) {
        Start { replid: b.replid.clone(), offset: b.first_offset(), snapshot: None, live_from: b.offset() }
    } else {
        Start {
            replid: b.replid.clone(),
            offset: b.offset(),
            snapshot: Some(shard.snapshot_of(ranges)),
            live_from: b.offset(),
        }
    })
}

/// What a subscriber gets of one backlog record.
#[derive(Debug, PartialEq, Eq)]
pub enum Gets {
    Nothing,
    /// The record as it is.
    Record,
    /// The part of the delta for the subscriber's slots, encoded, with its checksum.
    Part(Bytes, u32),
}

/// What a syncer's stream carries of one backlog record: nothing when the subscriber has
/// applied it. While catching up (records appended before it subscribed) it gets every record
/// it lacks, whoever wrote it: a region that failed over gets back what its old master had
/// shipped here, and a region cut off from a third gets that region's writes relayed. After
/// that only this region's own writes go live: relaying live could send a delta round the
/// regions forever, and every region hears each writer directly. Only the keys of `ranges` go.
pub fn pick_for_subscriber(record: &Record, applied: &CausalContext, live_from: u64, ranges: &[SlotRange]) -> Gets {
    if record.applied_by(applied) || (record.offset >= live_from && record.origin != 0) {
        return Gets::Nothing;
    }
    if ranges.contains(&SlotRange::ALL) && !record.is_snapshot_record() {
        return Gets::Record;
    }
    // The master's own record: it decodes, unless this node is broken, and then nothing of
    // it can be sent.
    let Ok(mut delta) = decode_delta(&record.payload) else { return Gets::Nothing };
    if delta.ctx.is_some() {
        // The record of a snapshot joined here: its context speaks for every key of this
        // shard, but only the keys the snapshot changed here travel with it. A peer whose
        // other keys differ would take that context as removals it never saw: it joins the
        // whole entries against it, and keeps its own context.
        delta.merge_ctx = false;
        delta.applied = None;
    }
    let before = delta.entries.len();
    // Only the subscriber's keys go, with their dots only (`Delta::attributed`).
    delta.retain_keys(|k| {
        let slot = slot_of(k);
        ranges.iter().any(|r| r.contains(slot))
    });
    if delta.entries.is_empty() {
        return Gets::Nothing;
    }
    if delta.entries.len() == before && !record.is_snapshot_record() {
        return Gets::Record;
    }
    let payload = encode_delta(&delta);
    let crc32 = crc(&payload);
    Gets::Part(payload, crc32)
}

/// Applies peers' deltas to a master, in order, and records them in its backlog with the
/// region that wrote them, for its replicas. Every delta is applied, even one whose dots the
/// master has all seen: those dots may have come from a later delta that observed them, and
/// this one may still remove what it observed (a join is idempotent, so a true duplicate
/// costs nothing but the work). Returns how many had not been applied here before.
pub fn apply_peer_deltas(repl: &ReplState, shard: &mut Shard, deltas: &[(Delta, Bytes, u8)]) -> u64 {
    let mut new = 0;
    for (delta, payload, origin) in deltas {
        if delta.split || !shard.has_applied(delta.minted) {
            new += 1;
        }
        shard.apply_remote(delta);
        repl.stream.append(delta, payload, own_or(shard, *origin));
    }
    new
}

/// Joins a peer's snapshot of `ranges` into a master and records its effect in the backlog
/// (as a delta its replicas and subscribers can apply). `partial`: the ranges are only part
/// of this shard's slots (see `Shard::apply_snapshot_in`). Returns the keys it changed.
pub fn apply_peer_snapshot(
    repl: &ReplState,
    shard: &mut Shard,
    (ranges, partial): (&[SlotRange], bool),
    snap: &Snapshot,
    origin: u8,
) -> u64 {
    let record = shard.apply_snapshot_in(ranges, snap, partial);
    let changed = record.entries.len() as u64;
    if repl.stream.backlog.lock().is_some() {
        let payload = encode_delta(&record);
        repl.stream.append(&record, &payload, own_or(shard, origin));
    }
    changed
}

/// This region's own writes coming back (from a peer after a failover, or handed over by an
/// old master) count as this region's: they must go out live to the other regions again.
fn own_or(shard: &Shard, origin: u8) -> u8 {
    if origin == shard.region() { 0 } else { origin }
}

/// A replica's master resumes its stream at `offset` under `replid`.
pub fn replica_resume(repl: &ReplState, replid: String, offset: u64) -> Result<(), Error> {
    let mut guard = repl.stream.backlog.lock();
    let b = guard.as_mut().ok_or(Error::ResumeWithoutBacklog)?;
    if b.offset() != offset {
        return Err(Error::ResumedElsewhere { offset, at: b.offset() });
    }
    b.follow_new_id(replid, offset);
    Ok(())
}

/// A replica joins its master's snapshot and starts its own backlog where the master's
/// stream goes on, so it can serve partial syncs itself once promoted.
pub fn replica_full_sync(repl: &ReplState, shard: &mut Shard, replid: String, offset: u64, snap: &Snapshot) {
    shard.apply_snapshot(snap);
    repl.reset_backlog(replid, offset, shard);
}

/// A replica applies one record of its master's stream, which must come exactly at the
/// replica's position (a gap means the stream is broken: start over).
pub fn replica_apply(
    repl: &ReplState,
    shard: &mut Shard,
    offset: u64,
    delta: &Delta,
    payload: Bytes,
    origin: u8,
) -> Result<(), Error> {
    let at = repl.stream.backlog.lock().as_ref().map(|b| b.offset());
    if at != Some(offset) {
        return Err(Error::Gap { offset, at });
    }
    shard.apply_remote(delta);
    repl.stream.append(delta, &payload, origin);
    Ok(())
}

/// What an old master coming back hands over to the new one before following it.
#[derive(Debug)]
pub enum HandOver {
    /// The deltas of its backlog the new master lacks, exactly as they were made.
    Deltas(Vec<(Delta, Bytes, u8)>),
    /// Its whole state, when its backlog no longer holds all of them.
    Snapshot(Snapshot),
}

/// Before following a master that has applied the deltas named by `master_applied` and
/// seen `master_seen` (and `master_claims` for some slots), what this node must hand over so
/// no write it acknowledged is lost: nothing when the master has applied every delta this
/// node has and seen all it has seen (a delta joined only in part, split by slot, is in no
/// `applied` context, only in what was seen), its range claims included.
pub fn hand_over(
    repl: &ReplState,
    shard: &Shard,
    master_applied: &CausalContext,
    master_seen: &CausalContext,
    master_claims: &RangeClaims,
) -> Option<HandOver> {
    // A range claim travels only in a snapshot (an old master that joined one from a peer
    // after it was cut off kept a claim its successor never saw: the 100,000-seed simulation
    // found the two apart by it once the old master followed).
    if !shard.claims().covered_by(master_seen, master_claims) {
        return Some(HandOver::Snapshot(shard.snapshot()));
    }
    if master_applied.includes(shard.applied()) && master_seen.includes(shard.context()) {
        return None;
    }
    let guard = repl.stream.backlog.lock();
    if let Some(b) = guard.as_ref().filter(|b| b.covers(master_applied)) {
        if let Some(records) = b.read(b.first_offset(), usize::MAX) {
            let mut deltas = Vec::new();
            // What the master will have seen once it took the deltas.
            let mut seen_after = master_seen.clone();
            for r in records.iter().filter(|r| !r.applied_by(master_applied)) {
                // A snapshot's record speaks for every key of this node's state, which the
                // master's differs from: only the whole state can carry it.
                if r.is_snapshot_record() {
                    return Some(HandOver::Snapshot(shard.snapshot()));
                }
                let Ok(delta) = decode_delta(&r.payload) else { return Some(HandOver::Snapshot(shard.snapshot())) };
                for dot in delta.dots.iter() {
                    seen_after.insert(*dot);
                }
                deltas.push((delta, r.payload.clone(), r.origin));
            }
            // Dots this node saw before its backlog's first record (through a snapshot, or a
            // delta split by slot, neither of which `applied` names) travel in no record:
            // only the whole state carries them (found by the simulation, seed 688).
            if !seen_after.includes(shard.context()) {
                return Some(HandOver::Snapshot(shard.snapshot()));
            }
            return Some(HandOver::Deltas(deltas));
        }
    }
    Some(HandOver::Snapshot(shard.snapshot()))
}

/// A master takes an old master's whole state. Its record carries a context only this
/// shard's replicas can use as is, so the backlog starts over under a new replication id:
/// every follower and peer syncs again (a peer in full, so its context matches again).
pub fn take_handed_over_snapshot(repl: &ReplState, shard: &mut Shard, snap: &Snapshot) {
    let _ = shard.apply_snapshot_in(&[SlotRange::ALL], snap, false);
    // The new stream starts one byte on: no follower's position lies in it, so each one
    // is cut off and syncs again under the new id instead of reading on past the change.
    let offset = repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset()) + 1;
    repl.reset_backlog(crate::node::backlog::new_replid(), offset, shard);
}

/// Anti-entropy: whether a subscriber that has seen `local` must sync in full from a peer
/// that has seen `peer`, although its stream from that peer is caught up. Dots only a
/// snapshot carried (removals whose deltas are gone from every backlog, and whose writer
/// crashed) never come by stream; a full sync brings them. The syncer asks only when the
/// same gap persists across two checks, so ordinary lag never triggers it.
pub fn lacks(local: &CausalContext, peer: &CausalContext) -> bool {
    !local.includes(peer)
}
