//! Uploaded documents: streamed to the data directory with their SM3 computed on the way,
//! sniffed (a file must be what its content type says), measured (pages and their sizes),
//! previewed (PDF pages rendered by poppler's `pdftoppm`), and kept with their signed
//! versions. Nothing half-written is ever visible: an upload goes to a temporary file that is
//! renamed into place only once complete and readable; a failed or cut upload leaves nothing.

use std::path::{Path, PathBuf};

use eseal::crypto::sm3::Sm3;
use eseal::platform::FileFormat;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sm3::Digest;
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ns};
use crate::state::{AppState, Inner};

/// Most pages a document may have here.
pub const MAX_PAGES: usize = 5000;

/// A signed version of a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedVersion {
    /// The platform's signed-file record (2.6).
    pub file_record: String,
    pub size: u64,
    pub sm3: String,
    pub time: i64,
    /// Names of the seals used.
    pub seals: Vec<String>,
    /// Their platform ids (the seal pictures of the verification page).
    #[serde(default)]
    pub seal_ids: Vec<String>,
    /// Signatures in the signed file.
    pub signatures: usize,
}

/// An uploaded document (owner = the uploader's identity id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocRecord {
    pub id: String,
    pub owner: String,
    pub unit: String,
    pub name: String,
    pub format: FileFormat,
    pub size: u64,
    pub sm3: String,
    /// Page sizes (width, height) in mm, as displayed.
    pub pages: Vec<(f64, f64)>,
    pub created: i64,
    pub signed: Option<SignedVersion>,
}

impl DocRecord {
    pub fn ext(&self) -> &'static str {
        match self.format {
            FileFormat::Pdf => "pdf",
            FileFormat::Ofd => "ofd",
        }
    }
}

pub fn doc_dir(s: &Inner, id: &str) -> PathBuf {
    s.docs_dir.join(id)
}

pub fn original_path(s: &Inner, d: &DocRecord) -> PathBuf {
    doc_dir(s, &d.id).join(format!("original.{}", d.ext()))
}

/// The signed file of version `record` (its file record): `signed-<record>.<ext>`. A new
/// version is written beside the current one, never over it (see [`crate::recovery`]).
pub fn signed_file(s: &Inner, d: &DocRecord, record: &str) -> PathBuf {
    doc_dir(s, &d.id).join(format!("signed-{record}.{}", d.ext()))
}

/// The current signed version's file (`signed.<ext>` for documents signed before versions
/// were named by their record).
pub fn signed_path(s: &Inner, d: &DocRecord) -> PathBuf {
    let legacy = doc_dir(s, &d.id).join(format!("signed.{}", d.ext()));
    match &d.signed {
        Some(v) => {
            let p = signed_file(s, d, &v.file_record);
            if !p.exists() && legacy.exists() {
                legacy
            } else {
                p
            }
        }
        None => legacy,
    }
}

