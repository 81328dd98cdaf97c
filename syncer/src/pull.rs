//! Pulling from one peer region over gRPC: the I/O around a `PeerLink`. Ask the local masters
//! what they have applied, subscribe, feed the link what arrives, make the calls it returns
//! on the local masters, and report. Any error, or a local master change, starts the
//! subscription over (with backoff and jitter); the other peers are not affected.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::clock::{now_ms, now_us};
use meridian_datanode::repl::backoff::Backoff;
use meridian_datanode::repl::stream::wire_ranges;
use meridian_proto::peer_client::PeerClient;
use meridian_proto::sync_event::Event;
use meridian_proto::{NodeStatus, PeerEvent};
use tokio_stream::StreamExt;
use tonic::Streaming;
use tonic::transport::{Channel, Endpoint};

use crate::Syncer;
use crate::config::PeerRegion;
use crate::error::{Error, Result};
use crate::gap::LocalSeen;
use crate::link::{Call, PeerLink, Received};

/// Deltas gathered before they are applied (one call per local master): once past this,
/// no more events are taken. An event carries at most the master's read batch (256) more.
const BATCH: usize = 512;

pub async fn run(syncer: Arc<Syncer>, peer: PeerRegion) {
    let local = &syncer.local;
    let mut link = PeerLink::new(peer.region, &local.database_id, local.region, local.ranges());
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let started = Instant::now();
        let reason = match pull_once(&syncer, &peer, &mut link).await {
            Ok(()) => Error::PeerEnded,
            Err(e) => e,
        };
        link.disconnected();
        tracing::warn!(peer = peer.region, addr = %peer.addr, reason = %reason, "peer link down");
        syncer.peers.update(peer.region, |p| {
            p.connected = false;
            p.state = link.state();
            p.last_error = Some(reason.to_string());
        });
        if started.elapsed() > Duration::from_secs(10) {
            backoff.reset();
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// One subscription, from asking the local masters to the stream's end.
async fn pull_once(syncer: &Arc<Syncer>, peer: &PeerRegion, link: &mut PeerLink) -> Result<()> {
    let mut generation = syncer.local.generation();
    generation.borrow_and_update();
    let applied = local_statuses(syncer, false, &[]).await?.into_iter().map(|(_, s)| s.applied).collect();
    let request = link.subscribe(applied);
    let mut client = connect(syncer, peer).await?;
    let mut events = client.subscribe(request).await.map_err(|e| Error::Peer(e.message().to_string()))?.into_inner();
    syncer.peers.update(peer.region, |p| {
        p.connected = true;
        p.state = link.state();
        p.last_event = Some(Instant::now());
    });
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let first = tokio::select! {
            e = events.next() => e,
            _ = generation.changed() => return Err(Error::LocalMasterChanged),
            _ = tick.tick() => {
                if link.tick() {
                    check_gaps(syncer, &mut client, link).await?;
                }
                continue;
            }
        };
        let Some(first) = first else { return Ok(()) };
        let batch = gather(first.map_err(|e| Error::Peer(e.message().to_string()))?, &mut events)?;
        let received = link.receive(batch)?;
        let applied = make_calls(syncer, &received.calls).await?;
        report(syncer, link, &received, applied);
    }
}

/// A client to the peer's syncer, compressed as configured.
async fn connect(syncer: &Syncer, peer: &PeerRegion) -> Result<PeerClient<Channel>> {
    let scheme = if syncer.tls.get().is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", peer.addr))
        .map_err(|e| Error::Connect(e.to_string()))?
        .connect_timeout(Duration::from_secs(3))
        .http2_keep_alive_interval(Duration::from_secs(5))
        .keep_alive_timeout(Duration::from_secs(5))
        .tcp_nodelay(true);
    if let Some(tls) = syncer.tls.get() {
        endpoint = endpoint.tls_config(tls.client(&peer.addr)?).map_err(|e| Error::TlsConfig(e.to_string()))?;
    }
    // tonic's transport errors say only "transport error" at the top; the reason is deeper.
    let channel = endpoint.connect().await.map_err(|e| Error::Connect(crate::error_chain(&e)))?;
    let mut client = PeerClient::new(channel).max_decoding_message_size(64 << 20);
    if let Some(encoding) = syncer.compression.encoding() {
        client = client.accept_compressed(encoding).send_compressed(encoding);
    }
    Ok(client)
}

/// Each local master's range and Status, with the digests of those of `digest_ranges` that
/// lie within its slots. A master that does not answer is forgotten (the next call finds the
/// shard's master again).
pub async fn local_statuses(
    syncer: &Syncer,
    digest: bool,
    digest_ranges: &[SlotRange],
) -> Result<Vec<(SlotRange, NodeStatus)>> {
    let local = &syncer.local;
    let mut out = Vec::with_capacity(local.shards.len());
    for (i, shard) in local.shards.iter().enumerate() {
        let mut master = local.master(i).await?;
        let within: Vec<SlotRange> = digest_ranges
            .iter()
            .copied()
            .filter(|r| shard.range.start <= r.start && r.end <= shard.range.end)
            .collect();
        let status = master.client.status(local.status_request(digest, &within)).await.map_err(|e| {
            local.forget(i);
            Error::local(&master.addr, &e)
        })?;
        out.push((shard.range, status.into_inner()));
    }
    Ok(out)
}

/// The first event and whatever else already arrived, up to about `BATCH` deltas, so the
/// link applies them in batches.
fn gather(first: PeerEvent, events: &mut Streaming<PeerEvent>) -> Result<Vec<PeerEvent>> {
    let mut gathered = deltas_in(&first);
    let mut batch = vec![first];
    while gathered < BATCH {
        match ready_now(events) {
            Some(Some(Ok(e))) => {
                gathered += deltas_in(&e);
                batch.push(e);
            }
            Some(Some(Err(e))) => return Err(Error::Peer(e.message().to_string())),
            Some(None) | None => break,
        }
    }
    Ok(batch)
}

/// About how many deltas an event carries (its bytes, at a few dozen per delta; other
/// events count as one): only a bound on gathering, not worth decoding for.
fn deltas_in(e: &PeerEvent) -> usize {
    match e.event.as_ref().and_then(|e| e.event.as_ref()) {
        Some(Event::Deltas(batch)) => 1 + batch.len() / 64,
        _ => 1,
    }
}

/// The next event if one is ready now, without waiting.
fn ready_now<S: tokio_stream::Stream + Unpin>(s: &mut S) -> Option<Option<S::Item>> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match std::pin::Pin::new(s).poll_next(&mut cx) {
        std::task::Poll::Ready(item) => Some(item),
        std::task::Poll::Pending => None,
    }
}

