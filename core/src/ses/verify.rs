//! Verifying seals and electronic signatures, check by check (GB/T 38540 §6–§7 structures).
//!
//! Each check says what it looked at and why it failed. Signatures are verified over the
//! original bytes; the conventions tried are named in failures.

use super::seal::{CertList, Seal, SesVersion};
use super::signature::SesSignature;
use crate::crypto::Certificate;
use crate::crypto::cert::verify_with_key;
use crate::crypto::sm2;
use crate::crypto::sm3::{sm3, sm3_parts};
use crate::crypto::time::Time;
use crate::report::{Check, CheckKind as K, SignatureKind, SignatureReport};
use crate::validation::{VerifyOptions, certificate_checks};

/// What the signature's `dataHash` is checked against.
#[derive(Debug, Clone, Copy)]
pub enum DataCheck<'a> {
    /// The digest the caller computed over the protected data (SM3 for OFD and PDF).
    Hash(&'a [u8]),
    /// The protected data itself: SM3(data), or the non-standard SM3(Z ‖ data) with a warning.
    Data(&'a [u8]),
    /// The data is not available (a signature file on its own): reported as a warning.
    NotAvailable,
}

/// Verifies the maker's signature (GB/T 38540 §6.2; v1: GM/T 0031-2014). `Err` says why.
pub fn maker_signature(seal: &Seal) -> Result<(), String> {
    let cert = Certificate::from_der(&seal.maker_cert)
        .map_err(|e| format!("maker certificate unreadable: {e}"))?;
    match verify_with_key(
        cert.public_key(),
        &seal.maker_sign_alg,
        &seal.maker_signed_bytes,
        &seal.maker_signature,
    ) {
        Ok(()) => Ok(()),
        Err(e) => {
            // Name the conventions tried: the standard one for this version, and the other
            // version's, so a reader sees that none applies.
            let alt = match seal.version {
                SesVersion::V1 => "SES_SealInfo alone (v4 convention)",
                _ => "SEQUENCE { SES_SealInfo, cert, signAlgID } (v1 convention)",
            };
            Err(format!(
                "{e}; tried {} over {} with signer ID 1234567812345678{}",
                seal.maker_sign_alg,
                if seal.version == SesVersion::V1 {
                    "SEQUENCE { SES_SealInfo, cert, alg }"
                } else {
                    "the encoded SES_SealInfo"
                },
                if alt_convention_verifies(seal, &cert) {
                    format!(" — it verifies under {alt} instead")
                } else {
                    format!(" and {alt}: none verifies")
                }
            ))
        }
    }
}

fn alt_convention_verifies(seal: &Seal, cert: &Certificate) -> bool {
    let Ok(top) = crate::asn1::Tlv::parse_exact(seal.der(), "SESeal") else {
        return false;
    };
    let Ok(f) = top.sequence("SESeal") else {
        return false;
    };
    let alt = match seal.version {
        SesVersion::V1 => f[0].raw.to_vec(),
        _ if f.len() >= 3 => {
            let body = [f[0].raw, f[1].raw, f[2].raw].concat();
            [crate::asn1::header(0x30, body.len()), body].concat()
        }
        _ => return false,
    };
    verify_with_key(
        cert.public_key(),
        &seal.maker_sign_alg,
        &alt,
        &seal.maker_signature,
    )
    .is_ok()
}

/// Whether the seal's certList allows `cert` (GB/T 38540 §6.1: certificates or digests).
/// `Err` when the list cannot say (v1 identifiers that name no certificate).
pub fn signer_allowed(seal: &Seal, cert: &Certificate) -> Result<bool, String> {
    match &seal.cert_list {
        CertList::Certs(certs) => Ok(certs.iter().any(|c| c.as_slice() == cert.der())),
        CertList::Digests(d) => {
            let mut candidates = vec![sm3(cert.der()).to_vec()];
            if let Ok(pk) = cert.sm2_public_key() {
                candidates
                    .push(sm3_parts(&[&sm2::z_value(pk, sm2::DEFAULT_ID), cert.der()]).to_vec());
            }
            {
                use sha2::Digest;
                candidates.push(sha2::Sha256::digest(cert.der()).to_vec());
                candidates.push(sha1::Sha1::digest(cert.der()).to_vec());
            }
            Ok(d.iter().any(|(_, v)| candidates.iter().any(|c| c == v)))
        }
        CertList::Ids(ids) => Err(format!(
            "the seal lists identifiers ({}) instead of certificates",
            ids.join(", ")
        )),
    }
}

/// The checks of a seal (its maker signature, header, validity at `at`, maker certificate).
pub fn seal_checks(seal: &Seal, at: Option<Time>, opts: &VerifyOptions, out: &mut Vec<Check>) {
    let subject = format!("seal {} ({})", seal.es_id, seal.name);
    if seal.header.id == "ES" {
        out.push(Check::passed(
            K::SealHeader,
            "SES_Header.id",
            "\"ES\"",
            "印章标识为 ES",
        ));
    } else {
        out.push(Check::failed(
            K::SealHeader,
            "SES_Header.id",
            format!("{:?} instead of \"ES\"", seal.header.id),
            "印章头标识不是 ES",
        ));
    }
    if let SesVersion::V4Shaped(v) = seal.version {
        out.push(Check::warning(
            K::SealHeader,
            "SES_Header.version",
            format!("unknown version {v}, verified as v4"),
            format!("未知版本 {v}，按 v4 验证"),
        ));
    }
    match maker_signature(seal) {
        Ok(()) => out.push(Check::passed(
            K::MakerSignature,
            "SESeal.signedValue",
            "the maker's signature over the seal info verifies",
            "制章者签名有效",
        )),
        Err(why) => out.push(Check::failed(
            K::MakerSignature,
            "SESeal.signedValue",
            format!("the maker's signature does not verify: {why}"),
            "制章者签名无效",
        )),
    }
    match at {
        Some(t) if t < seal.valid_start || t > seal.valid_end => out.push(Check::failed(
            K::SealValidity,
            &subject,
            format!(
                "not valid at {}: valid {} .. {}",
                t.to_iso(),
                seal.valid_start.to_iso(),
                seal.valid_end.to_iso()
            ),
            format!("印章在签署时间 {} 不在有效期内", t.to_iso()),
        )),
        Some(t) => out.push(Check::passed(
            K::SealValidity,
            &subject,
            format!(
                "valid at {} ({} .. {})",
                t.to_iso(),
                seal.valid_start.to_iso(),
                seal.valid_end.to_iso()
            ),
            "签署时间在印章有效期内",
        )),
        // A seal on its own is used now: outside its validity period it cannot seal anything
        // (GB/T 38540 §6.2 validStart/validEnd), so the check fails.
        None if opts.at < seal.valid_start || opts.at > seal.valid_end => out.push(Check::failed(
            K::SealValidity,
            &subject,
            format!(
                "not valid now ({}): valid {} .. {}",
                opts.at.to_iso(),
                seal.valid_start.to_iso(),
                seal.valid_end.to_iso()
            ),
            format!(
                "印章当前（{}）不在有效期内（{} .. {}）",
                opts.at.to_iso(),
                seal.valid_start.to_iso(),
                seal.valid_end.to_iso()
            ),
        )),
        None => out.push(Check::passed(
            K::SealValidity,
            &subject,
            "valid now",
            "印章当前有效",
        )),
    }
    if let Some(ts) = &seal.timestamp {
        // GM/T 0031-2025 (v5) seals may carry one; read as a token over the maker's
        // signature value, as SES_Signature.timeStamp is over the signer's.
        crate::tsp::token_checks(
            ts,
            &seal.maker_signature,
            "the maker's signature value",
            "SESeal.timeStamp",
            opts,
            out,
        );
    }
    for n in &seal.notes {
        out.push(Check::warning(
            K::Conformance,
            "SESeal",
            n.clone(),
            format!("不规范：{n}"),
        ));
    }
    match seal.maker_certificate() {
        Ok(maker) => {
            // The maker certificate is checked at the signing time (for a
            // seal on its own: now). A createDate outside its validity is a warning: producers
            // write the application date there (GOMAIN: five days before the certificate).
            if !maker.valid_at(seal.create_date) {
                out.push(Check::warning(
                    K::CertificateValidity,
                    "SES_ESPropertyInfo.createDate",
                    format!(
                        "the seal's createDate {} lies outside its maker certificate's validity {} .. {}",
                        seal.create_date.to_iso(),
                        maker.not_before().to_iso(),
                        maker.not_after().to_iso()
                    ),
                    "印章制作日期不在制章者证书有效期内",
                ));
            }
            certificate_checks(&maker, "maker", "制章者", at, &[], opts, out)
        }
        Err(e) => out.push(Check::failed(
            K::Structure,
            "SESeal.cert",
            format!("maker certificate unreadable: {e}"),
            "制章者证书无法解析",
        )),
    }
}

/// Verifies a seal on its own (`eseal seal verify seal.esl`).
pub fn verify_seal_bytes(der: &[u8], id: &str, opts: &VerifyOptions) -> SignatureReport {
    let mut r = SignatureReport {
        id: id.to_owned(),
        kind: SignatureKind::SealFile,
        ..Default::default()
    };
    match Seal::from_der(der) {
        Ok(seal) => {
            r.version = seal.version.label().into();
            r.seal = Some(seal.summary());
            r.push(Check::passed(
                K::Structure,
                "SESeal",
                format!("{} seal parsed", seal.version.describe()),
                "印章结构正确",
            ));
            seal_checks(&seal, None, opts, &mut r.checks);
        }
        Err(e) => r.push(Check::failed(
            K::Structure,
            "SESeal",
            e.to_string(),
            format!("印章结构错误：{e}"),
        )),
    }
    r
}

/// Verifies an SES_Signature: data digest, signer signature, seal, binding, certificates.
/// `property_info` is what the container says was signed (the OFD Signature.xml path).
pub fn verify_signature(
    der: &[u8],
    data: DataCheck<'_>,
    property_info: Option<&str>,
    id: &str,
    opts: &VerifyOptions,
) -> SignatureReport {
    let mut r = SignatureReport {
        id: id.to_owned(),
        kind: SignatureKind::Seal,
        ..Default::default()
    };
    match SesSignature::from_der(der) {
        Ok(sig) => verify_parsed(&sig, data, property_info, opts, &mut r),
        Err(e) => r.push(Check::failed(
            K::Structure,
            "SES_Signature",
            e.to_string(),
            format!("签章结构错误：{e}"),
        )),
    }
    r
}

/// As [`verify_signature`], for a parsed signature; appends to `r`.
pub fn verify_parsed(
    sig: &SesSignature,
    data: DataCheck<'_>,
    property_info: Option<&str>,
    opts: &VerifyOptions,
    r: &mut SignatureReport,
) {
    r.version = sig.version.label().into();
    r.seal = Some(sig.seal.summary());
    r.signing_time = sig.time_info.map(|t| t.to_iso());
    r.signing_time_source = Some("TBS_Sign.timeInfo (claimed by the signer)".into());
    r.push(Check::passed(
        K::Structure,
        "SES_Signature",
        format!("{} signature parsed", sig.version.describe()),
        "签章结构正确",
    ));

    // Data: dataHash against the protected data.
    match data {
        DataCheck::Hash(h) if h == sig.data_hash.as_slice() => r.push(Check::passed(
            K::DataDigest,
            "TBS_Sign.dataHash",
            "matches the protected data",
            "原文摘要一致",
        )),
        DataCheck::Hash(h) => r.push(Check::failed(
            K::DataDigest,
            "TBS_Sign.dataHash",
            format!(
                "the protected data changed: its digest is {}, the signature holds {}",
                hex::encode(h),
                hex::encode(&sig.data_hash)
            ),
            "原文已被修改：摘要不一致",
        )),
        DataCheck::Data(d) => {
            let plain = sm3(d);
            let with_z = Certificate::from_der(&sig.signer_cert).ok().and_then(|c| {
                c.sm2_public_key()
                    .ok()
                    .map(|pk| sm2::message_digest(pk, sm2::DEFAULT_ID, d))
            });
            if sig.data_hash == plain {
                r.push(Check::passed(
                    K::DataDigest,
                    "TBS_Sign.dataHash",
                    "SM3 of the protected data matches",
                    "原文摘要一致",
                ));
            } else if with_z.is_some_and(|z| sig.data_hash == z) {
                r.push(Check::warning(
                    K::DataDigest,
                    "TBS_Sign.dataHash",
                    "matches SM3(Z ‖ data), not the standard SM3(data)",
                    "原文摘要按非标准方式 SM3(Z‖原文) 计算",
                ));
            } else {
                r.push(Check::failed(
                    K::DataDigest,
                    "TBS_Sign.dataHash",
                    format!(
                        "the protected data changed: SM3 is {}, the signature holds {}",
                        hex::encode(plain),
                        hex::encode(&sig.data_hash)
                    ),
                    "原文已被修改：摘要不一致",
                ));
            }
        }
        DataCheck::NotAvailable => r.push(Check::warning(
            K::DataDigest,
            "TBS_Sign.dataHash",
            "the signed data was not given: dataHash not checked",
            "未提供原文，未核对原文摘要",
        )),
    }

    // Version agreement (§7.1: TBS_Sign.version equals the seal's).
    if sig.tbs_version != sig.seal.header.version {
        r.push(Check::failed(
            K::SealHeader,
            "TBS_Sign.version",
            format!(
                "signature version {} differs from the seal's header version {}",
                sig.tbs_version, sig.seal.header.version
            ),
            "签章版本与印章版本不一致",
        ));
    }

    // Signer signature over the encoded TBS_Sign.
    let signer = match Certificate::from_der(&sig.signer_cert) {
        Ok(c) => Some(c),
        Err(e) => {
            r.push(Check::failed(
                K::Structure,
                "SES_Signature.cert",
                format!("signer certificate unreadable: {e}"),
                "签章者证书无法解析",
            ));
            None
        }
    };
    if let Some(cert) = &signer {
        r.signer = Some(cert.summary());
        match verify_with_key(
            cert.public_key(),
            &sig.signature_alg,
            &sig.tbs_der,
            &sig.signature,
        ) {
            Ok(()) => {
                let enc = sm2::Signature::parse_lenient(&sig.signature)
                    .map(|(_, e)| e)
                    .ok();
                let note = match enc {
                    Some(sm2::SignatureEncoding::Raw) => " (value stored as raw r‖s, not DER)",
                    Some(sm2::SignatureEncoding::LenientDer) => {
                        " (value's INTEGERs are not minimal DER)"
                    }
                    _ => "",
                };
                r.push(Check::passed(
                    K::SignerSignature,
                    "SES_Signature.signature",
                    format!("the signer's signature over TBS_Sign verifies{note}"),
                    "签章者签名有效",
                ));
            }
            Err(e) => {
                let diagnosis =
                    diagnose_cut_short(cert, &sig.tbs_der, &sig.signature).unwrap_or_default();
                r.push(Check::failed(
                    K::SignerSignature,
                    "SES_Signature.signature",
                    format!(
                        "the signer's signature over TBS_Sign does not verify ({e}; {} with signer ID 1234567812345678 over the encoded TBS_Sign){diagnosis}",
                        sig.signature_alg
                    ),
                    "签章者签名无效",
                ))
            }
        }
        match signer_allowed(&sig.seal, cert) {
            Ok(true) => r.push(Check::passed(
                K::SignerBinding,
                "SES_ESPropertyInfo.certList",
                "the signer certificate is in the seal's certList",
                "签章者证书与印章绑定",
            )),
            Ok(false) => r.push(Check::failed(
                K::SignerBinding,
                "SES_ESPropertyInfo.certList",
                format!(
                    "the signer certificate ({}) is not among the seal's allowed signers",
                    cert.subject_string()
                ),
                "签章者证书不在印章证书列表中",
            )),
            Err(why) => r.push(Check::indeterminate(
                K::SignerBinding,
                "SES_ESPropertyInfo.certList",
                why,
                "印章证书列表无法核对签章者",
            )),
        }
    }

    if let (Some(expected), got) = (property_info, &sig.property_info) {
        if normalise_path(expected) == normalise_path(got) {
            r.push(Check::passed(
                K::PropertyInfo,
                "TBS_Sign.propertyInfo",
                format!("names {got}"),
                "签章属性一致",
            ));
        } else {
            r.push(Check::warning(
                K::PropertyInfo,
                "TBS_Sign.propertyInfo",
                format!("names {got:?}, but the signature was found at {expected:?}"),
                "签章属性与实际位置不一致",
            ));
        }
    }
    // Trusted time (GB/T 38540 §7.1.6): a token over the signature value.
    let stamped = sig.timestamp.as_ref().and_then(|ts| {
        crate::tsp::token_checks(
            ts,
            &sig.signature,
            "the signature value",
            "SES_Signature.timeStamp",
            opts,
            &mut r.checks,
        )
    });
    if let Some(t) = stamped {
        r.signing_time = Some(t.to_iso());
        r.signing_time_source = Some(format!(
            "SES_Signature.timeStamp (verified token; the signer claims {})",
            sig.time_info_text
        ));
        claimed_time_check(sig.time_info, t, &mut r.checks);
    }
    for n in &sig.notes {
        r.push(Check::warning(
            K::Conformance,
            "SES_Signature",
            n.clone(),
            format!("不规范：{n}"),
        ));
    }

    // Seal and certificates at the signing time: the timestamp's when it verified.
    let at = stamped.or(sig.time_info);
    if at.is_none() {
        r.push(Check::indeterminate(
            K::SealValidity,
            "TBS_Sign.timeInfo",
            format!("signing time {:?} unreadable", sig.time_info_text),
            "签署时间无法识别",
        ));
    }
    seal_checks(&sig.seal, at.or(Some(opts.at)), opts, &mut r.checks);
    if let Some(cert) = &signer {
        let pool: Vec<Certificate> = sig.seal.maker_certificate().into_iter().collect();
        certificate_checks(cert, "signer", "签章者", at, &pool, opts, &mut r.checks);
    }
}

/// The signer's claimed time against a verified timestamp over the signature: the signature
/// existed when it was stamped, so a claimed time after the stamp (beyond the clock skew
/// allowed) is false.
fn claimed_time_check(claimed: Option<Time>, stamped: Time, out: &mut Vec<Check>) {
    const SKEW: i64 = 300;
    if let Some(c) = claimed
        && c.unix() > stamped.unix() + SKEW
    {
        out.push(Check::warning(
            K::Timestamp,
            "TBS_Sign.timeInfo",
            format!(
                "the claimed signing time {} is after the timestamp {}: the timestamp's time is used",
                c.to_iso(),
                stamped.to_iso()
            ),
            "声称的签署时间晚于时间戳时间，以时间戳为准",
        ));
    }
}

/// A signature value that is a DER SEQUENCE missing its last octet (Suwell files): says
/// whether some last octet would make it verify, which tells a producer's encoding fault from
/// a forged or altered signature. The signature stays failed either way.
fn diagnose_cut_short(cert: &Certificate, message: &[u8], value: &[u8]) -> Option<String> {
    let pk = cert.sm2_public_key().ok()?;
    let declared = usize::from(*value.get(1)?) + 2;
    if value.first() != Some(&0x30)
        || value.get(1).is_none_or(|l| *l >= 0x80)
        || declared != value.len() + 1
    {
        return None;
    }
    let e = sm2::message_digest(pk, sm2::DEFAULT_ID, message);
    let mut full = value.to_vec();
    full.push(0);
    for last in 0..=255u8 {
        *full.last_mut()? = last;
        if let Ok((s, _)) = sm2::Signature::parse_lenient(&full)
            && sm2::verify_digest(pk, &e, &s).is_ok()
        {
            return Some(format!(
                ". The value lacks its last octet; restored as 0x{last:02X} it verifies, so the producer's encoder cut it short (the data signed is intact, the stored signature is not)"
            ));
        }
    }
    Some(". The value lacks its last octet, and no octet restores it: the signature does not match this TBS_Sign".into())
}

fn normalise_path(p: &str) -> String {
    let mut s = p.replace('\\', "/");
    while s.contains("//") {
        s = s.replace("//", "/");
    }
    s.trim_start_matches('/').to_owned()
}
