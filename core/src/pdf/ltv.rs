//! Long-term validation of PDF signatures (ETSI EN 319 142-1 §5.4 and §6.3, PAdES B-LT and
//! B-LTA): the validation data each signature needs, gathered from the signatures themselves
//! (their certificates and those of their time-stamp tokens), the certificates and
//! revocation data the caller gives, and the trust anchors that complete their chains;
//! written to the DSS by one incremental update ([`add_validation_data`]); then a document
//! timestamp over it ([`timestamp`]). Both are updates that the changed-after-signing rules
//! allow after any signature (docs/pdf-changes.md, rules `dss` and `document-timestamp`).

use super::PdfError;
use super::cos::Obj;
use super::dss::{self, ValidationData};
use super::xref::Pdf;
use crate::cms;
use crate::crypto::Certificate;
use std::io::Write as _;
use std::path::Path;

/// What [`add_validation_data`] adds besides what the signatures carry.
#[derive(Default)]
pub struct LtvOptions {
    /// Certificates that may complete chains: intermediates and trust anchors (the root is
    /// included, as validators need the whole path, ETSI EN 319 142-1 §5.4.2.1).
    pub certs: Vec<Certificate>,
    /// CRLs and OCSP responses (DER) for the certificates, from files or fetched.
    pub revocation: ValidationData,
}

/// What an update added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LtvSummary {
    /// Signatures with a VRI entry.
    pub signatures: usize,
    pub certs: usize,
    pub crls: usize,
    pub ocsps: usize,
}

/// The certificates a signature's `/Contents` carries: a CMS signer's and chain, those of its
/// signature-time-stamp token (B-T); a document timestamp's TSA; a GB/T 38540 signer's.
pub(crate) fn carried_certificates(der: &[u8]) -> Vec<Certificate> {
    if cms::looks_like_signed_data(der) {
        let Ok(sd) = cms::parse(der) else {
            return Vec::new();
        };
        let mut out = sd.certificates.clone();
        for si in &sd.signers {
            if let Some(tok) = si
                .signature_timestamp
                .as_deref()
                .and_then(|t| cms::parse(t).ok())
            {
                out.extend(tok.certificates);
            }
        }
        return out;
    }
    match crate::ses::SesSignature::from_der(der) {
        Ok(s) => {
            let mut out: Vec<Certificate> =
                Certificate::parse(&s.signer_cert).into_iter().collect();
            if let Some(tok) = s.timestamp.as_deref().and_then(|t| cms::parse(t).ok()) {
                out.extend(tok.certificates);
            }
            out
        }
        Err(_) => Vec::new(),
    }
}

/// `certs` with the issuers found in `pool`, up the chain (at most 8 steps a certificate).
pub(crate) fn complete_chains(certs: Vec<Certificate>, pool: &[Certificate]) -> Vec<Certificate> {
    let mut out: Vec<Certificate> = Vec::new();
    for c in certs {
        let mut current = c;
        for _ in 0..8 {
            if out.iter().any(|o| o.der() == current.der()) {
                break;
            }
            out.push(current.clone());
            if current.is_self_issued() {
                break;
            }
            let Some(issuer) = pool.iter().find(|p| {
                p.subject() == current.issuer()
                    && p.der() != current.der()
                    && current.verify_issued_by(p).is_ok()
            }) else {
                break;
            };
            current = issuer.clone();
        }
    }
    out
}

/// The signatures of `pdf` (document timestamps too) as `(VRI key, validation data)`.
pub(crate) fn gather(doc: &Pdf<'_>, opts: &LtvOptions) -> Vec<(String, ValidationData)> {
    let last = doc.last();
    let form = super::form::read(doc, last);
    let mut out = Vec::new();
    for f in form.fields.iter().filter(|f| f.is_signature()) {
        let Some(v) = f.dict.as_dict().and_then(|d| d.get(b"V")) else {
            continue;
        };
        let sig = doc.get(last, v);
        let Some(Obj::Str(contents)) = sig.as_dict().and_then(|d| d.get(b"Contents")) else {
            continue;
        };
        let carried = carried_certificates(super::verify::trim_der(contents));
        if carried.is_empty() {
            continue;
        }
        let mut pool = carried.clone();
        pool.extend(opts.certs.iter().cloned());
        let certs = complete_chains(carried, &pool);
        let data = ValidationData {
            certs: certs.iter().map(|c| c.der().to_vec()).collect(),
            crls: opts.revocation.crls.clone(),
            ocsps: opts.revocation.ocsps.clone(),
        };
        out.push((dss::vri_key(contents), data));
    }
    out
}

