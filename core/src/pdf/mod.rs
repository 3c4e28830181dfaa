//! PDF signing and verification (ISO 32000-1 §12.8): SM2 e-seals (GB/T 38540 SES_Signature),
//! SM2 CMS (PKCS#7 or GM/T 0010 OIDs) and international PAdES, written as incremental
//! updates with visible stamps and cross-page seals; verification with byte-range,
//! digest, signature, certificate and changed-after-signing checks.

mod appearance;
mod cos;
mod diff;
mod dss;
mod form;
mod ltv;
mod object;
mod sign;
mod sign_doc;
mod text;
mod verify;
mod writer;
mod xref;

pub use crate::cms::Sm2CmsOids;
pub use dss::{ValidationData, vri_key};
pub use ltv::{LtvOptions, LtvSummary, add_validation_data, timestamp, validation_data_update};
pub(crate) use ltv::{carried_certificates, complete_chains};
pub use sign::{
    Credential, DocMdp, EmptyField, PadesKey, PadesSigner, Placement, QrCode, SES_SUBFILTER,
    SignRequest, finish, finish_file, prepare, prepare_file, sign, sign_file, sign_update,
};
pub use text::{find_text, keyword_placements, keyword_placements_file};
pub use verify::{MAX_SIGNATURES, verify, verify_file};
pub use xref::XrefError;

/// Errors of the pdf room.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error(
        "the PDF is encrypted; eseal neither signs nor verifies encrypted files, decrypt it first / 文档已加密，请先解密"
    )]
    Encrypted,
    /// Unusable input for verification and signing: empty, or no `%PDF-` header.
    #[error("not a PDF: {0} / 不是 PDF 文件")]
    NotPdf(String),
    #[error("malformed PDF: {0}")]
    Malformed(String),
    #[error("unsupported PDF: {0}")]
    Unsupported(String),
    #[error("stamp picture: {0}")]
    Picture(String),
    #[error("placement: {0}")]
    Placement(String),
    /// A keyword not found (or not as often as asked).
    #[error("placement: {0}")]
    Keyword(crate::placement::PlacementError),
    #[error(transparent)]
    Deferred(#[from] crate::deferred::DeferredError),
    /// The PAdES key or certificate given cannot be used (unreadable, not EC P-256 or RSA).
    #[error("signing key: {0}")]
    Key(String),
    /// The signer could not sign: wrong or locked PIN, UKey removed, key vault refused.
    #[error("signing failed: {0}")]
    Signer(#[from] crate::crypto::SignerError),
    /// The seal cannot make this signature (GB/T 38540 §8.2 checks before signing).
    #[error(transparent)]
    Ses(#[from] crate::ses::SesError),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("CMS: {0}")]
    Cms(#[from] crate::cms::CmsError),
    /// The TSA could not be reached or refused (`--tsa`).
    #[error("time stamp: {0}")]
    TimeStamp(#[from] crate::tsp::TspError),
    /// The signature dictionary could not be laid out in the update (a bug, not bad input).
    #[error("signature layout: {0}")]
    Layout(String),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cross-reference data: {0}")]
    Xref(#[from] XrefError),
    #[error("cannot write the signed PDF: {0}")]
    Write(#[from] crate::fs::WriteError),
}

impl PdfError {
    /// Reading the file at `path` failed.
    pub(crate) fn read(path: &std::path::Path, source: std::io::Error) -> Self {
        PdfError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl From<crate::placement::PlacementError> for PdfError {
    fn from(e: crate::placement::PlacementError) -> Self {
        use crate::placement::PlacementError as P;
        match e {
            P::KeywordNotFound { .. } | P::OccurrenceMissing { .. } => PdfError::Keyword(e),
            e => PdfError::Placement(e.to_string()),
        }
    }
}
