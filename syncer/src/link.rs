//! One peer region's link as a state machine without I/O: fed the subscription's start, the
//! events the peer streams, ticks and anti-entropy answers, it returns what to do: the
//! request to subscribe with, and the calls to make on local masters, in order. `pull` runs
//! it over gRPC; the simulation runs the very same code over its own network.
//!
//! A peer streams from each of its shards' masters for each of our slot ranges that meets
//! it; events are tagged with the peer shard and the slots, and that pair names a stream:
//! a full sync is put together per stream (two streams of one peer shard interleave when our
//! layout splits its slots), deltas keep their order per stream, and everything queued before
//! a full sync is applied before it.

use std::collections::BTreeMap;

use bytes::Bytes;
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::codec::verify;
use meridian_datanode::repl::fullsync::Assembler;
use meridian_datanode::repl::handlers::parse_ranges;
use meridian_datanode::repl::stream::{snapshot_parts, wire_ranges};
use meridian_proto::sync_event::Event;
use meridian_proto::{
    ApplyRequest, Frame, Frames, Hello, PeerEvent, PeerStatusReply, PeerSubscribeRequest, RangeContext, SnapshotPart,
};
use prost::Message;

use crate::error::{Error, Result};
use crate::gap::{GapCheck, LocalSeen};
use crate::route::{route_frame, route_full_sync};
use crate::status::State;

/// Ticks (seconds) between anti-entropy checks.
pub const GAP_CHECK_TICKS: u64 = 10;

/// A stream of the peer: its shard and the slots of ours it serves from it.
type StreamId = (u32, Vec<SlotRange>);

#[derive(Default)]
struct Stream {
    full: Assembler,
    /// Records the peer master still had for us at its last heartbeat.
    behind: u64,
}

/// A call to make on a local master.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Apply { shard: usize, request: ApplyRequest },
    Snapshot { shard: usize, parts: Vec<SnapshotPart> },
}

/// What events that arrived together amount to.
#[derive(Debug, Default)]
pub struct Received {
    /// In order: deltas queued before a full sync are applied before it.
    pub calls: Vec<Call>,
    pub deltas: u64,
    pub bytes: u64,
    /// When each delta was appended on the peer's master (Unix µs), for lag.
    pub appended_us: Vec<u64>,
    /// Full syncs completed.
    pub full_syncs: u64,
}

pub struct PeerLink {
    peer: u8,
    hello: Hello,
    /// The local shards' ranges: sorted, covering every slot.
    local: Vec<SlotRange>,
    streams: BTreeMap<StreamId, Stream>,
    /// Local ranges to ask in full at the next subscription (anti-entropy found them gapped).
    full_next: Vec<SlotRange>,
    gaps: GapCheck,
    ticks: u64,
    idle_since_check: bool,
    state: State,
}

impl PeerLink {
    pub fn new(peer: u8, database_id: &str, region: u8, local: Vec<SlotRange>) -> Self {
        PeerLink {
            peer,
            hello: Hello::new(database_id, region),
            local,
            streams: BTreeMap::new(),
            full_next: Vec::new(),
            gaps: GapCheck::default(),
            ticks: 0,
            idle_since_check: true,
            state: State::Connecting,
        }
    }

