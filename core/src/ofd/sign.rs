//! Signing an OFD (GB/T 33190-2016 ch. 18): `Type="Seal"` with an SES_Signature over
//! SM3(Signature.xml), or `Type="Sign"` with a GB/T 35275 SignedData; stamps on pages, a
//! cross-page seal (骑缝章) sliced with `Clip`, an optional QR code image placed into the page
//! content before the digests are taken, so the signature covers it.

use super::OfdError;
use super::document::{self, Document, visible_on_page};
use super::package::{DigestAlg, Package, dir_of, resolve};
use super::signatures::{
    self, FileDigest, NewSignatureXml, SignatureEntry, SignatureType, StampAnnot, next_id,
};
use super::xml::{self, Span, escape, spans, splice};
use crate::cms;
use crate::crypto::Signer;
use crate::crypto::sm3::sm3;
use crate::crypto::time::Time;
use crate::ses::{self, Seal};
use base64::Engine;
use std::collections::BTreeMap;
use std::path::Path;

/// What kind of signature to make.
#[derive(Clone, Copy)]
pub enum SignKind<'a> {
    /// Electronic seal (电子签章): SES_Signature with this seal.
    Seal(&'a Seal),
    /// Plain digital signature: GB/T 35275 SignedData over Signature.xml.
    Sign,
}

/// Where a stamp shows. Pages are numbered from 1 in document order; positions in mm from
/// the page's top-left corner; sizes default to the seal picture's.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    Stamp {
        page: usize,
        x_mm: f64,
        y_mm: f64,
        width_mm: Option<f64>,
        height_mm: Option<f64>,
    },
    /// A cross-page seal at the right edge of `pages` (all when `None`), each page showing
    /// its slice; vertically centred unless `y_mm` is given.
    CrossPage {
        pages: Option<Vec<usize>>,
        y_mm: Option<f64>,
        width_mm: Option<f64>,
        height_mm: Option<f64>,
    },
    /// A cross-page seal laid out by [`crate::placement::CrossPage`]: pages (all, odd, even,
    /// a range), edge (right, left, top, bottom), position along the edge and page groups
    /// when slices would be thinner than a minimum. Size defaults to the seal picture's.
    CrossPageAt {
        layout: crate::placement::CrossPage,
        width_mm: Option<f64>,
        height_mm: Option<f64>,
    },
}

/// An anti-forgery QR code (PNG) drawn into a page before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct QrCode {
    pub png: Vec<u8>,
    pub page: usize,
    pub x_mm: f64,
    pub y_mm: f64,
    pub size_mm: f64,
}

/// A signing request.
#[derive(Clone)]
pub struct SignRequest<'a> {
    pub kind: SignKind<'a>,
    pub placements: Vec<Placement>,
    pub qr: Option<QrCode>,
    /// Protect Signatures.xml too: no later signature is then possible.
    pub lock: bool,
    pub time: Time,
    /// Which DocBody (0 = the first).
    pub doc_index: usize,
    pub provider_company: String,
    /// A TSA: an electronic seal (`Type="Seal"`) gets `SES_Signature.timeStamp`
    /// (GB/T 38540 §7.1.6) over its signature value.
    pub time_stamper: Option<&'a dyn crate::tsp::TimeStamper>,
}

impl<'a> SignRequest<'a> {
    pub fn new(kind: SignKind<'a>, time: Time) -> Self {
        SignRequest {
            kind,
            placements: Vec::new(),
            qr: None,
            lock: false,
            time,
            doc_index: 0,
            provider_company: "eseal".into(),
            time_stamper: None,
        }
    }
}

