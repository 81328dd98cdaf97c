//! `KubeControlPlane`: etcd, kube-apiserver and kube-controller-manager on loopback ports,
//! with a PKI and an admin kubeconfig in a temporary directory, all gone on `Drop`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tempfile::TempDir;

use super::certs::{CertFiles, KeyPair, Pki, Usage};
use super::command::{run, run_ok};
use super::component::Component;
use super::identity::Identity;
use super::kubeconfig::{self, Credentials};
use super::tools::KubeTools;
use super::{Error, Result};

/// The Service IP range. Only API objects ever carry these addresses: nothing routes to them.
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.96.0.0/16";

/// The ClusterIP of the `kubernetes` Service (the first address of the range), named in the
/// API server's certificate.
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";

/// The ServiceAccount token issuer, as a real cluster names it.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// etcd opens its client port within a second; a loaded machine may take a few.
const ETCD_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The API server's first start installs its bootstrap RBAC and priority levels: seconds on
/// an idle machine, longer while other builds share its two cores.
const APISERVER_READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The controller-manager serves /healthz and creates the `default` ServiceAccount shortly
/// after it starts.
const CONTROLLER_MANAGER_READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Any one kubectl or helm command (an install with `--wait` brings its own `--timeout`).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// One readiness probe (a kubectl call against a starting server).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts at starting a component: another process may take a port between the probe
/// that found it free and the component's bind.
const START_ATTEMPTS: usize = 3;

/// A running control plane. Dropping it kills the three processes (each with its process
/// group) and removes its directory; after a panic the directory is kept and its path printed.
#[derive(Debug)]
pub struct KubeControlPlane {
    // Fields drop in order: the controller-manager first, etcd last, then the directory.
    controller_manager: Component,
    apiserver: Component,
    etcd: Component,
    tools: KubeTools,
    pki: Pki,
    server_url: String,
    admin: PathBuf,
    dir: Option<TempDir>,
}

/// Paths `start` hands from one step to the next.
struct Layout {
    root: PathBuf,
    logs: PathBuf,
    apiserver_serving: CertFiles,
    controller_manager_serving: CertFiles,
    controller_manager_client: CertFiles,
    admin_client: CertFiles,
    /// The API server's client certificate towards kubelets (`kubectl logs`, `exec`).
    kubelet_client: CertFiles,
    /// A CA of its own for the front proxy: a certificate from it may assert any user in
    /// request headers, so the main CA's clients must not be able to.
    front_proxy_ca: CertFiles,
    /// The API server's client certificate towards aggregated API servers.
    front_proxy_client: CertFiles,
    service_account: KeyPair,
}

impl KubeControlPlane {
    /// Starts etcd, kube-apiserver and kube-controller-manager with binaries from
    /// `KubeTools::find()`, and waits until the API server's /readyz is ok and the
    /// controller-manager has created the `default` ServiceAccount.
    pub fn start() -> Result<KubeControlPlane> {
        let tools = KubeTools::find()?;
        let dir = tempfile::Builder::new()
            .prefix("meridian-kube-")
            .tempdir()
            .map_err(Error::io("create a temporary directory for the control plane"))?;
        match KubeControlPlane::start_in(tools, dir.path()) {
            Ok(mut plane) => {
                plane.dir = Some(dir);
                Ok(plane)
            }
            Err(e) => {
                // The error names log files in the directory: keep them for whoever reads it.
                let _ = dir.keep();
                Err(e)
            }
        }
    }

    /// One control plane shared by every caller that holds it: the first call starts it,
    /// later calls get the same one while any earlier caller still holds it, and it stops
    /// when the last holder drops it. Tests that run in parallel share it this way; each
    /// should work in a namespace of its own (`create_namespace`).
    pub fn shared() -> Result<Arc<KubeControlPlane>> {
        static SHARED: parking_lot::Mutex<Weak<KubeControlPlane>> = parking_lot::Mutex::new(Weak::new());
        // Held while starting, so that concurrent callers wait for one start.
        let mut shared = SHARED.lock();
        if let Some(plane) = shared.upgrade() {
            return Ok(plane);
        }
        let plane = Arc::new(KubeControlPlane::start()?);
        *shared = Arc::downgrade(&plane);
        Ok(plane)
    }

