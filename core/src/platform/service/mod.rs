//! [`Platform`]: the operations of the manual, each checked against the permission matrix and
//! the object rules, each audited.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::audit::{AuditEntry, AuditFilter, Outcome};
use super::model::*;
use super::perm::{self, Action, Role};
use super::store::{AuditRow, Kind, Store, StoreError, UniqueKey};
use super::validate;
use super::{Clock, KeyVault, PlatformError, SmsSender};
use crate::crypto::sm2;
use crate::crypto::sm3::sm3;
use crate::platform::audit as chain;

mod apps;
mod audit;
mod credentials;
mod files;
mod queue;
mod roles;
mod seals;
mod signing;
mod staff;
mod units;

pub use apps::AppInput;
pub use credentials::SmsLogin;
pub use files::FileInput;
pub use queue::QueueFilter;
pub use seals::{SealApplication, SealQuery};
pub use signing::{AppCall, AppSignOutcome, SealUse, SignCredential};
pub use staff::StaffQuery;

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
pub const QUEUE_PAGE_SIZE: usize = 50;
pub const MAX_FILE_SIZE: u64 = 30 * 1024 * 1024;
pub const DEFAULT_SEAL_VALIDITY_DAYS: i64 = 5 * 365;

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// The platform: rules over a store.
pub struct Platform {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sms: Arc<dyn SmsSender>,
    vault: Arc<dyn KeyVault>,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| PlatformError::Vault(format!("CSPRNG: {e}")))?;
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
        .map_err(|e| PlatformError::Vault(format!("argon2: {e}")))
}

fn argon2_verify(pw: &str, phc: &str) -> bool {
    PasswordVerifier::<str>::verify_password(&argon2::Argon2::default(), pw.as_bytes(), phc).is_ok()
}

/// Unique keys owned by each document family.
fn uniques_staff(s: &Staff) -> Vec<UniqueKey> {
    if s.removed {
        vec![]
    } else {
        vec![
            UniqueKey::new("staff.phone", s.phone.clone()),
            UniqueKey::new("staff.id_number", s.id_number.clone()),
        ]
    }
}

fn uniques_app(a: &App) -> Vec<UniqueKey> {
    if a.status == AppStatus::Deleted {
        vec![UniqueKey::new("app.token", a.access_token.clone())]
    } else {
        vec![
            UniqueKey::new("app.name", a.name.clone()),
            UniqueKey::new("app.token", a.access_token.clone()),
        ]
    }
}

fn key_of_unit_key(serial: &str, device: &str) -> String {
    format!("{serial}|{device}")
}

