//! The control plane's PKI, made with the `openssl` command: one CA that signs the serving
//! certificates and every client certificate, and a service-account signing key pair.
//! Keys are EC P-256: quick to generate, and accepted by Kubernetes everywhere it takes keys.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::command::run;
use super::{Error, Result};

/// One openssl invocation on a loaded machine takes milliseconds; this only bounds a hang.
const OPENSSL_TIMEOUT: Duration = Duration::from_secs(30);

/// Validity of the CA and of every certificate: far longer than any test run.
const VALID_DAYS: &str = "3650";

/// A certificate and its private key, as PEM files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A private key and its public key, as PEM files.
#[derive(Debug, Clone)]
pub(crate) struct KeyPair {
    pub(crate) private: PathBuf,
    pub(crate) public: PathBuf,
}

/// What a certificate is for: its extended key usage, and for servers its names.
pub enum Usage<'a> {
    Server {
        dns: &'a [&'a str],
        ips: &'a [&'a str],
    },
    Client,
    /// Both ends of a mutual-TLS link, as a syncer is: server and client.
    Peer {
        dns: &'a [&'a str],
        ips: &'a [&'a str],
    },
}

/// A CA in a directory, which issues certificates into the same directory.
#[derive(Debug)]
pub struct Pki {
    dir: PathBuf,
    openssl: PathBuf,
    ca: CertFiles,
}

impl Pki {
    /// Creates a new self-signed CA named `ca_name` in `dir`.
    pub fn create(dir: &Path, ca_name: &str) -> Result<Pki> {
        let openssl = crate::process::find_on_path("openssl").ok_or(Error::OpensslMissing)?;
        std::fs::create_dir_all(dir).map_err(Error::io(format!("create {}", dir.display())))?;
        let ca = CertFiles { cert: dir.join("ca.crt"), key: dir.join("ca.key") };
        let pki = Pki { dir: dir.to_path_buf(), openssl, ca };
        pki.generate_key(&pki.ca.key)?;
        pki.openssl("create the CA certificate", |c| {
            c.args([
                "req",
                "-x509",
                "-new",
                "-sha256",
                "-days",
                VALID_DAYS,
                "-subj",
                &format!("/CN={}", escape(ca_name)),
            ]);
            c.args([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
            c.arg("-key").arg(&pki.ca.key).arg("-out").arg(&pki.ca.cert);
        })?;
        Ok(pki)
    }

    pub fn ca(&self) -> &CertFiles {
        &self.ca
    }

    /// Issues `<name>.crt` / `<name>.key` for the subject `O=<group>.. CN=<common_name>`.
    pub fn issue(&self, name: &str, common_name: &str, groups: &[&str], usage: Usage<'_>) -> Result<CertFiles> {
        let files = CertFiles { cert: self.dir.join(format!("{name}.crt")), key: self.dir.join(format!("{name}.key")) };
        let csr = self.dir.join(format!("{name}.csr"));
        let ext = self.dir.join(format!("{name}.ext"));
        self.generate_key(&files.key)?;
        let subject: String = groups
            .iter()
            .map(|g| format!("/O={}", escape(g)))
            .chain([format!("/CN={}", escape(common_name))])
            .collect();
        self.openssl(&format!("create the certificate request for {name}"), |c| {
            c.args(["req", "-new", "-subj", &subject]).arg("-key").arg(&files.key).arg("-out").arg(&csr);
        })?;
        let mut extensions =
            String::from("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
        let alt_names = |dns: &[&str], ips: &[&str]| -> String {
            let names: Vec<String> =
                dns.iter().map(|d| format!("DNS:{d}")).chain(ips.iter().map(|ip| format!("IP:{ip}"))).collect();
            names.join(",")
        };
        match usage {
            Usage::Server { dns, ips } => {
                extensions.push_str(&format!("extendedKeyUsage=serverAuth\nsubjectAltName={}\n", alt_names(dns, ips)));
            }
            Usage::Client => extensions.push_str("extendedKeyUsage=clientAuth\n"),
            Usage::Peer { dns, ips } => extensions
                .push_str(&format!("extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName={}\n", alt_names(dns, ips))),
        }
        std::fs::write(&ext, extensions).map_err(Error::io(format!("write {}", ext.display())))?;
        // A random serial rather than a serial file, so identities can be issued concurrently.
        let serial = format!("0x{:016x}", rand::random::<u64>() >> 1);
        self.openssl(&format!("sign the certificate for {name}"), |c| {
            c.args(["x509", "-req", "-sha256", "-days", VALID_DAYS, "-set_serial", &serial]);
            c.arg("-in").arg(&csr).arg("-CA").arg(&self.ca.cert).arg("-CAkey").arg(&self.ca.key);
            c.arg("-extfile").arg(&ext).arg("-out").arg(&files.cert);
        })?;
        Ok(files)
    }

    /// Generates `<name>.key` and its public half `<name>.pub`.
    pub(crate) fn key_pair(&self, name: &str) -> Result<KeyPair> {
        let pair =
            KeyPair { private: self.dir.join(format!("{name}.key")), public: self.dir.join(format!("{name}.pub")) };
        self.generate_key(&pair.private)?;
        self.openssl(&format!("extract the public key of {name}"), |c| {
            c.args(["pkey", "-pubout"]).arg("-in").arg(&pair.private).arg("-out").arg(&pair.public);
        })?;
        Ok(pair)
    }

    fn generate_key(&self, path: &Path) -> Result<()> {
        self.openssl(&format!("generate the key {}", path.display()), |c| {
            c.args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]).arg("-out").arg(path);
        })
    }

    /// Runs `openssl <args set by build>`; a failure carries openssl's own words.
    fn openssl(&self, step: &str, build: impl FnOnce(&mut Command)) -> Result<()> {
        let mut command = Command::new(&self.openssl);
        build(&mut command);
        let output = run(command, None, OPENSSL_TIMEOUT)?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(Error::Openssl { step: step.to_string(), status: output.status, output: text })
    }
}

/// Escapes the characters that `openssl req -subj` gives a meaning.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '/' | '\\' | '+' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_subject_separators() {
        assert_eq!(escape("system:serviceaccount:ns:name"), "system:serviceaccount:ns:name");
        assert_eq!(escape("a/b=c+d\\e"), "a\\/b\\=c\\+d\\\\e");
    }
}