    pub fn peer(&self) -> u8 {
        self.peer
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Records the peer's masters still had for us at their last heartbeats (saturating:
    /// they are the peer's numbers).
    pub fn lag_ops(&self) -> u64 {
        self.streams.values().fold(0u64, |sum, s| sum.saturating_add(s.behind))
    }

    /// A subscription starts (again): what to ask, given the local masters' `applied`
    /// contexts, one per local shard in order. What the last one had half-received is gone.
    pub fn subscribe(&mut self, applied: Vec<Bytes>) -> PeerSubscribeRequest {
        self.streams.clear();
        self.state = State::PartialSync;
        let contexts = self
            .local
            .iter()
            .zip(applied)
            .map(|(range, applied)| RangeContext {
                range: wire_ranges(&[*range]).into_iter().next(),
                applied,
                full: self.full_next.contains(range),
            })
            .collect();
        PeerSubscribeRequest { hello: Some(self.hello.clone()), contexts }
    }

    /// The link went down.
    pub fn disconnected(&mut self) {
        self.streams.clear();
        self.state = State::Stale;
    }

    /// Events that arrived together: the calls to make on local masters, in order. An error
    /// ends the subscription (nothing of a damaged batch or full sync is applied).
    pub fn receive(&mut self, events: Vec<PeerEvent>) -> Result<Received> {
        // The peer answered: what was asked in full is being sent.
        self.full_next.clear();
        let mut out = Received::default();
        let mut queued: Vec<Vec<Frame>> = vec![Vec::new(); self.local.len()];
        for PeerEvent { shard, ranges, event } in events {
            let ranges = parse_ranges(&ranges).map_err(|e| Error::Ranges(e.message().to_string()))?;
            let id = (shard, ranges);
            match event.and_then(|e| e.event) {
                Some(Event::Deltas(batch)) => {
                    for frame in Frames::decode(batch)?.frames {
                        verify(&frame.payload, frame.crc32)?;
                        out.deltas += 1;
                        out.bytes += frame.payload.len() as u64;
                        out.appended_us.push(frame.appended_us);
                        for (to, part) in route_frame(&self.local, frame)? {
                            if let Some(q) = queued.get_mut(to) {
                                q.push(part);
                            }
                        }
                    }
                }
                Some(Event::FullBegin(begin)) => {
                    self.flush(&mut queued, &mut out.calls);
                    self.streams.entry(id).or_default().full.begin(begin);
                    self.state = State::FullSync;
                }
                Some(Event::Chunk(frame)) => {
                    out.bytes += frame.payload.len() as u64;
                    self.streams.entry(id.clone()).or_default().full.chunk(frame)?;
                }
                Some(Event::FullEnd(end)) => {
                    self.flush(&mut queued, &mut out.calls);
                    let full = self.streams.entry(id.clone()).or_default().full.end(&end)?;
                    for (shard, begin, chunks) in route_full_sync(&self.local, &id.1, full)? {
                        let parts = snapshot_parts(self.hello.clone(), self.peer, begin, chunks);
                        out.calls.push(Call::Snapshot { shard, parts });
                    }
                    out.full_syncs += 1;
                    if !self.streams.values().any(|s| s.full.in_progress()) {
                        self.state = State::PartialSync;
                    }
                }
                Some(Event::Heartbeat(h)) => self.streams.entry(id).or_default().behind = h.behind,
                Some(Event::Resume(_)) | None => {}
            }
        }
        self.flush(&mut queued, &mut out.calls);
        Ok(out)
    }

    /// Queued deltas as one Apply per local shard.
    fn flush(&self, queued: &mut [Vec<Frame>], calls: &mut Vec<Call>) {
        for (shard, q) in queued.iter_mut().enumerate().filter(|(_, q)| !q.is_empty()) {
            let request = ApplyRequest {
                hello: Some(self.hello.clone()),
                origin: u32::from(self.peer),
                deltas: std::mem::take(q),
            };
            calls.push(Call::Apply { shard, request });
        }
    }

    /// A second passed: whether to run an anti-entropy check now. One is due every
    /// `GAP_CHECK_TICKS`, and only if the stream was caught up all along since the last.
    pub fn tick(&mut self) -> bool {
        self.ticks += 1;
        let caught_up = self.streams.values().all(|s| !s.full.in_progress() && s.behind == 0);
        self.idle_since_check &= caught_up;
        if self.ticks % GAP_CHECK_TICKS != 0 {
            return false;
        }
        std::mem::replace(&mut self.idle_since_check, true)
    }

    /// An anti-entropy check's answers: the peer's Status and the local masters' contexts.
    /// A gap that outlived a check ends the subscription, asking those ranges in full.
    /// Otherwise: the slot ranges both sides have seen alike, whose digests to ask both for
    /// next (`check_digests`); none, nothing more to do.
    pub fn check_gaps(&mut self, peer: &PeerStatusReply, local: &[LocalSeen]) -> Result<Vec<SlotRange>> {
        let theirs = peer_seen(peer)?;
        let alike = self.gaps.alike(&theirs, local);
        let found = self.gaps.check(theirs, local);
        self.gap(found)?;
        Ok(alike)
    }

    /// The second round of a check: both sides' Status with the digests `check_gaps` asked.
    /// Entries that differ although both sides have seen the same, at two checks running,
    /// end the subscription as a gap does.
    pub fn check_digests(&mut self, peer: &PeerStatusReply, local: &[LocalSeen]) -> Result<()> {
        let found = self.gaps.compare(&peer_seen(peer)?, local);
        self.gap(found)
    }

    fn gap(&mut self, found: Vec<SlotRange>) -> Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        self.full_next.clone_from(&found);
        Err(Error::Gap(found))
    }
}

