//! SM2 digital signatures (GB/T 32918.2-2016, GM/T 0003.2) with the signer ID of GM/T 0009.
//!
//! ```text
//! Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)      GB/T 32918.2 §5.5
//! e = SM3(Z ‖ M)                                     §6.1 A1–A2
//! ```
//! A signer (software key, UKey, key vault) only ever sees `e`; the host computes it. Keys
//! are sm2p256v1 (GB/T 32918.5). Signatures are read as DER `SEQUENCE { r, s }` (GB/T
//! 35276), as lenient DER (superfluous or missing `00` pads) or as raw 64-byte `r ‖ s`.

mod curve;
mod field;

use super::CryptoError;
use super::sm3::Sm3;
use crate::asn1::{Tlv, tag};
use ::sm2::Scalar;
use ::sm2::elliptic_curve::ff::PrimeField;
use ::sm2::elliptic_curve::zeroize::Zeroize;
use ::sm3::Digest;
use std::sync::OnceLock;

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

/// An SM2 public key (a point on sm2p256v1), with what verification derives from it kept
/// once: the affine point in field form and Z for the default signer ID.
#[derive(Clone)]
pub struct PublicKey {
    /// `04 ‖ x ‖ y`
    sec1: [u8; 65],
    point: curve::Affine,
    /// Z_A for [`DEFAULT_ID`], computed on first use (GB/T 32918.2 §5.5).
    z_default: OnceLock<[u8; 32]>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.sec1 == other.sec1
    }
}
impl Eq for PublicKey {}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sm2::PublicKey({})", hex::encode(self.sec1))
    }
}

impl PublicKey {
    fn from_point(point: curve::Affine) -> Self {
        let (x, y) = point.to_xy();
        let mut sec1 = [4u8; 65];
        sec1[1..33].copy_from_slice(&x);
        sec1[33..].copy_from_slice(&y);
        PublicKey {
            sec1,
            point,
            z_default: OnceLock::new(),
        }
    }

    /// From a SEC1 point: `04 ‖ x ‖ y` (65 bytes) or compressed (33 bytes).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bad = || CryptoError::InvalidKey("not a point on the SM2 curve".into());
        // The sm2 crate decodes (and decompresses) and checks the point is on the curve
        // and not the point at infinity (GB/T 32918.1 §6.2).
        let pk = ::sm2::PublicKey::from_sec1_bytes(bytes).map_err(|_| bad())?;
        let enc = pk.to_sec1_bytes();
        if enc.len() != 65 {
            return Err(bad());
        }
        let (x, y) = (enc[1..33].try_into(), enc[33..].try_into());
        let (Ok(x), Ok(y)) = (x, y) else {
            return Err(bad());
        };
        curve::Affine::from_xy(&x, &y)
            .map(Self::from_point)
            .ok_or_else(bad)
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
        self.sec1
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

/// 32 secret bytes, wiped when dropped.
struct Zeroizing32([u8; 32]);

impl Drop for Zeroizing32 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A secret scalar, wiped when dropped.
#[derive(Clone)]
struct SecretScalar(Scalar);

impl Drop for SecretScalar {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An SM2 private key. Kept in software only by the software signer and the test CA;
/// UKeys and key vaults keep theirs.
///
/// What signing needs besides d is computed once here: the public key and (1 + d)^-1.
#[derive(Clone)]
pub struct PrivateKey {
    d: SecretScalar,
    /// (1 + d)^-1 mod n (GB/T 32918.2 §6.1 A6)
    d1_inv: SecretScalar,
    public: PublicKey,
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

    /// From the big-endian scalar d (1 ≤ d ≤ n-2, GB/T 32918.1 §6.1): 32 bytes, or 24 to 31
    /// with the leading zero bytes left out.
    pub fn from_bytes(d: &[u8]) -> Result<Self, CryptoError> {
        let out_of_range = || CryptoError::InvalidKey("private scalar out of range".into());
        if !(24..=32).contains(&d.len()) {
            return Err(out_of_range());
        }
        let mut bytes = Zeroizing32([0u8; 32]);
        bytes.0[32 - d.len()..].copy_from_slice(d);
        let d = SecretScalar(
            Option::<Scalar>::from(Scalar::from_repr(bytes.0.into())).ok_or_else(out_of_range)?,
        );
        if bool::from(d.0.is_zero()) {
            return Err(out_of_range());
        }
        // d = n - 1 has no (1 + d)^-1: not a signing key.
        let d1_inv = SecretScalar(
            Option::<Scalar>::from((d.0 + Scalar::ONE).invert()).ok_or_else(out_of_range)?,
        );
        let point = curve::mul_base(&d.0).to_affine().ok_or_else(out_of_range)?;
        Ok(PrivateKey {
            d,
            d1_inv,
            public: PublicKey::from_point(point),
        })
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
        self.public.clone()
    }

