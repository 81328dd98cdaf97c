//! Short-lived commands (kubectl, helm, openssl) run to completion under a deadline, and
//! `eventually` for conditions the control plane reaches on its own time.

use std::io::{Read, Seek, SeekFrom, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Error, Result};

/// How often a running command or a condition is looked at again.
const POLL: Duration = Duration::from_millis(5);

/// How often `eventually` asks again: each ask is a kubectl process, so not too often.
const EVENTUALLY_POLL: Duration = Duration::from_millis(250);

/// `program args..` as a person would type it, for error messages.
pub(crate) fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `command`, feeding it `stdin`, and returns what it printed. Past `timeout` it is
/// killed with everything it started, and the result is `Error::Timeout`. Output goes
/// to temporary files rather than pipes, so a chatty command cannot stall on a full pipe.
pub(crate) fn run(mut command: Command, stdin: Option<&[u8]>, timeout: Duration) -> Result<Output> {
    let described = describe(&command);
    let capture = || tempfile::tempfile().map_err(Error::io("create a temporary file for a command's output"));
    let (mut stdout, mut stderr) = (capture()?, capture()?);
    let input = match stdin {
        Some(bytes) => {
            let mut file = capture()?;
            file.write_all(bytes).map_err(Error::io("write a command's input"))?;
            file.seek(SeekFrom::Start(0)).map_err(Error::io("rewind a command's input"))?;
            Stdio::from(file)
        }
        None => Stdio::null(),
    };
    let clone = |file: &std::fs::File| file.try_clone().map_err(Error::io("duplicate a file handle"));
    command.stdin(input).stdout(clone(&stdout)?).stderr(clone(&stderr)?);
    let mut child = command.spawn().map_err(|source| Error::Spawn { program: described.clone(), source })?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) => {
                kill_tree(&mut child);
                return Err(Error::Timeout { command: described, timeout });
            }
            Err(source) => {
                kill_tree(&mut child);
                return Err(Error::Io { what: format!("wait for `{described}`"), source });
            }
        }
    };
    let read = |file: &mut std::fs::File| {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_end(&mut bytes)).map(|_| bytes)
    };
    let stdout = read(&mut stdout).map_err(Error::io(format!("read the output of `{described}`")))?;
    let stderr = read(&mut stderr).map_err(Error::io(format!("read the output of `{described}`")))?;
    Ok(Output { status, stdout, stderr })
}

/// Like `run`, but a non-zero exit is `Error::Failed` with the command's stderr; returns stdout.
pub(crate) fn run_ok(command: Command, stdin: Option<&[u8]>, timeout: Duration) -> Result<String> {
    let described = describe(&command);
    let output = run(command, stdin, timeout)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        stderr.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(Error::Failed { command: described, status: output.status, stderr })
    }
}

/// Kills `child` and every process descended from it, then reaps `child`. Children stay in
/// the caller's process group, so a Ctrl-C in the terminal reaches them as it reaches the
/// tests; the tree is found in /proc instead.
pub(crate) fn kill_tree(child: &mut Child) {
    let root = child.id();
    let mut doomed = vec![root];
    doomed.extend(descendants(root));
    for pid in doomed {
        // Never signal 0 (our group) or 1 (everything): only real descendants.
        if let Some(pid) = i32::try_from(pid).ok().filter(|&pid| pid > 1).and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = child.wait();
}

/// The processes descended from `root`, parents before children, read from /proc. A process
/// forked after the scan is missed: good enough for daemons that do not fork in a loop.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut parent_of = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`, where comm may hold spaces and parentheses.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// Asks `check` until it returns `Ok`, for at most `timeout`. `Err(text)` means "not yet",
/// and the last such text is in the error when time runs out, so a failure shows what was
/// seen last (an object's status, a command's error).
pub fn eventually<T>(
    what: impl Into<String>,
    timeout: Duration,
    mut check: impl FnMut() -> std::result::Result<T, String>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return Ok(value),
            Err(last) if Instant::now() >= deadline => {
                return Err(Error::NotEventually { what: what.into(), timeout, last });
            }
            Err(_) => std::thread::sleep(EVENTUALLY_POLL),
        }
    }
}
