//! Volumes stranded on a lost node. A datanode whose claim is bound to a volume pinned to one
//! node (a local volume) cannot be scheduled anywhere else; when that node is gone for good,
//! its pod would stay Pending forever. Under `storage.onNodeLoss: Replace` (the default) the
//! operator deletes the claim and the pod, so the StatefulSet brings the member back on a new
//! volume and it refills by a full sync (datanodes keep their data in memory: the old volume
//! held nothing the shard lacks). Under `Wait` it only says so, every pass, until the node
//! returns.
//!
//! `stranded` is pure; `observe` reads claims, volumes and nodes; `act` deletes.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::ListParams;
use kube::{Api, ResourceExt};

use super::Note;
use super::apply::delete_present;
use super::observe::PodView;
use crate::Error;
use crate::build::names;
use crate::crd::NodeLossPolicy;
use crate::plan::RegionPlan;

/// The label local volumes pin their node with.
const HOSTNAME: &str = "kubernetes.io/hostname";
/// The volume claim template's name: claims are `data-<pod>`.
const CLAIM_PREFIX: &str = "data-";

/// A datanode's claim, as far as a lost node matters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimView {
    pub name: String,
    /// The node its bound volume is pinned to, if it is pinned to exactly one.
    pub pinned_to: Option<String>,
}

/// A claim whose pod cannot run again until it gets a new volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stranded {
    pub claim: String,
    pub pod: String,
    pub node: String,
}

/// The claims pinned to a node that does not exist (not in `nodes`) whose pod is not ready:
/// a ready pod is running on its volume, whatever the node list says.
pub fn stranded(claims: &[ClaimView], nodes: &BTreeSet<String>, pods: &[PodView]) -> Vec<Stranded> {
    claims
        .iter()
        .filter_map(|c| {
            let node = c.pinned_to.as_ref().filter(|n| !nodes.contains(*n))?;
            let pod = c.name.strip_prefix(CLAIM_PREFIX)?;
            let ready = pods.iter().any(|p| p.name == pod && p.ready && !p.deleting);
            (!ready).then(|| Stranded { claim: c.name.clone(), pod: pod.to_string(), node: node.clone() })
        })
        .collect()
}

/// The one node a volume is pinned to by its required node affinity (`kubernetes.io/hostname
/// In [node]`), as local volumes and local-path provisioners write it.
pub fn pinned_node(pv: &PersistentVolume) -> Option<String> {
    let terms = &pv.spec.as_ref()?.node_affinity.as_ref()?.required.as_ref()?.node_selector_terms;
    let mut nodes = terms.iter().flat_map(|t| t.match_expressions.iter().flatten()).filter_map(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        (e.key == HOSTNAME && e.operator == "In" && values.len() == 1).then(|| values.first().cloned()).flatten()
    });
    let node = nodes.next()?;
    nodes.all(|n| n == node).then_some(node)
}

/// Reads the region's claims, their volumes and which pinned nodes exist. Nothing to do
/// without `storage`. An error (e.g. no right to read nodes) is returned as a note: it must
/// not stop the reconcile.
pub async fn observe(client: &kube::Client, plan: &RegionPlan, pods: &[PodView]) -> Result<Vec<Stranded>, Error> {
    if plan.storage.is_none() {
        return Ok(vec![]);
    }
    let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &plan.namespace);
    let selector = names::selector_string(&names::component_selector(plan, names::DATANODE));
    let list = claims_api.list(&ListParams::default().labels(&selector)).await.map_err(Error::ListClaims)?;
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let node_api: Api<Node> = Api::all(client.clone());
    let mut claims = vec![];
    let mut nodes = BTreeSet::new();
    for claim in &list.items {
        let Some(volume) = claim.spec.as_ref().and_then(|s| s.volume_name.clone()) else { continue };
        let pv = volumes.get_opt(&volume).await.map_err(|source| Error::ReadVolume { name: volume.clone(), source })?;
        let pinned_to = pv.as_ref().and_then(pinned_node);
        if let Some(node) = &pinned_to
            && !nodes.contains(node)
            && node_api.get_opt(node).await.map_err(|source| Error::ReadNode { name: node.clone(), source })?.is_some()
        {
            nodes.insert(node.clone());
        }
        claims.push(ClaimView { name: claim.name_any(), pinned_to });
    }
    Ok(stranded(&claims, &nodes, pods))
}

