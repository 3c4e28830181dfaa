//! The status of the seals the platform made, signed for verifiers (`crate::seal_status`,
//! `docs/seal-status.md`): the whole list (like a CRL) and a single answer (like OCSP).
//! Public, no session: a verifier anywhere may ask.

use super::*;
use crate::seal_status::{
    FrozenPeriod, MakerId, SealState, SealStatusEntry, SealStatusError, SealStatusList,
    SignedSealStatus, VERSION,
};

/// How long a status stays current: `nextUpdate` = `thisUpdate` + this (seconds).
pub const SEAL_STATUS_VALIDITY: i64 = 3600;

/// The esID the platform gives the seal of record `s` of `unit` (its GB/T 38540
/// `SES_ESPropertyInfo` esID): the unit's credit code and the record id's first 12 characters.
pub(super) fn es_id(unit: &Unit, s: &SealRecord) -> String {
    format!("{}{}", unit.credit_code, &s.id[..s.id.len().min(12)])
}

/// The status of a made seal from its record and its operation log (2.2.5): revocation and
/// freezing with their dates.
fn entry(es_id: String, s: &SealRecord, now: i64) -> SealStatusEntry {
    let mut frozen: Vec<FrozenPeriod> = Vec::new();
    let mut revoked_at = None;
    for l in &s.log {
        match l.action.as_str() {
            "冻结" => frozen.push(FrozenPeriod {
                from: l.time,
                until: None,
            }),
            "解冻" => {
                if let Some(p) = frozen.last_mut().filter(|p| p.until.is_none()) {
                    p.until = Some(l.time);
                }
            }
            "注销" => revoked_at = Some(l.time),
            _ => {}
        }
    }
    let state = match s.effective_status(now) {
        SealStatus::Revoked => SealState::Revoked,
        SealStatus::Frozen => SealState::Frozen,
        SealStatus::Expired => SealState::Expired,
        _ => SealState::Good,
    };
    SealStatusEntry {
        es_id,
        state,
        valid_to: s.valid_to,
        revoked_at,
        frozen,
    }
}

impl Platform {
    /// Every made seal with its esID.
    fn made_seals(&self) -> Result<Vec<(String, SealRecord)>> {
        let units: std::collections::HashMap<String, Unit> = self
            .find_all::<Unit>(Query::new(Kind::Unit))?
            .into_iter()
            .map(|(u, _)| (u.id.clone(), u))
            .collect();
        Ok(self
            .find_all::<SealRecord>(Query::new(Kind::Seal))?
            .into_iter()
            .filter(|(s, _)| s.document.is_some())
            .filter_map(|(s, _)| units.get(&s.unit).map(|u| (es_id(u, &s), s)))
            .collect())
    }

    fn status_list(
        &self,
        query: Option<String>,
        entries: Vec<SealStatusEntry>,
    ) -> Result<SealStatusList> {
        let now = self.clock.now();
        Ok(SealStatusList {
            version: VERSION,
            issuer: self.audit_signer.certificate().subject_string(),
            seal_maker: MakerId::of(self.seal_maker.certificate()),
            this_update: now,
            next_update: now + SEAL_STATUS_VALIDITY,
            query,
            entries,
        })
    }

    fn signed(&self, list: &SealStatusList) -> Result<SignedSealStatus> {
        SignedSealStatus::sign(list, self.audit_signer.as_ref(), &[]).map_err(|e| match e {
            SealStatusError::Sign(e) => PlatformError::Vault(VaultError::Signer(e)),
            other => PlatformError::InvalidState(other.to_string()),
        })
    }

    /// The signed list of the seals that are not good (revoked, frozen now or ever, expired),
    /// signed with the platform's key (the audit key; its certificate chains to the
    /// platform's CA). Seals of the platform's seal maker not named are good.
    pub fn seal_status_list(&self) -> Result<SignedSealStatus> {
        self.signed(&self.seal_status()?)
    }

    /// The list of [`Platform::seal_status_list`] unsigned, as the platform's own verifier
    /// uses it.
    pub fn seal_status(&self) -> Result<SealStatusList> {
        let now = self.clock.now();
        let entries = self
            .made_seals()?
            .into_iter()
            .map(|(id, s)| entry(id, &s, now))
            .filter(|e| e.state != SealState::Good || !e.frozen.is_empty())
            .collect();
        self.status_list(None, entries)
    }

    /// The signed answer for one esID: its entry (good ones too), or `unknown`.
    pub fn seal_status_of(&self, es_id: &str) -> Result<SignedSealStatus> {
        let now = self.clock.now();
        let e = self
            .made_seals()?
            .into_iter()
            .find(|(id, _)| id == es_id)
            .map(|(id, s)| entry(id, &s, now))
            .unwrap_or_else(|| SealStatusEntry {
                es_id: es_id.to_owned(),
                state: SealState::Unknown,
                valid_to: None,
                revoked_at: None,
                frozen: vec![],
            });
        self.signed(&self.status_list(Some(es_id.to_owned()), vec![e])?)
    }
}
