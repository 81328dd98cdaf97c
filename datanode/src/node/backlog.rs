//! The replication backlog: a ring buffer of encoded deltas addressed by
//! `(replication id, offset)`, as Redis's. Offsets count payload bytes. A replica resumes
//! from its offset while it lies inside the buffer; a syncer resumes by causal context while
//! the buffer still holds every delta its context lacks. Pure: no I/O, no clock.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;

use super::codec::FrameFields;
use crate::crdt::{CausalContext, Minted};

/// One delta as it sits in the backlog.
#[derive(Debug)]
pub struct Record {
    /// Stream position before this record.
    pub offset: u64,
    /// The delta, encoded (a slice of `frame`).
    pub payload: Bytes,
    /// The record as followers receive it, encoded once at append (`codec::wire_frame`).
    pub frame: Bytes,
    pub crc32: u32,
    /// The delta's identity (the counters its commit minted), to skip what a subscriber has
    /// applied without decoding. None for the record of a snapshot joined here.
    pub minted: Option<Minted>,
    /// 0 for this shard's own writes, else the peer region the delta came from.
    pub origin: u8,
    /// Unix microseconds of the append, for lag.
    pub appended_us: u64,
    /// Position among all records ever appended here.
    pub seq: u64,
}

impl Record {
    pub fn end(&self) -> u64 {
        self.offset + self.payload.len() as u64
    }

    /// Whether a subscriber that has applied the deltas named by `applied` has applied this
    /// one. Seen dots are not enough: a later delta may name this one's dots (it observed
    /// them) while this one's own removals never reached the subscriber.
    pub fn applied_by(&self, applied: &CausalContext) -> bool {
        self.minted.is_some_and(|m| applied.contains_minted(m))
    }

    pub fn is_snapshot_record(&self) -> bool {
        self.minted.is_none()
    }
}

/// A fresh 40-hex-digit replication id, as Redis's.
pub fn new_replid() -> String {
    (0..20).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
    /// Go on from this offset under the current replication id.
    Partial(u64),
    Full,
}

#[derive(Debug)]
pub struct Backlog {
    pub replid: String,
    /// The id this node followed before a promotion, valid up to `second_offset`.
    pub replid2: String,
    pub second_offset: u64,
    records: VecDeque<Arc<Record>>,
    /// Each record's offset, side by side with `records`: every follower looks its position up
    /// on every wake, and a search over plain numbers stays in cache where one through the
    /// records' pointers would not.
    offsets: VecDeque<u64>,
    /// Offset of the first byte the buffer still holds.
    first: u64,
    /// The stream position after the last record (Redis's `master_repl_offset`).
    next: u64,
    bytes: usize,
    limit: usize,
    /// Records appended so far.
    seq: u64,
    /// The deltas applied before the first record still held: a subscriber that has applied
    /// them all can be served from the buffer alone.
    base: CausalContext,
}

impl Backlog {
    /// A backlog starting at `offset` for a shard whose context is `base`.
    pub fn new(replid: String, offset: u64, base: CausalContext, limit: usize) -> Self {
        Backlog {
            replid,
            replid2: "0".repeat(40),
            second_offset: 0,
            records: VecDeque::new(),
            offsets: VecDeque::new(),
            first: offset,
            next: offset,
            bytes: 0,
            limit,
            seq: 0,
            base,
        }
    }

