//! A datanode whose volume is pinned to a node that no longer exists (a local volume of a
//! lost node): under `storage.onNodeLoss: Replace` (the default) the operator deletes the
//! claim and the pod, and the StatefulSet brings the member back with a new claim; under
//! `Wait` it says so in an Event and leaves the claim alone. The test binds each claim to a
//! local PersistentVolume pinned to a node that was never there (no kubelet runs in this
//! tier, so the pod stays Pending either way).

use meridian_e2e::kube::{KubeControlPlane, eventually};
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, event_messages, get_json};

use crate::objects::to_err;
use crate::{TestResult, kube, manifest, plane};

/// A local volume on `node`, reserved for claim `claim` in `ns`.
fn pinned_volume(name: &str, ns: &str, claim: &str, node: &str) -> String {
    format!(
        "apiVersion: v1
kind: PersistentVolume
metadata:
  name: {name}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: lost-node-test
  claimRef: {{namespace: {ns}, name: {claim}}}
  local: {{path: /mnt/nowhere}}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{{key: kubernetes.io/hostname, operator: In, values: [{node}]}}]
"
    )
}

fn claim_uid(plane: &KubeControlPlane, ns: &str, claim: &str) -> Result<String, String> {
    let c = get_json(plane, &["get", "pvc", claim, "-n", ns])?;
    c["metadata"]["uid"].as_str().map(String::from).ok_or_else(|| format!("no uid: {c}"))
}

/// Starts a one-member database with `policy`, binds its claim to a volume on a lost node, and
/// returns the claim's uid once bound.
fn stranded_member(plane: &KubeControlPlane, ns: &str, policy: &str) -> Result<String, meridian_e2e::Error> {
    let spec = format!(
        "  regions: [{{name: us-east, id: 1, peerEndpoint: \"s:7700\"}}]\n  replicas: 0\n  storage: {{size: 1Gi, storageClassName: lost-node-test{policy}}}\n"
    );
    kube(plane.apply_yaml(&manifest(ns, "cache", &spec)))?;
    let claim = "data-cache-shard-0-0";
    kube(eventually("the claim", OPERATOR_TIMEOUT, || claim_uid(plane, ns, claim)))?;
    kube(plane.apply_yaml(&pinned_volume(&format!("{ns}-lost"), ns, claim, "a-node-that-is-gone")))?;
    kube(eventually("the claim bound to the pinned volume", OPERATOR_TIMEOUT, || {
        let c = get_json(plane, &["get", "pvc", claim, "-n", ns])?;
        if c["status"]["phase"] == "Bound" {
            Ok(c["metadata"]["uid"].as_str().unwrap_or_default().to_string())
        } else {
            Err(c["status"].to_string())
        }
    }))
}

#[test]
fn a_volume_on_a_lost_node_is_replaced_by_default() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("lost-node"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let old = stranded_member(&plane, &ns, "")?;
    let message = kube(eventually("the VolumeReplaced Event", OPERATOR_TIMEOUT, || {
        let messages = event_messages(&plane, &ns, "cache");
        messages.iter().find(|m| m.contains("which is gone")).cloned().ok_or_else(|| format!("{messages:?}"))
    }))?;
    assert_eq!(
        message,
        "pod cache-shard-0-0's volume (claim data-cache-shard-0-0) was on node a-node-that-is-gone, which is gone: the claim and the pod were deleted, so it comes back on a new volume and refills by a full sync"
    );
    // The StatefulSet controller recreates the pod and, with it, a new claim.
    kube(eventually("a new claim", OPERATOR_TIMEOUT, || match claim_uid(&plane, &ns, "data-cache-shard-0-0") {
        Ok(uid) if uid != old => Ok(()),
        other => Err(format!("{other:?}")),
    }))?;
    kube(eventually("the pod back", OPERATOR_TIMEOUT, || {
        get_json(&plane, &["get", "pod", "cache-shard-0-0", "-n", &ns])
    }))?;
    let _ = plane.kubectl(&["delete", "pv", &format!("{ns}-lost"), "--wait=false"]);
    Ok(())
}

#[test]
fn with_on_node_loss_wait_the_volume_is_waited_for() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("lost-node-wait"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let old = stranded_member(&plane, &ns, ", onNodeLoss: Wait")?;
    kube(eventually("the VolumeOnLostNode Event", OPERATOR_TIMEOUT, || {
        let messages = event_messages(&plane, &ns, "cache");
        messages
            .iter()
            .find(|m| m.contains("storage.onNodeLoss: Wait keeps waiting"))
            .cloned()
            .ok_or_else(|| format!("{messages:?}"))
    }))?;
    assert_eq!(claim_uid(&plane, &ns, "data-cache-shard-0-0").map_err(to_err)?, old, "the claim is kept");
    let _ = plane.kubectl(&["delete", "pv", &format!("{ns}-lost"), "--wait=false"]);
    Ok(())
}
