//! Meridian's syncer: one per region. It serves this region's deltas to the other regions'
//! syncers (`serve`, deciding with `forward`), pulls theirs and applies them to the local
//! masters (`pull`, deciding with `link`), routing by slot (`route`), repairs gaps
//! (`gap`), and reports per-peer sync state (`status`, `http`). The deciding modules are
//! sans-I/O: the simulation in `tests/simulation` runs them over its own network.

pub mod config;
pub mod error;
pub mod forward;
pub mod gap;
pub mod http;
pub mod lag;
pub mod link;
pub mod local;
pub mod pull;
pub mod route;
pub mod serve;
pub mod shard_map_file;
pub mod status;
pub mod tls;

pub use error::{Error, Result};

use std::sync::Arc;
use std::time::Duration;

use config::{Compression, PeerRegion};
use local::Local;
use status::Peers;

pub struct Syncer {
    pub local: Local,
    pub peers: Peers,
    pub lag: lag::Lag,
    /// What this syncer asks its peers to compress their streams with.
    pub compression: Compression,
    /// Mutual TLS on the links it dials, when the region has it.
    pub tls: std::sync::OnceLock<tls::PeerTls>,
}

impl Syncer {
    pub fn new(local: Local, peers: &[PeerRegion], compression: Compression) -> Arc<Syncer> {
        let syncer = Syncer {
            local,
            peers: Peers::default(),
            lag: lag::Lag::default(),
            compression,
            tls: std::sync::OnceLock::new(),
        };
        for p in peers {
            syncer.peers.add(p.region, p.addr.clone());
        }
        Arc::new(syncer)
    }

    /// Starts pulling from every peer, and watching the local masters for changes.
    pub fn start(self: &Arc<Self>, peers: Vec<PeerRegion>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks: Vec<_> = peers.into_iter().map(|p| tokio::spawn(pull::run(self.clone(), p))).collect();
        let me = self.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                me.local.refresh().await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
        tasks
    }
}

/// An error and its causes on one line: tonic's transport errors say only "transport error"
/// at the top, the reason (a refused certificate, a reset) is in the chain.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
