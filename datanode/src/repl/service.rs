//! The gRPC Replication service of a datanode: replicas follow it (`Sync`), the region's
//! syncer reads from it by causal context (`Subscribe`) and writes peers' deltas into it
//! (`Apply`, `ApplySnapshot`), and the operator reads and changes its role. Each request is
//! answered by `handlers`; this layer only moves messages and streams.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use meridian_proto::replication_server::Replication;
use meridian_proto::{
    ApplyReply, ApplyRequest, NodeStatus, SetRoleRequest, SnapshotPart, StatusRequest, SubscribeRequest, SyncEvent,
    SyncRequest,
};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::feed::{Events, stream};
use super::stream::Opening;
use super::{handlers, role};
use crate::node::Node;

/// Parts one `ApplySnapshot` call may send: the chunks `fullsync` accepts, a header and an end.
const MAX_PARTS: usize = super::fullsync::MAX_CHUNKS + 2;

pub struct ReplicationService {
    node: Arc<Node>,
}

impl ReplicationService {
    pub fn new(node: Arc<Node>) -> Self {
        ReplicationService { node }
    }
}

type EventStream = ReceiverStream<Result<SyncEvent, Status>>;

/// Streams to a follower in a task of its own, registered in INFO while it lasts.
fn follow(node: &Arc<Node>, kind: &'static str, addr: String, opening: Opening) -> EventStream {
    let (tx, rx): (Events, _) = mpsc::channel(64);
    let node = node.clone();
    tokio::spawn(async move {
        let id = node.repl.add_follower(kind, addr, opening.cursor.pos);
        let _ = stream(&node, id, opening, &tx).await;
        node.repl.remove_follower(id);
    });
    ReceiverStream::new(rx)
}

#[tonic::async_trait]
impl Replication for ReplicationService {
    type SyncStream = EventStream;
    type SubscribeStream = EventStream;

    async fn sync(&self, request: Request<SyncRequest>) -> Result<Response<EventStream>, Status> {
        let req = request.into_inner();
        let opening = handlers::sync(&self.node, &req)?;
        Ok(Response::new(follow(&self.node, "replica", req.replica_addr, opening)))
    }

    async fn subscribe(&self, request: Request<SubscribeRequest>) -> Result<Response<EventStream>, Status> {
        let req = request.into_inner();
        let opening = handlers::subscribe(&self.node, &req)?;
        let region = req.hello.as_ref().map_or(0, meridian_proto::Hello::region_id);
        Ok(Response::new(follow(&self.node, "syncer", format!("region {region}"), opening)))
    }

    async fn apply(&self, request: Request<ApplyRequest>) -> Result<Response<ApplyReply>, Status> {
        handlers::apply(&self.node, request.into_inner()).map(Response::new)
    }

    async fn apply_snapshot(&self, request: Request<Streaming<SnapshotPart>>) -> Result<Response<ApplyReply>, Status> {
        let mut stream = request.into_inner();
        let mut parts = Vec::new();
        while let Some(part) = stream.next().await {
            let part = part?;
            let end = matches!(part.part, Some(meridian_proto::snapshot_part::Part::End(_)));
            parts.push(part);
            if end {
                break;
            }
            if parts.len() >= MAX_PARTS {
                return Err(Status::resource_exhausted("snapshot too long: nothing was applied"));
            }
        }
        handlers::apply_snapshot(&self.node, parts).map(Response::new)
    }

    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<NodeStatus>, Status> {
        handlers::status_for(&self.node, request.get_ref()).map(Response::new)
    }

    async fn set_role(&self, request: Request<SetRoleRequest>) -> Result<Response<NodeStatus>, Status> {
        let req = request.into_inner();
        handlers::check_hello(&self.node, req.hello.as_ref())?;
        let mut shard = self.node.shard.lock();
        if req.master_addr.is_empty() {
            role::become_master(&self.node, &mut shard);
            if req.lease_ms > 0 {
                self.node.repl.lease.grant(std::time::Duration::from_millis(req.lease_ms));
            }
        } else {
            let (host, port) = resp_address(&req.master_addr);
            role::become_replica(&self.node, &mut shard, req.master_addr, host, port);
        }
        drop(shard);
        Ok(Response::new(handlers::status(&self.node, false)))
    }
}

/// The RESP address of a master known by its replication address (RESP port + 10000, the
/// default), for ROLE and INFO.
fn resp_address(repl_addr: &str) -> (String, u16) {
    let (host, port) = repl_addr.rsplit_once(':').unwrap_or((repl_addr, "0"));
    let port: u16 = port.parse().unwrap_or(0);
    (host.to_string(), port.saturating_sub(10000))
}
