//! Signing documents with platform seals, and verifying documents.
//!
//! - Cloud seals sign on the server through [`eseal::platform::Platform::sign_document`]:
//!   rights, credential and the seal's state are the platform's, the unit's key in the vault
//!   signs through the same `pdf`/`ofd` code as the command line. Several seals sign one
//!   after the other, each a platform signing of the result of the one before.
//! - UKey seals are signed in the user's UKey (deferred): the seal the platform made when it
//!   was written to the UKey, the digest prepared here, signed by the agent, embedded here;
//!   each signature is a use of the seal, committed with the file record
//!   ([`eseal::platform::Platform::record_file_persisted`]).

use std::sync::Mutex;

use base64::Engine;
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, Signer, SignerError, sm2};
use eseal::platform::{self as p, FileFormat, Layout, Session, SignCredential};
use eseal::report::VerificationReport;
use eseal::ses;
use eseal::validation::VerifyOptions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::documents::{self, DocRecord, SignedVersion};
use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ns};
use crate::state::Inner;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Where a seal goes (mm from the page's top-left corner; pages from 1).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stamp {
    pub page: u32,
    pub x_mm: f64,
    pub y_mm: f64,
    /// The stamp's width (mm): the seal's own size when absent, else within 75 % to 125 %
    /// of it, the height in proportion (`eseal::platform::STAMP_SCALE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_mm: Option<f64>,
}

/// Which occurrence(s) of the keyword get a stamp: `"all"`, `"first"`, `"last"` or the n-th
/// (from 1) in reading order over the chosen pages.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OccurrenceInput {
    Nth(u32),
    Word(String),
}

/// Where the stamp sits on the found text.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnchorInput {
    /// The stamp's centre on the text's centre.
    #[serde(alias = "centre")]
    Center,
    /// The stamp's centre on the end of the text (where the blank after "甲方（盖章）" begins).
    End,
}

/// An offset of the stamp from its anchor (mm; x to the right, y downwards).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetMm {
    #[serde(default)]
    pub dx: f64,
    #[serde(default)]
    pub dy: f64,
}

/// Keyword placement (关键字盖章): stamps of the seal over where a text is written. A
/// keyword that does not occur is a 422 `keyword_not_found` naming it, and nothing is signed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordPlacement {
    /// The text, 1 to 100 characters; white space is ignored and full-width forms match
    /// their ASCII counterparts ("甲方(盖章)" finds "甲方（盖章）").
    pub text: String,
    /// Default `"all"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<OccurrenceInput>,
    /// Pages searched: `all` (default), `odd`, `even`, `N`, `N-M`, `N-` or `N,M,…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<String>,
    /// Default `center`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<AnchorInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_mm: Option<OffsetMm>,
    /// The stamps' width (mm), as for a [`Stamp`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_mm: Option<f64>,
}

