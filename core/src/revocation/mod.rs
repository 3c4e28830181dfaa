//! The revocation room: is a certificate revoked, as of the signing time? X.509 CRLs
//! (RFC 5280 §5) and OCSP responses (RFC 6960), given to the verifier as raw DER in one
//! [`RevocationEvidence`] (files, a PDF's DSS, a trust directory's `*.crl`) or fetched from the
//! certificate's CRL distribution points and AIA OCSP pointers ([`fetch`]).
//!
//! The decision ([`status_at`]) for a certificate, its issuer and the time `t` it was used at:
//! - an authentic CRL entry or OCSP answer saying it was revoked on or before `t` → revoked
//!   (whatever the evidence's age: revocation is final);
//! - else an authentic CRL or OCSP answer that covers `t` — current at `t`
//!   (thisUpdate ≤ t ≤ nextUpdate) or made after `t` — → not revoked at `t`, with the
//!   revocation date when it was revoked later;
//! - else no information (an expired CRL, an OCSP "unknown", nothing given).

mod checks;
mod crl;
pub mod fetch;
mod ocsp;

pub use checks::revocation_checks;
pub use crl::{
    Crl, CrlBuilder, MAX_CRL_LEN, RevokedEntry, format_revoked_list, parse_revoked_list,
};
pub use ocsp::{
    CertId, CertStatus, MAX_OCSP_LEN, MEDIA_REQUEST, MEDIA_RESPONSE, OID_KP_OCSP_SIGNING,
    OcspRequest, OcspResponse, Responder, ResponderId, SingleResponse,
};

use crate::asn1::{Tlv, tag};
use crate::crypto::Certificate;
use crate::crypto::cert::wrap;
use crate::crypto::signer::Signer;
use crate::crypto::time::Time;
use std::path::Path;

/// CRLs and OCSP responses as raw DER (an OCSPResponse or a BasicOCSPResponse): the one input
/// type of revocation checks, whatever their source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationEvidence {
    pub crls: Vec<Vec<u8>>,
    pub ocsp: Vec<Vec<u8>>,
}

impl RevocationEvidence {
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.ocsp.is_empty()
    }

    /// Adds another set (without duplicates).
    pub fn extend(&mut self, other: &RevocationEvidence) {
        for c in &other.crls {
            if !self.crls.contains(c) {
                self.crls.push(c.clone());
            }
        }
        for o in &other.ocsp {
            if !self.ocsp.contains(o) {
                self.ocsp.push(o.clone());
            }
        }
    }

    /// Adds a CRL file (DER or PEM `X509 CRL`); refuses one that is no CRL.
    pub fn add_crl_file(&mut self, path: &Path) -> Result<(), RevocationError> {
        let bytes = read_bounded(path, MAX_CRL_LEN)?;
        let crl = Crl::parse(&bytes).map_err(|e| RevocationError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        self.crls.push(crl.der().to_vec());
        Ok(())
    }

    /// Adds an OCSP response file (DER OCSPResponse, as `openssl ocsp -respout` writes it).
    pub fn add_ocsp_file(&mut self, path: &Path) -> Result<(), RevocationError> {
        let bytes = read_bounded(path, MAX_OCSP_LEN)?;
        OcspResponse::parse(&bytes).map_err(|e| RevocationError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        self.ocsp.push(bytes);
        Ok(())
    }

    /// Adds every `*.crl` file of a directory (a trust directory); none when it does not exist.
    pub fn add_crl_dir(&mut self, dir: &Path) -> Result<(), RevocationError> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x.eq_ignore_ascii_case("crl"))
            })
            .collect();
        files.sort();
        for f in files {
            self.add_crl_file(&f)?;
        }
        Ok(())
    }
}

fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>, RevocationError> {
    let file = |why: String| RevocationError::File {
        path: path.display().to_string(),
        why,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| file(e.to_string()))?
        .len();
    if len > max as u64 {
        return Err(file(format!("{len} bytes is larger than {max}")));
    }
    std::fs::read(path).map_err(|e| file(e.to_string()))
}

