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
    read_input(v, what).map(|(b, _)| b).map_err(js_error)
}

/// As [`input`], with the path when a file was read (a report's `file` is the path given),
/// for the work done off the main thread.
fn read_input(v: Either<Buffer, String>, what: &str) -> Outcome<(Vec<u8>, Option<String>)> {
    match v {
        Either::A(b) => Ok((b.to_vec(), None)),
        Either::B(s) if s.contains("-----BEGIN ") => Ok((s.into_bytes(), None)),
        Either::B(path) => common::read_file(std::path::Path::new(&path))
            .map(|b| (b, Some(path.clone())))
            .map_err(|e| common::Error {
                message: format!("{what}: {}", e.message),
                ..e
            }),
    }
}

/// A document or signature: a Buffer or a file path.
type Doc = Either<Buffer, String>;

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
    /// A UKey container as a signer: loads the SKF library, connects and verifies the user
    /// PIN off the main thread. Rejects with `ESEAL_PIN_INCORRECT` (and `retriesLeft`),
    /// `ESEAL_PIN_LOCKED`, `ESEAL_NOT_FOUND`, `ESEAL_DEVICE`.
    #[napi(ts_return_type = "Promise<Signer>")]
    pub fn from_ukey(options: UkeyOptions) -> AsyncTask<UkeyTask> {
        AsyncTask::new(UkeyTask(ukey_params(options)))
    }
    /// As `fromUkey`, blocking the event loop (scripts).
    #[napi]
    pub fn from_ukey_sync(env: Env, options: UkeyOptions) -> napi::Result<Signer> {
        settle(env, common::ukey_signer(&ukey_params(options)))
            .map(|s| Signer { inner: Arc::new(s) })
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
    /// Signs a prepared digest e (`preparePdf` / `prepareOfd`) as a UKey's `SKF_ECCSignData`
    /// does; resolves to the DER SM2 signature for `finishPdf` / `finishOfd`.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn sign_prepared(&self, digest: Buffer) -> AsyncTask<Work<Vec<u8>, Buffer>> {
        let signer = self.inner.clone();
        let digest = digest.to_vec();
        work(Buffer::from, move || {
            common::sign_prepared(signer.as_ref(), &digest)
        })
    }
}

fn ukey_params(o: UkeyOptions) -> UkeyParams {
    UkeyParams {
        library: o.library.into(),
        device: o.device,
        application: o.application,
        container: o.container,
        pin: o.pin,
        ulong64: o.ulong64.unwrap_or(false),
    }
}

pub struct UkeyTask(UkeyParams);

impl Task for UkeyTask {
    type Output = Outcome<eseal::ukey::UkeySigner>;
    type JsValue = Signer;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(common::ukey_signer(&self.0))
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Signer> {
        settle(env, output).map(|s| Signer { inner: Arc::new(s) })
    }
}

