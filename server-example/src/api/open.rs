//! The open API for business systems (`/open/v1`, issue 14; manual 2.2.4, 2.8, 2.9).
//!
//! Every request is authenticated as an app by [`OpenCall`]: the native scheme
//! (`Authorization: ESEAL-HMAC-SM3 …` over method, path, sorted query, SM3 of the body,
//! timestamp and nonce) or the manual's x-qys headers; a refusal is 401 with the code of the
//! check that failed (`eseal::platform::openapi::Refusal::code`), audited by the platform.
//! Apps upload a PDF or OFD, sign it with a cloud seal granted to them (synchronously up to
//! `open_api.sync_max_bytes`, else a task: 202), follow tasks (manual confirmation waits in
//! the approval queue), verify documents, register a webhook and read its delivery log.
//! Tasks and webhook deliveries are run by [`worker`] in every server process; the store's
//! compare-and-set leases make each run once. The protocol: `docs/open-api.md`.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eseal::platform::openapi::{self, CheckError, NativeRequest, OpenApiHeaders};
use eseal::platform::{
    self as p, App, AppDocCall, AppDocOutcome, DeliveryAttempt, FileFormat, OpenTask, TaskStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiPath, ApiQuery};
use crate::auth::ClientIp;
use crate::documents::{self, DocRecord, SignedVersion};
use crate::error::{ApiError, ApiResult};
use crate::signing::{self, QrPlacement, SealUse, Stamp};
use crate::state::{AppState, Inner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(seals))
        .routes(routes!(upload))
        .routes(routes!(sign))
        .routes(routes!(signed_file))
        .routes(routes!(task))
        .routes(routes!(verify))
        .routes(routes!(get_webhook, put_webhook, delete_webhook))
        .routes(routes!(events))
        .routes(routes!(redeliver))
}

// ------------------------------------------------------------------ authentication

fn refused(r: &openapi::Refusal) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        r.code(),
        "Open API request refused",
        "开放接口请求被拒绝（签名、时间戳、重放、应用状态或 IP 校验未通过）",
        r.to_string(),
    )
}

/// Checks a request's credentials (native or x-qys) for a body with SM3 `body_sm3`.
pub fn authenticate(
    s: &Inner,
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body_sm3: &str,
    ip: &str,
) -> ApiResult<App> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let window = s.cfg.open_api.timestamp_window_ms;
    let r = match h(header::AUTHORIZATION.as_str()) {
        Some(a) if a.starts_with(openapi::NATIVE_SCHEME) => openapi::check_native(
            &s.platform,
            a,
            &NativeRequest {
                method,
                path: uri.path(),
                query: uri.query().unwrap_or(""),
                body_sm3_hex: body_sm3,
            },
            ip,
            window,
        ),
        _ => openapi::check_request_within(
            &s.platform,
            &OpenApiHeaders {
                access_token: h("x-qys-accesstoken").unwrap_or("").to_owned(),
                timestamp: h("x-qys-timestamp").unwrap_or("").to_owned(),
                signature: h("x-qys-signature").unwrap_or("").to_owned(),
                signature_sign: h("x-qys-signature-sign").map(str::to_owned),
            },
            ip,
            window,
        ),
    };
    r.map_err(|e| match e {
        CheckError::Refused(r) => refused(&r),
        CheckError::Platform(p) => p.into(),
    })
}

/// An authenticated app request and its body (JSON routes: at most `limits.json_bytes`).
pub struct OpenCall {
    pub app: App,
    pub ip: String,
    pub body: axum::body::Bytes,
}

impl FromRequest<AppState> for OpenCall {
    type Rejection = ApiError;
    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let ip = <ClientIp as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, st,
        )
        .await
        .map(|c| c.0)
        .unwrap_or_default();
        let body = axum::body::to_bytes(body, st.cfg.limits.json_bytes)
            .await
            .map_err(|e| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "Request body too large",
                    "请求内容过大",
                    e.to_string(),
                )
            })?;
        let sm3 = hex::encode(eseal::crypto::sm3::sm3(&body));
        let ip2 = ip.clone();
        let app = st
            .blocking(move |s| {
                authenticate(
                    s,
                    parts.method.as_str(),
                    &parts.uri,
                    &parts.headers,
                    &sm3,
                    &ip2,
                )
            })
            .await?;
        Ok(OpenCall { app, ip, body })
    }
}