/// Why revocation evidence could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    #[error("{0} is malformed: {1}")]
    Malformed(&'static str, String),
    #[error("{0} of {1} bytes is too large")]
    TooLarge(&'static str, usize),
    #[error("unrecognised critical extension {0} (RFC 5280 §5.2)")]
    UnknownCriticalExtension(String),
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("the OCSP responder answered {0}")]
    ResponderRefused(&'static str),
    #[error("{path}: {why}")]
    File { path: String, why: String },
    #[error("fetching revocation information: {0}")]
    Fetch(String),
    #[error("signing: {0}")]
    Sign(String),
}

/// CRLReason (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    RemoveFromCrl,
    PrivilegeWithdrawn,
    AaCompromise,
    Other(u8),
}

impl Reason {
    const ALL: [(Reason, u8, &'static str); 10] = [
        (Reason::Unspecified, 0, "unspecified"),
        (Reason::KeyCompromise, 1, "keyCompromise"),
        (Reason::CaCompromise, 2, "cACompromise"),
        (Reason::AffiliationChanged, 3, "affiliationChanged"),
        (Reason::Superseded, 4, "superseded"),
        (Reason::CessationOfOperation, 5, "cessationOfOperation"),
        (Reason::CertificateHold, 6, "certificateHold"),
        (Reason::RemoveFromCrl, 8, "removeFromCRL"),
        (Reason::PrivilegeWithdrawn, 9, "privilegeWithdrawn"),
        (Reason::AaCompromise, 10, "aACompromise"),
    ];
    pub fn from_code(c: u8) -> Self {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == c)
            .map_or(Reason::Other(c), |(r, _, _)| *r)
    }
    pub fn code(self) -> u8 {
        match self {
            Reason::Other(c) => c,
            r => Self::ALL
                .iter()
                .find(|(x, _, _)| *x == r)
                .map_or(0, |(_, n, _)| *n),
        }
    }
    /// The standard's name (`keyCompromise`), as `openssl ca -crl_reason` takes it.
    pub fn name(self) -> String {
        Self::ALL.iter().find(|(x, _, _)| *x == self).map_or_else(
            || format!("reason {}", self.code()),
            |(_, _, n)| (*n).to_owned(),
        )
    }
    pub fn from_name(n: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, _, s)| s.eq_ignore_ascii_case(n))
            .map(|(r, _, _)| *r)
    }
}

/// Where an answer came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Crl {
        issuer: String,
        this_update: Time,
        next_update: Option<Time>,
        number: Option<String>,
    },
    Ocsp {
        responder: String,
        this_update: Time,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Crl {
                issuer,
                this_update,
                number,
                ..
            } => {
                write!(f, "CRL of {issuer}")?;
                if let Some(n) = number {
                    write!(f, " number {n}")?;
                }
                write!(f, ", thisUpdate {}", this_update.to_iso())
            }
            Source::Ocsp {
                responder,
                this_update,
            } => write!(
                f,
                "OCSP response of {responder}, thisUpdate {}",
                this_update.to_iso()
            ),
        }
    }
}

/// A revocation as evidence states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub date: Time,
    pub reason: Option<Reason>,
    pub source: Source,
}

/// The outcome of [`status_at`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Revoked on or before the time asked about.
    RevokedBefore(Revocation),
    /// Not revoked at the time asked about; `later` when it was revoked afterwards.
    Good {
        source: Source,
        later: Option<Revocation>,
    },
    /// No usable information. `notes` say what was given and why it did not count (expired,
    /// OCSP "unknown"); `rejected` lists evidence for this issuer that failed its checks
    /// (a CRL signed by another key).
    NoInformation {
        notes: Vec<String>,
        rejected: Vec<String>,
    },
}

