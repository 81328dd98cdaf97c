//! `--netns`: every region as a host of its own. Each region runs in a Linux network
//! namespace with a veth pair to a shared bridge, the "WAN", and an address of its own, so
//! traffic between regions crosses a real interface that can be cut and slowed:
//!
//! * `cut` adds blackhole routes between the region's address and every other region's, in
//!   both namespaces: inter-region packets are dropped both ways, while this host (the
//!   bridge's own address) still reaches the region, so a user can keep writing on both sides
//!   of the partition. `heal` removes them.
//! * `--wan-delay` puts a `tc netem` delay on each region's WAN interface (egress), so a
//!   round trip between two regions costs twice the delay.
//!
//! Names are derived from the state directory, so two instances never share a namespace and a
//! rerun after a crash finds (and first removes) its own leftovers. Everything is done with
//! `ip` and `tc` (iproute2), bounded in time; it needs root.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `ip`/`tc` command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// A region's WAN interface, inside its namespace.
pub const WAN_IF: &str = "wan0";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetnsError {
    #[error("--netns needs root (it creates network namespaces and interfaces): run it with sudo, or without --netns")]
    NotRoot,
    #[error("--netns needs `{0}` (iproute2): apt-get install iproute2")]
    Missing(&'static str),
    #[error("`{command}` failed: {message}")]
    Failed { command: String, message: String },
    #[error("`{command}` did not finish within {COMMAND_TIMEOUT:?}")]
    Timeout { command: String },
    #[error(
        "this kernel has no netem queueing discipline (sch_netem), so --wan-delay cannot slow the WAN; run without it"
    )]
    NoNetem,
}

/// The names and addresses of one instance's WAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wan {
    /// Six hex digits from the state directory's path.
    tag: String,
    /// The third byte of the WAN's /24 in 10.213.0.0/16.
    subnet: u8,
}

impl Wan {
    pub fn for_dir(dir: &Path) -> Wan {
        // FNV-1a: stable across builds, unlike std's hasher, so `local cut` run by another
        // build of the binary finds the same names.
        let hash = dir
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
        Wan { tag: format!("{:06x}", hash & 0xff_ffff), subnet: (hash >> 24) as u8 }
    }

    pub fn namespace(&self, region: u8) -> String {
        format!("meridian-{}-{region}", self.tag)
    }

    /// Interface names must fit 15 bytes.
    pub fn bridge(&self) -> String {
        format!("mrd{}", self.tag)
    }

    fn host_veth(&self, region: u8) -> String {
        format!("mrd{}r{region}", self.tag)
    }

