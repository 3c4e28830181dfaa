//! The documents of the platform model (stored as JSON through [`super::Store`]).

use serde::{Deserialize, Serialize};

use super::perm::Role;

/// 委办单位 (1.2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Id of the main UKey (主 UKey), once set.
    pub main_key: Option<String>,
    /// Device ids (通用实体唯一标识) allowed to log in once a main key is set (2.4.7).
    pub whitelist: Vec<String>,
    /// The server certificate application (1.2.1.2).
    pub cert_application: Option<CertApplication>,
    /// The server certificate issued on that application (1.2.1.2, 2.1.1.2).
    #[serde(default)]
    pub certificate: Option<UnitCertificate>,
    pub avatar: Option<String>,
    pub created: i64,
}

/// 数字证书申请 (1.2.1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertApplication {
    pub handler_name: String,
    pub handler_id_number: String,
    pub handler_phone: String,
    pub handler_email: String,
    pub agreement_accepted: bool,
    pub applied: i64,
}

/// The unit's server certificate (服务端数字证书, 1.2.1.2): issued by the platform's CA for a
/// key held in the key vault; cloud seals of the unit sign with it. The fields are those the
/// portal shows (2.1.1.2: 颁发对象, 颁发者, 证件号, 序列号, 有效期, DN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCertificate {
    /// DER, base64.
    pub der_b64: String,
    /// The key vault's id of its private key.
    pub vault_key: String,
    /// Subject DN (颁发对象).
    pub subject: String,
    /// Issuer DN (颁发者).
    pub issuer: String,
    /// Serial number, upper-case hex (序列号).
    pub serial: String,
    /// 证件号: the unit's unified social credit code.
    pub id_number: String,
    pub not_before: i64,
    pub not_after: i64,
}

impl UnitCertificate {
    /// 有效性: within its validity at `now`.
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// A unit UKey identity, by certificate and device id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitKey {
    pub id: String,
    pub unit: String,
    /// Certificate serial (hex) of the 法人一证通 certificate.
    pub cert_serial: String,
    pub cert_subject: String,
    /// 通用实体唯一标识 (device id).
    pub device_id: String,
    /// The unit's first UKey: the super administrator.
    pub super_admin: bool,
    /// Its signing certificate (DER, base64) as verified at login.
    #[serde(default)]
    pub certificate: Option<String>,
    pub created: i64,
}

/// 公务人员 (2.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    /// Pinyin initial of the surname (2.3.4 letter filter).
    pub initial: char,
    /// 离职 status (2.3.4 filter); resigned staff cannot log in or be given roles.
    pub resigned: bool,
    /// Removed (2.3.3): cannot log in, no roles or seal rights; kept for history.
    pub removed: bool,
    pub roles: Vec<Role>,
    pub avatar: Option<String>,
    pub created: i64,
}

impl Staff {
    pub fn active(&self) -> bool {
        !self.removed && !self.resigned
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SealKind {
    /// USB KEY 印章.
    Ukey,
    /// 云端印章.
    Cloud,
    /// 公务人员国办签名 on a personal UKey (2.1.2.5).
    PersonalUkey,
}

/// Stored life-cycle state (2.2.1–2.2.2); 已过期 is derived, see [`SealRecord::effective_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SealStatus {
    /// 待审核
    PendingReview,
    /// 待回执
    AwaitingReceipt,
    /// 已否决
    Rejected,
    /// 有效
    Valid,
    /// 冻结
    Frozen,
    /// 已注销
    Revoked,
    /// 已过期 (derived only)
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealLogEntry {
    pub operator: String,
    pub action: String,
    pub time: i64,
}

/// 印章 (2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealRecord {
    pub id: String,
    pub unit: String,
    pub kind: SealKind,
    pub name: String,
    /// 印章类型 (e.g. 1 公章 …, GB/T 38540 esType), free code as applied.
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
    /// Picture bytes (base64) as applied.
    pub picture_b64: String,
    pub picture_format: String,
    pub width_mm: u32,
    pub height_mm: u32,
    pub status: SealStatus,
    pub reject_reason: Option<String>,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    /// Applicant identity id.
    pub applicant: String,
    /// Managers (the seal maker who applied is the first, 2.4.6).
    pub managers: Vec<String>,
    /// 印章使用人 (cloud seals only, 2.2.3); staff ids.
    pub users: Vec<String>,
    /// Owner of a personal UKey signature.
    pub owner: Option<String>,
    pub written_to_ukey: bool,
    /// Id of the made GB/T 38540 seal ([`SealDocument`]): made at receipt for a cloud seal,
    /// when written to its UKey for a UKey seal.
    #[serde(default)]
    pub document: Option<String>,
    /// `<vault key id>|<SEC1 hex public key>` of the server-held key a cloud seal signs with
    /// (the unit's server certificate key).
    pub public_key: Option<String>,
    /// Signatures made with the seal (a store counter, filled in when the platform returns a
    /// seal; not kept in this document, so a signature does not rewrite it).
    #[serde(default)]
    pub sign_count: u64,
    pub log: Vec<SealLogEntry>,
    pub created: i64,
}

impl SealRecord {
    /// Status shown to users: a valid or frozen seal past its validity end is 已过期.
    pub fn effective_status(&self, now: i64) -> SealStatus {
        match self.status {
            SealStatus::Valid | SealStatus::Frozen if self.valid_to.is_some_and(|t| now > t) => {
                SealStatus::Expired
            }
            s => s,
        }
    }
}

/// Personal signature (个人签名, 2.1.2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignatureSource {
    /// Handwritten (scanned QR upload) or a local picture.
    Uploaded { format: String, picture_b64: String },
    /// Generated square (方形章) seal from the name.
    GeneratedSquare,
    /// Generated rectangular (长方形章) seal from the name.
    GeneratedRect,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalSignature {
    /// = staff id.
    pub id: String,
    pub text: String,
    pub source: SignatureSource,
    pub updated: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppStatus {
    /// 待审核
    PendingReview,
    /// 有效
    Valid,
    /// 已拒绝
    Rejected { reason: String },
    /// 已删除
    Deleted,
}

/// 应用 (2.9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// SM2 public key as entered (base64); checked on save.
    pub public_key_b64: Option<String>,
    /// IP whitelist; empty = off.
    pub ip_whitelist: Vec<String>,
    pub status: AppStatus,
    pub access_token: String,
    pub access_secret: String,
    pub created: i64,
}

/// 签署确认 policy (2.2.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfirmPolicy {
    /// 无需确认
    None,
    /// 系统校验: call limit, optional token check.
    SystemCheck {
        call_limit: Option<u64>,
        token_check: bool,
    },
    /// 人工确认: confirmers (staff ids), SMS notice.
    Manual {
        confirmers: Vec<String>,
        sms_notice: bool,
    },
}

