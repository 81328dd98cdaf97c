//! The Peer service: another region's syncer subscribes with what it has applied per slot
//! range; this syncer opens a subscription on each local master whose slots meet one of those
//! ranges, and forwards their events, tagged with the shard they come from.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::repl::service::parse_ranges;
use meridian_proto::peer_server::Peer;
use meridian_proto::sync_event::Event;
use meridian_proto::{
    Hello, PeerEvent, PeerStatusReply, PeerStatusRequest, PeerSubscribeRequest, SlotRange as WireRange,
    SubscribeRequest,
};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::Syncer;
use crate::route::intersect;

pub struct PeerService {
    syncer: Arc<Syncer>,
}

impl PeerService {
    pub fn new(syncer: Arc<Syncer>) -> Self {
        PeerService { syncer }
    }

    fn check(&self, hello: Option<&Hello>) -> Result<u8, Status> {
        if let Some(why) = Hello::refusal(hello, &self.syncer.local.database_id) {
            return Err(Status::failed_precondition(why));
        }
        let region = hello.map_or(0, |h| h.region);
        match u8::try_from(region) {
            Ok(r) if (1..=31).contains(&r) && r != self.syncer.local.region => Ok(r),
            _ => Err(Status::invalid_argument(format!("bad subscriber region {region}"))),
        }
    }
}

type Events = mpsc::Sender<Result<PeerEvent, Status>>;

#[tonic::async_trait]
impl Peer for PeerService {
    type SubscribeStream = ReceiverStream<Result<PeerEvent, Status>>;

    async fn subscribe(
        &self,
        request: Request<PeerSubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let req = request.into_inner();
        let subscriber = self.check(req.hello.as_ref())?;
        let (tx, rx) = mpsc::channel(256);
        let local = &self.syncer.local;
        for rc in req.contexts {
            let wanted = parse_ranges(rc.range.as_slice())?;
            for (i, shard) in local.shards.iter().enumerate() {
                for w in &wanted {
                    if let Some(range) = intersect(*w, shard.range) {
                        let forward = forward(
                            self.syncer.clone(),
                            i,
                            range,
                            (rc.applied.clone(), rc.full),
                            subscriber,
                            tx.clone(),
                        );
                        tokio::spawn(forward);
                    }
                }
            }
        }
        tracing::info!(region = subscriber, "peer subscribed");
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn status(&self, request: Request<PeerStatusRequest>) -> Result<Response<PeerStatusReply>, Status> {
        if let Some(why) = Hello::refusal(request.get_ref().hello.as_ref(), &self.syncer.local.database_id) {
            return Err(Status::failed_precondition(why));
        }
        let want_digest = request.get_ref().digest;
        let local = &self.syncer.local;
        let (mut digests, mut ranges, mut contexts) = (Vec::new(), Vec::new(), Vec::new());
        for (i, shard) in local.shards.iter().enumerate() {
            let mut m = local.master(i).await.map_err(Status::unavailable)?;
            let s = m.client.status(local.status_request(want_digest)).await?.into_inner();
            digests.push(s.digest);
            contexts.push(s.context);
            ranges.push(WireRange { start: u32::from(shard.range.start), end: u32::from(shard.range.end) });
        }
        Ok(Response::new(PeerStatusReply { region: u32::from(local.region), digests, ranges, contexts }))
    }
}

/// One local master's events for `range`, forwarded until either side goes away. An error
/// ends the whole subscription: the subscriber starts over with fresh contexts.
async fn forward(
    syncer: Arc<Syncer>,
    shard: usize,
    range: SlotRange,
    (applied, full): (bytes::Bytes, bool),
    subscriber: u8,
    tx: Events,
) {
    let local = &syncer.local;
    let whole = local.shards.get(shard).is_some_and(|s| s.range == range);
    let ranges =
        if whole { Vec::new() } else { vec![WireRange { start: u32::from(range.start), end: u32::from(range.end) }] };
    let wire_range = vec![WireRange { start: u32::from(range.start), end: u32::from(range.end) }];
    let master = match local.master(shard).await {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.send(Err(Status::unavailable(e))).await;
            return;
        }
    };
    let mut client = master.client.clone();
    // The local master filters by the subscriber's region, so it must hear that region.
    let request = SubscribeRequest { hello: Some(Hello::new(&local.database_id, subscriber)), ranges, applied, full };
    let mut events = match client.subscribe(request).await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            local.forget(shard);
            let _ = tx.send(Err(Status::unavailable(format!("local master {}: {}", master.addr, e.message())))).await;
            return;
        }
    };
    loop {
        let event = match events.message().await {
            Ok(Some(e)) => e,
            Ok(None) => {
                let _ = tx.send(Err(Status::unavailable("local master ended the stream"))).await;
                return;
            }
            Err(e) => {
                local.forget(shard);
                let _ =
                    tx.send(Err(Status::unavailable(format!("local master {}: {}", master.addr, e.message())))).await;
                return;
            }
        };
        let mut event = event;
        // This region's own writes leave marked with its region, for the relay rule.
        if let Some(Event::Deltas(batch)) = event.event.as_mut() {
            let Ok(mut frames) = meridian_proto::Frames::decode(batch.clone()) else {
                let _ = tx.send(Err(Status::data_loss("local master sent an undecodable batch"))).await;
                return;
            };
            for f in frames.frames.iter_mut().filter(|f| f.origin == 0) {
                f.origin = u32::from(local.region);
            }
            *batch = frames.encode_to_vec().into();
        }
        let out = PeerEvent { shard: shard as u32, ranges: wire_range.clone(), event: Some(event) };
        if tx.send(Ok(out)).await.is_err() {
            return;
        }
    }
}
