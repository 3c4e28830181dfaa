//! Verifying OFD signatures (GB/T 33190-2016 ch. 18, GB/T 38540; `docs/ofd-verification.md`), check by check, into a
//! [`VerificationReport`]. The SES-level checks (seal, signer signature, binding,
//! certificates) are [`crate::ses::verify_signature`]'s; this module adds what the package
//! says: references, the stored seal copy, stamp placement, `Type="Sign"` values and coverage.

use super::OfdError;
use super::document::{self, DocBody, Document, parse_box, visible_on_page};
use super::package::{DigestAlg, Package, dir_of};
use super::signatures::{self, SignatureEntry, SignatureType, SignatureXml};
use crate::cms;
use crate::crypto::sm3::sm3;
use crate::crypto::time::Time;
use crate::crypto::{Certificate, sm2};
use crate::report::{
    Check, CheckKind as K, DocumentFormat, SignatureKind, SignatureReport, VerificationReport,
};
use crate::ses::{self, DataCheck, SesSignature};
use crate::validation::{VerifyOptions, certificate_checks};
use base64::Engine;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Verifies an OFD file. `Err` only when the file is not a usable OFD package.
pub fn verify_file(path: &Path, opts: &VerifyOptions) -> Result<VerificationReport, OfdError> {
    let pkg = Package::open(path)?;
    verify(&pkg, &path.display().to_string(), opts)
}

/// Errors that end a verification (exit 2): the read budget is spent or the file cannot be
/// read. Any other error concerns one part and fails the check that needed it.
fn fatal(e: &OfdError) -> bool {
    matches!(e, OfdError::ReadBudget { .. } | OfdError::Io(_))
}

/// Verifies every signature of every DocBody of `pkg`. Every entry of every Signatures.xml
/// appears in the report, except a second entry naming a Signature.xml already verified:
/// one signature, reported once with a check naming both entries.
pub fn verify(
    pkg: &Package,
    file_name: &str,
    opts: &VerifyOptions,
) -> Result<VerificationReport, OfdError> {
    let bodies = document::doc_bodies(pkg)?;
    let limits = *pkg.limits();
    let mut report = VerificationReport::new(file_name, DocumentFormat::Ofd, opts.strict);
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut signature_files: BTreeSet<String> = BTreeSet::new();
    let mut rendered: BTreeSet<String> = BTreeSet::new();
    // Signature.xml (as stored) → its report and the Type its first entry gave.
    let mut by_file: HashMap<String, (usize, SignatureType)> = HashMap::new();
    let mut listed = 0usize;
    for body in &bodies {
        let doc = match document::read_document(pkg, &body.doc_root) {
            Ok(d) => Some(d),
            Err(e) if fatal(&e) => return Err(e),
            Err(_) => None,
        };
        match &doc {
            Some(d) => rendered.extend(document::rendered_files(pkg, d)?),
            None => {
                rendered.insert("/OFD.xml".to_owned());
                rendered.insert(body.doc_root.clone());
            }
        }
        let Some(list_path) = &body.signatures else {
            continue;
        };
        signature_files.insert(list_path.clone());
        let list = match signatures::read_list(pkg, list_path) {
            Ok(l) => l,
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => {
                report.document_checks.push(Check::failed(
                    K::Structure,
                    list_path.as_str(),
                    format!("signature list unreadable: {e}"),
                    format!("签名列表无法读取：{e}"),
                ));
                continue;
            }
        };
        listed += list.entries.len();
        if listed > limits.max_signatures {
            return Err(OfdError::Limit(format!(
                "{listed} signatures listed (limit {})",
                limits.max_signatures
            )));
        }
        let ids: BTreeSet<&str> = list.entries.iter().map(|e| e.id.as_str()).collect();
        for entry in &list.entries {
            // The same file under two spellings (`Sign_0/Signature.xml`, `/Doc_0/Signs/...`)
            // is one signature.
            let key = entry.base_loc.as_ref().ok().map(|p| match pkg.entry(p) {
                Some((e, _)) => format!("/{}", e.name),
                None => p.clone(),
            });
            if let Some(&(i, first_kind)) = key.as_ref().and_then(|k| by_file.get(k)) {
                let first = &mut report.signatures[i];
                let k = key.as_deref().unwrap_or_default();
                let kind = match entry.kind {
                    SignatureType::Seal => "seal",
                    SignatureType::Sign => "sign",
                };
                let (en, zh) = (
                    format!(
                        "Signatures.xml lists this signature twice: entry {} (BaseLoc {:?}) names the same {k} as entry {}; one signature, counted once",
                        entry.id, entry.base_loc_raw, first.id
                    ),
                    format!(
                        "签名列表重复登记同一签名（{} 与 {}），只计一次",
                        entry.id, first.id
                    ),
                );
                first.push(if first_kind == entry.kind {
                    Check::warning(K::Structure, list_path.as_str(), en, zh)
                } else {
                    Check::failed(
                        K::Structure,
                        list_path.as_str(),
                        format!("{en}, but as Type {kind}"),
                        zh,
                    )
                });
                continue;
            }
            // The signature's evidence file (module evidence) adds certificates and
            // revocation data.
            let with_evidence = super::evidence::options_with(pkg, entry, opts);
            let opts = with_evidence.as_ref().unwrap_or(opts);
            let mut r = verify_one(
                pkg,
                body,
                doc.as_ref(),
                entry,
                &ids,
                opts,
                &mut covered,
                &mut signature_files,
            )?;
            // Long-term validation from the signature's evidence file (module evidence).
            super::evidence::long_term(pkg, entry, &mut r, opts, &mut |o| {
                let (mut c, mut f) = (BTreeSet::new(), BTreeSet::new());
                verify_one(pkg, body, doc.as_ref(), entry, &ids, o, &mut c, &mut f).ok()
            });
            if let Some(k) = key {
                by_file.insert(k, (report.signatures.len(), entry.kind));
            }
            report.signatures.push(r);
        }
    }
    coverage_checks(pkg, &rendered, &covered, &signature_files, &mut report);
    Ok(report)
}

