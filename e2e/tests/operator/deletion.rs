//! Deleting a database: the finalizer carries out the deletion policy before Kubernetes'
//! garbage collector removes the owned objects. `Delete` deletes the datanodes' volume
//! claims; `Retain` keeps them and says so in an Event.

use meridian_e2e::kube::eventually;
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, event_reasons, get_json};

use crate::{TestResult, kube, manifest, plane};

fn claims(plane: &meridian_e2e::kube::KubeControlPlane, ns: &str) -> Result<usize, String> {
    let list = get_json(plane, &["get", "pvc", "-n", ns])?;
    Ok(list["items"].as_array().map(Vec::len).unwrap_or(0))
}

fn delete_with_policy(policy: &str) -> Result<usize, meridian_e2e::Error> {
    let plane = plane();
    let ns = kube(plane.create_namespace(&format!("delete-{}", policy.to_lowercase())))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec = format!(
        "  regions: [{{name: us-east, id: 1, peerEndpoint: \"a:7700\"}}]\n  replicas: 1\n  storage: {{size: 1Gi}}\n  deletionPolicy: {policy}\n"
    );
    kube(plane.apply_yaml(&manifest(&ns, "cache", &spec)))?;
    // The StatefulSet controller makes a claim per member from the template.
    kube(eventually("two volume claims", OPERATOR_TIMEOUT, || match claims(&plane, &ns)? {
        2 => Ok(()),
        n => Err(format!("{n} claims")),
    }))?;
    let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).map_err(meridian_e2e::Error::Check)?;
    assert_eq!(db["metadata"]["finalizers"][0], "meridian.io/deletion-policy");
    kube(plane.kubectl_ok(&["delete", "aadb", "cache", "-n", &ns, "--wait=false"]))?;
    kube(eventually("the database gone, and its StatefulSet", OPERATOR_TIMEOUT, || {
        if get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).is_ok() {
            return Err("the database is still there".into());
        }
        let sets = get_json(&plane, &["get", "statefulsets", "-n", &ns])?;
        if sets["items"].as_array().is_some_and(|i| i.is_empty()) { Ok(()) } else { Err("StatefulSets remain".into()) }
    }))?;
    let reason = if policy == "Delete" { "VolumesDeleted" } else { "VolumesRetained" };
    assert!(event_reasons(&plane, &ns, "cache").contains(&reason.to_string()), "no {reason} Event");
    if policy == "Delete" {
        kube(eventually("no volume claims", OPERATOR_TIMEOUT, || match claims(&plane, &ns)? {
            0 => Ok(()),
            n => Err(format!("{n} claims")),
        }))?;
    }
    claims(&plane, &ns).map_err(meridian_e2e::Error::Check)
}

#[test]
fn the_delete_policy_deletes_the_volumes() -> TestResult {
    assert_eq!(delete_with_policy("Delete")?, 0);
    Ok(())
}

#[test]
fn the_retain_policy_keeps_the_volumes() -> TestResult {
    assert_eq!(delete_with_policy("Retain")?, 2);
    Ok(())
}
