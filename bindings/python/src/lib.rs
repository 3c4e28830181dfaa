//! `import eseal`: the Python skin over the eseal core. Converts types and errors only; the
//! GIL is released while signing and verifying.

use eseal::crypto::testca::TestCa as CoreTestCa;
use eseal::report::VerificationReport;
use eseal::ses::Seal as CoreSeal;
use eseal_bindings_common::{
    self as common, ErrorKind, SealParams, SharedSigner, Signed, ToSign, UkeyParams, VerifyOptions,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList};
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(
    eseal,
    Error,
    PyException,
    "Base class of every error eseal raises."
);
create_exception!(
    eseal,
    InvalidInput,
    Error,
    "Malformed or unacceptable input (bad DER/PEM, a key for another certificate, ...)."
);
create_exception!(
    eseal,
    FileError,
    Error,
    "A file could not be read or written by the core."
);
create_exception!(
    eseal,
    SealUnusable,
    Error,
    "The seal cannot sign: broken maker signature, outside its validity, signer not in its certList."
);
create_exception!(
    eseal,
    PinIncorrect,
    Error,
    "Wrong UKey PIN; `retries_left` says how many tries remain."
);
create_exception!(eseal, PinLocked, Error, "The UKey PIN is locked.");
create_exception!(eseal, NotLoggedIn, Error, "The UKey is not logged in.");
create_exception!(
    eseal,
    DeviceError,
    Error,
    "The UKey or its SKF library failed."
);
create_exception!(
    eseal,
    NotFound,
    Error,
    "A UKey device, container or file is not there."
);
create_exception!(
    eseal,
    CryptoError,
    Error,
    "Signing failed in the cryptography."
);
create_exception!(eseal, InternalError, Error, "A bug in eseal.");

fn to_py(e: common::Error) -> PyErr {
    let err = match e.kind {
        ErrorKind::InvalidInput => InvalidInput::new_err(e.message),
        ErrorKind::Io => FileError::new_err(e.message),
        ErrorKind::SealUnusable => SealUnusable::new_err(e.message),
        ErrorKind::PinIncorrect => PinIncorrect::new_err(e.message),
        ErrorKind::PinLocked => PinLocked::new_err(e.message),
        ErrorKind::NotLoggedIn => NotLoggedIn::new_err(e.message),
        ErrorKind::Device => DeviceError::new_err(e.message),
        ErrorKind::NotFound => NotFound::new_err(e.message),
        ErrorKind::Crypto => CryptoError::new_err(e.message),
        ErrorKind::Internal => InternalError::new_err(e.message),
    };
    if let Some(n) = e.retries_left {
        Python::attach(|py| {
            let _ = err.value(py).setattr("retries_left", n);
        });
    }
    err
}

trait IntoPy<T> {
    fn py(self) -> PyResult<T>;
}

impl<T, E: Into<common::Error>> IntoPy<T> for Result<T, E> {
    fn py(self) -> PyResult<T> {
        self.map_err(|e| to_py(e.into()))
    }
}

/// Bytes from `bytes`, `bytearray` or `memoryview`; a `str` or `os.PathLike` is a file to
/// read, except a `str` holding a PEM block (`-----BEGIN`), which is the content itself.
fn input(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.extract::<String>()
        && s.contains("-----BEGIN ")
    {
        return Ok(s.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(path) = obj.extract::<PathBuf>() {
        return Ok(std::fs::read(&path)?);
    }
    if let Ok(v) = obj.extract::<Vec<u8>>() {
        return Ok(v);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes or a path (str or os.PathLike), not {}",
        obj.get_type().name()?
    )))
}

