//! Pulling from one peer region: subscribe with the local masters' contexts, then apply
//! what arrives to the local masters, routed by slot, in order per peer shard. Any error,
//! or a local master change, starts the subscription over (with backoff and jitter); the
//! other peers are not affected.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::clock::{now_ms, now_us};
use meridian_datanode::node::codec::{
    crc, decode_context, decode_delta, decode_entries, encode_delta, encode_entries, verify,
};
use meridian_datanode::repl::backoff::Backoff;
use meridian_datanode::repl::service::parse_ranges;
use meridian_proto::Frames;
use meridian_proto::peer_client::PeerClient;
use meridian_proto::snapshot_part::Part;
use meridian_proto::sync_event::Event;
use meridian_proto::{
    ApplyRequest, Frame, FullSyncBegin, FullSyncEnd, PeerEvent, PeerSubscribeRequest, RangeContext,
    SlotRange as WireRange, SnapshotPart,
};
use prost::Message;
use tokio_stream::StreamExt;
use tonic::transport::Endpoint;

use crate::Syncer;
use crate::config::PeerRegion;
use crate::gap::GapCheck;
use crate::route::{intersect, split_delta, split_entries};
use crate::status::State;

/// Deltas gathered before they are applied (one call per local master): once past this,
/// no more events are taken. An event carries at most the master's read batch (256) more.
const BATCH: usize = 512;

pub async fn run(syncer: Arc<Syncer>, peer: PeerRegion) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let started = Instant::now();
        let outcome = pull_once(&syncer, &peer).await;
        let reason = match outcome {
            Ok(()) => "peer ended the stream".to_string(),
            Err(e) => e,
        };
        tracing::warn!(peer = peer.region, addr = %peer.addr, reason = %reason, "peer link down");
        syncer.peers.update(peer.region, |p| {
            p.connected = false;
            p.state = State::Stale;
            p.last_error = Some(reason);
        });
        if started.elapsed() > Duration::from_secs(10) {
            backoff.reset();
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// A full sync of one peer shard being received.
struct Pending {
    begin: FullSyncBegin,
    ranges: Vec<SlotRange>,
    chunks: Vec<Frame>,
}

async fn pull_once(syncer: &Arc<Syncer>, peer: &PeerRegion) -> Result<(), String> {
    let local = &syncer.local;
    let mut generation = local.generation();
    generation.borrow_and_update();
    let mut contexts = Vec::new();
    let full = syncer.full_next.lock().remove(&peer.region).unwrap_or_default();
    for (i, shard) in local.shards.iter().enumerate() {
        let mut master = local.master(i).await?;
        let status = master.client.status(local.status_request(false)).await.map_err(|e| {
            local.forget(i);
            format!("local master {}: {}", master.addr, e.message())
        })?;
        let range = WireRange { start: u32::from(shard.range.start), end: u32::from(shard.range.end) };
        let full = full.contains(&shard.range);
        contexts.push(RangeContext { range: Some(range), applied: status.into_inner().applied, full });
    }
    let endpoint = Endpoint::from_shared(format!("http://{}", peer.addr))
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(3))
        .http2_keep_alive_interval(Duration::from_secs(5))
        .keep_alive_timeout(Duration::from_secs(5))
        .tcp_nodelay(true);
    let channel = endpoint.connect().await.map_err(|e| format!("connecting: {e}"))?;
    let mut client = PeerClient::new(channel).max_decoding_message_size(64 << 20);
    if let Some(encoding) = syncer.compression.encoding() {
        client = client.accept_compressed(encoding).send_compressed(encoding);
    }
    let request = PeerSubscribeRequest { hello: Some(local.hello()), contexts };
    let mut events = client.subscribe(request).await.map_err(|e| e.message().to_string())?.into_inner();
    syncer.peers.update(peer.region, |p| {
        p.connected = true;
        p.state = State::PartialSync;
        p.last_event = Some(Instant::now());
    });
    let mut pending: HashMap<u32, Pending> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut behind: HashMap<u32, u64> = HashMap::new();
    let mut gap_check = GapCheck::default();
    let mut ticks = 0u64;
    let mut idle_since_check = true;
    loop {
        let first = tokio::select! {
            e = events.next() => e,
            _ = generation.changed() => return Err("a local master changed; subscribing again with its context".into()),
            _ = tick.tick() => {
                ticks += 1;
                let caught_up = pending.is_empty() && behind.values().all(|b| *b == 0);
                idle_since_check &= caught_up;
                if ticks % GAP_CHECK_TICKS == 0 {
                    if idle_since_check {
                        check_gaps(syncer, peer, &mut client, &mut gap_check).await?;
                    }
                    idle_since_check = true;
                }
                continue;
            }
        };
        let Some(first) = first else { return Ok(()) };
        // Take whatever else already arrived, to apply deltas in batches.
        let first = first.map_err(|e| e.message().to_string())?;
        let mut gathered = deltas_in(&first);
        let mut batch = vec![first];
        while gathered < BATCH {
            match futures_now(&mut events) {
                Some(Some(Ok(e))) => {
                    gathered += deltas_in(&e);
                    batch.push(e);
                }
                Some(Some(Err(e))) => return Err(e.message().to_string()),
                Some(None) | None => break,
            }
        }
        let mut deltas: Vec<Vec<Frame>> = vec![Vec::new(); local.shards.len()];
        let mut appended = Vec::new();
        let mut received = (0u64, 0u64);
        for ev in batch {
            let PeerEvent { shard: from, ranges, event } = ev;
            match event.and_then(|e| e.event) {
                Some(Event::Deltas(batch)) => {
                    let batch = Frames::decode(batch).map_err(|e| format!("undecodable batch: {e}"))?;
                    for frame in batch.frames {
                        verify(&frame.payload, frame.crc32).map_err(|e| e.to_string())?;
                        appended.push(frame.appended_us);
                        received.0 += 1;
                        received.1 += frame.payload.len() as u64;
                        route_delta(syncer, frame, &mut deltas)?;
                    }
                }
                Some(Event::FullBegin(begin)) => {
                    // Deltas before a full sync go first, to keep each shard's order.
                    flush(syncer, peer, &mut deltas).await?;
                    syncer.peers.update(peer.region, |p| p.state = State::FullSync);
                    let ranges = parse_ranges(&ranges).map_err(|e| e.message().to_string())?;
                    pending.insert(from, Pending { begin, ranges, chunks: Vec::new() });
                }
                Some(Event::Chunk(frame)) => {
                    verify(&frame.payload, frame.crc32).map_err(|e| e.to_string())?;
                    received.1 += frame.payload.len() as u64;
                    let p = pending.get_mut(&from).ok_or("snapshot chunk outside a full sync")?;
                    p.chunks.push(frame);
                }
                Some(Event::FullEnd(_)) => {
                    flush(syncer, peer, &mut deltas).await?;
                    let p = pending.remove(&from).ok_or("snapshot end without a start")?;
                    apply_full_sync(syncer, peer, p).await?;
                    let now = now_ms();
                    syncer.peers.update(peer.region, |s| {
                        s.full_syncs += 1;
                        s.last_full_sync_unix_ms = Some(now);
                        if pending.is_empty() {
                            s.state = State::PartialSync;
                        }
                    });
                }
                Some(Event::Heartbeat(h)) => {
                    behind.insert(from, h.behind);
                }
                Some(Event::Resume(_)) | None => {}
            }
        }
        let applied = flush(syncer, peer, &mut deltas).await?;
        // Peer-reported numbers: summed without trusting them not to overflow.
        let lag_ops = behind.values().fold(0u64, |sum, b| sum.saturating_add(*b));
        syncer.peers.update(peer.region, |p| {
            p.last_event = Some(Instant::now());
            p.deltas_received += received.0;
            p.bytes_received += received.1;
            p.deltas_applied += applied;
            p.lag_ops = lag_ops;
            if let Some(newest) = appended.iter().max() {
                p.lag_ms = now_us().saturating_sub(*newest) / 1000;
            } else if lag_ops == 0 {
                p.lag_ms = 0;
            }
            p.last_error = None;
        });
        syncer.lag.record(now_us(), &appended);
    }
}