/// Removes the signed files of `d` other than its current version, temporary files of a
/// signed file's atomic write that a killed process left (`.signed-….tmp`), and the previews
/// of the signed version (made anew from the current one). Called with the document's sign
/// lock held (after a signing, or by the repair), so no signed file is being written.
pub fn remove_stale_versions(s: &Inner, d: &DocRecord) {
    let current = d.signed.as_ref().map(|_| signed_path(s, d));
    for e in std::fs::read_dir(doc_dir(s, &d.id))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let version = name.starts_with("signed-")
            || name.starts_with("signed.")
            || (name.starts_with(".signed") && name.ends_with(".tmp"));
        if (version && current.as_ref() != Some(&e.path())) || name.starts_with("preview-s-") {
            if version {
                tracing::info!(file = %e.path().display(), "removed a signed file no version names");
            }
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The newest version: signed if signed, else the original.
pub fn current_path(s: &Inner, d: &DocRecord) -> PathBuf {
    if d.signed.is_some() {
        signed_path(s, d)
    } else {
        original_path(s, d)
    }
}

pub fn load(s: &Inner, id: &str) -> ApiResult<DocRecord> {
    crate::api::check_id("id", id)?;
    let e =
        s.db.kv_get(ns::DOCUMENT, id, s.clock.now())?
            .ok_or_else(|| ApiError::not_found(format!("document {id}")))?;
    serde_json::from_str(&e.body).map_err(|e| ApiError::internal(format!("document {id}: {e}")))
}

pub fn save(s: &Inner, d: &DocRecord) -> ApiResult<()> {
    let body = serde_json::to_string(d).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(s.db.kv_put(
        ns::DOCUMENT,
        &KvEntry {
            id: d.id.clone(),
            owner: d.owner.clone(),
            body,
            expires: None,
        },
    )?)
}

/// What the bytes are: PDF (`%PDF-`) or OFD (a ZIP with `OFD.xml`); `None` otherwise.
pub fn sniff(head: &[u8]) -> Option<FileFormat> {
    if head.len() >= 5
        && head[..1024.min(head.len())]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        Some(FileFormat::Pdf)
    } else if head.starts_with(b"PK\x03\x04") {
        Some(FileFormat::Ofd)
    } else {
        None
    }
}

/// The format a `Content-Type` announces; `None` for `application/octet-stream` (sniffed).
pub fn declared_format(ct: Option<&str>) -> Result<Option<FileFormat>, ApiError> {
    let ct = ct
        .unwrap_or("application/octet-stream")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/pdf" => Ok(Some(FileFormat::Pdf)),
        "application/ofd" | "application/zip" | "application/x-zip-compressed" => {
            Ok(Some(FileFormat::Ofd))
        }
        "application/octet-stream" | "" => Ok(None),
        other => Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "仅支持 PDF 或 OFD 文件",
            format!(
                "{other} is not a PDF or OFD content type (application/pdf, application/ofd, application/octet-stream)"
            ),
        )),
    }
}

fn not_what_it_says(en: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "content_mismatch",
        "The file is not what it says",
        "文件内容与声明的类型不符，或不是 PDF/OFD 文件",
        en,
    )
}

fn unreadable(en: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "unreadable_document",
        "The document cannot be read",
        "文件已损坏或无法读取",
        en,
    )
}

/// A file received in full: path, size, SM3, format.
pub struct Received {
    pub path: PathBuf,
    pub size: u64,
    pub sm3: String,
    pub format: FileFormat,
}

/// Streams a request body into `path` (a temporary name in `dir`), computing SM3 on the
/// way; refuses more than `limit` bytes (413), an empty body, a cut connection, and content
/// that is not the declared format. On any error the partial file is removed.
pub async fn receive(
    body: axum::body::Body,
    dir: &Path,
    declared: Option<FileFormat>,
    limit: u64,
) -> ApiResult<Received> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| unkept(&e, format!("{}: {e}", dir.display())))?;
    let path = dir.join(format!(".upload-{}", crate::random_hex(8)?));
    let r = receive_into(body, &path, declared, limit).await;
    if r.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    r
}

/// An upload that could not be written: 507 on a full disk, else 503 (nothing kept).
fn unkept(e: &std::io::Error, detail: String) -> ApiError {
    ApiError::storage(
        e,
        "上传文件无法保存（存储空间不足或不可写），未保存",
        detail,
    )
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "Upload too large",
        format!("文件超过 {} MB 的上限", limit / (1024 * 1024)),
        format!("uploads are at most {limit} bytes"),
    )
}

async fn receive_into(
    body: axum::body::Body,
    path: &Path,
    declared: Option<FileFormat>,
    limit: u64,
) -> ApiResult<Received> {
    let mut f = tokio::fs::File::create(path)
        .await
        .map_err(|e| unkept(&e, format!("{}: {e}", path.display())))?;
    let mut h = Sm3::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(1024);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "upload_incomplete",
                "Upload incomplete",
                "上传未完成（连接中断或内容被截断），文件未保存",
                format!("the upload stopped: {e}"),
            )
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        if head.len() < 1024 {
            let n = (1024 - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..n]);
        }
        h.update(&chunk);
        f.write_all(&chunk)
            .await
            .map_err(|e| unkept(&e, format!("writing the upload: {e}")))?;
    }
    f.flush()
        .await
        .map_err(|e| unkept(&e, format!("writing the upload: {e}")))?;
    f.sync_all()
        .await
        .map_err(|e| unkept(&e, format!("writing the upload: {e}")))?;
    if size == 0 {
        return Err(ApiError::bad_request(
            "body",
            "文件为空",
            "the upload is empty",
        ));
    }
    let sniffed = sniff(&head).ok_or_else(|| {
        not_what_it_says("the content is neither a PDF (%PDF-) nor an OFD package (ZIP)".into())
    })?;
    if declared.is_some_and(|d| d != sniffed) {
        return Err(not_what_it_says(format!(
            "declared {:?} but the content is {sniffed:?}",
            declared.unwrap_or(sniffed)
        )));
    }
    let digest: [u8; 32] = h.finalize().into();
    Ok(Received {
        path: path.to_owned(),
        size,
        sm3: hex::encode(digest),
        format: sniffed,
    })
}

