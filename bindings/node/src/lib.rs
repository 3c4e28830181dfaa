//! The Node.js skin over the eseal core (napi-rs): camelCase names, Buffers, Promises for
//! signing and verification (run on libuv's thread pool), errors with a `code` property.
#![deny(clippy::all)]

use eseal::crypto::testca::TestCa as CoreTestCa;
use eseal::ses::Seal as CoreSeal;
use eseal_bindings_common::{self as common, SealParams, SharedSigner, Signed, ToSign, UkeyParams};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// A JS error whose `code` is the eseal error kind (`ESEAL_INVALID_INPUT`, ...).
type JsResult<T> = napi::Result<T, String>;

fn js_error(e: common::Error) -> napi::Error<String> {
    let mut message = e.message;
    if let Some(n) = e.retries_left {
        message = format!("{message} (retriesLeft: {n})");
    }
    napi::Error::new(e.kind.name().to_owned(), message)
}

trait IntoJs<T> {
    fn js(self) -> JsResult<T>;
}

impl<T, E: Into<common::Error>> IntoJs<T> for std::result::Result<T, E> {
    fn js(self) -> JsResult<T> {
        self.map_err(|e| js_error(e.into()))
    }
}

/// A Buffer is the content; a string is a file to read, unless it holds a PEM block.
fn input(v: Either<Buffer, String>, what: &str) -> JsResult<Vec<u8>> {
    match v {
        Either::A(b) => Ok(b.to_vec()),
        Either::B(s) if s.contains("-----BEGIN ") => Ok(s.into_bytes()),
        Either::B(path) => common::read_file(std::path::Path::new(&path)).map_err(|e| {
            js_error(common::Error {
                message: format!("{what}: {}", e.message),
                ..e
            })
        }),
    }
}

fn time(t: Option<String>) -> JsResult<Option<eseal::crypto::time::Time>> {
    t.as_deref().map(common::parse_time).transpose().js()
}

/// The deterministic test CA (tests and demos only). Identities: "root", "unit" (makes
/// seals), "person" (signs documents), "server".
#[napi]
pub struct TestCa {
    inner: CoreTestCa,
}

#[napi]
impl TestCa {
    #[napi(constructor)]
    pub fn new(seed: String) -> Result<Self, String> {
        Ok(TestCa {
            inner: CoreTestCa::new(&seed).js()?,
        })
    }
    /// A software signer for one identity.
    #[napi]
    pub fn signer(&self, who: String) -> Result<Signer, String> {
        let id = common::test_ca_identity(&self.inner, &who).js()?;
        Ok(Signer {
            inner: Arc::new(id.signer()),
        })
    }
    /// The identity's certificate, PEM.
    #[napi]
    pub fn cert_pem(&self, who: String) -> Result<String, String> {
        Ok(common::test_ca_identity(&self.inner, &who)
            .js()?
            .cert
            .to_pem())
    }
    /// The identity's private key, PKCS#8 PEM.
    #[napi]
    pub fn key_pem(&self, who: String) -> Result<String, String> {
        Ok(common::test_ca_identity(&self.inner, &who)
            .js()?
            .key
            .to_pkcs8_pem())
    }
    /// The root certificate, PEM: pass it as `trust` when verifying.
    #[napi(getter)]
    pub fn root_cert_pem(&self) -> String {
        self.inner.root.cert.to_pem()
    }
}

/// Where a UKey signer lives.
#[napi(object)]
pub struct UkeyOptions {
    /// Path of the vendor's SKF library (GM/T 0016).
    pub library: String,
    pub pin: String,
    pub application: String,
    /// The device; the first one the library lists when absent.
    pub device: Option<String>,
    /// The container; the application's first SM2 container when absent.
    pub container: Option<String>,
    /// The library uses a 64-bit `ULONG` (some vendor LP64 builds).
    pub ulong64: Option<bool>,
}

/// Something that makes SM2 signatures for one certificate: a software key or a UKey.
#[napi]
pub struct Signer {
    inner: SharedSigner,
}

