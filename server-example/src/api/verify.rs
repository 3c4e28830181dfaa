//! 2.7 文件验签: verify any uploaded PDF or OFD (the same report as `eseal … verify --json`
//! with the platform's trust anchors); the public verification page the QR code points to
//! (no sign-in); the printable verification report (验证报告, HTML) of a document.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use base64::Engine;
use eseal::platform::{self as p, Kind};
use eseal::report::VerificationReport;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiPath, ApiQuery};
use crate::auth::Auth;
use crate::documents::{self, DocRecord};
use crate::error::{ApiError, ApiResult};
use crate::signing;
use crate::state::{AppState, Inner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_upload))
        .routes(routes!(public_verification))
        .routes(routes!(report_html))
        .routes(routes!(report_pdf))
}

/// The public page behind the QR code (no sign-in): `/verify/{id}`.
pub fn public_pages() -> Router<AppState> {
    Router::new().route("/verify/{id}", axum::routing::get(public_page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// File name for the report.
    pub name: Option<String>,
    /// Warnings count as failures (exit_code 1).
    #[serde(default)]
    pub strict: bool,
}

/// Verifies an uploaded PDF or OFD (body = the file): the report of `eseal pdf|ofd verify
/// --json` with the platform's trust anchors, with `verdict` and `exit_code`.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verify", params(VerifyQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the PDF or OFD file"),
    responses(
        (status = 200, body = serde_json::Value, description = "the verification report"),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    ), security(("session_cookie" = []), ("bearer" = [])))]
async fn verify_upload(
    State(st): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<VerifyQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let declared = documents::declared_format(
        headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let name = match &q.name {
        Some(n) => documents::clean_name(n)?,
        None => "upload".into(),
    };
    let dir = st.docs_dir.join(".verify");
    let got = documents::receive(body, &dir, declared, st.cfg.limits.upload_bytes).await?;
    let path = got.path.clone();
    let r = st
        .blocking(move |s| {
            let bytes = std::fs::read(&got.path).map_err(|e| ApiError::internal(e.to_string()))?;
            let rep = signing::verify_bytes(s, &name, got.format, bytes, q.strict)?;
            Ok(axum::Json(signing::report_json(&rep)))
        })
        .await;
    let _ = tokio::fs::remove_file(&path).await;
    r
}

fn signed_report(s: &Inner, d: &DocRecord) -> ApiResult<VerificationReport> {
    if d.signed.is_none() {
        return Err(ApiError::not_found("the document is not signed"));
    }
    let bytes = std::fs::read(documents::signed_path(s, d))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    signing::verify_bytes(s, &d.name, d.format, bytes, false)
}

/// The verification of a signed document by its id (public: the QR code's URL names it).
#[utoipa::path(get, path = "/api/v1/public/documents/{id}/verification", tag = "verify", params(("id" = String, Path)), responses(
    (status = 200, body = serde_json::Value, description = "the verification report"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
))]
async fn public_verification(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    st.blocking(move |s| {
        let d = documents::load(s, &id)?;
        let r = signed_report(s, &d)?;
        Ok(axum::Json(signing::report_json(&r)))
    })
    .await
}

/// The printable verification report (验证报告, HTML) of a document's signed version.
#[utoipa::path(get, path = "/api/v1/documents/{id}/report", tag = "verify", params(("id" = String, Path)), responses(
    (status = 200, description = "HTML", content_type = "text/html"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn report_html(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Html<String>> {
    st.blocking(move |s| {
        let d = super::documents::visible(s, &auth, &id)?;
        let r = signed_report(s, &d)?;
        Ok(Html(render(s, &d, &r, true)))
    })
    .await
}

/// The printable verification report (验证报告) of a document's signed version as a PDF: each
/// seal's picture, signer, unit, time and result.
#[utoipa::path(get, path = "/api/v1/documents/{id}/report.pdf", tag = "verify", params(("id" = String, Path)), responses(
    (status = 200, description = "PDF", content_type = "application/pdf"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
), security(("session_cookie" = []), ("bearer" = [])))]
async fn report_pdf(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    st.blocking(move |s| {
        let d = super::documents::visible(s, &auth, &id)?;
        let r = signed_report(s, &d)?;
        Ok(super::bytes("application/pdf", render_pdf(s, &d, &r)))
    })
    .await
}

