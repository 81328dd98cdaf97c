//! The syncer's one error type: what ended a peer link or a call, and why, as `/info`
//! shows it (`last_error`). Every variant says what failed and carries its cause.

use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::codec::CodecError;
use meridian_datanode::repl::fullsync;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("local master {addr}: {message}")]
    LocalMaster { addr: String, message: String },
    #[error("no master found for slots {}-{} ({reasons})", range.start, range.end)]
    NoMaster { range: SlotRange, reasons: String },
    #[error("bad node address {addr}: {reason}")]
    NodeAddress { addr: String, reason: String },
    #[error("connecting to the peer: {0}")]
    Connect(String),
    #[error("TLS towards the peer: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("TLS towards the peer: {0}")]
    TlsConfig(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("the shard map changed its slot ranges: restart the syncer to follow a new layout")]
    LayoutChanged,
    #[error("peer: {0}")]
    Peer(String),
    #[error("peer ended the stream")]
    PeerEnded,
    #[error("a local master changed; subscribing again with its context")]
    LocalMasterChanged,
    #[error("undecodable delta batch from the peer: {0}")]
    Batch(#[from] prost::DecodeError),
    #[error("delta from the peer refused: {0}")]
    Delta(#[from] CodecError),
    #[error("full sync from the peer: {0}")]
    FullSync(#[from] fullsync::Error),
    #[error("bad slot ranges from the peer: {0}")]
    Ranges(String),
    #[error("anti-entropy: slots {0:?} lack what the peer had seen; syncing them in full")]
    Gap(Vec<SlotRange>),
}

impl Error {
    /// A failed call to a local master at `addr`.
    pub fn local(addr: &str, status: &tonic::Status) -> Error {
        Error::LocalMaster { addr: addr.to_string(), message: status.message().to_string() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
