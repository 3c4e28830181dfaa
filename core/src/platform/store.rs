//! Storage behind the platform rules: the [`Store`] trait and the in-memory store.
//!
//! The rules never trust the store to do more than these things, which every backend (memory,
//! SQLite, PostgreSQL) implements the same way (the conformance suite checks it):
//!
//! 1. keep JSON documents per [`Kind`] under an id, each with a `version` that grows by one on
//!    every write, and with [`Index`] columns (unit, owner, status, category, two searchable
//!    names, a time, an expiry, tags) that the rules extract on every write;
//! 2. apply a [`Batch`] of writes **all or nothing** ([`Store::commit`]): inserts, updates by
//!    **compare-and-set** (`expected` version, else [`StoreError::Conflict`]), version checks
//!    of documents read but not written ([`Write::Check`], so that two signers of one seal do
//!    not conflict with each other but both lose against a revocation), deletes, and counters
//!    in their own rows ([`Write::Count`], bounded or not); the audit entries of the
//!    operation are appended in the same transaction;
//! 3. **unique keys** (namespace + key, e.g. a staff phone number) claimed atomically with the
//!    document that owns them, replaced on update, so uniqueness holds under races;
//! 4. **queries** filtered, ordered and paged in the store over the index columns
//!    ([`Store::query`]): nothing lists a whole table to filter it in Rust;
//! 5. an **append-only audit log** made of one hash chain per unit ([`AuditEntry::chain`]):
//!    the store numbers each entry after the head of its chain inside the transaction and
//!    links it with the keyed MAC of [`AuditMac`] (HMAC-SM3 with a key the database does not
//!    hold), so operations of different units never wait for one global head;
//! 6. **pruning** of expired short-lived documents (`Index::until` in the past).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::audit::{AuditEntry, AuditMac, GENESIS};

/// The document families of the platform model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Unit,
    UnitKey,
    Staff,
    Seal,
    PersonalSignature,
    App,
    Grant,
    QueueItem,
    File,
    Credential,
    SmsCode,
    Captcha,
    RevocationToken,
    Nonce,
    Settings,
    /// A used 流水号 of a grant under token check (expires, see `SERIAL_RETENTION`).
    Serial,
    /// A UKey login challenge (single use, short expiry).
    Challenge,
    /// A made GB/T 38540 seal (its DER), apart from the seal record it belongs to.
    SealDocument,
    /// A key of the key vault (encrypted at rest).
    VaultKey,
    /// A signed audit checkpoint.
    Checkpoint,
    /// An open-API signing task (large file, or waiting for confirmation).
    OpenTask,
    /// An app's webhook registration.
    Webhook,
    /// A webhook event in the outbox, with its delivery log.
    WebhookEvent,
}

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::Unit,
        Kind::UnitKey,
        Kind::Staff,
        Kind::Seal,
        Kind::PersonalSignature,
        Kind::App,
        Kind::Grant,
        Kind::QueueItem,
        Kind::File,
        Kind::Credential,
        Kind::SmsCode,
        Kind::Captcha,
        Kind::RevocationToken,
        Kind::Nonce,
        Kind::Settings,
        Kind::Serial,
        Kind::Challenge,
        Kind::SealDocument,
        Kind::VaultKey,
        Kind::Checkpoint,
        Kind::OpenTask,
        Kind::Webhook,
        Kind::WebhookEvent,
    ];

    /// The kind named by [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Stable name used as the `kind` column by the SQL stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unit => "unit",
            Kind::UnitKey => "unit_key",
            Kind::Staff => "staff",
            Kind::Seal => "seal",
            Kind::PersonalSignature => "personal_signature",
            Kind::App => "app",
            Kind::Grant => "grant",
            Kind::QueueItem => "queue_item",
            Kind::File => "file",
            Kind::Credential => "credential",
            Kind::SmsCode => "sms_code",
            Kind::Captcha => "captcha",
            Kind::RevocationToken => "revocation_token",
            Kind::Nonce => "nonce",
            Kind::Settings => "settings",
            Kind::Serial => "serial",
            Kind::Challenge => "challenge",
            Kind::SealDocument => "seal_document",
            Kind::VaultKey => "vault_key",
            Kind::Checkpoint => "checkpoint",
            Kind::OpenTask => "open_task",
            Kind::Webhook => "webhook",
            Kind::WebhookEvent => "webhook_event",
        }
    }
}