fn b64(d: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(d)
}

/// How References/@CheckMethod digests a file.
enum Method {
    Sm3,
    Sm3WithZ,
    Sha1,
    Sha256,
    Unsupported(String),
}

fn method_of(m: Option<&str>) -> Method {
    match m.map(str::trim) {
        None => Method::Unsupported("MD5 (the XSD default when CheckMethod is absent)".into()),
        Some(s) if s == "1.2.156.10197.1.401" || s.eq_ignore_ascii_case("sm3") => Method::Sm3,
        Some("1.2.156.10197.1.401.2") => Method::Sm3WithZ,
        Some(s) if s.eq_ignore_ascii_case("sha1") || s == "1.3.14.3.2.26" => Method::Sha1,
        Some(s) if s.eq_ignore_ascii_case("sha256") || s == "2.16.840.1.101.3.4.2.1" => {
            Method::Sha256
        }
        Some(s) => Method::Unsupported(s.to_owned()),
    }
}

#[allow(clippy::too_many_arguments)]
fn verify_one(
    pkg: &Package,
    body: &DocBody,
    doc: Option<&Document>,
    entry: &SignatureEntry,
    ids: &BTreeSet<&str>,
    opts: &VerifyOptions,
    covered: &mut BTreeSet<String>,
    signature_files: &mut BTreeSet<String>,
) -> Result<SignatureReport, OfdError> {
    let kind = match entry.kind {
        SignatureType::Seal => SignatureKind::Seal,
        SignatureType::Sign => SignatureKind::Sign,
    };
    let mut r = SignatureReport {
        id: entry.id.clone(),
        kind,
        ..Default::default()
    };
    let _ = body;
    // 1. Locate Signature.xml.
    let xml_path = match &entry.base_loc {
        Ok(p) => p.clone(),
        Err(why) => {
            r.push(Check::failed(
                K::Structure,
                format!("Signature {}/@BaseLoc", entry.id),
                format!("BaseLoc {:?} is unusable: {why}", entry.base_loc_raw),
                "签名位置无效",
            ));
            return Ok(r);
        }
    };
    signature_files.insert(xml_path.clone());
    let Some((xml_entry, ci)) = pkg.entry(&xml_path) else {
        r.push(Check::failed(
            K::MissingFile,
            &xml_path,
            "Signature.xml is missing",
            "签名描述文件缺失",
        ));
        return Ok(r);
    };
    let xml_bytes = match pkg.read_entry(xml_entry) {
        Ok(b) => b,
        Err(e) if fatal(&e) => return Err(e),
        Err(e) => {
            r.push(Check::failed(
                K::Structure,
                &xml_path,
                e.to_string(),
                "签名描述文件无法读取",
            ));
            return Ok(r);
        }
    };
    let xml_bytes = xml_bytes.as_slice();
    if ci {
        r.push(Check::warning(
            K::Conformance,
            &xml_path,
            "found only by a case-insensitive name match",
            "文件名大小写不一致",
        ));
    }
    let sx = match signatures::parse_signature(xml_bytes, &xml_path) {
        Ok(s) => s,
        Err(e) => {
            r.push(Check::failed(
                K::Structure,
                &xml_path,
                e.to_string(),
                "签名描述文件无法解析",
            ));
            return Ok(r);
        }
    };
    r.push(Check::passed(
        K::Structure,
        &xml_path,
        format!(
            "Signature.xml parsed (Provider {}{}, SignatureDateTime {})",
            sx.provider.as_deref().unwrap_or("?"),
            sx.provider_version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            sx.date_time.as_deref().unwrap_or("-")
        ),
        "签名描述文件结构正确",
    ));
    if let Ok(sv) = &sx.signed_value {
        signature_files.insert(sv.clone());
    }
    if let Some(Ok(s)) = &sx.seal {
        signature_files.insert(s.clone());
    }

    // The signature value (needed first: SM3-with-Z references use the signer key).
    let value: Option<Vec<u8>> = match &sx.signed_value {
        Err(why) => {
            r.push(Check::failed(
                K::MissingFile,
                "SignedValue",
                format!("SignedValue {:?} is unusable: {why}", sx.signed_value_raw),
                "签名值位置无效",
            ));
            None
        }
        Ok(p) => match pkg.read(p) {
            Ok(Some(b)) => Some(b),
            Ok(None) => {
                r.push(Check::failed(
                    K::MissingFile,
                    p,
                    "signature value missing: the SignedValue file is not in the package",
                    "签名值文件缺失",
                ));
                None
            }
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => {
                r.push(Check::failed(
                    K::Structure,
                    p,
                    format!("signature value unreadable: {e}"),
                    "签名值文件无法读取",
                ));
                None
            }
        },
    };
    let ses_sig = match (entry.kind, &value) {
        (SignatureType::Seal, Some(v)) => SesSignature::from_der(v).ok(),
        _ => None,
    };
    let signer_key_cert: Option<Certificate> =
        ses_sig.as_ref().and_then(|s| s.signer_certificate().ok());

    // 2. References.
    references(
        pkg,
        &sx,
        &xml_path,
        signer_key_cert.as_ref(),
        &mut r,
        covered,
    )?;

    // 3./4. The signature value.
    if let Some(v) = &value {
        let sv_path = sx
            .signed_value
            .as_ref()
            .map(String::as_str)
            .unwrap_or("SignedValue");
        match entry.kind {
            SignatureType::Seal
                if ses_sig.is_none() && cms::content_type(v).is_some() && cms::parse(v).is_ok() =>
            {
                r.push(Check::warning(K::Conformance, "Signature/@Type", "Type is Seal (or absent) but the value is a GB/T 35275 SignedData: verified as Type=Sign", "类型标为电子签章，签名值却是 GB/T 35275 签名数据，按数字签名验证"));
                r.kind = SignatureKind::Sign;
                verify_sign_value(v, sv_path, xml_bytes, &sx, opts, &mut r);
            }
            SignatureType::Seal => {
                let mut sr = ses::verify_signature(
                    v,
                    DataCheck::Data(xml_bytes),
                    Some(&xml_path),
                    &entry.id,
                    opts,
                );
                for c in &mut sr.checks {
                    if c.check == K::Structure && c.subject == "SES_Signature" {
                        c.subject = format!("{sv_path} (SES_Signature)");
                    }
                }
                r.version = sr.version;
                r.signer = sr.signer;
                r.seal = sr.seal;
                r.signing_time = sr.signing_time;
                r.signing_time_source = sr.signing_time_source;
                r.checks.extend(sr.checks);
                // e. The stored seal copy equals the seal inside the signature.
                if let (Some(Ok(seal_path)), Some(sig)) = (&sx.seal, &ses_sig) {
                    match pkg.read(seal_path) {
                        Err(e) if fatal(&e) => return Err(e),
                        Err(e) => r.push(Check::failed(
                            K::SealCopy,
                            seal_path,
                            format!("the Seal file is unreadable: {e}"),
                            "印章文件无法读取",
                        )),
                        Ok(None) => r.push(Check::failed(
                            K::MissingFile,
                            seal_path,
                            "the Seal file named by Signature.xml is missing",
                            "印章文件缺失",
                        )),
                        Ok(Some(b)) if b == sig.seal.der() => r.push(Check::passed(
                            K::SealCopy,
                            seal_path,
                            "equals the seal inside the signature",
                            "印章文件与签章内印章一致",
                        )),
                        Ok(Some(_)) => r.push(Check::failed(
                            K::SealCopy,
                            seal_path,
                            "differs from the seal inside the signature (replaced seal file)",
                            "印章文件与签章内印章不一致",
                        )),
                    }
                } else if let Some(Err(why)) = &sx.seal {
                    r.push(Check::failed(
                        K::Structure,
                        "Seal/BaseLoc",
                        why.clone(),
                        "印章位置无效",
                    ));
                }
            }
            SignatureType::Sign => verify_sign_value(v, sv_path, xml_bytes, &sx, opts, &mut r),
        }
    }

    // Stamp placement: PageRef names a page, Boundary is a box.
    let cap = pkg.limits().max_stamp_annots;
    let annots = if sx.stamp_annots.len() > cap {
        r.push(Check::failed(
            K::StampPlacement,
            &xml_path,
            format!(
                "{} StampAnnots (limit {cap}): not checked",
                sx.stamp_annots.len()
            ),
            format!(
                "签章外观数 {} 超过上限 {cap}，未校验",
                sx.stamp_annots.len()
            ),
        ));
        &[][..]
    } else {
        &sx.stamp_annots[..]
    };
    let page_of: HashMap<&str, usize> = doc
        .map(|d| {
            d.pages
                .iter()
                .enumerate()
                .rev()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect()
        })
        .unwrap_or_default();
    for a in annots {
        let subject = format!("StampAnnot {} (PageRef {})", a.id, a.page_ref);
        let page = page_of.get(a.page_ref.as_str()).copied();
        match (page, parse_box(&a.boundary)) {
            (None, _) => r.push(Check::failed(
                K::StampPlacement,
                subject,
                format!("PageRef {} names no page of the document", a.page_ref),
                "签章所在页面不存在",
            )),
            (Some(_), None) => r.push(Check::failed(
                K::StampPlacement,
                subject,
                format!("Boundary {:?} is not a box", a.boundary),
                "签章位置无效",
            )),
            (Some(i), Some(b))
                if !visible_on_page(b, a.clip.as_deref(), doc.map(|d| d.pages[i].physical_box)) =>
            {
                r.push(Check::warning(
                    K::StampPlacement,
                    subject,
                    format!(
                        "the stamp at {} {} mm ({}×{} mm) lies outside page {}",
                        b[0],
                        b[1],
                        b[2],
                        b[3],
                        i + 1
                    ),
                    format!("签章位于第 {} 页页面之外", i + 1),
                ))
            }
            (Some(i), Some(b)) => r.push(Check::passed(
                K::StampPlacement,
                subject,
                format!(
                    "page {} at {} {} mm, {}×{} mm{}",
                    i + 1,
                    b[0],
                    b[1],
                    b[2],
                    b[3],
                    a.clip
                        .as_deref()
                        .map(|c| format!(", clip {c}"))
                        .unwrap_or_default()
                ),
                format!("第 {} 页", i + 1),
            )),
        }
    }
    // 5. Relative (OFD 2.0).
    if let Some(base) = &entry.relative {
        if ids.contains(base.as_str()) {
            r.push(Check::passed(
                K::Structure,
                "Signature/@Relative",
                format!("relative to signature {base} (verified separately)"),
                "关联签名存在",
            ));
        } else {
            r.push(Check::failed(
                K::Structure,
                "Signature/@Relative",
                format!("names signature {base}, which is not in the list"),
                "关联签名不存在",
            ));
        }
    }
    Ok(r)
}