fn trust_config(
    trust: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<VerifyOptions> {
    let mut cfg = VerifyOptions {
        strict,
        ..Default::default()
    };
    if let Some(t) = trust {
        let items: Vec<Bound<'_, PyAny>> =
            if t.cast::<PyList>().is_ok() || t.cast::<pyo3::types::PyTuple>().is_ok() {
                t.try_iter()?.collect::<PyResult<_>>()?
            } else {
                vec![t.clone()]
            };
        for item in items {
            common::add_trust(&mut cfg, &input(&item, "trust")?).py()?;
        }
    }
    if let Some(at) = at {
        cfg.at = common::parse_time(at).py()?;
    }
    Ok(cfg)
}

/// The deterministic test CA (tests and demos only).
#[pyclass(module = "eseal", frozen)]
struct TestCa {
    inner: CoreTestCa,
}

#[pymethods]
impl TestCa {
    #[new]
    fn new(seed: &str) -> PyResult<Self> {
        Ok(TestCa {
            inner: CoreTestCa::new(seed).py()?,
        })
    }
    fn signer(&self, who: &str) -> PyResult<Signer> {
        let id = common::test_ca_identity(&self.inner, who).py()?;
        Ok(Signer {
            inner: Arc::new(id.signer()),
        })
    }
    fn cert_pem(&self, who: &str) -> PyResult<String> {
        Ok(common::test_ca_identity(&self.inner, who)
            .py()?
            .cert
            .to_pem())
    }
    fn key_pem(&self, who: &str) -> PyResult<String> {
        Ok(common::test_ca_identity(&self.inner, who)
            .py()?
            .key
            .to_pkcs8_pem())
    }
    #[getter]
    fn root_cert_pem(&self) -> String {
        self.inner.root.cert.to_pem()
    }
}

/// A signer: a software key or a UKey container.
#[pyclass(module = "eseal", frozen)]
struct Signer {
    inner: SharedSigner,
}

#[pymethods]
impl Signer {
    #[staticmethod]
    fn from_pem(key: &Bound<'_, PyAny>, cert: &Bound<'_, PyAny>) -> PyResult<Signer> {
        let s = common::software_signer(&input(key, "key")?, &input(cert, "cert")?).py()?;
        Ok(Signer { inner: Arc::new(s) })
    }
    #[staticmethod]
    #[pyo3(signature = (library, pin, *, application, device=None, container=None, ulong64=false))]
    fn from_ukey(
        py: Python<'_>,
        library: PathBuf,
        pin: String,
        application: String,
        device: Option<String>,
        container: Option<String>,
        ulong64: bool,
    ) -> PyResult<Signer> {
        let p = UkeyParams {
            library,
            device,
            application,
            container,
            pin,
            ulong64,
        };
        let s = py.detach(|| common::ukey_signer(&p)).py()?;
        Ok(Signer { inner: Arc::new(s) })
    }
    #[getter]
    fn certificate_pem(&self) -> String {
        self.inner.certificate().to_pem()
    }
    #[getter]
    fn subject(&self) -> String {
        self.inner.certificate().subject_string()
    }
    fn __repr__(&self) -> String {
        format!(
            "<eseal.Signer {}>",
            self.inner.certificate().subject_string()
        )
    }
}

/// A seal (SESeal v1, v4 or v5).
#[pyclass(module = "eseal", frozen)]
struct Seal {
    inner: Arc<CoreSeal>,
}

#[pymethods]
impl Seal {
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Seal {
            inner: Arc::new(CoreSeal::from_der(&input(data, "seal")?).py()?),
        })
    }

    #[staticmethod]
    #[pyo3(signature = (name, es_id, *, maker, picture, signers=Vec::new(), width_mm=40, height_mm=40, seal_type=1, valid_from=None, valid_to=None, vendor_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        py: Python<'_>,
        name: &str,
        es_id: &str,
        maker: &Signer,
        picture: &Bound<'_, PyAny>,
        signers: Vec<Bound<'_, PyAny>>,
        width_mm: u32,
        height_mm: u32,
        seal_type: i64,
        valid_from: Option<&str>,
        valid_to: Option<&str>,
        vendor_id: Option<String>,
    ) -> PyResult<Seal> {
        let mut p = SealParams::new(name, es_id);
        p.picture = input(picture, "picture")?;
        p.width_mm = width_mm;
        p.height_mm = height_mm;
        p.seal_type = seal_type;
        p.valid_from = valid_from.map(common::parse_time).transpose().py()?;
        p.valid_to = valid_to.map(common::parse_time).transpose().py()?;
        p.vendor_id = vendor_id;
        for s in signers {
            if let Ok(signer) = s.cast::<Signer>() {
                p.signer_certs
                    .push(signer.get().inner.certificate().clone());
            } else {
                p.signer_certs
                    .push(eseal::crypto::Certificate::parse(&input(&s, "signers")?).py()?);
            }
        }
        let maker = maker.inner.clone();
        let seal = py.detach(|| common::create_seal(&p, maker.as_ref())).py()?;
        Ok(Seal {
            inner: Arc::new(seal),
        })
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }
    fn save(&self, path: PathBuf) -> PyResult<()> {
        eseal::fs::write_atomic(&path, &[self.inner.der()])
            .map_err(|e| FileError::new_err(e.to_string()))
    }
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &common::seal_info(&self.inner))
    }
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }
    #[getter]
    fn es_id(&self) -> String {
        self.inner.es_id.clone()
    }
    #[getter]
    fn version(&self) -> String {
        self.inner.version.label().to_owned()
    }
    #[getter]
    fn seal_type(&self) -> i64 {
        self.inner.seal_type
    }
    #[getter]
    fn valid_start(&self) -> String {
        self.inner.valid_start.to_iso()
    }
    #[getter]
    fn valid_end(&self) -> String {
        self.inner.valid_end.to_iso()
    }
    #[getter]
    fn picture<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.picture.data)
    }
    fn __repr__(&self) -> String {
        format!(
            "<eseal.Seal {} {:?} {}>",
            self.inner.es_id,
            self.inner.name,
            self.inner.version.label()
        )
    }
}

fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (v.to_string(),))
}

/// A verification report: the verdict, the exit code of the command-line contract, and every
/// check with what it looked at and why it failed.
#[pyclass(module = "eseal", frozen)]
struct Report {
    inner: VerificationReport,
}

#[pymethods]
impl Report {
    /// "valid", "valid_with_warnings", "intact_untrusted" (intact, signer not trusted) or
    /// "invalid".
    #[getter]
    fn verdict(&self) -> &'static str {
        common::verdict_name(self.inner.verdict())
    }
    #[getter]
    fn exit_code(&self) -> i32 {
        self.inner.exit_code()
    }
    #[getter]
    fn valid(&self) -> bool {
        self.inner.exit_code() == 0
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &common::report_json(&self.inner))
    }
    fn to_json(&self) -> String {
        common::report_json(&self.inner).to_string()
    }
    fn to_text(&self) -> String {
        self.inner.to_text()
    }
    fn __bool__(&self) -> bool {
        self.valid()
    }
    fn __repr__(&self) -> String {
        format!(
            "<eseal.Report {} {}>",
            self.inner.format,
            common::verdict_name(self.inner.verdict())
        )
    }
}

fn sign_common(
    py: Python<'_>,
    seal: &Seal,
    signer: &Signer,
    input_bytes: Vec<u8>,
    digest: bool,
    property_info: &str,
    time: Option<&str>,
) -> PyResult<Py<PyBytes>> {
    let time = time.map(common::parse_time).transpose().py()?;
    let (seal, signer) = (seal.inner.clone(), signer.inner.clone());
    let der = py
        .detach(|| {
            let what = if digest {
                ToSign::Digest(&input_bytes)
            } else {
                ToSign::Data(&input_bytes)
            };
            common::sign(&seal, signer.as_ref(), what, property_info, time)
        })
        .py()?;
    Ok(PyBytes::new(py, &der).unbind())
}

/// Signs `data` with `seal`: returns the DER SES_Signature (dataHash = SM3(data)).
#[pyfunction]
#[pyo3(signature = (seal, signer, data, *, property_info="", time=None))]
fn sign_data(
    py: Python<'_>,
    seal: &Seal,
    signer: &Signer,
    data: &Bound<'_, PyAny>,
    property_info: &str,
    time: Option<&str>,
) -> PyResult<Py<PyBytes>> {
    sign_common(
        py,
        seal,
        signer,
        input(data, "data")?,
        false,
        property_info,
        time,
    )
}

/// Signs a digest the caller computed (it becomes dataHash as is).
#[pyfunction]
#[pyo3(signature = (seal, signer, digest, *, property_info="", time=None))]
fn sign_digest(
    py: Python<'_>,
    seal: &Seal,
    signer: &Signer,
    digest: &Bound<'_, PyAny>,
    property_info: &str,
    time: Option<&str>,
) -> PyResult<Py<PyBytes>> {
    let digest = if let Ok(b) = digest.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else {
        input(digest, "digest")?
    };
    sign_common(py, seal, signer, digest, true, property_info, time)
}

/// Verifies a seal on its own.
#[pyfunction]
#[pyo3(signature = (seal, *, trust=None, at=None, strict=false))]
fn verify_seal(
    py: Python<'_>,
    seal: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let der = match seal.cast::<Seal>() {
        Ok(s) => s.get().inner.der().to_vec(),
        Err(_) => input(seal, "seal")?,
    };
    let cfg = trust_config(trust, at, strict)?;
    let report = py.detach(|| common::verify_seal(&der, "seal", &cfg));
    Ok(Report { inner: report })
}

