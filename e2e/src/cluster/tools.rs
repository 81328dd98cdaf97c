//! Where the real-Pod tier's programs and images are: the Kubernetes and CoreDNS binaries
//! that `.ci/pod-tools.sh` builds, Debian's containerd, runc and iptables, and the image
//! archives of images/build.sh. A missing one is an error that says what to run.

use std::path::PathBuf;

use crate::kube::{Error, KubeTools, Result, default_bin_dir};

/// Every binary a region's node runs, each checked to exist.
#[derive(Debug, Clone)]
pub struct PodTools {
    pub kube: KubeTools,
    pub kube_scheduler: PathBuf,
    pub kubelet: PathBuf,
    pub kube_proxy: PathBuf,
    pub coredns: PathBuf,
}

impl PodTools {
    /// The binaries in `MERIDIAN_KUBE_BIN`, else in the default cache directory.
    pub fn find() -> Result<PodTools> {
        let dir = std::env::var_os("MERIDIAN_KUBE_BIN").map(PathBuf::from).unwrap_or_else(default_bin_dir);
        let kube = KubeTools::find_in(&dir)?;
        let tool = |name: &'static str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::Prerequisite {
                    what: format!("{name} not found at {}", path.display()),
                    fix: "run `.ci/pod-tools.sh` (it builds kube-scheduler, kubelet, kube-proxy and CoreDNS \
                          into ~/.cache/meridian/bin), or set MERIDIAN_KUBE_BIN"
                        .into(),
                })
            }
        };
        for (program, package) in
            [("iptables", "iptables"), ("conntrack", "conntrack"), ("mount", "mount"), ("nsenter", "util-linux")]
        {
            program_in_path(program, package)?;
        }
        Ok(PodTools {
            kube,
            kube_scheduler: tool("kube-scheduler")?,
            kubelet: tool("kubelet")?,
            kube_proxy: tool("kube-proxy")?,
            coredns: tool("coredns")?,
        })
    }
}

/// A Debian program on PATH; missing, an error naming its package.
pub(crate) fn program(name: &str, package: &str) -> Result<PathBuf> {
    program_in_path(name, package)
}

fn program_in_path(name: &str, package: &str) -> Result<PathBuf> {
    crate::process::find_on_path(name).ok_or_else(|| Error::Prerequisite {
        what: format!("{name} not found on PATH"),
        fix: format!("apt-get install {package} (or run .ci/pod-tools.sh, which installs the tier's packages)"),
    })
}

/// The image archives of version `version`: `MERIDIAN_IMAGES`, else `$MERIDIAN_CACHE/images`,
/// else `~/.cache/meridian/images`, as images/build.sh writes them.
#[derive(Debug, Clone)]
pub struct ImageArchives {
    pub dir: PathBuf,
    pub version: String,
}

/// The names images/build.sh gives the archives it writes.
pub const MERIDIAN_IMAGES: [&str; 3] = ["meridian-operator", "meridian-datanode", "meridian-syncer"];
pub const PAUSE_ARCHIVE: &str = "pause-3.6.oci.tar";

impl ImageArchives {
    pub fn find(version: &str) -> ImageArchives {
        let dir = match std::env::var_os("MERIDIAN_IMAGES") {
            Some(dir) => PathBuf::from(dir),
            None => default_bin_dir().parent().map(|cache| cache.join("images")).unwrap_or_default(),
        };
        ImageArchives { dir, version: version.to_string() }
    }

    /// The pause image and Meridian's three, each checked to exist.
    pub fn all(&self) -> Result<Vec<PathBuf>> {
        let mut names = vec![PAUSE_ARCHIVE.to_string()];
        names.extend(MERIDIAN_IMAGES.iter().map(|image| format!("{image}-{}.oci.tar", self.version)));
        names.iter().map(|name| self.archive(name)).collect()
    }

    fn archive(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(Error::Prerequisite {
                what: format!("image archive {} not found", path.display()),
                fix: format!(
                    "run `images/build.sh{}` (it builds the release binaries and the images), or set MERIDIAN_IMAGES",
                    if self.version == crate::cluster::WORKSPACE_VERSION {
                        String::new()
                    } else {
                        format!(" --version {}", self.version)
                    }
                ),
            })
        }
    }
}
