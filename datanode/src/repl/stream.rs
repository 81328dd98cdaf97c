//! What a master sends a follower, without I/O: how a stream opens (a partial sync's resume,
//! or a full sync's header, chunks and end marker), and a cursor that reads the backlog from
//! the follower's position and makes each batch of records one message. The gRPC feed
//! (`feed`) and the simulation both send exactly these.

use std::sync::Arc;

use bytes::Bytes;
use meridian_proto::snapshot_part::Part;
use meridian_proto::sync_event::Event;
use meridian_proto::{
    Continue, Frame, FullSyncBegin, FullSyncEnd, Hello, SlotRange as WireRange, SnapshotPart, SyncEvent,
};

use super::protocol::{self, Gets};
use crate::crdt::CausalContext;
use crate::keyspace::delta::Snapshot;
use crate::keyspace::slot::SlotRange;
use crate::node::backlog::{Backlog, Record};
use crate::node::clock::now_us;
use crate::node::codec::{crc, encode_claims, encode_context, encode_entries};

/// Entries per snapshot chunk: big enough to amortise framing, small enough to stream.
pub const CHUNK_ENTRIES: usize = 512;
/// Records read from the backlog per message (and per hold of its lock).
pub const BATCH: usize = 256;

pub fn event(e: Event) -> SyncEvent {
    SyncEvent { event: Some(e) }
}

pub fn wire_ranges(ranges: &[SlotRange]) -> Vec<WireRange> {
    ranges.iter().map(|r| WireRange { start: u32::from(r.start), end: u32::from(r.end) }).collect()
}

pub fn frame_of(record: &Record) -> Frame {
    Frame {
        offset: record.offset,
        payload: record.payload.clone(),
        crc32: record.crc32,
        origin: u32::from(record.origin),
        appended_us: record.appended_us,
        seq: record.seq,
    }
}

/// A snapshot's header: its contexts, its slots, and the stream position it stops at.
pub fn snapshot_begin(snap: &Snapshot, replid: String, offset: u64, ranges: &[SlotRange]) -> FullSyncBegin {
    FullSyncBegin {
        replid,
        offset,
        context: encode_context(&snap.ctx),
        applied: encode_context(&snap.applied),
        keys: snap.entries.len() as u64,
        ranges: wire_ranges(ranges),
        claims: encode_claims(&snap.claims),
        partial: false,
    }
}

/// A snapshot's entries as checked chunks of `CHUNK_ENTRIES`.
pub fn snapshot_chunks(snap: &Snapshot, offset: u64, origin: u8) -> Vec<Frame> {
    snap.entries
        .chunks(CHUNK_ENTRIES)
        .map(|chunk| {
            let payload = encode_entries(chunk);
            Frame { offset, crc32: crc(&payload), payload, origin: u32::from(origin), appended_us: now_us(), seq: 0 }
        })
        .collect()
}

/// A full sync as stream events: header, chunks, end marker.
pub fn snapshot_events(snap: &Snapshot, replid: String, offset: u64, ranges: &[SlotRange]) -> Vec<SyncEvent> {
    let chunks = snapshot_chunks(snap, offset, 0);
    let count = chunks.len() as u64;
    let mut events = vec![event(Event::FullBegin(snapshot_begin(snap, replid, offset, ranges)))];
    events.extend(chunks.into_iter().map(|c| event(Event::Chunk(c))));
    events.push(event(Event::FullEnd(FullSyncEnd { chunks: count })));
    events
}

/// A full sync as the parts of an `ApplySnapshot` call (a node handing its state to a
/// master, or a syncer passing on a peer's full sync).
pub fn snapshot_parts(hello: Hello, origin: u8, begin: FullSyncBegin, chunks: Vec<Frame>) -> Vec<SnapshotPart> {
    let part = |p: Part| SnapshotPart { part: Some(p), hello: Some(hello.clone()), origin: u32::from(origin) };
    let count = chunks.len() as u64;
    let mut parts = vec![part(Part::Begin(begin))];
    parts.extend(chunks.into_iter().map(|c| part(Part::Chunk(c))));
    parts.push(part(Part::End(FullSyncEnd { chunks: count })));
    parts
}

/// What a follower's stream carries of one backlog record.
pub enum Pick {
    /// Nothing (the follower has it, or it is not for this follower).
    Skip,
    /// The record as it is: its frame, encoded once when it was appended.
    Verbatim,
    /// Something else in its place (the keys of some slots only), encoded for this follower.
    Changed(Frame),
}

/// Who follows, which decides what each record becomes.
#[derive(Debug, Clone)]
pub enum Follower {
    /// A replica takes every record as it is.
    Replica,
    /// A syncer takes what its `applied` context lacks, for its slots; after `live_from`
    /// only this shard's own writes (see `protocol::pick_for_subscriber`).
    Syncer { applied: CausalContext, live_from: u64, ranges: Vec<SlotRange> },
}

impl Follower {
    fn pick(&self, record: &Record) -> Pick {
        match self {
            Follower::Replica => Pick::Verbatim,
            Follower::Syncer { applied, live_from, ranges } => {
                match protocol::pick_for_subscriber(record, applied, *live_from, ranges) {
                    Gets::Nothing => Pick::Skip,
                    Gets::Record => Pick::Verbatim,
                    Gets::Part(payload, crc32) => Pick::Changed(Frame { payload, crc32, ..frame_of(record) }),
                }
            }
        }
    }
}