/// Verifies an SES_Signature against the signed `data` or its `digest`.
#[pyfunction]
#[pyo3(signature = (signature, *, data=None, digest=None, trust=None, at=None, strict=false))]
fn verify_signature(
    py: Python<'_>,
    signature: &Bound<'_, PyAny>,
    data: Option<&Bound<'_, PyAny>>,
    digest: Option<&Bound<'_, PyAny>>,
    trust: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let sig = input(signature, "signature")?;
    let data = data.map(|d| input(d, "data")).transpose()?;
    let digest = digest.map(|d| input(d, "digest")).transpose()?;
    if data.is_some() && digest.is_some() {
        return Err(InvalidInput::new_err("give data or digest, not both"));
    }
    let cfg = trust_config(trust, at, strict)?;
    let report = py.detach(|| {
        let signed = match (&data, &digest) {
            (Some(d), _) => Signed::Data(d),
            (_, Some(h)) => Signed::Digest(h),
            _ => Signed::NotAvailable,
        };
        common::verify_signature(&sig, signed, "signature", &cfg)
    });
    Ok(Report { inner: report })
}

fn stamp(page: Option<u32>, x: f64, y: f64, width: f64, height: f64) -> Option<common::Stamp> {
    page.map(|page| common::Stamp {
        page,
        x,
        y,
        width,
        height,
    })
}

/// Signs an OFD with `seal`: returns the signed OFD's bytes.
#[pyfunction]
#[pyo3(signature = (ofd, seal, signer, *, page=None, x=20.0, y=20.0, width=0.0, height=0.0, time=None))]
#[allow(clippy::too_many_arguments)]
fn sign_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    seal: &Seal,
    signer: &Signer,
    page: Option<u32>,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    time: Option<&str>,
) -> PyResult<Py<PyBytes>> {
    let doc = input(ofd, "ofd")?;
    let time = time.map(common::parse_time).transpose().py()?;
    let (seal, signer) = (seal.inner.clone(), signer.inner.clone());
    let st = stamp(page, x, y, width, height);
    let out = py
        .detach(|| common::sign_ofd(doc, &seal, signer.as_ref(), st, time))
        .py()?;
    Ok(PyBytes::new(py, &out).unbind())
}

/// Signs a PDF with `seal` (incremental update): returns the whole signed PDF.
#[pyfunction]
#[pyo3(signature = (pdf, seal, signer, *, page=None, x=0.0, y=0.0, width=0.0, height=0.0, time=None))]
#[allow(clippy::too_many_arguments)]
fn sign_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    seal: &Seal,
    signer: &Signer,
    page: Option<u32>,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    time: Option<&str>,
) -> PyResult<Py<PyBytes>> {
    let doc = input(pdf, "pdf")?;
    let time = time.map(common::parse_time).transpose().py()?;
    let (seal, signer) = (seal.inner.clone(), signer.inner.clone());
    let st = stamp(page, x, y, width, height);
    let out = py
        .detach(|| common::sign_pdf(&doc, &seal, signer.as_ref(), st, time))
        .py()?;
    Ok(PyBytes::new(py, &out).unbind())
}

/// Verifies every signature of an OFD. Raises `InvalidInput` when it is not an OFD package.
#[pyfunction]
#[pyo3(signature = (ofd, *, trust=None, at=None, strict=false))]
fn verify_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let doc = input(ofd, "ofd")?;
    let cfg = trust_config(trust, at, strict)?;
    let report = py
        .detach(|| common::verify_ofd(doc, "document.ofd", &cfg))
        .py()?;
    Ok(Report { inner: report })
}

/// Verifies every signature of a PDF.
#[pyfunction]
#[pyo3(signature = (pdf, *, trust=None, at=None, strict=false))]
fn verify_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let doc = input(pdf, "pdf")?;
    let cfg = trust_config(trust, at, strict)?;
    let report = py
        .detach(|| common::verify_pdf(&doc, "document.pdf", &cfg))
        .py()?;
    Ok(Report { inner: report })
}

#[pymodule]
fn _eseal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<TestCa>()?;
    m.add_class::<Signer>()?;
    m.add_class::<Seal>()?;
    m.add_class::<Report>()?;
    m.add_function(wrap_pyfunction!(sign_data, m)?)?;
    m.add_function(wrap_pyfunction!(sign_digest, m)?)?;
    m.add_function(wrap_pyfunction!(verify_seal, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(sign_ofd, m)?)?;
    m.add_function(wrap_pyfunction!(sign_pdf, m)?)?;
    m.add_function(wrap_pyfunction!(verify_ofd, m)?)?;
    m.add_function(wrap_pyfunction!(verify_pdf, m)?)?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("FileError", py.get_type::<FileError>())?;
    m.add("SealUnusable", py.get_type::<SealUnusable>())?;
    m.add("PinIncorrect", py.get_type::<PinIncorrect>())?;
    m.add("PinLocked", py.get_type::<PinLocked>())?;
    m.add("NotLoggedIn", py.get_type::<NotLoggedIn>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("CryptoError", py.get_type::<CryptoError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}
