//! `RegionCluster`: one region's single-node Kubernetes, every process inside the region's
//! namespaces: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd with
//! the locally built images, the kubelet, kube-proxy and CoreDNS. `stop` (or `Drop`) tears it
//! all down and reports anything it could not remove.

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tempfile::TempDir;

use super::cgroups::CgroupRoot;
use super::components::{self, Ctx};
use super::configs;
use super::containerd::Containerd;
use super::netns::Netns;
use super::pki::RegionPki;
use super::timings::Timings;
use super::tools::{ImageArchives, PodTools};
use super::wan::{Wan, wan_address};
use crate::kube::command::{run, run_ok};
use crate::kube::component::Component;
use crate::kube::{Error, Result};

/// Any one kubectl or helm command (an install with `--wait` brings its own `--timeout`).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

/// A running region. Its processes are `Option`s so that teardown can stop them in order.
#[derive(Debug)]
pub struct RegionCluster {
    name: String,
    index: u8,
    node_ip: Ipv4Addr,
    pki: RegionPki,
    tools: PodTools,
    cgroup: CgroupRoot,
    timings: Timings,
    // Stopped in this order by `stop`.
    kubelet: Option<Component>,
    coredns: Option<Component>,
    kube_proxy: Option<Component>,
    scheduler: Option<Component>,
    controller_manager: Option<Component>,
    containerd: Option<Containerd>,
    apiserver: Option<Component>,
    etcd: Option<Component>,
    ns: Option<Netns>,
    /// A region started on its own gets a WAN of its own (this kernel has no dummy
    /// interfaces to hold the node's address otherwise).
    own_wan: Option<Wan>,
    dir: Option<TempDir>,
}

/// What `stop` could not clean up; empty when everything is gone.
pub type Leftovers = Vec<String>;

