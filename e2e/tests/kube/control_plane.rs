//! The control plane itself: it starts, is the version kube-tools.sh built, serves the
//! `kubernetes` Service, stops completely on Drop, and refuses to start without binaries.

use std::path::Path;

use meridian_e2e::kube::{Error, KubeControlPlane, KubeTools};

use crate::{get_json, plane};

#[test]
fn control_plane_is_ready_and_reports_the_built_version() {
    let plane = plane();
    assert_eq!(plane.kubectl_ok(&["get", "--raw", "/readyz"]).unwrap().trim(), "ok");
    assert!(plane.server_url().starts_with("https://127.0.0.1:"), "{}", plane.server_url());

    let version = get_json(&plane, &["version"]).unwrap();
    let client = version["clientVersion"]["gitVersion"].as_str().unwrap();
    let server = version["serverVersion"]["gitVersion"].as_str().unwrap();
    assert_eq!(client, server, "kubectl and kube-apiserver come from one build");
    assert!(server.starts_with("v1.") && !server.starts_with("v1.0.0"), "version stamped at build: {server}");

    // The `kubernetes` Service gets the first address of the range; with the endpoint
    // reconciler off, no endpoints are published for it.
    let service = get_json(&plane, &["get", "service", "kubernetes", "-n", "default"]).unwrap();
    assert_eq!(service["spec"]["clusterIP"], "10.96.0.1");

    // No kubelet registers: the cluster has no nodes.
    let nodes = get_json(&plane, &["get", "nodes"]).unwrap();
    assert_eq!(crate::items(&nodes).len(), 0);

    // The controller-manager publishes the cluster CA into every namespace.
    let root_ca = get_json(&plane, &["get", "configmap", "kube-root-ca.crt", "-n", "default"]).unwrap();
    let ca = std::fs::read_to_string(plane.ca_cert()).unwrap();
    assert_eq!(root_ca["data"]["ca.crt"].as_str().unwrap().trim(), ca.trim());
}

#[test]
fn drop_kills_every_process_and_removes_the_directory() {
    let plane = KubeControlPlane::start().unwrap();
    let pids = plane.pids();
    let dir = plane.dir().unwrap().to_path_buf();
    for pid in pids {
        assert!(Path::new(&format!("/proc/{pid}")).exists(), "process {pid} runs");
    }
    drop(plane);
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} is gone after drop");
    }
    assert!(!dir.exists(), "{} is removed after drop", dir.display());
}

#[test]
fn a_missing_binary_is_an_error_that_says_to_run_kube_tools() {
    let empty = tempfile::tempdir().unwrap();
    let err = KubeTools::find_in(empty.path()).unwrap_err();
    assert!(matches!(err, Error::ToolMissing { name: "etcd", .. }), "{err:?}");
    assert!(err.to_string().contains(".ci/kube-tools.sh"), "{err}");
}