impl KeywordPlacement {
    /// The core's keyword search this asks for.
    pub fn keyword(&self) -> Result<eseal::placement::Keyword, p::PlatformError> {
        use eseal::placement::{Anchor, Keyword, Occurrence, PageSet};
        let occurrence = match &self.occurrence {
            None => Occurrence::All,
            Some(OccurrenceInput::Nth(n)) => format!("{n}").parse()?,
            Some(OccurrenceInput::Word(w)) => w.parse()?,
        };
        let (dx_mm, dy_mm) = self.offset_mm.as_ref().map_or((0.0, 0.0), |o| (o.dx, o.dy));
        Ok(Keyword {
            text: self.text.clone(),
            occurrence,
            pages: PageSet::parse(self.pages.as_deref().unwrap_or("all"))?,
            anchor: match self.anchor {
                Some(AnchorInput::End) => Anchor::End,
                _ => Anchor::Centre,
            },
            dx_mm,
            dy_mm,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealUse {
    pub seal_id: String,
    /// Stamps of this seal.
    #[serde(default)]
    pub stamps: Vec<Stamp>,
    /// 骑缝章: the seal cut across the right edges of all pages.
    #[serde(default)]
    pub cross_page: bool,
    /// Stamps placed by keyword (in addition to `stamps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<KeywordPlacement>,
}

/// The anti-forgery QR code: it carries this server's verification URL of the document.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QrPlacement {
    pub page: u32,
    pub x_mm: f64,
    pub y_mm: f64,
    /// Default 20 mm.
    pub size_mm: Option<f64>,
}

/// How the signer proves intent (2.5.1, 2.5.2).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialInput {
    /// 签署密码 (six digits).
    SigningPassword { value: String },
    /// SMS code sent with purpose `sign` (signs one stamp).
    SmsCode { value: String },
    /// The UKey session itself (unit or personal UKey sign-in).
    Ukey,
}

impl From<CredentialInput> for SignCredential {
    fn from(c: CredentialInput) -> Self {
        match c {
            CredentialInput::SigningPassword { value } => SignCredential::SigningPassword(value),
            CredentialInput::SmsCode { value } => SignCredential::SmsCode(value),
            CredentialInput::Ukey => SignCredential::Ukey,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    pub seals: Vec<SealUse>,
    pub qr: Option<QrPlacement>,
    pub credential: CredentialInput,
}

fn placement_err(field: &str, en: String) -> ApiError {
    ApiError::bad_request(field, "盖章位置无效", en)
}

/// Checks the request against the document: pages exist, stamps lie on the page.
pub fn check_request(
    d: &DocRecord,
    seals: &[SealUse],
    qr: &Option<QrPlacement>,
    credential: &CredentialInput,
) -> ApiResult<usize> {
    if seals.is_empty() || seals.len() > 20 {
        return Err(placement_err("seals", "give 1 to 20 seals".into()));
    }
    let mut signatures = 0;
    for (i, u) in seals.iter().enumerate() {
        crate::api::check_id("seal_id", &u.seal_id)?;
        if u.stamps.is_empty() && !u.cross_page && u.keyword.is_none() {
            return Err(placement_err(
                &format!("seals[{i}].stamps"),
                "a seal needs a stamp, a keyword or the cross-page seal".into(),
            ));
        }
        if u.stamps.len() > 50 {
            return Err(placement_err(
                &format!("seals[{i}].stamps"),
                "at most 50 stamps a seal".into(),
            ));
        }
        if u.cross_page && d.pages.len() < 2 {
            return Err(placement_err(
                &format!("seals[{i}].cross_page"),
                "a cross-page seal needs at least two pages".into(),
            ));
        }
        for (j, st) in u.stamps.iter().enumerate() {
            let f = format!("seals[{i}].stamps[{j}]");
            let Some(&(w, h)) = d.pages.get((st.page as usize).wrapping_sub(1)) else {
                return Err(placement_err(
                    &format!("{f}.page"),
                    format!("page {} does not exist (1 to {})", st.page, d.pages.len()),
                ));
            };
            if !(st.x_mm.is_finite() && st.y_mm.is_finite())
                || st.x_mm < 0.0
                || st.y_mm < 0.0
                || st.x_mm > w
                || st.y_mm > h
            {
                return Err(placement_err(
                    &f,
                    format!(
                        "({}, {}) mm is outside the page ({w:.1} × {h:.1} mm)",
                        st.x_mm, st.y_mm
                    ),
                ));
            }
        }
        signatures += match d.format {
            FileFormat::Pdf => u.stamps.len() + usize::from(u.cross_page),
            FileFormat::Ofd => 1,
        };
    }
    if let Some(q) = qr {
        let Some(&(w, h)) = d.pages.get((q.page as usize).wrapping_sub(1)) else {
            return Err(placement_err(
                "qr.page",
                format!("page {} does not exist", q.page),
            ));
        };
        let size = q.size_mm.unwrap_or(20.0);
        if !(q.x_mm.is_finite()
            && q.y_mm.is_finite()
            && size.is_finite()
            && (5.0..=100.0).contains(&size))
            || q.x_mm < 0.0
            || q.y_mm < 0.0
            || q.x_mm > w
            || q.y_mm > h
        {
            return Err(placement_err(
                "qr",
                "the QR code must lie on the page, 5 to 100 mm".into(),
            ));
        }
    }
    if matches!(credential, CredentialInput::SmsCode { .. }) && signatures > 1 {
        return Err(ApiError::bad_request(
            "credential",
            "短信验证码只能签署一处印章；多处签署请使用签署密码",
            "an SMS code is single use and signs one stamp; sign several with the signing password",
        ));
    }
    Ok(signatures)
}

/// The request as it will be signed: each keyword placement turned into stamps over the
/// text's occurrences in `bytes` (the version to sign), and every stamp size checked against
/// its seal (`seals[i]` is the record of `uses[i]`). Keyword logic is the core's
/// ([`p::keyword_stamps`]); a keyword not found is 422 `keyword_not_found` naming it.
pub fn resolve(
    d: &DocRecord,
    bytes: &[u8],
    uses: &[SealUse],
    seals: &[p::SealRecord],
) -> ApiResult<Vec<SealUse>> {
    let mut out = Vec::with_capacity(uses.len());
    for (i, (u, seal)) in uses.iter().zip(seals).enumerate() {
        let mut u = u.clone();
        for (j, st) in u.stamps.iter().enumerate() {
            p::stamp_size(seal, st.size_mm).map_err(|e| {
                ApiError::from(e).with_field(&format!("seals[{i}].stamps[{j}].size_mm"))
            })?;
        }
        if let Some(k) = u.keyword.take() {
            let field = format!("seals[{i}].keyword");
            let at = |e: p::PlatformError| ApiError::from(e).with_field(&field);
            let kw = k.keyword().map_err(at)?;
            let size = p::stamp_size(seal, k.size_mm)
                .map_err(|e| ApiError::from(e).with_field(&format!("{field}.size_mm")))?;
            for hit in p::keyword_stamps(d.format, bytes, &kw, size, &d.pages).map_err(at)? {
                u.stamps.push(Stamp {
                    page: hit.page as u32,
                    x_mm: hit.x_mm,
                    y_mm: hit.y_mm,
                    size_mm: k.size_mm,
                });
            }
        }
        out.push(u);
    }
    Ok(out)
}

/// The verification URL a document's QR code carries.
pub fn verify_url(s: &Inner, doc: &str) -> String {
    format!("{}/verify/{doc}", s.cfg.public_base())
}

fn qr_png(s: &Inner, d: &DocRecord, size_mm: f64) -> ApiResult<Vec<u8>> {
    let qr = eseal::stamp::qr::AntiForgeryQr {
        template: format!("{}/verify/{{doc_id}}?h={{digest}}", s.cfg.public_base()),
        doc_id: d.id.clone(),
        digest: hex::decode(&d.sm3).unwrap_or_default(),
        size_mm: size_mm as f32,
        ..Default::default()
    };
    Ok(qr
        .render()
        .map_err(|e| ApiError::internal(format!("QR code: {e}")))?
        .png)
}

fn pt(mm: f64) -> f64 {
    mm * 72.0 / 25.4
}

/// The per-document lock: one signing of a document at a time, across server processes. It
/// is also the signing's journal ([`crate::recovery`]): a lock left by a process that is gone
/// is repaired, never just expired.
pub struct SignLock<'a> {
    s: &'a Inner,
    id: String,
    body: crate::recovery::LockBody,
    /// Left in place for the repair (a store write failed after the signed file was kept).
    keep: bool,
}

impl<'a> SignLock<'a> {
    pub fn take(s: &'a Inner, doc: &str) -> ApiResult<SignLock<'a>> {
        let body = crate::recovery::LockBody {
            instance: s.locks.instance.clone(),
            version: None,
        };
        let entry = KvEntry {
            id: doc.to_owned(),
            owner: String::new(),
            body: serde_json::to_string(&body).map_err(|e| ApiError::internal(e.to_string()))?,
            expires: None,
        };
        // Held from before the row exists: the repair never takes a lock being taken.
        s.locks.hold(doc);
        let fresh = s.db.kv_insert(ns::SIGN_LOCK, &entry, s.clock.now());
        if !matches!(fresh, Ok(true)) {
            s.locks.release(doc);
            fresh?;
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "signing_in_progress",
                "The document is being signed",
                "该文件正在签署中，请稍后再试",
                "another signing of this document is in progress",
            ));
        }
        Ok(SignLock {
            s,
            id: doc.to_owned(),
            body,
            keep: false,
        })
    }

    /// Step 3 of a signing: the version about to be committed, written into the lock.
    fn journal(&mut self, v: &SignedVersion) -> Result<(), p::PlatformError> {
        self.body.version = Some(v.clone());
        let body = serde_json::to_string(&self.body)
            .map_err(|e| p::PlatformError::InvalidState(e.to_string()))?;
        self.s
            .db
            .kv_put(
                ns::SIGN_LOCK,
                &KvEntry {
                    id: self.id.clone(),
                    owner: String::new(),
                    body,
                    expires: None,
                },
            )
            .map_err(p::PlatformError::Store)
    }
}

impl Drop for SignLock<'_> {
    fn drop(&mut self) {
        if !self.keep {
            let _ = self.s.db.kv_delete(ns::SIGN_LOCK, &self.id);
        }
        self.s.locks.release(&self.id);
    }
}

/// Runs the platform signing `commit` of `d` (under `lock`) so that nothing is lost
/// ([`crate::recovery`]): `commit` gives the signed bytes and their file record to the
/// persist hook before its batch commits, which verifies them, keeps the file under the
/// record's name and journals the version; after the commit the document points at it
/// (returned with the verifier's verdict on the signed file). A
/// failed commit removes the file; a store failure that leaves the outcome unknown leaves
/// the lock to the repair. `seals` are the (id, name) of the seals applied.
pub fn commit_signed<T>(
    s: &Inner,
    lock: &mut SignLock<'_>,
    d: &mut DocRecord,
    seals: &[(String, String)],
    commit: impl FnOnce(&mut p::Persist<'_>) -> Result<T, p::PlatformError>,
) -> ApiResult<(T, Option<(SignedVersion, String)>)> {
    let mut kept: Option<(SignedVersion, String)> = None;
    let mut failure: Option<ApiError> = None;
    let out = {
        let doc: &DocRecord = d;
        let lock = &mut *lock;
        let kept = &mut kept;
        let failure = &mut failure;
        commit(&mut |bytes: &[u8], rec: &p::FileRecord| {
            // Never record a file that does not verify.
            let report =
                verify_bytes(s, &doc.name, doc.format, bytes.to_vec(), false).map_err(|e| {
                    let msg = e.detail.clone();
                    *failure = Some(e);
                    p::PlatformError::InvalidState(msg)
                })?;
            let v = SignedVersion {
                file_record: rec.id.clone(),
                size: bytes.len() as u64,
                sm3: hex::encode(eseal::crypto::sm3::sm3(bytes)),
                time: rec.time,
                seals: seals.iter().map(|(_, n)| n.clone()).collect(),
                seal_ids: seals.iter().map(|(i, _)| i.clone()).collect(),
                signatures: report.signatures.len(),
            };
            let path = documents::signed_file(s, doc, &rec.id);
            eseal::fs::write_atomic(&path, &[bytes]).map_err(|e| {
                let msg = format!("writing the signed file: {e}");
                // A full disk or an unwritable folder: nothing is recorded, nothing left.
                *failure = Some(ApiError::storage(
                    &e.source,
                    "签署文件无法保存（存储空间不足或不可写），未签署",
                    msg.clone(),
                ));
                p::PlatformError::InvalidState(msg)
            })?;
            *kept = Some((v.clone(), verdict_name(&report)));
            crate::recovery::pause_point("file");
            lock.journal(&v)?;
            crate::recovery::pause_point("journal");
            Ok(())
        })
    };
    match (out, kept) {
        (Ok(t), Some((v, verdict))) => {
            crate::recovery::pause_point("commit");
            if let Err(e) = point_at(s, d, &v) {
                lock.keep = true;
                return Err(e);
            }
            Ok((t, Some((v, verdict))))
        }
        // Nothing signed (an app call queued for confirmation).
        (Ok(t), None) => Ok((t, None)),
        (Err(e), None) => Err(failure.unwrap_or_else(|| e.into())),
        (Err(e), Some((v, _))) => {
            // Did the batch commit after all (a store error after COMMIT)?
            match s.platform.committed_file(&v.file_record) {
                Ok(Some(_)) => {
                    if point_at(s, d, &v).is_err() {
                        lock.keep = true;
                    }
                }
                Ok(None) => {
                    let _ = std::fs::remove_file(documents::signed_file(s, d, &v.file_record));
                }
                Err(_) => lock.keep = true,
            }
            Err(failure.unwrap_or_else(|| e.into()))
        }
    }
}

/// The version a signing that must sign made.
fn signed<T>(r: (T, Option<(SignedVersion, String)>)) -> ApiResult<(T, SignedVersion, String)> {
    match r {
        (t, Some((v, verdict))) => Ok((t, v, verdict)),
        (_, None) => Err(ApiError::internal("signed without a signed file")),
    }
}

/// Step 5: the document points at its new version; the superseded file is removed.
fn point_at(s: &Inner, d: &mut DocRecord, v: &SignedVersion) -> ApiResult<()> {
    d.signed = Some(v.clone());
    documents::save(s, d)?;
    documents::remove_stale_versions(s, d);
    Ok(())
}

/// The outcome of a signing.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignOutcome {
    pub document: String,
    pub file_record: String,
    pub signatures: usize,
    pub size: u64,
    pub sm3: String,
    /// The verification URL the QR code carries.
    pub verify_url: String,
    /// `valid`, `valid_with_warnings`, `intact_untrusted` (a signer the platform's trust
    /// anchors do not confirm) or `invalid`: the verifier's verdict on the signed file.
    pub verdict: String,
}

/// A stamp's size (mm), checked by [`resolve`] before.
fn stamp_size(seal: &p::SealRecord, st: &Stamp) -> (f64, f64) {
    p::stamp_size(seal, st.size_mm).unwrap_or((f64::from(seal.width_mm), f64::from(seal.height_mm)))
}

/// Where one seal goes, in the terms of the document's format (PDF points from the lower
/// left of the page as displayed; OFD mm from the top left), with the QR code when `qr`.
pub fn layout(
    d: &DocRecord,
    place: &SealUse,
    seal: &p::SealRecord,
    qr: Option<&(QrPlacement, Vec<u8>)>,
) -> Layout {
    let (w, h) = (f64::from(seal.width_mm), f64::from(seal.height_mm));
    match d.format {
        FileFormat::Pdf => {
            let mut placements = vec![];
            // The cross-page seal first: its page strips are then covered by the later
            // signatures instead of drawing over pages signed before them.
            if place.cross_page {
                placements.push(eseal::pdf::Placement::CrossPage {
                    first: None,
                    last: None,
                    width: pt(w),
                    height: pt(h),
                    centre_y: None,
                });
            }
            for st in &place.stamps {
                let (sw, sh) = stamp_size(seal, st);
                let page_h = d.pages[(st.page - 1) as usize].1;
                placements.push(eseal::pdf::Placement::Stamp {
                    page: st.page,
                    x: pt(st.x_mm),
                    y: pt(page_h - st.y_mm - sh),
                    width: pt(sw),
                    height: pt(sh),
                });
            }
            let qr = qr.map(|(q, png)| {
                let page_h = d.pages[(q.page - 1) as usize].1;
                let size = q.size_mm.unwrap_or(20.0);
                eseal::pdf::QrCode {
                    png: png.clone(),
                    page: q.page,
                    x: pt(q.x_mm),
                    y: pt(page_h - q.y_mm - size),
                    size: pt(size),
                }
            });
            Layout::Pdf { placements, qr }
        }
        FileFormat::Ofd => {
            let mut placements = vec![];
            for st in &place.stamps {
                let (sw, sh) = stamp_size(seal, st);
                placements.push(eseal::ofd::Placement::Stamp {
                    page: st.page as usize,
                    x_mm: st.x_mm,
                    y_mm: st.y_mm,
                    width_mm: Some(sw),
                    height_mm: Some(sh),
                });
            }
            if place.cross_page {
                placements.push(eseal::ofd::Placement::CrossPage {
                    pages: None,
                    y_mm: None,
                    width_mm: Some(w),
                    height_mm: Some(h),
                });
            }
            let qr = qr.map(|(q, png)| eseal::ofd::QrCode {
                png: png.clone(),
                page: q.page as usize,
                x_mm: q.x_mm,
                y_mm: q.y_mm,
                size_mm: q.size_mm.unwrap_or(20.0),
            });
            Layout::Ofd { placements, qr }
        }
    }
}

/// Signs `input` with one GB/T 38540 seal and a signer along `layout` (one PDF signature per
/// placement; one OFD signature with all of them). The same inputs and time give the same
/// bytes to sign, which deferred signing relies on.
pub fn apply(
    input: Vec<u8>,
    layout: &Layout,
    seal: &ses::Seal,
    signer: &dyn Signer,
    now: Time,
) -> Result<Vec<u8>, String> {
    match layout {
        Layout::Pdf { placements, qr } => {
            let reqs: Vec<eseal::pdf::SignRequest<'_>> = placements
                .iter()
                .enumerate()
                .map(|(i, pl)| {
                    let mut r = eseal::pdf::SignRequest::new(
                        eseal::pdf::Credential::Seal { seal, signer },
                        pl.clone(),
                        now,
                    );
                    if i == 0 {
                        r.qr = qr.clone();
                    }
                    r
                })
                .collect();
            eseal::pdf::sign(&input, &reqs).map_err(|e| e.to_string())
        }
        Layout::Ofd { placements, qr } => {
            let mut r = eseal::ofd::SignRequest::new(eseal::ofd::SignKind::Seal(seal), now);
            r.placements = placements.clone();
            r.qr = qr.clone();
            let pkg = eseal::ofd::Package::from_bytes(input).map_err(|e| e.to_string())?;
            eseal::ofd::sign(&pkg, signer, &r).map_err(|e| e.to_string())
        }
    }
}

pub fn qr_of(
    s: &Inner,
    d: &DocRecord,
    qr: &Option<QrPlacement>,
) -> ApiResult<Option<(QrPlacement, Vec<u8>)>> {
    Ok(match qr {
        Some(q) => Some((q.clone(), qr_png(s, d, q.size_mm.unwrap_or(20.0))?)),
        None => None,
    })
}

/// Signs document `d` with cloud seals (blocking): one platform signing per seal, each of the
/// result of the one before; the signed file is written atomically after the last.
pub fn sign_document(
    s: &Inner,
    session: &Session,
    d: &mut DocRecord,
    req: SignRequest,
) -> ApiResult<SignOutcome> {
    check_request(d, &req.seals, &req.qr, &req.credential)?;
    let mut lock = SignLock::take(s, &d.id)?;
    let bytes = std::fs::read(documents::current_path(s, d))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut records = Vec::with_capacity(req.seals.len());
    for u in &req.seals {
        let seal = s.platform.seal(session, &u.seal_id)?;
        if seal.kind != p::SealKind::Cloud {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "ukey_seal",
                "UKey seals sign in the UKey",
                "UKey 印章须通过证书助手在 UKey 中签署（见 /sign/prepare）",
                format!(
                    "seal {} is a UKey seal: use POST /api/v1/documents/{{id}}/sign/prepare",
                    seal.id
                ),
            ));
        }
        records.push(seal);
    }
    let seals = resolve(d, &bytes, &req.seals, &records)?;
    let count = check_request(d, &seals, &req.qr, &req.credential)?;
    let credential: SignCredential = req.credential.clone().into();
    let qr = qr_of(s, d, &req.qr)?;
    let mut names = vec![];
    let mut uses = vec![];
    for (i, (u, seal)) in seals.iter().zip(records).enumerate() {
        let layout = layout(d, u, &seal, if i == 0 { qr.as_ref() } else { None });
        uses.push(p::SealLayout {
            seal: seal.id.clone(),
            layout,
        });
        names.push((seal.id, seal.name));
    }
    let Some(first) = uses.first() else {
        return Err(ApiError::bad_request(
            "seals",
            "请选择印章",
            "at least one seal",
        ));
    };
    let input = p::DocumentInput {
        name: d.name.clone(),
        bytes,
        layout: first.layout.clone(),
        thumbnail: Some(format!("doc:{}", d.id)),
    };
    // Every seal in one platform signing: one file record naming them all (2.6).
    let (_, v, verdict) = signed(commit_signed(s, &mut lock, d, &names, |persist| {
        s.platform
            .sign_document_persisted(session, &uses, &input, &credential, persist)
    })?)?;
    Ok(outcome(s, d, &v, count, verdict))
}

