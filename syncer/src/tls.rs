//! Mutual TLS between regions' syncers (the manifest's `spec.tls`): each syncer presents its
//! region's certificate and accepts only peers whose certificate the shared CA signed, on
//! the Peer service it serves and on the links it dials. In-region links stay plain: they
//! never leave the cluster network.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// The PEM files: this syncer's certificate and key, and the CA every region's is signed by.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// The loaded material, ready for both sides of a link.
#[derive(Clone, Debug)]
pub struct PeerTls {
    identity: Identity,
    ca: Certificate,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} holds no PEM {what}")]
    NotPem { path: PathBuf, what: &'static str },
    #[error("bad peer address {0:?}: expected host:port")]
    Address(String),
}

/// Bounded read of one PEM file, checked to hold what it should.
fn read_pem(path: &Path, what: &'static str, marker: &str) -> Result<Vec<u8>, TlsError> {
    const MAX_PEM: u64 = 1 << 20;
    let len = std::fs::metadata(path).map_err(|source| TlsError::Read { path: path.into(), source })?.len();
    if len > MAX_PEM {
        return Err(TlsError::NotPem { path: path.into(), what });
    }
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read { path: path.into(), source })?;
    if !String::from_utf8_lossy(&bytes).contains(marker) {
        return Err(TlsError::NotPem { path: path.into(), what });
    }
    Ok(bytes)
}

impl PeerTls {
    pub fn load(files: &TlsFiles) -> Result<PeerTls, TlsError> {
        let cert = read_pem(&files.cert, "certificate", "-----BEGIN CERTIFICATE-----")?;
        let key = read_pem(&files.key, "private key", "PRIVATE KEY-----")?;
        let ca = read_pem(&files.ca, "CA certificate", "-----BEGIN CERTIFICATE-----")?;
        Ok(PeerTls { identity: Identity::from_pem(cert, key), ca: Certificate::from_pem(ca) })
    }

    /// The Peer service's side: a client certificate from the CA is required.
    pub fn server(&self) -> ServerTlsConfig {
        ServerTlsConfig::new().identity(self.identity.clone()).client_ca_root(self.ca.clone())
    }

    /// A link to the peer at `addr` (`host:port`): the peer's certificate must be the CA's and
    /// name `host`.
    pub fn client(&self, addr: &str) -> Result<ClientTlsConfig, TlsError> {
        let (host, _) = addr.rsplit_once(':').ok_or_else(|| TlsError::Address(addr.into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Ok(ClientTlsConfig::new().ca_certificate(self.ca.clone()).identity(self.identity.clone()).domain_name(host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_not_pem_are_refused_with_their_path() {
        let dir = std::env::temp_dir().join(format!("meridian-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let files = TlsFiles { cert: junk.clone(), key: junk.clone(), ca: junk.clone() };
        let err = PeerTls::load(&files).unwrap_err().to_string();
        assert_eq!(err, format!("{} holds no PEM certificate", junk.display()));
        let missing = TlsFiles { cert: dir.join("none"), key: junk.clone(), ca: junk };
        assert!(PeerTls::load(&missing).unwrap_err().to_string().starts_with("cannot read"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