/// Authorisation of a cloud seal for an app (2.2.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `<seal>:<app>`.
    pub id: String,
    pub unit: String,
    pub seal: String,
    pub app: String,
    /// 外部应用 (app of another unit, added by app id).
    pub external: bool,
    pub policy: ConfirmPolicy,
    pub calls: u64,
    /// The token a system-check call must present (token_check).
    pub call_token: String,
    /// Changes each time the seal is granted anew: names the grant's call counter, so a
    /// fresh grant counts from 0 (the count itself is a store counter, not in this document).
    #[serde(default)]
    pub epoch: String,
    /// Removed from the seal (授权管理 "删"); may be granted again.
    #[serde(default)]
    pub removed: bool,
    pub created: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QueueStatus {
    Pending,
    Approved,
    Rejected,
    /// Approved and then used for the signature.
    Used,
}

/// One call waiting for 人工确认 (2.8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: String,
    pub unit: String,
    pub grant: String,
    pub seal: String,
    pub seal_name: String,
    pub app: String,
    pub app_name: String,
    pub file_name: String,
    pub file_type: FileFormat,
    pub pages: u32,
    pub time: i64,
    pub status: QueueStatus,
    /// The confirmers named on the grant when the call was queued: only they decide (2.8).
    #[serde(default)]
    pub confirmers: Vec<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileFormat {
    Pdf,
    Ofd,
}

/// Signed-file record (2.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub pages: u32,
    /// Identity id of the signer and its display name.
    pub signer: String,
    pub signer_name: String,
    pub seals: Vec<String>,
    pub time: i64,
    pub format: FileFormat,
    pub size: u64,
    pub thumbnail: Option<String>,
    pub deleted: bool,
}

/// Password material of a staff member (id = staff id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PasswordRecord {
    pub id: String,
    pub password_hash: Option<String>,
    pub signing_password_hash: Option<String>,
    pub failed_logins: u32,
    pub locked_until: Option<i64>,
    /// Wrong signing passwords in a row (2.1.2.4).
    #[serde(default)]
    pub failed_signing: u32,
    /// Signing with the password is locked until then (an SMS code still works).
    #[serde(default)]
    pub signing_locked_until: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SmsPurpose {
    Login,
    ResetPassword,
    SetPassword,
    Sign,
    ChangePhone,
}

impl SmsPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsPurpose::Login => "login",
            SmsPurpose::ResetPassword => "reset",
            SmsPurpose::SetPassword => "set",
            SmsPurpose::Sign => "sign",
            SmsPurpose::ChangePhone => "phone",
        }
    }
}

/// SMS state of one phone (id = phone): current code per purpose and the send history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SmsState {
    pub id: String,
    pub codes: Vec<SmsCodeEntry>,
    /// Send times (unix seconds) within the last hour.
    pub sends: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCodeEntry {
    pub purpose: SmsPurpose,
    /// SM3 of the code (codes are not kept in clear).
    pub code_hash: String,
    pub expires: i64,
    pub attempts: u32,
    pub used: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captcha {
    pub id: String,
    pub answer_hash: String,
    pub expires: i64,
    pub used: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationToken {
    pub id: String,
    pub seal: String,
    pub actor: String,
    pub expires: i64,
    pub used: bool,
}

/// Platform switches of the operations back office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    /// 允许个人 UKey 申请国办印章 (2.1.2.5).
    pub personal_ukey_signature: bool,
    /// 门户应用审核使用 (2.9.5).
    pub app_review: bool,
    /// CA 客服审核 of seals and signatures (2.2.1): when off, applications go straight to 待回执.
    pub ca_review: bool,
}

impl Switches {
    /// The id of the one switches document.
    pub const ID: &'static str = "switches";
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            personal_ukey_signature: false,
            app_review: false,
            ca_review: true,
        }
    }
}

/// A short-lived record that only needs to exist until it expires (an open-API nonce).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiring {
    pub id: String,
    pub expires: i64,
}

/// A 流水号 used under token check (id = `<grant>|<epoch>|<serial>`), refused again until it
/// expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedSerial {
    pub id: String,
    pub grant: String,
    pub expires: i64,
}

/// A login challenge: random bytes a UKey signs, single use, short expiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub id: String,
    /// The bytes to sign (hex).
    pub challenge: String,
    pub expires: i64,
}

/// A made seal (GB/T 38540 DER, base64), apart from its seal record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealDocument {
    pub id: String,
    pub seal: String,
    pub der_b64: String,
    pub made: i64,
}

/// A signed audit checkpoint as stored (newest found by `time`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheckpoint {
    pub id: String,
    pub time: i64,
    pub signed: super::audit::SignedCheckpoint,
}
