//! The server's own state beside the platform model: sessions, login challenges, uploaded
//! documents, deferred UKey signings, signing locks and the development SMS outbox. It lives
//! in the same database as the platform store (one table, `srv_kv`, keyed by namespace + id),
//! so several server processes on one PostgreSQL share it: a session made on one server is
//! valid on the other.

use eseal::platform::StoreError;

/// Namespaces of [`ServerStore`].
pub mod ns {
    /// Sessions, by SM3 of the session token (the token itself is never stored).
    pub const SESSION: &str = "session";
    /// Uploaded documents (owner = identity id).
    pub const DOCUMENT: &str = "document";
    /// Deferred (UKey) signings waiting for the agent's signature.
    pub const PENDING_SIGNING: &str = "pending_signing";
    /// Per-document signing locks (one signing of a document at a time), each the journal of
    /// its signing (`recovery::LockBody`); owner "" so that the repair lists them all.
    pub const SIGN_LOCK: &str = "sign_lock";
    /// Heartbeats of the server processes (`recovery::heartbeat`).
    pub const INSTANCE: &str = "instance";
    /// Messages of the development SMS sender (owner = phone).
    pub const DEV_SMS: &str = "dev_sms";
    /// Captcha answers, kept only with `dev.captcha_answers` on.
    pub const DEV_CAPTCHA: &str = "dev_captcha";
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    pub id: String,
    pub owner: String,
    pub body: String,
    pub expires: Option<i64>,
}

/// Server state storage (see the module docs). Expired entries are invisible to every read;
/// [`ServerStore::kv_prune`] removes them.
pub trait ServerStore: Send + Sync {
    /// Inserts; `Ok(false)` when the id is taken by an entry that has not expired.
    fn kv_insert(&self, ns: &str, e: &KvEntry, now: i64) -> Result<bool, StoreError>;
    /// Inserts or replaces.
    fn kv_put(&self, ns: &str, e: &KvEntry) -> Result<(), StoreError>;
    fn kv_get(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError>;
    /// Removes and returns the entry, atomically (single-use values such as challenges).
    fn kv_take(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError>;
    fn kv_delete(&self, ns: &str, id: &str) -> Result<(), StoreError>;
    /// Entries of an owner, ordered by id.
    fn kv_list(&self, ns: &str, owner: &str, now: i64) -> Result<Vec<KvEntry>, StoreError>;
    /// Removes expired entries; returns how many.
    fn kv_prune(&self, now: i64) -> Result<u64, StoreError>;
    /// A round trip to the database (readiness).
    fn ping(&self) -> Result<(), StoreError>;
}
