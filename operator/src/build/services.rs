//! The region's Services: a headless one per shard (stable pod names, reachable before the
//! pods are ready, so replicas find their master while it warms up), the client Service that
//! routes to masters only, and the syncer's peer Service that the other regions dial.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names::{self, PEER_PORT, REPL_PORT, RESP_PORT, SYNCER_HTTP_PORT};
use crate::plan::{RegionPlan, ShardPlan};

fn service_port(name: &str, port: i32) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

fn meta(plan: &RegionPlan, name: String, labels: BTreeMap<String, String>, owner: &OwnerReference) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(plan.namespace.clone()),
        labels: Some(labels),
        owner_references: Some(vec![owner.clone()]),
        ..Default::default()
    }
}

pub fn headless(plan: &RegionPlan, shard: &ShardPlan, owner: &OwnerReference) -> Service {
    let selector = names::shard_selector(plan, shard.index);
    Service {
        metadata: meta(plan, names::shard(plan, shard.index), names::labels(plan, selector.clone()), owner),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector),
            ports: Some(vec![service_port("resp", RESP_PORT), service_port("repl", REPL_PORT)]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The address applications use: the region's masters. With several shards, a key's master
/// answers and the others redirect (`MOVED`), so multi-shard regions want a cluster-aware
/// client; a one-shard region works with any Redis client.
pub fn client(plan: &RegionPlan, owner: &OwnerReference) -> Service {
    let mut selector = names::component_selector(plan, names::DATANODE);
    let labels = names::labels(plan, selector.clone());
    selector.insert(names::ROLE.into(), names::ROLE_MASTER.into());
    Service {
        metadata: meta(plan, names::client_service(plan), labels, owner),
        spec: Some(ServiceSpec {
            selector: Some(selector),
            ports: Some(vec![service_port("resp", RESP_PORT)]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn peer(plan: &RegionPlan, owner: &OwnerReference) -> Service {
    let selector = names::component_selector(plan, names::SYNCER);
    let mut metadata = meta(plan, names::syncer(plan), names::labels(plan, selector.clone()), owner);
    if !plan.peer_service_annotations.is_empty() {
        metadata.annotations = Some(plan.peer_service_annotations.clone());
    }
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(plan.peer_service_type.as_str().into()),
            selector: Some(selector),
            ports: Some(vec![service_port("peer", PEER_PORT), service_port("http", SYNCER_HTTP_PORT)]),
            ..Default::default()
        }),
        ..Default::default()
    }
}
