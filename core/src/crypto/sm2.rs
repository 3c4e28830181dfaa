//! SM2 digital signatures (GB/T 32918.2-2016, GM/T 0003.2) with the signer ID of GM/T 0009.
//!
//! ```text
//! Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)      GB/T 32918.2 §5.5
//! e = SM3(Z ‖ M)                                     §6.1 A1–A2
//! ```
//! A signer (software key, UKey, key vault) only ever sees `e`; the host computes it. Keys
//! are sm2p256v1 (GB/T 32918.5). Signatures are read as DER `SEQUENCE { r, s }` (GB/T
//! 35276), as lenient DER (superfluous or missing `00` pads) or as raw 64-byte `r ‖ s`.

use super::CryptoError;
use super::sm3::Sm3;
use crate::asn1::{Tlv, tag};
use ::sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use ::sm3::Digest;

/// The default signer ID of GM/T 0009-2012 §10: "1234567812345678".
pub const DEFAULT_ID: &[u8] = b"1234567812345678";

/// OID sm2sign-with-sm3 (GM/T 0006): `1.2.156.10197.1.501`.
pub const OID_SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
/// OID of the SM2 curve / SM2-1 signature: `1.2.156.10197.1.301` / `.301.1`.
pub const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";
pub const OID_SM2_SIGN: &str = "1.2.156.10197.1.301.1";
/// OID of SM3: `1.2.156.10197.1.401`.
pub const OID_SM3: &str = "1.2.156.10197.1.401";

// Curve parameters a, b, xG, yG of sm2p256v1 (GB/T 32918.5-2017), used in Z.
const A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
const B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
const XG: [u8; 32] = hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
const YG: [u8; 32] = hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nib(b[2 * i]) << 4) | nib(b[2 * i + 1]);
        i += 1;
    }
    out
}
const fn nib(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("not hex"),
    }
}

/// An SM2 public key (a point on sm2p256v1).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(::sm2::PublicKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sm2::PublicKey({})",
            hex::encode(self.to_sec1_uncompressed())
        )
    }
}

impl PublicKey {
    /// From a SEC1 point: `04 ‖ x ‖ y` (65 bytes) or compressed (33 bytes).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, CryptoError> {
        ::sm2::PublicKey::from_sec1_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| CryptoError::InvalidKey("not a point on the SM2 curve".into()))
    }

    /// From the 64 bytes `x ‖ y` (as UKeys export them).
    pub fn from_xy(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, CryptoError> {
        let mut p = [0u8; 65];
        p[0] = 4;
        p[1..33].copy_from_slice(x);
        p[33..].copy_from_slice(y);
        Self::from_sec1(&p)
    }

    /// From a DER SubjectPublicKeyInfo (id-ecPublicKey + SM2 curve, or the SM2 OID itself).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki =
            Tlv::parse_exact(der, "SubjectPublicKeyInfo")?.sequence("SubjectPublicKeyInfo")?;
        let [alg, key] = spki.as_slice() else {
            return Err(CryptoError::InvalidKey(
                "SubjectPublicKeyInfo needs 2 fields".into(),
            ));
        };
        let alg = alg.sequence("AlgorithmIdentifier")?;
        let oids: Vec<String> = alg.iter().filter_map(|t| t.oid("oid").ok()).collect();
        if !oids
            .iter()
            .any(|o| o == OID_SM2_CURVE || o == "1.2.840.10045.2.1")
        {
            return Err(CryptoError::InvalidKey(format!(
                "not an SM2 key (algorithm {})",
                oids.join(", ")
            )));
        }
        Self::from_sec1(key.bit_string("subjectPublicKey")?)
    }

    /// From PEM (`PUBLIC KEY`) or DER SubjectPublicKeyInfo.
    pub fn parse(input: &[u8]) -> Result<Self, CryptoError> {
        let der = super::pem_or_der(input, "PUBLIC KEY")?;
        Self::from_spki_der(&der)
    }

    /// The uncompressed point `04 ‖ x ‖ y`.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let b = self.0.to_sec1_bytes();
        let mut out = [0u8; 65];
        if b.len() == 65 {
            out.copy_from_slice(&b);
        }
        out
    }

    /// DER SubjectPublicKeyInfo (id-ecPublicKey with the SM2 curve OID).
    pub fn to_spki_der(&self) -> Vec<u8> {
        use der::Encode;
        let spki = spki_for_point(&self.to_sec1_uncompressed());
        spki.to_der().unwrap_or_default()
    }

    /// PEM `PUBLIC KEY`.
    pub fn to_pem(&self) -> String {
        super::to_pem("PUBLIC KEY", &self.to_spki_der())
    }

    fn verifying_key(&self) -> Result<::sm2::dsa::VerifyingKey, CryptoError> {
        // The crate's distid only matters for its own message hashing, which we do not use:
        // we always pass e = SM3(Z ‖ M) computed here.
        ::sm2::dsa::VerifyingKey::new("1234567812345678", self.0)
            .map_err(|_| CryptoError::InvalidKey("unusable SM2 key".into()))
    }
}