/// Copies `input` to `output` (atomically) followed by the update `make` builds over it; the
/// input is memory-mapped and read once more to be copied.
fn append_update(
    input: &Path,
    output: &Path,
    make: impl FnOnce(&[u8], &dyn crate::fs::Release) -> Result<Vec<u8>, PdfError>,
) -> Result<(), PdfError> {
    let pdf = crate::fs::MappedFile::open(input).map_err(|e| PdfError::read(input, e))?;
    let update = make(pdf.bytes(), &crate::fs::InMemory)?;
    let mut out = crate::fs::AtomicFile::create(output)?;
    let werr = |source| crate::fs::WriteError {
        path: output.to_path_buf(),
        source,
    };
    for (i, chunk) in pdf.bytes().chunks(crate::fs::CHUNK).enumerate() {
        out.write_all(chunk).map_err(werr)?;
        let at = i * crate::fs::CHUNK;
        pdf.release(at..at + chunk.len());
    }
    out.write_all(&update).map_err(werr)?;
    Ok(out.commit()?)
}

/// PAdES B-LT (ETSI EN 319 142-1 §6.3 and §5.4.2): adds to the DSS of `pdf` the certificates
/// of every signature with their chains, the given revocation data, and a VRI entry per
/// signature; returns the update to append.
pub fn validation_data_update(
    pdf: &[u8],
    opts: &LtvOptions,
) -> Result<(Vec<u8>, LtvSummary), PdfError> {
    dss_update_with(pdf, &crate::fs::InMemory, opts)
}

fn dss_update_with(
    pdf: &[u8],
    release: &dyn crate::fs::Release,
    opts: &LtvOptions,
) -> Result<(Vec<u8>, LtvSummary), PdfError> {
    let doc = Pdf::read_with(pdf, release)?;
    let vri = gather(&doc, opts);
    if vri.is_empty() {
        return Err(PdfError::Unsupported(
            "the PDF has no signature whose certificates can be read: nothing to add to the DSS / 文档中没有可用的签名".into(),
        ));
    }
    let mut all = ValidationData::default();
    for (_, d) in &vri {
        all.merge(d);
    }
    all.merge(&opts.revocation);
    let summary = LtvSummary {
        signatures: vri.len(),
        certs: all.certs.len(),
        crls: all.crls.len(),
        ocsps: all.ocsps.len(),
    };
    Ok((dss::update(pdf, release, &all, &vri)?, summary))
}

/// [`validation_data_update`] of the file at `input`, written with the update to `output`.
pub fn add_validation_data(
    input: &Path,
    output: &Path,
    opts: &LtvOptions,
) -> Result<LtvSummary, PdfError> {
    let mut summary = LtvSummary::default();
    append_update(input, output, |pdf, release| {
        let (update, s) = dss_update_with(pdf, release, opts)?;
        summary = s;
        Ok(update)
    })?;
    Ok(summary)
}

/// A document timestamp (ETSI EN 319 142-1 §5.4.3, `ETSI.RFC3161`) from `tsa` over the whole
/// file at `input`, as an incremental update in an invisible field, written to `output`.
pub fn timestamp(
    input: &Path,
    output: &Path,
    tsa: &dyn crate::tsp::TimeStamper,
) -> Result<(), PdfError> {
    let req = super::SignRequest::new(
        super::Credential::DocumentTimestamp(tsa),
        super::Placement::Invisible,
        crate::crypto::time::Time::now(),
    );
    super::sign_file(input, output, &[req])
}
