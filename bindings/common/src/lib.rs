//! The thin layer the three bindings share, so that C, Python and Node name the same errors
//! and produce the same report. No signing or verification logic lives here: every function
//! calls one function of `eseal` and converts its inputs or outputs.
#![forbid(unsafe_code)]

use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, CryptoError, Signer, SignerError, SoftwareSigner};
use eseal::report::{DocumentFormat, Verdict, VerificationReport};
use eseal::ses::{self, DataCheck, Seal, SealBuilder, SesError};
use eseal::ukey::{SkfConfig, SkfLibrary, TokenLibrary, UkeyError, UkeySigner, UlongWidth};
pub use eseal::validation::VerifyOptions;
use std::sync::Arc;

/// What went wrong, as the bindings classify it: C status codes, Python exception classes and
/// Node `code` strings all follow from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed or unacceptable input: bad DER/PEM, a key that does not fit its certificate,
    /// an empty seal name, a NUL in a string.
    InvalidInput,
    /// A file could not be read or written.
    Io,
    /// The seal cannot sign: maker signature broken, outside its validity, signer not allowed.
    SealUnusable,
    /// Wrong UKey PIN (the message gives the tries left).
    PinIncorrect,
    PinLocked,
    NotLoggedIn,
    /// The UKey or its SKF library failed (cannot load, no device, device error).
    Device,
    /// A named thing (container, file, device) is not there.
    NotFound,
    /// Signing itself failed (random numbers, the SM2 primitive).
    Crypto,
    /// A bug: a panic caught at the boundary.
    Internal,
    /// Keyword placement: the text does not occur (on the pages asked for), or not as often
    /// as the occurrence asked for; the message names the keyword.
    KeywordNotFound,
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidInput,
        ErrorKind::Io,
        ErrorKind::SealUnusable,
        ErrorKind::PinIncorrect,
        ErrorKind::PinLocked,
        ErrorKind::NotLoggedIn,
        ErrorKind::Device,
        ErrorKind::NotFound,
        ErrorKind::Crypto,
        ErrorKind::Internal,
        ErrorKind::KeywordNotFound,
    ];

    /// The kind of a C status code (`None` for 0 and unknown codes).
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The C macro's name (`ESEAL_ERR_*`): the Node code with `ERR_` after the prefix.
    pub fn c_name(self) -> String {
        self.name().replacen("ESEAL_", "ESEAL_ERR_", 1)
    }

    /// The C status code (`ESEAL_ERR_*`); 0 is success.
    pub fn code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput => 1,
            ErrorKind::Io => 2,
            ErrorKind::SealUnusable => 3,
            ErrorKind::PinIncorrect => 4,
            ErrorKind::PinLocked => 5,
            ErrorKind::NotLoggedIn => 6,
            ErrorKind::Device => 7,
            ErrorKind::NotFound => 8,
            ErrorKind::Crypto => 9,
            ErrorKind::Internal => 10,
            ErrorKind::KeywordNotFound => 11,
        }
    }

    /// The Node `error.code` string.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "ESEAL_INVALID_INPUT",
            ErrorKind::Io => "ESEAL_IO",
            ErrorKind::SealUnusable => "ESEAL_SEAL_UNUSABLE",
            ErrorKind::PinIncorrect => "ESEAL_PIN_INCORRECT",
            ErrorKind::PinLocked => "ESEAL_PIN_LOCKED",
            ErrorKind::NotLoggedIn => "ESEAL_NOT_LOGGED_IN",
            ErrorKind::Device => "ESEAL_DEVICE",
            ErrorKind::NotFound => "ESEAL_NOT_FOUND",
            ErrorKind::Crypto => "ESEAL_CRYPTO",
            ErrorKind::Internal => "ESEAL_INTERNAL",
            ErrorKind::KeywordNotFound => "ESEAL_KEYWORD_NOT_FOUND",
        }
    }
}

/// An error with its kind and the core's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// Tries left, for [`ErrorKind::PinIncorrect`].
    pub retries_left: Option<u32>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            retries_left: None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
}

fn crypto_kind(e: &CryptoError) -> ErrorKind {
    match e {
        CryptoError::SignatureFailed | CryptoError::Random(_) => ErrorKind::Crypto,
        CryptoError::Io(_) => ErrorKind::Io,
        _ => ErrorKind::InvalidInput,
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::new(crypto_kind(&e), e.to_string())
    }
}

impl From<SignerError> for Error {
    fn from(e: SignerError) -> Self {
        let (kind, retries_left) = match &e {
            SignerError::PinIncorrect { retries_left } => {
                (ErrorKind::PinIncorrect, Some(*retries_left))
            }
            SignerError::PinLocked => (ErrorKind::PinLocked, None),
            SignerError::NotLoggedIn => (ErrorKind::NotLoggedIn, None),
            SignerError::NotSm2 => (ErrorKind::InvalidInput, None),
            SignerError::Crypto(c) => (crypto_kind(c), None),
            _ => (ErrorKind::Device, None),
        };
        Error {
            kind,
            message: e.to_string(),
            retries_left,
        }
    }
}

impl From<SesError> for Error {
    fn from(e: SesError) -> Self {
        match e {
            SesError::SealUnusable(_) => Error::new(ErrorKind::SealUnusable, e.to_string()),
            SesError::Crypto(c) => c.into(),
            SesError::Signer(s) => s.into(),
            _ => Error::new(ErrorKind::InvalidInput, e.to_string()),
        }
    }
}

impl From<UkeyError> for Error {
    fn from(e: UkeyError) -> Self {
        let (kind, retries_left) = match &e {
            UkeyError::PinIncorrect { retries_left } => {
                (ErrorKind::PinIncorrect, Some(*retries_left))
            }
            UkeyError::PinLocked => (ErrorKind::PinLocked, None),
            UkeyError::NotLoggedIn => (ErrorKind::NotLoggedIn, None),
            UkeyError::PinLength | UkeyError::PinInvalid | UkeyError::Invalid(_) => {
                (ErrorKind::InvalidInput, None)
            }
            UkeyError::NotFound(_) | UkeyError::NoDevice(_) => (ErrorKind::NotFound, None),
            UkeyError::Random(_) => (ErrorKind::Crypto, None),
            _ => (ErrorKind::Device, None),
        };
        Error {
            kind,
            message: e.to_string(),
            retries_left,
        }
    }
}

