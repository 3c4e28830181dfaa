//! 2.5 文件签署 and 2.6 文件管理: upload (streamed, SM3 on the way), pages and previews,
//! download of the original and the signed file, signing with one or more seals, the
//! signed-file list with thumbnails, search, details and delete.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use eseal::platform::{self as p, Identity};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{FilePage, FileView};
use super::{ApiJson, ApiPath, ApiQuery, bytes, no_content};
use crate::auth::Auth;
use crate::documents::{self, DocRecord};
use crate::error::{ApiError, ApiResult};
use crate::kv::ns;
use crate::signing::{self, PendingView, PrepareRequest, RoundView, SignOutcome, SignRequest};
use crate::state::{AppState, Inner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_documents, upload))
        .routes(routes!(get_document, delete_document))
        .routes(routes!(original))
        .routes(routes!(signed))
        .routes(routes!(preview))
        .routes(routes!(text_search))
        .routes(routes!(sign))
        .routes(routes!(prepare))
        .routes(routes!(signing_round))
        .routes(routes!(list_files))
        .routes(routes!(get_file, delete_file))
}

#[derive(Serialize, ToSchema)]
pub struct PageView {
    pub number: u32,
    pub width_mm: f64,
    pub height_mm: f64,
}

#[derive(Serialize, ToSchema)]
pub struct SignedView {
    pub file_record: String,
    pub size: u64,
    pub sm3: String,
    pub time: i64,
    pub seals: Vec<String>,
    pub signatures: usize,
    pub download_url: String,
    pub verify_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub name: String,
    /// `Pdf` or `Ofd`.
    pub format: String,
    pub size: u64,
    /// SM3 of the original (hex).
    pub sm3: String,
    pub pages: Vec<PageView>,
    pub created: i64,
    pub original_url: String,
    /// Page previews: `…/pages/{n}/preview` (PNG of a PDF page, SVG of an OFD page).
    pub preview_url: Option<String>,
    pub signed: Option<SignedView>,
    /// A signing of this document is running now.
    pub signing: bool,
}

pub fn view(s: &Inner, d: &DocRecord) -> DocumentView {
    let base = format!("/api/v1/documents/{}", d.id);
    DocumentView {
        id: d.id.clone(),
        name: d.name.clone(),
        format: match d.format {
            p::FileFormat::Pdf => "Pdf",
            p::FileFormat::Ofd => "Ofd",
        }
        .into(),
        size: d.size,
        sm3: d.sm3.clone(),
        pages: d
            .pages
            .iter()
            .enumerate()
            .map(|(i, (w, h))| PageView {
                number: i as u32 + 1,
                width_mm: *w,
                height_mm: *h,
            })
            .collect(),
        created: d.created,
        original_url: format!("{base}/original"),
        preview_url: Some(format!("{base}/pages/1/preview")),
        signing: s
            .db
            .kv_get(crate::kv::ns::SIGN_LOCK, &d.id, s.clock.now())
            .ok()
            .flatten()
            .is_some(),
        signed: d.signed.as_ref().map(|v| SignedView {
            file_record: v.file_record.clone(),
            size: v.size,
            sm3: v.sm3.clone(),
            time: v.time,
            seals: v.seals.clone(),
            signatures: v.signatures,
            download_url: format!("{base}/signed"),
            verify_url: signing::verify_url(s, &d.id),
        }),
    }
}

/// The document if this identity may use it: its uploader, or a unit UKey of its unit
/// (2.6: the unit UKey sees the unit's files). Others get 404 (no existence leak).
pub fn visible(s: &Inner, auth: &Auth, id: &str) -> ApiResult<DocRecord> {
    let d = documents::load(s, id)?;
    let mine = d.owner == auth.actor_id();
    let unit_key =
        matches!(&auth.session.identity, Identity::UnitKey { unit, .. } if *unit == d.unit);
    if mine || unit_key {
        Ok(d)
    } else {
        Err(ApiError::not_found(format!("document {id}")))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file name (shown in lists).
    pub name: String,
}

/// Uploads a PDF or OFD (the request body is the file; `Content-Type: application/pdf`,
/// `application/ofd` or `application/octet-stream`), at most `limits.upload_bytes`.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the PDF or OFD file"),
    responses(
        (status = 201, body = DocumentView),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    ), security(("session_cookie" = []), ("bearer" = [])))]
