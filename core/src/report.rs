//! The verification report shared by every verifier (seal files, SES signatures, OFD, PDF).
//!
//! A report is a list of signatures, each with the checks that were run on it, plus
//! document-level checks (coverage, changes after signing). Every check names *what* it
//! checked (`check`), *where* (`subject`: a file in the package, a field of a structure, a
//! byte range) and *why* it failed, in English and Chinese.
//!
//! Verdicts follow the command-line contract: a signature is valid when nothing failed;
//! warnings (an unknown root, "valid when signed, expired now") fail only under `strict`.

use serde::Serialize;

/// What one check looked at. Stable snake-case codes in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckKind {
    /// The structure could be parsed (seal, signature, XML, PDF object).
    Structure,
    /// GB/T 38540 §6: the seal maker's signature over the seal info.
    MakerSignature,
    /// GB/T 38540 §7: the signer's signature over TBS_Sign (or CMS signed attributes).
    SignerSignature,
    /// Header id "ES", version agreement between seal and signature.
    SealHeader,
    /// The seal's validity period contains the signing time.
    SealValidity,
    /// The signer certificate is one the seal allows (certList).
    SignerBinding,
    /// Certificate validity at the signing time.
    CertificateValidity,
    /// Certificate validity now ("valid when signed, expired now" is a warning).
    CertificateValidityNow,
    /// Certificate chain to a trust anchor.
    CertificateChain,
    /// Key usage allows the operation.
    KeyUsage,
    /// The protected data's digest matches (dataHash, messageDigest, byte range digest).
    DataDigest,
    /// A referenced file's digest (OFD References).
    FileDigest,
    /// A file or object that the signature's data names is missing.
    MissingFile,
    /// The stored copy of the seal equals the seal inside the signature.
    SealCopy,
    /// propertyInfo names what was signed.
    PropertyInfo,
    /// Timestamp token.
    Timestamp,
    /// Rendered content no signature protects.
    Coverage,
    /// The document changed after the signature (new revision, extra files).
    ModifiedAfterSigning,
    /// PDF /ByteRange covers the whole revision except /Contents.
    ByteRange,
    /// Stamp placement (page reference, boundary).
    StampPlacement,
    /// Anything else that a producer did differently from the standard.
    Conformance,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// Not a broken signature, but not fully trusted either (unknown root, expired now,
    /// non-standard encoding); a failure only in strict mode.
    Warning,
    /// The check could not be carried out (missing certificate, unknown algorithm).
    Indeterminate,
    Failed,
}

/// One check's result, with the file or field it concerns and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: CheckKind,
    pub status: Status,
    /// The named rule that decided it (PDF byte ranges and changes after signing, see
    /// `docs/pdf-changes.md`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The file (`/Doc_0/Pages/Page_0/Content.xml`), field (`SESeal.signedValue`) or object checked.
    pub subject: String,
    pub message: String,
    pub message_zh: String,
}

impl Check {
    pub fn new(
        check: CheckKind,
        status: Status,
        subject: impl Into<String>,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        Check {
            check,
            status,
            rule: None,
            subject: subject.into(),
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }
    /// Names the rule that decided this check.
    pub fn with_rule(mut self, rule: &'static str) -> Self {
        self.rule = Some(rule);
        self
    }
    pub fn passed(
        check: CheckKind,
        subject: impl Into<String>,
        message: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self::new(check, Status::Passed, subject, message, zh)
    }
    pub fn failed(
        check: CheckKind,
        subject: impl Into<String>,
        message: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self::new(check, Status::Failed, subject, message, zh)
    }
    pub fn warning(
        check: CheckKind,
        subject: impl Into<String>,
        message: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self::new(check, Status::Warning, subject, message, zh)
    }
    pub fn indeterminate(
        check: CheckKind,
        subject: impl Into<String>,
        message: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self::new(check, Status::Indeterminate, subject, message, zh)
    }
}

/// The verdict on a signature or a whole document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    /// Intact and cryptographically valid, with warnings (see [`Status::Warning`]).
    ValidWithWarnings,
    Invalid,
}

fn verdict_of<'a>(checks: impl Iterator<Item = &'a Check>) -> Verdict {
    let mut v = Verdict::Valid;
    for c in checks {
        match c.status {
            Status::Failed | Status::Indeterminate => return Verdict::Invalid,
            Status::Warning => v = Verdict::ValidWithWarnings,
            Status::Passed => {}
        }
    }
    v
}

/// A short description of a certificate for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

/// A short description of a seal for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SealSummary {
    /// "v1 (GM/T 0031-2014)", "v4 (GB/T 38540-2020)", "v5 (GM/T 0031-2025)".
    pub version: String,
    pub vendor_id: String,
    pub es_id: String,
    pub name: String,
    pub seal_type: i64,
    pub valid_start: String,
    pub valid_end: String,
    pub picture_type: String,
    pub picture_width_mm: i64,
    pub picture_height_mm: i64,
    pub maker: Option<CertSummary>,
}

/// The report on one signature (or on one seal file when a seal is verified alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SignatureReport {
    /// The signature's ID in the document (OFD `Signature/@ID`, PDF field name), or the file.
    pub id: String,
    /// "seal" (SES_Signature), "sign" (plain digital signature), "cms", "pades", "seal-file".
    pub kind: String,
    /// "v1", "v4", "v5" for SES structures; empty otherwise.
    pub version: String,
    pub signer: Option<CertSummary>,
    pub seal: Option<SealSummary>,
    /// Signing time as the signature states it (ISO 8601, UTC), and where it came from.
    pub signing_time: Option<String>,
    pub signing_time_source: Option<String>,
    pub checks: Vec<Check>,
}

