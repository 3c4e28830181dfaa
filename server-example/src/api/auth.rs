//! Chapter 1 登录: image captcha → SMS code sign-in, password sign-in and reset, UKey sign-in
//! by a server challenge signed in the UKey (through `eseal agent`), the back office, the
//! session and sign-out.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use eseal::platform::{Identity, Session, SmsPurpose, UkeyKind, UkeyProof};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{LoginView, SessionView, role_name};
use super::{ApiJson, no_content};
use crate::auth::{Auth, ClientIp, SessionRecord, create_session};
use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ns};
use crate::state::{AppState, Inner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(captcha))
        .routes(routes!(send_sms_code))
        .routes(routes!(login_sms))
        .routes(routes!(login_password))
        .routes(routes!(reset_password))
        .routes(routes!(ukey_challenge))
        .routes(routes!(login_ukey))
        .routes(routes!(login_operator))
        .routes(routes!(logout))
        .routes(routes!(session))
        .routes(routes!(dev_sms))
        .routes(routes!(dev_captcha))
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The session view of a record.
pub fn session_view(s: &Inner, rec: &SessionRecord) -> ApiResult<SessionView> {
    let identity: Identity = (&rec.identity).into();
    let ctx = s.platform.ctx(&Session {
        identity: identity.clone(),
        ip: String::new(),
    })?;
    let (kind, via_ukey) = match identity {
        Identity::UnitKey { .. } => ("unit_key", true),
        Identity::Staff { via_ukey, .. } => ("staff", via_ukey),
        Identity::Operator { .. } => ("operator", false),
    };
    Ok(SessionView {
        kind: kind.into(),
        id: ctx.id,
        name: ctx.name,
        unit: ctx.unit,
        roles: ctx.roles.into_iter().map(role_name).collect(),
        via_ukey,
        csrf: rec.csrf.clone(),
        expires: rec.expires,
        must_set_password: rec.must_set_password,
    })
}

