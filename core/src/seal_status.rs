//! The platform's seal status (印章状态): which seals it made are revoked (已注销), frozen (冻结,
//! with the periods) or expired (已过期), published as a signed list, like an X.509 CRL
//! (RFC 5280 §5: `thisUpdate` / `nextUpdate`), and as a signed single answer, like an OCSP
//! response (RFC 6960 §4.2). Format and rules: `docs/seal-status.md`.
//!
//! The platform signs ([`SignedSealStatus::sign`]); a verifier checks the signature and the
//! signer's chain to its trust anchors ([`SignedSealStatus::open`]) and then applies the
//! status to a [`VerificationReport`] ([`SealStatusList::apply`]): a seal revoked, or frozen,
//! at or before the signing time fails, naming the seal's esID and the date; a revocation or
//! freeze after the signing time leaves the signature valid and the date is in the report; a
//! list past its `next_update` is a warning.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer, sm2};
use crate::report::{Check, CheckKind, VerificationReport};
use crate::validation::{ChainStatus, TrustStore, verify_chain};

/// The one format version.
pub const VERSION: u32 = 1;
/// Media type of a [`SignedSealStatus`] document.
pub const MEDIA_TYPE: &str = "application/vnd.eseal.seal-status+json";

/// Why a status document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SealStatusError {
    #[error("not a seal status document: {0}")]
    Malformed(String),
    #[error("unsupported seal status version {0}")]
    Version(u32),
    #[error("the seal status signature does not verify")]
    BadSignature,
    #[error("the seal status signer is not trusted: {0}")]
    Untrusted(String),
    #[error("the seal status signer's certificate is not valid at thisUpdate {0}")]
    SignerExpired(String),
    #[error("signing the seal status: {0}")]
    Sign(#[from] crate::crypto::SignerError),
    #[error("fetching the seal status from {url}: {why}")]
    Fetch { url: String, why: String },
    #[error("reading the seal status file {path}: {why}")]
    Read { path: String, why: String },
}

/// The status of one seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealState {
    /// 有效 (or never frozen or revoked; a list only names seals that are not good).
    Good,
    /// 冻结 now.
    Frozen,
    /// 已注销.
    Revoked,
    /// 已过期: past the end of its validity.
    Expired,
    /// Not a seal of this platform (single answers only).
    Unknown,
}

/// A period in which a seal was frozen: from `from` (unix seconds) until it was unfrozen
/// (`until`), or still frozen (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenPeriod {
    pub from: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// One seal's entry. Times are unix seconds (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealStatusEntry {
    /// GB/T 38540 `SES_ESPropertyInfo`… `esID` of the made seal.
    pub es_id: String,
    pub state: SealState,
    /// The seal's validity as made (`validStart` / `validEnd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<i64>,
    /// When it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// Every period it was frozen, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frozen: Vec<FrozenPeriod>,
}

/// What the platform states: the signed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealStatusList {
    pub version: u32,
    /// The platform's name.
    pub issuer: String,
    /// Seals this status covers: those made by the seal maker with this certificate
    /// (issuer DN and serial as in reports). A seal of another maker is not covered.
    pub seal_maker: MakerId,
    /// When it was made, and when the next one will be (RFC 5280 §5.1.2.4–5).
    pub this_update: i64,
    pub next_update: i64,
    /// `None`: the whole list (only seals that are not good are named, every other seal of
    /// the maker is good). `Some(esID)`: the answer for that one seal (always one entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub entries: Vec<SealStatusEntry>,
}

/// The seal maker's certificate, by issuer and serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakerId {
    pub issuer: String,
    pub serial: String,
}

impl MakerId {
    pub fn of(c: &Certificate) -> MakerId {
        MakerId {
            issuer: c.issuer_string(),
            serial: c.serial_hex(),
        }
    }
}

