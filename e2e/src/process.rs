//! Server processes: spawned on a free loopback port, killed when their guard drops.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Error, READY_TIMEOUT, Result};

/// Attempts at starting a server: another process may take the port between `free_port`
/// and the server's bind.
const START_ATTEMPTS: usize = 3;

/// Lines of a server's output shown when a test panics while the server runs.
const LOG_TAIL_LINES: usize = 30;

/// A running server. Dropping it kills the process and waits for it, so no test leaves one behind.
#[derive(Debug)]
pub struct Process {
    child: Child,
    name: String,
    port: u16,
    log: PathBuf,
}

impl Process {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Spawns `program args.. <port args>` on a free port and waits until it answers PING.
    fn start(name: &str, program: &Path, args: impl Fn(u16) -> Vec<String>) -> Result<Process> {
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            match Process::start_at(name, program, port, args(port)) {
                Ok(process) => return Ok(process),
                // Most likely the port was taken after we probed it: try another one.
                Err(e @ Error::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(Error::NoFreePort { source: std::io::Error::other("no attempt made") }))
    }

    /// Spawns `program args..`, which must listen on `port`, and waits until it answers PING.
    fn start_at(name: &str, program: &Path, port: u16, args: Vec<String>) -> Result<Process> {
        let log = std::env::temp_dir().join(format!("meridian-e2e-{name}-{port}-{}.log", std::process::id()));
        let out =
            File::create(&log).map_err(|source| Error::Spawn { program: program.display().to_string(), source })?;
        let err = out.try_clone().map_err(|source| Error::Spawn { program: program.display().to_string(), source })?;
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| Error::Spawn { program: program.display().to_string(), source })?;
        let mut process = Process { child, name: name.to_string(), port, log };
        process.wait_ready()?;
        Ok(process)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::Exited { name: self.name.clone(), port: self.port, status, output: self.output() });
            }
            if ping(self.port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::NotReady { name: self.name.clone(), port: self.port, timeout: READY_TIMEOUT });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let output = self.output();
            let lines: Vec<&str> = output.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
            eprintln!("--- last lines of {} (port {}), full log in {}:", self.name, self.port, self.log.display());
            for line in tail {
                eprintln!("{line}");
            }
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A loopback port that nothing listens on right now, and that this process has not handed
/// out before (tests in one binary run in parallel). It is taken from 10000-19999, below the
/// kernel's ephemeral range (32768 and up here), because a port from that range can become
/// the source port of any outgoing connection on the machine between this probe and the
/// child's bind ("Address already in use"), and above well-known ports; `free_port_pair`
/// hands out 20000 and up.
pub fn free_port() -> Result<u16> {
    const FIRST: u16 = 10000;
    const COUNT: u16 = 10000;
    static NEXT: Mutex<Option<u16>> = Mutex::new(None);
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    // Parallel test binaries start at different offsets.
    let offset = next.get_or_insert_with(|| (std::process::id() % u32::from(COUNT)) as u16);
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let handed = handed.get_or_insert_with(HashSet::new);
    for _ in 0..COUNT {
        let port = FIRST + *offset;
        *offset = (*offset + 1) % COUNT;
        if handed.contains(&port) || TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        handed.insert(port);
        return Ok(port);
    }
    Err(Error::NoFreePort { source: std::io::Error::other("every port of 10000-19999 is in use or handed out") })
}

