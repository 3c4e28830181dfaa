//! Signing by incremental update (ISO 32000-1 §12.8.1, §12.7.4.5): a signature field with its
//! widgets (the stamp, or one per cross-page strip, plus the QR code: all kids of the one
//! field, so other validators count them as part of the signature), the AcroForm with
//! SigFlags 3, and a signature dictionary whose `/ByteRange` covers the whole new revision
//! except the `/Contents` hex string. The placeholder is sized by a dry run of the real
//! signature structure and patched in place at exactly its length.

use super::PdfError;
use super::appearance::{self, real};
use super::object::text_string;
use super::writer::{Update, find};
use crate::cms::{self, BuildParams, ContentTypes, Sm2CmsOids};
use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer, sm2};
use crate::ses::Seal;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use std::io::Write as _;

/// Default SubFilter for a raw GB/T 38540 SES_Signature: distinct, so ordinary readers call
/// the signature unknown rather than broken (GM/T 0112's own name is not verified here).
pub const SES_SUBFILTER: &str = "GB.SES.GBT38540";

/// A key for international signatures: ECDSA P-256 or RSA, with SHA-256.
pub enum PadesKey {
    EcdsaP256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::PrivateKey>),
    /// The key of the certificate, held elsewhere (a UKey, an HSM): it signs the SHA-256
    /// digest of the signed attributes, through deferred signing ([`prepare`], [`finish`]).
    External(std::sync::Arc<dyn crate::deferred::Sha256Signer>),
}

/// A signer of international PAdES signatures: key, certificate, chain to include.
pub struct PadesSigner {
    pub key: PadesKey,
    pub cert: Certificate,
    pub chain: Vec<Certificate>,
}

impl PadesSigner {
    /// From a PEM/DER private key (PKCS#8, SEC1 EC or PKCS#1 RSA) and a PEM bundle whose first
    /// certificate is the signer's (the others are included as the chain).
    pub fn from_pem(key: &[u8], certs: &[u8]) -> Result<Self, PdfError> {
        let all = Certificate::parse_all(certs)?;
        let cert = all
            .first()
            .cloned()
            .ok_or_else(|| PdfError::Key("no certificate given".into()))?;
        // PAdES here is ECDSA P-256 or RSA with SHA-256 (ETSI EN 319 142-1): an SM2 key would
        // make a signature no validator can verify (SM2 needs SM3 and the signer ID).
        if matches!(
            cert.public_key(),
            crate::crypto::cert::PublicKeyInfo::Sm2(_)
        ) {
            return Err(sm2_refused());
        }
        let key = parse_key(key)?;
        Ok(PadesSigner {
            key,
            cert,
            chain: all.into_iter().skip(1).collect(),
        })
    }

    /// For deferred signing: the certificate bundle only (the first the signer's, ECDSA
    /// P-256 or RSA), its key held elsewhere ([`crate::deferred::External`]).
    pub fn external(certs: &[u8]) -> Result<Self, PdfError> {
        let all = Certificate::parse_all(certs)?;
        let cert = all
            .first()
            .cloned()
            .ok_or_else(|| PdfError::Key("no certificate given".into()))?;
        match cert.public_key() {
            crate::crypto::cert::PublicKeyInfo::EcP256(_)
            | crate::crypto::cert::PublicKeyInfo::Rsa(_) => {}
            crate::crypto::cert::PublicKeyInfo::Sm2(_) => return Err(sm2_refused()),
            crate::crypto::cert::PublicKeyInfo::Other(oid) => {
                return Err(PdfError::Key(format!(
                    "the certificate's key ({oid}) is neither EC P-256 nor RSA"
                )));
            }
        }
        Ok(PadesSigner {
            key: PadesKey::External(std::sync::Arc::new(crate::deferred::External(cert.clone()))),
            cert,
            chain: all.into_iter().skip(1).collect(),
        })
    }

    /// Whether the key is RSA (else ECDSA P-256): an external key is its certificate's.
    fn is_rsa(&self) -> bool {
        match &self.key {
            PadesKey::EcdsaP256(_) => false,
            PadesKey::Rsa(_) => true,
            PadesKey::External(_) => matches!(
                self.cert.public_key(),
                crate::crypto::cert::PublicKeyInfo::Rsa(_)
            ),
        }
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, PdfError> {
        match &self.key {
            PadesKey::EcdsaP256(k) => {
                use p256::ecdsa::signature::Signer as _;
                let sig: p256::ecdsa::Signature = k.sign(msg);
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PadesKey::Rsa(k) => {
                use sha2::Digest as _;
                let h = sha2::Sha256::digest(msg);
                k.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &h)
                    .map_err(|e| PdfError::Key(format!("RSA signing: {e}")))
            }
            PadesKey::External(k) => {
                use sha2::Digest as _;
                Ok(k.sign_sha256(&sha2::Sha256::digest(msg).into())?)
            }
        }
    }

    fn max_signature_len(&self) -> usize {
        match &self.key {
            PadesKey::EcdsaP256(_) => 72,
            PadesKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                k.size()
            }
            PadesKey::External(_) => crate::deferred::max_signature_len(&self.cert),
        }
    }
}

/// A PAdES key is also the key of an international TSA (RFC 3161 tokens with SHA-256).
impl crate::tsp::TsaSigner for PadesSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn algorithms(&self) -> (&'static str, &'static str, bool) {
        if self.is_rsa() {
            (cms::OID_SHA256, cms::OID_RSA_SHA256, true)
        } else {
            (cms::OID_SHA256, cms::OID_ECDSA_SHA256, false)
        }
    }
    fn sign_tsa(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.sign(message).map_err(|e| e.to_string())
    }
}

/// The refusal of an SM2 key for PAdES.
fn sm2_refused() -> PdfError {
    PdfError::Unsupported(
        "PAdES signs with ECDSA P-256 or RSA; this is an SM2 key: sign with --format ses, sm2-cms or sm2-cms-gm / PAdES 不支持 SM2 密钥，请改用 ses 或 sm2-cms 格式".into(),
    )
}

fn parse_key(input: &[u8]) -> Result<PadesKey, PdfError> {
    use crate::asn1::{Reader, tag};
    let bad = |m: &str| PdfError::Key(format!("private key: {m}"));
    let text = String::from_utf8_lossy(input);
    let der = if text.contains("-----BEGIN") {
        let label = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]
            .into_iter()
            .find(|l| text.contains(&format!("-----BEGIN {l}-----")))
            .ok_or_else(|| bad("unknown PEM label"))?;
        crate::crypto::pem_decode(&text, label).map_err(|e| bad(&e.to_string()))?
    } else {
        input.to_vec()
    };
    let top = Reader::new(&der)
        .read("private key")
        .map_err(|e| bad(&e.to_string()))?
        .sequence("private key")
        .map_err(|e| bad(&e.to_string()))?;
    // PKCS#8: { version, AlgorithmIdentifier, OCTET STRING }; SEC1: { 1, OCTET STRING d, ... }; PKCS#1: { 0, n, e, ... }
    if let Some(alg) = top.get(1).filter(|t| t.tag == tag::SEQUENCE) {
        let alg = alg.sequence("alg").unwrap_or_default();
        let oid = alg
            .first()
            .and_then(|o| o.oid("alg").ok())
            .unwrap_or_default();
        let curve = alg.get(1).and_then(|o| o.oid("curve").ok());
        if curve.as_deref() == Some(crate::cms::OID_SM2_CURVE) || oid == crate::cms::OID_SM2_CURVE {
            return Err(sm2_refused());
        }
        let inner = top
            .get(2)
            .ok_or_else(|| bad("PKCS#8 without key"))?
            .octet_string("key")
            .map_err(|e| bad(&e.to_string()))?;
        return match oid.as_str() {
            "1.2.840.10045.2.1" => sec1(inner),
            "1.2.840.113549.1.1.1" => rsa_pkcs1(inner),
            o => Err(bad(&format!("algorithm {o} is neither EC nor RSA"))),
        };
    }
    if top.get(1).is_some_and(|t| t.tag == tag::OCTET_STRING) {
        return sec1(&der);
    }
    rsa_pkcs1(&der)
}

