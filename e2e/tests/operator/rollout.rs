//! A rolling upgrade: a new `spec.version` changes the datanodes' template, and the operator
//! replaces the shard's pods one at a time — the replica first, then the master's role moves
//! to the updated replica, then the old master goes — while a client keeps writing to
//! the pod the client Service selects (labelled master). The test plays the kubelet: every pod the
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

/// The longest a writer may see its writes fail while the shard rolls.
const MAX_OUTAGE: Duration = Duration::from_secs(5);

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
    pod_ip(plane, ns, &master)
}

/// Where the client Service sends a client: a ready pod labelled master, not being deleted
/// (this tier runs no kube-proxy, so the test resolves the Service's selector itself).
fn service_endpoint(plane: &KubeControlPlane, ns: &str) -> Option<String> {
    let pods = get_json(plane, &["get", "pods", "-n", ns, "-l", "meridian.io/shard=0,meridian.io/role=master"]).ok()?;
    pods["items"].as_array()?.iter().find_map(|pod| {
        let ready = pod["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
        let deleting = pod["metadata"]["deletionTimestamp"].is_string();
        if ready && !deleting { pod["status"]["podIP"].as_str().map(String::from) } else { None }
    })
}

/// The IP of pod `name`.
fn pod_ip(plane: &KubeControlPlane, ns: &str, name: &str) -> Option<String> {
    let pod = get_json(plane, &["get", "pod", name, "-n", ns]).ok()?;
    pod["status"]["podIP"].as_str().map(String::from)
}

fn revisions(plane: &KubeControlPlane, ns: &str) -> Result<(String, Vec<String>), String> {
    let sts = get_json(plane, &["get", "statefulset", "cache-shard-0", "-n", ns])?;
    // Until the StatefulSet controller has seen the new template, its updateRevision is still
    // the old one, which every pod runs: that would read as a finished rollout.
    let seen = sts["status"]["observedGeneration"].as_i64() >= sts["metadata"]["generation"].as_i64();
    let target =
        if seen { sts["status"]["updateRevision"].as_str().unwrap_or_default().to_string() } else { String::new() };
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
    let mut writer = Writer::started(&plane, &ns)?;
    patch_cache(&plane, &ns, r#"{"spec":{"version":"1.1.0"}}"#)?;
    roll_while_writing(&plane, &ns, &mut kubelet, &mut writer)?;
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

    let mut writer = Writer::started(&plane, &ns)?;
    kube(plane.kubectl_ok(&["annotate", "aadb", "cache", "-n", &ns, "meridian.io/rebuild-shard=0"]))?;
    kube(eventually("the request taken off", OPERATOR_TIMEOUT, || annotation(&plane, &ns)))?;
    // The operator claims the request (takes the annotation off) before the pass that
    // renders it writes the status: the token shows there a moment later.
    let token = kube(eventually("the status records the request's time", OPERATOR_TIMEOUT, || {
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        let token = db["status"]["shards"][0]["rebuild"].as_str().unwrap_or_default().to_string();
        if token.ends_with('Z') { Ok(token) } else { Err(format!("{}", db["status"])) }
    }))?;
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sts["spec"]["template"]["metadata"]["annotations"]["meridian.io/rebuild"], token.as_str());

    roll_while_writing(&plane, &ns, &mut kubelet, &mut writer)?;
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

/// A client that writes (INCR) through the client Service (to the pod labelled master), and keeps count of
/// what was acknowledged and of the longest outage it saw: from a failed write to the next
/// acknowledged one (the time the test itself spends between writes is not an outage).
struct Writer {
    acked: u64,
    longest_outage: Duration,
    /// When the current run of failed writes began, and its failures (the last few).
    failing_since: Option<Instant>,
    failures: Vec<String>,
    /// The failures of the longest outage: what a failed check reports.
    longest_outage_failures: Vec<String>,
}

impl Writer {
    /// A writer whose first write is acknowledged, before the rollout is asked for: the
    /// operator may get far into a roll before the test's loop first looks, so the count
    /// must not depend on writes landing mid-roll.
    fn started(plane: &KubeControlPlane, ns: &str) -> Result<Writer, meridian_e2e::Error> {
        let mut writer = Writer {
            acked: 0,
            longest_outage: Duration::ZERO,
            failing_since: None,
            failures: Vec::new(),
            longest_outage_failures: Vec::new(),
        };
        kube(eventually("a first write", OPERATOR_TIMEOUT, || writer.write(plane, ns, 1)))?;
        Ok(writer)
    }

    /// Up to `n` writes to the current master; stops at the first failure (the caller comes
    /// back after it has looked at the cluster again).
    fn write(&mut self, plane: &KubeControlPlane, ns: &str, n: usize) -> Result<(), String> {
        for _ in 0..n {
            if let Err(e) = Self::incr(plane, ns) {
                let since = *self.failing_since.get_or_insert_with(Instant::now);
                self.failures.push(format!("{:?} into the outage: {e}", since.elapsed()));
                if self.failures.len() > 5 {
                    self.failures.remove(0);
                }
                return Err(e);
            }
            self.acked += 1;
            if let Some(since) = self.failing_since.take() {
                if since.elapsed() > self.longest_outage {
                    self.longest_outage = since.elapsed();
                    self.longest_outage_failures = std::mem::take(&mut self.failures);
                }
                self.failures.clear();
            }
        }
        Ok(())
    }

    fn incr(plane: &KubeControlPlane, ns: &str) -> Result<i64, String> {
        let ip = service_endpoint(plane, ns).ok_or("the client Service has no endpoint")?;
        let mut c = redis(&ip).map_err(|e| format!("{ip}: {e}"))?;
        redis::cmd("INCR").arg("writes").query::<i64>(&mut c).map_err(|e| format!("{ip}: {e}"))
    }
}

/// Plays the kubelet while the operator rolls the shard onto its new template, with
/// `writer` writing through the client Service; then checks that every
/// acknowledged write is on the new master and its replica, that writes never stopped for
/// long, and the rollout's Events.
fn roll_while_writing(plane: &KubeControlPlane, ns: &str, kubelet: &mut Kubelet, writer: &mut Writer) -> TestResult {
    let deadline = Instant::now() + OPERATOR_TIMEOUT * 2;
    loop {
        kubelet.sync(plane, ns)?;
        // An error (the pod just demoted, say) ends this round's writes; the next round
        // looks for the master again.
        let _ = writer.write(plane, ns, 10);
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
    // The rolled shard takes writes (and this ends any outage the roll left).
    kube(eventually("a write after the rollout", OPERATOR_TIMEOUT, || writer.write(plane, ns, 1)))?;
    assert!(
        writer.longest_outage < MAX_OUTAGE,
        "writes failed for {:?} during the rollout: {:?}",
        writer.longest_outage,
        writer.longest_outage_failures
    );
    // Every acknowledged write is on the new master, and on its replica.
    let ip = master_ip(plane, ns).ok_or_else(|| to_err("no master".into()))?;
    let mut c = redis(&ip)?;
    let total: i64 = redis::cmd("GET").arg("writes").query(&mut c).map_err(|e| to_err(e.to_string()))?;
    assert_eq!(total, writer.acked as i64);
    // A rebuild replaces the members one after the other, with no new revision: the shard
    // can look settled between the two, so the replica may still be on its way (the kubelet
    // keeps playing meanwhile).
    let replica = kube(eventually("a running replica pod", OPERATOR_TIMEOUT, || {
        kubelet.sync(plane, ns).map_err(|e| e.to_string())?;
        kubelet
            .running
            .keys()
            .filter_map(|name| pod_ip(plane, ns, name))
            .find(|i| *i != ip)
            .ok_or_else(|| format!("running: {:?}, master at {ip}", kubelet.running.keys().collect::<Vec<_>>()))
    }))?;
    kube(eventually("the replica has every write", OPERATOR_TIMEOUT, || {
        let mut c = redis(&replica).map_err(|e| e.to_string())?;
        let _: () = redis::cmd("READONLY").query(&mut c).map_err(|e| e.to_string())?;
        let seen: Option<i64> = redis::cmd("GET").arg("writes").query(&mut c).map_err(|e| e.to_string())?;
        if seen == Some(writer.acked as i64) { Ok(()) } else { Err(format!("{seen:?} of {}", writer.acked)) }
    }))?;
    let reasons = event_reasons(plane, ns, "cache");
    for reason in ["RollingUpdate", "Switchover"] {
        assert!(reasons.contains(&reason.to_string()), "no {reason} Event in {reasons:?}");
    }
    Ok(())
}
