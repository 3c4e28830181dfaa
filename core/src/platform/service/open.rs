//! The open API's state (issue 14; manual 2.2.4, 2.8, 2.9): documents signed for apps,
//! asynchronous signing tasks, webhook registrations and the webhook outbox.
//!
//! - A **task** ([`OpenTask`]) is an app's signing that does not finish within its request:
//!   a large file ([`TaskStatus::Queued`] until a worker takes it) or a call waiting for
//!   manual confirmation ([`TaskStatus::AwaitingApproval`], its queue item named by the tag
//!   `queue:<item>`). The confirmer's decision moves it on in the decision's own batch.
//!   Workers of any number of server processes take queued tasks by compare-and-set of a
//!   lease ([`Platform::claim_task`]), so each task is signed once.
//! - An **event** ([`WebhookEvent`]) is written to the outbox in the batch of what it reports
//!   (task completed or rejected, approval decided, seal frozen / unfrozen / revoked, grant
//!   removed) when the app has registered a callback ([`Webhook`]); workers take due events by
//!   the same lease and record each delivery attempt, retrying with exponential backoff.

use serde::{Deserialize, Serialize};

use super::docs::{format_name, tag};
use super::signing::{AppOutcome, CallMeta};
use super::*;
use crate::platform::store::Index;

/// How long a worker holds a task or event it took before another may take it (seconds).
pub const LEASE_SECS: i64 = 120;
/// Delivery attempts of one event before it is given up (then redelivered by hand).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 12;
/// First retry delay (seconds); doubled after each failed attempt, at most [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: i64 = 5;
pub const MAX_BACKOFF: i64 = 3600;

/// How failed webhook deliveries are retried: after `first_secs`, doubled after each failed
/// attempt up to `max_secs`, given up after `max_attempts` failures in a row (counted from
/// the last success or manual redelivery).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_secs: i64,
    pub max_secs: i64,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_secs: FIRST_BACKOFF,
            max_secs: MAX_BACKOFF,
            max_attempts: MAX_DELIVERY_ATTEMPTS,
        }
    }
}

impl RetryPolicy {
    /// The delay after the `failed`-th failed attempt in a row (from 1).
    pub fn backoff(&self, failed: u32) -> i64 {
        let shift = failed.saturating_sub(1).min(20);
        self.first_secs
            .max(1)
            .saturating_mul(1i64 << shift)
            .min(self.max_secs.max(1))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Ready for a worker (large file, or confirmed).
    Queued,
    /// Waiting in the approval queue (2.8).
    AwaitingApproval,
    Completed,
    /// The confirmer rejected the call.
    Rejected,
    /// The signing failed (the rules refused it at signing time, or the file).
    Failed,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::AwaitingApproval => "awaiting_approval",
            TaskStatus::Completed => "completed",
            TaskStatus::Rejected => "rejected",
            TaskStatus::Failed => "failed",
        }
    }
}

/// An app's signing that finishes after its request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTask {
    pub id: String,
    pub unit: String,
    pub app: String,
    pub seal: String,
    pub status: TaskStatus,
    /// The approval-queue item the task waits for or was confirmed by.
    pub queue_item: Option<String>,
    pub file_name: String,
    pub format: FileFormat,
    pub pages: u32,
    /// 流水号 and token of a system-check grant.
    pub serial: Option<String>,
    pub token: Option<String>,
    /// The server's description of the work (its document and placements), opaque here.
    pub spec: String,
    pub file_record: Option<String>,
    /// Why it was rejected or failed.
    pub reason: Option<String>,
    /// Times a worker took it.
    pub attempts: u32,
    /// A queued task may be taken from then on (the lease of the worker that took it).
    pub due: i64,
    pub created: i64,
    pub updated: i64,
}

impl Doc for OpenTask {
    const KIND: Kind = Kind::OpenTask;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            owner: self.app.clone(),
            status: self.status.as_str().into(),
            category: format_name(self.format).into(),
            name: self.file_name.clone(),
            time: self.due,
            tags: self.queue_item.iter().map(|q| tag("queue", q)).collect(),
            ..Index::default()
        }
    }
}