fn sec1(der: &[u8]) -> Result<PadesKey, PdfError> {
    let bad = |m: String| PdfError::Key(format!("EC private key: {m}"));
    let f = crate::asn1::Reader::new(der)
        .read("ECPrivateKey")
        .and_then(|t| t.sequence("ECPrivateKey"))
        .map_err(|e| bad(e.to_string()))?;
    // parameters [0] ECParameters (RFC 5915): the SM2 curve is refused.
    let sm2_curve = f.iter().skip(2).any(|t| {
        t.children().all("parameters").is_ok_and(|kids| {
            kids.first()
                .and_then(|o| o.oid("curve").ok())
                .is_some_and(|o| o == crate::cms::OID_SM2_CURVE)
        })
    });
    if sm2_curve {
        return Err(sm2_refused());
    }
    let d = f
        .get(1)
        .ok_or_else(|| bad("no key".into()))?
        .octet_string("d")
        .map_err(|e| bad(e.to_string()))?;
    let k =
        p256::ecdsa::SigningKey::from_slice(d).map_err(|e| bad(format!("not a P-256 key: {e}")))?;
    Ok(PadesKey::EcdsaP256(k))
}

fn rsa_pkcs1(der: &[u8]) -> Result<PadesKey, PdfError> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let k = rsa::PrivateKey::from_pkcs1_der(der)
        .map_err(|e| PdfError::Key(format!("RSA private key: {e}")))?;
    Ok(PadesKey::Rsa(Box::new(k)))
}

/// What signs, and so what goes into `/Contents`.
pub enum Credential<'a> {
    /// International PAdES baseline B-B, `ETSI.CAdES.detached`.
    Pades(&'a PadesSigner),
    /// GB/T 38540 SES_Signature whose dataHash is SM3 of the byte ranges.
    Seal {
        seal: &'a Seal,
        signer: &'a dyn Signer,
    },
    /// A document timestamp (ISO 32000-2 §12.8.5, ETSI EN 319 142-1 §5.4, PAdES B-LTA): an
    /// RFC 3161 token from this TSA over SHA-256 of the byte ranges, `/Type /DocTimeStamp`,
    /// SubFilter `ETSI.RFC3161`, in an invisible field.
    DocumentTimestamp(&'a dyn crate::tsp::TimeStamper),
    /// SM2 CMS SignedData under `adbe.pkcs7.detached`.
    Sm2Cms {
        signer: &'a dyn Signer,
        oids: Sm2CmsOids,
    },
}

/// Where the signature appears. Coordinates in PDF points from the lower-left corner of the
/// page as displayed (its CropBox, else MediaBox, turned by `/Rotate`); pages from 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    Invisible,
    Stamp {
        page: u32,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    },
    /// 骑缝章: the picture cut into N vertical strips on the right edge of pages
    /// `first..=last` (default: all), strip i on the i-th page; `centre_y` defaults to the
    /// middle of each page. Each page's own box and rotation are used.
    CrossPage {
        first: Option<u32>,
        last: Option<u32>,
        width: f64,
        height: f64,
        centre_y: Option<f64>,
    },
    /// A cross-page seal laid out by [`crate::placement::CrossPage`]: pages (all, odd, even,
    /// a range), edge (right, left, top, bottom), position along the edge (mm from the top
    /// or left) and page groups when slices would be thinner than a minimum. Size in points.
    CrossPageAt {
        layout: crate::placement::CrossPage,
        width: f64,
        height: f64,
    },
    /// Sign into an existing empty signature field (made earlier, e.g. before certifying);
    /// the picture, if any, fills its rectangle.
    ExistingField(String),
}

/// DocMDP permissions of a certification signature (ISO 32000-1 §12.8.2.2, Table 254).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocMdp {
    /// P = 1: no changes at all.
    NoChanges = 1,
    /// P = 2: filling in forms and signing existing signature fields.
    FormFilling = 2,
    /// P = 3: as 2, plus annotations.
    Annotations = 3,
}

impl DocMdp {
    /// The permissions of level `P` (1, 2 or 3; Table 254), `None` for any other number.
    pub fn from_level(p: u8) -> Option<Self> {
        match p {
            1 => Some(DocMdp::NoChanges),
            2 => Some(DocMdp::FormFilling),
            3 => Some(DocMdp::Annotations),
            _ => None,
        }
    }
}

/// An empty signature field made in the same revision, for a later signer.
#[derive(Debug, Clone, PartialEq)]
pub struct EmptyField {
    pub name: String,
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// An anti-forgery QR code picture (PNG), drawn by a widget of the same signature field.
#[derive(Debug, Clone, PartialEq)]
pub struct QrCode {
    pub png: Vec<u8>,
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub size: f64,
}

/// One signature to apply.
pub struct SignRequest<'a> {
    pub credential: Credential<'a>,
    pub placement: Placement,
    /// The stamp picture (PNG). For a seal, defaults to the seal's picture when it is a PNG.
    pub picture: Option<Vec<u8>>,
    pub qr: Option<QrCode>,
    pub field_name: Option<String>,
    /// `/Filter`, default `Adobe.PPKLite`.
    pub filter: Option<String>,
    /// `/SubFilter`; defaults: `ETSI.CAdES.detached`, [`SES_SUBFILTER`], `adbe.pkcs7.detached`.
    pub subfilter: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// `/ContactInfo`: how to reach the signer (ISO 32000-1 Table 252).
    pub contact_info: Option<String>,
    pub time: Time,
    /// Make this a certification signature (first signature only).
    pub certify: Option<DocMdp>,
    /// Empty signature fields to create in this revision (create them before certifying).
    pub empty_fields: Vec<EmptyField>,
    /// A TSA: a GB/T 38540 SES signature gets `SES_Signature.timeStamp` over its signature
    /// value (GB/T 38540 §7.1.6); a PAdES signature the signature-time-stamp attribute (B-T).
    pub time_stamper: Option<&'a dyn crate::tsp::TimeStamper>,
}