impl OpenCall {
    fn json<T: serde::de::DeserializeOwned>(&self) -> ApiResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let mut a = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "Invalid request body",
                "请求内容格式有误（需要 JSON）",
                e.to_string(),
            );
            a.field = super::serde_field(&e.to_string());
            a
        })
    }
}

fn app_owner(app: &str) -> String {
    format!("app:{app}")
}

// ------------------------------------------------------------------ views

/// A cloud seal granted to the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSeal {
    pub id: String,
    pub name: String,
    /// `valid`, `frozen`, `revoked`, `expired` …
    pub status: String,
    pub valid_to: Option<i64>,
    pub width_mm: u32,
    pub height_mm: u32,
    /// `none`, `system_check` or `manual`.
    pub policy: String,
    /// Calls counted on the grant.
    pub calls: u64,
    /// Calls left under a system-check limit.
    pub remaining_calls: Option<u64>,
    /// Each call presents a 流水号 (`serial`) and the grant's token.
    pub token_check: bool,
}

/// An uploaded document of the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenDocument {
    pub id: String,
    pub name: String,
    /// `pdf` or `ofd`.
    pub format: String,
    pub pages: usize,
    pub size: u64,
    pub sm3: String,
}

/// A signing task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    /// `queued`, `awaiting_approval`, `completed`, `rejected`, `failed`.
    pub status: String,
    pub seal: String,
    pub document: Option<String>,
    pub queue_item: Option<String>,
    pub file_record: Option<String>,
    pub reason: Option<String>,
    pub created: i64,
    pub updated: i64,
}

/// The answer of a signing request: `completed` (200) or a task (202).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignAnswer {
    /// `completed`, or the task's status.
    pub status: String,
    pub document: String,
    pub file_record: Option<String>,
    pub task: Option<TaskView>,
    pub size: Option<u64>,
    pub sm3: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub time: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub millis: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub event: String,
    pub created: i64,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    pub data: serde_json::Value,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// The work of a task, kept in the platform's task record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Spec {
    document: String,
    seal: SealUse,
    qr: Option<QrPlacement>,
}

fn task_view(t: &OpenTask) -> TaskView {
    TaskView {
        id: t.id.clone(),
        status: t.status.as_str().into(),
        seal: t.seal.clone(),
        document: serde_json::from_str::<Spec>(&t.spec)
            .ok()
            .map(|s| s.document),
        queue_item: t.queue_item.clone(),
        file_record: t.file_record.clone(),
        reason: t.reason.clone(),
        created: t.created,
        updated: t.updated,
    }
}

fn event_view(e: p::WebhookEvent) -> EventView {
    EventView {
        id: e.id,
        event: e.event,
        created: e.created,
        status: e.status.as_str().into(),
        data: e.data,
        deliveries: e
            .deliveries
            .into_iter()
            .map(|d| DeliveryView {
                time: d.time,
                status: d.status,
                error: d.error,
                millis: d.millis,
            })
            .collect(),
    }
}

fn policy_name(p: &p::ConfirmPolicy) -> (&'static str, bool) {
    match p {
        p::ConfirmPolicy::None => ("none", false),
        p::ConfirmPolicy::SystemCheck { token_check, .. } => ("system_check", *token_check),
        p::ConfirmPolicy::Manual { .. } => ("manual", false),
    }
}

// ------------------------------------------------------------------ seals

/// The cloud seals granted to the calling app: state, policy, calls left.
#[utoipa::path(get, path = "/open/v1/seals", tag = "open", responses(
    (status = 200, body = Vec<OpenSeal>),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn seals(State(st): State<AppState>, call: OpenCall) -> ApiResult<Json<Vec<OpenSeal>>> {
    st.blocking(move |s| {
        let now = s.clock.now();
        Ok(Json(
            s.platform
                .app_seals(&call.app.id)?
                .into_iter()
                .map(|a| {
                    let (policy, token_check) = policy_name(&a.grant.policy);
                    OpenSeal {
                        id: a.seal.id.clone(),
                        name: a.seal.name.clone(),
                        status: p::seal_status_name(a.seal.effective_status(now)).into(),
                        valid_to: a.seal.valid_to,
                        width_mm: a.seal.width_mm,
                        height_mm: a.seal.height_mm,
                        policy: policy.into(),
                        calls: a.grant.calls,
                        remaining_calls: a.remaining_calls,
                        token_check,
                    }
                })
                .collect(),
        ))
    })
    .await
}

