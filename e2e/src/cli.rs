//! Debian's `redis-cli`, run as a separate process against a test server.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::find_on_path;
use crate::{Error, IO_TIMEOUT, Result};

/// Runs `redis-cli -h 127.0.0.1 -p <port> <args..>` and returns what it printed on stdout.
///
/// Arguments go to redis-cli verbatim, so options come first: pass `--no-raw` to get the
/// formatting redis-cli uses on a terminal (`(integer) 1`, `"v"`, `(nil)`, `(error) ERR ..`)
/// although stdout is a pipe. The process is killed if it runs longer than `IO_TIMEOUT`.
pub fn redis_cli<S: AsRef<str>>(port: u16, args: &[S]) -> Result<String> {
    let program = std::env::var_os("REDIS_CLI_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|| find_on_path("redis-cli"))
        .ok_or(Error::ToolMissing { program: "redis-cli" })?;
    let spawn_error = |source| Error::Spawn { program: program.display().to_string(), source };
    let mut child = Command::new(&program)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args.iter().map(AsRef::as_ref))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(spawn_error)?;
    // Read on a thread so that a full pipe cannot stall the child while we wait for it.
    let mut stdout = child.stdout.take().ok_or_else(|| spawn_error(std::io::Error::other("no stdout pipe")))?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::CliTimeout { port, args: args.iter().map(|a| a.as_ref().to_string()).collect() });
            }
            Err(source) => return Err(Error::Io { port, source }),
        }
    }
    let out = reader
        .join()
        .map_err(|_| Error::Io { port, source: std::io::Error::other("stdout reader panicked") })?
        .map_err(|source| Error::Io { port, source })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
