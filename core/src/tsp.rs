//! Trusted time: the RFC 3161 Time-Stamp Protocol (also the shape of GM/T 0033 tokens with
//! SM2/SM3): requests, responses and tokens read over their original bytes, a client that
//! asks a TSA over HTTP, a TSA (responder) that the reference server and the tests use, and
//! the verification of a token against the data it stamps.
//!
//! ```asn1
//! TimeStampReq  ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
//!                              reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL,
//!                              certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
//! MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
//! TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
//! PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
//! TimeStampToken ::= ContentInfo  -- SignedData, eContentType id-ct-TSTInfo
//! TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
//!                        serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//!                        ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
//!                        tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
//! ```

use crate::asn1::{Asn1Error, Tlv, header, tag};
use crate::cms::{self, BuildParams, CmsError, ContentTypes};
use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer};
use crate::report::{Check, CheckKind as K};
use crate::validation::{ChainStatus, VerifyOptions, certificate_checks, verify_chain};
use std::sync::atomic::{AtomicU64, Ordering};

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const OID_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
/// id-kp-timeStamping (RFC 3161 §2.3, RFC 5280 §4.2.1.12).
pub const OID_KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
/// extKeyUsage (RFC 5280 §4.2.1.12).
pub const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
/// The policy eseal's TSA answers under when none is asked (an arc of its own, for tests and
/// the demo; a production TSA has its CA's policy).
pub const DEFAULT_POLICY: &str = "1.3.6.1.4.1.55555.3161.1";
/// HTTP media types (RFC 3161 §3.4).
pub const MEDIA_QUERY: &str = "application/timestamp-query";
pub const MEDIA_REPLY: &str = "application/timestamp-reply";

/// Errors of the tsp room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TspError {
    #[error("{0}")]
    Asn1(#[from] Asn1Error),
    #[error("{0}")]
    Cms(#[from] CmsError),
    #[error("{what}: {why}")]
    Malformed { what: &'static str, why: String },
    #[error("digest algorithm {0} is not supported")]
    UnsupportedDigest(String),
    #[error("the TSA refused: status {status}{}{}", text.as_deref().map(|t| format!(", {t}")).unwrap_or_default(), fail_info.map(|f| format!(" (failInfo {})", FailureInfo::name(f))).unwrap_or_default())]
    Rejected {
        status: u32,
        text: Option<String>,
        fail_info: Option<u32>,
    },
    #[error("the token's nonce is not the request's")]
    NonceMismatch,
    #[error("the token's messageImprint is not the digest of the stamped data")]
    ImprintMismatch,
    #[error("the token carries no certificate of its signer (ask with certReq, or give it)")]
    NoSignerCertificate,
    #[error("the token's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the TSA certificate {0}")]
    NotTimeStampingCertificate(String),
    #[error("the token's time {gen_time} is outside the TSA certificate's validity")]
    OutsideTsaValidity { gen_time: String },
    #[error("the TSA certificate's chain is broken at {at}: {why}")]
    BrokenChain { at: String, why: String },
    #[error("HTTP: {0}")]
    Http(String),
    #[error("signing the token: {0}")]
    Signing(String),
}

// ---------------------------------------------------------------------------------------
// DER writing helpers (the ones cms uses are private to it; these are the same few lines).

fn tlv(t: u8, content: &[u8]) -> Vec<u8> {
    let mut v = header(t, content.len());
    v.extend_from_slice(content);
    v
}

fn oid_der(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    let mut arc = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend(tmp);
    };
    if arcs.len() >= 2 {
        arc(arcs[0] * 40 + arcs[1]);
        for &a in &arcs[2..] {
            arc(a);
        }
    }
    tlv(tag::OID, &body)
}

/// A non-negative INTEGER from big-endian magnitude bytes (DER minimal, a 00 pad when the
/// top bit is set).
fn uint_der(magnitude: &[u8]) -> Vec<u8> {
    let start = magnitude
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(magnitude.len());
    let m = &magnitude[start..];
    let mut body = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(m);
    tlv(tag::INTEGER, &body)
}

/// An INTEGER's magnitude without leading zero bytes (for comparisons).
fn trim(b: &[u8]) -> &[u8] {
    &b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..]
}

fn malformed(what: &'static str, why: impl Into<String>) -> TspError {
    TspError::Malformed {
        what,
        why: why.into(),
    }
}

// ---------------------------------------------------------------------------------------
// MessageImprint, TimeStampReq

/// MessageImprint: the hash algorithm and the hash of the stamped data (RFC 3161 §2.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageImprint {
    pub hash_alg: String,
    pub hashed: Vec<u8>,
}

