//! Verifying PDF signatures (ISO 32000-1 §12.8.1). The file is read as its revisions
//! ([`super::xref`]); the signatures are the signature fields the final revision's form
//! reaches (§12.7.4.5), each checked for its byte ranges (one gap, exactly its `/Contents`
//! string, ending at the `%%EOF` of the revision that holds it), digest, signature (CMS or
//! GB/T 38540 SES_Signature, decided by content whatever the SubFilter says), certificates,
//! and what changed after it ([`super::diff`]). A signature field whose value cannot be read
//! is a failed signature, and a signature dictionary no field reaches is reported as an
//! orphan: neither is ever skipped.
//!
//! Work is bounded by the input: at most [`MAX_SIGNATURES`] signatures per file; byte ranges
//! shared by several signatures are hashed once; the file is held once and never copied per
//! revision.

use super::PdfError;
use super::cos::{self, Obj, Ref};
use super::diff::{self, FieldLock, SignedRevision};
use super::form::{self, Field};
use super::xref::{Entry, Loc, Pdf, XrefError};
use crate::cms;
use crate::crypto::Certificate;
use crate::fs::{CHUNK, Release};
use crate::report::{
    Check, CheckKind as K, DocumentFormat, SignatureKind, SignatureReport, VerificationReport,
};
use crate::ses::DataCheck;
use crate::validation::{VerifyOptions, certificate_checks};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Most signatures verified in one file; a file with more fails (documented in
/// `docs/pdf-changes.md`).
pub const MAX_SIGNATURES: usize = 256;

/// Verifies every signature in the file at `path`.
pub fn verify_file(
    path: &std::path::Path,
    opts: &VerifyOptions,
) -> Result<VerificationReport, PdfError> {
    // Mapped, not read: only the structures parsed and the chunk being hashed are in memory.
    let pdf = crate::fs::MappedFile::open(path).map_err(|e| PdfError::read(path, e))?;
    verify_with(pdf.bytes(), &pdf, &path.display().to_string(), opts)
}

/// Where a PDF must begin: ISO 32000-1 §7.5.2 puts `%PDF-` first; readers accept it within
/// the first 1024 bytes (§7.5.2 note, Adobe implementation note), and so does eseal.
const HEADER_WINDOW: usize = 1024;

/// Unusable input (exit 2, as for an OFD that is not a ZIP): an empty file, or no `%PDF-`
/// header where readers look for it.
fn usable(pdf: &[u8]) -> Result<(), PdfError> {
    if pdf.is_empty() {
        return Err(PdfError::NotPdf("the file is empty".into()));
    }
    let head = &pdf[..pdf.len().min(HEADER_WINDOW)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf(format!(
            "no %PDF- header in the first {HEADER_WINDOW} bytes"
        )));
    }
    Ok(())
}

/// Rule names of the byte-range and document checks (`docs/pdf-changes.md`).
mod doc_rule {
    pub const XREF_UNREADABLE: &str = "xref-unreadable";
    pub const XREF_PREV_LOOP: &str = "xref-prev-loop";
    pub const TRAILING_BYTES: &str = "trailing-bytes";
    pub const FORM_UNREADABLE: &str = "form-unreadable";
    pub const SIGNATURE_CAP: &str = "signature-cap";
    pub const SIGNATURE_UNREADABLE: &str = "signature-unreadable";
    pub const ORPHAN_SIGNATURE: &str = "orphan-signature";
    pub const BYTE_RANGE_GAP: &str = "byte-range-gap";
    pub const BYTE_RANGE_END: &str = "byte-range-end";
}
use doc_rule as dr;

/// Verifies every signature of `pdf`. `Err` when the input is unusable: empty, not a PDF,
/// encrypted. A PDF whose structure cannot be read gives a report with a failed structure
/// check (so a truncated or damaged file is never "valid").
pub fn verify(
    pdf: &[u8],
    file: &str,
    opts: &VerifyOptions,
) -> Result<VerificationReport, PdfError> {
    verify_with(pdf, &crate::fs::InMemory, file, opts)
}

