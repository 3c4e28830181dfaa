//! UKey sign-in checked by the platform (manual 1.2.1 法人一证通, 1.2.2 个人 UKey): a random,
//! single-use, short-lived challenge; the UKey signs it (through `eseal agent`,
//! `POST /v1/sign-challenge`); the platform verifies the SM2 signature, the certificate
//! (valid now, chains to its trust anchors) and then the unit's main-key and whitelist rules.
//! Nothing of the identity is taken from the caller but the certificate, the signature and the
//! device serial the agent reports (used only when the certificate carries no unique id).

use super::*;
use crate::crypto::Certificate;
use crate::crypto::time::Time;
use crate::ukey::identity::{OID_CERT_UNIQUE_ID, OID_ORG_CODE, extension_text};
use crate::validation::{ChainStatus, verify_chain};

/// Lifetime of a UKey login challenge, seconds.
pub const CHALLENGE_TTL: i64 = 120;

/// Which UKey signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UkeyKind {
    /// A unit UKey (法人一证通, 1.2.1): the certificate names the unit.
    Unit,
    /// A personal UKey (1.2.2): the certificate names a serving staff member by ID number.
    Personal,
}

/// A challenge answered by a UKey.
#[derive(Clone, Debug)]
pub struct UkeyProof {
    pub challenge_id: String,
    /// The UKey's signing certificate (DER).
    pub certificate: Vec<u8>,
    /// SM2 signature (DER, lenient encodings accepted) of the challenge bytes with the
    /// default signer ID: e = SM3(Z ‖ challenge).
    pub signature: Vec<u8>,
    /// The device serial the agent reports (the key's id when the certificate has no
    /// 通用实体唯一标识 extension).
    pub device_serial: String,
}

/// A challenge as handed to the client.
#[derive(Clone, Debug)]
pub struct IssuedChallenge {
    pub id: String,
    /// The bytes to sign.
    pub bytes: Vec<u8>,
    pub expires: i64,
}

fn refused(msg: impl Into<String>) -> PlatformError {
    PlatformError::LoginRefused(msg.into())
}

fn ext_text(cert: &Certificate, oid: &str) -> Option<String> {
    cert.extensions()
        .iter()
        .find(|(o, _, _)| o == oid)
        .map(|(_, _, v)| extension_text(v))
}

impl Platform {
    /// Issues a login challenge: 32 random bytes, single use, [`CHALLENGE_TTL`] seconds.
    pub fn ukey_challenge(&self) -> Result<IssuedChallenge> {
        let bytes = random_bytes::<32>()?.to_vec();
        let c = Challenge {
            id: hex::encode(random_bytes::<16>()?),
            challenge: hex::encode(&bytes),
            expires: self.clock.now() + CHALLENGE_TTL,
        };
        self.apply(|tx| tx.insert(&c))?;
        Ok(IssuedChallenge {
            id: c.id,
            bytes,
            expires: c.expires,
        })
    }

    /// Takes the challenge out of the store (single use: gone whether the login then
    /// succeeds or not); unknown, used and expired challenges are refused alike.
    fn take_challenge(&self, id: &str) -> Result<Vec<u8>> {
        let now = self.clock.now();
        let gone = || PlatformError::ChallengeExpired;
        let bytes = self.apply(|tx| {
            let Some((c, v)) = self.load::<Challenge>(id)? else {
                return Ok(None);
            };
            tx.delete(Kind::Challenge, id, v);
            Ok(Some(c))
        })?;
        match bytes {
            Some(c) if now <= c.expires => hex::decode(&c.challenge).map_err(|_| gone()),
            _ => Err(gone()),
        }
    }

    /// Verifies a UKey's answer: the challenge is taken, its signature checked with the
    /// certificate's key, the certificate valid at the platform's time and chaining to the
    /// platform's trust anchors. Returns the certificate.
    fn verify_ukey_proof(&self, proof: &UkeyProof) -> Result<Certificate> {
        let challenge = self.take_challenge(&proof.challenge_id)?;
        let cert = Certificate::from_der(&proof.certificate).map_err(|e| {
            PlatformError::InvalidInput(format!("the UKey certificate is unreadable: {e}"))
        })?;
        let (sig, _) = sm2::Signature::parse_lenient(&proof.signature)
            .map_err(|_| PlatformError::InvalidInput("not an SM2 signature".into()))?;
        let pk = cert.sm2_public_key().map_err(|_| {
            PlatformError::InvalidInput("the UKey certificate holds no SM2 key".into())
        })?;
        sm2::verify(pk, sm2::DEFAULT_ID, &challenge, &sig)
            .map_err(|_| refused("the challenge signature does not verify"))?;
        if !cert.valid_at(Time::from_unix(self.clock.now())) {
            return Err(refused("the UKey certificate is not valid now"));
        }
        if !matches!(
            verify_chain(&cert, &[], &self.trust),
            ChainStatus::Trusted { .. }
        ) {
            return Err(refused(
                "the UKey certificate does not chain to a trust anchor of this platform",
            ));
        }
        Ok(cert)
    }

    /// UKey login (1.2.1, 1.2.2) from a challenge answered by the UKey. A unit UKey: the
    /// certificate names the unit (O or CN; credit code from the organisation-code extension
    /// or serialNumber); the first UKey of a new unit creates it and is its super
    /// administrator; later keys pass the main-key and whitelist rules (2.4.7). A personal
    /// UKey: the serving staff member with the certificate's ID number (serialNumber).
    pub fn login_ukey(&self, kind: UkeyKind, proof: &UkeyProof, ip: &str) -> Result<Session> {
        let cert = match self.verify_ukey_proof(proof) {
            Ok(c) => c,
            Err(e) => {
                // Refusals before the identity is known are audited under `anonymous`.
                let action = match kind {
                    UkeyKind::Unit => "LoginUnitKey",
                    UkeyKind::Personal => "LoginPersonalUkey",
                };
                let mut a = self.entry("", "anonymous", "", action);
                a.object = proof.challenge_id.clone();
                a.ip = ip.to_owned();
                a.outcome = Outcome::Denied(e.to_string());
                self.audit_only(a)?;
                return Err(e);
            }
        };
        let subject = cert.subject();
        match kind {
            UkeyKind::Unit => {
                let name = subject
                    .get("O")
                    .or_else(|| subject.get("CN"))
                    .unwrap_or("")
                    .to_owned();
                let code = ext_text(&cert, OID_ORG_CODE)
                    .or_else(|| subject.get("serialNumber").map(str::to_owned))
                    .unwrap_or_default();
                let device = ext_text(&cert, OID_CERT_UNIQUE_ID)
                    .unwrap_or_else(|| proof.device_serial.trim().to_owned());
                self.login_unit_key(
                    &name,
                    &code,
                    &cert.serial_hex(),
                    &cert.subject_string(),
                    &device,
                    cert.der(),
                    ip,
                )
            }
            UkeyKind::Personal => {
                let idn = subject.get("serialNumber").unwrap_or("").to_owned();
                self.login_personal_ukey(&idn, ip)
            }
        }
    }
}
