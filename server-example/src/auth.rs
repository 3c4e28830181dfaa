//! Sessions and the `Auth` extractor shared by every chapter's router.
//!
//! A sign-in makes a random 256-bit session token. The browser gets it as the cookie
//! `eseal_session` (HttpOnly, SameSite=Strict, Secure when TLS is on) and a CSRF token it must
//! send back as `X-CSRF-Token` with every state-changing request; API clients may send the
//! token as `Authorization: Bearer …` instead (no cookie, so no CSRF). The store keeps the
//! session under SM3(token), so reading the database does not give a usable token; every
//! server process on the same database accepts it. Expiry: `session.ttl_secs` after sign-in.
//! (The open API's signed requests will be a second way through this extractor, issue 14.)

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use eseal::crypto::sm3::sm3;
use eseal::platform::{Identity, Session};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ns};
use crate::state::{AppState, Inner};

pub const COOKIE: &str = "eseal_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// [`Identity`] as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredIdentity {
    UnitKey {
        unit: String,
        key: String,
    },
    Staff {
        unit: String,
        staff: String,
        via_ukey: bool,
    },
    Operator {
        name: String,
    },
}

impl From<&Identity> for StoredIdentity {
    fn from(i: &Identity) -> Self {
        match i {
            Identity::UnitKey { unit, key } => StoredIdentity::UnitKey {
                unit: unit.clone(),
                key: key.clone(),
            },
            Identity::Staff {
                unit,
                staff,
                via_ukey,
            } => StoredIdentity::Staff {
                unit: unit.clone(),
                staff: staff.clone(),
                via_ukey: *via_ukey,
            },
            Identity::Operator { name } => StoredIdentity::Operator { name: name.clone() },
        }
    }
}

impl From<&StoredIdentity> for Identity {
    fn from(i: &StoredIdentity) -> Self {
        match i {
            StoredIdentity::UnitKey { unit, key } => Identity::UnitKey {
                unit: unit.clone(),
                key: key.clone(),
            },
            StoredIdentity::Staff {
                unit,
                staff,
                via_ukey,
            } => Identity::Staff {
                unit: unit.clone(),
                staff: staff.clone(),
                via_ukey: *via_ukey,
            },
            StoredIdentity::Operator { name } => Identity::Operator { name: name.clone() },
        }
    }
}

impl StoredIdentity {
    /// The id the platform uses for this identity (owner of uploads).
    pub fn actor_id(&self) -> String {
        match self {
            StoredIdentity::UnitKey { key, .. } => key.clone(),
            StoredIdentity::Staff { staff, .. } => staff.clone(),
            StoredIdentity::Operator { name } => format!("ops:{name}"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub identity: StoredIdentity,
    pub csrf: String,
    pub created: i64,
    pub expires: i64,
    /// 1.3.1: an SMS sign-in of a user without password asks for one.
    #[serde(default)]
    pub must_set_password: bool,
}

fn session_key(token: &str) -> String {
    hex::encode(sm3(token.as_bytes()))
}

/// A new session: (token, record), stored.
pub fn create_session(
    s: &Inner,
    identity: &Identity,
    must_set_password: bool,
) -> ApiResult<(String, SessionRecord)> {
    let token = crate::random_hex(32)?;
    let now = s.clock.now();
    let rec = SessionRecord {
        identity: identity.into(),
        csrf: crate::random_hex(16)?,
        created: now,
        expires: now + s.cfg.session.ttl_secs,
        must_set_password,
    };
    let body = serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?;
    s.db.kv_put(
        ns::SESSION,
        &KvEntry {
            id: session_key(&token),
            owner: rec.identity.actor_id(),
            body,
            expires: Some(rec.expires),
        },
    )?;
    Ok((token, rec))
}

pub fn delete_session(s: &Inner, token: &str) -> ApiResult<()> {
    Ok(s.db.kv_delete(ns::SESSION, &session_key(token))?)
}

/// The `Set-Cookie` value for a session token (empty token and max-age 0: removal).
pub fn cookie(s: &Inner, token: &str, max_age: i64) -> String {
    let secure = s.cfg.session.secure_cookie.unwrap_or(s.cfg.tls.is_some());
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The client's address (the TCP peer; a proxy in front is not trusted for it).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

fn token_of(h: &HeaderMap) -> Option<(String, bool)> {
    if let Some(b) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((b.trim().to_owned(), false));
    }
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| (v.to_owned(), true))
}

/// A signed-in request: the platform session, and how it came.
#[derive(Debug, Clone)]
pub struct Auth {
    pub session: Session,
    pub identity: StoredIdentity,
    pub token: String,
    pub record: SessionRecord,
}

impl Auth {
    pub fn actor_id(&self) -> String {
        self.identity.actor_id()
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let ip = ClientIp::from_request_parts(parts, st)
            .await
            .map(|c| c.0)
            .unwrap_or_default();
        let (token, via_cookie) = token_of(&parts.headers)
            .ok_or_else(|| ApiError::unauthenticated("no session: sign in first"))?;
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::unauthenticated("malformed session token"));
        }
        let key = session_key(&token);
        let entry = st
            .blocking(move |s| Ok(s.db.kv_get(ns::SESSION, &key, s.clock.now())?))
            .await?
            .ok_or_else(|| ApiError::unauthenticated("session expired or signed out"))?;
        let record: SessionRecord = serde_json::from_str(&entry.body)
            .map_err(|e| ApiError::internal(format!("session record: {e}")))?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && unsafe_method {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let ok = sent.len() == record.csrf.len()
                && sent
                    .bytes()
                    .zip(record.csrf.bytes())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0;
            if !ok {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "csrf",
                    "CSRF token missing or wrong",
                    "缺少或错误的 CSRF 令牌，请刷新页面",
                    "state-changing requests with the session cookie need the X-CSRF-Token header",
                ));
            }
        }
        Ok(Auth {
            session: Session {
                identity: (&record.identity).into(),
                ip,
            },
            identity: record.identity.clone(),
            token,
            record,
        })
    }
}
