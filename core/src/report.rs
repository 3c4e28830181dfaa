//! The verification report shared by every verifier (seal files, SES signatures, OFD, PDF).
//!
//! A report is a list of signatures, each with the checks that were run on it, plus
//! document-level checks (coverage, changes after signing). Every check names *what* it
//! checked (`check`), *where* (`subject`: a file in the package, a field of a structure, a
//! byte range) and *why* it failed, in English and Chinese.
//!
//! Verdicts follow the command-line contract (README "Exit status"): **valid** (exit 0) when
//! every check passed and every certificate chains to a trust anchor; **intact, signer not
//! trusted** (exit 3) when everything passed except trust (no anchor reached, see
//! [`crate::validation`]); **invalid** (exit 1) when anything failed. Warnings ("valid when
//! signed, expired now", non-standard encodings) fail only under `strict`.

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
    /// Revocation status of a certificate at the signing time (CRL, OCSP; RFC 5280 §6.3,
    /// RFC 6960).
    Revocation,
    /// The platform's seal status (revoked, frozen, expired) at the signing time
    /// (`crate::seal_status`).
    SealStatus,
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
    /// Not a broken signature, but not clean either (expired now, non-standard encoding);
    /// a failure only in strict mode.
    Warning,
    /// The certificate chain reaches no trust anchor (an unknown root, or no anchors
    /// configured): the signature may be intact, but who made it is not confirmed.
    Untrusted,
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
    pub fn untrusted(
        check: CheckKind,
        subject: impl Into<String>,
        message: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self::new(check, Status::Untrusted, subject, message, zh)
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
    /// Intact, cryptographically valid, every certificate chains to a trust anchor.
    Valid,
    /// As [`Verdict::Valid`], with warnings (see [`Status::Warning`]); invalid under `strict`.
    ValidWithWarnings,
    /// Intact and cryptographically valid, but some certificate chains to no trust anchor:
    /// "签章完整，签章人身份未经信任根确认 / INTACT, signer not trusted" (exit 3).
    IntactUntrusted,
    Invalid,
}

impl Verdict {
    /// The exit status of the command-line contract: 0 valid, 3 intact but not trusted,
    /// 1 invalid (2, unusable input, is not a verdict).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Valid | Verdict::ValidWithWarnings => 0,
            Verdict::IntactUntrusted => 3,
            Verdict::Invalid => 1,
        }
    }
    /// The headline, English / Chinese.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID / 有效",
            Verdict::ValidWithWarnings => "VALID with warnings / 有效（有警告）",
            Verdict::IntactUntrusted => {
                "签章完整，签章人身份未经信任根确认 / INTACT, signer not trusted"
            }
            Verdict::Invalid => "INVALID / 无效",
        }
    }
    /// The short status word of a signature line.
    pub fn status_word(self) -> &'static str {
        match self {
            Verdict::Valid => "Valid / 有效",
            Verdict::ValidWithWarnings => "Valid with warnings / 有效（有警告）",
            Verdict::IntactUntrusted => "Untrusted / 未经信任",
            Verdict::Invalid => "Invalid / 无效",
        }
    }
}

/// The one place checks become a verdict: any failure (or a check that could not be made)
/// is invalid; under `strict` a warning is too; then any untrusted chain makes it
/// "intact, not trusted"; then warnings.
fn verdict_of<'a>(checks: impl Iterator<Item = &'a Check>, strict: bool) -> Verdict {
    let (mut warned, mut untrusted) = (false, false);
    for c in checks {
        match c.status {
            Status::Failed | Status::Indeterminate => return Verdict::Invalid,
            Status::Warning if strict => return Verdict::Invalid,
            Status::Warning => warned = true,
            Status::Untrusted => untrusted = true,
            Status::Passed => {}
        }
    }
    if untrusted {
        Verdict::IntactUntrusted
    } else if warned {
        Verdict::ValidWithWarnings
    } else {
        Verdict::Valid
    }
}