/// [`verify`] of bytes whose pages `release` gives back once read (a mapped file).
fn verify_with(
    pdf: &[u8],
    release: &dyn Release,
    file: &str,
    opts: &VerifyOptions,
) -> Result<VerificationReport, PdfError> {
    usable(pdf)?;
    let mut report = VerificationReport::new(file, DocumentFormat::Pdf, opts.strict);
    let doc = match Pdf::read_with(pdf, release) {
        Ok(d) => d,
        Err(e) => {
            let rule = if matches!(e, XrefError::PrevLoop(_)) {
                dr::XREF_PREV_LOOP
            } else {
                dr::XREF_UNREADABLE
            };
            report.document_checks.push(
                Check::failed(
                    K::Structure,
                    "PDF",
                    format!("the file cannot be read as PDF: {e}"),
                    format!("无法解析 PDF 文件：{e}"),
                )
                .with_rule(rule),
            );
            return Ok(report);
        }
    };
    let last = doc.last();
    if doc.trailer_entry(last, b"Encrypt").is_some() {
        return Err(PdfError::Encrypted);
    }
    // The DSS's validation data (PAdES B-LT): its certificates complete chains, its CRLs and
    // OCSP responses go to the revocation checks.
    let with_dss;
    let opts = match super::dss::read(&doc, last) {
        Some(d) if !d.data.is_empty() => {
            let mut o = opts.clone();
            o.extra_certs.extend(
                d.data
                    .certs
                    .iter()
                    .filter_map(|c| crate::crypto::Certificate::parse(c).ok()),
            );
            o.revocation.extend(&d.data.revocation());
            with_dss = o;
            &with_dss
        }
        _ => opts,
    };
    document_checks(&doc, &mut report.document_checks);
    let form = form::read(&doc, last);
    for p in &form.problems {
        report.document_checks.push(
            Check::failed(
                K::Structure,
                "AcroForm",
                p.clone(),
                "表单域无法读取，其中可能有签名",
            )
            .with_rule(dr::FORM_UNREADABLE),
        );
    }
    let mut fields: Vec<&Field> = form
        .fields
        .iter()
        .filter(|f| f.is_signature() && f.dict.as_dict().is_some_and(|d| d.has(b"V")))
        .collect();
    if fields.len() > MAX_SIGNATURES {
        report.document_checks.push(
            Check::failed(
                K::Structure,
                "AcroForm",
                format!(
                    "{} signature fields; eseal verifies at most {MAX_SIGNATURES} per file",
                    fields.len()
                ),
                format!("签名数量超过上限 {MAX_SIGNATURES}"),
            )
            .with_rule(dr::SIGNATURE_CAP),
        );
        fields.truncate(MAX_SIGNATURES);
    }
    let mut digests = Digests::new(release);
    let mut found: Vec<One> = fields
        .iter()
        .map(|f| verify_one(&doc, f, opts, &mut digests))
        .collect();
    long_term(&doc, &fields, &mut found, opts, &mut digests);
    let shown: HashSet<Loc> = found.iter().filter_map(|o| o.sig_loc).collect();
    let sigs: Vec<SignedRevision> = found
        .iter()
        .filter_map(|o| {
            Some(SignedRevision {
                field: o.field,
                name: o.report.id.clone(),
                revision: o.revision?,
                // A document timestamp dates what it covers; it approves nothing.
                vouches: !o.timestamp && o.report.vouches(),
                timestamp: o.timestamp,
            })
        })
        .collect();
    let mut analyser = diff::Analyser::new(&doc, sigs);
    for o in &mut found {
        if let Some(s) = o.revision {
            let checks = analyser.checks(s, o.field, o.docmdp, &o.lock);
            o.report.checks.extend(checks);
        }
    }
    report.signatures = found.into_iter().map(|o| o.report).collect();
    report.signatures.extend(orphans(&doc, &shown));
    Ok(report)
}

/// Bytes after the last revision, and irregular revisions.
fn document_checks(doc: &Pdf<'_>, out: &mut Vec<Check>) {
    let mut trailing = false;
    for (rule, msg) in &doc.issues {
        trailing |= *rule == dr::TRAILING_BYTES;
        out.push(Check::failed(K::Structure, "PDF", msg.clone(), "文件结构异常").with_rule(rule));
    }
    let end = doc.revisions[doc.last()].end_eol;
    let tail = doc.buf.get(end..).unwrap_or_default();
    let extra = tail.iter().filter(|c| !cos::is_white(**c)).count();
    if extra > 0 && !trailing {
        out.push(
            Check::failed(
                K::Structure,
                "PDF",
                format!(
                    "{} bytes after the last revision (its %%EOF at byte {}): data no signature covers and no revision lists",
                    tail.len(),
                    end
                ),
                "最后一个版本（%%EOF）之后还有数据",
            )
            .with_rule(dr::TRAILING_BYTES),
        );
    }
}

/// Signature dictionaries that some revision's cross-reference data lists but no signature
/// field of the document reaches: a reader does not show them, so they are not verified.
fn orphans(doc: &Pdf<'_>, shown: &HashSet<Loc>) -> Vec<SignatureReport> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in doc.sections.iter().enumerate() {
        let rev = doc.revision_of_section(i);
        for (n, e) in &s.entries {
            let r: Ref = match e {
                Entry::InUse { generation, .. } => (*n, *generation),
                Entry::Compressed { .. } => (*n, 0),
                Entry::Free => continue,
            };
            let Ok(Some(res)) = doc.peek(rev, r) else {
                continue;
            };
            if shown.contains(&res.loc) || !seen.insert(res.loc) {
                continue;
            }
            let Obj::Dict(d) = &*res.obj else { continue };
            let sig_type = d.name(b"Type");
            if d.get(b"ByteRange").is_none()
                || d.get(b"Contents").is_none()
                || !matches!(sig_type, None | Some(b"Sig" | b"DocTimeStamp"))
            {
                continue;
            }
            let res_id = r;
            let mut r = SignatureReport {
                id: format!("object {} {} (no form field)", r.0, r.1),
                kind: SignatureKind::Orphan,
                ..Default::default()
            };
            r.push(
                Check::failed(
                    K::Structure,
                    format!("object {} {} (revision {})", res_id.0, res_id.1, rev + 1),
                    "a signature dictionary that no signature field of the document reaches (/Root → /AcroForm → /Fields): readers do not show it, so it is not verified and the document fails",
                    "孤立的签名字典：文档的签名域未引用它，阅读器不会显示该签名",
                )
                .with_rule(dr::ORPHAN_SIGNATURE),
            );
            out.push(r);
            if out.len() >= MAX_SIGNATURES {
                return out;
            }
        }
    }
    out
}