/// The answer to a finished signing of `d` (version `v`).
pub fn outcome(
    s: &Inner,
    d: &DocRecord,
    v: &SignedVersion,
    signatures: usize,
    verdict: String,
) -> SignOutcome {
    SignOutcome {
        document: d.id.clone(),
        file_record: v.file_record.clone(),
        signatures,
        size: v.size,
        sm3: v.sm3.clone(),
        verify_url: verify_url(s, &d.id),
        verdict,
    }
}

pub fn verdict_name(r: &VerificationReport) -> String {
    match serde_json::to_value(r.verdict()) {
        Ok(serde_json::Value::String(v)) => v,
        _ => String::new(),
    }
}

/// Verifies a PDF or OFD with the platform's trust anchors, as `eseal … verify` does.
pub fn verify_bytes(
    s: &Inner,
    name: &str,
    format: FileFormat,
    bytes: Vec<u8>,
    strict: bool,
) -> ApiResult<VerificationReport> {
    let opts = VerifyOptions {
        trust: s.trust.clone(),
        at: Time::now(),
        strict,
        ..Default::default()
    };
    // Unusable input (not a PDF or OFD, encrypted, empty) is exit 2 on the command line: here
    // a 422 problem, never a report.
    let unreadable = |e: String| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_document",
            "The document cannot be read",
            "文件已损坏或无法读取",
            e,
        )
    };
    let mut report = match format {
        FileFormat::Pdf => {
            eseal::pdf::verify(&bytes, name, &opts).map_err(|e| unreadable(e.to_string()))?
        }
        FileFormat::Ofd => {
            let pkg =
                eseal::ofd::Package::from_bytes(bytes).map_err(|e| unreadable(e.to_string()))?;
            eseal::ofd::verify(&pkg, name, &opts).map_err(|e| unreadable(e.to_string()))?
        }
    };
    // The platform's own seal status: a seal it revoked or froze before the signing time
    // fails here as with `--seal-status` (docs/seal-status.md).
    s.platform.seal_status()?.apply(&mut report, opts.at);
    Ok(report)
}

