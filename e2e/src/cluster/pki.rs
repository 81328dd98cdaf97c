//! A region's certificates: one CA for the API server, every component's client identity
//! (the user names the bootstrap RBAC policy grants rights to) and the kubelet's serving
//! certificate, plus a front-proxy CA and the service-account signing key. Each component
//! gets a kubeconfig that reaches the API server at the node's address.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::kube::Result;
use crate::kube::certs::{CertFiles, KeyPair, Pki, Usage};
use crate::kube::kubeconfig::{self, Credentials};

/// The ClusterIP of the `kubernetes` Service: Pods reach the API server through it.
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";

/// The API server's port on the node.
pub const APISERVER_PORT: u16 = 6443;

#[derive(Debug)]
pub struct RegionPki {
    pub ca: CertFiles,
    pub apiserver_serving: CertFiles,
    pub apiserver_kubelet_client: CertFiles,
    pub front_proxy_ca: CertFiles,
    pub front_proxy_client: CertFiles,
    pub service_account: KeyPair,
    pub controller_manager_serving: CertFiles,
    pub scheduler_serving: CertFiles,
    pub kubelet_serving: CertFiles,
    /// Kubeconfigs, each for the identity its name says.
    pub admin: PathBuf,
    pub controller_manager: PathBuf,
    pub scheduler: PathBuf,
    pub kubelet: PathBuf,
    pub kube_proxy: PathBuf,
    /// `https://<node ip>:6443`.
    pub server_url: String,
}

impl RegionPki {
    /// Issues everything into `dir/pki` and writes the kubeconfigs into `dir`.
    pub fn create(dir: &Path, node: &str, node_ip: Ipv4Addr) -> Result<RegionPki> {
        let pki = Pki::create(&dir.join("pki"), &format!("meridian-{node}-ca"))?;
        let front = Pki::create(&dir.join("pki").join("front-proxy"), &format!("meridian-{node}-front-proxy-ca"))?;
        let ip = node_ip.to_string();
        let server_url = format!("https://{ip}:{APISERVER_PORT}");
        let client = |file: &str, user: &str, groups: &[&str]| pki.issue(file, user, groups, Usage::Client);
        let kubeconfig = |file: &str, user: &str, cert: &CertFiles| -> Result<PathBuf> {
            let path = dir.join(format!("{file}.kubeconfig"));
            kubeconfig::write(&path, &server_url, &pki.ca().cert, user, Credentials::Certificate(cert))?;
            Ok(path)
        };
        let node_user = format!("system:node:{node}");
        let admin = client("admin", "meridian-e2e-admin", &["system:masters"])?;
        let controller_manager = client("kube-controller-manager", "system:kube-controller-manager", &[])?;
        let scheduler = client("kube-scheduler", "system:kube-scheduler", &[])?;
        let kubelet = client("kubelet", &node_user, &["system:nodes"])?;
        let kube_proxy = client("kube-proxy", "system:kube-proxy", &[])?;
        Ok(RegionPki {
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
                    ips: &["127.0.0.1", ip.as_str(), KUBERNETES_SERVICE_IP],
                },
            )?,
            apiserver_kubelet_client: client(
                "apiserver-kubelet-client",
                "kube-apiserver-kubelet-client",
                &["system:masters"],
            )?,
            front_proxy_ca: front.ca().clone(),
            front_proxy_client: front.issue("front-proxy-client", "front-proxy-client", &[], Usage::Client)?,
            service_account: pki.key_pair("service-account")?,
            controller_manager_serving: pki.issue(
                "kube-controller-manager-serving",
                "kube-controller-manager",
                &[],
                Usage::Server { dns: &["localhost"], ips: &["127.0.0.1"] },
            )?,
            scheduler_serving: pki.issue(
                "kube-scheduler-serving",
                "kube-scheduler",
                &[],
                Usage::Server { dns: &["localhost"], ips: &["127.0.0.1"] },
            )?,
            kubelet_serving: pki.issue(
                "kubelet-serving",
                &node_user,
                &["system:nodes"],
                Usage::Server { dns: &[node], ips: &[ip.as_str()] },
            )?,
            admin: kubeconfig("admin", "meridian-e2e-admin", &admin)?,
            controller_manager: kubeconfig(
                "controller-manager",
                "system:kube-controller-manager",
                &controller_manager,
            )?,
            scheduler: kubeconfig("scheduler", "system:kube-scheduler", &scheduler)?,
            kubelet: kubeconfig("kubelet", &node_user, &kubelet)?,
            kube_proxy: kubeconfig("kube-proxy", "system:kube-proxy", &kube_proxy)?,
            ca: pki.ca().clone(),
            server_url,
        })
    }
}
