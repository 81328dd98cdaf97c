//! One region's cluster on its own: the locally built images run as the operator runs them
//! (uid 65532, read-only root, no capabilities), a claim binds a local volume, a Service
//! reaches its Pod, a Pod resolves a Service name through CoreDNS and replicates from it,
//! and the teardown leaves nothing behind: no process, cgroup, namespace or directory.

use std::net::SocketAddr;

use meridian_e2e::cluster::{ImageArchives, PAUSE_IMAGE, RegionCluster, WORKSPACE_VERSION};
use meridian_e2e::kube::eventually;

use crate::{POD_TIMEOUT, SERIAL, TestResult, check, jsonpath, kube, redis_in, service_ip};

const NS: &str = "smoke";

/// A datanode Pod from the image, locked down as the operator's are, with a claim for
/// `/data`; `extra` adds arguments (a replica's `--replicaof`).
fn datanode_pod(name: &str, claim: Option<&str>, extra: &[&str]) -> String {
    let version = WORKSPACE_VERSION;
    let args: Vec<String> = ["--port=6379", "--bind=0.0.0.0", "--repl-port=16379"]
        .iter()
        .chain(extra)
        .map(|a| format!("\"{a}\""))
        .collect();
    let volume = match claim {
        Some(claim) => format!("  volumes:\n    - name: data\n      persistentVolumeClaim: {{claimName: {claim}}}\n"),
        None => "  volumes:\n    - name: data\n      emptyDir: {}\n".to_string(),
    };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {NS}\n  labels: {{app: {name}}}\nspec:\n  \
         securityContext: {{runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: {{type: RuntimeDefault}}}}\n  \
         automountServiceAccountToken: false\n  containers:\n    - name: datanode\n      \
         image: meridian/meridian-datanode:{version}\n      imagePullPolicy: IfNotPresent\n      \
         command: [meridian-datanode]\n      args: [{}]\n      \
         ports: [{{name: resp, containerPort: 6379}}, {{name: repl, containerPort: 16379}}]\n      \
         readinessProbe: {{tcpSocket: {{port: resp}}, periodSeconds: 2}}\n      \
         securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}\n      \
         volumeMounts: [{{name: data, mountPath: /data}}]\n{volume}",
        args.join(", ")
    )
}

fn manifests() -> String {
    let claim = format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: master-data\n  namespace: {NS}\nspec:\n  \
         accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n"
    );
    let service = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: master\n  namespace: {NS}\nspec:\n  selector: {{app: master}}\n  \
         ports: [{{name: resp, port: 6379, targetPort: resp}}, {{name: repl, port: 16379, targetPort: repl}}]\n"
    );
    [
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n"),
        claim,
        service,
        datanode_pod("master", Some("master-data"), &[]),
        datanode_pod("replica", None, &["--replicaof=master.smoke.svc 6379"]),
    ]
    .join("---\n")
}

#[test]
fn one_region_runs_the_images_on_real_pods_and_leaves_nothing_behind() -> TestResult {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut region = kube(RegionCluster::start("us-east", 1, None, &ImageArchives::find(WORKSPACE_VERSION)))?;

    // The images came from the archives, under the names the chart and the CRI use.
    let images = kube(region.images())?;
    for want in [
        format!("docker.io/meridian/meridian-datanode:{WORKSPACE_VERSION}"),
        format!("docker.io/meridian/meridian-syncer:{WORKSPACE_VERSION}"),
        format!("docker.io/meridian/meridian-operator:{WORKSPACE_VERSION}"),
        PAUSE_IMAGE.to_string(),
    ] {
        assert!(images.contains(&want), "{want} not among {images:?}");
    }

    kube(region.create_local_volumes(2, "1Gi"))?;
    kube(region.apply_yaml(&manifests()))?;
    for pod in ["master", "replica"] {
        kube(region.kubectl_ok(&["wait", "--for=condition=Ready", &format!("pod/{pod}"), "-n", NS, "--timeout=180s"]))?;
    }

    // The claim bound one of the local volumes, which the Pod mounts owned by its group.
    let volume = jsonpath(&region, &["get", "pvc", "master-data", "-n", NS], "{.spec.volumeName}").map_err(check)?;
    assert!(volume.starts_with("us-east-pv-"), "bound to {volume:?}");
    let uid =
        jsonpath(&region, &["get", "pod", "master", "-n", NS], "{.spec.securityContext.runAsUser}").map_err(check)?;
    assert_eq!(uid, "65532");

    // Through the Service's ClusterIP (kube-proxy's rules), exact replies.
    let ip = service_ip(&region, NS, "master").map_err(check)?;
    let service: SocketAddr = format!("{ip}:6379").parse().map_err(|e| check(format!("{e}")))?;
    // A Pod Ready is not yet a Service rule: until kube-proxy has synced the new endpoints,
    // the ClusterIP refuses connections (iptables REJECT for a Service without endpoints).
    let mut master =
        kube(eventually("the master's Service takes connections", POD_TIMEOUT, || redis_in(&region, service)))?;
    let set: String = redis::cmd("SET")
        .arg("greeting")
        .arg("hello from a pod")
        .query(&mut master)
        .map_err(|e| check(e.to_string()))?;
    assert_eq!(set, "OK");
    let n: i64 = redis::cmd("INCRBY").arg("hits").arg(5).query(&mut master).map_err(|e| check(e.to_string()))?;
    assert_eq!(n, 5);
    let n: i64 = redis::cmd("INCRBY").arg("hits").arg(7).query(&mut master).map_err(|e| check(e.to_string()))?;
    assert_eq!(n, 12);

    // The replica found its master by a Service name (CoreDNS), over the Pod network.
    let replica_ip = jsonpath(&region, &["get", "pod", "replica", "-n", NS], "{.status.podIP}").map_err(check)?;
    let replica: SocketAddr = format!("{replica_ip}:6379").parse().map_err(|e| check(format!("{e}")))?;
    kube(eventually("the replica has the master's writes", POD_TIMEOUT, || {
        let mut c = redis_in(&region, replica)?;
        let got: (Option<String>, Option<i64>) =
            redis::pipe().cmd("GET").arg("greeting").cmd("GET").arg("hits").query(&mut c).map_err(|e| e.to_string())?;
        match got {
            (Some(g), Some(12)) if g == "hello from a pod" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    }))?;

    // Teardown: nothing of the region is left.
    let holder = kube(region.netns())?.pid();
    let netns = std::fs::read_link(format!("/proc/{holder}/ns/net")).map_err(|e| check(e.to_string()))?;
    let dir = region.dir().map(|d| d.to_path_buf()).ok_or_else(|| check("no directory"))?;
    let cgroup = format!("/sys/fs/cgroup/memory{}", region.cgroup_root());
    assert!(std::path::Path::new(&cgroup).is_dir(), "{cgroup} should exist while Pods run");
    let left = region.stop();
    assert!(left.is_empty(), "not cleaned up: {left:?}");
    assert!(!std::path::Path::new(&format!("/proc/{holder}")).exists(), "the namespace holder still runs");
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(!std::path::Path::new(&cgroup).exists(), "{cgroup} still exists");
    let still_in_netns: Vec<String> = std::fs::read_dir("/proc")
        .map_err(|e| check(e.to_string()))?
        .flatten()
        .filter(|e| std::fs::read_link(e.path().join("ns/net")).is_ok_and(|n| n == netns))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(still_in_netns.is_empty(), "processes {still_in_netns:?} still in the region's network namespace");
    Ok(())
}
