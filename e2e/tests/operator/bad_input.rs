//! Bad input never crashes the operator nor half-applies a database: a manifest the CRD
//! refuses is refused by `kubectl apply` with the rule's message; a region the manifest does
//! not list and a missing Secret leave the database `Degraded` with the reason and an Event,
//! and nothing applied — until the Secret appears.

use meridian_e2e::kube::eventually;
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, condition, event_reasons, get_json, wait_condition};

use crate::objects::to_err;
use crate::{TestResult, kube, manifest, plane};

#[test]
fn a_manifest_the_crd_refuses_never_reaches_the_operator() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("cel"))?;
    let twins = "  regions:\n    - {name: us-east, id: 1, peerEndpoint: \"a:7700\"}\n    - {name: eu-west, id: 1, peerEndpoint: \"b:7700\"}\n";
    let refused = plane.apply_yaml(&manifest(&ns, "cache", twins)).map(|_| ()).map_err(|e| e.to_string()).unwrap_err();
    assert!(refused.contains("two regions have the same id; give each region its own id from 1 to 31"), "{refused}");
    let zero = "  shards: 0\n  regions: [{name: us-east, id: 1, peerEndpoint: \"a:7700\"}]\n";
    let refused = plane.apply_yaml(&manifest(&ns, "cache", zero)).map(|_| ()).map_err(|e| e.to_string()).unwrap_err();
    assert!(refused.contains("spec.shards must be from 1 to 1024"), "{refused}");
    // A region's id and shard count are fixed once applied.
    let good = "  regions:\n    - {name: us-east, id: 1, peerEndpoint: \"a:7700\"}\n    - {name: eu-west, id: 2, peerEndpoint: \"b:7700\"}\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", good)))?;
    let moved = "  regions:\n    - {name: us-east, id: 1, peerEndpoint: \"a:7700\"}\n    - {name: eu-west, id: 3, peerEndpoint: \"b:7700\"}\n";
    let refused = plane.apply_yaml(&manifest(&ns, "cache", moved)).map(|_| ()).map_err(|e| e.to_string()).unwrap_err();
    assert!(refused.contains("a region's id cannot change once set"), "{refused}");
    let resharded = "  shards: 2\n  regions:\n    - {name: us-east, id: 1, peerEndpoint: \"a:7700\"}\n    - {name: eu-west, id: 2, peerEndpoint: \"b:7700\"}\n";
    let refused =
        plane.apply_yaml(&manifest(&ns, "cache", resharded)).map(|_| ()).map_err(|e| e.to_string()).unwrap_err();
    assert!(refused.contains("shard count cannot change yet"), "{refused}");
    Ok(())
}

#[test]
fn a_region_the_manifest_does_not_list_is_degraded_not_applied() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("region"))?;
    let operator = Operator::start(plane.kubeconfig(), &ns, "mars", &[])?;
    let spec = "  regions: [{name: us-east, id: 1, peerEndpoint: \"a:7700\"}]\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    let db = wait_condition(&plane, &ns, "cache", "Degraded", "True", "UnknownRegion")?;
    let (_, _, message) = condition(&db, "Degraded").unwrap_or_default();
    assert!(message.contains("region \"mars\" is not in spec.regions (us-east)"), "{message}");
    kube(eventually("an UnknownRegion Event", OPERATOR_TIMEOUT, || {
        if event_reasons(&plane, &ns, "cache").contains(&"UnknownRegion".to_string()) {
            Ok(())
        } else {
            Err("none yet".into())
        }
    }))?;
    let sets = get_json(&plane, &["get", "statefulsets", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sets["items"].as_array().map(Vec::len), Some(0), "nothing is applied for another region");
    let mut operator = operator;
    assert!(operator.process.is_running(), "the operator does not crash");
    Ok(())
}

#[test]
fn a_missing_secret_holds_the_database_until_it_appears() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("secret"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec =
        "  regions: [{name: us-east, id: 1, peerEndpoint: \"a:7700\"}]\n  auth: {passwordSecret: {name: cache-auth}}\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    let db = wait_condition(&plane, &ns, "cache", "Degraded", "True", "SecretMissing")?;
    let (_, _, message) = condition(&db, "Degraded").unwrap_or_default();
    assert!(
        message.contains(&format!("Secret cache-auth (spec.auth.passwordSecret) does not exist in namespace {ns}")),
        "{message}"
    );
    assert!(event_reasons(&plane, &ns, "cache").contains(&"SecretMissing".to_string()));
    let sets = get_json(&plane, &["get", "statefulsets", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sets["items"].as_array().map(Vec::len), Some(0), "nothing is applied without the Secret");
    // The Secret without the key the pods read is still refused, with the key named.
    kube(plane.kubectl_ok(&["create", "secret", "generic", "cache-auth", "-n", &ns, "--from-literal=other=x"]))?;
    kube(eventually("the missing key named", OPERATOR_TIMEOUT, || {
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        let (_, _, m) = condition(&db, "Degraded").unwrap_or_default();
        if m.contains("Secret cache-auth (spec.auth.passwordSecret) has no key password") { Ok(()) } else { Err(m) }
    }))?;
    kube(plane.kubectl_ok(&["delete", "secret", "cache-auth", "-n", &ns]))?;
    kube(plane.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "cache-auth",
        "-n",
        &ns,
        "--from-literal=password=s3cret",
    ]))?;
    kube(eventually("the StatefulSet, with the password from the Secret", OPERATOR_TIMEOUT, || {
        let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns])?;
        let env = sts["spec"]["template"]["spec"]["containers"][0]["env"].to_string();
        if env.contains("MERIDIAN_REQUIREPASS") && env.contains("cache-auth") { Ok(()) } else { Err(env) }
    }))?;
    wait_condition(&plane, &ns, "cache", "Degraded", "False", "AsExpected")?;
    Ok(())
}
