//! Server-side apply of a region's objects under one field manager, then the removal of
//! objects of the database that this pass did not apply (orphans: a kind or shard the
//! manifest no longer asks for). The order is deliberate: the shard map and the Services
//! exist before the pods that read and announce them.

use std::collections::BTreeSet;
use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;
use crate::build::{Objects, names};
use crate::plan::RegionPlan;

/// The one field manager of every object and status the operator writes.
pub const FIELD_MANAGER: &str = "meridian-operator";

/// Proof that a region's objects were applied in this pass (Stackable's Prepared/Applied):
/// what the API server returned.
#[derive(Debug)]
pub struct Applied {
    pub statefulsets: Vec<StatefulSet>,
}

pub async fn apply(client: &Client, plan: &RegionPlan, objects: Objects) -> Result<Applied, Error> {
    // No `..`: a new kind of object in `Objects` must be applied here too.
    let Objects { shard_map, shard_services, client_service, peer_service, pdbs, statefulsets, syncer } = objects;
    let ns = plan.namespace.as_str();
    let mut config_maps = BTreeSet::new();
    let mut services = BTreeSet::new();
    let mut budgets = BTreeSet::new();
    let mut sets = BTreeSet::new();
    let mut deployments = BTreeSet::new();

    config_maps.insert(apply_one(client, ns, &shard_map).await?.name_any());
    for s in shard_services.iter().chain([&client_service, &peer_service]) {
        services.insert(apply_one(client, ns, s).await?.name_any());
    }
    for p in &pdbs {
        budgets.insert(apply_one(client, ns, p).await?.name_any());
    }
    let mut applied_sets = Vec::with_capacity(statefulsets.len());
    for s in &statefulsets {
        let applied = apply_one(client, ns, s).await?;
        sets.insert(applied.name_any());
        applied_sets.push(applied);
    }
    deployments.insert(apply_one(client, ns, &syncer).await?.name_any());

    let selector = names::selector_string(&names::database_selector(plan));
    remove_orphans::<ConfigMap>(client, ns, &selector, &config_maps).await?;
    remove_orphans::<Service>(client, ns, &selector, &services).await?;
    remove_orphans::<PodDisruptionBudget>(client, ns, &selector, &budgets).await?;
    remove_orphans::<StatefulSet>(client, ns, &selector, &sets).await?;
    remove_orphans::<Deployment>(client, ns, &selector, &deployments).await?;
    Ok(Applied { statefulsets: applied_sets })
}

/// Applies one object; what the API server made of it.
async fn apply_one<K>(client: &Client, ns: &str, object: &K) -> Result<K, Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + Debug + Serialize + DeserializeOwned,
{
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(object))
        .await
        .map_err(|source| Error::Apply { kind: K::kind(&()).to_string(), name, source })
}

/// Deletes the database's objects of kind `K` that were not applied in this pass. Only
/// objects the operator manages are touched (its label), never a user's.
async fn remove_orphans<K>(client: &Client, ns: &str, selector: &str, keep: &BTreeSet<String>) -> Result<(), Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + Debug + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let managed = format!("{selector},{}={}", names::MANAGED_BY, names::OPERATOR);
    let list = api.list(&ListParams::default().labels(&managed)).await.map_err(|e| Error::observe("orphans", e))?;
    for object in list.items {
        let name = object.name_any();
        if keep.contains(&name) || object.meta().deletion_timestamp.is_some() {
            continue;
        }
        tracing::info!(kind = %K::kind(&()), %name, "deleting an object the manifest no longer asks for");
        if let Err(source) = delete_present(&api, &name).await {
            return Err(Error::Delete { kind: K::kind(&()).to_string(), name, source });
        }
    }
    Ok(())
}

/// Deletes `name` in the background; one already gone is as good as deleted.
pub async fn delete_present<K>(api: &Api<K>, name: &str) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}