#[napi]
impl Signer {
    /// A software signer from an SM2 private key (PKCS#8 or SEC1, PEM or DER) and its
    /// certificate (PEM or DER): Buffers, PEM strings or file paths.
    #[napi(factory)]
    pub fn from_pem(
        key: Either<Buffer, String>,
        cert: Either<Buffer, String>,
    ) -> Result<Signer, String> {
        let s = common::software_signer(&input(key, "key")?, &input(cert, "cert")?).js()?;
        Ok(Signer { inner: Arc::new(s) })
    }
    /// A UKey container as a signer (verifies the user PIN). Errors: `ESEAL_PIN_INCORRECT`,
    /// `ESEAL_PIN_LOCKED`, `ESEAL_NOT_FOUND`, `ESEAL_DEVICE`.
    #[napi(factory)]
    pub fn from_ukey(options: UkeyOptions) -> Result<Signer, String> {
        let p = UkeyParams {
            library: options.library.into(),
            device: options.device,
            application: options.application,
            container: options.container,
            pin: options.pin,
            ulong64: options.ulong64.unwrap_or(false),
        };
        Ok(Signer {
            inner: Arc::new(common::ukey_signer(&p).js()?),
        })
    }
    /// The signer's certificate, PEM.
    #[napi(getter)]
    pub fn certificate_pem(&self) -> String {
        self.inner.certificate().to_pem()
    }
    /// The certificate's subject.
    #[napi(getter)]
    pub fn subject(&self) -> String {
        self.inner.certificate().subject_string()
    }
}

/// What a new seal holds.
#[napi(object)]
pub struct SealOptions {
    pub name: String,
    /// The seal code (esID, ASCII).
    pub es_id: String,
    /// PNG, GIF, JPEG, BMP, SVG or OFD bytes.
    pub picture: Buffer,
    /// Certificates (DER Buffers or PEM strings) allowed to sign with the seal (certList),
    /// e.g. `signer.certificatePem`.
    pub signer_certs: Option<Vec<Either<Buffer, String>>>,
    pub width_mm: Option<u32>,
    pub height_mm: Option<u32>,
    /// 1 unit seal (default), 2 personal seal.
    pub seal_type: Option<i64>,
    /// Validity (RFC 3339); now .. +3 years by default.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub vendor_id: Option<String>,
}

/// A seal (SESeal v1, v4 or v5).
#[napi]
pub struct Seal {
    inner: Arc<CoreSeal>,
}

#[napi]
impl Seal {
    /// Parses a seal from its DER bytes (a Buffer) or a file path.
    #[napi(constructor)]
    pub fn new(data: Either<Buffer, String>) -> Result<Self, String> {
        Ok(Seal {
            inner: Arc::new(CoreSeal::from_der(&input(data, "seal")?).js()?),
        })
    }
    /// Makes a GB/T 38540 (v4) seal; `maker` (制章者) signs it.
    #[napi(factory)]
    pub fn create(maker: &Signer, options: SealOptions) -> Result<Seal, String> {
        let mut p = SealParams::new(&options.name, &options.es_id);
        p.picture = options.picture.to_vec();
        p.width_mm = options.width_mm.unwrap_or(40);
        p.height_mm = options.height_mm.unwrap_or(40);
        p.seal_type = options.seal_type.unwrap_or(1);
        p.valid_from = time(options.valid_from)?;
        p.valid_to = time(options.valid_to)?;
        p.vendor_id = options.vendor_id;
        for c in options.signer_certs.unwrap_or_default() {
            p.signer_certs
                .push(eseal::crypto::Certificate::parse(&input(c, "signerCerts")?).js()?);
        }
        let seal = common::create_seal(&p, maker.inner.as_ref()).js()?;
        Ok(Seal {
            inner: Arc::new(seal),
        })
    }
    /// The seal's DER bytes.
    #[napi]
    pub fn to_buffer(&self) -> Buffer {
        self.inner.der().to_vec().into()
    }
    /// The seal described (version, es_id, name, validity, picture, maker, size).
    #[napi(ts_return_type = "SealInfo")]
    pub fn info(&self) -> serde_json::Value {
        common::seal_info(&self.inner)
    }
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    #[napi(getter)]
    pub fn es_id(&self) -> String {
        self.inner.es_id.clone()
    }
    /// "v1", "v4" or "v5".
    #[napi(getter)]
    pub fn version(&self) -> String {
        self.inner.version.label().to_owned()
    }
    #[napi(getter)]
    pub fn seal_type(&self) -> i64 {
        self.inner.seal_type
    }
    #[napi(getter)]
    pub fn valid_start(&self) -> String {
        self.inner.valid_start.to_iso()
    }
    #[napi(getter)]
    pub fn valid_end(&self) -> String {
        self.inner.valid_end.to_iso()
    }
    #[napi(getter)]
    pub fn picture(&self) -> Buffer {
        self.inner.picture.data.clone().into()
    }
}