    pub fn offset(&self) -> u64 {
        self.next
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn first_offset(&self) -> u64 {
        self.first
    }

    pub fn len_bytes(&self) -> usize {
        self.bytes
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        self.trim();
    }

    pub fn base(&self) -> &CausalContext {
        &self.base
    }

    /// Appends a record at the current offset; returns it.
    pub fn append(&mut self, payload: &[u8], minted: Option<Minted>, origin: u8, now_us: u64) -> Arc<Record> {
        let crc32 = super::codec::crc(payload);
        self.seq += 1;
        let fields = FrameFields { offset: self.next, crc32, origin, appended_us: now_us, seq: self.seq };
        let (frame, at) = super::codec::wire_frame(payload, &fields);
        let record = Arc::new(Record {
            offset: self.next,
            payload: frame.slice(at),
            frame,
            crc32,
            minted,
            origin,
            appended_us: now_us,
            seq: self.seq,
        });
        self.next = record.end();
        self.bytes += record.payload.len();
        self.records.push_back(record.clone());
        self.offsets.push_back(record.offset);
        self.trim();
        record
    }

    /// Evicts the oldest records beyond the size limit (always keeping the newest one), and
    /// folds what they covered into the base context.
    fn trim(&mut self) {
        while self.bytes > self.limit && self.records.len() > 1 {
            let Some(old) = self.records.pop_front() else { break };
            self.offsets.pop_front();
            self.bytes -= old.payload.len();
            self.first = old.end();
            if let Some(minted) = old.minted {
                self.base.insert_minted(minted);
            }
        }
    }

    /// How a replica that holds the stream of `replid` up to `offset` resumes.
    pub fn resume(&self, replid: &str, offset: u64) -> Resume {
        let known = replid == self.replid || (replid == self.replid2 && offset <= self.second_offset);
        if known && (self.first..=self.next).contains(&offset) { Resume::Partial(offset) } else { Resume::Full }
    }

    /// Whether a subscriber that has applied the deltas named by `applied` can be served
    /// from the buffer alone.
    pub fn covers(&self, applied: &CausalContext) -> bool {
        applied.includes(&self.base)
    }

    /// Up to `max` records from `offset` on. `None` when `offset` fell out of the buffer (or
    /// lies beyond its end): the reader must start over with a full sync.
    pub fn read(&self, offset: u64, max: usize) -> Option<Vec<Arc<Record>>> {
        if offset < self.first || offset > self.next {
            return None;
        }
        if offset == self.next {
            return Some(Vec::new());
        }
        let start = self.offsets.partition_point(|o| *o < offset);
        if self.offsets.get(start).is_some_and(|o| *o != offset) {
            return None;
        }
        Some(self.records.range(start..).take(max).cloned().collect())
    }

    /// Records from `offset` to the newest (0 when `offset` lies outside the buffer).
    pub fn records_from(&self, offset: u64) -> u64 {
        if offset < self.first || offset > self.next {
            return 0;
        }
        (self.offsets.len() - self.offsets.partition_point(|o| *o < offset)) as u64
    }

    /// A promotion: a new id, and the old one kept so its followers resume partially.
    pub fn promote(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid());
        self.second_offset = self.next;
    }

    /// A replica follows a master that changed its id at `offset` (it was promoted, or it
    /// follows a new master that knows ours as its previous id).
    pub fn follow_new_id(&mut self, replid: String, offset: u64) {
        if replid != self.replid {
            self.replid2 = std::mem::replace(&mut self.replid, replid);
            self.second_offset = offset;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::{ActorId, Dot};

    fn minted(actor: u64, c: u64) -> Option<Minted> {
        Some(Minted { actor: ActorId(actor), first: c, last: c })
    }

    fn filled(limit: usize) -> Backlog {
        let mut b = Backlog::new("a".repeat(40), 0, CausalContext::new(), limit);
        for c in 1..=10u64 {
            b.append(&[0u8; 10], minted(1, c), 0, 0);
        }
        b
    }

    #[test]
    fn offsets_count_bytes_and_reads_resume_exactly() {
        let b = filled(1000);
        assert_eq!((b.first_offset(), b.offset()), (0, 100));
        let from_30 = b.read(30, 100).unwrap();
        assert_eq!(from_30.len(), 7);
        assert_eq!(from_30[0].offset, 30);
        assert_eq!(b.read(100, 10).unwrap().len(), 0, "caught up");
        assert!(b.read(35, 10).is_none(), "not a record boundary");
        assert!(b.read(101, 10).is_none(), "beyond the end");
    }

    #[test]
    fn an_overrun_reader_must_full_sync_and_the_base_grows() {
        let b = filled(45);
        assert_eq!(b.first_offset(), 60);
        assert!(b.read(50, 10).is_none());
        assert_eq!(b.resume(&b.replid, 50), Resume::Full);
        assert_eq!(b.resume(&b.replid, 60), Resume::Partial(60));
        assert_eq!(b.resume(&"b".repeat(40), 60), Resume::Full, "another history");
        assert_eq!(b.base().max_contiguous(ActorId(1)), 6);
        let mut ctx = CausalContext::new();
        for c in 1..=5 {
            ctx.insert(Dot::new(ActorId(1), c));
        }
        assert!(!b.covers(&ctx));
        ctx.insert(Dot::new(ActorId(1), 6));
        assert!(b.covers(&ctx));
    }

    #[test]
    fn a_promoted_node_resumes_followers_of_its_old_id() {
        let mut b = filled(1000);
        let old = b.replid.clone();
        b.promote();
        assert_ne!(b.replid, old);
        assert_eq!(b.resume(&old, 100), Resume::Partial(100));
        b.append(&[0u8; 10], minted(2, 1), 0, 0);
        assert_eq!(b.resume(&old, 110), Resume::Full, "the old id never reached 110");
        assert_eq!(b.resume(&old, 90), Resume::Partial(90));
    }

    #[test]
    fn a_record_is_applied_when_its_minted_counters_are() {
        let b = filled(1000);
        let r = &b.read(0, 1).unwrap()[0];
        let mut applied = CausalContext::new();
        assert!(!r.applied_by(&applied));
        applied.insert(Dot::new(ActorId(1), 1));
        assert!(r.applied_by(&applied));
    }
}
