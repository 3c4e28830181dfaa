//! The platform room: the rules of the government e-seal platform of the user manual
//! (`platform-user-manual.zh.txt`, section numbers cited below), without storage.
//!
//! [`Platform`] holds the rules; it talks to a [`Store`] (documents with compare-and-set,
//! unique keys, an append-only audit table — see [`store`]), a [`Clock`], an [`SmsSender`]
//! and a [`KeyVault`] (server-held keys of cloud seals). [`MemoryStore`] is the in-memory
//! store; the reference server (`eseal-server`) adds SQLite and PostgreSQL, and
//! [`conformance`] is the one test suite every store must pass.
//!
//! Every operation takes a [`Session`] (identity + source IP), checks the permission matrix
//! ([`perm`]) and the object rules, and writes one audit entry (who, what, object, time,
//! outcome, IP) whatever the outcome.
//!
//! # Rules decided where the manual is silent
//!
//! - **Unit UKeys.** The first UKey of a unit is the super administrator (1.2.1) and holds
//!   every unit role; it cannot be removed from a role. Later unit UKeys are unit identities
//!   holding 系统管理员 (2.4.3 "默认只能是 UKey 用户"). Before a main key is set every unit
//!   UKey may log in; after, only the main key and whitelisted device ids. Setting a main key
//!   whitelists it. A key is known by certificate serial + device id; a known certificate on
//!   another device is a different identity. Whitelist / main key: super admin or 系统管理员.
//! - **Certificate application** (1.2.1.2) needs handler name, valid ID number, valid phone,
//!   e-mail and the accepted agreement; seal applications and signing need it done
//!   ("申请成功后单位才可进行申请印章签署文件等操作").
//! - **Staff.** Phone and ID number are unique across the platform among staff not removed;
//!   removal frees them, so a removed person can be added again (to any unit) as a new record.
//!   Removal clears roles, seal-user rights and queue-confirmer duties. Resigned (离职) staff
//!   cannot log in or receive roles. Unit UKey identities are not staff records and so cannot
//!   be edited through staff editing (2.3.2). Roles are only given to active staff of the same
//!   unit; 系统管理员 cannot be given to staff (UKey only).
//! - **Seals.** UKey seals: unit UKey identities only; cloud seals: unit UKeys, 印章管理员,
//!   印章制作员. With the `ca_review` switch off an application skips 待审核 and goes
//!   straight to 待回执. The applicant staff (seal maker / administrator) becomes the seal's
//!   first manager and first user (2.2.3 "使用者默认为申请印章的用户"); a seal maker may run
//!   the life cycle only of seals it manages. Validity is set by the CA review
//!   (default 5 years from approval). Freezing is allowed from 有效 only; an expired (derived
//!   已过期) seal cannot be frozen, signed with or receipted. Revocation needs a one-time
//!   confirmation token valid 5 minutes, issued to the same identity (二次确认). A cloud seal
//!   is made at receipt (GB/T 38540, the unit's server certificate in certList, signed by
//!   the platform's seal maker) and signs with the unit's key in the [`KeyVault`]. UKey seals
//!   have no users and no app grants (2.2.3, 2.2.4); they are made for a UKey's certificate
//!   when written to it. See `docs/platform-rules.md`.
//! - **Signing** checks the seal's version in the batch that counts the use (a counter in its
//!   own row): a revocation or freeze that commits first makes the signing fail with a clear
//!   error; a signing that commits first is counted and the revocation then goes through;
//!   two signers of one seal never conflict.
//! - **Signing credentials**: account users sign with the 6-digit signing password or an SMS
//!   code (2.5.1); UKey users prove possession of the UKey (their session) (2.5.2).
//! - **Apps.** Names are unique within the platform among apps not deleted; deleting frees the
//!   name. Tokens are 32 and secrets 64 lower-case hex characters from the OS CSPRNG. The secret
//!   can be viewed and reset only for 有效 apps (2.9.5). With the `app_review` switch on, new
//!   and resubmitted apps are 待审核; editing a 已拒绝 app resubmits it. Apps belong to the unit
//!   of their creator; an external grant uses an app of another unit by its id.
//! - **Confirmation policies.** System check: the call limit counts calls granted so far; with
//!   token check each call presents the grant's call token and a serial number (流水号) never
//!   used before on that grant. Manual: the call enters the queue; when `sms_notice` is on,
//!   each confirmer with a phone gets an SMS. Only the confirmers named on the grant when
//!   the call was queued see and decide the item; an approved item gives exactly one
//!   signature (used up in the batch of the signature).
//! - **Open API check.** `x-qys-timestamp` is milliseconds since the epoch and must be within
//!   ±5 minutes of the clock; a (token, timestamp, signature) triple is accepted once (replay
//!   refusal; nonces are kept 15 minutes, beyond the window, then pruned);
//!   the MD5 comparison is case-sensitive to lower-case hex as the manual specifies; the
//!   optional `x-qys-signature-sign` is a base64 SM2 signature (DER or raw r‖s) of the ASCII
//!   text of `x-qys-signature` with the default signer ID; an app with a public key REQUIRES
//!   it. The public key is accepted as base64 of an uncompressed point (65 bytes), x‖y (64),
//!   SubjectPublicKeyInfo DER, or the GM/T 0018 `ECCrefPublicKey` (bits + 64-byte X + 64-byte Y).
//! - **Credentials.** Passwords are argon2id PHC strings. Five wrong passwords lock the
//!   account login for 15 minutes. SMS codes: 6 digits, 5 minutes, 5 wrong attempts kill the
//!   code, one send per 60 s and at most 5 sends per phone per hour, every send needs a solved
//!   image captcha (single use, 5 minutes, case-insensitive). A new code for the same purpose
//!   replaces the old one.
//! - **Signed files**: at most 30 MB (2.5.1); deleting hides the record (kept for audit).
//! - **Audit**: one keyed chain per unit ([`audit`]); the auditor reads their own unit's,
//!   filtered and paged in the store.
//! - **Queue paging**: 50 items a page, newest first, pages numbered from 1. An approval is
//!   used up together with the signature it gives. Removing a grant makes its approved items
//!   unusable; a removed grant can be granted again (fresh, its call count from 0).
//! - **Races.** Every operation is one batch of compare-and-set writes; an attempt that lost
//!   a race runs again on the winner's state and then fails with
//!   [`PlatformError::InvalidState`] naming what it found (or
//!   [`PlatformError::ConcurrentChange`] after repeated losses).
//! - **Audit writing.** The entry is written in the same transaction as the operation.
//! - **UKey logins** are verified here ([`Platform::ukey_challenge`],
//!   [`Platform::login_ukey`]): a single-use challenge of 32 random bytes that expires after
//!   [`CHALLENGE_TTL`] seconds, signed in the UKey (the PIN is checked by the UKey itself,
//!   through `eseal agent`); the platform checks the SM2 signature, that the certificate is
//!   valid and chains to its trust anchors, then the main-key and whitelist rules. A unit
//!   UKey is named by its certificate (unit, credit code, serial, unique id); a personal
//!   UKey by the ID number in its certificate's serialNumber.
//! - **Identities outside this model**: the back office ([`Identity::Operator`]) is
//!   authenticated by the server.
//! - **Pictures**: seal and handwritten signature pictures are stored as given (jpg, jpeg,
//!   png, gif); generated personal signatures record the style and text, the picture is
//!   drawn by the `stamp` room when needed.

