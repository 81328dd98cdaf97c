//! What the operator reads before it decides: the region's datanode pods and StatefulSets
//! and the referenced Secrets (from the API server), each datanode's own answer to a fresh
//! `Status`, and the syncer's peer links. The only step besides `apply` and `status` that
//! does I/O; everything it returns is plain data for the pure steps.

use std::collections::BTreeMap;

use futures::future::join_all;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::ListParams;

use super::pod_problems::{self, PodProblem};
use super::{Context, Error};
use crate::build::names;
use crate::nodes::{self, NodeError, NodeReport};
use crate::plan::RegionPlan;
use crate::syncer_info::{self, PeerLink};

/// One datanode pod of the region.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pub name: String,
    pub shard: u32,
    pub ordinal: u32,
    pub ip: Option<String>,
    pub ready: bool,
    /// When its Ready condition last changed.
    pub ready_changed: Option<Timestamp>,
    pub deleting: bool,
    /// The StatefulSet revision it runs (`controller-revision-hash`).
    pub revision: Option<String>,
    /// Its `meridian.io/role` label.
    pub role: Option<String>,
}

impl PodView {
    /// Its datanode's replication address.
    pub fn repl_addr(&self) -> Option<String> {
        self.ip.as_ref().map(|ip| format!("{ip}:{}", names::REPL_PORT))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatefulSetView {
    pub update_revision: Option<String>,
    pub ready_replicas: i32,
}

#[derive(Debug, Default)]
pub struct Observed {
    pub pods: Vec<PodView>,
    /// Each answering pod's datanode, by pod name; the error for those that did not answer.
    pub reports: BTreeMap<String, Result<NodeReport, NodeError>>,
    pub statefulsets: BTreeMap<u32, StatefulSetView>,
    /// The syncer's peer links, or why they could not be read; `None` while no syncer pod
    /// is running.
    pub syncer: Option<Result<BTreeMap<u8, PeerLink>, crate::Error>>,
    pub syncer_ready: bool,
    /// What is wrong with the Secrets the manifest names, one message each.
    pub secret_problems: Vec<String>,
    /// Why datanode or syncer Pods do not run, as the kubelet and the scheduler say.
    pub pod_problems: Vec<PodProblem>,
}

impl Observed {
    pub fn pod(&self, shard: u32, ordinal: u32) -> Option<&PodView> {
        self.pods.iter().find(|p| p.shard == shard && p.ordinal == ordinal)
    }

    pub fn report(&self, pod: &str) -> Option<&NodeReport> {
        self.reports.get(pod).and_then(|r| r.as_ref().ok())
    }
}

pub async fn observe(plan: &RegionPlan, ctx: &Context) -> Result<Observed, Error> {
    let client = ctx.client.clone();
    let ns = plan.namespace.as_str();
    let secret_problems = secrets(plan, &Api::namespaced(client.clone(), ns)).await?;
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let datanodes = names::selector_string(&names::component_selector(plan, names::DATANODE));
    let pod_list =
        pods_api.list(&ListParams::default().labels(&datanodes)).await.map_err(|e| Error::observe("pods", e))?;
    let pods: Vec<PodView> = pod_list.items.iter().filter_map(|p| pod_view(plan, p)).collect();

    let sts_api: Api<StatefulSet> = Api::namespaced(client.clone(), ns);
    let sts_list =
        sts_api.list(&ListParams::default().labels(&datanodes)).await.map_err(|e| Error::observe("statefulsets", e))?;
    let statefulsets = sts_list
        .items
        .iter()
        .filter_map(|s| {
            let shard = s.metadata.labels.as_ref()?.get(names::SHARD)?.parse().ok()?;
            let status = s.status.as_ref();
            Some((
                shard,
                StatefulSetView {
                    update_revision: status.and_then(|s| s.update_revision.clone()),
                    ready_replicas: status.and_then(|s| s.ready_replicas).unwrap_or(0),
                },
            ))
        })
        .collect();

    // Every datanode with an address is asked at once: a reconcile waits for the slowest
    // answer (bounded by nodes::CALL_TIMEOUT), not for their sum.
    let asks = pods.iter().filter(|p| !p.deleting).filter_map(|p| {
        let addr = p.repl_addr()?;
        let name = p.name.clone();
        let id = plan.database_id.clone();
        Some(async move { (name, nodes::status(&addr, &id, false).await) })
    });
    let reports = join_all(asks).await.into_iter().collect();

    let syncer_pods = pods_api
        .list(&ListParams::default().labels(&names::selector_string(&names::component_selector(plan, names::SYNCER))))
        .await
        .map_err(|e| Error::observe("syncer pods", e))?;
    let running = syncer_pods.items.iter().find(|p| p.metadata.deletion_timestamp.is_none() && ip(p).is_some());
    let syncer_ready = running.is_some_and(pod_ready);
    let syncer = match running.and_then(ip) {
        Some(ip) => Some(syncer_info::fetch(&format!("{ip}:{}", names::SYNCER_HTTP_PORT)).await),
        None => None,
    };
    let mut all_pods = pod_list.items;
    all_pods.extend(syncer_pods.items);
    // Claims matter only to say why a Pod cannot be scheduled: listed only then.
    let claims = if all_pods.iter().any(unscheduled) {
        let api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), ns);
        api.list(&ListParams::default().labels(&datanodes)).await.map_err(|e| Error::observe("volume claims", e))?.items
    } else {
        vec![]
    };
    let pod_problems = pod_problems::problems(&all_pods, &claims);
    Ok(Observed { pods, reports, statefulsets, syncer, syncer_ready, secret_problems, pod_problems })
}