/// Every Reference's file digested and compared. Each file is
/// streamed through the digest once per algorithm for the whole package (however many
/// References name it); more References than [`super::Limits::max_references`] fail the
/// signature unchecked.
fn references(
    pkg: &Package,
    sx: &SignatureXml,
    xml_path: &str,
    signer: Option<&Certificate>,
    r: &mut SignatureReport,
    covered: &mut BTreeSet<String>,
) -> Result<(), OfdError> {
    let refs_subject = format!("{xml_path} References");
    if sx.references.is_empty() {
        r.push(Check::failed(
            K::FileDigest,
            refs_subject,
            "the signature protects no file",
            "签名未保护任何文件",
        ));
        return Ok(());
    }
    let cap = pkg.limits().max_references;
    if sx.references.len() > cap {
        r.push(Check::failed(
            K::FileDigest,
            refs_subject,
            format!(
                "{} References, more than a package can hold files (limit {cap}): not checked",
                sx.references.len()
            ),
            format!(
                "受保护文件引用数 {} 超过上限 {cap}，未校验",
                sx.references.len()
            ),
        ));
        return Ok(());
    }
    let method = method_of(sx.check_method.as_deref());
    if let Method::Unsupported(m) = &method {
        r.push(Check::indeterminate(
            K::FileDigest,
            "References/@CheckMethod",
            format!("unsupported digest method {m}"),
            "不支持的摘要算法",
        ));
    }
    let alg = match &method {
        Method::Sm3 => Some(DigestAlg::Sm3),
        Method::Sm3WithZ => {
            r.push(Check::warning(
                K::Conformance,
                "References/@CheckMethod",
                "1.2.156.10197.1.401.2: digests are SM3(Z ‖ file) with the signer key",
                "摘要算法为带公钥的 SM3",
            ));
            let z = signer
                .and_then(|c| c.sm2_public_key().ok())
                .map(|pk| sm2::z_value(pk, sm2::DEFAULT_ID));
            if z.is_none() {
                r.push(Check::indeterminate(
                    K::FileDigest,
                    "References/@CheckMethod",
                    "SM3(Z ‖ file) needs the signer's SM2 key, which the signature value does not give",
                    "缺少签名者公钥，无法计算摘要",
                ));
            }
            z.map(DigestAlg::Sm3WithZ)
        }
        Method::Sha1 => Some(DigestAlg::Sha1),
        Method::Sha256 => Some(DigestAlg::Sha256),
        Method::Unsupported(_) => None,
    };
    let own: Vec<&str> = [Some(xml_path), sx.signed_value.as_deref().ok()]
        .into_iter()
        .flatten()
        .collect();
    let mut seen = BTreeSet::new();
    let mut repeated: Vec<&str> = Vec::new();
    let (mut ok, mut total) = (0usize, 0usize);
    for rf in &sx.references {
        total += 1;
        let path = match &rf.path {
            Ok(p) => p.as_str(),
            Err(why) => {
                r.push(Check::failed(
                    K::FileDigest,
                    format!("FileRef {:?}", rf.file_ref),
                    format!("unusable path: {why}"),
                    "引用路径无效",
                ));
                continue;
            }
        };
        if !seen.insert(path) {
            repeated.push(path);
        }
        if own.contains(&path) {
            r.push(Check::warning(
                K::Conformance,
                path,
                "a signature cannot protect its own Signature.xml or value",
                "签名引用了自身文件",
            ));
        }
        covered.insert(path.to_owned());
        let Some((entry, _)) = pkg.entry(path) else {
            r.push(Check::failed(
                K::MissingFile,
                path,
                "a protected file was removed from the package",
                "受保护的文件已被删除",
            ));
            continue;
        };
        let Some(alg) = alg else { continue };
        let d = match pkg.digest(entry, alg) {
            Ok(d) => d,
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => {
                r.push(Check::failed(
                    K::FileDigest,
                    path,
                    format!("unreadable: {e}"),
                    "受保护的文件无法读取",
                ));
                continue;
            }
        };
        let stored = base64::engine::general_purpose::STANDARD
            .decode(rf.check_value.split_whitespace().collect::<String>())
            .unwrap_or_default();
        if stored == d {
            ok += 1;
        } else {
            r.push(Check::failed(
                K::FileDigest,
                path,
                format!(
                    "changed after signing: digest {} ≠ CheckValue {}",
                    b64(&d),
                    rf.check_value
                ),
                "文件在签名后被修改",
            ));
        }
    }
    if let Some(first) = repeated.first() {
        r.push(Check::warning(
            K::Conformance,
            *first,
            format!(
                "{} References name a file already referenced (first: {first}); each file is checked once",
                repeated.len()
            ),
            format!("{} 个重复引用", repeated.len()),
        ));
    }
    if ok > 0 {
        r.push(Check::passed(
            K::FileDigest,
            refs_subject,
            format!("{ok} of {total} referenced files match their digests"),
            format!("{ok}/{total} 个受保护文件摘要一致"),
        ));
    }
    Ok(())
}

