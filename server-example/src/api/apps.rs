//! 2.9 应用中心: create, edit, delete apps; view and reset the secret; app details with the
//! seals granted to it.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use eseal::platform::AppInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{AppView, SealView};
use super::{ApiJson, ApiPath, no_content};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, create_app))
        .routes(routes!(app_details, edit_app, delete_app))
        .routes(routes!(view_secret, reset_secret))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRequest {
    /// 应用名称 (unique on the platform).
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 应用公钥: base64 SM2 public key (GM/T 0018 ECCrefPublicKey, 04‖x‖y, x‖y or SPKI).
    pub public_key: Option<String>,
    /// IP 白名单; empty = off.
    #[serde(default)]
    pub ip_whitelist: Vec<String>,
}

impl AppRequest {
    fn input(&self) -> AppInput {
        let opt = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        AppInput {
            name: self.name.clone(),
            contact: opt(&self.contact),
            phone: opt(&self.phone),
            email: opt(&self.email),
            public_key_b64: opt(&self.public_key),
            ip_whitelist: self.ip_whitelist.clone(),
        }
    }
}

fn check_app(b: &AppRequest) -> ApiResult<()> {
    super::check::text("name", &b.name, 50)?;
    if let Some(p) = b.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        super::check::phone("phone", p)?;
    }
    if let Some(e) = b.email.as_deref().filter(|e| !e.trim().is_empty()) {
        super::check::email("email", e)?;
    }
    if let Some(k) = b.public_key.as_deref().filter(|k| !k.trim().is_empty()) {
        eseal::platform::openapi::parse_app_public_key(k)
            .map_err(|e| crate::error::ApiError::from(e).with_field("public_key"))?;
    }
    for ip in &b.ip_whitelist {
        if ip.trim().parse::<std::net::IpAddr>().is_err() {
            return Err(crate::error::ApiError::bad_request(
                "ip_whitelist",
                "IP 白名单中有无效地址",
                format!("{ip:?} is not an IP address"),
            ));
        }
    }
    Ok(())
}

/// The unit's apps (everyone may view; secrets are not listed).
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", responses(
    (status = 200, body = Vec<AppView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_apps(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<AppView>>> {
    st.blocking(move |s| {
        Ok(Json(
            s.platform
                .list_apps(&auth.session)?
                .into_iter()
                .map(Into::into)
                .collect(),
        ))
    })
    .await
}

/// 新增应用 (2.9.1).
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = AppRequest, responses(
    (status = 201, body = AppView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn create_app(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<AppRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<AppView>)> {
    st.blocking(move |s| {
        let a = s
            .platform
            .create_app(&auth.session, &b.input())
            .map_err(|e| super::check::name_field(e, || check_app(&b)))?;
        Ok((axum::http::StatusCode::CREATED, Json(a.into())))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct AppDetailsView {
    pub app: AppView,
    /// Seals granted to the app.
    pub seals: Vec<SealView>,
}

/// 应用详情 (2.9.6).
#[utoipa::path(get, path = "/api/v1/apps/{id}", tag = "apps", params(("id" = String, Path)), responses(
    (status = 200, body = AppDetailsView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn app_details(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AppDetailsView>> {
    st.blocking(move |s| {
        let (a, seals) = s.platform.app_details(&auth.session, &id)?;
        let now = s.clock.now();
        Ok(Json(AppDetailsView {
            app: a.into(),
            seals: seals.into_iter().map(|x| SealView::new(x, now)).collect(),
        }))
    })
    .await
}

/// 修改应用 (2.9.2); a rejected app is resubmitted for review.
#[utoipa::path(put, path = "/api/v1/apps/{id}", tag = "apps", params(("id" = String, Path)), request_body = AppRequest, responses(
    (status = 200, body = AppView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn edit_app(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<AppRequest>,
) -> ApiResult<Json<AppView>> {
    st.blocking(move |s| {
        let a = s
            .platform
            .edit_app(&auth.session, &id, &b.input())
            .map_err(|e| super::check::name_field(e, || check_app(&b)))?;
        Ok(Json(a.into()))
    })
    .await
}

/// 删除应用 (2.9.4): it stays visible as 已删除.
#[utoipa::path(delete, path = "/api/v1/apps/{id}", tag = "apps", params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn delete_app(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.delete_app(&auth.session, &id)?;
        Ok(no_content())
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct SecretView {
    pub access_token: String,
    pub access_secret: String,
}

/// 查看密钥 (2.9.3): valid apps only.
#[utoipa::path(get, path = "/api/v1/apps/{id}/secret", tag = "apps", params(("id" = String, Path)), responses(
    (status = 200, body = SecretView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn view_secret(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SecretView>> {
    st.blocking(move |s| {
        let (t, k) = s.platform.app_secret(&auth.session, &id)?;
        Ok(Json(SecretView {
            access_token: t,
            access_secret: k,
        }))
    })
    .await
}

/// 重置密钥 (2.9.3).
#[utoipa::path(post, path = "/api/v1/apps/{id}/secret", tag = "apps", params(("id" = String, Path)), responses(
    (status = 200, body = SecretView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn reset_secret(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SecretView>> {
    st.blocking(move |s| {
        let secret = s.platform.reset_app_secret(&auth.session, &id)?;
        let (t, _) = s.platform.app_secret(&auth.session, &id)?;
        Ok(Json(SecretView {
            access_token: t,
            access_secret: secret,
        }))
    })
    .await
}
