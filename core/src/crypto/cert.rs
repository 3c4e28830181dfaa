//! X.509 certificates (GB/T 20518 for SM2; RSA and ECDSA P-256 for foreign signatures),
//! read over their original bytes, and chain checks against a trust store.

use super::sm2::{self, OID_SM2_WITH_SM3};
use super::time::Time;
use super::{CryptoError, pem_or_der};
use crate::asn1::{Tlv, tag};
use crate::report::CertSummary;

/// The public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyInfo {
    Sm2(sm2::PublicKey),
    /// ECDSA P-256: the SEC1 point.
    EcP256(Vec<u8>),
    /// RSA: the PKCS#1 RSAPublicKey DER.
    Rsa(Vec<u8>),
    /// Anything else: the algorithm OID.
    Other(String),
}

/// KeyUsage bits (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const NON_REPUDIATION: u16 = 1 << 1;
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    /// The DER BIT STRING value of these bits.
    pub fn to_der(self) -> Vec<u8> {
        // Bit 0 is the most significant bit of the first octet.
        let mut bytes = [0u8; 2];
        for i in 0..9 {
            if self.0 & (1 << i) != 0 {
                bytes[i / 8] |= 0x80 >> (i % 8);
            }
        }
        let len = if bytes[1] != 0 { 2 } else { 1 };
        let last = bytes[len - 1];
        let unused = if last == 0 {
            0
        } else {
            last.trailing_zeros() as u8
        };
        let mut v = vec![tag::BIT_STRING, (len + 1) as u8, unused];
        v.extend_from_slice(&bytes[..len]);
        v
    }

    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (Self::DIGITAL_SIGNATURE, "digitalSignature"),
            (Self::NON_REPUDIATION, "nonRepudiation"),
            (Self::KEY_ENCIPHERMENT, "keyEncipherment"),
            (Self::DATA_ENCIPHERMENT, "dataEncipherment"),
            (Self::KEY_AGREEMENT, "keyAgreement"),
            (Self::KEY_CERT_SIGN, "keyCertSign"),
            (Self::CRL_SIGN, "cRLSign"),
        ];
        all.iter()
            .filter(|(b, _)| self.has(*b))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// A distinguished name: its original encoding and its attributes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    pub der: Vec<u8>,
    /// (short name or OID, value), in encoding order.
    pub attributes: Vec<(String, String)>,
}

impl DistinguishedName {
    fn parse(t: &Tlv<'_>) -> Result<Self, CryptoError> {
        let mut attributes = Vec::new();
        for rdn in t.sequence("Name")? {
            for atv in rdn
                .expect(tag::SET, "RelativeDistinguishedName")?
                .children()
                .all("RDN")?
            {
                let f = atv.sequence("AttributeTypeAndValue")?;
                let (Some(oid), Some(value)) = (f.first(), f.get(1)) else {
                    return Err(CryptoError::InvalidCertificate(
                        "AttributeTypeAndValue needs 2 fields".into(),
                    ));
                };
                let oid = oid.oid("attribute type")?;
                let value = value
                    .string("attribute value")
                    .unwrap_or_else(|_| format!("#{}", hex::encode(value.raw)));
                attributes.push((short_name(&oid).map(str::to_owned).unwrap_or(oid), value));
            }
        }
        Ok(DistinguishedName {
            der: t.raw.to_vec(),
            attributes,
        })
    }

    /// From a `Name` element (CRL and OCSP issuers, responder names).
    pub fn from_tlv(t: &Tlv<'_>) -> Result<Self, CryptoError> {
        Self::parse(t)
    }

    /// The first value of an attribute (`"CN"`, `"O"`, ...).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Builds a name from (short name, value) pairs: C as PrintableString, the rest UTF8String.
    pub fn build(attrs: &[(&str, &str)]) -> Result<Self, CryptoError> {
        let mut body = Vec::new();
        for (k, v) in attrs {
            let oid = oid_of_short_name(k)
                .ok_or_else(|| CryptoError::InvalidCertificate(format!("unknown attribute {k}")))?;
            let oid_der = der::Encode::to_der(
                &der::asn1::ObjectIdentifier::new(oid)
                    .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))?,
            )
            .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))?;
            let string_tag = if *k == "C" {
                tag::PRINTABLE_STRING
            } else {
                tag::UTF8_STRING
            };
            let mut val = crate::asn1::header(string_tag, v.len());
            val.extend(v.as_bytes());
            let atv = wrap(tag::SEQUENCE, &[oid_der, val].concat());
            body.extend(wrap(tag::SET, &atv));
        }
        let der = wrap(tag::SEQUENCE, &body);
        let t = Tlv::parse_exact(&der, "Name")?;
        Self::parse(&t)
    }
}

