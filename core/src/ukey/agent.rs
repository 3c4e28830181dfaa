//! The local agent (证书助手): what the portal's page in the browser asks of the UKey, as
//! JSON requests and responses. The HTTP listener (127.0.0.1 only) is `eseal agent`; this
//! module is the request handling, so it is testable without a socket.
//!
//! Protection against other web pages driving the key:
//! - every request except a CORS preflight must carry the per-session secret in the
//!   `X-Eseal-Session` header (compared in constant time);
//! - a request with an `Origin` other than the configured portal origin is refused, and CORS
//!   headers are only ever sent for the portal origin;
//! - the `Host` must be a loopback name (against DNS rebinding).
//!
//! The PIN is never logged or kept: it lives in the request body only for the call.
//!
//! Endpoints (JSON bodies; binary values base64):
//! - `GET  /v1/keys` — the keys present, across the configured libraries;
//! - `GET  /v1/identity[?device=NAME]` — identity of the inserted key (certificate details,
//!   whitelist candidates, `key_uid` under the configured rule, PIN tries left);
//! - `POST /v1/verify-pin` `{pin, device?}`;
//! - `POST /v1/sign-challenge` `{pin, challenge, device?}` — signs e = SM3(Z‖challenge) for a
//!   login; returns the certificate, the DER signature and the device serial;
//! - `POST /v1/sign` `{pin, message | digest, device?}` — signs a document's to-be-signed bytes
//!   (the agent computes e) or a ready digest e;
//! - `GET  /v1/seals[?device=NAME]`, `POST /v1/seals` `{pin?, device?}` — the seals on the key;
//! - `POST /v1/write-seal` `{pin, seal, file?, device?}` — writes a seal (DER) to the key.

use super::seals::{read_seals, seal_file_name, write_seal};
use super::{
    KeyIdentity, MatchRule, PinType, SkfConfig, SkfLibrary, Token, TokenLibrary, UkeyError,
    find_sm2_container,
};
use crate::crypto::sm2;
use crate::crypto::{Certificate, sm3::sm3};
use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The header that carries the session secret.
pub const SESSION_HEADER: &str = "x-eseal-session";
/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// Settings of the agent.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// SKF libraries to poll, each with its vendor settings.
    pub libraries: Vec<(PathBuf, SkfConfig)>,
    /// The only origin allowed to call (e.g. `https://seal.example.gov.cn`).
    pub portal_origin: String,
    /// The per-session secret.
    pub session_secret: String,
    /// Application to use; `None`: the first one on the key.
    pub application: Option<String>,
    /// How `key_uid` is derived.
    pub match_rule: MatchRule,
    /// Prefix of the file name a written seal gets.
    pub seal_file_prefix: String,
}