    pub fn region_ip(&self, region: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 213, self.subnet, region)
    }

    pub fn host_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 213, self.subnet, 254)
    }

    /// Checks that this can work before anything is created.
    pub fn preflight(&self, delay: Option<Duration>) -> Result<(), NetnsError> {
        if !rustix::process::geteuid().is_root() {
            return Err(NetnsError::NotRoot);
        }
        if super::child::find_on_path("ip").is_none() {
            return Err(NetnsError::Missing("ip"));
        }
        if delay.is_some() && super::child::find_on_path("tc").is_none() {
            return Err(NetnsError::Missing("tc"));
        }
        Ok(())
    }

    /// Creates the bridge, after removing what a killed instance may have left.
    pub fn create(&self) -> Result<WanGuard, NetnsError> {
        let bridge = self.bridge();
        let _ = ip(&["link", "del", &bridge]);
        let guard = WanGuard { bridge: bridge.clone() };
        ip(&["link", "add", &bridge, "type", "bridge"])?;
        ip(&["addr", "add", &format!("{}/24", self.host_ip()), "dev", &bridge])?;
        ip(&["link", "set", &bridge, "up"])?;
        Ok(guard)
    }

    /// Creates region `id`'s namespace, wired to the bridge, with its address.
    pub fn add_region(&self, id: u8, delay: Option<Duration>) -> Result<RegionGuard, NetnsError> {
        let ns = self.namespace(id);
        let _ = ip(&["netns", "del", &ns]);
        ip(&["netns", "add", &ns])?;
        let guard = RegionGuard { namespace: ns.clone() };
        let veth = self.host_veth(id);
        ip(&["link", "add", &veth, "type", "veth", "peer", "name", WAN_IF, "netns", &ns])?;
        ip(&["link", "set", &veth, "master", &self.bridge(), "up"])?;
        ip(&["-n", &ns, "addr", "add", &format!("{}/24", self.region_ip(id)), "dev", WAN_IF])?;
        ip(&["-n", &ns, "link", "set", WAN_IF, "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        if let Some(delay) = delay {
            let ms = format!("{}ms", delay.as_millis());
            run(&["ip", "netns", "exec", &ns, "tc", "qdisc", "replace", "dev", WAN_IF, "root", "netem", "delay", &ms])
                .map_err(|e| match e {
                    NetnsError::Failed { message, .. } if message.contains("qdisc kind is unknown") => {
                        NetnsError::NoNetem
                    }
                    e => e,
                })?;
        }
        Ok(guard)
    }

    /// Cuts (`up == false`) or heals the links between region `id` and `others`.
    pub fn set_link(&self, id: u8, others: &[u8], up: bool) -> Result<(), NetnsError> {
        for other in others.iter().copied().filter(|o| *o != id) {
            for (from, to) in [(id, other), (other, id)] {
                let ns = self.namespace(from);
                let dest = format!("{}/32", self.region_ip(to));
                if up {
                    // Already gone is fine: heal is idempotent.
                    match ip(&["-n", &ns, "route", "del", "blackhole", &dest]) {
                        Err(NetnsError::Failed { message, .. }) if message.contains("No such process") => {}
                        r => r?,
                    }
                } else {
                    ip(&["-n", &ns, "route", "replace", "blackhole", &dest])?;
                }
            }
        }
        Ok(())
    }
}

/// Removes the bridge when dropped.
#[derive(Debug)]
pub struct WanGuard {
    bridge: String,
}

impl Drop for WanGuard {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.bridge]);
    }
}

/// Removes a region's namespace (and with it both ends of its veth) when dropped.
#[derive(Debug)]
pub struct RegionGuard {
    namespace: String,
}

impl RegionGuard {
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl Drop for RegionGuard {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.namespace]);
    }
}

fn ip(args: &[&str]) -> Result<(), NetnsError> {
    let mut argv = vec!["ip"];
    argv.extend_from_slice(args);
    run(&argv)
}

/// Runs a command to completion within `COMMAND_TIMEOUT`; its stderr is the error.
fn run(argv: &[&str]) -> Result<(), NetnsError> {
    let command = argv.join(" ");
    let failed = |message: String| NetnsError::Failed { command: command.clone(), message };
    let Some((program, args)) = argv.split_first() else { return Err(failed("empty command".into())) };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(NetnsError::Timeout { command });
            }
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        use std::io::Read;
        let _ = err.by_ref().take(4096).read_to_string(&mut stderr);
    }
    Err(failed(stderr.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_per_directory_and_fit_interface_limits() {
        let a = Wan::for_dir(Path::new("/tmp/meridian-cache"));
        assert_eq!(a, Wan::for_dir(Path::new("/tmp/meridian-cache")));
        assert_ne!(a.bridge(), Wan::for_dir(Path::new("/tmp/meridian-other")).bridge());
        assert!(a.bridge().len() <= 15 && a.host_veth(31).len() <= 15, "{}", a.host_veth(31));
        assert_eq!(a.region_ip(3).octets()[3], 3);
        assert_eq!(a.host_ip().octets()[3], 254);
        assert_eq!(a.region_ip(3).octets()[..3], a.host_ip().octets()[..3]);
        assert!(a.namespace(2).starts_with("meridian-") && a.namespace(2).ends_with("-2"));
    }
}
