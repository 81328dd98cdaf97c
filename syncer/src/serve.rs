//! The Peer service over gRPC: another region's syncer subscribes with what it has applied
//! per slot range; this syncer opens the subscriptions `forward::plan` says on the local
//! masters and forwards their events, tagged by `forward::tag`.

// tonic's own API returns `Result<_, Status>`; boxing it here would only add conversions.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use meridian_datanode::repl::handlers::parse_digest_ranges;
use meridian_proto::peer_server::Peer;
use meridian_proto::{Hello, PeerEvent, PeerStatusReply, PeerStatusRequest, PeerSubscribeRequest};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::Syncer;
use crate::forward::{self, Forward};

pub struct PeerService {
    syncer: Arc<Syncer>,
}

impl PeerService {
    pub fn new(syncer: Arc<Syncer>) -> Self {
        PeerService { syncer }
    }

    fn check(&self, hello: Option<&Hello>) -> Result<u8, Status> {
        if let Some(why) = Hello::refusal(hello, &self.syncer.local.database_id) {
            return Err(Status::failed_precondition(why.to_string()));
        }
        match hello.map_or(0, Hello::region_id) {
            r if r != 0 && r != self.syncer.local.region => Ok(r),
            r => Err(Status::invalid_argument(format!("bad subscriber region {r}"))),
        }
    }
}

type Events = mpsc::Sender<Result<PeerEvent, Status>>;

/// Ends the peer's subscription with `status` (it starts over).
async fn fail(tx: &Events, status: Status) {
    let _ = tx.send(Err(status)).await;
}

#[tonic::async_trait]
impl Peer for PeerService {
    type SubscribeStream = ReceiverStream<Result<PeerEvent, Status>>;

    async fn subscribe(
        &self,
        request: Request<PeerSubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let req = request.into_inner();
        let subscriber = self.check(req.hello.as_ref())?;
        let local = &self.syncer.local;
        let forwards = forward::plan(&local.ranges(), &local.database_id, subscriber, &req.contexts)?;
        let (tx, rx) = mpsc::channel(256);
        for f in forwards {
            tokio::spawn(relay(self.syncer.clone(), f, tx.clone()));
        }
        tracing::info!(region = subscriber, "peer subscribed");
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn status(&self, request: Request<PeerStatusRequest>) -> Result<Response<PeerStatusReply>, Status> {
        if let Some(why) = Hello::refusal(request.get_ref().hello.as_ref(), &self.syncer.local.database_id) {
            return Err(Status::failed_precondition(why.to_string()));
        }
        let want_digest = request.get_ref().digest;
        let digest_ranges = parse_digest_ranges(&request.get_ref().digest_ranges)?;
        let statuses = crate::pull::local_statuses(&self.syncer, want_digest, &digest_ranges)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(forward::status_reply(self.syncer.local.region, &statuses)))
    }
}

/// One local master's events for a forward, relayed until either side goes away. An error
/// ends the whole subscription: the subscriber starts over with fresh contexts.
async fn relay(syncer: Arc<Syncer>, f: Forward, tx: Events) {
    let local = &syncer.local;
    let master = match local.master(f.shard).await {
        Ok(m) => m,
        Err(e) => {
            fail(&tx, Status::unavailable(e.to_string())).await;
            return;
        }
    };
    let mut client = master.client.clone();
    let mut events = match client.subscribe(f.request.clone()).await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            local.forget(f.shard);
            fail(&tx, Status::unavailable(format!("local master {}: {}", master.addr, e.message()))).await;
            return;
        }
    };
    loop {
        let event = match events.message().await {
            Ok(Some(e)) => e,
            Ok(None) => {
                fail(&tx, Status::unavailable("local master ended the stream")).await;
                return;
            }
            Err(e) => {
                local.forget(f.shard);
                fail(&tx, Status::unavailable(format!("local master {}: {}", master.addr, e.message()))).await;
                return;
            }
        };
        let out = forward::tag(local.region, &f, event);
        let stop = out.is_err();
        if tx.send(out).await.is_err() || stop {
            return;
        }
    }
}
