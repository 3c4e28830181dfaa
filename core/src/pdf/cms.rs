//! CMS SignedData (RFC 5652 §5) for PDF signatures, written and read by hand over DER:
//! PAdES baseline (ETSI EN 319 142-1: ESS signing-certificate-v2, no signing-time attribute),
//! and SM2 SignedData with the PKCS#7 OIDs or the GM/T 0010 (GB/T 35275) OIDs.

use super::PdfError;
use crate::asn1::{header, tag};
use crate::crypto::Certificate;

pub const OID_DATA: &str = "1.2.840.113549.1.7.1";
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// GM/T 0010 §7: data and signedData.
pub const OID_GM_DATA: &str = "1.2.156.10197.6.1.4.2.1";
pub const OID_GM_SIGNED_DATA: &str = "1.2.156.10197.6.1.4.2.2";
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
pub const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
pub const OID_SIGNING_CERT_V2: &str = "1.2.840.113549.1.9.16.2.47";
pub const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
pub const OID_SHA1: &str = "1.3.14.3.2.26";
pub const OID_SM3: &str = "1.2.156.10197.1.401";
pub const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
pub const OID_RSA_SHA256: &str = "1.2.840.113549.1.1.11";
pub const OID_RSA: &str = "1.2.840.113549.1.1.1";
pub const OID_SM2_SM3: &str = "1.2.156.10197.1.501";
pub const OID_SM2_SIGN: &str = "1.2.156.10197.1.301.1";

/// Which OIDs an SM2 SignedData uses (both are in use in China).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sm2CmsOids {
    /// PKCS#7 content types, SM2-with-SM3 `1.2.156.10197.1.501` (iText/BouncyCastle forks).
    Pkcs7,
    /// GM/T 0010 content types `1.2.156.10197.6.1.4.2.*`, SM2 `1.2.156.10197.1.301.1`.
    GmT0010,
}

pub(crate) fn tlv(t: u8, content: &[u8]) -> Vec<u8> {
    let mut v = header(t, content.len());
    v.extend_from_slice(content);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub(crate) fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    if arcs.len() >= 2 {
        encode_arc(&mut body, arcs[0] * 40 + arcs[1]);
        for &a in &arcs[2..] {
            encode_arc(&mut body, a);
        }
    }
    tlv(tag::OID, &body)
}

fn encode_arc(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        tmp.push(0x80 | (v & 0x7f) as u8);
        v >>= 7;
    }
    tmp.reverse();
    out.extend(tmp);
}

fn alg_id(o: &str, null_params: bool) -> Vec<u8> {
    let mut c = oid(o);
    if null_params {
        c.extend_from_slice(&[0x05, 0x00]);
    }
    tlv(tag::SEQUENCE, &c)
}

fn integer(bytes: &[u8]) -> Vec<u8> {
    tlv(tag::INTEGER, bytes)
}

/// The certificate's serialNumber INTEGER content as stored.
fn serial(cert: &Certificate) -> Result<Vec<u8>, PdfError> {
    hex::decode(cert.serial_hex()).map_err(|e| PdfError::Signing(format!("certificate serial: {e}")))
}

/// The digest algorithm of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    Sha256,
    Sm3,
}

/// What `build_signed_data` needs from a signer.
pub(crate) struct SignedDataParams<'a> {
    pub digest: Digest,
    pub message_digest: &'a [u8],
    pub signer_cert: &'a Certificate,
    pub chain: &'a [Certificate],
    pub signature_alg: &'a str,
    pub signature_alg_null_params: bool,
    pub gm_oids: bool,
    /// signingTime attribute (UTCTime DER), absent for PAdES baseline.
    pub signing_time: Option<Vec<u8>>,
    /// ESS signing-certificate-v2 attribute (PAdES).
    pub signing_certificate_v2: bool,
}

/// Produces the signature value over DER(signedAttrs).
pub(crate) type SignFn<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, PdfError> + 'a;

