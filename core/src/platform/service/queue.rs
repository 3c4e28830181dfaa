//! The sign-authorisation queue (manual 2.8).

use super::docs::{format_name, queue_status_name, tag};
use super::*;

/// The queue's filters (2.8: 状态, 文件类型, 调用时间).
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub status: Option<QueueStatus>,
    pub file_type: Option<FileFormat>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Platform {
    /// Only the confirmers named on the grant when the call was queued decide it (2.8:
    /// 设置为【确认人员】的公务人员), and only while they serve in the unit (the session
    /// check refuses removed and resigned staff).
    fn may_decide(ctx: &Ctx, q: &QueueItem) -> bool {
        q.unit == ctx.unit && q.confirmers.iter().any(|c| c == &ctx.id)
    }

    /// 签署授权 list (2.8): the calls the actor confirms, filtered, newest first, 50 a page
    /// (page from 1).
    pub fn queue(&self, sess: &Session, f: &QueueFilter, page: usize) -> Result<Page<QueueItem>> {
        self.read(sess, Action::DecideQueueItem, "queue", |ctx| {
            let mut q = Query::new(Kind::QueueItem)
                .unit(&ctx.unit)
                .tag(tag("confirmer", &ctx.id));
            if let Some(s) = f.status {
                q = q.status(queue_status_name(s));
            }
            if let Some(t) = f.file_type {
                q = q.category(format_name(t));
            }
            q.from = f.from;
            q.to = f.to;
            self.page(q, page, QUEUE_PAGE_SIZE)
        })
    }

    /// 通过 / 拒绝 one call.
    pub fn decide(&self, sess: &Session, item: &str, approve: bool) -> Result<()> {
        self.decide_with_reason(sess, item, approve, "")
    }

    /// 通过 / 拒绝 one call, a rejection with its reason (given to the app): the waiting
    /// open-API task moves on and the app's events are written in the same batch.
    pub fn decide_with_reason(
        &self,
        sess: &Session,
        item: &str,
        approve: bool,
        reason: &str,
    ) -> Result<()> {
        let reason = if reason.is_empty() {
            String::new()
        } else {
            validate::check_text("reason", reason, 200)?
        };
        self.run(sess, Action::DecideQueueItem, item, |ctx, tx| {
            let (mut q, v): (QueueItem, u64) = self.must(item)?;
            if !Self::may_decide(ctx, &q) {
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
            self.queue_decided(tx, &q, &reason)?;
            tx.update(&q, v)
        })
    }

    /// 批量通过 / 批量拒绝: each item decided (and audited) on its own; the result per item.
    pub fn decide_batch(
        &self,
        sess: &Session,
        items: &[String],
        approve: bool,
    ) -> Result<Vec<(String, Result<()>)>> {
        self.authorise(sess, Action::DecideQueueItem, &items.join(","))?;
        Ok(items
            .iter()
            .map(|i| (i.clone(), self.decide(sess, i, approve)))
            .collect())
    }
}