fn mm(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

fn b64(d: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(d)
}

/// The files a signature adds or replaces, by package entry name (the absolute OFD path
/// without its leading '/'), as [`Package::write_with`] takes them.
#[derive(Default)]
struct Changes(BTreeMap<String, Option<Vec<u8>>>);

impl Changes {
    /// Sets the new bytes of the file at the absolute path `abs` (`/Doc_0/Document.xml`).
    fn put(&mut self, abs: &str, bytes: Vec<u8>) {
        self.0.insert(entry_name(abs).to_owned(), Some(bytes));
    }
    /// Whether the file at the absolute path `abs` is changed.
    fn touches(&self, abs: &str) -> bool {
        self.0.contains_key(entry_name(abs))
    }
}

/// The package entry name of an absolute OFD path (an ST_Loc from the root, GB/T 33190-2016).
fn entry_name(abs: &str) -> &str {
    abs.trim_start_matches('/')
}

/// Where one stamp annotation shows: page index, `Boundary` and the cross-page slice's `Clip`
/// (Signature.xml StampAnnot; ST_Box "x y w h" in mm).
struct StampSpot {
    page: usize,
    boundary: String,
    clip: Option<String>,
}

/// The files an existing signature protects (its `References`), by signature ID.
struct Protection {
    id: String,
    refs: Vec<String>,
}

/// Signs the OFD file `input` into `output`, streaming: the input is read at offsets and the
/// new package written straight into a temporary file renamed over `output` (nothing is
/// left at `output` when signing fails).
pub fn sign_file(
    input: &Path,
    output: &Path,
    signer: &dyn Signer,
    req: &SignRequest<'_>,
) -> Result<(), OfdError> {
    let pkg = Package::open(input)?;
    let changes = changes_for(&pkg, signer, req)?;
    let mut f = crate::fs::AtomicFile::create(output)?;
    {
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, &mut f);
        pkg.write_with(&changes.0, &mut w)?;
    }
    Ok(f.commit()?)
}

/// Signs `pkg` and returns the new package bytes.
pub fn sign(
    pkg: &Package,
    signer: &dyn Signer,
    req: &SignRequest<'_>,
) -> Result<Vec<u8>, OfdError> {
    let changes = changes_for(pkg, signer, req)?;
    pkg.to_bytes_with(&changes.0)
}

/// Deferred signing, step 1 (see [`crate::deferred`]): the digest e that the signature of
/// `req` over the OFD `ofd` needs from the holder of `certificate`.
pub fn prepare(
    ofd: &[u8],
    certificate: &crate::crypto::Certificate,
    req: &SignRequest<'_>,
) -> Result<crate::deferred::Pending, OfdError> {
    let pkg = Package::from_bytes(ofd.to_vec())?;
    let source_sm3 = crate::deferred::source_sm3(ofd, &crate::fs::InMemory);
    crate::deferred::prepare(source_sm3, certificate, |s| {
        changes_for(&pkg, &**s, req).map(|_| req.time)
    })
}

/// Deferred signing, step 2: the signed OFD with `signature` of the prepared digest; the
/// same `ofd` and request are needed (a swapped file or changed request is refused).
pub fn finish(
    ofd: &[u8],
    pending: &crate::deferred::Pending,
    signature: &crate::crypto::sm2::Signature,
    req: &SignRequest<'_>,
) -> Result<Vec<u8>, OfdError> {
    pending.check_source(ofd)?;
    let pkg = Package::from_bytes(ofd.to_vec())?;
    let changes =
        crate::deferred::finish(pending, &signature.into(), |s| changes_for(&pkg, &**s, req))?;
    pkg.to_bytes_with(&changes.0)
}

