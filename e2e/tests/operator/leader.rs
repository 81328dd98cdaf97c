//! Two operators for one region: one holds the Lease and reconciles, the other waits; when
//! the leader is killed (no chance to release the Lease), the other takes over once the
//! Lease expires and goes on reconciling.

use meridian_e2e::kube::eventually;
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, get_json};

use crate::objects::to_err;
use crate::{TestResult, kube, manifest, plane};

#[test]
fn two_operators_one_leader_and_the_other_takes_over() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("leader"))?;
    let first = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let second = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let (leader, standby) =
        kube(eventually("one leader", OPERATOR_TIMEOUT, || match (first.leads(), second.leads()) {
            (true, false) => Ok((first.identity.clone(), second.identity.clone())),
            (false, true) => Ok((second.identity.clone(), first.identity.clone())),
            other => Err(format!("leading: {other:?}")),
        }))?;
    let lease = get_json(&plane, &["get", "lease", "meridian-operator-us-east", "-n", &ns]).map_err(to_err)?;
    assert_eq!(lease["spec"]["holderIdentity"], leader.as_str());

    let spec = "  regions: [{name: us-east, id: 1, peerEndpoint: \"s:7700\"}]\n  replicas: 0\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    kube(eventually("the leader's StatefulSet", OPERATOR_TIMEOUT, || {
        get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns])
    }))?;

    // kill -9 the leader: the Lease is not released and must expire.
    let (mut survivor, killed) = if first.identity == leader { (second, first) } else { (first, second) };
    killed.process.signal("KILL");
    drop(killed);
    kube(eventually("the standby leads", OPERATOR_TIMEOUT, || {
        let lease = get_json(&plane, &["get", "lease", "meridian-operator-us-east", "-n", &ns])?;
        if survivor.leads() && lease["spec"]["holderIdentity"] == standby.as_str() {
            Ok(())
        } else {
            Err(lease["spec"].to_string())
        }
    }))?;
    assert!(survivor.process.is_running());
    // And it reconciles: a change is followed.
    kube(plane.kubectl_ok(&["patch", "aadb", "cache", "-n", &ns, "--type=merge", "-p", r#"{"spec":{"replicas":1}}"#]))?;
    kube(eventually("the new leader follows the change", OPERATOR_TIMEOUT, || {
        let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns])?;
        if sts["spec"]["replicas"] == 2 { Ok(()) } else { Err(sts["spec"]["replicas"].to_string()) }
    }))?;
    Ok(())
}
