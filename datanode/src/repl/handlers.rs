//! The replication service's requests, answered without I/O: who may call, where a
//! follower's stream starts, how peers' deltas and snapshots are applied, what Status says.
//! The gRPC service (`service`) only moves these over the network; the simulation calls them
//! directly, so it exercises exactly what a node does with each request.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use meridian_proto::snapshot_part::Part;
use meridian_proto::{
    ApplyReply, ApplyRequest, Hello, NodeStatus, RangeDigest, Role as WireRole, SnapshotPart, StatusRequest,
    SubscribeRequest, SyncRequest,
};
use tonic::Status;

use super::fullsync::Assembler;
use super::protocol;
use super::stream::{Follower, Opening, wire_ranges};
use crate::keyspace::slot::SlotRange;
use crate::node::Node;
use crate::node::clock::now_ms;
use crate::node::codec::{decode_context, decode_delta, encode_claims, encode_context, verify};
use crate::node::replication::Role;

/// Refuses a caller of another database or protocol version.
pub fn check_hello(node: &Node, hello: Option<&Hello>) -> Result<(), Status> {
    match Hello::refusal(hello, &node.repl.settings.database_id) {
        Some(why) => Err(Status::failed_precondition(why.to_string())),
        None => Ok(()),
    }
}

fn check_master(node: &Node) -> Result<(), Status> {
    if node.repl.is_replica() {
        return Err(Status::failed_precondition("READONLY this node is a replica; ask its master"));
    }
    Ok(())
}

