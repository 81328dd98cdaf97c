//! A peer region the syncer cannot reach: `PeersSynced=False` and `Degraded=True` with the
//! syncer's own reason, while the region itself stays `Ready` (it serves its clients alone).
//! A real datanode and a real syncer stand in for the pods the test marks ready.

use std::net::TcpStream;

use meridian_e2e::kube::eventually;
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, condition, get_json, wait_condition};
use meridian_e2e::process::{Process, workspace_binary};

use crate::objects::to_err;
use crate::roles::{address, datanode, set_pod};
use crate::{TestResult, kube, manifest, plane};

#[test]
fn an_unreachable_peer_is_degraded_with_the_syncers_reason() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("peers"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec = "  regions:\n    - {name: us-east, id: 1, peerEndpoint: \"127.0.0.1:7700\"}\n    - {name: eu-west, id: 2, peerEndpoint: \"127.0.0.1:1\"}\n  replicas: 0\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    kube(eventually("the datanode pod", OPERATOR_TIMEOUT, || {
        get_json(&plane, &["get", "pod", "cache-shard-0-0", "-n", &ns])
    }))?;
    let node_ip = address(3, 1);
    let _node = datanode(&node_ip)?;
    set_pod(&plane, &ns, "cache-shard-0-0", &node_ip, true)?;

    // The syncer pod the Deployment made, played by a real syncer with the region's map.
    let syncer_pod = kube(eventually("the syncer pod", OPERATOR_TIMEOUT, || {
        let pods = get_json(&plane, &["get", "pods", "-n", &ns, "-l", "app.kubernetes.io/component=syncer"])?;
        pods["items"][0]["metadata"]["name"].as_str().map(String::from).ok_or_else(|| "none yet".to_string())
    }))?;
    let dir = tempfile::tempdir().map_err(|e| to_err(e.to_string()))?;
    let map = dir.path().join("shard-map");
    std::fs::write(&map, format!("0-16383={node_ip}:6379\n")).map_err(|e| to_err(e.to_string()))?;
    let syncer_ip = address(3, 9);
    let args = vec![
        "--region=1".to_string(),
        "--database-id=cache".into(),
        format!("--listen={syncer_ip}:7700"),
        format!("--http={syncer_ip}:9700"),
        format!("--shard-map-file={}", map.display()),
        "--peer=2=127.0.0.1:1".into(),
    ];
    let http = format!("{syncer_ip}:9700");
    let _syncer = Process::spawn_until("syncer", &workspace_binary("meridian-syncer")?, args, 9700, || {
        TcpStream::connect(&http).is_ok()
    })?;
    set_pod(&plane, &ns, &syncer_pod, &syncer_ip, true)?;

    let db = wait_condition(&plane, &ns, "cache", "PeersSynced", "False", "PeerUnreachable")?;
    let (degraded, reason, message) = condition(&db, "Degraded").unwrap_or_default();
    assert_eq!((degraded.as_str(), reason.as_str()), ("True", "PeerUnreachable"));
    assert!(message.contains("eu-west: stale (connecting to the peer:"), "{message}");
    assert_eq!(db["status"]["peers"][0]["state"], "stale");
    assert!(db["status"]["peers"][0]["lastError"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(condition(&db, "Ready").map(|c| c.0).as_deref(), Some("True"), "the region serves without its peer");
    Ok(())
}
