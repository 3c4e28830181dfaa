//! Reading and checking the audit log (manual 2.10).
use super::*;

impl Platform {
    // ---------------------------------------------------------------- audit reading

    /// The auditor's view (2.10): the unit's entries, filtered; the chain is checked first.
    pub fn read_audit(&self, sess: &Session, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.run(sess, Action::ReadAudit, "audit", |ctx| {
            let rows = self.store.audit_rows()?;
            chain::verify_chain(&rows, None)?;
            let mut out = Vec::new();
            for r in rows {
                let e: AuditEntry = serde_json::from_str(&r.body)
                    .map_err(|_| chain::ChainError::Unreadable(r.seq))?;
                if e.unit == ctx.unit && f.matches(&e) {
                    out.push(e);
                }
            }
            Ok(out)
        })
    }

    /// Checks the whole chain (against a head kept elsewhere, if given); returns the head.
    pub fn verify_audit(
        &self,
        expected_head: Option<(u64, &str)>,
    ) -> Result<Option<(u64, String)>> {
        let rows = self.store.audit_rows()?;
        chain::verify_chain(&rows, expected_head)?;
        Ok(rows.last().map(|r| (r.seq, r.hash.clone())))
    }
}