impl From<eseal::ofd::OfdError> for Error {
    fn from(e: eseal::ofd::OfdError) -> Self {
        use eseal::ofd::OfdError as O;
        match e {
            O::Ses(s) => s.into(),
            O::Signer(s) => s.into(),
            O::Io(_) | O::Write(_) => Error::new(ErrorKind::Io, e.to_string()),
            O::Keyword(_) => Error::new(ErrorKind::KeywordNotFound, e.to_string()),
            _ => Error::new(ErrorKind::InvalidInput, e.to_string()),
        }
    }
}

impl From<eseal::pdf::PdfError> for Error {
    fn from(e: eseal::pdf::PdfError) -> Self {
        use eseal::pdf::PdfError as P;
        match e {
            P::Ses(s) => s.into(),
            P::Signer(s) => s.into(),
            P::Crypto(c) => c.into(),
            P::Io { .. } | P::Write(_) => Error::new(ErrorKind::Io, e.to_string()),
            P::Layout(_) => Error::new(ErrorKind::Internal, e.to_string()),
            P::Keyword(_) => Error::new(ErrorKind::KeywordNotFound, e.to_string()),
            P::TimeStamp(_) => Error::new(ErrorKind::Io, e.to_string()),
            _ => Error::new(ErrorKind::InvalidInput, e.to_string()),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

/// Reads a file, naming it in the error.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", path.display())))
}

/// A time as text: RFC 3339, `YYYY-MM-DD HH:MM:SS` (Beijing time), as `Time::parse_lenient`.
pub fn parse_time(text: &str) -> Result<Time> {
    Time::parse_lenient(text)
        .map(|(t, _)| t)
        .map_err(|e| Error::invalid(format!("time {text:?}: {e}")))
}

/// A signer shared between threads (Python releases the GIL, Node signs on its thread pool).
pub type SharedSigner = Arc<dyn Signer>;

/// The deterministic test CA's identities by name.
pub fn test_ca_identity<'a>(
    ca: &'a TestCa,
    who: &str,
) -> Result<&'a eseal::crypto::testca::Identity> {
    match who {
        "root" => Ok(&ca.root),
        "unit" => Ok(&ca.unit),
        "person" => Ok(&ca.person),
        "server" => Ok(&ca.server),
        other => Err(Error::invalid(format!(
            "the test CA has no identity {other:?} (root, unit, person, server)"
        ))),
    }
}

/// A software signer from a key (PKCS#8 / SEC1, PEM or DER) and its certificate (PEM or DER).
pub fn software_signer(key: &[u8], cert: &[u8]) -> Result<SoftwareSigner> {
    let key = PrivateKey::parse(key)?;
    let cert = Certificate::parse(cert)?;
    Ok(SoftwareSigner::new(key, cert)?)
}

/// Where a UKey signer lives: an SKF library, a device, an application and a container.
#[derive(Debug, Clone, Default)]
pub struct UkeyParams {
    pub library: std::path::PathBuf,
    /// The device name; the first device the library lists when `None`.
    pub device: Option<String>,
    pub application: String,
    /// The container; the application's first SM2 container when `None`.
    pub container: Option<String>,
    pub pin: String,
    /// The library uses 64-bit `ULONG` (some vendor LP64 builds).
    pub ulong64: bool,
}

/// Opens a UKey container as a signer (verifies the user PIN).
pub fn ukey_signer(p: &UkeyParams) -> Result<UkeySigner> {
    let config = SkfConfig {
        ulong_width: if p.ulong64 {
            UlongWidth::U64
        } else {
            UlongWidth::U32
        },
        ..SkfConfig::default()
    };
    let lib = SkfLibrary::load_with(&p.library, config)?;
    let device = match &p.device {
        Some(d) => d.clone(),
        None => lib
            .enumerate()?
            .into_iter()
            .next()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "no UKey is present"))?,
    };
    let token = lib.connect(&device)?;
    Ok(UkeySigner::open(
        token,
        &p.application,
        p.container.as_deref(),
        &p.pin,
    )?)
}

/// What a new seal holds (GB/T 38540 §6.1), for [`create_seal`].
#[derive(Debug, Clone)]
pub struct SealParams {
    pub name: String,
    pub es_id: String,
    pub seal_type: i64,
    pub picture: Vec<u8>,
    pub width_mm: u32,
    pub height_mm: u32,
    pub valid_from: Option<Time>,
    pub valid_to: Option<Time>,
    pub vendor_id: Option<String>,
    /// Certificates allowed to sign with the seal (certList), PEM or DER.
    pub signer_certs: Vec<Certificate>,
}

impl SealParams {
    pub fn new(name: &str, es_id: &str) -> Self {
        SealParams {
            name: name.into(),
            es_id: es_id.into(),
            seal_type: ses::seal_type::UNIT,
            picture: Vec::new(),
            width_mm: 40,
            height_mm: 40,
            valid_from: None,
            valid_to: None,
            vendor_id: None,
            signer_certs: Vec::new(),
        }
    }
}

/// Makes a seal with `SealBuilder`; the maker signs it. Validity defaults to now .. +3 years.
pub fn create_seal(p: &SealParams, maker: &dyn Signer) -> Result<Seal> {
    let now = Time::now();
    let start = p.valid_from.unwrap_or(now);
    let end = p.valid_to.unwrap_or(start.add_days(3 * 365));
    let mut b = SealBuilder::new(&p.name, &p.es_id)
        .seal_type(p.seal_type)
        .picture("", p.picture.clone(), p.width_mm, p.height_mm)
        .created(now)
        .valid(start, end);
    if let Some(v) = &p.vendor_id {
        b = b.vendor_id(v);
    }
    for c in &p.signer_certs {
        b = b.signer_cert(c);
    }
    Ok(b.build(maker)?)
}

/// A seal's description as JSON (the report's `SealSummary` plus its size and certList length).
pub fn seal_info(seal: &Seal) -> serde_json::Value {
    let mut v = serde_json::to_value(seal.summary()).unwrap_or_default();
    v["size"] = seal.der().len().into();
    v["picture_bytes"] = seal.picture.data.len().into();
    v["create_date"] = seal.create_date.to_iso().into();
    v
}