/// Seconds between anti-entropy checks.
const GAP_CHECK_TICKS: u64 = 10;

/// Compares the peer's contexts with the local masters' and ends the subscription (asking
/// the gapped ranges in full next time) when a gap outlived one check.
async fn check_gaps(
    syncer: &Syncer,
    peer: &PeerRegion,
    client: &mut PeerClient<tonic::transport::Channel>,
    gaps: &mut GapCheck,
) -> Result<(), String> {
    let local = &syncer.local;
    let reply = client
        .status(meridian_proto::PeerStatusRequest { hello: Some(local.hello()), digest: false })
        .await
        .map_err(|e| e.message().to_string())?
        .into_inner();
    let theirs = parse_ranges(&reply.ranges)
        .map_err(|e| e.message().to_string())?
        .into_iter()
        .zip(reply.contexts.iter().map(|c| decode_context(c)))
        .filter_map(|(r, c)| Some((r, c.ok()?)))
        .collect();
    let mut mine = Vec::new();
    for (i, shard) in local.shards.iter().enumerate() {
        let mut master = local.master(i).await?;
        let status = master.client.status(local.status_request(false)).await;
        let Ok(status) = status else { continue };
        if let Ok(ctx) = decode_context(&status.into_inner().context) {
            mine.push((shard.range, ctx));
        }
    }
    let found = gaps.check(theirs, &mine);
    if found.is_empty() {
        return Ok(());
    }
    syncer.full_next.lock().insert(peer.region, found.clone());
    Err(format!("anti-entropy: slots {found:?} lack what the peer had seen; syncing them in full"))
}

