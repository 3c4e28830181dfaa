//! 1.2.1 单位: the unit, its certificate application (1.2.1.2), its UKeys, the main UKey
//! (1.2.1.1) and the UKey whitelist (2.4.7).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{UnitCertificateState, UnitCertificateView, UnitKeyView, UnitView};
use super::{ApiJson, ApiPath, no_content};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_unit))
        .routes(routes!(get_certificate, apply_certificate))
        .routes(routes!(list_keys))
        .routes(routes!(set_main_key))
        .routes(routes!(whitelist_add))
        .routes(routes!(whitelist_remove))
}

/// The signed-in identity's unit.
#[utoipa::path(get, path = "/api/v1/unit", tag = "unit", responses(
    (status = 200, body = UnitView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_unit(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<UnitView>> {
    st.blocking(move |s| Ok(Json(s.platform.unit(&auth.session)?.into())))
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertApplicationRequest {
    /// 经办人姓名
    pub handler_name: String,
    pub handler_id_number: String,
    pub handler_phone: String,
    pub handler_email: String,
    /// 已阅读并同意《数字证书订户协议》
    pub agreement_accepted: bool,
}

/// 申请数字证书 (1.2.1.2): needed before seals can be applied for or documents signed.
#[utoipa::path(post, path = "/api/v1/unit/certificate", tag = "unit", request_body = CertApplicationRequest, responses(
    (status = 200, body = UnitCertificateState),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn apply_certificate(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<CertApplicationRequest>,
) -> ApiResult<Json<UnitCertificateState>> {
    st.blocking(move |s| {
        s.platform
            .apply_unit_cert(
                &auth.session,
                &b.handler_name,
                &b.handler_id_number,
                &b.handler_phone,
                &b.handler_email,
                b.agreement_accepted,
            )
            .map_err(|e| {
                super::check::name_field(e, || {
                    super::check::text("handler_name", &b.handler_name, 50)?;
                    super::check::id_number("handler_id_number", &b.handler_id_number)?;
                    super::check::phone("handler_phone", &b.handler_phone)?;
                    super::check::email("handler_email", &b.handler_email)?;
                    if !b.agreement_accepted {
                        return Err(crate::error::ApiError::bad_request(
                            "agreement_accepted",
                            "须阅读并同意《数字证书订户协议》",
                            "the subscriber agreement must be accepted",
                        ));
                    }
                    Ok(())
                })
            })?;
        certificate_state(s, &auth)?
            .map(Json)
            .ok_or_else(|| crate::error::ApiError::internal("application not recorded"))
    })
    .await
}

fn certificate_state(
    s: &crate::state::Inner,
    auth: &Auth,
) -> ApiResult<Option<UnitCertificateState>> {
    let Some(a) = s.platform.unit_cert_application(&auth.session)? else {
        return Ok(None);
    };
    let c = s.platform.unit_certificate(&auth.session)?;
    let now = s.clock.now();
    Ok(Some(UnitCertificateState {
        application: a.into(),
        certificate: c.map(|c| UnitCertificateView::new(c, now)),
    }))
}

/// The unit's certificate application and issued certificate (颁发对象、颁发者、证件号、序列号、
/// 有效期、DN、有效性; 2.1.1.2); 404 when not applied yet.
#[utoipa::path(get, path = "/api/v1/unit/certificate", tag = "unit", responses(
    (status = 200, body = UnitCertificateState),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_certificate(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<UnitCertificateState>> {
    st.blocking(move |s| {
        certificate_state(s, &auth)?.map(Json).ok_or_else(|| {
            crate::error::ApiError::not_found("the unit has not applied for its certificate")
        })
    })
    .await
}

/// The unit's UKeys (1.2.1.1).
#[utoipa::path(get, path = "/api/v1/unit/keys", tag = "unit", responses(
    (status = 200, body = Vec<UnitKeyView>)
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_keys(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<UnitKeyView>>> {
    st.blocking(move |s| {
        Ok(Json(
            s.platform
                .unit_keys(&auth.session)?
                .into_iter()
                .map(Into::into)
                .collect(),
        ))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MainKeyRequest {
    pub key_id: String,
}

/// 主 UKey 设置 (1.2.1.1): after it, only the main key and whitelisted devices sign in.
#[utoipa::path(put, path = "/api/v1/unit/main-key", tag = "unit", request_body = MainKeyRequest, responses(
    (status = 204, description = "set"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_main_key(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<MainKeyRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.set_main_key(&auth.session, &b.key_id)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhitelistRequest {
    /// 通用实体唯一标识 of the UKey.
    pub device_id: String,
}

/// Adds a UKey to the whitelist (2.4.7).
#[utoipa::path(post, path = "/api/v1/unit/whitelist", tag = "unit", request_body = WhitelistRequest, responses(
    (status = 204, description = "added"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn whitelist_add(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<WhitelistRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.whitelist_add(&auth.session, &b.device_id)?;
        Ok(no_content())
    })
    .await
}

/// Removes a UKey from the whitelist (not the main key's).
#[utoipa::path(delete, path = "/api/v1/unit/whitelist/{device_id}", tag = "unit", params(("device_id" = String, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn whitelist_remove(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(device): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.whitelist_remove(&auth.session, &device)?;
        Ok(no_content())
    })
    .await
}