/// Makes the link's calls on the local masters, in order. Returns how many deltas were new.
async fn make_calls(syncer: &Syncer, calls: &[Call]) -> Result<u64> {
    let local = &syncer.local;
    let mut applied = 0u64;
    for call in calls {
        let shard = match call {
            Call::Apply { shard, .. } | Call::Snapshot { shard, .. } => *shard,
        };
        let mut master = local.master(shard).await?;
        let reply = match call {
            Call::Apply { request, .. } => master.client.apply(request.clone()).await,
            Call::Snapshot { parts, .. } => master.client.apply_snapshot(tokio_stream::iter(parts.clone())).await,
        };
        let reply = reply.map_err(|e| {
            local.forget(shard);
            Error::local(&master.addr, &e)
        })?;
        if matches!(call, Call::Apply { .. }) {
            applied = applied.saturating_add(reply.into_inner().applied);
        }
    }
    Ok(applied)
}

/// What a batch brought, for `/info`, `/metrics` and `/lag`.
fn report(syncer: &Syncer, link: &PeerLink, received: &Received, applied: u64) {
    let lag_ops = link.lag_ops();
    let full_sync_at = (received.full_syncs > 0).then(now_ms);
    syncer.peers.update(link.peer(), |p| {
        p.state = link.state();
        p.last_event = Some(Instant::now());
        p.deltas_received += received.deltas;
        p.bytes_received += received.bytes;
        p.deltas_applied += applied;
        p.full_syncs += received.full_syncs;
        if full_sync_at.is_some() {
            p.last_full_sync_unix_ms = full_sync_at;
        }
        p.lag_ops = lag_ops;
        if let Some(newest) = received.appended_us.iter().max() {
            p.lag_ms = now_us().saturating_sub(*newest) / 1000;
        } else if lag_ops == 0 {
            p.lag_ms = 0;
        }
        p.last_error = None;
    });
    syncer.lag.record(now_us(), &received.appended_us);
}

/// An anti-entropy check: the peer's contexts against what the local masters have seen;
/// then, where both have seen the same, the digests of those slots' entries.
async fn check_gaps(syncer: &Syncer, client: &mut PeerClient<Channel>, link: &mut PeerLink) -> Result<()> {
    let (theirs, mine) = statuses(syncer, client, &[]).await?;
    let alike = link.check_gaps(&theirs, &mine)?;
    if alike.is_empty() {
        return Ok(());
    }
    let (theirs, mine) = statuses(syncer, client, &alike).await?;
    link.check_digests(&theirs, &mine)
}

/// The peer's Status and the local masters', each with the digests of `digest_ranges`.
async fn statuses(
    syncer: &Syncer,
    client: &mut PeerClient<Channel>,
    digest_ranges: &[SlotRange],
) -> Result<(meridian_proto::PeerStatusReply, Vec<LocalSeen>)> {
    let request = meridian_proto::PeerStatusRequest {
        hello: Some(syncer.local.hello()),
        digest: false,
        digest_ranges: wire_ranges(digest_ranges),
    };
    let theirs = client.status(request).await.map_err(|e| Error::Peer(e.message().to_string()))?.into_inner();
    let mine = local_statuses(syncer, false, digest_ranges)
        .await?
        .iter()
        .filter_map(|(range, status)| LocalSeen::from_status(*range, status))
        .collect();
    Ok((theirs, mine))
}

#[cfg(test)]
mod tests {
    use super::deltas_in;
    use meridian_proto::{PeerEvent, SyncEvent};

    #[test]
    fn gathering_counts_deltas_by_size() {
        let deltas = |n| PeerEvent {
            event: Some(SyncEvent { event: Some(super::Event::Deltas(vec![0u8; n].into())) }),
            ..PeerEvent::default()
        };
        assert_eq!((deltas_in(&deltas(0)), deltas_in(&deltas(640)), deltas_in(&PeerEvent::default())), (1, 11, 1));
    }
}