    /// The 32-byte scalar.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.d.0.to_repr().into()
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

    /// Signs the digest e = SM3(Z ‖ M) (GB/T 32918.2 §6.1 A3–A7), with a deterministic nonce:
    /// k from HMAC-DRBG over SM3 seeded with d and e (RFC 6979 §3.2), the same k, and so the
    /// same signature, as the `sm2` crate's signer.
    pub fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, CryptoError> {
        let e = curve::reduce(e);
        let mut kgen = rfc6979::KGenerator::<::sm3::Sm3, ::sm2::U256>::new(
            &self.d.0.to_repr(),
            &e.to_repr(),
            &[],
            &curve::ORDER,
        );
        loop {
            // A3: k in [1, n-1]
            let mut k = ::sm2::FieldBytes::default();
            kgen.fill_next_k(&mut k);
            let Some(k) = Option::<Scalar>::from(Scalar::from_repr(k)) else {
                continue;
            };
            let k = SecretScalar(k);
            if let Some(sig) = self.sign_with_nonce(&e, &k.0) {
                return Ok(sig);
            }
            // r = 0, r + k = n or s = 0: back to A3 with the next k.
        }
    }

    /// A4–A7 with the nonce k; `None` when the standard says to pick another k.
    fn sign_with_nonce(&self, e: &Scalar, k: &Scalar) -> Option<Signature> {
        // A4: (x1, y1) = [k]G
        let p = curve::mul_base(k).to_affine()?;
        // A5: r = (e + x1) mod n
        let r = *e + curve::reduce(&p.to_xy().0);
        if bool::from(r.is_zero() | (r + k).is_zero()) {
            return None;
        }
        // A6: s = (1 + d)^-1 · (k - r·d) = (1 + d)^-1 · (k + r) - r
        let s = self.d1_inv.0 * (*k + r) - r;
        if bool::from(s.is_zero()) {
            return None;
        }
        Some(Signature {
            r: r.to_repr().into(),
            s: s.to_repr().into(),
        })
    }

