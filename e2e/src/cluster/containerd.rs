//! A region's containerd: its own socket, root and state under the region's directory,
//! started inside the region's namespaces. Images come from OCI archives (`ctr image
//! import`), never from a registry. Teardown force-deletes every task, so no container or
//! shim outlives the region.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::configs;
use super::netns::Netns;
use crate::kube::command::run_ok;
use crate::kube::component::Component;
use crate::kube::{Error, Result};

/// containerd opens its socket within a second; a loaded machine may take a few.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Importing one image (a few tens of MB, unpacked into overlayfs snapshots).
const IMPORT_TIMEOUT: Duration = Duration::from_secs(120);

/// One `ctr` call during teardown.
const CTR_TIMEOUT: Duration = Duration::from_secs(30);

/// The containerd namespace the CRI plugin (and so the kubelet) uses.
pub const CRI_NAMESPACE: &str = "k8s.io";

#[derive(Debug)]
pub struct Containerd {
    process: Component,
    socket: PathBuf,
    ctr: PathBuf,
}

impl Containerd {
    /// Writes the config and the CNI network under `dir`, starts containerd in `ns`, and
    /// waits until it answers.
    pub fn start(ns: &Netns, dir: &Path, pod_subnet: &str, logs: &Path) -> Result<Containerd> {
        let containerd = super::tools::program("containerd", "containerd")?;
        let ctr = super::tools::program("ctr", "containerd")?;
        super::tools::program("runc", "runc")?;
        super::tools::program("containerd-shim-runc-v2", "containerd")?;
        let bridge = Path::new(configs::CNI_BIN_DIR).join("bridge");
        if !bridge.is_file() {
            return Err(Error::Prerequisite {
                what: format!("{} not found", bridge.display()),
                fix: "apt-get install containernetworking-plugins (or run .ci/pod-tools.sh)".into(),
            });
        }
        let cni_conf = dir.join("cni").join("net.d");
        let ipam = dir.join("cni").join("ipam");
        let own = dir.join("containerd");
        for d in [&cni_conf, &ipam, &own] {
            std::fs::create_dir_all(d).map_err(Error::io(format!("create {}", d.display())))?;
        }
        write(&cni_conf.join("10-meridian.conflist"), &configs::cni_conflist(pod_subnet, &ipam))?;
        let config = own.join("config.toml");
        write(&config, &configs::containerd_toml(&own, &cni_conf))?;
        let socket = own.join("containerd.sock");
        let args = vec![format!("--config={}", config.display())];
        let mut process = ns.spawn("containerd", &containerd, &args, logs)?;
        process.wait_ready(READY_TIMEOUT, || {
            let mut command = Command::new(&ctr);
            command.arg(format!("--address={}", socket.display())).arg("version");
            run_ok(command, None, CTR_TIMEOUT).map(drop).map_err(|e| e.to_string())
        })?;
        Ok(Containerd { process, socket, ctr })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn ctr(&self) -> Command {
        let mut command = Command::new(&self.ctr);
        command.arg(format!("--address={}", self.socket.display())).arg(format!("--namespace={CRI_NAMESPACE}"));
        command
    }

    /// Imports an OCI archive (images/build.sh) into the CRI's namespace, unpacked.
    pub fn import(&self, archive: &Path) -> Result<String> {
        let mut command = self.ctr();
        command.args(["images", "import"]).arg(archive);
        run_ok(command, None, IMPORT_TIMEOUT)
    }

    /// The names of the images containerd holds for the CRI.
    pub fn images(&self) -> Result<Vec<String>> {
        let mut command = self.ctr();
        command.args(["images", "list", "--quiet"]);
        Ok(run_ok(command, None, CTR_TIMEOUT)?.lines().map(str::to_string).collect())
    }

    /// Kills and deletes every task and container (the kubelet must be stopped first, or it
    /// starts them again). `ctr` complains about tasks that died while it deleted them, so
    /// what counts is what is still listed afterwards, which is reported.
    pub fn remove_all(&self) -> Vec<String> {
        let list = |what: &str| {
            let mut command = self.ctr();
            command.args([what, "list", "--quiet"]);
            run_ok(command, None, CTR_TIMEOUT).map(|out| out.lines().map(str::to_string).collect::<Vec<_>>())
        };
        for (what, delete) in [("tasks", &["delete", "--force"][..]), ("containers", &["delete"][..])] {
            let ids = match list(what) {
                Ok(ids) => ids,
                Err(e) => return vec![format!("list containerd {what}: {e}")],
            };
            for id in ids {
                let mut command = self.ctr();
                command.arg(what).args(delete).arg(&id);
                let _ = run_ok(command, None, CTR_TIMEOUT);
            }
            match list(what) {
                Ok(left) if left.is_empty() => {}
                Ok(left) => return vec![format!("containerd {what} left after deleting them: {left:?}")],
                Err(e) => return vec![format!("list containerd {what}: {e}")],
            }
        }
        Vec::new()
    }

    /// The pids of the shims this containerd started: they outlive it by design, so teardown
    /// finds them by the socket they were told to report to.
    pub fn shim_pids(&self) -> Vec<u32> {
        let needle = self.socket.display().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
                args.first().is_some_and(|a| a.ends_with(b"containerd-shim-runc-v2"))
                    && args.contains(&needle.as_bytes())
            })
            .collect()
    }

    pub fn log(&self) -> &Path {
        self.process.log()
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(Error::io(format!("write {}", path.display())))
}
