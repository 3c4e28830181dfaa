//! `import eseal`: the Python skin over the eseal core. Converts types and errors only; the
//! GIL is released while signing and verifying.

use eseal::crypto::testca::TestCa as CoreTestCa;
use eseal::report::VerificationReport;
use eseal::ses::Seal as CoreSeal;
use eseal_bindings_common::{
    self as common, ErrorKind, SealParams, SharedSigner, Signed, ToSign, UkeyParams, VerifyOptions,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList};
use std::path::PathBuf;
use std::sync::Arc;

/// The Python class of an error kind, defined in `eseal/errors.py` (where the hierarchy also
/// subclasses `ValueError`, `OSError` or `LookupError` as each kind's nature is).
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "InvalidInput",
        ErrorKind::Io => "FileError",
        ErrorKind::SealUnusable => "SealUnusable",
        ErrorKind::PinIncorrect => "PinIncorrect",
        ErrorKind::PinLocked => "PinLocked",
        ErrorKind::NotLoggedIn => "NotLoggedIn",
        ErrorKind::Device => "DeviceError",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Crypto => "CryptoError",
        ErrorKind::Internal => "InternalError",
        ErrorKind::KeywordNotFound => "KeywordNotFound",
    }
}

fn to_py(e: common::Error) -> PyErr {
    Python::attach(|py| {
        let make = || -> PyResult<PyErr> {
            let class = py.import("eseal.errors")?.getattr(class_name(e.kind))?;
            let value = class.call1((e.message.clone(),))?;
            if let Some(n) = e.retries_left {
                value.setattr("retries_left", n)?;
            }
            Ok(PyErr::from_value(value))
        };
        make().unwrap_or_else(|err| err)
    })
}

fn invalid(message: impl Into<String>) -> PyErr {
    to_py(common::Error::invalid(message))
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
    input_named(obj, what).map(|(bytes, _)| bytes)
}

/// As [`input`], with the path when a file was read (a report's `file` is the path given).
fn input_named(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<u8>, Option<String>)> {
    if let Ok(s) = obj.extract::<String>()
        && s.contains("-----BEGIN ")
    {
        return Ok((s.as_bytes().to_vec(), None));
    }
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.hasattr("__fspath__").unwrap_or(false) {
        let path: PathBuf = obj.extract()?;
        let bytes = std::fs::read(&path)?;
        let shown = obj
            .py()
            .import("os")?
            .call_method1("fsdecode", (obj,))?
            .extract::<String>()?;
        return Ok((bytes, Some(shown)));
    }
    input_bytes(obj, what).map(|b| (b, None))
}

fn input_bytes(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(v) = obj.extract::<Vec<u8>>() {
        return Ok(v);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes or a path (str or os.PathLike), not {}",
        obj.get_type().name()?
    )))
}