fn num(o: &lopdf::Object) -> Option<f64> {
    match o {
        lopdf::Object::Integer(i) => Some(*i as f64),
        lopdf::Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// A page attribute, inherited through `/Parent` (ISO 32000-1 §7.7.3.4).
fn inherited<'a>(
    doc: &'a lopdf::Document,
    mut dict: &'a lopdf::Dictionary,
    key: &[u8],
) -> Option<&'a lopdf::Object> {
    for _ in 0..32 {
        if let Ok(v) = dict.get(key) {
            return match v {
                lopdf::Object::Reference(r) => doc.get_object(*r).ok(),
                o => Some(o),
            };
        }
        let parent = dict.get(b"Parent").ok()?.as_reference().ok()?;
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// Page sizes (mm, as displayed: CropBox else MediaBox, turned by /Rotate) of a PDF.
pub fn pdf_pages(bytes: &[u8]) -> ApiResult<Vec<(f64, f64)>> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| unreadable(format!("PDF: {e}")))?;
    if doc.trailer.has(b"Encrypt") {
        return Err(unreadable("the PDF is encrypted".into()));
    }
    let pages = doc.get_pages();
    if pages.is_empty() || pages.len() > MAX_PAGES {
        return Err(unreadable(format!(
            "the PDF has {} pages (1 to {MAX_PAGES} accepted)",
            pages.len()
        )));
    }
    let mut out = Vec::with_capacity(pages.len());
    for id in pages.values() {
        let d = doc
            .get_dictionary(*id)
            .map_err(|e| unreadable(format!("page {id:?}: {e}")))?;
        let bx = inherited(&doc, d, b"CropBox")
            .or_else(|| inherited(&doc, d, b"MediaBox"))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.iter().map(num).collect::<Option<Vec<f64>>>())
            .filter(|v| v.len() == 4)
            .unwrap_or_else(|| vec![0.0, 0.0, 595.0, 842.0]);
        let (w, h) = ((bx[2] - bx[0]).abs(), (bx[3] - bx[1]).abs());
        let rot = inherited(&doc, d, b"Rotate")
            .and_then(num)
            .unwrap_or(0.0)
            .rem_euclid(360.0);
        let (w, h) = if rot == 90.0 || rot == 270.0 {
            (h, w)
        } else {
            (w, h)
        };
        let mm = 25.4 / 72.0;
        out.push((w * mm, h * mm));
    }
    Ok(out)
}

/// Page sizes (mm) of the first document of an OFD.
pub fn ofd_pages(bytes: Vec<u8>) -> ApiResult<Vec<(f64, f64)>> {
    use eseal::ofd::{Package, document};
    let pkg = Package::from_bytes(bytes).map_err(|e| unreadable(format!("OFD: {e}")))?;
    let bodies = document::doc_bodies(&pkg).map_err(|e| unreadable(format!("OFD: {e}")))?;
    let body = bodies
        .first()
        .ok_or_else(|| unreadable("OFD without DocBody".into()))?;
    let doc = document::read_document(&pkg, &body.doc_root)
        .map_err(|e| unreadable(format!("OFD: {e}")))?;
    if doc.pages.is_empty() || doc.pages.len() > MAX_PAGES {
        return Err(unreadable(format!(
            "the OFD has {} pages (1 to {MAX_PAGES} accepted)",
            doc.pages.len()
        )));
    }
    Ok(doc
        .pages
        .iter()
        .map(|p| (p.physical_box[2], p.physical_box[3]))
        .collect())
}

