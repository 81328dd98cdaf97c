//! A rolling upgrade: a new `spec.version` changes the datanodes' template, and the operator
//! replaces the shard's pods one at a time — the replica first, then the master's role moves
//! to the updated replica, then the old master goes — while a client keeps writing to
//! whichever pod the status names master. The test plays the kubelet: every pod the
//! StatefulSet controller creates gets a real datanode at a loopback address and is marked
//! ready. Every acknowledged write is there at the end, and writes never stopped for long.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use meridian_e2e::kube::{KubeControlPlane, eventually};
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, event_reasons, get_json, wait_condition};
use meridian_e2e::process::Process;

use crate::objects::to_err;
use crate::roles::{address, datanode, redis, set_pod};
use crate::{TestResult, kube, manifest, plane};

/// The longest a writer may go without an acknowledged write while the shard rolls.
const MAX_WRITE_GAP: Duration = Duration::from_secs(5);

/// What a kubelet would run: per pod name, the pod's uid and its datanode.
struct Kubelet {
    running: BTreeMap<String, (String, Process)>,
}

impl Kubelet {
    /// Starts a datanode for every pod of the shard it does not run yet (a new pod, or a
    /// recreated one: another uid), and marks it ready.
    fn sync(&mut self, plane: &KubeControlPlane, ns: &str) -> TestResult {
        let pods = get_json(plane, &["get", "pods", "-n", ns, "-l", "meridian.io/shard=0"]).map_err(to_err)?;
        for pod in pods["items"].as_array().cloned().unwrap_or_default() {
            let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let uid = pod["metadata"]["uid"].as_str().unwrap_or_default().to_string();
            if pod["metadata"]["deletionTimestamp"].is_string()
                || self.running.get(&name).is_some_and(|(u, _)| *u == uid)
            {
                continue;
            }
            let ordinal: u8 = name.rsplit('-').next().and_then(|o| o.parse().ok()).unwrap_or(0);
            let ip = address(2, ordinal + 1);
            self.running.remove(&name);
            let process = datanode(&ip)?;
            set_pod(plane, ns, &name, &ip, true)?;
            self.running.insert(name, (uid, process));
        }
        Ok(())
    }
}

fn master_ip(plane: &KubeControlPlane, ns: &str) -> Option<String> {
    let db = get_json(plane, &["get", "aadb", "cache", "-n", ns]).ok()?;
    let master = db["status"]["shards"][0]["master"].as_str()?.to_string();
    let pod = get_json(plane, &["get", "pod", &master, "-n", ns]).ok()?;
    pod["status"]["podIP"].as_str().map(String::from)
}

fn revisions(plane: &KubeControlPlane, ns: &str) -> Result<(String, Vec<String>), String> {
    let sts = get_json(plane, &["get", "statefulset", "cache-shard-0", "-n", ns])?;
    let target = sts["status"]["updateRevision"].as_str().unwrap_or_default().to_string();
    let pods = get_json(plane, &["get", "pods", "-n", ns, "-l", "meridian.io/shard=0"])?;
    let running = pods["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| p["metadata"]["labels"]["controller-revision-hash"].as_str().unwrap_or_default().to_string())
        .collect();
    Ok((target, running))
}

#[test]
fn a_new_version_rolls_one_pod_at_a_time_and_the_shard_stays_writable() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("rollout"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec = |version: &str| {
        format!(
            "  regions: [{{name: us-east, id: 1, peerEndpoint: \"s:7700\"}}]\n  replicas: 1\n  version: \"{version}\"\n  failoverGracePeriodSeconds: 30\n"
        )
    };
    kube(plane.apply_yaml(&manifest(&ns, "cache", &spec("1.0.0"))))?;
    let mut kubelet = Kubelet { running: BTreeMap::new() };
    kube(eventually("both pods running", OPERATOR_TIMEOUT, || {
        kubelet.sync(&plane, &ns).map_err(|e| e.to_string())?;
        if kubelet.running.len() == 2 { Ok(()) } else { Err(format!("{} running", kubelet.running.len())) }
    }))?;
    wait_condition(&plane, &ns, "cache", "Ready", "True", "Ready")?;
    kube(eventually("the replica following", OPERATOR_TIMEOUT, || {
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        if db["status"]["shards"][0]["replicas"][0]["linkUp"] == true { Ok(()) } else { Err(db["status"].to_string()) }
    }))?;

    kube(plane.kubectl_ok(&[
        "patch",
        "aadb",
        "cache",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"version":"1.1.0"}}"#,
    ]))?;
    let (mut acked, mut longest_gap, mut last_ack) = (0u64, Duration::ZERO, Instant::now());
    let deadline = Instant::now() + OPERATOR_TIMEOUT * 2;
    loop {
        kubelet.sync(&plane, &ns)?;
        // A client that writes to the master the status names, and retries elsewhere on error.
        for _ in 0..10 {
            let Some(ip) = master_ip(&plane, &ns) else { break };
            let Ok(mut c) = redis(&ip) else { break };
            match redis::cmd("INCR").arg("writes").query::<i64>(&mut c) {
                Ok(_) => {
                    acked += 1;
                    longest_gap = longest_gap.max(last_ack.elapsed());
                    last_ack = Instant::now();
                }
                Err(_) => break,
            }
        }
        let (target, running) = revisions(&plane, &ns).map_err(to_err)?;
        let settled = running.len() == 2 && running.iter().all(|r| *r == target) && master_ip(&plane, &ns).is_some();
        if settled {
            let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).map_err(to_err)?;
            // (No syncer runs in this tier, so Progressing stays PodsStarting: the shard's own
            // state says when it is done.)
            let shard = &db["status"]["shards"][0];
            if shard["ready"] == true && shard["replicas"][0]["linkUp"] == true {
                break;
            }
        }
        if Instant::now() >= deadline {
            let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).map_err(to_err)?;
            panic!(
                "the rollout did not finish: revisions {running:?} -> {target}; master at {:?}; status {}",
                master_ip(&plane, &ns),
                db["status"]
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(acked > 20, "only {acked} writes were acknowledged during the rollout");
    assert!(longest_gap < MAX_WRITE_GAP, "writes stopped for {longest_gap:?} during the rollout");
    // Every acknowledged write is on the new master, and on its replica.
    let ip = master_ip(&plane, &ns).ok_or_else(|| to_err("no master".into()))?;
    let mut c = redis(&ip)?;
    let total: i64 = redis::cmd("GET").arg("writes").query(&mut c).map_err(|e| to_err(e.to_string()))?;
    assert_eq!(total, acked as i64);
    let reasons = event_reasons(&plane, &ns, "cache");
    for reason in ["RollingUpdate", "Switchover"] {
        assert!(reasons.contains(&reason.to_string()), "no {reason} Event in {reasons:?}");
    }
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns]).map_err(to_err)?;
    assert!(sts["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or_default().ends_with(":1.1.0"));
    Ok(())
}