/// The report as `eseal … verify --json` prints it: with `verdict`, `exit_code` and a verdict
/// per signature.
pub fn report_json(r: &VerificationReport) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

// ------------------------------------------------------------------ deferred (UKey) signing

/// Lifetime of a prepared UKey signing.
pub const PENDING_TTL: i64 = 600;

/// A UKey signing in progress: the request, the digests signed so far by the UKey (through
/// the agent) and the next one to sign. Signing is replayed from the start each round with
/// the same time, so the bytes to sign are the same; each round stops at the first digest
/// that has no signature yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    doc: String,
    owner: String,
    /// SM3 of the document version being signed (a change in between voids the signing).
    base_sm3: String,
    seals: Vec<SealUse>,
    qr: Option<QrPlacement>,
    /// The UKey's signing certificate (DER, base64).
    cert: String,
    time: i64,
    total: usize,
    /// (e hex, signature DER base64, seal id), in signing order.
    known: Vec<(String, String, String)>,
    next: String,
    next_seal: String,
}

struct ReplaySigner<'a> {
    cert: &'a Certificate,
    seal: String,
    known: &'a [(String, String, String)],
    captured: &'a Mutex<Option<([u8; 32], String)>>,
}

impl Signer for ReplaySigner<'_> {
    fn certificate(&self) -> &Certificate {
        self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<sm2::Signature, SignerError> {
        let eh = hex::encode(e);
        if let Some((_, sig, _)) = self.known.iter().find(|(k, _, _)| *k == eh) {
            let der = b64()
                .decode(sig)
                .map_err(|_| SignerError::Refused("stored signature unreadable".into()))?;
            return sm2::Signature::parse_lenient(&der)
                .map(|(s, _)| s)
                .map_err(|_| SignerError::Refused("stored signature unreadable".into()));
        }
        if let Ok(mut g) = self.captured.lock() {
            g.get_or_insert((*e, self.seal.clone()));
        }
        Err(SignerError::Refused("waiting for the UKey".into()))
    }
}

