//! Open API request checks (issue 14).
//!
//! Two schemes authenticate a business system's request as one of the platform's apps:
//!
//! - **x-qys** (manual 2.9.1 "接口共有参数"): `x-qys-accessToken`, `x-qys-timestamp`
//!   (milliseconds), `x-qys-signature` = lower-case hex MD5(token + secret + timestamp),
//!   optional `x-qys-signature-sign` (SM2 over the `x-qys-signature` text), IP whitelist;
//!   hardened with a timestamp window and replay refusal of a repeated (token, timestamp,
//!   signature). It does **not** cover the request (method, path, body): a captured header
//!   set can be attached to another request within the window once. Kept for compatibility.
//! - **Native** (`Authorization: ESEAL-HMAC-SM3 …`): HMAC-SM3 with the app's secret (and
//!   optionally SM2 with the app's key) over the [`canonical_request`]: method, path, sorted
//!   query, SM3 of the body, timestamp and a client nonce, each nonce accepted once.
//!
//! Every refusal names the failed check ([`Refusal::code`]) and is audited.

use base64::Engine;
use md5::{Digest, Md5};

use super::model::{App, AppStatus};
use super::{Platform, PlatformError};
use crate::crypto::sm2;

/// Default accepted clock difference of a request's timestamp (milliseconds).
pub const TIMESTAMP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The scheme name of the native `Authorization` header.
pub const NATIVE_SCHEME: &str = "ESEAL-HMAC-SM3";

type HmacSm3 = hmac::Hmac<sm3::Sm3>;

/// HMAC-SM3 (RFC 2104 with SM3) of `data` under `key`.
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // HMAC takes keys of any length: this cannot fail.
    let mut m = <HmacSm3 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Why a request was refused: one code per check (the server answers 401 with it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing credentials: {0}")]
    MissingCredentials(String),
    #[error("malformed credentials: {0}")]
    Malformed(String),
    #[error("unknown access token")]
    UnknownToken,
    #[error("the app is deleted")]
    AppDeleted,
    #[error("the app is waiting for review")]
    AppPendingReview,
    #[error("the app was rejected in review")]
    AppRejected,
    #[error("the timestamp is outside the accepted window")]
    OutsideWindow,
    #[error("{0} does not match")]
    BadSignature(&'static str),
    #[error("SM2 signature: {0}")]
    BadSm2Signature(String),
    #[error("source IP {0} is not on the app's whitelist")]
    IpNotAllowed(String),
    #[error("replayed request")]
    Replay,
}

impl Refusal {
    /// The stable code of the check that failed.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingCredentials(_) => "missing_credentials",
            Refusal::Malformed(_) => "malformed_credentials",
            Refusal::UnknownToken => "unknown_token",
            Refusal::AppDeleted => "app_deleted",
            Refusal::AppPendingReview => "app_not_reviewed",
            Refusal::AppRejected => "app_rejected",
            Refusal::OutsideWindow => "outside_window",
            Refusal::BadSignature(_) => "bad_signature",
            Refusal::BadSm2Signature(_) => "bad_sm2_signature",
            Refusal::IpNotAllowed(_) => "ip_not_allowed",
            Refusal::Replay => "replay",
        }
    }
}

/// A request check that did not return an app.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("open API request refused: {0}")]
    Refused(Refusal),
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl From<CheckError> for PlatformError {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Refused(r) => PlatformError::RequestRefused(r.to_string()),
            CheckError::Platform(p) => p,
        }
    }
}

/// The native `Authorization` header's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeAuth {
    pub token: String,
    /// Milliseconds since the epoch.
    pub timestamp: String,
    /// 16 to 64 characters of `A-Z a-z 0-9 - _`, never used twice by one app.
    pub nonce: String,
    /// Lower-case hex HMAC-SM3(secret, canonical request).
    pub signature: String,
    /// Base64 SM2 signature of the canonical request (required when the app has a key).
    pub sm2: Option<String>,
}

impl NativeAuth {
    /// Parses `ESEAL-HMAC-SM3 Credential=…, Timestamp=…, Nonce=…, Signature=…[, Sm2=…]`.
    pub fn parse(header: &str) -> Result<NativeAuth, Refusal> {
        let bad = |m: &str| Refusal::Malformed(m.to_owned());
        let rest = header
            .strip_prefix(NATIVE_SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| bad("the scheme is not ESEAL-HMAC-SM3"))?;
        let mut a = NativeAuth::default();
        for part in rest.split(',') {
            let (k, v) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| bad("fields are Name=value, separated by commas"))?;
            let slot = match k {
                "Credential" => &mut a.token,
                "Timestamp" => &mut a.timestamp,
                "Nonce" => &mut a.nonce,
                "Signature" => &mut a.signature,
                "Sm2" => a.sm2.insert(String::new()),
                _ => return Err(bad("unknown field")),
            };
            if !slot.is_empty() {
                return Err(bad("a field is given twice"));
            }
            *slot = v.to_owned();
        }
        if a.token.is_empty() || a.timestamp.is_empty() || a.nonce.is_empty() {
            return Err(Refusal::MissingCredentials(
                "Credential, Timestamp, Nonce and Signature are required".into(),
            ));
        }
        if !(16..=64).contains(&a.nonce.len())
            || !a
                .nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad("Nonce is 16 to 64 characters of A-Z a-z 0-9 - _"));
        }
        Ok(a)
    }
}

