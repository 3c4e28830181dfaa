//! [`Platform`]: the operations of the manual, each checked against the permission matrix and
//! the object rules, each audited.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::audit::{self, AuditEntry, AuditFilter, Outcome};
use super::model::*;
use super::perm::{self, Action, Role};
use super::store::{AuditRow, Kind, Store, StoreError, UniqueKey};
use super::validate;
use super::{Clock, KeyVault, PlatformError, SmsSender};
use crate::crypto::sm2;
use crate::crypto::sm3::sm3;

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

/// Application for a seal (2.2.1).
#[derive(Clone, Debug)]
pub struct SealApplication {
    pub kind: SealKind,
    pub name: String,
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
    pub picture: Vec<u8>,
    /// jpg, jpeg, png or gif.
    pub picture_format: String,
    /// 0 = default 42 mm.
    pub width_mm: u32,
    pub height_mm: u32,
}

#[derive(Clone, Debug, Default)]
pub struct SealQuery {
    pub status: Option<SealStatus>,
    pub kind: Option<SealKind>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct StaffQuery {
    pub initial: Option<char>,
    pub resigned: Option<bool>,
    /// Name or phone fragment.
    pub text: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AppInput {
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub public_key_b64: Option<String>,
    pub ip_whitelist: Vec<String>,
}

/// How a signer proves intent (2.5.1, 2.5.2).
#[derive(Clone, Debug)]
pub enum SignCredential {
    SigningPassword(String),
    SmsCode(String),
    /// The session itself is a UKey session (the UKey PIN was checked by the UKey).
    Ukey,
}

/// The result of using a seal: the seal as committed and, for cloud seals, the signature made
/// by the key vault (UKey seals are signed on the UKey).
#[derive(Clone, Debug)]
pub struct SealUse {
    pub seal: Seal,
    pub signature: Option<sm2::Signature>,
}

/// One open API signing call (2.2.4).
#[derive(Clone, Debug)]
pub struct AppCall {
    pub file_name: String,
    pub file_type: FileFormat,
    pub pages: u32,
    /// 流水号 (system check with token check).
    pub serial: Option<String>,
    pub token: Option<String>,
    /// e = SM3(Z‖M) to sign.
    pub digest: [u8; 32],
}

#[derive(Clone, Debug)]
pub enum AppSignOutcome {
    Signed(sm2::Signature),
    /// Waiting for manual confirmation in the queue (item id).
    Queued(String),
}

#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub status: Option<QueueStatus>,
    pub file_type: Option<FileFormat>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

#[derive(Clone, Debug)]
pub struct FileInput {
    pub name: String,
    pub pages: u32,
    pub seals: Vec<String>,
    pub format: FileFormat,
    pub size: u64,
    pub thumbnail: Option<String>,
}

/// Result of an SMS-code login.
#[derive(Clone, Debug)]
pub struct SmsLogin {
    pub session: Session,
    /// 1.3.1: a user without password is asked to set one.
    pub must_set_password: bool,
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
                None => (1, audit::GENESIS.to_owned()),
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
                hash: audit::entry_hash(&prev, &body),
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

    // ---------------------------------------------------------------- units and unit UKeys

    fn admit(u: &Unit, k: &UnitKey) -> Result<()> {
        match &u.main_key {
            None => Ok(()),
            Some(main) if main == &k.id => Ok(()),
            Some(_) if u.whitelist.contains(&k.device_id) => Ok(()),
            Some(_) => Err(PlatformError::LoginRefused(
                "the unit has a main UKey; this UKey is not on the whitelist".into(),
            )),
        }
    }

    /// Unit UKey login (1.2.1): the certificate names the unit (name, credit code); the first
    /// UKey of a new unit creates it and becomes its super administrator.
    pub fn login_unit_key(
        &self,
        unit_name: &str,
        credit_code: &str,
        cert_serial: &str,
        cert_subject: &str,
        device_id: &str,
        ip: &str,
    ) -> Result<Session> {
        let r =
            self.login_unit_key_inner(unit_name, credit_code, cert_serial, cert_subject, device_id);
        self.audited_login(
            "LoginUnitKey",
            &format!("{credit_code}/{device_id}"),
            ip,
            r.map(|(u, k)| {
                (
                    Session {
                        identity: Identity::UnitKey {
                            unit: u.clone(),
                            key: k.clone(),
                        },
                        ip: ip.to_owned(),
                    },
                    u,
                    k,
                )
            }),
        )
    }

    fn login_unit_key_inner(
        &self,
        unit_name: &str,
        code: &str,
        serial: &str,
        subject: &str,
        device: &str,
    ) -> Result<(String, String)> {
        let unit_name = validate::check_text("unit name", unit_name, 100)?;
        if code.len() != 18 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PlatformError::InvalidInput(
                "unified social credit code must be 18 letters or digits".into(),
            ));
        }
        let serial = validate::check_text("certificate serial", serial, 128)?;
        let device = validate::check_text("device id", device, 128)?;
        let now = self.clock.now();
        for _ in 0..10 {
            // The unit.
            let unit_id = match self.store.find_unique("unit.code", code)? {
                Some((_, id)) => id,
                None => {
                    let id = new_id()?;
                    let u = Unit {
                        id: id.clone(),
                        name: unit_name.clone(),
                        credit_code: code.to_owned(),
                        main_key: None,
                        whitelist: vec![],
                        cert_application: None,
                        avatar: None,
                        created: now,
                    };
                    match self.insert(Kind::Unit, &id, &u, &[UniqueKey::new("unit.code", code)]) {
                        Ok(()) => id,
                        Err(PlatformError::Duplicate(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            let (unit, _): (Unit, u64) = self.get(Kind::Unit, &unit_id)?;
            // The key.
            let kk = key_of_unit_key(&serial, &device);
            let key = match self.store.find_unique("unit_key", &kk)? {
                Some((_, id)) => self.get::<UnitKey>(Kind::UnitKey, &id)?.0,
                None => {
                    // The super administrator is the unit's first key: claim "unit.first" atomically.
                    let first = self
                        .store
                        .find_unique("unit.first_key", &unit_id)?
                        .is_none();
                    let k = UnitKey {
                        id: new_id()?,
                        unit: unit_id.clone(),
                        cert_serial: serial.clone(),
                        cert_subject: subject.to_owned(),
                        device_id: device.clone(),
                        super_admin: first,
                        created: now,
                    };
                    Self::admit(&unit, &k)?;
                    let mut keys = vec![UniqueKey::new("unit_key", kk.clone())];
                    if first {
                        keys.push(UniqueKey::new("unit.first_key", unit_id.clone()));
                    }
                    match self.insert(Kind::UnitKey, &k.id, &k, &keys) {
                        Ok(()) => k,
                        Err(PlatformError::Duplicate(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            if key.unit != unit_id {
                return Err(PlatformError::LoginRefused(
                    "this UKey belongs to another unit".into(),
                ));
            }
            Self::admit(&unit, &key)?;
            return Ok((unit_id, key.id));
        }
        Err(PlatformError::ConcurrentChange(
            "unit login: too many retries".into(),
        ))
    }

    pub fn unit(&self, sess: &Session) -> Result<Unit> {
        let ctx = self.ctx(sess)?;
        Ok(self.get::<Unit>(Kind::Unit, &ctx.unit)?.0)
    }

    pub fn unit_keys(&self, sess: &Session) -> Result<Vec<UnitKey>> {
        let ctx = self.ctx(sess)?;
        Ok(self
            .all::<UnitKey>(Kind::UnitKey)?
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.unit == ctx.unit)
            .collect())
    }

    fn unit_uniques(u: &Unit) -> Vec<UniqueKey> {
        vec![UniqueKey::new("unit.code", u.credit_code.clone())]
    }

    /// Sets the main UKey (1.2.1.1); it joins the whitelist.
    pub fn set_main_key(&self, sess: &Session, key_id: &str) -> Result<()> {
        self.run(sess, Action::SetMainKey, key_id, |ctx| {
            let (k, _): (UnitKey, u64) = self.get(Kind::UnitKey, key_id)?;
            if k.unit != ctx.unit {
                return Err(PlatformError::NotFound(format!("unit key {key_id}")));
            }
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                u.main_key = Some(k.id.clone());
                if !u.whitelist.contains(&k.device_id) {
                    u.whitelist.push(k.device_id.clone());
                }
                Ok(true)
            })
        })
    }

    /// Adds a device id (通用实体唯一标识) to the whitelist (2.4.7).
    pub fn whitelist_add(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx| {
            let d = validate::check_text("device id", device_id, 128)?;
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                if u.whitelist.contains(&d) {
                    return Ok(false);
                }
                u.whitelist.push(d.clone());
                Ok(true)
            })
        })
    }

    /// Removes a device id from the whitelist; the main key's device stays.
    pub fn whitelist_remove(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx| {
            let main_dev = match self.get::<Unit>(Kind::Unit, &ctx.unit)?.0.main_key {
                Some(m) => Some(self.get::<UnitKey>(Kind::UnitKey, &m)?.0.device_id),
                None => None,
            };
            if main_dev.as_deref() == Some(device_id) {
                return Err(state("the main UKey cannot leave the whitelist"));
            }
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                let n = u.whitelist.len();
                u.whitelist.retain(|d| d != device_id);
                Ok(u.whitelist.len() != n)
            })
        })
    }

    /// Server certificate application (1.2.1.2).
    pub fn apply_unit_cert(
        &self,
        sess: &Session,
        handler_name: &str,
        id_number: &str,
        phone: &str,
        email: &str,
        agreement_accepted: bool,
    ) -> Result<()> {
        self.run(sess, Action::ApplyUnitCert, "unit certificate", |ctx| {
            let name = validate::check_text("handler name", handler_name, 50)?;
            let idn = validate::check_id_number(id_number)?;
            validate::check_phone(phone)?;
            validate::check_email(email)?;
            if !agreement_accepted {
                return Err(PlatformError::InvalidInput(
                    "the subscriber agreement must be accepted".into(),
                ));
            }
            let app = CertApplication {
                handler_name: name,
                handler_id_number: idn,
                handler_phone: phone.to_owned(),
                handler_email: email.to_owned(),
                agreement_accepted,
                applied: self.clock.now(),
            };
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                u.cert_application = Some(app.clone());
                Ok(true)
            })
        })
    }

    /// The unit's certificate application (2.1.1.2).
    pub fn unit_cert_application(&self, sess: &Session) -> Result<Option<CertApplication>> {
        self.run(sess, Action::ViewUnitCert, "unit certificate", |ctx| {
            Ok(self.get::<Unit>(Kind::Unit, &ctx.unit)?.0.cert_application)
        })
    }

    /// 设置头像 (2.1.1.1, 2.1.2.1): a reference to the stored, cropped picture.
    pub fn set_avatar(&self, sess: &Session, picture_ref: &str) -> Result<()> {
        self.run(sess, Action::SetOwnAvatar, picture_ref, |ctx| {
            let r = validate::check_text("avatar", picture_ref, 500)?;
            match ctx.identity {
                Identity::UnitKey { .. } => {
                    self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                        u.avatar = Some(r.clone());
                        Ok(true)
                    })
                }
                _ => self.modify(Kind::Staff, &ctx.id, uniques_staff, |s: &mut Staff| {
                    s.avatar = Some(r.clone());
                    Ok(true)
                }),
            }
        })
    }

    // ---------------------------------------------------------------- staff

    /// Adds a staff member (2.3.1).
    pub fn add_staff(
        &self,
        sess: &Session,
        name: &str,
        phone: &str,
        id_number: &str,
    ) -> Result<Staff> {
        self.run(sess, Action::AddStaff, phone, |ctx| {
            let name = validate::check_text("name", name, 50)?;
            validate::check_phone(phone)?;
            let idn = validate::check_id_number(id_number)?;
            let s = Staff {
                id: new_id()?,
                unit: ctx.unit.clone(),
                initial: validate::name_initial(&name),
                name,
                phone: phone.to_owned(),
                id_number: idn,
                resigned: false,
                removed: false,
                roles: vec![],
                avatar: None,
                created: self.clock.now(),
            };
            self.insert(Kind::Staff, &s.id, &s, &uniques_staff(&s))?;
            Ok(s)
        })
    }

    fn unit_staff(&self, ctx: &Ctx, id: &str) -> Result<(Staff, u64)> {
        match self.try_get::<Staff>(Kind::Staff, id)? {
            Some((s, v)) if s.unit == ctx.unit && !s.removed => Ok((s, v)),
            _ => Err(PlatformError::NotFound(format!("staff {id}"))),
        }
    }

    /// Edits name, phone, ID number and resigned status (2.3.2). Unit UKeys are not staff.
    pub fn edit_staff(
        &self,
        sess: &Session,
        id: &str,
        name: &str,
        phone: &str,
        id_number: &str,
        resigned: bool,
    ) -> Result<Staff> {
        self.run(sess, Action::EditStaff, id, |ctx| {
            if self.store.get(Kind::UnitKey, id)?.is_some() {
                return Err(forbidden("unit UKey identities cannot be edited"));
            }
            let (mut s, v) = self.unit_staff(ctx, id)?;
            s.name = validate::check_text("name", name, 50)?;
            s.initial = validate::name_initial(&s.name);
            validate::check_phone(phone)?;
            s.phone = phone.to_owned();
            s.id_number = validate::check_id_number(id_number)?;
            if resigned && !s.resigned {
                s.roles.clear();
            }
            s.resigned = resigned;
            self.put(Kind::Staff, id, v, &s, &uniques_staff(&s))?;
            Ok(s)
        })
    }

    /// Removes a staff member (2.3.3): no login, no roles, no seal-user or confirmer rights.
    pub fn remove_staff(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::RemoveStaff, id, |ctx| {
            let (mut s, v) = self.unit_staff(ctx, id)?;
            s.removed = true;
            s.roles.clear();
            self.put(Kind::Staff, id, v, &s, &uniques_staff(&s))?;
            for (seal, _) in self.all::<Seal>(Kind::Seal)? {
                if seal.unit == ctx.unit
                    && (seal.users.iter().any(|u| u == id) || seal.managers.iter().any(|u| u == id))
                {
                    self.modify(
                        Kind::Seal,
                        &seal.id,
                        |_| vec![],
                        |x: &mut Seal| {
                            x.users.retain(|u| u != id);
                            x.managers.retain(|u| u != id);
                            Ok(true)
                        },
                    )?;
                }
            }
            for (g, _) in self.all::<Grant>(Kind::Grant)? {
                if let ConfirmPolicy::Manual { confirmers, .. } = &g.policy
                    && g.unit == ctx.unit
                    && confirmers.iter().any(|c| c == id)
                {
                    self.modify(
                        Kind::Grant,
                        &g.id,
                        |_| vec![],
                        |x: &mut Grant| {
                            if let ConfirmPolicy::Manual { confirmers, .. } = &mut x.policy {
                                confirmers.retain(|c| c != id);
                            }
                            Ok(true)
                        },
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Lists and searches the unit's staff (2.3.4, 2.3.5), removed staff excluded.
    pub fn search_staff(&self, sess: &Session, q: &StaffQuery) -> Result<Vec<Staff>> {
        self.run(sess, Action::SearchStaff, "staff", |ctx| {
            let mut v: Vec<Staff> = self
                .all::<Staff>(Kind::Staff)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| s.unit == ctx.unit && !s.removed)
                .filter(|s| {
                    q.initial
                        .is_none_or(|c| s.initial == c.to_ascii_uppercase())
                })
                .filter(|s| q.resigned.is_none_or(|r| s.resigned == r))
                .filter(|s| {
                    q.text
                        .as_deref()
                        .is_none_or(|t| s.name.contains(t) || s.phone.contains(t))
                })
                .collect();
            v.sort_by(|a, b| (a.initial, &a.name).cmp(&(b.initial, &b.name)));
            Ok(v)
        })
    }

    pub fn staff(&self, sess: &Session, id: &str) -> Result<Staff> {
        self.run(sess, Action::ViewStaff, id, |ctx| {
            Ok(self.unit_staff(ctx, id)?.0)
        })
    }

    // ---------------------------------------------------------------- roles

    /// Gives a role to an active staff member of the unit (2.4).
    pub fn grant_role(&self, sess: &Session, staff: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, staff, |ctx| {
            if !Role::ASSIGNABLE.contains(&role) {
                return Err(forbidden(format!("{role:?} cannot be given to staff")));
            }
            let (mut s, v) = self.unit_staff(ctx, staff)?;
            if !s.active() {
                return Err(state("only serving staff can be given roles"));
            }
            if !s.roles.contains(&role) {
                s.roles.push(role);
                s.roles.sort();
            }
            self.put(Kind::Staff, staff, v, &s, &uniques_staff(&s))?;
            Ok(())
        })
    }

    /// Takes a role away; the unit UKey super administrator cannot be removed from any role.
    pub fn revoke_role(&self, sess: &Session, member: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, member, |ctx| {
            if let Some((k, _)) = self.try_get::<UnitKey>(Kind::UnitKey, member)?
                && k.unit == ctx.unit
            {
                return Err(forbidden("the unit UKey cannot be removed from a role"));
            }
            let (mut s, v) = self.unit_staff(ctx, member)?;
            s.roles.retain(|r| *r != role);
            self.put(Kind::Staff, member, v, &s, &uniques_staff(&s))?;
            Ok(())
        })
    }

    /// Members of a role: the unit's UKeys (always) and the staff holding it.
    pub fn role_members(&self, sess: &Session, role: Role) -> Result<Vec<String>> {
        self.run(sess, Action::ManageRoles, &format!("{role:?}"), |ctx| {
            let mut v: Vec<String> = self
                .all::<UnitKey>(Kind::UnitKey)?
                .into_iter()
                .filter(|(k, _)| k.unit == ctx.unit && (k.super_admin || role == Role::SystemAdmin))
                .map(|(k, _)| k.id)
                .collect();
            v.extend(
                self.all::<Staff>(Kind::Staff)?
                    .into_iter()
                    .filter(|(s, _)| s.unit == ctx.unit && s.active() && s.roles.contains(&role))
                    .map(|(s, _)| s.id),
            );
            Ok(v)
        })
    }

    // ---------------------------------------------------------------- seals

    fn require_cert(&self, unit: &str) -> Result<()> {
        if self
            .get::<Unit>(Kind::Unit, unit)?
            .0
            .cert_application
            .is_none()
        {
            return Err(state(
                "the unit must apply for its server certificate first (1.2.1.2)",
            ));
        }
        Ok(())
    }

    /// Applies for a seal (2.2.1).
    pub fn apply_seal(&self, sess: &Session, a: SealApplication) -> Result<Seal> {
        let action = match a.kind {
            SealKind::Ukey => Action::ApplyUkeySeal,
            SealKind::Cloud => Action::ApplyCloudSeal,
            SealKind::PersonalUkey => {
                return Err(PlatformError::InvalidInput(
                    "use apply_personal_ukey_signature".into(),
                ));
            }
        };
        let object = a.name.clone();
        self.run(sess, action, &object, |ctx| {
            if a.kind == SealKind::Ukey && !ctx.is_unit_key() {
                return Err(forbidden(
                    "UKey seals are applied for with a unit UKey only",
                ));
            }
            self.require_cert(&ctx.unit)?;
            self.new_seal(ctx, a, None)
        })
    }

    fn new_seal(&self, ctx: &Ctx, a: SealApplication, owner: Option<String>) -> Result<Seal> {
        let name = validate::check_text("seal name", &a.name, 50)?;
        let handler_name = validate::check_text("handler name", &a.handler_name, 50)?;
        validate::check_phone(&a.handler_phone)?;
        let handler_id_number = validate::check_id_number(&a.handler_id_number)?;
        let fmt = a.picture_format.to_ascii_lowercase();
        if !["jpg", "jpeg", "png", "gif"].contains(&fmt.as_str()) {
            return Err(PlatformError::InvalidInput(
                "seal picture must be jpg, jpeg, png or gif".into(),
            ));
        }
        if a.picture.is_empty() {
            return Err(PlatformError::InvalidInput("seal picture is empty".into()));
        }
        let (w, h) = match (a.width_mm, a.height_mm) {
            (0, 0) => (42, 42),
            (w, h) if (5..=200).contains(&w) && (5..=200).contains(&h) => (w, h),
            _ => {
                return Err(PlatformError::InvalidInput(
                    "seal size must be 5 to 200 mm".into(),
                ));
            }
        };
        let now = self.clock.now();
        let pending = self.switches()?.ca_review;
        let mut s = Seal {
            id: new_id()?,
            unit: ctx.unit.clone(),
            kind: a.kind,
            name,
            seal_type: a.seal_type,
            handler_name,
            handler_phone: a.handler_phone.clone(),
            handler_id_number,
            picture_b64: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &a.picture,
            ),
            picture_format: fmt,
            width_mm: w,
            height_mm: h,
            status: if pending {
                SealStatus::PendingReview
            } else {
                SealStatus::AwaitingReceipt
            },
            reject_reason: None,
            valid_from: if pending { None } else { Some(now) },
            valid_to: if pending {
                None
            } else {
                Some(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400)
            },
            applicant: ctx.id.clone(),
            managers: if ctx.is_unit_key() {
                vec![]
            } else {
                vec![ctx.id.clone()]
            },
            users: if a.kind == SealKind::Cloud {
                vec![ctx.id.clone()]
            } else {
                vec![]
            },
            owner,
            written_to_ukey: false,
            public_key: None,
            sign_count: 0,
            log: vec![],
            created: now,
        };
        s.log.push(SealLogEntry {
            operator: ctx.name.clone(),
            action: "申请".into(),
            time: now,
        });
        self.insert(Kind::Seal, &s.id, &s, &[])?;
        Ok(s)
    }

    /// May this actor run the life cycle of this seal (object rule on top of the matrix)?
    fn may_manage(ctx: &Ctx, s: &Seal) -> bool {
        if s.unit != ctx.unit {
            return false;
        }
        if s.kind == SealKind::PersonalUkey {
            return s.owner.as_deref() == Some(ctx.id.as_str());
        }
        ctx.is_unit_key()
            || (s.kind == SealKind::Cloud && ctx.has(Role::SealAdmin))
            || s.managers.iter().any(|m| m == &ctx.id)
    }

    fn may_see(ctx: &Ctx, s: &Seal) -> bool {
        if s.unit != ctx.unit {
            return false;
        }
        (s.kind != SealKind::PersonalUkey && perm::allowed_any(&ctx.roles, Action::ViewAllSeals))
            || (s.kind == SealKind::Cloud && perm::allowed_any(&ctx.roles, Action::ViewCloudSeals))
            || s.users.iter().any(|u| u == &ctx.id)
            || s.managers.iter().any(|u| u == &ctx.id)
            || s.owner.as_deref() == Some(ctx.id.as_str())
    }

    fn managed_seal(&self, ctx: &Ctx, id: &str) -> Result<(Seal, u64)> {
        let (s, v): (Seal, u64) = match self.try_get(Kind::Seal, id)? {
            Some(x) => x,
            None => return Err(PlatformError::NotFound(format!("seal {id}"))),
        };
        if !Self::may_see(ctx, &s) && !Self::may_manage(ctx, &s) {
            return Err(PlatformError::NotFound(format!("seal {id}")));
        }
        if !Self::may_manage(ctx, &s) {
            return Err(forbidden("not a manager of this seal"));
        }
        Ok((s, v))
    }

    fn log(s: &mut Seal, ctx: &Ctx, action: &str, now: i64) {
        s.log.push(SealLogEntry {
            operator: ctx.name.clone(),
            action: action.to_owned(),
            time: now,
        });
    }

    /// CA review of a seal or personal signature (back office, 2.2.1): approve → 待回执 with
    /// its validity, or reject → 已否决 with a reason.
    pub fn ca_review(
        &self,
        sess: &Session,
        seal: &str,
        approve: bool,
        reason: &str,
    ) -> Result<Seal> {
        self.run(sess, Action::CaReview, seal, |ctx| {
            let (mut s, v): (Seal, u64) = self.get(Kind::Seal, seal)?;
            if s.status != SealStatus::PendingReview {
                return Err(state(format!(
                    "seal is {:?}, not waiting for review",
                    s.status
                )));
            }
            let now = self.clock.now();
            if approve {
                s.status = SealStatus::AwaitingReceipt;
                s.valid_from = Some(now);
                s.valid_to = Some(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400);
                Self::log(&mut s, ctx, "审核通过", now);
            } else {
                s.status = SealStatus::Rejected;
                s.reject_reason = Some(validate::check_text("reason", reason, 200)?);
                Self::log(&mut s, ctx, "否决", now);
            }
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// 回执 (2.2.2): 待回执 → 有效; a cloud seal gets its key in the vault.
    pub fn receipt_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::ReceiptSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.status != SealStatus::AwaitingReceipt {
                return Err(state(format!(
                    "seal is {:?}, not waiting for receipt",
                    s.status
                )));
            }
            let now = self.clock.now();
            if s.valid_to.is_some_and(|t| now > t) {
                return Err(state("seal validity has ended"));
            }
            let mut key_id = None;
            if s.kind == SealKind::Cloud {
                let kid = format!("{}:{}", s.id, new_id()?);
                let pk = self.vault.create(&kid).map_err(PlatformError::Vault)?;
                s.public_key = Some(format!("{kid}|{}", hex::encode(pk.to_sec1_uncompressed())));
                key_id = Some(kid);
            }
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "回执", now);
            match self.put(Kind::Seal, seal, v, &s, &[]) {
                Ok(_) => Ok(s),
                Err(e) => {
                    if let Some(k) = key_id {
                        let _ = self.vault.destroy(&k);
                    }
                    Err(e)
                }
            }
        })
    }

    fn vault_key(s: &Seal) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(k, _)| k)
    }

    /// Public key of a cloud seal (SEC1 uncompressed hex).
    pub fn seal_public_key(s: &Seal) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(_, pk)| pk)
    }

    /// Records that a valid UKey seal (or personal UKey signature) was written to the UKey.
    pub fn write_seal_to_ukey(&self, sess: &Session, seal: &str) -> Result<Seal> {
        let action = Action::WriteSealToUkey;
        let personal = matches!(self.try_get::<Seal>(Kind::Seal, seal)?, Some((ref s, _)) if s.kind == SealKind::PersonalUkey);
        let action = if personal {
            Action::ApplyPersonalUkeySignature
        } else {
            action
        };
        self.run(sess, action, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind == SealKind::Cloud {
                return Err(state("cloud seals are not written to a UKey"));
            }
            if matches!(
                ctx.identity,
                Identity::Staff {
                    via_ukey: false,
                    ..
                }
            ) {
                return Err(forbidden("writing to a UKey needs a UKey session"));
            }
            let now = self.clock.now();
            if s.effective_status(now) != SealStatus::Valid {
                return Err(state(format!("seal is {:?}", s.effective_status(now))));
            }
            s.written_to_ukey = true;
            Self::log(&mut s, ctx, "写入UKey", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// 二次确认 of a revocation: a one-time token for this identity and seal.
    pub fn request_revocation(&self, sess: &Session, seal: &str) -> Result<String> {
        self.run(sess, Action::RevokeSeal, seal, |ctx| {
            let (s, _) = self.managed_seal(ctx, seal)?;
            if !matches!(s.status, SealStatus::Valid | SealStatus::Frozen) {
                return Err(state(format!("seal is {:?}", s.status)));
            }
            let t = RevocationToken {
                id: hex::encode(random_bytes::<16>()?),
                seal: seal.to_owned(),
                actor: ctx.id.clone(),
                expires: self.clock.now() + REVOCATION_TOKEN_TTL,
                used: false,
            };
            self.insert(Kind::RevocationToken, &t.id, &t, &[])?;
            Ok(t.id)
        })
    }

    /// 注销 (2.2.2) with the confirmation token: 有效/冻结 → 已注销; a cloud key is destroyed.
    pub fn revoke_seal(&self, sess: &Session, seal: &str, token: &str) -> Result<Seal> {
        self.run(sess, Action::RevokeSeal, seal, |ctx| {
            let (mut t, tv): (RevocationToken, u64) =
                self.try_get(Kind::RevocationToken, token)?.ok_or_else(|| {
                    PlatformError::VerificationFailed("unknown revocation confirmation".into())
                })?;
            let now = self.clock.now();
            if t.used || t.seal != seal || t.actor != ctx.id || now > t.expires {
                return Err(PlatformError::VerificationFailed(
                    "revocation confirmation is not valid".into(),
                ));
            }
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if !matches!(s.status, SealStatus::Valid | SealStatus::Frozen) {
                return Err(state(format!("seal is {:?}", s.status)));
            }
            t.used = true;
            self.put(Kind::RevocationToken, token, tv, &t, &[])?;
            s.status = SealStatus::Revoked;
            Self::log(&mut s, ctx, "注销", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            if let Some(k) = Self::vault_key(&s) {
                self.vault.destroy(k).map_err(PlatformError::Vault)?;
            }
            Ok(s)
        })
    }

    pub fn freeze_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::FreezeSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            let now = self.clock.now();
            if s.effective_status(now) != SealStatus::Valid {
                return Err(state(format!(
                    "only a valid seal can be frozen (it is {:?})",
                    s.effective_status(now)
                )));
            }
            s.status = SealStatus::Frozen;
            Self::log(&mut s, ctx, "冻结", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    pub fn unfreeze_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::UnfreezeSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.status != SealStatus::Frozen {
                return Err(state(format!("seal is {:?}, not frozen", s.status)));
            }
            let now = self.clock.now();
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "解冻", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// The seal list with the visibility rules of 2.2 and the filters of 2.2.6.
    pub fn list_seals(&self, sess: &Session, q: &SealQuery) -> Result<Vec<Seal>> {
        self.run(sess, Action::ViewOwnSeals, "seals", |ctx| {
            let now = self.clock.now();
            Ok(self
                .all::<Seal>(Kind::Seal)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| Self::may_see(ctx, s))
                .filter(|s| q.status.is_none_or(|st| s.effective_status(now) == st))
                .filter(|s| q.kind.is_none_or(|k| s.kind == k))
                .filter(|s| q.name.as_deref().is_none_or(|n| s.name.contains(n)))
                .collect())
        })
    }

    pub fn seal(&self, sess: &Session, id: &str) -> Result<Seal> {
        self.run(sess, Action::ViewOwnSeals, id, |ctx| {
            match self.try_get::<Seal>(Kind::Seal, id)? {
                Some((s, _)) if Self::may_see(ctx, &s) => Ok(s),
                _ => Err(PlatformError::NotFound(format!("seal {id}"))),
            }
        })
    }

    /// The seal's operation log (2.2.5).
    pub fn seal_log(&self, sess: &Session, id: &str) -> Result<Vec<SealLogEntry>> {
        self.run(sess, Action::ViewSealLog, id, |ctx| {
            Ok(self.managed_seal(ctx, id)?.0.log)
        })
    }

    /// Adds a seal user (2.2.3): cloud seals only; an active staff member of the unit.
    pub fn add_seal_user(&self, sess: &Session, seal: &str, staff: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals have users"));
            }
            let (p, _) = self.unit_staff(ctx, staff)?;
            if !p.active() {
                return Err(state("only serving staff can be seal users"));
            }
            if !s.users.iter().any(|u| u == staff) {
                s.users.push(staff.to_owned());
                let now = self.clock.now();
                Self::log(&mut s, ctx, &format!("添加使用人-{}", p.name), now);
                self.put(Kind::Seal, seal, v, &s, &[])?;
            }
            Ok(())
        })
    }

    pub fn remove_seal_user(&self, sess: &Session, seal: &str, user: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals have users"));
            }
            let n = s.users.len();
            s.users.retain(|u| u != user);
            if s.users.len() == n {
                return Err(PlatformError::NotFound(format!("seal user {user}")));
            }
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("删除使用人-{user}"), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(())
        })
    }

    // ---------------------------------------------------------------- signing credentials

    fn check_sign_credential(&self, ctx: &Ctx, cred: &SignCredential) -> Result<()> {
        match (&ctx.identity, cred) {
            (Identity::UnitKey { .. }, SignCredential::Ukey) => Ok(()),
            (Identity::Staff { via_ukey: true, .. }, SignCredential::Ukey) => Ok(()),
            (_, SignCredential::Ukey) => Err(forbidden(
                "an account session signs with a signing password or SMS code",
            )),
            (
                Identity::Staff {
                    staff,
                    via_ukey: false,
                    ..
                },
                SignCredential::SigningPassword(pw),
            ) => {
                let c = self
                    .try_get::<Credential>(Kind::Credential, staff)?
                    .map(|x| x.0)
                    .unwrap_or_default();
                match c.signing_password_hash {
                    None => Err(state("no signing password set; sign with an SMS code")),
                    Some(h) if argon2_verify(pw, &h) => Ok(()),
                    Some(_) => Err(PlatformError::VerificationFailed(
                        "wrong signing password".into(),
                    )),
                }
            }
            (
                Identity::Staff {
                    staff,
                    via_ukey: false,
                    ..
                },
                SignCredential::SmsCode(code),
            ) => {
                let (s, _): (Staff, u64) = self.get(Kind::Staff, staff)?;
                self.verify_sms(&s.phone, SmsPurpose::Sign, code)
            }
            _ => Err(forbidden("UKey sessions sign with the UKey")),
        }
    }

    /// Uses a seal for one signature (2.5): permission and object rules, the credential, the
    /// seal's state; then the use is committed by compare-and-set on the seal. For a cloud seal
    /// the key vault signs `e` (= SM3(Z‖M)); UKey seals are signed on the UKey by the caller.
    pub fn sign_with_seal(
        &self,
        sess: &Session,
        seal: &str,
        e: &[u8; 32],
        cred: &SignCredential,
    ) -> Result<SealUse> {
        self.run(sess, Action::SignWithSeal, seal, |ctx| {
            let (s, v): (Seal, u64) = match self.try_get::<Seal>(Kind::Seal, seal)? {
                Some(x) if x.0.unit == ctx.unit => x,
                _ => return Err(PlatformError::NotFound(format!("seal {seal}"))),
            };
            let may_use = match s.kind {
                SealKind::Cloud => s.users.iter().any(|u| u == &ctx.id),
                SealKind::Ukey => ctx.is_unit_key(),
                SealKind::PersonalUkey => {
                    s.owner.as_deref() == Some(ctx.id.as_str())
                        && matches!(ctx.identity, Identity::Staff { via_ukey: true, .. })
                }
            };
            if !may_use {
                return Err(forbidden("not a user of this seal"));
            }
            self.require_cert(&ctx.unit)?;
            self.check_sign_credential(ctx, cred)?;
            self.commit_seal_use(s, v, e, &ctx.name)
        })
    }

    fn commit_seal_use(&self, mut s: Seal, v: u64, e: &[u8; 32], _who: &str) -> Result<SealUse> {
        let now = self.clock.now();
        match s.effective_status(now) {
            SealStatus::Valid => {}
            SealStatus::Revoked => return Err(state("seal has been revoked")),
            SealStatus::Frozen => return Err(state("seal is frozen")),
            SealStatus::Expired => return Err(state("seal has expired")),
            other => return Err(state(format!("seal is not usable ({other:?})"))),
        }
        let signature = if s.kind == SealKind::Cloud {
            let k = Self::vault_key(&s).ok_or_else(|| state("cloud seal has no key"))?;
            Some(self.vault.sign_digest(k, e).map_err(PlatformError::Vault)?)
        } else {
            None
        };
        s.sign_count += 1;
        // The commit: fails if the seal changed (e.g. revoked or frozen) since it was read.
        self.put(Kind::Seal, &s.id.clone(), v, &s, &[])?;
        Ok(SealUse { seal: s, signature })
    }

    // ---------------------------------------------------------------- personal signatures

    pub fn set_personal_signature(
        &self,
        sess: &Session,
        text: &str,
        source: SignatureSource,
    ) -> Result<PersonalSignature> {
        self.run(sess, Action::SetOwnSignature, "personal signature", |ctx| {
            let text = validate::check_text("signature text", text, 20)?;
            if let SignatureSource::Uploaded {
                format,
                picture_b64,
            } = &source
                && (!["jpg", "jpeg", "png", "gif"].contains(&format.to_ascii_lowercase().as_str())
                    || picture_b64.is_empty())
            {
                return Err(PlatformError::InvalidInput(
                    "signature picture must be a jpg, jpeg, png or gif".into(),
                ));
            }
            let p = PersonalSignature {
                id: ctx.id.clone(),
                text,
                source: source.clone(),
                updated: self.clock.now(),
            };
            match self.store.get(Kind::PersonalSignature, &ctx.id)? {
                None => self.insert(Kind::PersonalSignature, &ctx.id, &p, &[])?,
                Some(r) => {
                    self.put(Kind::PersonalSignature, &ctx.id, r.version, &p, &[])?;
                }
            }
            Ok(p)
        })
    }

    pub fn personal_signature(&self, sess: &Session) -> Result<Option<PersonalSignature>> {
        let ctx = self.ctx(sess)?;
        Ok(self.try_get(Kind::PersonalSignature, &ctx.id)?.map(|x| x.0))
    }

    /// 申请公务人员国办签名 (2.1.2.5): switch on, personal UKey session, personal signature set.
    pub fn apply_personal_ukey_signature(
        &self,
        sess: &Session,
        a: SealApplication,
    ) -> Result<Seal> {
        let object = a.name.clone();
        self.run(sess, Action::ApplyPersonalUkeySignature, &object, |ctx| {
            if !self.switches()?.personal_ukey_signature {
                return Err(state(
                    "the platform does not allow personal UKey signatures",
                ));
            }
            if !matches!(ctx.identity, Identity::Staff { via_ukey: true, .. }) {
                return Err(forbidden("apply with a personal UKey session"));
            }
            if self.store.get(Kind::PersonalSignature, &ctx.id)?.is_none() {
                return Err(state("set a personal signature first"));
            }
            let mut a = a;
            a.kind = SealKind::PersonalUkey;
            self.new_seal(ctx, a, Some(ctx.id.clone()))
        })
    }

    /// Receipt of the owner's personal UKey signature (待回执 → 有效).
    pub fn receipt_personal_signature(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::ApplyPersonalUkeySignature, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::PersonalUkey {
                return Err(state("not a personal UKey signature"));
            }
            if s.status != SealStatus::AwaitingReceipt {
                return Err(state(format!(
                    "signature is {:?}, not waiting for receipt",
                    s.status
                )));
            }
            let now = self.clock.now();
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "回执", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    // ---------------------------------------------------------------- apps

    fn check_app_input(&self, i: &AppInput) -> Result<AppInput> {
        let mut o = i.clone();
        o.name = validate::check_text("app name", &i.name, 50)?;
        if let Some(p) = &i.phone {
            validate::check_phone(p)?;
        }
        if let Some(e) = &i.email {
            validate::check_email(e)?;
        }
        if let Some(k) = &i.public_key_b64 {
            super::openapi::parse_app_public_key(k)?;
        }
        for ip in &i.ip_whitelist {
            ip.trim()
                .parse::<std::net::IpAddr>()
                .map_err(|_| PlatformError::InvalidInput(format!("'{ip}' is not an IP address")))?;
        }
        o.ip_whitelist = i.ip_whitelist.iter().map(|s| s.trim().to_owned()).collect();
        Ok(o)
    }

    /// 新增应用 (2.9.1).
    pub fn create_app(&self, sess: &Session, input: &AppInput) -> Result<App> {
        self.run(sess, Action::CreateApp, &input.name, |ctx| {
            let i = self.check_app_input(input)?;
            let a = App {
                id: new_id()?,
                unit: ctx.unit.clone(),
                name: i.name,
                contact: i.contact,
                phone: i.phone,
                email: i.email,
                public_key_b64: i.public_key_b64,
                ip_whitelist: i.ip_whitelist,
                status: if self.switches()?.app_review {
                    AppStatus::PendingReview
                } else {
                    AppStatus::Valid
                },
                access_token: hex::encode(random_bytes::<16>()?),
                access_secret: hex::encode(random_bytes::<32>()?),
                created: self.clock.now(),
            };
            self.insert(Kind::App, &a.id, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    fn unit_app(&self, ctx: &Ctx, id: &str) -> Result<(App, u64)> {
        match self.try_get::<App>(Kind::App, id)? {
            Some((a, v)) if a.unit == ctx.unit => Ok((a, v)),
            _ => Err(PlatformError::NotFound(format!("app {id}"))),
        }
    }

    /// 修改应用 (2.9.2); a rejected app is resubmitted for review.
    pub fn edit_app(&self, sess: &Session, id: &str, input: &AppInput) -> Result<App> {
        self.run(sess, Action::EditApp, id, |ctx| {
            let i = self.check_app_input(input)?;
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is deleted"));
            }
            a.name = i.name;
            a.contact = i.contact;
            a.phone = i.phone;
            a.email = i.email;
            a.public_key_b64 = i.public_key_b64;
            a.ip_whitelist = i.ip_whitelist;
            if matches!(a.status, AppStatus::Rejected { .. }) {
                a.status = AppStatus::PendingReview;
            }
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    /// 删除应用 (2.9.4): soft delete, status 已删除 stays visible.
    pub fn delete_app(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteApp, id, |ctx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is already deleted"));
            }
            a.status = AppStatus::Deleted;
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(())
        })
    }

    /// 查看密钥 (2.9.3): (access token, secret), valid apps only.
    pub fn app_secret(&self, sess: &Session, id: &str) -> Result<(String, String)> {
        self.run(sess, Action::ViewAppSecret, id, |ctx| {
            let (a, _) = self.unit_app(ctx, id)?;
            if a.status != AppStatus::Valid {
                return Err(state(format!(
                    "app is {:?}; keys are shown for valid apps only",
                    a.status
                )));
            }
            Ok((a.access_token, a.access_secret))
        })
    }

    /// 重置密钥 (2.9.3): a new secret from the CSPRNG.
    pub fn reset_app_secret(&self, sess: &Session, id: &str) -> Result<String> {
        self.run(sess, Action::ResetAppSecret, id, |ctx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status != AppStatus::Valid {
                return Err(state(format!(
                    "app is {:?}; keys are reset for valid apps only",
                    a.status
                )));
            }
            a.access_secret = hex::encode(random_bytes::<32>()?);
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a.access_secret)
        })
    }

    /// The unit's apps (secrets blanked: they are read with [`Platform::app_secret`]).
    pub fn list_apps(&self, sess: &Session) -> Result<Vec<App>> {
        self.run(sess, Action::ViewApps, "apps", |ctx| {
            Ok(self
                .all::<App>(Kind::App)?
                .into_iter()
                .map(|(mut a, _)| {
                    a.access_secret.clear();
                    a
                })
                .filter(|a| a.unit == ctx.unit)
                .collect())
        })
    }

    /// 应用详情 (2.9.6): the app (secret blanked) and the seals granted to it.
    pub fn app_details(&self, sess: &Session, id: &str) -> Result<(App, Vec<Seal>)> {
        self.run(sess, Action::ViewAppDetails, id, |ctx| {
            let (mut a, _) = self.unit_app(ctx, id)?;
            a.access_secret.clear();
            let seal_ids: Vec<String> = self
                .all::<Grant>(Kind::Grant)?
                .into_iter()
                .filter(|(g, _)| g.app == id)
                .map(|(g, _)| g.seal)
                .collect();
            let seals = self
                .all::<Seal>(Kind::Seal)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| seal_ids.contains(&s.id))
                .collect();
            Ok((a, seals))
        })
    }

    /// 审核应用 (2.9.5, back office).
    pub fn review_app(&self, sess: &Session, id: &str, approve: bool, reason: &str) -> Result<App> {
        self.run(sess, Action::ReviewApp, id, |_| {
            let (mut a, v): (App, u64) = self.get(Kind::App, id)?;
            if a.status != AppStatus::PendingReview {
                return Err(state(format!(
                    "app is {:?}, not waiting for review",
                    a.status
                )));
            }
            a.status = if approve {
                AppStatus::Valid
            } else {
                AppStatus::Rejected {
                    reason: validate::check_text("reason", reason, 200)?,
                }
            };
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    pub(crate) fn app_by_token(&self, token: &str) -> Result<Option<App>> {
        match self.store.find_unique("app.token", token)? {
            Some((Kind::App, id)) => Ok(self.try_get::<App>(Kind::App, &id)?.map(|x| x.0)),
            _ => Ok(None),
        }
    }

    pub(crate) fn claim_nonce(&self, nonce: &str) -> Result<bool> {
        match self.store.insert(Kind::Nonce, nonce, "{}", &[]) {
            Ok(()) => Ok(true),
            Err(StoreError::DuplicateId { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn audit_app(
        &self,
        app: &str,
        unit: &str,
        action: &str,
        object: &str,
        r: &std::result::Result<(), String>,
        ip: &str,
    ) -> Result<()> {
        self.audit_anon(unit, &format!("app:{app}"), action, object, r, ip)
    }

    // ---------------------------------------------------------------- grants and the queue

    /// 授权应用 (2.2.4): grants a cloud seal to an app (internal: of the unit; external: by id).
    pub fn grant_seal_to_app(
        &self,
        sess: &Session,
        seal: &str,
        app: &str,
        external: bool,
    ) -> Result<Grant> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals can be granted to apps"));
            }
            let (a, _): (App, u64) = self
                .try_get(Kind::App, app)?
                .ok_or_else(|| PlatformError::NotFound(format!("app {app}")))?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is deleted"));
            }
            if (a.unit == ctx.unit) == external {
                return Err(PlatformError::InvalidInput(if external {
                    "an external app belongs to another unit".into()
                } else {
                    "an internal app belongs to this unit".into()
                }));
            }
            let g = Grant {
                id: format!("{seal}:{app}"),
                unit: ctx.unit.clone(),
                seal: seal.to_owned(),
                app: app.to_owned(),
                external,
                policy: ConfirmPolicy::None,
                calls: 0,
                call_token: hex::encode(random_bytes::<16>()?),
                used_serials: vec![],
                removed: false,
                created: self.clock.now(),
            };
            match self.try_get::<Grant>(Kind::Grant, &g.id)? {
                None => self.insert(Kind::Grant, &g.id, &g, &[])?,
                Some((old, gv)) if old.removed => {
                    self.put(Kind::Grant, &g.id, gv, &g, &[])?;
                }
                Some(_) => {
                    return Err(PlatformError::Duplicate(format!(
                        "grant of {seal} to {app}"
                    )));
                }
            }
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("添加应用-{}", a.name), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(g)
        })
    }

    /// Removes a grant: the app can no longer call the seal, nor use approved queue items.
    pub fn remove_grant(&self, sess: &Session, seal: &str, app: &str) -> Result<()> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            let gid = format!("{seal}:{app}");
            let (mut g, gv): (Grant, u64) = self.get(Kind::Grant, &gid)?;
            if g.removed {
                return Err(PlatformError::NotFound(format!("grant {gid}")));
            }
            g.removed = true;
            self.put(Kind::Grant, &gid, gv, &g, &[])?;
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("删除应用-{app}"), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(())
        })
    }

    /// 配置签署确认 (2.2.4).
    pub fn set_confirm_policy(
        &self,
        sess: &Session,
        seal: &str,
        app: &str,
        policy: ConfirmPolicy,
    ) -> Result<()> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            self.managed_seal(ctx, seal)?;
            if let ConfirmPolicy::Manual { confirmers, .. } = &policy {
                if confirmers.is_empty() {
                    return Err(PlatformError::InvalidInput(
                        "manual confirmation needs confirmers".into(),
                    ));
                }
                for c in confirmers {
                    let (p, _) = self.unit_staff(ctx, c)?;
                    if !p.active() {
                        return Err(state("confirmers must be serving staff"));
                    }
                }
            }
            let gid = format!("{seal}:{app}");
            self.modify(
                Kind::Grant,
                &gid,
                |_| vec![],
                |g: &mut Grant| {
                    if g.removed {
                        return Err(PlatformError::NotFound(format!("grant {gid}")));
                    }
                    g.policy = policy.clone();
                    Ok(true)
                },
            )
        })
    }

    pub fn grant(&self, sess: &Session, seal: &str, app: &str) -> Result<Grant> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            self.managed_seal(ctx, seal)?;
            Ok(self.get::<Grant>(Kind::Grant, &format!("{seal}:{app}"))?.0)
        })
    }

    /// One signing call of an app (after [`super::openapi::check_request`] authenticated it).
    pub fn app_sign(
        &self,
        app_id: &str,
        seal: &str,
        call: &AppCall,
        ip: &str,
    ) -> Result<AppSignOutcome> {
        let r = self.app_sign_inner(app_id, seal, call);
        let unit = self
            .try_get::<Seal>(Kind::Seal, seal)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        self.audit_app(
            app_id,
            &unit,
            "AppSign",
            seal,
            &r.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            ip,
        )?;
        r
    }

    fn app_sign_inner(&self, app_id: &str, seal: &str, call: &AppCall) -> Result<AppSignOutcome> {
        let (app, _): (App, u64) = self.get(Kind::App, app_id)?;
        if app.status != AppStatus::Valid {
            return Err(PlatformError::RequestRefused(format!(
                "app is {:?}",
                app.status
            )));
        }
        let gid = format!("{seal}:{app_id}");
        let (mut g, gv): (Grant, u64) = self
            .try_get(Kind::Grant, &gid)?
            .ok_or_else(|| forbidden("the seal is not granted to this app"))?;
        if g.removed {
            return Err(forbidden("the seal is not granted to this app"));
        }
        let (s, sv): (Seal, u64) = self.get(Kind::Seal, seal)?;
        validate::check_text("file name", &call.file_name, 200)?;
        match g.policy.clone() {
            ConfirmPolicy::None => Ok(AppSignOutcome::Signed(self.app_commit(
                &mut g,
                gv,
                s,
                sv,
                &call.digest,
            )?)),
            ConfirmPolicy::SystemCheck {
                call_limit,
                token_check,
            } => {
                if call_limit.is_some_and(|l| g.calls >= l) {
                    return Err(PlatformError::RateLimited(
                        "the app's call limit for this seal is used up".into(),
                    ));
                }
                if token_check {
                    let serial = call.serial.as_deref().unwrap_or("");
                    if serial.is_empty() || call.token.as_deref() != Some(g.call_token.as_str()) {
                        return Err(PlatformError::VerificationFailed(
                            "serial number and token required".into(),
                        ));
                    }
                    if g.used_serials.iter().any(|x| x == serial) {
                        return Err(PlatformError::VerificationFailed(
                            "serial number already used".into(),
                        ));
                    }
                    g.used_serials.push(serial.to_owned());
                }
                Ok(AppSignOutcome::Signed(self.app_commit(
                    &mut g,
                    gv,
                    s,
                    sv,
                    &call.digest,
                )?))
            }
            ConfirmPolicy::Manual {
                confirmers,
                sms_notice,
            } => {
                let item = QueueItem {
                    id: new_id()?,
                    unit: s.unit.clone(),
                    grant: gid,
                    seal: seal.to_owned(),
                    seal_name: s.name.clone(),
                    app: app_id.to_owned(),
                    app_name: app.name.clone(),
                    file_name: call.file_name.clone(),
                    file_type: call.file_type,
                    pages: call.pages,
                    time: self.clock.now(),
                    status: QueueStatus::Pending,
                    decided_by: None,
                    decided_at: None,
                };
                self.insert(Kind::QueueItem, &item.id, &item, &[])?;
                if sms_notice {
                    for c in &confirmers {
                        if let Some((p, _)) = self.try_get::<Staff>(Kind::Staff, c)? {
                            let text = format!(
                                "【电子印章平台】应用{}请求使用印章{}签署《{}》，请在签署授权页面确认。",
                                app.name, s.name, call.file_name
                            );
                            self.sms
                                .send(&p.phone, &text)
                                .map_err(PlatformError::Vault)?;
                        }
                    }
                }
                Ok(AppSignOutcome::Queued(item.id))
            }
        }
    }

    fn app_commit(
        &self,
        g: &mut Grant,
        gv: u64,
        s: Seal,
        sv: u64,
        e: &[u8; 32],
    ) -> Result<sm2::Signature> {
        if s.kind != SealKind::Cloud {
            return Err(state("only cloud seals sign for apps"));
        }
        let used = self.commit_seal_use(s, sv, e, "app")?;
        g.calls += 1;
        self.put(Kind::Grant, &g.id.clone(), gv, g, &[])?;
        used.signature.ok_or_else(|| state("no signature"))
    }

    /// Signs an approved queue item (once).
    pub fn app_sign_approved(
        &self,
        app_id: &str,
        item: &str,
        e: &[u8; 32],
        ip: &str,
    ) -> Result<sm2::Signature> {
        let r = (|| {
            let (mut q, qv): (QueueItem, u64) = self.get(Kind::QueueItem, item)?;
            if q.app != app_id {
                return Err(PlatformError::NotFound(format!("queue item {item}")));
            }
            match q.status {
                QueueStatus::Approved => {}
                QueueStatus::Pending => return Err(state("waiting for confirmation")),
                QueueStatus::Rejected => return Err(state("the confirmer rejected this call")),
                QueueStatus::Used => return Err(state("this confirmation was used already")),
            }
            let (app, _): (App, u64) = self.get(Kind::App, app_id)?;
            if app.status != AppStatus::Valid {
                return Err(PlatformError::RequestRefused(format!(
                    "app is {:?}",
                    app.status
                )));
            }
            if self.get::<Grant>(Kind::Grant, &q.grant)?.0.removed {
                return Err(forbidden("the seal is no longer granted to this app"));
            }
            // Exactly once: the approval is consumed first (a signing that then fails, e.g.
            // because the seal was revoked meanwhile, does not give the approval back).
            q.status = QueueStatus::Used;
            self.put(Kind::QueueItem, item, qv, &q, &[])?;
            let (mut g, gv): (Grant, u64) = self.get(Kind::Grant, &q.grant)?;
            let (s, sv): (Seal, u64) = self.get(Kind::Seal, &q.seal)?;
            self.app_commit(&mut g, gv, s, sv, e)
        })();
        self.audit_app(
            app_id,
            "",
            "AppSignApproved",
            item,
            &r.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            ip,
        )?;
        r
    }

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

    // ---------------------------------------------------------------- credentials

    /// Issues an image captcha: (id, answer). The server renders `answer` as an image.
    pub fn issue_captcha(&self) -> Result<(String, String)> {
        const ALPHA: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut ans = String::new();
        for b in random_bytes::<5>()? {
            ans.push(char::from(ALPHA[usize::from(b) % ALPHA.len()]));
        }
        let c = Captcha {
            id: hex::encode(random_bytes::<16>()?),
            answer_hash: hash_text(&ans),
            expires: self.clock.now() + CAPTCHA_TTL,
            used: false,
        };
        self.insert(Kind::Captcha, &c.id, &c, &[])?;
        Ok((c.id, ans))
    }

    fn check_captcha(&self, id: &str, answer: &str) -> Result<()> {
        let (mut c, v): (Captcha, u64) = self
            .try_get(Kind::Captcha, id)?
            .ok_or_else(|| PlatformError::VerificationFailed("wrong captcha".into()))?;
        if c.used || self.clock.now() > c.expires {
            return Err(PlatformError::VerificationFailed("captcha expired".into()));
        }
        c.used = true; // single use, right or wrong
        self.put(Kind::Captcha, id, v, &c, &[])?;
        if hash_text(&answer.trim().to_ascii_lowercase()) != c.answer_hash {
            return Err(PlatformError::VerificationFailed("wrong captcha".into()));
        }
        Ok(())
    }

    fn active_staff_by_phone(&self, phone: &str) -> Result<Option<Staff>> {
        match self.store.find_unique("staff.phone", phone)? {
            Some((Kind::Staff, id)) => Ok(self
                .try_get::<Staff>(Kind::Staff, &id)?
                .map(|x| x.0)
                .filter(|s| s.active())),
            _ => Ok(None),
        }
    }

    fn send_code(&self, phone: &str, purpose: SmsPurpose) -> Result<()> {
        let now = self.clock.now();
        let code = random_digits(6)?;
        let entry = SmsCodeEntry {
            purpose,
            code_hash: hash_text(&format!("{phone}:{code}")),
            expires: now + SMS_CODE_TTL,
            attempts: 0,
            used: false,
        };
        if self.store.get(Kind::SmsCode, phone)?.is_none() {
            let st = SmsState {
                id: phone.to_owned(),
                codes: vec![],
                sends: vec![],
            };
            match self.insert(Kind::SmsCode, phone, &st, &[]) {
                Ok(()) | Err(PlatformError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let (mut st, v): (SmsState, u64) = self.get(Kind::SmsCode, phone)?;
        st.sends.retain(|t| now - t < 3600);
        if st
            .sends
            .last()
            .is_some_and(|t| now - t < SMS_RESEND_INTERVAL)
        {
            return Err(PlatformError::RateLimited(
                "wait 60 seconds before asking for another code".into(),
            ));
        }
        if st.sends.len() >= SMS_MAX_SENDS_PER_HOUR {
            return Err(PlatformError::RateLimited(
                "too many codes for this phone in the last hour".into(),
            ));
        }
        st.sends.push(now);
        st.codes.retain(|c| c.purpose != purpose);
        st.codes.push(entry);
        self.put(Kind::SmsCode, phone, v, &st, &[])?;
        let text = format!("【电子印章平台】验证码 {code}，5分钟内有效，请勿泄露。");
        self.sms
            .send(phone, &text)
            .map_err(|e| PlatformError::Vault(format!("sms: {e}")))
    }

    fn verify_sms(&self, phone: &str, purpose: SmsPurpose, code: &str) -> Result<()> {
        let now = self.clock.now();
        let mut outcome = Err(PlatformError::VerificationFailed("no code was sent".into()));
        self.modify(
            Kind::SmsCode,
            phone,
            |_| vec![],
            |st: &mut SmsState| {
                let Some(c) = st.codes.iter_mut().find(|c| c.purpose == purpose) else {
                    outcome = Err(PlatformError::VerificationFailed("no code was sent".into()));
                    return Ok(false);
                };
                if c.used || now > c.expires {
                    outcome = Err(PlatformError::VerificationFailed(
                        "the code has expired".into(),
                    ));
                    return Ok(false);
                }
                if c.attempts >= SMS_MAX_ATTEMPTS {
                    outcome = Err(PlatformError::VerificationFailed(
                        "too many wrong codes; ask for a new one".into(),
                    ));
                    return Ok(false);
                }
                if hash_text(&format!("{phone}:{code}")) == c.code_hash {
                    c.used = true;
                    outcome = Ok(());
                } else {
                    c.attempts += 1;
                    outcome = Err(PlatformError::VerificationFailed("wrong code".into()));
                }
                Ok(true)
            },
        )
        .or_else(|e| match e {
            PlatformError::NotFound(_) => Ok(()),
            e => Err(e),
        })?;
        outcome
    }

    /// Sends a login or password-reset code after the image captcha (1.3.1, 1.3.2.3).
    pub fn send_sms_code(
        &self,
        phone: &str,
        purpose: SmsPurpose,
        captcha_id: &str,
        captcha_answer: &str,
        ip: &str,
    ) -> Result<()> {
        let r = (|| {
            if !matches!(purpose, SmsPurpose::Login | SmsPurpose::ResetPassword) {
                return Err(PlatformError::InvalidInput(
                    "this code is sent from a session".into(),
                ));
            }
            self.check_captcha(captcha_id, captcha_answer)?;
            validate::check_phone(phone)?;
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.send_code(phone, purpose)?;
            Ok(((), s.unit, s.id))
        })();
        self.audited_login(
            "SendSmsCode",
            &format!("{phone}/{}", purpose.as_str()),
            ip,
            r,
        )
    }

    /// Sends a code to the session's own phone (signing, setting a password).
    pub fn send_session_code(&self, sess: &Session, purpose: SmsPurpose) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, purpose.as_str(), |ctx| {
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            self.send_code(&s.phone, purpose)
        })
    }

    /// Password login (1.3.2.2); five failures lock the account for 15 minutes.
    pub fn login_password(&self, phone: &str, password: &str, ip: &str) -> Result<Session> {
        let r = (|| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("wrong phone or password".into()))?;
            let now = self.clock.now();
            let mut result = Err(PlatformError::LoginRefused(
                "wrong phone or password".into(),
            ));
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    if c.locked_until.is_some_and(|t| now < t) {
                        result = Err(PlatformError::LoginRefused(
                            "too many wrong passwords; try later or use an SMS code".into(),
                        ));
                        return Ok(false);
                    }
                    match &c.password_hash {
                        Some(h) if argon2_verify(password, h) => {
                            c.failed_logins = 0;
                            c.locked_until = None;
                            result = Ok(());
                        }
                        _ => {
                            c.failed_logins += 1;
                            if c.failed_logins >= MAX_FAILED_LOGINS {
                                c.locked_until = Some(now + LOCKOUT_SECS);
                                c.failed_logins = 0;
                            }
                            result = Err(PlatformError::LoginRefused(
                                "wrong phone or password".into(),
                            ));
                        }
                    }
                    Ok(true)
                },
            )?;
            result?;
            Ok((
                Session {
                    identity: Identity::Staff {
                        unit: s.unit.clone(),
                        staff: s.id.clone(),
                        via_ukey: false,
                    },
                    ip: ip.to_owned(),
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginPassword", phone, ip, r)
    }

    /// SMS-code login (1.3.1).
    pub fn login_sms(&self, phone: &str, code: &str, ip: &str) -> Result<SmsLogin> {
        let r = (|| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.verify_sms(phone, SmsPurpose::Login, code)?;
            let has_pw = self
                .try_get::<Credential>(Kind::Credential, &s.id)?
                .is_some_and(|(c, _)| c.password_hash.is_some());
            let session = Session {
                identity: Identity::Staff {
                    unit: s.unit.clone(),
                    staff: s.id.clone(),
                    via_ukey: false,
                },
                ip: ip.to_owned(),
            };
            Ok((
                SmsLogin {
                    session,
                    must_set_password: !has_pw,
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginSms", phone, ip, r)
    }

    /// Personal UKey login (1.2.2): the certificate's ID number names the staff member.
    pub fn login_personal_ukey(&self, id_number: &str, ip: &str) -> Result<Session> {
        let r = (|| {
            let idn = validate::check_id_number(id_number)?;
            let s = match self.store.find_unique("staff.id_number", &idn)? {
                Some((Kind::Staff, id)) => self
                    .try_get::<Staff>(Kind::Staff, &id)?
                    .map(|x| x.0)
                    .filter(|s| s.active()),
                _ => None,
            }
            .ok_or_else(|| {
                PlatformError::LoginRefused("no serving staff for this certificate".into())
            })?;
            Ok((
                Session {
                    identity: Identity::Staff {
                        unit: s.unit.clone(),
                        staff: s.id.clone(),
                        via_ukey: true,
                    },
                    ip: ip.to_owned(),
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginPersonalUkey", id_number, ip, r)
    }

    fn ensure_credential(&self, staff: &str) -> Result<()> {
        if self.store.get(Kind::Credential, staff)?.is_none() {
            let c = Credential {
                id: staff.to_owned(),
                ..Default::default()
            };
            match self.insert(Kind::Credential, staff, &c, &[]) {
                Ok(()) | Err(PlatformError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sets or changes the login password with an SMS code (1.3.2.1, 2.1.2.3).
    pub fn set_password(&self, sess: &Session, sms_code: &str, new_password: &str) -> Result<()> {
        self.set_own_secret(
            sess,
            "password",
            sms_code,
            new_password,
            validate::check_password,
            |c, h| c.password_hash = Some(h),
        )
    }

    /// Sets the 6-digit signing password with an SMS code (2.1.2.4).
    pub fn set_signing_password(&self, sess: &Session, sms_code: &str, pin: &str) -> Result<()> {
        self.set_own_secret(
            sess,
            "signing password",
            sms_code,
            pin,
            validate::check_signing_password,
            |c, h| c.signing_password_hash = Some(h),
        )
    }

    /// Checks `secret` with `check`, verifies the SMS code sent to the caller's phone, and
    /// stores the secret's argon2id hash with `store` (login and signing passwords alike).
    fn set_own_secret(
        &self,
        sess: &Session,
        what: &str,
        sms_code: &str,
        secret: &str,
        check: fn(&str) -> Result<()>,
        store: fn(&mut Credential, String),
    ) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, what, |ctx| {
            check(secret)?;
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            self.verify_sms(&s.phone, SmsPurpose::SetPassword, sms_code)?;
            let h = argon2_hash(secret)?;
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    store(c, h.clone());
                    Ok(true)
                },
            )
        })
    }

    /// 重设密码 (1.3.2.3): the code sent after the captcha, and the new password.
    pub fn reset_password(
        &self,
        phone: &str,
        sms_code: &str,
        new_password: &str,
        ip: &str,
    ) -> Result<()> {
        let r = (|| {
            validate::check_password(new_password)?;
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.verify_sms(phone, SmsPurpose::ResetPassword, sms_code)?;
            let h = argon2_hash(new_password)?;
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    c.password_hash = Some(h.clone());
                    c.failed_logins = 0;
                    c.locked_until = None;
                    Ok(true)
                },
            )?;
            Ok(((), s.unit, s.id))
        })();
        self.audited_login("ResetPassword", phone, ip, r)
    }

    // ---------------------------------------------------------------- signed files

    /// Records a signed file (2.6).
    pub fn record_file(&self, sess: &Session, f: &FileInput) -> Result<FileRecord> {
        self.run(sess, Action::SignWithSeal, &f.name, |ctx| {
            let name = validate::check_text("file name", &f.name, 200)?;
            if f.size == 0 || f.size > MAX_FILE_SIZE {
                return Err(PlatformError::InvalidInput(
                    "files are 1 byte to 30 MB".into(),
                ));
            }
            if f.pages == 0 || f.seals.is_empty() {
                return Err(PlatformError::InvalidInput(
                    "a signed file has pages and seals".into(),
                ));
            }
            let r = FileRecord {
                id: new_id()?,
                unit: ctx.unit.clone(),
                name,
                pages: f.pages,
                signer: ctx.id.clone(),
                signer_name: ctx.name.clone(),
                seals: f.seals.clone(),
                time: self.clock.now(),
                format: f.format,
                size: f.size,
                thumbnail: f.thumbnail.clone(),
                deleted: false,
            };
            self.insert(Kind::File, &r.id, &r, &[])?;
            Ok(r)
        })
    }

    fn may_see_file(ctx: &Ctx, f: &FileRecord) -> bool {
        !f.deleted
            && f.unit == ctx.unit
            && (perm::allowed_any(&ctx.roles, Action::ViewUnitFiles) || f.signer == ctx.id)
    }

    /// The file list (2.6): the unit UKey sees the unit's files, staff their own; search by
    /// name or signer.
    pub fn list_files(&self, sess: &Session, text: Option<&str>) -> Result<Vec<FileRecord>> {
        self.run(sess, Action::ViewOwnFiles, "files", |ctx| {
            Ok(self
                .all::<FileRecord>(Kind::File)?
                .into_iter()
                .map(|(f, _)| f)
                .filter(|f| Self::may_see_file(ctx, f))
                .filter(|f| text.is_none_or(|t| f.name.contains(t) || f.signer_name.contains(t)))
                .collect())
        })
    }

    pub fn delete_file(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteFile, id, |ctx| {
            let (mut f, v): (FileRecord, u64) = match self.try_get(Kind::File, id)? {
                Some((f, v)) if Self::may_see_file(ctx, &f) => (f, v),
                _ => return Err(PlatformError::NotFound(format!("file {id}"))),
            };
            f.deleted = true;
            self.put(Kind::File, id, v, &f, &[])?;
            Ok(())
        })
    }

    // ---------------------------------------------------------------- audit reading

    /// The auditor's view (2.10): the unit's entries, filtered; the chain is checked first.
    pub fn read_audit(&self, sess: &Session, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.run(sess, Action::ReadAudit, "audit", |ctx| {
            let rows = self.store.audit_rows()?;
            audit::verify_chain(&rows, None)?;
            let mut out = Vec::new();
            for r in rows {
                let e: AuditEntry = serde_json::from_str(&r.body)
                    .map_err(|_| audit::ChainError::Unreadable(r.seq))?;
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
        audit::verify_chain(&rows, expected_head)?;
        Ok(rows.last().map(|r| (r.seq, r.hash.clone())))
    }
}
