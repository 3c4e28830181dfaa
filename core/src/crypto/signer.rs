//! The `Signer` trait: "here is my certificate; sign this SM3 digest".
//!
//! The host computes e = SM3(Z ‖ M) (GB/T 32918.2 §6.1); the signer only signs e, so a
//! software key, a UKey (SKF `SKF_ECCSignData`) and a server-side key vault all fit.

use super::CryptoError;
use super::cert::Certificate;
use super::sm2::{self, PrivateKey, Signature};

/// Why a signer could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    #[error("PIN incorrect, {retries_left} attempts left")]
    PinIncorrect { retries_left: u32 },
    #[error("PIN locked")]
    PinLocked,
    #[error("the key has not been unlocked with its PIN")]
    NotLoggedIn,
    #[error("the signing device failed: {0}")]
    Device(String),
    #[error("the signer refused: {0}")]
    Refused(String),
    #[error("the signer's certificate does not hold an SM2 key")]
    NotSm2,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Anything that can make SM2 signatures for one certificate.
pub trait Signer: Send + Sync {
    /// The certificate whose key signs.
    fn certificate(&self) -> &Certificate;

    /// The signer ID used in Z (GM/T 0009 default `1234567812345678`).
    fn signer_id(&self) -> &[u8] {
        sm2::DEFAULT_ID
    }

    /// Signs the 32-byte digest e = SM3(Z ‖ M).
    fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, SignerError>;

    /// Signs message `msg`: computes Z from the certificate's key and the signer ID, then e.
    fn sign_message(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        let pk = self
            .certificate()
            .sm2_public_key()
            .map_err(|_| SignerError::NotSm2)?;
        let e = sm2::message_digest(pk, self.signer_id(), msg);
        self.sign_digest(&e)
    }
}

/// A signer holding its SM2 key in memory.
#[derive(Debug, Clone)]
pub struct SoftwareSigner {
    key: PrivateKey,
    cert: Certificate,
}

impl SoftwareSigner {
    /// Pairs a key with its certificate; refuses a certificate for another key.
    pub fn new(key: PrivateKey, cert: Certificate) -> Result<Self, CryptoError> {
        let pk = cert.sm2_public_key()?;
        if *pk != key.public_key() {
            return Err(CryptoError::InvalidKey(
                "the private key does not belong to the certificate".into(),
            ));
        }
        Ok(SoftwareSigner { key, cert })
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }
}

impl Signer for SoftwareSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, SignerError> {
        Ok(self.key.sign_digest(e)?)
    }
}