/// An app's callback registration (id = app id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub unit: String,
    pub url: String,
    pub updated: i64,
    /// The sequence number of the app's last event (each event takes the next one in the
    /// batch that writes it, so the app's events are numbered 1, 2, 3 … in commit order).
    #[serde(default)]
    pub next_seq: u64,
}

impl Doc for Webhook {
    const KIND: Kind = Kind::Webhook;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            owner: self.id.clone(),
            time: self.updated,
            ..Index::default()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Pending,
    Delivered,
    /// Given up after [`MAX_DELIVERY_ATTEMPTS`]; redelivery makes it pending again.
    Failed,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Pending => "pending",
            EventStatus::Delivered => "delivered",
            EventStatus::Failed => "failed",
        }
    }
}

/// One delivery attempt of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub time: i64,
    /// The HTTP status the callback answered, if it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub millis: u64,
}

/// A webhook event in the outbox, with its delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Also the idempotency key the receiver sees (`X-Eseal-Event-Id`).
    pub id: String,
    /// The app's event number (`X-Eseal-Event-Seq`): deliveries may arrive out of order
    /// (retries, several workers), the receiver orders by it.
    #[serde(default)]
    pub seq: u64,
    pub unit: String,
    pub app: String,
    /// `task.completed`, `task.rejected`, `task.failed`, `approval.decided`, `seal.frozen`,
    /// `seal.unfrozen`, `seal.revoked`, `grant.removed`.
    pub event: String,
    pub data: serde_json::Value,
    pub created: i64,
    pub status: EventStatus,
    pub deliveries: Vec<DeliveryAttempt>,
    /// Failed attempts in a row since the last success or manual redelivery (the retry
    /// policy gives up after [`RetryPolicy::max_attempts`] of them).
    #[serde(default)]
    pub failures: u32,
    /// Next attempt (or the lease of the worker delivering it).
    pub due: i64,
}

impl Doc for WebhookEvent {
    const KIND: Kind = Kind::WebhookEvent;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            owner: self.app.clone(),
            status: self.status.as_str().into(),
            category: self.event.clone(),
            time: self.due,
            ..Index::default()
        }
    }
}

impl WebhookEvent {
    /// The JSON body delivered: `{id, seq, event, created, data}`.
    pub fn body(&self) -> String {
        serde_json::json!({
            "id": self.id,
            "seq": self.seq,
            "event": self.event,
            "created": self.created,
            "data": self.data,
        })
        .to_string()
    }
}

/// The fields of an app's signing request the rules need.
#[derive(Clone, Debug, Default)]
pub struct AppDocCall {
    pub serial: Option<String>,
    pub token: Option<String>,
    /// The server's description of the work, kept with a task (see [`OpenTask::spec`]).
    pub spec: String,
}

/// The result of an app's signing request.
#[derive(Clone, Debug)]
pub enum AppDocOutcome {
    /// Signed now; `persist` was given the bytes before the batch committed.
    Signed(FileRecord),
    /// A task: waiting for a worker or for confirmation.
    Task(OpenTask),
}

/// A granted seal as an app sees it.
#[derive(Clone, Debug)]
pub struct AppSeal {
    pub seal: SealRecord,
    pub grant: Grant,
    /// Calls left under a system-check call limit.
    pub remaining_calls: Option<u64>,
}

/// Keeps the signed bytes before the batch that records them commits (the server writes
/// them to its documents folder): a crash leaves at most an unreferenced file.
pub type Persist<'a> = dyn FnMut(&[u8], &FileRecord) -> Result<()> + 'a;

fn file_format(layout: &Layout) -> FileFormat {
    match layout {
        Layout::Pdf { .. } => FileFormat::Pdf,
        Layout::Ofd { .. } => FileFormat::Ofd,
    }
}

