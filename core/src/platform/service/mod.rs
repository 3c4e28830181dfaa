//! [`Platform`]: the operations of the manual, one file per chapter, each checked against the
//! permission matrix and the object rules, each changing operation written to the store in
//! ONE batch together with its audit entry ([`Platform::run`]).

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::audit::{AuditEntry, AuditMac, Outcome, PLATFORM_CHAIN};
use super::authority::{CertificateAuthority, TestCaAuthority};
use super::model::*;
use super::perm::{self, Action, Role};
use super::store::{Batch, Found, Kind, Query, Store, StoreError, Write};
use super::validate;
use super::{Clock, KeyVault, PlatformError, SmsSender, VaultError};
use crate::crypto::sm3::sm3;
use crate::crypto::{Signer, sm2};
use crate::validation::TrustStore;

mod apps;
mod audit;
mod credentials;
mod docs;
mod documents;
mod files;
mod open;
mod queue;
mod roles;
mod seals;
mod signing;
mod staff;
mod status;
mod ukey_login;
mod units;

pub use apps::AppInput;
pub use credentials::SmsLogin;
pub use docs::{Doc, format_name, seal_status_name};
pub use documents::{
    DocumentInput, KeywordStamp, Layout, STAMP_SCALE, SealLayout, SignedDocument, find_text,
    keyword_stamps, stamp_size,
};
pub use files::{FileInput, FileQuery};
pub use open::{
    AppDocCall, AppDocOutcome, AppSeal, DeliveryAttempt, EventStatus, OpenTask, Persist,
    RetryPolicy, TaskStatus, Webhook, WebhookEvent,
};
pub use queue::QueueFilter;
pub use seals::{SealApplication, SealQuery};
pub use signing::{AppCall, AppSignOutcome, SealUse, SignCredential};
pub use staff::StaffQuery;
pub use status::SEAL_STATUS_VALIDITY;
pub use ukey_login::{CHALLENGE_TTL, IssuedChallenge, UkeyKind, UkeyProof};

type Result<T> = std::result::Result<T, PlatformError>;

/// Who is acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// A unit UKey (法人一证通) identity.
    UnitKey { unit: String, key: String },
    /// A staff member, logged in by account (password / SMS) or personal UKey.
    Staff {
        unit: String,
        staff: String,
        via_ukey: bool,
    },
    /// The operations back office (authenticated by the server, outside this model).
    Operator { name: String },
}

/// An identity and the source IP of its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub identity: Identity,
    pub ip: String,
}

impl Session {
    pub fn operator(name: &str, ip: &str) -> Self {
        Session {
            identity: Identity::Operator {
                name: name.to_owned(),
            },
            ip: ip.to_owned(),
        }
    }
}

/// The resolved actor of one request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub roles: Vec<Role>,
    pub identity: Identity,
}

impl Ctx {
    fn is_unit_key(&self) -> bool {
        matches!(self.identity, Identity::UnitKey { .. })
    }
    fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
    /// The audit chain of the actor: its unit's, or the platform's for the back office.
    fn chain(&self) -> &str {
        if self.unit.is_empty() {
            PLATFORM_CHAIN
        } else {
            &self.unit
        }
    }
}