impl MessageImprint {
    /// The imprint of `data` with the digest algorithm `hash_alg` (SM3, SHA-256, ...).
    pub fn of(hash_alg: &str, data: &[u8]) -> Result<Self, TspError> {
        let hashed = cms::digest(hash_alg, &[data])
            .ok_or_else(|| TspError::UnsupportedDigest(hash_alg.to_owned()))?;
        Ok(MessageImprint {
            hash_alg: hash_alg.to_owned(),
            hashed,
        })
    }

    /// True when this imprint is the digest of `data` with its own algorithm.
    pub fn matches(&self, data: &[u8]) -> Result<bool, TspError> {
        Ok(Self::of(&self.hash_alg, data)?.hashed == self.hashed)
    }

    fn to_der(&self) -> Vec<u8> {
        // AlgorithmIdentifier parameters: absent (SHA-2 per RFC 5754 §2, SM3).
        let alg = tlv(tag::SEQUENCE, &oid_der(&self.hash_alg));
        tlv(
            tag::SEQUENCE,
            &[alg, tlv(tag::OCTET_STRING, &self.hashed)].concat(),
        )
    }

    fn parse(t: &Tlv<'_>) -> Result<Self, TspError> {
        let mut r = t.expect(tag::SEQUENCE, "MessageImprint")?.children();
        let alg = r
            .read("hashAlgorithm")?
            .expect(tag::SEQUENCE, "hashAlgorithm")?;
        let hash_alg = alg.children().read("hashAlgorithm")?.oid("hashAlgorithm")?;
        let hashed = r.read("hashedMessage")?.octet_string("hashedMessage")?;
        Ok(MessageImprint {
            hash_alg,
            hashed: hashed.to_vec(),
        })
    }
}

/// A TimeStampReq (RFC 3161 §2.4.1). Extensions are not written; on reading they are refused
/// by the TSA (unacceptedExtension), as this TSA supports none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampReq {
    pub imprint: MessageImprint,
    pub policy: Option<String>,
    /// The nonce's INTEGER magnitude (big-endian).
    pub nonce: Option<Vec<u8>>,
    /// Ask the TSA to include its certificate in the token.
    pub cert_req: bool,
    /// The request carried extensions.
    pub has_extensions: bool,
}

impl TimeStampReq {
    /// A request for `data` with a fresh 64-bit random nonce and certReq set.
    pub fn new(hash_alg: &str, data: &[u8]) -> Result<Self, TspError> {
        Self::for_imprint(MessageImprint::of(hash_alg, data)?)
    }

    /// A request for data whose digest is `imprint`, with a fresh nonce and certReq set.
    pub fn for_imprint(imprint: MessageImprint) -> Result<Self, TspError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| TspError::Signing(format!("nonce: {e}")))?;
        Ok(TimeStampReq {
            imprint,
            policy: None,
            nonce: Some(trim(&nonce).to_vec()),
            cert_req: true,
            has_extensions: false,
        })
    }

    pub fn to_der(&self) -> Vec<u8> {
        let mut body = tlv(tag::INTEGER, &[1]);
        body.extend(self.imprint.to_der());
        if let Some(p) = &self.policy {
            body.extend(oid_der(p));
        }
        if let Some(n) = &self.nonce {
            body.extend(uint_der(n));
        }
        if self.cert_req {
            body.extend([tag::BOOLEAN, 1, 0xFF]);
        }
        tlv(tag::SEQUENCE, &body)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, TspError> {
        let mut r = Tlv::parse_exact(der, "TimeStampReq")?
            .expect(tag::SEQUENCE, "TimeStampReq")?
            .children();
        let version = r.read("version")?.small_int("version")?;
        if version != 1 {
            return Err(malformed("TimeStampReq", format!("version {version}")));
        }
        let imprint = MessageImprint::parse(&r.read("messageImprint")?)?;
        let policy = match r.read_optional(tag::OID, "reqPolicy")? {
            Some(o) => Some(o.oid("reqPolicy")?),
            None => None,
        };
        let nonce = match r.read_optional(tag::INTEGER, "nonce")? {
            Some(n) => Some(trim(n.uint_bytes("nonce")?).to_vec()),
            None => None,
        };
        let cert_req = match r.read_optional(tag::BOOLEAN, "certReq")? {
            Some(b) => b.content.first().is_some_and(|v| *v != 0),
            None => false,
        };
        let has_extensions = r.read_optional(tag::context(0), "extensions")?.is_some();
        if !r.is_empty() {
            return Err(malformed("TimeStampReq", "unexpected trailing fields"));
        }
        Ok(TimeStampReq {
            imprint,
            policy,
            nonce,
            cert_req,
            has_extensions,
        })
    }
}

// ---------------------------------------------------------------------------------------
// TimeStampResp