/// Digests of byte ranges, each computed once per (ranges, algorithm); the bytes hashed are
/// given back to `release` chunk by chunk.
struct Digests<'a> {
    done: HashMap<RangeAlg, Option<Rc<Vec<u8>>>>,
    release: &'a dyn Release,
}

/// Byte ranges and a digest algorithm's OID.
type RangeAlg = ([usize; 4], String);

impl<'a> Digests<'a> {
    fn new(release: &'a dyn Release) -> Self {
        Digests {
            done: HashMap::new(),
            release,
        }
    }

    fn get(&mut self, pdf: &[u8], r: [usize; 4], alg: &str) -> Option<Rc<Vec<u8>>> {
        let release = self.release;
        self.done
            .entry((r, alg.to_owned()))
            .or_insert_with(|| range_digest(pdf, r, alg, release).map(Rc::new))
            .clone()
    }
}

/// Digest of `pdf[a..a+b] ‖ pdf[c..c+d]` with the named algorithm, fed in slices (no copy).
fn range_digest(pdf: &[u8], r: [usize; 4], alg: &str, release: &dyn Release) -> Option<Vec<u8>> {
    let ranges = [r[0]..r[0].checked_add(r[1])?, r[2]..r[2].checked_add(r[3])?];
    pdf.get(ranges[0].clone())?;
    pdf.get(ranges[1].clone())?;
    fn run<D: sha2::Digest>(
        pdf: &[u8],
        ranges: &[std::ops::Range<usize>],
        release: &dyn Release,
    ) -> Vec<u8> {
        let mut h = D::new();
        for range in ranges {
            // Fed in chunks, each given back once hashed: memory stays small whatever the
            // file size.
            let mut at = range.start;
            while at < range.end {
                let end = range.end.min(at + CHUNK);
                h.update(&pdf[at..end]);
                release.release(at..end);
                at = end;
            }
        }
        h.finalize().to_vec()
    }
    Some(match alg {
        cms::OID_SHA256 => run::<sha2::Sha256>(pdf, &ranges, release),
        cms::OID_SHA384 => run::<sha2::Sha384>(pdf, &ranges, release),
        cms::OID_SHA512 => run::<sha2::Sha512>(pdf, &ranges, release),
        cms::OID_SHA1 => run::<sha1::Sha1>(pdf, &ranges, release),
        cms::OID_SM3 => run::<crate::crypto::sm3::Sm3>(pdf, &ranges, release),
        _ => return None,
    })
}

/// One verified signature field.
struct One {
    report: SignatureReport,
    field: Ref,
    /// Where its signature dictionary is.
    sig_loc: Option<Loc>,
    /// The revision its byte ranges cover.
    revision: Option<usize>,
    docmdp: Option<i64>,
    lock: FieldLock,
    timestamp: bool,
    /// A document timestamp's verified genTime.
    gen_time: Option<crate::crypto::time::Time>,
}

fn unreadable(report: &mut SignatureReport, why: String) {
    report.push(
        Check::failed(
            K::Structure,
            "/V",
            format!("the signature field's value cannot be read: {why}"),
            "签名域的签名值无法读取",
        )
        .with_rule(dr::SIGNATURE_UNREADABLE),
    );
}

