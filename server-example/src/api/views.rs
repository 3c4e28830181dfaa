//! What the API returns: views of the platform's documents with their OpenAPI schemas.
//! Enum values are the platform's names (`PendingReview`, `Cloud`, …); the Chinese label is
//! beside them where the manual shows one.

use eseal::platform::{self as p, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub fn role_name(r: Role) -> String {
    name_of(&r)
}

pub fn parse_role(s: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| role_name(*r) == s)
}

pub fn role_zh(r: Role) -> &'static str {
    match r {
        Role::SuperAdmin => "超级管理员",
        Role::AppAdmin => "应用管理员",
        Role::StaffAdmin => "公务人员管理员",
        Role::SystemAdmin => "系统管理员",
        Role::SealAdmin => "印章管理员",
        Role::Auditor => "审计员",
        Role::SealMaker => "印章制作员",
        Role::Staff => "公务人员",
        Role::Operator => "运维后台管理员",
    }
}

pub fn status_zh(s: p::SealStatus) -> &'static str {
    match s {
        p::SealStatus::PendingReview => "待审核",
        p::SealStatus::AwaitingReceipt => "待回执",
        p::SealStatus::Rejected => "已否决",
        p::SealStatus::Valid => "有效",
        p::SealStatus::Frozen => "冻结",
        p::SealStatus::Revoked => "已注销",
        p::SealStatus::Expired => "已过期",
    }
}

pub fn parse_enum<T: for<'de> Deserialize<'de>>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The signed-in identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// `unit_key`, `staff` or `operator`.
    pub kind: String,
    pub id: String,
    pub name: String,
    pub unit: String,
    /// Roles held (platform names), e.g. `SuperAdmin`, `SealAdmin`, `Staff`.
    pub roles: Vec<String>,
    pub via_ukey: bool,
    /// Send as `X-CSRF-Token` with state-changing requests made with the cookie.
    pub csrf: String,
    pub expires: i64,
    pub must_set_password: bool,
}

/// The answer to a sign-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    /// Session token: also set as the HttpOnly cookie; API clients send it as `Authorization: Bearer`.
    pub token: String,
    pub session: SessionView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertApplicationView {
    pub handler_name: String,
    pub handler_id_number: String,
    pub handler_phone: String,
    pub handler_email: String,
    pub agreement_accepted: bool,
    pub applied: i64,
}

impl From<p::CertApplication> for CertApplicationView {
    fn from(c: p::CertApplication) -> Self {
        CertApplicationView {
            handler_name: c.handler_name,
            handler_id_number: c.handler_id_number,
            handler_phone: c.handler_phone,
            handler_email: c.handler_email,
            agreement_accepted: c.agreement_accepted,
            applied: c.applied,
        }
    }
}

/// The unit's server certificate as the portal shows it (1.2.1.2, 2.1.1.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitCertificateView {
    /// 颁发对象 (subject DN).
    pub subject: String,
    /// 颁发者 (issuer DN).
    pub issuer: String,
    /// 证件号: the unified social credit code.
    pub id_number: String,
    /// 序列号 (upper-case hex).
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    /// 有效性: within its validity now.
    pub valid_now: bool,
    /// The certificate (DER, base64).
    pub der: String,
}

impl UnitCertificateView {
    pub fn new(c: p::UnitCertificate, now: i64) -> Self {
        UnitCertificateView {
            valid_now: c.valid_at(now),
            subject: c.subject,
            issuer: c.issuer,
            id_number: c.id_number,
            serial: c.serial,
            not_before: c.not_before,
            not_after: c.not_after,
            der: c.der_b64,
        }
    }
}

/// The certificate application and, once issued, the certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitCertificateState {
    pub application: CertApplicationView,
    pub certificate: Option<UnitCertificateView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub main_key: Option<String>,
    pub whitelist: Vec<String>,
    pub cert_application: Option<CertApplicationView>,
    pub avatar: Option<String>,
    pub created: i64,
}

