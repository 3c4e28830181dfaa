//! The sign-authorisation queue (manual 2.8).
use super::*;

#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub status: Option<QueueStatus>,
    pub file_type: Option<FileFormat>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}
impl Platform {
    fn may_decide(&self, ctx: &Ctx, q: &QueueItem) -> Result<bool> {
        if q.unit != ctx.unit {
            return Ok(false);
        }
        if ctx.is_unit_key() {
            return Ok(true);
        }
        let g: Option<(Grant, u64)> = self.try_get(Kind::Grant, &q.grant)?;
        Ok(
            matches!(g, Some((Grant { policy: ConfirmPolicy::Manual { ref confirmers, .. }, .. }, _)) if confirmers.contains(&ctx.id)),
        )
    }

    /// 签署授权 list (2.8): filtered, newest first, 50 a page (page from 1).
    pub fn queue(&self, sess: &Session, f: &QueueFilter, page: usize) -> Result<Page<QueueItem>> {
        self.run(sess, Action::DecideQueueItem, "queue", |ctx| {
            let mut v = Vec::new();
            for (q, _) in self.all::<QueueItem>(Kind::QueueItem)? {
                if self.may_decide(ctx, &q)?
                    && f.status.is_none_or(|s| q.status == s)
                    && f.file_type.is_none_or(|t| q.file_type == t)
                    && f.from.is_none_or(|t| q.time >= t)
                    && f.to.is_none_or(|t| q.time <= t)
                {
                    v.push(q);
                }
            }
            v.sort_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
            let total = v.len();
            let pages = total.div_ceil(QUEUE_PAGE_SIZE).max(1);
            let page = page.max(1);
            let items = v
                .into_iter()
                .skip((page - 1) * QUEUE_PAGE_SIZE)
                .take(QUEUE_PAGE_SIZE)
                .collect();
            Ok(Page {
                items,
                total,
                page,
                pages,
            })
        })
    }

    fn decide_inner(&self, ctx: &Ctx, item: &str, approve: bool) -> Result<()> {
        let (mut q, v): (QueueItem, u64) = self.get(Kind::QueueItem, item)?;
        if !self.may_decide(ctx, &q)? {
            return Err(forbidden("not a confirmer of this call"));
        }
        if q.status != QueueStatus::Pending {
            return Err(state(format!("already decided ({:?})", q.status)));
        }
        q.status = if approve {
            QueueStatus::Approved
        } else {
            QueueStatus::Rejected
        };
        q.decided_by = Some(ctx.id.clone());
        q.decided_at = Some(self.clock.now());
        self.put(Kind::QueueItem, item, v, &q, &[])?;
        Ok(())
    }

    /// 通过 / 拒绝 one call.
    pub fn decide(&self, sess: &Session, item: &str, approve: bool) -> Result<()> {
        self.run(sess, Action::DecideQueueItem, item, |ctx| {
            self.decide_inner(ctx, item, approve)
        })
    }

    /// 批量通过 / 批量拒绝: each item decided on its own; the result per item.
    pub fn decide_batch(
        &self,
        sess: &Session,
        items: &[String],
        approve: bool,
    ) -> Result<Vec<(String, Result<()>)>> {
        self.run(sess, Action::DecideQueueItem, &items.join(","), |ctx| {
            Ok(items
                .iter()
                .map(|i| (i.clone(), self.decide_inner(ctx, i, approve)))
                .collect())
        })
    }
}
