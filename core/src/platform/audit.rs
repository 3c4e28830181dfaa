//! The audit log (manual 2.10): one keyed hash chain per unit, signed checkpoints.
//!
//! - **Chains.** Every entry belongs to the chain of its unit (`platform` for back-office and
//!   anonymous events). Entry `n` of a chain carries the MAC of entry `n-1` (`prev`, 64 zeros
//!   for the first) and its own `mac = HMAC-SM3(key, canonical(entry))` over every field but
//!   the MAC (RFC 2104 with SM3, GB/T 32905). The key is the platform's (configuration), not the
//!   database's: someone who can write the database can delete or change rows but cannot make
//!   a chain that verifies. Operations of different units never wait for each other's head.
//! - **Detection.** A changed entry breaks its own MAC; a removed entry leaves a gap in `seq`
//!   and breaks the next `prev`; a truncated tail or a chain rewritten from some entry on (by
//!   someone holding the MAC key) is caught against a [`SignedCheckpoint`]: the heads of every
//!   chain signed with the platform's SM2 audit key, published outside the database.

use base64::Engine;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};

use crate::crypto::sm2;
use crate::crypto::{Certificate, Signer};

/// `prev` of the first entry of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of events that belong to no unit (back office, anonymous refusals).
pub const PLATFORM_CHAIN: &str = "platform";

/// Outcome of an audited action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Denied(String),
    Failed(String),
}

impl Outcome {
    /// `ok`, `denied` or `failed` (the SQL stores' column).
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied(_) => "denied",
            Outcome::Failed(_) => "failed",
        }
    }
    /// The reason of a refusal or failure ("" for ok).
    pub fn reason(&self) -> &str {
        match self {
            Outcome::Ok => "",
            Outcome::Denied(r) | Outcome::Failed(r) => r,
        }
    }
    /// From [`Outcome::kind`] and [`Outcome::reason`].
    pub fn from_parts(kind: &str, reason: &str) -> Option<Outcome> {
        match kind {
            "ok" => Some(Outcome::Ok),
            "denied" => Some(Outcome::Denied(reason.to_owned())),
            "failed" => Some(Outcome::Failed(reason.to_owned())),
            _ => None,
        }
    }
}

/// One audit entry (who, what, object, time, outcome, source IP) and its place in its chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The unit's id, or [`PLATFORM_CHAIN`].
    pub chain: String,
    /// 1, 2, 3 … within the chain, without gaps (set by the store).
    pub seq: u64,
    /// MAC of the previous entry of the chain (set by the store).
    pub prev: String,
    /// Unix seconds.
    pub time: i64,
    /// Identity id (unit key id, staff id, `ops:<name>`, `app:<id>`, or `anonymous`).
    pub actor: String,
    pub actor_name: String,
    pub action: String,
    pub object: String,
    pub outcome: Outcome,
    pub ip: String,
    /// HMAC-SM3 of [`AuditEntry::canonical`] (lower-case hex; set by the store).
    pub mac: String,
}

impl AuditEntry {
    /// The bytes the MAC covers: every field but `mac`, each length-prefixed (so no two
    /// different entries share an encoding).
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let mut field = |b: &[u8]| {
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        };
        field(self.chain.as_bytes());
        field(&self.seq.to_be_bytes());
        field(self.prev.as_bytes());
        field(&self.time.to_be_bytes());
        field(self.actor.as_bytes());
        field(self.actor_name.as_bytes());
        field(self.action.as_bytes());
        field(self.object.as_bytes());
        field(self.outcome.kind().as_bytes());
        field(self.outcome.reason().as_bytes());
        field(self.ip.as_bytes());
        out
    }
}

type HmacSm3 = hmac::Hmac<sm3::Sm3>;

/// The keyed MAC of the audit chains (HMAC-SM3). The key comes from the platform's
/// configuration and is never written to the store.
#[derive(Clone)]
pub struct AuditMac {
    key: Vec<u8>,
}

impl std::fmt::Debug for AuditMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditMac(..)")
    }
}

/// Shortest audit MAC key accepted (bytes).
pub const MIN_MAC_KEY: usize = 16;

impl AuditMac {
    /// A MAC with `key` (at least [`MIN_MAC_KEY`] bytes).
    pub fn new(key: &[u8]) -> Result<AuditMac, ChainError> {
        if key.len() < MIN_MAC_KEY {
            return Err(ChainError::WeakKey(key.len()));
        }
        Ok(AuditMac { key: key.to_vec() })
    }

