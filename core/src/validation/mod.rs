//! The validation room: what a verifier trusts and when, for every verifier (seal files, SES
//! signatures, OFD and PDF). One [`VerifyOptions`], one [`TrustStore`], one chain builder
//! ([`verify_chain`]) and one set of certificate checks ([`certificate_checks`]): trust is
//! decided here and nowhere else.
//!
//! The decision (README "Exit status"): a signature whose certificates all chain to an anchor
//! of the trust store is *trusted*; one whose chain ends elsewhere (an unknown root, or no
//! anchors configured) is reported with [`crate::report::Status::Untrusted`], which makes the
//! verdict "intact, signer not trusted" (exit 3) when nothing else fails. A chain whose
//! signatures do not verify is a failure.

mod chain;
mod checks;
pub mod long_term;
mod trust;

pub use chain::{ChainStatus, build_chain, verify_chain};
pub use checks::certificate_checks;
pub use trust::{TRUST_DIR_ENV, TrustError, TrustStore, default_trust_dir};

use crate::crypto::Certificate;
use crate::crypto::time::Time;
use crate::revocation::RevocationEvidence;

/// What a verifier trusts, as of when, and how strictly. The same options serve
/// [`crate::ses::verify_signature`], [`crate::ofd::verify`] and [`crate::pdf::verify`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Trust anchors (`--trust`, the trust directory).
    pub trust: TrustStore,
    /// The time the verification is made as of (`--at`; default: now). Certificates and
    /// seals are checked at the signing time *and* at this time.
    pub at: Time,
    /// Warnings (expired now, non-standard encodings, a timestamp not checked) count as
    /// failures (`--strict`).
    pub strict: bool,
    /// Certificates given by the caller: intermediates that may complete chains, and signer
    /// certificates for OFD `Type="Sign"` values that carry none (a bare SM2 signature, as
    /// ofdrw's DigitalSignContainer writes).
    pub extra_certs: Vec<Certificate>,
    /// `at` was asked for (`--at`): validation as of that time from the evidence the document
    /// embeds. A certificate no longer valid then passes when document timestamps prove the
    /// signature and its validation data existed while it was (PAdES-LTA, ETSI EN 319 102-1
    /// §5.6.2.4); otherwise it stays the warning "valid when signed, expired now", saying what
    /// proof is missing (a failure under `strict`).
    pub long_term: bool,
    /// CRLs and OCSP responses (`--crl`, `--ocsp`, the trust directory's `*.crl`, a PDF's DSS):
    /// every certificate of a trusted chain is checked against them at its signing time.
    pub revocation: RevocationEvidence,
    /// Fetch revocation information from the certificates' CRL distribution points and AIA
    /// OCSP responders over HTTP when the given evidence says nothing (`--online`).
    pub online: bool,
    /// Say so (a warning) when a trusted certificate has no revocation information. The CLI
    /// turns it on; the library's default is off, so callers that never give revocation
    /// evidence keep their verdicts (a revocation found is a failure either way).
    pub warn_without_revocation: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            trust: TrustStore::new(),
            at: Time::now(),
            strict: false,
            extra_certs: Vec::new(),
            long_term: false,
            revocation: RevocationEvidence::default(),
            online: false,
            warn_without_revocation: false,
        }
    }
}

impl VerifyOptions {
    /// Options trusting `trust` as of now, not strict.
    pub fn trusting(trust: TrustStore) -> Self {
        VerifyOptions {
            trust,
            ..Default::default()
        }
    }
}