/// Verification options: trust anchors (one or a list), the trust directory (`None`: the
/// default one, `False`: none, else a path), the time and strictness.
fn trust_config(
    trust: Option<&Bound<'_, PyAny>>,
    trust_dir: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<VerifyOptions> {
    let mut cfg = VerifyOptions {
        strict,
        ..Default::default()
    };
    match trust_dir {
        None => common::add_trust_dir(&mut cfg, common::TrustDir::Default).py()?,
        Some(d) if d.is_instance_of::<pyo3::types::PyBool>() => {
            if d.extract::<bool>()? {
                return Err(PyTypeError::new_err(
                    "trust_dir: a path, None (the default directory) or False (none)",
                ));
            }
        }
        Some(d) => {
            let dir: PathBuf = d.extract()?;
            common::add_trust_dir(&mut cfg, common::TrustDir::Path(&dir)).py()?;
        }
    }
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
        Ok(Signer::new(Arc::new(id.signer())))
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

/// A signer: a software key or a UKey container. A context manager: leaving the `with`
/// block closes it (a UKey logs out and its session ends when the last user lets go).
#[pyclass(module = "eseal", frozen)]
struct Signer {
    inner: std::sync::RwLock<Option<SharedSigner>>,
}

impl Signer {
    fn new(s: SharedSigner) -> Self {
        Signer {
            inner: std::sync::RwLock::new(Some(s)),
        }
    }
    /// The signer, or `InvalidInput` once closed.
    fn shared(&self) -> PyResult<SharedSigner> {
        self.inner
            .read()
            .map_err(|_| invalid("signer lock poisoned"))?
            .clone()
            .ok_or_else(|| invalid("the signer is closed"))
    }
}

#[pymethods]
impl Signer {
    #[staticmethod]
    fn from_pem(key: &Bound<'_, PyAny>, cert: &Bound<'_, PyAny>) -> PyResult<Signer> {
        let s = common::software_signer(&input(key, "key")?, &input(cert, "cert")?).py()?;
        Ok(Signer::new(Arc::new(s)))
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
        Ok(Signer::new(Arc::new(s)))
    }
    #[getter]
    fn certificate_pem(&self) -> PyResult<String> {
        Ok(self.shared()?.certificate().to_pem())
    }
    #[getter]
    fn subject(&self) -> PyResult<String> {
        Ok(self.shared()?.certificate().subject_string())
    }
    /// Signs a prepared digest e (``prepare_pdf`` / ``prepare_ofd``) as a UKey's
    /// ``SKF_ECCSignData`` does: the DER SM2 signature for ``finish_*``.
    fn sign_prepared<'py>(
        &self,
        py: Python<'py>,
        digest: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let digest = input_bytes(digest, "digest")?;
        let signer = self.shared()?;
        let sig = py
            .detach(|| common::sign_prepared(signer.as_ref(), &digest))
            .py()?;
        Ok(PyBytes::new(py, &sig))
    }
    /// Lets go of the key (a UKey session closes when no signature in progress holds it).
    fn close(&self) -> PyResult<()> {
        self.inner
            .write()
            .map_err(|_| invalid("signer lock poisoned"))?
            .take();
        Ok(())
    }
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().map(|s| s.is_none()).unwrap_or(true)
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }
    fn __repr__(&self) -> String {
        match self.shared() {
            Ok(s) => format!("<eseal.Signer {}>", s.certificate().subject_string()),
            Err(_) => "<eseal.Signer closed>".into(),
        }
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
                    .push(signer.get().shared()?.certificate().clone());
            } else {
                p.signer_certs
                    .push(eseal::crypto::Certificate::parse(&input(&s, "signers")?).py()?);
            }
        }
        let maker = maker.shared()?;
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
            .map_err(|e| to_py(common::Error::new(ErrorKind::Io, e.to_string())))
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
    /// Seals are equal when their DER bytes are.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Seal>()
            .is_ok_and(|o| o.get().inner.der() == self.inner.der())
    }
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.der().hash(&mut h);
        h.finish()
    }
    /// Pickles as its DER bytes.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        Ok((
            py.get_type::<Seal>().into_any(),
            (PyBytes::new(py, slf.get().inner.der()),),
        ))
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
    let (seal, signer) = (seal.inner.clone(), signer.shared()?);
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
#[pyo3(signature = (seal, *, trust=None, trust_dir=None, at=None, strict=false))]
fn verify_seal(
    py: Python<'_>,
    seal: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    trust_dir: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let (der, name) = match seal.cast::<Seal>() {
        Ok(s) => (s.get().inner.der().to_vec(), None),
        Err(_) => input_named(seal, "seal")?,
    };
    let cfg = trust_config(trust, trust_dir, at, strict)?;
    let name = name.unwrap_or_else(|| "seal".into());
    let report = py.detach(|| common::verify_seal(&der, &name, &cfg));
    Ok(Report { inner: report })
}

/// Verifies an SES_Signature against the signed `data` or its `digest`.
#[pyfunction]
#[pyo3(signature = (signature, *, data=None, digest=None, trust=None, trust_dir=None, at=None, strict=false))]
#[allow(clippy::too_many_arguments)]
fn verify_signature(
    py: Python<'_>,
    signature: &Bound<'_, PyAny>,
    data: Option<&Bound<'_, PyAny>>,
    digest: Option<&Bound<'_, PyAny>>,
    trust: Option<&Bound<'_, PyAny>>,
    trust_dir: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let (sig, name) = input_named(signature, "signature")?;
    let data = data.map(|d| input(d, "data")).transpose()?;
    let digest = digest.map(|d| input(d, "digest")).transpose()?;
    if data.is_some() && digest.is_some() {
        return Err(invalid("give data or digest, not both"));
    }
    let cfg = trust_config(trust, trust_dir, at, strict)?;
    let name = name.unwrap_or_else(|| "signature".into());
    let report = py.detach(|| {
        let signed = match (&data, &digest) {
            (Some(d), _) => Signed::Data(d),
            (_, Some(h)) => Signed::Digest(h),
            _ => Signed::NotAvailable,
        };
        common::verify_signature(&sig, signed, &name, &cfg)
    });
    Ok(Report { inner: report })
}

