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
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 10] = [
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

/// Signs an OFD with a seal (GB/T 33190-2016 ch. 18, `eseal::ofd::sign`): returns the new package.
pub fn sign_ofd(
    ofd: Vec<u8>,
    seal: &Seal,
    signer: &dyn Signer,
    stamp: Option<Stamp>,
    time: Option<Time>,
) -> Result<Vec<u8>> {
    let pkg = eseal::ofd::Package::from_bytes(ofd)?;
    let mut req = eseal::ofd::SignRequest::new(
        eseal::ofd::SignKind::Seal(seal),
        time.unwrap_or_else(Time::now),
    );
    let s = stamp.unwrap_or(Stamp::default_for(false));
    if s.invisible {
        return Err(Error::invalid(
            "an OFD seal always shows its stamp (GB/T 38540 §8.3): invisible is for PDF only",
        ));
    }
    let size = |v: f64| if v > 0.0 { Some(v) } else { None };
    req.placements.push(eseal::ofd::Placement::Stamp {
        page: s.page.max(1) as usize,
        x_mm: s.x,
        y_mm: s.y,
        width_mm: size(s.width),
        height_mm: size(s.height),
    });
    Ok(eseal::ofd::sign(&pkg, signer, &req)?)
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

/// Signs a PDF with a seal (an SES_Signature under `/SubFilter /GB38540`, `eseal::pdf::sign`)
/// as an incremental update: returns the whole new file. The stamp defaults as [`Stamp`] says.
pub fn sign_pdf(
    pdf: &[u8],
    seal: &Seal,
    signer: &dyn Signer,
    stamp: Option<Stamp>,
    time: Option<Time>,
) -> Result<Vec<u8>> {
    use eseal::pdf::{Credential, Placement, SignRequest};
    let s = stamp.unwrap_or(Stamp::default_for(true));
    let (placement, picture) = if s.invisible {
        (Placement::Invisible, None)
    } else {
        let mm = |v: f64, declared: i64| {
            if v > 0.0 {
                v
            } else {
                declared.max(1) as f64 * PT_PER_MM
            }
        };
        let placement = Placement::Stamp {
            page: s.page.max(1),
            x: s.x,
            y: s.y,
            width: mm(s.width, seal.picture.width_mm),
            height: mm(s.height, seal.picture.height_mm),
        };
        (placement, Some(pdf_stamp_picture(seal)?))
    };
    let mut req = SignRequest::new(
        Credential::Seal { seal, signer },
        placement,
        time.unwrap_or_else(Time::now),
    );
    req.picture = picture;
    Ok(eseal::pdf::sign(pdf, &[req])?)
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
        let signed = sign_pdf(
            &pdf,
            &seal,
            &ca.person.signer(),
            Some(Stamp {
                width: 60.0,
                height: 60.0,
                ..Stamp::default_for(true)
            }),
            None,
        )
        .unwrap();
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
        let signed = sign_ofd(ofd, &seal, &ca.person.signer(), None, None).unwrap();
        let r = verify_ofd(signed, "p.ofd", &cfg).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        assert_eq!(
            verify_ofd(b"junk".to_vec(), "j", &cfg).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
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