/// The published document: the content's JSON text exactly as signed, the SM2 signature
/// (DER, base64, default signer ID, over the UTF-8 bytes of `content`) and the signer's
/// certificate followed by any intermediates (DER, base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSealStatus {
    pub content: String,
    pub signature: String,
    pub certificates: Vec<String>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl SignedSealStatus {
    /// Signs `list` with `signer`; `chain` are intermediates to publish with it.
    pub fn sign(
        list: &SealStatusList,
        signer: &dyn Signer,
        chain: &[Certificate],
    ) -> Result<SignedSealStatus, SealStatusError> {
        let content =
            serde_json::to_string(list).map_err(|e| SealStatusError::Malformed(e.to_string()))?;
        let sig = signer.sign_message(content.as_bytes())?;
        Ok(SignedSealStatus {
            content,
            signature: b64().encode(sig.to_der()),
            certificates: std::iter::once(signer.certificate())
                .chain(chain)
                .map(|c| b64().encode(c.der()))
                .collect(),
        })
    }

    /// The JSON document as published.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<SignedSealStatus, SealStatusError> {
        serde_json::from_slice(bytes).map_err(|e| SealStatusError::Malformed(e.to_string()))
    }

    /// Checks the signature, that the signer chains to an anchor of `trust` and was valid at
    /// `thisUpdate`, and returns the content. Any change to the content or the signature is
    /// refused; a list signed by anyone else than a trusted certificate is refused.
    pub fn open(&self, trust: &TrustStore) -> Result<SealStatusList, SealStatusError> {
        let mut certs = Vec::new();
        for c in &self.certificates {
            let der = b64()
                .decode(c)
                .map_err(|_| SealStatusError::Malformed("certificate is not base64".into()))?;
            certs.push(
                Certificate::from_der(&der)
                    .map_err(|e| SealStatusError::Malformed(format!("certificate: {e}")))?,
            );
        }
        let signer = certs
            .first()
            .ok_or_else(|| SealStatusError::Malformed("no signer certificate".into()))?;
        let pk = signer
            .sm2_public_key()
            .map_err(|_| SealStatusError::Malformed("the signer key is not SM2".into()))?;
        let raw = b64()
            .decode(&self.signature)
            .map_err(|_| SealStatusError::BadSignature)?;
        let (sig, _) =
            sm2::Signature::parse_lenient(&raw).map_err(|_| SealStatusError::BadSignature)?;
        sm2::verify(pk, sm2::DEFAULT_ID, self.content.as_bytes(), &sig)
            .map_err(|_| SealStatusError::BadSignature)?;
        match verify_chain(signer, &certs[1..], trust) {
            ChainStatus::Trusted { .. } => {}
            ChainStatus::UnknownRoot { top } => {
                return Err(SealStatusError::Untrusted(format!(
                    "the chain ends at {top}, which is not a trust anchor"
                )));
            }
            ChainStatus::Broken { at, why } => {
                return Err(SealStatusError::Untrusted(format!(
                    "chain broken at {at}: {why}"
                )));
            }
        }
        let list: SealStatusList = serde_json::from_str(&self.content)
            .map_err(|e| SealStatusError::Malformed(e.to_string()))?;
        if list.version != VERSION {
            return Err(SealStatusError::Version(list.version));
        }
        let this = Time::from_unix(list.this_update);
        if !signer.valid_at(this) {
            return Err(SealStatusError::SignerExpired(this.to_iso()));
        }
        Ok(list)
    }
}

/// Reads a signed status from `source`: an `http://` or `https://` URL (GET, the list of
/// `GET /api/v1/seal-status` or an answer of `GET /api/v1/seal-status/{esID}`) or a file.
pub fn fetch(source: &str) -> Result<SignedSealStatus, SealStatusError> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let fail = |why: String| SealStatusError::Fetch {
            url: source.to_owned(),
            why,
        };
        let body = crate::http::exchange(
            source,
            crate::http::Request::Get {
                accept: Some(MEDIA_TYPE),
            },
            64 << 20,
            std::time::Duration::from_secs(30),
        )
        .map_err(fail)?;
        SignedSealStatus::from_json(&body)
    } else {
        let bytes = std::fs::read(source).map_err(|e| SealStatusError::Read {
            path: source.to_owned(),
            why: e.to_string(),
        })?;
        SignedSealStatus::from_json(&bytes)
    }
}

fn iso(t: i64) -> String {
    Time::from_unix(t).to_iso()
}

impl SealStatusList {
    /// The entry for `es_id`, if the list names it.
    pub fn entry(&self, es_id: &str) -> Option<&SealStatusEntry> {
        self.entries.iter().find(|e| e.es_id == es_id)
    }

    /// Adds a [`CheckKind::SealStatus`] check to every signature of `report` made with a
    /// seal this status covers (same seal maker certificate; for a single answer, the same
    /// esID), judged at the signature's signing time; and a document check warning when the
    /// list is stale at `now` (`nextUpdate` past).
    pub fn apply(&self, report: &mut VerificationReport, now: Time) {
        let mut used = false;
        for sig in &mut report.signatures {
            let Some(seal) = &sig.seal else { continue };
            let covered = seal.maker.as_ref().is_some_and(|m| {
                m.issuer == self.seal_maker.issuer && m.serial == self.seal_maker.serial
            }) && self.query.as_ref().is_none_or(|q| *q == seal.es_id);
            if !covered {
                continue;
            }
            used = true;
            let signed_at = sig
                .signing_time
                .as_deref()
                .and_then(|t| Time::parse_lenient(t).ok())
                .map(|(t, _)| t.unix());
            // The time is attested by a verified timestamp token, or only claimed by the signer.
            let attested = sig
                .signing_time_source
                .as_deref()
                .is_some_and(|s| s.contains("token"));
            let check = judge(
                self.entry(&seal.es_id),
                &seal.es_id,
                signed_at.map(|t| (t, attested)),
                now.unix(),
            );
            sig.push(check);
        }
        if used && now.unix() > self.next_update {
            let (en, zh) = (
                format!(
                    "the seal status of {} is stale: nextUpdate {} has passed",
                    self.issuer,
                    iso(self.next_update)
                ),
                format!(
                    "{} 的印章状态已过期：下次更新时间 {} 已过",
                    self.issuer,
                    iso(self.next_update)
                ),
            );
            report.document_checks.push(Check::warning(
                CheckKind::SealStatus,
                "seal status",
                en,
                zh,
            ));
        }
    }
}

