//! One supervised child process (a datanode or a syncer): started with its output appended
//! to its log, restarted with a backoff when it dies, and stopped — SIGTERM, a bounded wait,
//! then SIGKILL — when its guard drops, so no path out of the supervisor leaves it behind.
//!
//! Children run in their own process group, so a Ctrl-C at the terminal reaches only the
//! supervisor, which stops them in order. A supervisor killed with SIGKILL leaves them
//! running, as a Kubernetes node keeps its Pods when the control plane dies: the state
//! directory records each child's pid and start time (`record`), and the next `local` run on
//! that directory *adopts* the live ones (`Child::adopt`) instead of starting empty
//! datanodes. An adopted child is not this process's child: its death is seen in `/proc`
//! (its exit status is unknown), and every signal to it first checks that its pid still
//! names the process that was recorded.

use std::fs::OpenOptions;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
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

/// Tells one process apart from a later one that reuses its pid: the pid and the process's
/// start time (clock ticks since boot, `/proc/PID/stat` field 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub pid: u32,
    pub start: u64,
}

impl Identity {
    /// The process `pid` is now, if it runs (a zombie does not).
    pub fn of(pid: u32) -> Option<Identity> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(pid, &stat)
    }

    /// Whether the recorded process still runs (its pid was not reused).
    pub fn alive(&self) -> bool {
        Identity::of(self.pid) == Some(*self)
    }

    fn signal(&self, signal: Signal) {
        if !self.alive() {
            return;
        }
        if let Some(pid) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, signal);
        }
    }
}

/// `/proc/PID/stat`: "pid (comm) S ppid ... starttime ...". The command may hold spaces and
/// parentheses, so the fields are counted from the last `)`: the state is field 3 and the
/// start time field 22.
fn parse_stat(pid: u32, stat: &str) -> Option<Identity> {
    let (_, rest) = stat.rsplit_once(") ")?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?;
    if state.starts_with(['Z', 'X', 'x']) {
        return None;
    }
    let start = fields.nth(18)?.parse().ok()?;
    Some(Identity { pid, start })
}

/// The process behind a child: one this supervisor spawned (and waits for), or one a killed
/// supervisor left running that this one adopted.
#[derive(Debug)]
enum Process {
    Spawned { process: std::process::Child, identity: Option<Identity> },
    Adopted(Identity),
}

impl Process {
    fn pid(&self) -> u32 {
        match self {
            Process::Spawned { process, .. } => process.id(),
            Process::Adopted(id) => id.pid,
        }
    }

    /// `Some(description)` once it has exited.
    fn exited(&mut self) -> Option<String> {
        match self {
            Process::Spawned { process, .. } => match process.try_wait() {
                Ok(Some(status)) => Some(describe(status)),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(pid = process.id(), error = %e, "cannot wait for child");
                    None
                }
            },
            Process::Adopted(id) => (!id.alive()).then(|| "exited (adopted: exit status unknown)".to_string()),
        }
    }

    fn signal(&self, signal: Signal) {
        match self {
            Process::Spawned { process, .. } => {
                if let Some(pid) = i32::try_from(process.id()).ok().and_then(Pid::from_raw) {
                    let _ = kill_process(pid, signal);
                }
            }
            Process::Adopted(id) => id.signal(signal),
        }
    }

    /// SIGKILL and reap (an adopted process is reaped by whoever inherited it).
    fn kill(self) {
        match self {
            Process::Spawned { mut process, .. } => {
                let _ = process.kill();
                let _ = process.wait();
            }
            Process::Adopted(id) => id.signal(Signal::KILL),
        }
    }
}

/// A supervised child. Dropping it stops the process.
#[derive(Debug)]
pub struct Child {
    pub spec: Spec,
    process: Option<Process>,
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

    /// A child a killed supervisor left running, found alive as `identity`.
    pub fn adopt(spec: Spec, identity: Identity) -> Child {
        let mut c = Child::new(spec);
        c.process = Some(Process::Adopted(identity));
        c.started = Some(Instant::now());
        c
    }