/// A UKey signing waiting for the next signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingView {
    pub signing_id: String,
    /// The digest e = SM3(Z‖M) to sign in the UKey (base64), e.g. with the agent's
    /// `POST /v1/sign {"pin": …, "digest": …}`.
    pub digest: String,
    /// The seal whose signature this is.
    pub seal_id: String,
    pub signatures_done: usize,
    pub signatures_total: usize,
    pub expires: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareRequest {
    /// UKey seals (USB KEY 印章 or 公务人员国办签名) and where they go.
    pub seals: Vec<SealUse>,
    pub qr: Option<QrPlacement>,
    /// The UKey's signing certificate (DER, base64), from the agent's `/v1/identity`.
    pub certificate: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundView {
    pub done: bool,
    /// The next digest to sign (when not done).
    pub pending: Option<PendingView>,
    /// The signed document (when done).
    pub outcome: Option<SignOutcome>,
}

fn parse_cert(b64s: &str) -> ApiResult<Certificate> {
    let der = b64().decode(b64s.trim()).map_err(|_| {
        ApiError::bad_request(
            "certificate",
            "证书不是 base64",
            "certificate is not base64",
        )
    })?;
    Certificate::from_der(&der)
        .map_err(|e| ApiError::bad_request("certificate", "证书无效", e.to_string()))
}

/// The finished document, or the next digest to sign and its seal.
type Replayed = Result<Vec<u8>, ([u8; 32], String)>;
/// (seal id, seal name) of the seals applied.
type Applied = Vec<(String, String)>;

/// Replays the signing with the signatures known so far: the finished bytes, or the next
/// digest to sign (with its seal).
fn replay(
    s: &Inner,
    session: &Session,
    d: &DocRecord,
    p: &Pending,
) -> ApiResult<(Replayed, Applied)> {
    let cert = parse_cert(&p.cert)?;
    let input = std::fs::read(documents::current_path(s, d))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if hex::encode(eseal::crypto::sm3::sm3(&input)) != p.base_sm3 {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "document_changed",
            "The document changed",
            "文件在签署过程中已被修改，请重新发起签署",
            "the document was signed by someone else in between; prepare again",
        ));
    }
    let qr = qr_of(s, d, &p.qr)?;
    let captured = Mutex::new(None);
    let mut bytes = input;
    let mut names = vec![];
    for (i, u) in p.seals.iter().enumerate() {
        let seal = s.platform.seal(session, &u.seal_id)?;
        if seal.kind == p::SealKind::Cloud {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "cloud_seal",
                "Cloud seals sign on the server",
                "云端印章请直接签署（POST /sign）",
                format!(
                    "seal {} is a cloud seal: use POST /api/v1/documents/{{id}}/sign",
                    seal.id
                ),
            ));
        }
        // The seal the platform made when it was written to the UKey.
        let der = s
            .platform
            .seal_der(session, &seal.id)
            .map_err(|e| match e {
                p::PlatformError::InvalidState(_) => {
                    ApiError::from(p::PlatformError::InvalidState(format!(
                        "seal {} has not been written to a UKey yet",
                        seal.id
                    )))
                }
                e => e.into(),
            })?;
        let ses_seal = ses::Seal::from_der(&der).map_err(|e| ApiError::internal(e.to_string()))?;
        let signer = ReplaySigner {
            cert: &cert,
            seal: seal.id.clone(),
            known: &p.known,
            captured: &captured,
        };
        let lay = layout(d, u, &seal, if i == 0 { qr.as_ref() } else { None });
        match apply(bytes, &lay, &ses_seal, &signer, Time::from_unix(p.time)) {
            Ok(b) => bytes = b,
            Err(e) => {
                return match captured.lock().ok().and_then(|mut g| g.take()) {
                    Some(w) => Ok((Err(w), names)),
                    None => Err(ApiError::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "cannot_sign",
                        "The document cannot be signed as asked",
                        "无法按要求签署该文件（UKey 证书须为写入印章时的证书）",
                        e,
                    )),
                };
            }
        }
        names.push((seal.id, seal.name));
    }
    Ok((Ok(bytes), names))
}