/// The same content as [`render`], as a PDF.
pub fn render_pdf(s: &Inner, d: &DocRecord, r: &VerificationReport) -> Vec<u8> {
    use crate::report_pdf::{Report, Row};
    let verdict = signing::verdict_name(r);
    let pictures = seal_pictures(s, d);
    let rows = rows(r, &pictures)
        .into_iter()
        .map(|row| {
            let failures: Vec<String> = row.failures.into_iter().map(|(_, _, zh)| zh).collect();
            Row {
                result: if failures.is_empty() {
                    verdict_zh(&row.verdict).to_owned()
                } else {
                    format!("{}：{}", verdict_zh(&row.verdict), failures.join("；"))
                },
                ok: trusted(&row.verdict),
                picture: row
                    .picture_uri
                    .as_deref()
                    .and_then(|uri| uri.strip_prefix("data:image/png;base64,"))
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok()),
                seal: row.seal,
                signer: row.signer,
                unit: row.unit,
                time: row.time,
            }
        })
        .collect();
    crate::report_pdf::render(&Report {
        title: "电子签章验证报告".into(),
        lines: vec![
            format!("文件 File: {} ({} 页 pages)", d.name, d.pages.len()),
            format!(
                "SM3: {}",
                d.signed.as_ref().map(|x| x.sm3.as_str()).unwrap_or("")
            ),
        ],
        verdict: format!("结论 Result: {} ({verdict})", verdict_zh(&verdict)),
        ok: trusted(&verdict),
        rows,
        footer: format!(
            "验证时间 Verified at {} (UTC) by {}",
            eseal::crypto::time::Time::now().to_iso(),
            s.cfg.public_base()
        ),
    })
}

