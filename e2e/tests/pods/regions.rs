//! Three regions end to end on real Pods: each region its own one-node cluster in its own
//! namespaces, joined by the WAN; the chart installs the operator in each (`helm install
//! --set region=..`); the same manifest is applied in each; the test writes through each
//! region's client Service with a Redis client and checks that every region converges to the
//! exact values, with equal digests on every datanode. Then the faults: a master Pod deleted
//! (failover, and the StatefulSet brings the Pod back as a replica), a region cut off the WAN
//! (both sides keep taking writes and converge on heal), a claim and its Pod deleted (the
//! shard member is rebuilt on a fresh volume). No acknowledged write is lost.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use meridian_e2e::cluster::{ImageArchives, PodRegions, RegionCluster, WORKSPACE_VERSION, wan_address};
use meridian_e2e::kube::eventually;
use serde_json::Value;

use crate::{OPERATOR_NS, SERIAL, TestResult, check, helm_install_operator, kube, redis_in, service_ip};

const REGIONS: [&str; 3] = ["us-east", "eu-west", "ap-south"];
const NS: &str = "shop";

/// The syncer's peer port, on each region's node address (its LoadBalancer address).
const PEER_PORT: u16 = 7700;

/// The operator acts within seconds; Pods start in tens of seconds on a loaded machine.
const SETTLE: Duration = Duration::from_secs(300);

/// examples/three-regions.yaml with real peer endpoints: each region's syncer is a
/// LoadBalancer Service whose address the test (as the cloud would) sets to the node's WAN
/// address, so the endpoints are known before anything runs. One shard per region, one
/// replica, volumes from the local StorageClass.
fn manifest() -> String {
    let regions: String = REGIONS
        .iter()
        .zip(1u8..)
        .map(|(name, id)| {
            format!("    - {{name: {name}, id: {id}, peerEndpoint: \"{}:{PEER_PORT}\"}}\n", wan_address(id))
        })
        .collect();
    format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: cache\n  namespace: {NS}\nspec:\n  \
         regions:\n{regions}  shards: 1\n  replicas: 1\n  failoverGracePeriodSeconds: 5\n  storage: {{size: 1Gi}}\n  \
         syncer: {{serviceType: LoadBalancer}}\n  deletionPolicy: Delete\n"
    )
}

fn get_json(region: &RegionCluster, args: &[&str]) -> Result<Value, String> {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = region.kubectl_ok(&all).map_err(|e| e.to_string())?;
    serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))
}