/// The stamp of `sign_ofd` / `sign_pdf` from keyword arguments: the rule of
/// [`common::Stamp`] (page 1 and 20 mm from the corner by default; 0 size: the picture's).
#[allow(clippy::too_many_arguments)]
fn stamp(
    pdf: bool,
    page: i64,
    x: Option<f64>,
    y: Option<f64>,
    width: f64,
    height: f64,
    invisible: bool,
) -> PyResult<common::Stamp> {
    let d = common::Stamp::default_for(pdf);
    Ok(common::Stamp {
        page: common::page_number(page).py()?,
        x: common::length(x.unwrap_or(d.x), "x").py()?,
        y: common::length(y.unwrap_or(d.y), "y").py()?,
        width: common::length(width, "width").py()?,
        height: common::length(height, "height").py()?,
        invisible,
    })
}

/// An attribute of an options object (`eseal.options` dataclasses or anything alike).
fn attr<'py, T: FromPyObjectOwned<'py>>(o: &Bound<'py, PyAny>, name: &str) -> PyResult<T> {
    o.getattr(name)?.extract::<T>().map_err(|e| {
        let e: PyErr = e.into();
        let class = o
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        PyTypeError::new_err(format!("{class}.{name}: {e}"))
    })
}

/// `eseal.Stamp`-like objects.
fn stamp_of(pdf: bool, o: &Bound<'_, PyAny>) -> PyResult<common::Stamp> {
    stamp(
        pdf,
        attr(o, "page")?,
        attr(o, "x")?,
        attr(o, "y")?,
        attr(o, "width")?,
        attr(o, "height")?,
        attr(o, "invisible")?,
    )
}

fn cross_page_of(o: &Bound<'_, PyAny>) -> PyResult<common::CrossPageStamp> {
    let pages: Bound<'_, PyAny> = o.getattr("pages")?;
    common::CrossPageStamp::from_options(
        &pages.str()?.to_string(),
        &attr::<String>(o, "edge")?,
        attr(o, "along_mm")?,
        attr(o, "min_slice_mm")?,
        attr(o, "width_mm")?,
        attr(o, "height_mm")?,
    )
    .py()
}

fn keyword_of(o: &Bound<'_, PyAny>) -> PyResult<common::KeywordStamp> {
    let occurrence = o.getattr("occurrence")?.str()?.to_string();
    let pages = o.getattr("pages")?.str()?.to_string();
    common::keyword_stamp(
        &attr::<String>(o, "text")?,
        &occurrence,
        &pages,
        &attr::<String>(o, "anchor")?,
        attr(o, "offset_mm")?,
        attr(o, "size_mm")?,
    )
    .py()
}

fn qr_of(o: &Bound<'_, PyAny>) -> PyResult<common::QrStamp> {
    Ok(common::QrStamp {
        png: input_bytes(&o.getattr("png")?, "QrCode.png")?,
        page: common::page_number(attr(o, "page")?).py()?,
        x: common::length(attr(o, "x")?, "QR x").py()?,
        y: common::length(attr(o, "y")?, "QR y").py()?,
        size: common::length(attr(o, "size")?, "QR size").py()?,
    })
}

/// The keyword arguments of `sign_pdf` (and `prepare_pdf` / `finish_pdf`); `sign_ofd` takes
/// those up to `tsa`'s, without `invisible` and the PDF-only ones.
const PDF_OPTIONS: &[&str] = &[
    "page",
    "x",
    "y",
    "width",
    "height",
    "time",
    "stamps",
    "cross_page",
    "keyword",
    "qr",
    "tsa",
    "invisible",
    "shape",
    "reason",
    "location",
    "contact",
    "field_name",
    "certify",
];
const OFD_OPTIONS: usize = 11;