pub mod audit;
pub mod authority;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod model;
pub mod openapi;
pub mod perm;
mod service;
pub mod store;
pub mod validate;
pub mod vault;

pub use model::*;
pub use perm::{Action, Role};
pub use service::*;
pub use store::{
    AuditQuery, Batch, Found, Index, Kind, MemoryStore, Order, Query, Record, Store, StoreError,
    UniqueKey, Write,
};

use std::sync::Mutex;

use crate::crypto::sm2;

/// Errors of the platform room.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("not possible in the current state: {0}")]
    InvalidState(String),
    #[error("changed concurrently by another request; reload and retry ({0})")]
    ConcurrentChange(String),
    #[error("login refused: {0}")]
    LoginRefused(String),
    /// A UKey login challenge that is unknown, used or expired: ask for a new one.
    #[error("the UKey challenge is unknown, used or expired")]
    ChallengeExpired,
    #[error("verification failed: {0}")]
    VerificationFailed(String),
    #[error("too many requests: {0}")]
    RateLimited(String),
    #[error("open API request refused: {0}")]
    RequestRefused(String),
    #[error("audit log broken: {0}")]
    AuditBroken(#[from] audit::ChainError),
    #[error("key vault: {0}")]
    Vault(#[from] VaultError),
    #[error("SMS: {0}")]
    Sms(#[from] SmsError),
    #[error("random number generator: {0}")]
    Random(getrandom::Error),
    #[error("password hashing: {0}")]
    PasswordHash(argon2::password_hash::Error),
    #[error("cryptography: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("certificate authority: {0}")]
    Ca(#[from] authority::CaError),
    #[error("seal: {0}")]
    Ses(#[from] crate::ses::SesError),
    #[error("seal picture: {0}")]
    Stamp(#[from] crate::stamp::StampError),
    #[error("PDF: {0}")]
    Pdf(#[from] crate::pdf::PdfError),
    #[error("OFD: {0}")]
    Ofd(#[from] crate::ofd::OfdError),
    #[error("UKey: {0}")]
    Ukey(#[from] crate::ukey::UkeyError),
    #[error("storage: {0}")]
    Store(StoreError),
    /// A keyword placement that cannot be resolved: the keyword does not occur (as often as
    /// asked), or the pages or occurrence asked for are not usable.
    #[error("placement: {0}")]
    Placement(#[from] crate::placement::PlacementError),
}

/// Why the SMS gateway did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The gateway refused or failed (its own message).
    #[error("the SMS gateway failed: {0}")]
    Gateway(String),
    #[error("the SMS sender is unavailable")]
    Unavailable,
}

/// Why the key vault could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no key {0} in the vault")]
    UnknownKey(String),
    /// The key material did not decrypt with the master key (wrong key, or changed).
    #[error("key {0} does not decrypt with the master key")]
    Decrypt(String),
    #[error("the vault master key must be {0} bytes")]
    BadMasterKey(usize),
    #[error("key vault: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("key vault storage: {0}")]
    Store(#[from] StoreError),
    #[error("random number generator: {0}")]
    Random(getrandom::Error),
    #[error("key vault signer: {0}")]
    Signer(#[from] crate::crypto::SignerError),
    #[error("key vault unavailable")]
    Unavailable,
}

impl From<StoreError> for PlatformError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => PlatformError::ConcurrentChange(e.to_string()),
            StoreError::DuplicateKey { ref ns, ref key } => {
                PlatformError::Duplicate(format!("{ns} '{key}'"))
            }
            StoreError::DuplicateId { .. } => PlatformError::Duplicate(e.to_string()),
            StoreError::NotFound { .. } => PlatformError::NotFound(e.to_string()),
            StoreError::CounterLimit { .. } => PlatformError::RateLimited(e.to_string()),
            other => PlatformError::Store(other),
        }
    }
}

/// Time source (unix seconds).
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        crate::crypto::time::Time::now().unix()
    }
}

/// A settable clock for tests.
pub struct FixedClock(Mutex<i64>);

impl FixedClock {
    pub fn new(t: i64) -> Self {
        FixedClock(Mutex::new(t))
    }
    pub fn set(&self, t: i64) {
        if let Ok(mut g) = self.0.lock() {
            *g = t;
        }
    }
    pub fn advance(&self, secs: i64) {
        if let Ok(mut g) = self.0.lock() {
            *g += secs;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0.lock().map(|g| *g).unwrap_or(0)
    }
}

/// Sends SMS messages (a gateway in production).
pub trait SmsSender: Send + Sync {
    fn send(&self, phone: &str, text: &str) -> Result<(), SmsError>;
}

/// Development sender: writes each message to standard error and keeps it for inspection.
#[derive(Default)]
pub struct DevSmsSender {
    sent: Mutex<Vec<(String, String)>>,
}

impl DevSmsSender {
    pub fn new() -> Self {
        Self::default()
    }
    /// Every message sent so far (phone, text).
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().map(|g| g.clone()).unwrap_or_default()
    }
    /// The last 6-digit code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent()
            .into_iter()
            .rev()
            .find(|(p, _)| p == phone)
            .and_then(|(_, t)| {
                t.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned)
            })
    }
}

impl SmsSender for DevSmsSender {
    fn send(&self, phone: &str, text: &str) -> Result<(), SmsError> {
        eprintln!("[sms to {phone}] {text}");
        self.sent
            .lock()
            .map_err(|_| SmsError::Unavailable)?
            .push((phone.to_owned(), text.to_owned()));
        Ok(())
    }
}

/// Server-held keys of cloud seals and of units' server certificates. Private keys never
/// leave it in plaintext: it signs digests.
pub trait KeyVault: Send + Sync {
    /// Makes the key `key_id` and returns its public key.
    fn create(&self, key_id: &str) -> Result<sm2::PublicKey, VaultError>;
    /// Signs an SM3 digest `e` (= SM3(Z‖M)) with the key.
    fn sign_digest(&self, key_id: &str, e: &[u8; 32]) -> Result<sm2::Signature, VaultError>;
    /// Destroys the key (revocation).
    fn destroy(&self, key_id: &str) -> Result<(), VaultError>;
}

/// In-memory key vault (tests, development): keys live in this process only.
#[derive(Default)]
pub struct MemoryKeyVault {
    keys: Mutex<std::collections::HashMap<String, sm2::PrivateKey>>,
}

impl MemoryKeyVault {
    pub fn new() -> Self {
        Self::default()
    }
}

impl KeyVault for MemoryKeyVault {
    fn create(&self, key_id: &str) -> Result<sm2::PublicKey, VaultError> {
        let k = sm2::PrivateKey::generate()?;
        let pk = k.public_key();
        self.keys
            .lock()
            .map_err(|_| VaultError::Unavailable)?
            .insert(key_id.to_owned(), k);
        Ok(pk)
    }
    fn sign_digest(&self, key_id: &str, e: &[u8; 32]) -> Result<sm2::Signature, VaultError> {
        let g = self.keys.lock().map_err(|_| VaultError::Unavailable)?;
        let k = g
            .get(key_id)
            .ok_or_else(|| VaultError::UnknownKey(key_id.to_owned()))?;
        Ok(k.sign_digest(e)?)
    }
    fn destroy(&self, key_id: &str) -> Result<(), VaultError> {
        self.keys
            .lock()
            .map_err(|_| VaultError::Unavailable)?
            .remove(key_id);
        Ok(())
    }
}
