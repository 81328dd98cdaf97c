//! The gRPC Replication service of a datanode: replicas follow it (`Sync`), the region's
//! syncer reads from it by causal context (`Subscribe`) and writes peers' deltas into it
//! (`Apply`, `ApplySnapshot`), and the operator reads and changes its role.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use meridian_proto::replication_server::Replication;
use meridian_proto::snapshot_part::Part;
use meridian_proto::{
    ApplyReply, ApplyRequest, Frame, Hello, NodeStatus, Role as WireRole, SetRoleRequest, SnapshotPart, StatusRequest,
    SubscribeRequest, SyncEvent, SyncRequest,
};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::feed::{Events, Pick, follow_backlog, frame_of, send_resume, send_snapshot};
use super::{protocol, role};
use crate::keyspace::delta::Snapshot;
use crate::keyspace::slot::SlotRange;
use crate::node::Node;
use crate::node::backlog::Record;
use crate::node::clock::now_ms;
use crate::node::codec::{decode_context, decode_delta, decode_entries, encode_context, verify};
use crate::node::replication::Role;

pub struct ReplicationService {
    node: Arc<Node>,
}

impl ReplicationService {
    pub fn new(node: Arc<Node>) -> Self {
        ReplicationService { node }
    }

    fn check(&self, hello: Option<&Hello>) -> Result<(), Status> {
        match Hello::refusal(hello, &self.node.repl.settings.database_id) {
            Some(why) => Err(Status::failed_precondition(why)),
            None => Ok(()),
        }
    }

    fn check_master(&self) -> Result<(), Status> {
        if self.node.repl.is_replica() {
            return Err(Status::failed_precondition("READONLY this node is a replica; ask its master"));
        }
        Ok(())
    }

    fn check_active_active(&self) -> Result<(), Status> {
        if !self.node.repl.settings.active_active {
            return Err(Status::failed_precondition(
                "this node is not part of an active-active database (start it with --active-active)",
            ));
        }
        Ok(())
    }
}

/// Slot ranges from the wire, refusing impossible ones.
pub fn parse_ranges(wire: &[meridian_proto::SlotRange]) -> Result<Vec<SlotRange>, Status> {
    if wire.is_empty() {
        return Ok(vec![SlotRange::ALL]);
    }
    wire.iter()
        .map(|r| match (u16::try_from(r.start), u16::try_from(r.end)) {
            (Ok(start), Ok(end)) if start <= end && end <= SlotRange::ALL.end => Ok(SlotRange { start, end }),
            _ => Err(Status::invalid_argument(format!("bad slot range {}-{}", r.start, r.end))),
        })
        .collect()
}

fn bad_payload(e: impl std::fmt::Display) -> Status {
    Status::data_loss(format!("refused: {e}; nothing of this batch was applied"))
}

type EventStream = ReceiverStream<Result<SyncEvent, Status>>;

#[tonic::async_trait]
impl Replication for ReplicationService {
    type SyncStream = EventStream;
    type SubscribeStream = EventStream;

