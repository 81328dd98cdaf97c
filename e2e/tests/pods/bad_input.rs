//! Bad input on real Pods: an image that is not there, a container that crash-loops, a
//! volume claim that cannot bind. Each is a database of its own in one region, next to the
//! others; the operator (the chart's, in its Pods) must say in the database's conditions and
//! Events which Pod is stuck and why, in the kubelet's or the scheduler's words: what a user
//! reads in `kubectl describe aadb` before looking at any Pod.

use std::time::Duration;

use meridian_e2e::cluster::{ImageArchives, RegionCluster, WORKSPACE_VERSION};
use meridian_e2e::kube::eventually;
use serde_json::Value;

use crate::{SERIAL, TestResult, check, helm_install_operator, kube};

/// The kubelet backs off a crashing container from 10 s; the scheduler retries within
/// seconds; the operator looks again at every Pod change.
const SETTLE: Duration = Duration::from_secs(240);

/// A one-region database named `cache` in namespace `ns`, one datanode, plus `extra`
/// spec lines.
fn database(ns: &str, extra: &str) -> String {
    format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: cache\n  namespace: {ns}\n\
         spec:\n  regions: [{{name: us-east, id: 1, peerEndpoint: \"10.77.0.1:7700\"}}]\n  replicas: 0\n{extra}"
    )
}

/// Condition `type_` of the database in `ns`: (status, reason, message).
fn condition(region: &RegionCluster, ns: &str, type_: &str) -> Result<(String, String, String), String> {
    let out = region.kubectl_ok(&["get", "aadb", "cache", "-n", ns, "-o", "json"]).map_err(|e| e.to_string())?;
    let db: Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    let conditions = db["status"]["conditions"].as_array().cloned().unwrap_or_default();
    let c = conditions.iter().find(|c| c["type"] == type_).ok_or_else(|| format!("no {type_} yet"))?;
    let field = |f: &str| c[f].as_str().unwrap_or_default().to_string();
    Ok((field("status"), field("reason"), field("message")))
}

/// Waits until the database in `ns` is Degraded with `reason` and a message holding every
/// one of `words`; returns the message.
fn degraded(region: &RegionCluster, ns: &str, reason: &str, words: &[&str]) -> Result<String, meridian_e2e::Error> {
    kube(eventually(format!("{ns}: Degraded {reason} with {words:?}"), SETTLE, || {
        let (status, r, message) = condition(region, ns, "Degraded")?;
        if status == "True" && r == reason && words.iter().all(|w| message.contains(w)) {
            Ok(message)
        } else {
            Err(format!("Degraded={status} {r}: {message}"))
        }
    }))
}

/// The operator's Warning Events on the database in `ns`: (reason, message).
fn warnings(region: &RegionCluster, ns: &str) -> Result<Vec<(String, String)>, String> {
    let out = region
        .kubectl_ok(&["get", "events", "-n", ns, "--field-selector=type=Warning", "-o", "json"])
        .map_err(|e| e.to_string())?;
    let events: Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    Ok(events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["involvedObject"]["kind"] == "ActiveActiveDatabase")
        .map(|e| (e["reason"].as_str().unwrap_or_default().into(), e["message"].as_str().unwrap_or_default().into()))
        .collect())
}

/// Waits for a Warning Event with `reason` whose message holds `words`.
fn warned(region: &RegionCluster, ns: &str, reason: &str, words: &[&str]) -> TestResult {
    kube(eventually(format!("{ns}: a {reason} Event"), SETTLE, || {
        let all = warnings(region, ns)?;
        if all.iter().any(|(r, m)| r == reason && words.iter().all(|w| m.contains(w))) {
            Ok(())
        } else {
            Err(format!("{all:?}"))
        }
    }))
}

#[test]
fn a_missing_image_a_crash_loop_and_an_unbound_claim_are_reported_with_the_kubelets_reasons() -> TestResult {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut region = kube(RegionCluster::start("us-east", 1, None, &ImageArchives::find(WORKSPACE_VERSION)))?;
    // One 1 GiB volume in the cluster: the 50 GiB claim below fits none.
    kube(region.create_local_volumes(1, "1Gi"))?;
    helm_install_operator(&region)?;

    // A version whose images were never loaded, with pullPolicy Never (no registry here).
    kube(region.kubectl_ok(&["create", "namespace", "noimage"]))?;
    kube(region.apply_yaml(&database("noimage", "  version: 9.9.9\n  image: {pullPolicy: Never}\n")))?;
    // A TLS Secret whose certificate is not PEM: the syncer refuses it at start, every time.
    kube(region.kubectl_ok(&["create", "namespace", "badtls"]))?;
    kube(region.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "peer-tls",
        "-n",
        "badtls",
        "--from-literal=tls.crt=not a certificate",
        "--from-literal=tls.key=not a key",
        "--from-literal=ca.crt=not a CA",
    ]))?;
    kube(region.apply_yaml(&database("badtls", "  tls: {secretName: peer-tls}\n")))?;
    // A volume larger than any the cluster has.
    kube(region.kubectl_ok(&["create", "namespace", "nospace"]))?;
    kube(region.apply_yaml(&database("nospace", "  storage: {size: 50Gi}\n")))?;

    let image = degraded(
        &region,
        "noimage",
        "ImageUnavailable",
        &["pod cache-shard-0-0, container datanode: ErrImageNeverPull", "meridian/meridian-datanode:9.9.9"],
    )?;
    eprintln!("noimage: {image}");
    let (status, reason, message) = condition(&region, "noimage", "ShardsReady").map_err(check)?;
    assert_eq!((status.as_str(), reason.as_str()), ("False", "ImageUnavailable"), "{message}");
    assert!(message.contains("0/1 shards have a ready master; pod cache-shard-0-0"), "{message}");
    warned(&region, "noimage", "ImageUnavailable", &["cache-shard-0-0", "ErrImageNeverPull"])?;

    // The datanode serves; only the syncer is down, so the shard stays ready.
    let crash = degraded(
        &region,
        "badtls",
        "CrashLoopBackOff",
        &["pod cache-syncer-", "container syncer: CrashLoopBackOff", "last exit code 1"],
    )?;
    eprintln!("badtls: {crash}");
    let (status, _, message) = condition(&region, "badtls", "ShardsReady").map_err(check)?;
    assert_eq!(status, "True", "{message}");
    warned(&region, "badtls", "CrashLoopBackOff", &["container syncer", "last exit code 1"])?;

    let unbound = degraded(
        &region,
        "nospace",
        "VolumeNotBound",
        &[
            "pod cache-shard-0-0 cannot be scheduled: claim data-cache-shard-0-0 is Pending",
            "50Gi",
            "the scheduler says: 0/1 nodes are available",
        ],
    )?;
    eprintln!("nospace: {unbound}");
    warned(&region, "nospace", "VolumeNotBound", &["data-cache-shard-0-0"])?;

    let left = region.stop();
    assert!(left.is_empty(), "not cleaned up: {left:?}");
    Ok(())
}