    /// A recorded child found dead when a supervisor took over: down since now, due at once.
    pub fn found_dead(spec: Spec) -> Child {
        let mut c = Child::new(spec);
        c.restarts = 1;
        c.last_exit = Some("died while no supervisor ran".into());
        c.down_since = Some(Timestamp::now());
        c
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
        let identity = Identity::of(process.id());
        self.process = Some(Process::Spawned { process, identity });
        self.started = Some(Instant::now());
        self.next_start = None;
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Process::pid)
    }

    /// What the state directory records to adopt it later (`None` before it runs, or if it
    /// died before its start time could be read).
    pub fn identity(&self) -> Option<Identity> {
        match self.process.as_ref()? {
            Process::Spawned { identity, .. } => *identity,
            Process::Adopted(id) => Some(*id),
        }
    }

    /// Whether it was adopted from a killed supervisor.
    pub fn adopted(&self) -> bool {
        matches!(self.process, Some(Process::Adopted(_)))
    }

    pub fn running(&self) -> bool {
        self.process.is_some()
    }

    /// Notices a death: records why, when, and when to start again. True if it just died.
    pub fn reap(&mut self) -> bool {
        let Some(process) = self.process.as_mut() else { return false };
        let Some(exit) = process.exited() else { return false };
        self.process = None;
        let ran = self.started.take().map(|s| s.elapsed()).unwrap_or_default();
        self.quick_deaths = if ran >= HEALTHY_RUN { 0 } else { self.quick_deaths.saturating_add(1) };
        let delay = FIRST_BACKOFF.saturating_mul(1 << self.quick_deaths.min(8).saturating_sub(1)).min(MAX_BACKOFF);
        self.next_start = Some(Instant::now() + delay);
        self.restarts = self.restarts.saturating_add(1);
        self.last_exit = Some(exit);
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
        if let Some(p) = &self.process {
            p.signal(signal);
        }
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
                match p.exited() {
                    None => alive = true,
                    Some(_) => c.process = None,
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
        if let Some(p) = c.process.take() {
            p.kill();
        }
    }
}

/// Stops processes this supervisor did not start (a killed supervisor's): SIGTERM, then
/// SIGKILL to those still running after `timeout`. Each signal first checks the identity.
pub fn stop_identities(ids: &[Identity], timeout: Duration) {
    for id in ids {
        id.signal(Signal::TERM);
    }
    let deadline = Instant::now() + timeout;
    while ids.iter().any(Identity::alive) && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
    for id in ids {
        id.signal(Signal::KILL);
    }
    let deadline = Instant::now() + timeout;
    while ids.iter().any(Identity::alive) && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
}

/// The command line that runs `spec`, in its namespace (`ip netns exec` execs the program,
/// so the pid is the program's).
fn wrapped(spec: &Spec) -> Command {
    let mut argv: Vec<std::ffi::OsString> = vec![];
    if let Some(ns) = &spec.netns {
        argv.extend(["ip".into(), "netns".into(), "exec".into(), ns.into()]);
    }
    argv.push(spec.program.as_os_str().to_owned());
    argv.extend(spec.args.iter().map(Into::into));
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    command
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
    fn the_start_time_is_read_past_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(4242, stat), Some(Identity { pid: 4242, start: 987654 }));
        assert_eq!(parse_stat(4242, &stat.replace(") S ", ") Z ")), None, "a zombie does not run");
        assert_eq!(parse_stat(4242, "4242 (a) S 1"), None);
    }

    #[test]
    fn an_adopted_child_is_watched_through_proc_and_stopped_by_identity() {
        // A process this test did not start as a `Child`: as a killed supervisor's would be.
        let mut other = Command::new("sleep").arg("30").spawn().unwrap();
        let id = Identity::of(other.id()).unwrap();
        let mut c = Child::adopt(spec("sleep", &["30"]), id);
        assert!(c.adopted() && c.running() && !c.reap());
        assert_eq!((c.pid(), c.identity()), (Some(id.pid), Some(id)));
        // Stopping it signals the recorded process; its parent (here, the test) reaps it.
        let waiter = std::thread::spawn(move || other.wait().unwrap());
        stop_all(vec![&mut c], Duration::from_secs(3));
        assert!(!waiter.join().unwrap().success());
        assert!(!id.alive() && !c.running());
        // Once gone, the same pid with another start time is never signalled.
        Identity { pid: std::process::id(), start: 1 }.signal(Signal::TERM);
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