/// Builds SignedData; `sign` receives DER(signedAttrs as SET OF) and returns the signature value.
pub(crate) fn build_signed_data(p: &SignedDataParams<'_>, sign: &mut SignFn<'_>) -> Result<Vec<u8>, PdfError> {
    let (digest_oid, digest_null) = match p.digest {
        Digest::Sha256 => (OID_SHA256, false),
        Digest::Sm3 => (OID_SM3, false),
    };
    let (data_oid, signed_data_oid) = if p.gm_oids { (OID_GM_DATA, OID_GM_SIGNED_DATA) } else { (OID_DATA, OID_SIGNED_DATA) };
    let attr = |t: &str, value: &[u8]| tlv(tag::SEQUENCE, &cat(&[&oid(t), &tlv(tag::SET, value)]));
    let mut attrs = vec![attr(OID_CONTENT_TYPE, &oid(data_oid)), attr(OID_MESSAGE_DIGEST, &tlv(tag::OCTET_STRING, p.message_digest))];
    if let Some(t) = &p.signing_time {
        attrs.push(attr(OID_SIGNING_TIME, t));
    }
    let issuer_serial = cat(&[p.signer_cert.issuer().der.as_slice(), &integer(&serial(p.signer_cert)?)]);
    if p.signing_certificate_v2 {
        // RFC 5035 §3: ESSCertIDv2 { hashAlgorithm DEFAULT sha256, certHash, issuerSerial }
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(p.signer_cert.der());
        let general_names = tlv(tag::SEQUENCE, &tlv(0xA4, &p.signer_cert.issuer().der));
        let issuer_serial_v2 = tlv(tag::SEQUENCE, &cat(&[&general_names, &integer(&serial(p.signer_cert)?)]));
        let cert_id = tlv(tag::SEQUENCE, &cat(&[&tlv(tag::OCTET_STRING, &hash), &issuer_serial_v2]));
        let value = tlv(tag::SEQUENCE, &tlv(tag::SEQUENCE, &cert_id));
        attrs.push(attr(OID_SIGNING_CERT_V2, &value));
    }
    attrs.sort(); // DER SET OF: ascending encodings (X.690 §11.6)
    let attrs_content = attrs.concat();
    let to_sign = tlv(tag::SET, &attrs_content);
    let signature = sign(&to_sign)?;

    let signer_info = tlv(
        tag::SEQUENCE,
        &cat(&[
            &integer(&[1]),
            &tlv(tag::SEQUENCE, &issuer_serial),
            &alg_id(digest_oid, digest_null),
            &tlv(0xA0, &attrs_content),
            &alg_id(p.signature_alg, p.signature_alg_null_params),
            &tlv(tag::OCTET_STRING, &signature),
        ]),
    );
    let mut certs = vec![p.signer_cert.der().to_vec()];
    for c in p.chain {
        if c.der() != p.signer_cert.der() {
            certs.push(c.der().to_vec());
        }
    }
    let signed_data = tlv(
        tag::SEQUENCE,
        &cat(&[
            &integer(&[1]),
            &tlv(tag::SET, &alg_id(digest_oid, digest_null)),
            &tlv(tag::SEQUENCE, &oid(data_oid)),
            &tlv(0xA0, &certs.concat()),
            &tlv(tag::SET, &signer_info),
        ]),
    );
    Ok(tlv(tag::SEQUENCE, &cat(&[&oid(signed_data_oid), &tlv(0xA0, &signed_data)])))
}

/// A SignerInfo read from a SignedData.
#[derive(Debug, Clone)]
pub struct ParsedCms {
    pub content_type: String,
    pub certificates: Vec<Certificate>,
    pub digest_alg: String,
    pub signature_alg: String,
    /// DER of the signed attributes re-tagged as SET OF (what was signed), if present.
    pub signed_attrs: Option<Vec<u8>>,
    pub message_digest: Option<Vec<u8>>,
    pub attr_content_type: Option<String>,
    pub signing_time: Option<crate::crypto::time::Time>,
    pub has_signing_cert_v2: bool,
    pub signature: Vec<u8>,
    /// issuer Name DER and serial INTEGER content of the signer identifier.
    pub sid_issuer: Vec<u8>,
    pub sid_serial: Vec<u8>,
    pub signer_infos: usize,
}

impl ParsedCms {
    /// The certificate the SignerInfo names.
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.certificates
            .iter()
            .find(|c| c.issuer().der == self.sid_issuer && hex::decode(c.serial_hex()).ok().as_deref() == Some(self.sid_serial.as_slice()))
    }
}

/// True when `der` starts like a ContentInfo of SignedData (either OID set).
pub fn looks_like_cms(der: &[u8]) -> bool {
    let Ok(outer) = crate::asn1::Reader::new(der).read("ContentInfo") else { return false };
    let Ok(mut r) = outer.sequence("ContentInfo").map(|v| v.into_iter()) else { return false };
    matches!(r.next().map(|t| t.oid("contentType")), Some(Ok(o)) if o == OID_SIGNED_DATA || o == OID_GM_SIGNED_DATA)
}