/// PKIStatus values (RFC 3161 §2.4.2).
pub mod status {
    pub const GRANTED: u32 = 0;
    pub const GRANTED_WITH_MODS: u32 = 1;
    pub const REJECTION: u32 = 2;
}

/// PKIFailureInfo bits (RFC 3161 §2.4.2).
pub struct FailureInfo;

impl FailureInfo {
    pub const BAD_ALG: u32 = 0;
    pub const BAD_REQUEST: u32 = 2;
    pub const BAD_DATA_FORMAT: u32 = 5;
    pub const TIME_NOT_AVAILABLE: u32 = 14;
    pub const UNACCEPTED_POLICY: u32 = 15;
    pub const UNACCEPTED_EXTENSION: u32 = 16;
    pub const SYSTEM_FAILURE: u32 = 25;

    /// The name of a failure bit.
    pub fn name(bit: u32) -> &'static str {
        match bit {
            Self::BAD_ALG => "badAlg",
            Self::BAD_REQUEST => "badRequest",
            Self::BAD_DATA_FORMAT => "badDataFormat",
            Self::TIME_NOT_AVAILABLE => "timeNotAvailable",
            Self::UNACCEPTED_POLICY => "unacceptedPolicy",
            Self::UNACCEPTED_EXTENSION => "unacceptedExtension",
            Self::SYSTEM_FAILURE => "systemFailure",
            _ => "other",
        }
    }

    fn to_der(bit: u32) -> Vec<u8> {
        // Named BIT STRING, DER: trailing zero bits removed (X.690 §11.2.2).
        let bytes = (bit / 8 + 1) as usize;
        let mut v = vec![0u8; bytes];
        v[bytes - 1] = 0x80 >> (bit % 8);
        let unused = 7 - (bit % 8) as u8;
        tlv(tag::BIT_STRING, &[&[unused][..], &v].concat())
    }

    fn from_bits(bits: &[u8]) -> Option<u32> {
        for (i, b) in bits.iter().enumerate() {
            if *b != 0 {
                return Some(i as u32 * 8 + b.leading_zeros());
            }
        }
        None
    }
}

/// A TimeStampResp (RFC 3161 §2.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampResp {
    pub status: u32,
    pub status_text: Option<String>,
    /// The first failure bit set.
    pub fail_info: Option<u32>,
    /// The TimeStampToken's DER (a ContentInfo).
    pub token: Option<Vec<u8>>,
}

impl TimeStampResp {
    /// A rejection with `fail_info` and a text.
    pub fn rejection(fail_info: u32, text: &str) -> Self {
        TimeStampResp {
            status: status::REJECTION,
            status_text: Some(text.to_owned()),
            fail_info: Some(fail_info),
            token: None,
        }
    }