/// The text a native request signs, lines joined by `\n` (no final newline):
///
/// ```text
/// ESEAL-HMAC-SM3
/// <METHOD in upper case>
/// <path as sent, percent-encoding kept, without the query>
/// <query parameters as sent (each `name=value`), sorted bytewise, joined by `&`>
/// <lower-case hex SM3 of the body (of the empty string when there is none)>
/// <timestamp, milliseconds>
/// <nonce>
/// ```
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    body_sm3_hex: &str,
    timestamp: &str,
    nonce: &str,
) -> String {
    let mut q: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    q.sort_unstable();
    [
        NATIVE_SCHEME,
        &method.to_ascii_uppercase(),
        path,
        &q.join("&"),
        body_sm3_hex,
        timestamp,
        nonce,
    ]
    .join("\n")
}

/// The x-qys-* headers of one request.
#[derive(Clone, Debug, Default)]
pub struct OpenApiHeaders {
    pub access_token: String,
    pub timestamp: String,
    pub signature: String,
    pub signature_sign: Option<String>,
}

/// MD5(token + secret + timestamp) as 32 lower-case hex characters.
pub fn request_signature(token: &str, secret: &str, timestamp: &str) -> String {
    let mut h = Md5::new();
    h.update(token.as_bytes());
    h.update(secret.as_bytes());
    h.update(timestamp.as_bytes());
    hex::encode(h.finalize())
}

/// Parses an app's SM2 public key given in base64: uncompressed point (65 bytes), x‖y (64),
/// SubjectPublicKeyInfo DER, or GM/T 0018 ECCrefPublicKey (4-byte bit length + 64-byte X +
/// 64-byte Y, values right-aligned).
pub fn parse_app_public_key(b64: &str) -> Result<sm2::PublicKey, PlatformError> {
    let bad = |m: &str| PlatformError::InvalidInput(format!("app public key: {m}"));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| bad("not base64"))?;
    let pk = match raw.len() {
        65 => sm2::PublicKey::from_sec1(&raw),
        64 => {
            let mut p = vec![4u8];
            p.extend_from_slice(&raw);
            sm2::PublicKey::from_sec1(&p)
        }
        132 => {
            let bits = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            let bits_le = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            if bits != 256 && bits_le != 256 {
                return Err(bad("ECCrefPublicKey bit length is not 256"));
            }
            let mut p = vec![4u8];
            p.extend_from_slice(&raw[36..68]);
            p.extend_from_slice(&raw[100..132]);
            sm2::PublicKey::from_sec1(&p)
        }
        _ => sm2::PublicKey::from_spki_der(&raw),
    };
    pk.map_err(|e| bad(&e.to_string()))
}

/// Checks one x-qys request (see the module docs) and returns the calling app. Every
/// refusal is audited. `window_ms` is the accepted clock difference.
pub fn check_request_within(
    p: &Platform,
    h: &OpenApiHeaders,
    source_ip: &str,
    window_ms: i64,
) -> Result<App, CheckError> {
    let r = check_qys(p, h, source_ip, window_ms);
    audit_check(p, &h.access_token, &h.timestamp, source_ip, r)
}

/// [`check_request_within`] with the default ±5-minute window, refusals as
/// [`PlatformError::RequestRefused`].
pub fn check_request(
    p: &Platform,
    h: &OpenApiHeaders,
    source_ip: &str,
) -> Result<App, PlatformError> {
    Ok(check_request_within(p, h, source_ip, TIMESTAMP_WINDOW_MS)?)
}

/// One native request as received.
#[derive(Clone, Debug)]
pub struct NativeRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Lower-case hex SM3 of the body (the server hashes large bodies as they stream in).
    pub body_sm3_hex: &'a str,
}