/// A request as the HTTP layer received it.
#[derive(Debug, Clone)]
pub struct AgentRequest {
    pub method: String,
    /// Path with query.
    pub url: String,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The answer to give.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl AgentResponse {
    fn json(status: u16, v: Value) -> AgentResponse {
        AgentResponse {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: v.to_string().into_bytes(),
        }
    }
    fn error(status: u16, code: &str, message: &str) -> AgentResponse {
        Self::json(status, json!({ "error": code, "message": message }))
    }
    /// The JSON body.
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The agent: configured libraries, loaded once.
pub struct Agent {
    cfg: AgentConfig,
    libs: Vec<SkfLibrary>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random session secret (hex of 32 bytes).
pub fn new_session_secret() -> Result<String, UkeyError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(UkeyError::Random)?;
    Ok(hex::encode(b))
}

fn ukey_status(e: &UkeyError) -> (u16, &'static str) {
    match e {
        UkeyError::PinIncorrect { .. } => (403, "pin_incorrect"),
        UkeyError::PinLocked => (403, "pin_locked"),
        UkeyError::PinLength | UkeyError::PinInvalid => (400, "pin_invalid"),
        UkeyError::NotLoggedIn => (403, "not_logged_in"),
        UkeyError::NoDevice(_) | UkeyError::DeviceRemoved => (404, "no_key"),
        UkeyError::NotFound(_) => (404, "not_found"),
        UkeyError::NoRoom => (507, "no_room"),
        UkeyError::Invalid(_) => (400, "invalid"),
        UkeyError::Random(_) => (500, "internal"),
        _ => (502, "ukey_error"),
    }
}

fn ukey_error(e: UkeyError) -> AgentResponse {
    let (status, code) = ukey_status(&e);
    let mut v = json!({ "error": code, "message": e.to_string() });
    if let UkeyError::PinIncorrect { retries_left } = e {
        v["retries_left"] = json!(retries_left);
    }
    if matches!(e, UkeyError::PinLocked) {
        v["retries_left"] = json!(0);
        v["locked"] = json!(true);
    }
    AgentResponse::json(status, v)
}

impl Agent {
    /// Loads the configured libraries; fails on the first one that does not load.
    pub fn new(cfg: AgentConfig) -> Result<Agent, UkeyError> {
        if cfg.session_secret.len() < 16 {
            return Err(UkeyError::Invalid(
                "the session secret must have at least 16 characters".into(),
            ));
        }
        if !(cfg.portal_origin.starts_with("https://") || cfg.portal_origin.starts_with("http://"))
            || cfg.portal_origin.ends_with('/')
        {
            return Err(UkeyError::Invalid(format!(
                "portal origin {:?} is not scheme://host[:port]",
                cfg.portal_origin
            )));
        }
        let libs = cfg
            .libraries
            .iter()
            .map(|(p, c)| SkfLibrary::load_with(p, c.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Agent { cfg, libs })
    }

    fn header<'a>(req: &'a AgentRequest, name: &str) -> Option<&'a str> {
        req.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn cors(&self, mut r: AgentResponse, origin: Option<&str>) -> AgentResponse {
        if origin == Some(self.cfg.portal_origin.as_str()) {
            r.headers.push((
                "Access-Control-Allow-Origin".into(),
                self.cfg.portal_origin.clone(),
            ));
        }
        r.headers.push(("Vary".into(), "Origin".into()));
        r.headers.push(("Cache-Control".into(), "no-store".into()));
        r
    }

    /// Handles one request.
    pub fn handle(&self, req: &AgentRequest) -> AgentResponse {
        let origin = Self::header(req, "origin");
        if let Some(o) = origin
            && o != self.cfg.portal_origin
        {
            return AgentResponse::error(
                403,
                "origin_refused",
                "this origin may not use the UKey agent",
            );
        }
        let host_ok = Self::header(req, "host").is_some_and(|h| {
            let name = h.rsplit_once(':').map_or(h, |(n, _)| n);
            matches!(name, "127.0.0.1" | "localhost" | "[::1]")
        });
        if !host_ok {
            return self.cors(
                AgentResponse::error(
                    403,
                    "host_refused",
                    "the agent answers on a loopback address only",
                ),
                origin,
            );
        }
        if req.method == "OPTIONS" {
            let mut r = AgentResponse {
                status: 204,
                headers: vec![],
                body: vec![],
            };
            if origin.is_some() {
                r.headers
                    .push(("Access-Control-Allow-Methods".into(), "GET, POST".into()));
                r.headers.push((
                    "Access-Control-Allow-Headers".into(),
                    format!("Content-Type, {SESSION_HEADER}"),
                ));
                r.headers
                    .push(("Access-Control-Max-Age".into(), "600".into()));
            }
            return self.cors(r, origin);
        }
        let secret_ok = Self::header(req, SESSION_HEADER)
            .is_some_and(|s| ct_eq(s.as_bytes(), self.cfg.session_secret.as_bytes()));
        if !secret_ok {
            return self.cors(
                AgentResponse::error(401, "session_refused", "missing or wrong session secret"),
                origin,
            );
        }
        let r = self.route(req).unwrap_or_else(|r| r);
        self.cors(r, origin)
    }

    fn route(&self, req: &AgentRequest) -> Result<AgentResponse, AgentResponse> {
        let (path, query) = req.url.split_once('?').unwrap_or((req.url.as_str(), ""));
        let q = |k: &str| {
            query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(a, _)| *a == k)
                .map(|(_, v)| percent_decode(v))
        };
        let body = || -> Result<Value, AgentResponse> {
            if req.body.is_empty() {
                return Ok(json!({}));
            }
            if req.body.len() > MAX_BODY {
                return Err(AgentResponse::error(
                    413,
                    "too_large",
                    "request body too large",
                ));
            }
            serde_json::from_slice(&req.body)
                .map_err(|_| AgentResponse::error(400, "invalid", "the body is not JSON"))
        };
        match (req.method.as_str(), path) {
            ("GET", "/v1/keys") => self.keys(),
            ("GET", "/v1/identity") => self.identity(q("device").as_deref()),
            ("POST", "/v1/verify-pin") => {
                let b = body()?;
                let (mut tok, app) = self.open(dev(&b))?;
                tok.verify_pin(&app, PinType::User, pin(&b)?)
                    .map_err(ukey_error)?;
                let _ = tok.logout(&app);
                Ok(AgentResponse::json(200, json!({ "ok": true })))
            }
            ("POST", "/v1/sign-challenge") => {
                let b = body()?;
                let challenge = bin(&b, "challenge")?;
                if challenge.is_empty() || challenge.len() > 4096 {
                    return Err(AgentResponse::error(
                        400,
                        "invalid",
                        "challenge: 1 to 4096 bytes",
                    ));
                }
                self.sign(&b, Some(&challenge), None)
            }
            ("POST", "/v1/sign") => {
                let b = body()?;
                match (b.get("message"), b.get("digest")) {
                    (Some(_), None) => self.sign(&b, Some(&bin(&b, "message")?), None),
                    (None, Some(_)) => {
                        let d: [u8; 32] = bin(&b, "digest")?.try_into().map_err(|_| {
                            AgentResponse::error(400, "invalid", "digest: 32 bytes (e = SM3(Z‖M))")
                        })?;
                        self.sign(&b, None, Some(d))
                    }
                    _ => Err(AgentResponse::error(
                        400,
                        "invalid",
                        "give either message or digest",
                    )),
                }
            }
            ("GET", "/v1/seals") => self.seals(&json!({ "device": q("device") })),
            ("POST", "/v1/seals") => self.seals(&body()?),
            ("POST", "/v1/write-seal") => {
                let b = body()?;
                let der = bin(&b, "seal")?;
                let (mut tok, app) = self.open(dev(&b))?;
                tok.verify_pin(&app, PinType::User, pin(&b)?)
                    .map_err(ukey_error)?;
                let file = match b.get("file").and_then(Value::as_str) {
                    Some(f) => f.to_string(),
                    None => seal_file_name(&self.cfg.seal_file_prefix, &der),
                };
                let r = write_seal(tok.as_mut(), &app, &file, &der);
                let _ = tok.logout(&app);
                r.map_err(ukey_error)?;
                Ok(AgentResponse::json(
                    200,
                    json!({ "ok": true, "application": app, "file": file }),
                ))
            }
            _ => Err(AgentResponse::error(404, "not_found", "no such endpoint")),
        }
    }

    fn keys(&self) -> Result<AgentResponse, AgentResponse> {
        let mut out = vec![];
        for lib in &self.libs {
            for name in lib.enumerate().map_err(ukey_error)? {
                let tok = lib.connect(&name).map_err(ukey_error)?;
                let info = tok.info().map_err(ukey_error)?;
                out.push(json!({ "library": lib.path().display().to_string(), "device": name, "serial": info.serial, "label": info.label, "manufacturer": info.manufacturer, "sm2": info.sm2 }));
            }
        }
        Ok(AgentResponse::json(200, json!({ "keys": out })))
    }

    /// Connects to the named key (or the first one present) and picks the application.
    fn open(&self, device: Option<&str>) -> Result<(Box<dyn Token>, String), AgentResponse> {
        for lib in &self.libs {
            let names = lib.enumerate().map_err(ukey_error)?;
            let pick = match device {
                Some(d) => names.iter().find(|n| *n == d),
                None => names.first(),
            };
            if let Some(n) = pick {
                let tok = lib.connect(n).map_err(ukey_error)?;
                let app = match &self.cfg.application {
                    Some(a) => a.clone(),
                    None => tok
                        .applications()
                        .map_err(ukey_error)?
                        .into_iter()
                        .next()
                        .ok_or_else(|| {
                            AgentResponse::error(404, "not_found", "the key has no application")
                        })?,
                };
                return Ok((tok, app));
            }
        }
        Err(ukey_error(UkeyError::NoDevice(
            device.unwrap_or("any").to_string(),
        )))
    }

    fn identity(&self, device: Option<&str>) -> Result<AgentResponse, AgentResponse> {
        let (mut tok, app) = self.open(device)?;
        let info = tok.info().map_err(ukey_error)?;
        let con = find_sm2_container(tok.as_mut(), &app).map_err(ukey_error)?;
        let der = tok.certificate(&app, &con, true).map_err(ukey_error)?;
        let cert = Certificate::from_der(&der).map_err(|e| {
            AgentResponse::error(502, "ukey_error", &format!("signing certificate: {e}"))
        })?;
        let id = KeyIdentity::new(tok.name(), &info, &cert);
        let pin = tok.pin_info(&app, PinType::User).ok();
        Ok(AgentResponse::json(
            200,
            json!({
                "identity": id,
                "key_uid": id.key_uid(self.cfg.match_rule),
                "match_rule": self.cfg.match_rule,
                "application": app,
                "container": con,
                "certificate": b64().encode(&der),
                "pin": pin,
            }),
        ))
    }

    fn sign(
        &self,
        b: &Value,
        message: Option<&[u8]>,
        digest: Option<[u8; 32]>,
    ) -> Result<AgentResponse, AgentResponse> {
        let (mut tok, app) = self.open(dev(b))?;
        tok.verify_pin(&app, PinType::User, pin(b)?)
            .map_err(ukey_error)?;
        let result = (|| {
            let con = find_sm2_container(tok.as_mut(), &app)?;
            let der = tok.certificate(&app, &con, true)?;
            let pk = sm2::PublicKey::from_sec1(&tok.public_key(&app, &con)?)
                .map_err(|e| UkeyError::BadData(e.to_string()))?;
            let e = match (message, digest) {
                (Some(m), _) => sm2::message_digest(&pk, sm2::DEFAULT_ID, m),
                (None, Some(d)) => d,
                (None, None) => return Err(UkeyError::Invalid("nothing to sign".into())),
            };
            let rs = tok.sign_digest(&app, &con, &e)?;
            let sig =
                sm2::Signature::from_raw(&rs).map_err(|e| UkeyError::BadData(e.to_string()))?;
            let info = tok.info()?;
            let cert =
                Certificate::from_der(&der).map_err(|e| UkeyError::BadData(e.to_string()))?;
            let id = KeyIdentity::new(tok.name(), &info, &cert);
            Ok(json!({
                "certificate": b64().encode(&der),
                "signature": b64().encode(sig.to_der()),
                "digest": b64().encode(e),
                "message_sm3": message.map(|m| hex::encode(sm3(m))),
                "device_serial": info.serial,
                "key_uid": id.key_uid(self.cfg.match_rule),
            }))
        })();
        let _ = tok.logout(&app);
        result
            .map(|v| AgentResponse::json(200, v))
            .map_err(ukey_error)
    }

    fn seals(&self, b: &Value) -> Result<AgentResponse, AgentResponse> {
        let (mut tok, app) = self.open(dev(b))?;
        if let Some(p) = b.get("pin").and_then(Value::as_str) {
            tok.verify_pin(&app, PinType::User, p).map_err(ukey_error)?;
        }
        let seals = read_seals(tok.as_mut(), None);
        let _ = tok.logout(&app);
        let seals = seals.map_err(ukey_error)?;
        let list: Vec<Value> = seals
            .iter()
            .map(|s| {
                json!({
                    "application": s.application,
                    "file": s.file,
                    "summary": s.seal.summary(),
                    "seal": b64().encode(s.seal.der()),
                })
            })
            .collect();
        Ok(AgentResponse::json(200, json!({ "seals": list })))
    }
}

fn dev(b: &Value) -> Option<&str> {
    b.get("device").and_then(Value::as_str)
}

fn pin(b: &Value) -> Result<&str, AgentResponse> {
    b.get("pin")
        .and_then(Value::as_str)
        .ok_or_else(|| AgentResponse::error(400, "invalid", "pin is required"))
}

fn bin(b: &Value, k: &str) -> Result<Vec<u8>, AgentResponse> {
    let s = b.get(k).and_then(Value::as_str).ok_or_else(|| {
        AgentResponse::error(400, "invalid", &format!("{k} is required (base64)"))
    })?;
    b64()
        .decode(s)
        .map_err(|_| AgentResponse::error(400, "invalid", &format!("{k} is not base64")))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("eseal-soft-ukey-SN%2D1"),
            "eseal-soft-ukey-SN-1"
        );
        assert_eq!(percent_decode("a+b%"), "a b%");
    }

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    fn agent() -> Agent {
        Agent::new(AgentConfig {
            libraries: vec![],
            portal_origin: "https://portal.example".into(),
            session_secret: "0123456789abcdef0123".into(),
            application: None,
            match_rule: MatchRule::default(),
            seal_file_prefix: "ESL".into(),
        })
        .unwrap()
    }

    fn req(method: &str, headers: &[(&str, &str)]) -> AgentRequest {
        AgentRequest {
            method: method.into(),
            url: "/v1/keys".into(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: vec![],
        }
    }

    #[test]
    fn refusals_and_cors() {
        let a = agent();
        let ok = [
            ("Host", "127.0.0.1:1"),
            ("X-Eseal-Session", "0123456789abcdef0123"),
            ("Origin", "https://portal.example"),
        ];
        let r = a.handle(&req("GET", &ok));
        assert_eq!(r.status, 200);
        assert!(r.headers.contains(&(
            "Access-Control-Allow-Origin".into(),
            "https://portal.example".into()
        )));
        assert_eq!(
            a.handle(&req(
                "GET",
                &[ok[0], ok[1], ("Origin", "https://evil.example")]
            ))
            .status,
            403
        );
        assert_eq!(a.handle(&req("GET", &[ok[0], ok[2]])).status, 401);
        assert_eq!(
            a.handle(&req(
                "GET",
                &[ok[0], ("X-Eseal-Session", "0123456789abcdef0124"), ok[2]]
            ))
            .status,
            401
        );
        assert_eq!(
            a.handle(&req("GET", &[("Host", "evil.example:1"), ok[1], ok[2]]))
                .status,
            403
        );
        let pre = a.handle(&req("OPTIONS", &[ok[0], ok[2]]));
        assert_eq!(pre.status, 204);
        assert!(
            pre.headers
                .iter()
                .any(|(k, v)| k == "Access-Control-Allow-Headers" && v.contains(SESSION_HEADER))
        );
        assert_eq!(
            a.handle(&req(
                "OPTIONS",
                &[ok[0], ("Origin", "https://evil.example")]
            ))
            .status,
            403
        );
    }
}
