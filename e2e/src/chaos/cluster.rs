//! The database under test: `meridian-operator local FILE --netns --detach` on a state
//! directory of the run's own, driven the way a user drives it (`local status --json`,
//! `local cut/heal`, `local stop`), with its processes killed by pid. Dropping it stops local
//! mode, then removes whatever a killed supervisor left behind (its namespaces, its bridge,
//! processes that still name its directory) and says so.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use meridian_operator::local::netns::Wan;
use meridian_operator::local::snapshot::{RegionView, Snapshot};

use crate::local::{local, processes_using};
use crate::{Error, Result};

/// How long `local ... --detach` may take to report ready.
const READY_TIMEOUT_S: u64 = 120;
/// How often a wait looks at the status.
const POLL: Duration = Duration::from_millis(250);

pub struct ChaosDb {
    pub dir: PathBuf,
    pub manifest: PathBuf,
    wan: Wan,
    region_ids: Vec<u8>,
    stopped: bool,
}

fn check(out: &Output, what: &str) -> Result<()> {
    if out.status.success() {
        return Ok(());
    }
    Err(Error::Check(format!(
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

impl ChaosDb {
    /// A fresh state directory `dir` with `manifest` in it, run with `--netns --detach`.
    pub fn start(dir: &Path, manifest: &str) -> Result<ChaosDb> {
        let dir = std::path::absolute(dir).map_err(|e| Error::Check(format!("{}: {e}", dir.display())))?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::Check(format!("{}: {e}", dir.display())))?;
        let file = dir.join("input.yaml");
        std::fs::write(&file, manifest).map_err(|e| Error::Check(format!("{}: {e}", file.display())))?;
        let mut db = ChaosDb { wan: Wan::for_dir(&dir), dir, manifest: file, region_ids: vec![], stopped: false };
        check(&db.up()?, "local --netns --detach")?;
        db.region_ids = db.status()?.regions.iter().map(|r| r.id).collect();
        Ok(db)
    }

    /// `local FILE --dir DIR --netns --detach`: what starts it, and starts it again on the
    /// same directory after its supervisor died.
    pub fn up(&self) -> Result<Output> {
        let file = self.manifest.display().to_string();
        let dir = self.dir.display().to_string();
        let timeout = READY_TIMEOUT_S.to_string();
        local(&[&file, "--dir", &dir, "--netns", "--detach", "--ready-timeout", &timeout], &[])
    }

    pub fn status(&self) -> Result<Snapshot> {
        let dir = self.dir.display().to_string();
        let out = local(&["status", &dir, "--json"], &[])?;
        serde_json::from_slice(&out.stdout)
            .map_err(|e| Error::Check(format!("local status: {e}: {}", String::from_utf8_lossy(&out.stderr).trim())))
    }

    /// Waits until `done` holds for the status; the last status seen is in the error.
    pub fn wait(&self, timeout: Duration, what: &str, done: impl Fn(&Snapshot) -> bool) -> Result<Snapshot> {
        let deadline = Instant::now() + timeout;
        let mut last;
        loop {
            match self.status() {
                Ok(s) if done(&s) => return Ok(s),
                Ok(s) => last = summary(&s),
                Err(e) => last = e.to_string(),
            }
            if Instant::now() >= deadline {
                return Err(Error::Check(format!("{what}: not within {timeout:?}; last status:\n{last}")));
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn cut(&self, region: &str) -> Result<()> {
        let dir = self.dir.display().to_string();
        check(&local(&["cut", region, "--dir", &dir], &[])?, "local cut")
    }

    pub fn heal(&self, region: &str) -> Result<()> {
        let dir = self.dir.display().to_string();
        check(&local(&["heal", region, "--dir", &dir], &[])?, "local heal")
    }

    /// Region `id`'s network namespace.
    pub fn namespace(&self, id: u8) -> String {
        self.wan.namespace(id)
    }

    /// `local stop`.
    pub fn stop(&mut self) -> Result<()> {
        self.stopped = true;
        check(&local(&["stop", &self.dir.display().to_string()], &[])?, "local stop")
    }

    /// What is left of this instance: processes naming its directory, its namespaces, its
    /// bridge.
    pub fn leftovers(&self) -> Vec<String> {
        let mut left: Vec<String> = processes_using(&self.dir).iter().map(|p| format!("process {p}")).collect();
        let namespaces = crate::chaos::faults::run_tool(&["ip", "netns", "list"]).unwrap_or_default();
        for id in &self.region_ids {
            let ns = self.namespace(*id);
            if namespaces.split_whitespace().any(|n| n == ns) {
                left.push(format!("network namespace {ns}"));
            }
        }
        if crate::chaos::faults::run_tool(&["ip", "link", "show", &self.wan.bridge()]).is_ok() {
            left.push(format!("bridge {}", self.wan.bridge()));
        }
        left
    }

    /// Removes what `leftovers` lists (all of it this instance's own).
    fn clean_up(&self) {
        for pid in processes_using(&self.dir) {
            if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        for id in &self.region_ids {
            let _ = crate::chaos::faults::run_tool(&["ip", "netns", "del", &self.namespace(*id)]);
        }
        let _ = crate::chaos::faults::run_tool(&["ip", "link", "del", &self.wan.bridge()]);
    }
}

impl Drop for ChaosDb {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.stop();
        }
        let left = self.leftovers();
        if !left.is_empty() {
            eprintln!("chaos: removing what local mode left behind: {}", left.join(", "));
            self.clean_up();
        }
    }
}

/// Region `name` in a status.
pub fn region<'a>(s: &'a Snapshot, name: &str) -> Option<&'a RegionView> {
    s.regions.iter().find(|r| r.name == name)
}

/// A few lines on what is not ready.
pub fn summary(s: &Snapshot) -> String {
    let mut lines = vec![format!("ready: {}", s.ready)];
    for r in &s.regions {
        let shards: Vec<String> = r
            .shards
            .iter()
            .map(|sh| {
                let roles: Vec<String> =
                    sh.members.iter().map(|m| format!("{}{}", m.role, if m.link_up { "+" } else { "" })).collect();
                format!("shard {} {} [{}]", sh.index, sh.state, roles.join(" "))
            })
            .collect();
        let peers: Vec<String> = r.peers.iter().map(|p| format!("{}={}", p.region, p.state)).collect();
        lines.push(format!("  {} ready={} {} peers {}", r.name, r.ready, shards.join(", "), peers.join(" ")));
    }
    lines.extend(s.events.iter().rev().take(6).rev().map(|e| format!("  event: {e}")));
    lines.join("\n")
}