fn verify_one(doc: &Pdf<'_>, f: &Field, opts: &VerifyOptions, digests: &mut Digests<'_>) -> One {
    let pdf = doc.buf;
    let last = doc.last();
    let fd = f.dict.as_dict().cloned().unwrap_or_default();
    let mut one = One {
        report: SignatureReport {
            id: if f.name.is_empty() {
                "(unnamed)".into()
            } else {
                f.name.clone()
            },
            kind: SignatureKind::Unknown,
            ..Default::default()
        },
        field: f.id,
        sig_loc: None,
        revision: None,
        docmdp: None,
        lock: FieldLock::from_dict(
            fd.get(b"Lock")
                .map(|l| doc.get(last, l))
                .as_deref()
                .and_then(Obj::as_dict),
        ),
        timestamp: false,
        gen_time: None,
    };
    let r = &mut one.report;
    // The signature dictionary, the indirect object that holds it, and the key path of its
    // /Contents inside that object.
    let (sig, holder, path): (Rc<Obj>, Loc, &[&[u8]]) = match fd.get(b"V") {
        Some(Obj::Ref(v)) => match doc.resolve(last, *v) {
            Ok(Some(res)) if res.obj.as_dict().is_some() && !matches!(*res.obj, Obj::Stream(_)) => {
                (res.obj, res.loc, &[b"Contents"])
            }
            Ok(Some(_)) => {
                unreadable(r, format!("object {} is not a signature dictionary", v.0));
                return one;
            }
            Ok(None) => {
                unreadable(
                    r,
                    format!(
                        "/V names object {} {}, which does not exist (free or undefined)",
                        v.0, v.1
                    ),
                );
                return one;
            }
            Err(e) => {
                unreadable(r, e);
                return one;
            }
        },
        Some(Obj::Dict(d)) => (Rc::new(Obj::Dict(d.clone())), f.loc, &[b"V", b"Contents"]),
        _ => {
            unreadable(r, "/V is not a signature dictionary".into());
            return one;
        }
    };
    one.sig_loc = Some(holder);
    let d = sig.as_dict().cloned().unwrap_or_default();
    one.timestamp = d.is_type(b"DocTimeStamp");
    let subfilter = d
        .name(b"SubFilter")
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let m_time = match d.get(b"M") {
        Some(Obj::Str(t)) => parse_pdf_date(&String::from_utf8_lossy(t)),
        _ => None,
    };
    let Some((range, revision)) = check_ranges(doc, &d, holder, path, &mut r.checks) else {
        return one;
    };
    one.revision = Some(revision);
    let contents = match d.get(b"Contents") {
        Some(Obj::Str(s)) => s.clone(),
        _ => Vec::new(),
    };
    let der = trim_der(&contents);
    if one.timestamp || subfilter == "ETSI.RFC3161" {
        // A document timestamp (ISO 32000-2 §12.8.5, PAdES B-LTA): a token over the ranges.
        r.kind = SignatureKind::DocumentTimestamp;
        let stamped = crate::tsp::token_checks_digest(
            der,
            &mut |alg| digests.get(pdf, range, alg).map(|d| d.to_vec()),
            "the byte ranges",
            "/Contents (document timestamp)",
            opts,
            &mut r.checks,
        );
        r.signing_time = stamped.map(|t| t.to_iso());
        one.gen_time = stamped;
        r.signing_time_source = Some("document timestamp token".into());
    } else if cms::looks_like_signed_data(der) {
        verify_cms(pdf, range, der, &subfilter, m_time, opts, digests, r);
    } else if let Some(digest) = digests.get(pdf, range, cms::OID_SM3) {
        // GB/T 38540 SES_Signature: dataHash = SM3 of the byte ranges.
        let ses = crate::ses::verify_signature(der, DataCheck::Hash(&digest), None, &f.name, opts);
        let mut checks = std::mem::take(&mut r.checks);
        *r = ses;
        checks.append(&mut r.checks);
        r.checks = checks;
        if subfilter == "adbe.pkcs7.detached" || subfilter.starts_with("ETSI.") {
            r.push(Check::warning(
                K::Conformance,
                "/SubFilter",
                format!(
                    "an SES_Signature labelled /{subfilter}: standard readers will call it broken"
                ),
                "SES 签章被标为 CMS 子过滤器",
            ));
        }
    }
    if r.id.is_empty() {
        r.id = f.name.clone();
    }
    one.docmdp = docmdp_permission(doc, &d);
    if let Some(p) = one.docmdp {
        one.report.push(Check::passed(
            K::Conformance,
            "/Reference",
            format!("certification signature, DocMDP P={p}"),
            "认证签名（DocMDP）",
        ));
    }
    one
}

