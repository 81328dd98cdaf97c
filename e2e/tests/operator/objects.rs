//! A database becomes its region's objects, owned by it, with the plan's content; a changed
//! spec is followed and `observedGeneration` advances; the StatefulSet controller recreates a
//! deleted pod.

use meridian_e2e::kube::eventually;
use meridian_e2e::operator::{OPERATOR_TIMEOUT, Operator, TEST_IMAGES, get_json, wait_condition};
use serde_json::Value;

use crate::{TestResult, kube, manifest, plane};

const SPEC: &str = "  regions:
    - {name: us-east, id: 1, peerEndpoint: \"syncer.us-east.example:7700\", shards: 2}
    - {name: eu-west, id: 2, peerEndpoint: \"syncer.eu-west.example:7700\"}
  replicas: 1
";

fn owned_by(object: &Value, uid: &str) -> Result<(), String> {
    let owner = &object["metadata"]["ownerReferences"][0];
    if owner["kind"] == "ActiveActiveDatabase" && owner["uid"] == uid && owner["controller"] == true {
        Ok(())
    } else {
        Err(format!("{} is not owned by the database: {owner}", object["metadata"]["name"]))
    }
}

#[test]
fn a_database_becomes_its_regions_objects_and_follows_spec_changes() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("objects"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    kube(plane.apply_yaml(&manifest(&ns, "cache", SPEC)))?;
    let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns]).map_err(to_err)?;
    let uid = db["metadata"]["uid"].as_str().unwrap_or_default().to_string();

    let expected = [
        ("configmap", "cache-shard-map"),
        ("service", "cache-shard-0"),
        ("service", "cache-shard-1"),
        ("service", "cache"),
        ("service", "cache-syncer"),
        ("poddisruptionbudget", "cache-shard-0"),
        ("poddisruptionbudget", "cache-shard-1"),
        ("statefulset", "cache-shard-0"),
        ("statefulset", "cache-shard-1"),
        ("deployment", "cache-syncer"),
    ];
    kube(eventually("every object of region us-east, owned by the database", OPERATOR_TIMEOUT, || {
        for (kind, name) in expected {
            owned_by(&get_json(&plane, &["get", kind, name, "-n", &ns])?, &uid)?;
        }
        Ok(())
    }))?;

    // The plan's content, as the API server stored it.
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-1", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sts["spec"]["replicas"], 2);
    assert_eq!(sts["spec"]["updateStrategy"]["type"], "OnDelete");
    let container = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], format!("{TEST_IMAGES}/meridian-datanode:{}", env!("CARGO_PKG_VERSION")));
    let args: Vec<&str> = container["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(args.contains(&"--region=1") && args.contains(&"--database-id=cache"), "{args:?}");
    let map = get_json(&plane, &["get", "configmap", "cache-shard-map", "-n", &ns]).map_err(to_err)?;
    assert_eq!(
        map["data"]["shard-map"],
        format!(
            "0-8191=cache-shard-0-0.cache-shard-0.{ns}.svc:6379,cache-shard-0-1.cache-shard-0.{ns}.svc:6379;\n\
             8192-16383=cache-shard-1-0.cache-shard-1.{ns}.svc:6379,cache-shard-1-1.cache-shard-1.{ns}.svc:6379\n"
        )
    );
    let syncer = get_json(&plane, &["get", "deployment", "cache-syncer", "-n", &ns]).map_err(to_err)?;
    let syncer_args = syncer["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(syncer_args.contains("--peer=2=syncer.eu-west.example:7700"), "{syncer_args}");
    let client = get_json(&plane, &["get", "service", "cache", "-n", &ns]).map_err(to_err)?;
    assert_eq!(client["spec"]["selector"]["meridian.io/role"], "master");

    // A truthful status: the pods exist (the StatefulSet controller made them) but none runs.
    let db = wait_condition(&plane, &ns, "cache", "Ready", "False", "Starting")?;
    assert_eq!(db["status"]["observedGeneration"], db["metadata"]["generation"]);
    assert_eq!(db["status"]["region"], "us-east");
    assert_eq!(db["status"]["readyShards"], "0/2");
    assert_eq!(db["status"]["peers"][0]["region"], "eu-west");
    assert_eq!(db["status"]["peers"][0]["state"], "unknown");
    let printed = kube(plane.kubectl_ok(&["get", "aadb", "-n", &ns]))?;
    assert!(printed.contains("REGION") && printed.contains("us-east") && printed.contains("0/2"), "{printed}");

    // A change: two replicas per shard. The objects follow, and so does observedGeneration.
    kube(plane.kubectl_ok(&["patch", "aadb", "cache", "-n", &ns, "--type=merge", "-p", r#"{"spec":{"replicas":2}}"#]))?;
    kube(eventually("three members per shard, generation 2 observed", OPERATOR_TIMEOUT, || {
        for shard in ["cache-shard-0", "cache-shard-1"] {
            let sts = get_json(&plane, &["get", "statefulset", shard, "-n", &ns])?;
            if sts["spec"]["replicas"] != 3 {
                return Err(format!("{shard} has {} replicas", sts["spec"]["replicas"]));
            }
        }
        let map = get_json(&plane, &["get", "configmap", "cache-shard-map", "-n", &ns])?;
        if !map["data"]["shard-map"].as_str().unwrap_or_default().contains("cache-shard-1-2.") {
            return Err("the shard map does not list the new replicas".into());
        }
        let db = get_json(&plane, &["get", "aadb", "cache", "-n", &ns])?;
        if db["metadata"]["generation"] != 2 || db["status"]["observedGeneration"] != 2 {
            return Err(format!(
                "generation {} observed {}",
                db["metadata"]["generation"], db["status"]["observedGeneration"]
            ));
        }
        Ok(())
    }))?;

    // The StatefulSet controller brings a deleted pod back.
    kube(eventually("pod cache-shard-0-1", OPERATOR_TIMEOUT, || {
        get_json(&plane, &["get", "pod", "cache-shard-0-1", "-n", &ns])
    }))?;
    let before = get_json(&plane, &["get", "pod", "cache-shard-0-1", "-n", &ns]).map_err(to_err)?;
    kube(plane.kubectl_ok(&["delete", "pod", "cache-shard-0-1", "-n", &ns, "--wait=false"]))?;
    kube(eventually("a new pod cache-shard-0-1", OPERATOR_TIMEOUT, || {
        let now = get_json(&plane, &["get", "pod", "cache-shard-0-1", "-n", &ns])?;
        if now["metadata"]["uid"] != before["metadata"]["uid"] {
            Ok(())
        } else {
            Err("the old pod is still there".into())
        }
    }))?;
    Ok(())
}

pub fn to_err(e: String) -> meridian_e2e::Error {
    meridian_e2e::Error::Check(e)
}

#[test]
fn a_paused_database_is_left_alone_until_it_is_resumed() -> TestResult {
    let plane = plane();
    let ns = kube(plane.create_namespace("paused"))?;
    let _operator = Operator::start(plane.kubeconfig(), &ns, "us-east", &[])?;
    let spec = "  regions: [{name: us-east, id: 1, peerEndpoint: \"s:7700\"}]\n  replicas: 0\n";
    kube(plane.apply_yaml(&manifest(&ns, "cache", spec)))?;
    kube(eventually("the StatefulSet", OPERATOR_TIMEOUT, || {
        get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns])
    }))?;
    kube(plane.kubectl_ok(&[
        "patch",
        "aadb",
        "cache",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":true,"replicas":2}}"#,
    ]))?;
    wait_condition(&plane, &ns, "cache", "Progressing", "False", "Paused")?;
    std::thread::sleep(std::time::Duration::from_secs(3));
    let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns]).map_err(to_err)?;
    assert_eq!(sts["spec"]["replicas"], 1, "a paused database's objects do not change");
    kube(plane.kubectl_ok(&[
        "patch",
        "aadb",
        "cache",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":false}}"#,
    ]))?;
    kube(eventually("the change applied once resumed", OPERATOR_TIMEOUT, || {
        let sts = get_json(&plane, &["get", "statefulset", "cache-shard-0", "-n", &ns])?;
        if sts["spec"]["replicas"] == 3 { Ok(()) } else { Err(sts["spec"]["replicas"].to_string()) }
    }))?;
    Ok(())
}