/// One message of deltas from records in stream order: the records' own encodings laid end
/// to end (a single record goes out without a copy), a changed frame encoded in its place.
/// None when the follower gets none of them.
pub fn batch_message(records: &[Arc<Record>], pick: &mut impl FnMut(&Record) -> Pick) -> Option<Bytes> {
    let picks: Vec<(&Arc<Record>, Pick)> =
        records.iter().map(|r| (r, pick(r))).filter(|(_, p)| !matches!(p, Pick::Skip)).collect();
    match picks.as_slice() {
        [] => None,
        [(r, Pick::Verbatim)] => Some(r.frame.clone()),
        _ => {
            let mut out = bytes::BytesMut::new();
            for (r, p) in &picks {
                match p {
                    Pick::Verbatim => out.extend_from_slice(&r.frame),
                    Pick::Changed(frame) => prost::encoding::message::encode(1, frame, &mut out),
                    Pick::Skip => {}
                }
            }
            Some(out.freeze())
        }
    }
}

/// What reading the backlog at a follower's position gave.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// The position fell out of the backlog: the follower must full-sync.
    Overrun,
    /// Nothing new.
    CaughtUp,
    /// Records were read; the message carrying what the follower gets of them, if anything.
    Deltas(Option<Bytes>),
}

/// A follower's place in the backlog.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub pos: u64,
    pub follower: Follower,
}

impl Cursor {
    /// Reads up to `BATCH` records from the follower's position and moves past them.
    pub fn read(&mut self, backlog: &Backlog) -> Read {
        let Some(records) = backlog.read(self.pos, BATCH) else { return Read::Overrun };
        let Some(last) = records.last() else { return Read::CaughtUp };
        self.pos = last.end();
        Read::Deltas(batch_message(&records, &mut |r| self.follower.pick(r)))
    }

    /// Records in the backlog from this follower's position to the newest (for heartbeats).
    pub fn behind(&self, backlog: &Backlog) -> u64 {
        backlog.records_from(self.pos)
    }
}

/// A follower's stream as the master starts it: the events that open it, then the cursor.
#[derive(Debug)]
pub struct Opening {
    pub events: Vec<SyncEvent>,
    pub cursor: Cursor,
}

impl Opening {
    /// Opens a stream from where `protocol` decided it starts.
    pub fn new(start: protocol::Start, follower: Follower, ranges: &[SlotRange]) -> Opening {
        let protocol::Start { replid, offset, snapshot, .. } = start;
        let events = match snapshot {
            Some(snap) => snapshot_events(&snap, replid, offset, ranges),
            None => vec![event(Event::Resume(Continue { replid, offset }))],
        };
        Opening { events, cursor: Cursor { pos: offset, follower } }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::{Cursor, Follower, Pick, Read, batch_message, frame_of};
    use crate::crdt::{ActorId, CausalContext, Minted};
    use crate::node::backlog::Backlog;

    fn backlog_of(payloads: &[&[u8]]) -> Backlog {
        let mut b = Backlog::new("a".repeat(40), 0, CausalContext::new(), 1 << 20);
        for (i, p) in payloads.iter().enumerate() {
            let c = i as u64 + 1;
            b.append(p, Some(Minted { actor: ActorId(1), first: c, last: c }), 0, 7);
        }
        b
    }

    /// Every follower of a record gets the bytes encoded when it was appended: a lone
    /// record is the very same allocation, several are laid end to end, and a changed frame
    /// is encoded in its place.
    #[test]
    fn a_batch_is_made_of_the_frames_encoded_at_append() {
        let b = backlog_of(&[b"one", b"two", b"three"]);
        let records = b.read(0, 10).unwrap();
        let lone = batch_message(&records[..1], &mut |_| Pick::Verbatim).unwrap();
        assert_eq!(lone.as_ptr(), records[0].frame.as_ptr(), "no copy, no encoding");
        let mut changed = frame_of(&records[1]);
        changed.payload = bytes::Bytes::from_static(b"TWO");
        let mut pick = |r: &crate::node::backlog::Record| match r.seq {
            1 => Pick::Verbatim,
            2 => Pick::Changed(changed.clone()),
            _ => Pick::Skip,
        };
        let batch = meridian_proto::Frames::decode(batch_message(&records, &mut pick).unwrap()).unwrap();
        let payloads: Vec<&[u8]> = batch.frames.iter().map(|f| &f.payload[..]).collect();
        assert_eq!(payloads, [&b"one"[..], b"TWO"]);
        assert_eq!(batch.frames[0], frame_of(&records[0]));
        assert_eq!(batch_message(&records, &mut |_| Pick::Skip), None);
    }

    /// A cursor reads on from its position, says when it caught up, and when it fell out.
    #[test]
    fn a_cursor_reads_on_until_caught_up_or_overrun() {
        let b = backlog_of(&[b"one", b"two"]);
        let mut c = Cursor { pos: 0, follower: Follower::Replica };
        assert_eq!(c.behind(&b), 2);
        let Read::Deltas(Some(message)) = c.read(&b) else { panic!("deltas") };
        assert_eq!(meridian_proto::Frames::decode(message).unwrap().frames.len(), 2);
        assert_eq!((c.read(&b), c.behind(&b)), (Read::CaughtUp, 0));
        let mut lost = Cursor { pos: 1, follower: Follower::Replica };
        assert_eq!(lost.read(&b), Read::Overrun, "not a record boundary");
    }
}
