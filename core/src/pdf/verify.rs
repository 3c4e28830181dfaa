//! Verifying PDF signatures (ISO 32000-1 §12.8.1): for each signature field, the byte ranges
//! (the whole revision but the `/Contents` string), the digest, the signature (CMS or
//! GB/T 38540 SES_Signature, decided by content whatever the SubFilter says), the
//! certificates, and what changed after signing ([`super::diff`]).

use super::PdfError;
use super::diff;
use super::object::decode_text;
use crate::cms;
use crate::crypto::Certificate;
use crate::report::{Check, CheckKind as K, SignatureReport, VerificationReport};
use crate::ses::{DataCheck, VerifyOptions};
use lopdf::{Dictionary, Document, Object, ObjectId};

/// Trust store, "now" and extra certificates: the same options as for seals and OFD.
pub type PdfVerifyOptions = VerifyOptions;

/// Largest number of signatures examined in one file.
const MAX_SIGNATURES: usize = 256;

/// Verifies every signature in the file at `path`.
pub fn verify_file(
    path: &std::path::Path,
    opts: &VerifyOptions,
) -> Result<VerificationReport, PdfError> {
    let pdf = std::fs::read(path).map_err(|e| PdfError::Io(format!("{}: {e}", path.display())))?;
    Ok(verify(&pdf, &path.display().to_string(), opts))
}

/// A signature found in the document.
pub(crate) struct FoundSignature {
    pub field: String,
    pub dict: Dictionary,
    #[allow(dead_code)]
    pub id: Option<ObjectId>,
}

/// Verifies every signature of `pdf`. A file that cannot be parsed gives a report with a
/// failed structure check (so a truncated or damaged file is never "valid").
pub fn verify(pdf: &[u8], file: &str, opts: &VerifyOptions) -> VerificationReport {
    let mut report = VerificationReport {
        file: file.to_owned(),
        format: "pdf".into(),
        ..Default::default()
    };
    let doc = match Document::load_mem(pdf) {
        Ok(d) => d,
        Err(e) => {
            report.document_checks.push(Check::failed(
                K::Structure,
                "PDF",
                format!("the file cannot be read as PDF: {e}"),
                format!("无法解析 PDF 文件：{e}"),
            ));
            return report;
        }
    };
    if doc.trailer.has(b"Encrypt") {
        report.document_checks.push(Check::indeterminate(
            K::Structure,
            "PDF",
            "the PDF is encrypted; eseal does not verify encrypted files",
            "文档已加密，无法验证",
        ));
        return report;
    }
    if !pdf.ends_with(b"%%EOF") && !trim_end(pdf).ends_with(b"%%EOF") {
        report.document_checks.push(Check::failed(
            K::Structure,
            "PDF",
            "the file does not end with %%EOF (truncated?)",
            "文件未以 %%EOF 结束（可能被截断）",
        ));
    }
    let found = find_signatures(&doc);
    let ends: Vec<usize> = found
        .iter()
        .filter_map(|s| byte_range(&s.dict).ok().map(|r| r[2] + r[3]))
        .collect();
    let mut analyser = diff::Analyser::new(pdf, &doc);
    for s in found {
        report
            .signatures
            .push(verify_one(pdf, &s, opts, &ends, &mut analyser));
    }
    report
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
}