/// The signing options from keyword arguments: the single stamp of `page`/`x`/`y`/`width`/
/// `height`/`invisible` when any is given (or when nothing else places the seal), then
/// `stamps`, `cross_page`, `keyword`, `qr` (`eseal.options` objects) and the rest.
fn sign_options<'py>(
    py: Python<'py>,
    func: &str,
    pdf: bool,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<common::SignOptions> {
    let allowed = if pdf {
        PDF_OPTIONS
    } else {
        &PDF_OPTIONS[..OFD_OPTIONS]
    };
    let empty = PyDict::new(py);
    let kw = kwargs.unwrap_or(&empty);
    for k in kw.keys() {
        let k: String = k.extract()?;
        if !allowed.contains(&k.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "{func}() got an unexpected keyword argument {k:?}"
            )));
        }
    }
    fn get<'py, T: FromPyObjectOwned<'py>>(
        kw: &Bound<'py, PyDict>,
        name: &str,
    ) -> PyResult<Option<T>> {
        match kw.get_item(name)? {
            Some(v) if !v.is_none() => v.extract::<T>().map(Some).map_err(|e| {
                let e: PyErr = e.into();
                PyTypeError::new_err(format!("{name}: {e}"))
            }),
            _ => Ok(None),
        }
    }
    let page: Option<i64> = get(kw, "page")?;
    let x: Option<f64> = get(kw, "x")?;
    let y: Option<f64> = get(kw, "y")?;
    let width: Option<f64> = get(kw, "width")?;
    let height: Option<f64> = get(kw, "height")?;
    let invisible: bool = get(kw, "invisible")?.unwrap_or(false);
    let stamps: Option<Vec<Bound<'_, PyAny>>> = get(kw, "stamps")?;
    let cross_page: Option<Bound<'_, PyAny>> = get(kw, "cross_page")?;
    let keyword: Option<Bound<'_, PyAny>> = get(kw, "keyword")?;
    let qr: Option<Bound<'_, PyAny>> = get(kw, "qr")?;
    let time: Option<String> = get(kw, "time")?;
    let mut o = common::SignOptions {
        time: time.as_deref().map(common::parse_time).transpose().py()?,
        tsa: get(kw, "tsa")?,
        reason: get(kw, "reason")?,
        location: get(kw, "location")?,
        contact: get(kw, "contact")?,
        field_name: get(kw, "field_name")?,
        ..Default::default()
    };
    if let Some(shape) = get::<String>(kw, "shape")? {
        o.shape = shape.parse().py()?;
    }
    o.certify = get::<i64>(kw, "certify")?
        .map(|c| u8::try_from(c).map_err(|_| invalid(format!("certify {c}: 1, 2 or 3"))))
        .transpose()?;
    let single_given = page.is_some()
        || x.is_some()
        || y.is_some()
        || width.is_some()
        || height.is_some()
        || invisible;
    let alone = stamps.is_none() && cross_page.is_none() && keyword.is_none();
    if single_given || alone {
        o.stamps.push(stamp(
            pdf,
            page.unwrap_or(1),
            x,
            y,
            width.unwrap_or(0.0),
            height.unwrap_or(0.0),
            invisible,
        )?);
    }
    for st in stamps.unwrap_or_default() {
        o.stamps.push(stamp_of(pdf, &st)?);
    }
    o.cross_page = cross_page.as_ref().map(cross_page_of).transpose()?;
    o.keyword = keyword.as_ref().map(keyword_of).transpose()?;
    o.qr = qr.as_ref().map(qr_of).transpose()?;
    Ok(o)
}

fn document(pdf: bool, doc: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    input(doc, if pdf { "pdf" } else { "ofd" })
}

fn sign_document(
    py: Python<'_>,
    pdf: bool,
    doc: &Bound<'_, PyAny>,
    seal: &Seal,
    signer: &Signer,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    let doc = document(pdf, doc)?;
    let opts = sign_options(py, if pdf { "sign_pdf" } else { "sign_ofd" }, pdf, kwargs)?;
    let (seal, signer) = (seal.inner.clone(), signer.shared()?);
    let out = py
        .detach(|| {
            if pdf {
                common::sign_pdf(&doc, &seal, signer.as_ref(), &opts)
            } else {
                common::sign_ofd(doc, &seal, signer.as_ref(), &opts)
            }
        })
        .py()?;
    Ok(PyBytes::new(py, &out).unbind())
}

/// Signs an OFD with `seal`: returns the signed OFD's bytes.
#[pyfunction]
#[pyo3(signature = (ofd, seal, signer, **options))]
fn sign_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    seal: &Seal,
    signer: &Signer,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    sign_document(py, false, ofd, seal, signer, options)
}

/// Signs a PDF with `seal` (incremental update): returns the whole signed PDF.
#[pyfunction]
#[pyo3(signature = (pdf, seal, signer, **options))]
fn sign_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    seal: &Seal,
    signer: &Signer,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    sign_document(py, true, pdf, seal, signer, options)
}