/// How many deltas an event carries (other events count as one).
fn deltas_in(e: &PeerEvent) -> usize {
    match e.event.as_ref().and_then(|e| e.event.as_ref()) {
        Some(Event::Deltas(batch)) => Frames::decode(batch.clone()).map_or(1, |b| b.frames.len()),
        _ => 1,
    }
}

/// The next event if one is ready now, without waiting.
fn futures_now<S: tokio_stream::Stream + Unpin>(s: &mut S) -> Option<Option<S::Item>> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match std::pin::Pin::new(s).poll_next(&mut cx) {
        std::task::Poll::Ready(item) => Some(item),
        std::task::Poll::Pending => None,
    }
}

/// Queues a delta for the local shard(s) owning its keys.
fn route_delta(syncer: &Syncer, frame: Frame, out: &mut [Vec<Frame>]) -> Result<(), String> {
    let ranges = syncer.local.ranges();
    if ranges.len() == 1 {
        if let Some(q) = out.first_mut() {
            q.push(frame);
        }
        return Ok(());
    }
    let delta = decode_delta(&frame.payload).map_err(|e| e.to_string())?;
    let parts = split_delta(&ranges, delta);
    if let [(only, _)] = parts.as_slice() {
        if let Some(q) = out.get_mut(*only) {
            q.push(frame);
        }
        return Ok(());
    }
    for (shard, part) in parts {
        let payload = encode_delta(&part);
        let crc32 = crc(&payload);
        if let Some(q) = out.get_mut(shard) {
            q.push(Frame { payload, crc32, ..frame.clone() });
        }
    }
    Ok(())
}

/// Applies the queued deltas, one call per local shard. Returns how many were new there.
async fn flush(syncer: &Syncer, peer: &PeerRegion, queues: &mut [Vec<Frame>]) -> Result<u64, String> {
    let local = &syncer.local;
    let mut applied = 0u64;
    for (i, queue) in queues.iter_mut().enumerate() {
        if queue.is_empty() {
            continue;
        }
        let deltas = std::mem::take(queue);
        let mut master = local.master(i).await?;
        let request = ApplyRequest { hello: Some(local.hello()), origin: u32::from(peer.region), deltas };
        let reply = master.client.apply(request).await.map_err(|e| {
            local.forget(i);
            format!("applying to local master {}: {}", master.addr, e.message())
        })?;
        applied = applied.saturating_add(reply.into_inner().applied);
    }
    Ok(applied)
}

/// Hands a peer shard's full sync to the local master(s) owning its slots.
async fn apply_full_sync(syncer: &Syncer, peer: &PeerRegion, p: Pending) -> Result<(), String> {
    let local = &syncer.local;
    let ranges = local.ranges();
    let targets: Vec<(usize, Vec<SlotRange>)> = ranges
        .iter()
        .enumerate()
        .filter_map(|(i, mine)| {
            let parts: Vec<SlotRange> = p.ranges.iter().filter_map(|r| intersect(*r, *mine)).collect();
            (!parts.is_empty()).then_some((i, parts))
        })
        .collect();
    let chunks: Vec<Vec<Frame>> = if targets.len() <= 1 {
        vec![p.chunks]
    } else {
        // Keys for several local shards: split them.
        let mut per_shard: Vec<Vec<(Bytes, meridian_datanode::keyspace::entry::Entry)>> =
            vec![Vec::new(); ranges.len()];
        for f in p.chunks {
            let entries = decode_entries(&f.payload).map_err(|e| e.to_string())?;
            for (i, part) in split_entries(&ranges, entries).into_iter().enumerate() {
                if let Some(v) = per_shard.get_mut(i) {
                    v.extend(part);
                }
            }
        }
        targets
            .iter()
            .map(|(i, _)| {
                let entries = per_shard.get(*i).map(Vec::as_slice).unwrap_or_default();
                entries
                    .chunks(512)
                    .map(|c| {
                        let payload = encode_entries(c);
                        Frame { crc32: crc(&payload), payload, ..Frame::default() }
                    })
                    .collect()
            })
            .collect()
    };
    for ((i, slot_ranges), frames) in targets.into_iter().zip(chunks) {
        let wire: Vec<WireRange> =
            slot_ranges.iter().map(|r| WireRange { start: u32::from(r.start), end: u32::from(r.end) }).collect();
        let begin = FullSyncBegin { ranges: wire, ..p.begin.clone() };
        let hello = Some(local.hello());
        let origin = u32::from(peer.region);
        let part = |part: Part| SnapshotPart { part: Some(part), hello: hello.clone(), origin };
        let count = frames.len() as u64;
        let mut parts = vec![part(Part::Begin(begin))];
        parts.extend(frames.into_iter().map(|f| part(Part::Chunk(f))));
        parts.push(part(Part::End(FullSyncEnd { chunks: count })));
        let mut master = local.master(i).await?;
        master.client.apply_snapshot(tokio_stream::iter(parts)).await.map_err(|e| {
            local.forget(i);
            format!("full sync into local master {}: {}", master.addr, e.message())
        })?;
    }
    Ok(())
}
