//! PDF signing and verification (ISO 32000-1 §12.8): SM2 e-seals (GB/T 38540 SES_Signature),
//! SM2 CMS (PKCS#7 or GM/T 0010 OIDs) and international PAdES, written as incremental
//! updates with visible stamps and cross-page seals; verification with byte-range,
//! digest, signature, certificate and changed-after-signing checks.

mod appearance;
mod cos;
mod diff;
mod form;
mod object;
mod sign;
mod text;
mod verify;
mod writer;
mod xref;

pub use crate::cms::Sm2CmsOids;
pub use sign::{
    Credential, DocMdp, EmptyField, PadesKey, PadesSigner, Placement, QrCode, SES_SUBFILTER,
    SignRequest, finish, prepare, sign, sign_file, sign_update,
};
pub use text::{find_text, keyword_placements};
pub use verify::{MAX_SIGNATURES, PdfVerifyOptions, verify, verify_file};
pub use xref::XrefError;

/// Errors of the pdf room.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("the PDF is encrypted; decrypt it before signing / 文档已加密")]
    Encrypted,
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
    #[error("signing: {0}")]
    Signing(String),
    #[error("CMS: {0}")]
    Cms(String),
    #[error("{0}")]
    Io(String),
    #[error("cross-reference data: {0}")]
    Xref(#[from] XrefError),
    #[error("cannot write the signed PDF: {0}")]
    Write(#[from] crate::fs::WriteError),
}

impl From<crate::cms::CmsError> for PdfError {
    fn from(e: crate::cms::CmsError) -> Self {
        PdfError::Cms(e.to_string())
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
