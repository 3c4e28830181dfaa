//! CMS SignedData (RFC 5652 §5; GB/T 35275 / GM/T 0010 for SM2), written and read by hand
//! over the crate's lenient BER/DER reader. One parser, one builder and one SignerInfo check
//! serve OFD `Type="Sign"` signatures (detached over Signature.xml) and PDF signatures
//! (PAdES ETSI EN 319 142-1, SM2 CMS with PKCS#7 or GM/T 0010 OIDs).
//!
//! ```asn1
//! ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
//! SignedData  ::= SEQUENCE { version INTEGER, digestAlgorithms SET OF AlgorithmIdentifier,
//!                            encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL },
//!                            certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//!                            crls [1] IMPLICIT ... OPTIONAL, signerInfos SET OF SignerInfo }
//! SignerInfo  ::= SEQUENCE { version INTEGER,
//!                            sid CHOICE { issuerAndSerialNumber SEQUENCE { issuer Name, serial INTEGER },
//!                                         subjectKeyIdentifier [0] IMPLICIT OCTET STRING },
//!                            digestAlgorithm AlgorithmIdentifier, signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
//!                            signatureAlgorithm AlgorithmIdentifier, signature OCTET STRING, ... }
//! ```
//! BER (indefinite lengths, constructed OCTET STRINGs) is accepted on reading (easyofd-java);
//! writing is DER.

use crate::asn1::{Asn1Error, Tlv, header, octet_string_content, tag};
use crate::crypto::time::Time;
use crate::crypto::{Certificate, CryptoError};

/// PKCS #7 data / signedData (RFC 5652 §4, §5).
pub const OID_DATA: &str = "1.2.840.113549.1.7.1";
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// GM/T 0010 §7 (GB/T 35275): data and signedData.
pub const OID_GM_DATA: &str = "1.2.156.10197.6.1.4.2.1";
pub const OID_GM_SIGNED_DATA: &str = "1.2.156.10197.6.1.4.2.2";
/// Signed attributes (RFC 5652 §11; RFC 5035 for signing-certificate-v2).
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
pub const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
pub const OID_SIGNING_CERT_V2: &str = "1.2.840.113549.1.9.16.2.47";
/// id-aa-signatureTimeStampToken, an unsigned attribute (RFC 3161 Appendix A; PAdES B-T).
pub const OID_SIGNATURE_TIME_STAMP: &str = "1.2.840.113549.1.9.16.2.14";
/// Digest algorithms.
pub const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
pub const OID_SHA1: &str = "1.3.14.3.2.26";
pub const OID_SM3: &str = "1.2.156.10197.1.401";
/// Signature algorithms.
pub const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
pub const OID_RSA: &str = "1.2.840.113549.1.1.1";
pub const OID_RSA_SHA256: &str = "1.2.840.113549.1.1.11";
pub const OID_RSA_SHA384: &str = "1.2.840.113549.1.1.12";
pub const OID_RSA_SHA512: &str = "1.2.840.113549.1.1.13";
pub use crate::crypto::sm2::{OID_SM2_CURVE, OID_SM2_SIGN, OID_SM2_WITH_SM3 as OID_SM2_SM3};
const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";

/// Errors of the cms room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    #[error("{0}")]
    Asn1(#[from] Asn1Error),
    #[error("content type {0} is not signedData")]
    NotSignedData(String),
    #[error("{0}")]
    Malformed(String),
    #[error("certificate: {0}")]
    Certificate(String),
}

/// Which OIDs an SM2 SignedData uses (both are in use in China).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sm2CmsOids {
    /// PKCS#7 content types, SM2-with-SM3 `1.2.156.10197.1.501` (iText/BouncyCastle forks).
    Pkcs7,
    /// GM/T 0010 content types `1.2.156.10197.6.1.4.2.*`, SM2 `1.2.156.10197.1.301.1`.
    GmT0010,
}