/// messageDigest of a `Type="Sign"` SignerInfo against SM3(Signature.xml).
fn push_digest_check(r: &mut SignatureReport, subj: &str, d: cms::DigestCheck) {
    match d {
        cms::DigestCheck::Matches => r.push(Check::passed(
            K::DataDigest,
            format!("{subj} messageDigest"),
            "SM3 of Signature.xml matches",
            "原文摘要一致",
        )),
        cms::DigestCheck::Differs => r.push(Check::failed(
            K::DataDigest,
            format!("{subj} messageDigest"),
            "Signature.xml changed: its SM3 differs from messageDigest",
            "签名描述文件已被修改",
        )),
        cms::DigestCheck::Missing => r.push(Check::failed(
            K::DataDigest,
            subj,
            "signed attributes without messageDigest",
            "缺少消息摘要属性",
        )),
        cms::DigestCheck::NoSignedAttributes | cms::DigestCheck::Unsupported => {}
    }
}

/// `Type="Sign"`: GB/T 35275 SignedData, or a bare SM2 signature over Signature.xml.
fn verify_sign_value(
    value: &[u8],
    sv_path: &str,
    xml: &[u8],
    sx: &SignatureXml,
    opts: &VerifyOptions,
    r: &mut SignatureReport,
) {
    let stated_time = sx
        .date_time
        .as_deref()
        .and_then(|t| Time::parse_lenient(t).ok())
        .map(|t| t.0);
    if cms::content_type(value).is_some() {
        r.version = "GB/T 35275".into();
        let sd = match cms::parse(value) {
            Ok(sd) => sd,
            Err(e) => {
                r.push(Check::failed(
                    K::Structure,
                    sv_path,
                    format!("SignedData unreadable: {e}"),
                    "签名数据结构错误",
                ));
                return;
            }
        };
        r.push(Check::passed(
            K::Structure,
            sv_path,
            format!(
                "GB/T 35275 SignedData{} with {} signer(s)",
                if sd.ber {
                    " (BER, indefinite lengths)"
                } else {
                    ""
                },
                sd.signers.len()
            ),
            "签名数据结构正确",
        ));
        let mut pool = sd.certificates.clone();
        pool.extend(opts.extra_certs.iter().cloned());
        for (i, si) in sd.signers.iter().enumerate() {
            let subj = format!("{sv_path} SignerInfo {i}");
            // Data: messageDigest = SM3(Signature.xml).
            push_digest_check(r, &subj, si.check_digest(Some(&sm3(xml))));
            // Encapsulated content: Signature.xml itself, or (tongz) its SM3 digest.
            if let Some(content) = &sd.content {
                if content.as_slice() == xml {
                    r.push(Check::passed(
                        K::DataDigest,
                        &subj,
                        "the encapsulated content is this Signature.xml",
                        "封装内容与签名描述文件一致",
                    ));
                } else if content.as_slice() == sm3(xml) {
                    r.push(Check::passed(
                        K::DataDigest,
                        &subj,
                        "the encapsulated content is SM3 of this Signature.xml",
                        "封装内容为签名描述文件的 SM3 摘要",
                    ));
                } else {
                    r.push(Check::failed(
                        K::DataDigest,
                        &subj,
                        "the encapsulated content is neither this Signature.xml nor its SM3 digest",
                        "封装内容与签名描述文件不一致",
                    ));
                }
            }
            let Some(cert) = si
                .find_cert(&pool)
                .or_else(|| (pool.len() == 1).then(|| &pool[0]))
            else {
                r.push(Check::indeterminate(
                    K::SignerSignature,
                    &subj,
                    "the signer's certificate is neither in the SignedData nor given (--cert)",
                    "缺少签名者证书",
                ));
                continue;
            };
            r.signer = Some(cert.summary());
            // Without signed attributes the signature is over the encapsulated content, or
            // Signature.xml.
            let content: &[u8] = sd.content.as_deref().unwrap_or(xml);
            let v = cms::verify_signer(si, cert, Some(&sm3(xml)), &[content]);
            match v.signature {
                Ok(()) => r.push(Check::passed(
                    K::SignerSignature,
                    &subj,
                    format!("{} signature verifies", v.signature_alg),
                    "签名值有效",
                )),
                Err(e) => r.push(Check::failed(
                    K::SignerSignature,
                    &subj,
                    format!(
                        "signature does not verify ({} with signer ID 1234567812345678): {e}",
                        v.signature_alg
                    ),
                    "签名值无效",
                )),
            }
            let (at, source) = match si.signing_time {
                Some(t) => (Some(t), "CMS signingTime"),
                None => (stated_time, "Signature.xml SignatureDateTime"),
            };
            r.signing_time = at.map(|t| t.to_iso());
            r.signing_time_source = Some(source.into());
            certificate_checks(cert, "signer", "签名者", at, &pool, opts, &mut r.checks);
        }
        return;
    }
    // A bare SM2 signature over the Signature.xml bytes (Z from the default ID).
    r.version = "SM2".into();
    let sig = match sm2::Signature::parse_lenient(value) {
        Ok((s, _)) => s,
        Err(e) => {
            r.push(Check::failed(
                K::Structure,
                sv_path,
                format!("neither SignedData nor an SM2 signature: {e}"),
                "签名值结构错误",
            ));
            return;
        }
    };
    r.push(Check::passed(
        K::Structure,
        sv_path,
        "bare SM2 signature over Signature.xml (no certificate inside)",
        "裸 SM2 签名值",
    ));
    if opts.extra_certs.is_empty() {
        r.push(Check::indeterminate(
            K::SignerSignature,
            sv_path,
            "the value holds no certificate; give the signer's certificate (--cert) to verify it",
            "签名值不含证书，需提供签名者证书",
        ));
        return;
    }
    let found = opts.extra_certs.iter().find(|c| {
        c.sm2_public_key()
            .is_ok_and(|pk| sm2::verify(pk, sm2::DEFAULT_ID, xml, &sig).is_ok())
    });
    match found {
        Some(cert) => {
            r.signer = Some(cert.summary());
            r.push(Check::passed(K::SignerSignature, sv_path, format!("SM2 signature over Signature.xml verifies with the given certificate {}", cert.subject_string()), "签名值有效"));
            r.signing_time = stated_time.map(|t| t.to_iso());
            r.signing_time_source = Some("Signature.xml SignatureDateTime (not signed)".into());
            certificate_checks(cert, "signer", "签名者", stated_time, &[], opts, &mut r.checks);
        }
        None => r.push(Check::failed(
            K::SignerSignature,
            sv_path,
            format!("the SM2 signature over Signature.xml verifies with none of the {} given certificate(s)", opts.extra_certs.len()),
            "签名值无效（或 Signature.xml 已被修改）",
        )),
    }
}