impl<'a> SignRequest<'a> {
    pub fn new(credential: Credential<'a>, placement: Placement, time: Time) -> Self {
        SignRequest {
            credential,
            placement,
            picture: None,
            qr: None,
            field_name: None,
            filter: None,
            subfilter: None,
            reason: None,
            location: None,
            contact_info: None,
            time,
            certify: None,
            empty_fields: Vec::new(),
            time_stamper: None,
        }
    }
}

impl SignRequest<'_> {
    /// The same request with `signer` in place of the SM2 signer (PAdES keys stay).
    pub fn with_signer<'b>(&'b self, signer: &'b dyn Signer) -> SignRequest<'b> {
        self.with_credential(match &self.credential {
            Credential::Pades(p) => Credential::Pades(p),
            Credential::DocumentTimestamp(t) => Credential::DocumentTimestamp(*t),
            Credential::Seal { seal, .. } => Credential::Seal { seal, signer },
            Credential::Sm2Cms { oids, .. } => Credential::Sm2Cms {
                signer,
                oids: *oids,
            },
        })
    }

    /// The same request signed with `credential`.
    pub fn with_credential<'b>(&'b self, credential: Credential<'b>) -> SignRequest<'b> {
        SignRequest {
            credential,
            placement: self.placement.clone(),
            picture: self.picture.clone(),
            qr: self.qr.clone(),
            field_name: self.field_name.clone(),
            filter: self.filter.clone(),
            subfilter: self.subfilter.clone(),
            reason: self.reason.clone(),
            location: self.location.clone(),
            contact_info: self.contact_info.clone(),
            time: self.time,
            certify: self.certify,
            empty_fields: self.empty_fields.clone(),
            time_stamper: self.time_stamper,
        }
    }
}

