//! The platform's certificate authority (the unit's server certificate, manual 1.2.1.2)
//! behind a trait: the test CA in development, an external CA (a CA's RA interface) in
//! production.

use crate::crypto::cert::Certificate;
use crate::crypto::sm2;
use crate::crypto::testca::{CertKind, TestCa};
use crate::crypto::time::Time;

/// Why the CA did not issue.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("the CA refused: {0}")]
    Refused(String),
    #[error("the CA is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
}

/// What to certify.
#[derive(Clone, Debug)]
pub struct CertRequest {
    /// Subject attributes in order (C, O, OU, CN, serialNumber …).
    pub subject: Vec<(String, String)>,
    pub public_key: sm2::PublicKey,
    pub not_before: i64,
    pub not_after: i64,
}

/// Issues certificates for keys held in the platform's key vault.
pub trait CertificateAuthority: Send + Sync {
    /// Issues a signing certificate for the request.
    fn issue(&self, req: &CertRequest) -> Result<Certificate, CaError>;
}

/// The deterministic test CA (`crypto::testca`) as the platform's CA (development, tests).
pub struct TestCaAuthority(pub TestCa);

impl CertificateAuthority for TestCaAuthority {
    fn issue(&self, req: &CertRequest) -> Result<Certificate, CaError> {
        let subject: Vec<(&str, &str)> = req
            .subject
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(self.0.issue_for_key(
            &req.public_key,
            &subject,
            CertKind::Signing,
            Time::from_unix(req.not_before),
            Time::from_unix(req.not_after),
        )?)
    }
}
