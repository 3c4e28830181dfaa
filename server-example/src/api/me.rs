//! 2.1 个人中心: profile, avatar, SMS codes for the session, login and signing passwords,
//! personal signature (uploaded or generated square / rectangular seal), and the personal
//! UKey signature (公务人员国办签名, 2.1.2.5).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use eseal::platform::{self as p, SealApplication, SignatureSource};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{SealView, StaffView, UnitView};
use super::{ApiJson, ApiPath, bytes, no_content};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(profile))
        .routes(routes!(set_avatar))
        .routes(routes!(get_avatar))
        .routes(routes!(session_code))
        .routes(routes!(set_password))
        .routes(routes!(set_signing_password))
        .routes(routes!(new_phone_code))
        .routes(routes!(change_phone))
        .routes(routes!(get_signature, set_signature))
        .routes(routes!(signature_picture))
        .routes(routes!(apply_personal_signature))
        .routes(routes!(receipt_personal_signature))
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub unit: UnitView,
    /// The staff record (absent for unit UKeys and the back office).
    pub staff: Option<StaffView>,
}

/// Who I am: my unit and, for staff, my record (2.1).
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses(
    (status = 200, body = ProfileView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn profile(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<ProfileView>> {
    st.blocking(move |s| {
        let unit = s.platform.unit(&auth.session)?.into();
        let staff = match &auth.session.identity {
            p::Identity::Staff { staff, .. } => {
                Some(s.platform.staff(&auth.session, staff)?.into())
            }
            _ => None,
        };
        Ok(Json(ProfileView { unit, staff }))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PictureUpload {
    /// `png`, `jpg`, `jpeg` or `gif`.
    pub format: String,
    /// The picture, base64 (at most 2 MB decoded).
    pub data: String,
}

const MAX_PICTURE: usize = 2 * 1024 * 1024;

/// Decodes and checks an uploaded picture: the bytes must be the format they claim.
pub fn decode_picture(field: &str, p: &PictureUpload) -> ApiResult<(String, Vec<u8>)> {
    let fmt = p.format.to_ascii_lowercase();
    if !["png", "jpg", "jpeg", "gif"].contains(&fmt.as_str()) {
        return Err(ApiError::bad_request(
            "format",
            "图片格式须为 jpg、jpeg、png 或 gif",
            "picture format must be jpg, jpeg, png or gif",
        ));
    }
    let data = b64()
        .decode(p.data.trim())
        .map_err(|_| ApiError::bad_request(field, "图片不是 base64", "picture is not base64"))?;
    if data.is_empty() || data.len() > MAX_PICTURE {
        return Err(ApiError::bad_request(
            field,
            "图片为空或超过 2 MB",
            "picture is empty or larger than 2 MB",
        ));
    }
    let magic_ok = match fmt.as_str() {
        "png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "gif" => data.starts_with(b"GIF8"),
        _ => data.starts_with(&[0xFF, 0xD8, 0xFF]),
    };
    if !magic_ok {
        return Err(ApiError::bad_request(
            field,
            "图片内容与格式不符",
            format!("the picture is not a {fmt} file"),
        ));
    }
    Ok((fmt, data))
}

/// 设置头像 (2.1.1.1, 2.1.2.1).
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "me", request_body = PictureUpload, responses(
    (status = 204, description = "set"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_avatar(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<PictureUpload>,
) -> ApiResult<Response> {
    let (fmt, data) = decode_picture("data", &b)?;
    st.blocking(move |s| {
        let name = format!("{}.{fmt}", hex::encode(eseal::crypto::sm3::sm3(&data)));
        let dir = s.cfg.data_dir.join("avatars");
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
        eseal::fs::write_atomic(&dir.join(&name), &[&data])
            .map_err(|e| ApiError::internal(e.to_string()))?;
        s.platform
            .set_avatar(&auth.session, &format!("/api/v1/avatars/{name}"))?;
        Ok(no_content())
    })
    .await
}

/// An avatar picture.
#[utoipa::path(get, path = "/api/v1/avatars/{name}", tag = "me", params(("name" = String, Path)), responses(
    (status = 200, description = "the picture", content_type = "image/png"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_avatar(
    State(st): State<AppState>,
    _auth: Auth,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    let ok = name.len() < 80
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b.is_ascii_lowercase())
        && name.matches('.').count() == 1;
    if !ok {
        return Err(ApiError::not_found("no such avatar"));
    }
    st.blocking(move |s| {
        let data = std::fs::read(s.cfg.data_dir.join("avatars").join(&name))
            .map_err(|_| ApiError::not_found("no such avatar"))?;
        let ct = match name.rsplit('.').next() {
            Some("png") => "image/png",
            Some("gif") => "image/gif",
            _ => "image/jpeg",
        };
        Ok(bytes(ct, data))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCodeRequest {
    /// `set_password` (login or signing password), `sign` (signing with an SMS code) or
    /// `change_phone` (the current phone's code for 修改手机号).
    pub purpose: String,
}

/// Sends an SMS code to my own phone (setting passwords, signing).
#[utoipa::path(post, path = "/api/v1/me/sms-code", tag = "me", request_body = SessionCodeRequest, responses(
    (status = 204, description = "sent"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn session_code(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SessionCodeRequest>,
) -> ApiResult<Response> {
    let purpose = match b.purpose.as_str() {
        "set_password" => p::SmsPurpose::SetPassword,
        "sign" => p::SmsPurpose::Sign,
        "change_phone" => p::SmsPurpose::ChangePhone,
        _ => {
            return Err(ApiError::bad_request(
                "purpose",
                "用途须为 set_password、sign 或 change_phone",
                "purpose is set_password, sign or change_phone",
            ));
        }
    };
    st.blocking(move |s| {
        s.platform.send_session_code(&auth.session, purpose)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    /// The code sent with purpose `set_password`.
    pub code: String,
    /// 8–20 characters of at least two kinds (digits, letters, symbols).
    pub password: String,
}

/// 设置 / 修改登录密码 (1.3.2.1, 2.1.2.3).
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me", request_body = SetPasswordRequest, responses(
    (status = 204, description = "set"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_password(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SetPasswordRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform
            .set_password(&auth.session, &b.code, &b.password)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSigningPasswordRequest {
    pub code: String,
    /// Six digits.
    pub signing_password: String,
}

/// 设置签署密码 (2.1.2.4).
#[utoipa::path(put, path = "/api/v1/me/signing-password", tag = "me", request_body = SetSigningPasswordRequest, responses(
    (status = 204, description = "set"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_signing_password(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SetSigningPasswordRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform
            .set_signing_password(&auth.session, &b.code, &b.signing_password)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPhoneCodeRequest {
    /// The new phone number (11 digits); no other account may hold it.
    pub new_phone: String,
}

/// 修改手机号, step 1 (2.1.2): an SMS code to the new phone. The current phone gets its code
/// from `POST /api/v1/me/sms-code` with purpose `change_phone`.
#[utoipa::path(post, path = "/api/v1/me/phone/sms-code", tag = "me", request_body = NewPhoneCodeRequest, responses(
    (status = 204, description = "sent"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn new_phone_code(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewPhoneCodeRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform
            .send_new_phone_code(&auth.session, &b.new_phone)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePhoneRequest {
    /// The code sent to the current phone (purpose `change_phone`).
    pub current_code: String,
    pub new_phone: String,
    /// The code sent to the new phone (`POST /api/v1/me/phone/sms-code`).
    pub new_code: String,
}

/// 修改手机号, step 2 (2.1.2): both phones proved by their codes; the account signs in with
/// the new phone from now on.
#[utoipa::path(put, path = "/api/v1/me/phone", tag = "me", request_body = ChangePhoneRequest, responses(
    (status = 200, body = StaffView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn change_phone(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<ChangePhoneRequest>,
) -> ApiResult<Json<StaffView>> {
    st.blocking(move |s| {
        let staff =
            s.platform
                .change_phone(&auth.session, &b.current_code, &b.new_phone, &b.new_code)?;
        Ok(Json(staff.into()))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct SignatureView {
    pub text: String,
    /// `uploaded`, `square` or `rect`.
    pub source: String,
    pub picture_url: String,
    pub updated: i64,
}

fn signature_view(p: p::PersonalSignature) -> SignatureView {
    SignatureView {
        text: p.text,
        source: match p.source {
            SignatureSource::Uploaded { .. } => "uploaded",
            SignatureSource::GeneratedSquare => "square",
            SignatureSource::GeneratedRect => "rect",
        }
        .into(),
        picture_url: "/api/v1/me/signature/picture".into(),
        updated: p.updated,
    }
}

/// My personal signature (2.1.2.2); 404 when none is set.
#[utoipa::path(get, path = "/api/v1/me/signature", tag = "me", responses(
    (status = 200, body = SignatureView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn get_signature(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<SignatureView>> {
    st.blocking(move |s| {
        s.platform
            .personal_signature(&auth.session)?
            .map(|p| Json(signature_view(p)))
            .ok_or_else(|| ApiError::not_found("no personal signature set"))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSignatureRequest {
    /// The name on a generated seal (at most 20 characters).
    pub text: String,
    /// `uploaded` (picture required), `square` (方形章) or `rect` (长方形章).
    pub source: String,
    pub picture: Option<PictureUpload>,
}

/// 设置个人签名 (2.1.2.2): a handwritten or local picture, or a generated square /
/// rectangular seal of the name.
#[utoipa::path(put, path = "/api/v1/me/signature", tag = "me", request_body = SetSignatureRequest, responses(
    (status = 200, body = SignatureView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn set_signature(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<SetSignatureRequest>,
) -> ApiResult<Json<SignatureView>> {
    let source = match (b.source.as_str(), &b.picture) {
        ("uploaded", Some(pic)) => {
            let (format, data) = decode_picture("picture", pic)?;
            SignatureSource::Uploaded {
                format,
                picture_b64: b64().encode(data),
            }
        }
        ("uploaded", None) => {
            return Err(ApiError::bad_request(
                "picture",
                "请上传签名图片",
                "an uploaded signature needs the picture",
            ));
        }
        ("square", _) => SignatureSource::GeneratedSquare,
        ("rect", _) => SignatureSource::GeneratedRect,
        _ => {
            return Err(ApiError::bad_request(
                "source",
                "来源须为 uploaded、square 或 rect",
                "source is uploaded, square or rect",
            ));
        }
    };
    st.blocking(move |s| {
        let p = s
            .platform
            .set_personal_signature(&auth.session, &b.text, source)?;
        Ok(Json(signature_view(p)))
    })
    .await
}

/// The picture of a personal signature: the upload, or the generated seal drawn now.
pub fn signature_png(p: &p::PersonalSignature) -> ApiResult<(String, Vec<u8>)> {
    use eseal::stamp::personal::{PersonalSeal, PersonalShape};
    let shape = match &p.source {
        SignatureSource::Uploaded {
            format,
            picture_b64,
        } => {
            let data = b64()
                .decode(picture_b64)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let ct = match format.as_str() {
                "png" => "image/png",
                "gif" => "image/gif",
                _ => "image/jpeg",
            };
            return Ok((ct.into(), data));
        }
        SignatureSource::GeneratedSquare => PersonalShape::Square,
        SignatureSource::GeneratedRect => PersonalShape::Rectangle,
    };
    let pic = PersonalSeal::new(shape, &p.text)
        .render()
        .map_err(|e| ApiError::bad_request("text", "无法用此姓名生成印章", e.to_string()))?;
    Ok(("image/png".into(), pic.png))
}

/// The picture of my personal signature.
#[utoipa::path(get, path = "/api/v1/me/signature/picture", tag = "me", responses(
    (status = 200, description = "the picture", content_type = "image/png"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn signature_picture(State(st): State<AppState>, auth: Auth) -> ApiResult<Response> {
    st.blocking(move |s| {
        let p = s
            .platform
            .personal_signature(&auth.session)?
            .ok_or_else(|| ApiError::not_found("no personal signature set"))?;
        let (ct, data) = signature_png(&p)?;
        Ok(bytes(&ct, data))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonalSignatureApplication {
    /// 印章名称
    pub name: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
}

/// 申请公务人员国办签名 (2.1.2.5): needs the switch, a personal UKey session and a personal
/// signature; the picture is the personal signature.
#[utoipa::path(post, path = "/api/v1/me/personal-ukey-signatures", tag = "me", request_body = PersonalSignatureApplication, responses(
    (status = 201, body = SealView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn apply_personal_signature(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<PersonalSignatureApplication>,
) -> ApiResult<(axum::http::StatusCode, Json<SealView>)> {
    st.blocking(move |s| {
        // The matrix first (the picture below is read from the caller's own signature).
        if !s
            .platform
            .may(&auth.session, p::Action::ApplyPersonalUkeySignature)?
        {
            return Err(p::PlatformError::Forbidden(
                "ApplyPersonalUkeySignature needs one of the roles allowed for it".into(),
            )
            .into());
        }
        let sig = s
            .platform
            .personal_signature(&auth.session)?
            .ok_or_else(|| {
                ApiError::from(p::PlatformError::InvalidState(
                    "set a personal signature first".into(),
                ))
            })?;
        let (ct, picture) = signature_png(&sig)?;
        let a = SealApplication {
            kind: p::SealKind::PersonalUkey,
            name: b.name.clone(),
            seal_type: 3,
            handler_name: b.handler_name.clone(),
            handler_phone: b.handler_phone.clone(),
            handler_id_number: b.handler_id_number.clone(),
            picture,
            picture_format: ct.trim_start_matches("image/").replace("jpeg", "jpg"),
            generate: None,
            width_mm: 0,
            height_mm: 0,
        };
        let seal = s
            .platform
            .apply_personal_ukey_signature(&auth.session, a)
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

/// 回执 of my personal UKey signature (待回执 → 有效).
#[utoipa::path(post, path = "/api/v1/me/personal-ukey-signatures/{id}/receipt", tag = "me", params(("id" = String, Path)), responses(
    (status = 200, body = SealView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn receipt_personal_signature(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SealView>> {
    st.blocking(move |s| {
        let seal = s.platform.receipt_personal_signature(&auth.session, &id)?;
        Ok(Json(SealView::new(seal, s.clock.now())))
    })
    .await
}