/// Signs `pdf` with each request in turn (one incremental update per signature); returns the new file.
pub fn sign(pdf: &[u8], requests: &[SignRequest<'_>]) -> Result<Vec<u8>, PdfError> {
    let mut current = pdf.to_vec();
    for r in requests {
        let update = sign_update(&current, r)?;
        current.extend_from_slice(&update);
    }
    Ok(current)
}

/// The certificate whose key signs `req`: what deferred signing needs of the signer.
fn signing_certificate<'r>(req: &'r SignRequest<'_>) -> Result<&'r Certificate, PdfError> {
    match &req.credential {
        Credential::Seal { signer, .. } | Credential::Sm2Cms { signer, .. } => {
            Ok(signer.certificate())
        }
        Credential::Pades(p) => Ok(&p.cert),
        Credential::DocumentTimestamp(_) => Err(PdfError::Unsupported(
            "deferred signing is for signatures, not document timestamps".into(),
        )),
    }
}

/// Runs `f` with `req` signed by the replaying signer of deferred signing: the SM2 signer,
/// or the PAdES key (an external key of the same certificate and chain).
fn replayed<T>(
    req: &SignRequest<'_>,
    replay: &std::sync::Arc<crate::deferred::Replay>,
    f: impl FnOnce(&SignRequest<'_>) -> T,
) -> T {
    match &req.credential {
        Credential::Pades(p) => {
            let external = PadesSigner {
                key: PadesKey::External(replay.clone()),
                cert: p.cert.clone(),
                chain: p.chain.clone(),
            };
            f(&req.with_credential(Credential::Pades(&external)))
        }
        _ => f(&req.with_signer(&**replay)),
    }
}

/// Deferred signing, step 1 (see [`crate::deferred`]): the digest that the one signature of
/// `req` over `pdf` needs — e = SM3(Z‖M) for a seal or SM2 CMS, SHA-256 of the signed
/// attributes for PAdES. The request's signer supplies only its certificate:
/// [`crate::deferred::External`] and [`PadesSigner::external`] hold nothing else.
pub fn prepare(pdf: &[u8], req: &SignRequest<'_>) -> Result<crate::deferred::Pending, PdfError> {
    prepare_with(pdf, &crate::fs::InMemory, req)
}

/// [`prepare`] of the file at `input`, read through a memory map: the source is hashed (its
/// SM3, binding the state) and the signature's byte ranges hashed, a chunk at a time, and
/// nothing is held (issue 20).
pub fn prepare_file(
    input: &std::path::Path,
    req: &SignRequest<'_>,
) -> Result<crate::deferred::Pending, PdfError> {
    let pdf = crate::fs::MappedFile::open(input).map_err(|e| PdfError::read(input, e))?;
    prepare_with(pdf.bytes(), &pdf, req)
}

fn prepare_with(
    pdf: &[u8],
    release: &dyn crate::fs::Release,
    req: &SignRequest<'_>,
) -> Result<crate::deferred::Pending, PdfError> {
    let source_sm3 = crate::deferred::source_sm3(pdf, release);
    crate::deferred::prepare(source_sm3, signing_certificate(req)?, |s| {
        replayed(req, s, |r| sign_update_with(pdf, release, None, r)).map(|_| req.time)
    })
}

/// Deferred signing, step 2: the signed PDF, with `signature` (of the prepared digest) in
/// the signature value. The same `pdf` and the same request are needed: a swapped file is
/// refused by its SM3, a changed request by the digest it would need.
pub fn finish(
    pdf: &[u8],
    pending: &crate::deferred::Pending,
    signature: impl Into<crate::deferred::SignatureValue>,
    req: &SignRequest<'_>,
) -> Result<Vec<u8>, PdfError> {
    pending.check_source(pdf)?;
    let update = crate::deferred::finish(pending, &signature.into(), |s| {
        replayed(req, s, |r| sign_update(pdf, r))
    })?;
    let mut out = Vec::with_capacity(pdf.len() + update.len());
    out.extend_from_slice(pdf);
    out.extend_from_slice(&update);
    Ok(out)
}

/// [`finish`] from the file at `input` to `output` (written atomically), streamed as
/// [`sign_file`] signs: the input is mapped, checked against the prepared SM3, then hashed
/// while copied in chunks, and the update appended.
pub fn finish_file(
    input: &std::path::Path,
    output: &std::path::Path,
    pending: &crate::deferred::Pending,
    signature: impl Into<crate::deferred::SignatureValue>,
    req: &SignRequest<'_>,
) -> Result<(), PdfError> {
    let pdf = crate::fs::MappedFile::open(input).map_err(|e| PdfError::read(input, e))?;
    pending.check_source_sm3(crate::deferred::source_sm3(pdf.bytes(), &pdf))?;
    let mut out = crate::fs::AtomicFile::create(output)?;
    let update = crate::deferred::finish(pending, &signature.into(), |s| {
        replayed(req, s, |r| {
            sign_update_with(pdf.bytes(), &pdf, Some(&mut out), r)
        })
    })?;
    append(&mut out, &update)?;
    Ok(out.commit()?)
}

fn append(out: &mut crate::fs::AtomicFile, bytes: &[u8]) -> Result<(), PdfError> {
    out.write_all(bytes).map_err(|source| {
        PdfError::Write(crate::fs::WriteError {
            path: out.target().to_path_buf(),
            source,
        })
    })
}

/// Signs the file at `input` and writes `output` atomically, one signature (one revision,
/// covering the ones before) per request.
///
/// The input is memory-mapped and read once: each chunk is hashed and copied to the output
/// together, then the first update follows. Each further signature hashes the output
/// written so far, read back through a map of the unfinished output, and appends its
/// update. Only the document's structures are parsed, so memory stays small whatever the
/// file's size and the number of stamps.
pub fn sign_file(
    input: &std::path::Path,
    output: &std::path::Path,
    requests: &[SignRequest<'_>],
) -> Result<(), PdfError> {
    let pdf = crate::fs::MappedFile::open(input).map_err(|e| PdfError::read(input, e))?;
    let mut out = crate::fs::AtomicFile::create(output)?;
    let Some((first, rest)) = requests.split_first() else {
        append(&mut out, pdf.bytes())?;
        return Ok(out.commit()?);
    };
    let update = sign_update_with(pdf.bytes(), &pdf, Some(&mut out), first)?;
    drop(pdf);
    append(&mut out, &update)?;
    for r in rest {
        let written = out.map_written()?;
        let update = sign_update_with(written.bytes(), &written, None, r)?;
        drop(written);
        append(&mut out, &update)?;
    }
    Ok(out.commit()?)
}

/// The document's structures as the signer edits them and keyword search reads them: the
/// revisions through the verifier's xref reader (a /Prev loop or unreadable xref refused,
/// ISO 32000-1 §7.5.6), then the newest revision's objects without the bytes of images and
/// font programs ([`super::sign_doc`]); encrypted files refused. Whole-file walks give
/// their chunks back to `release`.
pub(crate) fn load_structure(
    pdf: &[u8],
    release: &dyn crate::fs::Release,
) -> Result<Document, PdfError> {
    let revisions = super::xref::Pdf::read_with(pdf, release)?;
    super::sign_doc::load_structure(&revisions)
}

/// The page's visible box: CropBox, else MediaBox, inherited through /Parent (§7.7.3.4).
pub(crate) fn page_box(doc: &Document, page: ObjectId) -> [f64; 4] {
    for key in [&b"CropBox"[..], b"MediaBox"] {
        let mut id = page;
        for _ in 0..32 {
            let Ok(d) = doc.get_dictionary(id) else { break };
            if let Ok(v) = d.get(key) {
                let arr = doc
                    .dereference(v)
                    .ok()
                    .and_then(|(_, o)| o.as_array().ok().cloned())
                    .unwrap_or_default();
                let n: Vec<f64> = arr
                    .iter()
                    .filter_map(|o| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok()))
                    .map(f64::from)
                    .collect();
                if n.len() == 4 {
                    return [
                        n[0].min(n[2]),
                        n[1].min(n[3]),
                        n[0].max(n[2]),
                        n[1].max(n[3]),
                    ];
                }
            }
            match d.get(b"Parent").and_then(Object::as_reference) {
                Ok(p) => id = p,
                Err(_) => break,
            }
        }
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// The page's `/Rotate` (inherited, §7.7.3.4), a multiple of 90.
pub(crate) fn page_rotate(doc: &Document, page: ObjectId) -> i64 {
    let mut id = page;
    for _ in 0..32 {
        let Ok(d) = doc.get_dictionary(id) else { break };
        if let Ok(r) = d.get(b"Rotate").and_then(Object::as_i64) {
            return r.rem_euclid(360) / 90 * 90;
        }
        match d.get(b"Parent").and_then(Object::as_reference) {
            Ok(p) => id = p,
            Err(_) => break,
        }
    }
    0
}

/// The displayed page's size (width, height) for a box and rotation.
pub(crate) fn display_size(bx: [f64; 4], rotate: i64) -> (f64, f64) {
    let (w, h) = (bx[2] - bx[0], bx[3] - bx[1]);
    if rotate % 180 == 90 { (h, w) } else { (w, h) }
}

/// Maps a rectangle given on the displayed page (origin lower left, as the reader shows it)
/// to default user space of a page with `/Rotate rotate` (turned clockwise, §7.7.3.3).
pub(crate) fn display_to_user(bx: [f64; 4], rotate: i64, r: [f64; 4]) -> [f64; 4] {
    let [x0, y0, x1, y1] = bx;
    let map = |u: f64, v: f64| match rotate {
        90 => (x1 - v, y0 + u),
        180 => (x1 - u, y1 - v),
        270 => (x0 + v, y1 - u),
        _ => (x0 + u, y0 + v),
    };
    let (a, b) = (map(r[0], r[1]), map(r[2], r[3]));
    [a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)]
}

fn name(n: &str) -> Object {
    Object::Name(n.as_bytes().to_vec())
}

fn pdf_date(t: Time) -> Object {
    let (y, mo, d, h, mi, s) = t.to_civil();
    Object::String(
        format!("D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}+00'00'").into_bytes(),
        StringFormat::Literal,
    )
}

const BYTE_RANGE_PLACEHOLDER: &[u8] = b"/ByteRange [0 9999999999 9999999999 9999999999]";

/// Field names in the AcroForm (to choose an unused one).
fn field_names(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let Some(form) = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_dict().ok())
    else {
        return out;
    };
    let Some(fields) = form
        .get(b"Fields")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
    else {
        return out;
    };
    let mut stack: Vec<&Object> = fields.iter().collect();
    let mut seen = 0;
    while let Some(f) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let Some(d) = doc.dereference(f).ok().and_then(|(_, o)| o.as_dict().ok()) else {
            continue;
        };
        if let Ok(t) = d.get(b"T").and_then(Object::as_str) {
            out.push(super::object::decode_text(t));
        }
        if let Some(kids) = d
            .get(b"Kids")
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_array().ok())
        {
            stack.extend(kids.iter());
        }
    }
    out
}

