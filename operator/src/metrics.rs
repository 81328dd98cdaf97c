//! The operator's Prometheus metrics (prometheus-client): reconciles, their durations and
//! errors by kind, master changes by cause, and whether this replica leads.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::failover::Why;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

pub struct Metrics {
    pub registry: Registry,
    reconciles: Counter,
    failures: Family<ErrorLabels, Counter>,
    duration: Histogram,
    master_changes: Family<ReasonLabels, Counter>,
    pub leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("meridian_operator");
        let reconciles = Counter::default();
        let failures = Family::<ErrorLabels, Counter>::default();
        // 5 ms to ~20 s: a reconcile waits on datanodes (3 s bound) and the API server.
        let duration = Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.005, 2.0, 13));
        let master_changes = Family::<ReasonLabels, Counter>::default();
        let leader = Gauge::default();
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        registry.register("reconcile_errors", "Reconciles that failed, by error", failures.clone());
        registry.register("reconcile_duration_seconds", "How long a reconcile took", duration.clone());
        registry.register("master_changes", "Shard masters set by the operator, by cause", master_changes.clone());
        registry.register("leader", "1 while this replica holds the leader lease", leader.clone());
        Metrics { registry, reconciles, failures, duration, master_changes, leader }
    }
}

impl Metrics {
    /// Counts a reconcile and times it until the guard drops.
    pub fn reconcile(&self) -> ReconcileTimer<'_> {
        self.reconciles.inc();
        ReconcileTimer { metrics: self, start: Instant::now() }
    }

    pub fn failure(&self, label: &str) {
        self.failures.get_or_create(&ErrorLabels { error: label.into() }).inc();
    }

    pub fn master_change(&self, why: Option<&Why>) {
        let reason = match why {
            Some(Why::Elected) => "elected",
            Some(Why::MasterDown) => "master_down",
            Some(Why::MasterRestarted) => "master_restarted",
            Some(Why::Switchover) => "switchover",
            None => "restored",
        };
        self.master_changes.get_or_create(&ReasonLabels { reason: reason.into() }).inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out = "# encoding failed\n".into();
        }
        out
    }
}

/// Observes a reconcile's duration when dropped, however the reconcile ends.
pub struct ReconcileTimer<'a> {
    metrics: &'a Metrics,
    start: Instant,
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics.duration.observe(self.start.elapsed().as_secs_f64());
    }
}