/// What to sign: the data itself (its SM3 digest becomes `dataHash`) or a digest computed by
/// the caller (GB/T 38540 §7.1 `dataHash`).
#[derive(Debug, Clone, Copy)]
pub enum ToSign<'a> {
    Data(&'a [u8]),
    Digest(&'a [u8]),
}

/// Signs with `ses::sign`: returns the DER of the SES_Signature.
pub fn sign(
    seal: &Seal,
    signer: &dyn Signer,
    what: ToSign<'_>,
    property_info: &str,
    time: Option<Time>,
) -> Result<Vec<u8>> {
    let hash = match what {
        ToSign::Data(d) => eseal::crypto::sm3::sm3(d).to_vec(),
        ToSign::Digest(h) => h.to_vec(),
    };
    let sig = ses::sign(
        seal,
        signer,
        &hash,
        property_info,
        time.unwrap_or_else(Time::now),
    )?;
    Ok(sig.to_der().to_vec())
}

/// Verifies a seal on its own (`eseal seal verify`).
pub fn verify_seal(der: &[u8], name: &str, opts: &VerifyOptions) -> VerificationReport {
    let mut r = VerificationReport::new(name, DocumentFormat::Seal, opts.strict);
    r.signatures.push(ses::verify_seal_bytes(der, name, opts));
    r
}

/// What an SES_Signature's `dataHash` is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Signed<'a> {
    Data(&'a [u8]),
    Digest(&'a [u8]),
    NotAvailable,
}

/// Verifies an SES_Signature (`eseal seal verify sig.dat --data ...`).
pub fn verify_signature(
    der: &[u8],
    signed: Signed<'_>,
    name: &str,
    opts: &VerifyOptions,
) -> VerificationReport {
    let check = match signed {
        Signed::Data(d) => DataCheck::Data(d),
        Signed::Digest(h) => DataCheck::Hash(h),
        Signed::NotAvailable => DataCheck::NotAvailable,
    };
    let mut r = VerificationReport::new(name, DocumentFormat::SesSignature, opts.strict);
    r.signatures
        .push(ses::verify_signature(der, check, None, name, opts));
    r
}

/// Where a stamp shows, the same rule in every binding and both formats: page from 1
/// (default 1); OFD in millimetres from the page's top-left corner, PDF in points from the
/// lower-left corner (default 20 mm = 56.69 pt from each edge); width and height 0: the seal
/// picture's physical size. A PDF signature can instead be invisible (`invisible`); an OFD
/// seal always shows (GB/T 38540 §8.3: the stamp is the seal's appearance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// PDF only: no visible stamp (the signature field has an empty rectangle).
    pub invisible: bool,
}

/// The default position: 20 mm from the top-left (OFD) or lower-left (PDF) corner.
pub const DEFAULT_OFFSET_MM: f64 = 20.0;

/// Points per millimetre (PDF user space: 1/72 inch).
pub const PT_PER_MM: f64 = 72.0 / 25.4;

impl Stamp {
    /// The default stamp of a format: page 1, 20 mm from the corner, the picture's size.
    pub fn default_for(pdf: bool) -> Self {
        let offset = if pdf {
            DEFAULT_OFFSET_MM * PT_PER_MM
        } else {
            DEFAULT_OFFSET_MM
        };
        Stamp {
            page: 1,
            x: offset,
            y: offset,
            width: 0.0,
            height: 0.0,
            invisible: false,
        }
    }
}

/// A page number given by a caller (any integer type of the binding): 1 or more.
pub fn page_number(page: i64) -> Result<u32> {
    if page < 1 {
        return Err(Error::invalid(format!(
            "page {page}: pages are numbered from 1"
        )));
    }
    u32::try_from(page).map_err(|_| Error::invalid(format!("page {page} is out of range")))
}

/// A position or size given by a caller: a finite number, not negative.
pub fn length(value: f64, what: &str) -> Result<f64> {
    if !value.is_finite() || value < 0.0 {
        return Err(Error::invalid(format!(
            "{what} {value}: give a finite number, 0 or more"
        )));
    }
    Ok(value)
}

/// The shape of a PDF signature (`eseal pdf sign --format`): a GB/T 38540 SES_Signature with
/// the seal under `/SubFilter /GB38540`, or SM2 CMS SignedData (`adbe.pkcs7.detached`) with
/// PKCS#7 or GM/T 0010 object identifiers, the seal's picture as its stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PdfShape {
    #[default]
    Ses,
    Sm2Cms,
    Sm2CmsGm,
}

impl std::str::FromStr for PdfShape {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ses" => Ok(PdfShape::Ses),
            "sm2-cms" => Ok(PdfShape::Sm2Cms),
            "sm2-cms-gm" => Ok(PdfShape::Sm2CmsGm),
            "pades" => Err(Error::invalid(
                "shape \"pades\" needs an ECDSA P-256 or RSA key, which the bindings do not take \
                 yet: use `eseal pdf sign --format pades`",
            )),
            other => Err(Error::invalid(format!(
                "shape {other:?}: \"ses\", \"sm2-cms\" or \"sm2-cms-gm\" expected"
            ))),
        }
    }
}

/// Stamps over the occurrences of a text (`--keyword`): the search and the stamp's size in mm
/// (0: the seal picture's).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeywordStamp {
    pub keyword: eseal::placement::Keyword,
    pub width_mm: f64,
    pub height_mm: f64,
}

impl KeywordStamp {
    /// The stamp size: as given, else the seal picture's declared size (40 mm when absent).
    fn size_mm(&self, seal: &Seal) -> (f64, f64) {
        let or = |v: f64, declared: i64| {
            if v > 0.0 {
                v
            } else if declared > 0 {
                declared as f64
            } else {
                40.0
            }
        };
        (
            or(self.width_mm, seal.picture.width_mm),
            or(self.height_mm, seal.picture.height_mm),
        )
    }
}

/// A cross-page seal (骑缝章): pages, edge, position along it and minimum slice as
/// `eseal::placement::CrossPage`; size in mm (0: the seal picture's).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrossPageStamp {
    pub layout: eseal::placement::CrossPage,
    pub width_mm: f64,
    pub height_mm: f64,
}

