//! Signing documents with cloud seals (manual 2.5): the same `pdf` and `ofd` signing the
//! command line uses, with the unit's server key in the key vault as the signer.

use super::*;
use crate::crypto::time::Time;
use crate::placement::{Keyword, PlacementError, TextHit};
use crate::{ofd, pdf, ses};

/// How far a stamp may be resized from the size its seal was made at (the picture written
/// into the GB/T 38540 seal): from 75 % to 125 % of its width, the height following so the
/// picture keeps its shape. A seal shown much smaller or larger than made is not the seal.
pub const STAMP_SCALE: (f64, f64) = (0.75, 1.25);

/// The size (mm) a stamp of `seal` is drawn at: the seal's own, or `width_mm` within
/// [`STAMP_SCALE`] with the height in proportion.
pub fn stamp_size(seal: &SealRecord, width_mm: Option<f64>) -> Result<(f64, f64)> {
    let (w, h) = (f64::from(seal.width_mm), f64::from(seal.height_mm));
    let Some(want) = width_mm else {
        return Ok((w, h));
    };
    let (lo, hi) = (w * STAMP_SCALE.0, w * STAMP_SCALE.1);
    if !want.is_finite() || want < lo - 1e-9 || want > hi + 1e-9 {
        return Err(PlatformError::InvalidInput(format!(
            "size_mm: the stamp of seal {} is {lo:.1} to {hi:.1} mm wide (its size {w} × {h} mm ±25 %)",
            seal.id
        )));
    }
    Ok((want, h * want / w))
}

fn keyword_error(e: PlacementError) -> PlatformError {
    PlatformError::Placement(e)
}

/// Every occurrence of `kw.text` on the pages `kw` names of a PDF or OFD (the first
/// document of an OFD), in page order then content order; boxes in mm from the top-left of
/// the page as displayed.
pub fn find_text(format: FileFormat, bytes: &[u8], kw: &Keyword) -> Result<Vec<TextHit>> {
    match format {
        FileFormat::Pdf => pdf::find_text(bytes, kw).map_err(|e| match e {
            pdf::PdfError::Keyword(k) => keyword_error(k),
            pdf::PdfError::Placement(m) => keyword_error(PlacementError::Invalid(m)),
            e => e.into(),
        }),
        FileFormat::Ofd => {
            let pkg = ofd::Package::from_bytes(bytes.to_vec())?;
            ofd::find_text(&pkg, kw).map_err(|e| match e {
                ofd::OfdError::Keyword(k) => keyword_error(k),
                ofd::OfdError::Placement(m) => keyword_error(PlacementError::Invalid(m)),
                e => e.into(),
            })
        }
    }
}

/// A stamp placed by keyword: its page (from 1) and top-left corner (mm, page as displayed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeywordStamp {
    pub page: usize,
    pub x_mm: f64,
    pub y_mm: f64,
}

/// Where `w` × `h` mm stamps go for keyword placement `kw` ("seal where this text is
/// written", [`crate::placement`]): over each occurrence it asks for, moved inside its page
/// when the text sits so near an edge that the stamp would stick out (`pages` holds the
/// page sizes in mm as displayed). A keyword that does not occur is
/// [`PlatformError::Placement`] naming it: never a silently unplaced stamp.
pub fn keyword_stamps(
    format: FileFormat,
    bytes: &[u8],
    kw: &Keyword,
    (w, h): (f64, f64),
    pages: &[(f64, f64)],
) -> Result<Vec<KeywordStamp>> {
    if kw.text.trim().is_empty() || kw.text.chars().count() > 100 {
        return Err(PlatformError::InvalidInput(
            "keyword.text: 1 to 100 characters".into(),
        ));
    }
    if !(kw.dx_mm.is_finite() && kw.dy_mm.is_finite())
        || kw.dx_mm.abs() > 500.0
        || kw.dy_mm.abs() > 500.0
    {
        return Err(PlatformError::InvalidInput(
            "keyword.offset_mm: within ±500 mm".into(),
        ));
    }
    let hits =
        crate::placement::select(kw, find_text(format, bytes, kw)?).map_err(keyword_error)?;
    Ok(hits
        .iter()
        .map(|hit| {
            let b = crate::placement::stamp_box(kw, hit, w, h);
            let (pw, ph) = pages
                .get(hit.page.wrapping_sub(1))
                .copied()
                .unwrap_or((f64::MAX, f64::MAX));
            KeywordStamp {
                page: hit.page,
                x_mm: b[0].min(pw - w).max(0.0),
                y_mm: b[1].min(ph - h).max(0.0),
            }
        })
        .collect())
}