impl Platform {
    /// The app `id`, valid (the open API's checks passed for it moments ago).
    fn calling_app(&self, id: &str) -> Result<App> {
        let (a, _): (App, u64) = self.must(id)?;
        if a.status != AppStatus::Valid {
            return Err(PlatformError::RequestRefused(format!(
                "app is {:?}",
                a.status
            )));
        }
        Ok(a)
    }

    /// Writes an event to the outbox in `tx` when the app has a callback registered.
    pub(super) fn emit(
        &self,
        tx: &mut Tx,
        app: &str,
        unit: &str,
        event: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let Some((mut hook, mut version)) = self.load::<Webhook>(app)? else {
            return Ok(());
        };
        // An earlier event of this batch advanced the app's sequence: go on from it.
        let pending = tx
            .writes
            .iter()
            .position(|w| matches!(w, Write::Update { kind: Kind::Webhook, id, .. } if id == app));
        if let Some(Write::Update { body, expected, .. }) = pending.map(|i| tx.writes.remove(i)) {
            hook = from_json(Kind::Webhook, app, &body)?;
            version = expected;
        }
        hook.next_seq += 1;
        tx.update(&hook, version)?;
        let now = self.clock.now();
        tx.insert(&WebhookEvent {
            id: new_id()?,
            seq: hook.next_seq,
            unit: unit.to_owned(),
            app: app.to_owned(),
            event: event.to_owned(),
            data,
            created: now,
            status: EventStatus::Pending,
            deliveries: vec![],
            failures: 0,
            due: now,
        })
    }

    /// Events to every app granted seal `s` (a state change of the seal).
    pub(super) fn emit_seal_event(&self, tx: &mut Tx, s: &SealRecord, event: &str) -> Result<()> {
        let grants = Query::new(Kind::Grant).unit(&s.unit);
        for (g, _) in self.find_all::<Grant>(grants)? {
            if g.seal == s.id && !g.removed {
                let data = serde_json::json!({
                    "seal": s.id,
                    "seal_name": s.name,
                    "status": super::docs::seal_status_name(s.effective_status(self.clock.now())),
                });
                self.emit(tx, &g.app, &s.unit, event, data)?;
            }
        }
        Ok(())
    }

    /// The task of an approval-queue item moves on with the decision (called in the
    /// decision's batch): approved → queued for a worker, rejected → rejected. The events
    /// `approval.decided` (and `task.rejected`) are written in the same batch.
    pub(super) fn queue_decided(&self, tx: &mut Tx, q: &QueueItem, reason: &str) -> Result<()> {
        let approved = q.status == QueueStatus::Approved;
        let tasks = Query::new(Kind::OpenTask)
            .owner(&q.app)
            .tag(tag("queue", &q.id));
        let mut task_id = None;
        for (mut t, v) in self.find_all::<OpenTask>(tasks)? {
            if t.status != TaskStatus::AwaitingApproval {
                continue;
            }
            let now = self.clock.now();
            t.updated = now;
            if approved {
                t.status = TaskStatus::Queued;
                t.due = now;
            } else {
                t.status = TaskStatus::Rejected;
                t.reason = Some(if reason.is_empty() {
                    "rejected by the confirmer".into()
                } else {
                    reason.to_owned()
                });
                self.emit(
                    tx,
                    &q.app,
                    &q.unit,
                    "task.rejected",
                    serde_json::json!({"task": t.id, "reason": t.reason}),
                )?;
            }
            tx.update(&t, v)?;
            task_id = Some(t.id.clone());
        }
        self.emit(
            tx,
            &q.app,
            &q.unit,
            "approval.decided",
            serde_json::json!({
                "queue_item": q.id,
                "task": task_id,
                "approved": approved,
                "reason": if approved || reason.is_empty() { None } else { Some(reason) },
            }),
        )
    }