impl Sm2CmsOids {
    /// The content types (data, signedData) of this OID set.
    pub fn content_types(self) -> ContentTypes {
        match self {
            Sm2CmsOids::Pkcs7 => ContentTypes::Pkcs7,
            Sm2CmsOids::GmT0010 => ContentTypes::GmT0010,
        }
    }
    /// The SM2 signatureAlgorithm of this OID set.
    pub fn signature_alg(self) -> &'static str {
        match self {
            Sm2CmsOids::Pkcs7 => OID_SM2_SM3,
            Sm2CmsOids::GmT0010 => OID_SM2_SIGN,
        }
    }
}

/// The data / signedData content types written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentTypes {
    Pkcs7,
    GmT0010,
}

impl ContentTypes {
    fn data(self) -> &'static str {
        if self == ContentTypes::GmT0010 {
            OID_GM_DATA
        } else {
            OID_DATA
        }
    }
    fn signed_data(self) -> &'static str {
        if self == ContentTypes::GmT0010 {
            OID_GM_SIGNED_DATA
        } else {
            OID_SIGNED_DATA
        }
    }
}

/// The digest of the concatenation of `parts` with the digest algorithm `oid`, when eseal can
/// compute it.
pub fn digest(oid: &str, parts: &[&[u8]]) -> Option<Vec<u8>> {
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        d.finalize().to_vec()
    }
    Some(match oid {
        OID_SHA256 => run::<sha2::Sha256>(parts),
        OID_SHA384 => run::<sha2::Sha384>(parts),
        OID_SHA512 => run::<sha2::Sha512>(parts),
        OID_SHA1 => run::<sha1::Sha1>(parts),
        OID_SM3 => crate::crypto::sm3::sm3(&parts.concat()).to_vec(),
        _ => return None,
    })
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

// ---------------------------------------------------------------------------------------
// Reading

/// A parsed ContentInfo(SignedData).
#[derive(Debug, Clone)]
pub struct SignedData {
    /// The ContentInfo contentType (PKCS #7 or GM/T 0010 signedData).
    pub content_type: String,
    /// encapContentInfo.eContentType.
    pub econtent_type: String,
    pub certificates: Vec<Certificate>,
    pub signers: Vec<SignerInfo>,
    /// Encapsulated content, when not detached.
    pub content: Option<Vec<u8>>,
    /// Some element used BER indefinite lengths.
    pub ber: bool,
}

/// One SignerInfo.
#[derive(Debug, Clone)]
pub struct SignerInfo {
    /// issuerAndSerialNumber: the issuer Name DER and the serial INTEGER content (empty for a
    /// subjectKeyIdentifier sid).
    pub issuer_der: Vec<u8>,
    pub serial: Vec<u8>,
    /// subjectKeyIdentifier sid.
    pub subject_key_id: Option<Vec<u8>>,
    pub digest_alg: String,
    /// What the signature covers: the signed attributes' original bytes re-tagged `[0]` → SET
    /// (RFC 5652 §5.4; an indefinite-length header is re-encoded definite).
    pub signed_attrs: Option<Vec<u8>>,
    pub message_digest: Option<Vec<u8>>,
    /// The content-type signed attribute.
    pub attr_content_type: Option<String>,
    pub signing_time: Option<Time>,
    pub has_signing_cert_v2: bool,
    pub signature_alg: String,
    pub signature: Vec<u8>,
    /// The signature-time-stamp unsigned attribute: a token over `signature` (RFC 3161
    /// Appendix A), the first when there are several.
    pub signature_timestamp: Option<Vec<u8>>,
}

/// The contentType of `bytes` when they read as one ContentInfo-shaped element (a SEQUENCE
/// whose first element is an OID).
pub fn content_type(bytes: &[u8]) -> Option<String> {
    Tlv::parse_exact(bytes, "ContentInfo")
        .ok()
        .and_then(|t| t.children().read("contentType").ok())
        .and_then(|o| o.oid("contentType").ok())
}