/// Options of `signData` / `signDigest`.
#[napi(object)]
pub struct SignOptions {
    /// propertyInfo (ASCII), e.g. the signed file's path.
    pub property_info: Option<String>,
    /// Signing time (RFC 3339); now when absent.
    pub time: Option<String>,
}

/// A core result carried from the worker thread to the main thread.
type Outcome<T> = std::result::Result<T, common::Error>;

fn settle<T>(env: Env, outcome: Outcome<T>) -> napi::Result<T> {
    // Reject with an Error whose `code` is the eseal kind: build it here, on the main thread,
    // and hand it back as the retained rejection value.
    outcome.map_err(|e| napi::Error::from(JsError::from(js_error(e)).into_unknown(env)))
}

pub struct SignTask {
    seal: Arc<CoreSeal>,
    signer: SharedSigner,
    input: Vec<u8>,
    digest: bool,
    property_info: String,
    time: Outcome<Option<eseal::crypto::time::Time>>,
}

impl Task for SignTask {
    type Output = Outcome<Vec<u8>>;
    type JsValue = Buffer;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let what = if self.digest {
            ToSign::Digest(&self.input)
        } else {
            ToSign::Data(&self.input)
        };
        Ok(self.time.clone().and_then(|t| {
            common::sign(
                &self.seal,
                self.signer.as_ref(),
                what,
                &self.property_info,
                t,
            )
        }))
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Buffer> {
        settle(env, output).map(Buffer::from)
    }
}

fn sign_task(
    seal: &Seal,
    signer: &Signer,
    input: Vec<u8>,
    digest: bool,
    options: Option<SignOptions>,
) -> AsyncTask<SignTask> {
    let (property_info, t) = options
        .map(|o| (o.property_info, o.time))
        .unwrap_or((None, None));
    AsyncTask::new(SignTask {
        seal: seal.inner.clone(),
        signer: signer.inner.clone(),
        input,
        digest,
        property_info: property_info.unwrap_or_default(),
        time: t.as_deref().map(common::parse_time).transpose(),
    })
}

/// Signs `data` with `seal` (GB/T 38540 §7.1, dataHash = SM3(data)); resolves to the DER
/// SES_Signature. Rejects with `ESEAL_SEAL_UNUSABLE` when the signer is not in the seal's
/// certList or the time is outside its validity.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_data(
    seal: &Seal,
    signer: &Signer,
    data: Buffer,
    options: Option<SignOptions>,
) -> AsyncTask<SignTask> {
    sign_task(seal, signer, data.to_vec(), false, options)
}

/// As `signData`, over a digest the caller computed (it becomes dataHash as is).
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_digest(
    seal: &Seal,
    signer: &Signer,
    digest: Buffer,
    options: Option<SignOptions>,
) -> AsyncTask<SignTask> {
    sign_task(seal, signer, digest.to_vec(), true, options)
}

