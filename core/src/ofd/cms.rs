//! GB/T 35275 (SM2 cryptographic message syntax) SignedData, as `Type="Sign"` OFD signatures
//! carry it (ses-ofd-spec §2.8 step 4): detached over the Signature.xml bytes, signed
//! attributes with `messageDigest = SM3(Signature.xml)`, the signature over the DER of the
//! signed attributes re-tagged as SET. BER with indefinite lengths is accepted (easyofd-java).
//!
//! ```asn1
//! ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
//! SignedData  ::= SEQUENCE { version INTEGER, digestAlgorithms SET OF AlgorithmIdentifier,
//!                            contentInfo ContentInfo, certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//!                            crls [1] IMPLICIT ... OPTIONAL, signerInfos SET OF SignerInfo }
//! SignerInfo  ::= SEQUENCE { version INTEGER, issuerAndSerialNumber SEQUENCE { issuer Name, serial INTEGER },
//!                            digestAlgorithm AlgorithmIdentifier, authenticatedAttributes [0] IMPLICIT SET OF Attribute OPTIONAL,
//!                            digestEncryptionAlgorithm AlgorithmIdentifier, encryptedDigest OCTET STRING, ... }
//! ```

use crate::asn1::{Tlv, header, octet_string_content, tag};
use crate::crypto::sm3::sm3;
use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer, SignerError};

/// GB/T 35275 signedData / data, and their PKCS #7 counterparts.
pub const OID_GM_SIGNED_DATA: &str = "1.2.156.10197.6.1.4.2.2";
pub const OID_GM_DATA: &str = "1.2.156.10197.6.1.4.2.1";
pub const OID_PKCS7_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
pub const OID_PKCS7_DATA: &str = "1.2.840.113549.1.7.1";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const OID_SM2_SIGN: &str = "1.2.156.10197.1.301.1";
const OID_SM3: &str = "1.2.156.10197.1.401";

/// A parsed SignedData with one or more signers.
#[derive(Debug, Clone)]
pub struct SignedData {
    pub content_type: String,
    pub certificates: Vec<Certificate>,
    pub signers: Vec<SignerInfo>,
    /// Encapsulated content, when not detached.
    pub content: Option<Vec<u8>>,
    pub ber: bool,
}

/// One SignerInfo.
#[derive(Debug, Clone)]
pub struct SignerInfo {
    pub serial: Vec<u8>,
    pub issuer_der: Vec<u8>,
    pub digest_alg: String,
    /// The bytes the signature covers: the signed attributes as `SET` (DER header).
    pub signed_attrs: Option<Vec<u8>>,
    pub message_digest: Option<Vec<u8>>,
    pub signing_time: Option<Time>,
    pub signature_alg: String,
    pub signature: Vec<u8>,
}

impl SignerInfo {
    /// The signer's certificate among `pool` (by issuer and serial number).
    pub fn find_cert<'a>(&self, pool: &'a [Certificate]) -> Option<&'a Certificate> {
        pool.iter().find(|c| {
            let Ok(tbs) = Tlv::parse_exact(c.tbs_der(), "tbs").and_then(|t| t.sequence("tbs")) else { return false };
            let off = usize::from(tbs.first().is_some_and(|t| t.tag == tag::context(0)));
            tbs.get(off).is_some_and(|s| trim_int(s.content) == trim_int(&self.serial)) && tbs.get(off + 2).is_some_and(|i| i.raw == self.issuer_der.as_slice())
        })
    }
}

fn trim_int(b: &[u8]) -> &[u8] {
    let n = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[n..]
}