impl CrossPageStamp {
    /// From the options as every binding takes them: pages (`all`, `odd`, `even`, `N-M`,
    /// `N,M,…`), edge (`right`, `left`, `top`, `bottom`), position along the edge and minimum
    /// slice width in mm.
    pub fn from_options(
        pages: &str,
        edge: &str,
        along_mm: Option<f64>,
        min_slice_mm: Option<f64>,
        width_mm: f64,
        height_mm: f64,
    ) -> Result<Self> {
        let placement = |e: eseal::placement::PlacementError| Error::invalid(e.to_string());
        Ok(CrossPageStamp {
            layout: eseal::placement::CrossPage {
                pages: eseal::placement::PageSet::parse(pages).map_err(placement)?,
                edge: edge.parse().map_err(placement)?,
                along_mm: along_mm
                    .map(|v| length(v, "cross-page position"))
                    .transpose()?,
                min_slice_mm: min_slice_mm
                    .map(|v| length(v, "minimum slice width"))
                    .transpose()?,
            },
            width_mm: length(width_mm, "cross-page width")?,
            height_mm: length(height_mm, "cross-page height")?,
        })
    }
}

/// Builds a keyword search from the options as every binding takes them
/// (`eseal::placement::Keyword::from_options`); the size in mm, 0 for the picture's.
pub fn keyword_stamp(
    text: &str,
    occurrence: &str,
    pages: &str,
    anchor: &str,
    offset_mm: (f64, f64),
    size_mm: (f64, f64),
) -> Result<KeywordStamp> {
    let keyword = eseal::placement::Keyword::from_options(
        text,
        occurrence,
        pages,
        anchor,
        offset_mm.0,
        offset_mm.1,
    )
    .map_err(|e| Error::invalid(e.to_string()))?;
    Ok(KeywordStamp {
        keyword,
        width_mm: length(size_mm.0, "keyword stamp width")?,
        height_mm: length(size_mm.1, "keyword stamp height")?,
    })
}

/// An anti-forgery QR code picture (PNG) drawn on a page with the (first) signature; position
/// and size in the units of [`Stamp`] (PDF points, OFD mm).
#[derive(Debug, Clone, PartialEq)]
pub struct QrStamp {
    pub png: Vec<u8>,
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub size: f64,
}

/// Every signing option of `sign_pdf` / `sign_ofd`, as `eseal pdf sign` / `ofd sign` take
/// them. The bindings fill it from keyword arguments (Python), an options object (Node) or an
/// options handle (C).
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// PDF only: SES (default) or SM2 CMS.
    pub shape: PdfShape,
    /// Stamps (PDF: one signature each; OFD: all in the one signature). None of stamps,
    /// cross-page and keyword: the default stamp.
    pub stamps: Vec<Stamp>,
    pub cross_page: Option<CrossPageStamp>,
    pub keyword: Option<KeywordStamp>,
    pub qr: Option<QrStamp>,
    /// PDF only: `/Reason`, `/Location`, `/ContactInfo` of the signature dictionary
    /// (ISO 32000-1 Table 252) and the new field's `/T`.
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact: Option<String>,
    pub field_name: Option<String>,
    /// PDF only: a certification signature with DocMDP level 1, 2 or 3 (ISO 32000-1 §12.8.2.2).
    pub certify: Option<u8>,
    /// An RFC 3161 time-stamp authority (HTTP URL): `SES_Signature.timeStamp` (GB/T 38540
    /// §7.1.6).
    pub tsa: Option<String>,
    /// Signing time; now when absent.
    pub time: Option<Time>,
}

impl SignOptions {
    /// The stamps asked for, or the default stamp when nothing places the seal.
    fn stamps_or_default(&self, pdf: bool) -> Vec<Stamp> {
        if self.stamps.is_empty() && self.cross_page.is_none() && self.keyword.is_none() {
            vec![Stamp::default_for(pdf)]
        } else {
            self.stamps.clone()
        }
    }

    fn time_stamper(&self) -> Option<eseal::tsp::HttpTsa> {
        self.tsa.clone().map(|url| eseal::tsp::HttpTsa { url })
    }
}

/// Signs an OFD with a seal (GB/T 33190-2016 ch. 18, `eseal::ofd::sign`): one signature
/// whose stamps are every stamp, the cross-page seal and the keyword stamps the options ask
/// for (page 1 at 20 mm when none). Returns the new package. PDF-only options are refused.
pub fn sign_ofd(
    ofd: Vec<u8>,
    seal: &Seal,
    signer: &dyn Signer,
    opts: &SignOptions,
) -> Result<Vec<u8>> {
    ofd_step(ofd, seal, signer, opts, Step::Sign).map(Done::into_bytes)
}

/// Deferred signing of an OFD, step 1: as [`prepare_pdf`].
pub fn prepare_ofd(
    ofd: Vec<u8>,
    seal: &Seal,
    cert: &Certificate,
    opts: &SignOptions,
) -> Result<Prepared> {
    let external = eseal::deferred::External(cert.clone());
    match ofd_step(ofd, seal, &external, opts, Step::Prepare)? {
        Done::Prepared(p) => Ok((*p).into()),
        Done::Signed(_) => Err(Error::new(ErrorKind::Internal, "prepare signed")),
    }
}

/// Deferred signing of an OFD, step 2: as [`finish_pdf`].
pub fn finish_ofd(
    ofd: Vec<u8>,
    seal: &Seal,
    state: &[u8],
    signature: &[u8],
    opts: &SignOptions,
) -> Result<Vec<u8>> {
    let (pending, sig) = deferred_inputs(state, signature)?;
    let external = eseal::deferred::External(pending.certificate.clone());
    let opts = SignOptions {
        time: Some(pending.time),
        ..opts.clone()
    };
    ofd_step(ofd, seal, &external, &opts, Step::Finish(&pending, &sig)).map(Done::into_bytes)
}