/// Signature fields of the AcroForm (with inherited /FT, §12.7.3.1), plus any signature
/// dictionary that no field names.
pub(crate) fn find_signatures(doc: &Document) -> Vec<FoundSignature> {
    let mut out: Vec<FoundSignature> = Vec::new();
    let mut seen_sig: Vec<ObjectId> = Vec::new();
    fn deref<'d>(doc: &'d Document, o: &'d Object) -> Option<(Option<ObjectId>, &'d Object)> {
        doc.dereference(o).ok()
    }
    if let Some(fields) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|o| deref(doc, o))
        .and_then(|(_, o)| o.as_dict().ok())
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|o| deref(doc, o))
        .and_then(|(_, o)| o.as_array().ok())
    {
        // (field object, inherited FT, parent name)
        let mut stack: Vec<(Object, Option<Vec<u8>>, String)> = fields
            .iter()
            .rev()
            .map(|f| (f.clone(), None, String::new()))
            .collect();
        let mut visited = 0;
        while let Some((f, ft, parent)) = stack.pop() {
            visited += 1;
            if visited > 50_000 || out.len() >= MAX_SIGNATURES {
                break;
            }
            let Some((_, Object::Dictionary(d))) = deref(doc, &f) else {
                continue;
            };
            let ft = d
                .get(b"FT")
                .ok()
                .and_then(|o| o.as_name().ok())
                .map(<[u8]>::to_vec)
                .or(ft);
            let t = d
                .get(b"T")
                .ok()
                .and_then(|o| o.as_str().ok())
                .map(decode_text);
            let full = match (&t, parent.is_empty()) {
                (Some(t), true) => t.clone(),
                (Some(t), false) => format!("{parent}.{t}"),
                (None, _) => parent.clone(),
            };
            if let Ok(kids) = d
                .get(b"Kids")
                .and_then(|o| doc.dereference(o))
                .and_then(|(_, o)| o.as_array())
                && !kids.is_empty()
            {
                for k in kids.iter().rev() {
                    stack.push((k.clone(), ft.clone(), full.clone()));
                }
                continue;
            }
            if ft.as_deref() != Some(b"Sig") {
                continue;
            }
            if let Ok(v) = d.get(b"V")
                && let Some((vid, Object::Dictionary(sig))) = deref(doc, v)
            {
                if let Some(id) = vid {
                    if seen_sig.contains(&id) {
                        continue;
                    }
                    seen_sig.push(id);
                }
                out.push(FoundSignature {
                    field: if full.is_empty() {
                        "(unnamed)".into()
                    } else {
                        full
                    },
                    dict: sig.clone(),
                    id: vid,
                });
            }
        }
    }
    for (id, o) in &doc.objects {
        if out.len() >= MAX_SIGNATURES {
            break;
        }
        if let Object::Dictionary(d) = o
            && d.has(b"ByteRange")
            && d.has(b"Contents")
            && !seen_sig.contains(id)
            && d.get(b"Type")
                .and_then(Object::as_name)
                .map(|n| n == b"Sig" || n == b"DocTimeStamp")
                .unwrap_or(true)
        {
            out.push(FoundSignature {
                field: format!("object {} {} (no form field)", id.0, id.1),
                dict: d.clone(),
                id: Some(*id),
            });
        }
    }
    out
}

/// `/ByteRange` as four non-negative integers.
pub(crate) fn byte_range(d: &Dictionary) -> Result<[usize; 4], String> {
    let arr = d
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| "no /ByteRange array".to_string())?;
    if arr.len() != 4 {
        return Err(format!(
            "/ByteRange has {} numbers; eseal accepts exactly one gap (4 numbers)",
            arr.len()
        ));
    }
    let mut v = [0usize; 4];
    for (i, o) in arr.iter().enumerate() {
        let n = o
            .as_i64()
            .map_err(|_| "/ByteRange holds a non-integer".to_string())?;
        v[i] = usize::try_from(n).map_err(|_| "/ByteRange holds a negative number".to_string())?;
    }
    Ok(v)
}

