//! One supervised child process (a datanode or a syncer): started with its output appended
//! to its log, restarted with a backoff when it dies, and stopped — SIGTERM, a bounded wait,
//! then SIGKILL — when its guard drops, so no path out of the supervisor leaves it behind.
//!
//! Children run in their own process group, so a Ctrl-C at the terminal reaches only the
//! supervisor, which stops them in order. They are started through `setpriv --pdeathsig
//! KILL` (util-linux), so that even a supervisor killed with SIGKILL, which runs no
//! destructor, takes its children with it. The parent-death signal follows the *thread* that
//! spawned the child: the supervisor spawns from its main thread only (a current-thread
//! runtime), which lives as long as the process.

use std::fs::OpenOptions;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use rustix::process::{Pid, Signal, kill_process};

/// How long a child may take to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// The first restart delay; it doubles for each quick death in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that ran this long before it died was healthy: its backoff starts over.
const HEALTHY_RUN: Duration = Duration::from_secs(10);
/// How often a stopping child is looked at.
const POLL: Duration = Duration::from_millis(20);

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// `datanode-s0-1`, `syncer`: unique within the region.
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub log: PathBuf,
    /// The network namespace to run in (`--netns`).
    pub netns: Option<String>,
}

/// A supervised child. Dropping it stops the process.
#[derive(Debug)]
pub struct Child {
    pub spec: Spec,
    process: Option<std::process::Child>,
    started: Option<Instant>,
    /// Deaths since the supervisor started it.
    pub restarts: u32,
    /// Quick deaths in a row: the backoff's exponent.
    quick_deaths: u32,
    pub last_exit: Option<String>,
    /// When it died (or was found dead), while it is down.
    pub down_since: Option<Timestamp>,
    next_start: Option<Instant>,
}

impl Child {
    /// A child not started yet.
    pub fn new(spec: Spec) -> Child {
        Child {
            spec,
            process: None,
            started: None,
            restarts: 0,
            quick_deaths: 0,
            last_exit: None,
            down_since: None,
            next_start: None,
        }
    }

    /// Starts the process. A failure to spawn (binary gone, log unwritable) is an error
    /// here; a process that starts and dies at once is seen by `reap`.
    pub fn start(&mut self) -> std::io::Result<()> {
        if self.process.is_some() {
            return Ok(());
        }
        let log = OpenOptions::new().create(true).append(true).open(&self.spec.log)?;
        let err = log.try_clone()?;
        let mut command = wrapped(&self.spec);
        command.stdin(Stdio::null()).stdout(log).stderr(err).process_group(0);
        let process = command.spawn()?;
        self.process = Some(process);
        self.started = Some(Instant::now());
        self.next_start = None;
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.id())
    }

    pub fn running(&self) -> bool {
        self.process.is_some()
    }

    /// Notices a death: records why, when, and when to start again. True if it just died.
    pub fn reap(&mut self) -> bool {
        let Some(process) = self.process.as_mut() else { return false };
        let status = match process.try_wait() {
            Ok(Some(status)) => status,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(child = %self.spec.name, error = %e, "cannot wait for child");
                return false;
            }
        };
        self.process = None;
        let ran = self.started.take().map(|s| s.elapsed()).unwrap_or_default();
        self.quick_deaths = if ran >= HEALTHY_RUN { 0 } else { self.quick_deaths.saturating_add(1) };
        let delay = FIRST_BACKOFF.saturating_mul(1 << self.quick_deaths.min(8).saturating_sub(1)).min(MAX_BACKOFF);
        self.next_start = Some(Instant::now() + delay);
        self.restarts = self.restarts.saturating_add(1);
        self.last_exit = Some(describe(status));
        self.down_since.get_or_insert_with(Timestamp::now);
        true
    }

    /// Dead, and its backoff has passed.
    pub fn due(&self, now: Instant) -> bool {
        self.process.is_none() && self.next_start.is_none_or(|t| now >= t)
    }

    /// Sends SIGTERM (no wait).
    pub fn terminate(&self) {
        self.signal(Signal::TERM);
    }

    fn signal(&self, signal: Signal) {
        let Some(pid) = self.pid().and_then(|p| i32::try_from(p).ok()).and_then(Pid::from_raw) else { return };
        let _ = kill_process(pid, signal);
    }

    /// Stops the process and waits for it: SIGTERM, then SIGKILL after `timeout`.
    pub fn stop(&mut self, timeout: Duration) {
        stop_all(vec![self], timeout);
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop(STOP_TIMEOUT);
    }
}

/// Stops every child at once (so N children take one timeout, not N), then reaps them.
pub fn stop_all(mut children: Vec<&mut Child>, timeout: Duration) {
    for c in children.iter() {
        c.terminate();
    }
    let deadline = Instant::now() + timeout;
    loop {
        let mut alive = false;
        for c in children.iter_mut() {
            if let Some(p) = c.process.as_mut() {
                match p.try_wait() {
                    Ok(None) => alive = true,
                    _ => c.process = None,
                }
            }
        }
        if !alive {
            return;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(POLL);
    }
    for c in children.iter_mut() {
        if let Some(mut p) = c.process.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// The command line that runs `spec`: in its namespace, and dying with the supervisor.
fn wrapped(spec: &Spec) -> Command {
    let mut argv: Vec<std::ffi::OsString> = vec![];
    if let Some(ns) = &spec.netns {
        argv.extend(["ip".into(), "netns".into(), "exec".into(), ns.into()]);
    }
    if let Some(setpriv) = setpriv() {
        argv.extend([setpriv.as_os_str().to_owned(), "--pdeathsig".into(), "KILL".into()]);
    }
    argv.push(spec.program.as_os_str().to_owned());
    argv.extend(spec.args.iter().map(Into::into));
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    command
}

/// `setpriv` from util-linux, when present.
fn setpriv() -> Option<&'static Path> {
    static SETPRIV: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    SETPRIV.get_or_init(|| find_on_path("setpriv")).as_deref()
}

pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: &str, args: &[&str]) -> Spec {
        Spec {
            name: "t".into(),
            program: find_on_path(program).unwrap(),
            args: args.iter().map(|s| s.to_string()).collect(),
            log: std::env::temp_dir().join(format!("meridian-child-{}.log", std::process::id())),
            netns: None,
        }
    }

    fn alive(pid: u32) -> bool {
        // A zombie is reaped by `stop`; anything still in /proc after it is a leak.
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    fn a_dropped_child_is_gone_even_if_it_ignores_sigterm() {
        let mut c = Child::new(spec("sh", &["-c", "trap '' TERM; sleep 30"]));
        c.start().unwrap();
        let pid = c.pid().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        stop_all(vec![&mut c], Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(!alive(pid), "pid {pid} survived");
    }

    #[test]
    fn a_death_is_recorded_and_restarts_back_off() {
        let mut c = Child::new(spec("sh", &["-c", "exit 3"]));
        c.start().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !c.reap() {
            assert!(Instant::now() < deadline, "the child did not exit");
            std::thread::sleep(POLL);
        }
        assert_eq!(c.last_exit.as_deref(), Some("exited with code 3"));
        assert_eq!(c.restarts, 1);
        assert!(c.down_since.is_some());
        assert!(!c.due(Instant::now()), "restarted without a backoff");
        assert!(c.due(Instant::now() + FIRST_BACKOFF));
    }
}