/// ISO 32000-1 §12.8.1: `/ByteRange [0 a b c]` leaves out exactly the `/Contents` hex string
/// of this signature dictionary, and `b + c` is the end of the revision that holds it.
/// Returns the ranges and that revision.
fn check_ranges(
    doc: &Pdf<'_>,
    d: &cos::Dict,
    holder: Loc,
    path: &[&[u8]],
    out: &mut Vec<Check>,
) -> Option<([usize; 4], usize)> {
    let pdf = doc.buf;
    let gap_fail = |out: &mut Vec<Check>, subject: &str, m: String, zh: &str| {
        out.push(
            Check::failed(K::ByteRange, subject, m, zh.to_string()).with_rule(dr::BYTE_RANGE_GAP),
        );
        None
    };
    let nums: Option<Vec<usize>> = d.get(b"ByteRange").and_then(Obj::as_array).map(|a| {
        a.iter()
            .map(|o| match o {
                Obj::Int(i) => usize::try_from(*i).unwrap_or(usize::MAX),
                _ => usize::MAX,
            })
            .collect()
    });
    let r: [usize; 4] = match nums.as_deref() {
        Some(&[a, b, c, e]) if ![a, b, c, e].contains(&usize::MAX) => [a, b, c, e],
        Some(n) => {
            return gap_fail(
                out,
                "/ByteRange",
                format!(
                    "/ByteRange has {} entries or non-integers; eseal accepts exactly one gap (4 non-negative integers)",
                    n.len()
                ),
                "签名范围必须恰好是一个间隙",
            );
        }
        None => {
            return gap_fail(
                out,
                "/ByteRange",
                "no /ByteRange array".into(),
                "缺少签名范围",
            );
        }
    };
    let subject = format!("/ByteRange [{} {} {} {}]", r[0], r[1], r[2], r[3]);
    if d.count(b"Contents") != 1 || d.count(b"ByteRange") != 1 {
        return gap_fail(
            out,
            &subject,
            "the signature dictionary writes /Contents or /ByteRange more than once: the signature could say one thing and the file another".into(),
            "签名字典中 /Contents 或 /ByteRange 重复出现",
        );
    }
    let Loc::At(at) = holder else {
        return gap_fail(
            out,
            &subject,
            "the signature dictionary is inside an object stream: its /Contents is not in the file's bytes".into(),
            "签名字典位于对象流中",
        );
    };
    let Some((span, _)) = cos::value_span(pdf, at, path) else {
        return gap_fail(
            out,
            &subject,
            "the /Contents string cannot be located".into(),
            "无法定位 /Contents",
        );
    };
    if pdf.get(span.start) != Some(&b'<') || pdf.get(span.start + 1) == Some(&b'<') {
        return gap_fail(
            out,
            &subject,
            "/Contents is not a hexadecimal string (§12.8.1)".into(),
            "/Contents 不是十六进制串",
        );
    }
    if r[0] != 0 || r[1] != span.start || r[2] != span.end {
        return gap_fail(
            out,
            &subject,
            format!(
                "the bytes left out ({}..{}) are not exactly this signature's /Contents string ({}..{}): the signature does not cover all of its revision",
                r[1], r[2], span.start, span.end
            ),
            "未签名的间隙不恰好是本签名的 /Contents 值",
        );
    }
    let end = r[2].checked_add(r[3]).filter(|e| *e <= pdf.len());
    let Some(end) = end else {
        return gap_fail(
            out,
            &subject,
            format!(
                "the ranges end beyond the file ({} bytes): truncated?",
                pdf.len()
            ),
            "签名范围超出文件（文件可能被截断）",
        );
    };
    let end_fail = |out: &mut Vec<Check>, m: String, zh: &str| {
        out.push(
            Check::failed(K::ByteRange, &subject, m, zh.to_string()).with_rule(dr::BYTE_RANGE_END),
        );
        None
    };
    let Some(k) = doc
        .revisions
        .iter()
        .position(|rv| end == rv.end || end == rv.end_eol)
    else {
        return end_fail(
            out,
            format!("the signed bytes end at {end}, not at the end (%%EOF) of a revision"),
            "签名范围未在某个版本的 %%EOF 处结束",
        );
    };
    let rv = &doc.revisions[k];
    if at < rv.start || at >= rv.end {
        return end_fail(
            out,
            format!(
                "the signature dictionary (byte {at}) is not in revision {}, whose end its ranges cover",
                k + 1
            ),
            "签名字典不在其签名范围所覆盖的版本中",
        );
    }
    let n = doc.revisions.len();
    out.push(
        Check::passed(
            K::ByteRange,
            &subject,
            if k + 1 == n {
                "covers the whole file except this signature's /Contents value".to_string()
            } else {
                format!(
                    "covers revision {} of {n} ({end} bytes) except this signature's /Contents value; later revisions follow",
                    k + 1
                )
            },
            if k + 1 == n {
                "覆盖除签名值外的整个文件"
            } else {
                "覆盖签署时的版本；其后有增量更新"
            },
        ),
    );
    Some((r, k))
}

/// The P value of a DocMDP transform in the signature's `/Reference` (default 2, §12.8.2.2).
fn docmdp_permission(doc: &Pdf<'_>, d: &cos::Dict) -> Option<i64> {
    let last = doc.last();
    let refs = d.get(b"Reference").map(|r| doc.get(last, r))?;
    let refs = refs.as_array()?;
    refs.iter().find_map(|r| {
        let r = doc.get(last, r);
        let r = r.as_dict()?;
        if r.name(b"TransformMethod") != Some(b"DocMDP") {
            return None;
        }
        Some(
            r.get(b"TransformParams")
                .map(|p| doc.get(last, p))
                .and_then(|p| p.as_dict().and_then(|p| p.int(b"P")))
                .unwrap_or(2),
        )
    })
}

/// The DER element at the start of the zero-padded `/Contents`.
pub(crate) fn trim_der(b: &[u8]) -> &[u8] {
    match crate::asn1::Reader::new(b).read("Contents") {
        Ok(t) => t.raw,
        Err(_) => b,
    }
}

/// Number of signature fields with a value in the final revision (signing refuses to certify
/// a document that already has one).
pub(crate) fn signed_field_count(doc: &Pdf<'_>) -> usize {
    form::read(doc, doc.last())
        .fields
        .iter()
        .filter(|f| f.is_signature() && f.dict.as_dict().is_some_and(|d| d.has(b"V")))
        .count()
}