fn store_pending(s: &Inner, id: &str, p: &Pending) -> ApiResult<PendingView> {
    let expires = s.clock.now() + PENDING_TTL;
    s.db.kv_put(
        ns::PENDING_SIGNING,
        &KvEntry {
            id: id.to_owned(),
            owner: p.owner.clone(),
            body: serde_json::to_string(p).map_err(|e| ApiError::internal(e.to_string()))?,
            expires: Some(expires),
        },
    )?;
    Ok(PendingView {
        signing_id: id.to_owned(),
        digest: b64().encode(hex::decode(&p.next).unwrap_or_default()),
        seal_id: p.next_seal.clone(),
        signatures_done: p.known.len(),
        signatures_total: p.total,
        expires,
    })
}

/// Starts a UKey signing of `d`: the first digest for the UKey.
pub fn prepare(
    s: &Inner,
    session: &Session,
    owner: &str,
    d: &DocRecord,
    req: PrepareRequest,
) -> ApiResult<PendingView> {
    check_request(d, &req.seals, &req.qr, &CredentialInput::Ukey)?;
    parse_cert(&req.certificate)?;
    if !s.platform.may(session, p::Action::SignWithSeal)? {
        return Err(p::PlatformError::Forbidden(
            "SignWithSeal needs one of the roles allowed for it".into(),
        )
        .into());
    }
    let mut records = Vec::with_capacity(req.seals.len());
    for u in &req.seals {
        let seal = s.platform.seal(session, &u.seal_id)?;
        let st = seal.effective_status(s.clock.now());
        if st != p::SealStatus::Valid {
            return Err(
                p::PlatformError::InvalidState(format!("seal {} is {st:?}", seal.id)).into(),
            );
        }
        records.push(seal);
    }
    let input = std::fs::read(documents::current_path(s, d))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // Keywords are found once, here: the rounds replay the stamps they gave.
    let seals = resolve(d, &input, &req.seals, &records)?;
    let total = check_request(d, &seals, &req.qr, &CredentialInput::Ukey)?;
    let mut p = Pending {
        doc: d.id.clone(),
        owner: owner.to_owned(),
        base_sm3: hex::encode(eseal::crypto::sm3::sm3(&input)),
        seals,
        qr: req.qr,
        cert: req.certificate,
        time: s.clock.now(),
        total,
        known: vec![],
        next: String::new(),
        next_seal: String::new(),
    };
    match replay(s, session, d, &p)?.0 {
        Ok(_) => Err(ApiError::internal("a signing without signatures")),
        Err((e, seal)) => {
            p.next = hex::encode(e);
            p.next_seal = seal;
            store_pending(s, &crate::random_hex(16)?, &p)
        }
    }
}

