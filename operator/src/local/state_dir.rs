//! The state directory of one local database: its lock (so a second instance on the same
//! directory is refused while the first runs), the manifest it runs, the control socket, and
//! per region the shard map file and every process's log. The lock is an advisory `flock`
//! held by the supervisor for its whole life: the kernel drops it when the supervisor dies,
//! however it dies, so a stale lock never blocks the next run.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The longest path a Unix socket address holds (`sun_path`, NUL included).
const MAX_SOCKET_PATH: usize = 107;

/// Who holds a directory: written into the lock file once the lock is taken.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub database: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot use {path} as the state directory: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is in use by a running local database ({database}, pid {pid}): stop it with `meridian-operator local stop {path}`, or choose another --dir"
    )]
    InUse { path: PathBuf, pid: u32, database: String },
    #[error(
        "the state directory path {path} is too long for its control socket ({len} > {MAX_SOCKET_PATH} bytes): choose a shorter --dir"
    )]
    PathTooLong { path: PathBuf, len: usize },
}

/// A state directory this process holds. Dropping it releases the lock.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
    _lock: File,
}

impl StateDir {
    /// Creates `root` if needed and takes its lock for `database`.
    pub fn lock(root: &Path, database: &str) -> Result<StateDir, StateError> {
        let io = |source| StateError::Io { path: root.to_path_buf(), source };
        std::fs::create_dir_all(root).map_err(io)?;
        let root = std::fs::canonicalize(root).map_err(io)?;
        let socket = Paths(&root).socket();
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(StateError::PathTooLong { path: root, len });
        }
        let io = |source| StateError::Io { path: root.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(root.join("lock"))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let owner = read_owner(&mut file);
                return Err(StateError::InUse {
                    path: root.clone(),
                    pid: owner.as_ref().map_or(0, |o| o.pid),
                    database: owner.map_or_else(|| "unknown".into(), |o| o.database),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let owner = Owner { pid: std::process::id(), database: database.to_string() };
        let text = serde_json::to_string(&owner).unwrap_or_default();
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        // A socket left by an instance that was killed would make the bind fail.
        let _ = std::fs::remove_file(&socket);
        Ok(StateDir { root, _lock: file })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn paths(&self) -> Paths<'_> {
        Paths(&self.root)
    }
}

/// Who holds `root`'s lock now, if anybody does.
pub fn holder(root: &Path) -> Option<Owner> {
    let mut file = OpenOptions::new().read(true).write(true).open(root.join("lock")).ok()?;
    match file.try_lock() {
        // Nobody held it (we just did, and drop it with the file).
        Ok(()) => None,
        Err(_) => read_owner(&mut file),
    }
}

fn read_owner(file: &mut File) -> Option<Owner> {
    let mut text = String::new();
    file.take(4096).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// The files of a state directory.
#[derive(Clone, Copy, Debug)]
pub struct Paths<'a>(pub &'a Path);

impl Paths<'_> {
    pub fn socket(&self) -> PathBuf {
        self.0.join("control.sock")
    }

    /// The manifest the instance runs now (a copy, so a re-run compares against it).
    pub fn manifest(&self) -> PathBuf {
        self.0.join("manifest.yaml")
    }

    /// Where `--detach` sends the supervisor's own output.
    pub fn supervisor_log(&self) -> PathBuf {
        self.0.join("supervisor.log")
    }

    pub fn region(&self, region: &str) -> PathBuf {
        self.0.join("regions").join(region)
    }

    pub fn shard_map(&self, region: &str) -> PathBuf {
        self.region(region).join("shard-map")
    }

    pub fn log(&self, region: &str, process: &str) -> PathBuf {
        self.region(region).join(format!("{process}.log"))
    }
}

/// Writes `text` to `path` so that a reader sees the old or the new content, never half of
/// one: the datanodes and the syncer poll the shard map file.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_directory_is_refused_and_names_the_holder() {
        let dir = tempdir();
        let first = StateDir::lock(&dir, "cache").unwrap();
        let err = StateDir::lock(&dir, "other").unwrap_err();
        let StateError::InUse { pid, database, .. } = &err else { panic!("{err}") };
        assert_eq!((*pid, database.as_str()), (std::process::id(), "cache"));
        assert!(err.to_string().contains("meridian-operator local stop"), "{err}");
        assert_eq!(holder(&dir).map(|o| o.database), Some("cache".to_string()));
        drop(first);
        assert_eq!(holder(&dir), None);
        let again = StateDir::lock(&dir, "other").unwrap();
        assert_eq!(again.paths().shard_map("us-east"), again.root().join("regions/us-east/shard-map"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_too_long_for_the_socket_is_refused_up_front() {
        let dir = std::env::temp_dir().join("x".repeat(120));
        assert!(matches!(StateDir::lock(&dir, "cache"), Err(StateError::PathTooLong { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempdir() -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::env::temp_dir().join(format!("meridian-state-{}-{n}", std::process::id()))
    }
}