/// Coverage (`docs/ofd-verification.md` §4): rendered files no signature protects, files no
/// signature knows, and orphan signature directories.
fn coverage_checks(
    pkg: &Package,
    rendered: &BTreeSet<String>,
    covered: &BTreeSet<String>,
    signature_files: &BTreeSet<String>,
    report: &mut VerificationReport,
) {
    if report.signatures.is_empty() {
        return;
    }
    let mut uncovered_rendered = Vec::new();
    for f in rendered {
        if covered.contains(f) {
            continue;
        }
        if pkg.contains(f) {
            uncovered_rendered.push(f.clone());
        }
    }
    for f in &uncovered_rendered {
        report.document_checks.push(Check::warning(
            K::Coverage,
            f.as_str(),
            "rendered but protected by no signature: it can be changed without breaking a signature",
            "该文件参与显示但未受任何签名保护，可被替换而不影响签名",
        ));
    }
    let sign_dirs: BTreeSet<&str> = signature_files
        .iter()
        .map(|p| dir_of(p))
        .filter(|d| !d.is_empty())
        .collect();
    let mut extra = BTreeMap::new();
    for name in pkg.names() {
        let p = format!("/{name}");
        if covered.contains(&p) || signature_files.contains(&p) || rendered.contains(&p) {
            continue;
        }
        let d = dir_of(&p);
        let looks_like_sig =
            name.ends_with("Signature.xml") || name.ends_with(".dat") || name.ends_with(".esl");
        if looks_like_sig && !sign_dirs.contains(d) {
            extra.insert(
                p,
                (
                    "a signature file that Signatures.xml does not list (orphan signature)",
                    "未登记的签名文件",
                ),
            );
        } else if !sign_dirs.contains(d) {
            extra.insert(p, ("in the package but protected by no signature and not part of the rendered document", "未受签名保护的文件"));
        }
    }
    for (p, (en, zh)) in extra {
        report
            .document_checks
            .push(Check::warning(K::ModifiedAfterSigning, p, en, zh));
    }
    if uncovered_rendered.is_empty() {
        report.document_checks.push(Check::passed(
            K::Coverage,
            "document",
            "every rendered file is protected by a signature",
            "所有显示内容均受签名保护",
        ));
    }
}

