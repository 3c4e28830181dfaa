//! 运维后台 (the operations back office): CA review of seals and personal signatures
//! (2.2.1), app review (2.9.5), and the platform switches.
//!
//! The lists of what waits for review read the store directly: the platform has no
//! back-office listing yet (adapter until `Platform` offers one; the decisions themselves go
//! through the platform's rules and audit).

use axum::Json;
use axum::extract::State;
use eseal::platform::{self as p, Kind};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{AppView, SealView, SwitchesView};
use super::{ApiJson, ApiPath};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Inner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_switches, set_switches))
        .routes(routes!(pending_seals))
        .routes(routes!(review_seal))
        .routes(routes!(pending_apps))
        .routes(routes!(review_app))
}

fn operator_only(s: &Inner, auth: &Auth, action: p::Action) -> ApiResult<()> {
    if s.platform.may(&auth.session, action)? {
        Ok(())
    } else {
        Err(p::PlatformError::Forbidden(format!("{action:?} is for the back office")).into())
    }
}

/// The documents of `kind` whose indexed status is 待审核 (the oldest 1000).
fn pending(s: &Inner, kind: Kind) -> ApiResult<Vec<eseal::platform::Record>> {
    let mut q = p::Query::new(kind);
    q.status = vec!["pending_review".into()];
    Ok(s.platform.store().query(&q)?.records)
}

/// The platform switches (anyone signed in may read them: the portal shows or hides features).
#[utoipa::path(get, path = "/api/v1/ops/switches", tag = "ops", responses(
    (status = 200, body = SwitchesView)
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_switches(State(st): State<AppState>, _auth: Auth) -> ApiResult<Json<SwitchesView>> {
    st.blocking(|s| Ok(Json(s.platform.switches()?.into())))
        .await
}

/// Sets the switches (back office).
#[utoipa::path(put, path = "/api/v1/ops/switches", tag = "ops", request_body = SwitchesView, responses(
    (status = 200, body = SwitchesView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_switches(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SwitchesView>,
) -> ApiResult<Json<SwitchesView>> {
    st.blocking(move |s| {
        s.platform.set_switches(
            &auth.session,
            p::Switches {
                personal_ukey_signature: b.personal_ukey_signature,
                app_review: b.app_review,
                ca_review: b.ca_review,
            },
        )?;
        Ok(Json(s.platform.switches()?.into()))
    })
    .await
}

/// Seals and personal signatures waiting for CA review (back office).
#[utoipa::path(get, path = "/api/v1/ops/seals", tag = "ops", responses(
    (status = 200, body = Vec<SealView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn pending_seals(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<SealView>>> {
    st.blocking(move |s| {
        operator_only(s, &auth, p::Action::CaReview)?;
        let now = s.clock.now();
        let mut v = vec![];
        for r in pending(s, Kind::Seal)? {
            let seal: p::SealRecord = serde_json::from_str(&r.body)
                .map_err(|e| ApiError::internal(format!("seal {}: {e}", r.id)))?;
            if seal.status == p::SealStatus::PendingReview {
                v.push(SealView::new(seal, now));
            }
        }
        Ok(Json(v))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub approve: bool,
    /// Required when rejecting.
    #[serde(default)]
    pub reason: String,
}

/// CA 客服审核 of a seal: approve (→ 待回执, valid 5 years) or reject with a reason.
#[utoipa::path(post, path = "/api/v1/ops/seals/{id}/review", tag = "ops", params(("id" = String, Path)), request_body = ReviewRequest, responses(
    (status = 200, body = SealView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn review_seal(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ReviewRequest>,
) -> ApiResult<Json<SealView>> {
    st.blocking(move |s| {
        let seal = s
            .platform
            .ca_review(&auth.session, &id, b.approve, &b.reason)?;
        Ok(Json(SealView::new(seal, s.clock.now())))
    })
    .await
}

/// Apps waiting for review (back office).
#[utoipa::path(get, path = "/api/v1/ops/apps", tag = "ops", responses(
    (status = 200, body = Vec<AppView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn pending_apps(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<AppView>>> {
    st.blocking(move |s| {
        operator_only(s, &auth, p::Action::ReviewApp)?;
        let mut v = vec![];
        for r in pending(s, Kind::App)? {
            let mut a: p::App = serde_json::from_str(&r.body)
                .map_err(|e| ApiError::internal(format!("app {}: {e}", r.id)))?;
            if a.status == p::AppStatus::PendingReview {
                a.access_secret.clear();
                a.access_token.clear();
                v.push(a.into());
            }
        }
        Ok(Json(v))
    })
    .await
}

/// 审核应用 (2.9.5).
#[utoipa::path(post, path = "/api/v1/ops/apps/{id}/review", tag = "ops", params(("id" = String, Path)), request_body = ReviewRequest, responses(
    (status = 200, body = AppView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn review_app(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ReviewRequest>,
) -> ApiResult<Json<AppView>> {
    st.blocking(move |s| {
        let mut a = s
            .platform
            .review_app(&auth.session, &id, b.approve, &b.reason)?;
        a.access_secret.clear();
        a.access_token.clear();
        Ok(Json(a.into()))
    })
    .await
}