fn ofd_step(
    ofd: Vec<u8>,
    seal: &Seal,
    signer: &dyn Signer,
    opts: &SignOptions,
    step: Step<'_>,
) -> Result<Done> {
    use eseal::ofd::Placement;
    if opts.shape != PdfShape::Ses {
        return Err(Error::invalid(
            "an OFD is signed with the seal (shape \"ses\"); the other shapes are for PDF",
        ));
    }
    for (given, what) in [
        (opts.reason.is_some(), "reason"),
        (opts.location.is_some(), "location"),
        (opts.contact.is_some(), "contact"),
        (opts.field_name.is_some(), "field name"),
        (opts.certify.is_some(), "certify (DocMDP)"),
    ] {
        if given {
            return Err(Error::invalid(format!(
                "{what} is a PDF signature option; an OFD signature has none"
            )));
        }
    }
    // Deferred signing hashes the source as given (`Pending::source_sm3`).
    let source = match step {
        Step::Sign => Vec::new(),
        _ => ofd.clone(),
    };
    let pkg = eseal::ofd::Package::from_bytes(ofd)?;
    let tsa = opts.time_stamper();
    let mut req = eseal::ofd::SignRequest::new(
        eseal::ofd::SignKind::Seal(seal),
        opts.time.unwrap_or_else(Time::now),
    );
    req.time_stamper = tsa.as_ref().map(|t| t as &dyn eseal::tsp::TimeStamper);
    let size = |v: f64| if v > 0.0 { Some(v) } else { None };
    for s in opts.stamps_or_default(false) {
        if s.invisible {
            return Err(Error::invalid(
                "an OFD seal always shows its stamp (GB/T 38540 §8.3): invisible is for PDF only",
            ));
        }
        req.placements.push(Placement::Stamp {
            page: s.page.max(1) as usize,
            x_mm: s.x,
            y_mm: s.y,
            width_mm: size(s.width),
            height_mm: size(s.height),
        });
    }
    if let Some(c) = &opts.cross_page {
        req.placements.push(Placement::CrossPageAt {
            layout: c.layout.clone(),
            width_mm: size(c.width_mm),
            height_mm: size(c.height_mm),
        });
    }
    if let Some(k) = &opts.keyword {
        let (w, h) = k.size_mm(seal);
        req.placements.extend(eseal::ofd::text::keyword_placements(
            &pkg, &k.keyword, w, h,
        )?);
    }
    if let Some(q) = &opts.qr {
        req.qr = Some(eseal::ofd::QrCode {
            png: q.png.clone(),
            page: q.page as usize,
            x_mm: q.x,
            y_mm: q.y,
            size_mm: q.size,
        });
    }
    match step {
        Step::Sign => Ok(Done::Signed(eseal::ofd::sign(&pkg, signer, &req)?)),
        Step::Prepare | Step::Finish(..) => {
            one_request(&[()], opts)?;
            match step {
                Step::Finish(p, sig) => {
                    Ok(Done::Signed(eseal::ofd::finish(&source, p, sig, &req)?))
                }
                _ => Ok(Done::Prepared(Box::new(eseal::ofd::prepare(
                    &source,
                    signer.certificate(),
                    &req,
                )?))),
            }
        }
    }
}

/// Verifies every signature of an OFD (`eseal::ofd::verify`). `Err` when it is not an OFD.
pub fn verify_ofd(ofd: Vec<u8>, name: &str, opts: &VerifyOptions) -> Result<VerificationReport> {
    let pkg = eseal::ofd::Package::from_bytes(ofd)?;
    Ok(eseal::ofd::verify(&pkg, name, opts)?)
}

/// The seal's picture as the PNG a visible PDF stamp draws: PNG as is; JPEG and GIF
/// converted (`stamp::import`, near-white made transparent, at the seal's size); other
/// formats (SVG, OFD) are refused with the way out.
pub fn pdf_stamp_picture(seal: &Seal) -> Result<Vec<u8>> {
    use eseal::stamp::import::{Fit, ImportOptions, import};
    let pic = &seal.picture;
    if pic.data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(pic.data.clone());
    }
    let is_jpeg = pic.data.starts_with(&[0xFF, 0xD8, 0xFF]);
    let is_gif = pic.data.starts_with(b"GIF8");
    if !(is_jpeg || is_gif) {
        return Err(Error::invalid(format!(
            "a visible PDF stamp needs a PNG, JPEG or GIF seal picture; this seal's is {} \
             (sign invisibly, or make the seal with a raster picture)",
            pic.declared_type
        )));
    }
    let mm = |v: i64| {
        if (5..=200).contains(&v) {
            v as f32
        } else {
            40.0
        }
    };
    let opts = ImportOptions {
        width_mm: mm(pic.width_mm),
        height_mm: mm(pic.height_mm),
        fit: Fit::Stretch,
        ..ImportOptions::default()
    };
    import(&pic.data, &opts)
        .map(|p| p.png)
        .map_err(|e| Error::invalid(format!("seal picture: {e}")))
}

/// Signs a PDF (`eseal::pdf::sign`, one incremental update): one signature per stamp, one
/// for the cross-page seal and one per keyword occurrence (as `eseal pdf sign` does), each in
/// the shape the options ask for; with none of these, the default stamp of [`Stamp`]. The
/// first signature carries the certification (DocMDP) and the QR code. Returns the whole
/// new file.
pub fn sign_pdf(
    pdf: &[u8],
    seal: &Seal,
    signer: &dyn Signer,
    opts: &SignOptions,
) -> Result<Vec<u8>> {
    pdf_step(pdf, seal, signer, opts, Step::Sign).map(Done::into_bytes)
}

/// Deferred signing (`eseal pdf sign --prepare`), step 1: the digest e = SM3(Z‖M) that the
/// holder of `cert`'s key signs (a UKey, an HSM) and the opaque state `finish_pdf` needs.
/// One signature; no TSA.
pub fn prepare_pdf(
    pdf: &[u8],
    seal: &Seal,
    cert: &Certificate,
    opts: &SignOptions,
) -> Result<Prepared> {
    let external = eseal::deferred::External(cert.clone());
    match pdf_step(pdf, seal, &external, opts, Step::Prepare)? {
        Done::Prepared(p) => Ok((*p).into()),
        Done::Signed(_) => Err(Error::new(ErrorKind::Internal, "prepare signed")),
    }
}

/// Deferred signing, step 2: the signed PDF with `signature` (DER or raw r‖s) of the prepared
/// digest; the same PDF, seal and options as for `prepare_pdf`. The signature is checked
/// against the prepared certificate before anything is written.
pub fn finish_pdf(
    pdf: &[u8],
    seal: &Seal,
    state: &[u8],
    signature: &[u8],
    opts: &SignOptions,
) -> Result<Vec<u8>> {
    let (pending, sig) = deferred_inputs(state, signature)?;
    let external = eseal::deferred::External(pending.certificate.clone());
    let opts = SignOptions {
        time: Some(pending.time),
        ..opts.clone()
    };
    pdf_step(pdf, seal, &external, &opts, Step::Finish(&pending, &sig)).map(Done::into_bytes)
}

