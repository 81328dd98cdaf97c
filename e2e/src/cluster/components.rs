//! Starting each process of a region's node inside its namespaces, each on its fixed port
//! (the namespace is the region's own, so ports never collide between regions), and waiting
//! until it answers: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
//! kubelet, kube-proxy and CoreDNS.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::configs::{self, KubeletSettings};
use super::netns::Netns;
use super::pki::{APISERVER_PORT, RegionPki};
use super::tools::PodTools;
use crate::kube::command::run_ok;
use crate::kube::component::Component;
use crate::kube::{Error, Result};

const ETCD_PORT: u16 = 2379;
const ETCD_PEER_PORT: u16 = 2380;
const CONTROLLER_MANAGER_PORT: u16 = 10257;
const SCHEDULER_PORT: u16 = 10259;
const KUBELET_HEALTHZ_PORT: u16 = 10248;
const PROXY_HEALTHZ_PORT: u16 = 10256;
const COREDNS_HEALTH_PORT: u16 = 8081;
const COREDNS_READY_PORT: u16 = 8181;

/// The Service range (the same in every region: regions never route to each other's).
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.96.0.0/16";
const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Start-up bounds: generous, as three regions start on two shared cores.
const ETCD_READY_TIMEOUT: Duration = Duration::from_secs(30);
const APISERVER_READY_TIMEOUT: Duration = Duration::from_secs(180);
const COMPONENT_READY_TIMEOUT: Duration = Duration::from_secs(120);
/// The kubelet registers its Node, and the Node turns Ready once the CRI reports a network.
pub const NODE_READY_TIMEOUT: Duration = Duration::from_secs(180);
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every start function needs.
pub struct Ctx<'a> {
    pub ns: &'a Netns,
    pub tools: &'a PodTools,
    pub pki: &'a RegionPki,
    pub dir: &'a Path,
    pub logs: &'a Path,
    pub node: &'a str,
    pub node_ip: Ipv4Addr,
}

fn path_arg(flag: &str, path: &Path) -> String {
    format!("--{flag}={}", path.display())
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

impl Ctx<'_> {
    /// `kubectl --kubeconfig <admin> --request-timeout=5s args..` inside the namespace.
    fn kubectl_probe(&self, args: &[&str]) -> std::result::Result<String, String> {
        let mut command = self.ns.command(&self.tools.kube.kubectl);
        command.arg(format!("--kubeconfig={}", self.pki.admin.display())).arg("--request-timeout=5s").args(args);
        run_ok(command, None, PROBE_TIMEOUT).map_err(|e| e.to_string())
    }

    /// An HTTP GET on the namespace's loopback; Ok when the body is `want`.
    fn http_probe(&self, port: u16, path: &str, want: &str) -> std::result::Result<(), String> {
        match self.ns.enter(|| crate::regions::http_get(port, path)) {
            Ok(Ok(body)) if body.trim() == want => Ok(()),
            Ok(Ok(body)) => Err(format!("GET 127.0.0.1:{port}{path}: {}", body.trim())),
            Ok(Err(e)) => Err(format!("GET 127.0.0.1:{port}{path}: {e}")),
            Err(e) => Err(e.to_string()),
        }
    }
}

pub fn etcd(ctx: &Ctx<'_>) -> Result<Component> {
    let client = format!("http://127.0.0.1:{ETCD_PORT}");
    let peer = format!("http://127.0.0.1:{ETCD_PEER_PORT}");
    let mut args = strings(&["--name=node", "--unsafe-no-fsync", "--log-level=warn"]);
    args.extend([
        path_arg("data-dir", &ctx.dir.join("etcd")),
        format!("--listen-client-urls={client}"),
        format!("--advertise-client-urls={client}"),
        format!("--listen-peer-urls={peer}"),
        format!("--initial-advertise-peer-urls={peer}"),
        format!("--initial-cluster=node={peer}"),
    ]);
    let mut etcd = ctx.ns.spawn("etcd", &ctx.tools.kube.etcd, &args, ctx.logs)?;
    etcd.wait_ready(ETCD_READY_TIMEOUT, || {
        ctx.http_probe(ETCD_PORT, "/health", "{\"health\":\"true\",\"reason\":\"\"}")
    })?;
    Ok(etcd)
}

