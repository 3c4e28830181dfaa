//! The platform's seal status (docs/seal-status.md), public and cacheable:
//! `GET /api/v1/seal-status`, the signed list of the seals that are not good (like a CRL), and
//! `GET /api/v1/seal-status/{esID}`, the signed answer for one seal (like OCSP). The format
//! and its check are core's (`eseal::seal_status`); this only serves them.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use eseal::seal_status::SignedSealStatus;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status_list))
        .routes(routes!(status_of))
}

/// The signed document with `Cache-Control` until its `nextUpdate`.
fn cacheable(signed: SignedSealStatus, now: i64) -> ApiResult<Response> {
    let list: eseal::seal_status::SealStatusList =
        serde_json::from_str(&signed.content).map_err(|e| ApiError::internal(e.to_string()))?;
    let max_age = (list.next_update - now).max(0);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        signed.to_json(),
    )
        .into_response())
}

/// The signed seal status list: every seal of the platform that is revoked, frozen (now or
/// before, with the periods) or expired; seals not named are good. No login.
#[utoipa::path(get, path = "/api/v1/seal-status", tag = "seal-status",
    responses(
        (status = 200, body = serde_json::Value, description = "signed status list: {content, signature, certificates} (docs/seal-status.md)")
    ))]
async fn status_list(State(st): State<AppState>) -> ApiResult<Response> {
    st.blocking(|s| cacheable(s.platform.seal_status_list()?, s.platform.now()))
        .await
}

/// The signed status of one seal by its esID (`unknown` when the platform did not make it).
/// No login.
#[utoipa::path(get, path = "/api/v1/seal-status/{es_id}", tag = "seal-status",
    params(("es_id" = String, Path, description = "the seal's esID (GB/T 38540)")),
    responses(
        (status = 200, body = serde_json::Value, description = "signed single answer: {content, signature, certificates} (docs/seal-status.md)")
    ))]
async fn status_of(
    State(st): State<AppState>,
    ApiPath(es_id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| cacheable(s.platform.seal_status_of(&es_id)?, s.platform.now()))
        .await
}