    /// Lower-case hex HMAC-SM3 of the entry's canonical bytes.
    pub fn mac(&self, e: &AuditEntry) -> String {
        // HMAC takes keys of any length (RFC 2104 §2); `new_from_slice` cannot fail for it.
        let mut m = match <HmacSm3 as KeyInit>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(&e.canonical());
        hex::encode(m.finalize().into_bytes())
    }

    fn verify(&self, e: &AuditEntry) -> bool {
        let want = self.mac(e);
        !want.is_empty()
            && want.len() == e.mac.len()
            && want
                .bytes()
                .zip(e.mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit chain {chain} entry {seq}: content changed (MAC mismatch)")]
    Changed { chain: String, seq: u64 },
    #[error("audit chain {chain} entry {seq}: missing (sequence gap)")]
    Missing { chain: String, seq: u64 },
    #[error("audit chain {chain} entry {seq}: previous-entry link broken")]
    Unlinked { chain: String, seq: u64 },
    #[error("audit chain {chain} ends at {found} but the checkpoint has {expected}")]
    Truncated {
        chain: String,
        expected: u64,
        found: u64,
    },
    #[error("audit chain {chain} entry {seq} differs from the checkpoint (rewritten)")]
    Rewritten { chain: String, seq: u64 },
    #[error("the audit checkpoint's signature does not verify")]
    BadCheckpoint,
    #[error("the audit MAC key is {0} bytes; at least 16 are needed")]
    WeakKey(usize),
}

/// Checks consecutive entries of one chain starting at `first` (seq 1 or a later entry
/// whose predecessor's MAC is `prev_mac`). Returns the last entry's (seq, mac).
pub fn verify_segment(
    mac: &AuditMac,
    entries: &[AuditEntry],
    start: Option<(u64, &str)>,
) -> Result<Option<(u64, String)>, ChainError> {
    let (mut last_seq, mut prev) = match start {
        Some((s, m)) => (s, m.to_owned()),
        None => (0, GENESIS.to_owned()),
    };
    for e in entries {
        if e.seq != last_seq + 1 {
            return Err(ChainError::Missing {
                chain: e.chain.clone(),
                seq: last_seq + 1,
            });
        }
        if !mac.verify(e) {
            return Err(ChainError::Changed {
                chain: e.chain.clone(),
                seq: e.seq,
            });
        }
        if e.prev != prev {
            return Err(ChainError::Unlinked {
                chain: e.chain.clone(),
                seq: e.seq,
            });
        }
        last_seq = e.seq;
        prev = e.mac.clone();
    }
    Ok((last_seq > 0).then_some((last_seq, prev)))
}

/// The head of one chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub chain: String,
    pub seq: u64,
    pub mac: String,
}

/// The heads of every chain at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub time: i64,
    pub heads: Vec<ChainHead>,
}

/// A checkpoint signed with the platform's SM2 audit key: the JSON text as signed, the
/// signature (DER, base64) and the signer's certificate (DER, base64).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub checkpoint: String,
    pub signature: String,
    pub certificate: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl SignedCheckpoint {
    /// Signs `c` with `signer` (SM2 with the default signer ID over the JSON text).
    pub fn sign(
        c: &Checkpoint,
        signer: &dyn Signer,
    ) -> Result<SignedCheckpoint, crate::crypto::SignerError> {
        let text = serde_json::to_string(c)
            .map_err(|e| crate::crypto::SignerError::Refused(e.to_string()))?;
        let sig = signer.sign_message(text.as_bytes())?;
        Ok(SignedCheckpoint {
            checkpoint: text,
            signature: b64().encode(sig.to_der()),
            certificate: b64().encode(signer.certificate().der()),
        })
    }

    /// Verifies the signature with `expected` (the platform's published audit certificate)
    /// and returns the checkpoint.
    pub fn verify(&self, expected: &Certificate) -> Result<Checkpoint, ChainError> {
        let bad = |_| ChainError::BadCheckpoint;
        let cert = b64().decode(&self.certificate).map_err(bad)?;
        if cert != expected.der() {
            return Err(ChainError::BadCheckpoint);
        }
        let pk = expected
            .sm2_public_key()
            .map_err(|_| ChainError::BadCheckpoint)?;
        let raw = b64().decode(&self.signature).map_err(bad)?;
        let (sig, _) =
            sm2::Signature::parse_lenient(&raw).map_err(|_| ChainError::BadCheckpoint)?;
        sm2::verify(pk, sm2::DEFAULT_ID, self.checkpoint.as_bytes(), &sig)
            .map_err(|_| ChainError::BadCheckpoint)?;
        serde_json::from_str(&self.checkpoint).map_err(|_| ChainError::BadCheckpoint)
    }
}

/// Filter for the auditor's view.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub only_failures: bool,
}