/// What a signature is (JSON: the strings of earlier versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[non_exhaustive]
pub enum SignatureKind {
    /// An SES_Signature (GB/T 38540 §7): an electronic seal.
    #[default]
    #[serde(rename = "seal")]
    Seal,
    /// An OFD `Type="Sign"` plain digital signature.
    #[serde(rename = "sign")]
    Sign,
    /// A CMS SignedData with an international algorithm (`adbe.pkcs7.detached`).
    #[serde(rename = "cms")]
    Cms,
    /// An SM2 CMS SignedData (GB/T 35275 / GM/T 0010).
    #[serde(rename = "cms-sm2")]
    CmsSm2,
    /// PAdES (`ETSI.CAdES.detached`).
    #[serde(rename = "pades")]
    Pades,
    /// A seal file verified on its own.
    #[serde(rename = "seal-file")]
    SealFile,
    /// A PDF document timestamp (`/Type /DocTimeStamp`, `ETSI.RFC3161`): an RFC 3161 token
    /// over the byte ranges (PAdES B-LTA).
    #[serde(rename = "document-timestamp")]
    DocumentTimestamp,
    /// A PDF signature dictionary no field of the document reaches.
    #[serde(rename = "orphan")]
    Orphan,
    /// A signature whose value could not be read.
    #[serde(rename = "unknown")]
    Unknown,
}

impl SignatureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureKind::Seal => "seal",
            SignatureKind::Sign => "sign",
            SignatureKind::Cms => "cms",
            SignatureKind::CmsSm2 => "cms-sm2",
            SignatureKind::Pades => "pades",
            SignatureKind::SealFile => "seal-file",
            SignatureKind::DocumentTimestamp => "document-timestamp",
            SignatureKind::Orphan => "orphan",
            SignatureKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for SignatureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of file was verified (JSON: the strings of earlier versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[non_exhaustive]
pub enum DocumentFormat {
    /// A seal file (SESeal) on its own.
    #[default]
    #[serde(rename = "seal")]
    Seal,
    /// An SES_Signature file on its own.
    #[serde(rename = "ses-signature")]
    SesSignature,
    #[serde(rename = "ofd")]
    Ofd,
    #[serde(rename = "pdf")]
    Pdf,
}

impl DocumentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Seal => "seal",
            DocumentFormat::SesSignature => "ses-signature",
            DocumentFormat::Ofd => "ofd",
            DocumentFormat::Pdf => "pdf",
        }
    }
}