/// What a new seal holds.
#[napi(object)]
pub struct SealOptions {
    pub name: String,
    /// The seal code (esID, ASCII).
    pub es_id: String,
    /// PNG, GIF, JPEG, BMP, SVG or OFD: bytes or a file path.
    pub picture: Either<Buffer, String>,
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

fn seal_params(options: SealOptions) -> Outcome<SealParams> {
    let mut p = SealParams::new(&options.name, &options.es_id);
    p.picture = read_input(options.picture, "picture")?.0;
    p.width_mm = options.width_mm.unwrap_or(40);
    p.height_mm = options.height_mm.unwrap_or(40);
    p.seal_type = options.seal_type.unwrap_or(1);
    let t = |v: Option<String>| v.as_deref().map(common::parse_time).transpose();
    p.valid_from = t(options.valid_from)?;
    p.valid_to = t(options.valid_to)?;
    p.vendor_id = options.vendor_id;
    for c in options.signer_certs.unwrap_or_default() {
        let der = read_input(c, "signerCerts")?.0;
        p.signer_certs
            .push(eseal::crypto::Certificate::parse(&der)?);
    }
    Ok(p)
}

pub struct CreateSealTask {
    params: Outcome<SealParams>,
    maker: SharedSigner,
}

impl Task for CreateSealTask {
    type Output = Outcome<CoreSeal>;
    type JsValue = Seal;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match &self.params {
            Ok(p) => common::create_seal(p, self.maker.as_ref()),
            Err(e) => Err(e.clone()),
        })
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Seal> {
        settle(env, output).map(|s| Seal { inner: Arc::new(s) })
    }
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
    /// Makes a GB/T 38540 (v4) seal off the main thread; `maker` (制章者) signs it.
    #[napi(ts_return_type = "Promise<Seal>")]
    pub fn create(maker: &Signer, options: SealOptions) -> AsyncTask<CreateSealTask> {
        AsyncTask::new(CreateSealTask {
            params: seal_params(options),
            maker: maker.inner.clone(),
        })
    }
    /// As `create`, blocking the event loop (scripts).
    #[napi]
    pub fn create_sync(env: Env, maker: &Signer, options: SealOptions) -> napi::Result<Seal> {
        let made = seal_params(options).and_then(|p| common::create_seal(&p, maker.inner.as_ref()));
        settle(env, made).map(|s| Seal { inner: Arc::new(s) })
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
    // Throw or reject with an Error whose `code` is the eseal kind (and `retriesLeft` for a
    // wrong PIN): build it here, on the main thread, and hand it back as the retained value.
    outcome.map_err(|e| {
        let retries = e.retries_left;
        let error = JsError::from(js_error(e)).into_unknown(env);
        if let Some(n) = retries
            && let Ok(mut obj) = error.coerce_to_object()
        {
            let _ = obj.set_named_property("retriesLeft", n);
        }
        napi::Error::from(error)
    })
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

/// Options of the verifiers.
#[napi(object)]
pub struct VerifyOptions {
    /// Trust anchors: one or an array of PEM bundles, DER certificates (Buffers) or paths.
    #[napi(ts_type = "Buffer | string | Array<Buffer | string>")]
    pub trust: Option<Either<Vec<Doc>, Doc>>,
    /// A directory of trust anchors (`*.pem`, `*.crt`, `*.cer`, `*.der`). Default: the
    /// command line's (`$ESEAL_TRUST_DIR`, else `~/.config/eseal/trust`); `false`: none.
    #[napi(ts_type = "string | false")]
    pub trust_dir: Option<Either<String, bool>>,
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
    input: Option<Doc>,
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

impl VerifyTask {
    fn run(&mut self) -> Outcome<serde_json::Value> {
        let cfg = self.cfg.as_ref().map_err(Clone::clone)?;
        let input = self
            .input
            .take()
            .ok_or_else(|| common::Error::new(common::ErrorKind::Internal, "verified twice"))?;
        let (default, what) = match &self.what {
            VerifyWhat::Seal => ("seal", "seal"),
            VerifyWhat::Pdf => ("document.pdf", "pdf"),
            VerifyWhat::Ofd => ("document.ofd", "ofd"),
            VerifyWhat::Signature { .. } => ("signature", "signature"),
        };
        let (bytes, path) = read_input(input, what)?;
        let name = path.unwrap_or_else(|| default.to_owned());
        let report = match &self.what {
            VerifyWhat::Seal => common::verify_seal(&bytes, &name, cfg),
            VerifyWhat::Pdf => common::verify_pdf(&bytes, &name, cfg)?,
            VerifyWhat::Ofd => common::verify_ofd(bytes, &name, cfg)?,
            VerifyWhat::Signature { data, digest } => {
                let signed = match (data, digest) {
                    (Some(d), _) => Signed::Data(d),
                    (_, Some(h)) => Signed::Digest(h),
                    _ => Signed::NotAvailable,
                };
                common::verify_signature(&bytes, signed, &name, cfg)
            }
        };
        Ok(common::report_json(&report))
    }
}

impl Task for VerifyTask {
    type Output = Outcome<serde_json::Value>;
    type JsValue = Report;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        settle(env, output).map(Report)
    }
}

fn verify_config(o: &mut Option<VerifyOptions>) -> Outcome<common::VerifyOptions> {
    let mut cfg = common::VerifyOptions::default();
    let dir = o.as_mut().and_then(|o| o.trust_dir.take());
    match &dir {
        None => common::add_trust_dir(&mut cfg, common::TrustDir::Default)?,
        Some(Either::B(false)) => {}
        Some(Either::B(true)) => {
            return Err(common::Error::invalid(
                "trustDir: a path, or false for none",
            ));
        }
        Some(Either::A(path)) => {
            common::add_trust_dir(&mut cfg, common::TrustDir::Path(std::path::Path::new(path)))?
        }
    }
    if let Some(o) = o {
        let trust = match o.trust.take() {
            None => Vec::new(),
            Some(Either::A(many)) => many,
            Some(Either::B(one)) => vec![one],
        };
        for t in trust {
            common::add_trust(&mut cfg, &read_input(t, "trust")?.0)?;
        }
        if let Some(at) = o.at.take() {
            cfg.at = common::parse_time(&at)?;
        }
        cfg.strict = o.strict.unwrap_or(false);
    }
    Ok(cfg)
}

fn verify_task(
    input: Doc,
    what: VerifyWhat,
    mut options: Option<VerifyOptions>,
) -> AsyncTask<VerifyTask> {
    let cfg = verify_config(&mut options);
    AsyncTask::new(VerifyTask {
        input: Some(input),
        what,
        cfg,
    })
}

/// Verifies a seal on its own (maker signature, header, validity, maker certificate).
/// Resolves to the report (the `--json` shape of the command line, with `verdict` and
/// `exit_code`); an unreadable seal is an invalid report, not a rejection.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_seal(
    seal: Either<&Seal, Doc>,
    options: Option<VerifyOptions>,
) -> AsyncTask<VerifyTask> {
    let input = match seal {
        Either::A(s) => Either::A(Buffer::from(s.inner.der().to_vec())),
        Either::B(d) => d,
    };
    verify_task(input, VerifyWhat::Seal, options)
}

/// Verifies an SES_Signature (a Buffer or a path) against `options.data` (SM3) or
/// `options.digest`.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_signature(
    signature: Doc,
    mut options: Option<VerifyOptions>,
) -> AsyncTask<VerifyTask> {
    let (data, digest) = options
        .as_mut()
        .map(|o| {
            (
                o.data.take().map(|b| b.to_vec()),
                o.digest.take().map(|b| b.to_vec()),
            )
        })
        .unwrap_or((None, None));
    let both = data.is_some() && digest.is_some();
    let mut task = verify_task(signature, VerifyWhat::Signature { data, digest }, options);
    if both {
        task = AsyncTask::new(VerifyTask {
            input: None,
            what: VerifyWhat::Seal,
            cfg: Err(common::Error::invalid("give data or digest, not both")),
        });
    }
    task
}

