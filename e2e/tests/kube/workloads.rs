//! The controller-manager is real: a Deployment gets a ReplicaSet, the ReplicaSet gets Pods
//! (which stay Pending: there is no scheduler and no kubelet), and deleting the Deployment
//! lets the garbage collector remove both.

use meridian_e2e::kube::eventually;

use crate::{CONTROLLER_TIMEOUT, get_json, items, plane};

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.invalid/meridian/never-pulled:1
"#;

#[test]
fn a_deployment_gets_a_replicaset_and_pending_pods() {
    let plane = plane();
    let ns = plane.create_namespace("deploy").unwrap();
    plane.apply_yaml(&DEPLOYMENT.replace("NAMESPACE", &ns)).unwrap();

    let replica_set = eventually("a ReplicaSet for Deployment web", CONTROLLER_TIMEOUT, || {
        let list = get_json(&plane, &["get", "replicasets", "-n", &ns, "-l", "app=web"])?;
        match items(&list).as_slice() {
            [rs] => Ok(rs.clone()),
            other => Err(format!("{} ReplicaSets", other.len())),
        }
    })
    .unwrap();
    assert_eq!(replica_set["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    assert_eq!(replica_set["metadata"]["ownerReferences"][0]["name"], "web");
    assert_eq!(replica_set["spec"]["replicas"], 2);

    let pods = eventually("2 Pods of ReplicaSet web", CONTROLLER_TIMEOUT, || {
        let pods = items(&get_json(&plane, &["get", "pods", "-n", &ns, "-l", "app=web"])?);
        if pods.len() == 2 { Ok(pods) } else { Err(format!("{} Pods", pods.len())) }
    })
    .unwrap();
    let rs_name = replica_set["metadata"]["name"].as_str().unwrap();
    for pod in &pods {
        assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["name"], rs_name);
        assert_eq!(pod["status"]["phase"], "Pending", "no kubelet runs them: {pod}");
        assert!(pod["spec"]["nodeName"].is_null(), "no scheduler binds them: {pod}");
        // The ServiceAccount admission plugin ran: default account, projected token volume.
        assert_eq!(pod["spec"]["serviceAccountName"], "default");
        let volumes = pod["spec"]["volumes"].as_array().unwrap();
        assert!(volumes.iter().any(|v| v["name"].as_str().unwrap().starts_with("kube-api-access-")), "{pod}");
    }

    let deployment = eventually("Deployment web's status", CONTROLLER_TIMEOUT, || {
        let d = get_json(&plane, &["get", "deployment", "web", "-n", &ns])?;
        if d["status"]["replicas"] == 2 { Ok(d) } else { Err(d["status"].to_string()) }
    })
    .unwrap();
    assert_eq!(deployment["status"]["unavailableReplicas"], 2, "{}", deployment["status"]);

    plane.kubectl_ok(&["delete", "deployment", "web", "-n", &ns, "--wait=false"]).unwrap();
    eventually("the garbage collector removing ReplicaSet and Pods", CONTROLLER_TIMEOUT, || {
        let sets = items(&get_json(&plane, &["get", "replicasets", "-n", &ns])?).len();
        let pods = items(&get_json(&plane, &["get", "pods", "-n", &ns])?).len();
        if sets + pods == 0 { Ok(()) } else { Err(format!("{sets} ReplicaSets, {pods} Pods")) }
    })
    .unwrap();
}