/// The dry-run and real signing of one request: the `/Contents` DER for `digest`.
fn contents_for(
    req: &SignRequest<'_>,
    field: &str,
    digest: &[u8],
    dry_run: bool,
) -> Result<Vec<u8>, PdfError> {
    match &req.credential {
        // The token is not known before it is asked for: its room is reserved.
        Credential::DocumentTimestamp(_) if dry_run => Ok(vec![0; crate::tsp::TOKEN_RESERVE]),
        Credential::DocumentTimestamp(tsa) => Ok(tsa
            .stamp_imprint(crate::tsp::MessageImprint {
                hash_alg: cms::OID_SHA256.into(),
                hashed: digest.to_vec(),
            })?
            .der),
        Credential::Pades(p) => {
            let params = BuildParams {
                digest_alg: cms::OID_SHA256,
                message_digest: digest,
                signer_cert: &p.cert,
                chain: &p.chain,
                signature_alg: if p.is_rsa() {
                    cms::OID_RSA_SHA256
                } else {
                    cms::OID_ECDSA_SHA256
                },
                signature_alg_null_params: p.is_rsa(),
                content_types: ContentTypes::Pkcs7,
                signing_time: None,
                signing_certificate_v2: true,
                encapsulated: None,
            };
            let max = p.max_signature_len();
            let der = cms::build(&params, &mut |m: &[u8]| {
                if dry_run {
                    Ok(vec![0xFF; max])
                } else {
                    p.sign(m)
                }
            })?;
            match req.time_stamper {
                None => Ok(der),
                // The token is not known before signing: its room is reserved.
                Some(_) if dry_run => Ok([der, vec![0; crate::tsp::TOKEN_RESERVE]].concat()),
                Some(tsa) => signature_time_stamp(&der, tsa),
            }
        }
        Credential::Sm2Cms { signer, oids } => {
            let params = BuildParams::sm2(*oids, digest, signer.certificate(), req.time);
            cms::build(&params, &mut |m: &[u8]| -> Result<Vec<u8>, PdfError> {
                if dry_run {
                    Ok(sm2::Signature {
                        r: [0xFF; 32],
                        s: [0xFF; 32],
                    }
                    .to_der())
                } else {
                    signer
                        .sign_message(m)
                        .map(|s| s.to_der())
                        .map_err(PdfError::from)
                }
            })
        }
        Credential::Seal { seal, signer } => {
            let dummy;
            let s: &dyn Signer = if dry_run {
                dummy = DryRunSigner(signer.certificate());
                &dummy
            } else {
                *signer
            };
            // propertyInfo is an IA5String: the field name when it is ASCII.
            let property = if field.is_ascii() {
                field.to_owned()
            } else {
                "PDF signature field".to_owned()
            };
            let ses = crate::ses::sign(seal, s, digest, &property, req.time)?;
            match req.time_stamper {
                // The token is not known before signing: its room is reserved.
                Some(_) if dry_run => {
                    Ok([ses.to_der(), &[0u8; crate::tsp::TOKEN_RESERVE][..]].concat())
                }
                Some(tsa) => Ok(crate::ses::add_timestamp(&ses, tsa)?.to_der().to_vec()),
                None => Ok(ses.to_der().to_vec()),
            }
        }
    }
}

/// PAdES B-T (ETSI EN 319 142-1 §5.3): the signature-time-stamp unsigned attribute, a token
/// from `tsa` over the SignerInfo's signature value with SHA-256 (RFC 3161 Appendix A).
fn signature_time_stamp(
    der: &[u8],
    tsa: &dyn crate::tsp::TimeStamper,
) -> Result<Vec<u8>, PdfError> {
    let parsed = cms::parse(der)?;
    let token = tsa.time_stamp(cms::OID_SHA256, &parsed.signers[0].signature)?;
    Ok(cms::add_unsigned_attribute(
        der,
        cms::OID_SIGNATURE_TIME_STAMP,
        &token.der,
    )?)
}

/// Gives the longest SM2 signature without signing: sizes the placeholder.
struct DryRunSigner<'a>(&'a Certificate);
impl Signer for DryRunSigner<'_> {
    fn certificate(&self) -> &Certificate {
        self.0
    }
    fn sign_digest(&self, _e: &[u8; 32]) -> Result<sm2::Signature, crate::crypto::SignerError> {
        Ok(sm2::Signature {
            r: [0xFF; 32],
            s: [0xFF; 32],
        })
    }
}

/// Builds one incremental update that signs `base`; returns the bytes to append.
pub fn sign_update(base: &[u8], req: &SignRequest<'_>) -> Result<Vec<u8>, PdfError> {
    sign_update_with(base, &crate::fs::InMemory, None, req)
}

