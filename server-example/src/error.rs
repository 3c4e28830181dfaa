//! RFC 9457 problem details (`application/problem+json`) for every error the API returns:
//! a stable `code`, the `field` at fault when there is one, and the message in Chinese and
//! English. Bad input is always 4xx; 403 is what the role may not do; 5xx only when the
//! server itself fails (database down, disk full).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eseal::platform::{PlatformError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem (RFC 9457 §3) with eseal's extension members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:eseal:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short English title of the problem type.
    pub title: String,
    pub status: u16,
    /// What happened in this case (English).
    pub detail: String,
    /// Stable machine-readable code (snake_case).
    pub code: String,
    /// The request field at fault, if any (JSON member or query parameter name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 中文说明.
    pub message_zh: String,
    /// English message.
    pub message_en: String,
}

/// An error of a handler.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub zh: String,
    pub detail: String,
    pub field: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        zh: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            title,
            zh: zh.into(),
            detail: detail.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, f: &str) -> Self {
        self.field = Some(f.to_owned());
        self
    }

    pub fn bad_request(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "Invalid input",
            zh,
            en,
        )
        .with_field(field)
    }

    pub fn unauthenticated(en: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign-in required",
            "请先登录",
            en,
        )
    }

    /// A file the server writes (an upload, a signed file) could not be written: 507
    /// Insufficient Storage (RFC 4918 §11.5) when the disk or the quota is full, 503 when the
    /// folder is unwritable or gone. Either way nothing was kept or recorded.
    pub fn storage(e: &std::io::Error, zh: impl Into<String>, detail: impl Into<String>) -> Self {
        use std::io::ErrorKind;
        let full = matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded);
        let detail = detail.into();
        tracing::error!(error = %detail, "storage full or unavailable");
        Self::new(
            if full {
                StatusCode::INSUFFICIENT_STORAGE
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            },
            "storage_unavailable",
            "Storage full or unavailable",
            zh,
            detail,
        )
    }

    pub fn not_found(en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            "未找到",
            en,
        )
    }

    pub fn internal(en: impl Into<String>) -> Self {
        let en = en.into();
        tracing::error!(error = %en, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "服务器内部错误",
            en,
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:eseal:problem:{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            field: self.field.clone(),
            message_zh: self.zh.clone(),
            message_en: self.detail.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut r = (self.status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        r
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> Self {
        use PlatformError as P;
        let en = e.to_string();
        match &e {
            P::Forbidden(_) => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "无权执行此操作",
                en,
            ),
            P::InvalidInput(m) => {
                let mut a = Self::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    "Invalid input",
                    "输入有误",
                    en.clone(),
                );
                a.field = guess_field(m);
                a
            }
            P::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                "未找到",
                en,
            ),
            P::Duplicate(_) => Self::new(
                StatusCode::CONFLICT,
                "duplicate",
                "Already exists",
                "已存在，不可重复",
                en,
            ),
            P::InvalidState(_) => Self::new(
                StatusCode::CONFLICT,
                "invalid_state",
                "Not possible in the current state",
                "当前状态下不能执行此操作",
                en,
            ),
            P::ConcurrentChange(_) => Self::new(
                StatusCode::CONFLICT,
                "concurrent_change",
                "Changed concurrently",
                "数据已被他人同时修改，请刷新后重试",
                en,
            ),
            P::LoginRefused(_) => Self::new(
                StatusCode::UNAUTHORIZED,
                "login_refused",
                "Sign-in refused",
                "登录被拒绝",
                en,
            ),
            P::ChallengeExpired => Self::new(
                StatusCode::UNAUTHORIZED,
                "challenge_expired",
                "Unknown or used challenge",
                "挑战码已失效，请重新登录",
                en,
            ),
            P::VerificationFailed(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "verification_failed",
                "Verification failed",
                "校验未通过（验证码、密码或确认信息有误）",
                en,
            ),
            P::RateLimited(_) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
                "操作过于频繁，请稍后再试",
                en,
            ),
            P::RequestRefused(_) => Self::new(
                StatusCode::UNAUTHORIZED,
                "request_refused",
                "Request refused",
                "请求被拒绝",
                en,
            ),
            P::AuditBroken(_) => Self::internal(format!("audit log: {en}")),
            P::Vault(_) | P::Random(_) | P::PasswordHash(_) => Self::internal(en),
            P::Sms(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "sms_unavailable",
                "SMS gateway unavailable",
                "短信服务暂不可用",
                en,
            ),
            P::Ca(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "ca_unavailable",
                "Certificate authority unavailable",
                "证书服务暂不可用",
                en,
            ),
            P::Stamp(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "Invalid input",
                "印章图片无法使用",
                en,
            )
            .with_field("picture"),
            P::Crypto(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "Invalid input",
                "证书或密钥无效",
                en,
            ),
            P::Ukey(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "ukey",
                "UKey operation failed",
                "UKey 操作失败",
                en,
            ),
            P::Ses(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "seal_unusable",
                "The seal cannot be used",
                "印章无法使用",
                en,
            ),
            // The seal's own refusal inside a document signing answers as the seal's.
            P::Pdf(eseal::pdf::PdfError::Ses(s)) | P::Ofd(eseal::ofd::OfdError::Ses(s)) => {
                P::Ses(s.clone()).into()
            }
            P::Pdf(_) | P::Ofd(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot_sign",
                "The document cannot be signed as asked",
                "无法按要求签署该文件",
                en,
            ),
            P::Store(StoreError::Backend(_)) => {
                let mut a = Self::internal(en);
                a.status = StatusCode::SERVICE_UNAVAILABLE;
                a.code = "store_unavailable";
                a.zh = "数据库暂不可用".into();
                a
            }
            P::Store(_) => Self::internal(en),
            P::Placement(
                eseal::placement::PlacementError::KeywordNotFound { .. }
                | eseal::placement::PlacementError::OccurrenceMissing { .. },
            ) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "keyword_not_found",
                "Keyword not found",
                "文件中未找到关键字，未签署",
                en,
            ),
            P::Placement(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_placement",
                "Invalid placement",
                "盖章位置无效",
                en,
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        PlatformError::from(e).into()
    }
}

/// The field a platform validation message names (`"phone: …"`, `"seal name is required"`).
fn guess_field(m: &str) -> Option<String> {
    const FIELDS: &[(&str, &str)] = &[
        ("handler name", "handler_name"),
        ("seal name", "name"),
        ("app name", "name"),
        ("signature text", "text"),
        ("device id", "device_id"),
        ("file name", "name"),
        ("phone", "phone"),
        ("ID number", "id_number"),
        ("id number", "id_number"),
        ("password", "password"),
        ("signing password", "signing_password"),
        ("e-mail", "email"),
        ("seal picture", "picture"),
        ("seal size", "width_mm"),
        ("reason", "reason"),
        ("name", "name"),
        ("public key", "public_key"),
        ("IP address", "ip_whitelist"),
        ("confirmers", "policy"),
    ];
    FIELDS
        .iter()
        .find(|(k, _)| m.contains(k))
        .map(|(_, f)| (*f).to_owned())
}
