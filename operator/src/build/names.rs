//! The names, labels and ports of everything a region runs. Every object of a database is
//! named after the resource, so two databases in one namespace never collide, and carries
//! the labels the orphan cleanup and the Services select on.

use std::collections::BTreeMap;

use crate::plan::RegionPlan;

pub const RESP_PORT: i32 = 6379;
/// The datanode's gRPC replication port: the RESP port + 10000, where REPLICAOF looks.
pub const REPL_PORT: i32 = 16379;
pub const PEER_PORT: i32 = 7700;
pub const SYNCER_HTTP_PORT: i32 = 9700;

/// Where the shard map ConfigMap is mounted in datanode and syncer pods.
pub const SHARD_MAP_DIR: &str = "/etc/meridian/shard-map";
pub const SHARD_MAP_KEY: &str = "shard-map";
pub const TLS_DIR: &str = "/etc/meridian/tls";
pub const DATA_DIR: &str = "/data";

pub const NAME: &str = "app.kubernetes.io/name";
pub const INSTANCE: &str = "app.kubernetes.io/instance";
pub const COMPONENT: &str = "app.kubernetes.io/component";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const VERSION: &str = "app.kubernetes.io/version";
pub const REGION: &str = "meridian.io/region";
pub const SHARD: &str = "meridian.io/shard";
/// On datanode pods, set by the operator only: `master` or `replica`. The client Service
/// selects `master`, so writes reach masters.
pub const ROLE: &str = "meridian.io/role";
pub const ROLE_MASTER: &str = "master";
pub const ROLE_REPLICA: &str = "replica";

pub const APP: &str = "meridian";
pub const OPERATOR: &str = "meridian-operator";
pub const DATANODE: &str = "datanode";
pub const SYNCER: &str = "syncer";

pub fn shard(plan: &RegionPlan, index: u32) -> String {
    format!("{}-shard-{index}", plan.database)
}

pub fn pod(plan: &RegionPlan, shard_index: u32, ordinal: u32) -> String {
    format!("{}-{ordinal}", shard(plan, shard_index))
}

pub fn client_service(plan: &RegionPlan) -> String {
    plan.database.clone()
}

pub fn syncer(plan: &RegionPlan) -> String {
    format!("{}-syncer", plan.database)
}

pub fn shard_map(plan: &RegionPlan) -> String {
    format!("{}-shard-map", plan.database)
}

/// A datanode's stable RESP address inside the cluster: its name under the shard's
/// headless Service.
pub fn node_address(plan: &RegionPlan, shard_index: u32, ordinal: u32) -> String {
    format!("{}.{}.{}.svc:{RESP_PORT}", pod(plan, shard_index, ordinal), shard(plan, shard_index), plan.namespace)
}

/// The same datanode's stable replication address.
pub fn node_repl_address(plan: &RegionPlan, shard_index: u32, ordinal: u32) -> String {
    format!("{}.{}.{}.svc:{REPL_PORT}", pod(plan, shard_index, ordinal), shard(plan, shard_index), plan.namespace)
}

/// The labels that select every object of the database (orphan cleanup, kubectl -l).
pub fn database_selector(plan: &RegionPlan) -> BTreeMap<String, String> {
    BTreeMap::from([(NAME.into(), APP.into()), (INSTANCE.into(), plan.database.clone())])
}

/// The labels a StatefulSet selects its pods by (immutable once created: no version here).
pub fn shard_selector(plan: &RegionPlan, index: u32) -> BTreeMap<String, String> {
    let mut labels = component_selector(plan, DATANODE);
    labels.insert(SHARD.into(), index.to_string());
    labels
}

pub fn component_selector(plan: &RegionPlan, component: &str) -> BTreeMap<String, String> {
    let mut labels = database_selector(plan);
    labels.insert(COMPONENT.into(), component.into());
    labels
}

/// Every label an object of `component` carries: its selector, plus who manages it, the
/// region and the version.
pub fn labels(plan: &RegionPlan, selector: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut labels = selector;
    labels.insert(MANAGED_BY.into(), OPERATOR.into());
    labels.insert(REGION.into(), plan.region.name.clone());
    labels.insert(VERSION.into(), plan.images.version.clone());
    labels
}

/// A label selector string, `k=v,k=v`, for list calls.
pub fn selector_string(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}
