//! Revocation status of the platform CA's certificates: `GET /crl/root.crl` (an RFC 5280 CRL,
//! signed by the CA root, valid one day) and `POST /ocsp` (RFC 6960 over HTTP, §A.1: a DER
//! OCSPRequest as `application/ocsp-request`, a DER OCSPResponse back). Certificates the CA
//! issues name both (CRL distribution point, AIA) when `public_url` is configured. The
//! revoked certificates are the lines of `{data_dir}/revoked.txt` (the format `eseal ca revoke`
//! writes: `SERIAL-HEX DATE REASON`). No login: revocation information is public.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eseal::crypto::time::Time;
use eseal::revocation::{self, CrlBuilder, MEDIA_REQUEST, MEDIA_RESPONSE, Responder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(crl))
        .routes(routes!(ocsp))
}

fn revoked(s: &crate::state::Inner) -> Result<Vec<revocation::RevokedEntry>, ApiError> {
    let path = s.cfg.data_dir.join("revoked.txt");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ApiError::internal(format!("{}: {e}", path.display()))),
    };
    revocation::parse_revoked_list(&text)
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))
}

/// The CA's current CRL (DER, `application/pkix-crl`): `root.crl` is the only CA.
#[utoipa::path(get, path = "/crl/{name}", tag = "revocation",
    params(("name" = String, Path, description = "`root.crl`")),
    responses(
        (status = 200, body = Vec<u8>, content_type = "application/pkix-crl", description = "DER CertificateList"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    ))]
async fn crl(State(st): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    if name != "root.crl" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such CRL",
            "没有该吊销列表",
            format!("{name:?}: this server publishes root.crl only"),
        ));
    }
    let der = st
        .blocking(move |s| {
            let now = Time::from_unix(s.clock.now());
            CrlBuilder {
                this_update: now,
                next_update: now.add_days(1),
                number: u64::try_from(now.unix()).unwrap_or(1),
                revoked: revoked(s)?,
            }
            .sign(&s.ca.root.signer())
            .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}

/// An OCSP answer signed by the CA root: good, revoked (date, reason) or unknown (another
/// CA's certificate); a malformed request gets malformedRequest (HTTP 200, RFC 6960 §A.1).
#[utoipa::path(post, path = "/ocsp", tag = "revocation",
    request_body(content = Vec<u8>, content_type = "application/ocsp-request", description = "DER OCSPRequest"),
    responses(
        (status = 200, body = Vec<u8>, content_type = "application/ocsp-response", description = "DER OCSPResponse"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json")
    ))]
async fn ocsp(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.eq_ignore_ascii_case(MEDIA_REQUEST) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "OCSP 请求须为 application/ocsp-request",
            format!("{ct:?} is not {MEDIA_REQUEST} (RFC 6960 §A.1)"),
        ));
    }
    let answer = st
        .blocking(move |s| {
            let list = revoked(s)?;
            let signer = s.ca.root.signer();
            let r = Responder {
                ca: &s.ca.root.cert,
                signer: &signer,
                revoked: &list,
                validity_secs: 3600,
            };
            Ok(r.respond(&body, Time::from_unix(s.clock.now())))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, MEDIA_RESPONSE)], answer).into_response())
}
