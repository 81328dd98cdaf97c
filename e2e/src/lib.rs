//! Harness for Meridian's end-to-end tests: real server processes on loopback ports.
//!
//! The tests run `meridian-datanode` next to Debian's `redis-server` and send both the same
//! commands, through the `redis` crate, through `redis-cli` and as raw RESP bytes. The
//! datanode binary is not built here: run `cargo build -p meridian-datanode` before
//! `cargo test -p meridian-e2e` (a binary of another package is not built for this one's tests).
//!
//! The kube tier (`kube`) runs a real etcd, kube-apiserver and kube-controller-manager, built
//! from their Go modules by `.ci/kube-tools.sh`.

pub mod cli;
pub mod kube;
pub mod local;
pub mod operator;
pub mod process;
pub mod proxy;
pub mod raw;
pub mod region;
pub mod regions;
pub mod render;
pub mod side_by_side;

pub use cli::redis_cli;
pub use process::{
    Process, datanode_binary, free_port, start_datanode, start_datanode_at, start_redis_server, wait_ready,
};
pub use raw::RawConn;
pub use region::Region;
pub use render::render;
pub use side_by_side::{Conn, Order, Script, SideBySide};

use std::path::PathBuf;
use std::time::Duration;

/// How long a server may take to answer its first PING.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long any single read from a server may take before the test gives up on it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong in the harness itself (as opposed to a reply that differs, which panics).
#[derive(thiserror::Error)]
pub enum Error {
    #[error(
        "{} not found: run `cargo build --workspace --bins` (same profile as the tests) first, \
         or set MERIDIAN_DATANODE_BIN / MERIDIAN_SYNCER_BIN",
        path.display()
    )]
    DatanodeMissing { path: PathBuf },
    #[error("{program} not found on PATH: install it (apt-get install redis-server redis-tools)")]
    ToolMissing { program: &'static str },
    #[error("failed to start {program}")]
    Spawn { program: String, source: std::io::Error },
    #[error("{name} on port {port} exited during start-up ({status}); its output:\n{output}")]
    Exited { name: String, port: u16, status: std::process::ExitStatus, output: String },
    #[error("{name} on port {port} did not answer PING within {timeout:?}")]
    NotReady { name: String, port: u16, timeout: Duration },
    #[error("failed to connect to port {port}")]
    Connect { port: u16, source: std::io::Error },
    #[error("redis client error on port {port}")]
    Redis { port: u16, source: redis::RedisError },
    #[error("no reply from port {port} within {timeout:?}")]
    NoReply { port: u16, timeout: Duration },
    #[error("i/o error talking to port {port}")]
    Io { port: u16, source: std::io::Error },
    #[error("redis-cli on port {port} did not finish within IO_TIMEOUT: {args:?}")]
    CliTimeout { port: u16, args: Vec<String> },
    #[error("no free port")]
    NoFreePort { source: std::io::Error },
    #[error(transparent)]
    Kube(Box<kube::Error>),
    #[error("{0}")]
    Check(String),
}

impl From<kube::Error> for Error {
    fn from(e: kube::Error) -> Error {
        Error::Kube(Box::new(e))
    }
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
    /// An I/O error on a connection to `port`; a read timeout becomes `NoReply`.
    pub(crate) fn io(port: u16, source: std::io::Error) -> Error {
        match source.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                Error::NoReply { port, timeout: IO_TIMEOUT }
            }
            _ => Error::Io { port, source },
        }
    }

    /// A `redis` crate error on a connection to `port`; a read timeout becomes `NoReply`.
    pub(crate) fn redis(port: u16, source: redis::RedisError) -> Error {
        if source.is_timeout() { Error::NoReply { port, timeout: IO_TIMEOUT } } else { Error::Redis { port, source } }
    }
}