// ---- tunables (documented in the module docs) ----
pub const SMS_CODE_TTL: i64 = 300;
pub const SMS_MAX_ATTEMPTS: u32 = 5;
pub const SMS_MAX_SENDS_PER_HOUR: usize = 5;
pub const SMS_RESEND_INTERVAL: i64 = 60;
pub const CAPTCHA_TTL: i64 = 300;
pub const REVOCATION_TOKEN_TTL: i64 = 300;
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const LOCKOUT_SECS: i64 = 900;
/// Wrong signing passwords before signing with the password is locked (2.1.2.4; as the
/// login password, 1.3.2.2).
pub const MAX_FAILED_SIGNING_PASSWORDS: u32 = 5;
pub const QUEUE_PAGE_SIZE: usize = 50;
/// Page size of the other lists (staff, seals, apps, files, audit).
pub const PAGE_SIZE: usize = 50;
pub const MAX_FILE_SIZE: u64 = 30 * 1024 * 1024;
pub const DEFAULT_SEAL_VALIDITY_DAYS: i64 = 5 * 365;
/// Validity of a unit's server certificate: covers the seals made under it.
pub const UNIT_CERT_VALIDITY_DAYS: i64 = 5 * 365 + 30;
/// How long a used 流水号 is remembered (and refused again) under token check.
pub const SERIAL_RETENTION: i64 = 30 * 86400;
/// How long a replay nonce of the open API is kept: beyond the ±5-minute window it
/// cannot be replayed anyway (its timestamp is refused).
pub const NONCE_RETENTION: i64 = 15 * 60;
/// Attempts of one operation that lost a compare-and-set race before it reports
/// [`PlatformError::ConcurrentChange`].
const RETRIES: usize = 4;

/// One page of a list (pages numbered from 1).
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// What a platform is made of. [`Services::development`] assembles one for tests and demos.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub sms: Arc<dyn SmsSender>,
    pub vault: Arc<dyn KeyVault>,
    /// HMAC-SM3 key of the audit chains (configuration, never stored in the database).
    pub audit_mac: AuditMac,
    /// Signs audit checkpoints (its certificate is published with them).
    pub audit_signer: Arc<dyn Signer>,
    /// Issues the units' server certificates (1.2.1.2).
    pub authority: Arc<dyn CertificateAuthority>,
    /// The platform's seal maker (电子印章制作者, GB/T 38540 §6.2): signs every seal made.
    pub seal_maker: Arc<dyn Signer>,
    /// Trust anchors for the certificates of UKeys (logins, seals written to UKeys).
    pub trust: TrustStore,
}

impl Services {
    /// Development services over `store`: in-memory key vault, the development SMS sender,
    /// keys of the deterministic test CA (`crypto::testca`, seed `seed`).
    pub fn development(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        sms: Arc<dyn SmsSender>,
        seed: &str,
    ) -> Result<Services> {
        let ca = crate::crypto::testca::TestCa::new(seed)?;
        Ok(Services {
            store,
            clock,
            sms,
            vault: Arc::new(super::MemoryKeyVault::new()),
            audit_mac: AuditMac::new(&sm3(format!("{seed}/audit-mac").as_bytes()))?,
            audit_signer: Arc::new(ca.server.signer()),
            seal_maker: Arc::new(ca.unit.signer()),
            trust: TrustStore::new().with(ca.root.cert.clone()),
            authority: Arc::new(TestCaAuthority(ca)),
        })
    }
}

/// The platform: rules over a store.
pub struct Platform {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sms: Arc<dyn SmsSender>,
    vault: Arc<dyn KeyVault>,
    mac: AuditMac,
    audit_signer: Arc<dyn Signer>,
    authority: Arc<dyn CertificateAuthority>,
    seal_maker: Arc<dyn Signer>,
    trust: TrustStore,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(PlatformError::Random)?;
    Ok(b)
}

fn new_id() -> Result<String> {
    Ok(hex::encode(random_bytes::<12>()?))
}

fn random_digits(n: usize) -> Result<String> {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        let [b] = random_bytes::<1>()?;
        if b < 250 {
            s.push(char::from(b'0' + b % 10));
        }
    }
    Ok(s)
}

fn hash_text(s: &str) -> String {
    hex::encode(sm3(s.as_bytes()))
}

fn forbidden(msg: impl Into<String>) -> PlatformError {
    PlatformError::Forbidden(msg.into())
}

fn state(msg: impl Into<String>) -> PlatformError {
    PlatformError::InvalidState(msg.into())
}