/// One stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    /// 1 after insert, +1 per update.
    pub version: u64,
    /// JSON text of the document.
    pub body: String,
}

/// A unique key owned by a document: `(namespace, key)` may be held by one document only.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UniqueKey {
    pub ns: String,
    pub key: String,
}

impl UniqueKey {
    pub fn new(ns: &str, key: impl Into<String>) -> Self {
        UniqueKey {
            ns: ns.to_owned(),
            key: key.into(),
        }
    }
}

/// The index columns of one document (empty strings where a field does not apply).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    pub unit: String,
    /// The identity the document belongs to (a file's signer, a grant's app …).
    pub owner: String,
    pub status: String,
    pub category: String,
    /// First searchable text (a name).
    pub name: String,
    /// Second searchable text (a staff member's phone, a file's signer name).
    pub alt_name: String,
    /// Ordering time (unix seconds).
    pub time: i64,
    /// Expiry or end of validity (unix seconds); [`Store::prune`] deletes by it.
    pub until: Option<i64>,
    /// Multi-valued keys (`user:<id>`, `confirmer:<id>`, `role:<role>` …).
    pub tags: Vec<String>,
}

/// One write of a [`Batch`].
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// A new document (version 1) and its unique keys; [`StoreError::DuplicateId`] /
    /// [`StoreError::DuplicateKey`] otherwise.
    Insert {
        kind: Kind,
        id: String,
        body: String,
        unique: Vec<UniqueKey>,
        index: Index,
    },
    /// Compare-and-set: replaces body, unique keys and index when the stored version is
    /// `expected` ([`StoreError::Conflict`] otherwise, [`StoreError::NotFound`] if absent).
    Update {
        kind: Kind,
        id: String,
        expected: u64,
        body: String,
        unique: Vec<UniqueKey>,
        index: Index,
    },
    /// Fails the batch unless the document is still at `version` (a read that the batch's
    /// outcome depends on, without writing the document).
    Check {
        kind: Kind,
        id: String,
        version: u64,
    },
    /// Deletes the document at version `expected` with its unique keys and tags.
    Delete {
        kind: Kind,
        id: String,
        expected: u64,
    },
    /// Adds `delta` to the counter `name` (absent = 0); with `limit`, fails with
    /// [`StoreError::CounterLimit`] if the result would exceed it.
    Count {
        name: String,
        delta: u64,
        limit: Option<u64>,
    },
}

/// Writes and audit entries applied together by [`Store::commit`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub writes: Vec<Write>,
    /// Entries to append; `seq`, `prev` and `mac` are set by the store.
    pub audit: Vec<AuditEntry>,
}

/// Order of a query's results (always with `id` as the last tie-break).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first: `time` descending, then `id` descending.
    #[default]
    TimeDesc,
    /// `category`, then `name` ascending (the staff list: surname initial, name).
    Name,
    /// `id` ascending (maintenance scans).
    Id,
}

/// A query over the index columns of one kind. Every filter given must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub kind: Kind,
    pub unit: Option<String>,
    pub owner: Option<String>,
    /// Any of these statuses (empty: any).
    pub status: Vec<String>,
    /// Any of these categories (empty: any).
    pub category: Vec<String>,
    /// Any of these tags (empty: no tag filter).
    pub tags: Vec<String>,
    /// Substring of `name` or `alt_name`.
    pub text: Option<String>,
    /// `time >= from`.
    pub from: Option<i64>,
    /// `time <= to`.
    pub to: Option<i64>,
    /// `until` is set and `< until_before`.
    pub until_before: Option<i64>,
    /// `until` is unset or `>= until_from`.
    pub until_from: Option<i64>,
    pub order: Order,
    pub offset: u64,
    /// Largest page ([`MAX_PAGE`] at most).
    pub limit: u32,
}

