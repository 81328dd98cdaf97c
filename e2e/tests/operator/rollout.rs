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

use crate::objects::{patch_cache, to_err};
use crate::roles::{address, datanode, redis, set_pod};
use crate::{TestResult, kube, manifest, plane};

/// The longest a writer may go without an acknowledged write while the shard rolls.
const MAX_WRITE_GAP: Duration = Duration::from_secs(5);

/// What a kubelet would run: per pod name, the pod's uid and its datanode, at loopback
/// addresses of this test's own (`net`).
struct Kubelet {
    net: u8,
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
            let ip = address(self.net, ordinal + 1);
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
    let mut kubelet = running_shard(&plane, &ns, 2, "1.0.0")?;
    patch_cache(&plane, &ns, r#"{"spec":{"version":"1.1.0"}}"#)?;
    roll_while_writing(&plane, &ns, &mut kubelet)?;
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns]).map_err(to_err)?;
    assert!(sts["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or_default().ends_with(":1.1.0"));
    Ok(())
}

/// A forced rebuild (`meridian.io/rebuild-shard`) replaces every member of the shard the
/// same way, writable throughout; the request is recorded in status and taken off the
/// resource, and a request naming no shard of the region is refused with an Event.
#[test]
fn the_rebuild_annotation_replaces_every_member_and_the_shard_stays_writable() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("rebuild"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let mut kubelet = running_shard(&plane, &ns, 5, "1.0.0")?;
    let uids = |kubelet: &Kubelet| kubelet.running.values().map(|(uid, _)| uid.clone()).collect::<Vec<_>>();
    let before = uids(&kubelet);

    kube(plane.kubectl_ok(&["annotate", "aadb", "cache", "-n", &ns, "meridian.io/rebuild-shard=7"]))?;
    kube(eventually("the refusal", OPERATOR_TIMEOUT, || {
        let events = meridian_e2e::operator::event_messages(&plane, &ns, "cache");
        events
            .iter()
            .find(|m| m.contains("names shard 7, but this region has 1 shard(s) (0 to 0)"))
            .cloned()
            .ok_or_else(|| format!("{events:?}"))
    }))?;
    kube(eventually("the refused request taken off", OPERATOR_TIMEOUT, || annotation(&plane, &ns)))?;

    kube(plane.kubectl_ok(&["annotate", "aadb", "cache", "-n", &ns, "meridian.io/rebuild-shard=0"]))?;
    kube(eventually("the request taken off", OPERATOR_TIMEOUT, || annotation(&plane, &ns)))?;
    let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).map_err(to_err)?;
    let token = db["status"]["shards"][0]["rebuild"].as_str().unwrap_or_default().to_string();
    assert!(token.ends_with('Z'), "the status records the request's time: {}", db["status"]);
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sts["spec"]["template"]["metadata"]["annotations"]["meridian.io/rebuild"], token.as_str());

    roll_while_writing(&plane, &ns, &mut kubelet)?;
    let after = uids(&kubelet);
    assert!(before.iter().all(|uid| !after.contains(uid)), "every pod was replaced: {before:?} -> {after:?}");
    assert!(event_reasons(&plane, &ns, "cache").contains(&"RebuildStarted".to_string()));
    Ok(())
}

/// `Ok` once the rebuild annotation is gone from the database.
fn annotation(plane: &KubeControlPlane, ns: &str) -> Result<(), String> {
    let db = get_json(plane, &["get", "aadb", "cache", "-n", ns])?;
    match db["metadata"]["annotations"]["meridian.io/rebuild-shard"].as_str() {
        None => Ok(()),
        Some(v) => Err(format!("still annotated {v:?}")),
    }
}

/// A one-shard database at `version`, its master and replica running (datanodes at
/// loopback addresses of network `net`), the replica following.
fn running_shard(plane: &KubeControlPlane, ns: &str, net: u8, version: &str) -> Result<Kubelet, meridian_e2e::Error> {
    let spec = format!(
        "  regions: [{{name: us-east, id: 1, peerEndpoint: \"s:7700\"}}]\n  replicas: 1\n  version: \"{version}\"\n  failoverGracePeriodSeconds: 30\n"
    );
    kube(plane.apply_yaml(&manifest(ns, "cache", &spec)))?;
    let mut kubelet = Kubelet { net, running: BTreeMap::new() };
    kube(eventually("both pods running", OPERATOR_TIMEOUT, || {
        kubelet.sync(plane, ns).map_err(|e| e.to_string())?;
        if kubelet.running.len() == 2 { Ok(()) } else { Err(format!("{} running", kubelet.running.len())) }
    }))?;
    wait_condition(plane, ns, "cache", "Ready", "True", "Ready")?;
    kube(eventually("the replica following", OPERATOR_TIMEOUT, || {
        let db = get_json(plane, &["get", "aadb", "cache", "-n", ns])?;
        if db["status"]["shards"][0]["replicas"][0]["linkUp"] == true { Ok(()) } else { Err(db["status"].to_string()) }
    }))?;
    Ok(kubelet)
}

/// Plays the kubelet while the operator rolls the shard onto its new template, with a client
/// writing to whichever pod the status names master; then checks that every acknowledged
/// write is there, that writes never stopped for long, and the rollout's Events.
fn roll_while_writing(plane: &KubeControlPlane, ns: &str, kubelet: &mut Kubelet) -> TestResult {
    let (mut acked, mut longest_gap, mut last_ack) = (0u64, Duration::ZERO, Instant::now());
    let deadline = Instant::now() + OPERATOR_TIMEOUT * 2;
    loop {
        kubelet.sync(plane, ns)?;
        // A client that writes to the master the status names, and retries elsewhere on error.
        for _ in 0..10 {
            let Some(ip) = master_ip(plane, ns) else { break };
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
        let (target, running) = revisions(plane, ns).map_err(to_err)?;
        let settled = running.len() == 2 && running.iter().all(|r| *r == target) && master_ip(plane, ns).is_some();
        if settled {
            let db = get_json(plane, &["get", "aadb", "cache", "-n", ns]).map_err(to_err)?;
            // (No syncer runs in this tier, so Progressing stays PodsStarting: the shard's own
            // state says when it is done.)
            let shard = &db["status"]["shards"][0];
            if shard["ready"] == true && shard["replicas"][0]["linkUp"] == true {
                break;
            }
        }
        if Instant::now() >= deadline {
            let db = get_json(plane, &["get", "aadb", "cache", "-n", ns]).map_err(to_err)?;
            panic!(
                "the rollout did not finish: revisions {running:?} -> {target}; master at {:?}; status {}",
                master_ip(plane, ns),
                db["status"]
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // A loaded machine may finish a roll within a few of the loop's rounds: some writes, not many.
    assert!(acked > 0, "no write was acknowledged during the rollout");
    assert!(longest_gap < MAX_WRITE_GAP, "writes stopped for {longest_gap:?} during the rollout");
    // Every acknowledged write is on the new master, and on its replica.
    let ip = master_ip(plane, ns).ok_or_else(|| to_err("no master".into()))?;
    let mut c = redis(&ip)?;
    let total: i64 = redis::cmd("GET").arg("writes").query(&mut c).map_err(|e| to_err(e.to_string()))?;
    assert_eq!(total, acked as i64);
    let reasons = event_reasons(plane, ns, "cache");
    for reason in ["RollingUpdate", "Switchover"] {
        assert!(reasons.contains(&reason.to_string()), "no {reason} Event in {reasons:?}");
    }
    Ok(())
}
