//! A network namespace with a mount namespace of its own, held open by a `sleep` process:
//! a region's processes run inside it (through `nsenter`), so its addresses, routes, iptables
//! chains and every mount its kubelet and containerd make vanish with it, and none of them
//! ever touches the host's network.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::kube::command::run_ok;
use crate::kube::component::Component;
use crate::kube::{Error, Result};

/// `ip`, `sysctl` and the like finish in milliseconds; this bounds a hang.
const NETNS_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `unshare` may take to have its namespaces ready.
const HOLDER_TIMEOUT: Duration = Duration::from_secs(10);

/// A network + mount namespace pair. Dropping it kills the holder: the namespaces then go
/// away once the last process inside has exited (the owner kills those first).
#[derive(Debug)]
pub struct Netns {
    name: &'static str,
    holder: Component,
    nsenter: PathBuf,
    ip: PathBuf,
}

impl Netns {
    /// New namespaces named `name` (for logs), with `lo` up. The mount namespace is a slave of
    /// the host's: host mounts show inside, mounts made inside never leak out.
    pub fn create(name: &'static str, log_dir: &Path) -> Result<Netns> {
        let tool = |program: &'static str, package: &str| {
            crate::process::find_on_path(program).ok_or_else(|| Error::Prerequisite {
                what: format!("{program} not found on PATH"),
                fix: format!("apt-get install {package}"),
            })
        };
        let (unshare, nsenter, ip) =
            (tool("unshare", "util-linux")?, tool("nsenter", "util-linux")?, tool("ip", "iproute2")?);
        let sleep = tool("sleep", "coreutils")?;
        // /proc/<pid>/exe names the file itself: /bin/sleep is /usr/bin/sleep on merged /usr.
        let sleep = std::fs::canonicalize(&sleep).unwrap_or(sleep);
        let args: Vec<String> = ["--net", "--mount", "--propagation", "slave", "--"]
            .iter()
            .map(|s| s.to_string())
            .chain([sleep.display().to_string(), "infinity".into()])
            .collect();
        let mut holder = Component::spawn(name, &unshare, &args, log_dir)?;
        let own = std::fs::read_link("/proc/self/ns/net").map_err(Error::io("read /proc/self/ns/net"))?;
        let pid = holder.pid();
        let deadline = Instant::now() + HOLDER_TIMEOUT;
        // `unshare` execs `sleep` once both namespaces exist: until then the pid is still in ours.
        holder.wait_ready(HOLDER_TIMEOUT, || match std::fs::read_link(format!("/proc/{pid}/ns/net")) {
            Ok(ns) if ns != own && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == sleep) => Ok(()),
            Ok(ns) if Instant::now() < deadline => Err(format!("pid {pid} is still in {}", ns.display())),
            Ok(ns) => Err(format!("pid {pid} never left {}", ns.display())),
            Err(e) => Err(format!("/proc/{pid}/ns/net: {e}")),
        })?;
        let netns = Netns { name, holder, nsenter, ip };
        netns.ip(&["link", "set", "lo", "up"])?;
        Ok(netns)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The holder's pid: `/proc/<pid>/ns/{net,mnt}` are the namespaces.
    pub fn pid(&self) -> u32 {
        self.holder.pid()
    }

    /// A command that runs `program` inside the network namespace only (kubectl, helm).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(&self.nsenter);
        command.arg(format!("--target={}", self.pid())).arg("--net").arg("--").arg(program);
        command
    }

    /// The arguments that make `nsenter` run `program args..` in both namespaces, for
    /// long-running components (`Component::spawn(name, nsenter, ..)`).
    pub(crate) fn spawn_args(&self, program: &Path, args: &[String]) -> Vec<String> {
        let mut all = vec![format!("--target={}", self.pid()), "--net".into(), "--mount".into(), "--".into()];
        all.push(program.display().to_string());
        all.extend(args.iter().cloned());
        all
    }

    /// Starts a long-running `program args..` inside both namespaces.
    pub(crate) fn spawn(
        &self,
        name: &'static str,
        program: &Path,
        args: &[String],
        log_dir: &Path,
    ) -> Result<Component> {
        Component::spawn(name, &self.nsenter, &self.spawn_args(program, args), log_dir)
    }

    /// Runs `ip args..` inside; returns what it printed.
    pub fn ip(&self, args: &[&str]) -> Result<String> {
        let mut command = self.command(&self.ip);
        command.args(args);
        run_ok(command, None, NETNS_COMMAND_TIMEOUT)
    }

    /// Runs `program args..` inside the network namespace, under a short deadline.
    pub fn run_ok<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Result<String> {
        let mut command = self.command(program);
        command.args(args);
        run_ok(command, None, NETNS_COMMAND_TIMEOUT)
    }

    /// Sets a sysctl of this network namespace (`net.*` keys are per namespace).
    pub fn sysctl(&self, key: &str, value: &str) -> Result<()> {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let mut command = self.command("sh");
        command.args(["-c", "echo \"$1\" > \"$2\"", "sh", value, &path]);
        run_ok(command, None, NETNS_COMMAND_TIMEOUT).map(drop)
    }

    /// Runs `work` on a thread of its own that has entered this network namespace: sockets
    /// it opens (a Redis connection, an HTTP probe) stay in the namespace after it returns.
    pub fn enter<T: Send>(&self, work: impl FnOnce() -> T + Send) -> Result<T> {
        let path = format!("/proc/{}/ns/net", self.pid());
        let ns = std::fs::File::open(&path).map_err(Error::io(format!("open {path}")))?;
        std::thread::scope(|scope| {
            let thread = scope.spawn(|| {
                rustix::thread::move_into_link_name_space(ns.as_fd(), Some(rustix::thread::LinkNameSpaceType::Network))
                    .map_err(|e| Error::io(format!("enter {path}"))(e.into()))?;
                Ok(work())
            });
            // A panic inside (a failed assertion) is the caller's, not ours: pass it on.
            thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// Whether the holder still runs.
    pub fn is_running(&mut self) -> bool {
        self.holder.is_running()
    }
}