impl SignatureReport {
    pub fn verdict(&self) -> Verdict {
        verdict_of(self.checks.iter())
    }
    pub fn push(&mut self, c: Check) {
        self.checks.push(c);
    }
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, Status::Failed | Status::Indeterminate))
    }
}

/// The report on a whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VerificationReport {
    pub file: String,
    /// "seal", "ses-signature", "ofd", "pdf".
    pub format: String,
    pub signatures: Vec<SignatureReport>,
    /// Checks on the document as a whole (coverage, changes after signing).
    pub document_checks: Vec<Check>,
}

impl VerificationReport {
    /// Valid when every check of every signature and of the document passed; with warnings
    /// when some only warned. A file without signatures is [`Verdict::Invalid`].
    pub fn verdict(&self) -> Verdict {
        if self.signatures.is_empty() {
            return Verdict::Invalid;
        }
        verdict_of(
            self.signatures
                .iter()
                .flat_map(|s| s.checks.iter())
                .chain(self.document_checks.iter()),
        )
    }

    /// Exit status of the command-line contract: 0 valid, 1 not (warnings count under `strict`).
    pub fn exit_code(&self, strict: bool) -> i32 {
        match self.verdict() {
            Verdict::Valid => 0,
            Verdict::ValidWithWarnings if !strict => 0,
            _ => 1,
        }
    }

    /// A human-readable rendering (English with Chinese after each message).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}): {}",
            self.file,
            self.format,
            verdict_text(self.verdict())
        );
        if self.signatures.is_empty() {
            let _ = writeln!(out, "  no signatures found / 未发现签名");
        }
        for s in &self.signatures {
            let _ = writeln!(
                out,
                "  signature {} [{}{}]: {}",
                s.id,
                s.kind,
                if s.version.is_empty() {
                    String::new()
                } else {
                    format!(" {}", s.version)
                },
                verdict_text(s.verdict())
            );
            if let Some(seal) = &s.seal {
                let _ = writeln!(
                    out,
                    "    seal: {} (esID {}, {}, valid {} .. {})",
                    seal.name, seal.es_id, seal.version, seal.valid_start, seal.valid_end
                );
                if let Some(m) = &seal.maker {
                    let _ = writeln!(out, "    maker: {}", m.subject);
                }
            }
            if let Some(c) = &s.signer {
                let _ = writeln!(
                    out,
                    "    signer: {} (serial {}, issuer {})",
                    c.subject, c.serial, c.issuer
                );
            }
            if let Some(t) = &s.signing_time {
                let _ = writeln!(
                    out,
                    "    signed at: {t} ({})",
                    s.signing_time_source.as_deref().unwrap_or("?")
                );
            }
            for c in &s.checks {
                write_check(&mut out, c);
            }
        }
        for c in &self.document_checks {
            write_check(&mut out, c);
        }
        out
    }
}

fn write_check(out: &mut String, c: &Check) {
    use std::fmt::Write;
    let mark = match c.status {
        Status::Passed => "ok  ",
        Status::Warning => "WARN",
        Status::Indeterminate => "??  ",
        Status::Failed => "FAIL",
    };
    let kind = serde_json::to_value(c.check)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let rule = c.rule.map(|r| format!(" [{r}]")).unwrap_or_default();
    let _ = writeln!(
        out,
        "    [{mark}] {kind}{rule} {}: {} / {}",
        c.subject, c.message, c.message_zh
    );
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "VALID / 有效",
        Verdict::ValidWithWarnings => "VALID with warnings / 有效（有警告）",
        Verdict::Invalid => "INVALID / 无效",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(statuses: &[Status]) -> SignatureReport {
        SignatureReport {
            id: "s1".into(),
            checks: statuses
                .iter()
                .map(|s| Check::new(CheckKind::Structure, *s, "x", "m", "m"))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn verdicts_follow_the_cli_contract() {
        let mut r = VerificationReport {
            file: "f".into(),
            format: "seal".into(),
            ..Default::default()
        };
        assert_eq!(r.exit_code(false), 1, "no signature is not valid");
        r.signatures.push(sig(&[Status::Passed]));
        assert_eq!(
            (r.verdict(), r.exit_code(false), r.exit_code(true)),
            (Verdict::Valid, 0, 0)
        );
        r.signatures.push(sig(&[Status::Passed, Status::Warning]));
        assert_eq!(
            (r.verdict(), r.exit_code(false), r.exit_code(true)),
            (Verdict::ValidWithWarnings, 0, 1)
        );
        r.document_checks
            .push(Check::failed(CheckKind::Coverage, "/OFD.xml", "m", "m"));
        assert_eq!((r.verdict(), r.exit_code(false)), (Verdict::Invalid, 1));
        assert!(r.to_text().contains("FAIL"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["document_checks"][0]["check"], "coverage");
    }

    #[test]
    fn indeterminate_is_not_valid() {
        assert_eq!(
            sig(&[Status::Passed, Status::Indeterminate]).verdict(),
            Verdict::Invalid
        );
    }
}