/// Where a stamp shows, as in every binding: `page` from 1 (default 1); OFD: millimetres
/// from the page's top-left corner; PDF: points from the lower-left corner (default 20 mm
/// from the corner: 20 / 56.69); width and height absent or 0: the seal picture's size.
/// `invisible` (PDF only): no stamp. The seal picture of a PDF stamp is drawn as is (PNG) or
/// converted (JPEG, GIF).
#[napi(object)]
pub struct StampOptions {
    /// Page from 1.
    pub page: Option<i64>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub invisible: Option<bool>,
}

/// A cross-page seal (骑缝章): pages (`all`, `odd`, `even`, `2-5`, `1,3`; default all), edge
/// (default right), position along the edge in mm (from the top for left/right, from the left
/// for top/bottom; centred when absent), the narrowest slice in mm (more pages are split into
/// groups, each with a whole seal) and the seal's size in mm (the picture's when absent).
#[napi(object)]
pub struct CrossPageOptions {
    pub pages: Option<String>,
    #[napi(ts_type = "'right' | 'left' | 'top' | 'bottom'")]
    pub edge: Option<String>,
    pub along_mm: Option<f64>,
    pub min_slice_mm: Option<f64>,
    pub width_mm: Option<f64>,
    pub height_mm: Option<f64>,
}

/// A stamp over a text on the page (`甲方（盖章）`): which occurrences (default all), on which
/// pages, centred on the text or on its end, moved by `offsetMm` [x right, y down], of
/// `sizeMm` [w, h] (the seal picture's when absent). Not found: `ESEAL_KEYWORD_NOT_FOUND`.
#[napi(object)]
pub struct KeywordOptions {
    pub text: String,
    #[napi(ts_type = "'all' | 'first' | 'last' | number")]
    pub occurrence: Option<Either<String, i64>>,
    pub pages: Option<String>,
    #[napi(ts_type = "'centre' | 'center' | 'end'")]
    pub anchor: Option<String>,
    #[napi(ts_type = "[number, number]")]
    pub offset_mm: Option<Vec<f64>>,
    #[napi(ts_type = "[number, number]")]
    pub size_mm: Option<Vec<f64>>,
}

