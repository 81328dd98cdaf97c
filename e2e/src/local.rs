//! `meridian-operator local` as a process: a manifest run on this machine, with a state
//! directory and a port range of its own per test, asked for its status as JSON, and
//! stopped the way a user stops it (`local stop`) when the guard drops, so namespaces and
//! children are cleaned up by the supervisor itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use crate::process::workspace_binary;
use crate::{Error, Result};

/// Ports per region in tests: 9 shards of up to 10 members, the syncer's two ports.
pub const STRIDE: u16 = 100;
/// How long a local database may take to be ready on a busy machine.
pub const READY: Duration = Duration::from_secs(90);

/// A port range for one instance: blocks of `4 * STRIDE` below 20000 (replication ports,
/// +10000, stay below the kernel's ephemeral range), spread by process id so parallel test
/// binaries rarely meet; a clash is caught by local mode's own "port in use" check.
pub fn port_base() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let slot = (std::process::id() as u16 % 20).wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % 25;
    10000 + slot * 4 * STRIDE
}

/// A directory of its own under the system temp dir (short: it holds a Unix socket).
pub fn state_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ml-{name}-{}", std::process::id()))
}

/// `meridian-operator local ARGS` to completion.
pub fn local(args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
    let bin = workspace_binary("meridian-operator")?;
    Command::new(&bin)
        .arg("local")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn { program: bin.display().to_string(), source })
}

/// A running local database.
pub struct LocalDb {
    pub dir: PathBuf,
    pub base: u16,
    pub manifest: PathBuf,
    child: Option<Child>,
    log: PathBuf,
}

impl LocalDb {
    /// Writes `manifest` into a fresh state directory and runs it in the foreground
    /// (output to `DIR.out`), with `extra` flags; waits until every region is ready.
    pub fn start(name: &str, manifest: &str, extra: &[&str]) -> Result<LocalDb> {
        let dir = state_dir(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::Check(format!("{}: {e}", dir.display())))?;
        let file = dir.join("input.yaml");
        std::fs::write(&file, manifest).map_err(|e| Error::Check(e.to_string()))?;
        let bin = workspace_binary("meridian-operator")?;
        let mut last = String::new();
        for _ in 0..5 {
            let base = port_base();
            let log = dir.with_extension("out");
            let out = std::fs::File::create(&log).map_err(|e| Error::Check(e.to_string()))?;
            let err = out.try_clone().map_err(|e| Error::Check(e.to_string()))?;
            let mut args: Vec<String> = vec!["local".into(), file.display().to_string()];
            args.extend(["--dir".into(), dir.display().to_string(), "--port-base".into(), base.to_string()]);
            args.extend(["--ports-per-region".into(), STRIDE.to_string()]);
            args.extend(extra.iter().map(|s| s.to_string()));
            let child = Command::new(&bin)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|source| Error::Spawn { program: bin.display().to_string(), source })?;
            let mut db = LocalDb { dir: dir.clone(), base, manifest: file.clone(), child: Some(child), log };
            match db.wait_ready(READY) {
                Ok(()) => return Ok(db),
                Err(e) if db.output().contains("is in use on") => last = e.to_string(),
                Err(e) => return Err(e),
            }
        }
        Err(Error::Check(format!("no free port range after 5 attempts: {last}")))
    }

    /// What the supervisor printed.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `local status --json`.
    pub fn status(&self) -> Result<serde_json::Value> {
        let dir = self.dir.display().to_string();
        let out = local(&["status", &dir, "--json"], &[])?;
        serde_json::from_slice(&out.stdout)
            .map_err(|e| Error::Check(format!("status: {e}: {}", String::from_utf8_lossy(&out.stderr))))
    }

    /// Waits until `local status` says ready; fails early if the supervisor exited.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        self.wait(timeout, "ready", |s| s["ready"] == true)
    }

    /// Waits until `check` holds for the status.
    pub fn wait(&mut self, timeout: Duration, what: &str, check: impl Fn(&serde_json::Value) -> bool) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut seen = serde_json::Value::Null;
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    return Err(Error::Check(format!("local mode exited ({status}):\n{}", self.output())));
                }
            }
            if let Ok(s) = self.status() {
                if check(&s) {
                    return Ok(());
                }
                seen = s;
            }
            if Instant::now() >= deadline {
                return Err(Error::Check(format!("not {what} within {timeout:?}; last status: {seen:#}")));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Stops it as a user would, and waits.
    pub fn stop(&mut self) -> Result<Output> {
        let out = local(&["stop", &self.dir.display().to_string()], &[])?;
        if let Some(mut c) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(30);
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for LocalDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- local mode's output ({}):\n{}", self.log.display(), self.output());
        }
        let _ = self.stop();
    }
}

/// Pids of every process whose command line mentions `dir` (the children name their shard
/// map file there): what a stopped or refused instance must not leave behind.
pub fn processes_using(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return vec![] };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " ").contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}