fn prepare_document(
    py: Python<'_>,
    pdf: bool,
    doc: &Bound<'_, PyAny>,
    seal: &Seal,
    certificate: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyBytes>, Py<PyBytes>)> {
    let doc = document(pdf, doc)?;
    let opts = sign_options(
        py,
        if pdf { "prepare_pdf" } else { "prepare_ofd" },
        pdf,
        kwargs,
    )?;
    let cert = eseal::crypto::Certificate::parse(&input(certificate, "certificate")?).py()?;
    let seal = seal.inner.clone();
    let p = py
        .detach(|| {
            if pdf {
                common::prepare_pdf(&doc, &seal, &cert, &opts)
            } else {
                common::prepare_ofd(doc, &seal, &cert, &opts)
            }
        })
        .py()?;
    Ok((
        PyBytes::new(py, &p.digest).unbind(),
        PyBytes::new(py, &p.state).unbind(),
    ))
}

#[allow(clippy::too_many_arguments)]
fn finish_document(
    py: Python<'_>,
    pdf: bool,
    doc: &Bound<'_, PyAny>,
    seal: &Seal,
    state: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    let doc = document(pdf, doc)?;
    let opts = sign_options(
        py,
        if pdf { "finish_pdf" } else { "finish_ofd" },
        pdf,
        kwargs,
    )?;
    let state = input_bytes(state, "state")?;
    let signature = input_bytes(signature, "signature")?;
    let seal = seal.inner.clone();
    let out = py
        .detach(|| {
            if pdf {
                common::finish_pdf(&doc, &seal, &state, &signature, &opts)
            } else {
                common::finish_ofd(doc, &seal, &state, &signature, &opts)
            }
        })
        .py()?;
    Ok(PyBytes::new(py, &out).unbind())
}

/// Deferred signing of a PDF, step 1: `(digest, state)`.
#[pyfunction]
#[pyo3(signature = (pdf, seal, certificate, **options))]
fn prepare_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    seal: &Seal,
    certificate: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyBytes>, Py<PyBytes>)> {
    prepare_document(py, true, pdf, seal, certificate, options)
}

/// Deferred signing of a PDF, step 2: the signed PDF.
#[pyfunction]
#[pyo3(signature = (pdf, seal, state, signature, **options))]
fn finish_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    seal: &Seal,
    state: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    finish_document(py, true, pdf, seal, state, signature, options)
}

/// Deferred signing of an OFD, step 1: `(digest, state)`.
#[pyfunction]
#[pyo3(signature = (ofd, seal, certificate, **options))]
fn prepare_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    seal: &Seal,
    certificate: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyBytes>, Py<PyBytes>)> {
    prepare_document(py, false, ofd, seal, certificate, options)
}

/// Deferred signing of an OFD, step 2: the signed OFD.
#[pyfunction]
#[pyo3(signature = (ofd, seal, state, signature, **options))]
fn finish_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    seal: &Seal,
    state: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    finish_document(py, false, ofd, seal, state, signature, options)
}

/// A seal picture: PNG, SVG when drawn from vectors, physical size.
#[pyclass(module = "eseal", frozen, get_all)]
struct StampPicture {
    png: Py<PyBytes>,
    svg: Option<String>,
    width_mm: f64,
    height_mm: f64,
}

#[pymethods]
impl StampPicture {
    fn __repr__(&self) -> String {
        format!(
            "<eseal.StampPicture {:.1}×{:.1} mm{}>",
            self.width_mm,
            self.height_mm,
            if self.svg.is_some() { " +svg" } else { "" }
        )
    }
}

fn picture(py: Python<'_>, p: eseal::stamp::Picture) -> StampPicture {
    StampPicture {
        png: PyBytes::new(py, &p.png).unbind(),
        svg: p.svg,
        width_mm: p.width_mm.into(),
        height_mm: p.height_mm.into(),
    }
}

/// Draws a unit seal (`eseal stamp official|oval|square`).
#[pyfunction]
#[pyo3(signature = (style, name, *, bottom=None, code=None, size_mm=None, font=None, dpi=300.0))]
#[allow(clippy::too_many_arguments)]
fn stamp_unit(
    py: Python<'_>,
    style: &str,
    name: &str,
    bottom: Option<&str>,
    code: Option<&str>,
    size_mm: Option<f64>,
    font: Option<&str>,
    dpi: f64,
) -> PyResult<StampPicture> {
    let u = common::UnitStamp {
        style,
        name,
        bottom,
        code,
        size_mm,
        font,
        dpi,
    };
    let p = py.detach(|| common::stamp_unit(&u)).py()?;
    Ok(picture(py, p))
}