// ------------------------------------------------------------------ documents

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// File name shown in the file list (2.6).
    pub name: String,
}

/// Uploads a PDF or OFD (body = the file, `application/pdf`, `application/ofd` or
/// `application/octet-stream`). The native signature covers the SM3 of the file.
#[utoipa::path(post, path = "/open/v1/documents", tag = "open", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the PDF or OFD file"),
    responses(
        (status = 201, body = OpenDocument),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    ), security(("open_native" = []), ("open_qys" = [])))]
async fn upload(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let declared = documents::declared_format(
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let name = documents::clean_name(&q.name)?;
    let id = crate::random_hex(12)?;
    let dir = st.docs_dir.join(&id);
    let limit = st.cfg.limits.upload_bytes.min(p::MAX_FILE_SIZE);
    let got = match documents::receive(Body::new(body), &dir, declared, limit).await {
        Ok(g) => g,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e);
        }
    };
    let r = st
        .blocking(move |s| {
            let app = authenticate(
                s,
                parts.method.as_str(),
                &parts.uri,
                &parts.headers,
                &got.sm3,
                &ip,
            )?;
            let pages = documents::measure(got.format, &got.path)?;
            let d = DocRecord {
                id: id.clone(),
                owner: app_owner(&app.id),
                unit: app.unit.clone(),
                name,
                format: got.format,
                size: got.size,
                sm3: got.sm3,
                pages,
                created: s.clock.now(),
                signed: None,
            };
            std::fs::rename(&got.path, documents::original_path(s, &d))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            documents::save(s, &d)?;
            Ok(d)
        })
        .await;
    match r {
        Ok(d) => Ok((StatusCode::CREATED, Json(doc_view(&d))).into_response()),
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Err(e)
        }
    }
}

fn doc_view(d: &DocRecord) -> OpenDocument {
    OpenDocument {
        id: d.id.clone(),
        name: d.name.clone(),
        format: p::format_name(d.format).into(),
        pages: d.pages.len(),
        size: d.size,
        sm3: d.sm3.clone(),
    }
}

/// The app's own document.
fn app_doc(s: &Inner, app: &str, id: &str) -> ApiResult<DocRecord> {
    let d = documents::load(s, id)?;
    if d.owner != app_owner(app) {
        return Err(ApiError::not_found(format!("document {id}")));
    }
    Ok(d)
}

/// Where a granted cloud seal goes on the document (mm from the page's top-left corner).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSignRequest {
    pub seal_id: String,
    #[serde(default)]
    pub stamps: Vec<Stamp>,
    /// 骑缝章 across the right edges of all pages.
    #[serde(default)]
    pub cross_page: bool,
    /// Stamps placed by keyword (in addition to `stamps`); not found is 422
    /// `keyword_not_found`, nothing signed.
    pub keyword: Option<signing::KeywordPlacement>,
    pub qr: Option<QrPlacement>,
    /// 流水号 (system check with token check): never used twice on the grant.
    pub serial: Option<String>,
    /// The grant's call token (system check with token check).
    pub token: Option<String>,
}

/// Signs the app's document with a granted cloud seal under the grant's confirmation policy:
/// 200 when signed within the request; 202 with a task when the file is larger than
/// `open_api.sync_max_bytes` or the policy needs manual confirmation (the task then waits in
/// the approval queue).
#[utoipa::path(post, path = "/open/v1/documents/{id}/sign", tag = "open", params(("id" = String, Path)),
    request_body = OpenSignRequest,
    responses(
        (status = 200, body = SignAnswer, description = "signed"),
        (status = 202, body = SignAnswer, description = "a task: queued or awaiting approval"),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json")
    ), security(("open_native" = []), ("open_qys" = [])))]
