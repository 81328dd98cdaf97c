//! One PodDisruptionBudget per shard: a voluntary disruption (a node drain) takes at most one
//! member of a shard at a time, so a shard with replicas keeps a copy to fail over to.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names;
use crate::plan::{RegionPlan, ShardPlan};

pub fn pdb(plan: &RegionPlan, shard: &ShardPlan, owner: &OwnerReference) -> PodDisruptionBudget {
    let selector = names::shard_selector(plan, shard.index);
    PodDisruptionBudget {
        metadata: ObjectMeta {
            name: Some(names::shard(plan, shard.index)),
            namespace: Some(plan.namespace.clone()),
            labels: Some(names::labels(plan, selector.clone())),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector { match_labels: Some(selector), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