/// Options of `verifySeal` / `verifySignature`.
#[napi(object)]
pub struct VerifyOptions {
    /// Trust anchors: PEM bundles or DER certificates (Buffers or PEM strings).
    pub trust: Option<Vec<Either<Buffer, String>>>,
    /// Verify as of this time (RFC 3339) instead of now.
    pub at: Option<String>,
    /// Warnings (expired now, non-standard encodings) make `exit_code` 1.
    pub strict: Option<bool>,
    /// The signed data (`verifySignature`): its SM3 is checked against dataHash.
    pub data: Option<Buffer>,
    /// Or the digest the caller computed.
    pub digest: Option<Buffer>,
}

enum VerifyWhat {
    Seal,
    Ofd,
    Pdf,
    Signature {
        data: Option<Vec<u8>>,
        digest: Option<Vec<u8>>,
    },
}

pub struct VerifyTask {
    bytes: Vec<u8>,
    what: VerifyWhat,
    cfg: Outcome<common::VerifyOptions>,
}

/// The report as a plain JS object.
pub struct Report(serde_json::Value);

impl TypeName for Report {
    fn type_name() -> &'static str {
        "Report"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Report {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: called by napi with the current env.
        unsafe { serde_json::Value::to_napi_value(env, val.0) }
    }
}

impl Task for VerifyTask {
    type Output = Outcome<serde_json::Value>;
    type JsValue = Report;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let cfg = match &self.cfg {
            Ok(c) => c,
            Err(e) => return Ok(Err(e.clone())),
        };
        let report = match &self.what {
            VerifyWhat::Seal => common::verify_seal(&self.bytes, "seal", cfg),
            VerifyWhat::Pdf => match common::verify_pdf(&self.bytes, "document.pdf", cfg) {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            },
            VerifyWhat::Ofd => {
                match common::verify_ofd(std::mem::take(&mut self.bytes), "document.ofd", cfg) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                }
            }
            VerifyWhat::Signature { data, digest } => {
                let signed = match (data, digest) {
                    (Some(d), _) => Signed::Data(d),
                    (_, Some(h)) => Signed::Digest(h),
                    _ => Signed::NotAvailable,
                };
                common::verify_signature(&self.bytes, signed, "signature", cfg)
            }
        };
        Ok(Ok(common::report_json(&report)))
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        settle(env, output).map(Report)
    }
}

fn verify_config(o: &mut Option<VerifyOptions>) -> Outcome<common::VerifyOptions> {
    let mut cfg = common::VerifyOptions::default();
    if let Some(o) = o {
        for t in o.trust.take().unwrap_or_default() {
            let bytes = match t {
                Either::A(b) => b.to_vec(),
                Either::B(s) if s.contains("-----BEGIN ") => s.into_bytes(),
                Either::B(path) => common::read_file(std::path::Path::new(&path))?,
            };
            common::add_trust(&mut cfg, &bytes)?;
        }
        if let Some(at) = o.at.take() {
            cfg.at = common::parse_time(&at)?;
        }
        cfg.strict = o.strict.unwrap_or(false);
    }
    Ok(cfg)
}

/// Verifies a seal on its own (maker signature, header, validity, maker certificate).
/// Resolves to the report (the `--json` shape of the command line, with `verdict` and
/// `exit_code`); an unreadable seal is an invalid report, not a rejection.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_seal(
    seal: Either<Buffer, &Seal>,
    mut options: Option<VerifyOptions>,
) -> AsyncTask<VerifyTask> {
    let bytes = match seal {
        Either::A(b) => b.to_vec(),
        Either::B(s) => s.inner.der().to_vec(),
    };
    let cfg = verify_config(&mut options);
    AsyncTask::new(VerifyTask {
        bytes,
        what: VerifyWhat::Seal,
        cfg,
    })
}