/// Draws a personal seal (`eseal stamp personal`).
#[pyfunction]
#[pyo3(signature = (name, *, shape="square", border=true, size_mm=None, font=None, dpi=300.0))]
fn stamp_personal(
    py: Python<'_>,
    name: &str,
    shape: &str,
    border: bool,
    size_mm: Option<f64>,
    font: Option<&str>,
    dpi: f64,
) -> PyResult<StampPicture> {
    let p = py
        .detach(|| common::stamp_personal(shape, name, border, size_mm, font, dpi))
        .py()?;
    Ok(picture(py, p))
}

/// Imports a picture as a seal picture (`eseal stamp import`).
#[pyfunction]
#[pyo3(signature = (image, *, width_mm=42.0, height_mm=42.0, fit="cover", dpi=300.0))]
fn stamp_import(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    width_mm: f64,
    height_mm: f64,
    fit: &str,
    dpi: f64,
) -> PyResult<StampPicture> {
    let bytes = input(image, "image")?;
    let p = py
        .detach(|| common::stamp_import(&bytes, width_mm, height_mm, fit, dpi))
        .py()?;
    Ok(picture(py, p))
}

/// Draws an anti-forgery QR code (`eseal stamp qr`).
#[pyfunction]
#[pyo3(signature = (template, doc_id, digest, *, size_mm=15.0, dpi=300.0))]
fn stamp_qr(
    py: Python<'_>,
    template: &str,
    doc_id: &str,
    digest: &Bound<'_, PyAny>,
    size_mm: f64,
    dpi: f64,
) -> PyResult<StampPicture> {
    let digest = input_bytes(digest, "digest")?;
    let p = py
        .detach(|| common::stamp_qr(template, doc_id, &digest, size_mm, dpi))
        .py()?;
    Ok(picture(py, p))
}

/// The installed font families that can draw a seal.
#[pyfunction]
fn stamp_fonts() -> Vec<String> {
    common::stamp_fonts()
}

/// Verifies every signature of an OFD. Raises `InvalidInput` when it is not an OFD package.
#[pyfunction]
#[pyo3(signature = (ofd, *, trust=None, trust_dir=None, at=None, strict=false))]
fn verify_ofd(
    py: Python<'_>,
    ofd: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    trust_dir: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let (doc, name) = input_named(ofd, "ofd")?;
    let cfg = trust_config(trust, trust_dir, at, strict)?;
    let name = name.unwrap_or_else(|| "document.ofd".into());
    let report = py.detach(|| common::verify_ofd(doc, &name, &cfg)).py()?;
    Ok(Report { inner: report })
}

/// Verifies every signature of a PDF. Raises `InvalidInput` when it is not a PDF.
#[pyfunction]
#[pyo3(signature = (pdf, *, trust=None, trust_dir=None, at=None, strict=false))]
fn verify_pdf(
    py: Python<'_>,
    pdf: &Bound<'_, PyAny>,
    trust: Option<&Bound<'_, PyAny>>,
    trust_dir: Option<&Bound<'_, PyAny>>,
    at: Option<&str>,
    strict: bool,
) -> PyResult<Report> {
    let (doc, name) = input_named(pdf, "pdf")?;
    let cfg = trust_config(trust, trust_dir, at, strict)?;
    let name = name.unwrap_or_else(|| "document.pdf".into());
    let report = py.detach(|| common::verify_pdf(&doc, &name, &cfg)).py()?;
    Ok(Report { inner: report })
}

#[pymodule]
fn _eseal(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
    m.add_class::<StampPicture>()?;
    for f in [
        wrap_pyfunction!(prepare_pdf, m)?,
        wrap_pyfunction!(finish_pdf, m)?,
        wrap_pyfunction!(prepare_ofd, m)?,
        wrap_pyfunction!(finish_ofd, m)?,
        wrap_pyfunction!(stamp_unit, m)?,
        wrap_pyfunction!(stamp_personal, m)?,
        wrap_pyfunction!(stamp_import, m)?,
        wrap_pyfunction!(stamp_qr, m)?,
        wrap_pyfunction!(stamp_fonts, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
