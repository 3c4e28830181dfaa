//! The HTTP API: one router per chapter of the manual, merged here with the OpenAPI document
//! generated from the handlers' annotations (utoipa), the health endpoints and the layers
//! (request ids, tracing, timeouts, body limits, compression, problem+json for every error).

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::state::AppState;

pub mod apps;
pub mod audit;
pub mod auth;
pub mod documents;
pub mod health;
pub mod me;
pub mod open;
pub mod ops;
pub mod queue;
pub mod revocation;
pub mod roles;
pub mod seal_status;
pub mod seals;
pub mod staff;
pub mod tsa;
pub mod unit;
pub mod verify;
pub mod views;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eseal reference platform API",
        description = "HTTP API of every module of the e-seal platform manual (电子印章公共服务平台). Errors are RFC 9457 problem+json with a stable `code`, the `field` at fault and messages in Chinese and English.",
        license(name = "Apache-2.0 OR MIT")
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "1 登录: UKey, SMS code with captcha, password"),
        (name = "me", description = "2.1 个人中心"),
        (name = "unit", description = "1.2.1 单位: certificate application, UKeys, whitelist (2.4.7)"),
        (name = "seals", description = "2.2 印章管理"),
        (name = "staff", description = "2.3 人员管理"),
        (name = "roles", description = "2.4 权限管理"),
        (name = "documents", description = "2.5 文件签署, 2.6 文件管理"),
        (name = "verify", description = "2.7 文件验签"),
        (name = "queue", description = "2.8 签署授权"),
        (name = "apps", description = "2.9 应用中心"),
        (name = "audit", description = "2.10 审计"),
        (name = "ops", description = "运维后台: CA review, app review, platform switches"),
        (name = "revocation", description = "Revocation of the CA's certificates (RFC 5280 CRL, RFC 6960 OCSP over HTTP)"),
        (name = "seal-status", description = "The platform's signed seal status: revoked, frozen, expired seals (a list like a CRL, a single answer like OCSP; docs/seal-status.md)"),
        (name = "tsa", description = "Time-stamp authority (RFC 3161 over HTTP; SM2/SM3 tokens for GB/T 38540)"),
        (name = "open", description = "Open API for business systems (2.2.4, 2.8, 2.9; docs/open-api.md): signed requests (ESEAL-HMAC-SM3 or x-qys), cloud-seal signing with confirmation policies, tasks, verification, webhooks")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
        c.add_security_scheme(
            "open_native",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "ESEAL-HMAC-SM3 Credential=<access token>, Timestamp=<ms>, Nonce=<16-64 chars>, Signature=<hex HMAC-SM3(secret, canonical request)>[, Sm2=<base64>] (docs/open-api.md)",
            ))),
        );
        c.add_security_scheme(
            "open_qys",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-qys-signature",
                "with x-qys-accessToken and x-qys-timestamp: lower-case hex MD5(token + secret + timestamp) (manual 2.9.1)",
            ))),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation may answer an error not listed with it (a body too large, a wrong content
/// type, the database unavailable …): its `default` response is the problem document.
struct ProblemDefault;

impl utoipa::Modify for ProblemDefault {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = ResponseBuilder::new()
            .description("RFC 9457 problem: `code`, `field`, `message_zh`, `message_en`")
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| RefOr::T(problem.clone()));
            }
        }
    }
}

/// Every route of the API with its OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(unit::router())
        .merge(staff::router())
        .merge(roles::router())
        .merge(seals::router())
        .merge(documents::router())
        .merge(verify::router())
        .merge(queue::router())
        .merge(apps::router())
        .merge(audit::router())
        .merge(ops::router())
        .merge(open::router())
        .merge(tsa::router())
        .merge(revocation::router())
        .merge(seal_status::router())
        .split_for_parts();
    utoipa::Modify::modify(&ProblemDefault, &mut doc);
    (router, doc)
}

/// The application: API, OpenAPI document, public verification pages, layers.
pub fn app(state: AppState) -> Router {
    let (api, doc) = routes();
    let doc_json = doc.to_json().unwrap_or_else(|_| "{}".into());
    let timeout = Duration::from_secs(state.cfg.limits.long_request_timeout_secs);
    let api = api
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    doc_json.clone(),
                )
            }),
        )
        .merge(verify::public_pages())
        .layer(axum::extract::DefaultBodyLimit::max(
            state.cfg.limits.json_bytes,
        ));
    // Static files (the portal) when configured; unknown API paths stay problems.
    let api = match &state.cfg.web_dir {
        Some(dir) => api
            .route(
                "/api/{*rest}",
                axum::routing::any(|| async { ApiError::not_found("no such endpoint") }),
            )
            .fallback_service(tower_http::services::ServeDir::new(dir)),
        None => api.fallback(|| async { ApiError::not_found("no such endpoint") }),
    };
    api.layer(axum::middleware::map_response(problem_for_plain_errors))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Errors made by axum or tower (unknown route, wrong method, body too large, timeouts) come
