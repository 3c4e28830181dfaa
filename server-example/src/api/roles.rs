//! 2.4 权限管理: the roles, their members, giving and taking them.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use eseal::platform::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{parse_role, role_name, role_zh};
use super::{ApiJson, ApiPath, no_content};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
}

#[derive(Serialize, ToSchema)]
pub struct RoleView {
    /// Platform name (`AppAdmin`, `StaffAdmin`, `SystemAdmin`, `SealAdmin`, `Auditor`, `SealMaker`).
    pub role: String,
    pub name_zh: String,
    /// Whether staff can be given this role (系统管理员 is for unit UKeys only).
    pub assignable: bool,
    /// Identity ids: the unit's UKeys (always) and the staff holding it.
    pub members: Vec<String>,
}

/// The roles of the unit and their members (2.4).
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", responses(
    (status = 200, body = Vec<RoleView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_roles(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<RoleView>>> {
    st.blocking(move |s| {
        let mut out = vec![];
        let roles = Role::ASSIGNABLE.into_iter().chain([Role::SystemAdmin]);
        for r in roles {
            out.push(RoleView {
                role: role_name(r),
                name_zh: role_zh(r).into(),
                assignable: Role::ASSIGNABLE.contains(&r),
                members: s.platform.role_members(&auth.session, r)?,
            });
        }
        Ok(Json(out))
    })
    .await
}

fn role_param(r: &str) -> ApiResult<Role> {
    parse_role(r)
        .ok_or_else(|| ApiError::bad_request("role", "角色无效", format!("unknown role {r:?}")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub staff_id: String,
}

/// Gives a role to a serving staff member of the unit.
#[utoipa::path(post, path = "/api/v1/roles/{role}/members", tag = "roles", params(("role" = String, Path)), request_body = MemberRequest, responses(
    (status = 204, description = "given"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn add_member(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(role): ApiPath<String>,
    ApiJson(b): ApiJson<MemberRequest>,
) -> ApiResult<Response> {
    let r = role_param(&role)?;
    st.blocking(move |s| {
        s.platform.grant_role(&auth.session, &b.staff_id, r)?;
        Ok(no_content())
    })
    .await
}

/// Takes a role away (the unit UKey cannot be removed).
#[utoipa::path(delete, path = "/api/v1/roles/{role}/members/{member}", tag = "roles", params(("role" = String, Path), ("member" = String, Path)), responses(
    (status = 204, description = "taken away"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn remove_member(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((role, member)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let r = role_param(&role)?;
    st.blocking(move |s| {
        s.platform.revoke_role(&auth.session, &member, r)?;
        Ok(no_content())
    })
    .await
}