/// True when `bytes` are a ContentInfo of SignedData (either OID set).
pub fn looks_like_signed_data(bytes: &[u8]) -> bool {
    content_type(bytes).is_some_and(|o| o == OID_SIGNED_DATA || o == OID_GM_SIGNED_DATA)
}

/// Parses a ContentInfo holding SignedData (BER tolerated).
pub fn parse(bytes: &[u8]) -> Result<SignedData, CmsError> {
    let top = Tlv::parse_exact(bytes, "ContentInfo")?.expect(tag::SEQUENCE, "ContentInfo")?;
    let mut ber = top.indefinite;
    let mut r = top.children();
    let content_type = r.read("contentType")?.oid("contentType")?;
    if content_type != OID_GM_SIGNED_DATA && content_type != OID_SIGNED_DATA {
        return Err(CmsError::NotSignedData(content_type));
    }
    let wrapper = r
        .read("[0] content")?
        .expect(tag::context(0), "[0] content")?;
    ber |= wrapper.indefinite;
    let sd = wrapper
        .children()
        .read("SignedData")?
        .expect(tag::SEQUENCE, "SignedData")?;
    ber |= sd.indefinite;
    let mut f = sd.children();
    f.read("version")?;
    f.read("digestAlgorithms")?;
    let eci = f.read("encapContentInfo")?;
    let mut ec = eci.children();
    let econtent_type = ec.read("eContentType")?.oid("eContentType")?;
    let content = match ec.read_optional(tag::context(0), "eContent")? {
        Some(w) => Some(octet_string_content(
            &w.children().read("eContent")?,
            "eContent",
        )?),
        None => None,
    };
    let mut certificates = Vec::new();
    if let Some(cs) = f.read_optional(tag::context(0), "certificates")? {
        for c in cs.children().all("certificate")? {
            // Other certificate choices (attribute certificates, ...) are skipped.
            if c.tag == tag::SEQUENCE {
                certificates.push(
                    Certificate::from_der(c.raw)
                        .map_err(|x| CmsError::Certificate(format!("in SignedData: {x}")))?,
                );
            }
        }
    }
    f.read_optional(tag::context(1), "crls")?;
    let infos = f.read("signerInfos")?.expect(tag::SET, "signerInfos")?;
    let signers = infos
        .children()
        .all("SignerInfo")?
        .iter()
        .map(parse_signer_info)
        .collect::<Result<Vec<_>, _>>()?;
    if signers.is_empty() {
        return Err(CmsError::Malformed("SignedData has no SignerInfo".into()));
    }
    Ok(SignedData {
        content_type,
        econtent_type,
        certificates,
        signers,
        content,
        ber,
    })
}

fn alg_oid(t: &Tlv<'_>, what: &'static str) -> Result<String, CmsError> {
    Ok(t.expect(tag::SEQUENCE, what)?
        .children()
        .read(what)?
        .oid(what)?)
}