fn unscheduled(pod: &Pod) -> bool {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.into_iter().flatten().any(|c| c.type_ == "PodScheduled" && c.status == "False")
}

fn ip(pod: &Pod) -> Option<String> {
    pod.status.as_ref()?.pod_ip.clone().filter(|ip| !ip.is_empty())
}

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready")
}

fn pod_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// A datanode pod of one of the plan's shards, by its name `<db>-shard-<i>-<ordinal>`.
fn pod_view(plan: &RegionPlan, pod: &Pod) -> Option<PodView> {
    let name = pod.metadata.name.clone()?;
    let labels = pod.metadata.labels.as_ref();
    let shard: u32 = labels?.get(names::SHARD)?.parse().ok()?;
    let prefix = format!("{}-", names::shard(plan, shard));
    let ordinal: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
    Some(PodView {
        shard,
        ordinal,
        ip: ip(pod),
        ready: pod_ready(pod),
        ready_changed: ready_condition(pod).and_then(|c| c.last_transition_time.as_ref()).map(|t| t.0),
        deleting: pod.metadata.deletion_timestamp.is_some(),
        revision: labels.and_then(|l| l.get("controller-revision-hash")).cloned(),
        role: labels.and_then(|l| l.get(names::ROLE)).cloned(),
        name,
    })
}

/// Problems with the Secrets the plan needs: missing, or without the keys the pods mount.
async fn secrets(plan: &RegionPlan, api: &Api<Secret>) -> Result<Vec<String>, Error> {
    let mut wanted: Vec<(String, Vec<String>, &str)> = vec![];
    if let Some(p) = &plan.password {
        wanted.push((p.name.clone(), vec![p.key.clone()], "spec.auth.passwordSecret"));
    }
    if let Some(t) = &plan.tls_secret {
        wanted.push((t.clone(), vec!["tls.crt".into(), "tls.key".into(), "ca.crt".into()], "spec.tls.secretName"));
    }
    let mut problems = vec![];
    for (name, keys, field) in wanted {
        match api.get_opt(&name).await.map_err(|e| Error::observe("secrets", e))? {
            None => problems.push(format!("Secret {name} ({field}) does not exist in namespace {}", plan.namespace)),
            Some(secret) => {
                let has = |k: &str| {
                    secret.data.as_ref().is_some_and(|d| d.contains_key(k))
                        || secret.string_data.as_ref().is_some_and(|d| d.contains_key(k))
                };
                let missing: Vec<&str> = keys.iter().map(String::as_str).filter(|k| !has(k)).collect();
                if !missing.is_empty() {
                    problems.push(format!("Secret {name} ({field}) has no key {}", missing.join(", ")));
                }
            }
        }
    }
    Ok(problems)
}