/// Largest page a query returns.
pub const MAX_PAGE: u32 = 1000;

impl Query {
    /// All documents of `kind` (first page of [`MAX_PAGE`]), newest first.
    pub fn new(kind: Kind) -> Self {
        Query {
            kind,
            unit: None,
            owner: None,
            status: vec![],
            category: vec![],
            tags: vec![],
            text: None,
            from: None,
            to: None,
            until_before: None,
            until_from: None,
            order: Order::TimeDesc,
            offset: 0,
            limit: MAX_PAGE,
        }
    }
    pub fn unit(mut self, u: &str) -> Self {
        self.unit = Some(u.to_owned());
        self
    }
    pub fn owner(mut self, o: &str) -> Self {
        self.owner = Some(o.to_owned());
        self
    }
    pub fn status(mut self, s: &str) -> Self {
        self.status.push(s.to_owned());
        self
    }
    pub fn category(mut self, c: &str) -> Self {
        self.category.push(c.to_owned());
        self
    }
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.push(t.into());
        self
    }
    pub fn order(mut self, o: Order) -> Self {
        self.order = o;
        self
    }
    pub fn page(mut self, offset: u64, limit: u32) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }

    /// Does a document with this index match (the reference semantics every store follows)?
    pub fn matches(&self, id_time: (&str, &Index)) -> bool {
        let ix = id_time.1;
        let opt = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let any = |want: &[String], have: &str| want.is_empty() || want.iter().any(|w| w == have);
        opt(&self.unit, &ix.unit)
            && opt(&self.owner, &ix.owner)
            && any(&self.status, &ix.status)
            && any(&self.category, &ix.category)
            && (self.tags.is_empty() || self.tags.iter().any(|t| ix.tags.contains(t)))
            && self
                .text
                .as_deref()
                .is_none_or(|t| ix.name.contains(t) || ix.alt_name.contains(t))
            && self.from.is_none_or(|f| ix.time >= f)
            && self.to.is_none_or(|t| ix.time <= t)
            && self
                .until_before
                .is_none_or(|b| ix.until.is_some_and(|u| u < b))
            && self
                .until_from
                .is_none_or(|f| ix.until.is_none_or(|u| u >= f))
    }
}

/// One page of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub records: Vec<Record>,
    /// Number of matching documents (all pages).
    pub total: u64,
}

/// A query of one unit's audit chain, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub chain: String,
    /// Actor id (exact) or a substring of the actor's name.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Substring of the object.
    pub object: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub only_failures: bool,
    pub offset: u64,
    pub limit: u32,
}