    fn start_in(tools: KubeTools, root: &Path) -> Result<KubeControlPlane> {
        let logs = root.join("logs");
        std::fs::create_dir_all(&logs).map_err(Error::io(format!("create {}", logs.display())))?;
        let pki = Pki::create(&root.join("pki"), "meridian-e2e-ca")?;
        let front_proxy = Pki::create(&root.join("pki").join("front-proxy"), "meridian-e2e-front-proxy-ca")?;
        let layout = Layout {
            root: root.to_path_buf(),
            logs,
            apiserver_serving: pki.issue(
                "kube-apiserver",
                "kube-apiserver",
                &[],
                Usage::Server {
                    dns: &[
                        "localhost",
                        "kubernetes",
                        "kubernetes.default",
                        "kubernetes.default.svc",
                        "kubernetes.default.svc.cluster.local",
                    ],
                    ips: &["127.0.0.1", KUBERNETES_SERVICE_IP],
                },
            )?,
            controller_manager_serving: pki.issue(
                "kube-controller-manager-serving",
                "kube-controller-manager",
                &[],
                Usage::Server { dns: &["localhost"], ips: &["127.0.0.1"] },
            )?,
            // The user name the bootstrap RBAC policy gives the controller-manager's rights.
            controller_manager_client: pki.issue(
                "kube-controller-manager-client",
                "system:kube-controller-manager",
                &[],
                Usage::Client,
            )?,
            admin_client: pki.issue("admin", "meridian-e2e-admin", &["system:masters"], Usage::Client)?,
            kubelet_client: pki.issue(
                "apiserver-kubelet-client",
                "kube-apiserver-kubelet-client",
                &["system:masters"],
                Usage::Client,
            )?,
            front_proxy_ca: front_proxy.ca().clone(),
            front_proxy_client: front_proxy.issue("front-proxy-client", "front-proxy-client", &[], Usage::Client)?,
            service_account: pki.key_pair("service-account")?,
        };
        let admin = root.join("admin.kubeconfig");

        let etcd = start_with_retries(|| start_etcd(&tools, &layout))?;
        let (apiserver, server_url) =
            start_with_retries(|| start_apiserver(&tools, &layout, pki.ca(), etcd.1, &admin))?;
        let controller_manager =
            start_with_retries(|| start_controller_manager(&tools, &layout, pki.ca(), &server_url, &admin))?;
        Ok(KubeControlPlane { controller_manager, apiserver, etcd: etcd.0, tools, pki, server_url, admin, dir: None })
    }

    /// The admin kubeconfig (`system:masters`).
    pub fn kubeconfig(&self) -> &Path {
        &self.admin
    }

    /// `https://127.0.0.1:<port>` of the API server.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The CA that signed the API server's certificate and every client certificate.
    pub fn ca_cert(&self) -> &Path {
        &self.pki.ca().cert
    }

    pub fn tools(&self) -> &KubeTools {
        &self.tools
    }

    /// The log files of etcd, kube-apiserver and kube-controller-manager.
    pub fn logs(&self) -> [&Path; 3] {
        [self.etcd.log(), self.apiserver.log(), self.controller_manager.log()]
    }

    /// The process ids of etcd, kube-apiserver and kube-controller-manager.
    pub fn pids(&self) -> [u32; 3] {
        [self.etcd.pid(), self.apiserver.pid(), self.controller_manager.pid()]
    }