/// The database's condition `type_` in `region`: (status, reason).
fn condition(db: &Value, type_: &str) -> Option<(String, String)> {
    let c = db["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)?;
    Some((c["status"].as_str()?.to_string(), c["reason"].as_str()?.to_string()))
}

fn wait_ready_and_synced(region: &RegionCluster) -> Result<Value, meridian_e2e::Error> {
    kube(eventually(format!("{}: cache Ready and its peers synced", region.name()), SETTLE, || {
        let db = get_json(region, &["get", "aadb", "cache", "-n", NS])?;
        match (condition(&db, "Ready"), condition(&db, "PeersSynced")) {
            (Some((r, _)), Some((p, _))) if r == "True" && p == "True" => Ok(db),
            other => Err(format!("{other:?}; status: {}", db["status"])),
        }
    }))
}

/// Plays the cloud's load-balancer controller: gives the region's peer Service its node's
/// WAN address, on which kube-proxy then forwards port 7700 to the syncer.
fn publish_peer_service(region: &RegionCluster) -> TestResult {
    kube(eventually(format!("{}: Service cache-syncer", region.name()), SETTLE, || {
        get_json(region, &["get", "service", "cache-syncer", "-n", NS]).map(drop)
    }))?;
    let patch = format!(r#"{{"status":{{"loadBalancer":{{"ingress":[{{"ip":"{}"}}]}}}}}}"#, region.node_ip());
    kube(region.kubectl_ok(&[
        "patch",
        "service",
        "cache-syncer",
        "-n",
        NS,
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch,
    ]))?;
    Ok(())
}

fn install(region: &RegionCluster) -> TestResult {
    kube(region.create_local_volumes(4, "1Gi"))?;
    helm_install_operator(region)?;
    kube(region.kubectl_ok(&["create", "namespace", NS]))?;
    kube(region.apply_yaml(&manifest()))?;
    publish_peer_service(region)
}

/// A connection to the region's client Service (its masters), opened in its namespace.
fn client(region: &RegionCluster) -> Result<redis::Connection, String> {
    let ip = service_ip(region, NS, "cache")?;
    let addr: SocketAddr = format!("{ip}:6379").parse().map_err(|e| format!("{e}"))?;
    redis_in(region, addr)
}

fn incrby(region: &RegionCluster, key: &str, by: i64) -> Result<i64, String> {
    redis::cmd("INCRBY").arg(key).arg(by).query(&mut client(region)?).map_err(|e| e.to_string())
}

/// `INCRBY` that waits out refusals that mean "not applied" (a redirect while a datanode's
/// shard map still names the old master, a connection refused while no Pod is selected),
/// for at most `SETTLE`; returns the reply and how long writes were refused.
fn incrby_when_accepted(region: &RegionCluster, key: &str, by: i64) -> Result<(i64, Duration), meridian_e2e::Error> {
    let start = std::time::Instant::now();
    let value = kube(eventually(format!("{}: INCRBY {key} {by} accepted", region.name()), SETTLE, || {
        match incrby(region, key, by) {
            Ok(v) => Ok(Ok(v)),
            Err(e) if e.contains("Moved") || e.contains("refused") || e.contains("No route") => Err(e),
            Err(e) => Ok(Err(e)),
        }
    }))?;
    let waited = start.elapsed();
    value.map(|v| (v, waited)).map_err(check)
}

fn sadd(region: &RegionCluster, key: &str, member: &str) -> Result<i64, String> {
    redis::cmd("SADD").arg(key).arg(member).query(&mut client(region)?).map_err(|e| e.to_string())
}

/// `visits` and `members` as the region's clients see them.
fn values(region: &RegionCluster) -> Result<(Option<i64>, BTreeSet<String>), String> {
    let mut c = client(region)?;
    redis::pipe().cmd("GET").arg("visits").cmd("SMEMBERS").arg("members").query(&mut c).map_err(|e| e.to_string())
}

/// Every datanode of every region: (region, pod, digest).
fn digests(regions: &[RegionCluster]) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    for region in regions {
        let pods = get_json(region, &["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=datanode"])?;
        for pod in pods["items"].as_array().into_iter().flatten() {
            let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let ip = pod["status"]["podIP"].as_str().ok_or_else(|| format!("{name} has no IP yet"))?;
            let addr: SocketAddr = format!("{ip}:6379").parse().map_err(|e| format!("{e}"))?;
            let mut c = redis_in(region, addr)?;
            let digest: String = redis::cmd("MERIDIAN.DIGEST").query(&mut c).map_err(|e| format!("{name}: {e}"))?;
            out.push((region.name().to_string(), name, digest));
        }
    }
    Ok(out)
}

/// Waits until every region reads `visits` = `want` and `members` = `members`, and every
/// datanode of every region has the same digest.
fn converged(regions: &[RegionCluster], want: i64, members: &[&str]) -> TestResult {
    let members: BTreeSet<String> = members.iter().map(|m| m.to_string()).collect();
    kube(eventually(format!("every region reads visits={want} and {members:?}"), SETTLE, || {
        for region in regions {
            match values(region)? {
                (Some(v), m) if v == want && m == members => {}
                other => return Err(format!("{}: {other:?}", region.name())),
            }
        }
        let all = digests(regions)?;
        let distinct: BTreeSet<&String> = all.iter().map(|(_, _, d)| d).collect();
        if all.len() == 2 * regions.len() && distinct.len() == 1 { Ok(()) } else { Err(format!("digests {all:?}")) }
    }))
}

fn master_of(region: &RegionCluster) -> Result<String, String> {
    let db = get_json(region, &["get", "aadb", "cache", "-n", NS])?;
    db["status"]["shards"][0]["master"].as_str().map(String::from).ok_or_else(|| format!("no master: {}", db["status"]))
}

fn pod_uid(region: &RegionCluster, pod: &str) -> Result<String, String> {
    let p = get_json(region, &["get", "pod", pod, "-n", NS])?;
    p["metadata"]["uid"].as_str().map(String::from).ok_or_else(|| "no uid".into())
}

#[test]
fn three_regions_converge_on_real_pods_and_survive_pod_link_and_volume_faults() -> TestResult {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut all = kube(PodRegions::start(&REGIONS, &ImageArchives::find(WORKSPACE_VERSION)))?;
    for region in &all.regions {
        install(region)?;
    }
    for region in &all.regions {
        wait_ready_and_synced(region)?;
    }

    // The chart's operator: two replicas, one of which holds the region's lease.
    for region in &all.regions {
        let lease =
            get_json(region, &["get", "lease", &format!("meridian-operator-{}", region.name()), "-n", OPERATOR_NS])
                .map_err(check)?;
        let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or_default().to_string();
        let pods =
            get_json(region, &["get", "pods", "-n", OPERATOR_NS, "-l", "app.kubernetes.io/name=meridian-operator"])
                .map_err(check)?;
        let names: Vec<&str> =
            pods["items"].as_array().into_iter().flatten().filter_map(|p| p["metadata"]["name"].as_str()).collect();
        assert_eq!(names.len(), 2, "{}: operator pods {names:?}", region.name());
        assert!(names.contains(&holder.as_str()), "{}: lease held by {holder:?}, pods {names:?}", region.name());
    }

    // Writes in every region, through its client Service; every region sees them all. (Each
    // reply already counts whatever the other regions' writes reached it: replication takes
    // milliseconds here, so only the converged sum is exact.)
    let [us, eu, ap] = [&all.regions[0], &all.regions[1], &all.regions[2]];
    assert_eq!(incrby(us, "visits", 10).map_err(check)?, 10);
    assert!([20, 30].contains(&incrby(eu, "visits", 20).map_err(check)?));
    assert!([30, 40, 50, 60].contains(&incrby(ap, "visits", 30).map_err(check)?));
    for region in [us, eu, ap] {
        assert_eq!(sadd(region, "members", region.name()).map_err(check)?, 1);
    }
    converged(&all.regions, 60, &REGIONS)?;

    // A master Pod deleted: its replica takes over, the StatefulSet brings the Pod back and
    // it follows the new master, with every write.
    let old_master = master_of(us).map_err(check)?;
    let old_uid = pod_uid(us, &old_master).map_err(check)?;
    kube(us.kubectl_ok(&["delete", "pod", &old_master, "-n", NS, "--wait=false"]))?;
    kube(eventually("us-east fails over", SETTLE, || match master_of(us)? {
        m if m != old_master => Ok(m),
        m => Err(format!("master still {m}")),
    }))?;
    kube(eventually(format!("{old_master} back as a replica"), SETTLE, || {
        let uid = pod_uid(us, &old_master)?;
        let p = get_json(us, &["get", "pod", &old_master, "-n", NS])?;
        let role = p["metadata"]["labels"]["meridian.io/role"].as_str().unwrap_or_default().to_string();
        if uid != old_uid && role == "replica" {
            Ok(())
        } else {
            Err(format!("uid changed: {}, role {role}", uid != old_uid))
        }
    }))?;
    let (after, refused) = incrby_when_accepted(us, "visits", 1)?;
    eprintln!("us-east: after the failover, writes were refused for {:.1} s", refused.as_secs_f64());
    assert_eq!(after, 61);
    converged(&all.regions, 61, &REGIONS)?;

    // eu-west cut off the WAN: both sides keep taking writes; they converge on heal.
    kube(all.cut("eu-west"))?;
    assert_eq!(incrby(eu, "visits", 100).map_err(check)?, 161);
    assert_eq!(sadd(eu, "members", "eu-during-cut").map_err(check)?, 1);
    assert_eq!(incrby(us, "visits", 1000).map_err(check)?, 1061);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(values(ap).map_err(check)?.0, Some(1061), "ap-south must not see eu-west's write during the cut");
    assert_eq!(values(eu).map_err(check)?.0, Some(161), "eu-west must not see us-east's write during the cut");
    kube(all.heal("eu-west"))?;
    let after_cut = ["us-east", "eu-west", "ap-south", "eu-during-cut"];
    converged(&all.regions, 1161, &after_cut)?;

    // A claim and its Pod deleted: the StatefulSet makes a new claim (bound to a spare local
    // volume) and a new Pod, which is rebuilt from the shard's other member.
    let victim = "cache-shard-0-1";
    let claim = format!("data-{victim}");
    let old_volume = crate::jsonpath(ap, &["get", "pvc", &claim, "-n", NS], "{.spec.volumeName}").map_err(check)?;
    kube(ap.kubectl_ok(&["delete", "pvc", &claim, "-n", NS, "--wait=false"]))?;
    kube(ap.kubectl_ok(&["delete", "pod", victim, "-n", NS, "--wait=false"]))?;
    kube(eventually(format!("{claim} bound to a new volume"), SETTLE, || {
        let volume = crate::jsonpath(ap, &["get", "pvc", &claim, "-n", NS], "{.spec.volumeName}")?;
        if !volume.is_empty() && volume != old_volume { Ok(()) } else { Err(format!("volume {volume:?}")) }
    }))?;
    wait_ready_and_synced(ap)?;
    converged(&all.regions, 1161, &after_cut)?;

    // The long mode, by hand (MERIDIAN_PODS_ROUNDS=N; CI runs none): N more rounds, each
    // cutting the next region off the WAN, writing on both sides, healing, and checking the
    // exact sum and digests again.
    let rounds: usize = std::env::var("MERIDIAN_PODS_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(0);
    let mut total = 1161;
    for round in 0..rounds {
        let (isolated, other) = (&all.regions[round % 3], &all.regions[(round + 1) % 3]);
        kube(all.cut(isolated.name()))?;
        incrby_when_accepted(isolated, "visits", 7)?;
        incrby_when_accepted(other, "visits", 11)?;
        kube(all.heal(isolated.name()))?;
        total += 18;
        converged(&all.regions, total, &after_cut)?;
        eprintln!("round {} of {rounds}: {} cut off and healed, visits={total} everywhere", round + 1, isolated.name());
    }

    let left = all.stop();
    assert!(left.is_empty(), "not cleaned up: {left:?}");
    Ok(())
}