/// The files a signature adds or changes (GB/T 33190-2016 ch. 18 files, GB/T 38540 §7 signature).
fn changes_for(
    pkg: &Package,
    signer: &dyn Signer,
    req: &SignRequest<'_>,
) -> Result<Changes, OfdError> {
    let bodies = document::doc_bodies(pkg)?;
    let body = bodies.get(req.doc_index).ok_or_else(|| {
        OfdError::Placement(format!(
            "the package has {} DocBody, not {}",
            bodies.len(),
            req.doc_index + 1
        ))
    })?;
    let doc = document::read_document(pkg, &body.doc_root)?;
    if doc.pages.is_empty() {
        return Err(OfdError::Structure(format!(
            "{} lists no pages",
            body.doc_root
        )));
    }
    let mut changes = Changes::default();
    let doc_dir = dir_of(&body.doc_root).to_owned();

    // 1./2. The signature list; refuse when an existing signature protects it.
    let (list_path, mut entries, protected_by_existing, mut max_id) = match &body.signatures {
        Some(lp) => {
            let list = signatures::read_list(pkg, lp)?;
            let mut protected_by_existing: Vec<Protection> = Vec::new();
            for e in &list.entries {
                let Ok(p) = &e.base_loc else { continue };
                let b = match pkg.read(p) {
                    Ok(Some(b)) => b,
                    Ok(None) | Err(OfdError::Limit(_)) => continue,
                    Err(err) => return Err(err),
                };
                let Ok(sx) = signatures::parse_signature(&b, p) else {
                    continue;
                };
                let refs: Vec<String> = sx
                    .references
                    .iter()
                    .filter_map(|r| r.path.clone().ok())
                    .collect();
                if refs.iter().any(|r| r == lp) {
                    return Err(OfdError::Refused(format!(
                        "signature {} protects {lp} (the document is locked against further signatures); a new signature would break it",
                        e.id
                    )));
                }
                protected_by_existing.push(Protection {
                    id: e.id.clone(),
                    refs,
                });
            }
            let mut max = list.max_sign_id.clone();
            for e in &list.entries {
                max = Some(signatures::max_id(max.as_deref(), &e.id).to_owned());
            }
            (lp.clone(), list.entries, protected_by_existing, max)
        }
        None => {
            let lp = format!("{doc_dir}/Signs/Signatures.xml");
            changes.put("/OFD.xml", add_signatures_pointer(pkg, body.index, &lp)?);
            (lp, Vec::new(), Vec::new(), None)
        }
    };
    let signs_dir = dir_of(&list_path).to_owned();

    // 3. A new directory and IDs.
    let mut k = 0;
    let sign_dir = loop {
        let d = format!("{signs_dir}/Sign_{k}");
        let prefix = format!("{}/", entry_name(&d));
        if !pkg.names().any(|n| n.starts_with(&prefix)) {
            break d;
        }
        k += 1;
    };
    let sig_id = next_id(max_id.as_deref());
    max_id = Some(sig_id.clone());
    let xml_path = format!("{sign_dir}/Signature.xml");
    let value_path = format!("{sign_dir}/SignedValue.dat");
    let seal_path = format!("{sign_dir}/Seal.esl");

    // Stamp annotations.
    let default_size = match req.kind {
        SignKind::Seal(s) => (s.picture.width_mm as f64, s.picture.height_mm as f64),
        SignKind::Sign => (40.0, 40.0),
    };
    let mut annots = Vec::new();
    for p in &req.placements {
        for spot in place(&doc, p, default_size)? {
            let id = next_id(max_id.as_deref());
            max_id = Some(id.clone());
            annots.push(StampAnnot {
                id,
                page_ref: doc.pages[spot.page].id.clone(),
                boundary: spot.boundary,
                clip: spot.clip,
            });
        }
    }

    // The QR code goes into the page content before the digests are taken.
    if let Some(qr) = &req.qr {
        place_qr(pkg, &doc, qr, k, &mut changes)?;
    }

    // An earlier signature must not lose a file it protects (other than the list itself).
    for Protection { id, refs } in &protected_by_existing {
        for r in refs {
            if r != &list_path && changes.touches(r) {
                return Err(OfdError::Refused(format!(
                    "signature {id} protects {r}, which this signature would change (QR code or pointer)"
                )));
            }
        }
    }

    // 4./5. Seal copy and the list.
    if let SignKind::Seal(seal) = req.kind {
        changes.put(&seal_path, seal.der().to_vec());
    }
    let kind = match req.kind {
        SignKind::Seal(_) => SignatureType::Seal,
        SignKind::Sign => SignatureType::Sign,
    };
    entries.push(SignatureEntry {
        id: sig_id.clone(),
        kind,
        base_loc_raw: xml_path.clone(),
        base_loc: Ok(xml_path.clone()),
        relative: None,
    });
    let max = max_id.clone().unwrap_or_else(|| sig_id.clone());
    changes.put(&list_path, signatures::write_list(&max, &entries));

    // 6. Digests of every file of the new package except our own Signature.xml and value
    // (and Signatures.xml unless locking).
    let mut refs: Vec<FileDigest> = Vec::new();
    let mut names: Vec<String> = pkg.names().map(str::to_owned).collect();
    for (n, v) in &changes.0 {
        if v.is_some() && !names.contains(n) {
            names.push(n.clone());
        }
    }
    for n in names {
        let abs = format!("/{n}");
        if abs == xml_path || abs == value_path || (!req.lock && abs == list_path) {
            continue;
        }
        let digest = match changes.0.get(&n) {
            Some(Some(d)) => sm3(d).to_vec(),
            Some(None) => continue,
            None => match pkg.entry(&n) {
                // Streamed through SM3, never held.
                Some((e, _)) => pkg.digest(e, DigestAlg::Sm3)?,
                None => continue,
            },
        };
        refs.push(FileDigest {
            path: abs,
            check_value: b64(&digest),
        });
    }

    // 7. Signature.xml, final bytes.
    let date_time = req.time.to_generalized();
    let sig_xml = signatures::write_signature(&NewSignatureXml {
        provider: "eseal",
        version: env!("CARGO_PKG_VERSION"),
        company: &req.provider_company,
        date_time: &date_time,
        references: &refs,
        stamp_annots: &annots,
        seal_loc: matches!(req.kind, SignKind::Seal(_)).then_some(seal_path.as_str()),
        signed_value_loc: &value_path,
    });

    // 8.–11. The signature value.
    let value = match req.kind {
        SignKind::Seal(seal) => {
            let sig = ses::sign(seal, signer, &sm3(&sig_xml), &xml_path, req.time)?;
            match req.time_stamper {
                Some(tsa) => ses::add_timestamp(&sig, tsa)?,
                None => sig,
            }
            .to_der()
            .to_vec()
        }
        // GB/T 35275 SignedData, detached over Signature.xml.
        SignKind::Sign => {
            let digest = sm3(&sig_xml);
            let params = cms::BuildParams::sm2(
                cms::Sm2CmsOids::GmT0010,
                &digest,
                signer.certificate(),
                req.time,
            );
            cms::build(&params, &mut |m: &[u8]| -> Result<Vec<u8>, OfdError> {
                Ok(signer.sign_message(m)?.to_der())
            })?
        }
    };
    changes.put(&xml_path, sig_xml);
    changes.put(&value_path, value);
    // 12. The caller writes the new package: untouched entries copied raw.
    Ok(changes)
}