    /// The directory holding the PKI, kubeconfigs, etcd's data and the logs.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(TempDir::path)
    }

    /// True while all three processes run.
    pub fn is_running(&mut self) -> bool {
        self.etcd.is_running() && self.apiserver.is_running() && self.controller_manager.is_running()
    }

    /// Runs `kubectl --kubeconfig <admin> args..`, killed past `COMMAND_TIMEOUT`.
    pub fn kubectl<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        run(self.kubectl_command(&self.admin, args), None, COMMAND_TIMEOUT)
    }

    /// Like `kubectl`, but a non-zero exit is an error carrying stderr; returns stdout.
    pub fn kubectl_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        run_ok(self.kubectl_command(&self.admin, args), None, COMMAND_TIMEOUT)
    }

    /// Runs kubectl as `identity` instead of the admin.
    pub fn kubectl_as<S: AsRef<OsStr>>(&self, identity: &Identity, args: &[S]) -> Result<Output> {
        run(self.kubectl_command(identity.kubeconfig(), args), None, COMMAND_TIMEOUT)
    }

    /// Runs `kubectl --kubeconfig <admin> args..` with `input` on its stdin (for `-f -`).
    pub fn kubectl_with_input<S: AsRef<OsStr>>(&self, args: &[S], input: &str) -> Result<Output> {
        run(self.kubectl_command(&self.admin, args), Some(input.as_bytes()), COMMAND_TIMEOUT)
    }

    /// `kubectl apply -f -` of `yaml` as the admin; returns what kubectl printed.
    pub fn apply_yaml(&self, yaml: &str) -> Result<String> {
        run_ok(self.kubectl_command(&self.admin, &["apply", "-f", "-"]), Some(yaml.as_bytes()), COMMAND_TIMEOUT)
    }

    /// Runs `helm args..` as the admin, killed past `COMMAND_TIMEOUT`. Helm's cache, config
    /// and data directories are inside the control plane's directory, never the user's.
    pub fn helm<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        run(self.helm_command(&self.admin, args), None, COMMAND_TIMEOUT)
    }

    /// Like `helm`, but a non-zero exit is an error carrying stderr; returns stdout.
    pub fn helm_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        run_ok(self.helm_command(&self.admin, args), None, COMMAND_TIMEOUT)
    }

    /// Runs helm as `identity` instead of the admin.
    pub fn helm_as<S: AsRef<OsStr>>(&self, identity: &Identity, args: &[S]) -> Result<Output> {
        run(self.helm_command(identity.kubeconfig(), args), None, COMMAND_TIMEOUT)
    }

    /// Creates a namespace named `<prefix>-<random>` and returns its name: tests that share
    /// a control plane keep out of each other's way in namespaces of their own.
    pub fn create_namespace(&self, prefix: &str) -> Result<String> {
        let name = format!("{prefix}-{:08x}", rand::random::<u32>());
        self.kubectl_ok(&["create", "namespace", &name])?;
        Ok(name)
    }

    /// A user authenticated by a client certificate signed by the cluster CA: `user` is the
    /// certificate's CN, `groups` its O fields. It has no rights until RBAC grants some.
    pub fn user(&self, user: &str, groups: &[&str]) -> Result<Identity> {
        let file_name = format!("user-{}-{:08x}", sanitize(user), rand::random::<u32>());
        let cert = self.pki.issue(&file_name, user, groups, Usage::Client)?;
        let path = self.root()?.join(format!("{file_name}.kubeconfig"));
        kubeconfig::write(&path, &self.server_url, self.ca_cert(), user, Credentials::Certificate(&cert))?;
        Ok(Identity::new(user.to_string(), path))
    }

    /// The ServiceAccount `namespace/name` (created if it does not exist), authenticated by a
    /// token from the TokenRequest API (`kubectl create token`), valid for an hour.
    pub fn service_account(&self, namespace: &str, name: &str) -> Result<Identity> {
        self.apply_yaml(&format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        ))?;
        let token = self.kubectl_ok(&["create", "token", name, "-n", namespace, "--duration=1h"])?;
        let user = format!("system:serviceaccount:{namespace}:{name}");
        let path = self.root()?.join(format!("sa-{}-{:08x}.kubeconfig", sanitize(&user), rand::random::<u32>()));
        kubeconfig::write(&path, &self.server_url, self.ca_cert(), &user, Credentials::Token(token.trim()))?;
        Ok(Identity::new(user, path))
    }

    fn root(&self) -> Result<&Path> {
        match &self.dir {
            Some(dir) => Ok(dir.path()),
            None => Err(Error::io("find the control plane's directory")(std::io::Error::other("already removed"))),
        }
    }

    fn kubectl_command<S: AsRef<OsStr>>(&self, kubeconfig: &Path, args: &[S]) -> Command {
        let mut command = Command::new(&self.tools.kubectl);
        command.arg("--kubeconfig").arg(kubeconfig).args(args);
        // The kubeconfig says everything: nothing from the caller's environment may redirect it.
        command.env_remove("KUBECONFIG");
        command
    }

    fn helm_command<S: AsRef<OsStr>>(&self, kubeconfig: &Path, args: &[S]) -> Command {
        let helm_home = self.dir.as_ref().map(|d| d.path().join("helm")).unwrap_or_default();
        let mut command = Command::new(&self.tools.helm);
        command
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("HELM_CACHE_HOME", helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", helm_home.join("config"))
            .env("HELM_DATA_HOME", helm_home.join("data"))
            .env_remove("HELM_KUBECONTEXT")
            .env_remove("HELM_NAMESPACE");
        command
    }
}

