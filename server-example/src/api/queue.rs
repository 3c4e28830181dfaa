//! 2.8 签署授权: the approval queue of manual confirmation (filters, 50 a page, batch).

use axum::Json;
use axum::extract::State;
use eseal::platform::{self as p, QueueFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{QueuePage, parse_enum};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_queue))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(batch))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueSearch {
    /// `Pending`, `Approved`, `Rejected`, `Used`.
    pub status: Option<String>,
    /// `Pdf` or `Ofd`.
    pub file_type: Option<String>,
    /// Called at or after (unix seconds).
    pub from: Option<i64>,
    /// Called at or before (unix seconds).
    pub to: Option<i64>,
    /// Page from 1 (50 items a page).
    pub page: Option<u32>,
}

/// The calls I may decide, newest first, 50 a page.
#[utoipa::path(get, path = "/api/v1/queue", tag = "queue", params(QueueSearch), responses(
    (status = 200, body = QueuePage),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_queue(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<QueueSearch>,
) -> ApiResult<Json<QueuePage>> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_enum::<p::QueueStatus>(s).ok_or_else(|| {
            ApiError::bad_request("status", "状态无效", format!("unknown status {s:?}"))
        })?),
    };
    let file_type = match q.file_type.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_enum::<p::FileFormat>(s).ok_or_else(|| {
            ApiError::bad_request(
                "file_type",
                "文件类型无效",
                format!("unknown file type {s:?}"),
            )
        })?),
    };
    let page = q.page.unwrap_or(1).max(1) as usize;
    st.blocking(move |s| {
        let pg = s.platform.queue(
            &auth.session,
            &QueueFilter {
                status,
                file_type,
                from: q.from,
                to: q.to,
            },
            page,
        )?;
        Ok(Json(QueuePage {
            items: pg.items.into_iter().map(Into::into).collect(),
            total: pg.total,
            page: pg.page,
            pages: pg.pages,
        }))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct Decision {
    pub id: String,
    pub ok: bool,
    /// Why it could not be decided (when `ok` is false).
    pub error: Option<crate::error::Problem>,
}

async fn decide(
    st: AppState,
    auth: Auth,
    id: String,
    approve: bool,
    reason: String,
) -> ApiResult<Json<Decision>> {
    st.blocking(move |s| {
        s.platform
            .decide_with_reason(&auth.session, &id, approve, &reason)?;
        Ok(Json(Decision {
            id,
            ok: true,
            error: None,
        }))
    })
    .await
}

/// 通过 one call.
#[utoipa::path(post, path = "/api/v1/queue/{id}/approve", tag = "queue", params(("id" = String, Path)), responses(
    (status = 200, body = Decision),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn approve(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Decision>> {
    decide(st, auth, id, true, String::new()).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RejectQuery {
    /// Why (given to the app with its task and webhook event), at most 200 characters.
    pub reason: Option<String>,
}

/// 拒绝 one call.
#[utoipa::path(post, path = "/api/v1/queue/{id}/reject", tag = "queue", params(("id" = String, Path), RejectQuery), responses(
    (status = 200, body = Decision),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn reject(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RejectQuery>,
) -> ApiResult<Json<Decision>> {
    decide(st, auth, id, false, q.reason.unwrap_or_default()).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// At most 50 (one page).
    pub ids: Vec<String>,
    pub approve: bool,
}

/// 批量通过 / 批量拒绝: each item decided on its own; the result per item.
#[utoipa::path(post, path = "/api/v1/queue/batch", tag = "queue", request_body = BatchRequest, responses(
    (status = 200, body = Vec<Decision>),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn batch(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<BatchRequest>,
) -> ApiResult<Json<Vec<Decision>>> {
    if b.ids.is_empty() || b.ids.len() > p::QUEUE_PAGE_SIZE {
        return Err(ApiError::bad_request(
            "ids",
            "一次可处理 1 至 50 条",
            "give 1 to 50 ids",
        ));
    }
    st.blocking(move |s| {
        let r = s.platform.decide_batch(&auth.session, &b.ids, b.approve)?;
        Ok(Json(
            r.into_iter()
                .map(|(id, res)| Decision {
                    id,
                    ok: res.is_ok(),
                    error: res.err().map(|e| ApiError::from(e).problem()),
                })
                .collect(),
        ))
    })
    .await
}