    /// Signs a document for an app with a granted cloud seal (2.2.4) under the grant's
    /// confirmation policy: none or system check → signed now (the call counted, the file
    /// recorded, `persist` given the bytes, all before the one batch commits); manual → a
    /// task waiting in the approval queue, the confirmers notified by SMS if the grant says so.
    pub fn app_sign_document(
        &self,
        app_id: &str,
        seal: &str,
        call: &AppDocCall,
        doc: &DocumentInput,
        ip: &str,
        persist: &mut Persist<'_>,
    ) -> Result<AppDocOutcome> {
        let pages = super::documents::page_count(&doc.layout, &doc.bytes)?;
        let meta = CallMeta {
            file_name: &doc.name,
            file_type: file_format(&doc.layout),
            pages,
            serial: call.serial.as_deref(),
            token: call.token.as_deref(),
        };
        let unit = self
            .load::<SealRecord>(seal)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        let actor = format!("app:{app_id}");
        let mut signed: Option<(Vec<u8>, FileRecord)> = None;
        let (out, notify) = self.run_anon("AppSignDocument", seal, ip, (&unit, &actor), |tx| {
            let (r, notify) = self.app_sign_inner(tx, app_id, seal, &meta, &mut |tx, app, s| {
                self.app_signed_file(tx, app, s, doc, pages, &mut signed, persist)
            })?;
            let out = match r {
                AppOutcome::Signed(rec) => AppDocOutcome::Signed(rec),
                AppOutcome::Queued(q) => {
                    let now = self.clock.now();
                    let t = OpenTask {
                        id: q.id.clone(),
                        unit: q.unit.clone(),
                        app: app_id.to_owned(),
                        seal: seal.to_owned(),
                        status: TaskStatus::AwaitingApproval,
                        queue_item: Some(q.id.clone()),
                        file_name: doc.name.clone(),
                        format: meta.file_type,
                        pages,
                        serial: call.serial.clone(),
                        token: call.token.clone(),
                        spec: call.spec.clone(),
                        file_record: None,
                        reason: None,
                        attempts: 0,
                        due: now,
                        created: now,
                        updated: now,
                    };
                    tx.insert(&t)?;
                    AppDocOutcome::Task(t)
                }
            };
            Ok(((out, notify), unit.clone(), actor.clone()))
        })?;
        self.send_notices(notify)?;
        Ok(out)
    }

    /// The signed file of an app call in `tx`: signed once (kept across retries of the
    /// batch), given to `persist`, recorded (2.6) with the app as signer.
    #[allow(clippy::too_many_arguments)]
    fn app_signed_file(
        &self,
        tx: &mut Tx,
        app: &App,
        s: &SealRecord,
        doc: &DocumentInput,
        pages: u32,
        signed: &mut Option<(Vec<u8>, FileRecord)>,
        persist: &mut Persist<'_>,
    ) -> Result<FileRecord> {
        if signed.is_none() {
            let bytes = self.sign_bytes(s, &doc.bytes, &doc.layout)?;
            let record = FileRecord {
                id: new_id()?,
                unit: s.unit.clone(),
                name: validate::check_text("file name", &doc.name, 200)?,
                pages,
                signer: format!("app:{}", app.id),
                signer_name: app.name.clone(),
                seals: vec![s.name.clone()],
                time: self.clock.now(),
                format: file_format(&doc.layout),
                size: bytes.len() as u64,
                thumbnail: doc.thumbnail.clone(),
                deleted: false,
            };
            persist(&bytes, &record)?;
            *signed = Some((bytes, record));
        }
        let record = signed
            .as_ref()
            .map(|x| x.1.clone())
            .unwrap_or_else(|| unreachable!());
        tx.insert(&record)?;
        Ok(record)
    }