    /// Signs message `msg` with signer ID `id`.
    pub fn sign(&self, id: &[u8], msg: &[u8]) -> Result<Signature, CryptoError> {
        self.sign_digest(&message_digest(&self.public_key(), id, msg))
    }
}

/// Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), GB/T 32918.2 §5.5; for the default ID
/// computed once per key.
pub fn z_value(pk: &PublicKey, id: &[u8]) -> [u8; 32] {
    if id == DEFAULT_ID {
        return *pk.z_default.get_or_init(|| compute_z(pk, id));
    }
    compute_z(pk, id)
}

fn compute_z(pk: &PublicKey, id: &[u8]) -> [u8; 32] {
    let entl = ((id.len() * 8) as u16).to_be_bytes();
    let p = &pk.sec1;
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
    /// A SEQUENCE with non-minimal or sign-less INTEGERs (Koal, DianJu files).
    LenientDer,
    /// 64 bytes r ‖ s (UKeys, Koal maker signatures, Suwell).
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
    // B1, B2: r, s ∈ [1, n-1]
    let in_range = |v: &[u8; 32]| {
        Option::<Scalar>::from(Scalar::from_repr((*v).into())).filter(|x| !bool::from(x.is_zero()))
    };
    let (Some(r), Some(s)) = (in_range(&sig.r), in_range(&sig.s)) else {
        return Err(CryptoError::BadSignature);
    };
    // B4: e' as an integer mod n
    let e = curve::reduce(e);
    // B5: t = (r' + s') mod n ≠ 0
    let t = r + s;
    if bool::from(t.is_zero()) {
        return Err(CryptoError::BadSignature);
    }
    // B6: (x1', y1') = [s']G + [t]P_A; B7: (e' + x1') mod n = r'
    if curve::mul_base_add_vartime(&s, &t, &pk.point).x_reduced_equals_vartime(&(r - e)) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
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

    /// GB/T 32918.2-2016 / GB/T 32918.5 Appendix A: with the published d and k, steps A4–A7
    /// give the published (r, s), and the key gives the published public key.
    #[test]
    fn gbt32918_example_with_published_nonce() {
        let h = |s: &str| -> [u8; 32] { hex::decode(s).unwrap().try_into().unwrap() };
        let key = PrivateKey::from_bytes(&h(
            "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8",
        ))
        .unwrap();
        assert_eq!(
            hex::encode_upper(&key.public_key().to_sec1_uncompressed()[1..]),
            "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
             CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
        );
        let e = message_digest(&key.public_key(), DEFAULT_ID, b"message digest");
        let k = curve::reduce(&h(
            "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21",
        ));
        let sig = key.sign_with_nonce(&curve::reduce(&e), &k).unwrap();
        assert_eq!(
            hex::encode_upper(sig.r),
            "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
        );
        assert_eq!(
            hex::encode_upper(sig.s),
            "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
        );
        verify_digest(&key.public_key(), &e, &sig).unwrap();
    }

    #[test]
    fn private_scalar_range() {
        let n_minus = |k: u8| {
            let mut n =
                hex::decode("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123")
                    .unwrap();
            n[31] -= k;
            n
        };
        assert!(PrivateKey::from_bytes(&[0; 32]).is_err(), "d = 0");
        assert!(PrivateKey::from_bytes(&n_minus(0)).is_err(), "d = n");
        assert!(
            PrivateKey::from_bytes(&n_minus(1)).is_err(),
            "d = n - 1: 1 + d is not invertible"
        );
        let k = PrivateKey::from_bytes(&n_minus(2)).unwrap();
        let sig = k.sign(DEFAULT_ID, b"m").unwrap();
        verify(&k.public_key(), DEFAULT_ID, b"m", &sig).unwrap();
        let short = PrivateKey::from_bytes(&[1; 31]).unwrap();
        let mut padded = [1; 32];
        padded[0] = 0;
        assert_eq!(
            short.to_bytes(),
            padded,
            "31 bytes: a leading zero left out"
        );
        assert!(PrivateKey::from_bytes(&[1; 23]).is_err(), "23 bytes");
        assert!(PrivateKey::from_bytes(&[1; 33]).is_err(), "33 bytes");
    }

    #[test]
    fn verification_rejects_out_of_range_values() {
        let k = PrivateKey::from_seed(b"range");
        let pk = k.public_key();
        let e = [7u8; 32];
        let good = k.sign_digest(&e).unwrap();
        verify_digest(&pk, &e, &good).unwrap();
        let n = hex32_n();
        for (r, s) in [
            ([0u8; 32], good.s),
            (good.r, [0u8; 32]),
            (n, good.s),
            (good.r, n),
            ([0xFF; 32], good.s),
        ] {
            assert!(verify_digest(&pk, &e, &Signature { r, s }).is_err());
        }
        // t = r + s = n
        let r = curve::reduce(&good.r);
        let s: [u8; 32] = (-r).to_repr().into();
        assert!(verify_digest(&pk, &e, &Signature { r: good.r, s }).is_err());
        // another key, another digest
        assert!(verify_digest(&PrivateKey::from_seed(b"other").public_key(), &e, &good).is_err());
        assert!(verify_digest(&pk, &[8; 32], &good).is_err());
    }

    fn hex32_n() -> [u8; 32] {
        hex::decode("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123")
            .unwrap()
            .try_into()
            .unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Same key, same digest: the same signature as the `sm2` crate's signer (same RFC
        /// 6979 nonce), each verifying with the other's verifier.
        #[test]
        fn signatures_equal_the_crate_and_cross_verify(seed in proptest::prelude::any::<[u8; 16]>(), e in proptest::prelude::any::<[u8; 32]>()) {
            use ::sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            let key = PrivateKey::from_seed(&seed);
            let sk = ::sm2::dsa::SigningKey::from_slice("1234567812345678", &key.to_bytes()).unwrap();
            let theirs: ::sm2::dsa::Signature = sk.sign_prehash(&e).unwrap();
            let ours = key.sign_digest(&e).unwrap();
            proptest::prop_assert_eq!(&ours.to_raw()[..], &theirs.to_bytes()[..]);
            proptest::prop_assert_eq!(
                &key.public_key().to_sec1_uncompressed()[..],
                &sk.verifying_key().to_sec1_bytes()[..]
            );
            verify_digest(&key.public_key(), &e, &ours).unwrap();
            let mut bad = ours;
            bad.s[31] ^= 1;
            proptest::prop_assert!(verify_digest(&key.public_key(), &e, &bad).is_err());
            let theirs_bad = ::sm2::dsa::Signature::from_scalars(bad.r, bad.s);
            if let Ok(tb) = theirs_bad {
                proptest::prop_assert!(sk.verifying_key().verify_prehash(&e, &tb).is_err());
            }
        }
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