/// Checks one native request (`Authorization: ESEAL-HMAC-SM3 …`) and returns the calling
/// app. Every refusal is audited.
pub fn check_native(
    p: &Platform,
    authorization: &str,
    req: &NativeRequest<'_>,
    source_ip: &str,
    window_ms: i64,
) -> Result<App, CheckError> {
    let a = NativeAuth::parse(authorization);
    // A header that does not parse is still audited under the Credential it names, if any.
    let (token, ts) = match &a {
        Ok(a) => (a.token.clone(), a.timestamp.clone()),
        Err(_) => (named_field(authorization, "Credential"), String::new()),
    };
    let r = match a {
        Ok(a) => check_native_inner(p, &a, req, source_ip, window_ms),
        Err(e) => Err(CheckError::Refused(e)),
    };
    audit_check(p, &token, &ts, source_ip, r)
}

/// The value of field `name` in a native header that may not parse.
fn named_field(header: &str, name: &str) -> String {
    let rest = header.strip_prefix(NATIVE_SCHEME).unwrap_or(header);
    rest.split(',')
        .find_map(|part| part.trim().strip_prefix(name)?.strip_prefix('='))
        .unwrap_or("")
        .to_owned()
}

fn audit_check(
    p: &Platform,
    token: &str,
    timestamp: &str,
    source_ip: &str,
    r: Result<App, CheckError>,
) -> Result<App, CheckError> {
    // A refusal of a known app goes to its unit's chain (its auditor sees who tried what,
    // 2.10); one of an unknown or missing token to the platform's chain.
    let known = match &r {
        Ok(a) => Some(a.clone()),
        Err(_) if token.is_empty() => None,
        Err(_) => p.app_by_token(token)?,
    };
    let (app, unit) = match known {
        Some(a) => (a.id, a.unit),
        None => (
            format!("token:{}", token.chars().take(64).collect::<String>()),
            String::new(),
        ),
    };
    let outcome = match &r {
        Ok(_) => Ok(()),
        Err(CheckError::Refused(x)) => Err(format!("{}: {x}", x.code())),
        Err(CheckError::Platform(e)) => Err(e.to_string()),
    };
    p.audit_app(
        &app,
        &unit,
        "OpenApiRequest",
        timestamp,
        &outcome,
        source_ip,
    )?;
    r
}

fn refused<T>(r: Refusal) -> Result<T, CheckError> {
    Err(CheckError::Refused(r))
}

/// The app of `token`, if it may call.
fn calling_app(p: &Platform, token: &str) -> Result<App, CheckError> {
    let Some(app) = p.app_by_token(token)? else {
        return refused(Refusal::UnknownToken);
    };
    match &app.status {
        AppStatus::Valid => Ok(app),
        AppStatus::Deleted => refused(Refusal::AppDeleted),
        AppStatus::Rejected { .. } => refused(Refusal::AppRejected),
        AppStatus::PendingReview => refused(Refusal::AppPendingReview),
    }
}

fn check_window(p: &Platform, timestamp: &str, window_ms: i64) -> Result<(), CheckError> {
    let ts: i64 = timestamp.parse().map_err(|_| {
        CheckError::Refused(Refusal::Malformed("the timestamp is not a number".into()))
    })?;
    // In i128: no value of either clock or header can overflow the difference.
    let now_ms = i128::from(p.now()) * 1000;
    if (now_ms - i128::from(ts)).abs() > i128::from(window_ms) {
        return refused(Refusal::OutsideWindow);
    }
    Ok(())
}

/// Constant-time comparison.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_ip(app: &App, ip: &str) -> Result<(), CheckError> {
    if app.ip_whitelist.is_empty() {
        return Ok(());
    }
    let src: Option<std::net::IpAddr> = ip.parse().ok();
    if src.is_some_and(|src| {
        app.ip_whitelist
            .iter()
            .any(|w| w.parse::<std::net::IpAddr>().is_ok_and(|x| x == src))
    }) {
        Ok(())
    } else {
        refused(Refusal::IpNotAllowed(ip.to_owned()))
    }
}

/// The SM2 signature over `signed` with the app's key, when the app has one (required then).
fn check_sm2(
    app: &App,
    sig_b64: Option<&str>,
    signed: &[u8],
    what: &str,
) -> Result<(), CheckError> {
    let Some(k) = &app.public_key_b64 else {
        return Ok(());
    };
    let pk = parse_app_public_key(k)?;
    let bad = |m: String| CheckError::Refused(Refusal::BadSm2Signature(m));
    let sig_b64 = sig_b64.ok_or_else(|| bad(format!("{what} is required for this app")))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sig_b64.trim())
        .map_err(|_| bad(format!("{what} is not base64")))?;
    let (sig, _) = sm2::Signature::parse_lenient(&raw)
        .map_err(|_| bad(format!("{what} is not an SM2 signature")))?;
    sm2::verify(&pk, sm2::DEFAULT_ID, signed, &sig)
        .map_err(|_| bad(format!("{what} does not verify")))
}