/// Adds `<Signatures>` to DocBody `index` of OFD.xml, after DocRoot/Versions (schema order).
fn add_signatures_pointer(
    pkg: &Package,
    index: usize,
    list_path: &str,
) -> Result<Vec<u8>, OfdError> {
    let (entry, _) = pkg
        .entry("/OFD.xml")
        .ok_or_else(|| OfdError::MissingPart("/OFD.xml".into()))?;
    let bytes = pkg.read_entry(entry)?;
    let sp = spans(&bytes, &entry.name, 3)?;
    let body = sp
        .iter()
        .filter(|s| s.path.len() == 2 && s.path[1] == "DocBody")
        .nth(index)
        .ok_or_else(|| OfdError::Structure("DocBody not found".into()))?;
    if body.empty {
        return Err(OfdError::Structure("empty DocBody".into()));
    }
    let prefix = body.prefix();
    let after = sp
        .iter()
        .filter(|s| {
            s.path.len() == 3
                && s.start >= body.inner_start
                && s.end <= body.inner_end
                && (s.path[2] == "DocRoot" || s.path[2] == "Versions" || s.path[2] == "DocInfo")
        })
        .map(|s| s.end)
        .max()
        .unwrap_or(body.inner_end);
    let text = format!(
        "<{prefix}Signatures>{}</{prefix}Signatures>",
        escape(list_path)
    );
    Ok(splice(&bytes, vec![(after, after, text)]))
}