async fn public_page(State(st): State<AppState>, ApiPath(id): ApiPath<String>) -> Response {
    use axum::response::IntoResponse;
    let r = st
        .blocking(move |s| {
            let d = documents::load(s, &id)?;
            let r = signed_report(s, &d)?;
            Ok(render(s, &d, &r, false))
        })
        .await;
    match r {
        Ok(h) => Html(h).into_response(),
        Err(e) => e.into_response(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The pictures of the platform seals a document was signed with, by seal name.
fn seal_pictures(s: &Inner, d: &DocRecord) -> Vec<(String, String)> {
    let ids = d
        .signed
        .as_ref()
        .map(|v| v.seal_ids.clone())
        .unwrap_or_default();
    ids.iter()
        .filter_map(|id| s.store.get(Kind::Seal, id).ok().flatten())
        .filter_map(|r| serde_json::from_str::<p::SealRecord>(&r.body).ok())
        .filter(|seal| {
            base64::engine::general_purpose::STANDARD
                .decode(&seal.picture_b64)
                .is_ok()
        })
        .map(|seal| {
            let ct = match seal.picture_format.as_str() {
                "png" => "image/png",
                "gif" => "image/gif",
                _ => "image/jpeg",
            };
            (seal.name, format!("data:{ct};base64,{}", seal.picture_b64))
        })
        .collect()
}

/// One signature as the reports show it.
struct SignatureRow {
    seal: String,
    signer: String,
    unit: String,
    time: String,
    verdict: String,
    /// The failed checks (subject: message, message_zh).
    failures: Vec<(String, String, String)>,
    picture_uri: Option<String>,
}

fn rows(r: &VerificationReport, pictures: &[(String, String)]) -> Vec<SignatureRow> {
    r.signatures
        .iter()
        .map(|sig| {
            let seal = sig
                .seal
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default();
            let subject = sig
                .signer
                .as_ref()
                .map(|c| c.subject.clone())
                .unwrap_or_default();
            let attr = |k: &str| {
                subject
                    .split(", ")
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or("")
                    .to_owned()
            };
            SignatureRow {
                signer: attr("CN"),
                unit: attr("O"),
                time: sig.signing_time.clone().unwrap_or_default(),
                verdict: serde_json::to_value(sig.verdict_under(r.strict))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                failures: sig
                    .failures()
                    .map(|c| (c.subject.clone(), c.message.clone(), c.message_zh.clone()))
                    .collect(),
                picture_uri: pictures
                    .iter()
                    .find(|(n, _)| *n == seal)
                    .map(|(_, u)| u.clone()),
                seal,
            }
        })
        .collect()
}

fn verdict_zh(v: &str) -> &'static str {
    match v {
        "valid" => "有效：签章完整，签章人身份经信任根确认",
        "valid_with_warnings" => "有效（有提示）",
        "intact_untrusted" => "签章完整，签章人身份未经信任根确认",
        _ => "无效：签章未通过验证",
    }
}

/// Whether a verdict may be shown as 有效 (green): intact, valid and trusted.
fn trusted(v: &str) -> bool {
    matches!(v, "valid" | "valid_with_warnings")
}

/// One HTML rendering for the public page and the printable report.
pub fn render(s: &Inner, d: &DocRecord, r: &VerificationReport, printable: bool) -> String {
    let verdict = signing::verdict_name(r);
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
    h.push_str(&format!("<title>验证报告 — {}</title>", esc(&d.name)));
    h.push_str("<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}.ok{color:#137333}.bad{color:#b3261e}.warn{color:#8a5a00}img.seal{width:120px}@media print{.noprint{display:none}}</style></head><body>");
    h.push_str(&format!(
        "<h1>电子签章验证报告 <small>Verification report</small></h1><p>文件 File: <b>{}</b> ({} 页, SM3 {})</p>",
        esc(&d.name),
        d.pages.len(),
        esc(d.signed.as_ref().map(|x| x.sm3.as_str()).unwrap_or(""))
    ));
    let class = match verdict.as_str() {
        "valid" => "ok",
        "valid_with_warnings" => "warn",
        _ => "bad",
    };
    h.push_str(&format!(
        "<p class=\"{class}\"><b>结论 Result: {} ({})</b></p>",
        verdict_zh(&verdict),
        esc(&verdict)
    ));
    let pictures = seal_pictures(s, d);
    h.push_str("<table><tr><th>印章 Seal</th><th>签章人 Signer</th><th>单位 Unit</th><th>时间 Time</th><th>结果 Result</th></tr>");
    for row in rows(r, &pictures) {
        let pic = row
            .picture_uri
            .as_ref()
            .map(|u| {
                format!(
                    "<br><img class=\"seal\" alt=\"{}\" src=\"{u}\">",
                    esc(&row.seal)
                )
            })
            .unwrap_or_default();
        let failures: Vec<String> = row
            .failures
            .iter()
            .map(|(subject, en, _)| format!("{subject}: {en}"))
            .collect();
        h.push_str(&format!(
            "<tr><td>{}{pic}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>",
            esc(&row.seal),
            esc(&row.signer),
            esc(&row.unit),
            esc(&row.time),
            if trusted(&row.verdict) { "ok" } else { "bad" },
            verdict_zh(&row.verdict),
            if failures.is_empty() {
                String::new()
            } else {
                format!("<br><small>{}</small>", esc(&failures.join("; ")))
            }
        ));
    }
    h.push_str("</table>");
    if printable {
        h.push_str("<details open><summary>检查明细 Checks</summary><pre>");
        h.push_str(&esc(&r.to_text()));
        h.push_str("</pre></details><p class=\"noprint\"><button onclick=\"print()\">打印 Print</button></p>");
    }
    h.push_str(&format!(
        "<p><small>验证时间 Verified at {} (UTC) by {}</small></p></body></html>",
        eseal::crypto::time::Time::now().to_iso(),
        esc(&s.cfg.public_base())
    ));
    h
}