/// What the peer's shards have seen, by its Status (a shard whose context or claims do not
/// decode is left out).
fn peer_seen(peer: &PeerStatusReply) -> Result<Vec<LocalSeen>> {
    let ranges = parse_ranges(&peer.ranges).map_err(|e| Error::Ranges(e.message().to_string()))?;
    // A peer of an older version sends no claims and no digests: its shards then claim
    // nothing, and nothing of theirs is compared by digest.
    let no_claims = bytes::Bytes::new();
    Ok(ranges
        .into_iter()
        .zip(&peer.contexts)
        .enumerate()
        .filter_map(|(i, (r, c))| {
            let seen = LocalSeen::decode(r, c, peer.claims.get(i).unwrap_or(&no_claims))?;
            Some(seen.with_digests(peer.range_digests.get(i).map_or(&[], |d| &d.digests)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use meridian_datanode::cmd::execute;
    use meridian_datanode::crdt::ActorId;
    use meridian_datanode::keyspace::slot::slot_of;
    use meridian_datanode::node::codec::{crc, encode_delta};
    use meridian_datanode::repl::stream::{event, snapshot_events};
    use meridian_datanode::shard::{Identity, Shard};
    use meridian_proto::{Heartbeat, SyncEvent};

    use super::*;

    const LOW: SlotRange = SlotRange { start: 0, end: 8191 };
    const HIGH: SlotRange = SlotRange { start: 8192, end: 16383 };

    fn frame(words: &[&str]) -> Frame {
        let mut shard = Shard::replicated(Identity { region: 2, actor: ActorId(9) });
        let request = words.iter().map(|w| Bytes::from(w.to_string())).collect();
        let payload = encode_delta(&execute(&mut shard, request).delta.unwrap());
        Frame { crc32: crc(&payload), payload, origin: 2, appended_us: 5, ..Frame::default() }
    }

    fn peer_event(shard: u32, ranges: &[SlotRange], event: SyncEvent) -> PeerEvent {
        PeerEvent { shard, ranges: wire_ranges(ranges), event: Some(event) }
    }

    fn deltas(frames: Vec<Frame>) -> SyncEvent {
        event(Event::Deltas(Frames { frames }.encode_to_vec().into()))
    }

    fn link() -> PeerLink {
        PeerLink::new(2, "db", 1, vec![LOW, HIGH])
    }

    /// "a" lives in the high half, "b" in the low one.
    #[test]
    fn deltas_go_to_the_shard_owning_their_keys() {
        assert!(slot_of(b"a") > 8191 && slot_of(b"b") <= 8191);
        let mut l = link();
        let request = l.subscribe(vec![Bytes::new(), Bytes::new()]);
        assert_eq!(request.contexts.len(), 2);
        let got = l.receive(vec![peer_event(0, &[SlotRange::ALL], deltas(vec![frame(&["MSET", "a", "1", "b", "2"])]))]);
        let got = got.unwrap();
        let shards: Vec<usize> = got
            .calls
            .iter()
            .map(|c| match c {
                Call::Apply { shard, request } => {
                    assert_eq!((request.origin, request.deltas.len()), (2, 1));
                    *shard
                }
                Call::Snapshot { .. } => panic!("no snapshot"),
            })
            .collect();
        assert_eq!((shards, got.deltas, got.appended_us), (vec![0, 1], 1, vec![5]));
    }

    /// Two streams of one peer shard (our layout splits its slots) send full syncs at once:
    /// each is put together on its own, and deltas before a full sync are applied first.
    #[test]
    fn interleaved_full_syncs_of_one_peer_shard_stay_apart() {
        let mut l = link();
        l.subscribe(vec![Bytes::new(), Bytes::new()]);
        let mut peer = Shard::replicated(Identity { region: 2, actor: ActorId(9) });
        for i in 0..1200 {
            execute(&mut peer, vec![Bytes::from("SET"), Bytes::from(format!("k{i}")), Bytes::from("v")]);
        }
        let low = snapshot_events(&peer.snapshot_of(&[LOW]), String::new(), 0, &[LOW]);
        let high = snapshot_events(&peer.snapshot_of(&[HIGH]), String::new(), 0, &[HIGH]);
        assert!(low.len() > 3 && high.len() > 3, "several chunks each");
        let mut events = vec![peer_event(0, &[LOW], deltas(vec![frame(&["SET", "b", "x"])]))];
        let (mut a, mut b) = (low.into_iter(), high.into_iter());
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => {
                    events.extend(x.map(|e| peer_event(0, &[LOW], e)));
                    events.extend(y.map(|e| peer_event(0, &[HIGH], e)));
                }
            }
        }
        let got = l.receive(events).unwrap();
        assert_eq!(got.full_syncs, 2);
        assert!(matches!(&got.calls[0], Call::Apply { shard: 0, .. }), "the delta before the full sync goes first");
        let snapshots: Vec<usize> = got.calls[1..]
            .iter()
            .map(|c| match c {
                Call::Snapshot { shard, parts } => {
                    assert!(parts.len() > 2);
                    *shard
                }
                Call::Apply { .. } => panic!("only snapshots after the first"),
            })
            .collect();
        assert_eq!(snapshots, vec![0, 1]);
        assert_eq!(l.state(), State::PartialSync);
    }

    #[test]
    fn a_damaged_delta_or_a_full_sync_out_of_order_ends_the_subscription() {
        let mut l = link();
        l.subscribe(vec![Bytes::new(), Bytes::new()]);
        let mut bad = frame(&["SET", "a", "1"]);
        bad.crc32 ^= 1;
        assert!(matches!(l.receive(vec![peer_event(0, &[LOW], deltas(vec![bad]))]), Err(Error::Delta(_))));
        let end = event(Event::FullEnd(meridian_proto::FullSyncEnd { chunks: 0 }));
        assert!(matches!(l.receive(vec![peer_event(0, &[LOW], end)]), Err(Error::FullSync(_))));
    }

    /// Anti-entropy runs every GAP_CHECK_TICKS, and only if the link stayed caught up.
    #[test]
    fn gap_checks_are_due_only_after_idle_periods() {
        let mut l = link();
        l.subscribe(vec![Bytes::new(), Bytes::new()]);
        let due: Vec<bool> = (0..GAP_CHECK_TICKS).map(|_| l.tick()).collect();
        assert_eq!(due.iter().filter(|d| **d).count(), 1);
        assert!(due[GAP_CHECK_TICKS as usize - 1]);
        let beat = event(Event::Heartbeat(Heartbeat { offset: 0, unix_ms: 0, behind: u64::MAX }));
        l.receive(vec![peer_event(0, &[LOW], beat.clone()), peer_event(1, &[HIGH], beat)]).unwrap();
        assert_eq!(l.lag_ops(), u64::MAX, "peer numbers are summed saturating");
        assert!(!(0..GAP_CHECK_TICKS).any(|_| l.tick()), "not caught up: no check");
    }
}