/// as plain text; they become problem+json like every other error.
async fn problem_for_plain_errors(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_problem = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return r;
    }
    let (parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, title, zh) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Method not allowed",
            "不支持的请求方法",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            "Request body too large",
            "上传内容超过大小限制",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Unsupported media type",
            "不支持的内容类型",
        ),
        StatusCode::NOT_FOUND => ("not_found", "Not found", "未找到"),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "Request timed out", "请求超时")
        }
        s if s.is_client_error() => ("invalid_request", "Invalid request", "请求有误"),
        _ => ("internal", "Internal server error", "服务器内部错误"),
    };
    let mut e = ApiError::new(
        status,
        code,
        title,
        zh,
        if text.is_empty() {
            title.to_owned()
        } else {
            text
        },
    );
    e.status = status;
    let mut out = e.into_response();
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// The field a serde error names (`missing field \`phone\``, `… at line 1 column 5` does not).
pub(crate) fn serde_field(msg: &str) -> Option<String> {
    let start = msg.find('`')?;
    let rest = &msg[start + 1..];
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// JSON body whose rejections are problem+json (415 wrong type, 400 bad JSON or fields).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, st: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, st).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => {
                let text = r.body_text();
                let status = match r.status() {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut e = ApiError::new(
                    status,
                    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                        "unsupported_media_type"
                    } else {
                        "invalid_body"
                    },
                    "Invalid request body",
                    "请求内容格式有误（需要 JSON）",
                    text.clone(),
                );
                if status == StatusCode::BAD_REQUEST {
                    e.field = serde_field(&text);
                }
                Err(e)
            }
        }
    }
}

/// Query string whose rejections are problem+json (400 with the field).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, st).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => {
                let text = r.body_text();
                let mut e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "Invalid query parameters",
                    "查询参数有误",
                    text.clone(),
                );
                e.field = serde_field(&text);
                Err(e)
            }
        }
    }
}

/// Path parameters whose rejections are problem+json.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, st).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(r) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                "Invalid path parameter",
                "路径参数有误",
                r.body_text(),
            )),
        }
    }
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A body of bytes with a content type.
pub fn bytes(content_type: &str, data: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(data));
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// Ids in paths are platform ids (hex) or names: bounded and printable.
pub fn check_id(field: &str, v: &str) -> Result<(), ApiError> {
    if v.is_empty() || v.len() > 200 || v.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(
            field,
            "标识无效",
            format!("{field} is not a valid id"),
        ));
    }
    Ok(())
}

/// Field checks that name the request field at fault when the platform refused the input
/// (its messages name the rule, not the JSON member). They run after the platform's refusal,
/// so the permission matrix is always checked first (403 before 400).
pub mod check {
    /// Names the field of an `invalid_input` refusal by re-running the field checks.
    pub fn name_field(e: impl Into<ApiError>, checks: impl FnOnce() -> ApiResult<()>) -> ApiError {
        let mut e = e.into();
        if e.code == "invalid_input"
            && e.field.is_none()
            && let Err(f) = checks()
        {
            e.field = f.field;
        }
        e
    }

    use eseal::platform::validate;

    use crate::error::{ApiError, ApiResult};

    fn at(field: &str, r: Result<impl Sized, eseal::platform::PlatformError>) -> ApiResult<()> {
        r.map(|_| ())
            .map_err(|e| ApiError::from(e).with_field(field))
    }
    pub fn phone(field: &str, v: &str) -> ApiResult<()> {
        at(field, validate::check_phone(v))
    }
    pub fn id_number(field: &str, v: &str) -> ApiResult<()> {
        at(field, validate::check_id_number(v))
    }
    pub fn email(field: &str, v: &str) -> ApiResult<()> {
        at(field, validate::check_email(v))
    }
    pub fn text(field: &str, v: &str, max: usize) -> ApiResult<()> {
        at(field, validate::check_text(field, v, max))
    }
    /// The fields of a seal application (2.2.1, 2.1.2.5).
    pub fn seal_application(
        name: &str,
        handler_name: &str,
        handler_phone: &str,
        handler_id_number: &str,
    ) -> ApiResult<()> {
        text("name", name, 50)?;
        text("handler_name", handler_name, 50)?;
        phone("handler_phone", handler_phone)?;
        id_number("handler_id_number", handler_id_number)
    }
}