impl std::fmt::Display for DocumentFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A short description of a certificate for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CertSummary {
    pub subject: String,
    /// The subject's common name (CN), for the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The subject's organisation (O): the unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
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
    /// What the signature is ("seal", "sign", "cms", "cms-sm2", "pades", "seal-file", ...).
    pub kind: SignatureKind,
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
    /// The verdict on this signature alone (not strict).
    pub fn verdict(&self) -> Verdict {
        verdict_of(self.checks.iter(), false)
    }
    /// Intact, valid and trusted (warnings allowed): a signature that may vouch for what it
    /// covers (a later PDF signature over an overlay). At least one certificate chain was
    /// checked and none failed or reached no anchor.
    pub fn vouches(&self) -> bool {
        matches!(self.verdict(), Verdict::Valid | Verdict::ValidWithWarnings)
            && self
                .checks
                .iter()
                .any(|c| c.check == CheckKind::CertificateChain && c.status == Status::Passed)
    }
    /// The verdict on this signature under `strict`.
    pub fn verdict_under(&self, strict: bool) -> Verdict {
        verdict_of(self.checks.iter(), strict)
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

/// The report on a whole file. Its JSON carries the verdict and exit status of the whole file
/// and a verdict per signature (under the report's strictness).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(into = "ReportJson")]
pub struct VerificationReport {
    pub file: String,
    /// "seal", "ses-signature", "ofd", "pdf" in JSON.
    pub format: DocumentFormat,
    /// Warnings count as failures (`VerifyOptions::strict`, `--strict`).
    pub strict: bool,
    pub signatures: Vec<SignatureReport>,
    /// Checks on the document as a whole (coverage, changes after signing).
    pub document_checks: Vec<Check>,
}

/// The JSON shape of a [`VerificationReport`].
#[derive(Serialize)]
struct ReportJson {
    file: String,
    format: DocumentFormat,
    strict: bool,
    verdict: Verdict,
    exit_code: i32,
    signatures: Vec<SignatureJson>,
    document_checks: Vec<Check>,
}

#[derive(Serialize)]
struct SignatureJson {
    #[serde(flatten)]
    signature: SignatureReport,
    verdict: Verdict,
}

impl From<VerificationReport> for ReportJson {
    fn from(r: VerificationReport) -> Self {
        let (verdict, exit_code) = (r.verdict(), r.exit_code());
        ReportJson {
            file: r.file,
            format: r.format,
            strict: r.strict,
            verdict,
            exit_code,
            signatures: r
                .signatures
                .into_iter()
                .map(|s| SignatureJson {
                    verdict: s.verdict_under(r.strict),
                    signature: s,
                })
                .collect(),
            document_checks: r.document_checks,
        }
    }
}

impl VerificationReport {
    /// An empty report on `file`.
    pub fn new(file: impl Into<String>, format: DocumentFormat, strict: bool) -> Self {
        VerificationReport {
            file: file.into(),
            format,
            strict,
            ..Default::default()
        }
    }

    /// The same report judged with or without `strict`.
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The verdict over every check of every signature and of the document (see
    /// [`Verdict`]). A file without signatures is [`Verdict::Invalid`].
    pub fn verdict(&self) -> Verdict {
        if self.signatures.is_empty() {
            return Verdict::Invalid;
        }
        verdict_of(
            self.signatures
                .iter()
                .flat_map(|s| s.checks.iter())
                .chain(self.document_checks.iter()),
            self.strict,
        )
    }

    /// Exit status of the command-line contract: 0 valid, 3 intact but not trusted, 1 not
    /// valid (warnings count under `strict`).
    pub fn exit_code(&self) -> i32 {
        self.verdict().exit_code()
    }

    /// Whether the document changed in a way no signature allows: a failed digest, byte
    /// range, coverage or changed-after-signing check. `None` when nothing was checked.
    pub fn document_changed(&self) -> Option<bool> {
        let mut seen = false;
        for c in self
            .signatures
            .iter()
            .flat_map(|s| s.checks.iter())
            .chain(self.document_checks.iter())
        {
            if matches!(
                c.check,
                CheckKind::DataDigest
                    | CheckKind::FileDigest
                    | CheckKind::MissingFile
                    | CheckKind::Coverage
                    | CheckKind::ModifiedAfterSigning
                    | CheckKind::ByteRange
            ) {
                seen = true;
                if matches!(c.status, Status::Failed | Status::Indeterminate) {
                    return Some(true);
                }
            }
        }
        seen.then_some(false)
    }

    /// A human-readable rendering: the headline, a summary a clerk can read (who signed, for
    /// which unit, with which seal, when in Beijing time, whether the document changed),
    /// then every check (English with Chinese after each message).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}): {}",
            self.file,
            self.format,
            self.verdict().text()
        );
        if self.signatures.is_empty() {
            let _ = writeln!(out, "  no signatures found / 未发现签名");
        }
        let _ = writeln!(out, "  Summary / 摘要");
        for s in &self.signatures {
            let _ = writeln!(
                out,
                "    signature / 签章 {}: {}",
                s.id,
                s.verdict_under(self.strict).status_word()
            );
            let name = |c: &CertSummary| c.name.clone().unwrap_or_else(|| c.subject.clone());
            if let Some(c) = &s.signer {
                let _ = writeln!(out, "      signer / 签章人: {}", name(c));
            }
            let unit = s
                .signer
                .as_ref()
                .and_then(|c| c.organization.clone())
                .or_else(|| {
                    s.seal
                        .as_ref()
                        .and_then(|x| x.maker.as_ref())
                        .and_then(|m| m.organization.clone())
                        .filter(|_| s.signer.is_none())
                });
            if let Some(u) = unit {
                let _ = writeln!(out, "      unit / 单位: {u}");
            }
            if let Some(seal) = &s.seal {
                let _ = writeln!(out, "      seal / 印章: {}", seal.name);
            }
            if let Some(t) = &s.signing_time {
                let _ = writeln!(out, "      signed at / 签署时间: {}", beijing_time(t));
            }
        }
        let changed = match self.document_changed() {
            Some(true) => "YES / 是",
            Some(false) => "no / 否",
            None => "not checked / 未检查",
        };
        let _ = writeln!(
            out,
            "    document changed after signing / 签署后文档被修改: {changed}"
        );
        let _ = writeln!(out, "  Checks / 检查");
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
                s.verdict_under(self.strict).text()
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

/// "2026-05-01 18:30:00 北京时间 (UTC 2026-05-01T10:30:00Z)" for an ISO 8601 UTC time; the
/// text as given when it does not parse.
pub fn beijing_time(iso: &str) -> String {
    match crate::crypto::time::Time::parse_lenient(iso) {
        Ok((t, _)) => {
            let (y, mo, d, h, mi, s) = t.add_seconds(8 * 3600).to_civil();
            format!(
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} 北京时间 (UTC {})",
                t.to_iso()
            )
        }
        Err(_) => iso.to_owned(),
    }
}

fn write_check(out: &mut String, c: &Check) {
    use std::fmt::Write;
    let mark = match c.status {
        Status::Passed => "ok  ",
        Status::Warning => "WARN",
        Status::Untrusted => "UNTR",
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
        let mut r = VerificationReport::new("f", DocumentFormat::Seal, false);
        assert_eq!(r.exit_code(), 1, "no signature is not valid");
        r.signatures.push(sig(&[Status::Passed]));
        assert_eq!((r.verdict(), r.exit_code()), (Verdict::Valid, 0));
        r.signatures.push(sig(&[Status::Passed, Status::Warning]));
        assert_eq!(
            (r.verdict(), r.exit_code()),
            (Verdict::ValidWithWarnings, 0)
        );
        r.strict = true;
        assert_eq!((r.verdict(), r.exit_code()), (Verdict::Invalid, 1));
        r.strict = false;
        r.signatures.push(sig(&[Status::Untrusted]));
        assert_eq!((r.verdict(), r.exit_code()), (Verdict::IntactUntrusted, 3));
        assert!(r.to_text().starts_with(
            "f (seal): 签章完整，签章人身份未经信任根确认 / INTACT, signer not trusted"
        ));
        assert!(!r.to_text().lines().next().unwrap().contains("有效"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["verdict"], "intact_untrusted");
        assert_eq!(json["exit_code"], 3);
        assert_eq!(json["format"], "seal");
        assert_eq!(json["signatures"][0]["verdict"], "valid");
        assert_eq!(json["signatures"][1]["verdict"], "valid_with_warnings");
        assert_eq!(json["signatures"][2]["verdict"], "intact_untrusted");
        assert_eq!(json["signatures"][2]["kind"], "seal");
        r.document_checks
            .push(Check::failed(CheckKind::Coverage, "/OFD.xml", "m", "m"));
        assert_eq!((r.verdict(), r.exit_code()), (Verdict::Invalid, 1));
        assert!(r.to_text().contains("FAIL"));
        assert!(r.to_text().contains("签署后文档被修改: YES / 是"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["document_checks"][0]["check"], "coverage");
    }

    #[test]
    fn signing_time_is_shown_in_beijing_time_with_utc_beside() {
        assert_eq!(
            beijing_time("2026-05-01T20:30:00Z"),
            "2026-05-02 04:30:00 北京时间 (UTC 2026-05-01T20:30:00Z)"
        );
    }

    #[test]
    fn indeterminate_is_not_valid() {
        assert_eq!(
            sig(&[Status::Passed, Status::Indeterminate]).verdict(),
            Verdict::Invalid
        );
    }
}