    async fn sync(&self, request: Request<SyncRequest>) -> Result<Response<EventStream>, Status> {
        let req = request.into_inner();
        self.check(req.hello.as_ref())?;
        self.check_master()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(feed_replica(self.node.clone(), req, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn subscribe(&self, request: Request<SubscribeRequest>) -> Result<Response<EventStream>, Status> {
        let req = request.into_inner();
        self.check(req.hello.as_ref())?;
        self.check_active_active()?;
        self.check_master()?;
        let ranges = parse_ranges(&req.ranges)?;
        let applied = decode_context(&req.applied).map_err(bad_payload)?;
        let region = req.hello.as_ref().map_or(0, Hello::region_id);
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(feed_subscriber(self.node.clone(), ranges, applied, region, req.full, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn apply(&self, request: Request<ApplyRequest>) -> Result<Response<ApplyReply>, Status> {
        let req = request.into_inner();
        self.check(req.hello.as_ref())?;
        // An old master of this region hands its writes over whatever the mode; only other
        // regions need an active-active database.
        if req.origin != u32::from(self.node.repl.settings.region) {
            self.check_active_active()?;
        }
        self.check_master()?;
        let region = |r: u32| u8::try_from(r).map_err(|_| Status::invalid_argument("bad origin region"));
        let sender = region(req.origin)?;
        // Decode everything first: a corrupt delta refuses the batch before any is applied.
        let mut deltas = Vec::with_capacity(req.deltas.len());
        for f in req.deltas {
            verify(&f.payload, f.crc32).map_err(bad_payload)?;
            // A relayed delta keeps the region that wrote it.
            let origin = if f.origin == 0 { sender } else { region(f.origin)? };
            deltas.push((decode_delta(&f.payload).map_err(bad_payload)?, f.payload, origin));
        }
        let node = &self.node;
        let mut shard = node.shard.lock();
        shard.set_now(now_ms());
        let applied = protocol::apply_peer_deltas(&node.repl, &mut shard, &deltas);
        node.wake_blocked(&mut shard);
        drop(shard);
        let offset = *node.repl.stream.offset.borrow();
        Ok(Response::new(ApplyReply { applied, offset }))
    }

    async fn apply_snapshot(&self, request: Request<Streaming<SnapshotPart>>) -> Result<Response<ApplyReply>, Status> {
        let mut parts = request.into_inner();
        let mut begin = None;
        let mut entries = Vec::new();
        let mut origin = 0u8;
        let mut ended = false;
        while let Some(part) = parts.next().await {
            let part = part?;
            if begin.is_none() {
                self.check(part.hello.as_ref())?;
                origin = u8::try_from(part.origin).map_err(|_| Status::invalid_argument("bad origin region"))?;
            }
            match part.part {
                Some(Part::Begin(b)) => begin = Some(b),
                Some(Part::Chunk(f)) => {
                    verify(&f.payload, f.crc32).map_err(bad_payload)?;
                    entries.extend(decode_entries(&f.payload).map_err(bad_payload)?);
                }
                Some(Part::End(_)) => {
                    ended = true;
                    break;
                }
                None => {}
            }
        }
        let Some(begin) = begin.filter(|_| ended) else {
            return Err(Status::data_loss("truncated snapshot: nothing was applied"));
        };
        // A node's own region may push its state here (an old master coming back); other
        // regions only into an active-active database.
        if origin != self.node.repl.settings.region {
            self.check_active_active()?;
        }
        self.check_master()?;
        let ranges = parse_ranges(&begin.ranges)?;
        let ctx = decode_context(&begin.context).map_err(bad_payload)?;
        let applied = decode_context(&begin.applied).map_err(bad_payload)?;
        let snap = Snapshot { ctx, applied, entries };
        if origin == self.node.repl.settings.region {
            let mut shard = self.node.shard.lock();
            shard.set_now(now_ms());
            protocol::take_handed_over_snapshot(&self.node.repl, &mut shard, &snap);
            self.node.wake_blocked(&mut shard);
            drop(shard);
            let offset = *self.node.repl.stream.offset.borrow();
            return Ok(Response::new(ApplyReply { applied: snap.entries.len() as u64, offset }));
        }
        let applied = apply_snapshot(&self.node, &ranges, &snap, origin);
        let offset = *self.node.repl.stream.offset.borrow();
        Ok(Response::new(ApplyReply { applied, offset }))
    }

    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<NodeStatus>, Status> {
        self.check(request.get_ref().hello.as_ref())?;
        Ok(Response::new(status(&self.node, request.get_ref().digest)))
    }

    async fn set_role(&self, request: Request<SetRoleRequest>) -> Result<Response<NodeStatus>, Status> {
        let req = request.into_inner();
        self.check(req.hello.as_ref())?;
        let mut shard = self.node.shard.lock();
        if req.master_addr.is_empty() {
            role::become_master(&self.node, &mut shard);
        } else {
            let (host, port) = resp_address(&req.master_addr);
            role::become_replica(&self.node, &mut shard, req.master_addr, host, port);
        }
        drop(shard);
        Ok(Response::new(status(&self.node, false)))
    }
}

/// The RESP address of a master known by its replication address (RESP port + 10000, the
/// default), for ROLE and INFO.
fn resp_address(repl_addr: &str) -> (String, u16) {
    let (host, port) = repl_addr.rsplit_once(':').unwrap_or((repl_addr, "0"));
    let port: u16 = port.parse().unwrap_or(0);
    (host.to_string(), port.saturating_sub(10000))
}

/// Joins a snapshot and records its effect in the backlog. Returns the keys it changed.
pub fn apply_snapshot(node: &Node, ranges: &[SlotRange], snap: &Snapshot, origin: u8) -> u64 {
    let mut shard = node.shard.lock();
    shard.set_now(now_ms());
    let changed = protocol::apply_peer_snapshot(&node.repl, &mut shard, ranges, snap, origin);
    node.wake_blocked(&mut shard);
    changed
}

pub fn status(node: &Node, with_digest: bool) -> NodeStatus {
    let (replid, replid2, offset, second) = node.repl.ids();
    let (context, applied, actor, region, digest, keys) = {
        let shard = node.shard.lock();
        let id = shard.identity();
        let ctx = encode_context(shard.context());
        (
            ctx,
            encode_context(shard.applied()),
            id.actor.to_string(),
            id.region,
            with_digest.then(|| shard.digest()),
            shard.dbsize(),
        )
    };
    let link = node.repl.link.lock().clone();
    let (role, master_addr) = match node.repl.role() {
        Role::Master => (WireRole::Master, String::new()),
        Role::Replica { master, .. } => (WireRole::Replica, master),
    };
    NodeStatus {
        role: role as i32,
        replid,
        replid2,
        offset,
        second_offset: second.unwrap_or(0),
        context,
        actor,
        region: u32::from(region),
        master_addr,
        master_link_up: link.up,
        digest: digest.map(|d| d.to_vec().into()).unwrap_or_default(),
        keys: keys as u64,
        active_active: node.repl.settings.active_active,
        applied,
    }
}

/// A replica: partial sync from its offset when the backlog holds it, else a full sync.
async fn feed_replica(node: Arc<Node>, req: SyncRequest, tx: Events) {
    let start = protocol::start_replica(&node.repl, &mut node.shard.lock(), &req.replid, req.offset);
    let Some(protocol::Start { replid, offset: pos, snapshot, .. }) = start else { return };
    let id = node.repl.add_follower("replica", req.replica_addr.clone(), pos);
    let sent = match snapshot {
        Some(snap) => send_snapshot(&tx, snap, replid, pos, &[SlotRange::ALL]).await,
        None => send_resume(&tx, replid, pos).await,
    };
    if sent.is_ok() {
        let _ = follow_backlog(&node, id, pos, &tx, |_| Pick::Verbatim).await;
    }
    node.repl.remove_follower(id);
}

/// A syncer: the deltas its context lacks, for its slots. Once caught up it is not sent its
/// own region's deltas back (it already holds them); before that it is, because a region
/// that failed over must get back what its old master had shipped here.
async fn feed_subscriber(
    node: Arc<Node>,
    ranges: Vec<SlotRange>,
    ctx: crate::crdt::CausalContext,
    region: u8,
    full: bool,
    tx: Events,
) {
    let start = protocol::start_subscriber(&node.repl, &mut node.shard.lock(), &ctx, &ranges, full);
    let Some(protocol::Start { replid, offset: pos, snapshot, live_from }) = start else { return };
    let id = node.repl.add_follower("syncer", format!("region {region}"), pos);
    let sent = match snapshot {
        Some(snap) => send_snapshot(&tx, snap, replid, pos, &ranges).await,
        None => send_resume(&tx, replid, pos).await,
    };
    if sent.is_ok() {
        let pick = |r: &Record| match protocol::pick_for_subscriber(r, &ctx, live_from, &ranges) {
            protocol::Gets::Nothing => Pick::Skip,
            protocol::Gets::Record => Pick::Verbatim,
            protocol::Gets::Part(payload, crc32) => Pick::Changed(Frame { payload, crc32, ..frame_of(r) }),
        };
        let _ = follow_backlog(&node, id, pos, &tx, pick).await;
    }
    node.repl.remove_follower(id);
}
