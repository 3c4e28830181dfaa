//! Storage behind the platform rules: the [`Store`] trait and the in-memory store.
//!
//! The rules never trust the store to do more than four things, which every backend
//! (memory, SQLite, PostgreSQL) implements with one transaction each:
//!
//! 1. keep JSON documents per [`Kind`] under an id, each with a `version` that grows by one on
//!    every write;
//! 2. **compare-and-set**: [`Store::update`] writes only when the caller's `expected_version`
//!    is still current, else [`StoreError::Conflict`] — this is how two administrators racing
//!    on the same queue item, seal receipt or revocation end with one winner and one clear error;
//! 3. **unique keys** (namespace + key, e.g. a staff phone number) claimed atomically with the
//!    document that owns them, replaced on update, so uniqueness holds under races;
//! 4. an **append-only audit table** addressed by sequence number: [`Store::audit_append`]
//!    refuses a sequence number that exists, there is no update or delete.

use std::collections::BTreeMap;
use std::sync::Mutex;

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
}

impl Kind {
    pub const ALL: [Kind; 15] = [
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

/// One row of the append-only audit table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// 1, 2, 3 … without gaps.
    pub seq: u64,
    /// JSON text of the entry (it contains the previous hash).
    pub body: String,
    /// Lower-case hex SM3 over the previous hash and `body`.
    pub hash: String,
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
    /// The audit sequence number exists already (another writer appended first).
    #[error("audit entry {0} exists already")]
    AuditSeqTaken(u64),
    #[error("storage backend: {0}")]
    Backend(String),
}

/// Storage of the platform model (see the module docs for the contract).
pub trait Store: Send + Sync {
    /// Inserts a new document with version 1 and claims its unique keys, atomically.
    fn insert(
        &self,
        kind: Kind,
        id: &str,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<(), StoreError>;
    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError>;
    /// Compare-and-set: writes `body` and replaces the document's unique keys by `unique` when
    /// the stored version is `expected_version`; returns the new version.
    fn update(
        &self,
        kind: Kind,
        id: &str,
        expected_version: u64,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError>;
    /// Every document of a kind, ordered by id.
    fn list(&self, kind: Kind) -> Result<Vec<Record>, StoreError>;
    /// Which document (kind, id) holds a unique key.
    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError>;
    /// Appends the audit row `seq`; [`StoreError::AuditSeqTaken`] when it exists.
    fn audit_append(&self, row: &AuditRow) -> Result<(), StoreError>;
    /// All audit rows ordered by `seq`.
    fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError>;
    /// The last audit row, if any.
    fn audit_last(&self) -> Result<Option<AuditRow>, StoreError>;
}

#[derive(Default)]
struct MemoryInner {
    docs: BTreeMap<(Kind, String), (u64, String, Vec<UniqueKey>)>,
    unique: BTreeMap<(String, String), (Kind, String)>,
    audit: BTreeMap<u64, AuditRow>,
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

impl MemoryInner {
    fn check_keys(&self, kind: Kind, id: &str, unique: &[UniqueKey]) -> Result<(), StoreError> {
        for k in unique {
            if let Some((hk, hid)) = self.unique.get(&(k.ns.clone(), k.key.clone()))
                && !(*hk == kind && hid == id)
            {
                return Err(StoreError::DuplicateKey {
                    ns: k.ns.clone(),
                    key: k.key.clone(),
                });
            }
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn insert(
        &self,
        kind: Kind,
        id: &str,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        if g.docs.contains_key(&(kind, id.to_owned())) {
            return Err(StoreError::DuplicateId {
                kind,
                id: id.to_owned(),
            });
        }
        g.check_keys(kind, id, unique)?;
        for k in unique {
            g.unique
                .insert((k.ns.clone(), k.key.clone()), (kind, id.to_owned()));
        }
        g.docs
            .insert((kind, id.to_owned()), (1, body.to_owned(), unique.to_vec()));
        Ok(())
    }

    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        let g = self.lock()?;
        Ok(g.docs.get(&(kind, id.to_owned())).map(|(v, b, _)| Record {
            id: id.to_owned(),
            version: *v,
            body: b.clone(),
        }))
    }

    fn update(
        &self,
        kind: Kind,
        id: &str,
        expected_version: u64,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        let mut g = self.lock()?;
        let key = (kind, id.to_owned());
        let (version, old_keys) = match g.docs.get(&key) {
            None => {
                return Err(StoreError::NotFound {
                    kind,
                    id: id.to_owned(),
                });
            }
            Some((v, _, k)) => (*v, k.clone()),
        };
        if version != expected_version {
            return Err(StoreError::Conflict {
                kind,
                id: id.to_owned(),
                expected: expected_version,
            });
        }
        g.check_keys(kind, id, unique)?;
        for k in &old_keys {
            g.unique.remove(&(k.ns.clone(), k.key.clone()));
        }
        for k in unique {
            g.unique
                .insert((k.ns.clone(), k.key.clone()), (kind, id.to_owned()));
        }
        g.docs
            .insert(key, (version + 1, body.to_owned(), unique.to_vec()));
        Ok(version + 1)
    }

    fn list(&self, kind: Kind) -> Result<Vec<Record>, StoreError> {
        let g = self.lock()?;
        Ok(g.docs
            .range((kind, String::new())..)
            .take_while(|((k, _), _)| *k == kind)
            .map(|((_, id), (v, b, _))| Record {
                id: id.clone(),
                version: *v,
                body: b.clone(),
            })
            .collect())
    }

    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError> {
        let g = self.lock()?;
        Ok(g.unique.get(&(ns.to_owned(), key.to_owned())).cloned())
    }

    fn audit_append(&self, row: &AuditRow) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        if g.audit.contains_key(&row.seq) {
            return Err(StoreError::AuditSeqTaken(row.seq));
        }
        g.audit.insert(row.seq, row.clone());
        Ok(())
    }

    fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError> {
        Ok(self.lock()?.audit.values().cloned().collect())
    }

    fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        Ok(self.lock()?.audit.values().next_back().cloned())
    }
}