impl std::fmt::Display for DistinguishedName {
    /// As a person reads it: `C=CN, O=测试单位, CN=张三`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

pub(crate) fn wrap(t: u8, content: &[u8]) -> Vec<u8> {
    let mut v = crate::asn1::header(t, content.len());
    v.extend_from_slice(content);
    v
}

const NAMES: &[(&str, &str)] = &[
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.4", "SN"),
    ("2.5.4.42", "GN"),
    ("2.5.4.12", "title"),
    ("2.5.4.9", "street"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("0.9.2342.19200300.100.1.1", "UID"),
];
fn short_name(oid: &str) -> Option<&'static str> {
    NAMES.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}
fn oid_of_short_name(n: &str) -> Option<&'static str> {
    NAMES.iter().find(|(_, s)| *s == n).map(|(o, _)| *o)
}

/// A parsed X.509 certificate over its original bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    tbs_range: std::ops::Range<usize>,
    serial: Vec<u8>,
    signature_alg: String,
    signature_value: Vec<u8>,
    issuer: DistinguishedName,
    subject: DistinguishedName,
    not_before: Time,
    not_after: Time,
    spki_der: Vec<u8>,
    public_key: PublicKeyInfo,
    key_usage: Option<KeyUsage>,
    is_ca: Option<bool>,
    /// Extensions: (OID, critical, value).
    extensions: Vec<(String, bool, Vec<u8>)>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Certificate({}, serial {})",
            self.subject,
            self.serial_hex()
        )
    }
}

/// Maximum certificate size accepted (bytes).
pub const MAX_CERT_LEN: usize = 64 * 1024;