/// Takes the UKey's signature of the pending digest: the next digest, or the signed document.
pub fn round(
    s: &Inner,
    session: &Session,
    owner: &str,
    signing_id: &str,
    signature_b64: &str,
) -> ApiResult<RoundView> {
    crate::api::check_id("id", signing_id)?;
    let entry =
        s.db.kv_get(ns::PENDING_SIGNING, signing_id, s.clock.now())?
            .filter(|e| e.owner == owner)
            .ok_or_else(|| ApiError::not_found(format!("signing {signing_id}")))?;
    let mut p: Pending =
        serde_json::from_str(&entry.body).map_err(|e| ApiError::internal(e.to_string()))?;
    let cert = parse_cert(&p.cert)?;
    let bad = |en: &str| ApiError::bad_request("signature", "UKey 签名无效", en.to_owned());
    let der = b64()
        .decode(signature_b64.trim())
        .map_err(|_| bad("the signature is not base64"))?;
    let (sig, _) = sm2::Signature::parse_lenient(&der).map_err(|_| bad("not an SM2 signature"))?;
    let e: [u8; 32] = hex::decode(&p.next)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| ApiError::internal("pending digest unreadable"))?;
    let pk = cert
        .sm2_public_key()
        .map_err(|_| bad("the certificate holds no SM2 key"))?;
    sm2::verify_digest(pk, &e, &sig)
        .map_err(|_| bad("the signature does not verify with the UKey's certificate"))?;
    p.known.push((
        p.next.clone(),
        b64().encode(sig.to_der()),
        p.next_seal.clone(),
    ));
    let mut d = documents::load(s, &p.doc)?;
    let (result, names) = replay(s, session, &d, &p)?;
    match result {
        Err((e, seal)) => {
            p.next = hex::encode(e);
            p.next_seal = seal;
            Ok(RoundView {
                done: false,
                pending: Some(store_pending(s, signing_id, &p)?),
                outcome: None,
            })
        }
        Ok(signed) => {
            let mut lock = SignLock::take(s, &d.id)?;
            s.db.kv_delete(ns::PENDING_SIGNING, signing_id)?;
            // Each signature is a use of its seal (rights, UKey session, seal state, 2.5.2),
            // committed with the file record.
            let uses: Vec<String> = p.known.iter().map(|(_, _, seal)| seal.clone()).collect();
            let input = p::FileInput {
                name: d.name.clone(),
                pages: d.pages.len() as u32,
                seals: p.seals.iter().map(|u| u.seal_id.clone()).collect(),
                format: d.format,
                size: signed.len() as u64,
                thumbnail: Some(format!("doc:{}", d.id)),
            };
            let (_, v, verdict) =
                self::signed(commit_signed(s, &mut lock, &mut d, &names, |persist| {
                    s.platform
                        .record_file_persisted(session, &input, &uses, &mut |rec| {
                            persist(&signed, rec)
                        })
                })?)?;
            let outcome = outcome(s, &d, &v, p.total, verdict);
            Ok(RoundView {
                done: true,
                pending: None,
                outcome: Some(outcome),
            })
        }
    }
}
