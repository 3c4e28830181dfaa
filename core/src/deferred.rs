//! Deferred (two-step) signing: **prepare** gives the digest to be signed elsewhere — a
//! UKey in the user's browser through `eseal agent`, an external HSM — and an opaque state;
//! **finish** takes the signature of that digest and writes the signed document.
//!
//! The digest depends on the signer's key ([`Scheme`], read from its certificate): for SM2,
//! e = SM3(Z‖M) (GB/T 32918.2 §6.1), what a UKey's `SKF_ECCSignData` signs; for ECDSA P-256
//! and RSA (PAdES, ETSI EN 319 142-1), SHA-256 of the DER of the CMS signed attributes
//! (RFC 5652 §5.4), what `openssl pkeyutl -sign` or a PKCS#11 `CKM_ECDSA` /
//! `CKM_RSA_PKCS` (with DigestInfo) signs.
//!
//! How: signing a PDF or OFD is deterministic given the source bytes, the request, the
//! signing time and the signer's certificate (GB/T 38540 §7: TBS_Sign holds the time and the
//! data hash; CMS signed attributes hold the signing time). `prepare` runs the whole signing
//! with a signer that records the digest it is asked for (and answers a placeholder, the
//! output being discarded); `finish` runs it again with the signature answering exactly that
//! digest. The state binds the source by its SM3 (a swapped file is refused before anything
//! is done), and a changed request asks for another digest, which is refused too. The
//! signature is checked against the certificate's key before anything is written.

use crate::crypto::cert::PublicKeyInfo;
use crate::crypto::sm2::{self, Signature};
use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer, SignerError};
use base64::Engine;
use std::sync::Mutex;

/// Errors of deferred signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeferredError {
    #[error(
        "the document is not the one prepared (SM3 {found}, prepared {prepared}) / 文件与准备签署时不一致"
    )]
    SourceChanged { prepared: String, found: String },
    #[error(
        "the signing request differs from the prepared one (another digest to sign) / 签署参数与准备时不一致"
    )]
    RequestChanged,
    #[error(
        "the signature does not verify with the prepared certificate over the digest / 签名值验证失败"
    )]
    BadSignature,
    #[error("signing asked for no digest (nothing to sign?)")]
    NoDigest,
    #[error("signing asked for more than one digest; prepare one signature at a time")]
    SeveralDigests,
    /// The certificate's key is neither SM2, ECDSA P-256 nor RSA.
    #[error("deferred signing needs an SM2, ECDSA P-256 or RSA certificate, not {0}")]
    UnsupportedKey(String),
    #[error("deferred state: {0}")]
    State(String),
}

/// What the external signer signs, and how: decided by the certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// SM2 over e = SM3(Z‖M) (GB/T 32918.2 §6.1, GM/T 0009 default ID).
    Sm2Sm3,
    /// ECDSA P-256 over the SHA-256 digest (FIPS 186-4); the answer DER or raw r‖s.
    EcdsaP256Sha256,
    /// RSA PKCS#1 v1.5 over the SHA-256 digest with its DigestInfo (RFC 8017 §8.2).
    RsaPkcs1Sha256,
}

impl Scheme {
    /// The scheme of `certificate`'s key.
    pub fn of(certificate: &Certificate) -> Result<Self, DeferredError> {
        match certificate.public_key() {
            PublicKeyInfo::Sm2(_) => Ok(Scheme::Sm2Sm3),
            PublicKeyInfo::EcP256(_) => Ok(Scheme::EcdsaP256Sha256),
            PublicKeyInfo::Rsa(_) => Ok(Scheme::RsaPkcs1Sha256),
            PublicKeyInfo::Other(oid) => Err(DeferredError::UnsupportedKey(oid.clone())),
        }
    }

    /// The name in the state and in the CLI's output.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Sm2Sm3 => "sm2-sm3",
            Scheme::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Scheme::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
        }
    }
}