async fn upload(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(axum::http::StatusCode, Json<DocumentView>)> {
    let declared = documents::declared_format(
        headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let name = documents::clean_name(&q.name)?;
    let a2 = auth.clone();
    let ctx_unit = st
        .blocking(move |s| Ok(s.platform.ctx(&a2.session)?.unit))
        .await?;
    let d = documents::create(&st, auth.actor_id(), ctx_unit, name, body, declared).await?;
    let v = st.blocking(move |s| Ok(view(s, &d))).await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

/// My uploaded documents, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", responses(
    (status = 200, body = Vec<DocumentView>)
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_documents(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<DocumentView>>> {
    st.blocking(move |s| {
        let mut v: Vec<DocRecord> =
            s.db.kv_list(ns::DOCUMENT, &auth.actor_id(), s.clock.now())?
                .into_iter()
                .filter_map(|e| serde_json::from_str(&e.body).ok())
                .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        Ok(Json(v.iter().map(|d| view(s, d)).collect()))
    })
    .await
}

/// One document.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)), responses(
    (status = 200, body = DocumentView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_document(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DocumentView>> {
    st.blocking(move |s| Ok(Json(view(s, &visible(s, &auth, &id)?))))
        .await
}

/// Deletes an uploaded document and its files (a signed file's record stays in 2.6 until
/// deleted there).
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn delete_document(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        let _lock = signing::SignLock::take(s, &d.id)?;
        s.db.kv_delete(ns::DOCUMENT, &d.id)?;
        let _ = std::fs::remove_dir_all(documents::doc_dir(s, &d.id));
        Ok(no_content())
    })
    .await
}

fn file_response(d: &DocRecord, data: Vec<u8>, suffix: &str) -> Response {
    let ct = match d.format {
        p::FileFormat::Pdf => "application/pdf",
        p::FileFormat::Ofd => "application/ofd",
    };
    let mut r = bytes(ct, data);
    let stem = d.name.rsplit_once('.').map_or(d.name.as_str(), |(a, _)| a);
    let fname = format!("{stem}{suffix}.{}", d.ext());
    let encoded: String = fname
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "attachment; filename=\"document.{}\"; filename*=UTF-8''{encoded}",
        d.ext()
    )) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Downloads the original.
#[utoipa::path(get, path = "/api/v1/documents/{id}/original", tag = "documents", params(("id" = String, Path)), responses(
    (status = 200, description = "the file", content_type = "application/pdf"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn original(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        let data = std::fs::read(documents::original_path(s, &d))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(file_response(&d, data, ""))
    })
    .await
}

/// Downloads the signed file (404 until signed).
#[utoipa::path(get, path = "/api/v1/documents/{id}/signed", tag = "documents", params(("id" = String, Path)), responses(
    (status = 200, description = "the signed file", content_type = "application/pdf"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn signed(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        if d.signed.is_none() {
            return Err(ApiError::not_found("the document is not signed yet"));
        }
        let data = std::fs::read(documents::signed_path(s, &d))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(file_response(&d, data, "-signed"))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// Render the signed version (with its stamps) instead of the original.
    #[serde(default)]
    pub signed: bool,
}

/// A page preview: of a PDF a PNG (60 dpi) rendered by poppler (`pdftoppm`), of an OFD an
/// SVG of the page (templates, text, paths and images: `ofd_preview`).
#[utoipa::path(get, path = "/api/v1/documents/{id}/pages/{page}/preview", tag = "documents", params(("id" = String, Path), ("page" = u32, Path), PreviewQuery), responses(
    (status = 200, description = "PNG (PDF) or SVG (OFD)", content(("image/png"), ("image/svg+xml"))),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn preview(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((id, page)): ApiPath<(String, u32)>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        if page == 0 || page as usize > d.pages.len() {
            return Err(ApiError::not_found(format!("page {page}")));
        }
        if q.signed && d.signed.is_none() {
            return Err(ApiError::not_found("the document is not signed yet"));
        }
        if d.format == p::FileFormat::Ofd {
            let src = if q.signed {
                documents::signed_path(s, &d)
            } else {
                documents::original_path(s, &d)
            };
            let ofd = std::fs::read(src).map_err(|e| ApiError::internal(e.to_string()))?;
            let svg = crate::ofd_preview::page_svg(ofd, page as usize).map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "preview_failed",
                    "The page could not be drawn",
                    "无法显示此页",
                    e,
                )
            })?;
            return Ok(bytes("image/svg+xml", svg.into_bytes()));
        }
        let png = documents::pdf_preview(s, &d, page, q.signed)?;
        Ok(bytes("image/png", png))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TextSearchQuery {
    /// The text to find (1 to 100 characters; white space ignored, full-width forms match
    /// their ASCII counterparts), as for a keyword placement.
    pub q: String,
    /// Pages searched: `all` (default), `odd`, `even`, `N`, `N-M`, `N-` or `N,M,…`.
    pub pages: Option<String>,
}

/// One place where the text is written: page (from 1) and box in mm from the top-left
/// corner of the page as displayed (the stamps' coordinates).
#[derive(Serialize, ToSchema)]
pub struct TextOccurrence {
    pub page: u32,
    pub x_mm: f64,
    pub y_mm: f64,
    pub width_mm: f64,
    pub height_mm: f64,
}

#[derive(Serialize, ToSchema)]
pub struct TextSearchResult {
    /// In reading order: page by page, then as the page's content writes them.
    pub occurrences: Vec<TextOccurrence>,
}

/// Where a text is written in the document's newest version (signed if signed): the portal
/// previews where keyword stamps will land. No occurrence is an empty list, not an error.
#[utoipa::path(get, path = "/api/v1/documents/{id}/text-search", tag = "documents", params(("id" = String, Path), TextSearchQuery), responses(
    (status = 200, body = TextSearchResult),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn text_search(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TextSearchQuery>,
) -> ApiResult<Json<TextSearchResult>> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        let text = q.q.trim();
        if text.is_empty() || text.chars().count() > 100 {
            return Err(ApiError::bad_request(
                "q",
                "请输入 1 至 100 个字的关键字",
                "q: 1 to 100 characters",
            ));
        }
        let kw = eseal::placement::Keyword {
            pages: eseal::placement::PageSet::parse(q.pages.as_deref().unwrap_or("all"))
                .map_err(|e| ApiError::from(p::PlatformError::from(e)).with_field("pages"))?,
            ..eseal::placement::Keyword::new(text)
        };
        let bytes = std::fs::read(documents::current_path(s, &d))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let hits = p::find_text(d.format, &bytes, &kw).map_err(|e| match e {
            p::PlatformError::Placement(_) => ApiError::from(e).with_field("pages"),
            e => e.into(),
        })?;
        Ok(Json(TextSearchResult {
            occurrences: hits
                .into_iter()
                .map(|h| TextOccurrence {
                    page: h.page as u32,
                    x_mm: h.rect[0],
                    y_mm: h.rect[1],
                    width_mm: h.rect[2] - h.rect[0],
                    height_mm: h.rect[3] - h.rect[1],
                })
                .collect(),
        }))
    })
    .await
}

