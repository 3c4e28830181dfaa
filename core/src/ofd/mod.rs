//! OFD (GB/T 33190-2016) signing and verification with GB/T 38540 electronic seals.
//!
//! - [`container`]: the ZIP container read so that every ZIP reader sees the same files.
//! - [`package`]: the package's files, read with bounds, rewritten by raw copy + atomic rename.
//! - [`document`]: OFD.xml → DocBody → Document.xml → pages; files rendering uses.
//! - [`signatures`]: Signatures.xml / Signature.xml (order-insensitive read, schema-order write).
//! - [`sign`]: `Type="Seal"` (SES_Signature) and `Type="Sign"` signatures, stamps, cross-page seals.
//! - [`verify`]: every check of `docs/ofd-verification.md`, as a [`crate::report::VerificationReport`].

pub mod container;
pub mod document;
pub mod evidence;
pub mod package;
pub mod sign;
pub mod signatures;
pub mod text;
pub mod verify;
pub mod xml;

pub use container::{SameName, ZipFlaw};
pub use document::{DocBody, Document, Page};
pub use package::{DigestAlg, Limits, Package};
pub use sign::{Placement, QrCode, SignKind, SignRequest, finish, prepare, sign, sign_file};
pub use text::{find_text, keyword_placements};
pub use verify::{inspect, verify, verify_file};

/// Errors of the ofd room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfdError {
    #[error("not a readable OFD package (ZIP): {0}")]
    Zip(String),
    #[error("unsafe entry name {name:?} in the package: {why}")]
    UnsafeEntry { name: String, why: String },
    /// The ZIP file is malformed, or two ZIP readers could read it differently.
    #[error("ambiguous or malformed ZIP package: {0}")]
    Container(#[from] ZipFlaw),
    #[error("package limit exceeded: {0}")]
    Limit(String),
    /// More uncompressed bytes than [`Limits`] allow for one package (decompression
    /// amplification, or work repeated on the same files).
    #[error(
        "package limit exceeded: more than {limit} uncompressed bytes read for one package (decompression amplification)"
    )]
    ReadBudget { limit: u64 },
    #[error("malformed XML in {part}: {why}")]
    Xml { part: String, why: String },
    #[error("bad path {loc:?}: {why}")]
    BadPath { loc: String, why: String },
    #[error("missing part {0}")]
    MissingPart(String),
    #[error("OFD structure: {0}")]
    Structure(String),
    #[error("cannot sign: {0}")]
    Refused(String),
    #[error("invalid placement: {0}")]
    Placement(String),
    /// A keyword not found (or not as often as asked).
    #[error("invalid placement: {0}")]
    Keyword(crate::placement::PlacementError),
    /// A stamp that would show nowhere: its box lies entirely outside the page (boxes as
    /// ST_Box "x y w h" in mm).
    #[error(
        "invalid placement: the stamp box {boundary} mm lies entirely off page {page} (page box {page_box} mm)"
    )]
    StampOffPage {
        page: usize,
        boundary: String,
        page_box: String,
    },
    #[error("I/O: {0}")]
    Io(String),
    #[error(transparent)]
    Ses(#[from] crate::ses::SesError),
    #[error("signing failed: {0}")]
    Signer(#[from] crate::crypto::SignerError),
    #[error(transparent)]
    Deferred(#[from] crate::deferred::DeferredError),
    #[error("CMS: {0}")]
    Cms(#[from] crate::cms::CmsError),
    /// The TSA could not be reached or refused (`ofd ltv --tsa`).
    #[error("time stamp: {0}")]
    TimeStamp(String),
    #[error("cannot write the signed OFD: {0}")]
    Write(#[from] crate::fs::WriteError),
}

impl From<crate::placement::PlacementError> for OfdError {
    fn from(e: crate::placement::PlacementError) -> Self {
        use crate::placement::PlacementError as P;
        match e {
            P::KeywordNotFound { .. } | P::OccurrenceMissing { .. } => OfdError::Keyword(e),
            e => OfdError::Placement(e.to_string()),
        }
    }
}
