//! The syncer's HTTP endpoint: Prometheus metrics, INFO-style text, lag quantiles, health.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::Syncer;
use crate::status::State as SyncState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerLabels {
    peer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    peer: String,
    state: String,
}

pub fn router(syncer: Arc<Syncer>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/info", get(info))
        .route("/lag", get(lag))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(syncer)
}

/// Builds the metrics from the peers' current state at each scrape.
async fn metrics(State(syncer): State<Arc<Syncer>>) -> String {
    let mut registry = Registry::with_prefix("meridian_peer");
    let peers = syncer.peers.snapshot();
    let gauge = |registry: &mut Registry, name: &str, help: &str, value: &dyn Fn(&crate::status::PeerSync) -> i64| {
        let family = Family::<PeerLabels, Gauge>::default();
        for (region, p) in &peers {
            family.get_or_create(&PeerLabels { peer: region.to_string() }).set(value(p));
        }
        registry.register(name, help, family);
    };
    gauge(&mut registry, "connected", "Whether the link to the peer is up", &|p| i64::from(p.connected));
    gauge(&mut registry, "lag_milliseconds", "Age of the newest delta applied from the peer", &|p| p.lag_ms as i64);
    gauge(&mut registry, "lag_operations", "Records in the peer's backlogs not yet streamed here", &|p| {
        p.lag_ops as i64
    });
    gauge(&mut registry, "received_bytes", "Payload bytes received from the peer", &|p| p.bytes_received as i64);
    gauge(&mut registry, "received_deltas", "Deltas received from the peer", &|p| p.deltas_received as i64);
    gauge(&mut registry, "applied_deltas", "Deltas from the peer that were new here", &|p| p.deltas_applied as i64);
    gauge(&mut registry, "full_syncs", "Full syncs received from the peer", &|p| p.full_syncs as i64);
    gauge(&mut registry, "last_full_sync_timestamp_seconds", "When the last full sync from the peer ended", &|p| {
        p.last_full_sync_unix_ms.map_or(0, |t| (t / 1000) as i64)
    });
    let states = Family::<StateLabels, Gauge>::default();
    for (region, p) in &peers {
        for s in [SyncState::Connecting, SyncState::FullSync, SyncState::PartialSync, SyncState::Stale] {
            let labels = StateLabels { peer: region.to_string(), state: s.name().to_string() };
            states.get_or_create(&labels).set(i64::from(p.state == s));
        }
    }
    registry.register("state", "Sync state of the peer (1 for the current one)", states);
    let mut out = String::new();
    if encode(&mut out, &registry).is_err() {
        out = "# encoding failed\n".into();
    }
    out
}

async fn info(State(syncer): State<Arc<Syncer>>) -> String {
    syncer.peers.info(syncer.local.region)
}

async fn lag(
    State(syncer): State<Arc<Syncer>>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> String {
    let q = syncer.lag.quantiles();
    if params.contains_key("reset") {
        syncer.lag.reset();
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "count:{}\np50_us:{}\np90_us:{}\np99_us:{}\nmax_us:{}\n",
        q.count, q.p50_us, q.p90_us, q.p99_us, q.max_us
    );
    out
}
