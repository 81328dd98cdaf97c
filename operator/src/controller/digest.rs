//! Digests: once a minute at most (each walks every key of a master), the operator asks its
//! region's masters for their keyspace digest and each peer region's syncer for its region's
//! (`Peer.Status{digest}` at the peer endpoint, over mutual TLS with the region's own
//! certificate when the manifest has TLS), and compares them shard by shard where both
//! regions split the slots alike. The comparison itself is pure.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use meridian_proto::peer_client::PeerClient;
use meridian_proto::{Hello, PeerStatusRequest};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use super::Context;
use super::decide::ShardDecision;
use crate::Error;
use crate::crd::ActiveActiveDatabaseStatus;
use crate::nodes;
use crate::plan::RegionPlan;

/// How often digests are taken.
pub const EVERY: SignedDuration = SignedDuration::from_secs(60);
/// How long a peer region may take to answer.
pub(crate) const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// One region's digests: per shard, its slot range and digest (hex).
pub type RegionDigests = Vec<((u16, u16), String)>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Digests {
    pub at: Option<Timestamp>,
    /// Ours, per shard in slot order (`None`: its master did not answer).
    pub shards: Vec<Option<String>>,
    /// Per peer region id, whether its data equals ours (`None`: not comparable now).
    pub peers: BTreeMap<u8, Option<bool>>,
}

/// The digests of the last status, if they are fresh enough to keep.
pub fn kept(previous: Option<&ActiveActiveDatabaseStatus>, now: Timestamp) -> Option<Digests> {
    let previous = previous?;
    let at: Timestamp = previous.digests_at.as_ref()?.parse().ok()?;
    if now.duration_since(at) >= EVERY {
        return None;
    }
    Some(Digests {
        at: Some(at),
        shards: previous.shards.iter().map(|s| s.digest.clone()).collect(),
        peers: previous.peers.iter().filter_map(|p| Some((u8::try_from(p.id).ok()?, p.digest_match))).collect(),
    })
}

/// Whether two regions hold the same data: `None` unless both split the slots alike and every
/// shard has a digest.
pub fn compare(ours: &RegionDigests, theirs: &RegionDigests) -> Option<bool> {
    if ours.is_empty() || ours.len() != theirs.len() || ours.iter().zip(theirs).any(|(a, b)| a.0 != b.0) {
        return None;
    }
    Some(ours.iter().zip(theirs).all(|(a, b)| a.1 == b.1))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Takes fresh digests of this region and its peers.
pub async fn take(plan: &RegionPlan, decisions: &[ShardDecision], ctx: &Context, now: Timestamp) -> Digests {
    let asks = decisions.iter().map(|d| {
        let addr = d.master_addr.clone();
        let id = plan.database_id.clone();
        async move {
            let addr = addr?;
            nodes::status(&addr, &id, true).await.ok().filter(|r| !r.digest.is_empty()).map(|r| hex(&r.digest))
        }
    });
    let shards: Vec<Option<String>> = join_all(asks).await;
    let ours: Option<RegionDigests> =
        plan.shards.iter().zip(&shards).map(|(s, d)| Some(((s.slots.start, s.slots.end), d.clone()?))).collect();
    let tls = match &plan.tls_secret {
        Some(name) => peer_tls(ctx, &plan.namespace, name).await,
        None => None,
    };
    let mut peers = BTreeMap::new();
    for peer in &plan.peers {
        let verdict = match &ours {
            Some(ours) => {
                match region_digests(&peer.peer_endpoint, &plan.database_id, plan.region.id, tls.as_ref()).await {
                    Ok(theirs) => compare(ours, &theirs),
                    Err(e) => {
                        tracing::debug!(peer = %peer.name, error = %e, "no digests from the peer");
                        None
                    }
                }
            }
            None => None,
        };
        peers.insert(peer.id, verdict);
    }
    Digests { at: Some(now), shards, peers }
}

/// The region's own certificate from its TLS Secret, to dial peers as its syncer does.
async fn peer_tls(ctx: &Context, ns: &str, secret: &str) -> Option<(Identity, Certificate)> {
    let secret = Api::<Secret>::namespaced(ctx.client.clone(), ns).get_opt(secret).await.ok()??;
    let data = secret.data?;
    let get = |k: &str| data.get(k).map(|b| b.0.clone());
    Some((Identity::from_pem(get("tls.crt")?, get("tls.key")?), Certificate::from_pem(get("ca.crt")?)))
}

async fn region_digests(
    endpoint: &str,
    database_id: &str,
    region: u8,
    tls: Option<&(Identity, Certificate)>,
) -> Result<RegionDigests, Error> {
    let connect = |source| Error::PeerConnect { endpoint: endpoint.to_string(), source };
    let slot = |slot: u32| u16::try_from(slot).map_err(|_| Error::PeerSlot { endpoint: endpoint.to_string(), slot });
    let work = async {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let mut e =
            Endpoint::from_shared(format!("{scheme}://{endpoint}")).map_err(connect)?.connect_timeout(PEER_TIMEOUT);
        if let Some((identity, ca)) = tls {
            let host = endpoint.rsplit_once(':').map_or(endpoint, |(h, _)| h).trim_matches(['[', ']']);
            let config = ClientTlsConfig::new().identity(identity.clone()).ca_certificate(ca.clone()).domain_name(host);
            e = e.tls_config(config).map_err(connect)?;
        }
        let mut client = PeerClient::new(e.connect().await.map_err(connect)?);
        let reply = client
            .status(PeerStatusRequest {
                hello: Some(Hello::new(database_id, region)),
                digest: true,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::PeerCall { endpoint: endpoint.to_string(), message: e.message().to_string() })?
            .into_inner();
        reply.ranges.iter().zip(&reply.digests).map(|(r, d)| Ok(((slot(r.start)?, slot(r.end)?), hex(d)))).collect()
    };
    tokio::time::timeout(PEER_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| Err(Error::PeerTimeout { endpoint: endpoint.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_compare_only_when_they_split_the_slots_alike() {
        let one = vec![((0, 16383), "aa".to_string())];
        assert_eq!(compare(&one, &one.clone()), Some(true));
        assert_eq!(compare(&one, &vec![((0, 16383), "bb".to_string())]), Some(false));
        let two = vec![((0, 8191), "aa".to_string()), ((8192, 16383), "cc".to_string())];
        assert_eq!(compare(&one, &two), None);
        assert_eq!(compare(&vec![], &vec![]), None);
    }
}
