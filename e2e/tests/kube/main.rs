//! The kube tier's harness against the real thing: etcd, kube-apiserver and
//! kube-controller-manager built by `.ci/kube-tools.sh`, driven with kubectl and helm.
//! A missing binary fails these tests (it says to run `.ci/kube-tools.sh`); nothing skips.
//!
//! The tests share one control plane (`KubeControlPlane::shared`), each in a namespace of
//! its own; the one that checks `Drop` starts its own.

mod control_plane;
mod crd;
mod helm;
mod rbac;
mod workloads;

use std::sync::Arc;
use std::time::Duration;

use meridian_e2e::kube::KubeControlPlane;
use serde_json::Value;

/// How long the controller-manager may take to act on an object (create a ReplicaSet, Pods,
/// collect garbage): it reacts within a second, but the machine may be busy.
const CONTROLLER_TIMEOUT: Duration = Duration::from_secs(60);

/// The shared control plane; a failure to start (a missing binary) fails the test with the
/// harness's message.
fn plane() -> Arc<KubeControlPlane> {
    match KubeControlPlane::shared() {
        Ok(plane) => plane,
        Err(e) => panic!("{e:?}"),
    }
}

/// `kubectl <args> -o json` as the admin, parsed; `Err` carries kubectl's error as text,
/// for `eventually`.
fn get_json(plane: &KubeControlPlane, args: &[&str]) -> Result<Value, String> {
    let mut args = args.to_vec();
    args.extend(["-o", "json"]);
    let out = plane.kubectl_ok(&args).map_err(|e| e.to_string())?;
    serde_json::from_str(&out).map_err(|e| format!("kubectl printed no JSON ({e}): {out}"))
}

/// The `items` of a list as returned by `get_json`.
fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

/// Stdout and stderr of a finished command, for assertions on failures.
fn text(output: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}