/// Pages of a received file (blocking: parses the document).
pub fn measure(format: FileFormat, path: &Path) -> ApiResult<Vec<(f64, f64)>> {
    let bytes = std::fs::read(path).map_err(|e| ApiError::internal(e.to_string()))?;
    match format {
        FileFormat::Pdf => pdf_pages(&bytes),
        FileFormat::Ofd => ofd_pages(bytes),
    }
}

/// Stores an upload as a new document of `owner`.
pub async fn create(
    st: &AppState,
    owner: String,
    unit: String,
    name: String,
    body: axum::body::Body,
    declared: Option<FileFormat>,
) -> ApiResult<DocRecord> {
    let name = clean_name(&name)?;
    let id = crate::random_hex(12)?;
    let dir = st.docs_dir.join(&id);
    let got = receive(body, &dir, declared, st.cfg.limits.upload_bytes).await?;
    let r = st
        .blocking(move |s| {
            let pages = measure(got.format, &got.path)?;
            let d = DocRecord {
                id: id.clone(),
                owner,
                unit,
                name,
                format: got.format,
                size: got.size,
                sm3: got.sm3,
                pages,
                created: s.clock.now(),
                signed: None,
            };
            std::fs::rename(&got.path, original_path(s, &d))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            save(s, &d)?;
            Ok(d)
        })
        .await;
    if r.is_err() {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    r
}

/// A file name as shown: no path, no control characters, at most 200 characters.
pub fn clean_name(n: &str) -> ApiResult<String> {
    let base = n.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 200 || base.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name",
            "文件名无效（1 至 200 个字符）",
            "name: 1 to 200 printable characters",
        ));
    }
    Ok(base.to_owned())
}

/// Renders page `n` (from 1) of a PDF to PNG with poppler's `pdftoppm` (cached).
pub fn pdf_preview(s: &Inner, d: &DocRecord, n: u32, signed: bool) -> ApiResult<Vec<u8>> {
    let src = if signed {
        signed_path(s, d)
    } else {
        original_path(s, d)
    };
    let tag = if signed { "s" } else { "o" };
    let cache = doc_dir(s, &d.id).join(format!("preview-{tag}-{n}.png"));
    if let Ok(b) = std::fs::read(&cache) {
        return Ok(b);
    }
    let tmp = doc_dir(s, &d.id).join(format!(".preview-{}", crate::random_hex(6)?));
    let out = std::process::Command::new(&s.cfg.pdftoppm)
        .args([
            "-png",
            "-r",
            "60",
            "-singlefile",
            "-f",
            &n.to_string(),
            "-l",
            &n.to_string(),
        ])
        .arg(&src)
        .arg(&tmp)
        .output()
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "renderer_unavailable",
                "Page renderer unavailable",
                "页面预览服务不可用（需要 poppler 的 pdftoppm）",
                format!("{}: {e}", s.cfg.pdftoppm.display()),
            )
        })?;
    let png_path = tmp.with_extension("png");
    let r = if out.status.success() {
        std::fs::read(&png_path).map_err(|e| ApiError::internal(e.to_string()))
    } else {
        Err(unreadable(format!(
            "pdftoppm: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    };
    if let Ok(b) = &r {
        let _ = eseal::fs::write_atomic(&cache, &[b]);
    }
    let _ = std::fs::remove_file(&png_path);
    r
}

/// Removes what a killed process left behind: temporary uploads and previews older than
/// `age` (no request lives that long, so none is in use — also by another server sharing the
/// folder), and document folders holding nothing else. Signed files are written by
/// `eseal::fs`, which removes its own stale temporaries.
pub fn sweep(docs_dir: &Path, age: std::time::Duration) {
    let old = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e > age)
    };
    let Ok(dirs) = std::fs::read_dir(docs_dir) else {
        return;
    };
    for d in dirs.flatten() {
        let dir = d.path();
        if !dir.is_dir() {
            continue;
        }
        let mut others = 0;
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let temporary = name.starts_with(".upload-") || name.starts_with(".preview-");
            if temporary && old(&f.path()) {
                if std::fs::remove_file(f.path()).is_ok() {
                    tracing::info!(file = %f.path().display(), "removed a stale temporary file");
                }
            } else {
                others += 1;
            }
        }
        if others == 0 && old(&dir) && dir.file_name().is_some_and(|n| n != ".verify") {
            let _ = std::fs::remove_dir(&dir);
        }
    }
}