impl Drop for KubeControlPlane {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        if let Some(dir) = self.dir.take() {
            eprintln!("--- control-plane files (logs, certificates, kubeconfigs) kept in {}", dir.keep().display());
        }
    }
}

/// Runs `start` until it succeeds or fails for a reason other than the process exiting
/// (most likely a port taken after it was probed), at most `START_ATTEMPTS` times.
fn start_with_retries<T>(mut start: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(Error::Exited { .. }) if attempt < START_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

fn free_port() -> Result<u16> {
    crate::process::free_port().map_err(|e| Error::NoFreePort { source: Box::new(e) })
}

fn path_arg(flag: &str, path: &Path) -> String {
    format!("--{flag}={}", path.display())
}

/// etcd with its own data directory; returns it with its client port.
fn start_etcd(tools: &KubeTools, layout: &Layout) -> Result<(Component, u16)> {
    let (client, peer) = (free_port()?, free_port()?);
    let data = layout.root.join(format!("etcd-{client}"));
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let args = vec![
        "--name=meridian-e2e".to_string(),
        path_arg("data-dir", &data),
        format!("--listen-client-urls={client_url}"),
        format!("--advertise-client-urls={client_url}"),
        format!("--listen-peer-urls={peer_url}"),
        format!("--initial-advertise-peer-urls={peer_url}"),
        format!("--initial-cluster=meridian-e2e={peer_url}"),
        // The data is thrown away with the test: durability buys nothing, fsync costs a lot.
        "--unsafe-no-fsync".to_string(),
        "--log-level=warn".to_string(),
    ];
    let mut etcd = Component::spawn("etcd", &tools.etcd, &args, &layout.logs)?;
    etcd.wait_ready(ETCD_READY_TIMEOUT, || {
        if crate::process::listening(client) { Ok(()) } else { Err(format!("nothing listens on {client_url}")) }
    })?;
    Ok((etcd, client))
}

/// kube-apiserver on a free port, storing in etcd at `etcd_port`; writes the admin
/// kubeconfig (which names its port) at `admin`. Returns it with its URL.
fn start_apiserver(
    tools: &KubeTools,
    layout: &Layout,
    ca: &CertFiles,
    etcd_port: u16,
    admin: &Path,
) -> Result<(Component, String)> {
    let port = free_port()?;
    let url = format!("https://127.0.0.1:{port}");
    kubeconfig::write(admin, &url, &ca.cert, "meridian-e2e-admin", Credentials::Certificate(&layout.admin_client))?;
    let args = vec![
        format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
        "--bind-address=127.0.0.1".to_string(),
        "--advertise-address=127.0.0.1".to_string(),
        format!("--secure-port={port}"),
        // The default reconciler publishes the advertise address as the endpoint of the
        // `kubernetes` Service, and a loopback endpoint is invalid: with none, nothing does.
        "--endpoint-reconciler-type=none".to_string(),
        path_arg("cert-dir", &layout.root.join("apiserver-certs")),
        path_arg("tls-cert-file", &layout.apiserver_serving.cert),
        path_arg("tls-private-key-file", &layout.apiserver_serving.key),
        path_arg("client-ca-file", &ca.cert),
        path_arg("kubelet-certificate-authority", &ca.cert),
        path_arg("kubelet-client-certificate", &layout.kubelet_client.cert),
        path_arg("kubelet-client-key", &layout.kubelet_client.key),
        // Request-header authentication, for aggregated API servers and for the delegated
        // authentication of the controller-manager (which warns without it).
        path_arg("requestheader-client-ca-file", &layout.front_proxy_ca.cert),
        "--requestheader-allowed-names=front-proxy-client".to_string(),
        "--requestheader-username-headers=X-Remote-User".to_string(),
        "--requestheader-uid-headers=X-Remote-Uid".to_string(),
        "--requestheader-group-headers=X-Remote-Group".to_string(),
        "--requestheader-extra-headers-prefix=X-Remote-Extra-".to_string(),
        path_arg("proxy-client-cert-file", &layout.front_proxy_client.cert),
        path_arg("proxy-client-key-file", &layout.front_proxy_client.key),
        format!("--service-account-issuer={SERVICE_ACCOUNT_ISSUER}"),
        path_arg("service-account-key-file", &layout.service_account.public),
        path_arg("service-account-signing-key-file", &layout.service_account.private),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
        "--authorization-mode=Node,RBAC".to_string(),
        // The defaults, plus what kubeadm adds: kubelets may touch only their own Node and Pods.
        "--enable-admission-plugins=NodeRestriction".to_string(),
        "--allow-privileged=true".to_string(),
        "--profiling=false".to_string(),
    ];
    let mut apiserver = Component::spawn("kube-apiserver", &tools.kube_apiserver, &args, &layout.logs)?;
    apiserver.wait_ready(APISERVER_READY_TIMEOUT, || probe(tools, admin, None, "/readyz"))?;
    Ok((apiserver, url))
}

/// kube-controller-manager as `system:kube-controller-manager`, each controller with its
/// own ServiceAccount's credentials, as in a real cluster.
fn start_controller_manager(
    tools: &KubeTools,
    layout: &Layout,
    ca: &CertFiles,
    server_url: &str,
    admin: &Path,
) -> Result<Component> {
    let port = free_port()?;
    let own = layout.root.join("controller-manager.kubeconfig");
    kubeconfig::write(
        &own,
        server_url,
        &ca.cert,
        "system:kube-controller-manager",
        Credentials::Certificate(&layout.controller_manager_client),
    )?;
    let args = vec![
        path_arg("kubeconfig", &own),
        path_arg("authentication-kubeconfig", &own),
        path_arg("authorization-kubeconfig", &own),
        "--bind-address=127.0.0.1".to_string(),
        format!("--secure-port={port}"),
        path_arg("tls-cert-file", &layout.controller_manager_serving.cert),
        path_arg("tls-private-key-file", &layout.controller_manager_serving.key),
        path_arg("client-ca-file", &ca.cert),
        "--use-service-account-credentials=true".to_string(),
        path_arg("service-account-private-key-file", &layout.service_account.private),
        path_arg("root-ca-file", &ca.cert),
        path_arg("cluster-signing-cert-file", &ca.cert),
        path_arg("cluster-signing-key-file", &ca.key),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
        "--cluster-name=meridian-e2e".to_string(),
        // One controller-manager: no lease to wait for before the controllers start.
        "--leader-elect=false".to_string(),
        "--controllers=*".to_string(),
        "--profiling=false".to_string(),
    ];
    let mut controller_manager =
        Component::spawn("kube-controller-manager", &tools.kube_controller_manager, &args, &layout.logs)?;
    let healthz = format!("https://127.0.0.1:{port}");
    controller_manager.wait_ready(CONTROLLER_MANAGER_READY_TIMEOUT, || {
        probe(tools, admin, Some(&healthz), "/healthz")?;
        // The ServiceAccount controller creates `default` in each namespace; Pods need it.
        let mut command = Command::new(&tools.kubectl);
        command.arg("--kubeconfig").arg(admin).args([
            "get",
            "serviceaccount",
            "default",
            "-n",
            "default",
            "-o",
            "name",
        ]);
        run_ok(command, None, PROBE_TIMEOUT).map(drop).map_err(|e| e.to_string())
    })?;
    Ok(controller_manager)
}

/// `kubectl get --raw <path>` against the API server (or `server`) must print `ok`.
fn probe(tools: &KubeTools, kubeconfig: &Path, server: Option<&str>, path: &str) -> std::result::Result<(), String> {
    let mut command = Command::new(&tools.kubectl);
    command.arg("--kubeconfig").arg(kubeconfig).args(["--request-timeout=5s", "get", "--raw", path]);
    if let Some(server) = server {
        command.arg("--server").arg(server);
    }
    match run_ok(command, None, PROBE_TIMEOUT) {
        Ok(body) if body.trim() == "ok" => Ok(()),
        Ok(body) => Err(format!("GET {path}: {}", body.trim())),
        Err(e) => Err(format!("GET {path}: {e}")),
    }
}

/// A user or ServiceAccount name as a file name.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}
