//! `meridian-operator run` as a process against a `KubeControlPlane`, and the pieces the
//! operator tests share: installing the CRD once, reading a database's status.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::kube::{KubeControlPlane, eventually};
use crate::process::{Process, workspace_binary};
use crate::regions::http_get;
use crate::{Error, Result, free_port};

/// How long the operator may take to act on a change: it reacts to a watch within a
/// second, but a reconcile waits on datanodes (3 s bound) and the machine may be busy.
pub const OPERATOR_TIMEOUT: Duration = Duration::from_secs(90);

/// The image repository the tests' operators name images under (no image is pulled: no
/// kubelet runs in this tier).
pub const TEST_IMAGES: &str = "registry.local/meridian";

/// A running operator; killed on drop.
pub struct Operator {
    pub process: Process,
    pub http: u16,
    pub identity: String,
}

impl Operator {
    /// Runs the operator for `region`, watching `namespace` only, with the Lease there too,
    /// authenticated by `kubeconfig`.
    pub fn start(kubeconfig: &Path, namespace: &str, region: &str, extra: &[&str]) -> Result<Operator> {
        let bin = workspace_binary("meridian-operator")?;
        let http = free_port()?;
        let identity = format!("operator-{http}");
        let mut args: Vec<String> = vec![
            "run".into(),
            format!("--region={region}"),
            format!("--namespace={namespace}"),
            format!("--lease-namespace={namespace}"),
            format!("--identity={identity}"),
            format!("--http=127.0.0.1:{http}"),
            format!("--image-repository={TEST_IMAGES}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let env: [(&str, &OsStr); 2] = [("KUBECONFIG", kubeconfig.as_os_str()), ("RUST_LOG", OsStr::new("info"))];
        let process = Process::spawn_with_env(&identity, &bin, args, &env, http, || {
            http_get(http, "/readyz").is_ok_and(|b| b == "ready\n")
        })?;
        Ok(Operator { process, http, identity })
    }

    /// Its `/metrics` text.
    pub fn metrics(&self) -> String {
        http_get(self.http, "/metrics").unwrap_or_default()
    }

    /// Whether it reports holding the leader lease.
    pub fn leads(&self) -> bool {
        self.metrics().lines().any(|l| l == "meridian_operator_leader 1")
    }
}

/// Installs the CRD from `meridian-operator crd` (once per control plane: concurrent tests
/// wait for one install) and waits until it is served.
pub fn install_crd(plane: &KubeControlPlane) -> Result<()> {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let bin = workspace_binary("meridian-operator")?;
    let out = Command::new(&bin)
        .arg("crd")
        .output()
        .map_err(|source| Error::Spawn { program: bin.display().to_string(), source })?;
    let yaml = String::from_utf8_lossy(&out.stdout).to_string();
    plane.apply_yaml(&yaml)?;
    plane.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "crd/activeactivedatabases.meridian.io",
        "--timeout=60s",
    ])?;
    Ok(())
}

/// `kubectl get <args> -o json`, parsed; `Err` is kubectl's complaint, for `eventually`.
pub fn get_json(plane: &KubeControlPlane, args: &[&str]) -> std::result::Result<serde_json::Value, String> {
    let mut args = args.to_vec();
    args.extend(["-o", "json"]);
    let out = plane.kubectl_ok(&args).map_err(|e| e.to_string())?;
    serde_json::from_str(&out).map_err(|e| format!("kubectl printed no JSON ({e}): {out}"))
}

/// The condition `type_` of a database: (status, reason, message).
pub fn condition(db: &serde_json::Value, type_: &str) -> Option<(String, String, String)> {
    let c = db["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)?;
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    Some((s("status"), s("reason"), s("message")))
}

/// Waits until the database's condition `type_` has `status` and `reason`; returns the
/// whole database.
pub fn wait_condition(
    plane: &KubeControlPlane,
    ns: &str,
    name: &str,
    type_: &str,
    status: &str,
    reason: &str,
) -> Result<serde_json::Value> {
    eventually(format!("{name} {type_}={status} ({reason})"), OPERATOR_TIMEOUT, || {
        let db = get_json(plane, &["get", "aadb", name, "-n", ns])?;
        match condition(&db, type_) {
            Some((s, r, _)) if s == status && r == reason => Ok(db),
            other => Err(format!("{type_} is {other:?}; status: {}", db["status"])),
        }
    })
    .map_err(Error::from)
}

/// The reasons of the Events about database `name`.
pub fn event_reasons(plane: &KubeControlPlane, ns: &str, name: &str) -> Vec<String> {
    let selector = format!("regarding.name={name},regarding.kind=ActiveActiveDatabase");
    let Ok(events) = get_json(plane, &["get", "events.events.k8s.io", "-n", ns, "--field-selector", &selector]) else {
        return vec![];
    };
    events["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|e| e["reason"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}