/// Signs the document with one or more cloud seals (stamps by page and position or by keyword,
/// cross-page seal, QR code with this server's verification URL) and the signing credential. UKey seals
/// sign through the agent instead.
#[utoipa::path(post, path = "/api/v1/documents/{id}/sign", tag = "documents", params(("id" = String, Path)), request_body = SignRequest, responses(
    (status = 200, body = SignOutcome),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn sign(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<SignRequest>,
) -> ApiResult<Json<SignOutcome>> {
    st.blocking(move |s| {
        let mut d = visible(s, &auth, &id)?;
        if d.owner != auth.actor_id() {
            return Err(ApiError::not_found(format!("document {id}")));
        }
        Ok(Json(signing::sign_document(s, &auth.session, &mut d, b)?))
    })
    .await
}

/// Starts signing with UKey seals (2.5.2, deferred): the server prepares the digest, the
/// page has the agent sign it in the UKey (`POST /v1/sign` with the digest), and
/// `POST /api/v1/signings/{id}` embeds it — once per signature.
#[utoipa::path(post, path = "/api/v1/documents/{id}/sign/prepare", tag = "documents", params(("id" = String, Path)), request_body = PrepareRequest, responses(
    (status = 200, body = PendingView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn prepare(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<PrepareRequest>,
) -> ApiResult<Json<PendingView>> {
    st.blocking(move |s| {
        let d = visible(s, &auth, &id)?;
        if d.owner != auth.actor_id() {
            return Err(ApiError::not_found(format!("document {id}")));
        }
        Ok(Json(signing::prepare(
            s,
            &auth.session,
            &auth.actor_id(),
            &d,
            b,
        )?))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRound {
    /// The UKey's SM2 signature (DER, base64) of the pending digest.
    pub signature: String,
}

/// One round of a UKey signing: the signature of the pending digest; answers the next digest
/// or, after the last, the signed document.
#[utoipa::path(post, path = "/api/v1/signings/{id}", tag = "documents", params(("id" = String, Path)), request_body = SignatureRound, responses(
    (status = 200, body = RoundView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn signing_round(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<SignatureRound>,
) -> ApiResult<Json<RoundView>> {
    st.blocking(move |s| {
        Ok(Json(signing::round(
            s,
            &auth.session,
            &auth.actor_id(),
            &id,
            &b.signature,
        )?))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileSearch {
    /// File name or signer fragment.
    pub q: Option<String>,
    /// Page from 1 (50 a page).
    pub page: Option<u32>,
}

/// 文件管理 (2.6): signed files (the unit UKey sees the unit's, staff their own).
#[utoipa::path(get, path = "/api/v1/files", tag = "documents", params(FileSearch), responses(
    (status = 200, body = FilePage),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_files(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<FileSearch>,
) -> ApiResult<Json<FilePage>> {
    st.blocking(move |s| {
        let v = s.platform.list_files(
            &auth.session,
            &p::FileQuery {
                text: q.q.filter(|t| !t.is_empty()),
                page: q.page.unwrap_or(1) as usize,
            },
        )?;
        Ok(Json(FilePage::new(v, Into::into)))
    })
    .await
}

/// One signed-file record (details).
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "documents", params(("id" = String, Path)), responses(
    (status = 200, body = FileView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_file(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<FileView>> {
    st.blocking(move |s| Ok(Json(s.platform.file(&auth.session, &id)?.into())))
        .await
}

/// Deletes a signed-file record (hidden, kept for the audit).
#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "documents", params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn delete_file(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.delete_file(&auth.session, &id)?;
        Ok(no_content())
    })
    .await
}