/// What `prepare` hands back: the digest to sign and what `finish` needs to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The 32 bytes the external signer signs: e = SM3(Z‖M) for SM2 (UKey
    /// `SKF_ECCSignData`), SHA-256 of the CMS signed attributes for ECDSA and RSA.
    pub digest: [u8; 32],
    /// SM3 of the source document.
    pub source_sm3: [u8; 32],
    pub time: Time,
    pub certificate: Certificate,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    digest: String,
    /// Written for the external signer's information; read back from the certificate.
    #[serde(default)]
    scheme: String,
    source_sm3: String,
    time: i64,
    certificate: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl Pending {
    /// The state as JSON (digest and certificate base64, SM3 hex, time in Unix seconds, and
    /// the scheme the digest is to be signed with).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Wire {
            digest: b64().encode(self.digest),
            scheme: self.scheme().map(Scheme::as_str).unwrap_or_default().into(),
            source_sm3: hex::encode(self.source_sm3),
            time: self.time.unix(),
            certificate: b64().encode(self.certificate.der()),
        })
        .unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<Self, DeferredError> {
        let bad = |m: String| DeferredError::State(m);
        let w: Wire = serde_json::from_str(s).map_err(|e| bad(e.to_string()))?;
        let arr = |v: Vec<u8>, what: &str| -> Result<[u8; 32], DeferredError> {
            v.try_into()
                .map_err(|_| bad(format!("{what} is not 32 bytes")))
        };
        Ok(Pending {
            digest: arr(
                b64().decode(&w.digest).map_err(|e| bad(e.to_string()))?,
                "digest",
            )?,
            source_sm3: arr(
                hex::decode(&w.source_sm3).map_err(|e| bad(e.to_string()))?,
                "source_sm3",
            )?,
            time: Time::from_unix(w.time),
            certificate: Certificate::from_der(
                &b64()
                    .decode(&w.certificate)
                    .map_err(|e| bad(e.to_string()))?,
            )
            .map_err(|e| bad(e.to_string()))?,
        })
    }

    /// How the digest is to be signed: by the certificate's key.
    pub fn scheme(&self) -> Result<Scheme, DeferredError> {
        Scheme::of(&self.certificate)
    }

    /// Refuses a source other than the prepared one.
    pub fn check_source(&self, source: &[u8]) -> Result<(), DeferredError> {
        self.check_source_sm3(source_sm3(source, &crate::fs::InMemory))
    }

    /// Refuses a source whose SM3 (from [`source_sm3`]) is not the prepared one's.
    pub fn check_source_sm3(&self, found: [u8; 32]) -> Result<(), DeferredError> {
        if found != self.source_sm3 {
            return Err(DeferredError::SourceChanged {
                prepared: hex::encode(self.source_sm3),
                found: hex::encode(found),
            });
        }
        Ok(())
    }

    /// Checks `signature` over the digest with the prepared certificate's key.
    pub fn check_signature(&self, signature: &SignatureValue) -> Result<(), DeferredError> {
        let bad = |_| DeferredError::BadSignature;
        match (self.certificate.public_key(), signature) {
            (PublicKeyInfo::Sm2(pk), SignatureValue::Sm2(sig)) => {
                sm2::verify_digest(pk, &self.digest, sig).map_err(bad)
            }
            (PublicKeyInfo::EcP256(point), SignatureValue::Bytes(b)) => {
                use p256::ecdsa::signature::hazmat::PrehashVerifier;
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| DeferredError::BadSignature)?;
                let sig = ecdsa_signature(b)?;
                vk.verify_prehash(&self.digest, &sig)
                    .map_err(|_| DeferredError::BadSignature)
            }
            (PublicKeyInfo::Rsa(pkcs1), SignatureValue::Bytes(b)) => {
                use rsa::pkcs1::DecodeRsaPublicKey;
                let pk = rsa::PublicKey::from_pkcs1_der(pkcs1)
                    .map_err(|_| DeferredError::BadSignature)?;
                pk.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &self.digest, b)
                    .map_err(|_| DeferredError::BadSignature)
            }
            _ => Err(DeferredError::BadSignature),
        }
    }
}