/// Carries out the policy for each stranded claim; the notes say what was done.
pub async fn act(client: &kube::Client, plan: &RegionPlan, stranded: &[Stranded]) -> Vec<Note> {
    let policy = plan.storage.as_ref().map(|s| s.on_node_loss).unwrap_or_default();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &plan.namespace);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &plan.namespace);
    let mut notes = vec![];
    for s in stranded {
        if policy == NodeLossPolicy::Wait {
            notes.push(Note::warning(
                "VolumeOnLostNode",
                format!(
                    "pod {} waits for its volume (claim {}) on node {}, which is gone; storage.onNodeLoss: Wait keeps waiting (Replace would give it a new volume)",
                    s.pod, s.claim, s.node
                ),
            )
            .about(&s.pod));
            continue;
        }
        // The claim first: the StatefulSet recreates the pod with a new claim only once the
        // old one is gone (its protection finalizer lets go when no pod uses it).
        let deleted = match delete_present(&claims, &s.claim).await {
            Ok(()) => delete_present(&pods, &s.pod).await,
            Err(e) => Err(e),
        };
        notes.push(match deleted {
            Ok(()) => Note::normal(
                "VolumeReplaced",
                format!(
                    "pod {}'s volume (claim {}) was on node {}, which is gone: the claim and the pod were deleted, so it comes back on a new volume and refills by a full sync",
                    s.pod, s.claim, s.node
                ),
            ),
            Err(e) => Note::warning("ActionFailed", format!("replacing the volume of pod {} failed: {e}", s.pod)),
        }
        .about(&s.pod));
    }
    notes
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PersistentVolumeSpec, VolumeNodeAffinity,
    };

    use super::*;

    fn pv(values: &[&[&str]]) -> PersistentVolume {
        let terms = values
            .iter()
            .map(|v| NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: HOSTNAME.into(),
                    operator: "In".into(),
                    values: Some(v.iter().map(|s| s.to_string()).collect()),
                }]),
                ..Default::default()
            })
            .collect();
        PersistentVolume {
            spec: Some(PersistentVolumeSpec {
                node_affinity: Some(VolumeNodeAffinity { required: Some(NodeSelector { node_selector_terms: terms }) }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn pod(name: &str, ready: bool) -> PodView {
        PodView {
            name: name.into(),
            shard: 0,
            ordinal: 0,
            ip: None,
            ready,
            ready_changed: None,
            deleting: false,
            revision: None,
            role: None,
        }
    }

    #[test]
    fn a_volume_pinned_to_one_node_names_it() {
        assert_eq!(pinned_node(&pv(&[&["node-a"]])), Some("node-a".into()));
        assert_eq!(pinned_node(&pv(&[&["node-a"], &["node-a"]])), Some("node-a".into()));
        assert_eq!(pinned_node(&pv(&[&["node-a", "node-b"]])), None, "movable between two nodes");
        assert_eq!(pinned_node(&pv(&[&["node-a"], &["node-b"]])), None);
        assert_eq!(pinned_node(&PersistentVolume::default()), None, "network storage is not pinned");
    }

    #[test]
    fn only_claims_on_a_missing_node_whose_pod_is_not_ready_are_stranded() {
        let claims = vec![
            ClaimView { name: "data-db-shard-0-0".into(), pinned_to: Some("gone".into()) },
            ClaimView { name: "data-db-shard-0-1".into(), pinned_to: Some("here".into()) },
            ClaimView { name: "data-db-shard-1-0".into(), pinned_to: Some("gone".into()) },
            ClaimView { name: "data-db-shard-1-1".into(), pinned_to: None },
        ];
        let nodes = BTreeSet::from(["here".to_string()]);
        let pods = vec![pod("db-shard-0-0", false), pod("db-shard-1-0", true)];
        assert_eq!(
            stranded(&claims, &nodes, &pods),
            vec![Stranded { claim: "data-db-shard-0-0".into(), pod: "db-shard-0-0".into(), node: "gone".into() }]
        );
        // A pod not created yet (the StatefulSet waits) is stranded too.
        assert_eq!(stranded(&claims, &nodes, &[]).len(), 2);
    }
}
