//! A replica following its master: connect, hand over anything the master lacks (an old
//! master coming back after a failover), then a partial or full sync and the live stream,
//! reconnecting with backoff for as long as the node stays a replica.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::sync_event::Event;
use meridian_proto::{FullSyncBegin, Hello, StatusRequest, SyncRequest};
use prost::Message;
use tonic::transport::Channel;

use super::backoff::Backoff;
use super::feed::snapshot_parts;
use super::protocol;
use crate::crdt::CausalContext;
use crate::keyspace::delta::Snapshot;
use crate::keyspace::entry::Entry;
use crate::keyspace::slot::SlotRange;
use crate::node::Node;
use crate::node::clock::now_ms;
use crate::node::codec::{decode_context, decode_delta, decode_entries, verify};

pub async fn run(node: Arc<Node>, master: String) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let started = Instant::now();
        let outcome = follow_once(&node, &master).await;
        {
            let mut link = node.repl.link.lock();
            link.up = false;
            link.syncing = false;
            if let Err(e) = &outcome {
                link.last_error = Some(e.clone());
            }
        }
        match outcome {
            Ok(()) => tracing::info!(%master, "master closed the replication stream"),
            Err(e) => tracing::warn!(%master, error = %e, "replication link down"),
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff.reset();
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

fn hello(node: &Node) -> Hello {
    Hello::new(&node.repl.settings.database_id, node.repl.settings.region)
}

async fn follow_once(node: &Arc<Node>, master: &str) -> Result<(), String> {
    let mut client = ReplicationClient::connect(format!("http://{master}")).await.map_err(|e| e.to_string())?;
    hand_over_extra(node, &mut client).await?;
    let (replid, offset) = match node.repl.stream.backlog.lock().as_ref() {
        Some(b) => (b.replid.clone(), b.offset()),
        None => (String::new(), 0),
    };
    let request =
        SyncRequest { hello: Some(hello(node)), replid, offset, replica_addr: node.repl.settings.repl_addr.clone() };
    let mut events = client.sync(request).await.map_err(|e| e.message().to_string())?.into_inner();
    node.repl.link.lock().up = true;
    let mut pending: Option<(FullSyncBegin, Vec<(Bytes, Entry)>)> = None;
    while let Some(event) = events.message().await.map_err(|e| e.message().to_string())? {
        node.repl.link.lock().last_io = Some(Instant::now());
        match event.event {
            Some(Event::Resume(c)) => {
                protocol::replica_resume(&node.repl, c.replid, c.offset)?;
                node.repl.link.lock().partial_syncs += 1;
            }
            Some(Event::FullBegin(b)) => {
                node.repl.link.lock().syncing = true;
                pending = Some((b, Vec::new()));
            }
            Some(Event::Chunk(f)) => {
                let Some((_, entries)) = pending.as_mut() else {
                    return Err("snapshot chunk outside a full sync".into());
                };
                verify(&f.payload, f.crc32).map_err(|e| e.to_string())?;
                entries.extend(decode_entries(&f.payload).map_err(|e| e.to_string())?);
            }
            Some(Event::FullEnd(_)) => {
                let Some((begin, entries)) = pending.take() else { return Err("snapshot end without a start".into()) };
                let ctx = decode_context(&begin.context).map_err(|e| e.to_string())?;
                let applied = decode_context(&begin.applied).map_err(|e| e.to_string())?;
                let snap = Snapshot { ctx, applied, entries };
                let mut shard = node.shard.lock();
                shard.set_now(now_ms());
                protocol::replica_full_sync(&node.repl, &mut shard, begin.replid, begin.offset, &snap);
                node.wake_blocked(&mut shard);
                drop(shard);
                let mut link = node.repl.link.lock();
                link.syncing = false;
                link.full_syncs += 1;
            }
            Some(Event::Deltas(batch)) => {
                let batch = meridian_proto::Frames::decode(batch).map_err(|e| format!("undecodable batch: {e}"))?;
                // Checked and decoded before the lock, and all of it before any is applied.
                let mut decoded = Vec::with_capacity(batch.frames.len());
                for f in batch.frames {
                    verify(&f.payload, f.crc32).map_err(|e| e.to_string())?;
                    let delta = decode_delta(&f.payload).map_err(|e| e.to_string())?;
                    decoded.push((f, delta));
                }
                let mut shard = node.shard.lock();
                shard.set_now(now_ms());
                for (f, delta) in decoded {
                    let origin = u8::try_from(f.origin).unwrap_or(0);
                    protocol::replica_apply(&node.repl, &mut shard, f.offset, &delta, f.payload, origin)?;
                }
                node.wake_blocked(&mut shard);
            }
            Some(Event::Heartbeat(h)) => node.repl.link.lock().master_offset = h.offset,
            None => {}
        }
    }
    Ok(())
}

/// Split brain: a node that took writes the master never saw (it was master itself) hands
/// its whole state to the master before following it, so no acknowledged write is lost.
async fn hand_over_extra(node: &Arc<Node>, client: &mut ReplicationClient<Channel>) -> Result<(), String> {
    let status = client
        .status(StatusRequest { hello: Some(hello(node)), digest: false })
        .await
        .map_err(|e| e.message().to_string())?
        .into_inner();
    let theirs: CausalContext = decode_context(&status.applied).map_err(|e| e.to_string())?;
    let hand = protocol::hand_over(&node.repl, &node.shard.lock(), &theirs);
    match hand {
        None => {}
        Some(protocol::HandOver::Deltas(deltas)) => {
            tracing::warn!(deltas = deltas.len(), "handing writes the new master lacks over to it before following");
            let frames = deltas
                .into_iter()
                .map(|(_, payload, origin)| meridian_proto::Frame {
                    crc32: crate::node::codec::crc(&payload),
                    payload,
                    origin: u32::from(origin),
                    ..Default::default()
                })
                .collect();
            let request = meridian_proto::ApplyRequest {
                hello: Some(hello(node)),
                origin: u32::from(node.repl.settings.region),
                deltas: frames,
            };
            client.apply(request).await.map_err(|e| format!("handing over to the new master: {}", e.message()))?;
        }
        Some(protocol::HandOver::Snapshot(snap)) => {
            tracing::warn!(keys = snap.entries.len(), "handing this node's whole state over to the new master");
            let parts = snapshot_parts(hello(node), node.repl.settings.region, snap, &[SlotRange::ALL]);
            client
                .apply_snapshot(tokio_stream::iter(parts))
                .await
                .map_err(|e| format!("handing over to the new master: {}", e.message()))?;
        }
    }
    Ok(())
}