impl Certificate {
    /// From DER.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        if der.len() > MAX_CERT_LEN {
            return Err(CryptoError::InvalidCertificate(format!(
                "{} bytes is larger than {MAX_CERT_LEN}",
                der.len()
            )));
        }
        let top = Tlv::parse_exact(der, "Certificate")?;
        let parts = top.sequence("Certificate")?;
        let [tbs, alg, sig] = parts.as_slice() else {
            return Err(CryptoError::InvalidCertificate(format!(
                "Certificate has {} fields, expected 3",
                parts.len()
            )));
        };
        let start = tbs.raw.as_ptr() as usize - der.as_ptr() as usize;
        let tbs_range = start..start + tbs.raw.len();
        let signature_alg = alg
            .sequence("signatureAlgorithm")?
            .first()
            .ok_or_else(|| CryptoError::InvalidCertificate("empty AlgorithmIdentifier".into()))?
            .oid("signatureAlgorithm")?;
        let signature_value = sig.bit_string("signatureValue")?.to_vec();

        let mut f = tbs.sequence("TBSCertificate")?.into_iter().peekable();
        if f.peek().map(|t| t.tag) == Some(tag::context(0)) {
            f.next();
        }
        let mut next = |what: &'static str| {
            f.next().ok_or_else(|| {
                CryptoError::InvalidCertificate(format!("TBSCertificate lacks {what}"))
            })
        };
        let serial = next("serialNumber")?
            .expect(tag::INTEGER, "serialNumber")?
            .content
            .to_vec();
        let _sig_alg = next("signature")?;
        let issuer = DistinguishedName::parse(&next("issuer")?)?;
        let validity = next("validity")?.sequence("Validity")?;
        let (Some(nb), Some(na)) = (validity.first(), validity.get(1)) else {
            return Err(CryptoError::InvalidCertificate(
                "Validity needs 2 times".into(),
            ));
        };
        let time = |t: &Tlv<'_>| {
            Time::from_asn1(t)
                .map(|(t, _)| t)
                .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))
        };
        let (not_before, not_after) = (time(nb)?, time(na)?);
        let subject = DistinguishedName::parse(&next("subject")?)?;
        let spki = next("subjectPublicKeyInfo")?;
        let public_key = parse_public_key(&spki)?;
        let mut extensions = Vec::new();
        for t in f {
            if t.tag == tag::context(3) {
                let exts = Tlv::parse_exact(t.content, "Extensions")?.sequence("Extensions")?;
                for e in exts {
                    let ef = e.sequence("Extension")?;
                    let oid = ef
                        .first()
                        .ok_or_else(|| CryptoError::InvalidCertificate("empty Extension".into()))?
                        .oid("extnID")?;
                    let critical = ef.iter().any(|x| {
                        x.tag == tag::BOOLEAN && x.content.first().is_some_and(|b| *b != 0)
                    });
                    let value = ef
                        .last()
                        .ok_or_else(|| {
                            CryptoError::InvalidCertificate("Extension without value".into())
                        })?
                        .octet_string("extnValue")?;
                    extensions.push((oid, critical, value.to_vec()));
                }
            }
        }
        let mut key_usage = None;
        let mut is_ca = None;
        for (oid, _, v) in &extensions {
            match oid.as_str() {
                "2.5.29.15" => {
                    let bits =
                        Tlv::parse_exact(v, "KeyUsage")?.expect(tag::BIT_STRING, "KeyUsage")?;
                    let mut u = 0u16;
                    for (i, byte) in bits.content.iter().skip(1).take(2).enumerate() {
                        for b in 0..8 {
                            if byte & (0x80 >> b) != 0 {
                                u |= 1 << (i * 8 + b);
                            }
                        }
                    }
                    key_usage = Some(KeyUsage(u));
                }
                "2.5.29.19" => {
                    let bc =
                        Tlv::parse_exact(v, "BasicConstraints")?.sequence("BasicConstraints")?;
                    is_ca = Some(bc.first().is_some_and(|b| {
                        b.tag == tag::BOOLEAN && b.content.first().is_some_and(|x| *x != 0)
                    }));
                }
                _ => {}
            }
        }
        Ok(Certificate {
            der: der.to_vec(),
            tbs_range,
            serial,
            signature_alg,
            signature_value,
            issuer,
            subject,
            not_before,
            not_after,
            spki_der: spki.raw.to_vec(),
            public_key,
            key_usage,
            is_ca,
            extensions,
        })
    }

    /// From PEM (`CERTIFICATE`).
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        Self::from_der(&super::pem_decode(pem, "CERTIFICATE")?)
    }

    /// From PEM or DER.
    pub fn parse(input: &[u8]) -> Result<Self, CryptoError> {
        Self::from_der(&pem_or_der(input, "CERTIFICATE")?)
    }

    /// Every certificate of a PEM bundle (or the one DER certificate).
    pub fn parse_all(input: &[u8]) -> Result<Vec<Self>, CryptoError> {
        let text = std::str::from_utf8(input)
            .ok()
            .filter(|t| t.contains("-----BEGIN"));
        match text {
            Some(t) => {
                let mut out = Vec::new();
                for block in t
                    .split("-----END CERTIFICATE-----")
                    .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
                {
                    out.push(Self::from_pem(&format!(
                        "{block}-----END CERTIFICATE-----"
                    ))?);
                }
                if out.is_empty() {
                    return Err(CryptoError::InvalidCertificate(
                        "no CERTIFICATE block in PEM".into(),
                    ));
                }
                Ok(out)
            }
            None => Ok(vec![Self::from_der(input)?]),
        }
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }
    pub fn to_pem(&self) -> String {
        super::to_pem("CERTIFICATE", &self.der)
    }
    /// The TBSCertificate as it sits in the certificate (what the issuer signed).
    pub fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs_range.clone()]
    }
    pub fn subject(&self) -> &DistinguishedName {
        &self.subject
    }
    pub fn issuer(&self) -> &DistinguishedName {
        &self.issuer
    }
    pub fn subject_string(&self) -> String {
        self.subject.to_string()
    }
    pub fn issuer_string(&self) -> String {
        self.issuer.to_string()
    }
    /// Serial number: the INTEGER's content octets.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    /// Serial number as upper-case hex of its encoding.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(&self.serial)
    }
    pub fn not_before(&self) -> Time {
        self.not_before
    }
    pub fn not_after(&self) -> Time {
        self.not_after
    }
    pub fn valid_at(&self, t: Time) -> bool {
        self.not_before <= t && t <= self.not_after
    }
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }
    /// basicConstraints cA, when the extension is present.
    pub fn is_ca(&self) -> Option<bool> {
        self.is_ca
    }
    pub fn extensions(&self) -> &[(String, bool, Vec<u8>)] {
        &self.extensions
    }
    pub fn public_key(&self) -> &PublicKeyInfo {
        &self.public_key
    }
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }
    pub fn signature_algorithm(&self) -> &str {
        &self.signature_alg
    }
    pub fn sm2_public_key(&self) -> Result<&sm2::PublicKey, CryptoError> {
        match &self.public_key {
            PublicKeyInfo::Sm2(k) => Ok(k),
            other => Err(CryptoError::UnsupportedAlgorithm(format!(
                "certificate key is not SM2 ({})",
                key_kind(other)
            ))),
        }
    }
    pub fn is_self_issued(&self) -> bool {
        self.subject.der == self.issuer.der
    }

    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject_string(),
            name: self.subject.get("CN").map(str::to_owned),
            organization: self.subject.get("O").map(str::to_owned),
            issuer: self.issuer_string(),
            serial: self.serial_hex(),
            not_before: self.not_before.to_iso(),
            not_after: self.not_after.to_iso(),
        }
    }

    /// Checks that `issuer`'s key made this certificate's signature (SM2 with SM3 and the
    /// default signer ID; ECDSA P-256 / RSA with SHA-256, -384, -512 or SHA-1).
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), CryptoError> {
        verify_with_key(
            issuer.public_key(),
            &self.signature_alg,
            self.tbs_der(),
            &self.signature_value,
        )
    }
}

