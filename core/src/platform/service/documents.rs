//! Signing documents with cloud seals (manual 2.5): the same `pdf` and `ofd` signing the
//! command line uses, with the unit's server key in the key vault as the signer.

use super::*;
use crate::crypto::time::Time;
use crate::{ofd, pdf, ses};

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
        let mut signed: Option<Vec<u8>> = None;
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
            let bytes = match &signed {
                Some(b) => b.clone(),
                None => {
                    let mut b = doc.bytes.clone();
                    for (s, u) in used.iter().zip(seals) {
                        b = self.sign_bytes(s, &b, &u.layout)?;
                    }
                    signed = Some(b.clone());
                    b
                }
            };
            let input = FileInput {
                name: doc.name.clone(),
                pages,
                seals: used.iter().map(|s| s.id.clone()).collect(),
                format,
                size: bytes.len() as u64,
                thumbnail: doc.thumbnail.clone(),
            };
            let record =
                self.file_record(ctx, &input, used.iter().map(|s| s.name.clone()).collect())?;
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
