//! The operator's one error type. Each variant names what failed and carries its cause;
//! `metric_label` names it for `meridian_operator_reconcile_errors`. Besides the reconcile's
//! steps it holds the reads whose failure only becomes a note or a status line (a syncer's
//! `/info`, a peer's digests, volumes on lost nodes) and the kubectl plugin's reads. Local
//! mode's refusals have their own type (`local::Error`): they go back over its control
//! socket as text and never through a reconcile or its metrics.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read {what} from the API server")]
    Observe {
        what: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("failed to apply {kind} {name}")]
    Apply {
        kind: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to delete {kind} {name}")]
    Delete {
        kind: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to write the status")]
    Status(#[source] kube::Error),
    #[error("finalizer")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    #[error("the resource has no namespace")]
    NoNamespace,
    #[error("the resource has no uid yet")]
    NoUid,
    #[error("listing volume claims: {0}")]
    ListClaims(#[source] kube::Error),
    #[error("reading volume {name}: {source}")]
    ReadVolume { name: String, source: kube::Error },
    #[error("reading node {name}: {source}")]
    ReadNode { name: String, source: kube::Error },
    /// A syncer's `/info` could not be fetched or read.
    #[error("{addr}: {source}")]
    SyncerInfo { addr: String, source: Box<dyn std::error::Error + Send + Sync> },
    #[error("{addr}: HTTP {status}")]
    SyncerInfoStatus { addr: String, status: hyper::StatusCode },
    #[error("{addr}: no answer within {:?}", crate::syncer_info::FETCH_TIMEOUT)]
    SyncerInfoTimeout { addr: String },
    /// A peer region's syncer could not be reached for its digests.
    #[error("{endpoint}: {source}")]
    PeerConnect { endpoint: String, source: tonic::transport::Error },
    #[error("{endpoint}: {message}")]
    PeerCall { endpoint: String, message: String },
    #[error("{endpoint}: slot {slot} out of range")]
    PeerSlot { endpoint: String, slot: u32 },
    #[error("{endpoint}: no answer within {:?}", crate::controller::digest::PEER_TIMEOUT)]
    PeerTimeout { endpoint: String },
    /// The kubectl plugin: no client for a context, or the database not read through it.
    #[error("{0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("{0}")]
    InferConfig(#[from] kube::config::InferConfigError),
    #[error("{0}")]
    Client(#[source] kube::Error),
    #[error("{source}")]
    ReadDatabase { name: String, source: kube::Error },
}

impl Error {
    pub fn observe(what: &'static str, source: kube::Error) -> Error {
        Error::Observe { what, source }
    }

    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Observe { .. } => "observe",
            Error::Apply { .. } => "apply",
            Error::Delete { .. } => "delete",
            Error::Status(_) => "status",
            Error::Finalizer(inner) => match inner.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => {
                    e.metric_label()
                }
                _ => "finalizer",
            },
            Error::NoNamespace | Error::NoUid => "metadata",
            Error::ListClaims(_) | Error::ReadVolume { .. } | Error::ReadNode { .. } => "observe",
            Error::SyncerInfo { .. } | Error::SyncerInfoStatus { .. } | Error::SyncerInfoTimeout { .. } => {
                "syncer_info"
            }
            Error::PeerConnect { .. } | Error::PeerCall { .. } | Error::PeerSlot { .. } | Error::PeerTimeout { .. } => {
                "peer_digest"
            }
            Error::Kubeconfig(_) | Error::InferConfig(_) | Error::Client(_) | Error::ReadDatabase { .. } => "plugin",
        }
    }
}

/// The error and all its causes on one line, for logs.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_that_only_become_notes_have_labels_of_their_own_and_keep_their_texts() {
        let info = Error::SyncerInfoTimeout { addr: "10.0.0.7:7700".into() };
        assert_eq!(info.metric_label(), "syncer_info");
        assert_eq!(info.to_string(), "10.0.0.7:7700: no answer within 3s");
        let digest = Error::PeerSlot { endpoint: "eu.example:7700".into(), slot: 70_000 };
        assert_eq!(digest.metric_label(), "peer_digest");
        assert_eq!(digest.to_string(), "eu.example:7700: slot 70000 out of range");
        assert_eq!(Error::NoUid.metric_label(), "metadata");
    }
}