/// Checks that the gap is exactly the `/Contents` hex string and that the ranges end at a
/// revision's `%%EOF`. Returns the DER in the gap and the signed revision's length.
pub(crate) fn check_ranges(
    pdf: &[u8],
    r: [usize; 4],
    out: &mut Vec<Check>,
) -> Option<(Vec<u8>, usize)> {
    let subject = format!("/ByteRange [{} {} {} {}]", r[0], r[1], r[2], r[3]);
    let fail = |out: &mut Vec<Check>, m: String, zh: &str| {
        out.push(Check::failed(K::ByteRange, &subject, m, zh.to_string()))
    };
    let (a, b, c) = (r[1], r[2], r[3]);
    let end = b.checked_add(c);
    if r[0] != 0 || b <= a + 1 || end.is_none_or(|e| e > pdf.len()) {
        fail(
            out,
            format!(
                "ranges do not fit the file ({} bytes): the first must start at 0 and the second end inside the file",
                pdf.len()
            ),
            "签名范围与文件不符（文件可能被截断）",
        );
        return None;
    }
    let end = end.unwrap_or(0);
    let gap = &pdf[a..b];
    if gap.first() != Some(&b'<')
        || gap.last() != Some(&b'>')
        || !gap[1..gap.len() - 1]
            .iter()
            .all(|c| c.is_ascii_hexdigit() || c.is_ascii_whitespace())
    {
        fail(
            out,
            format!(
                "the bytes {a}..{b} left out are not one hex string: the signature does not cover its own dictionary"
            ),
            "未签名的间隙不止是 /Contents 十六进制串",
        );
        return None;
    }
    let before = trim_end(&pdf[..a]);
    if !before.ends_with(b"/Contents") {
        fail(
            out,
            "the hex string left out is not the value of /Contents".into(),
            "未签名的间隙不是 /Contents 的值",
        );
        return None;
    }
    let hex_digits: Vec<u8> = gap[1..gap.len() - 1]
        .iter()
        .copied()
        .filter(u8::is_ascii_hexdigit)
        .collect();
    let mut der = Vec::with_capacity(hex_digits.len() / 2);
    for pair in hex_digits.chunks(2) {
        let s = std::str::from_utf8(pair).unwrap_or("0");
        let v = if pair.len() == 2 {
            u8::from_str_radix(s, 16).unwrap_or(0)
        } else {
            u8::from_str_radix(s, 16).unwrap_or(0) << 4
        };
        der.push(v);
    }
    if !trim_end(&pdf[..end]).ends_with(b"%%EOF") {
        fail(
            out,
            format!("the signed bytes end at {end}, not at the end of a revision (%%EOF)"),
            "签名范围未在某个版本的 %%EOF 处结束",
        );
        return None;
    }
    let whole = end == pdf.len() || trim_end(&pdf[end..]).is_empty();
    out.push(Check::passed(
        K::ByteRange,
        &subject,
        if whole { "covers the whole file except the /Contents value".to_string() } else { format!("covers the revision of {end} bytes except the /Contents value; later revisions follow") },
        if whole { "覆盖除签名值外的整个文件" } else { "覆盖签署时的版本；其后有增量更新" },
    ));
    Some((der, end))
}

/// Digest of `pdf[0..a] ‖ pdf[b..b+c]` with the named algorithm, fed in slices (no copy).
pub(crate) fn range_digest(pdf: &[u8], r: [usize; 4], alg: &str) -> Option<Vec<u8>> {
    let parts = [&pdf[r[0]..r[0] + r[1]], &pdf[r[2]..r[2] + r[3]]];
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut h = D::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().to_vec()
    }
    Some(match alg {
        cms::OID_SHA256 => run::<sha2::Sha256>(&parts),
        cms::OID_SHA384 => run::<sha2::Sha384>(&parts),
        cms::OID_SHA512 => run::<sha2::Sha512>(&parts),
        cms::OID_SHA1 => run::<sha1::Sha1>(&parts),
        cms::OID_SM3 => run::<crate::crypto::sm3::Sm3>(&parts),
        _ => return None,
    })
}

