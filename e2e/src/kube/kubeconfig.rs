//! Kubeconfig files: one cluster, one user, one context. Written as JSON (which kubectl,
//! helm and client libraries read as YAML), so no path or token needs hand escaping.

use std::path::Path;

use serde_json::json;

use super::certs::CertFiles;
use super::{Error, Result};

/// The name of the cluster and context in every kubeconfig the harness writes.
pub(crate) const CONTEXT: &str = "meridian-e2e";

/// How a kubeconfig's user proves who it is.
pub(crate) enum Credentials<'a> {
    /// A client certificate signed by the cluster CA: the user is its CN, the groups its Os.
    Certificate(&'a CertFiles),
    /// A bearer token, such as a ServiceAccount token from the TokenRequest API.
    Token(&'a str),
}

/// Writes a kubeconfig for `user` at `server` (https), trusting the CA in `ca`.
pub(crate) fn write(path: &Path, server: &str, ca: &Path, user: &str, credentials: Credentials<'_>) -> Result<()> {
    let user_entry = match credentials {
        Credentials::Certificate(files) => json!({
            "client-certificate": files.cert,
            "client-key": files.key,
        }),
        Credentials::Token(token) => json!({ "token": token }),
    };
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": CONTEXT, "cluster": { "server": server, "certificate-authority": ca } }],
        "users": [{ "name": user, "user": user_entry }],
        "contexts": [{ "name": CONTEXT, "context": { "cluster": CONTEXT, "user": user } }],
        "current-context": CONTEXT,
    });
    let text = serde_json::to_string_pretty(&config)
        .map_err(|e| Error::Io { what: format!("encode {}", path.display()), source: std::io::Error::other(e) })?;
    std::fs::write(path, text).map_err(Error::io(format!("write {}", path.display())))
}