fn key_kind(k: &PublicKeyInfo) -> String {
    match k {
        PublicKeyInfo::Sm2(_) => "SM2".into(),
        PublicKeyInfo::EcP256(_) => "ECDSA P-256".into(),
        PublicKeyInfo::Rsa(_) => "RSA".into(),
        PublicKeyInfo::Other(o) => o.clone(),
    }
}

fn parse_public_key(spki: &Tlv<'_>) -> Result<PublicKeyInfo, CryptoError> {
    let f = spki.sequence("SubjectPublicKeyInfo")?;
    let (Some(alg), Some(key)) = (f.first(), f.get(1)) else {
        return Err(CryptoError::InvalidCertificate(
            "SubjectPublicKeyInfo needs 2 fields".into(),
        ));
    };
    let alg = alg.sequence("AlgorithmIdentifier")?;
    let oid = alg
        .first()
        .ok_or_else(|| CryptoError::InvalidCertificate("empty AlgorithmIdentifier".into()))?
        .oid("algorithm")?;
    let param = alg.get(1).and_then(|p| p.oid("parameters").ok());
    let key = key.bit_string("subjectPublicKey")?;
    Ok(match (oid.as_str(), param.as_deref()) {
        ("1.2.840.10045.2.1", Some(sm2::OID_SM2_CURVE)) | (sm2::OID_SM2_CURVE, _) => {
            PublicKeyInfo::Sm2(sm2::PublicKey::from_sec1(key)?)
        }
        ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => PublicKeyInfo::EcP256(key.to_vec()),
        ("1.2.840.113549.1.1.1", _) => PublicKeyInfo::Rsa(key.to_vec()),
        ("1.2.840.10045.2.1", Some(curve)) => PublicKeyInfo::Other(format!("EC {curve}")),
        (o, _) => PublicKeyInfo::Other(o.to_owned()),
    })
}

/// Verifies `signature` over `message` with `key`, for the signature algorithm `alg_oid`
/// (certificates, CMS SignerInfos). SM2 uses the default signer ID.
pub fn verify_with_key(
    key: &PublicKeyInfo,
    alg_oid: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    use sha2::Digest;
    match (key, alg_oid) {
        (PublicKeyInfo::Sm2(k), OID_SM2_WITH_SM3 | sm2::OID_SM2_SIGN | sm2::OID_SM2_CURVE) => {
            let (sig, _) = sm2::Signature::parse_lenient(signature)?;
            sm2::verify(k, sm2::DEFAULT_ID, message, &sig)
        }
        (PublicKeyInfo::EcP256(point), "1.2.840.10045.4.3.2" | "1.2.840.10045.2.1") => {
            use p256::ecdsa::signature::Verifier;
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| CryptoError::InvalidKey("bad P-256 point".into()))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| {
                CryptoError::BadSignatureEncoding("ECDSA signature is not DER".into())
            })?;
            vk.verify(message, &sig)
                .map_err(|_| CryptoError::BadSignature)
        }
        (PublicKeyInfo::Rsa(pkcs1), alg) => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let pk = rsa::PublicKey::from_pkcs1_der(pkcs1)
                .map_err(|_| CryptoError::InvalidKey("bad RSA key".into()))?;
            let (scheme, hashed) = match alg {
                "1.2.840.113549.1.1.11" => (
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    sha2::Sha256::digest(message).to_vec(),
                ),
                "1.2.840.113549.1.1.12" => (
                    rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    sha2::Sha384::digest(message).to_vec(),
                ),
                "1.2.840.113549.1.1.13" => (
                    rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                    sha2::Sha512::digest(message).to_vec(),
                ),
                "1.2.840.113549.1.1.5" => (
                    rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    sha1::Sha1::digest(message).to_vec(),
                ),
                other => {
                    return Err(CryptoError::UnsupportedAlgorithm(format!(
                        "RSA with {other}"
                    )));
                }
            };
            pk.verify(scheme, &hashed, signature)
                .map_err(|_| CryptoError::BadSignature)
        }
        (k, alg) => Err(CryptoError::UnsupportedAlgorithm(format!(
            "signature algorithm {alg} with a {} key",
            key_kind(k)
        ))),
    }
}