/// An anti-forgery QR code picture (PNG, e.g. from `stampQr`) drawn with the first
/// signature; position and size in the stamp's units (PDF points, OFD mm).
#[napi(object)]
pub struct QrOptions {
    pub png: Buffer,
    pub page: Option<i64>,
    pub x: f64,
    pub y: f64,
    pub size: f64,
}

/// Options of `signOfd` / `signPdf` (and of the deferred `prepare*` / `finish*`).
#[napi(object)]
pub struct SignDocumentOptions {
    /// One stamp (the default stamp when nothing places the seal).
    pub stamp: Option<StampOptions>,
    /// Several stamps: PDF one signature each, OFD all in the one signature.
    pub stamps: Option<Vec<StampOptions>>,
    pub cross_page: Option<CrossPageOptions>,
    pub keyword: Option<KeywordOptions>,
    pub qr: Option<QrOptions>,
    /// PDF: `ses` (GB/T 38540 seal signature, default), `sm2-cms` or `sm2-cms-gm` (SM2 CMS
    /// SignedData with PKCS#7 or GM/T 0010 identifiers, the seal's picture as the stamp).
    #[napi(ts_type = "'ses' | 'sm2-cms' | 'sm2-cms-gm'")]
    pub shape: Option<String>,
    /// PDF: `/Reason`, `/Location`, `/ContactInfo` of every signature; `fieldName` the new
    /// field's name (one signature only).
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact: Option<String>,
    pub field_name: Option<String>,
    /// PDF: certify with DocMDP level 1 (no changes), 2 (form filling) or 3 (annotations).
    #[napi(ts_type = "1 | 2 | 3")]
    pub certify: Option<i64>,
    /// An RFC 3161 time-stamp authority URL: the SES_Signature gets a timeStamp.
    pub tsa: Option<String>,
    /// Signing time (RFC 3339); now when absent.
    pub time: Option<String>,
}

fn stamp(pdf: bool, o: Option<StampOptions>) -> Outcome<common::Stamp> {
    let d = common::Stamp::default_for(pdf);
    let Some(o) = o else { return Ok(d) };
    Ok(common::Stamp {
        page: o.page.map(common::page_number).transpose()?.unwrap_or(1),
        x: common::length(o.x.unwrap_or(d.x), "x")?,
        y: common::length(o.y.unwrap_or(d.y), "y")?,
        width: common::length(o.width.unwrap_or(0.0), "width")?,
        height: common::length(o.height.unwrap_or(0.0), "height")?,
        invisible: o.invisible.unwrap_or(false),
    })
}

fn pair(v: Option<Vec<f64>>, what: &str) -> Outcome<(f64, f64)> {
    match v.as_deref() {
        None => Ok((0.0, 0.0)),
        Some([a, b]) => Ok((*a, *b)),
        Some(_) => Err(common::Error::invalid(format!(
            "{what}: two numbers [x, y]"
        ))),
    }
}

/// The options object as the core's [`common::SignOptions`].
fn sign_options(pdf: bool, o: Option<SignDocumentOptions>) -> Outcome<common::SignOptions> {
    let Some(o) = o else {
        return Ok(common::SignOptions::default());
    };
    let mut out = common::SignOptions {
        shape: o.shape.as_deref().unwrap_or("ses").parse()?,
        reason: o.reason,
        location: o.location,
        contact: o.contact,
        field_name: o.field_name,
        tsa: o.tsa,
        time: o.time.as_deref().map(common::parse_time).transpose()?,
        ..Default::default()
    };
    out.certify = o
        .certify
        .map(|c| {
            u8::try_from(c).map_err(|_| common::Error::invalid(format!("certify {c}: 1, 2 or 3")))
        })
        .transpose()?;
    if let Some(st) = o.stamp {
        out.stamps.push(stamp(pdf, Some(st))?);
    }
    for st in o.stamps.unwrap_or_default() {
        out.stamps.push(stamp(pdf, Some(st))?);
    }
    if let Some(c) = o.cross_page {
        out.cross_page = Some(common::CrossPageStamp::from_options(
            c.pages.as_deref().unwrap_or("all"),
            c.edge.as_deref().unwrap_or("right"),
            c.along_mm,
            c.min_slice_mm,
            c.width_mm.unwrap_or(0.0),
            c.height_mm.unwrap_or(0.0),
        )?);
    }
    if let Some(k) = o.keyword {
        let occurrence = match k.occurrence {
            None => "all".to_owned(),
            Some(Either::A(s)) => s,
            Some(Either::B(n)) => n.to_string(),
        };
        out.keyword = Some(common::keyword_stamp(
            &k.text,
            &occurrence,
            k.pages.as_deref().unwrap_or("all"),
            k.anchor.as_deref().unwrap_or("centre"),
            pair(k.offset_mm, "keyword.offsetMm")?,
            pair(k.size_mm, "keyword.sizeMm")?,
        )?);
    }
    if let Some(q) = o.qr {
        out.qr = Some(common::QrStamp {
            png: q.png.to_vec(),
            page: q.page.map(common::page_number).transpose()?.unwrap_or(1),
            x: common::length(q.x, "qr.x")?,
            y: common::length(q.y, "qr.y")?,
            size: common::length(q.size, "qr.size")?,
        });
    }
    Ok(out)
}