#[allow(clippy::too_many_arguments)]
fn verify_cms(
    pdf: &[u8],
    range: [usize; 4],
    der: &[u8],
    subfilter: &str,
    m_time: Option<crate::crypto::time::Time>,
    opts: &VerifyOptions,
    digests: &mut Digests<'_>,
    r: &mut SignatureReport,
) {
    let parsed = match cms::parse(der) {
        Ok(p) => p,
        Err(e) => {
            let e = PdfError::from(e);
            r.push(Check::failed(
                K::Structure,
                "/Contents",
                e.to_string(),
                format!("CMS 结构错误：{e}"),
            ));
            return;
        }
    };
    // A PDF signature has one SignerInfo; the first is verified.
    let si = &parsed.signers[0];
    let is_sm2 = matches!(
        si.signature_alg.as_str(),
        cms::OID_SM2_SM3 | cms::OID_SM2_SIGN | cms::OID_SM2_CURVE
    );
    r.kind = if subfilter == "ETSI.CAdES.detached" {
        SignatureKind::Pades
    } else if is_sm2 {
        SignatureKind::CmsSm2
    } else {
        SignatureKind::Cms
    };
    r.push(Check::passed(
        K::Structure,
        "/Contents",
        format!(
            "CMS SignedData ({}, digest {}, signature {})",
            if parsed.content_type == cms::OID_GM_SIGNED_DATA {
                "GM/T 0010 OIDs"
            } else {
                "PKCS#7 OIDs"
            },
            cms::digest_name(&si.digest_alg).unwrap_or(&si.digest_alg),
            si.signature_alg
        ),
        "CMS 签名结构正确",
    ));
    if parsed.signers.len() != 1 {
        r.push(Check::failed(
            K::Structure,
            "signerInfos",
            format!(
                "{} SignerInfos; a PDF signature has exactly one",
                parsed.signers.len()
            ),
            "签名者信息数量不是 1",
        ));
    }
    // Digest of the byte ranges against messageDigest.
    let digest = digests.get(pdf, range, &si.digest_alg);
    match si.check_digest(digest.as_deref().map(Vec::as_slice)) {
        cms::DigestCheck::Unsupported => r.push(Check::indeterminate(
            K::DataDigest,
            "digestAlgorithm",
            format!("digest algorithm {} is not supported", si.digest_alg),
            "不支持的摘要算法",
        )),
        cms::DigestCheck::Matches => r.push(Check::passed(
            K::DataDigest,
            "messageDigest",
            "equals the digest of the byte ranges",
            "摘要与签名范围一致",
        )),
        cms::DigestCheck::Differs => r.push(Check::failed(
            K::DataDigest,
            "messageDigest",
            "differs from the digest of the byte ranges: the document changed after signing",
            "摘要不一致：签署后文档被修改",
        )),
        cms::DigestCheck::Missing => r.push(Check::failed(
            K::DataDigest,
            "messageDigest",
            "signed attributes without messageDigest",
            "缺少 messageDigest 属性",
        )),
        cms::DigestCheck::NoSignedAttributes => r.push(Check::indeterminate(
            K::DataDigest,
            "SignerInfo",
            "no signed attributes: the signature is directly over the ranges",
            "无签名属性",
        )),
    }
    let Some(cert) = si.find_cert(&parsed.certificates).cloned() else {
        r.push(Check::indeterminate(
            K::SignerSignature,
            "SignerInfo.sid",
            "the signer's certificate is not in the CMS",
            "CMS 中缺少签名者证书",
        ));
        return;
    };
    r.signer = Some(cert.summary());
    let ranges = [
        &pdf[range[0]..range[0] + range[1]],
        &pdf[range[2]..range[2] + range[3]],
    ];
    let v = cms::verify_signer(si, &cert, digest.as_deref().map(Vec::as_slice), &ranges);
    let alg = v.signature_alg;
    match v.signature {
        Ok(()) => r.push(Check::passed(
            K::SignerSignature,
            "SignerInfo.signature",
            format!("verifies with the signer's key ({alg})"),
            "签名值验证通过",
        )),
        Err(e) => r.push(Check::failed(
            K::SignerSignature,
            "SignerInfo.signature",
            format!("does not verify: {e}"),
            "签名值验证失败",
        )),
    }
    if r.kind == SignatureKind::Pades && !si.has_signing_cert_v2 {
        r.push(Check::warning(
            K::Conformance,
            "signedAttrs",
            "PAdES baseline needs the signing-certificate-v2 attribute",
            "PAdES 缺少 signingCertificateV2 属性",
        ));
    }
    // PAdES B-T: a signature-time-stamp token over the signature value; its time, when it
    // verifies, is the signing time.
    let stamped = si.signature_timestamp.as_ref().and_then(|ts| {
        crate::tsp::token_checks(
            ts,
            &si.signature,
            "the signature value",
            "signature-time-stamp",
            opts,
            &mut r.checks,
        )
    });
    let at = stamped.or(si.signing_time).or(m_time);
    r.signing_time = at.map(|t| t.to_iso());
    r.signing_time_source = Some(
        if stamped.is_some() {
            "signature-time-stamp token (verified)"
        } else if si.signing_time.is_some() {
            "CMS signingTime (claimed)"
        } else {
            "/M (claimed)"
        }
        .into(),
    );
    let pool: Vec<Certificate> = parsed
        .certificates
        .iter()
        .filter(|c| c.der() != cert.der())
        .cloned()
        .collect();
    certificate_checks(&cert, "signer", "签署者", at, &pool, opts, &mut r.checks);
}

