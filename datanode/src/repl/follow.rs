//! A replica following its master: connect, hand over anything the master lacks (an old
//! master coming back after a failover), then a partial or full sync and the live stream,
//! reconnecting with backoff for as long as the node stays a replica. What the replica does
//! with each event, and what it hands over, are plain functions (`on_event`, `hand_over`):
//! the loop here carries them over gRPC, the simulation calls them directly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::sync_event::Event;
use meridian_proto::{ApplyRequest, Frame, Frames, Hello, NodeStatus, SnapshotPart, StatusRequest, SyncRequest};
use prost::Message;

use super::backoff::Backoff;
use super::error::Error;
use super::fullsync::Assembler;
use super::protocol;
use super::stream::{snapshot_begin, snapshot_chunks, snapshot_parts};
use crate::crdt::CausalContext;
use crate::keyspace::slot::SlotRange;
use crate::node::Node;
use crate::node::clock::now_ms;
use crate::node::codec::{crc, decode_claims, decode_context, decode_delta, verify};

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
                link.last_error = Some(e.to_string());
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

pub fn hello(node: &Node) -> Hello {
    Hello::new(&node.repl.settings.database_id, node.repl.settings.region)
}

/// Where this replica asks its master to resume: its backlog's id and position.
pub fn sync_request(node: &Node) -> SyncRequest {
    let (replid, offset) = match node.repl.stream.backlog.lock().as_ref() {
        Some(b) => (b.replid.clone(), b.offset()),
        None => (String::new(), 0),
    };
    SyncRequest { hello: Some(hello(node)), replid, offset, replica_addr: node.repl.settings.repl_addr.clone() }
}

async fn follow_once(node: &Arc<Node>, master: &str) -> Result<(), Error> {
    let mut client =
        ReplicationClient::connect(format!("http://{master}")).await?.max_decoding_message_size(super::MAX_MESSAGE);
    let status = client
        .status(StatusRequest { hello: Some(hello(node)), ..Default::default() })
        .await
        .map_err(|e| Error::master(&e))?
        .into_inner();
    match hand_over(node, &status)? {
        None => {}
        Some(HandOver::Apply(request)) => {
            tracing::warn!(deltas = request.deltas.len(), "handing writes the new master lacks over before following");
            client.apply(request).await.map_err(|e| Error::HandOver(e.message().to_string()))?;
        }
        Some(HandOver::Snapshot(parts)) => {
            tracing::warn!(parts = parts.len(), "handing this node's whole state over to the new master");
            client
                .apply_snapshot(tokio_stream::iter(parts))
                .await
                .map_err(|e| Error::HandOver(e.message().to_string()))?;
        }
    }
    let mut events = client.sync(sync_request(node)).await.map_err(|e| Error::master(&e))?.into_inner();
    node.repl.link.lock().up = true;
    let mut assembler = Assembler::default();
    while let Some(event) = events.message().await.map_err(|e| Error::master(&e))? {
        node.repl.link.lock().last_io = Some(Instant::now());
        on_event(node, &mut assembler, event.event)?;
    }
    Ok(())
}

/// A replica applies one event of its master's stream. An error means the stream is broken
/// (a gap, a damaged delta or snapshot): the replica starts over.
pub fn on_event(node: &Node, assembler: &mut Assembler, event: Option<Event>) -> Result<(), Error> {
    match event {
        Some(Event::Resume(c)) => {
            protocol::replica_resume(&node.repl, c.replid, c.offset)?;
            node.repl.link.lock().partial_syncs += 1;
        }
        Some(Event::FullBegin(b)) => {
            node.repl.link.lock().syncing = true;
            assembler.begin(b);
        }
        Some(Event::Chunk(f)) => assembler.chunk(f)?,
        Some(Event::FullEnd(end)) => {
            let full = assembler.end(&end)?;
            let snap = full.snapshot()?;
            let mut shard = node.shard.lock();
            shard.set_now(now_ms());
            protocol::replica_full_sync(&node.repl, &mut shard, full.begin.replid, full.begin.offset, &snap);
            node.wake_blocked(&mut shard);
            drop(shard);
            let mut link = node.repl.link.lock();
            link.syncing = false;
            link.full_syncs += 1;
        }
        Some(Event::Deltas(batch)) => {
            let batch = Frames::decode(batch)?;
            // Checked and decoded before the lock, and all of it before any is applied.
            let mut decoded = Vec::with_capacity(batch.frames.len());
            for f in batch.frames {
                verify(&f.payload, f.crc32)?;
                let delta = decode_delta(&f.payload)?;
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
    Ok(())
}

/// What a node about to follow a master hands over first, as the call to make.
#[derive(Debug)]
pub enum HandOver {
    Apply(ApplyRequest),
    Snapshot(Vec<SnapshotPart>),
}

/// Split brain: a node that took writes the master never saw (it was master itself) hands
/// them to the master before following it, so no acknowledged write is lost: the deltas
/// the master lacks when its backlog still holds them, else its whole state. `master` is
/// the master's Status.
pub fn hand_over(node: &Node, master: &NodeStatus) -> Result<Option<HandOver>, Error> {
    let applied: CausalContext = decode_context(&master.applied)?;
    let seen: CausalContext = decode_context(&master.context)?;
    let claims = decode_claims(&master.claims)?;
    let region = node.repl.settings.region;
    Ok(match protocol::hand_over(&node.repl, &node.shard.lock(), &applied, &seen, &claims) {
        None => None,
        Some(protocol::HandOver::Deltas(deltas)) => {
            let deltas = deltas
                .into_iter()
                .map(|(_, payload, origin)| Frame {
                    crc32: crc(&payload),
                    payload,
                    origin: u32::from(origin),
                    ..Default::default()
                })
                .collect();
            Some(HandOver::Apply(ApplyRequest { hello: Some(hello(node)), origin: u32::from(region), deltas }))
        }
        Some(protocol::HandOver::Snapshot(snap)) => {
            let begin = snapshot_begin(&snap, String::new(), 0, &[SlotRange::ALL]);
            let chunks = snapshot_chunks(&snap, 0, region);
            Some(HandOver::Snapshot(snapshot_parts(hello(node), region, begin, chunks)))
        }
    })
}