fn verify_one(
    pdf: &[u8],
    s: &FoundSignature,
    opts: &VerifyOptions,
    ends: &[usize],
    analyser: &mut diff::Analyser<'_>,
) -> SignatureReport {
    let mut r = SignatureReport {
        id: s.field.clone(),
        kind: "cms".into(),
        ..Default::default()
    };
    let subfilter = s
        .dict
        .get(b"SubFilter")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let m_time = s
        .dict
        .get(b"M")
        .and_then(Object::as_str)
        .ok()
        .and_then(|t| parse_pdf_date(&String::from_utf8_lossy(t)));
    let range = match byte_range(&s.dict) {
        Ok(v) => v,
        Err(e) => {
            r.push(Check::failed(K::ByteRange, "/ByteRange", e, "签名范围无效"));
            return r;
        }
    };
    let Some((gap_der, end)) = check_ranges(pdf, range, &mut r.checks) else {
        return r;
    };
    // The dictionary's /Contents must be the string in the gap (a second /Contents key or a
    // /Contents elsewhere would let the signature say one thing and the file another).
    let dict_contents = s
        .dict
        .get(b"Contents")
        .and_then(Object::as_str)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    if dict_contents != gap_der {
        r.push(Check::failed(
            K::ByteRange,
            "/Contents",
            "the signature dictionary's /Contents is not the hex string in the ByteRange gap",
            "签名字典的 /Contents 与签名范围间隙中的值不一致",
        ));
        return r;
    }
    let der = trim_der(&gap_der);
    if cms::looks_like_signed_data(der) {
        verify_cms(pdf, range, der, &subfilter, m_time, opts, &mut r);
    } else if let Some(digest) = range_digest(pdf, range, cms::OID_SM3) {
        // GB/T 38540 SES_Signature: dataHash = SM3 of the byte ranges.
        let ses = crate::ses::verify_signature(der, DataCheck::Hash(&digest), None, &s.field, opts);
        let mut checks = std::mem::take(&mut r.checks);
        r = ses;
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
    let docmdp = docmdp_permission(&s.dict);
    if let Some(p) = docmdp {
        r.push(Check::passed(
            K::Conformance,
            "/Reference",
            format!("certification signature, DocMDP P={p}"),
            "认证签名（DocMDP）",
        ));
    }
    r.push(analyser.check(end, ends, docmdp));
    r
}

/// The P value of a DocMDP transform in the signature's `/Reference` (default 2, §12.8.2.2).
fn docmdp_permission(d: &Dictionary) -> Option<i64> {
    let refs = d.get(b"Reference").and_then(Object::as_array).ok()?;
    refs.iter()
        .filter_map(|r| r.as_dict().ok())
        .find(|r| {
            r.get(b"TransformMethod").and_then(Object::as_name).ok() == Some(b"DocMDP".as_slice())
        })
        .map(|r| {
            r.get(b"TransformParams")
                .and_then(Object::as_dict)
                .ok()
                .and_then(|p| p.get(b"P").and_then(Object::as_i64).ok())
                .unwrap_or(2)
        })
}

/// The DER element at the start of the zero-padded `/Contents`.
fn trim_der(b: &[u8]) -> &[u8] {
    match crate::asn1::Reader::new(b).read("Contents") {
        Ok(t) => t.raw,
        Err(_) => b,
    }
}

fn verify_cms(
    pdf: &[u8],
    range: [usize; 4],
    der: &[u8],
    subfilter: &str,
    m_time: Option<crate::crypto::time::Time>,
    opts: &VerifyOptions,
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
        "pades"
    } else if is_sm2 {
        "cms-sm2"
    } else {
        "cms"
    }
    .into();
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
    let digest = range_digest(pdf, range, &si.digest_alg);
    match si.check_digest(digest.as_deref()) {
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
    let v = cms::verify_signer(si, &cert, digest.as_deref(), &ranges);
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
    if r.kind == "pades" && !si.has_signing_cert_v2 {
        r.push(Check::warning(
            K::Conformance,
            "signedAttrs",
            "PAdES baseline needs the signing-certificate-v2 attribute",
            "PAdES 缺少 signingCertificateV2 属性",
        ));
    }
    let at = si.signing_time.or(m_time);
    r.signing_time = at.map(|t| t.to_iso());
    r.signing_time_source = Some(
        if si.signing_time.is_some() {
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
    crate::ses::verify::certificate_checks(
        &cert,
        "signer",
        "签署者",
        at,
        &pool,
        opts,
        &mut r.checks,
    );
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
    fn ranges_must_be_the_contents_gap() {
        let pdf = b"%PDF-1.7\n<</Contents <3000> /ByteRange [0 21 27 13]>>\n%%EOF\n".to_vec();
        let a = super::super::writer::find(&pdf, b"<3000>").unwrap_or(0);
        let b = a + 6;
        let r = [0, a, b, pdf.len() - b];
        let mut out = Vec::new();
        assert!(check_ranges(&pdf, r, &mut out).is_some(), "{out:?}");
        let mut out = Vec::new();
        assert!(check_ranges(&pdf, [0, a - 1, b, pdf.len() - b], &mut out).is_none());
        let mut out = Vec::new();
        assert!(check_ranges(&pdf, [0, a, b, pdf.len() - b + 5], &mut out).is_none());
    }
}
