//! 2.2 印章管理: apply (UKey or cloud seal; picture uploaded or generated in one of the four
//! styles), receipt, write to UKey, freeze / unfreeze, revoke with a second confirmation,
//! seal users, app grants with confirmation policies, the seal log, search.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use eseal::platform::{self as p, SealApplication, SealQuery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::me::{PictureUpload, decode_picture};
use super::views::{GrantView, PolicyView, SealLogView, SealPage, SealView, parse_enum};
use super::{ApiJson, ApiPath, ApiQuery, bytes, no_content};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_seals, apply_seal))
        .routes(routes!(preview_picture))
        .routes(routes!(get_seal))
        .routes(routes!(seal_picture))
        .routes(routes!(receipt))
        .routes(routes!(freeze))
        .routes(routes!(unfreeze))
        .routes(routes!(request_revocation))
        .routes(routes!(revoke))
        .routes(routes!(write_to_ukey))
        .routes(routes!(seal_log))
        .routes(routes!(add_user))
        .routes(routes!(remove_user))
        .routes(routes!(add_grant))
        .routes(routes!(get_grant, remove_grant))
        .routes(routes!(set_policy))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SealSearch {
    /// `Valid`, `Expired`, `Revoked`, `Rejected`, `PendingReview`, `AwaitingReceipt`, `Frozen`.
    pub status: Option<String>,
    /// `Cloud`, `Ukey` or `PersonalUkey`.
    pub kind: Option<String>,
    /// Name fragment.
    pub name: Option<String>,
    /// Page from 1 (50 a page).
    pub page: Option<u32>,
}

/// The seals I may see (2.2: unit UKeys all, seal administrators the cloud seals, users
/// theirs), filtered (2.2.6).
#[utoipa::path(get, path = "/api/v1/seals", tag = "seals", params(SealSearch), responses(
    (status = 200, body = SealPage),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn list_seals(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SealSearch>,
) -> ApiResult<Json<SealPage>> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_enum::<p::SealStatus>(s).ok_or_else(|| {
            ApiError::bad_request("status", "印章状态无效", format!("unknown status {s:?}"))
        })?),
    };
    let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_enum::<p::SealKind>(s).ok_or_else(|| {
            ApiError::bad_request("kind", "印章类型无效", format!("unknown kind {s:?}"))
        })?),
    };
    st.blocking(move |s| {
        let v = s.platform.list_seals(
            &auth.session,
            &SealQuery {
                status,
                kind,
                name: q.name.filter(|n| !n.is_empty()),
                page: q.page.unwrap_or(1) as usize,
            },
        )?;
        let now = s.clock.now();
        Ok(Json(SealPage::new(v, |x| SealView::new(x, now))))
    })
    .await
}

/// A generated seal picture (2.2.1: 党纪委公章、普通公章、工会公章、共青团章, and the
/// 发票专用章 / 财务专用章 ovals and the square 财务专用章).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratedPicture {
    /// `common` (普通公章), `party` (党纪委公章), `union` (工会公章), `youth` (共青团章),
    /// `invoice` (发票专用章, 40 × 30 mm; `code` is the 纳税人识别号), `oval` (45 × 30 mm
    /// 财务/合同专用章), `square-finance` (方形财务专用章, 22 mm).
    pub style: String,
    /// The unit name around the ring.
    pub text: String,
    /// Text under the star (e.g. 合同专用章).
    pub bottom_text: Option<String>,
    /// The seal's code along the bottom edge (round seals), or the 纳税人识别号 across the
    /// centre (ovals; required for `invoice`).
    pub code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealApplicationRequest {
    /// `ukey` (USB KEY 印章) or `cloud` (云端印章).
    pub kind: String,
    /// 印章名称
    pub name: String,
    /// 印章类型 (GB/T 38540 esType code, e.g. 1 = 公章).
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
    /// An uploaded picture (jpg, jpeg, png, gif) …
    pub picture: Option<PictureUpload>,
    /// … or a generated one.
    pub generated: Option<GeneratedPicture>,
    /// 印章规格 (mm); 0 or absent = 42 × 42.
    #[serde(default)]
    pub width_mm: u32,
    #[serde(default)]
    pub height_mm: u32,
}

