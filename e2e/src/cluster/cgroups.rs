//! A region's cgroup subtree (cgroups v1): the kubelet puts its Pods under `cgroupRoot`,
//! one per region so that regions on one machine never share `kubepods`. It sits under the
//! memory cgroup this process runs in, so the Pods' memory counts where the tests' does.
//! Teardown kills whatever is left in it and removes it from every hierarchy.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the cgroup v1 hierarchies are mounted.
const CGROUP_MOUNT: &str = "/sys/fs/cgroup";

/// How long killed processes may take to leave their cgroups.
const EMPTY_TIMEOUT: Duration = Duration::from_secs(20);

/// The cgroup path (the same in every hierarchy) a region's kubelet uses as `cgroupRoot`.
#[derive(Debug, Clone)]
pub struct CgroupRoot {
    path: String,
    /// Ancestors that did not exist yet (in the other hierarchies, the memory cgroup's path
    /// usually does not): the kubelet creates them, so teardown removes them when empty.
    missing_ancestors: Vec<PathBuf>,
}

impl CgroupRoot {
    /// `<this process's memory cgroup>/<name>`.
    pub fn under_own(name: &str) -> CgroupRoot {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let path = child_path(&own, name);
        let mut missing_ancestors = Vec::new();
        if let Ok(entries) = std::fs::read_dir(CGROUP_MOUNT) {
            for hierarchy in entries.flatten().map(|e| e.path()) {
                if !hierarchy.join("cgroup.procs").is_file() {
                    continue;
                }
                let mut dir = hierarchy.clone();
                let parents: Vec<&str> = path.trim_start_matches('/').split('/').collect();
                for part in &parents[..parents.len().saturating_sub(1)] {
                    dir = dir.join(part);
                    if !dir.exists() {
                        missing_ancestors.push(dir.clone());
                    }
                }
            }
        }
        CgroupRoot { path, missing_ancestors }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Creates the path in every hierarchy (the kubelet refuses a `cgroupRoot` missing from
    /// one). A new cpuset cgroup starts with no CPUs and no memory nodes: each level gets its
    /// parent's, or nothing could run in it.
    pub fn create(&self) -> std::io::Result<()> {
        let entries = std::fs::read_dir(CGROUP_MOUNT)?;
        for hierarchy in entries.flatten().map(|e| e.path()) {
            if !hierarchy.join("cgroup.procs").is_file() {
                continue;
            }
            let mut dir = hierarchy;
            for part in self.path.trim_start_matches('/').split('/') {
                let parent = dir.clone();
                dir = dir.join(part);
                if dir.is_dir() {
                    continue;
                }
                std::fs::create_dir(&dir)?;
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    if dir.join(file).is_file() {
                        std::fs::write(dir.join(file), std::fs::read(parent.join(file))?)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The subtree's directory in each mounted v1 hierarchy that has it.
    fn dirs(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(CGROUP_MOUNT) else {
            return Vec::new();
        };
        let relative = self.path.trim_start_matches('/');
        let mut dirs: Vec<PathBuf> =
            entries.flatten().map(|e| e.path().join(relative)).filter(|d| d.join("cgroup.procs").is_file()).collect();
        dirs.sort();
        dirs
    }

    /// Every process in the subtree, in any hierarchy.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        for dir in self.dirs() {
            for cgroup in walk(&dir) {
                let procs = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap_or_default();
                pids.extend(procs.lines().filter_map(|l| l.trim().parse::<u32>().ok()));
            }
        }
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kills every process left in the subtree, waits until they are gone, then removes the
    /// subtree's cgroups, deepest first. Returns what could not be cleaned, for a report.
    pub fn kill_and_remove(&self) -> Vec<String> {
        let deadline = Instant::now() + EMPTY_TIMEOUT;
        loop {
            let pids = self.pids();
            if pids.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return vec![format!("processes {pids:?} stayed in cgroup {}", self.path)];
            }
            for pid in pids {
                crate::cluster::kill_pid(pid);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut left = Vec::new();
        for dir in self.dirs() {
            let mut cgroups = walk(&dir);
            // Children before parents: rmdir of a cgroup with children fails.
            cgroups.sort_by_key(|c| std::cmp::Reverse(c.components().count()));
            for cgroup in cgroups {
                if let Err(e) = std::fs::remove_dir(&cgroup) {
                    left.push(format!("rmdir {}: {e}", cgroup.display()));
                }
            }
        }
        // Another region may still use an ancestor: the last one to go removes it.
        let mut ancestors = self.missing_ancestors.clone();
        ancestors.sort_by_key(|c| std::cmp::Reverse(c.components().count()));
        for dir in ancestors {
            let _ = std::fs::remove_dir(dir);
        }
        left
    }
}

/// `<memory cgroup of /proc/self/cgroup>/<name>`, or `/<name>` when there is none.
fn child_path(proc_self_cgroup: &str, name: &str) -> String {
    let memory = proc_self_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers.split(',').any(|c| c == "memory").then(|| path.trim_end_matches('/').to_string())
    });
    format!("{}/{name}", memory.unwrap_or_default())
}

/// `dir` and every cgroup below it.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < found.len() {
        if let Ok(entries) = std::fs::read_dir(&found[i]) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    found.push(entry.path());
                }
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::child_path;

    #[test]
    fn the_root_sits_under_this_process_memory_cgroup() {
        let own = "9:name=systemd:/\n4:memory:/process_api/32bd\n3:cpuset:/\n0::/\n";
        assert_eq!(child_path(own, "meridian-a"), "/process_api/32bd/meridian-a");
        assert_eq!(child_path("4:memory:/\n", "meridian-a"), "/meridian-a");
        assert_eq!(child_path("0::/user.slice\n", "meridian-a"), "/meridian-a");
    }
}