impl AuditQuery {
    /// The reference semantics every store follows.
    pub fn matches(&self, e: &AuditEntry) -> bool {
        e.chain == self.chain
            && self
                .actor
                .as_deref()
                .is_none_or(|a| e.actor == a || e.actor_name.contains(a))
            && self.action.as_deref().is_none_or(|a| e.action == a)
            && self.object.as_deref().is_none_or(|o| e.object.contains(o))
            && self.from.is_none_or(|f| e.time >= f)
            && self.to.is_none_or(|t| e.time <= t)
            && (!self.only_failures || e.outcome.kind() != "ok")
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The id of an insert exists already.
    #[error("{kind:?} {id} exists already")]
    DuplicateId { kind: Kind, id: String },
    /// A unique key is held by another document.
    #[error("{ns} '{key}' is already in use")]
    DuplicateKey { ns: String, key: String },
    /// Compare-and-set lost: the document changed since it was read.
    #[error("{kind:?} {id} was changed concurrently (expected version {expected})")]
    Conflict {
        kind: Kind,
        id: String,
        expected: u64,
    },
    #[error("{kind:?} {id} not found")]
    NotFound { kind: Kind, id: String },
    /// A bounded counter would pass its limit.
    #[error("counter {name} would pass its limit {limit}")]
    CounterLimit { name: String, limit: u64 },
    #[error("storage backend: {0}")]
    Backend(String),
}

/// Storage of the platform model (see the module docs for the contract).
pub trait Store: Send + Sync {
    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError>;
    /// Which document (kind, id) holds a unique key.
    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError>;
    /// One page of the documents matching `q` ([`Query::matches`]), in `q.order`.
    fn query(&self, q: &Query) -> Result<Found, StoreError>;
    /// The value of a counter (0 when absent).
    fn counter(&self, name: &str) -> Result<u64, StoreError>;
    /// Applies every write of `batch` and appends its audit entries (numbered after the head
    /// of their chain, linked with `mac`), all in one transaction: on any error nothing is
    /// applied.
    fn commit(&self, batch: &Batch, mac: &AuditMac) -> Result<(), StoreError>;
    /// Deletes up to `limit` documents of `kind` whose `until` is before `before`; returns
    /// how many.
    fn prune(&self, kind: Kind, before: i64, limit: u32) -> Result<u64, StoreError>;
    /// One page of a chain's entries matching `q` ([`AuditQuery::matches`]), newest first,
    /// and the number of matches.
    fn audit_query(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError>;
    /// Entries of `chain` with `seq >= from`, ascending, at most `limit`.
    fn audit_range(
        &self,
        chain: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// The last entry of every chain, ordered by chain.
    fn audit_heads(&self) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Numbers and links `e` after `head` (the chain's last entry, if any).
pub fn link_entry(e: &mut AuditEntry, head: Option<(u64, &str)>, mac: &AuditMac) {
    let (seq, prev) = head.unwrap_or((0, GENESIS));
    e.seq = seq + 1;
    e.prev = prev.to_owned();
    e.mac = mac.mac(e);
}

#[derive(Clone)]
struct Doc {
    version: u64,
    body: String,
    unique: Vec<UniqueKey>,
    index: Index,
}

#[derive(Default)]
struct MemoryInner {
    docs: BTreeMap<(Kind, String), Doc>,
    unique: BTreeMap<(String, String), (Kind, String)>,
    counters: BTreeMap<String, u64>,
    audit: BTreeMap<(String, u64), AuditEntry>,
}

/// The in-memory store (tests, embedders); one mutex makes every call a transaction.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }
}

/// What to undo when a later write of the batch fails.
enum Undo {
    Doc((Kind, String), Option<Doc>),
    Unique((String, String), Option<(Kind, String)>),
    Counter(String, Option<u64>),
    Audit((String, u64)),
}

impl MemoryInner {
    fn check_keys(&self, kind: Kind, id: &str, unique: &[UniqueKey]) -> Result<(), StoreError> {
        let mut seen = BTreeSet::new();
        for k in unique {
            let taken = self
                .unique
                .get(&(k.ns.clone(), k.key.clone()))
                .is_some_and(|(hk, hid)| !(*hk == kind && hid == id));
            if taken || !seen.insert((&k.ns, &k.key)) {
                return Err(StoreError::DuplicateKey {
                    ns: k.ns.clone(),
                    key: k.key.clone(),
                });
            }
        }
        Ok(())
    }

    fn set_doc(&mut self, undo: &mut Vec<Undo>, key: (Kind, String), doc: Option<Doc>) {
        let old = match doc {
            Some(d) => self.docs.insert(key.clone(), d),
            None => self.docs.remove(&key),
        };
        undo.push(Undo::Doc(key, old));
    }

    fn set_unique(&mut self, undo: &mut Vec<Undo>, k: (String, String), v: Option<(Kind, String)>) {
        let old = match v {
            Some(v) => self.unique.insert(k.clone(), v),
            None => self.unique.remove(&k),
        };
        undo.push(Undo::Unique(k, old));
    }

    fn replace_keys(
        &mut self,
        undo: &mut Vec<Undo>,
        kind: Kind,
        id: &str,
        old: &[UniqueKey],
        new: &[UniqueKey],
    ) {
        for k in old {
            self.set_unique(undo, (k.ns.clone(), k.key.clone()), None);
        }
        for k in new {
            self.set_unique(
                undo,
                (k.ns.clone(), k.key.clone()),
                Some((kind, id.to_owned())),
            );
        }
    }

    fn version_of(&self, kind: Kind, id: &str, expected: u64) -> Result<Doc, StoreError> {
        match self.docs.get(&(kind, id.to_owned())) {
            None => Err(StoreError::NotFound {
                kind,
                id: id.to_owned(),
            }),
            Some(d) if d.version != expected => Err(StoreError::Conflict {
                kind,
                id: id.to_owned(),
                expected,
            }),
            Some(d) => Ok(d.clone()),
        }
    }

    fn apply(&mut self, w: &Write, undo: &mut Vec<Undo>) -> Result<(), StoreError> {
        match w {
            Write::Insert {
                kind,
                id,
                body,
                unique,
                index,
            } => {
                if self.docs.contains_key(&(*kind, id.clone())) {
                    return Err(StoreError::DuplicateId {
                        kind: *kind,
                        id: id.clone(),
                    });
                }
                self.check_keys(*kind, id, unique)?;
                self.replace_keys(undo, *kind, id, &[], unique);
                let doc = Doc {
                    version: 1,
                    body: body.clone(),
                    unique: unique.clone(),
                    index: index.clone(),
                };
                self.set_doc(undo, (*kind, id.clone()), Some(doc));
            }
            Write::Update {
                kind,
                id,
                expected,
                body,
                unique,
                index,
            } => {
                let old = self.version_of(*kind, id, *expected)?;
                self.check_keys(*kind, id, unique)?;
                self.replace_keys(undo, *kind, id, &old.unique, unique);
                let doc = Doc {
                    version: expected + 1,
                    body: body.clone(),
                    unique: unique.clone(),
                    index: index.clone(),
                };
                self.set_doc(undo, (*kind, id.clone()), Some(doc));
            }
            Write::Check { kind, id, version } => {
                self.version_of(*kind, id, *version)?;
            }
            Write::Delete { kind, id, expected } => {
                let old = self.version_of(*kind, id, *expected)?;
                self.replace_keys(undo, *kind, id, &old.unique, &[]);
                self.set_doc(undo, (*kind, id.clone()), None);
            }
            Write::Count { name, delta, limit } => {
                let old = self.counters.get(name).copied();
                let new = old.unwrap_or(0).saturating_add(*delta);
                if let Some(l) = limit
                    && new > *l
                {
                    return Err(StoreError::CounterLimit {
                        name: name.clone(),
                        limit: *l,
                    });
                }
                self.counters.insert(name.clone(), new);
                undo.push(Undo::Counter(name.clone(), old));
            }
        }
        Ok(())
    }

    fn rollback(&mut self, undo: Vec<Undo>) {
        for u in undo.into_iter().rev() {
            match u {
                Undo::Doc(k, Some(d)) => {
                    self.docs.insert(k, d);
                }
                Undo::Doc(k, None) => {
                    self.docs.remove(&k);
                }
                Undo::Unique(k, Some(v)) => {
                    self.unique.insert(k, v);
                }
                Undo::Unique(k, None) => {
                    self.unique.remove(&k);
                }
                Undo::Counter(k, Some(v)) => {
                    self.counters.insert(k, v);
                }
                Undo::Counter(k, None) => {
                    self.counters.remove(&k);
                }
                Undo::Audit(k) => {
                    self.audit.remove(&k);
                }
            }
        }
    }

    fn head(&self, chain: &str) -> Option<&AuditEntry> {
        self.audit
            .range((chain.to_owned(), 0)..=(chain.to_owned(), u64::MAX))
            .next_back()
            .map(|(_, e)| e)
    }
}

fn record(id: &str, d: &Doc) -> Record {
    Record {
        id: id.to_owned(),
        version: d.version,
        body: d.body.clone(),
    }
}

impl Store for MemoryStore {
    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        let g = self.lock()?;
        Ok(g.docs.get(&(kind, id.to_owned())).map(|d| record(id, d)))
    }

    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError> {
        let g = self.lock()?;
        Ok(g.unique.get(&(ns.to_owned(), key.to_owned())).cloned())
    }

    fn query(&self, q: &Query) -> Result<Found, StoreError> {
        let g = self.lock()?;
        let mut hits: Vec<(&String, &Doc)> = g
            .docs
            .range((q.kind, String::new())..)
            .take_while(|((k, _), _)| *k == q.kind)
            .filter(|((_, id), d)| q.matches((id, &d.index)))
            .map(|((_, id), d)| (id, d))
            .collect();
        match q.order {
            Order::TimeDesc => {
                hits.sort_by(|a, b| (b.1.index.time, b.0).cmp(&(a.1.index.time, a.0)))
            }
            Order::Name => hits.sort_by(|a, b| {
                (&a.1.index.category, &a.1.index.name, a.0).cmp(&(
                    &b.1.index.category,
                    &b.1.index.name,
                    b.0,
                ))
            }),
            Order::Id => {}
        }
        let total = hits.len() as u64;
        let records = hits
            .into_iter()
            .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
            .take(q.limit.min(MAX_PAGE) as usize)
            .map(|(id, d)| record(id, d))
            .collect();
        Ok(Found { records, total })
    }

    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.lock()?.counters.get(name).copied().unwrap_or(0))
    }