fn parse_signer_info(si: &Tlv<'_>) -> Result<SignerInfo, CmsError> {
    let mut f = si.expect(tag::SEQUENCE, "SignerInfo")?.children();
    f.read("version")?;
    let sid = f.read("sid")?;
    let (issuer_der, serial, subject_key_id) = match sid.tag {
        tag::SEQUENCE => {
            let mut s = sid.children();
            let issuer = s.read("issuer")?;
            let serial = s.read("serialNumber")?;
            (issuer.raw.to_vec(), serial.content.to_vec(), None)
        }
        t if t == tag::context_primitive(0) => (Vec::new(), Vec::new(), Some(sid.content.to_vec())),
        _ => (Vec::new(), Vec::new(), None),
    };
    let digest_alg = alg_oid(&f.read("digestAlgorithm")?, "digestAlgorithm")?;
    let mut out = SignerInfo {
        issuer_der,
        serial,
        subject_key_id,
        digest_alg,
        signed_attrs: None,
        message_digest: None,
        attr_content_type: None,
        signing_time: None,
        has_signing_cert_v2: false,
        signature_alg: String::new(),
        signature: Vec::new(),
        signature_timestamp: None,
    };
    if let Some(a) = f.read_optional(tag::context(0), "signedAttrs")? {
        // RFC 5652 §5.4: the signature covers the attributes with the SET OF tag.
        out.signed_attrs = Some(if a.indefinite {
            [header(tag::SET, a.content.len()), a.content.to_vec()].concat()
        } else {
            [&[tag::SET][..], &a.raw[1..]].concat()
        });
        for attr in a.children().all("Attribute")? {
            let mut ar = attr.expect(tag::SEQUENCE, "Attribute")?.children();
            let oid = ar.read("attrType")?.oid("attrType")?;
            let Some(v) = ar
                .read("attrValues")?
                .children()
                .all("attrValues")?
                .into_iter()
                .next()
            else {
                continue;
            };
            match oid.as_str() {
                OID_MESSAGE_DIGEST => {
                    out.message_digest = Some(octet_string_content(&v, "messageDigest")?)
                }
                OID_CONTENT_TYPE => out.attr_content_type = Some(v.oid("contentType")?),
                OID_SIGNING_TIME => out.signing_time = Time::from_asn1(&v).ok().map(|x| x.0),
                OID_SIGNING_CERT_V2 => out.has_signing_cert_v2 = true,
                _ => {}
            }
        }
    }
    out.signature_alg = alg_oid(&f.read("signatureAlgorithm")?, "signatureAlgorithm")?;
    out.signature = octet_string_content(&f.read("signature")?, "signature")?;
    if let Some(u) = f.read_optional(tag::context(1), "unsignedAttrs")? {
        for attr in u.children().all("Attribute")? {
            let mut ar = attr.expect(tag::SEQUENCE, "Attribute")?.children();
            let oid = ar.read("attrType")?.oid("attrType")?;
            let values = ar.read("attrValues")?.children().all("attrValues")?;
            if oid == OID_SIGNATURE_TIME_STAMP && out.signature_timestamp.is_none() {
                out.signature_timestamp = values.first().map(|v| v.raw.to_vec());
            }
        }
    }
    Ok(out)
}

fn trim_int(b: &[u8]) -> &[u8] {
    let n = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[n..]
}

/// The subjectKeyIdentifier extension value of a certificate.
fn subject_key_id(c: &Certificate) -> Option<&[u8]> {
    let (_, _, v) = c
        .extensions()
        .iter()
        .find(|(o, _, _)| o == OID_SUBJECT_KEY_ID)?;
    Tlv::parse_exact(v, "SubjectKeyIdentifier")
        .ok()?
        .octet_string("SubjectKeyIdentifier")
        .ok()
}

impl SignerInfo {
    /// The signer's certificate among `pool`: by issuer and serial number (serials compared
    /// as magnitudes, real files pad them both ways), or by subjectKeyIdentifier.
    pub fn find_cert<'a>(&self, pool: &'a [Certificate]) -> Option<&'a Certificate> {
        pool.iter().find(|c| match &self.subject_key_id {
            Some(ski) => subject_key_id(c) == Some(ski.as_slice()),
            None => {
                !self.issuer_der.is_empty()
                    && c.issuer().der == self.issuer_der
                    && hex::decode(c.serial_hex())
                        .is_ok_and(|s| trim_int(&s) == trim_int(&self.serial))
            }
        })
    }

    /// messageDigest against `digest`, the caller's digest of the content with `digest_alg`
    /// (`None` when it cannot compute it).
    pub fn check_digest(&self, digest: Option<&[u8]>) -> DigestCheck {
        match (digest, &self.message_digest, &self.signed_attrs) {
            (None, _, _) => DigestCheck::Unsupported,
            (Some(d), Some(md), _) if md.as_slice() == d => DigestCheck::Matches,
            (Some(_), Some(_), _) => DigestCheck::Differs,
            (Some(_), None, Some(_)) => DigestCheck::Missing,
            (Some(_), None, None) => DigestCheck::NoSignedAttributes,
        }
    }

    /// The signature algorithm to verify with: a bare rsaEncryption is completed by the
    /// digest algorithm (RFC 3370 §3.2).
    pub fn effective_signature_alg(&self) -> String {
        match (self.signature_alg.as_str(), self.digest_alg.as_str()) {
            (OID_RSA, OID_SHA256) => OID_RSA_SHA256.into(),
            (OID_RSA, OID_SHA384) => OID_RSA_SHA384.into(),
            (OID_RSA, OID_SHA512) => OID_RSA_SHA512.into(),
            (a, _) => a.into(),
        }
    }
}

