//! SM3, SM2 with the GM/T 0009 signer ID, certificates, trust, and the [`Signer`] trait.

pub mod cert;
pub mod signer;
pub mod sm2;
pub mod sm3;
pub mod testca;
pub mod time;

pub use cert::Certificate;
pub use signer::{Signer, SignerError, SoftwareSigner};

use base64::Engine;

/// Errors of the crypto room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("signature value is malformed: {0}")]
    BadSignatureEncoding(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("signing failed")]
    SignatureFailed,
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("PEM: {0}")]
    Pem(String),
    #[error("random number generator: {0}")]
    Random(String),
    #[error("ASN.1: {0}")]
    Asn1(#[from] crate::asn1::Asn1Error),
    #[error("{0}")]
    Io(String),
}

/// Decodes the first PEM block whose label ends with `label` (so `PRIVATE KEY` also takes
/// `EC PRIVATE KEY`).
pub fn pem_decode(text: &str, label: &str) -> Result<Vec<u8>, CryptoError> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let end_label = after
            .find("-----")
            .ok_or_else(|| CryptoError::Pem("unterminated BEGIN line".into()))?;
        let found = &after[..end_label];
        let body_start = &after[end_label + 5..];
        let end_marker = format!("-----END {found}-----");
        let body_end = body_start
            .find(&end_marker)
            .ok_or_else(|| CryptoError::Pem(format!("no END line for {found}")))?;
        if found.ends_with(label) {
            let b64: String = body_start[..body_end]
                .lines()
                .filter(|l| !l.contains(':'))
                .flat_map(|l| l.chars())
                .filter(|c| !c.is_whitespace())
                .collect();
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| CryptoError::Pem(e.to_string()));
        }
        rest = &body_start[body_end + end_marker.len()..];
    }
    Err(CryptoError::Pem(format!("no {label} block")))
}

/// PEM when the input looks like PEM, DER otherwise.
pub fn pem_or_der(input: &[u8], label: &str) -> Result<Vec<u8>, CryptoError> {
    match std::str::from_utf8(input) {
        Ok(t) if t.contains("-----BEGIN ") => pem_decode(t, label),
        _ => Ok(input.to_vec()),
    }
}

/// Encodes DER as PEM with 64-character lines.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
