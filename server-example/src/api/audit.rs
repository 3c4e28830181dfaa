//! 2.10 审计: the unit's audit entries (the hash chain is checked on every read).

use axum::Json;
use axum::extract::State;
use eseal::platform::audit::AuditFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiQuery;
use super::views::AuditEntryView;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_audit))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditSearch {
    /// Identity id or a fragment of the name.
    pub actor: Option<String>,
    /// Action name (e.g. `ApplyCloudSeal`, `LoginPassword`).
    pub action: Option<String>,
    /// Fragment of the object.
    pub object: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Only refusals and failures.
    #[serde(default)]
    pub failures: bool,
    /// At most this many, newest first (default 500).
    pub limit: Option<u32>,
}

/// 审计 (2.10): the unit's entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditSearch), responses(
    (status = 200, body = Vec<AuditEntryView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn read_audit(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditSearch>,
) -> ApiResult<Json<Vec<AuditEntryView>>> {
    let limit = q.limit.unwrap_or(500).clamp(1, 10_000) as usize;
    st.blocking(move |s| {
        let f = AuditFilter {
            actor: q.actor.filter(|v| !v.is_empty()),
            action: q.action.filter(|v| !v.is_empty()),
            object: q.object.filter(|v| !v.is_empty()),
            from: q.from,
            to: q.to,
            only_failures: q.failures,
        };
        let v = s.platform.read_audit(&auth.session, &f)?;
        Ok(Json(
            v.into_iter().rev().take(limit).map(Into::into).collect(),
        ))
    })
    .await
}