/// How messageDigest compares with the digest the caller computed over the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestCheck {
    Matches,
    Differs,
    /// Signed attributes without a messageDigest attribute.
    Missing,
    /// No signed attributes: the signature is directly over the content.
    NoSignedAttributes,
    /// The caller could not compute the digest (unsupported digestAlgorithm).
    Unsupported,
}

/// The outcome of [`verify_signer`].
#[derive(Debug)]
pub struct SignerVerification {
    pub digest: DigestCheck,
    /// The algorithm the signature was verified with ([`SignerInfo::effective_signature_alg`]).
    pub signature_alg: String,
    pub signature: Result<(), CryptoError>,
}

/// Verifies one SignerInfo with the signer's certificate: messageDigest against `digest`
/// (the caller's digest of the content with `si.digest_alg`, `None` when it cannot compute
/// it), and the signature over the re-tagged signed attributes, or over the content
/// (`content`, the concatenation of its parts) when there are none.
pub fn verify_signer(
    si: &SignerInfo,
    cert: &Certificate,
    digest: Option<&[u8]>,
    content: &[&[u8]],
) -> SignerVerification {
    let digest_check = si.check_digest(digest);
    let signed = si.signed_attrs.clone().unwrap_or_else(|| content.concat());
    let alg = si.effective_signature_alg();
    let signature =
        crate::crypto::cert::verify_with_key(cert.public_key(), &alg, &signed, &si.signature);
    SignerVerification {
        digest: digest_check,
        signature_alg: alg,
        signature,
    }
}

// ---------------------------------------------------------------------------------------
// Writing

fn tlv(t: u8, content: &[u8]) -> Vec<u8> {
    let mut v = header(t, content.len());
    v.extend_from_slice(content);
    v
}

/// DER of an OBJECT IDENTIFIER in dotted form (eseal's own constants).
fn oid(dotted: &str) -> Vec<u8> {
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
        c.extend_from_slice(&[tag::NULL, 0x00]);
    }
    tlv(tag::SEQUENCE, &c)
}

/// Produces the signature value over DER(signedAttrs as SET OF).
pub type SignFn<'a, E> = dyn FnMut(&[u8]) -> Result<Vec<u8>, E> + 'a;

/// What [`build`] writes: a detached SignedData with one SignerInfo.
#[derive(Debug, Clone)]
pub struct BuildParams<'a> {
    /// digestAlgorithm OID (no parameters).
    pub digest_alg: &'a str,
    /// messageDigest: the digest of the detached content with `digest_alg`.
    pub message_digest: &'a [u8],
    pub signer_cert: &'a Certificate,
    /// Further certificates written after the signer's.
    pub chain: &'a [Certificate],
    pub signature_alg: &'a str,
    /// signatureAlgorithm with NULL parameters (RSA).
    pub signature_alg_null_params: bool,
    /// PKCS #7 or GM/T 0010 data / signedData.
    pub content_types: ContentTypes,
    /// signingTime attribute (absent for PAdES baseline).
    pub signing_time: Option<Time>,
    /// ESS signing-certificate-v2 attribute (PAdES, RFC 3161 tokens).
    pub signing_certificate_v2: bool,
    /// An encapsulated content (eContentType, eContent) instead of a detached `data`: the
    /// TSTInfo of an RFC 3161 token (§2.4.2). The content-type attribute names it too.
    pub encapsulated: Option<(&'a str, &'a [u8])>,
}

