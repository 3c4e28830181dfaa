//! The hash-chained, append-only audit log (manual 2.10; issue 5 "Audit log").
//!
//! Entry `n` stores the hash of entry `n-1` (`prev`, 64 zeros for the first) and is itself
//! hashed as `hash_n = SM3(prev_hash_n ‖ body_n)` over the exact stored JSON text. A changed
//! entry breaks its own hash; a removed entry leaves a gap in `seq` and breaks the next
//! entry's `prev`; a truncated tail is detected when the caller checks against a head
//! `(seq, hash)` it kept elsewhere ([`verify_chain`] with `expected_head`).

use serde::{Deserialize, Serialize};

use super::store::AuditRow;
use crate::crypto::sm3::sm3;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Outcome of an audited action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Denied(String),
    Failed(String),
}

/// One audit entry (who, what, object, time, outcome, source IP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub prev: String,
    /// Unix seconds.
    pub time: i64,
    /// Unit the action belongs to (empty for back-office actions).
    pub unit: String,
    /// Identity id (unit key id, staff id, `ops:<name>`, `app:<id>`, or `anonymous`).
    pub actor: String,
    pub actor_name: String,
    pub action: String,
    pub object: String,
    pub outcome: Outcome,
    pub ip: String,
}

pub fn entry_hash(prev: &str, body: &str) -> String {
    let mut buf = Vec::with_capacity(prev.len() + body.len());
    buf.extend_from_slice(prev.as_bytes());
    buf.extend_from_slice(body.as_bytes());
    hex::encode(sm3(&buf))
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit entry {0}: content changed (hash mismatch)")]
    Changed(u64),
    #[error("audit entry {0}: missing (sequence gap)")]
    Missing(u64),
    #[error("audit entry {0}: previous-hash link broken")]
    Unlinked(u64),
    #[error("audit entry {0}: unreadable")]
    Unreadable(u64),
    #[error("audit log ends at {found} but the kept head is {expected}")]
    Truncated { expected: u64, found: u64 },
}

/// Checks the whole chain; `expected_head` is a `(seq, hash)` kept outside the store.
pub fn verify_chain(
    rows: &[AuditRow],
    expected_head: Option<(u64, &str)>,
) -> Result<(), ChainError> {
    let mut prev_hash = GENESIS.to_owned();
    let mut want_seq = 1;
    for row in rows {
        if row.seq != want_seq {
            return Err(ChainError::Missing(want_seq));
        }
        let entry: AuditEntry =
            serde_json::from_str(&row.body).map_err(|_| ChainError::Unreadable(row.seq))?;
        if entry.seq != row.seq {
            return Err(ChainError::Changed(row.seq));
        }
        if entry_hash(&entry.prev, &row.body) != row.hash {
            return Err(ChainError::Changed(row.seq));
        }
        if entry.prev != prev_hash {
            return Err(ChainError::Unlinked(row.seq));
        }
        prev_hash = row.hash.clone();
        want_seq += 1;
    }
    if let Some((seq, hash)) = expected_head {
        let last = want_seq - 1;
        if last < seq {
            return Err(ChainError::Truncated {
                expected: seq,
                found: last,
            });
        }
        if let Some(r) = rows.iter().find(|r| r.seq == seq)
            && r.hash != hash
        {
            return Err(ChainError::Changed(seq));
        }
    }
    Ok(())
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

impl AuditFilter {
    pub fn matches(&self, e: &AuditEntry) -> bool {
        self.actor
            .as_deref()
            .is_none_or(|a| e.actor == a || e.actor_name.contains(a))
            && self.action.as_deref().is_none_or(|a| e.action == a)
            && self.object.as_deref().is_none_or(|o| e.object.contains(o))
            && self.from.is_none_or(|f| e.time >= f)
            && self.to.is_none_or(|t| e.time <= t)
            && (!self.only_failures || e.outcome != Outcome::Ok)
    }
}