    /// A task for a signing finished later by a worker (large files): the grant must exist
    /// now; the policy is applied when the worker signs.
    #[allow(clippy::too_many_arguments)]
    pub fn create_task(
        &self,
        app_id: &str,
        seal: &str,
        call: &AppDocCall,
        file_name: &str,
        format: FileFormat,
        pages: u32,
        ip: &str,
    ) -> Result<OpenTask> {
        let actor = format!("app:{app_id}");
        let unit = self
            .load::<SealRecord>(seal)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        self.run_anon("AppCreateTask", seal, ip, (&unit, &actor), |tx| {
            self.calling_app(app_id)?;
            let g = self
                .load::<Grant>(&format!("{seal}:{app_id}"))?
                .filter(|(g, _)| !g.removed)
                .ok_or_else(|| forbidden("the seal is not granted to this app"))?;
            let now = self.clock.now();
            let t = OpenTask {
                id: new_id()?,
                unit: g.0.unit.clone(),
                app: app_id.to_owned(),
                seal: seal.to_owned(),
                status: TaskStatus::Queued,
                queue_item: None,
                file_name: validate::check_text("file name", file_name, 200)?,
                format,
                pages,
                serial: call.serial.clone(),
                token: call.token.clone(),
                spec: call.spec.clone(),
                file_record: None,
                reason: None,
                attempts: 0,
                due: now,
                created: now,
                updated: now,
            };
            tx.insert(&t)?;
            Ok((t, g.0.unit.clone(), actor.clone()))
        })
    }