fn pdf_step(
    pdf: &[u8],
    seal: &Seal,
    signer: &dyn Signer,
    opts: &SignOptions,
    step: Step<'_>,
) -> Result<Done> {
    use eseal::pdf::{Credential, Placement, SignRequest, Sm2CmsOids};
    let seal_mm = |v: f64, declared: i64| {
        if v > 0.0 {
            v
        } else {
            declared.max(1) as f64 * PT_PER_MM
        }
    };
    let mut placements = Vec::new();
    for s in opts.stamps_or_default(true) {
        placements.push(if s.invisible {
            Placement::Invisible
        } else {
            Placement::Stamp {
                page: s.page.max(1),
                x: s.x,
                y: s.y,
                width: seal_mm(s.width, seal.picture.width_mm),
                height: seal_mm(s.height, seal.picture.height_mm),
            }
        });
    }
    if let Some(c) = &opts.cross_page {
        placements.push(Placement::CrossPageAt {
            layout: c.layout.clone(),
            width: seal_mm(c.width_mm * PT_PER_MM, seal.picture.width_mm),
            height: seal_mm(c.height_mm * PT_PER_MM, seal.picture.height_mm),
        });
    }
    if let Some(k) = &opts.keyword {
        let (w, h) = k.size_mm(seal);
        placements.extend(eseal::pdf::keyword_placements(
            pdf,
            &k.keyword,
            w * PT_PER_MM,
            h * PT_PER_MM,
        )?);
    }
    if opts.field_name.is_some() && placements.len() > 1 {
        return Err(Error::invalid(format!(
            "a field name names one signature; these options make {}",
            placements.len()
        )));
    }
    let picture = if placements.iter().any(|p| *p != Placement::Invisible) {
        Some(pdf_stamp_picture(seal)?)
    } else {
        None
    };
    let certify = opts
        .certify
        .map(|p| {
            eseal::pdf::DocMdp::from_level(p).ok_or_else(|| {
                Error::invalid(format!(
                    "certify {p}: DocMDP level 1 (no changes), 2 (form filling) or 3 (annotations)"
                ))
            })
        })
        .transpose()?;
    if opts.tsa.is_some() && opts.shape != PdfShape::Ses {
        return Err(Error::invalid(
            "a TSA time-stamps a GB/T 38540 seal signature (shape \"ses\"), not SM2 CMS",
        ));
    }
    let tsa = opts.time_stamper();
    let time = opts.time.unwrap_or_else(Time::now);
    let mut requests = Vec::new();
    for (i, placement) in placements.into_iter().enumerate() {
        let credential = match opts.shape {
            PdfShape::Ses => Credential::Seal { seal, signer },
            PdfShape::Sm2Cms => Credential::Sm2Cms {
                signer,
                oids: Sm2CmsOids::Pkcs7,
            },
            PdfShape::Sm2CmsGm => Credential::Sm2Cms {
                signer,
                oids: Sm2CmsOids::GmT0010,
            },
        };
        let visible = placement != Placement::Invisible;
        let mut r = SignRequest::new(credential, placement, time);
        r.picture = if visible { picture.clone() } else { None };
        r.time_stamper = tsa.as_ref().map(|t| t as &dyn eseal::tsp::TimeStamper);
        r.reason = opts.reason.clone();
        r.location = opts.location.clone();
        r.contact_info = opts.contact.clone();
        r.field_name = opts.field_name.clone();
        if i == 0 {
            r.certify = certify;
            r.qr = opts.qr.as_ref().map(|q| eseal::pdf::QrCode {
                png: q.png.clone(),
                page: q.page,
                x: q.x,
                y: q.y,
                size: q.size,
            });
        }
        requests.push(r);
    }
    match step {
        Step::Sign => Ok(Done::Signed(eseal::pdf::sign(pdf, &requests)?)),
        Step::Prepare => Ok(Done::Prepared(Box::new(eseal::pdf::prepare(
            pdf,
            one_request(&requests, opts)?,
        )?))),
        Step::Finish(p, sig) => Ok(Done::Signed(eseal::pdf::finish(
            pdf,
            p,
            sig,
            one_request(&requests, opts)?,
        )?)),
    }
}

/// The one request of a deferred signing (it makes one signature, without a TSA).
fn one_request<'r, T>(requests: &'r [T], opts: &SignOptions) -> Result<&'r T> {
    if opts.tsa.is_some() {
        return Err(Error::invalid(
            "deferred signing takes no TSA: time-stamp the finished file's signature instead",
        ));
    }
    match requests {
        [one] => Ok(one),
        _ => Err(Error::invalid(format!(
            "deferred signing makes one signature at a time; these options make {}",
            requests.len()
        ))),
    }
}

/// What a signing call does: sign now, or either step of deferred signing.
#[derive(Clone, Copy)]
enum Step<'a> {
    Sign,
    Prepare,
    Finish(
        &'a eseal::deferred::Pending,
        &'a eseal::crypto::sm2::Signature,
    ),
}

enum Done {
    Signed(Vec<u8>),
    Prepared(Box<eseal::deferred::Pending>),
}

impl Done {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Done::Signed(b) => b,
            Done::Prepared(p) => p.to_json().into_bytes(),
        }
    }
}

/// Signs a prepared digest e (32 bytes, from `prepare_*`) with SM2 as a UKey's
/// `SKF_ECCSignData` does: returns the DER signature to give `finish_*`. This is what the
/// holder of the key does outside the signing process; here for a signer the binding holds.
pub fn sign_prepared(signer: &dyn Signer, digest: &[u8]) -> Result<Vec<u8>> {
    let e: [u8; 32] = digest
        .try_into()
        .map_err(|_| Error::invalid(format!("digest of {} bytes: e is 32", digest.len())))?;
    Ok(signer.sign_digest(&e)?.to_der())
}

/// Deferred signing, step 1's result: the 32-byte digest e = SM3(Z‖M) to sign with SM2 (a
/// UKey's `SKF_ECCSignData`) and the state to hand back to `finish` (opaque bytes: JSON with
/// the digest, the source's SM3, the signing time and the certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub digest: Vec<u8>,
    pub state: Vec<u8>,
}

impl From<eseal::deferred::Pending> for Prepared {
    fn from(p: eseal::deferred::Pending) -> Self {
        Prepared {
            digest: p.digest.to_vec(),
            state: p.to_json().into_bytes(),
        }
    }
}

