//! GB/T 38540-2020 (v4), GM/T 0031-2014 (v1) and GM/T 0031-2025 (v5) seals (`SESeal`) and
//! electronic signatures (`SES_Signature`): build, parse, verify.
//!
//! Who signs what (GB/T 38540 §6.2, §7.1.5; GM/T 0031-2014 for v1): the v4/v5 maker signs the encoded SES_SealInfo as it
//! sits in the seal; the v1 maker signs SEQUENCE { SES_SealInfo, cert, alg }; the signer
//! signs the encoded TBS_Sign. Verification always runs over the original bytes.

mod build;
pub mod seal;
pub mod signature;
pub mod types;
pub mod verify;

pub use build::{SealBuilder, add_timestamp, seal_type, sign};
pub use seal::{CertList, PictureFormat, Seal, SealPicture, SesVersion};
pub use signature::SesSignature;
pub use verify::{DataCheck, verify_parsed, verify_seal_bytes, verify_signature};

/// Errors of the ses room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SesError {
    #[error("malformed {what}: {why}")]
    Malformed { what: String, why: String },
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("ASN.1: {0}")]
    Asn1(#[from] crate::asn1::Asn1Error),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("the seal cannot be used: {0}")]
    SealUnusable(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("signing failed: {0}")]
    Signer(#[from] crate::crypto::SignerError),
    #[error("time stamp: {0}")]
    TimeStamp(#[from] crate::tsp::TspError),
}
