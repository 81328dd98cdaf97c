//! What broke a replica's link to its master, as INFO replication shows it
//! (`meridian_last_error`): the replica then starts over (with backoff). Each variant says
//! what failed; the text of each is what this node has always logged and shown.

use super::fullsync;
use crate::node::codec::CodecError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The master could not be reached.
    #[error("{0}")]
    Connect(#[from] tonic::transport::Error),
    /// A call to the master (Status, Sync) or its stream failed; the master's message.
    #[error("{0}")]
    Master(String),
    /// The master refused what this node handed over before following it.
    #[error("handing over to the new master: {0}")]
    HandOver(String),
    #[error("partial sync without a backlog")]
    ResumeWithoutBacklog,
    #[error("master resumed at {offset} but this replica is at {at}")]
    ResumedElsewhere { offset: u64, at: u64 },
    #[error("stream gap: delta at {offset} but this replica is at {at:?}")]
    Gap { offset: u64, at: Option<u64> },
    #[error("undecodable batch: {0}")]
    Batch(#[from] prost::DecodeError),
    /// A delta, or a context in the master's Status, refused by the codec.
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error(transparent)]
    FullSync(#[from] fullsync::Error),
}

impl Error {
    /// A failed call to the master, by what the master (or tonic) said.
    pub fn master(status: &tonic::Status) -> Error {
        Error::Master(status.message().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_stream_says_where_each_side_stands() {
        assert_eq!(
            Error::Gap { offset: 42, at: Some(40) }.to_string(),
            "stream gap: delta at 42 but this replica is at Some(40)"
        );
        assert_eq!(
            Error::ResumedElsewhere { offset: 7, at: 9 }.to_string(),
            "master resumed at 7 but this replica is at 9"
        );
        assert_eq!(Error::from(CodecError::Empty).to_string(), "empty payload");
    }
}