/// Makes the session of a successful sign-in and answers with its cookie.
fn signed_in(s: &Inner, session: &Session, must_set_password: bool) -> ApiResult<Response> {
    let (token, rec) = create_session(s, &session.identity, must_set_password)?;
    let view = session_view(s, &rec)?;
    let cookie = crate::auth::cookie(s, &token, s.cfg.session.ttl_secs);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginView {
            token,
            session: view,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct CaptchaView {
    pub captcha_id: String,
    /// The picture: `data:image/png;base64,…`.
    pub image: String,
    pub expires_in: i64,
}

/// A new image captcha (single use, 5 minutes).
#[utoipa::path(post, path = "/api/v1/auth/captcha", tag = "auth", responses((status = 200, body = CaptchaView)))]
async fn captcha(State(st): State<AppState>) -> ApiResult<Json<CaptchaView>> {
    st.blocking(|s| {
        let (id, answer) = s.platform.issue_captcha()?;
        let png = crate::captcha::render(&answer).map_err(ApiError::internal)?;
        if s.cfg.dev.captcha_answers {
            s.db.kv_put(
                ns::DEV_CAPTCHA,
                &KvEntry {
                    id: id.clone(),
                    owner: String::new(),
                    body: answer.clone(),
                    expires: Some(s.clock.now() + eseal::platform::CAPTCHA_TTL),
                },
            )?;
        }
        Ok(Json(CaptchaView {
            captcha_id: id,
            image: format!("data:image/png;base64,{}", b64().encode(png)),
            expires_in: eseal::platform::CAPTCHA_TTL,
        }))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    pub phone: String,
    /// `login` or `reset`.
    pub purpose: String,
    pub captcha_id: String,
    pub captcha_answer: String,
}

fn purpose(field: &str, p: &str) -> ApiResult<SmsPurpose> {
    match p {
        "login" => Ok(SmsPurpose::Login),
        "reset" => Ok(SmsPurpose::ResetPassword),
        "set_password" => Ok(SmsPurpose::SetPassword),
        "sign" => Ok(SmsPurpose::Sign),
        "change_phone" => Ok(SmsPurpose::ChangePhone),
        _ => Err(ApiError::bad_request(
            field,
            "短信用途无效",
            format!("unknown purpose {p:?}"),
        )),
    }
}

/// Sends an SMS code for sign-in or password reset, after the image captcha (1.3.1, 1.3.2.3).
#[utoipa::path(post, path = "/api/v1/auth/sms-code", tag = "auth", request_body = SmsCodeRequest, responses(
    (status = 204, description = "sent"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn send_sms_code(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<SmsCodeRequest>,
) -> ApiResult<Response> {
    let p = purpose("purpose", &b.purpose)?;
    super::check::phone("phone", &b.phone)?;
    if !matches!(p, SmsPurpose::Login | SmsPurpose::ResetPassword) {
        return Err(ApiError::bad_request(
            "purpose",
            "此处只能申请登录或重设密码的验证码",
            "purpose must be login or reset here",
        ));
    }
    st.blocking(move |s| {
        s.platform
            .send_sms_code(&b.phone, p, &b.captcha_id, &b.captcha_answer, &ip)?;
        Ok(no_content())
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginRequest {
    pub phone: String,
    pub code: String,
}

/// SMS-code sign-in (1.3.1).
#[utoipa::path(post, path = "/api/v1/auth/login/sms", tag = "auth", request_body = SmsLoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn login_sms(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<SmsLoginRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let r = s.platform.login_sms(&b.phone, &b.code, &ip)?;
        signed_in(s, &r.session, r.must_set_password)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLoginRequest {
    pub phone: String,
    pub password: String,
}

/// Password sign-in (1.3.2.2); five wrong passwords lock it for 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/login/password", tag = "auth", request_body = PasswordLoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn login_password(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<PasswordLoginRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let sess = s.platform.login_password(&b.phone, &b.password, &ip)?;
        signed_in(s, &sess, false)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub phone: String,
    /// The code sent with purpose `reset`.
    pub code: String,
    pub new_password: String,
}

/// 重设密码 (1.3.2.3).
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth", request_body = ResetPasswordRequest, responses(
    (status = 204, description = "password set"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn reset_password(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<ResetPasswordRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        s.platform
            .reset_password(&b.phone, &b.code, &b.new_password, &ip)?;
        Ok(no_content())
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct ChallengeView {
    pub challenge_id: String,
    /// 32 random bytes (base64) for the UKey to sign: `POST /v1/sign-challenge` of `eseal agent`.
    pub challenge: String,
    pub expires: i64,
}

/// A UKey sign-in challenge (single use, 2 minutes), issued and kept by the platform.
#[utoipa::path(post, path = "/api/v1/auth/ukey/challenge", tag = "auth", responses((status = 200, body = ChallengeView)))]
async fn ukey_challenge(State(st): State<AppState>) -> ApiResult<Json<ChallengeView>> {
    st.blocking(|s| {
        let c = s.platform.ukey_challenge()?;
        Ok(Json(ChallengeView {
            challenge_id: c.id,
            challenge: b64().encode(c.bytes),
            expires: c.expires,
        }))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UkeyLoginRequest {
    pub challenge_id: String,
    /// `unit` (法人一证通, 1.2.1) or `personal` (1.2.2).
    pub kind: String,
    /// The UKey's signing certificate (DER, base64), as the agent returns it.
    pub certificate: String,
    /// SM2 signature (DER, base64) of the challenge bytes with the default signer ID.
    pub signature: String,
    /// The device serial the agent reports (通用实体唯一标识 when the certificate has none).
    pub device_serial: String,
}

/// UKey sign-in (1.2.1 unit, 1.2.2 personal): the challenge signed in the UKey; the platform
/// checks the signature, the certificate chain and the whitelist (`Platform::login_ukey`).
#[utoipa::path(post, path = "/api/v1/auth/login/ukey", tag = "auth", request_body = UkeyLoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn login_ukey(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<UkeyLoginRequest>,
) -> ApiResult<Response> {
    let kind = match b.kind.as_str() {
        "unit" => UkeyKind::Unit,
        "personal" => UkeyKind::Personal,
        _ => {
            return Err(ApiError::bad_request(
                "kind",
                "类型须为 unit 或 personal",
                "kind is unit or personal",
            ));
        }
    };
    let bad = |f: &str, en: &str| ApiError::bad_request(f, "UKey 签名数据无效", en.to_owned());
    let proof = UkeyProof {
        challenge_id: b.challenge_id,
        certificate: b64()
            .decode(b.certificate.trim())
            .map_err(|_| bad("certificate", "certificate is not base64"))?,
        signature: b64()
            .decode(b.signature.trim())
            .map_err(|_| bad("signature", "signature is not base64"))?,
        device_serial: b.device_serial,
    };
    st.blocking(move |s| {
        let sess = s.platform.login_ukey(kind, &proof, &ip)?;
        signed_in(s, &sess, false)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorLoginRequest {
    pub name: String,
    pub password: String,
}

/// Back-office sign-in (运维后台: CA review, app review, switches); accounts from the configuration.
#[utoipa::path(post, path = "/api/v1/auth/login/operator", tag = "auth", request_body = OperatorLoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn login_operator(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<OperatorLoginRequest>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        use eseal::crypto::sm3::sm3;
        let found =
            s.cfg.operators.iter().any(|o| {
                o.name == b.name && sm3(o.password.as_bytes()) == sm3(b.password.as_bytes())
            });
        if !found {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "login_refused",
                "Sign-in refused",
                "账号或密码错误",
                "wrong operator name or password",
            ));
        }
        signed_in(s, &Session::operator(&b.name, &ip), false)
    })
    .await
}

/// Signs out: the session is removed from the store and the cookie cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204, description = "signed out")),
    security(("session_cookie" = []), ("bearer" = [])))]
async fn logout(State(st): State<AppState>, auth: Auth) -> ApiResult<Response> {
    st.blocking(move |s| {
        crate::auth::delete_session(s, &auth.token)?;
        let mut r = no_content();
        if let Ok(v) = axum::http::HeaderValue::from_str(&crate::auth::cookie(s, "", 0)) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        Ok(r)
    })
    .await
}

/// The current session (identity, roles, CSRF token).
#[utoipa::path(get, path = "/api/v1/session", tag = "auth", responses(
    (status = 200, body = SessionView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn session(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<SessionView>> {
    st.blocking(move |s| Ok(Json(session_view(s, &auth.record)?)))
        .await
}

#[derive(Serialize, ToSchema)]
pub struct DevSmsView {
    pub phone: String,
    pub text: String,
    pub time: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DevSmsQuery {
    pub phone: String,
}

/// Development only (`sms.sender = "dev"`): the messages sent to a phone in the last hour,
/// newest first — what a phone would have received.
#[utoipa::path(get, path = "/api/v1/dev/sms", tag = "auth", params(DevSmsQuery), responses((status = 200, body = Vec<DevSmsView>)))]
async fn dev_sms(
    State(st): State<AppState>,
    super::ApiQuery(q): super::ApiQuery<DevSmsQuery>,
) -> ApiResult<Json<Vec<DevSmsView>>> {
    if st.cfg.sms.sender != "dev" {
        return Err(ApiError::not_found("no development SMS sender"));
    }
    st.blocking(move |s| {
        let mut v: Vec<DevSmsView> =
            s.db.kv_list(ns::DEV_SMS, &q.phone, s.clock.now())?
                .into_iter()
                .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
                .map(|j| DevSmsView {
                    phone: j["phone"].as_str().unwrap_or("").into(),
                    text: j["text"].as_str().unwrap_or("").into(),
                    time: j["time"].as_i64().unwrap_or(0),
                })
                .collect();
        v.reverse();
        Ok(Json(v))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct DevCaptchaView {
    pub answer: String,
}

/// Development only (`dev.captcha_answers`): the answer of a captcha, for automated tests of
/// the SMS sign-in. 404 when off.
#[utoipa::path(get, path = "/api/v1/dev/captcha/{id}", tag = "auth", params(("id" = String, Path)), responses(
    (status = 200, body = DevCaptchaView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn dev_captcha(
    State(st): State<AppState>,
    super::ApiPath(id): super::ApiPath<String>,
) -> ApiResult<Json<DevCaptchaView>> {
    if !st.cfg.dev.captcha_answers {
        return Err(ApiError::not_found(
            "captcha answers are not told (dev.captcha_answers is off)",
        ));
    }
    st.blocking(move |s| {
        s.db.kv_get(ns::DEV_CAPTCHA, &id, s.clock.now())?
            .map(|e| Json(DevCaptchaView { answer: e.body }))
            .ok_or_else(|| ApiError::not_found("no such captcha"))
    })
    .await
}