/// Whether `cert` (issued by `issuer`) was revoked at `t`, by `evidence`. `pool` holds
/// certificates that may be delegated CRL signers or OCSP responders.
pub fn status_at(
    cert: &Certificate,
    issuer: &Certificate,
    t: Time,
    evidence: &RevocationEvidence,
    pool: &[Certificate],
) -> RevocationStatus {
    let (mut notes, mut rejected) = (Vec::new(), Vec::new());
    let mut revoked: Option<Revocation> = None;
    let mut good: Option<Source> = None;
    let covers = |this: Time, next: Option<Time>| this >= t || next.is_none_or(|n| n >= t);
    for der in &evidence.crls {
        let Ok(crl) = Crl::from_der(der) else {
            continue;
        };
        // Only a CRL naming the CA or signed by a key the CA certified can speak for it.
        let signer = match crl.verify_signer(issuer, pool) {
            Ok(s) => s,
            Err(e) => {
                if crl.issuer == *issuer.subject() {
                    rejected.push(e.to_string());
                }
                continue;
            }
        };
        let source = Source::Crl {
            issuer: signer.subject_string(),
            this_update: crl.this_update,
            next_update: crl.next_update,
            number: crl.number.clone(),
        };
        if let Some(e) = crl.entry_for(cert) {
            let r = Revocation {
                date: e.date,
                reason: e.reason,
                source: source.clone(),
            };
            if e.reason == Some(Reason::RemoveFromCrl) {
                continue;
            }
            note_revocation(&mut revoked, r);
        } else if crl.is_delta || crl.partial_scope {
            notes.push(format!(
                "{source}: a delta or partial-scope CRL, used only for the revocations it lists"
            ));
        } else if !covers(crl.this_update, crl.next_update) {
            notes.push(format!(
                "{source}: expired at {} before {}, so it does not cover that time",
                crl.next_update.map(Time::to_iso).unwrap_or_default(),
                t.to_iso()
            ));
        } else {
            good = Some(good.unwrap_or(source));
        }
    }
    for der in &evidence.ocsp {
        let Ok(resp) = OcspResponse::parse(der) else {
            continue;
        };
        let Some(single) = resp.response_for(cert, issuer) else {
            continue;
        };
        let signer = match resp.verify_signer(issuer, pool) {
            Ok(s) => s,
            Err(e) => {
                rejected.push(e.to_string());
                continue;
            }
        };
        let source = Source::Ocsp {
            responder: signer.subject_string(),
            this_update: single.this_update,
        };
        match &single.status {
            CertStatus::Revoked { date, reason } => note_revocation(
                &mut revoked,
                Revocation {
                    date: *date,
                    reason: *reason,
                    source,
                },
            ),
            CertStatus::Unknown => notes.push(format!("{source}: status unknown")),
            CertStatus::Good if covers(single.this_update, single.next_update) => {
                good = Some(good.unwrap_or(source));
            }
            CertStatus::Good => notes.push(format!(
                "{source}: expired at {} before {}",
                single.next_update.map(Time::to_iso).unwrap_or_default(),
                t.to_iso()
            )),
        }
    }
    match (revoked, good) {
        (Some(r), _) if r.date <= t => RevocationStatus::RevokedBefore(r),
        (Some(r), Some(source)) => RevocationStatus::Good {
            source,
            later: Some(r),
        },
        // Revoked after t by evidence that says nothing else: that evidence covered t.
        (Some(r), None) => RevocationStatus::Good {
            source: r.source.clone(),
            later: Some(r),
        },
        (None, Some(source)) => RevocationStatus::Good {
            source,
            later: None,
        },
        (None, None) => RevocationStatus::NoInformation { notes, rejected },
    }
}

/// Keeps the earliest revocation.
fn note_revocation(slot: &mut Option<Revocation>, r: Revocation) {
    if slot.as_ref().is_none_or(|s| r.date < s.date) {
        *slot = Some(r);
    }
}

// Small DER helpers shared by CRLs and OCSP.

pub(crate) fn oid_der(oid: &str) -> Vec<u8> {
    der::Encode::to_der(&der::asn1::ObjectIdentifier::new(oid).expect("a valid OID constant"))
        .expect("an OID encodes")
}