/// An ECDSA signature given as DER or as raw r‖s (64 bytes).
fn ecdsa_signature(b: &[u8]) -> Result<p256::ecdsa::Signature, DeferredError> {
    if b.len() == 64 {
        p256::ecdsa::Signature::from_slice(b)
    } else {
        p256::ecdsa::Signature::from_der(b)
    }
    .map_err(|_| DeferredError::BadSignature)
}

/// SM3 of a whole source read once, a chunk at a time, each chunk given back to `release`
/// (a mapped file stays out of memory).
pub fn source_sm3(source: &[u8], release: &dyn crate::fs::Release) -> [u8; 32] {
    use sm3::Digest as _;
    let mut h = crate::crypto::sm3::Sm3::new();
    for (i, chunk) in source.chunks(crate::fs::CHUNK).enumerate() {
        h.update(chunk);
        let at = i * crate::fs::CHUNK;
        release.release(at..at + chunk.len());
    }
    h.finalize().into()
}

/// The external signer's answer to the prepared digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureValue {
    /// SM2 (r, s) over e.
    Sm2(Signature),
    /// ECDSA P-256 (DER or raw r‖s) or RSA PKCS#1 v1.5 over the SHA-256 digest.
    Bytes(Vec<u8>),
}

impl SignatureValue {
    /// Reads `bytes` as the scheme wants them: SM2 as DER or raw r‖s, the others as given.
    pub fn parse(scheme: Scheme, bytes: &[u8]) -> Result<Self, crate::crypto::CryptoError> {
        Ok(match scheme {
            Scheme::Sm2Sm3 if bytes.len() == 64 => SignatureValue::Sm2(Signature::from_raw(bytes)?),
            Scheme::Sm2Sm3 => SignatureValue::Sm2(Signature::parse_lenient(bytes)?.0),
            _ => SignatureValue::Bytes(bytes.to_vec()),
        })
    }
}

impl From<Signature> for SignatureValue {
    fn from(s: Signature) -> Self {
        SignatureValue::Sm2(s)
    }
}

impl From<&Signature> for SignatureValue {
    fn from(s: &Signature) -> Self {
        SignatureValue::Sm2(*s)
    }
}

/// Signs a SHA-256 digest with an ECDSA P-256 or RSA key held elsewhere (PAdES): the answer
/// is the SignerInfo's signature value (ECDSA as DER, RSA PKCS#1 v1.5).
pub trait Sha256Signer: Send + Sync {
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError>;
}

/// A signer that holds only a certificate: what the signing side knows of a UKey or HSM
/// (requests for deferred signing name it; it never signs).
pub struct External(pub Certificate);

fn external_refusal() -> SignerError {
    SignerError::Refused(
        "an external signer signs through deferred signing (prepare, finish)".into(),
    )
}

impl Signer for External {
    fn certificate(&self) -> &Certificate {
        &self.0
    }
    fn sign_digest(&self, _e: &[u8; 32]) -> Result<Signature, SignerError> {
        Err(external_refusal())
    }
}

impl Sha256Signer for External {
    fn sign_sha256(&self, _digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Err(external_refusal())
    }
}

/// The longest signature value a key of `certificate` gives: sizes the placeholder.
pub(crate) fn max_signature_len(certificate: &Certificate) -> usize {
    match certificate.public_key() {
        PublicKeyInfo::Rsa(pkcs1) => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            use rsa::traits::PublicKeyParts;
            rsa::PublicKey::from_pkcs1_der(pkcs1).map_or(512, |k| k.size())
        }
        _ => 72,
    }
}

/// The signer of both runs of a deferred signing: it records the digests it is asked for
/// (prepare) or answers the prepared one with the given signature (finish). SM2 signing
/// goes through [`Signer`], ECDSA and RSA through [`Sha256Signer`].
pub struct Replay {
    cert: Certificate,
    answer: Option<([u8; 32], SignatureValue)>,
    asked: Mutex<Vec<[u8; 32]>>,
}

