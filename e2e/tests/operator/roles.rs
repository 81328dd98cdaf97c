//! The operator, not the pods, decides who is master: real datanodes stand in for a shard's
//! pods (each bound to the loopback address the test writes into its pod's status, as a
//! kubelet would), and the operator elects a master, makes the other follow it through
//! `SetRole`, labels both so the client Service reaches the master, and reports it. When the
//! master dies and its pod turns unready, the replica takes over after the grace period,
//! with every acknowledged write; the old pod comes back empty and is made a replica.

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use meridian_e2e::kube::{KubeControlPlane, eventually};
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, event_reasons, get_json, wait_condition};
use meridian_e2e::process::{Process, workspace_binary};

use crate::objects::to_err;
use crate::{TestResult, kube, manifest, plane};

/// A loopback address of its own per datanode: 127.<pid>.<test>.<n>, `test` distinct per test
/// (they run at once in one process).
pub fn address(test: u8, n: u8) -> String {
    format!("127.{}.{test}.{n}", 20 + std::process::id() % 200)
}

pub fn datanode(ip: &str) -> Result<Process, meridian_e2e::Error> {
    let bin = workspace_binary("meridian-datanode")?;
    let args = ["--port=6379", "--repl-port=16379", "--region=1", "--database-id=cache", "--active-active"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--bind={ip}")])
        .collect();
    let addr = format!("{ip}:6379");
    Process::spawn_until(&format!("datanode-{ip}"), &bin, args, 6379, || TcpStream::connect(&addr).is_ok())
}

fn now_rfc3339() -> String {
    let out = Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]).output().map(|o| o.stdout).unwrap_or_default();
    String::from_utf8_lossy(&out).trim().to_string()
}

/// What a kubelet would write: the pod runs at `ip` and is (un)ready since now.
pub fn set_pod(plane: &KubeControlPlane, ns: &str, pod: &str, ip: &str, ready: bool) -> TestResult {
    let status = if ready { "True" } else { "False" };
    let patch = format!(
        r#"{{"status":{{"phase":"Running","podIP":"{ip}","podIPs":[{{"ip":"{ip}"}}],"conditions":[{{"type":"Ready","status":"{status}","lastTransitionTime":"{}"}}]}}}}"#,
        now_rfc3339()
    );
    kube(plane.kubectl_ok(&["patch", "pod", pod, "-n", ns, "--subresource=status", "--type=merge", "-p", &patch]))?;
    Ok(())
}

pub fn redis(ip: &str) -> Result<redis::Connection, meridian_e2e::Error> {
    let client = redis::Client::open(format!("redis://{ip}:6379/")).map_err(|e| to_err(e.to_string()))?;
    client.get_connection_with_timeout(Duration::from_secs(5)).map_err(|e| to_err(e.to_string()))
}

fn role(ip: &str) -> Result<String, String> {
    let mut c = redis(ip).map_err(|e| e.to_string())?;
    let reply: Vec<redis::Value> = redis::cmd("ROLE").query(&mut c).map_err(|e| e.to_string())?;
    match reply.first() {
        Some(redis::Value::BulkString(b)) => Ok(String::from_utf8_lossy(b).to_string()),
        other => Err(format!("ROLE answered {other:?}")),
    }
}

fn get(ip: &str, key: &str) -> Result<Option<String>, String> {
    let mut c = redis(ip).map_err(|e| e.to_string())?;
    redis::cmd("GET").arg(key).query(&mut c).map_err(|e| e.to_string())
}

fn label(plane: &KubeControlPlane, ns: &str, pod: &str) -> Option<String> {
    let p = get_json(plane, &["get", "pod", pod, "-n", ns]).ok()?;
    p["metadata"]["labels"]["meridian.io/role"].as_str().map(String::from)
}

