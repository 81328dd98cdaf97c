//! The Kubernetes objects that realise a region's plan: pure functions of the plan, the
//! operator's choice of masters and the owner reference. `Objects` lists every kind the
//! operator applies; adding a kind means adding a field, which `apply` then cannot forget
//! (it destructures `Objects` without `..`).

pub mod config;
pub mod names;
pub mod pdb;
pub mod pod;
pub mod services;
pub mod statefulset;
pub mod syncer;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::plan::RegionPlan;

#[derive(Clone, Debug, PartialEq)]
pub struct Objects {
    pub shard_map: ConfigMap,
    pub shard_services: Vec<Service>,
    pub client_service: Service,
    pub peer_service: Service,
    pub pdbs: Vec<PodDisruptionBudget>,
    pub statefulsets: Vec<StatefulSet>,
    pub syncer: Deployment,
}

/// Every object of the region. `masters` holds the operator's current choice of master
/// ordinal per shard (`None` where nothing is decided yet).
pub fn build(plan: &RegionPlan, masters: &[Option<u32>], owner: &OwnerReference) -> Objects {
    Objects {
        shard_map: config::shard_map(plan, masters, owner),
        shard_services: plan.shards.iter().map(|s| services::headless(plan, s, owner)).collect(),
        client_service: services::client(plan, owner),
        peer_service: services::peer(plan, owner),
        pdbs: plan.shards.iter().map(|s| pdb::pdb(plan, s, owner)).collect(),
        statefulsets: plan.shards.iter().map(|s| statefulset::statefulset(plan, s, owner)).collect(),
        syncer: syncer::deployment(plan, owner),
    }
}

#[cfg(test)]
mod tests;
