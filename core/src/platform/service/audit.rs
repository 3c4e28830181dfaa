//! Reading and checking the audit log (manual 2.10).

use super::super::audit::{
    AuditFilter, ChainError, ChainHead, Checkpoint, SignedCheckpoint, verify_segment,
};
use super::super::store::AuditQuery;
use super::*;

/// Entries read at a time when a chain is verified.
const VERIFY_BATCH: u32 = 1000;

impl Platform {
    /// The auditor's view (2.10): the unit's entries, filtered in the store, newest first,
    /// one page (from 1). Every entry shown is checked against its MAC.
    pub fn read_audit(
        &self,
        sess: &Session,
        f: &AuditFilter,
        page: usize,
    ) -> Result<Page<AuditEntry>> {
        self.read(sess, Action::ReadAudit, "audit", |ctx| {
            let page = page.max(1);
            let q = AuditQuery {
                chain: ctx.chain().to_owned(),
                actor: f.actor.clone(),
                action: f.action.clone(),
                object: f.object.clone(),
                from: f.from,
                to: f.to,
                only_failures: f.only_failures,
                offset: ((page - 1) * PAGE_SIZE) as u64,
                limit: PAGE_SIZE as u32,
            };
            let (items, total) = self.store.audit_query(&q)?;
            for e in &items {
                if self.mac.mac(e) != e.mac {
                    return Err(ChainError::Changed {
                        chain: e.chain.clone(),
                        seq: e.seq,
                    }
                    .into());
                }
            }
            let total = usize::try_from(total).unwrap_or(usize::MAX);
            Ok(Page {
                items,
                total,
                page,
                pages: total.div_ceil(PAGE_SIZE).max(1),
            })
        })
    }

    /// Checks every chain from its first entry (MACs, sequence, links) and, given a signed
    /// checkpoint kept outside the database, that no chain was truncated or rewritten
    /// behind it. Returns the heads found.
    pub fn verify_audit(&self, checkpoint: Option<&SignedCheckpoint>) -> Result<Vec<ChainHead>> {
        let mut heads = Vec::new();
        for h in self.store.audit_heads()? {
            let mut at: Option<(u64, String)> = None;
            loop {
                let from = at.as_ref().map_or(1, |(s, _)| s + 1);
                let batch = self.store.audit_range(&h.chain, from, VERIFY_BATCH)?;
                if batch.is_empty() {
                    break;
                }
                let start = at.as_ref().map(|(s, m)| (*s, m.as_str()));
                at = verify_segment(&self.mac, &batch, start)?;
            }
            let (seq, mac) = at.unwrap_or((0, String::new()));
            heads.push(ChainHead {
                chain: h.chain.clone(),
                seq,
                mac,
            });
        }
        if let Some(cp) = checkpoint {
            let c = cp.verify(self.audit_signer.certificate())?;
            for want in &c.heads {
                let found = heads.iter().find(|h| h.chain == want.chain);
                let found_seq = found.map_or(0, |h| h.seq);
                if found_seq < want.seq {
                    return Err(ChainError::Truncated {
                        chain: want.chain.clone(),
                        expected: want.seq,
                        found: found_seq,
                    }
                    .into());
                }
                let at = self.store.audit_range(&want.chain, want.seq, 1)?;
                if at
                    .first()
                    .is_none_or(|e| e.seq != want.seq || e.mac != want.mac)
                {
                    return Err(ChainError::Rewritten {
                        chain: want.chain.clone(),
                        seq: want.seq,
                    }
                    .into());
                }
            }
        }
        Ok(heads)
    }

    /// Signs the heads of every chain now (with the platform's audit key) and stores the
    /// checkpoint; publish it outside the database (the reference server does periodically)
    /// so that [`Platform::verify_audit`] can catch a truncated or rewritten chain.
    pub fn audit_checkpoint(&self) -> Result<SignedCheckpoint> {
        let c = Checkpoint {
            time: self.clock.now(),
            heads: self
                .store
                .audit_heads()?
                .into_iter()
                .map(|e| ChainHead {
                    chain: e.chain,
                    seq: e.seq,
                    mac: e.mac,
                })
                .collect(),
        };
        let signed = SignedCheckpoint::sign(&c, self.audit_signer.as_ref())
            .map_err(|e| PlatformError::Vault(VaultError::Signer(e)))?;
        let stored = StoredCheckpoint {
            id: format!("{:020}-{}", c.time.max(0), new_id()?),
            time: c.time,
            signed: signed.clone(),
        };
        self.apply(|tx| tx.insert(&stored))?;
        Ok(signed)
    }

    /// The most recent stored checkpoint.
    pub fn last_audit_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        let q = Query::new(Kind::Checkpoint).page(0, 1);
        Ok(self
            .find::<StoredCheckpoint>(&q)?
            .0
            .into_iter()
            .next()
            .map(|(c, _)| c.signed))
    }

    /// The certificate that signs audit checkpoints (publish it with them).
    pub fn audit_certificate(&self) -> &crate::crypto::Certificate {
        self.audit_signer.certificate()
    }
}
