//! The controller's one error type. Each variant names the step that failed and carries
//! its cause; `metric_label` names it for `meridian_operator_reconcile_errors`.

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