fn deferred_inputs(
    state: &[u8],
    signature: &[u8],
) -> Result<(eseal::deferred::Pending, eseal::crypto::sm2::Signature)> {
    let state = std::str::from_utf8(state)
        .map_err(|_| Error::invalid("deferred state: not the bytes prepare returned"))?;
    let pending =
        eseal::deferred::Pending::from_json(state).map_err(|e| Error::invalid(e.to_string()))?;
    let (sig, _) = eseal::crypto::sm2::Signature::parse_lenient(signature)
        .map_err(|e| Error::invalid(format!("signature: {e}")))?;
    Ok((pending, sig))
}

/// Verifies every signature of a PDF (`eseal::pdf::verify`). `Err` when the input is
/// unusable (empty, not a PDF, encrypted), as for OFD; a damaged PDF is an invalid report.
pub fn verify_pdf(pdf: &[u8], name: &str, opts: &VerifyOptions) -> Result<VerificationReport> {
    Ok(eseal::pdf::verify(pdf, name, opts)?)
}

/// Which trust directory a verification reads (every `*.pem`, `*.crt`, `*.cer`, `*.der`).
#[derive(Debug, Clone, Copy)]
pub enum TrustDir<'a> {
    /// The command line's: `$ESEAL_TRUST_DIR`, else `~/.config/eseal/trust` (absent: none).
    Default,
    None,
    Path(&'a std::path::Path),
}

impl From<eseal::validation::TrustError> for Error {
    fn from(e: eseal::validation::TrustError) -> Self {
        use eseal::validation::TrustError as T;
        let kind = match e {
            T::Read { .. } => ErrorKind::Io,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, e.to_string())
    }
}

/// Adds the certificates of a trust directory as trust anchors.
pub fn add_trust_dir(opts: &mut VerifyOptions, dir: TrustDir<'_>) -> Result<()> {
    let dir = match dir {
        TrustDir::Default => eseal::validation::default_trust_dir(),
        TrustDir::None => None,
        TrustDir::Path(p) => {
            if !p.is_dir() {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("trust directory {}: not a directory", p.display()),
                ));
            }
            Some(p.to_owned())
        }
    };
    if let Some(d) = dir {
        opts.trust.add_dir(&d)?;
    }
    Ok(())
}

/// Adds every certificate of a PEM bundle or one DER certificate as a trust anchor.
pub fn add_trust(opts: &mut VerifyOptions, certs: &[u8]) -> Result<()> {
    Ok(opts.trust.add_bytes(certs)?)
}

/// The report as the command line prints it with `--json` (with `verdict`, `exit_code` and a
/// verdict per signature).
pub fn report_json(report: &VerificationReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// `valid`, `valid_with_warnings`, `intact_untrusted`, `invalid`.
pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::ValidWithWarnings => "valid_with_warnings",
        Verdict::IntactUntrusted => "intact_untrusted",
        Verdict::Invalid => "invalid",
    }
}

// ---- stamp pictures (`eseal stamp …`) ----

impl From<eseal::stamp::StampError> for Error {
    fn from(e: eseal::stamp::StampError) -> Self {
        Error::invalid(format!("stamp picture: {e}"))
    }
}

/// A font by installed family name or font file (`eseal stamp --font`); `None`: the default.
fn seal_font(font: Option<&str>) -> Result<Option<eseal::stamp::SealFont>> {
    Ok(font.map(eseal::stamp::SealFont::from_spec).transpose()?)
}

/// What a generated unit seal shows (`eseal stamp official|oval|square`): a
/// `stamp::style::SealStyle` key (common, party, union, youth, invoice, oval,
/// square-finance, or their Chinese names), the unit's name, the bottom text, the code (the
/// round seal's 印章编码, the invoice seal's 纳税人识别号), the diameter or side in mm (the
/// ovals have fixed sizes), the font family or file, the resolution.
#[derive(Debug, Clone)]
pub struct UnitStamp<'a> {
    pub style: &'a str,
    pub name: &'a str,
    pub bottom: Option<&'a str>,
    pub code: Option<&'a str>,
    pub size_mm: Option<f64>,
    pub font: Option<&'a str>,
    pub dpi: f64,
}

/// Draws a unit seal (`stamp::style::UnitSeal`): PNG with its SVG.
pub fn stamp_unit(u: &UnitStamp<'_>) -> Result<eseal::stamp::Picture> {
    use eseal::stamp::style::{SealStyle, UnitSeal};
    let seal = UnitSeal {
        bottom: u.bottom.map(|b| b.replace("\\n", "\n")),
        code: u.code.map(str::to_owned),
        size_mm: u.size_mm.map(|v| v as f32),
        dpi: u.dpi as f32,
        font: seal_font(u.font)?,
        ..UnitSeal::new(SealStyle::from_key(u.style)?, u.name)
    };
    Ok(seal.render()?)
}

/// Draws a personal seal (`eseal stamp personal`): shape `square`, `rect` or `legal` (法人章),
/// with or without its frame, side (square) or height (rectangles) in mm.
pub fn stamp_personal(
    shape: &str,
    name: &str,
    border: bool,
    size_mm: Option<f64>,
    font: Option<&str>,
    dpi: f64,
) -> Result<eseal::stamp::Picture> {
    use eseal::stamp::personal::{PersonalSeal, PersonalShape};
    let seal = PersonalSeal {
        border,
        size_mm: size_mm.map(|v| v as f32),
        dpi: dpi as f32,
        font: seal_font(font)?,
        ..PersonalSeal::new(PersonalShape::from_key(shape)?, name)
    };
    Ok(seal.render()?)
}

/// A scanned or photographed seal (JPEG, PNG, GIF) as a seal picture (`eseal stamp import`):
/// cut to `width_mm` × `height_mm` (`fit` `cover` or `contain`), white made transparent.
pub fn stamp_import(
    bytes: &[u8],
    width_mm: f64,
    height_mm: f64,
    fit: &str,
    dpi: f64,
) -> Result<eseal::stamp::Picture> {
    use eseal::stamp::import::{Fit, ImportOptions, import};
    let opts = ImportOptions {
        width_mm: width_mm as f32,
        height_mm: height_mm as f32,
        dpi: dpi as f32,
        fit: Fit::from_key(fit)?,
        ..Default::default()
    };
    Ok(import(bytes, &opts)?)
}

