//! Tearing a region down so that nothing of it is left: the kubelet first (so nothing restarts
//! a container), then every container and its shim, the other processes, whatever still runs
//! in the region's cgroups or mount namespace, then the namespaces themselves (with them go
//! the addresses, the iptables chains, the Pods' network namespaces and every mount), and
//! last the directory. Each step that fails is reported, never hidden.

use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::cgroups::CgroupRoot;
use super::containerd::Containerd;
use super::netns::Netns;
use crate::kube::component::Component;

/// How long processes of the namespace may take to die once killed.
const GONE_TIMEOUT: Duration = Duration::from_secs(20);

/// A region's parts, taken out of it to be stopped in order.
pub(crate) struct Parts<'a> {
    pub kubelet: Option<Component>,
    pub coredns: Option<Component>,
    pub kube_proxy: Option<Component>,
    pub scheduler: Option<Component>,
    pub controller_manager: Option<Component>,
    pub containerd: Option<Containerd>,
    pub apiserver: Option<Component>,
    pub etcd: Option<Component>,
    pub ns: Option<Netns>,
    pub own_wan: Option<super::Wan>,
    pub dir: Option<TempDir>,
    pub cgroup: &'a CgroupRoot,
    pub name: &'a str,
}

pub(crate) fn stop(region: &mut super::RegionCluster) -> Vec<String> {
    let Parts {
        kubelet,
        coredns,
        kube_proxy,
        scheduler,
        controller_manager,
        containerd,
        apiserver,
        etcd,
        ns,
        own_wan,
        dir,
        cgroup,
        name,
    } = region.parts();
    let mut left = Vec::new();
    drop(kubelet);
    let shims = match &containerd {
        Some(containerd) => {
            let log = containerd.log().display().to_string();
            left.extend(containerd.remove_all().into_iter().map(|l| format!("{l} (containerd's log: {log})")));
            containerd.shim_pids()
        }
        None => Vec::new(),
    };
    drop((coredns, kube_proxy, scheduler, controller_manager, apiserver, etcd));
    drop(containerd);
    for pid in shims {
        super::kill_pid(pid);
    }
    left.extend(cgroup.kill_and_remove());
    if let Some(ns) = ns {
        left.extend(kill_namespace_members(&ns));
        let mnt = std::fs::read_link(format!("/proc/{}/ns/mnt", ns.pid())).ok();
        drop(ns);
        if let Some(pids) = mnt.and_then(|mnt| wait_gone(|| members(&mnt))) {
            left.push(format!("processes {pids:?} still in the region's mount namespace"));
        }
    }
    drop(own_wan);
    if let Some(dir) = dir {
        if std::thread::panicking() {
            eprintln!("--- region {name}'s files (logs, certificates, kubeconfigs) kept in {}", dir.keep().display());
        } else if let Err(e) = dir.close() {
            left.push(format!("remove the region's directory: {e}"));
        }
    }
    left
}

/// Kills every process but the holder in the namespace's mount namespace (where every region
/// process runs), and waits for them to go.
fn kill_namespace_members(ns: &Netns) -> Vec<String> {
    let Ok(mnt) = std::fs::read_link(format!("/proc/{}/ns/mnt", ns.pid())) else {
        return vec!["read the region's mount namespace".into()];
    };
    let holder = ns.pid();
    let others = || members(&mnt).into_iter().filter(|&p| p != holder).collect::<Vec<_>>();
    for pid in others() {
        super::kill_pid(pid);
    }
    match wait_gone(others) {
        Some(pids) => vec![format!("processes {pids:?} survived SIGKILL in the region's namespaces")],
        None => Vec::new(),
    }
}

/// The processes whose mount namespace is `mnt`.
fn members(mnt: &std::path::Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).is_ok_and(|m| m == mnt))
        .filter(|pid| !super::is_zombie(*pid))
        .collect()
}

/// Waits until `list` is empty; `Some(last)` if it never was.
fn wait_gone(list: impl Fn() -> Vec<u32>) -> Option<Vec<u32>> {
    let deadline = Instant::now() + GONE_TIMEOUT;
    loop {
        let pids = list();
        if pids.is_empty() {
            return None;
        }
        if Instant::now() >= deadline {
            return Some(pids);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