/// Where each stamp annotation a placement makes shows.
fn place(doc: &Document, p: &Placement, default: (f64, f64)) -> Result<Vec<StampSpot>, OfdError> {
    let page_index = |n: usize| -> Result<usize, OfdError> {
        if n == 0 || n > doc.pages.len() {
            return Err(OfdError::Placement(format!(
                "page {n} does not exist (the document has {} pages)",
                doc.pages.len()
            )));
        }
        Ok(n - 1)
    };
    let size_ok = |w: f64, h: f64| -> Result<(), OfdError> {
        if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 && w <= 1000.0 && h <= 1000.0) {
            return Err(OfdError::Placement(format!(
                "stamp size {w}×{h} mm is not usable"
            )));
        }
        Ok(())
    };
    // A stamp must show on its page: one entirely off it would be signed but never seen.
    let on_page = |i: usize, b: [f64; 4], clip: Option<&str>| -> Result<(), OfdError> {
        let pb = doc.pages[i].physical_box;
        if visible_on_page(b, clip, Some(pb)) {
            return Ok(());
        }
        let fmt = |v: [f64; 4]| format!("{} {} {} {}", mm(v[0]), mm(v[1]), mm(v[2]), mm(v[3]));
        Err(OfdError::StampOffPage {
            page: i + 1,
            boundary: fmt(b),
            page_box: fmt(pb),
        })
    };
    match p {
        Placement::Stamp {
            page,
            x_mm,
            y_mm,
            width_mm,
            height_mm,
        } => {
            let i = page_index(*page)?;
            let (w, h) = (
                width_mm.unwrap_or(default.0),
                height_mm.unwrap_or(default.1),
            );
            size_ok(w, h)?;
            if !x_mm.is_finite() || !y_mm.is_finite() {
                return Err(OfdError::Placement("position is not a number".into()));
            }
            on_page(i, [*x_mm, *y_mm, w, h], None)?;
            Ok(vec![StampSpot {
                page: i,
                boundary: format!("{} {} {} {}", mm(*x_mm), mm(*y_mm), mm(w), mm(h)),
                clip: None,
            }])
        }
        Placement::CrossPage {
            pages,
            y_mm,
            width_mm,
            height_mm,
        } => {
            let layout = crate::placement::CrossPage {
                pages: match pages {
                    Some(v) => crate::placement::PageSet::List(v.clone()),
                    None => crate::placement::PageSet::All,
                },
                along_mm: *y_mm,
                ..Default::default()
            };
            cross_page(
                doc, &layout, width_mm, height_mm, default, &size_ok, &on_page,
            )
        }
        Placement::CrossPageAt {
            layout,
            width_mm,
            height_mm,
        } => cross_page(
            doc, layout, width_mm, height_mm, default, &size_ok, &on_page,
        ),
    }
}

type Check<'a> = dyn Fn(f64, f64) -> Result<(), OfdError> + 'a;
type OnPage<'a> = dyn Fn(usize, [f64; 4], Option<&str>) -> Result<(), OfdError> + 'a;

/// The slices of a cross-page seal as [`crate::placement::cross_page_slices`] lays them out:
/// Boundary the whole seal, Clip the part on this page.
fn cross_page(
    doc: &Document,
    layout: &crate::placement::CrossPage,
    width_mm: &Option<f64>,
    height_mm: &Option<f64>,
    default: (f64, f64),
    size_ok: &Check<'_>,
    on_page: &OnPage<'_>,
) -> Result<Vec<StampSpot>, OfdError> {
    let (w, h) = (
        width_mm.unwrap_or(default.0),
        height_mm.unwrap_or(default.1),
    );
    size_ok(w, h)?;
    let slices = crate::placement::cross_page_slices(layout, doc.pages.len(), w, h, &|p| {
        let b = doc.pages[p - 1].physical_box;
        (b[2], b[3])
    })?;
    slices
        .into_iter()
        .map(|s| {
            let i = s.page - 1;
            let pb = doc.pages[i].physical_box;
            let b = [pb[0] + s.seal_box[0], pb[1] + s.seal_box[1], w, h];
            let c = s.clip;
            let clip = format!("{} {} {} {}", mm(c[0]), mm(c[1]), mm(c[2]), mm(c[3]));
            on_page(i, b, Some(&clip))?;
            Ok(StampSpot {
                page: i,
                boundary: format!("{} {} {} {}", mm(b[0]), mm(b[1]), mm(w), mm(h)),
                clip: Some(clip),
            })
        })
        .collect()
}