/// An anti-forgery QR code (`eseal stamp qr`): the URL `template` with `{doc_id}` and
/// `{digest}` (hex) filled in, `size_mm` square.
pub fn stamp_qr(
    template: &str,
    doc_id: &str,
    digest: &[u8],
    size_mm: f64,
    dpi: f64,
) -> Result<eseal::stamp::Picture> {
    use eseal::stamp::qr::AntiForgeryQr;
    let qr = AntiForgeryQr {
        template: template.to_owned(),
        doc_id: doc_id.to_owned(),
        digest: digest.to_vec(),
        size_mm: size_mm as f32,
        dpi: dpi as f32,
        ..Default::default()
    };
    Ok(qr.render()?)
}

/// The font families installed that can draw a seal (`eseal stamp fonts`).
pub fn stamp_fonts() -> Vec<String> {
    eseal::stamp::SealFont::installed_families()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_and_ofd_round_trip() {
        let ca = TestCa::new("common").unwrap();
        let mut p = SealParams::new("测试章", "1");
        p.picture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../vectors/ses/picture-8x8.png"
        ))
        .unwrap();
        p.signer_certs.push(ca.person.cert.clone());
        let seal = create_seal(&p, &ca.unit.signer()).unwrap();
        let mut cfg = VerifyOptions::default();
        add_trust(&mut cfg, ca.root.cert.to_pem().as_bytes()).unwrap();
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../vectors/bindings/plain.pdf"
        ))
        .unwrap();
        let opts = SignOptions {
            stamps: vec![Stamp {
                width: 60.0,
                height: 60.0,
                ..Stamp::default_for(true)
            }],
            ..Default::default()
        };
        let signed = sign_pdf(&pdf, &seal, &ca.person.signer(), &opts).unwrap();
        let r = verify_pdf(&signed, "p.pdf", &cfg).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        let untrusted = verify_pdf(&signed, "p.pdf", &VerifyOptions::default()).unwrap();
        assert_eq!(untrusted.verdict(), Verdict::IntactUntrusted);
        assert_eq!(report_json(&untrusted)["verdict"], "intact_untrusted");
        assert_eq!(report_json(&untrusted)["exit_code"], 3);
        assert_eq!(
            verify_pdf(b"junk", "j", &cfg).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
        let ofd = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../vectors/bindings/plain.ofd"
        ))
        .unwrap();
        let signed = sign_ofd(
            ofd.clone(),
            &seal,
            &ca.person.signer(),
            &SignOptions::default(),
        )
        .unwrap();
        let r = verify_ofd(signed, "p.ofd", &cfg).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        assert_eq!(
            verify_ofd(b"junk".to_vec(), "j", &cfg).unwrap_err().kind,
            ErrorKind::InvalidInput
        );

        // Deferred: prepare → e signed outside → finish, both formats; a wrong signature and
        // changed options are refused.
        let person = ca.person.signer();
        let opts = SignOptions {
            reason: Some("同意".into()),
            ..Default::default()
        };
        let p = prepare_pdf(&pdf, &seal, &ca.person.cert, &opts).unwrap();
        let sig = sign_prepared(&person, &p.digest).unwrap();
        let signed = finish_pdf(&pdf, &seal, &p.state, &sig, &opts).unwrap();
        let r = verify_pdf(&signed, "p.pdf", &cfg).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        let moved = SignOptions {
            stamps: vec![Stamp {
                x: 100.0,
                ..Stamp::default_for(true)
            }],
            ..opts.clone()
        };
        assert!(finish_pdf(&pdf, &seal, &p.state, &sig, &moved).is_err());
        let wrong = sign_prepared(&ca.unit.signer(), &p.digest).unwrap();
        assert!(finish_pdf(&pdf, &seal, &p.state, &wrong, &opts).is_err());
        let none = SignOptions::default();
        let p = prepare_ofd(ofd.clone(), &seal, &ca.person.cert, &none).unwrap();
        let sig = sign_prepared(&person, &p.digest).unwrap();
        let signed = finish_ofd(ofd.clone(), &seal, &p.state, &sig, &none).unwrap();
        let r = verify_ofd(signed, "p.ofd", &cfg).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());

        // Keyword placement: found in both formats; absent is its own kind.
        let kw = |text: &str| SignOptions {
            keyword: Some(
                keyword_stamp(text, "all", "all", "centre", (0.0, 0.0), (20.0, 20.0)).unwrap(),
            ),
            ..Default::default()
        };
        assert!(sign_pdf(&pdf, &seal, &person, &kw("bindings")).is_ok());
        assert!(sign_ofd(ofd.clone(), &seal, &person, &kw("bindings")).is_ok());
        for e in [
            sign_pdf(&pdf, &seal, &person, &kw("甲方")).unwrap_err(),
            sign_ofd(ofd.clone(), &seal, &person, &kw("甲方")).unwrap_err(),
        ] {
            assert_eq!(e.kind, ErrorKind::KeywordNotFound, "{}", e.message);
            assert!(e.message.contains("甲方"));
        }
    }

    #[test]
    fn errors_keep_the_core_message_and_kind() {
        let e: Error = Seal::from_der(b"not a seal").unwrap_err().into();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(!e.message.is_empty());
        let e: Error = SignerError::PinIncorrect { retries_left: 4 }.into();
        assert_eq!((e.kind, e.retries_left), (ErrorKind::PinIncorrect, Some(4)));
        assert!(e.message.contains('4'));
    }

    #[test]
    fn codes_and_names_round_trip() {
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(k.code()), Some(k));
            assert!(k.c_name().starts_with("ESEAL_ERR_") && k.name().starts_with("ESEAL_"));
        }
        assert_eq!(ErrorKind::from_code(0), None);
        assert_eq!(ErrorKind::SealUnusable.c_name(), "ESEAL_ERR_SEAL_UNUSABLE");
    }

    #[test]
    fn bad_pages_and_lengths_are_invalid_input() {
        assert_eq!(page_number(1).unwrap(), 1);
        for p in [0, -1, i64::from(u32::MAX) + 1] {
            assert_eq!(page_number(p).unwrap_err().kind, ErrorKind::InvalidInput);
        }
        assert!(length(f64::NAN, "x").is_err() && length(-1.0, "x").is_err());
    }
}
