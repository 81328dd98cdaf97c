//! The operator against a real control plane (etcd, kube-apiserver, kube-controller-manager
//! on loopback; no kubelet, so Pods stay Pending unless a test marks them ready): the
//! objects it applies and their owners, spec changes, the CRD's CEL rules, the deletion
//! policy, leader election, bad input, and — with real datanodes standing in for pods the
//! test marks ready — the roles it assigns and the failovers it makes.
//!
//! Each test runs its own operator (`--namespace` its own namespace) on the shared control
//! plane. Needs `.ci/kube-tools.sh` and `cargo build --workspace --bins` first.

mod bad_input;
mod deletion;
mod helm;
mod leader;
mod objects;
mod peers;
mod roles;
mod rollout;

use std::sync::Arc;

use meridian_e2e::kube::KubeControlPlane;
use meridian_e2e::operator::install_crd;

pub type TestResult = Result<(), meridian_e2e::Error>;

/// The shared control plane with the CRD installed.
pub fn plane() -> Arc<KubeControlPlane> {
    let plane = match KubeControlPlane::shared() {
        Ok(plane) => plane,
        Err(e) => panic!("{e:?}"),
    };
    if let Err(e) = install_crd(&plane) {
        panic!("{e:?}");
    }
    plane
}

/// A manifest for database `name` in `ns`, with `spec` (YAML, indented by two).
pub fn manifest(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
    )
}

pub fn kube<T>(r: meridian_e2e::kube::Result<T>) -> Result<T, meridian_e2e::Error> {
    r.map_err(meridian_e2e::Error::from)
}
