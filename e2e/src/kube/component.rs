//! One long-running control-plane process (etcd, kube-apiserver, kube-controller-manager):
//! its own process group, its output in a log file, killed with its whole group on `Drop`.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::command::kill_group;
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
            .process_group(0)
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
        kill_group(&mut self.child);
        if std::thread::panicking() {
            eprintln!("--- last lines of {} ({}):\n{}", self.name, self.log.display(), log_tail(&self.log));
        }
    }
}