/// [`sign_update`] in one pass over `base`: when `copy` is given, `base` is written to it
/// while it is hashed, chunk by chunk, each chunk given back to `release` once done (a
/// mapped file), so the whole input is read once and never held. The caller then writes
/// the returned update after it.
fn sign_update_with(
    base: &[u8],
    release: &dyn crate::fs::Release,
    mut copy: Option<&mut crate::fs::AtomicFile>,
    req: &SignRequest<'_>,
) -> Result<Vec<u8>, PdfError> {
    // The revisions as the verifier reads them: a /Prev loop or unreadable xref is refused
    // here rather than signed over (ISO 32000-1 §7.5.6). The document edited is read
    // through them: only its structures, never the bytes of its images.
    let revisions = super::xref::Pdf::read_with(base, release)?;
    let doc = super::sign_doc::load_structure(&revisions)?;
    let pages = doc.get_pages();
    let page_id = |n: u32| {
        pages.get(&n).copied().ok_or_else(|| {
            PdfError::Placement(format!(
                "page {n} does not exist (the document has {} pages)",
                pages.len()
            ))
        })
    };
    let mut up = Update::new(doc.max_id);

    // Field name.
    let existing = field_names(&doc);
    let field = match (&req.placement, &req.field_name) {
        (Placement::ExistingField(n), _) => n.clone(),
        (_, Some(n)) if existing.contains(n) => {
            return Err(PdfError::Placement(format!(
                "a field named {n} already exists"
            )));
        }
        (_, Some(n)) => n.clone(),
        (_, None) => {
            let stem = match req.credential {
                Credential::DocumentTimestamp(_) => "DocTimeStamp",
                _ => "Seal",
            };
            (1..)
                .map(|i| format!("{stem}{i}"))
                .find(|n| !existing.contains(n))
                .unwrap_or_else(|| stem.into())
        }
    };

    // Picture.
    let picture = match (&req.picture, &req.credential) {
        (Some(p), _) => Some(p.clone()),
        (None, Credential::Seal { seal, .. }) if seal.picture.data.starts_with(b"\x89PNG") => {
            Some(seal.picture.data.clone())
        }
        _ => None,
    };
    let needs_picture = matches!(
        req.placement,
        Placement::Stamp { .. } | Placement::CrossPage { .. } | Placement::CrossPageAt { .. }
    );
    let image = match (&picture, &req.placement) {
        (_, Placement::Invisible) => None,
        (Some(png), _) => Some(add_image(&mut up, appearance::picture_objects(png)?)),
        (None, _) if needs_picture => {
            return Err(PdfError::Picture(
                "a visible stamp needs a PNG picture".into(),
            ));
        }
        _ => None,
    };
    if req.certify.is_some() && super::verify::signed_field_count(&revisions) > 0 {
        return Err(PdfError::Placement(
            "only the first signature of a document can certify it (DocMDP)".into(),
        ));
    }

    // Placeholder sized from a dry run of the real structure.
    let dry = contents_for(req, &field, &[0u8; 32], true)?;
    let reserve = dry.len() + 64;
    let (filter, subfilter) = (
        req.filter.clone().unwrap_or_else(|| "Adobe.PPKLite".into()),
        req.subfilter.clone().unwrap_or_else(|| {
            match req.credential {
                Credential::Pades(_) => "ETSI.CAdES.detached",
                Credential::DocumentTimestamp(_) => "ETSI.RFC3161",
                Credential::Seal { .. } => SES_SUBFILTER,
                Credential::Sm2Cms { .. } => "adbe.pkcs7.detached",
            }
            .into()
        }),
    );
    let doc_ts = matches!(req.credential, Credential::DocumentTimestamp(_));
    let mut sig = Dictionary::new();
    sig.set("Type", name(if doc_ts { "DocTimeStamp" } else { "Sig" }));
    sig.set("Filter", name(&filter));
    sig.set("SubFilter", name(&subfilter));
    sig.set(
        "ByteRange",
        Object::Array(vec![
            0.into(),
            Object::Integer(9_999_999_999),
            Object::Integer(9_999_999_999),
            Object::Integer(9_999_999_999),
        ]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0; reserve], StringFormat::Hexadecimal),
    );
    // A document timestamp's time is its token's (ETSI EN 319 142-1 §5.4.3: no /M, no signer).
    let signer_cert = match &req.credential {
        Credential::Pades(p) => Some(&p.cert),
        Credential::Seal { signer, .. } | Credential::Sm2Cms { signer, .. } => {
            Some(signer.certificate())
        }
        Credential::DocumentTimestamp(_) => None,
    };
    if !doc_ts {
        sig.set("M", pdf_date(req.time));
    }
    if let Some(cn) = signer_cert.and_then(|c| c.subject().get("CN")) {
        sig.set("Name", text_string(cn));
    }
    if let Some(r) = &req.reason {
        sig.set("Reason", text_string(r));
    }
    if let Some(l) = &req.location {
        sig.set("Location", text_string(l));
    }
    if let Some(c) = &req.contact_info {
        sig.set("ContactInfo", text_string(c));
    }
    if let Some(p) = req.certify {
        // §12.8.2.2: signature reference dictionary with the DocMDP transform.
        let mut params = Dictionary::new();
        params.set("Type", name("TransformParams"));
        params.set("P", Object::Integer(p as i64));
        params.set("V", name("1.2"));
        let mut reference = Dictionary::new();
        reference.set("Type", name("SigRef"));
        reference.set("TransformMethod", name("DocMDP"));
        reference.set("TransformParams", Object::Dictionary(params));
        sig.set(
            "Reference",
            Object::Array(vec![Object::Dictionary(reference)]),
        );
    }
    let sig_id = up.add(sig);

    // Annotations to add, per page, and new fields. Every picture this signature draws (the
    // stamp, each cross-page strip, the QR code) is a widget of its one signature field
    // (§12.7.3.1: a field's widgets are its kids), so validators see them as part of the
    // signature rather than as annotations added over signed pages.
    let mut annots: Vec<(ObjectId, ObjectId)> = Vec::new();
    let mut new_fields: Vec<ObjectId> = Vec::new();
    if let Placement::ExistingField(fname) = &req.placement {
        if req.qr.is_some() {
            return Err(PdfError::Placement(
                "a QR code cannot be added when signing an existing field (it would be a second, unsigned widget); place it with the field's creator".into(),
            ));
        }
        fill_existing_field(&doc, &mut up, fname, sig_id, image)?;
    } else {
        // (page, rectangle in user space, appearance)
        let mut widgets: Vec<(ObjectId, [f64; 4], ObjectId)> = Vec::new();
        match &req.placement {
            Placement::Invisible | Placement::ExistingField(_) => {
                widgets.push((page_id(1)?, [0.0; 4], up.add(appearance::empty_form())));
            }
            Placement::Stamp {
                page,
                x,
                y,
                width,
                height,
            } => {
                check_size(*width, *height)?;
                let img = image.ok_or_else(|| PdfError::Picture("no picture".into()))?;
                let pid = page_id(*page)?;
                let rot = page_rotate(&doc, pid);
                let rect =
                    display_to_user(page_box(&doc, pid), rot, [*x, *y, x + width, y + height]);
                let ap = up.add(appearance::form(
                    img,
                    (*width, *height),
                    *width,
                    *height,
                    (0.0, 0.0),
                    rot,
                ));
                widgets.push((pid, rect, ap));
            }
            Placement::CrossPage {
                first,
                last,
                width,
                height,
                centre_y,
            } => {
                let first = first.unwrap_or(1);
                let last = last.unwrap_or(pages.len() as u32);
                if first >= last {
                    return Err(PdfError::Placement(format!(
                        "a cross-page seal needs at least 2 pages (pages {first}..{last})"
                    )));
                }
                let layout = crate::placement::CrossPage {
                    pages: crate::placement::PageSet::Range(first as usize, Some(last as usize)),
                    ..Default::default()
                };
                let img = image.ok_or_else(|| PdfError::Picture("no picture".into()))?;
                cross_page_widgets(
                    &doc,
                    &pages,
                    &mut up,
                    img,
                    &layout,
                    (*width, *height),
                    *centre_y,
                    &mut widgets,
                )?;
            }
            Placement::CrossPageAt {
                layout,
                width,
                height,
            } => {
                let img = image.ok_or_else(|| PdfError::Picture("no picture".into()))?;
                cross_page_widgets(
                    &doc,
                    &pages,
                    &mut up,
                    img,
                    layout,
                    (*width, *height),
                    None,
                    &mut widgets,
                )?;
            }
        }
        if let Some(qr) = &req.qr {
            check_size(qr.size, qr.size)?;
            let pid = page_id(qr.page)?;
            // A QR code differs per document: converted, not kept.
            let img = add_image(
                &mut up,
                appearance::image_objects(&appearance::decode_png(&qr.png)?)?,
            );
            let rot = page_rotate(&doc, pid);
            let form = up.add(appearance::form(
                img,
                (qr.size, qr.size),
                qr.size,
                qr.size,
                (0.0, 0.0),
                rot,
            ));
            let rect = display_to_user(
                page_box(&doc, pid),
                rot,
                [qr.x, qr.y, qr.x + qr.size, qr.y + qr.size],
            );
            widgets.push((pid, rect, form));
        }
        let widget = |page: ObjectId, rect: [f64; 4], ap: ObjectId| {
            let mut w = Dictionary::new();
            w.set("Type", name("Annot"));
            w.set("Subtype", name("Widget"));
            w.set(
                "Rect",
                Object::Array(rect.iter().map(|v| real(*v)).collect()),
            );
            w.set("F", Object::Integer(132)); // print + locked (§12.5.3)
            w.set("P", Object::Reference(page));
            let mut apd = Dictionary::new();
            apd.set("N", Object::Reference(ap));
            w.set("AP", Object::Dictionary(apd));
            w
        };
        let field_id = if let [(page, rect, ap)] = widgets[..] {
            // One widget: field and widget merged in one dictionary (§12.7.3.1).
            let mut w = widget(page, rect, ap);
            w.set("FT", name("Sig"));
            w.set("T", text_string(&field));
            w.set("V", Object::Reference(sig_id));
            let id = up.add(w);
            annots.push((page, id));
            id
        } else {
            let field_id = up.add(Dictionary::new());
            let mut kids = Vec::new();
            for (page, rect, ap) in widgets {
                let mut w = widget(page, rect, ap);
                w.set("Parent", Object::Reference(field_id));
                w.set("V", Object::Reference(sig_id));
                let id = up.add(w);
                kids.push(Object::Reference(id));
                annots.push((page, id));
            }
            let mut f = Dictionary::new();
            f.set("FT", name("Sig"));
            f.set("T", text_string(&field));
            f.set("V", Object::Reference(sig_id));
            f.set("Kids", Object::Array(kids));
            up.set(field_id, f);
            field_id
        };
        new_fields.push(field_id);
    }
    for ef in &req.empty_fields {
        check_size(ef.width, ef.height)?;
        if existing.contains(&ef.name) || ef.name == field {
            return Err(PdfError::Placement(format!(
                "a field named {} already exists",
                ef.name
            )));
        }
        let pid = page_id(ef.page)?;
        let rect = display_to_user(
            page_box(&doc, pid),
            page_rotate(&doc, pid),
            [ef.x, ef.y, ef.x + ef.width, ef.y + ef.height],
        );
        let mut w = Dictionary::new();
        w.set("Type", name("Annot"));
        w.set("Subtype", name("Widget"));
        w.set("FT", name("Sig"));
        w.set("T", text_string(&ef.name));
        w.set(
            "Rect",
            Object::Array(rect.iter().map(|v| real(*v)).collect()),
        );
        w.set("F", Object::Integer(4));
        w.set("P", Object::Reference(pid));
        let wid = up.add(w);
        annots.push((pid, wid));
        new_fields.push(wid);
    }

    add_annotations(&doc, &mut up, &annots)?;
    add_fields(&doc, &mut up, &new_fields)?;
    if req.certify.is_some() {
        // §12.8.4: the catalog's /Perms names the certification signature.
        let (root, catalog) = super::sign_doc::catalog(&doc)?;
        let mut catalog = match up.get(root) {
            Some(Object::Dictionary(d)) => d.clone(),
            _ => catalog,
        };
        let mut perms = Dictionary::new();
        perms.set("DocMDP", Object::Reference(sig_id));
        catalog.set("Perms", Object::Dictionary(perms));
        up.set(root, Object::Dictionary(catalog));
    }

    // Serialise, then patch ByteRange and Contents in place.
    let appended = up.serialise(base, &doc.trailer)?;
    let mut bytes = appended.bytes;
    let (start, end) = *appended
        .spans
        .get(&sig_id.0)
        .ok_or_else(|| PdfError::Layout("signature object not written".into()))?;
    let br = start
        + find(&bytes[start..end], BYTE_RANGE_PLACEHOLDER)
            .ok_or_else(|| PdfError::Layout("ByteRange placeholder not found".into()))?;
    let ct = start
        + find(&bytes[start..end], b"/Contents <")
            .ok_or_else(|| PdfError::Layout("Contents placeholder not found".into()))?
        + b"/Contents ".len();
    let total = base.len() + bytes.len();
    let a = base.len() + ct;
    let b = a + 2 + 2 * reserve;
    let c = total - b;
    let range = format!("/ByteRange [0 {a} {b} {c}]");
    if range.len() > BYTE_RANGE_PLACEHOLDER.len() {
        return Err(PdfError::Unsupported(
            "file too large for the ByteRange placeholder".into(),
        ));
    }
    let mut patch = range.into_bytes();
    patch.resize(BYTE_RANGE_PLACEHOLDER.len(), b' ');
    bytes[br..br + patch.len()].copy_from_slice(&patch);

    let digest = {
        let (r1, r2) = (&bytes[..ct], &bytes[ct + 2 + 2 * reserve..]);
        let mut hash_base = |h: &mut dyn FnMut(&[u8])| -> Result<(), PdfError> {
            for (i, chunk) in base.chunks(crate::fs::CHUNK).enumerate() {
                h(chunk);
                if let Some(out) = copy.as_mut() {
                    out.write_all(chunk)
                        .map_err(|source| crate::fs::WriteError {
                            path: out.target().to_path_buf(),
                            source,
                        })?;
                }
                let at = i * crate::fs::CHUNK;
                release.release(at..at + chunk.len());
            }
            Ok(())
        };
        match req.credential {
            Credential::Pades(_) | Credential::DocumentTimestamp(_) => {
                use sha2::Digest as _;
                let mut h = sha2::Sha256::new();
                hash_base(&mut |c| h.update(c))?;
                h.update(r1);
                h.update(r2);
                h.finalize().to_vec()
            }
            _ => {
                use sm3::Digest as _;
                let mut h = crate::crypto::sm3::Sm3::new();
                hash_base(&mut |c| h.update(c))?;
                h.update(r1);
                h.update(r2);
                h.finalize().to_vec()
            }
        }
    };
    let der = contents_for(req, &field, &digest, false)?;
    if der.len() > reserve {
        return Err(PdfError::Layout(format!(
            "the signature ({} bytes) outgrew its placeholder ({reserve} bytes)",
            der.len()
        )));
    }
    let hexed = hex::encode_upper(&der);
    bytes[ct + 1..ct + 1 + hexed.len()].copy_from_slice(hexed.as_bytes());
    Ok(bytes)
}