impl<'a> BuildParams<'a> {
    /// A detached SM2 SignedData (GB/T 35275 signedData): SM3 digestAlgorithm, SM2 signature and
    /// content types of the OID set `oids`, a signingTime, no further certificates. The PDF
    /// (`adbe.pkcs7.detached` with SM2) and OFD (`Type="Sign"`) signatures share it.
    pub fn sm2(
        oids: Sm2CmsOids,
        message_digest: &'a [u8],
        signer_cert: &'a Certificate,
        signing_time: Time,
    ) -> Self {
        BuildParams {
            digest_alg: OID_SM3,
            message_digest,
            signer_cert,
            chain: &[],
            signature_alg: oids.signature_alg(),
            signature_alg_null_params: false,
            content_types: oids.content_types(),
            signing_time: Some(signing_time),
            signing_certificate_v2: false,
            encapsulated: None,
        }
    }
}

/// Builds ContentInfo(SignedData) for a detached content; `sign` receives the DER of the
/// signed attributes as SET OF (RFC 5652 §5.4) and returns the signature value.
pub fn build<E: From<CmsError>>(
    p: &BuildParams<'_>,
    sign: &mut SignFn<'_, E>,
) -> Result<Vec<u8>, E> {
    let serial = hex::decode(p.signer_cert.serial_hex())
        .map_err(|e| CmsError::Certificate(format!("serial: {e}")))?;
    let serial = tlv(tag::INTEGER, &serial);
    let issuer = &p.signer_cert.issuer().der;
    let data_oid = p.encapsulated.map_or(p.content_types.data(), |(t, _)| t);
    let attr = |t: &str, value: &[u8]| tlv(tag::SEQUENCE, &[oid(t), tlv(tag::SET, value)].concat());
    let mut attrs = vec![
        attr(OID_CONTENT_TYPE, &oid(data_oid)),
        attr(
            OID_MESSAGE_DIGEST,
            &tlv(tag::OCTET_STRING, p.message_digest),
        ),
    ];
    if let Some(t) = p.signing_time {
        attrs.push(attr(OID_SIGNING_TIME, &t.to_der_utc()));
    }
    if p.signing_certificate_v2 {
        // RFC 5035 §3: ESSCertIDv2 { hashAlgorithm DEFAULT sha256, certHash, issuerSerial }
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(p.signer_cert.der());
        let general_names = tlv(tag::SEQUENCE, &tlv(tag::context(4), issuer));
        let issuer_serial_v2 = tlv(tag::SEQUENCE, &[general_names, serial.clone()].concat());
        let cert_id = tlv(
            tag::SEQUENCE,
            &[tlv(tag::OCTET_STRING, &hash), issuer_serial_v2].concat(),
        );
        attrs.push(attr(
            OID_SIGNING_CERT_V2,
            &tlv(tag::SEQUENCE, &tlv(tag::SEQUENCE, &cert_id)),
        ));
    }
    attrs.sort(); // DER SET OF: ascending encodings (X.690 §11.6)
    let attrs_content = attrs.concat();
    let signature = sign(&tlv(tag::SET, &attrs_content))?;

    let digest_alg = alg_id(p.digest_alg, false);
    let version = tlv(tag::INTEGER, &[1]);
    // RFC 5652 §5.1: version 3 when eContentType is not id-data.
    let sd_version = tlv(
        tag::INTEGER,
        &[if p.encapsulated.is_some() { 3 } else { 1 }],
    );
    let encap = match p.encapsulated {
        Some((t, content)) => [
            oid(t),
            tlv(tag::context(0), &tlv(tag::OCTET_STRING, content)),
        ]
        .concat(),
        None => oid(data_oid),
    };
    let signer_info = tlv(
        tag::SEQUENCE,
        &[
            version.clone(),
            tlv(tag::SEQUENCE, &[issuer.as_slice(), &serial].concat()),
            digest_alg.clone(),
            tlv(tag::context(0), &attrs_content),
            alg_id(p.signature_alg, p.signature_alg_null_params),
            tlv(tag::OCTET_STRING, &signature),
        ]
        .concat(),
    );
    let mut certs = p.signer_cert.der().to_vec();
    for c in p.chain.iter().filter(|c| c.der() != p.signer_cert.der()) {
        certs.extend_from_slice(c.der());
    }
    let signed_data = tlv(
        tag::SEQUENCE,
        &[
            sd_version,
            tlv(tag::SET, &digest_alg),
            tlv(tag::SEQUENCE, &encap),
            tlv(tag::context(0), &certs),
            tlv(tag::SET, &signer_info),
        ]
        .concat(),
    );
    Ok(tlv(
        tag::SEQUENCE,
        &[
            oid(p.content_types.signed_data()),
            tlv(tag::context(0), &signed_data),
        ]
        .concat(),
    ))
}

