//! `POST /tsa`: the platform's time-stamp authority over HTTP (RFC 3161 §3.4). The body is a
//! DER TimeStampReq (`application/timestamp-query`); the answer is always a DER
//! TimeStampResp (`application/timestamp-reply`, HTTP 200), a token or a rejection with its
//! failInfo. The TSA is `eseal::tsp::TimeStampAuthority` with the CA's time-stamping
//! certificate (SM2/SM3 tokens; development: the test CA's `CN=eseal Test TSA`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eseal::crypto::time::Time;
use eseal::tsp::{MEDIA_QUERY, MEDIA_REPLY};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(time_stamp))
}

/// A time-stamp token for a message imprint (RFC 3161): no login, as TSAs are public.
#[utoipa::path(post, path = "/tsa", tag = "tsa",
    request_body(content = Vec<u8>, content_type = "application/timestamp-query", description = "DER TimeStampReq"),
    responses(
        (status = 200, body = Vec<u8>, content_type = "application/timestamp-reply", description = "DER TimeStampResp: a token, or a rejection with its failInfo"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json")
    ))]
async fn time_stamp(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.eq_ignore_ascii_case(MEDIA_QUERY) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "时间戳请求须为 application/timestamp-query",
            format!("{ct:?} is not {MEDIA_QUERY} (RFC 3161 §3.4)"),
        ));
    }
    let reply = st
        .blocking(move |s| Ok(s.tsa.respond(&body, Time::from_unix(s.clock.now()))))
        .await?;
    Ok(([(header::CONTENT_TYPE, MEDIA_REPLY)], reply).into_response())
}