const MM_PER_PT: f64 = 25.4 / 72.0;

/// The widgets of a cross-page seal of `size` points: one slice a page as
/// [`crate::placement::cross_page_slices`] lays them out, each a form whose BBox is the
/// slice and which draws the whole picture shifted under it. `centre_y` (points from the
/// bottom of the displayed page) overrides the vertical position of left/right slices.
#[allow(clippy::too_many_arguments)]
fn cross_page_widgets(
    doc: &Document,
    pages: &std::collections::BTreeMap<u32, ObjectId>,
    up: &mut Update,
    img: ObjectId,
    layout: &crate::placement::CrossPage,
    size: (f64, f64),
    centre_y: Option<f64>,
    widgets: &mut Vec<(ObjectId, [f64; 4], ObjectId)>,
) -> Result<(), PdfError> {
    let (width, height) = size;
    check_size(width, height)?;
    let geometry = |p: usize| {
        let pid = pages[&(p as u32)];
        let bx = page_box(doc, pid);
        (pid, bx, page_rotate(doc, pid))
    };
    let slices = crate::placement::cross_page_slices(
        layout,
        pages.len(),
        width * MM_PER_PT,
        height * MM_PER_PT,
        &|p| {
            let (_, bx, rot) = geometry(p);
            let (w, h) = display_size(bx, rot);
            (w * MM_PER_PT, h * MM_PER_PT)
        },
    )
    .map_err(PdfError::from)?;
    for s in slices {
        let (pid, bx, rot) = geometry(s.page);
        let (_, dh) = display_size(bx, rot);
        let pt = |v: f64| v / MM_PER_PT;
        let (cw, ch) = (pt(s.clip[2]), pt(s.clip[3]));
        let x = pt(s.seal_box[0] + s.clip[0]);
        let mut y = dh - pt(s.seal_box[1] + s.clip[1]) - ch;
        if let Some(cy) = centre_y {
            y = cy - ch / 2.0;
        }
        let rect = display_to_user(bx, rot, [x, y, x + cw, y + ch]);
        // The slice's offset from the picture's lower-left corner (PDF y upwards).
        let shift = (pt(s.clip[0]), height - pt(s.clip[1]) - ch);
        let form = up.add(appearance::form(img, (cw, ch), width, height, shift, rot));
        widgets.push((pid, rect, form));
    }
    Ok(())
}

fn check_size(w: f64, h: f64) -> Result<(), PdfError> {
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 && w < 14_400.0 && h < 14_400.0) {
        return Err(PdfError::Placement(format!(
            "stamp size {w}×{h} pt is not usable"
        )));
    }
    Ok(())
}