/// The API server on every address of the node, advertising the node's: the `kubernetes`
/// Service's endpoint is then a real address that Pods reach through kube-proxy.
pub fn apiserver(ctx: &Ctx<'_>) -> Result<Component> {
    let pki = ctx.pki;
    let mut args = vec![
        format!("--etcd-servers=http://127.0.0.1:{ETCD_PORT}"),
        "--bind-address=0.0.0.0".into(),
        format!("--advertise-address={}", ctx.node_ip),
        format!("--secure-port={APISERVER_PORT}"),
        path_arg("cert-dir", &ctx.dir.join("apiserver-certs")),
        path_arg("tls-cert-file", &pki.apiserver_serving.cert),
        path_arg("tls-private-key-file", &pki.apiserver_serving.key),
        path_arg("client-ca-file", &pki.ca.cert),
        path_arg("kubelet-certificate-authority", &pki.ca.cert),
        path_arg("kubelet-client-certificate", &pki.apiserver_kubelet_client.cert),
        path_arg("kubelet-client-key", &pki.apiserver_kubelet_client.key),
        "--kubelet-preferred-address-types=InternalIP".into(),
        path_arg("requestheader-client-ca-file", &pki.front_proxy_ca.cert),
        path_arg("proxy-client-cert-file", &pki.front_proxy_client.cert),
        path_arg("proxy-client-key-file", &pki.front_proxy_client.key),
        path_arg("service-account-key-file", &pki.service_account.public),
        path_arg("service-account-signing-key-file", &pki.service_account.private),
        format!("--service-account-issuer={SERVICE_ACCOUNT_ISSUER}"),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
    ];
    args.extend(strings(&[
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-uid-headers=X-Remote-Uid",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        "--profiling=false",
    ]));
    let mut apiserver = ctx.ns.spawn("kube-apiserver", &ctx.tools.kube.kube_apiserver, &args, ctx.logs)?;
    apiserver.wait_ready(APISERVER_READY_TIMEOUT, || match ctx.kubectl_probe(&["get", "--raw", "/readyz"]) {
        Ok(body) if body.trim() == "ok" => Ok(()),
        Ok(body) => Err(body),
        Err(e) => Err(e),
    })?;
    Ok(apiserver)
}

pub fn controller_manager(ctx: &Ctx<'_>) -> Result<Component> {
    let pki = ctx.pki;
    let own = &pki.controller_manager;
    let mut args = vec![
        path_arg("kubeconfig", own),
        path_arg("authentication-kubeconfig", own),
        path_arg("authorization-kubeconfig", own),
        format!("--secure-port={CONTROLLER_MANAGER_PORT}"),
        path_arg("tls-cert-file", &pki.controller_manager_serving.cert),
        path_arg("tls-private-key-file", &pki.controller_manager_serving.key),
        path_arg("client-ca-file", &pki.ca.cert),
        path_arg("service-account-private-key-file", &pki.service_account.private),
        path_arg("root-ca-file", &pki.ca.cert),
        path_arg("cluster-signing-cert-file", &pki.ca.cert),
        path_arg("cluster-signing-key-file", &pki.ca.key),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
    ];
    args.extend(strings(&[
        "--bind-address=127.0.0.1",
        "--use-service-account-credentials=true",
        "--cluster-name=meridian-e2e",
        "--leader-elect=false",
        "--controllers=*",
        "--profiling=false",
    ]));
    let mut cm = ctx.ns.spawn("kube-controller-manager", &ctx.tools.kube.kube_controller_manager, &args, ctx.logs)?;
    let server = format!("--server=https://127.0.0.1:{CONTROLLER_MANAGER_PORT}");
    cm.wait_ready(COMPONENT_READY_TIMEOUT, || {
        match ctx.kubectl_probe(&[&server, "get", "--raw", "/healthz"]) {
            Ok(body) if body.trim() == "ok" => {}
            Ok(body) => return Err(body),
            Err(e) => return Err(e),
        }
        // The ServiceAccount controller creates `default` in each namespace; Pods need it.
        ctx.kubectl_probe(&["get", "serviceaccount", "default", "-n", "default", "-o", "name"]).map(drop)
    })?;
    Ok(cm)
}

pub fn scheduler(ctx: &Ctx<'_>) -> Result<Component> {
    let own = &ctx.pki.scheduler;
    let args = vec![
        path_arg("kubeconfig", own),
        path_arg("authentication-kubeconfig", own),
        path_arg("authorization-kubeconfig", own),
        path_arg("tls-cert-file", &ctx.pki.scheduler_serving.cert),
        path_arg("tls-private-key-file", &ctx.pki.scheduler_serving.key),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={SCHEDULER_PORT}"),
        "--leader-elect=false".into(),
        "--profiling=false".into(),
    ];
    let mut scheduler = ctx.ns.spawn("kube-scheduler", &ctx.tools.kube_scheduler, &args, ctx.logs)?;
    let server = format!("--server=https://127.0.0.1:{SCHEDULER_PORT}");
    scheduler.wait_ready(COMPONENT_READY_TIMEOUT, || {
        match ctx.kubectl_probe(&[&server, "get", "--raw", "/healthz"]) {
            Ok(body) if body.trim() == "ok" => Ok(()),
            Ok(body) => Err(body),
            Err(e) => Err(e),
        }
    })?;
    Ok(scheduler)
}

