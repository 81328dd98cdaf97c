//! The operator in its own Pods, as the chart runs it: two replicas, one holding the Lease;
//! the leader's Pod deleted, the other takes over. Then `helm upgrade` to a new image
//! version: the operator rolls the datanodes one at a time onto the new images while a
//! client keeps writing through the Service, and every acknowledged write is there after.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use meridian_e2e::cluster::{ImageArchives, RegionCluster, WORKSPACE_VERSION};
use meridian_e2e::kube::eventually;

use crate::{OPERATOR_NS, SERIAL, TestResult, check, helm_install_operator, jsonpath, kube, redis_in, service_ip};

/// The second tag of the same binaries (`images/build.sh --no-build --version
/// <workspace version>-upgrade`, as .ci/run makes it): what the upgrade moves to.
pub const UPGRADE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-upgrade");

const NS: &str = "shop";
const SETTLE: Duration = Duration::from_secs(300);

fn leader(region: &RegionCluster) -> Result<String, String> {
    let holder =
        jsonpath(region, &["get", "lease", "meridian-operator-us-east", "-n", OPERATOR_NS], "{.spec.holderIdentity}")?;
    if holder.is_empty() { Err("no holder".into()) } else { Ok(holder) }
}

fn operator_pods(region: &RegionCluster) -> Result<Vec<String>, String> {
    let names = jsonpath(
        region,
        &[
            "get",
            "pods",
            "-n",
            OPERATOR_NS,
            "-l",
            "app.kubernetes.io/name=meridian-operator",
            "--field-selector=status.phase=Running",
        ],
        "{.items[*].metadata.name}",
    )?;
    Ok(names.split_whitespace().map(String::from).collect())
}

/// The datanode images the shard's Pods run, by Pod.
fn datanode_images(region: &RegionCluster) -> Result<Vec<(String, String)>, String> {
    let out = jsonpath(
        region,
        &["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=datanode"],
        "{range .items[*]}{.metadata.name}={.spec.containers[0].image}{\"\\n\"}{end}",
    )?;
    Ok(out.lines().filter_map(|l| l.split_once('=')).map(|(p, i)| (p.to_string(), i.to_string())).collect())
}

#[test]
fn the_operator_runs_in_its_pods_hands_over_leadership_and_upgrades_with_writes_flowing() -> TestResult {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Both versions' archives must exist before anything starts.
    let upgrade = ImageArchives::find(UPGRADE_VERSION);
    kube(upgrade.all())?;
    let mut region = kube(RegionCluster::start("us-east", 1, None, &ImageArchives::find(WORKSPACE_VERSION)))?;
    kube(region.import_images(&upgrade))?;
    kube(region.create_local_volumes(3, "1Gi"))?;
    helm_install_operator(&region)?;
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/meridian");
    let chart = chart.to_str().unwrap_or_default();

    // Two replicas, one leader; the leader's Pod goes, the other takes the Lease.
    let first = kube(eventually("an operator holds the lease", SETTLE, || leader(&region)))?;
    let pods = operator_pods(&region).map_err(check)?;
    assert_eq!(pods.len(), 2, "{pods:?}");
    assert!(pods.contains(&first), "lease held by {first}, pods {pods:?}");
    kube(region.kubectl_ok(&["delete", "pod", &first, "-n", OPERATOR_NS, "--wait=false"]))?;
    // The standby or the Deployment's replacement for the deleted Pod: either may win.
    let second = kube(eventually("another operator Pod takes the lease", SETTLE, || {
        let holder = leader(&region)?;
        let running = operator_pods(&region)?;
        if holder != first && running.contains(&holder) {
            Ok(holder)
        } else {
            Err(format!("holder {holder}, running {running:?}"))
        }
    }))?;
    eprintln!("operator: lease moved from {first} to {second}");

    // A database, and a client that keeps writing through the Service during the upgrade.
    kube(region.kubectl_ok(&["create", "namespace", NS]))?;
    let manifest = format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: cache\n  namespace: {NS}\nspec:\n  \
         regions: [{{name: us-east, id: 1, peerEndpoint: \"10.77.0.1:7700\"}}]\n  replicas: 1\n  \
         failoverGracePeriodSeconds: 5\n  storage: {{size: 1Gi}}\n"
    );
    kube(region.apply_yaml(&manifest))?;
    kube(eventually("cache Ready", SETTLE, || {
        match jsonpath(
            &region,
            &["get", "aadb", "cache", "-n", NS],
            "{.status.conditions[?(@.type==\"Ready\")].status}",
        )? {
            s if s == "True" => Ok(()),
            s => Err(format!("Ready={s}")),
        }
    }))?;
    let before = datanode_images(&region).map_err(check)?;
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|(_, i)| *i == format!("meridian/meridian-datanode:{WORKSPACE_VERSION}")), "{before:?}");

    let ip = service_ip(&region, NS, "cache").map_err(check)?;
    let addr: SocketAddr = format!("{ip}:6379").parse().map_err(|e| check(format!("{e}")))?;
    let stop = AtomicBool::new(false);
    let (acked, failed) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let (mut acked, mut failed) = (BTreeSet::new(), 0u32);
            let deadline = Instant::now() + Duration::from_secs(900);
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let ok = redis_in(&region, addr).and_then(|mut c| {
                    redis::cmd("SADD").arg("upgrade").arg(i).query::<i64>(&mut c).map_err(|e| e.to_string())
                });
                match ok {
                    Ok(_) => {
                        acked.insert(i);
                    }
                    Err(_) => failed += 1,
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            (acked, failed)
        });
        let upgraded = (|| -> TestResult {
            let tag = format!("image.tag={UPGRADE_VERSION}");
            let data = format!("databaseImages.version={UPGRADE_VERSION}");
            kube(region.helm_ok(&[
                "upgrade",
                "meridian",
                chart,
                "--namespace",
                OPERATOR_NS,
                "--reuse-values",
                "--set",
                &tag,
                "--set",
                &data,
                "--wait",
                "--timeout=300s",
            ]))?;
            let want = format!("meridian/meridian-datanode:{UPGRADE_VERSION}");
            kube(eventually("both datanodes on the new image and Ready", SETTLE, || {
                let now = datanode_images(&region)?;
                let ready = jsonpath(
                    &region,
                    &["get", "aadb", "cache", "-n", NS],
                    "{.status.conditions[?(@.type==\"Ready\")].status}",
                )?;
                if now.len() == 2 && now.iter().all(|(_, i)| *i == want) && ready == "True" {
                    Ok(())
                } else {
                    Err(format!("{now:?} Ready={ready}"))
                }
            }))?;
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        let result = writer.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        upgraded.map(|()| result)
    })?;
    eprintln!("upgrade: {} writes acknowledged, {failed} refused or unanswered", acked.len());
    assert!(acked.len() >= 20, "too few writes went through during the upgrade: {} (failed {failed})", acked.len());

    // Every acknowledged write survived the roll.
    let mut c = redis_in(&region, addr).map_err(check)?;
    let members: BTreeSet<u32> =
        redis::cmd("SMEMBERS").arg("upgrade").query(&mut c).map_err(|e| check(e.to_string()))?;
    let lost: Vec<&u32> = acked.difference(&members).collect();
    assert!(lost.is_empty(), "acknowledged writes lost in the upgrade: {lost:?}");
    let left = region.stop();
    assert!(left.is_empty(), "not cleaned up: {left:?}");
    Ok(())
}