/// Work done on libuv's thread pool: a closure over owned inputs, its result converted to JS
/// on the main thread (errors with their `ESEAL_*` code).
pub struct Work<T: Send + 'static, J: ToNapiValue + TypeName> {
    run: Option<Box<dyn FnOnce() -> Outcome<T> + Send>>,
    to_js: fn(T) -> J,
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Work<T, J> {
    type Output = Outcome<T>;
    type JsValue = J;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.run.take() {
            Some(f) => f(),
            None => Err(common::Error::new(common::ErrorKind::Internal, "run twice")),
        })
    }
    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        settle(env, output).map(self.to_js)
    }
}

fn work<T: Send + 'static, J: ToNapiValue + TypeName>(
    to_js: fn(T) -> J,
    f: impl FnOnce() -> Outcome<T> + Send + 'static,
) -> AsyncTask<Work<T, J>> {
    AsyncTask::new(Work {
        run: Some(Box::new(f)),
        to_js,
    })
}

type BufferWork = AsyncTask<Work<Vec<u8>, Buffer>>;

fn sign_document(
    pdf: bool,
    doc: Doc,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    let opts = sign_options(pdf, options);
    let (seal, signer) = (seal.inner.clone(), signer.inner.clone());
    work(Buffer::from, move || {
        let opts = opts?;
        let (doc, _) = read_input(doc, if pdf { "pdf" } else { "ofd" })?;
        if pdf {
            common::sign_pdf(&doc, &seal, signer.as_ref(), &opts)
        } else {
            common::sign_ofd(doc, &seal, signer.as_ref(), &opts)
        }
    })
}

/// Signs an OFD (a Buffer or a path) with `seal`; resolves to the signed OFD. One signature
/// shows every stamp, the cross-page seal and the keyword stamps.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_ofd(
    ofd: Doc,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    sign_document(false, ofd, seal, signer, options)
}

/// Signs a PDF (a Buffer or a path) with `seal` (incremental update); resolves to the whole
/// signed PDF. One signature per stamp, cross-page seal and keyword occurrence; the first
/// certifies (`certify`) and draws the QR code.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn sign_pdf(
    pdf: Doc,
    seal: &Seal,
    signer: &Signer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    sign_document(true, pdf, seal, signer, options)
}

/// Deferred signing, step 1: the digest e = SM3(Z‖M) the holder of the certificate's key
/// signs (a UKey, an HSM) and the opaque state for `finish*`.
#[napi(object)]
pub struct Prepared {
    pub digest: Buffer,
    pub state: Buffer,
}

fn prepared(p: common::Prepared) -> Prepared {
    Prepared {
        digest: p.digest.into(),
        state: p.state.into(),
    }
}