    pub fn to_der(&self) -> Vec<u8> {
        let mut si = tlv(tag::INTEGER, &[self.status as u8]);
        if let Some(t) = &self.status_text {
            // PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
            si.extend(tlv(tag::SEQUENCE, &tlv(tag::UTF8_STRING, t.as_bytes())));
        }
        if let Some(f) = self.fail_info {
            si.extend(FailureInfo::to_der(f));
        }
        let mut body = tlv(tag::SEQUENCE, &si);
        if let Some(t) = &self.token {
            body.extend_from_slice(t);
        }
        tlv(tag::SEQUENCE, &body)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, TspError> {
        let mut r = Tlv::parse_exact(der, "TimeStampResp")?
            .expect(tag::SEQUENCE, "TimeStampResp")?
            .children();
        let mut si = r
            .read("PKIStatusInfo")?
            .expect(tag::SEQUENCE, "PKIStatusInfo")?
            .children();
        let status = si.read("status")?.small_int("status")?;
        let status_text = match si.read_optional(tag::SEQUENCE, "statusString")? {
            Some(s) => {
                let parts = s
                    .children()
                    .all("statusString")?
                    .iter()
                    .map(|t| t.string("statusString"))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(parts.join("; "))
            }
            None => None,
        };
        let fail_info = match si.read_optional(tag::BIT_STRING, "failInfo")? {
            Some(b) => FailureInfo::from_bits(b.bit_string_with_unused("failInfo")?.0),
            None => None,
        };
        let token = r
            .read_optional(tag::SEQUENCE, "timeStampToken")?
            .map(|t| t.raw.to_vec());
        Ok(TimeStampResp {
            status: u32::try_from(status).map_err(|_| malformed("status", "negative"))?,
            status_text,
            fail_info,
            token,
        })
    }

    /// The token of a granted response; the refusal as an error otherwise.
    pub fn into_token(self) -> Result<Vec<u8>, TspError> {
        match (self.status, self.token) {
            (status::GRANTED | status::GRANTED_WITH_MODS, Some(t)) => Ok(t),
            (status, _) => Err(TspError::Rejected {
                status,
                text: self.status_text,
                fail_info: self.fail_info,
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------
// TSTInfo and the token

/// TSTInfo (RFC 3161 §2.4.2). `accuracy` is in seconds (millis and micros dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    pub policy: String,
    pub imprint: MessageImprint,
    pub serial: Vec<u8>,
    pub gen_time: Time,
    pub accuracy_seconds: Option<i64>,
    pub ordering: bool,
    pub nonce: Option<Vec<u8>>,
}

impl TstInfo {
    fn to_der(&self) -> Vec<u8> {
        let mut body = tlv(tag::INTEGER, &[1]);
        body.extend(oid_der(&self.policy));
        body.extend(self.imprint.to_der());
        body.extend(uint_der(&self.serial));
        body.extend(self.gen_time.to_der_generalized());
        if let Some(s) = self.accuracy_seconds {
            // Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0], micros [1] }
            body.extend(tlv(tag::SEQUENCE, &uint_der(&s.to_be_bytes())));
        }
        if let Some(n) = &self.nonce {
            body.extend(uint_der(n));
        }
        tlv(tag::SEQUENCE, &body)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, TspError> {
        let mut r = Tlv::parse_exact(der, "TSTInfo")?
            .expect(tag::SEQUENCE, "TSTInfo")?
            .children();
        let version = r.read("version")?.small_int("version")?;
        if version != 1 {
            return Err(malformed("TSTInfo", format!("version {version}")));
        }
        let policy = r.read("policy")?.oid("policy")?;
        let imprint = MessageImprint::parse(&r.read("messageImprint")?)?;
        let serial = trim(r.read("serialNumber")?.uint_bytes("serialNumber")?).to_vec();
        let gt = r
            .read("genTime")?
            .expect(tag::GENERALIZED_TIME, "genTime")?;
        let gen_time = Time::from_asn1(&gt)
            .map_err(|e| malformed("genTime", e.0))?
            .0;
        let accuracy_seconds = match r.read_optional(tag::SEQUENCE, "accuracy")? {
            Some(a) => match a.children().read_optional(tag::INTEGER, "seconds")? {
                Some(s) => Some(s.small_int("seconds")?),
                None => Some(0),
            },
            None => None,
        };
        let ordering = match r.read_optional(tag::BOOLEAN, "ordering")? {
            Some(b) => b.content.first().is_some_and(|v| *v != 0),
            None => false,
        };
        let nonce = match r.read_optional(tag::INTEGER, "nonce")? {
            Some(n) => Some(trim(n.uint_bytes("nonce")?).to_vec()),
            None => None,
        };
        // tsa [0] GeneralName and extensions [1] are informative here.
        Ok(TstInfo {
            policy,
            imprint,
            serial,
            gen_time,
            accuracy_seconds,
            ordering,
            nonce,
        })
    }
}

/// A TimeStampToken: the SignedData and its TSTInfo, over the original bytes.
#[derive(Debug, Clone)]
pub struct TimeStampToken {
    pub der: Vec<u8>,
    pub signed_data: cms::SignedData,
    pub info: TstInfo,
}

impl TimeStampToken {
    /// Reads a token: a SignedData whose eContentType is id-ct-TSTInfo, with the TSTInfo
    /// encapsulated (RFC 3161 §2.4.2).
    pub fn parse(der: &[u8]) -> Result<Self, TspError> {
        let signed_data = cms::parse(der)?;
        if signed_data.econtent_type != OID_TST_INFO {
            return Err(malformed(
                "eContentType",
                format!("{} is not id-ct-TSTInfo", signed_data.econtent_type),
            ));
        }
        let content = signed_data
            .content
            .as_deref()
            .ok_or_else(|| malformed("eContent", "the TSTInfo is missing"))?;
        let info = TstInfo::from_der(content)?;
        Ok(TimeStampToken {
            der: der.to_vec(),
            signed_data,
            info,
        })
    }

    /// The TSA's certificate: among the token's certificates, then `extra`.
    pub fn signer_certificate(&self, extra: &[Certificate]) -> Option<Certificate> {
        let si = &self.signed_data.signers[0];
        si.find_cert(&self.signed_data.certificates)
            .or_else(|| si.find_cert(extra))
            .cloned()
    }

    /// Verifies the token for the stamped `data` (RFC 3161 §2.4.2): [`Self::verify_token`],
    /// then genTime within the TSA certificate's validity and its chain to the trust anchors
    /// of `opts` (`extra_certs` complete it). An unknown root is not an error: it is
    /// [`VerifiedToken::chain`].
    pub fn verify(&self, data: &[u8], opts: &VerifyOptions) -> Result<VerifiedToken, TspError> {
        let cert = self.verify_token(data, &opts.extra_certs)?;
        if !cert.valid_at(self.info.gen_time) {
            return Err(TspError::OutsideTsaValidity {
                gen_time: self.info.gen_time.to_iso(),
            });
        }
        let mut pool = self.signed_data.certificates.clone();
        pool.extend(opts.extra_certs.iter().cloned());
        let chain = verify_chain(&cert, &pool, &opts.trust);
        if let ChainStatus::Broken { at, why } = &chain {
            return Err(TspError::BrokenChain {
                at: at.clone(),
                why: why.clone(),
            });
        }
        Ok(VerifiedToken {
            gen_time: self.info.gen_time,
            tsa: cert,
            chain,
        })
    }

    /// The token itself for the stamped `data`: the imprint, the SignerInfo (content-type
    /// attribute, messageDigest over the TSTInfo, signature) and the TSA certificate's
    /// extended key usage (§2.3). Returns the TSA certificate (found in the token or
    /// `extra`); its validity and chain are the caller's ([`Self::verify`]).
    pub fn verify_token(
        &self,
        data: &[u8],
        extra: &[Certificate],
    ) -> Result<Certificate, TspError> {
        if !self.info.imprint.matches(data)? {
            return Err(TspError::ImprintMismatch);
        }
        self.verify_signature(extra)
    }

    /// [`Self::verify_token`] without the imprint (the caller compares it).
    pub fn verify_signature(&self, extra: &[Certificate]) -> Result<Certificate, TspError> {
        let sd = &self.signed_data;
        if sd.signers.len() != 1 {
            return Err(malformed(
                "signerInfos",
                format!("{} SignerInfos; a token has exactly one", sd.signers.len()),
            ));
        }
        let si = &sd.signers[0];
        let cert = self
            .signer_certificate(extra)
            .ok_or(TspError::NoSignerCertificate)?;
        let content = sd.content.as_deref().unwrap_or_default();
        if si.signed_attrs.is_none() {
            return Err(malformed(
                "signedAttrs",
                "a token must have signed attributes",
            ));
        }
        if si.attr_content_type.as_deref() != Some(OID_TST_INFO) {
            return Err(malformed(
                "content-type attribute",
                "is not id-ct-TSTInfo (RFC 5652 §11.1)",
            ));
        }
        let digest = cms::digest(&si.digest_alg, &[content]);
        let v = cms::verify_signer(si, &cert, digest.as_deref(), &[]);
        match v.digest {
            cms::DigestCheck::Matches => {}
            cms::DigestCheck::Unsupported => {
                return Err(TspError::UnsupportedDigest(si.digest_alg.clone()));
            }
            other => {
                return Err(TspError::BadSignature(format!(
                    "messageDigest over the TSTInfo: {other:?}"
                )));
            }
        }
        v.signature
            .map_err(|e| TspError::BadSignature(e.to_string()))?;
        check_time_stamping_eku(&cert)?;
        Ok(cert)
    }
}

/// The report checks of a time-stamp token found at `subject` (a field of a signature) over
/// `data` (what it must imprint, e.g. the signature value): the token (structure, imprint,
/// signature, TSA extended key usage) and the TSA certificate as any certificate is checked
/// ([`certificate_checks`]: validity at genTime and now, chain, trust). Returns genTime when
/// the token verified, so that the caller may use it as the signing time.
pub fn token_checks(
    token: &[u8],
    data: &[u8],
    what_data: &str,
    subject: &str,
    opts: &VerifyOptions,
    out: &mut Vec<Check>,
) -> Option<Time> {
    token_checks_digest(
        token,
        &mut |alg| cms::digest(alg, &[data]),
        what_data,
        subject,
        opts,
        out,
    )
}

/// As [`token_checks`], for stamped data known by its digest: `digest(alg)` is the digest of
/// the stamped data with the token's hash algorithm (`None` when it cannot be computed): a
/// PDF document timestamp's byte ranges.
pub fn token_checks_digest(
    token: &[u8],
    digest: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    what_data: &str,
    subject: &str,
    opts: &VerifyOptions,
    out: &mut Vec<Check>,
) -> Option<Time> {
    let parsed = match TimeStampToken::parse(token) {
        Ok(t) => t,
        Err(e) => {
            let head = hex::encode(&token[..token.len().min(8)]);
            out.push(Check::failed(
                K::Timestamp,
                subject,
                format!(
                    "not an RFC 3161 time-stamp token ({} bytes, starting {head}): {e}",
                    token.len()
                ),
                "时间戳不是有效的时间戳令牌",
            ));
            return None;
        }
    };
    let imprint = &parsed.info.imprint;
    let checked = match digest(&imprint.hash_alg) {
        None => Err(TspError::UnsupportedDigest(imprint.hash_alg.clone())),
        Some(d) if d != imprint.hashed => Err(TspError::ImprintMismatch),
        Some(_) => parsed.verify_signature(&opts.extra_certs),
    };
    match checked {
        Ok(tsa) => {
            let gen_time = parsed.info.gen_time;
            out.push(Check::passed(
                K::Timestamp,
                subject,
                format!(
                    "time-stamp token of {} at {}: imprint ({}) over {what_data}, signature verifies, TSA certificate for timeStamping",
                    tsa.subject_string(),
                    gen_time.to_iso(),
                    cms::digest_name(&parsed.info.imprint.hash_alg).unwrap_or("?"),
                ),
                format!("时间戳有效（{}）", gen_time.to_iso()),
            ));
            certificate_checks(
                &tsa,
                "TSA",
                "时间戳服务",
                Some(gen_time),
                &parsed.signed_data.certificates,
                opts,
                out,
            );
            Some(gen_time)
        }
        Err(e) => {
            out.push(Check::failed(
                K::Timestamp,
                subject,
                format!("the time-stamp token does not verify: {e}"),
                "时间戳验证失败",
            ));
            None
        }
    }
}

/// A token whose signature, imprint and TSA certificate verified.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub gen_time: Time,
    pub tsa: Certificate,
    /// Trusted, or an unknown root (never broken).
    pub chain: ChainStatus,
}

impl VerifiedToken {
    pub fn trusted(&self) -> bool {
        matches!(self.chain, ChainStatus::Trusted { .. })
    }
}

/// RFC 3161 §2.3: the TSA certificate has exactly one extended key usage, id-kp-timeStamping,
/// in a critical extension.
pub fn check_time_stamping_eku(cert: &Certificate) -> Result<(), TspError> {
    let bad = |why: &str| TspError::NotTimeStampingCertificate(why.to_owned());
    let (_, critical, value) = cert
        .extensions()
        .iter()
        .find(|(o, _, _)| o == OID_EXT_KEY_USAGE)
        .ok_or_else(|| bad("has no extended key usage (RFC 3161 §2.3)"))?;
    let purposes = Tlv::parse_exact(value, "ExtKeyUsageSyntax")?
        .expect(tag::SEQUENCE, "ExtKeyUsageSyntax")?
        .children()
        .all("KeyPurposeId")?
        .iter()
        .map(|t| t.oid("KeyPurposeId"))
        .collect::<Result<Vec<_>, _>>()?;
    if purposes != [OID_KP_TIME_STAMPING] {
        return Err(bad(&format!(
            "extended key usage is {purposes:?}, not timeStamping alone (RFC 3161 §2.3)"
        )));
    }
    if !critical {
        return Err(bad("extended key usage is not critical (RFC 3161 §2.3)"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The TSA

/// The key a TSA signs its tokens with: SM2 with SM3 for GB/T 38540 and GM/T 0033-style
/// tokens ([`Sm2TsaKey`]), ECDSA P-256 or RSA with SHA-256 for PAdES (`pdf::PadesSigner`).
pub trait TsaSigner: Send + Sync {
    fn certificate(&self) -> &Certificate;
    /// digestAlgorithm, signatureAlgorithm and whether the latter has NULL parameters (RSA).
    fn algorithms(&self) -> (&'static str, &'static str, bool);
    /// The signature value over `message` (the DER of the signed attributes).
    fn sign_tsa(&self, message: &[u8]) -> Result<Vec<u8>, String>;
}

/// An SM2 [`Signer`] as a TSA key: SM3 digest, SM2-with-SM3 signature, default signer ID.
pub struct Sm2TsaKey(pub Box<dyn Signer>);

impl TsaSigner for Sm2TsaKey {
    fn certificate(&self) -> &Certificate {
        self.0.certificate()
    }
    fn algorithms(&self) -> (&'static str, &'static str, bool) {
        (cms::OID_SM3, cms::OID_SM2_SM3, false)
    }
    fn sign_tsa(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.0
            .sign_message(message)
            .map(|x| x.to_der())
            .map_err(|e| e.to_string())
    }
}

/// A time-stamp authority: answers TimeStampReqs with tokens signed by its key. Serial
/// numbers are unique within the TSA's life (RFC 3161 §2.4.2): the time in microseconds
/// at start, counted up.
pub struct TimeStampAuthority {
    key: Box<dyn TsaSigner>,
    cert: Certificate,
    chain: Vec<Certificate>,
    policy: String,
    accuracy_seconds: Option<i64>,
    serial: AtomicU64,
}

impl std::fmt::Debug for TimeStampAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeStampAuthority")
            .field("tsa", &self.cert.subject_string())
            .field("policy", &self.policy)
            .finish()
    }
}

impl TimeStampAuthority {
    /// A TSA signing with `key`; `chain` (intermediates, root) is added to tokens on certReq.
    /// The certificate must be a time-stamping certificate (RFC 3161 §2.3).
    pub fn new(key: Box<dyn TsaSigner>, chain: Vec<Certificate>) -> Result<Self, TspError> {
        let cert = key.certificate().clone();
        check_time_stamping_eku(&cert)?;
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        Ok(TimeStampAuthority {
            key,
            cert,
            chain,
            policy: DEFAULT_POLICY.to_owned(),
            accuracy_seconds: Some(1),
            serial: AtomicU64::new(start),
        })
    }

    /// Answers under `policy` instead of [`DEFAULT_POLICY`].
    pub fn with_policy(mut self, policy: &str) -> Self {
        self.policy = policy.to_owned();
        self
    }

    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Answers the DER of a TimeStampReq with the DER of a TimeStampResp: a token stamped
    /// `now`, or a rejection saying why (bad request, unsupported algorithm or policy).
    pub fn respond(&self, request: &[u8], now: Time) -> Vec<u8> {
        let resp = match TimeStampReq::from_der(request) {
            Err(e) => TimeStampResp::rejection(
                FailureInfo::BAD_DATA_FORMAT,
                &format!("not a TimeStampReq: {e}"),
            ),
            Ok(req) => match self.stamp(&req, now) {
                Ok(token) => TimeStampResp {
                    status: status::GRANTED,
                    status_text: None,
                    fail_info: None,
                    token: Some(token),
                },
                Err(refusal) => refusal,
            },
        };
        resp.to_der()
    }

    /// The token for `req` stamped `now`, or the rejection response.
    pub fn stamp(&self, req: &TimeStampReq, now: Time) -> Result<Vec<u8>, TimeStampResp> {
        let expected = cms::digest(&req.imprint.hash_alg, &[]).map(|d| d.len());
        match expected {
            None => {
                return Err(TimeStampResp::rejection(
                    FailureInfo::BAD_ALG,
                    &format!("hash algorithm {} is not supported", req.imprint.hash_alg),
                ));
            }
            Some(n) if n != req.imprint.hashed.len() => {
                return Err(TimeStampResp::rejection(
                    FailureInfo::BAD_DATA_FORMAT,
                    "hashedMessage has the wrong length for its algorithm",
                ));
            }
            Some(_) => {}
        }
        if req.policy.as_deref().is_some_and(|p| p != self.policy) {
            return Err(TimeStampResp::rejection(
                FailureInfo::UNACCEPTED_POLICY,
                "this TSA answers under one policy only",
            ));
        }
        if req.has_extensions {
            return Err(TimeStampResp::rejection(
                FailureInfo::UNACCEPTED_EXTENSION,
                "this TSA supports no request extensions",
            ));
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let info = TstInfo {
            policy: self.policy.clone(),
            imprint: req.imprint.clone(),
            serial: serial.to_be_bytes().to_vec(),
            gen_time: now,
            accuracy_seconds: self.accuracy_seconds,
            ordering: false,
            nonce: req.nonce.clone(),
        };
        self.sign_tst_info(&info.to_der(), req.cert_req)
            .map_err(|e| TimeStampResp::rejection(FailureInfo::SYSTEM_FAILURE, &e.to_string()))
    }

    fn sign_tst_info(&self, tst_info: &[u8], with_certs: bool) -> Result<Vec<u8>, TspError> {
        let (digest_alg, signature_alg, null_params) = self.key.algorithms();
        let md = cms::digest(digest_alg, &[tst_info])
            .ok_or_else(|| TspError::UnsupportedDigest(digest_alg.to_owned()))?;
        let params = BuildParams {
            digest_alg,
            message_digest: &md,
            signer_cert: &self.cert,
            chain: &self.chain,
            signature_alg,
            signature_alg_null_params: null_params,
            content_types: ContentTypes::Pkcs7,
            signing_time: None,
            // RFC 3161 §2.4.1 / RFC 5816: ESSCertIDv2 identifies the TSA certificate.
            signing_certificate_v2: true,
            encapsulated: Some((OID_TST_INFO, tst_info)),
        };
        let der = cms::build(&params, &mut |m: &[u8]| -> Result<Vec<u8>, TspError> {
            self.key.sign_tsa(m).map_err(TspError::Signing)
        })?;
        if with_certs {
            Ok(der)
        } else {
            strip_certificates(&der)
        }
    }
}

/// The SignedData without its `certificates` field (a request without certReq, §2.4.1).
fn strip_certificates(der: &[u8]) -> Result<Vec<u8>, TspError> {
    let ci = Tlv::parse_exact(der, "ContentInfo")?;
    let kids = ci.children().all("ContentInfo")?;
    let sd = kids[1].children().read("SignedData")?;
    let fields = sd
        .children()
        .all("SignedData")?
        .into_iter()
        .filter(|t| t.tag != tag::context(0))
        .map(|t| t.raw)
        .collect::<Vec<_>>()
        .concat();
    Ok(tlv(
        tag::SEQUENCE,
        &[
            kids[0].raw.to_vec(),
            tlv(tag::context(0), &tlv(tag::SEQUENCE, &fields)),
        ]
        .concat(),
    ))
}

// ---------------------------------------------------------------------------------------
// The client

/// Where a signer gets its tokens: a TSA over HTTP ([`HttpTsa`]) or one in the process
/// ([`TimeStampAuthority`], stamping with the system clock).
pub trait TimeStamper: Send + Sync {
    /// A token over data whose digest is `imprint` (the data itself need not be held: a
    /// PDF's byte ranges are hashed while streamed), checked against its request.
    fn stamp_imprint(&self, imprint: MessageImprint) -> Result<TimeStampToken, TspError>;

    /// A token over `data` with the digest algorithm `hash_alg`, checked against its request.
    fn time_stamp(&self, hash_alg: &str, data: &[u8]) -> Result<TimeStampToken, TspError> {
        self.stamp_imprint(MessageImprint::of(hash_alg, data)?)
    }
}

/// Bytes reserved for a token where space is laid out before it is known (the `/Contents`
/// placeholder of a PDF): a token with a 4096-bit RSA TSA certificate and its chain fits.
pub const TOKEN_RESERVE: usize = 12 * 1024;

/// A TSA reached over HTTP at `url` (`--tsa URL`).
#[derive(Debug, Clone)]
pub struct HttpTsa {
    pub url: String,
}

impl TimeStamper for HttpTsa {
    fn stamp_imprint(&self, imprint: MessageImprint) -> Result<TimeStampToken, TspError> {
        request_imprint(&self.url, imprint)
    }
}

impl TimeStamper for TimeStampAuthority {
    fn stamp_imprint(&self, imprint: MessageImprint) -> Result<TimeStampToken, TspError> {
        let req = TimeStampReq::for_imprint(imprint)?;
        accept_response(&req, &self.respond(&req.to_der(), Time::now()))
    }
}

/// Asks the TSA at `url` for a token over `data` (HTTP POST `application/timestamp-query`,
/// RFC 3161 §3.4), with a nonce and certReq, and checks that the answer is a token for this
/// request: status granted, the same imprint and nonce. The token's signature and TSA
/// certificate are checked by the verifier ([`TimeStampToken::verify`]), where trust is known.
pub fn request(url: &str, hash_alg: &str, data: &[u8]) -> Result<TimeStampToken, TspError> {
    request_imprint(url, MessageImprint::of(hash_alg, data)?)
}

/// [`request`] for data already hashed.
pub fn request_imprint(url: &str, imprint: MessageImprint) -> Result<TimeStampToken, TspError> {
    let req = TimeStampReq::for_imprint(imprint)?;
    let body = req.to_der();
    let answer = crate::http::exchange(
        url,
        crate::http::Request::Post {
            content_type: MEDIA_QUERY,
            body: &body,
        },
        1 << 20,
        std::time::Duration::from_secs(30),
    )
    .map_err(|why| TspError::Http(format!("{url}: {why}")))?;
    accept_response(&req, &answer)
}

/// Checks a TimeStampResp against the request it answers (§2.4.2): granted, same imprint,
/// same nonce; returns the token.
pub fn accept_response(req: &TimeStampReq, response: &[u8]) -> Result<TimeStampToken, TspError> {
    let token = TimeStampToken::parse(&TimeStampResp::from_der(response)?.into_token()?)?;
    if token.info.imprint != req.imprint {
        return Err(TspError::ImprintMismatch);
    }
    if token.info.nonce.as_deref().map(trim) != req.nonce.as_deref().map(trim) {
        return Err(TspError::NonceMismatch);
    }
    Ok(token)
}

/// Reads a token given as a file: a TimeStampResp (`.tsr`) or the token itself.
pub fn token_from_bytes(bytes: &[u8]) -> Result<TimeStampToken, TspError> {
    match TimeStampResp::from_der(bytes) {
        Ok(resp) => TimeStampToken::parse(&resp.into_token()?),
        Err(_) => TimeStampToken::parse(bytes),
    }
}