/// Draws a generated seal picture (300 dpi PNG) in one of the generated styles
/// (`eseal::stamp::style::SealStyle`: the four round official styles, the ovals, the square
/// 财务专用章).
fn render_generated(g: &GeneratedPicture) -> ApiResult<Vec<u8>> {
    use eseal::stamp::style::{SealStyle, UnitSeal};
    let style = SealStyle::from_key(&g.style)
        .map_err(|e| ApiError::bad_request("generated.style", "印章样式无效", e.to_string()))?;
    let seal = UnitSeal {
        bottom: g.bottom_text.clone(),
        code: g.code.clone(),
        dpi: 300.0,
        ..UnitSeal::new(style, &g.text)
    };
    let pic = seal
        .render()
        .map_err(|e| ApiError::bad_request("generated.text", "无法生成印章图片", e.to_string()))?;
    Ok(pic.png)
}

/// The picture a generated seal would have (2.2.1 申请印章: the live preview of the style
/// while the form is filled in); nothing is stored.
#[utoipa::path(post, path = "/api/v1/seal-pictures/preview", tag = "seals", request_body = GeneratedPicture, responses(
    (status = 200, description = "PNG", content_type = "image/png"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn preview_picture(
    State(st): State<AppState>,
    _auth: Auth,
    ApiJson(g): ApiJson<GeneratedPicture>,
) -> ApiResult<Response> {
    let png = st.blocking(move |_| render_generated(&g)).await?;
    Ok(bytes("image/png", png))
}

/// 申请印章 (2.2.1); with CA review on it waits in 待审核.
#[utoipa::path(post, path = "/api/v1/seals", tag = "seals", request_body = SealApplicationRequest, responses(
    (status = 201, body = SealView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn apply_seal(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SealApplicationRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<SealView>)> {
    let kind = match b.kind.as_str() {
        "ukey" => p::SealKind::Ukey,
        "cloud" => p::SealKind::Cloud,
        _ => {
            return Err(ApiError::bad_request(
                "kind",
                "印章类型须为 ukey 或 cloud",
                "kind is ukey or cloud",
            ));
        }
    };
    // The matrix before the picture is decoded or drawn.
    let action = if kind == p::SealKind::Ukey {
        p::Action::ApplyUkeySeal
    } else {
        p::Action::ApplyCloudSeal
    };
    let sess = auth.session.clone();
    if !st
        .blocking(move |s| Ok(s.platform.may(&sess, action)?))
        .await?
    {
        return Err(p::PlatformError::Forbidden(format!(
            "{action:?} needs one of the roles allowed for it"
        ))
        .into());
    }
    let (format, picture) = match (&b.picture, &b.generated) {
        (Some(pic), None) => decode_picture("picture", pic)?,
        (None, Some(g)) => ("png".to_owned(), render_generated(g)?),
        _ => {
            return Err(ApiError::bad_request(
                "picture",
                "请上传印章图片或选择自动生成（二选一）",
                "give either picture or generated",
            ));
        }
    };
    st.blocking(move |s| {
        let seal = s
            .platform
            .apply_seal(
                &auth.session,
                SealApplication {
                    kind,
                    name: b.name.clone(),
                    seal_type: b.seal_type,
                    handler_name: b.handler_name.clone(),
                    handler_phone: b.handler_phone.clone(),
                    handler_id_number: b.handler_id_number.clone(),
                    picture,
                    picture_format: format,
                    generate: None,
                    width_mm: b.width_mm,
                    height_mm: b.height_mm,
                },
            )
            .map_err(|e| {
                super::check::name_field(e, || {
                    super::check::seal_application(
                        &b.name,
                        &b.handler_name,
                        &b.handler_phone,
                        &b.handler_id_number,
                    )
                })
            })?;
        Ok((
            axum::http::StatusCode::CREATED,
            Json(SealView::new(seal, s.clock.now())),
        ))
    })
    .await
}

/// One seal.
#[utoipa::path(get, path = "/api/v1/seals/{id}", tag = "seals", params(("id" = String, Path)), responses(
    (status = 200, body = SealView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_seal(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SealView>> {
    st.blocking(move |s| {
        Ok(Json(SealView::new(
            s.platform.seal(&auth.session, &id)?,
            s.clock.now(),
        )))
    })
    .await
}

/// The seal's picture.
#[utoipa::path(get, path = "/api/v1/seals/{id}/picture", tag = "seals", params(("id" = String, Path)), responses(
    (status = 200, description = "the picture", content_type = "image/png"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn seal_picture(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let seal = s.platform.seal(&auth.session, &id)?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(&seal.picture_b64)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let ct = match seal.picture_format.as_str() {
            "png" => "image/png",
            "gif" => "image/gif",
            _ => "image/jpeg",
        };
        Ok(bytes(ct, data))
    })
    .await
}

macro_rules! seal_action {
    ($name:ident, $path:literal, $doc:literal, $call:ident) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "seals", params(("id" = String, Path)), responses(
            (status = 200, body = SealView),
            (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
        ), security(("session_cookie" = []), ("bearer" = [])))]
        async fn $name(
            State(st): State<AppState>,
            auth: Auth,
            ApiPath(id): ApiPath<String>,
        ) -> ApiResult<Json<SealView>> {
            st.blocking(move |s| {
                let seal = s.platform.$call(&auth.session, &id)?;
                Ok(Json(SealView::new(seal, s.clock.now())))
            })
            .await
        }
    };
}

seal_action!(
    receipt,
    "/api/v1/seals/{id}/receipt",
    "回执 (2.2.2): 待回执 → 有效; a cloud seal gets its key in the vault.",
    receipt_seal
);
seal_action!(
    freeze,
    "/api/v1/seals/{id}/freeze",
    "冻结: a valid seal can no longer sign.",
    freeze_seal
);
seal_action!(
    unfreeze,
    "/api/v1/seals/{id}/unfreeze",
    "解冻: a frozen seal is valid again.",
    unfreeze_seal
);

#[derive(Serialize, ToSchema)]
pub struct RevocationConfirmation {
    /// One-time confirmation (5 minutes) for `POST /api/v1/seals/{id}/revoke`.
    pub confirmation: String,
    pub expires_in: i64,
}

/// 注销, first step (二次确认): a one-time confirmation for this identity and seal.
#[utoipa::path(post, path = "/api/v1/seals/{id}/revocation", tag = "seals", params(("id" = String, Path)), responses(
    (status = 200, body = RevocationConfirmation),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn request_revocation(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RevocationConfirmation>> {
    st.blocking(move |s| {
        let t = s.platform.request_revocation(&auth.session, &id)?;
        Ok(Json(RevocationConfirmation {
            confirmation: t,
            expires_in: p::REVOCATION_TOKEN_TTL,
        }))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub confirmation: String,
}

/// 注销 (2.2.2) with the confirmation: 有效/冻结 → 已注销; a cloud key is destroyed.
#[utoipa::path(post, path = "/api/v1/seals/{id}/revoke", tag = "seals", params(("id" = String, Path)), request_body = RevokeRequest, responses(
    (status = 200, body = SealView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn revoke(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<RevokeRequest>,
) -> ApiResult<Json<SealView>> {
    st.blocking(move |s| {
        let seal = s
            .platform
            .revoke_seal(&auth.session, &id, &b.confirmation)?;
        Ok(Json(SealView::new(seal, s.clock.now())))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteToUkeyRequest {
    /// The UKey's signing certificate (DER, base64) from the agent's `/v1/identity`: the seal
    /// made for it lists this certificate (GB/T 38540 certList).
    pub certificate: String,
}

#[derive(Serialize, ToSchema)]
pub struct WriteToUkeyView {
    pub seal: SealView,
    /// The GB/T 38540 seal (DER, base64) to write with the agent's `POST /v1/write-seal`.
    pub seal_der: String,
}

/// 写入 UKey (2.2.2): makes the GB/T 38540 seal for the UKey's certificate and records the
/// writing; the page hands `seal_der` to the agent, which writes it into the key.
#[utoipa::path(post, path = "/api/v1/seals/{id}/write-to-ukey", tag = "seals", params(("id" = String, Path)), request_body = WriteToUkeyRequest, responses(
    (status = 200, body = WriteToUkeyView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn write_to_ukey(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<WriteToUkeyRequest>,
) -> ApiResult<Json<WriteToUkeyView>> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(b.certificate.trim())
        .map_err(|_| {
            ApiError::bad_request(
                "certificate",
                "证书不是 base64",
                "certificate is not base64",
            )
        })?;
    let cert = eseal::crypto::Certificate::from_der(&der)
        .map_err(|e| ApiError::bad_request("certificate", "证书无效", e.to_string()))?;
    st.blocking(move |s| {
        let mut key = crate::browser_ukey::BrowserUkey::new(cert.der().to_vec());
        let seal = s.platform.write_seal_to_ukey(
            &auth.session,
            &id,
            &mut key,
            crate::browser_ukey::APPLICATION,
        )?;
        let der = s.platform.seal_der(&auth.session, &id)?;
        Ok(Json(WriteToUkeyView {
            seal: SealView::new(seal, s.clock.now()),
            seal_der: base64::engine::general_purpose::STANDARD.encode(der),
        }))
    })
    .await
}

/// 印章操作日志 (2.2.5).
#[utoipa::path(get, path = "/api/v1/seals/{id}/log", tag = "seals", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<SealLogView>),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn seal_log(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<SealLogView>>> {
    st.blocking(move |s| {
        let mut v: Vec<SealLogView> = s
            .platform
            .seal_log(&auth.session, &id)?
            .into_iter()
            .map(Into::into)
            .collect();
        v.reverse();
        Ok(Json(v))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealUserRequest {
    pub staff_id: String,
}

/// 设置印章使用人 (2.2.3): adds a user of a cloud seal.
#[utoipa::path(post, path = "/api/v1/seals/{id}/users", tag = "seals", params(("id" = String, Path)), request_body = SealUserRequest, responses(
    (status = 204, description = "added"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn add_user(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<SealUserRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.add_seal_user(&auth.session, &id, &b.staff_id)?;
        Ok(no_content())
    })
    .await
}

/// Removes a user of a cloud seal.
#[utoipa::path(delete, path = "/api/v1/seals/{id}/users/{user}", tag = "seals", params(("id" = String, Path), ("user" = String, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn remove_user(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((id, user)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.remove_seal_user(&auth.session, &id, &user)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub app_id: String,
    /// 外部应用 (an app of another unit, by its id).
    #[serde(default)]
    pub external: bool,
}

/// 授权应用 (2.2.4): grants a cloud seal to an app.
#[utoipa::path(post, path = "/api/v1/seals/{id}/grants", tag = "seals", params(("id" = String, Path)), request_body = GrantRequest, responses(
    (status = 201, body = GrantView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn add_grant(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<GrantRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<GrantView>)> {
    st.blocking(move |s| {
        let g = s
            .platform
            .grant_seal_to_app(&auth.session, &id, &b.app_id, b.external)?;
        Ok((axum::http::StatusCode::CREATED, Json(g.into())))
    })
    .await
}

/// One grant of the seal.
#[utoipa::path(get, path = "/api/v1/seals/{id}/grants/{app}", tag = "seals", params(("id" = String, Path), ("app" = String, Path)), responses(
    (status = 200, body = GrantView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_grant(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((id, app)): ApiPath<(String, String)>,
) -> ApiResult<Json<GrantView>> {
    st.blocking(move |s| Ok(Json(s.platform.grant(&auth.session, &id, &app)?.into())))
        .await
}

/// Removes a grant: the app can no longer call the seal.
#[utoipa::path(delete, path = "/api/v1/seals/{id}/grants/{app}", tag = "seals", params(("id" = String, Path), ("app" = String, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn remove_grant(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((id, app)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform.remove_grant(&auth.session, &id, &app)?;
        Ok(no_content())
    })
    .await
}

/// 配置签署确认 (2.2.4): none, system check (call limit, token check) or manual confirmation.
#[utoipa::path(put, path = "/api/v1/seals/{id}/grants/{app}/policy", tag = "seals", params(("id" = String, Path), ("app" = String, Path)), request_body = PolicyView, responses(
    (status = 200, body = GrantView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_policy(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((id, app)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<PolicyView>,
) -> ApiResult<Json<GrantView>> {
    st.blocking(move |s| {
        s.platform
            .set_confirm_policy(&auth.session, &id, &app, b.into())?;
        Ok(Json(s.platform.grant(&auth.session, &id, &app)?.into()))
    })
    .await
}