    fn commit(&self, batch: &Batch, mac: &AuditMac) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        let mut undo = Vec::new();
        for w in &batch.writes {
            if let Err(e) = g.apply(w, &mut undo) {
                g.rollback(undo);
                return Err(e);
            }
        }
        for e in &batch.audit {
            let mut e = e.clone();
            let head = g.head(&e.chain).map(|h| (h.seq, h.mac.clone()));
            link_entry(&mut e, head.as_ref().map(|(s, m)| (*s, m.as_str())), mac);
            let key = (e.chain.clone(), e.seq);
            g.audit.insert(key.clone(), e);
            undo.push(Undo::Audit(key));
        }
        Ok(())
    }

    fn prune(&self, kind: Kind, before: i64, limit: u32) -> Result<u64, StoreError> {
        let mut g = self.lock()?;
        let dead: Vec<(String, u64)> = g
            .docs
            .range((kind, String::new())..)
            .take_while(|((k, _), _)| *k == kind)
            .filter(|(_, d)| d.index.until.is_some_and(|u| u < before))
            .take(limit as usize)
            .map(|((_, id), d)| (id.clone(), d.version))
            .collect();
        let mut undo = Vec::new();
        for (id, v) in &dead {
            g.apply(
                &Write::Delete {
                    kind,
                    id: id.clone(),
                    expected: *v,
                },
                &mut undo,
            )?;
        }
        Ok(dead.len() as u64)
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let g = self.lock()?;
        let hits: Vec<&AuditEntry> = g
            .audit
            .range((q.chain.clone(), 0)..=(q.chain.clone(), u64::MAX))
            .rev()
            .map(|(_, e)| e)
            .filter(|e| q.matches(e))
            .collect();
        let total = hits.len() as u64;
        Ok((
            hits.into_iter()
                .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
                .take(q.limit.min(MAX_PAGE) as usize)
                .cloned()
                .collect(),
            total,
        ))
    }

    fn audit_range(
        &self,
        chain: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let g = self.lock()?;
        Ok(g.audit
            .range((chain.to_owned(), from)..=(chain.to_owned(), u64::MAX))
            .take(limit.min(MAX_PAGE) as usize)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn audit_heads(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let g = self.lock()?;
        let chains: BTreeSet<&String> = g.audit.keys().map(|(c, _)| c).collect();
        Ok(chains
            .into_iter()
            .filter_map(|c| g.head(c).cloned())
            .collect())
    }
}