/// The kubelet on the node's address, its Pods' cgroups under `cgroup_root`; waits until the
/// Node is Ready.
pub fn kubelet(ctx: &Ctx<'_>, containerd_socket: &Path, cgroup_root: &str) -> Result<Component> {
    let dir = ctx.dir.join("kubelet");
    let (root, pod_logs, plugins) = (dir.join("root"), dir.join("pod-logs"), dir.join("volume-plugins"));
    for d in [&root, &pod_logs, &plugins] {
        std::fs::create_dir_all(d).map_err(Error::io(format!("create {}", d.display())))?;
    }
    let config = dir.join("config.json");
    let settings = KubeletSettings {
        node_ip: ctx.node_ip,
        containerd_socket,
        cgroup_root,
        client_ca: &ctx.pki.ca.cert,
        serving_cert: &ctx.pki.kubelet_serving.cert,
        serving_key: &ctx.pki.kubelet_serving.key,
        pod_logs: &pod_logs,
        volume_plugins: &plugins,
    };
    std::fs::write(&config, configs::kubelet_config(&settings))
        .map_err(Error::io(format!("write {}", config.display())))?;
    let args = vec![
        path_arg("config", &config),
        path_arg("kubeconfig", &ctx.pki.kubelet),
        path_arg("root-dir", &root),
        path_arg("cert-dir", &dir.join("certs")),
        format!("--hostname-override={}", ctx.node),
        format!("--node-ip={}", ctx.node_ip),
    ];
    let mut kubelet = ctx.ns.spawn("kubelet", &ctx.tools.kubelet, &args, ctx.logs)?;
    let ready = "{.status.conditions[?(@.type==\"Ready\")].status}";
    kubelet.wait_ready(NODE_READY_TIMEOUT, || {
        ctx.http_probe(KUBELET_HEALTHZ_PORT, "/healthz", "ok")?;
        match ctx.kubectl_probe(&["get", "node", ctx.node, "-o", &format!("jsonpath={ready}")]) {
            Ok(status) if status.trim() == "True" => Ok(()),
            Ok(status) => Err(format!("node {} Ready={status}", ctx.node)),
            Err(e) => Err(e),
        }
    })?;
    Ok(kubelet)
}

/// kube-proxy in iptables mode (no IPVS here). It leaves the conntrack table's size alone:
/// that setting is the machine's, not the namespace's.
pub fn kube_proxy(ctx: &Ctx<'_>, pod_subnet: &str) -> Result<Component> {
    let args = vec![
        path_arg("kubeconfig", &ctx.pki.kube_proxy),
        format!("--hostname-override={}", ctx.node),
        format!("--cluster-cidr={pod_subnet}"),
        "--proxy-mode=iptables".into(),
        "--conntrack-max-per-core=0".into(),
        "--conntrack-tcp-timeout-established=0s".into(),
        "--conntrack-tcp-timeout-close-wait=0s".into(),
        "--iptables-localhost-nodeports=false".into(),
        "--nodeport-addresses=primary".into(),
        format!("--healthz-bind-address=127.0.0.1:{PROXY_HEALTHZ_PORT}"),
        "--metrics-bind-address=127.0.0.1:10249".into(),
    ];
    let mut proxy = ctx.ns.spawn("kube-proxy", &ctx.tools.kube_proxy, &args, ctx.logs)?;
    proxy.wait_ready(COMPONENT_READY_TIMEOUT, || {
        // /healthz says healthy once the rules have been written.
        match ctx.ns.enter(|| crate::regions::http_get(PROXY_HEALTHZ_PORT, "/healthz")) {
            Ok(Ok(body)) if body.contains("\"healthy\":true") => Ok(()),
            Ok(Ok(body)) => Err(body),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    })?;
    Ok(proxy)
}

/// CoreDNS on the node's address (the kubelet's `clusterDNS`), as the admin.
pub fn coredns(ctx: &Ctx<'_>) -> Result<Component> {
    let corefile = ctx.dir.join("Corefile");
    let text = configs::corefile(ctx.node_ip, &ctx.pki.admin, COREDNS_HEALTH_PORT, COREDNS_READY_PORT);
    std::fs::write(&corefile, text).map_err(Error::io(format!("write {}", corefile.display())))?;
    let args = vec![format!("-conf={}", corefile.display())];
    let mut coredns = ctx.ns.spawn("coredns", &ctx.tools.coredns, &args, ctx.logs)?;
    coredns.wait_ready(COMPONENT_READY_TIMEOUT, || ctx.http_probe(COREDNS_READY_PORT, "/ready", "OK"))?;
    Ok(coredns)
}

/// `kubectl` inside the namespace as the admin (no deadline of its own: the caller's).
pub fn kubectl_command(ns: &Netns, kubectl: &Path, admin: &Path) -> Command {
    let mut command = ns.command(kubectl);
    command.arg(format!("--kubeconfig={}", admin.display()));
    command.env_remove("KUBECONFIG");
    command
}