/// Adds a picture's image XObject and its soft mask (§11.6.5.3).
fn add_image(up: &mut Update, (mut img, mask): (Stream, Option<Stream>)) -> ObjectId {
    if let Some(m) = mask {
        let mid = up.add(m);
        img.dict.set("SMask", Object::Reference(mid));
    }
    up.add(img)
}

/// Appends annotations to their pages' `/Annots` (direct arrays, or indirect array objects).
fn add_annotations(
    doc: &Document,
    up: &mut Update,
    annots: &[(ObjectId, ObjectId)],
) -> Result<(), PdfError> {
    let mut by_page: Vec<(ObjectId, Vec<ObjectId>)> = Vec::new();
    for (p, a) in annots {
        match by_page.iter_mut().find(|(q, _)| q == p) {
            Some((_, v)) => v.push(*a),
            None => by_page.push((*p, vec![*a])),
        }
    }
    for (pid, new) in by_page {
        let mut page = doc
            .get_dictionary(pid)
            .map_err(|e| PdfError::Malformed(format!("page {pid:?}: {e}")))?
            .clone();
        let refs = new.iter().map(|a| Object::Reference(*a));
        match page.get(b"Annots") {
            Ok(Object::Reference(aid)) => {
                let mut arr = doc
                    .get_object(*aid)
                    .and_then(Object::as_array)
                    .map_err(|e| PdfError::Malformed(format!("/Annots: {e}")))?
                    .clone();
                arr.extend(refs);
                up.set(*aid, Object::Array(arr));
                continue;
            }
            Ok(Object::Array(arr)) => {
                let mut arr = arr.clone();
                arr.extend(refs);
                page.set("Annots", Object::Array(arr));
            }
            _ => page.set("Annots", Object::Array(refs.collect())),
        }
        up.set(pid, Object::Dictionary(page));
    }
    Ok(())
}

/// Signs into an existing empty signature field (a merged field and widget): sets `/V` and
/// draws the picture in its rectangle.
fn fill_existing_field(
    doc: &Document,
    up: &mut Update,
    fname: &str,
    sig: ObjectId,
    image: Option<ObjectId>,
) -> Result<(), PdfError> {
    let catalog = doc
        .catalog()
        .map_err(|e| PdfError::Malformed(format!("catalog: {e}")))?;
    let fields = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_dict().ok())
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
        .ok_or_else(|| {
            PdfError::Placement(format!("no field named {fname}: the document has no form"))
        })?;
    let found = fields
        .iter()
        .filter_map(|f| f.as_reference().ok())
        .find(|id| {
            doc.get_dictionary(*id)
                .ok()
                .and_then(|d| {
                    d.get(b"T")
                        .ok()
                        .and_then(|t| t.as_str().ok())
                        .map(super::object::decode_text)
                })
                .as_deref()
                == Some(fname)
        });
    let fid =
        found.ok_or_else(|| PdfError::Placement(format!("no top-level field named {fname}")))?;
    let mut d = doc
        .get_dictionary(fid)
        .map_err(|e| PdfError::Malformed(e.to_string()))?
        .clone();
    if d.get(b"FT").and_then(Object::as_name).ok() != Some(b"Sig".as_slice()) {
        return Err(PdfError::Placement(format!(
            "field {fname} is not a signature field"
        )));
    }
    if d.has(b"V") {
        return Err(PdfError::Placement(format!(
            "field {fname} is already signed"
        )));
    }
    let pid = d.get(b"P").and_then(Object::as_reference).map_err(|_| {
        PdfError::Unsupported(format!(
            "field {fname} is not a merged field/widget with /P"
        ))
    })?;
    let rect: Vec<f64> = d
        .get(b"Rect")
        .and_then(Object::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| o.as_float().ok())
                .map(f64::from)
                .collect()
        })
        .unwrap_or_default();
    if rect.len() != 4 {
        return Err(PdfError::Malformed(format!("field {fname} has no /Rect")));
    }
    let (rw, rh) = ((rect[2] - rect[0]).abs(), (rect[3] - rect[1]).abs());
    let rot = page_rotate(doc, pid);
    let (w, h) = if rot % 180 == 90 { (rh, rw) } else { (rw, rh) };
    let ap = match image {
        Some(img) if w > 0.0 && h > 0.0 => {
            up.add(appearance::form(img, (w, h), w, h, (0.0, 0.0), rot))
        }
        _ => up.add(appearance::empty_form()),
    };
    let mut apd = Dictionary::new();
    apd.set("N", Object::Reference(ap));
    d.set("AP", Object::Dictionary(apd));
    d.set("V", Object::Reference(sig));
    d.set("F", Object::Integer(132));
    up.set(fid, Object::Dictionary(d));
    Ok(())
}

/// Adds the fields to the AcroForm's `/Fields` and sets `/SigFlags 3` (§12.7.2).
fn add_fields(doc: &Document, up: &mut Update, new_fields: &[ObjectId]) -> Result<(), PdfError> {
    let (root, mut catalog) = super::sign_doc::catalog(doc)?;
    let (form_id, mut form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (
            Some(*id),
            doc.get_dictionary(*id)
                .map_err(|e| PdfError::Malformed(format!("AcroForm: {e}")))?
                .clone(),
        ),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    match form.get(b"Fields") {
        Ok(Object::Reference(fid)) => {
            if !new_fields.is_empty() {
                let mut arr = doc
                    .get_object(*fid)
                    .and_then(Object::as_array)
                    .map_err(|e| PdfError::Malformed(format!("/Fields: {e}")))?
                    .clone();
                arr.extend(new_fields.iter().map(|f| Object::Reference(*f)));
                up.set(*fid, Object::Array(arr));
            }
        }
        Ok(Object::Array(arr)) => {
            let mut arr = arr.clone();
            arr.extend(new_fields.iter().map(|f| Object::Reference(*f)));
            form.set("Fields", Object::Array(arr));
        }
        _ => form.set(
            "Fields",
            Object::Array(new_fields.iter().map(|f| Object::Reference(*f)).collect()),
        ),
    }
    if new_fields.is_empty()
        && form.get(b"SigFlags").and_then(Object::as_i64).ok() == Some(3)
        && form_id.is_some()
    {
        return Ok(()); // nothing to change
    }
    form.set("SigFlags", Object::Integer(3));
    match form_id {
        Some(id) => up.set(id, Object::Dictionary(form)),
        None => {
            catalog.set("AcroForm", Object::Dictionary(form));
            up.set(root, Object::Dictionary(catalog));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displayed_rectangles_map_to_user_space_for_each_rotation() {
        let bx = [0.0, 0.0, 600.0, 800.0];
        let r = [10.0, 20.0, 60.0, 40.0];
        assert_eq!(display_to_user(bx, 0, r), r);
        // Turned 90° clockwise: the displayed page is 800 wide; its lower left is user (600, 0).
        assert_eq!(display_size(bx, 90), (800.0, 600.0));
        assert_eq!(display_to_user(bx, 90, r), [560.0, 10.0, 580.0, 60.0]);
        assert_eq!(display_to_user(bx, 180, r), [540.0, 760.0, 590.0, 780.0]);
        assert_eq!(display_to_user(bx, 270, r), [20.0, 740.0, 40.0, 790.0]);
    }
}