fn argon2_hash(pw: &str) -> Result<String> {
    let salt_bytes = random_bytes::<16>()?;
    argon2::Argon2::default()
        .hash_password_with_salt(pw.as_bytes(), &salt_bytes)
        .map(|h| h.to_string())
        .map_err(PlatformError::PasswordHash)
}

fn argon2_verify(pw: &str, phc: &str) -> bool {
    PasswordVerifier::<str>::verify_password(&argon2::Argon2::default(), pw.as_bytes(), phc).is_ok()
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| PlatformError::Store(StoreError::Backend(e.to_string())))
}

fn from_json<T: DeserializeOwned>(kind: Kind, id: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        PlatformError::Store(StoreError::Backend(format!("{} {id}: {e}", kind.as_str())))
    })
}

/// The writes of one operation, committed with its audit entry by [`Platform::run`].
#[derive(Default)]
pub(crate) struct Tx {
    writes: Vec<Write>,
    /// Vault keys made by the operation, destroyed if the batch is not committed.
    made_keys: Vec<String>,
}

impl Tx {
    fn insert<D: Doc>(&mut self, d: &D) -> Result<()> {
        self.writes.push(Write::Insert {
            kind: D::KIND,
            id: d.id().to_owned(),
            body: to_json(d)?,
            unique: d.uniques(),
            index: d.index(),
        });
        Ok(())
    }
    /// Compare-and-set of `d` read at `version`.
    fn update<D: Doc>(&mut self, d: &D, version: u64) -> Result<()> {
        self.writes.push(Write::Update {
            kind: D::KIND,
            id: d.id().to_owned(),
            expected: version,
            body: to_json(d)?,
            unique: d.uniques(),
            index: d.index(),
        });
        Ok(())
    }
    /// Insert (`version` None) or compare-and-set.
    fn put<D: Doc>(&mut self, d: &D, version: Option<u64>) -> Result<()> {
        match version {
            None => self.insert(d),
            Some(v) => self.update(d, v),
        }
    }
    /// The operation depends on `id` staying at `version` (without writing it).
    fn check(&mut self, kind: Kind, id: &str, version: u64) {
        self.writes.push(Write::Check {
            kind,
            id: id.to_owned(),
            version,
        });
    }
    fn delete(&mut self, kind: Kind, id: &str, version: u64) {
        self.writes.push(Write::Delete {
            kind,
            id: id.to_owned(),
            expected: version,
        });
    }
    fn count(&mut self, name: String, limit: Option<u64>) {
        self.writes.push(Write::Count {
            name,
            delta: 1,
            limit,
        });
    }
}