/// Puts the QR image into DocumentRes (created when absent) and an ImageObject layer into
/// the page content. IDs come after Document.xml's MaxUnitID, which is raised.
fn place_qr(
    pkg: &Package,
    doc: &Document,
    qr: &QrCode,
    k: usize,
    changes: &mut Changes,
) -> Result<(), OfdError> {
    if !qr.png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(OfdError::Placement(
            "the QR code image must be a PNG".into(),
        ));
    }
    if qr.page == 0 || qr.page > doc.pages.len() {
        return Err(OfdError::Placement(format!(
            "QR code page {} does not exist",
            qr.page
        )));
    }
    if !(qr.size_mm.is_finite() && qr.size_mm > 0.0 && qr.x_mm.is_finite() && qr.y_mm.is_finite()) {
        return Err(OfdError::Placement(
            "QR code position/size is not usable".into(),
        ));
    }
    let page = &doc.pages[qr.page - 1];
    if !visible_on_page(
        [qr.x_mm, qr.y_mm, qr.size_mm, qr.size_mm],
        None,
        Some(page.physical_box),
    ) {
        return Err(OfdError::Placement(format!(
            "the QR code at {} {} mm lies entirely off page {}",
            mm(qr.x_mm),
            mm(qr.y_mm),
            qr.page
        )));
    }
    let doc_dir = dir_of(&doc.path).to_owned();
    let base = doc.max_unit_id.unwrap_or(10_000);
    let (res_id, img_id, layer_id) = (base + 1, base + 2, base + 3);
    let doc_bytes = pkg.require(&doc.path)?;
    let dsp = spans(&doc_bytes, &doc.path, 3)?;
    let prefix = dsp.first().map(Span::prefix).unwrap_or_default().to_owned();
    let mut doc_edits = Vec::new();
    // MaxUnitID
    match dsp
        .iter()
        .find(|s| s.path == ["Document", "CommonData", "MaxUnitID"])
    {
        Some(s) if !s.empty => doc_edits.push((s.inner_start, s.inner_end, layer_id.to_string())),
        _ => {
            let cd = dsp
                .iter()
                .find(|s| s.path == ["Document", "CommonData"])
                .ok_or_else(|| OfdError::Structure("Document.xml has no CommonData".into()))?;
            doc_edits.push((
                cd.inner_start,
                cd.inner_start,
                format!("<{prefix}MaxUnitID>{layer_id}</{prefix}MaxUnitID>"),
            ));
        }
    }
    let media = format!("eseal_qr_{k}.png");
    let mm_el = |p: &str| {
        format!(
            "<{p}MultiMedia ID=\"{res_id}\" Type=\"Image\" Format=\"PNG\"><{p}MediaFile>{media}</{p}MediaFile></{p}MultiMedia>"
        )
    };
    let existing_res = doc
        .root
        .child("CommonData")
        .and_then(|c| c.child_text("DocumentRes"))
        .map(|l| resolve(&doc_dir, l))
        .transpose()?;
    match existing_res.filter(|p| pkg.contains(p)) {
        Some(res_path) => {
            let rb = pkg.require(&res_path)?;
            let rel = xml::parse(&rb, &res_path)?;
            let res_dir = dir_of(&res_path).to_owned();
            let media_dir = match rel.attr("BaseLoc") {
                Some(b) => resolve(&res_dir, b)?,
                None => res_dir.clone(),
            };
            let rsp = spans(&rb, &res_path, 2)?;
            let rp = rel.prefix().to_owned();
            let edit = match rsp.iter().find(|s| s.path == ["Res", "MultiMedias"]) {
                Some(s) if !s.empty => (s.inner_end, s.inner_end, mm_el(&rp)),
                Some(s) => (
                    s.start,
                    s.end,
                    format!("<{rp}MultiMedias>{}</{rp}MultiMedias>", mm_el(&rp)),
                ),
                None => {
                    let root = rsp
                        .first()
                        .ok_or_else(|| OfdError::Structure(format!("{res_path} is empty")))?;
                    (
                        root.inner_end,
                        root.inner_end,
                        format!("<{rp}MultiMedias>{}</{rp}MultiMedias>", mm_el(&rp)),
                    )
                }
            };
            changes.put(&res_path, splice(&rb, vec![edit]));
            changes.put(&format!("{media_dir}/{media}"), qr.png.clone());
        }
        None => {
            let res_path = format!("{doc_dir}/DocumentRes.xml");
            if pkg.contains(&res_path) {
                return Err(OfdError::Structure(format!(
                    "{res_path} exists but Document.xml does not name it"
                )));
            }
            let res = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Res xmlns:ofd=\"{}\" BaseLoc=\"Res\"><ofd:MultiMedias>{}</ofd:MultiMedias></ofd:Res>",
                signatures::NS,
                mm_el("ofd:")
            );
            changes.put(&res_path, res.into_bytes());
            changes.put(&format!("{doc_dir}/Res/{media}"), qr.png.clone());
            // Schema order of CommonData: ..., PublicRes*, DocumentRes*, TemplatePage*, DefaultCS?
            let cd = dsp
                .iter()
                .find(|s| s.path == ["Document", "CommonData"])
                .ok_or_else(|| OfdError::Structure("Document.xml has no CommonData".into()))?;
            let at = dsp
                .iter()
                .filter(|s| {
                    s.path.len() == 3
                        && s.path[1] == "CommonData"
                        && (s.path[2] == "TemplatePage" || s.path[2] == "DefaultCS")
                })
                .map(|s| s.start)
                .min()
                .unwrap_or(cd.inner_end);
            doc_edits.push((
                at,
                at,
                format!("<{prefix}DocumentRes>DocumentRes.xml</{prefix}DocumentRes>"),
            ));
        }
    }
    changes.put(&doc.path, splice(&doc_bytes, doc_edits));

    // The page: a new layer drawing the image (CTM maps the unit square to the box).
    let pb = pkg.require(&page.content)?;
    let psp = spans(&pb, &page.content, 2)?;
    let pp = psp.first().map(Span::prefix).unwrap_or_default();
    let s = mm(qr.size_mm);
    let layer = format!(
        "<{pp}Layer ID=\"{layer_id}\"><{pp}ImageObject ID=\"{img_id}\" ResourceID=\"{res_id}\" Boundary=\"{} {} {s} {s}\" CTM=\"{s} 0 0 {s} 0 0\"/></{pp}Layer>",
        mm(qr.x_mm),
        mm(qr.y_mm)
    );
    let edit = match psp.iter().find(|s| s.path == ["Page", "Content"]) {
        Some(c) if !c.empty => (c.inner_end, c.inner_end, layer),
        Some(c) => (
            c.start,
            c.end,
            format!("<{pp}Content>{layer}</{pp}Content>"),
        ),
        None => {
            let root = psp
                .first()
                .ok_or_else(|| OfdError::Structure(format!("{} is empty", page.content)))?;
            let at = psp
                .iter()
                .filter(|s| s.path.len() == 2 && s.path[1] == "Actions")
                .map(|s| s.start)
                .min()
                .unwrap_or(root.inner_end);
            (at, at, format!("<{pp}Content>{layer}</{pp}Content>"))
        }
    };
    changes.put(&page.content, splice(&pb, vec![edit]));
    Ok(())
}
