//! Identities other than the admin: a kubeconfig that authenticates as one user (client
//! certificate) or one ServiceAccount (token), for least-privilege RBAC tests.

use std::path::{Path, PathBuf};

/// Who a kubeconfig authenticates as. Pass it to `KubeControlPlane::kubectl_as`/`helm_as`.
/// It has no rights of its own: grant them with Roles and bindings to `name()` (a user) or to
/// the ServiceAccount.
#[derive(Debug, Clone)]
pub struct Identity {
    name: String,
    kubeconfig: PathBuf,
}

impl Identity {
    pub(crate) fn new(name: String, kubeconfig: PathBuf) -> Identity {
        Identity { name, kubeconfig }
    }

    /// The user name the API server sees (`system:serviceaccount:<ns>:<name>` for a
    /// ServiceAccount).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A kubeconfig file for this identity, usable by any client.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }
}