impl From<p::Unit> for UnitView {
    fn from(u: p::Unit) -> Self {
        UnitView {
            id: u.id,
            name: u.name,
            credit_code: u.credit_code,
            main_key: u.main_key,
            whitelist: u.whitelist,
            cert_application: u.cert_application.map(Into::into),
            avatar: u.avatar,
            created: u.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitKeyView {
    pub id: String,
    pub cert_serial: String,
    pub cert_subject: String,
    pub device_id: String,
    pub super_admin: bool,
    pub created: i64,
}

impl From<p::UnitKey> for UnitKeyView {
    fn from(k: p::UnitKey) -> Self {
        UnitKeyView {
            id: k.id,
            cert_serial: k.cert_serial,
            cert_subject: k.cert_subject,
            device_id: k.device_id,
            super_admin: k.super_admin,
            created: k.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    /// Pinyin initial of the surname.
    pub initial: String,
    pub resigned: bool,
    pub roles: Vec<String>,
    pub avatar: Option<String>,
    pub created: i64,
}

impl From<p::Staff> for StaffView {
    fn from(s: p::Staff) -> Self {
        StaffView {
            id: s.id,
            name: s.name,
            phone: s.phone,
            id_number: s.id_number,
            initial: s.initial.to_string(),
            resigned: s.resigned,
            roles: s.roles.into_iter().map(role_name).collect(),
            avatar: s.avatar,
            created: s.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SealLogView {
    pub operator: String,
    pub action: String,
    pub time: i64,
}

impl From<p::SealLogEntry> for SealLogView {
    fn from(l: p::SealLogEntry) -> Self {
        SealLogView {
            operator: l.operator,
            action: l.action,
            time: l.time,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SealView {
    pub id: String,
    /// `Ukey`, `Cloud` or `PersonalUkey`.
    pub kind: String,
    pub name: String,
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    /// Status as shown (已过期 derived): `PendingReview`, `AwaitingReceipt`, `Rejected`,
    /// `Valid`, `Frozen`, `Revoked`, `Expired`.
    pub status: String,
    pub status_zh: String,
    pub reject_reason: Option<String>,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    pub width_mm: u32,
    pub height_mm: u32,
    pub picture_format: String,
    /// URL of the seal picture.
    pub picture_url: String,
    pub applicant: String,
    pub managers: Vec<String>,
    pub users: Vec<String>,
    pub owner: Option<String>,
    pub written_to_ukey: bool,
    pub sign_count: u64,
    pub created: i64,
}

impl SealView {
    pub fn new(s: p::SealRecord, now: i64) -> Self {
        let st = s.effective_status(now);
        SealView {
            picture_url: format!("/api/v1/seals/{}/picture", s.id),
            id: s.id,
            kind: name_of(&s.kind),
            name: s.name,
            seal_type: s.seal_type,
            handler_name: s.handler_name,
            handler_phone: s.handler_phone,
            status: name_of(&st),
            status_zh: status_zh(st).to_owned(),
            reject_reason: s.reject_reason,
            valid_from: s.valid_from,
            valid_to: s.valid_to,
            width_mm: s.width_mm,
            height_mm: s.height_mm,
            picture_format: s.picture_format,
            applicant: s.applicant,
            managers: s.managers,
            users: s.users,
            owner: s.owner,
            written_to_ukey: s.written_to_ukey,
            sign_count: s.sign_count,
            created: s.created,
        }
    }
}

/// 签署确认 policy of a grant (2.2.4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicyView {
    /// 无需确认
    None,
    /// 系统校验
    SystemCheck {
        call_limit: Option<u64>,
        #[serde(default)]
        token_check: bool,
    },
    /// 人工确认
    Manual {
        confirmers: Vec<String>,
        #[serde(default)]
        sms_notice: bool,
    },
}

impl From<p::ConfirmPolicy> for PolicyView {
    fn from(c: p::ConfirmPolicy) -> Self {
        match c {
            p::ConfirmPolicy::None => PolicyView::None,
            p::ConfirmPolicy::SystemCheck {
                call_limit,
                token_check,
            } => PolicyView::SystemCheck {
                call_limit,
                token_check,
            },
            p::ConfirmPolicy::Manual {
                confirmers,
                sms_notice,
            } => PolicyView::Manual {
                confirmers,
                sms_notice,
            },
        }
    }
}

impl From<PolicyView> for p::ConfirmPolicy {
    fn from(c: PolicyView) -> Self {
        match c {
            PolicyView::None => p::ConfirmPolicy::None,
            PolicyView::SystemCheck {
                call_limit,
                token_check,
            } => p::ConfirmPolicy::SystemCheck {
                call_limit,
                token_check,
            },
            PolicyView::Manual {
                confirmers,
                sms_notice,
            } => p::ConfirmPolicy::Manual {
                confirmers,
                sms_notice,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub seal: String,
    pub app: String,
    pub external: bool,
    pub policy: PolicyView,
    pub calls: u64,
    /// The token a system-check call presents (token check).
    pub call_token: String,
    pub removed: bool,
    pub created: i64,
}

impl From<p::Grant> for GrantView {
    fn from(g: p::Grant) -> Self {
        GrantView {
            id: g.id,
            seal: g.seal,
            app: g.app,
            external: g.external,
            policy: g.policy.into(),
            calls: g.calls,
            call_token: g.call_token,
            removed: g.removed,
            created: g.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    pub id: String,
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub public_key: Option<String>,
    pub ip_whitelist: Vec<String>,
    /// `PendingReview`, `Valid`, `Rejected`, `Deleted`.
    pub status: String,
    pub reject_reason: Option<String>,
    pub access_token: String,
    pub created: i64,
}

impl From<p::App> for AppView {
    fn from(a: p::App) -> Self {
        let reason = match &a.status {
            p::AppStatus::Rejected { reason } => Some(reason.clone()),
            _ => None,
        };
        AppView {
            id: a.id,
            status: name_of(&a.status),
            name: a.name,
            contact: a.contact,
            phone: a.phone,
            email: a.email,
            public_key: a.public_key_b64,
            ip_whitelist: a.ip_whitelist,
            reject_reason: reason,
            access_token: a.access_token,
            created: a.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemView {
    pub id: String,
    pub seal: String,
    pub seal_name: String,
    pub app: String,
    pub app_name: String,
    pub file_name: String,
    /// `Pdf` or `Ofd`.
    pub file_type: String,
    pub pages: u32,
    pub time: i64,
    /// `Pending`, `Approved`, `Rejected`, `Used`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

impl From<p::QueueItem> for QueueItemView {
    fn from(q: p::QueueItem) -> Self {
        QueueItemView {
            id: q.id,
            seal: q.seal,
            seal_name: q.seal_name,
            app: q.app,
            app_name: q.app_name,
            file_name: q.file_name,
            file_type: name_of(&q.file_type),
            pages: q.pages,
            time: q.time,
            status: name_of(&q.status),
            decided_by: q.decided_by,
            decided_at: q.decided_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuePage {
    pub items: Vec<QueueItemView>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: u64,
    pub time: i64,
    pub actor: String,
    pub actor_name: String,
    pub action: String,
    pub object: String,
    /// `Ok`, `Denied` or `Failed`.
    pub outcome: String,
    pub reason: Option<String>,
    pub ip: String,
}

impl From<p::audit::AuditEntry> for AuditEntryView {
    fn from(e: p::audit::AuditEntry) -> Self {
        let (outcome, reason) = match e.outcome {
            p::audit::Outcome::Ok => ("Ok", None),
            p::audit::Outcome::Denied(r) => ("Denied", Some(r)),
            p::audit::Outcome::Failed(r) => ("Failed", Some(r)),
        };
        AuditEntryView {
            seq: e.seq,
            time: e.time,
            actor: e.actor,
            actor_name: e.actor_name,
            action: e.action,
            object: e.object,
            outcome: outcome.into(),
            reason,
            ip: e.ip,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SwitchesView {
    /// 允许个人 UKey 申请国办印章 (2.1.2.5).
    pub personal_ukey_signature: bool,
    /// 门户应用审核使用 (2.9.5).
    pub app_review: bool,
    /// CA 客服审核 (2.2.1).
    pub ca_review: bool,
}

impl From<p::Switches> for SwitchesView {
    fn from(s: p::Switches) -> Self {
        SwitchesView {
            personal_ukey_signature: s.personal_ukey_signature,
            app_review: s.app_review,
            ca_review: s.ca_review,
        }
    }
}

/// A signed-file record (2.6).
#[derive(Debug, Serialize, ToSchema)]
pub struct FileView {
    pub id: String,
    pub name: String,
    pub pages: u32,
    pub signer: String,
    pub signer_name: String,
    pub seals: Vec<String>,
    pub time: i64,
    /// `Pdf` or `Ofd`.
    pub format: String,
    pub size: u64,
    /// The document (uploads) this record was signed from, when known.
    pub document: Option<String>,
    /// Thumbnail (first page preview) URL, when the document is known.
    pub thumbnail_url: Option<String>,
}

impl From<p::FileRecord> for FileView {
    fn from(f: p::FileRecord) -> Self {
        let doc = f
            .thumbnail
            .as_deref()
            .and_then(|t| t.strip_prefix("doc:"))
            .map(str::to_owned);
        FileView {
            thumbnail_url: doc
                .as_ref()
                .map(|d| format!("/api/v1/documents/{d}/pages/1/preview")),
            document: doc,
            id: f.id,
            name: f.name,
            pages: f.pages,
            signer: f.signer,
            signer_name: f.signer_name,
            seals: f.seals,
            time: f.time,
            format: name_of(&f.format),
            size: f.size,
        }
    }
}

/// One page of a list (pages from 1, 50 items a page).
macro_rules! page_view {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Matches on all pages.
            pub total: usize,
            pub page: usize,
            pub pages: usize,
        }

        impl $name {
            pub fn new<T>(p: p::Page<T>, f: impl FnMut(T) -> $item) -> Self {
                $name {
                    items: p.items.into_iter().map(f).collect(),
                    total: p.total,
                    page: p.page,
                    pages: p.pages,
                }
            }
        }
    };
}

page_view!(StaffPage, StaffView, "A page of staff.");
page_view!(SealPage, SealView, "A page of seals.");
page_view!(FilePage, FileView, "A page of signed-file records.");
page_view!(
    AuditPage,
    AuditEntryView,
    "A page of audit entries, newest first."
);
