//! Open API request check (manual 2.9.1 "接口共有参数"): `x-qys-accessToken`,
//! `x-qys-timestamp`, `x-qys-signature` = lower-case hex MD5(token + secret + timestamp),
//! optional `x-qys-signature-sign` (SM2 over the `x-qys-signature` text), IP whitelist,
//! a ±5-minute timestamp window and replay refusal.

use base64::Engine;
use md5::{Digest, Md5};

use super::model::{App, AppStatus};
use super::{Platform, PlatformError};
use crate::crypto::sm2;

/// Accepted clock difference of `x-qys-timestamp` (milliseconds).
pub const TIMESTAMP_WINDOW_MS: i64 = 5 * 60 * 1000;

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

/// Checks one open API request and returns the calling app. Every refusal is audited.
pub fn check_request(
    p: &Platform,
    h: &OpenApiHeaders,
    source_ip: &str,
) -> Result<App, PlatformError> {
    let r = check_inner(p, h, source_ip);
    let (app, unit) = match &r {
        Ok(a) => (a.id.clone(), a.unit.clone()),
        Err(_) => (
            format!(
                "token:{}",
                h.access_token.chars().take(64).collect::<String>()
            ),
            String::new(),
        ),
    };
    p.audit_app(
        &app,
        &unit,
        "OpenApiRequest",
        &h.timestamp,
        &r.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        source_ip,
    )?;
    r
}

fn refuse(m: impl Into<String>) -> PlatformError {
    PlatformError::RequestRefused(m.into())
}

fn check_inner(p: &Platform, h: &OpenApiHeaders, ip: &str) -> Result<App, PlatformError> {
    if h.access_token.is_empty() || h.timestamp.is_empty() || h.signature.is_empty() {
        return Err(refuse(
            "x-qys-accessToken, x-qys-timestamp and x-qys-signature are required",
        ));
    }
    let app = p
        .app_by_token(&h.access_token)?
        .ok_or_else(|| refuse("unknown access token"))?;
    match &app.status {
        AppStatus::Valid => {}
        AppStatus::Deleted => return Err(refuse("the app is deleted")),
        AppStatus::Rejected { .. } => return Err(refuse("the app was rejected in review")),
        AppStatus::PendingReview => return Err(refuse("the app is waiting for review")),
    }
    let ts: i64 = h
        .timestamp
        .parse()
        .map_err(|_| refuse("x-qys-timestamp is not a number"))?;
    // In i128: no value of either clock or header can overflow the difference.
    let now_ms = i128::from(p.now()) * 1000;
    if (now_ms - i128::from(ts)).abs() > i128::from(TIMESTAMP_WINDOW_MS) {
        return Err(refuse("x-qys-timestamp is outside the accepted window"));
    }
    let expected = request_signature(&app.access_token, &app.access_secret, &h.timestamp);
    // Constant-time comparison of the two hex strings.
    let a = expected.as_bytes();
    let b = h.signature.as_bytes();
    let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if !same {
        return Err(refuse("x-qys-signature does not match"));
    }
    if !app.ip_whitelist.is_empty() {
        let src: std::net::IpAddr = ip.parse().map_err(|_| refuse("source IP unknown"))?;
        if !app
            .ip_whitelist
            .iter()
            .any(|w| w.parse::<std::net::IpAddr>().is_ok_and(|x| x == src))
        {
            return Err(refuse(format!(
                "source IP {ip} is not on the app's whitelist"
            )));
        }
    }
    if let Some(k) = &app.public_key_b64 {
        let pk = parse_app_public_key(k)?;
        let sig_b64 = h
            .signature_sign
            .as_deref()
            .ok_or_else(|| refuse("x-qys-signature-sign is required for this app"))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig_b64.trim())
            .map_err(|_| refuse("x-qys-signature-sign is not base64"))?;
        let (sig, _) = sm2::Signature::parse_lenient(&raw)
            .map_err(|_| refuse("x-qys-signature-sign is not an SM2 signature"))?;
        sm2::verify(&pk, sm2::DEFAULT_ID, h.signature.as_bytes(), &sig)
            .map_err(|_| refuse("x-qys-signature-sign does not verify"))?;
    }
    // Kept until its timestamp has left the window for good (then it is refused anyway).
    let keep_until = p.now().saturating_add(super::NONCE_RETENTION);
    if !p.claim_nonce(
        &format!("{}|{}|{}", app.access_token, h.timestamp, h.signature),
        keep_until,
    )? {
        return Err(refuse("replayed request"));
    }
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

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
