//! Serving a peer, without I/O: which subscriptions on this region's masters a peer's
//! subscription needs (one per local shard and wanted range that meet), how their events go
//! out to the peer, and what this region's Status says. The gRPC service (`serve`) and the
//! simulation use these same functions.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::repl::handlers::parse_ranges;
use meridian_datanode::repl::stream::wire_ranges;
use meridian_proto::sync_event::Event;
use meridian_proto::{
    Frames, Hello, NodeStatus, PeerEvent, PeerStatusReply, RangeContext, ShardDigests, SubscribeRequest, SyncEvent,
};
use prost::Message;
use tonic::Status;

use crate::route::intersect;

/// One subscription on a local master that a peer's subscription needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The local shard.
    pub shard: usize,
    /// The slots of it the peer wants.
    pub range: SlotRange,
    pub request: SubscribeRequest,
}

/// The subscriptions to open on local masters (`local`: the local shards' ranges) for a
/// peer region `subscriber` asking `contexts` (one per slot range of its own shards).
pub fn plan(
    local: &[SlotRange],
    database_id: &str,
    subscriber: u8,
    contexts: &[RangeContext],
) -> Result<Vec<Forward>, Status> {
    let mut forwards = Vec::new();
    for rc in contexts {
        for wanted in parse_ranges(rc.range.as_slice())? {
            for (shard, mine) in local.iter().enumerate() {
                let Some(range) = intersect(wanted, *mine) else { continue };
                // A whole shard is asked with no ranges: the master then sends its records
                // as they are, without decoding them to filter keys.
                let ranges = if range == *mine { Vec::new() } else { wire_ranges(&[range]) };
                // The master filters by the subscriber's region, so it must hear that region.
                let hello = Some(Hello::new(database_id, subscriber));
                let request = SubscribeRequest { hello, ranges, applied: rc.applied.clone(), full: rc.full };
                forwards.push(Forward { shard, range, request });
            }
        }
    }
    Ok(forwards)
}

/// An event of a local master's stream as the peer gets it: tagged with the shard and range
/// it comes from, and this region's own writes (origin 0 at the master) marked with this
/// region, for the relay rule.
pub fn tag(region: u8, forward: &Forward, mut event: SyncEvent) -> Result<PeerEvent, Status> {
    if let Some(Event::Deltas(batch)) = event.event.as_mut() {
        let mut frames = Frames::decode(batch.clone())
            .map_err(|e| Status::data_loss(format!("local master sent an undecodable batch: {e}")))?;
        let mut own = false;
        for f in frames.frames.iter_mut().filter(|f| f.origin == 0) {
            f.origin = u32::from(region);
            own = true;
        }
        if own {
            *batch = frames.encode_to_vec().into();
        }
    }
    Ok(PeerEvent { shard: forward.shard as u32, ranges: wire_ranges(&[forward.range]), event: Some(event) })
}

/// This region's Status for a peer: each local shard's range, context, claims and digest.
pub fn status_reply(region: u8, local: &[(SlotRange, NodeStatus)]) -> PeerStatusReply {
    let (mut digests, mut ranges, mut contexts, mut claims) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut range_digests = Vec::new();
    for (range, status) in local {
        digests.push(status.digest.clone());
        contexts.push(status.context.clone());
        claims.push(status.claims.clone());
        range_digests.push(ShardDigests { digests: status.range_digests.clone() });
        ranges.extend(wire_ranges(&[*range]));
    }
    PeerStatusReply { region: u32::from(region), digests, ranges, contexts, claims, range_digests }
}

#[cfg(test)]
mod tests {
    use meridian_proto::SlotRange as WireRange;

    use super::*;

    fn wanted(start: u32, end: u32) -> RangeContext {
        RangeContext { range: Some(WireRange { start, end }), applied: bytes::Bytes::from_static(b"ctx"), full: false }
    }

    /// Two local shards, a peer of three: each pair that meets is one subscription, a whole
    /// shard asked without ranges.
    #[test]
    fn a_subscription_opens_one_forward_per_overlap() {
        let local = [SlotRange { start: 0, end: 8191 }, SlotRange { start: 8192, end: 16383 }];
        let asks = [wanted(0, 5000), wanted(5001, 12000), wanted(12001, 16383)];
        let forwards = plan(&local, "db", 2, &asks).unwrap();
        let got: Vec<(usize, u16, u16, usize)> =
            forwards.iter().map(|f| (f.shard, f.range.start, f.range.end, f.request.ranges.len())).collect();
        assert_eq!(got, vec![(0, 0, 5000, 1), (0, 5001, 8191, 1), (1, 8192, 12000, 1), (1, 12001, 16383, 1)]);
        let whole = plan(&local, "db", 2, &[wanted(0, 16383)]).unwrap();
        assert!(whole.iter().all(|f| f.request.ranges.is_empty()), "whole shards go unfiltered");
        assert_eq!(whole[0].request.hello.as_ref().map(|h| h.region), Some(2));
        assert!(plan(&local, "db", 2, &[wanted(9, 3)]).is_err(), "a backwards range is refused");
    }

    /// Own writes leave marked with this region; relayed ones keep their writer.
    #[test]
    fn own_writes_are_tagged_with_this_region() {
        let forward =
            Forward { shard: 1, range: SlotRange { start: 10, end: 20 }, request: SubscribeRequest::default() };
        let frame = |origin| meridian_proto::Frame { origin, ..Default::default() };
        let batch = Frames { frames: vec![frame(0), frame(3)] }.encode_to_vec();
        let event = SyncEvent { event: Some(Event::Deltas(batch.into())) };
        let out = tag(2, &forward, event).unwrap();
        let Some(Event::Deltas(bytes)) = out.event.and_then(|e| e.event) else { panic!("deltas") };
        let origins: Vec<u32> = Frames::decode(bytes).unwrap().frames.iter().map(|f| f.origin).collect();
        assert_eq!((out.shard, out.ranges, origins), (1, vec![WireRange { start: 10, end: 20 }], vec![2, 3]));
    }
}