/// One PING over a fresh connection; true if the answer was `+PONG`.
fn ping(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    stream.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Waits until a server on `port` answers PING, for at most `READY_TIMEOUT`.
pub fn wait_ready(port: u16) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while !ping(port) {
        if Instant::now() >= deadline {
            return Err(Error::NotReady { name: "server".into(), port, timeout: READY_TIMEOUT });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Where the datanode binary is: `MERIDIAN_DATANODE_BIN`, or next to this test executable's
/// profile directory (`target/<profile>/deps/..`), or `<workspace>/target/debug`.
pub fn datanode_binary() -> Result<PathBuf> {
    workspace_binary("meridian-datanode")
}

/// Starts `meridian-datanode --port <free> --bind 127.0.0.1` and waits until it answers PING.
pub fn start_datanode() -> Result<Process> {
    let bin = datanode_binary()?;
    let repl_port = free_port()?;
    Process::start("meridian-datanode", &bin, |port| {
        let mut args = vec!["--port".into(), port.to_string(), "--bind".into(), "127.0.0.1".into()];
        args.extend(["--repl-port".into(), repl_port.to_string()]);
        args
    })
}

/// Starts `meridian-datanode --port <port> --bind 127.0.0.1 <extra..>` on a port chosen
/// beforehand (a shard map names every node's port before any of them starts) and waits
/// until it answers PING. A port taken meanwhile fails with `Error::Exited`.
pub fn start_datanode_at(port: u16, extra: &[String]) -> Result<Process> {
    let bin = datanode_binary()?;
    let mut args = vec!["--port".to_string(), port.to_string(), "--bind".into(), "127.0.0.1".into()];
    args.extend_from_slice(extra);
    if !extra.iter().any(|a| a == "--repl-port") {
        // The default (port + 10000) may lie beyond 65535 for a high free port.
        args.extend(["--repl-port".to_string(), free_port()?.to_string()]);
    }
    Process::start_at("meridian-datanode", &bin, port, args)
}

/// Starts Debian's `redis-server` without persistence on a free port and waits until it
/// answers PING. `REDIS_SERVER_BIN` overrides the program.
pub fn start_redis_server() -> Result<Process> {
    let bin = std::env::var_os("REDIS_SERVER_BIN").map(PathBuf::from).or_else(|| find_on_path("redis-server"));
    let bin = bin.ok_or(Error::ToolMissing { program: "redis-server" })?;
    Process::start("redis-server", &bin, |port| {
        [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        .into_iter()
        .map(String::from)
        .collect()
    })
}

pub(crate) fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

impl Process {
    /// Spawns `program args` and waits until `ready()` holds; `port` names it in logs.
    pub fn spawn_until(
        name: &str,
        program: &Path,
        args: Vec<String>,
        port: u16,
        ready: impl Fn() -> bool,
    ) -> Result<Process> {
        Process::spawn_with_env(name, program, args, &[], port, ready)
    }

    /// `spawn_until` with extra environment variables.
    pub fn spawn_with_env(
        name: &str,
        program: &Path,
        args: Vec<String>,
        env: &[(&str, &std::ffi::OsStr)],
        port: u16,
        ready: impl Fn() -> bool,
    ) -> Result<Process> {
        let log = std::env::temp_dir().join(format!("meridian-e2e-{name}-{port}-{}.log", std::process::id()));
        let spawn_err = |source| Error::Spawn { program: program.display().to_string(), source };
        let out = File::create(&log).map_err(spawn_err)?;
        let err = out.try_clone().map_err(spawn_err)?;
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(spawn_err)?;
        let mut process = Process { child, name: name.to_string(), port, log };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(Error::Exited { name: process.name.clone(), port, status, output: process.output() });
            }
            if ready() {
                return Ok(process);
            }
            if Instant::now() >= deadline {
                return Err(Error::NotReady { name: process.name.clone(), port, timeout: READY_TIMEOUT });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal by name (`STOP`, `CONT`, `KILL`, `TERM`).
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status();
    }
}

/// Answers PING on `port` right now.
pub fn answers_ping(port: u16) -> bool {
    ping(port)
}

/// Accepts TCP connections on `port` right now.
pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(200)).is_ok()
}

/// A binary of this workspace: `MERIDIAN_<NAME>_BIN`, or next to the tests' profile directory,
/// or `<workspace>/target/debug`.
pub fn workspace_binary(name: &str) -> Result<PathBuf> {
    let var = format!("MERIDIAN_{}_BIN", name.trim_start_matches("meridian-").to_uppercase());
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return if path.is_file() { Ok(path) } else { Err(Error::DatanodeMissing { path }) };
    }
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let beside_tests = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(|profile| profile.join(&file)));
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("debug").join(&file);
    for candidate in beside_tests.iter().chain([&workspace]) {
        if candidate.is_file() {
            return Ok(candidate.clone());
        }
    }
    Err(Error::DatanodeMissing { path: beside_tests.unwrap_or(workspace) })
}

/// A free loopback port `p` such that `p + 10000` (a datanode's replication port) is free too.
pub fn free_port_pair() -> Result<u16> {
    static NEXT: Mutex<u16> = Mutex::new(0);
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    if *next == 0 {
        // Spread parallel test binaries over the range.
        *next = 20000 + (std::process::id() % 500) as u16 * 20;
    }
    for _ in 0..2000 {
        let p = *next;
        *next = if *next >= 31000 { 20000 } else { *next + 1 };
        if TcpListener::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() {
            return Ok(p);
        }
    }
    Err(Error::NoFreePort { source: std::io::Error::other("no free port pair in 20000-31000") })
}