impl RegionCluster {
    /// Starts region `name` (a DNS label: it is also the node's name) with WAN address
    /// `10.77.0.<index>`, linked to `wan` if given (else to a WAN of its own), with the
    /// images from `images` imported.
    pub fn start(name: &str, index: u8, wan: Option<&Wan>, images: &ImageArchives) -> Result<RegionCluster> {
        // Before anything is created: as another user, the namespaces would fail obscurely.
        super::require_root()?;
        let tools = PodTools::find()?;
        let archives = images.all()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("meridian-pods-{name}-"))
            .tempdir()
            .map_err(Error::io("create a temporary directory for a region"))?;
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).map_err(Error::io(format!("create {}", logs.display())))?;
        let mut timings = Timings::new(name);
        let ns = timings.step("namespaces", || Netns::create("region", &logs))?;
        let cgroup = CgroupRoot::under_own(&format!("meridian-{}-{name}", std::process::id()));
        let node_ip = wan_address(index);
        let pki = timings.step("certificates", || RegionPki::create(dir.path(), name, node_ip))?;
        let mut region = RegionCluster {
            name: name.to_string(),
            index,
            node_ip,
            pki,
            tools,
            cgroup,
            timings,
            kubelet: None,
            coredns: None,
            kube_proxy: None,
            scheduler: None,
            controller_manager: None,
            containerd: None,
            apiserver: None,
            etcd: None,
            ns: Some(ns),
            own_wan: None,
            dir: Some(dir),
        };
        if wan.is_none() {
            region.own_wan = Some(Wan::create(&logs)?);
        }
        match region.boot(wan, &archives, &logs) {
            Ok(()) => {
                eprintln!("{}", region.timings.report());
                Ok(region)
            }
            Err(e) => {
                // The error names log files in the directory: keep them for whoever reads it.
                if let Some(dir) = region.dir.take() {
                    eprintln!("--- region {name}'s files kept in {}", dir.keep().display());
                }
                Err(e)
            }
        }
    }

    fn boot(&mut self, wan: Option<&Wan>, archives: &[PathBuf], logs: &Path) -> Result<()> {
        let ns = self.ns.as_ref().ok_or_else(gone)?;
        let wan = wan.or(self.own_wan.as_ref()).ok_or_else(gone)?;
        let root = self.dir.as_ref().ok_or_else(gone)?.path().to_path_buf();
        let subnet = configs::pod_subnet(self.index);
        self.timings.step("network", || {
            wan.attach(ns, self.index)?;
            // The node's own connections to a Service need a route before kube-proxy's
            // OUTPUT rules rewrite them; the namespace has no default route to lend one.
            ns.ip(&["route", "add", components::SERVICE_CLUSTER_IP_RANGE, "dev", super::wan::REGION_LINK])?;
            ns.sysctl("net.ipv4.ip_forward", "1")?;
            // br_netfilter is built into this kernel; its switches are per namespace.
            ns.sysctl("net.bridge.bridge-nf-call-iptables", "1")
        })?;
        let ctx =
            Ctx { ns, tools: &self.tools, pki: &self.pki, dir: &root, logs, node: &self.name, node_ip: self.node_ip };
        self.etcd = Some(self.timings.step("etcd", || components::etcd(&ctx))?);
        self.apiserver = Some(self.timings.step("kube-apiserver", || components::apiserver(&ctx))?);
        self.controller_manager =
            Some(self.timings.step("kube-controller-manager", || components::controller_manager(&ctx))?);
        self.scheduler = Some(self.timings.step("kube-scheduler", || components::scheduler(&ctx))?);
        let containerd = self.timings.step("containerd", || Containerd::start(ns, &root, &subnet, logs))?;
        self.timings.step("image import", || archives.iter().try_for_each(|a| containerd.import(a).map(drop)))?;
        let socket = containerd.socket().to_path_buf();
        self.containerd = Some(containerd);
        let cgroup = self.cgroup.path().to_string();
        self.cgroup.create().map_err(Error::io(format!("create the cgroup {cgroup}")))?;
        self.kubelet = Some(self.timings.step("kubelet (node Ready)", || components::kubelet(&ctx, &socket, &cgroup))?);
        self.kube_proxy = Some(self.timings.step("kube-proxy", || components::kube_proxy(&ctx, &subnet))?);
        self.coredns = Some(self.timings.step("coredns", || components::coredns(&ctx))?);
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region's number (1-based), which picks its WAN address.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The node's address: on the WAN, and where the API server, kubelet and CoreDNS listen.
    pub fn node_ip(&self) -> Ipv4Addr {
        self.node_ip
    }

    /// The admin kubeconfig (it names `https://<node ip>:6443`, reachable inside the namespace).
    pub fn kubeconfig(&self) -> &Path {
        &self.pki.admin
    }

    /// `https://<node ip>:6443`.
    pub fn server_url(&self) -> &str {
        &self.pki.server_url
    }

    pub fn netns(&self) -> Result<&Netns> {
        self.ns.as_ref().ok_or_else(gone)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(TempDir::path)
    }

    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// The names of the images containerd holds for the kubelet.
    pub fn images(&self) -> Result<Vec<String>> {
        self.containerd.as_ref().ok_or_else(gone)?.images()
    }

    /// Imports more images (another version's, for an upgrade) into the region's containerd.
    pub fn import_images(&self, images: &ImageArchives) -> Result<()> {
        let containerd = self.containerd.as_ref().ok_or_else(gone)?;
        images.all()?.iter().try_for_each(|archive| containerd.import(archive).map(drop))
    }

    /// The cgroup path of the region's Pods.
    pub fn cgroup_root(&self) -> &str {
        self.cgroup.path()
    }

    /// Runs `kubectl args..` as the admin inside the region, killed past `COMMAND_TIMEOUT`.
    pub fn kubectl<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        let mut command = components::kubectl_command(self.netns()?, &self.tools.kube.kubectl, &self.pki.admin);
        command.args(args);
        run(command, None, COMMAND_TIMEOUT)
    }

    /// Like `kubectl`, but a non-zero exit is an error carrying stderr; returns stdout.
    pub fn kubectl_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        let mut command = components::kubectl_command(self.netns()?, &self.tools.kube.kubectl, &self.pki.admin);
        command.args(args);
        run_ok(command, None, COMMAND_TIMEOUT)
    }

    /// `kubectl apply -f -` of `yaml`.
    pub fn apply_yaml(&self, yaml: &str) -> Result<String> {
        let mut command = components::kubectl_command(self.netns()?, &self.tools.kube.kubectl, &self.pki.admin);
        command.args(["apply", "-f", "-"]);
        run_ok(command, Some(yaml.as_bytes()), COMMAND_TIMEOUT)
    }

    /// Runs `helm args..` as the admin inside the region; helm's own directories are in the
    /// region's directory.
    pub fn helm_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        let home = self.dir().map(|d| d.join("helm")).unwrap_or_default();
        let mut command = self.netns()?.command(&self.tools.kube.helm);
        command
            .args(args)
            .env("KUBECONFIG", &self.pki.admin)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env_remove("HELM_KUBECONTEXT")
            .env_remove("HELM_NAMESPACE");
        run_ok(command, None, COMMAND_TIMEOUT)
    }

    /// Stops everything in order and removes the region's directory (kept, with its path
    /// printed, if the thread is panicking). Returns what could not be cleaned up.
    pub fn stop(&mut self) -> Leftovers {
        super::teardown::stop(self)
    }

    pub(super) fn parts(&mut self) -> super::teardown::Parts<'_> {
        super::teardown::Parts {
            kubelet: self.kubelet.take(),
            coredns: self.coredns.take(),
            kube_proxy: self.kube_proxy.take(),
            scheduler: self.scheduler.take(),
            controller_manager: self.controller_manager.take(),
            containerd: self.containerd.take(),
            apiserver: self.apiserver.take(),
            etcd: self.etcd.take(),
            ns: self.ns.take(),
            own_wan: self.own_wan.take(),
            dir: self.dir.take(),
            cgroup: &self.cgroup,
            name: &self.name,
        }
    }
}

impl Drop for RegionCluster {
    fn drop(&mut self) {
        for left in self.stop() {
            eprintln!("--- region {}: not cleaned up: {left}", self.name);
        }
    }
}

fn gone() -> Error {
    Error::io("use a region that was stopped")(std::io::Error::other("already stopped"))
}