    /// Takes one due queued task for this worker (a lease of [`LEASE_SECS`] by
    /// compare-and-set: of several workers exactly one gets it). `None` when nothing is due.
    pub fn claim_task(&self) -> Result<Option<OpenTask>> {
        let now = self.clock.now();
        let mut q = Query::new(Kind::OpenTask).status(TaskStatus::Queued.as_str());
        q.to = Some(now);
        let (due, _) = self.find::<OpenTask>(&q.page(0, 8))?;
        for (mut t, v) in due {
            t.due = now + LEASE_SECS;
            t.attempts += 1;
            if self.compare_and_set(&t, v)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// Writes `d` over version `v` alone (a lease, no audit entry): `false` when another
    /// worker changed it first.
    fn compare_and_set<D: Doc>(&self, d: &D, v: u64) -> Result<bool> {
        let mut tx = Tx::default();
        tx.update(d, v)?;
        let batch = Batch {
            writes: tx.writes,
            audit: vec![],
        };
        match self.store.commit(&batch, &self.mac) {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Signs a task the worker took ([`Platform::claim_task`]) with `doc` (rebuilt by the
    /// server from the task's spec): a confirmed task uses its approval (once); another goes
    /// through the grant's policy now (which may queue it for confirmation). Completion, the
    /// file record and the `task.completed` event are one batch; a refusal of the rules fails
    /// the task with `task.failed`.
    pub fn complete_task(
        &self,
        task: &OpenTask,
        doc: &DocumentInput,
        ip: &str,
        persist: &mut Persist<'_>,
    ) -> Result<OpenTask> {
        let actor = format!("app:{}", task.app);
        let mut signed: Option<(Vec<u8>, FileRecord)> = None;
        let r = self.run_anon(
            "AppCompleteTask",
            &task.id,
            ip,
            (&task.unit, &actor),
            |tx| {
                let (mut t, v): (OpenTask, u64) = self.must(&task.id)?;
                if t.status != TaskStatus::Queued || t.attempts != task.attempts {
                    return Err(state("the task was taken by another worker"));
                }
                let now = self.clock.now();
                t.updated = now;
                let record = match t.queue_item.clone() {
                    Some(item) => {
                        let (app, s) = self.approved_use(tx, &t.app, &item)?;
                        Some(self.app_signed_file(
                            tx,
                            &app,
                            &s,
                            doc,
                            t.pages,
                            &mut signed,
                            persist,
                        )?)
                    }
                    None => {
                        let meta = CallMeta {
                            file_name: &t.file_name,
                            file_type: t.format,
                            pages: t.pages,
                            serial: t.serial.as_deref(),
                            token: t.token.as_deref(),
                        };
                        let (r, _) =
                            self.app_sign_inner(tx, &t.app, &t.seal, &meta, &mut |tx, app, s| {
                                self.app_signed_file(tx, app, s, doc, t.pages, &mut signed, persist)
                            })?;
                        match r {
                            AppOutcome::Signed(rec) => Some(rec),
                            AppOutcome::Queued(q) => {
                                t.status = TaskStatus::AwaitingApproval;
                                t.queue_item = Some(q.id);
                                None
                            }
                        }
                    }
                };
                if let Some(rec) = &record {
                    t.status = TaskStatus::Completed;
                    t.file_record = Some(rec.id.clone());
                    self.emit(
                        tx,
                        &t.app,
                        &t.unit,
                        "task.completed",
                        serde_json::json!({"task": t.id, "file_record": rec.id, "seal": t.seal}),
                    )?;
                }
                tx.update(&t, v)?;
                Ok((t, task.unit.clone(), actor.clone()))
            },
        );
        match r {
            Err(e @ (PlatformError::Store(_) | PlatformError::ConcurrentChange(_))) => Err(e),
            Err(PlatformError::InvalidState(m)) if m.contains("another worker") => {
                Err(PlatformError::InvalidState(m))
            }
            Err(e) => {
                self.fail_task(task, &e.to_string())?;
                Err(e)
            }
            ok => ok,
        }
    }

    /// Marks a task failed (with `task.failed`), unless it moved on meanwhile.
    pub fn fail_task(&self, task: &OpenTask, reason: &str) -> Result<()> {
        self.apply(|tx| {
            let (mut t, v): (OpenTask, u64) = self.must(&task.id)?;
            if t.status != TaskStatus::Queued || t.attempts != task.attempts {
                return Ok(());
            }
            t.status = TaskStatus::Failed;
            t.reason = Some(reason.chars().take(500).collect());
            t.updated = self.clock.now();
            self.emit(
                tx,
                &t.app,
                &t.unit,
                "task.failed",
                serde_json::json!({"task": t.id, "reason": t.reason}),
            )?;
            tx.update(&t, v)
        })
    }

    /// An app's task.
    pub fn app_task(&self, app_id: &str, id: &str) -> Result<OpenTask> {
        match self.load::<OpenTask>(id)? {
            Some((t, _)) if t.app == app_id => Ok(t),
            _ => Err(PlatformError::NotFound(format!("task {id}"))),
        }
    }

    /// The cloud seals granted to an app, with their state and remaining calls.
    pub fn app_seals(&self, app_id: &str) -> Result<Vec<AppSeal>> {
        self.calling_app(app_id)?;
        let mut out = vec![];
        for (mut g, _) in self.find_all::<Grant>(Query::new(Kind::Grant).owner(app_id))? {
            if g.removed {
                continue;
            }
            let Some((seal, _)) = self.load::<SealRecord>(&g.seal)? else {
                continue;
            };
            g.calls = self.store.counter(&super::signing::calls_counter(&g))?;
            let remaining_calls = match g.policy {
                ConfirmPolicy::SystemCheck {
                    call_limit: Some(l),
                    ..
                } => Some(l.saturating_sub(g.calls)),
                _ => None,
            };
            g.call_token.clear();
            out.push(AppSeal {
                seal: self.with_count(seal)?,
                grant: g,
                remaining_calls,
            });
        }
        Ok(out)
    }

    /// Registers (or replaces) the app's callback URL (`http://` or `https://`); `None`
    /// removes it. Audited in the app's unit.
    pub fn set_webhook(&self, app_id: &str, url: Option<&str>, ip: &str) -> Result<()> {
        let app = self.calling_app(app_id)?;
        let actor = format!("app:{app_id}");
        self.run_anon("AppSetWebhook", app_id, ip, (&app.unit, &actor), |tx| {
            let old = self.load::<Webhook>(app_id)?;
            match (url, old) {
                (None, Some((_, v))) => tx.delete(Kind::Webhook, app_id, v),
                (None, None) => {}
                (Some(u), old) => {
                    let u = validate::check_text("url", u, 500)?;
                    if !(u.starts_with("http://") || u.starts_with("https://")) {
                        return Err(PlatformError::InvalidInput(
                            "the callback URL starts with http:// or https://".into(),
                        ));
                    }
                    let w = Webhook {
                        id: app_id.to_owned(),
                        unit: app.unit.clone(),
                        url: u,
                        updated: self.clock.now(),
                        next_seq: old.as_ref().map_or(0, |x| x.0.next_seq),
                    };
                    tx.put(&w, old.map(|x| x.1))?;
                }
            }
            Ok(((), app.unit.clone(), actor.clone()))
        })
    }

    pub fn webhook(&self, app_id: &str) -> Result<Option<Webhook>> {
        Ok(self.load::<Webhook>(app_id)?.map(|x| x.0))
    }

    /// The app's events, newest first (the delivery log), 50 a page.
    pub fn app_events(&self, app_id: &str, page: usize) -> Result<Page<WebhookEvent>> {
        let mut p = self.page::<WebhookEvent>(
            Query::new(Kind::WebhookEvent).owner(app_id),
            page,
            PAGE_SIZE,
        )?;
        p.items
            .sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        Ok(p)
    }

    /// Makes an event of the app due again now (manual redelivery, also of delivered ones).
    pub fn redeliver(&self, app_id: &str, event: &str) -> Result<WebhookEvent> {
        self.apply(|tx| {
            let (mut e, v): (WebhookEvent, u64) = match self.load::<WebhookEvent>(event)? {
                Some(x) if x.0.app == app_id => x,
                _ => return Err(PlatformError::NotFound(format!("event {event}"))),
            };
            e.status = EventStatus::Pending;
            e.failures = 0;
            e.due = self.clock.now();
            tx.update(&e, v)?;
            Ok(e)
        })
    }

    /// Takes one due event for delivery (lease by compare-and-set) with the callback URL
    /// and the app's secret that signs it. An app without a callback any more: the event
    /// fails (kept in the log).
    pub fn claim_event(&self) -> Result<Option<(WebhookEvent, String, String)>> {
        let now = self.clock.now();
        let mut q = Query::new(Kind::WebhookEvent).status(EventStatus::Pending.as_str());
        q.to = Some(now);
        let (due, _) = self.find::<WebhookEvent>(&q.page(0, 8))?;
        for (mut e, v) in due {
            let hook = self.load::<Webhook>(&e.app)?.map(|x| x.0.url);
            let secret = self.load::<App>(&e.app)?.map(|x| x.0.access_secret);
            e.due = now + LEASE_SECS;
            if hook.is_none() || secret.is_none() {
                e.status = EventStatus::Failed;
            }
            if self.compare_and_set(&e, v)?
                && let (Some(u), Some(s)) = (hook, secret)
            {
                return Ok(Some((e, u, s)));
            }
        }
        Ok(None)
    }

    /// Records one delivery attempt: delivered on a 2xx answer, else due again after the
    /// policy's backoff, given up (`failed`, until redelivered by hand) after
    /// `policy.max_attempts` failures in a row.
    pub fn record_delivery(
        &self,
        event: &str,
        attempt: DeliveryAttempt,
        policy: &RetryPolicy,
    ) -> Result<WebhookEvent> {
        self.apply(|tx| {
            let (mut e, v): (WebhookEvent, u64) = self.must(event)?;
            let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
            e.deliveries.push(attempt.clone());
            if ok {
                e.status = EventStatus::Delivered;
                e.failures = 0;
            } else {
                e.failures += 1;
                if e.failures >= policy.max_attempts {
                    e.status = EventStatus::Failed;
                } else {
                    e.status = EventStatus::Pending;
                    e.due = self.clock.now() + policy.backoff(e.failures);
                }
            }
            tx.update(&e, v)?;
            Ok(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_an_hour() {
        let p = RetryPolicy::default();
        assert_eq!(
            (1..=4).map(|n| p.backoff(n)).collect::<Vec<_>>(),
            vec![5, 10, 20, 40]
        );
        assert_eq!(p.backoff(30), MAX_BACKOFF);
    }
}
