//! Where the Kubernetes binaries are: the directory `.ci/kube-tools.sh` builds them into.

use std::path::{Path, PathBuf};

use super::{Error, Result};

/// The binaries the control-plane tier runs, each checked to exist.
#[derive(Debug, Clone)]
pub struct KubeTools {
    pub etcd: PathBuf,
    pub kube_apiserver: PathBuf,
    pub kube_controller_manager: PathBuf,
    pub kubectl: PathBuf,
    pub helm: PathBuf,
}

impl KubeTools {
    /// The binaries in `MERIDIAN_KUBE_BIN`, else in `default_bin_dir()`.
    pub fn find() -> Result<KubeTools> {
        match std::env::var_os("MERIDIAN_KUBE_BIN") {
            Some(dir) => KubeTools::find_in(Path::new(&dir)),
            None => KubeTools::find_in(&default_bin_dir()),
        }
    }

    /// The binaries in `dir`; the first one missing is an error that says how to build it.
    pub fn find_in(dir: &Path) -> Result<KubeTools> {
        let tool = |name: &'static str| {
            let path = dir.join(name);
            if path.is_file() { Ok(path) } else { Err(Error::ToolMissing { name, path }) }
        };
        Ok(KubeTools {
            etcd: tool("etcd")?,
            kube_apiserver: tool("kube-apiserver")?,
            kube_controller_manager: tool("kube-controller-manager")?,
            kubectl: tool("kubectl")?,
            helm: tool("helm")?,
        })
    }
}

/// `$MERIDIAN_CACHE/bin`, else `~/.cache/meridian/bin`: where `.ci/kube-tools.sh` puts them.
pub fn default_bin_dir() -> PathBuf {
    let cache = match std::env::var_os("MERIDIAN_CACHE") {
        Some(cache) => PathBuf::from(cache),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache").join("meridian"),
    };
    cache.join("bin")
}