impl Platform {
    pub fn new(s: Services) -> Self {
        Platform {
            store: s.store,
            clock: s.clock,
            sms: s.sms,
            vault: s.vault,
            mac: s.audit_mac,
            audit_signer: s.audit_signer,
            authority: s.authority,
            seal_maker: s.seal_maker,
            trust: s.trust,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    // ---------------------------------------------------------------- store helpers

    fn load<D: Doc>(&self, id: &str) -> Result<Option<(D, u64)>> {
        match self.store.get(D::KIND, id)? {
            None => Ok(None),
            Some(r) => Ok(Some((from_json(D::KIND, id, &r.body)?, r.version))),
        }
    }

    fn must<D: Doc>(&self, id: &str) -> Result<(D, u64)> {
        self.load(id)?
            .ok_or_else(|| PlatformError::NotFound(format!("{} {id}", D::KIND.as_str())))
    }

    /// One page of the documents matching `q`.
    fn find<D: Doc>(&self, q: &Query) -> Result<(Vec<(D, u64)>, u64)> {
        let Found { records, total } = self.store.query(q)?;
        let docs = records
            .into_iter()
            .map(|r| Ok((from_json(D::KIND, &r.id, &r.body)?, r.version)))
            .collect::<Result<Vec<_>>>()?;
        Ok((docs, total))
    }

    /// Every document matching `q`, page by page (for rules that must touch all of them,
    /// e.g. removing a departed person from the seals they use).
    fn find_all<D: Doc>(&self, q: Query) -> Result<Vec<(D, u64)>> {
        let mut out = Vec::new();
        let mut q = q.page(0, super::store::MAX_PAGE);
        loop {
            let (page, total) = self.find::<D>(&q)?;
            let n = page.len() as u64;
            out.extend(page);
            q.offset += n;
            if n == 0 || q.offset >= total {
                return Ok(out);
            }
        }
    }

    /// Page `page` (from 1) of `size` items of `q`.
    fn page<D: Doc>(&self, q: Query, page: usize, size: usize) -> Result<Page<D>> {
        let page = page.max(1);
        let q = q.page(
            ((page - 1) as u64).saturating_mul(size as u64),
            u32::try_from(size).unwrap_or(u32::MAX),
        );
        let (items, total) = self.find::<D>(&q)?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        Ok(Page {
            items: items.into_iter().map(|(d, _)| d).collect(),
            total,
            page,
            pages: total.div_ceil(size).max(1),
        })
    }

    // ---------------------------------------------------------------- audit and runs

    fn entry(&self, chain: &str, actor: &str, actor_name: &str, action: &str) -> AuditEntry {
        AuditEntry {
            chain: if chain.is_empty() {
                PLATFORM_CHAIN.to_owned()
            } else {
                chain.to_owned()
            },
            seq: 0,
            prev: String::new(),
            time: self.clock.now(),
            actor: actor.to_owned(),
            actor_name: actor_name.to_owned(),
            action: action.to_owned(),
            object: String::new(),
            outcome: Outcome::Ok,
            ip: String::new(),
            mac: String::new(),
        }
    }

    /// Appends one entry on its own (a refusal, a failure).
    fn audit_only(&self, e: AuditEntry) -> Result<()> {
        self.store.commit(
            &Batch {
                writes: vec![],
                audit: vec![e],
            },
            &self.mac,
        )?;
        Ok(())
    }

    fn outcome_of<T>(r: &Result<T>) -> Outcome {
        match r {
            Ok(_) => Outcome::Ok,
            Err(e @ PlatformError::Forbidden(_)) => Outcome::Denied(e.to_string()),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    /// Commits `tx` and `e` (the operation's audit entry) in one batch. On a lost race the
    /// caller may run the operation again; vault keys the attempt made are destroyed.
    fn commit_tx(&self, tx: Tx, e: AuditEntry) -> Result<()> {
        let r = self.store.commit(
            &Batch {
                writes: tx.writes,
                audit: vec![e],
            },
            &self.mac,
        );
        if r.is_err() {
            for k in &tx.made_keys {
                // Best effort: a key that stays is unusable (no seal names it).
                let _ = self.vault.destroy(k);
            }
        }
        Ok(r?)
    }

    fn identity_id(sess: &Session) -> String {
        match &sess.identity {
            Identity::UnitKey { key, .. } => key.clone(),
            Identity::Staff { staff, .. } => staff.clone(),
            Identity::Operator { name } => format!("ops:{name}"),
        }
    }

    /// Resolves the session and checks the matrix; a refusal is audited.
    fn authorise(&self, sess: &Session, action: Action, object: &str) -> Result<Ctx> {
        let refuse = |chain: &str, id: &str, name: &str, e: PlatformError| {
            let mut a = self.entry(chain, id, name, &format!("{action:?}"));
            a.object = object.to_owned();
            a.outcome = Outcome::Denied(e.to_string());
            a.ip = sess.ip.clone();
            self.audit_only(a)?;
            Err(e)
        };
        let ctx = match self.ctx(sess) {
            Ok(c) => c,
            Err(e) => {
                let unit = match &sess.identity {
                    Identity::UnitKey { unit, .. } | Identity::Staff { unit, .. } => unit.clone(),
                    Identity::Operator { .. } => String::new(),
                };
                // Only a unit that exists gets the entry in its chain.
                let chain = if self.load::<Unit>(&unit)?.is_some() {
                    unit
                } else {
                    String::new()
                };
                return refuse(&chain, &Self::identity_id(sess), "", e);
            }
        };
        if !perm::allowed_any(&ctx.roles, action) {
            let e = forbidden(format!("{action:?} needs one of the roles allowed for it"));
            return refuse(ctx.chain(), &ctx.id, &ctx.name, e);
        }
        Ok(ctx)
    }

    /// Authorises, runs and audits one changing operation: `f` reads and puts its writes in
    /// the [`Tx`]; the writes and the audit entry are committed in one batch. An attempt that
    /// lost a compare-and-set race is run again (it then sees the winner's state).
    fn run<T>(
        &self,
        sess: &Session,
        action: Action,
        object: &str,
        mut f: impl FnMut(&Ctx, &mut Tx) -> Result<T>,
    ) -> Result<T> {
        let ctx = self.authorise(sess, action, object)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = Tx::default();
            let r = f(&ctx, &mut tx);
            let mut e = self.entry(ctx.chain(), &ctx.id, &ctx.name, &format!("{action:?}"));
            e.object = object.to_owned();
            e.ip = sess.ip.clone();
            e.outcome = Self::outcome_of(&r);
            match r {
                Ok(v) => match self.commit_tx(tx, e.clone()) {
                    Ok(()) => return Ok(v),
                    Err(PlatformError::ConcurrentChange(_)) if attempt < RETRIES => continue,
                    Err(err) => {
                        e.outcome = Outcome::Failed(err.to_string());
                        self.audit_only(e)?;
                        return Err(err);
                    }
                },
                Err(err) => {
                    for k in &tx.made_keys {
                        let _ = self.vault.destroy(k);
                    }
                    self.audit_only(e)?;
                    return Err(err);
                }
            }
        }
    }

    /// A read: authorised, refusals audited, the read itself not (reads are not audited one
    /// row per read).
    fn read<T>(
        &self,
        sess: &Session,
        action: Action,
        object: &str,
        f: impl FnOnce(&Ctx) -> Result<T>,
    ) -> Result<T> {
        let ctx = self.authorise(sess, action, object)?;
        let r = f(&ctx);
        if let Err(err @ PlatformError::Forbidden(_)) = &r {
            let mut e = self.entry(ctx.chain(), &ctx.id, &ctx.name, &format!("{action:?}"));
            e.object = object.to_owned();
            e.ip = sess.ip.clone();
            e.outcome = Outcome::Denied(err.to_string());
            self.audit_only(e)?;
        }
        r
    }

    /// An operation without a session (logins, SMS codes, app calls): `f` returns the value,
    /// the unit and the actor it turned out to be; committed with its audit entry like
    /// [`Platform::run`]. Refusals are audited under `anonymous` (or `anon_actor`).
    fn run_anon<T>(
        &self,
        action: &str,
        object: &str,
        ip: &str,
        anon: (&str, &str),
        mut f: impl FnMut(&mut Tx) -> Result<(T, String, String)>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = Tx::default();
            let r = f(&mut tx);
            match r {
                Ok((v, unit, actor)) => {
                    let mut e = self.entry(&unit, &actor, "", action);
                    e.object = object.to_owned();
                    e.ip = ip.to_owned();
                    match self.commit_tx(tx, e.clone()) {
                        Ok(()) => return Ok(v),
                        Err(PlatformError::ConcurrentChange(_)) if attempt < RETRIES => continue,
                        Err(err) => {
                            e.outcome = Outcome::Failed(err.to_string());
                            self.audit_only(e)?;
                            return Err(err);
                        }
                    }
                }
                Err(err) => {
                    // State a refusal must keep (a counted wrong password) was committed by
                    // the check itself ([`Platform::apply`]); the attempt's writes are dropped.
                    for k in &tx.made_keys {
                        let _ = self.vault.destroy(k);
                    }
                    let mut e = self.entry(anon.0, anon.1, "", action);
                    e.object = object.to_owned();
                    e.ip = ip.to_owned();
                    e.outcome = Outcome::Denied(err.to_string());
                    self.audit_only(e)?;
                    return Err(err);
                }
            }
        }
    }

    /// Resolves the session to an actor; refuses identities that may no longer act.
    pub fn ctx(&self, sess: &Session) -> Result<Ctx> {
        match &sess.identity {
            Identity::UnitKey { unit, key } => {
                let (k, _): (UnitKey, u64) = self.must(key)?;
                let (u, _): (Unit, u64) = self.must(unit)?;
                if k.unit != u.id {
                    return Err(PlatformError::LoginRefused(
                        "key does not belong to the unit".into(),
                    ));
                }
                Self::admit(&u, &k)?;
                let roles = if k.super_admin {
                    vec![Role::SuperAdmin]
                } else {
                    vec![Role::SystemAdmin]
                };
                Ok(Ctx {
                    id: k.id.clone(),
                    name: format!("{} UKey {}", u.name, k.device_id),
                    unit: u.id,
                    roles,
                    identity: sess.identity.clone(),
                })
            }
            Identity::Staff { unit, staff, .. } => {
                let (s, _): (Staff, u64) = self.must(staff)?;
                if &s.unit != unit {
                    return Err(PlatformError::LoginRefused(
                        "staff does not belong to the unit".into(),
                    ));
                }
                if s.removed {
                    return Err(PlatformError::LoginRefused("account removed".into()));
                }
                if s.resigned {
                    return Err(PlatformError::LoginRefused("account resigned".into()));
                }
                let mut roles = s.roles.clone();
                roles.push(Role::Staff);
                Ok(Ctx {
                    id: s.id,
                    name: s.name,
                    unit: s.unit,
                    roles,
                    identity: sess.identity.clone(),
                })
            }
            Identity::Operator { name } => Ok(Ctx {
                id: format!("ops:{name}"),
                name: name.clone(),
                unit: String::new(),
                roles: vec![Role::Operator],
                identity: sess.identity.clone(),
            }),
        }
    }

    /// Is the action allowed by the matrix for this session (no object rule)?
    pub fn may(&self, sess: &Session, action: Action) -> Result<bool> {
        Ok(perm::allowed_any(&self.ctx(sess)?.roles, action))
    }

    // ---------------------------------------------------------------- switches

    pub fn switches(&self) -> Result<Switches> {
        Ok(self
            .load::<Switches>(Switches::ID)?
            .map(|(s, _)| s)
            .unwrap_or_default())
    }

    pub fn set_switches(&self, sess: &Session, sw: Switches) -> Result<()> {
        self.run(sess, Action::SetSwitches, Switches::ID, |_, tx| {
            let v = self.load::<Switches>(Switches::ID)?.map(|(_, v)| v);
            tx.put(&sw, v)
        })
    }

    // ---------------------------------------------------------------- maintenance

    /// Deletes expired short-lived records (captchas, SMS states, revocation confirmations,
    /// login challenges, open-API nonces, used serial numbers past their retention); returns
    /// how many. Run it periodically (the reference server does, every minute).
    pub fn prune_expired(&self) -> Result<u64> {
        let now = self.clock.now();
        let mut n = 0;
        for kind in [
            Kind::Captcha,
            Kind::SmsCode,
            Kind::RevocationToken,
            Kind::Challenge,
            Kind::Nonce,
            Kind::Serial,
        ] {
            loop {
                let k = self.store.prune(kind, now, 1000)?;
                n += k;
                if k < 1000 {
                    break;
                }
            }
        }
        Ok(n)
    }
}