pub(crate) fn spki_for_point(point: &[u8]) -> spki::SubjectPublicKeyInfoOwned {
    use der::asn1::{BitString, ObjectIdentifier};
    spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
            parameters: Some(der::Any::from(ObjectIdentifier::new_unwrap(OID_SM2_CURVE))),
        },
        subject_public_key: BitString::from_bytes(point).expect("a point fits a BIT STRING"),
    }
}

/// An SM2 private key. Kept in software only by the software signer and the test CA;
/// UKeys and key vaults keep theirs.
#[derive(Clone)]
pub struct PrivateKey {
    secret: ::sm2::SecretKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sm2::PrivateKey(public {:?})", self.public_key())
    }
}

impl PrivateKey {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        loop {
            let mut d = [0u8; 32];
            getrandom::fill(&mut d).map_err(|e| CryptoError::Random(e.to_string()))?;
            if let Ok(k) = Self::from_bytes(&d) {
                return Ok(k);
            }
        }
    }

    /// From the 32-byte big-endian scalar d (1 ≤ d ≤ n-2).
    pub fn from_bytes(d: &[u8]) -> Result<Self, CryptoError> {
        ::sm2::SecretKey::from_slice(d)
            .map(|secret| PrivateKey { secret })
            .map_err(|_| CryptoError::InvalidKey("private scalar out of range".into()))
    }

    /// A key derived deterministically from a seed (tests, vectors and the demo only).
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut counter = 0u32;
        loop {
            let d = super::sm3::sm3_parts(&[
                b"eseal deterministic test key",
                seed,
                &counter.to_be_bytes(),
            ]);
            if let Ok(k) = Self::from_bytes(&d) {
                return k;
            }
            counter += 1;
        }
    }

    /// From DER: PKCS#8 PrivateKeyInfo or SEC1 ECPrivateKey.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let top = Tlv::parse_exact(der, "private key")?.sequence("private key")?;
        // PKCS#8: { version, AlgorithmIdentifier, OCTET STRING { ECPrivateKey } }
        if top.len() >= 3 && top[1].tag == tag::SEQUENCE && top[2].tag == tag::OCTET_STRING {
            let alg = top[1].sequence("AlgorithmIdentifier")?;
            let oids: Vec<String> = alg.iter().filter_map(|t| t.oid("oid").ok()).collect();
            if !oids.iter().any(|o| o == OID_SM2_CURVE)
                && !oids.iter().any(|o| o == "1.2.840.10045.2.1")
            {
                return Err(CryptoError::InvalidKey(format!(
                    "not an SM2 private key (algorithm {})",
                    oids.join(", ")
                )));
            }
            if oids
                .iter()
                .any(|o| o.starts_with("1.2.840.10045.3.") || o.starts_with("1.3.132."))
            {
                return Err(CryptoError::InvalidKey(
                    "an ECDSA key of another curve, not SM2".into(),
                ));
            }
            return Self::from_sec1_der(top[2].octet_string("privateKey")?);
        }
        Self::from_sec1_der(der)
    }

    /// SEC1 ECPrivateKey `{ version 1, privateKey OCTET STRING, [0] params, [1] publicKey }`.
    fn from_sec1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let f = Tlv::parse_exact(der, "ECPrivateKey")?.sequence("ECPrivateKey")?;
        let d = f
            .get(1)
            .ok_or_else(|| CryptoError::InvalidKey("ECPrivateKey without key".into()))?
            .octet_string("privateKey")?;
        if let Some(params) = f.iter().find(|t| t.tag == tag::context(0)) {
            let oid = Tlv::parse_exact(params.content, "parameters")?.oid("namedCurve")?;
            if oid != OID_SM2_CURVE {
                return Err(CryptoError::InvalidKey(format!("curve {oid} is not SM2")));
            }
        }
        let mut padded = [0u8; 32];
        if d.len() > 32 {
            return Err(CryptoError::InvalidKey(
                "private key longer than 32 bytes".into(),
            ));
        }
        padded[32 - d.len()..].copy_from_slice(d);
        Self::from_bytes(&padded)
    }

    /// From PEM (`PRIVATE KEY`, `EC PRIVATE KEY`) or DER.
    pub fn parse(input: &[u8]) -> Result<Self, CryptoError> {
        let der = super::pem_or_der(input, "PRIVATE KEY")?;
        Self::from_der(&der)
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.secret.public_key())
    }

    /// The 32-byte scalar.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes().into()
    }

    /// PKCS#8 DER (id-ecPublicKey, SM2 curve) as OpenSSL 3 writes it.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        // ECPrivateKey { 1, d, [1] publicKey } inside PrivateKeyInfo { 0, alg, OCTET STRING }.
        let d = self.to_bytes();
        let point = self.public_key().to_sec1_uncompressed();
        let mut ec = Vec::new();
        ec.extend([0x02, 0x01, 0x01]);
        ec.extend(crate::asn1::header(tag::OCTET_STRING, 32));
        ec.extend(d);
        let mut bits = vec![0u8];
        bits.extend(point);
        let mut bs = crate::asn1::header(tag::BIT_STRING, bits.len());
        bs.extend(bits);
        ec.extend(crate::asn1::header(tag::context(1), bs.len()));
        ec.extend(bs);
        let mut ec_seq = crate::asn1::header(tag::SEQUENCE, ec.len());
        ec_seq.extend(ec);
        let alg: [u8; 21] = [
            0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
            0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D,
        ];
        let mut body = vec![0x02, 0x01, 0x00];
        body.extend(alg);
        body.extend(crate::asn1::header(tag::OCTET_STRING, ec_seq.len()));
        body.extend(ec_seq);
        let mut out = crate::asn1::header(tag::SEQUENCE, body.len());
        out.extend(body);
        out
    }

    pub fn to_pkcs8_pem(&self) -> String {
        super::to_pem("PRIVATE KEY", &self.to_pkcs8_der())
    }

    /// Signs the digest e = SM3(Z ‖ M) (GB/T 32918.2 §6.1 A3–A7), with a deterministic nonce
    /// (RFC 6979 style, as the sm2 crate does).
    pub fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, CryptoError> {
        let sk = ::sm2::dsa::SigningKey::new("1234567812345678", &self.secret)
            .map_err(|_| CryptoError::InvalidKey("unusable SM2 key".into()))?;
        let sig: ::sm2::dsa::Signature = sk
            .sign_prehash(e)
            .map_err(|_| CryptoError::SignatureFailed)?;
        let b = sig.to_bytes();
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&b[..32]);
        s.copy_from_slice(&b[32..]);
        Ok(Signature { r, s })
    }

    /// Signs message `msg` with signer ID `id`.
    pub fn sign(&self, id: &[u8], msg: &[u8]) -> Result<Signature, CryptoError> {
        self.sign_digest(&message_digest(&self.public_key(), id, msg))
    }
}

/// Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), GB/T 32918.2 §5.5.
pub fn z_value(pk: &PublicKey, id: &[u8]) -> [u8; 32] {
    let entl = ((id.len() * 8) as u16).to_be_bytes();
    let p = pk.to_sec1_uncompressed();
    let mut h = Sm3::new();
    h.update(entl);
    h.update(id);
    h.update(A);
    h.update(B);
    h.update(XG);
    h.update(YG);
    h.update(&p[1..33]);
    h.update(&p[33..]);
    h.finalize().into()
}

/// e = SM3(Z ‖ M), the digest a signer signs.
pub fn message_digest(pk: &PublicKey, id: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(z_value(pk, id));
    h.update(msg);
    h.finalize().into()
}

/// How a signature value was encoded where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// DER `SEQUENCE { r INTEGER, s INTEGER }`, minimal.
    Der,
    /// A SEQUENCE with non-minimal or sign-less INTEGERs (Koal, DianJu; spec §4 #3, #4).
    LenientDer,
    /// 64 bytes r ‖ s (UKeys, Koal maker signatures, Suwell; spec §4 #2).
    Raw,
}

/// An SM2 signature (r, s), each a 32-byte big-endian unsigned integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
}

impl Signature {
    /// Strict DER `SEQUENCE { r, s }`.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        match Self::parse_lenient(der)? {
            (s, SignatureEncoding::Der) => Ok(s),
            (_, enc) => Err(CryptoError::BadSignatureEncoding(format!(
                "not DER ({enc:?})"
            ))),
        }
    }

    /// Raw 64 bytes `r ‖ s`.
    pub fn from_raw(raw: &[u8]) -> Result<Self, CryptoError> {
        if raw.len() != 64 {
            return Err(CryptoError::BadSignatureEncoding(format!(
                "raw signature of {} bytes, expected 64",
                raw.len()
            )));
        }
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&raw[..32]);
        s.copy_from_slice(&raw[32..]);
        Ok(Signature { r, s })
    }

    /// DER, lenient DER, or raw 64 bytes — whichever the bytes are; says which.
    pub fn parse_lenient(bytes: &[u8]) -> Result<(Self, SignatureEncoding), CryptoError> {
        if let Ok(t) = Tlv::parse_exact(bytes, "SM2Signature")
            && t.tag == tag::SEQUENCE
            && let Ok(kids) = t.sequence("SM2Signature")
            && kids.len() == 2
            && kids.iter().all(|k| k.tag == tag::INTEGER)
        {
            let r = kids[0].uint_bytes("r")?;
            let s = kids[1].uint_bytes("s")?;
            if r.len() > 32 || s.len() > 32 {
                return Err(CryptoError::BadSignatureEncoding(
                    "r or s longer than 32 bytes".into(),
                ));
            }
            let minimal = |t: &Tlv<'_>| {
                let c = t.content;
                !(c.len() > 1 && c[0] == 0 && c[1] & 0x80 == 0) && c[0] & 0x80 == 0
            };
            let enc = if minimal(&kids[0]) && minimal(&kids[1]) {
                SignatureEncoding::Der
            } else {
                SignatureEncoding::LenientDer
            };
            let mut sig = Signature {
                r: [0; 32],
                s: [0; 32],
            };
            sig.r[32 - r.len()..].copy_from_slice(r);
            sig.s[32 - s.len()..].copy_from_slice(s);
            return Ok((sig, enc));
        }
        if bytes.len() == 64 {
            return Ok((Self::from_raw(bytes)?, SignatureEncoding::Raw));
        }
        if let Err(crate::asn1::Asn1Error::Truncated { need, .. }) =
            Tlv::parse_exact(bytes, "SM2Signature")
            && bytes.first() == Some(&tag::SEQUENCE)
        {
            return Err(CryptoError::BadSignatureEncoding(format!(
                "a DER SEQUENCE {{r, s}} cut short: {} bytes present, {need} missing",
                bytes.len()
            )));
        }
        Err(CryptoError::BadSignatureEncoding(format!(
            "neither DER SEQUENCE {{r, s}} nor 64 raw bytes ({} bytes)",
            bytes.len()
        )))
    }

    /// DER `SEQUENCE { r, s }` (GB/T 35276).
    pub fn to_der(&self) -> Vec<u8> {
        fn int(v: &[u8; 32]) -> Vec<u8> {
            let first = v.iter().position(|b| *b != 0).unwrap_or(31);
            let mut c = Vec::new();
            if v[first] & 0x80 != 0 {
                c.push(0);
            }
            c.extend_from_slice(&v[first..]);
            let mut out = crate::asn1::header(tag::INTEGER, c.len());
            out.extend(c);
            out
        }
        let body = [int(&self.r), int(&self.s)].concat();
        let mut out = crate::asn1::header(tag::SEQUENCE, body.len());
        out.extend(body);
        out
    }

    /// Raw `r ‖ s`.
    pub fn to_raw(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r);
        out[32..].copy_from_slice(&self.s);
        out
    }
}

