//! Deferred (two-step) signing: **prepare** gives the digest e = SM3(Z‖M) to be signed
//! elsewhere — a UKey in the user's browser through `eseal agent`, an external HSM — and an
//! opaque state; **finish** takes the SM2 signature of e and writes the signed document.
//!
//! How: signing a PDF or OFD is deterministic given the source bytes, the request, the
//! signing time and the signer's certificate (GB/T 38540 §7: TBS_Sign holds the time and the
//! data hash; CMS signed attributes hold the signing time). `prepare` runs the whole signing
//! with a signer that records the e it is asked for (and answers a placeholder, the output
//! being discarded); `finish` runs it again with the signature answering exactly that e. The
//! state binds the source by its SM3 (a swapped file is refused before anything is done),
//! and a changed request asks for another e, which is refused too. The signature is checked
//! against the certificate's key before anything is written.

use crate::crypto::sm2::{self, Signature};
use crate::crypto::sm3::sm3;
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
    #[error("deferred state: {0}")]
    State(String),
}

/// What `prepare` hands back: the digest to sign and what `finish` needs to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// e = SM3(Z‖M), the 32 bytes the external signer signs (UKey `SKF_ECCSignData`).
    pub digest: [u8; 32],
    /// SM3 of the source document.
    pub source_sm3: [u8; 32],
    pub time: Time,
    pub certificate: Certificate,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    digest: String,
    source_sm3: String,
    time: i64,
    certificate: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl Pending {
    /// The state as JSON (digest and certificate base64, SM3 hex, time in Unix seconds).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Wire {
            digest: b64().encode(self.digest),
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

    /// Refuses a source other than the prepared one.
    pub fn check_source(&self, source: &[u8]) -> Result<(), DeferredError> {
        let found = sm3(source);
        if found != self.source_sm3 {
            return Err(DeferredError::SourceChanged {
                prepared: hex::encode(self.source_sm3),
                found: hex::encode(found),
            });
        }
        Ok(())
    }

    /// Checks `signature` over the digest with the prepared certificate's key.
    pub fn check_signature(&self, signature: &Signature) -> Result<(), DeferredError> {
        let pk = self
            .certificate
            .sm2_public_key()
            .map_err(|_| DeferredError::BadSignature)?;
        sm2::verify_digest(pk, &self.digest, signature).map_err(|_| DeferredError::BadSignature)
    }
}

/// A signer that holds only a certificate: what the signing side knows of a UKey or HSM
/// (requests for deferred signing name it; it never signs).
pub struct External(pub Certificate);

impl Signer for External {
    fn certificate(&self) -> &Certificate {
        &self.0
    }
    fn sign_digest(&self, _e: &[u8; 32]) -> Result<Signature, SignerError> {
        Err(SignerError::Refused(
            "an external signer signs through deferred signing (prepare, finish)".into(),
        ))
    }
}

/// The signer of both runs: records (prepare) or answers (finish).
struct Deferred<'a> {
    cert: &'a Certificate,
    answer: Option<([u8; 32], Signature)>,
    asked: Mutex<Vec<[u8; 32]>>,
}

impl Signer for Deferred<'_> {
    fn certificate(&self) -> &Certificate {
        self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, SignerError> {
        if let Ok(mut a) = self.asked.lock() {
            a.push(*e);
        }
        match &self.answer {
            Some((want, sig)) if want == e => Ok(*sig),
            Some(_) => Err(SignerError::Refused(
                DeferredError::RequestChanged.to_string(),
            )),
            // A placeholder of the longest DER size: prepare's output is discarded.
            None => Ok(Signature {
                r: [0xFF; 32],
                s: [0xFF; 32],
            }),
        }
    }
}

/// Runs `sign` (the whole signing of `source` with the signer it is given, returning the
/// signing time it used) to learn the one digest it asks for.
pub fn prepare<E: From<DeferredError>>(
    source: &[u8],
    certificate: &Certificate,
    sign: impl FnOnce(&dyn Signer) -> Result<Time, E>,
) -> Result<Pending, E> {
    let signer = Deferred {
        cert: certificate,
        answer: None,
        asked: Mutex::new(Vec::new()),
    };
    let time = sign(&signer)?;
    let asked = signer.asked.into_inner().unwrap_or_default();
    let digest = match asked[..] {
        [e] => e,
        [] => return Err(DeferredError::NoDigest.into()),
        _ => return Err(DeferredError::SeveralDigests.into()),
    };
    Ok(Pending {
        digest,
        source_sm3: sm3(source),
        time,
        certificate: certificate.clone(),
    })
}

/// Runs `sign` again with `signature` answering the prepared digest: the source must be the
/// prepared one, the signature must verify, and the request must ask for the same digest.
pub fn finish<T, E: From<DeferredError>>(
    source: &[u8],
    pending: &Pending,
    signature: &Signature,
    sign: impl FnOnce(&dyn Signer) -> Result<T, E>,
) -> Result<T, E> {
    pending.check_source(source)?;
    pending.check_signature(signature)?;
    let signer = Deferred {
        cert: &pending.certificate,
        answer: Some((pending.digest, *signature)),
        asked: Mutex::new(Vec::new()),
    };
    let out = sign(&signer);
    let asked = signer.asked.into_inner().unwrap_or_default();
    if asked.iter().any(|e| *e != pending.digest) {
        return Err(DeferredError::RequestChanged.into());
    }
    out
}