/// `D:YYYYMMDDHHmmSS` with an optional offset (§7.9.4).
fn parse_pdf_date(s: &str) -> Option<crate::crypto::time::Time> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let num = |a: usize, b: usize, d: u32| {
        digits
            .get(a..b)
            .and_then(|x| x.parse::<u32>().ok())
            .unwrap_or(d)
    };
    let y = i64::from(num(0, 4, 0));
    if y == 0 {
        return None;
    }
    let t = crate::crypto::time::Time::from_ymd_hms(
        y,
        num(4, 6, 1),
        num(6, 8, 1),
        num(8, 10, 0),
        num(10, 12, 0),
        num(12, 14, 0),
    )?;
    let rest = &s[digits.len()..];
    let sign = match rest.chars().next() {
        Some('+') => -1,
        Some('-') => 1,
        _ => return Some(t),
    };
    let off: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
    let oh = off
        .get(0..2)
        .and_then(|x| x.parse::<i64>().ok())
        .unwrap_or(0);
    let om = off
        .get(2..4)
        .and_then(|x| x.parse::<i64>().ok())
        .unwrap_or(0);
    Some(t.add_seconds(sign * (oh * 3600 + om * 60)))
}

/// Long-term validation (PAdES-LTA; ETSI EN 319 102-1 §5.6.2.4 past signature validation, as
/// far as eseal goes): a certificate no longer valid at the validation time is accepted when
/// a document timestamp proves that the signature, and the validation data in the DSS
/// before it, existed while it was valid. The document timestamps are proven newest first:
/// the newest at the validation time, each older one at the genTime of the one after it.
/// A signature covered by a proven timestamp over a DSS is verified again as of that
/// timestamp's genTime, with the DSS's data; clean then, its "expired now" warnings
/// become passes that say so. Otherwise, when the time was asked for (`--at`), they fail.
fn long_term(
    doc: &Pdf<'_>,
    fields: &[&Field],
    found: &mut [One],
    opts: &VerifyOptions,
    digests: &mut Digests<'_>,
) {
    use crate::crypto::time::Time;
    use crate::validation::long_term::{self as lt, settle};
    let expired = |r: &SignatureReport| lt::expired(&r.checks);
    let failed = |r: &SignatureReport| lt::failed(&r.checks);
    if !found.iter().any(|o| expired(&o.report)) {
        return;
    }
    // `opts` already holds the DSS's certificates and revocation data (verify_with).
    let base = opts.clone();
    let mut again = |i: usize, at: Time| -> SignatureReport {
        let o = VerifyOptions { at, ..base.clone() };
        verify_one(doc, fields[i], &o, digests).report
    };
    let has_dss = |rev: usize| {
        doc.root(rev)
            .is_some_and(|(_, c)| c.as_dict().is_some_and(|d| d.has(b"DSS")))
    };
    // The document timestamps, newest first, proven while the chain holds.
    let mut stamps: Vec<usize> = (0..found.len())
        .filter(|&i| {
            found[i].timestamp && found[i].revision.is_some() && found[i].gen_time.is_some()
        })
        .collect();
    stamps.sort_by_key(|&i| std::cmp::Reverse(found[i].revision));
    let mut proven: Vec<(usize, Time)> = Vec::new();
    let mut proof: Option<(Time, String)> = None;
    for &i in &stamps {
        match &proof {
            None if failed(&found[i].report) || expired(&found[i].report) => break,
            None => {}
            Some((t, by)) => {
                let r = again(i, *t);
                if failed(&r) || expired(&r) {
                    break;
                }
                settle(
                    &mut found[i].report.checks,
                    *t,
                    &format!("document timestamp {by}"),
                );
            }
        }
        let Some(t) = found[i].gen_time else { break };
        proven.push((i, t));
        proof = Some((t, found[i].report.id.clone()));
    }
    for i in 0..found.len() {
        if !expired(&found[i].report) || proven.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let Some(rev) = found[i].revision else {
            continue;
        };
        // The oldest proven timestamp after the signature over a DSS.
        let cover = proven
            .iter()
            .filter_map(|&(j, t)| Some((found[j].revision?, t, j)))
            .filter(|&(r, _, _)| r > rev && has_dss(r))
            .min_by_key(|&(r, _, _)| r);
        let why = match cover {
            Some((_, t, j)) => {
                let by = found[j].report.id.clone();
                let r = again(i, t);
                if !failed(&r) && !expired(&r) {
                    settle(&mut found[i].report.checks, t, &format!("document timestamp {by}"));
                    continue;
                }
                format!(
                    "not valid either at {}, the time of document timestamp {by}",
                    t.to_iso()
                )
            }
            None if proven.is_empty() && !stamps.is_empty() => {
                "the document timestamps cannot be proven valid at the validation time (the newest one's TSA certificate is no longer valid or it does not verify): a new document timestamp was due before it expired".into()
            }
            None => "no document timestamp over validation data (DSS) proves the signature existed while it was valid (PAdES B-LTA)".into(),
        };
        if opts.long_term {
            lt::unproven(&mut found[i].report.checks, &why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        assert_eq!(
            parse_pdf_date("D:20261129010203+08'00'").map(|t| t.to_iso()),
            Some("2026-11-28T17:02:03Z".into())
        );
        assert_eq!(
            parse_pdf_date("D:20261129010203Z").map(|t| t.to_iso()),
            Some("2026-11-29T01:02:03Z".into())
        );
        assert_eq!(parse_pdf_date("garbage"), None);
    }

    #[test]
    fn signatures_sharing_byte_ranges_hash_them_once() {
        let pdf = vec![7u8; 4096];
        let mut d = Digests::new(&crate::fs::InMemory);
        let r = [0, 100, 200, 3896];
        let a = d.get(&pdf, r, cms::OID_SM3).unwrap();
        let b = d.get(&pdf, r, cms::OID_SM3).unwrap();
        assert!(Rc::ptr_eq(&a, &b), "the second signature reuses the digest");
        let c = d.get(&pdf, [0, 100, 200, 3000], cms::OID_SM3).unwrap();
        assert_ne!(a, c);
        assert_eq!(d.done.len(), 2);
        assert!(d.get(&pdf, [0, 100, 200, 9999], cms::OID_SM3).is_none());
    }

    #[test]
    fn unreadable_fields_and_signatures_are_never_skipped() {
        let mut f = b"%PDF-1.7\n".to_vec();
        super::super::xref::testdoc::revision(
            &mut f,
            &[
                (
                    1,
                    "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 5 0 R 6 0 R]>>>>",
                ),
                (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
                (3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>"),
                // /V to nothing, /V to a dictionary with a non-hex /Contents, a stray field.
                (4, "<</FT/Sig/T(A)/V 9 0 R>>"),
                (5, "<</FT/Sig/T(B)/V 7 0 R>>"),
                (7, "<</Type/Sig/ByteRange[0 1 2 3]/Contents<00zz>>>"),
                // An orphan: a signature dictionary nothing reaches.
                (8, "<</Type/Sig/ByteRange[0 1 2 3]/Contents<00>>>"),
            ],
            None,
        );
        let r = verify(&f, "f", &VerifyOptions::default()).unwrap();
        let rules: Vec<(String, Option<&str>)> = r
            .signatures
            .iter()
            .map(|s| (s.id.clone(), s.checks.first().and_then(|c| c.rule)))
            .collect();
        assert_eq!(
            rules,
            [
                ("A".to_string(), Some(dr::SIGNATURE_UNREADABLE)),
                ("B".to_string(), Some(dr::SIGNATURE_UNREADABLE)),
                (
                    "object 8 0 (no form field)".to_string(),
                    Some(dr::ORPHAN_SIGNATURE)
                ),
            ],
            "{}",
            r.to_text()
        );
        assert!(
            r.document_checks
                .iter()
                .any(|c| c.rule == Some(dr::FORM_UNREADABLE)),
            "field 6 does not exist: {}",
            r.to_text()
        );
        assert_eq!(r.exit_code(), 1);
    }

    #[test]
    fn more_signatures_than_the_cap_fail_the_document() {
        let n = MAX_SIGNATURES + 1;
        let fields: Vec<String> = (0..n)
            .map(|i| format!("<</FT/Sig/T(S{i})/V 4 0 R>>"))
            .collect();
        let refs: String = (0..n).map(|i| format!("{} 0 R ", 10 + i)).collect();
        let catalog = format!("<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[{refs}]>>>>");
        let mut objs: Vec<(u32, &str)> = vec![
            (1, catalog.as_str()),
            (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
            (3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>"),
            (4, "<</Type/Sig/ByteRange[0 1 2 3]/Contents<00>>>"),
        ];
        for (i, f) in fields.iter().enumerate() {
            objs.push((10 + i as u32, f.as_str()));
        }
        let mut f = b"%PDF-1.7\n".to_vec();
        super::super::xref::testdoc::revision(&mut f, &objs, None);
        let r = verify(&f, "f", &VerifyOptions::default()).unwrap();
        assert_eq!(r.signatures.len(), MAX_SIGNATURES);
        assert!(
            r.document_checks
                .iter()
                .any(|c| c.rule == Some(dr::SIGNATURE_CAP)),
            "{}",
            r.to_text()
        );
    }
}