fn check_active_active(node: &Node) -> Result<(), Status> {
    if !node.repl.settings.active_active {
        return Err(Status::failed_precondition(
            "this node is not part of an active-active database (start it with --active-active)",
        ));
    }
    Ok(())
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

pub fn bad_payload(e: impl std::fmt::Display) -> Status {
    Status::data_loss(format!("refused: {e}; nothing of this batch was applied"))
}

fn region(r: u32) -> Result<u8, Status> {
    u8::try_from(r).map_err(|_| Status::invalid_argument("bad origin region"))
}

/// A replica asks to follow (`Sync`): a partial sync from its offset when the backlog holds
/// it, else a full sync.
pub fn sync(node: &Node, req: &SyncRequest) -> Result<Opening, Status> {
    check_hello(node, req.hello.as_ref())?;
    check_master(node)?;
    let start = protocol::start_replica(&node.repl, &mut node.shard.lock(), &req.replid, req.offset)
        .ok_or_else(|| Status::internal("no backlog"))?;
    Ok(Opening::new(start, Follower::Replica, &[SlotRange::ALL]))
}

/// The region's syncer asks for what a peer lacks of some slots (`Subscribe`).
pub fn subscribe(node: &Node, req: &SubscribeRequest) -> Result<Opening, Status> {
    check_hello(node, req.hello.as_ref())?;
    check_active_active(node)?;
    check_master(node)?;
    let ranges = parse_ranges(&req.ranges)?;
    let applied = decode_context(&req.applied).map_err(bad_payload)?;
    let start = protocol::start_subscriber(&node.repl, &mut node.shard.lock(), &applied, &ranges, req.full)
        .ok_or_else(|| Status::internal("no backlog"))?;
    let follower = Follower::Syncer { applied, live_from: start.live_from, ranges: ranges.clone() };
    Ok(Opening::new(start, follower, &ranges))
}

/// Peers' deltas (or an old master's, handed over): all checked and decoded before any is
/// applied, then applied in order and recorded in the backlog.
pub fn apply(node: &Node, req: ApplyRequest) -> Result<ApplyReply, Status> {
    check_hello(node, req.hello.as_ref())?;
    // An old master of this region hands its writes over whatever the mode; only other
    // regions need an active-active database.
    if req.origin != u32::from(node.repl.settings.region) {
        check_active_active(node)?;
    }
    check_master(node)?;
    let sender = region(req.origin)?;
    let mut deltas = Vec::with_capacity(req.deltas.len());
    for f in req.deltas {
        verify(&f.payload, f.crc32).map_err(bad_payload)?;
        // A relayed delta keeps the region that wrote it.
        let origin = if f.origin == 0 { sender } else { region(f.origin)? };
        deltas.push((decode_delta(&f.payload).map_err(bad_payload)?, f.payload, origin));
    }
    let mut shard = node.shard.lock();
    shard.set_now(now_ms());
    let applied = protocol::apply_peer_deltas(&node.repl, &mut shard, &deltas);
    node.wake_blocked(&mut shard);
    drop(shard);
    Ok(ApplyReply { applied, offset: *node.repl.stream.offset.borrow() })
}

/// A snapshot pushed to a master (`ApplySnapshot`): a peer's full sync of some slots, or an
/// old master of this region handing over its whole state. Nothing is applied unless every
/// part arrived intact.
pub fn apply_snapshot(node: &Node, parts: Vec<SnapshotPart>) -> Result<ApplyReply, Status> {
    let mut assembler = Assembler::default();
    let mut origin = None;
    let mut complete = None;
    for part in parts {
        if origin.is_none() {
            check_hello(node, part.hello.as_ref())?;
            origin = Some(region(part.origin)?);
        }
        match part.part {
            Some(Part::Begin(b)) => assembler.begin(b),
            Some(Part::Chunk(f)) => assembler.chunk(f).map_err(bad_payload)?,
            Some(Part::End(end)) => {
                complete = Some(assembler.end(&end).map_err(bad_payload)?);
                break;
            }
            None => {}
        }
    }
    let (Some(origin), Some(full)) = (origin, complete) else {
        return Err(Status::data_loss("truncated snapshot: nothing was applied"));
    };
    // A node's own region may push its state here (an old master coming back); other
    // regions only into an active-active database.
    let own = origin == node.repl.settings.region;
    if !own {
        check_active_active(node)?;
    }
    check_master(node)?;
    let ranges = parse_ranges(&full.begin.ranges)?;
    let snap = full.snapshot().map_err(bad_payload)?;
    let mut shard = node.shard.lock();
    shard.set_now(now_ms());
    let applied = if own {
        protocol::take_handed_over_snapshot(&node.repl, &mut shard, &snap);
        snap.entries.len() as u64
    } else {
        protocol::apply_peer_snapshot(&node.repl, &mut shard, (&ranges, full.begin.partial), &snap, origin)
    };
    node.wake_blocked(&mut shard);
    drop(shard);
    Ok(ApplyReply { applied, offset: *node.repl.stream.offset.borrow() })
}

/// Slot ranges one Status may ask digests of: each walks its keys under the shard's lock,
/// and a syncer asks one per overlap of a local and a peer shard.
pub const MAX_DIGEST_RANGES: usize = 256;

/// A `Status` request: the digest and the range digests as asked, refused when the ranges
/// are malformed or too many.
pub fn status_for(node: &Node, req: &StatusRequest) -> Result<NodeStatus, Status> {
    check_hello(node, req.hello.as_ref())?;
    let ranges = parse_digest_ranges(&req.digest_ranges)?;
    Ok(status_with(node, req.digest, &ranges))
}

/// The slot ranges a Status asks digests of (none: no digest), refused when malformed or
/// more than `MAX_DIGEST_RANGES` (a node's and a syncer's Status both read them so).
pub fn parse_digest_ranges(wire: &[meridian_proto::SlotRange]) -> Result<Vec<SlotRange>, Status> {
    if wire.len() > MAX_DIGEST_RANGES {
        return Err(Status::invalid_argument(format!("more than {MAX_DIGEST_RANGES} digest ranges")));
    }
    if wire.is_empty() { Ok(Vec::new()) } else { parse_ranges(wire) }
}

/// What `Status` reports; the keyspace digest only when asked (it walks every key).
pub fn status(node: &Node, with_digest: bool) -> NodeStatus {
    status_with(node, with_digest, &[])
}

/// `status`, with the digests of the entries of `digest_ranges`' keys, taken under the same
/// lock as the context and claims so the three speak of one moment.
pub fn status_with(node: &Node, with_digest: bool, digest_ranges: &[SlotRange]) -> NodeStatus {
    let (replid, replid2, offset, second) = node.repl.ids();
    let (context, applied, claims, actor, region, digest, keys, range_digests) = {
        let shard = node.shard.lock();
        let id = shard.identity();
        let range_digests = digest_ranges
            .iter()
            .map(|r| RangeDigest {
                range: wire_ranges(&[*r]).into_iter().next(),
                digest: shard.digest_of(*r).to_vec().into(),
            })
            .collect();
        (
            encode_context(shard.context()),
            encode_context(shard.applied()),
            encode_claims(shard.claims()),
            id.actor.to_string(),
            id.region,
            with_digest.then(|| shard.digest()),
            shard.dbsize(),
            range_digests,
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
        claims,
        range_digests,
    }
}