/// `der` (a ContentInfo(SignedData) this module built, one SignerInfo) with the unsigned
/// attribute `attr_oid` = `value` added to its SignerInfo (RFC 5652 §5.3 unsignedAttrs
/// `[1] IMPLICIT SET OF Attribute`): the signature-time-stamp of PAdES B-T.
pub fn add_unsigned_attribute(
    der: &[u8],
    attr_oid: &str,
    value: &[u8],
) -> Result<Vec<u8>, CmsError> {
    let ci = Tlv::parse_exact(der, "ContentInfo")?.sequence("ContentInfo")?;
    let (Some(ct), Some(wrapper)) = (ci.first(), ci.get(1)) else {
        return Err(CmsError::Malformed("ContentInfo without content".into()));
    };
    let sd = wrapper
        .children()
        .read("SignedData")?
        .sequence("SignedData")?;
    let Some((infos, head)) = sd.split_last() else {
        return Err(CmsError::Malformed("empty SignedData".into()));
    };
    let signers = infos
        .expect(tag::SET, "signerInfos")?
        .children()
        .all("SignerInfo")?;
    if signers.len() != 1 {
        return Err(CmsError::Malformed(format!(
            "{} SignerInfos; one expected",
            signers.len()
        )));
    }
    let fields = signers[0].sequence("SignerInfo")?;
    if fields.iter().any(|f| f.tag == tag::context(1)) {
        return Err(CmsError::Malformed(
            "the SignerInfo already has unsigned attributes".into(),
        ));
    }
    let attr = tlv(
        tag::SEQUENCE,
        &[oid(attr_oid), tlv(tag::SET, value)].concat(),
    );
    let mut si: Vec<u8> = fields.iter().flat_map(|f| f.raw.iter().copied()).collect();
    si.extend(tlv(tag::context(1), &attr));
    let mut body: Vec<u8> = head.iter().flat_map(|f| f.raw.iter().copied()).collect();
    body.extend(tlv(tag::SET, &tlv(tag::SEQUENCE, &si)));
    Ok(tlv(
        tag::SEQUENCE,
        &[
            ct.raw.to_vec(),
            tlv(tag::context(0), &tlv(tag::SEQUENCE, &body)),
        ]
        .concat(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Signer;
    use crate::crypto::sm3::sm3;
    use crate::crypto::testca::TestCa;

    fn sm2_params<'a>(
        cert: &'a Certificate,
        md: &'a [u8],
        oids: Sm2CmsOids,
        t: Option<Time>,
    ) -> BuildParams<'a> {
        BuildParams {
            digest_alg: OID_SM3,
            message_digest: md,
            signer_cert: cert,
            chain: &[],
            signature_alg: oids.signature_alg(),
            signature_alg_null_params: false,
            content_types: oids.content_types(),
            signing_time: t,
            signing_certificate_v2: false,
            encapsulated: None,
        }
    }

    #[test]
    fn built_signed_data_parses_and_verifies() {
        let ca = TestCa::new("cms").unwrap();
        let s = ca.person.signer();
        let t = Time::from_ymd_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let md = sm3(b"<Signature/>");
        for oids in [Sm2CmsOids::Pkcs7, Sm2CmsOids::GmT0010] {
            let p = sm2_params(s.certificate(), &md, oids, Some(t));
            let der = build(&p, &mut |m: &[u8]| {
                s.sign_message(m)
                    .map(|x| x.to_der())
                    .map_err(|e| CmsError::Malformed(e.to_string()))
            })
            .unwrap();
            assert!(looks_like_signed_data(&der));
            let sd = parse(&der).unwrap();
            assert_eq!(sd.content_type, oids.content_types().signed_data());
            assert_eq!(sd.econtent_type, oids.content_types().data());
            assert!(!sd.ber);
            let si = &sd.signers[0];
            assert_eq!(si.message_digest.as_deref(), Some(&md[..]));
            assert_eq!(
                si.attr_content_type.as_deref(),
                Some(oids.content_types().data())
            );
            assert_eq!(si.signing_time, Some(t));
            assert_eq!(si.signature_alg, oids.signature_alg());
            let cert = si
                .find_cert(&sd.certificates)
                .expect("signer cert found by issuer+serial");
            let v = verify_signer(si, cert, Some(&md), &[]);
            assert_eq!(v.digest, DigestCheck::Matches);
            v.signature.unwrap();
            let other = sm3(b"<Signature changed/>");
            assert_eq!(
                verify_signer(si, cert, Some(&other), &[]).digest,
                DigestCheck::Differs
            );
            assert!(parse(&der[..der.len() - 1]).is_err());
        }
    }

    #[test]
    fn ber_indefinite_lengths_and_ski_sid() {
        let ca = TestCa::new("cms-ber").unwrap();
        let s = ca.person.signer();
        let md = sm3(b"x");
        let der = build(
            &sm2_params(s.certificate(), &md, Sm2CmsOids::GmT0010, None),
            &mut |m: &[u8]| {
                s.sign_message(m)
                    .map(|x| x.to_der())
                    .map_err(|e| CmsError::Malformed(e.to_string()))
            },
        )
        .unwrap();
        // Re-encode ContentInfo and the [0] wrapper with indefinite lengths.
        let ci = Tlv::parse_exact(&der, "ci").unwrap();
        let kids = ci.children().all("ci").unwrap();
        let inner = kids[1].content;
        let ber = [
            &[0x30, 0x80][..],
            kids[0].raw,
            &[0xA0, 0x80],
            inner,
            &[0, 0, 0, 0],
        ]
        .concat();
        let sd = parse(&ber).unwrap();
        assert!(sd.ber);
        let si = &sd.signers[0];
        let cert = si.find_cert(&sd.certificates).unwrap();
        verify_signer(si, cert, Some(&md), &[]).signature.unwrap();
        // The signer found by subjectKeyIdentifier when the certificate has one.
        if let Some(ski) = subject_key_id(cert) {
            let mut by_ski = si.clone();
            by_ski.subject_key_id = Some(ski.to_vec());
            assert!(by_ski.find_cert(&sd.certificates).is_some());
            by_ski.subject_key_id = Some(vec![0; 20]);
            assert!(by_ski.find_cert(&sd.certificates).is_none());
        }
    }

    #[test]
    fn non_signed_data_is_refused() {
        let der = tlv(
            tag::SEQUENCE,
            &[
                oid(OID_DATA),
                tlv(tag::context(0), &tlv(tag::OCTET_STRING, b"x")),
            ]
            .concat(),
        );
        assert_eq!(content_type(&der).as_deref(), Some(OID_DATA));
        assert!(!looks_like_signed_data(&der));
        assert!(matches!(parse(&der), Err(CmsError::NotSignedData(_))));
    }
}