#[test]
fn the_operator_elects_labels_and_fails_over_real_datanodes() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("roles"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec = "  regions: [{name: us-east, id: 1, peerEndpoint: \"syncer.us-east.example:7700\"}]\n  replicas: 1\n  failoverGracePeriodSeconds: 3\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    for pod in ["cache-shard-0-0", "cache-shard-0-1"] {
        kube(eventually(format!("pod {pod}"), OPERATOR_TIMEOUT, || get_json(&plane, &["get", "pod", pod, "-n", &ns])))?;
    }
    let (a, b) = (address(1, 1), address(1, 2));
    let node_a = datanode(&a)?;
    let _node_b = datanode(&b)?;
    set_pod(&plane, &ns, "cache-shard-0-0", &a, true)?;
    set_pod(&plane, &ns, "cache-shard-0-1", &b, true)?;

    // Election: ordinal 0 is master, 1 follows it, the labels say so, and the region is Ready.
    let db = wait_condition(&plane, &ns, "cache", "ShardsReady", "True", "AllShardsReady")?;
    assert_eq!(db["status"]["shards"][0]["master"], "cache-shard-0-0");
    kube(eventually("cache-shard-0-1 following cache-shard-0-0", OPERATOR_TIMEOUT, || {
        match (role(&b)?, label(&plane, &ns, "cache-shard-0-0"), label(&plane, &ns, "cache-shard-0-1")) {
            (r, Some(m), Some(s)) if r == "slave" && m == "master" && s == "replica" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    }))?;
    let db = wait_condition(&plane, &ns, "cache", "Ready", "True", "Ready")?;
    assert_eq!(db["status"]["shards"][0]["replicas"][0]["pod"], "cache-shard-0-1");
    assert!(event_reasons(&plane, &ns, "cache").contains(&"MasterElected".to_string()));

    // Writes on the master reach the replica.
    let mut on_a = redis(&a)?;
    for i in 0..50 {
        let _: () =
            redis::cmd("SET").arg(format!("k{i}")).arg(i).query(&mut on_a).map_err(|e| to_err(e.to_string()))?;
    }
    kube(eventually("k49 on the replica", OPERATOR_TIMEOUT, || match get(&b, "k49")? {
        Some(v) if v == "49" => Ok(()),
        other => Err(format!("{other:?}")),
    }))?;

    // The master dies; its kubelet would mark the pod unready. After the grace, the replica
    // takes over, with every write.
    drop(node_a);
    set_pod(&plane, &ns, "cache-shard-0-0", &a, false)?;
    kube(eventually("cache-shard-0-1 promoted", OPERATOR_TIMEOUT, || {
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        match (db["status"]["shards"][0]["master"].as_str(), role(&b)?.as_str(), label(&plane, &ns, "cache-shard-0-1"))
        {
            (Some("cache-shard-0-1"), "master", Some(l)) if l == "master" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    }))?;
    for i in 0..50 {
        assert_eq!(get(&b, &format!("k{i}")).map_err(to_err)?, Some(i.to_string()));
    }
    assert!(event_reasons(&plane, &ns, "cache").contains(&"FailedOver".to_string()));

    // The old pod comes back (empty, as after a restart) and becomes a replica of the new
    // master, which fills it.
    let _node_a2 = datanode(&a)?;
    set_pod(&plane, &ns, "cache-shard-0-0", &a, true)?;
    kube(eventually("cache-shard-0-0 back as a replica with the data", OPERATOR_TIMEOUT, || {
        match (role(&a)?.as_str(), label(&plane, &ns, "cache-shard-0-0"), get(&a, "k49")?) {
            ("slave", Some(l), Some(v)) if l == "replica" && v == "49" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    }))?;
    wait_condition(&plane, &ns, "cache", "Ready", "True", "Ready")?;

    // The kubectl plugin shows it as one table, digest included once the operator took one.
    kube(eventually("a digest of the shard", OPERATOR_TIMEOUT, || {
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        db["status"]["shards"][0]["digest"].as_str().map(String::from).ok_or_else(|| db["status"].to_string())
    }))?;
    let plugin = workspace_binary("kubectl-meridian")?;
    let out = Command::new(plugin)
        .args(["status", "cache", "-n", &ns])
        .env("KUBECONFIG", plane.kubeconfig())
        .output()
        .map_err(|e| to_err(e.to_string()))?;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}{}", String::from_utf8_lossy(&out.stderr));
    let row = table.lines().find(|l| l.starts_with("us-east")).unwrap_or_default();
    assert!(
        row.contains("True")
            && row.contains("0-16383")
            && row.contains("cache-shard-0-1")
            && row.contains("cache-shard-0-0 ("),
        "{table}"
    );
    Ok(())
}