/// Where the seal goes and the optional anti-forgery QR code, in the terms of the format.
#[derive(Clone, Debug)]
pub enum Layout {
    /// One signature per placement (stamps, cross-page), each an incremental update.
    Pdf {
        placements: Vec<pdf::Placement>,
        /// Drawn with the first signature.
        qr: Option<pdf::QrCode>,
    },
    /// One signature with all its placements.
    Ofd {
        placements: Vec<ofd::Placement>,
        qr: Option<ofd::QrCode>,
    },
}

/// A document to sign.
#[derive(Clone, Debug)]
pub struct DocumentInput {
    pub name: String,
    pub bytes: Vec<u8>,
    pub layout: Layout,
    /// Thumbnail reference for the file list.
    pub thumbnail: Option<String>,
}

/// One seal of a signing and where it goes.
#[derive(Clone, Debug)]
pub struct SealLayout {
    pub seal: String,
    pub layout: Layout,
}

/// The signed document and its file record.
#[derive(Clone, Debug)]
pub struct SignedDocument {
    pub bytes: Vec<u8>,
    pub record: FileRecord,
}

pub(super) fn page_count(layout: &Layout, bytes: &[u8]) -> Result<u32> {
    let n = match layout {
        Layout::Pdf { .. } => lopdf::Document::load_mem(bytes)
            .map_err(|e| PlatformError::InvalidInput(format!("not a readable PDF: {e}")))?
            .get_pages()
            .len(),
        Layout::Ofd { .. } => {
            let pkg = ofd::Package::from_bytes(bytes.to_vec())?;
            let bodies = ofd::document::doc_bodies(&pkg)?;
            let body = bodies
                .first()
                .ok_or_else(|| PlatformError::InvalidInput("the OFD has no document".into()))?;
            ofd::document::read_document(&pkg, &body.doc_root)?
                .pages
                .len()
        }
    };
    u32::try_from(n).map_err(|_| PlatformError::InvalidInput("too many pages".into()))
}

impl Platform {
    /// Signs a PDF or OFD with a cloud seal (2.5): [`Platform::sign_document_with`] with one
    /// seal.
    pub fn sign_document(
        &self,
        sess: &Session,
        seal: &str,
        doc: &DocumentInput,
        cred: &SignCredential,
    ) -> Result<SignedDocument> {
        self.sign_document_with(
            sess,
            &[SealLayout {
                seal: seal.to_owned(),
                layout: doc.layout.clone(),
            }],
            doc,
            cred,
        )
    }

    /// Signs a PDF or OFD with one or more cloud seals (2.5, "可选中多个章进行签署"), each
    /// over the result of the one before with its own layout (`doc.layout` is not used): every
    /// seal must be one the actor uses and valid, the credential right (signing password, SMS
    /// code or UKey session), checked once; the unit's key in the vault signs through
    /// `pdf::sign` / `ofd::sign`. The seals' uses, ONE file record naming every seal used and
    /// the audit entry are one batch; if a seal was revoked or frozen meanwhile, the signed
    /// bytes are discarded.
    pub fn sign_document_with(
        &self,
        sess: &Session,
        seals: &[SealLayout],
        doc: &DocumentInput,
        cred: &SignCredential,
    ) -> Result<SignedDocument> {
        self.sign_document_persisted(sess, seals, doc, cred, &mut |_, _| Ok(()))
    }