impl Replay {
    fn ask(&self, e: &[u8; 32]) -> Result<Option<&SignatureValue>, SignerError> {
        if let Ok(mut a) = self.asked.lock() {
            a.push(*e);
        }
        match &self.answer {
            Some((want, sig)) if want == e => Ok(Some(sig)),
            Some(_) => Err(SignerError::Refused(
                DeferredError::RequestChanged.to_string(),
            )),
            None => Ok(None),
        }
    }

    fn asked(self) -> Vec<[u8; 32]> {
        self.asked.into_inner().unwrap_or_default()
    }
}

impl Signer for Replay {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, SignerError> {
        match self.ask(e)? {
            Some(SignatureValue::Sm2(sig)) => Ok(*sig),
            Some(SignatureValue::Bytes(_)) => Err(SignerError::NotSm2),
            // A placeholder of the longest DER size: prepare's output is discarded.
            None => Ok(Signature {
                r: [0xFF; 32],
                s: [0xFF; 32],
            }),
        }
    }
}

impl Sha256Signer for Replay {
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        match self.ask(digest)? {
            // CMS carries ECDSA-Sig-Value in DER (RFC 5753 §7.2): raw r‖s is converted.
            Some(SignatureValue::Bytes(b)) if b.len() == 64 => ecdsa_signature(b)
                .map(|s| s.to_der().as_bytes().to_vec())
                .map_err(|e| SignerError::Refused(e.to_string())),
            Some(SignatureValue::Bytes(b)) => Ok(b.clone()),
            Some(SignatureValue::Sm2(_)) => Err(SignerError::Refused(
                "an SM2 signature answers an SM2 digest, not SHA-256".into(),
            )),
            None => Ok(vec![0xFF; max_signature_len(&self.cert)]),
        }
    }
}

/// Runs `sign` (the whole signing of the source whose SM3 is `source_sm3` with the signer it
/// is given, returning the signing time it used) to learn the one digest it asks for.
pub fn prepare<E: From<DeferredError>>(
    source_sm3: [u8; 32],
    certificate: &Certificate,
    sign: impl FnOnce(&std::sync::Arc<Replay>) -> Result<Time, E>,
) -> Result<Pending, E> {
    Scheme::of(certificate)?;
    let signer = std::sync::Arc::new(Replay {
        cert: certificate.clone(),
        answer: None,
        asked: Mutex::new(Vec::new()),
    });
    let time = sign(&signer)?;
    let asked = unwrap_replay(signer);
    let digest = match asked[..] {
        [e] => e,
        [] => return Err(DeferredError::NoDigest.into()),
        _ => return Err(DeferredError::SeveralDigests.into()),
    };
    Ok(Pending {
        digest,
        source_sm3,
        time,
        certificate: certificate.clone(),
    })
}

/// The digests a replay was asked for, once the signing that held it is done.
fn unwrap_replay(signer: std::sync::Arc<Replay>) -> Vec<[u8; 32]> {
    match std::sync::Arc::try_unwrap(signer) {
        Ok(r) => r.asked(),
        Err(shared) => shared.asked.lock().map(|a| a.clone()).unwrap_or_default(),
    }
}

/// Runs `sign` again with `signature` answering the prepared digest: the source must be the
/// prepared one (the caller checks it, [`Pending::check_source`]), the signature must
/// verify, and the request must ask for the same digest.
pub fn finish<T, E: From<DeferredError>>(
    pending: &Pending,
    signature: &SignatureValue,
    sign: impl FnOnce(&std::sync::Arc<Replay>) -> Result<T, E>,
) -> Result<T, E> {
    pending.check_signature(signature)?;
    let signer = std::sync::Arc::new(Replay {
        cert: pending.certificate.clone(),
        answer: Some((pending.digest, signature.clone())),
        asked: Mutex::new(Vec::new()),
    });
    let out = sign(&signer);
    if unwrap_replay(signer).iter().any(|e| *e != pending.digest) {
        return Err(DeferredError::RequestChanged.into());
    }
    out
}