/// Claims a replay nonce, kept until its timestamp has left the window for good.
fn claim(p: &Platform, nonce: &str, window_ms: i64) -> Result<(), CheckError> {
    let keep = super::NONCE_RETENTION.max(window_ms.saturating_mul(2) / 1000 + 60);
    if !p.claim_nonce(nonce, p.now().saturating_add(keep))? {
        return refused(Refusal::Replay);
    }
    Ok(())
}

fn check_qys(
    p: &Platform,
    h: &OpenApiHeaders,
    ip: &str,
    window_ms: i64,
) -> Result<App, CheckError> {
    if h.access_token.is_empty() || h.timestamp.is_empty() || h.signature.is_empty() {
        return refused(Refusal::MissingCredentials(
            "x-qys-accessToken, x-qys-timestamp and x-qys-signature are required".into(),
        ));
    }
    let app = calling_app(p, &h.access_token)?;
    check_window(p, &h.timestamp, window_ms)?;
    let expected = request_signature(&app.access_token, &app.access_secret, &h.timestamp);
    if !same(expected.as_bytes(), h.signature.as_bytes()) {
        return refused(Refusal::BadSignature("x-qys-signature"));
    }
    check_ip(&app, ip)?;
    check_sm2(
        &app,
        h.signature_sign.as_deref(),
        h.signature.as_bytes(),
        "x-qys-signature-sign",
    )?;
    claim(
        p,
        &format!("{}|{}|{}", app.access_token, h.timestamp, h.signature),
        window_ms,
    )?;
    Ok(app)
}

fn check_native_inner(
    p: &Platform,
    a: &NativeAuth,
    req: &NativeRequest<'_>,
    ip: &str,
    window_ms: i64,
) -> Result<App, CheckError> {
    let app = calling_app(p, &a.token)?;
    check_window(p, &a.timestamp, window_ms)?;
    let canonical = canonical_request(
        req.method,
        req.path,
        req.query,
        req.body_sm3_hex,
        &a.timestamp,
        &a.nonce,
    );
    let expected = hex::encode(hmac_sm3(app.access_secret.as_bytes(), canonical.as_bytes()));
    if !same(expected.as_bytes(), a.signature.as_bytes()) {
        return refused(Refusal::BadSignature("Signature"));
    }
    check_ip(&app, ip)?;
    check_sm2(&app, a.sm2.as_deref(), canonical.as_bytes(), "Sm2")?;
    claim(
        p,
        &format!("native|{}|{}", app.access_token, a.nonce),
        window_ms,
    )?;
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sm3_is_rfc2104_over_sm3() {
        // Key longer than the block is hashed first; compare with a direct construction.
        let k = b"key";
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, b) in k.iter().enumerate() {
            ipad[i] ^= b;
            opad[i] ^= b;
        }
        let inner = crate::crypto::sm3::sm3(&[&ipad[..], b"data"].concat());
        let outer = crate::crypto::sm3::sm3(&[&opad[..], &inner[..]].concat());
        assert_eq!(hmac_sm3(k, b"data"), outer);
    }

    #[test]
    fn canonical_request_sorts_the_query_and_joins_lines() {
        let c = canonical_request("post", "/open/v1/x", "b=2&a=1&", "ab", "17", "n");
        assert_eq!(c, "ESEAL-HMAC-SM3\nPOST\n/open/v1/x\na=1&b=2\nab\n17\nn");
    }

    #[test]
    fn native_header_parses_and_refuses_bad_forms() {
        let h = "ESEAL-HMAC-SM3 Credential=t, Timestamp=1, Nonce=0123456789abcdef, Signature=s";
        let a = NativeAuth::parse(h).unwrap();
        assert_eq!(
            (a.token.as_str(), a.nonce.as_str()),
            ("t", "0123456789abcdef")
        );
        assert!(NativeAuth::parse("Bearer x").is_err());
        assert!(NativeAuth::parse(&format!("{h}, Nonce=x")).is_err());
        assert!(NativeAuth::parse(&h.replace("0123456789abcdef", "short")).is_err());
        // A header that does not parse is still attributed to the Credential it names.
        assert_eq!(
            named_field(&h.replace("0123456789abcdef", "short"), "Credential"),
            "t"
        );
        assert_eq!(named_field("Bearer x", "Credential"), "");
    }

    #[test]
    fn signature_is_lowercase_md5_of_the_concatenation() {
        // RFC 1321 test suite: MD5("abc") and MD5("message digest").
        assert_eq!(
            request_signature("a", "b", "c"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            request_signature("message", " ", "digest"),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
    }
}