/// Whether bytes look like a ContentInfo (SEQUENCE starting with an OID).
pub fn looks_like_cms(bytes: &[u8]) -> bool {
    Tlv::parse_exact(bytes, "ContentInfo")
        .ok()
        .and_then(|t| t.children().read("contentType").ok())
        .is_some_and(|o| o.tag == tag::OID)
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// Parses a ContentInfo holding SignedData.
pub fn parse(bytes: &[u8]) -> Result<SignedData, String> {
    let top = Tlv::parse_exact(bytes, "ContentInfo").map_err(e)?;
    let mut ber = top.indefinite;
    let mut r = top.children();
    let ct = r.read("contentType").map_err(e)?.oid("contentType").map_err(e)?;
    if ct != OID_GM_SIGNED_DATA && ct != OID_PKCS7_SIGNED_DATA {
        return Err(format!("content type {ct} is not signedData"));
    }
    let wrapper = r.read("[0] content").map_err(e)?.expect(tag::context(0), "[0] content").map_err(e)?;
    ber |= wrapper.indefinite;
    let sd = wrapper.children().read("SignedData").map_err(e)?.expect(tag::SEQUENCE, "SignedData").map_err(e)?;
    ber |= sd.indefinite;
    let mut f = sd.children();
    f.read("version").map_err(e)?;
    f.read("digestAlgorithms").map_err(e)?;
    let eci = f.read("contentInfo").map_err(e)?;
    let mut ec = eci.children();
    let content_type = ec.read("eContentType").map_err(e)?.oid("eContentType").map_err(e)?;
    let content = match ec.read_optional(tag::context(0), "eContent").map_err(e)? {
        Some(w) => {
            let inner = w.children().read("eContent").map_err(e)?;
            Some(octet_string_content(&inner, "eContent").map_err(e)?)
        }
        None => None,
    };
    let mut certificates = Vec::new();
    if let Some(cs) = f.read_optional(tag::context(0), "certificates").map_err(e)? {
        for c in cs.children().all("certificate").map_err(e)? {
            certificates.push(Certificate::from_der(c.raw).map_err(|x| format!("certificate in SignedData: {x}"))?);
        }
    }
    f.read_optional(tag::context(1), "crls").map_err(e)?;
    let infos = f.read("signerInfos").map_err(e)?;
    let mut signers = Vec::new();
    for si in infos.children().all("SignerInfo").map_err(e)? {
        signers.push(parse_signer_info(&si)?);
    }
    if signers.is_empty() {
        return Err("SignedData has no SignerInfo".into());
    }
    Ok(SignedData { content_type, certificates, signers, content, ber })
}

fn alg_oid(t: &Tlv<'_>) -> Result<String, String> {
    t.children().read("algorithm").map_err(e)?.oid("algorithm").map_err(e)
}

fn parse_signer_info(si: &Tlv<'_>) -> Result<SignerInfo, String> {
    let mut f = si.children();
    f.read("version").map_err(e)?;
    let sid = f.read("issuerAndSerialNumber").map_err(e)?;
    let (issuer_der, serial) = if sid.tag == tag::SEQUENCE {
        let mut s = sid.children();
        let issuer = s.read("issuer").map_err(e)?;
        let serial = s.read("serialNumber").map_err(e)?;
        (issuer.raw.to_vec(), serial.content.to_vec())
    } else {
        (Vec::new(), Vec::new())
    };
    let digest_alg = alg_oid(&f.read("digestAlgorithm").map_err(e)?)?;
    let mut signed_attrs = None;
    let mut message_digest = None;
    let mut signing_time = None;
    if let Some(a) = f.read_optional(tag::context(0), "signedAttrs").map_err(e)? {
        // The signature covers the attributes with the SET tag (RFC 5652 §5.4).
        let der = if a.indefinite { [header(tag::SET, a.content.len()), a.content.to_vec()].concat() } else { [&[tag::SET][..], &a.raw[1..]].concat() };
        signed_attrs = Some(der);
        for attr in a.children().all("Attribute").map_err(e)? {
            let mut ar = attr.children();
            let oid = ar.read("attrType").map_err(e)?.oid("attrType").map_err(e)?;
            let vals = ar.read("attrValues").map_err(e)?;
            let v = vals.children().read("attrValue").map_err(e)?;
            match oid.as_str() {
                OID_MESSAGE_DIGEST => message_digest = Some(octet_string_content(&v, "messageDigest").map_err(e)?),
                OID_SIGNING_TIME => signing_time = Time::from_asn1(&v).ok().map(|x| x.0),
                _ => {}
            }
        }
    }
    let signature_alg = alg_oid(&f.read("signatureAlgorithm").map_err(e)?)?;
    let signature = octet_string_content(&f.read("signature").map_err(e)?, "signature").map_err(e)?;
    Ok(SignerInfo { serial, issuer_der, digest_alg, signed_attrs, message_digest, signing_time, signature_alg, signature })
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}
fn tlv(t: u8, content: &[u8]) -> Vec<u8> {
    [header(t, content.len()), content.to_vec()].concat()
}
fn oid(s: &str) -> Vec<u8> {
    let arcs: Vec<u64> = s.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for a in &arcs[2..] {
        let mut stack = vec![(a & 0x7F) as u8];
        let mut v = a >> 7;
        while v > 0 {
            stack.push(((v & 0x7F) as u8) | 0x80);
            v >>= 7;
        }
        stack.reverse();
        body.extend(stack);
    }
    tlv(tag::OID, &body)
}

/// Builds a detached GB/T 35275 SignedData over `content` (the Signature.xml bytes), with
/// the signer's certificate and signed attributes contentType, signingTime, messageDigest.
pub fn build(signer: &dyn Signer, content: &[u8], time: Time) -> Result<Vec<u8>, SignerError> {
    let cert = signer.certificate();
    let tbs = Tlv::parse_exact(cert.tbs_der(), "tbs").and_then(|t| t.sequence("tbs")).map_err(|x| SignerError::Refused(format!("certificate: {x}")))?;
    let off = usize::from(tbs.first().is_some_and(|t| t.tag == tag::context(0)));
    let (serial, issuer) = match (tbs.get(off), tbs.get(off + 2)) {
        (Some(s), Some(i)) => (s.raw.to_vec(), i.raw.to_vec()),
        _ => return Err(SignerError::Refused("certificate without serial/issuer".into())),
    };
    let attr = |o: &str, v: Vec<u8>| seq(&[&oid(o), &tlv(tag::SET, &v)]);
    let attrs = [attr(OID_CONTENT_TYPE, oid(OID_GM_DATA)), attr(OID_SIGNING_TIME, time.to_der_utc()), attr(OID_MESSAGE_DIGEST, tlv(tag::OCTET_STRING, &sm3(content)))].concat();
    let signed_attrs_set = tlv(tag::SET, &attrs);
    let sig = signer.sign_message(&signed_attrs_set)?.to_der();
    let sm3_alg = seq(&[&oid(OID_SM3)]);
    let signer_info = seq(&[
        &[2, 1, 1],
        &seq(&[&issuer, &serial]),
        &sm3_alg,
        &tlv(tag::context(0), &attrs),
        &seq(&[&oid(OID_SM2_SIGN)]),
        &tlv(tag::OCTET_STRING, &sig),
    ]);
    let signed_data = seq(&[
        &[2, 1, 1],
        &tlv(tag::SET, &sm3_alg),
        &seq(&[&oid(OID_GM_DATA)]),
        &tlv(tag::context(0), cert.der()),
        &tlv(tag::SET, &signer_info),
    ]);
    Ok(seq(&[&oid(OID_GM_SIGNED_DATA), &tlv(tag::context(0), &signed_data)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testca::TestCa;

    #[test]
    fn built_signed_data_parses_and_verifies() {
        let ca = TestCa::new("cms").unwrap();
        let s = ca.person.signer();
        let t = Time::from_ymd_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let der = build(&s, b"<Signature/>", t).unwrap();
        assert!(looks_like_cms(&der));
        let sd = parse(&der).unwrap();
        assert_eq!(sd.content_type, OID_GM_DATA);
        let si = &sd.signers[0];
        assert_eq!(si.message_digest.as_deref(), Some(&sm3(b"<Signature/>")[..]));
        assert_eq!(si.signing_time, Some(t));
        let cert = si.find_cert(&sd.certificates).expect("signer cert found by issuer+serial");
        crate::crypto::cert::verify_with_key(cert.public_key(), &si.signature_alg, si.signed_attrs.as_deref().unwrap(), &si.signature).unwrap();
        assert!(parse(&der[..der.len() - 1]).is_err());
    }
}