fn prepare_document(
    pdf: bool,
    doc: Doc,
    seal: &Seal,
    certificate: Doc,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<Work<common::Prepared, Prepared>> {
    let opts = sign_options(pdf, options);
    let seal = seal.inner.clone();
    work(prepared, move || {
        let opts = opts?;
        let (cert, _) = read_input(certificate, "certificate")?;
        let cert = eseal::crypto::Certificate::parse(&cert)?;
        let (doc, _) = read_input(doc, if pdf { "pdf" } else { "ofd" })?;
        if pdf {
            common::prepare_pdf(&doc, &seal, &cert, &opts)
        } else {
            common::prepare_ofd(doc, &seal, &cert, &opts)
        }
    })
}

fn finish_document(
    pdf: bool,
    doc: Doc,
    seal: &Seal,
    state: Buffer,
    signature: Buffer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    let opts = sign_options(pdf, options);
    let seal = seal.inner.clone();
    let (state, signature) = (state.to_vec(), signature.to_vec());
    work(Buffer::from, move || {
        let opts = opts?;
        let (doc, _) = read_input(doc, if pdf { "pdf" } else { "ofd" })?;
        if pdf {
            common::finish_pdf(&doc, &seal, &state, &signature, &opts)
        } else {
            common::finish_ofd(doc, &seal, &state, &signature, &opts)
        }
    })
}

/// Deferred signing of a PDF, step 1 (one signature, no TSA): resolves to the digest to sign
/// with the key of `certificate` (PEM/DER Buffer or path) and the state for `finishPdf`.
#[napi(ts_return_type = "Promise<Prepared>")]
pub fn prepare_pdf(
    pdf: Doc,
    seal: &Seal,
    certificate: Doc,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<Work<common::Prepared, Prepared>> {
    prepare_document(true, pdf, seal, certificate, options)
}

/// Deferred signing of a PDF, step 2: the same PDF, seal and options, the state and the SM2
/// signature (DER or raw r‖s) of the digest; checked before the signed PDF is returned.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn finish_pdf(
    pdf: Doc,
    seal: &Seal,
    state: Buffer,
    signature: Buffer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    finish_document(true, pdf, seal, state, signature, options)
}

/// Deferred signing of an OFD, step 1: as `preparePdf`.
#[napi(ts_return_type = "Promise<Prepared>")]
pub fn prepare_ofd(
    ofd: Doc,
    seal: &Seal,
    certificate: Doc,
    options: Option<SignDocumentOptions>,
) -> AsyncTask<Work<common::Prepared, Prepared>> {
    prepare_document(false, ofd, seal, certificate, options)
}

/// Deferred signing of an OFD, step 2: as `finishPdf`.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn finish_ofd(
    ofd: Doc,
    seal: &Seal,
    state: Buffer,
    signature: Buffer,
    options: Option<SignDocumentOptions>,
) -> BufferWork {
    finish_document(false, ofd, seal, state, signature, options)
}

/// A seal picture as `eseal stamp …` writes it: PNG (transparent background), the SVG when
/// drawn from vectors, the physical size.
#[napi(object)]
pub struct StampPicture {
    pub png: Buffer,
    pub svg: Option<String>,
    pub width_mm: f64,
    pub height_mm: f64,
}

fn picture(p: eseal::stamp::Picture) -> StampPicture {
    StampPicture {
        png: p.png.into(),
        svg: p.svg,
        width_mm: p.width_mm.into(),
        height_mm: p.height_mm.into(),
    }
}

type PictureWork = AsyncTask<Work<eseal::stamp::Picture, StampPicture>>;

/// A generated unit seal: `style` a key (common, party, union, youth: round 公章; invoice:
/// 发票专用章 oval 40×30 with the 纳税人识别号 as `code`; oval: 45×30 财务/合同 oval;
/// square-finance: 方形财务专用章), `bottom` text, `code` (印章编码), `sizeMm` (round diameter
/// or square side), `font` (installed family or file), `dpi` (300).
#[napi(object)]
pub struct UnitStampOptions {
    #[napi(
        ts_type = "'common' | 'party' | 'union' | 'youth' | 'invoice' | 'oval' | 'square-finance'"
    )]
    pub style: String,
    pub name: String,
    pub bottom: Option<String>,
    pub code: Option<String>,
    pub size_mm: Option<f64>,
    pub font: Option<String>,
    pub dpi: Option<f64>,
}

/// Draws a unit seal (`eseal stamp official|oval|square`).
#[napi(ts_return_type = "Promise<StampPicture>")]
pub fn stamp_unit(options: UnitStampOptions) -> PictureWork {
    work(picture, move || {
        common::stamp_unit(&common::UnitStamp {
            style: &options.style,
            name: &options.name,
            bottom: options.bottom.as_deref(),
            code: options.code.as_deref(),
            size_mm: options.size_mm,
            font: options.font.as_deref(),
            dpi: options.dpi.unwrap_or(300.0),
        })
    })
}