/// A non-negative INTEGER from a big-endian magnitude.
pub(crate) fn integer(magnitude: &[u8]) -> Vec<u8> {
    let m = self::magnitude(magnitude);
    let mut v = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m[0] & 0x80 != 0 {
        v.push(0);
    }
    v.extend_from_slice(m);
    wrap(tag::INTEGER, &v)
}

/// Leading zero octets stripped (one kept for zero).
pub(crate) fn magnitude(b: &[u8]) -> &[u8] {
    let first = b
        .iter()
        .position(|x| *x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    &b[first.min(b.len())..]
}

/// (OID, critical, extnValue content) of an `Extensions` SEQUENCE encoding.
pub(crate) fn extensions(der: &[u8]) -> Result<Vec<(String, bool, &[u8])>, crate::asn1::Asn1Error> {
    let mut out = Vec::new();
    for e in Tlv::parse_exact(der, "Extensions")?.sequence("Extensions")? {
        let f = e.sequence("Extension")?;
        let Some(oid) = f.first() else {
            continue;
        };
        let critical = f
            .iter()
            .any(|x| x.tag == tag::BOOLEAN && x.content.first().is_some_and(|b| *b != 0));
        let Some(value) = f.last().filter(|v| v.tag == tag::OCTET_STRING) else {
            continue;
        };
        out.push((oid.oid("extnID")?, critical, value.content));
    }
    Ok(out)
}

/// The three parts of a signed structure: to-be-signed, algorithm OID, signature bits.
pub(crate) fn signature_parts<'a>(
    top: &Tlv<'a>,
    what: &'static str,
) -> Result<(Tlv<'a>, String, Vec<u8>), crate::asn1::Asn1Error> {
    let parts = (*top).sequence(what)?;
    let (Some(tbs), Some(alg), Some(sig)) = (parts.first(), parts.get(1), parts.get(2)) else {
        return Err(crate::asn1::Asn1Error::Invalid {
            what,
            why: "needs to-be-signed data, algorithm and signature".into(),
        });
    };
    let alg = (*alg)
        .sequence("signatureAlgorithm")?
        .first()
        .ok_or(crate::asn1::Asn1Error::Invalid {
            what,
            why: "empty AlgorithmIdentifier".into(),
        })?
        .oid("signatureAlgorithm")?;
    Ok((*tbs, alg, sig.bit_string("signature")?.to_vec()))
}

/// An SM2/SM3 signature BIT STRING over `tbs`.
pub(crate) fn sign_sm2(signer: &dyn Signer, tbs: &[u8]) -> Result<Vec<u8>, RevocationError> {
    let sig = signer
        .sign_message(tbs)
        .map_err(|e| RevocationError::Sign(e.to_string()))?
        .to_der();
    let mut bits = vec![0u8];
    bits.extend(sig);
    Ok(wrap(tag::BIT_STRING, &bits))
}

/// The subjectPublicKey BIT STRING value (what CertID's issuerKeyHash and a responder's
/// KeyHash hash, RFC 6960 §4.1.1).
pub(crate) fn public_key_bits(c: &Certificate) -> Option<&[u8]> {
    let spki = Tlv::parse_exact(c.spki_der(), "SubjectPublicKeyInfo").ok()?;
    let f = spki.sequence("SubjectPublicKeyInfo").ok()?;
    f.get(1)?.bit_string("subjectPublicKey").ok()
}

/// Whether the certificate's extendedKeyUsage lists `oid`.
pub(crate) fn has_extended_key_usage(c: &Certificate, oid: &str) -> bool {
    c.extensions()
        .iter()
        .filter(|(o, _, _)| o == "2.5.29.37")
        .filter_map(|(_, _, v)| Tlv::parse_exact(v, "ExtKeyUsage").ok())
        .filter_map(|t| t.sequence("ExtKeyUsage").ok())
        .flatten()
        .any(|k| k.oid("KeyPurposeId").is_ok_and(|k| k == oid))
}