async fn sign(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    call: OpenCall,
) -> ApiResult<Response> {
    let req: OpenSignRequest = call.json()?;
    st.blocking(move |s| {
        let d = app_doc(s, &call.app.id, &id)?;
        if d.signed.is_some() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_signed",
                "The document is signed already",
                "该文件已签署",
                "upload the document again to sign it anew",
            ));
        }
        let asked = SealUse {
            seal_id: req.seal_id.clone(),
            stamps: req.stamps.clone(),
            cross_page: req.cross_page,
            keyword: req.keyword.clone(),
        };
        signing::check_request(
            &d,
            std::slice::from_ref(&asked),
            &req.qr,
            &signing::CredentialInput::Ukey,
        )?;
        // Keywords become stamps now: a task signs later what was found here.
        let app_seals = s.platform.app_seals(&call.app.id)?;
        let granted = app_seals
            .iter()
            .find(|a| a.seal.id == req.seal_id)
            .ok_or_else(|| {
                ApiError::from(p::PlatformError::Forbidden(
                    "the seal is not granted to this app".into(),
                ))
            })?;
        let original = std::fs::read(documents::original_path(s, &d))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let seal_use = signing::resolve(
            &d,
            &original,
            std::slice::from_ref(&asked),
            std::slice::from_ref(&granted.seal),
        )?
        .remove(0);
        signing::check_request(
            &d,
            std::slice::from_ref(&seal_use),
            &req.qr,
            &signing::CredentialInput::Ukey,
        )?;
        let spec = Spec {
            document: d.id.clone(),
            seal: seal_use,
            qr: req.qr.clone(),
        };
        let call_args = AppDocCall {
            serial: req.serial.clone(),
            token: req.token.clone(),
            spec: serde_json::to_string(&spec).map_err(|e| ApiError::internal(e.to_string()))?,
        };
        // A manual policy queues the call at once whatever the size (nothing is signed
        // before the decision); other large files are signed by a worker.
        let manual = matches!(granted.grant.policy, p::ConfirmPolicy::Manual { .. });
        if d.size > s.cfg.open_api.sync_max_bytes && !manual {
            let t = s.platform.create_task(
                &call.app.id,
                &req.seal_id,
                &call_args,
                &d.name,
                d.format,
                d.pages.len() as u32,
                &call.ip,
            )?;
            return Ok(task_answer(&d, &t));
        }
        match run_signing(s, &call.app.id, &spec, &d, |doc, persist| {
            s.platform.app_sign_document(
                &call.app.id,
                &spec.seal.seal_id,
                &call_args,
                doc,
                &call.ip,
                persist,
            )
        })? {
            (AppDocOutcome::Signed(rec), Some(v)) => Ok(Json(SignAnswer {
                status: "completed".into(),
                document: d.id.clone(),
                file_record: Some(rec.id),
                task: None,
                size: Some(v.size),
                sm3: Some(v.sm3),
            })
            .into_response()),
            (AppDocOutcome::Task(t), _) => Ok(task_answer(&d, &t)),
            (AppDocOutcome::Signed(_), None) => {
                Err(ApiError::internal("signed without a signed file"))
            }
        }
    })
    .await
}

fn task_answer(d: &DocRecord, t: &OpenTask) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(SignAnswer {
            status: t.status.as_str().into(),
            document: d.id.clone(),
            file_record: None,
            task: Some(task_view(t)),
            size: None,
            sm3: None,
        }),
    )
        .into_response()
}

