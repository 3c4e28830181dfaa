//! Trust anchors: given one by one (`--trust CERT`) or installed once in a trust directory
//! (`ESEAL_TRUST_DIR`, default `$XDG_CONFIG_HOME/eseal/trust` or `~/.config/eseal/trust`) so
//! that a deployment installs its national SM2 roots once.

use crate::crypto::Certificate;
use std::path::{Path, PathBuf};

/// The environment variable naming the trust directory.
pub const TRUST_DIR_ENV: &str = "ESEAL_TRUST_DIR";

/// A trust anchor that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("trust anchor {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("trust anchor {path}: not a certificate (PEM or DER): {why}")]
    NotACertificate { path: PathBuf, why: String },
}

/// Trust anchors chosen by the caller.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, c: Certificate) {
        if !self.anchors.iter().any(|a| a.der() == c.der()) {
            self.anchors.push(c);
        }
    }
    pub fn with(mut self, c: Certificate) -> Self {
        self.add(c);
        self
    }
    /// Adds every certificate of a PEM bundle or one DER certificate.
    pub fn add_bytes(&mut self, bytes: &[u8]) -> Result<(), crate::crypto::CryptoError> {
        for c in Certificate::parse_all(bytes)? {
            self.add(c);
        }
        Ok(())
    }
    /// Adds the certificates of one file (a PEM bundle or a DER certificate).
    pub fn add_file(&mut self, path: &Path) -> Result<(), TrustError> {
        let bytes = std::fs::read(path).map_err(|source| TrustError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.add_bytes(&bytes)
            .map_err(|e| TrustError::NotACertificate {
                path: path.to_owned(),
                why: e.to_string(),
            })
    }
    /// Reads PEM bundles or DER certificates from files.
    pub fn from_files<P: AsRef<Path>>(paths: &[P]) -> Result<Self, TrustError> {
        let mut s = Self::new();
        for p in paths {
            s.add_file(p.as_ref())?;
        }
        Ok(s)
    }
    /// Adds every `*.pem`, `*.crt`, `*.cer` and `*.der` file of `dir` (not recursive; other
    /// files, such as a README, are ignored). A directory that does not exist adds nothing;
    /// a certificate file that cannot be read is an error, so that a broken installation
    /// is seen rather than silently trusting less.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), TrustError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(TrustError::Read {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for e in entries {
            let e = e.map_err(|source| TrustError::Read {
                path: dir.to_owned(),
                source,
            })?;
            let p = e.path();
            let ext = p
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase);
            if matches!(ext.as_deref(), Some("pem" | "crt" | "cer" | "der")) && p.is_file() {
                files.push(p);
            }
        }
        files.sort();
        for f in files {
            self.add_file(&f)?;
        }
        Ok(())
    }
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
    pub fn contains(&self, c: &Certificate) -> bool {
        self.anchors.iter().any(|a| a.der() == c.der())
    }
}

/// The trust directory: `$ESEAL_TRUST_DIR` when set (an empty value: none), else
/// `$XDG_CONFIG_HOME/eseal/trust`, else `$HOME/.config/eseal/trust`.
pub fn default_trust_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(TRUST_DIR_ENV) {
        return (!d.is_empty()).then(|| PathBuf::from(d));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("eseal").join("trust"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".config").join("eseal").join("trust"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testca::TestCa;

    #[test]
    fn a_directory_adds_its_certificates_and_ignores_other_files() {
        let ca = TestCa::new("trust-dir").unwrap();
        let dir = std::env::temp_dir().join(format!("eseal-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.pem"), ca.root.cert.to_pem()).unwrap();
        std::fs::write(dir.join("unit.der"), ca.unit.cert.der()).unwrap();
        std::fs::write(dir.join("README"), "not a certificate").unwrap();
        let mut s = TrustStore::new();
        s.add_dir(&dir).unwrap();
        assert_eq!(s.anchors().len(), 2);
        assert!(s.contains(&ca.root.cert));
        std::fs::write(dir.join("broken.pem"), "-----BEGIN CERTIFICATE-----\nAA\n").unwrap();
        assert!(matches!(
            TrustStore::new().add_dir(&dir),
            Err(TrustError::NotACertificate { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        let mut none = TrustStore::new();
        none.add_dir(&dir).unwrap();
        assert!(none.is_empty(), "a missing directory adds nothing");
    }
}
