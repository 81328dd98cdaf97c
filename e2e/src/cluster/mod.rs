//! The real-Pod tier: a real single-node Kubernetes per region on this machine — containerd
//! (Debian's, with runc and the CNI bridge), etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler, the kubelet, kube-proxy (iptables) and CoreDNS — each region inside a
//! network and mount namespace of its own, the regions joined by a "WAN" bridge the test
//! controls. Images are built locally (images/build.sh) and imported: no registry anywhere.
//!
//! The Kubernetes and CoreDNS binaries come from `.ci/pod-tools.sh`, the images from
//! images/build.sh; a missing one is an error that says which to run, never a skipped test.
//! Must run as root (namespaces, cgroups, iptables, mounts).

mod cgroups;
mod components;
mod configs;
mod containerd;
mod netns;
mod pki;
mod region;
mod regions;
mod teardown;
mod timings;
mod tools;
mod volumes;
mod wan;

pub use configs::{PAUSE_IMAGE, pod_subnet};
pub use containerd::CRI_NAMESPACE;
pub use netns::Netns;
pub use region::{COMMAND_TIMEOUT, Leftovers, RegionCluster};
pub use regions::PodRegions;
pub use timings::Timings;
pub use tools::{ImageArchives, MERIDIAN_IMAGES, PodTools};
pub use volumes::STORAGE_CLASS;
pub use wan::{Wan, wan_address};

use crate::kube::{Error, Result};

/// The workspace's version: the tag images/build.sh gives the images by default, and the
/// chart's appVersion.
pub const WORKSPACE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Fails unless this process is root: the tier makes namespaces, cgroups and mounts.
pub fn require_root() -> Result<()> {
    if rustix::process::geteuid().is_root() {
        Ok(())
    } else {
        Err(Error::Prerequisite {
            what: "the real-Pod tier must run as root".into(),
            fix: "run the tests as root (they create namespaces, cgroups, mounts and iptables rules)".into(),
        })
    }
}

/// SIGKILL to one process (never 0 or 1).
pub(crate) fn kill_pid(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().filter(|&p| p > 1).and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// A process that has exited but is not reaped yet is as good as gone.
pub(crate) fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// Runs `command` to completion, killed (with everything it started) past `timeout`: for
/// the tier's tests, which run scripts (images/build.sh) and tools (tar) under deadlines.
pub fn run_bounded(command: std::process::Command, timeout: std::time::Duration) -> Result<std::process::Output> {
    crate::kube::command::run(command, None, timeout)
}