impl Platform {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        sms: Arc<dyn SmsSender>,
        vault: Arc<dyn KeyVault>,
    ) -> Self {
        Platform {
            store,
            clock,
            sms,
            vault,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    // ---------------------------------------------------------------- store helpers

    fn try_get<T: DeserializeOwned>(&self, kind: Kind, id: &str) -> Result<Option<(T, u64)>> {
        match self.store.get(kind, id)? {
            None => Ok(None),
            Some(r) => {
                let v = serde_json::from_str(&r.body).map_err(|e| {
                    PlatformError::Store(StoreError::Backend(format!("{kind:?} {id}: {e}")))
                })?;
                Ok(Some((v, r.version)))
            }
        }
    }

    fn get<T: DeserializeOwned>(&self, kind: Kind, id: &str) -> Result<(T, u64)> {
        self.try_get(kind, id)?
            .ok_or_else(|| PlatformError::NotFound(format!("{} {id}", kind.as_str())))
    }

    fn all<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<(T, u64)>> {
        self.store
            .list(kind)?
            .into_iter()
            .map(|r| {
                serde_json::from_str(&r.body)
                    .map(|v| (v, r.version))
                    .map_err(|e| {
                        PlatformError::Store(StoreError::Backend(format!("{kind:?} {}: {e}", r.id)))
                    })
            })
            .collect()
    }

    fn insert<T: Serialize>(
        &self,
        kind: Kind,
        id: &str,
        v: &T,
        uniques: &[UniqueKey],
    ) -> Result<()> {
        let body = serde_json::to_string(v)
            .map_err(|e| PlatformError::Store(StoreError::Backend(e.to_string())))?;
        Ok(self.store.insert(kind, id, &body, uniques)?)
    }

    fn put<T: Serialize>(
        &self,
        kind: Kind,
        id: &str,
        version: u64,
        v: &T,
        uniques: &[UniqueKey],
    ) -> Result<u64> {
        let body = serde_json::to_string(v)
            .map_err(|e| PlatformError::Store(StoreError::Backend(e.to_string())))?;
        Ok(self.store.update(kind, id, version, &body, uniques)?)
    }

    /// Read-modify-write with retries on conflicts (for changes that cannot lose, e.g. removing
    /// a departed staff member from seal user lists).
    fn modify<T: Serialize + DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
        uniques: impl Fn(&T) -> Vec<UniqueKey>,
        mut f: impl FnMut(&mut T) -> Result<bool>,
    ) -> Result<()> {
        for _ in 0..50 {
            let (mut v, ver): (T, u64) = self.get(kind, id)?;
            if !f(&mut v)? {
                return Ok(());
            }
            match self.put(kind, id, ver, &v, &uniques(&v)) {
                Err(PlatformError::ConcurrentChange(_)) => continue,
                r => return r.map(|_| ()),
            }
        }
        Err(PlatformError::ConcurrentChange(format!(
            "{} {id}: too many retries",
            kind.as_str()
        )))
    }

    // ---------------------------------------------------------------- audit

    #[allow(clippy::too_many_arguments)] // one audit entry has this many fields
    fn append_audit(
        &self,
        unit: &str,
        actor: &str,
        actor_name: &str,
        action: &str,
        object: &str,
        outcome: Outcome,
        ip: &str,
    ) -> Result<()> {
        for _ in 0..1000 {
            let last = self.store.audit_last()?;
            let (seq, prev) = match &last {
                Some(r) => (r.seq + 1, r.hash.clone()),
                None => (1, chain::GENESIS.to_owned()),
            };
            let entry = AuditEntry {
                seq,
                prev: prev.clone(),
                time: self.clock.now(),
                unit: unit.to_owned(),
                actor: actor.to_owned(),
                actor_name: actor_name.to_owned(),
                action: action.to_owned(),
                object: object.to_owned(),
                outcome: outcome.clone(),
                ip: ip.to_owned(),
            };
            let body = serde_json::to_string(&entry)
                .map_err(|e| PlatformError::Store(StoreError::Backend(e.to_string())))?;
            let row = AuditRow {
                seq,
                hash: chain::entry_hash(&prev, &body),
                body,
            };
            match self.store.audit_append(&row) {
                Err(StoreError::AuditSeqTaken(_)) => continue,
                r => return Ok(r?),
            }
        }
        Err(PlatformError::ConcurrentChange(
            "audit log: too many concurrent writers".into(),
        ))
    }

    fn action_name(a: Action) -> String {
        format!("{a:?}")
    }

    /// Resolves the session to an actor; refuses identities that may no longer act.
    pub fn ctx(&self, sess: &Session) -> Result<Ctx> {
        match &sess.identity {
            Identity::UnitKey { unit, key } => {
                let (k, _): (UnitKey, u64) = self.get(Kind::UnitKey, key)?;
                let (u, _): (Unit, u64) = self.get(Kind::Unit, unit)?;
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
                let (s, _): (Staff, u64) = self.get(Kind::Staff, staff)?;
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

    /// Authorises, runs and audits one operation.
    fn run<T>(
        &self,
        sess: &Session,
        action: Action,
        object: &str,
        f: impl FnOnce(&Ctx) -> Result<T>,
    ) -> Result<T> {
        let name = Self::action_name(action);
        let ctx = match self.ctx(sess) {
            Ok(c) => c,
            Err(e) => {
                let who = match &sess.identity {
                    Identity::UnitKey { key, .. } => key.clone(),
                    Identity::Staff { staff, .. } => staff.clone(),
                    Identity::Operator { name } => format!("ops:{name}"),
                };
                self.append_audit(
                    "",
                    &who,
                    "",
                    &name,
                    object,
                    Outcome::Denied(e.to_string()),
                    &sess.ip,
                )?;
                return Err(e);
            }
        };
        if !perm::allowed_any(&ctx.roles, action) {
            let e = forbidden(format!("{action:?} needs one of the roles allowed for it"));
            self.append_audit(
                &ctx.unit,
                &ctx.id,
                &ctx.name,
                &name,
                object,
                Outcome::Denied(e.to_string()),
                &sess.ip,
            )?;
            return Err(e);
        }
        let r = f(&ctx);
        let outcome = match &r {
            Ok(_) => Outcome::Ok,
            Err(e @ PlatformError::Forbidden(_)) => Outcome::Denied(e.to_string()),
            Err(e) => Outcome::Failed(e.to_string()),
        };
        self.append_audit(
            &ctx.unit, &ctx.id, &ctx.name, &name, object, outcome, &sess.ip,
        )?;
        r
    }

    fn audit_anon(
        &self,
        unit: &str,
        actor: &str,
        action: &str,
        object: &str,
        r: &std::result::Result<(), String>,
        ip: &str,
    ) -> Result<()> {
        let outcome = match r {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Denied(e.clone()),
        };
        self.append_audit(unit, actor, "", action, object, outcome, ip)
    }

    fn audited_login<T>(
        &self,
        action: &str,
        object: &str,
        ip: &str,
        r: Result<(T, String, String)>,
    ) -> Result<T> {
        match r {
            Ok((v, unit, actor)) => {
                self.audit_anon(&unit, &actor, action, object, &Ok(()), ip)?;
                Ok(v)
            }
            Err(e) => {
                self.audit_anon("", "anonymous", action, object, &Err(e.to_string()), ip)?;
                Err(e)
            }
        }
    }

    // ---------------------------------------------------------------- switches

    pub fn switches(&self) -> Result<Switches> {
        Ok(self
            .try_get::<Switches>(Kind::Settings, "switches")?
            .map(|(s, _)| s)
            .unwrap_or_default())
    }

    pub fn set_switches(&self, sess: &Session, sw: Switches) -> Result<()> {
        self.run(sess, Action::SetSwitches, "switches", |_| {
            match self.store.get(Kind::Settings, "switches")? {
                None => match self.insert(Kind::Settings, "switches", &sw, &[]) {
                    Err(PlatformError::Duplicate(_)) => {
                        Err(PlatformError::ConcurrentChange("switches".into()))
                    }
                    r => r,
                },
                Some(r) => self
                    .put(Kind::Settings, "switches", r.version, &sw, &[])
                    .map(|_| ()),
            }
        })
    }
}
