//! One long-running control-plane process (etcd, kube-apiserver, kube-controller-manager):
//! its output in a log file, killed with everything it started on `Drop`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::command::kill_tree;
use super::{Error, Result, log_tail};

/// How often a starting component is checked again.
const READY_POLL: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub(crate) struct Component {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Component {
    /// Spawns `program args..` with stdout and stderr in `<log_dir>/<name>.log`.
    pub(crate) fn spawn(name: &'static str, program: &Path, args: &[String], log_dir: &Path) -> Result<Component> {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(Error::io(format!("create {}", log.display())))?;
        let err = out.try_clone().map_err(Error::io(format!("duplicate the handle of {}", log.display())))?;
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| Error::Spawn { program: program.display().to_string(), source })?;
        Ok(Component { name, child, log })
    }

    /// Waits until `ready` returns `Ok`, for at most `timeout`; `Err(text)` means "not yet"
    /// and names what was seen. A component that exits meanwhile fails at once, with its log.
    pub(crate) fn wait_ready(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut() -> std::result::Result<(), String>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::Exited {
                    name: self.name,
                    status,
                    log: self.log.clone(),
                    tail: log_tail(&self.log),
                });
            }
            let last = match ready() {
                Ok(()) => return Ok(()),
                Err(last) => last,
            };
            if Instant::now() >= deadline {
                return Err(Error::NotReady {
                    name: self.name,
                    timeout,
                    last,
                    log: self.log.clone(),
                    tail: log_tail(&self.log),
                });
            }
            std::thread::sleep(READY_POLL);
        }
    }

    /// True while the process has not exited.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        kill_tree(&mut self.child);
        if std::thread::panicking() {
            eprintln!("--- last lines of {} ({}):\n{}", self.name, self.log.display(), log_tail(&self.log));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::Component;

    #[test]
    fn drop_kills_the_grandchildren_too() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
        let component = Component::spawn("sh", Path::new("/bin/sh"), &["-c".into(), script], dir.path()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let grandchild = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse::<u32>().ok()) {
                break pid;
            }
            assert!(Instant::now() < deadline, "the shell never started its child");
            std::thread::sleep(Duration::from_millis(10));
        };
        let alive = |pid: u32| {
            // A killed process stays a zombie until its new parent reaps it: that is dead too.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
        };
        assert!(alive(grandchild));
        drop(component);
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(grandchild) {
            assert!(Instant::now() < deadline, "grandchild {grandchild} outlived the component");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