/// A personal seal: `shape` square (方形章), rect (长方形章) or legal (法人章); `border`
/// (default true); `sizeMm` the square's side or the rectangle's height.
#[napi(object)]
pub struct PersonalStampOptions {
    pub name: String,
    #[napi(ts_type = "'square' | 'rect' | 'legal'")]
    pub shape: Option<String>,
    pub border: Option<bool>,
    pub size_mm: Option<f64>,
    pub font: Option<String>,
    pub dpi: Option<f64>,
}

/// Draws a personal seal (`eseal stamp personal`).
#[napi(ts_return_type = "Promise<StampPicture>")]
pub fn stamp_personal(options: PersonalStampOptions) -> PictureWork {
    work(picture, move || {
        common::stamp_personal(
            options.shape.as_deref().unwrap_or("square"),
            &options.name,
            options.border.unwrap_or(true),
            options.size_mm,
            options.font.as_deref(),
            options.dpi.unwrap_or(300.0),
        )
    })
}

/// A picture (JPEG, PNG, GIF; Buffer or path) as a seal picture (`eseal stamp import`): cut
/// to `widthMm` × `heightMm` (42), `fit` cover (default) or contain, white made transparent.
#[napi(object)]
pub struct ImportStampOptions {
    pub width_mm: Option<f64>,
    pub height_mm: Option<f64>,
    #[napi(ts_type = "'cover' | 'contain'")]
    pub fit: Option<String>,
    pub dpi: Option<f64>,
}

/// Imports a picture as a seal picture.
#[napi(ts_return_type = "Promise<StampPicture>")]
pub fn stamp_import(image: Doc, options: Option<ImportStampOptions>) -> PictureWork {
    work(picture, move || {
        let (bytes, _) = read_input(image, "image")?;
        let o = options.unwrap_or(ImportStampOptions {
            width_mm: None,
            height_mm: None,
            fit: None,
            dpi: None,
        });
        common::stamp_import(
            &bytes,
            o.width_mm.unwrap_or(42.0),
            o.height_mm.unwrap_or(42.0),
            o.fit.as_deref().unwrap_or("cover"),
            o.dpi.unwrap_or(300.0),
        )
    })
}

/// An anti-forgery QR code: `template` a URL with `{doc_id}` and `{digest}`, the document id,
/// the digest (hex in the URL), `sizeMm` (15).
#[napi(object)]
pub struct QrStampOptions {
    pub template: String,
    pub doc_id: String,
    pub digest: Buffer,
    pub size_mm: Option<f64>,
    pub dpi: Option<f64>,
}

/// Draws an anti-forgery QR code (`eseal stamp qr`).
#[napi(ts_return_type = "Promise<StampPicture>")]
pub fn stamp_qr(options: QrStampOptions) -> PictureWork {
    let digest = options.digest.to_vec();
    let (template, doc_id) = (options.template, options.doc_id);
    let (size, dpi) = (
        options.size_mm.unwrap_or(15.0),
        options.dpi.unwrap_or(300.0),
    );
    work(picture, move || {
        common::stamp_qr(&template, &doc_id, &digest, size, dpi)
    })
}

/// The installed font families that can draw a seal (for `font`).
#[napi]
pub fn stamp_fonts() -> Vec<String> {
    common::stamp_fonts()
}

/// Verifies every signature of an OFD (a Buffer or a path); rejects with
/// `ESEAL_INVALID_INPUT` when it is not one. The report's `file` is the path given.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_ofd(ofd: Doc, options: Option<VerifyOptions>) -> AsyncTask<VerifyTask> {
    verify_task(ofd, VerifyWhat::Ofd, options)
}

/// Verifies every signature of a PDF (a Buffer or a path); rejects with
/// `ESEAL_INVALID_INPUT` when it is not one, as for OFD. The report's `file` is the path given.
#[napi(ts_return_type = "Promise<Report>")]
pub fn verify_pdf(pdf: Doc, options: Option<VerifyOptions>) -> AsyncTask<VerifyTask> {
    verify_task(pdf, VerifyWhat::Pdf, options)
}

/// The library version.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