/// Runs one platform signing of `d` along `spec`: the document lock, the layout, and
/// [`signing::commit_signed`] (the signed file kept before the platform's batch commits, the
/// document record updated after). Returns the platform's outcome and the signed version.
fn run_signing<T>(
    s: &Inner,
    app: &str,
    spec: &Spec,
    d: &DocRecord,
    f: impl FnOnce(&p::DocumentInput, &mut p::Persist<'_>) -> Result<T, p::PlatformError>,
) -> ApiResult<(T, Option<SignedVersion>)> {
    let mut lock = signing::SignLock::take(s, &d.id)?;
    let seal = s
        .platform
        .app_seals(app)?
        .into_iter()
        .find(|a| a.seal.id == spec.seal.seal_id)
        .ok_or_else(|| {
            ApiError::from(p::PlatformError::Forbidden(
                "the seal is not granted to this app".into(),
            ))
        })?
        .seal;
    let qr = signing::qr_of(s, d, &spec.qr)?;
    let bytes = std::fs::read(documents::original_path(s, d))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let doc = p::DocumentInput {
        name: d.name.clone(),
        bytes,
        layout: signing::layout(d, &spec.seal, &seal, qr.as_ref()),
        thumbnail: Some(format!("doc:{}", d.id)),
    };
    let mut d = d.clone();
    let seals = [(seal.id.clone(), seal.name.clone())];
    // The file kept before the batch commits, the document updated after (`recovery`).
    let (out, version) =
        signing::commit_signed(s, &mut lock, &mut d, &seals, |persist| f(&doc, persist))?;
    Ok((out, version.map(|(v, _)| v)))
}

/// The signed file of the app's document.
#[utoipa::path(get, path = "/open/v1/documents/{id}/signed", tag = "open", params(("id" = String, Path)), responses(
    (status = 200, description = "the signed PDF or OFD", content_type = "application/octet-stream"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn signed_file(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    call: OpenCall,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = app_doc(s, &call.app.id, &id)?;
        if d.signed.is_none() {
            return Err(ApiError::not_found("the document is not signed (yet)"));
        }
        let bytes = std::fs::read(documents::signed_path(s, &d))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let ct = match d.format {
            FileFormat::Pdf => "application/pdf",
            FileFormat::Ofd => "application/ofd",
        };
        Ok(super::bytes(ct, bytes))
    })
    .await
}

/// A signing task of the app.
#[utoipa::path(get, path = "/open/v1/tasks/{id}", tag = "open", params(("id" = String, Path)), responses(
    (status = 200, body = TaskView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn task(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    call: OpenCall,
) -> ApiResult<Json<TaskView>> {
    st.blocking(move |s| Ok(Json(task_view(&s.platform.app_task(&call.app.id, &id)?))))
        .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// File name for the report.
    pub name: Option<String>,
    /// `pdf` or `ofd` (default: sniffed).
    pub format: Option<String>,
}

/// Verifies a PDF or OFD (body = the file, at most `limits.json_bytes`): the report of
/// `eseal … verify --json` with the platform's trust anchors, `verdict` and `exit_code`.
#[utoipa::path(post, path = "/open/v1/verify", tag = "open", params(VerifyQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the PDF or OFD file"),
    responses(
        (status = 200, body = serde_json::Value, description = "the verification report"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    ), security(("open_native" = []), ("open_qys" = [])))]
async fn verify(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<VerifyQuery>,
    call: OpenCall,
) -> ApiResult<Json<serde_json::Value>> {
    st.blocking(move |s| {
        let format = match q.format.as_deref() {
            Some("pdf") => FileFormat::Pdf,
            Some("ofd") => FileFormat::Ofd,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "format",
                    "格式只能是 pdf 或 ofd",
                    "format is pdf or ofd",
                ));
            }
            None => documents::sniff(&call.body).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Not a PDF or OFD",
                    "只支持 PDF 或 OFD 文件",
                    "the body is neither a PDF nor an OFD",
                )
            })?,
        };
        let name = match &q.name {
            Some(n) => documents::clean_name(n)?,
            None => "upload".into(),
        };
        let rep = signing::verify_bytes(s, &name, format, call.body.to_vec(), false)?;
        Ok(Json(signing::report_json(&rep)))
    })
    .await
}

// ------------------------------------------------------------------ webhooks