/// Parses a ContentInfo(SignedData) with exactly one SignerInfo considered (the first).
pub fn parse(der: &[u8]) -> Result<ParsedCms, PdfError> {
    let bad = |e: crate::asn1::Asn1Error| PdfError::Cms(e.to_string());
    let outer = crate::asn1::Reader::new(der).read("ContentInfo").map_err(bad)?;
    let ci = outer.sequence("ContentInfo").map_err(bad)?;
    let (Some(ct), Some(explicit)) = (ci.first(), ci.get(1)) else { return Err(PdfError::Cms("ContentInfo needs 2 fields".into())) };
    let content_type = ct.oid("contentType").map_err(bad)?;
    if content_type != OID_SIGNED_DATA && content_type != OID_GM_SIGNED_DATA {
        return Err(PdfError::Cms(format!("content type {content_type} is not SignedData")));
    }
    let sd_tlv = explicit.children().read("SignedData").map_err(bad)?;
    let sd = sd_tlv.sequence("SignedData").map_err(bad)?;
    let mut it = sd.into_iter();
    let _version = it.next();
    let _digest_algs = it.next();
    let _encap = it.next();
    let mut certificates = Vec::new();
    let mut signer_infos = None;
    for t in it {
        match t.tag {
            0xA0 => {
                for c in t.children().all("certificates").map_err(bad)? {
                    if c.tag == tag::SEQUENCE
                        && let Ok(cert) = Certificate::from_der(c.raw)
                    {
                        certificates.push(cert);
                    }
                }
            }
            0xA1 => {}
            tag::SET => signer_infos = Some(t),
            _ => {}
        }
    }
    let sis = signer_infos.ok_or_else(|| PdfError::Cms("no signerInfos".into()))?.children().all("signerInfos").map_err(bad)?;
    let count = sis.len();
    let si = sis.first().ok_or_else(|| PdfError::Cms("no SignerInfo".into()))?.sequence("SignerInfo").map_err(bad)?;
    let mut it = si.into_iter();
    let _v = it.next();
    let sid = it.next().ok_or_else(|| PdfError::Cms("SignerInfo without sid".into()))?;
    let (sid_issuer, sid_serial) = if sid.tag == tag::SEQUENCE {
        let f = sid.sequence("IssuerAndSerialNumber").map_err(bad)?;
        match (f.first(), f.get(1)) {
            (Some(i), Some(s)) => (i.raw.to_vec(), s.content.to_vec()),
            _ => return Err(PdfError::Cms("IssuerAndSerialNumber needs 2 fields".into())),
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let digest_alg = it.next().ok_or_else(|| PdfError::Cms("no digestAlgorithm".into()))?.sequence("AlgorithmIdentifier").map_err(bad)?;
    let digest_alg = digest_alg.first().ok_or_else(|| PdfError::Cms("empty AlgorithmIdentifier".into()))?.oid("digestAlgorithm").map_err(bad)?;
    let mut next = it.next().ok_or_else(|| PdfError::Cms("SignerInfo truncated".into()))?;
    let mut parsed = ParsedCms {
        content_type,
        certificates,
        digest_alg,
        signature_alg: String::new(),
        signed_attrs: None,
        message_digest: None,
        attr_content_type: None,
        signing_time: None,
        has_signing_cert_v2: false,
        signature: Vec::new(),
        sid_issuer,
        sid_serial,
        signer_infos: count,
    };
    if next.tag == 0xA0 {
        // RFC 5652 §5.4: the signature is over the DER of the attributes with a SET OF tag.
        parsed.signed_attrs = Some(tlv(tag::SET, next.content));
        for a in next.children().all("signedAttrs").map_err(bad)? {
            let f = a.sequence("Attribute").map_err(bad)?;
            let (Some(t), Some(vals)) = (f.first(), f.get(1)) else { continue };
            let t = t.oid("attrType").map_err(bad)?;
            let first = vals.children().all("attrValues").map_err(bad)?.into_iter().next();
            match (t.as_str(), first) {
                (OID_MESSAGE_DIGEST, Some(v)) => parsed.message_digest = Some(v.octet_string("messageDigest").map_err(bad)?.to_vec()),
                (OID_CONTENT_TYPE, Some(v)) => parsed.attr_content_type = Some(v.oid("contentType").map_err(bad)?),
                (OID_SIGNING_TIME, Some(v)) => parsed.signing_time = crate::crypto::time::Time::from_asn1(&v).ok().map(|(t, _)| t),
                (OID_SIGNING_CERT_V2, Some(_)) => parsed.has_signing_cert_v2 = true,
                _ => {}
            }
        }
        next = it.next().ok_or_else(|| PdfError::Cms("SignerInfo truncated".into()))?;
    }
    let sig_alg = next.sequence("signatureAlgorithm").map_err(bad)?;
    parsed.signature_alg = sig_alg.first().ok_or_else(|| PdfError::Cms("empty signatureAlgorithm".into()))?.oid("signatureAlgorithm").map_err(bad)?;
    parsed.signature = it.next().ok_or_else(|| PdfError::Cms("no signature value".into()))?.octet_string("signature").map_err(bad)?.to_vec();
    Ok(parsed)
}

/// The name of a digest OID, if eseal can compute it.
pub fn digest_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        OID_SHA256 => "SHA-256",
        OID_SHA384 => "SHA-384",
        OID_SHA512 => "SHA-512",
        OID_SHA1 => "SHA-1",
        OID_SM3 => "SM3",
        _ => return None,
    })
}
