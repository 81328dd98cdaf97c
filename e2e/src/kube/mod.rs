//! A real Kubernetes control plane on loopback for the kube test tier: etcd, kube-apiserver
//! and kube-controller-manager as separate processes, plus kubectl and helm against them.
//!
//! The binaries are built from their Go modules by `.ci/kube-tools.sh` into
//! `~/.cache/meridian/bin` (or `MERIDIAN_KUBE_BIN`); a missing one is an error that says so,
//! never a skipped test. There is no kubelet and no scheduler: Pods are created and stay
//! Pending, which is all the operator's tests need from Pods.

pub mod certs;
mod command;
mod component;
mod control_plane;
mod identity;
mod kubeconfig;
mod tools;

pub use certs::{CertFiles, Pki, Usage};
pub use command::eventually;
pub use control_plane::KubeControlPlane;
pub use identity::Identity;
pub use tools::{KubeTools, default_bin_dir};

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Lines of a component's log shown in an error or after a failed test.
pub(crate) const LOG_TAIL_LINES: usize = 40;

/// What can go wrong while starting or driving the control plane. Each message says what
/// failed and, where there is one, what to do about it.
#[derive(thiserror::Error)]
pub enum Error {
    #[error(
        "{name} not found at {}: run `.ci/kube-tools.sh` (it builds etcd, kube-apiserver, \
         kube-controller-manager, kubectl and helm into ~/.cache/meridian/bin), or set \
         MERIDIAN_KUBE_BIN to the directory that holds them",
        path.display()
    )]
    ToolMissing { name: &'static str, path: PathBuf },
    #[error("openssl not found on PATH: install it (apt-get install openssl)")]
    OpensslMissing,
    #[error("openssl failed to {step} ({status}):\n{output}")]
    Openssl { step: String, status: ExitStatus, output: String },
    #[error("failed to {what}")]
    Io { what: String, source: std::io::Error },
    #[error("failed to start {program}")]
    Spawn { program: String, source: std::io::Error },
    #[error("no free loopback port")]
    NoFreePort { source: Box<crate::Error> },
    #[error("{name} exited during start-up ({status}); last lines of {}:\n{tail}", log.display())]
    Exited { name: &'static str, status: ExitStatus, log: PathBuf, tail: String },
    #[error(
        "{name} was not ready within {timeout:?} (last check: {last}); last lines of {}:\n{tail}",
        log.display()
    )]
    NotReady { name: &'static str, timeout: Duration, last: String, log: PathBuf, tail: String },
    #[error("`{command}` did not finish within {timeout:?} and was killed")]
    Timeout { command: String, timeout: Duration },
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Failed { command: String, status: ExitStatus, stderr: String },
    #[error("{what} did not happen within {timeout:?} (last seen: {last})")]
    NotEventually { what: String, timeout: Duration, last: String },
}

/// Tests return `Result<(), Error>`, and the test runner prints a failure with `Debug`: show
/// the message and its causes, which say what to do, rather than the variant's fields.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

/// The last `LOG_TAIL_LINES` lines of a log file (empty if it cannot be read).
pub(crate) fn log_tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}
