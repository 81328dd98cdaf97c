//! What a master streams to a follower: a full sync (snapshot chunks, then the backlog from
//! the snapshot's offset) or a partial one (the backlog from an offset), then the backlog as
//! it grows, with heartbeats when idle. The backlog is the only buffer: a follower that
//! falls out of it is cut off and must full-sync, so memory stays bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_proto::sync_event::Event;
use meridian_proto::{Continue, Frame, FullSyncBegin, FullSyncEnd, Heartbeat, SlotRange as WireRange, SyncEvent};
use tokio::sync::mpsc;
use tonic::Status;

use crate::keyspace::delta::Snapshot;
use crate::keyspace::slot::SlotRange;
use crate::node::Node;
use crate::node::backlog::Record;
use crate::node::clock::{now_ms, now_us};
use crate::node::codec::{crc, encode_context, encode_entries};

pub type Events = mpsc::Sender<Result<SyncEvent, Status>>;

/// Entries per snapshot chunk: big enough to amortise framing, small enough to stream.
const CHUNK_ENTRIES: usize = 512;
/// Records read from the backlog per lock.
const BATCH: usize = 256;
const HEARTBEAT: Duration = Duration::from_millis(250);

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

/// What a follower's stream carries of one backlog record.
pub enum Pick {
    /// Nothing (the follower has it, or it is not for this follower).
    Skip,
    /// The record as it is: its frame, encoded once when it was appended.
    Verbatim,
    /// Something else in its place (the keys of some slots only), encoded for this follower.
    Changed(Frame),
}

/// The follower hung up: not an error worth reporting.
pub struct Gone;

async fn send(tx: &Events, e: Event) -> Result<(), Gone> {
    tx.send(Ok(event(e))).await.map_err(|_| Gone)
}

pub async fn send_resume(tx: &Events, replid: String, offset: u64) -> Result<(), Gone> {
    send(tx, Event::Resume(Continue { replid, offset })).await
}

/// Streams a snapshot as a header, chunks and an end marker.
pub async fn send_snapshot(
    tx: &Events,
    snap: Snapshot,
    replid: String,
    offset: u64,
    ranges: &[SlotRange],
) -> Result<(), Gone> {
    let keys = snap.entries.len() as u64;
    let context = encode_context(&snap.ctx);
    let applied = encode_context(&snap.applied);
    let begin = FullSyncBegin { replid, offset, context, keys, ranges: wire_ranges(ranges), applied };
    send(tx, Event::FullBegin(begin)).await?;
    let mut chunks = 0;
    for chunk in snap.entries.chunks(CHUNK_ENTRIES) {
        let payload: Bytes = encode_entries(chunk);
        let crc32 = crc(&payload);
        send(tx, Event::Chunk(Frame { offset, payload, crc32, origin: 0, appended_us: now_us(), seq: 0 })).await?;
        chunks += 1;
    }
    send(tx, Event::FullEnd(FullSyncEnd { chunks })).await
}

/// A snapshot as the parts of an `ApplySnapshot` call (a node handing its state to a master,
/// or a syncer passing on a peer's full sync).
pub fn snapshot_parts(
    hello: meridian_proto::Hello,
    origin: u8,
    snap: Snapshot,
    ranges: &[SlotRange],
) -> Vec<meridian_proto::SnapshotPart> {
    use meridian_proto::snapshot_part::Part;
    let part =
        |p: Part| meridian_proto::SnapshotPart { part: Some(p), hello: Some(hello.clone()), origin: u32::from(origin) };
    let keys = snap.entries.len() as u64;
    let begin = FullSyncBegin {
        replid: String::new(),
        offset: 0,
        context: encode_context(&snap.ctx),
        applied: encode_context(&snap.applied),
        keys,
        ranges: wire_ranges(ranges),
    };
    let mut parts = vec![part(Part::Begin(begin))];
    for chunk in snap.entries.chunks(CHUNK_ENTRIES) {
        let payload = encode_entries(chunk);
        let crc32 = crc(&payload);
        let frame = Frame { offset: 0, payload, crc32, origin: u32::from(origin), appended_us: now_us(), seq: 0 };
        parts.push(part(Part::Chunk(frame)));
    }
    let chunks = parts.len() as u64 - 1;
    parts.push(part(Part::End(FullSyncEnd { chunks })));
    parts
}

/// One message of deltas from records in stream order: the records' own encodings laid end
/// to end (a single record goes out without a copy), a changed frame encoded in its place.
/// None when the follower gets none of them.
fn batch_message(records: &[Arc<Record>], pick: &mut impl FnMut(&Record) -> Pick) -> Option<Bytes> {
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

/// Streams the backlog from `pos` on, for as long as the follower listens. `pick` says what
/// the follower gets of each record. Ends with an error when `pos` falls out of the backlog
/// (the follower must full-sync).
pub async fn follow_backlog(
    node: &Arc<Node>,
    follower: u64,
    mut pos: u64,
    tx: &Events,
    mut pick: impl FnMut(&Record) -> Pick,
) -> Result<(), Gone> {
    let mut changed = node.repl.stream.offset.subscribe();
    let mut last_beat = Instant::now();
    loop {
        changed.borrow_and_update();
        let (batch, head, end) = {
            let guard = node.repl.stream.backlog.lock();
            match guard.as_ref() {
                Some(b) => (b.read(pos, BATCH), b.seq(), b.offset()),
                None => (None, 0, 0),
            }
        };
        if last_beat.elapsed() >= HEARTBEAT {
            last_beat = Instant::now();
            // Records from the first one not yet sent up to the newest.
            let behind = batch.as_ref().and_then(|b| b.first()).map_or(0, |r| head + 1 - r.seq);
            send(tx, Event::Heartbeat(Heartbeat { offset: end, unix_ms: now_ms(), behind })).await?;
        }
        let Some(batch) = batch else {
            let why = "backlog overrun: this follower fell out of the master's backlog and must full-sync";
            let _ = tx.send(Err(Status::out_of_range(why))).await;
            return Err(Gone);
        };
        if batch.is_empty() {
            match tokio::time::timeout(HEARTBEAT, changed.changed()).await {
                // Let the clients that are ready write first: one message then carries all
                // their deltas instead of one message (and one syscall) per write.
                Ok(Ok(())) => tokio::task::yield_now().await,
                Ok(Err(_)) => return Ok(()),
                Err(_) => {
                    last_beat = Instant::now();
                    send(tx, Event::Heartbeat(Heartbeat { offset: pos, unix_ms: now_ms(), behind: 0 })).await?
                }
            }
            continue;
        }
        if let Some(last) = batch.last() {
            pos = last.end();
        }
        if let Some(message) = batch_message(&batch, &mut pick) {
            send(tx, Event::Deltas(message)).await?;
        }
        node.repl.follower_progress(follower, pos);
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::{Pick, batch_message};
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
        let mut changed = super::frame_of(&records[1]);
        changed.payload = bytes::Bytes::from_static(b"TWO");
        let mut pick = |r: &crate::node::backlog::Record| match r.seq {
            1 => Pick::Verbatim,
            2 => Pick::Changed(changed.clone()),
            _ => Pick::Skip,
        };
        let batch = meridian_proto::Frames::decode(batch_message(&records, &mut pick).unwrap()).unwrap();
        let payloads: Vec<&[u8]> = batch.frames.iter().map(|f| &f.payload[..]).collect();
        assert_eq!(payloads, [&b"one"[..], b"TWO"]);
        assert_eq!(batch.frames[0], super::frame_of(&records[0]));
        assert_eq!(batch_message(&records, &mut |_| Pick::Skip), None);
    }
}