    /// [`Platform::sign_document_with`], giving the signed bytes and their file record to
    /// `persist` once, after signing and before the batch that records them commits: the
    /// caller keeps the file first, so a crash or a failed commit leaves at most a file
    /// without a record (which the caller removes), never a record without its file. An
    /// error of `persist` aborts the signing (nothing committed).
    pub fn sign_document_persisted(
        &self,
        sess: &Session,
        seals: &[SealLayout],
        doc: &DocumentInput,
        cred: &SignCredential,
        persist: &mut Persist<'_>,
    ) -> Result<SignedDocument> {
        let size = doc.bytes.len() as u64;
        if size == 0 || size > MAX_FILE_SIZE {
            return Err(PlatformError::InvalidInput(
                "files are 1 byte to 30 MB".into(),
            ));
        }
        let Some(first) = seals.first() else {
            return Err(PlatformError::InvalidInput("no seal to sign with".into()));
        };
        let format = match first.layout {
            Layout::Pdf { .. } => FileFormat::Pdf,
            Layout::Ofd { .. } => FileFormat::Ofd,
        };
        let pages = page_count(&first.layout, &doc.bytes)?;
        let mut checked = false;
        let mut signed: Option<(Vec<u8>, FileRecord)> = None;
        self.run(sess, Action::SignWithSeal, &doc.name, |ctx, tx| {
            let mut used = Vec::with_capacity(seals.len());
            for u in seals {
                let (s, v) = self.usable_seal(ctx, &u.seal)?;
                if s.kind != SealKind::Cloud {
                    return Err(state(
                        "UKey seals are signed on the UKey (deferred signing in the browser)",
                    ));
                }
                if matches!(u.layout, Layout::Pdf { .. }) != (format == FileFormat::Pdf) {
                    return Err(PlatformError::InvalidInput(
                        "every seal's layout is of the document's format".into(),
                    ));
                }
                self.seal_use(tx, &s, v)?;
                used.push(s);
            }
            if !checked {
                self.check_sign_credential(ctx, cred)?;
                checked = true;
            }
            // Signed and persisted once; a batch run again after a lost race (a concurrent
            // seal use) records the same bytes under the same record.
            if signed.is_none() {
                let mut b = doc.bytes.clone();
                for (s, u) in used.iter().zip(seals) {
                    b = self.sign_bytes(s, &b, &u.layout)?;
                }
                let input = FileInput {
                    name: doc.name.clone(),
                    pages,
                    seals: used.iter().map(|s| s.id.clone()).collect(),
                    format,
                    size: b.len() as u64,
                    thumbnail: doc.thumbnail.clone(),
                };
                let record =
                    self.file_record(ctx, &input, used.iter().map(|s| s.name.clone()).collect())?;
                persist(&b, &record)?;
                signed = Some((b, record));
            }
            let Some((bytes, record)) = signed.clone() else {
                return Err(state("signed bytes missing"));
            };
            tx.insert(&record)?;
            Ok(SignedDocument { bytes, record })
        })
    }

    pub(super) fn sign_bytes(
        &self,
        s: &SealRecord,
        bytes: &[u8],
        layout: &Layout,
    ) -> Result<Vec<u8>> {
        let seal = ses::Seal::from_der(&self.seal_der_of(s)?)?;
        let (_, signer) = self.unit_signer(&s.unit)?;
        let now = Time::from_unix(self.clock.now());
        match layout {
            Layout::Pdf { placements, qr } => {
                if placements.is_empty() {
                    return Err(PlatformError::InvalidInput("no placement".into()));
                }
                let reqs: Vec<pdf::SignRequest<'_>> = placements
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let mut r = pdf::SignRequest::new(
                            pdf::Credential::Seal {
                                seal: &seal,
                                signer: &signer,
                            },
                            p.clone(),
                            now,
                        );
                        if i == 0 {
                            r.qr = qr.clone();
                        }
                        r
                    })
                    .collect();
                Ok(pdf::sign(bytes, &reqs)?)
            }
            Layout::Ofd { placements, qr } => {
                let mut r = ofd::SignRequest::new(ofd::SignKind::Seal(&seal), now);
                r.placements = placements.clone();
                r.qr = qr.clone();
                let pkg = ofd::Package::from_bytes(bytes.to_vec())?;
                Ok(ofd::sign(&pkg, &signer, &r)?)
            }
        }
    }
}