/// The check of a seal `es_id` with entry `e` (none: good) for a signature made at
/// `signed_at` (the time, and whether a timestamp token attests it; none: at `now`).
fn judge(
    e: Option<&SealStatusEntry>,
    es_id: &str,
    signed_at: Option<(i64, bool)>,
    now: i64,
) -> Check {
    let subject = format!("seal {es_id}");
    let Some(e) = e else {
        return Check::passed(
            CheckKind::SealStatus,
            subject,
            "the platform lists the seal as good",
            "平台印章状态：正常",
        );
    };
    if e.state == SealState::Unknown {
        return Check::warning(
            CheckKind::SealStatus,
            subject,
            "the platform does not know this seal",
            "平台不认识该印章",
        );
    }
    // A seal verified alone (no signature) or a signature without a time: judged at the
    // verification time.
    let (t, attested) = signed_at.unwrap_or((now, true));
    if let Some(r) = e.revoked_at.filter(|r| *r <= t) {
        return Check::failed(
            CheckKind::SealStatus,
            subject,
            format!(
                "seal {es_id} was revoked on {}, before the signing time {}",
                iso(r),
                iso(t)
            ),
            format!("印章 {es_id} 已于 {} 注销，早于签署时间 {}", iso(r), iso(t)),
        );
    }
    if let Some(p) = e
        .frozen
        .iter()
        .find(|p| p.from <= t && p.until.is_none_or(|u| t < u))
    {
        let until = p
            .until
            .map(|u| format!(" until {}", iso(u)))
            .unwrap_or_default();
        return Check::failed(
            CheckKind::SealStatus,
            subject,
            format!(
                "seal {es_id} was frozen on {}{until}, the signing time {} is within",
                iso(p.from),
                iso(t)
            ),
            format!(
                "印章 {es_id} 于 {} 冻结，签署时间 {} 在冻结期内",
                iso(p.from),
                iso(t)
            ),
        );
    }
    let mut later = Vec::new();
    if let Some(r) = e.revoked_at {
        later.push(format!("revoked on {}", iso(r)));
    }
    for p in e.frozen.iter().filter(|p| p.from > t) {
        later.push(format!("frozen on {}", iso(p.from)));
    }
    if !later.is_empty() && !attested {
        return Check::warning(
            CheckKind::SealStatus,
            subject,
            format!(
                "good at the signing time {} claimed by the signer; {} after it. No timestamp \
                 attests the time, so a back-dated signature cannot be told apart (sign with --tsa)",
                iso(t),
                later.join(", ")
            ),
            format!(
                "签署人声明的签署时间 {} 印章状态正常（其后{}）；无时间戳证明签署时间",
                iso(t),
                later.join("，")
            ),
        );
    }
    if later.is_empty() {
        Check::passed(
            CheckKind::SealStatus,
            subject,
            format!("the seal was good at the signing time {}", iso(t)),
            "签署时印章状态正常",
        )
    } else {
        Check::passed(
            CheckKind::SealStatus,
            subject,
            format!(
                "good at the signing time {}; {} after it",
                iso(t),
                later.join(", ")
            ),
            format!("签署时印章状态正常（其后{}）", later.join("，")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn entry() -> SealStatusEntry {
        SealStatusEntry {
            es_id: "E1".into(),
            state: SealState::Revoked,
            valid_to: None,
            revoked_at: Some(1000),
            frozen: vec![FrozenPeriod {
                from: 100,
                until: Some(200),
            }],
        }
    }

    #[test]
    fn revoked_or_frozen_before_the_signing_time_fails() {
        let e = entry();
        assert_eq!(
            judge(Some(&e), "E1", Some((1000, true)), 3000).status,
            Status::Failed
        );
        assert_eq!(
            judge(Some(&e), "E1", Some((150, true)), 3000).status,
            Status::Failed
        );
        let ok = judge(Some(&e), "E1", Some((250, true)), 3000);
        assert_eq!(ok.status, Status::Passed);
        assert!(ok.message.contains("revoked on"), "{}", ok.message);
        assert_eq!(
            judge(Some(&e), "E1", Some((200, true)), 3000).status,
            Status::Passed
        );
        assert_eq!(
            judge(None, "E1", Some((5, true)), 3000).status,
            Status::Passed
        );
        assert_eq!(judge(Some(&e), "E1", None, 3000).status, Status::Failed);
        assert_eq!(judge(Some(&e), "E1", None, 500).status, Status::Passed);
        let claimed = judge(Some(&e), "E1", Some((250, false)), 3000);
        assert_eq!(claimed.status, Status::Warning);
        assert!(
            claimed.message.contains("revoked on"),
            "{}",
            claimed.message
        );
    }
}
