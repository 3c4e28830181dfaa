//! 2.3 人员管理: add, edit, remove, search and list the unit's staff.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use eseal::platform::StaffQuery;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{StaffPage, StaffView};
use super::{ApiJson, ApiPath, ApiQuery, no_content};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff, add_staff))
        .routes(routes!(get_staff, edit_staff, remove_staff))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StaffSearch {
    /// Pinyin initial of the surname (A–Z).
    pub initial: Option<String>,
    /// Resigned (离职) staff only (`true`) or serving only (`false`).
    pub resigned: Option<bool>,
    /// Name or phone fragment.
    pub q: Option<String>,
    /// Page from 1 (50 a page).
    pub page: Option<u32>,
}

/// The unit's staff, searched (2.3.4, 2.3.5).
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(StaffSearch), responses(
    (status = 200, body = StaffPage),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_staff(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<StaffSearch>,
) -> ApiResult<Json<StaffPage>> {
    let initial = match q.initial.as_deref() {
        None | Some("") => None,
        Some(s) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
                _ => {
                    return Err(ApiError::bad_request(
                        "initial",
                        "首字母须为 A–Z",
                        "initial is one letter A–Z",
                    ));
                }
            }
        }
    };
    st.blocking(move |s| {
        let v = s.platform.search_staff(
            &auth.session,
            &StaffQuery {
                initial,
                resigned: q.resigned,
                text: q.q.filter(|t| !t.is_empty()),
                page: q.page.unwrap_or(1) as usize,
            },
        )?;
        Ok(Json(StaffPage::new(v, Into::into)))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// 真实姓名
    pub name: String,
    pub phone: String,
    /// 身份证号 (18 characters with a valid check digit)
    pub id_number: String,
}

/// 新增公务员 (2.3.1).
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = NewStaff, responses(
    (status = 201, body = StaffView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn add_staff(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewStaff>,
) -> ApiResult<(axum::http::StatusCode, Json<StaffView>)> {
    st.blocking(move |s| {
        let v = s
            .platform
            .add_staff(&auth.session, &b.name, &b.phone, &b.id_number)
            .map_err(|e| {
                super::check::name_field(e, || staff_fields(&b.name, &b.phone, &b.id_number))
            })?;
        Ok((axum::http::StatusCode::CREATED, Json(v.into())))
    })
    .await
}

fn staff_fields(name: &str, phone: &str, id_number: &str) -> ApiResult<()> {
    super::check::text("name", name, 50)?;
    super::check::phone("phone", phone)?;
    super::check::id_number("id_number", id_number)
}

/// One staff member.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path)), responses(
    (status = 200, body = StaffView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_staff(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StaffView>> {
    st.blocking(move |s| Ok(Json(s.platform.staff(&auth.session, &id)?.into())))
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditStaff {
    pub name: String,
    pub phone: String,
    pub id_number: String,
    /// 离职
    #[serde(default)]
    pub resigned: bool,
}

/// 编辑公务员 (2.3.2); unit UKeys cannot be edited.
#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path)), request_body = EditStaff, responses(
    (status = 200, body = StaffView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn edit_staff(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<EditStaff>,
) -> ApiResult<Json<StaffView>> {
    st.blocking(move |s| {
        let v = s
            .platform
            .edit_staff(
                &auth.session,
                &id,
                &b.name,
                &b.phone,
                &b.id_number,
                b.resigned,
            )
            .map_err(|e| {
                super::check::name_field(e, || staff_fields(&b.name, &b.phone, &b.id_number))
            })?;
        Ok(Json(v.into()))
    })
    .await
}

/// 移除公务员 (2.3.3): no more sign-in, roles or seal rights.
#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn remove_staff(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.remove_staff(&auth.session, &id)?;
        Ok(no_content())
    })
    .await
}