/// What `eseal ofd inspect` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub documents: Vec<DocInspection>,
    pub files: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocInspection {
    pub doc_root: String,
    pub pages: Vec<PageInspection>,
    pub signatures_xml: Option<String>,
    pub signatures: Vec<SignatureInspection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageInspection {
    pub index: usize,
    pub id: String,
    pub content: String,
    pub physical_box_mm: [f64; 4],
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureInspection {
    pub id: String,
    pub kind: String,
    pub base_loc: String,
    pub provider: Option<String>,
    pub date_time: Option<String>,
    pub check_method: Option<String>,
    pub references: usize,
    pub stamp_annots: Vec<String>,
    pub seal_name: Option<String>,
    pub error: Option<String>,
}

/// Describes the package: documents, pages, signatures (no verification).
pub fn inspect(pkg: &Package) -> Result<Inspection, OfdError> {
    let mut documents = Vec::new();
    for body in document::doc_bodies(pkg)? {
        let doc = document::read_document(pkg, &body.doc_root)?;
        let pages = doc
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| PageInspection {
                index: i + 1,
                id: p.id.clone(),
                content: p.content.clone(),
                physical_box_mm: p.physical_box,
            })
            .collect();
        let mut sigs = Vec::new();
        if let Some(lp) = &body.signatures
            && let Ok(list) = signatures::read_list(pkg, lp)
        {
            for e in &list.entries {
                let mut s = SignatureInspection {
                    id: e.id.clone(),
                    kind: format!("{:?}", e.kind),
                    base_loc: e.base_loc.clone().unwrap_or_else(|x| x),
                    provider: None,
                    date_time: None,
                    check_method: None,
                    references: 0,
                    stamp_annots: Vec::new(),
                    seal_name: None,
                    error: None,
                };
                let read = match e.base_loc.as_ref() {
                    Ok(p) => match pkg.read(p) {
                        Ok(b) => b.map(|b| signatures::parse_signature(&b, p)),
                        Err(err) if fatal(&err) => return Err(err),
                        Err(err) => Some(Err(err)),
                    },
                    Err(_) => None,
                };
                match read {
                    Some(Ok(sx)) => {
                        s.provider = sx.provider.clone();
                        s.date_time = sx.date_time.clone();
                        s.check_method = sx.check_method.clone();
                        s.references = sx.references.len();
                        s.stamp_annots = sx
                            .stamp_annots
                            .iter()
                            .map(|a| {
                                format!(
                                    "{} PageRef {} Boundary {}{}",
                                    a.id,
                                    a.page_ref,
                                    a.boundary,
                                    a.clip
                                        .as_deref()
                                        .map(|c| format!(" Clip {c}"))
                                        .unwrap_or_default()
                                )
                            })
                            .collect();
                        if let Ok(p) = &sx.signed_value {
                            match pkg.read(p) {
                                Ok(Some(v)) => {
                                    s.seal_name =
                                        SesSignature::from_der(&v).ok().map(|x| x.seal.name.clone())
                                }
                                Err(err) if fatal(&err) => return Err(err),
                                _ => {}
                            }
                        }
                    }
                    Some(Err(err)) => s.error = Some(err.to_string()),
                    None => s.error = Some("Signature.xml missing".into()),
                }
                sigs.push(s);
            }
        }
        documents.push(DocInspection {
            doc_root: body.doc_root.clone(),
            pages,
            signatures_xml: body.signatures.clone(),
            signatures: sigs,
        });
    }
    Ok(Inspection {
        documents,
        files: pkg.names().count(),
    })
}