/// Verifies an SES_Signature against `options.data` (SM3) or `options.digest`.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_signature(
    signature: Buffer,
    mut options: Option<VerifyOptions>,
) -> AsyncTask<VerifyTask> {
    let mut cfg = verify_config(&mut options);
    let (data, digest) = options
        .map(|o| (o.data.map(|b| b.to_vec()), o.digest.map(|b| b.to_vec())))
        .unwrap_or((None, None));
    if data.is_some() && digest.is_some() {
        cfg = Err(common::Error::invalid("give data or digest, not both"));
    }
    AsyncTask::new(VerifyTask {
        bytes: signature.to_vec(),
        what: VerifyWhat::Signature { data, digest },
        cfg,
    })
}

/// Where a stamp shows. OFD: millimetres from the page's top-left corner (width/height 0 or
/// absent: the seal picture's size). PDF: points from the lower-left corner (no size:
/// invisible; a visible PDF stamp needs a PNG seal picture).
#[napi(object)]
pub struct StampOptions {
    /// Page from 1.
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: Option<f64>,
    pub height: Option<f64>,
}

/// Options of `signOfd` / `signPdf`.
#[napi(object)]
pub struct SignDocumentOptions {
    pub stamp: Option<StampOptions>,
    /// Signing time (RFC 3339); now when absent.
    pub time: Option<String>,
}

pub struct SignDocumentTask {
    pdf: bool,
    doc: Vec<u8>,
    seal: Arc<CoreSeal>,
    signer: SharedSigner,
    stamp: Option<common::Stamp>,
    time: Outcome<Option<eseal::crypto::time::Time>>,
}

impl Task for SignDocumentTask {
    type Output = Outcome<Vec<u8>>;
    type JsValue = Buffer;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let time = match &self.time {
            Ok(t) => *t,
            Err(e) => return Ok(Err(e.clone())),
        };
        Ok(if self.pdf {
            common::sign_pdf(
                &self.doc,
                &self.seal,
                self.signer.as_ref(),
                self.stamp,
                time,
            )
        } else {
            common::sign_ofd(
                std::mem::take(&mut self.doc),
                &self.seal,
                self.signer.as_ref(),
                self.stamp,
                time,
            )
        })
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Buffer> {
        settle(env, output).map(Buffer::from)
    }
}

fn sign_document(
    pdf: bool,
    doc: Buffer,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<SignDocumentTask> {
    let (stamp, t) = options.map(|o| (o.stamp, o.time)).unwrap_or((None, None));
    AsyncTask::new(SignDocumentTask {
        pdf,
        doc: doc.to_vec(),
        seal: seal.inner.clone(),
        signer: signer.inner.clone(),
        stamp: stamp.map(|s| common::Stamp {
            page: s.page,
            x: s.x,
            y: s.y,
            width: s.width.unwrap_or(0.0),
            height: s.height.unwrap_or(0.0),
        }),
        time: t.as_deref().map(common::parse_time).transpose(),
    })
}

/// Signs an OFD with `seal`; resolves to the signed OFD.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_ofd(
    ofd: Buffer,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<SignDocumentTask> {
    sign_document(false, ofd, seal, signer, options)
}

/// Signs a PDF with `seal` (incremental update); resolves to the whole signed PDF.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_pdf(
    pdf: Buffer,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<SignDocumentTask> {
    sign_document(true, pdf, seal, signer, options)
}

/// Verifies every signature of an OFD; rejects with `ESEAL_INVALID_INPUT` when it is not one.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_ofd(ofd: Buffer, mut options: Option<VerifyOptions>) -> AsyncTask<VerifyTask> {
    let cfg = verify_config(&mut options);
    AsyncTask::new(VerifyTask {
        bytes: ofd.to_vec(),
        what: VerifyWhat::Ofd,
        cfg,
    })
}

/// Verifies every signature of a PDF.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_pdf(pdf: Buffer, mut options: Option<VerifyOptions>) -> AsyncTask<VerifyTask> {
    let cfg = verify_config(&mut options);
    AsyncTask::new(VerifyTask {
        bytes: pdf.to_vec(),
        what: VerifyWhat::Pdf,
        cfg,
    })
}

/// The library version.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
