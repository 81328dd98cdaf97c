//! What a master streams to a follower: a full sync (snapshot chunks, then the backlog from
//! the snapshot's offset) or a partial one (the backlog from an offset), then the backlog as
//! it grows, with heartbeats when idle. The backlog is the only buffer: a follower that
//! falls out of it is cut off and must full-sync, so memory stays bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_proto::sync_event::Event;
use meridian_proto::{
    Continue, Frame, Frames, FullSyncBegin, FullSyncEnd, Heartbeat, SlotRange as WireRange, SyncEvent,
};
use tokio::sync::mpsc;
use tonic::Status;

use super::backlog::Record;
use super::codec::{crc, encode_context, encode_entries};
use crate::keyspace::delta::Snapshot;
use crate::keyspace::slot::SlotRange;
use crate::server::{Server, now_ms, now_us};

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

/// Streams the backlog from `pos` on, for as long as the follower listens. `pick` turns a
/// record into the frame to send, or skips it. Ends with an error when `pos` falls out of
/// the backlog (the follower must full-sync).
pub async fn follow_backlog(
    server: &Arc<Server>,
    follower: u64,
    mut pos: u64,
    tx: &Events,
    mut pick: impl FnMut(&Record) -> Option<Frame>,
) -> Result<(), Gone> {
    let mut changed = server.repl.stream.offset.subscribe();
    let mut last_beat = Instant::now();
    loop {
        changed.borrow_and_update();
        let (batch, head, end) = {
            let guard = server.repl.stream.backlog.lock();
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
        let mut frames = Vec::with_capacity(batch.len());
        for record in batch {
            pos = record.end();
            frames.extend(pick(&record));
        }
        if !frames.is_empty() {
            send(tx, Event::Deltas(Frames { frames })).await?;
        }
        server.repl.follower_progress(follower, pos);
    }
}
