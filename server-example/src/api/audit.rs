//! 2.10 审计: the unit's audit entries (each entry's MAC is checked when read).

use axum::Json;
use axum::extract::State;
use eseal::platform::audit::AuditFilter;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiQuery;
use super::views::AuditPage;
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
    /// Page from 1 (50 a page, newest first).
    pub page: Option<u32>,
}

/// 审计 (2.10): the unit's entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditSearch), responses(
    (status = 200, body = AuditPage),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn read_audit(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditSearch>,
) -> ApiResult<Json<AuditPage>> {
    let page = q.page.unwrap_or(1).max(1) as usize;
    st.blocking(move |s| {
        let f = AuditFilter {
            actor: q.actor.filter(|v| !v.is_empty()),
            action: q.action.filter(|v| !v.is_empty()),
            object: q.object.filter(|v| !v.is_empty()),
            from: q.from,
            to: q.to,
            only_failures: q.failures,
        };
        let v = s.platform.read_audit(&auth.session, &f, page)?;
        Ok(Json(AuditPage::new(v, Into::into)))
    })
    .await
}