/// Verifies a signature over the digest e = SM3(Z ‖ M) (GB/T 32918.2 §7.1).
pub fn verify_digest(pk: &PublicKey, e: &[u8; 32], sig: &Signature) -> Result<(), CryptoError> {
    let s =
        ::sm2::dsa::Signature::from_scalars(sig.r, sig.s).map_err(|_| CryptoError::BadSignature)?;
    pk.verifying_key()?
        .verify_prehash(e, &s)
        .map_err(|_| CryptoError::BadSignature)
}

/// Verifies a signature over message `msg` made with signer ID `id`.
pub fn verify(pk: &PublicKey, id: &[u8], msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
    verify_digest(pk, &message_digest(pk, id, msg), sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_round_trip_and_encodings() {
        let k = PrivateKey::from_seed(b"t");
        let sig = k.sign(DEFAULT_ID, b"hello").unwrap();
        verify(&k.public_key(), DEFAULT_ID, b"hello", &sig).unwrap();
        assert!(verify(&k.public_key(), DEFAULT_ID, b"hellO", &sig).is_err());
        assert!(
            verify(&k.public_key(), b"other", b"hello", &sig).is_err(),
            "the ID is part of what is signed"
        );
        assert_eq!(Signature::from_der(&sig.to_der()).unwrap(), sig);
        assert_eq!(
            Signature::parse_lenient(&sig.to_raw()).unwrap(),
            (sig, SignatureEncoding::Raw)
        );
        let k2 = PrivateKey::from_der(&k.to_pkcs8_der()).unwrap();
        assert_eq!(k2.to_bytes(), k.to_bytes());
        assert_eq!(
            PublicKey::from_spki_der(&k.public_key().to_spki_der()).unwrap(),
            k.public_key()
        );
    }

    #[test]
    fn lenient_integers() {
        let sig = Signature {
            r: [0x80; 32],
            s: [0x01; 32],
        };
        // r without its 00 pad (reads negative in strict DER), s with a superfluous one.
        let mut body = vec![0x02, 0x20];
        body.extend([0x80; 32]);
        body.extend([0x02, 0x22, 0x00, 0x00]);
        body.extend([0x01; 32]);
        let mut der = crate::asn1::header(0x30, body.len());
        der.extend(body);
        assert_eq!(
            Signature::parse_lenient(&der).unwrap(),
            (sig, SignatureEncoding::LenientDer)
        );
        assert!(Signature::from_der(&der).is_err());
        assert!(Signature::parse_lenient(&[1, 2, 3]).is_err());
    }
}
