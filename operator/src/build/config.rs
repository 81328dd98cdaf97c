//! The ConfigMap carrying the region's shard map, mounted into every datanode and the
//! syncer, which re-read it when it changes (no restart).

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::names::{self, SHARD_MAP_KEY};
use crate::plan::{RegionPlan, shard_map};

/// The map with the given master ordinal per shard (`None`: not decided yet, ordinal 0).
pub fn shard_map(plan: &RegionPlan, masters: &[Option<u32>], owner: &OwnerReference) -> ConfigMap {
    let text = shard_map::render(&plan.shards, masters, |s, o| names::node_address(plan, s, o));
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(names::shard_map(plan)),
            namespace: Some(plan.namespace.clone()),
            labels: Some(names::labels(plan, names::database_selector(plan))),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        data: Some([(SHARD_MAP_KEY.to_string(), text)].into()),
        ..Default::default()
    }
}