/// The app's callback URL.
#[utoipa::path(get, path = "/open/v1/webhook", tag = "open", responses(
    (status = 200, body = WebhookView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn get_webhook(State(st): State<AppState>, call: OpenCall) -> ApiResult<Json<WebhookView>> {
    st.blocking(move |s| {
        Ok(Json(WebhookView {
            url: s.platform.webhook(&call.app.id)?.map(|w| w.url),
        }))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `http://…` or `https://…`.
    pub url: String,
}

/// Registers (or replaces) the app's callback URL; events are written from then on.
#[utoipa::path(put, path = "/open/v1/webhook", tag = "open", request_body = WebhookInput, responses(
    (status = 200, body = WebhookView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn put_webhook(State(st): State<AppState>, call: OpenCall) -> ApiResult<Json<WebhookView>> {
    let w: WebhookInput = call.json()?;
    st.blocking(move |s| {
        s.platform
            .set_webhook(&call.app.id, Some(&w.url), &call.ip)
            .map_err(|e| ApiError::from(e).with_field("url"))?;
        Ok(Json(WebhookView { url: Some(w.url) }))
    })
    .await
}

/// Removes the app's callback URL.
#[utoipa::path(delete, path = "/open/v1/webhook", tag = "open", responses(
    (status = 204, description = "removed"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn delete_webhook(State(st): State<AppState>, call: OpenCall) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.set_webhook(&call.app.id, None, &call.ip)?;
        Ok(super::no_content())
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Page from 1 (50 a page).
    pub page: Option<usize>,
}

/// The app's webhook events, newest first, with every delivery attempt.
#[utoipa::path(get, path = "/open/v1/events", tag = "open", params(EventsQuery), responses(
    (status = 200, body = EventPage),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn events(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    call: OpenCall,
) -> ApiResult<Json<EventPage>> {
    st.blocking(move |s| {
        let pg = s.platform.app_events(&call.app.id, q.page.unwrap_or(1))?;
        Ok(Json(EventPage {
            items: pg.items.into_iter().map(event_view).collect(),
            total: pg.total,
            page: pg.page,
            pages: pg.pages,
        }))
    })
    .await
}

/// Delivers an event again (also a delivered or given-up one).
#[utoipa::path(post, path = "/open/v1/events/{id}/redeliver", tag = "open", params(("id" = String, Path)), responses(
    (status = 200, body = EventView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("open_native" = []), ("open_qys" = [])))]
async fn redeliver(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    call: OpenCall,
) -> ApiResult<Json<EventView>> {
    st.blocking(move |s| Ok(Json(event_view(s.platform.redeliver(&call.app.id, &id)?))))
        .await
}

// ------------------------------------------------------------------ the worker

/// The signature headers of a webhook delivery: `X-Eseal-Timestamp` (ms) and
/// `X-Eseal-Signature: ESEAL-HMAC-SM3 <hex HMAC-SM3(secret, timestamp + "\n" + body)>`.
pub fn webhook_signature(secret: &str, timestamp_ms: i64, body: &str) -> String {
    let signed = format!("{timestamp_ms}\n{body}");
    format!(
        "{} {}",
        openapi::NATIVE_SCHEME,
        hex::encode(openapi::hmac_sm3(secret.as_bytes(), signed.as_bytes()))
    )
}

/// The roots trusted for `https://` callbacks: `open_api.webhook_ca_file`, else the
/// system's bundle (`SSL_CERT_FILE`, `/etc/ssl/certs/ca-certificates.crt`); none found means
/// HTTPS callbacks fail (logged in each delivery) while HTTP ones work.
fn webhook_roots(s: &Inner) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let path = match &s.cfg.open_api.webhook_ca_file {
        Some(p) => p.clone(),
        None => match std::env::var_os("SSL_CERT_FILE") {
            Some(p) => p.into(),
            None => "/etc/ssl/certs/ca-certificates.crt".into(),
        },
    };
    let pem = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) if s.cfg.open_api.webhook_ca_file.is_none() => return Ok(vec![]),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut roots = vec![];
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(c) =
            item.map_err(|e| format!("{}: {e}", path.display()))?
        {
            roots.push(c);
        }
    }
    if roots.is_empty() && s.cfg.open_api.webhook_ca_file.is_some() {
        return Err(format!("{}: no certificate", path.display()));
    }
    Ok(roots)
}

/// The HTTP(S) client of webhook deliveries: TLS by rustls (ring) with [`webhook_roots`],
/// the configured timeout, no redirects (a callback answers itself). A configured CA file
/// that cannot be read is logged as an error and trusts nothing: HTTPS deliveries then fail
/// (each failure in the delivery log), plain HTTP ones go on.
pub fn webhook_agent(s: &Inner) -> ureq::Agent {
    let roots = webhook_roots(s).unwrap_or_else(|e| {
        tracing::error!(error = %e, "open API webhook CA file: HTTPS callbacks will fail");
        vec![]
    });
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(
            s.cfg.open_api.webhook_timeout_secs.max(1),
        )))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// The retry policy of deliveries from the configuration.
fn retry_policy(s: &Inner) -> p::RetryPolicy {
    let c = &s.cfg.open_api;
    p::RetryPolicy {
        first_secs: c.webhook_retry_first_secs,
        max_secs: c.webhook_retry_max_secs,
        max_attempts: c.webhook_max_attempts.max(1),
    }
}

fn deliver(
    s: &Inner,
    agent: &ureq::Agent,
    e: &p::WebhookEvent,
    url: &str,
    secret: &str,
) -> DeliveryAttempt {
    let body = e.body();
    let ts = s.clock.now() * 1000;
    let started = Instant::now();
    let r = agent
        .post(url)
        .header("content-type", "application/json")
        .header("x-eseal-event-id", &e.id)
        .header("x-eseal-event-seq", &e.seq.to_string())
        .header("x-eseal-event", &e.event)
        .header("x-eseal-timestamp", &ts.to_string())
        .header("x-eseal-signature", &webhook_signature(secret, ts, &body))
        .send(body.as_bytes());
    let millis = started.elapsed().as_millis() as u64;
    match r {
        Ok(resp) => DeliveryAttempt {
            time: s.clock.now(),
            status: Some(resp.status().as_u16()),
            error: None,
            millis,
        },
        Err(err) => DeliveryAttempt {
            time: s.clock.now(),
            status: None,
            error: Some(err.to_string()),
            millis,
        },
    }
}

/// Runs one task a worker took: rebuilds the document input from its spec and signs.
fn run_task(s: &Inner, t: &OpenTask) -> ApiResult<()> {
    let spec: Spec = match serde_json::from_str(&t.spec) {
        Ok(x) => x,
        Err(e) => {
            s.platform.fail_task(t, &format!("task spec: {e}"))?;
            return Ok(());
        }
    };
    let d = match app_doc(s, &t.app, &spec.document) {
        Ok(d) => d,
        Err(e) => {
            s.platform.fail_task(t, &e.detail)?;
            return Ok(());
        }
    };
    let ip = "worker";
    let r = run_signing(s, &t.app, &spec, &d, |doc, persist| {
        s.platform.complete_task(t, doc, ip, persist)
    });
    match r {
        Ok(_) => Ok(()),
        // The lock is another signing of the same document: try again after the lease.
        Err(e) if e.code == "signing_in_progress" => Ok(()),
        Err(e) => {
            // complete_task fails the task itself on the rules' refusals; anything before
            // it (the seal no longer granted, the file gone) fails it here.
            let now = s.platform.app_task(&t.app, &t.id)?;
            if now.status == TaskStatus::Queued && now.attempts == t.attempts {
                s.platform.fail_task(t, &e.detail)?;
            }
            Ok(())
        }
    }
}

/// One round of the worker: every due task, then every due webhook event.
pub fn work_once(s: &Inner, agent: &ureq::Agent) -> ApiResult<(usize, usize)> {
    let mut tasks = 0;
    while let Some(t) = s.platform.claim_task()? {
        run_task(s, &t)?;
        tasks += 1;
    }
    let policy = retry_policy(s);
    let mut events = 0;
    while let Some((e, url, secret)) = s.platform.claim_event()? {
        let a = deliver(s, agent, &e, &url, &secret);
        s.platform.record_delivery(&e.id, a, &policy)?;
        events += 1;
    }
    Ok((tasks, events))
}

/// The background worker of this server process (any number of processes share the work
/// through the store's leases).
pub async fn worker(state: AppState) {
    let every = Duration::from_millis(state.cfg.open_api.worker_interval_ms.max(10));
    let agent = webhook_agent(&state);
    loop {
        tokio::time::sleep(every).await;
        let agent = agent.clone();
        if let Err(e) = state.blocking(move |s| work_once(s, &agent)).await {
            tracing::warn!(error = %e, "open API worker");
        }
    }
}
