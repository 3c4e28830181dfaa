"""Type stubs of the eseal extension module (the Rust core, through pyo3).

Inputs typed ``_Input`` take ``bytes``/``bytearray`` (the content itself) or a ``str`` /
``os.PathLike`` (a file to read); a ``str`` holding a PEM block is the PEM text itself. Times are text: RFC 3339 (``2026-06-01T00:00:00Z``) or
``YYYY-MM-DD HH:MM:SS`` (Beijing time). Signing and verification release the GIL.
"""

import os
from types import TracebackType
from typing import Any, Literal, Optional, Sequence, Tuple, Type, Union, final

from .options import CrossPage, Keyword, PdfShape, QrCode, Stamp
from .types import ReportDict, Verdict

_Input = Union[bytes, bytearray, memoryview, str, os.PathLike[str]]
_Trust = Optional[Union[_Input, Sequence[_Input]]]
_TrustDir = Optional[Union[str, os.PathLike[str], Literal[False]]]

__version__: str

@final
class TestCa:
    """The deterministic test CA (tests and demos only): keys and certificates follow from
    ``seed``. Identities: ``"root"``, ``"unit"`` (makes seals), ``"person"`` (signs
    documents), ``"server"``."""

    def __new__(cls, seed: str) -> TestCa: ...
    def signer(self, who: str) -> Signer:
        """A software signer for one identity."""
    def cert_pem(self, who: str) -> str:
        """The identity's certificate, PEM."""
    def key_pem(self, who: str) -> str:
        """The identity's private key, PKCS#8 PEM."""
    @property
    def root_cert_pem(self) -> str:
        """The root certificate, PEM: pass it as ``trust=`` when verifying."""

@final
class Signer:
    """Something that makes SM2 signatures for one certificate: a software key or a UKey."""

    @staticmethod
    def from_pem(key: _Input, cert: _Input) -> Signer:
        """A software signer from an SM2 private key (PKCS#8 or SEC1, PEM or DER) and its
        certificate (PEM or DER). Raises ``InvalidInput`` when they do not belong together."""
    @staticmethod
    def from_ukey(
        library: Union[str, os.PathLike[str]],
        pin: str,
        *,
        application: str,
        device: Optional[str] = None,
        container: Optional[str] = None,
        ulong64: bool = False,
    ) -> Signer:
        """A UKey container as a signer: loads the vendor's SKF library (GM/T 0016) by path,
        connects to ``device`` (default: the first one listed), verifies the user ``pin`` of
        ``application`` and uses ``container`` (default: the first SM2 container). Set
        ``ulong64`` for vendor builds with a 64-bit ``ULONG``. Raises ``PinIncorrect`` (with
        ``retries_left``), ``PinLocked``, ``NotFound`` or ``DeviceError``."""
    @property
    def certificate_pem(self) -> str:
        """The signer's certificate, PEM."""
    @property
    def subject(self) -> str:
        """The certificate's subject, e.g. ``C=CN, O=上海市测试局, CN=张三``."""
    @property
    def closed(self) -> bool: ...
    def sign_prepared(self, digest: bytes) -> bytes:
        """Signs a prepared digest e (``prepare_pdf`` / ``prepare_ofd``) as a UKey's
        ``SKF_ECCSignData`` does: the DER SM2 signature for ``finish_pdf`` / ``finish_ofd``."""
    def close(self) -> None:
        """Lets go of the key; later use raises ``InvalidInput``. A UKey session ends when no
        signature in progress still holds it."""
    def __enter__(self) -> Signer: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class Seal:
    """A seal (SESeal: GM/T 0031-2014 v1, GB/T 38540 v4, GM/T 0031-2025 v5)."""

    def __new__(cls, data: _Input) -> Seal:
        """Parses a seal from its DER bytes or a file. Raises ``InvalidInput``."""
    @staticmethod
    def create(
        name: str,
        es_id: str,
        *,
        maker: Signer,
        picture: _Input,
        signers: Sequence[Union[Signer, _Input]] = ...,
        width_mm: int = 40,
        height_mm: int = 40,
        seal_type: int = 1,
        valid_from: Optional[str] = None,
        valid_to: Optional[str] = None,
        vendor_id: Optional[str] = None,
    ) -> Seal:
        """Makes a GB/T 38540 (v4) seal: ``maker`` (制章者) signs the seal info. ``signers``
        are the signers or certificates allowed to sign with it (certList); ``picture`` is
        PNG, GIF, JPEG, BMP, SVG or OFD bytes; ``seal_type`` 1 unit seal, 2 personal seal;
        validity defaults to now .. +3 years."""
    def to_bytes(self) -> bytes:
        """The seal's DER bytes, exactly as read or built."""
    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Writes the DER bytes (temporary file + rename)."""
    def info(self) -> dict[str, Any]:
        """The seal described: version, vendor_id, es_id, name, seal_type, validity, picture,
        maker certificate, size."""
    @property
    def name(self) -> str: ...
    @property
    def es_id(self) -> str: ...
    @property
    def version(self) -> str:
        """``"v1"``, ``"v4"`` or ``"v5"``."""
    @property
    def seal_type(self) -> int: ...
    @property
    def valid_start(self) -> str:
        """ISO 8601, UTC."""
    @property
    def valid_end(self) -> str: ...
    @property
    def picture(self) -> bytes: ...
    def __eq__(self, other: object, /) -> bool:
        """Equal when the DER bytes are."""
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Type[Seal], Tuple[bytes]]:
        """Pickles as the DER bytes."""

@final
class Report:
    """A verification report. ``to_dict()`` has the same shape as ``eseal ... verify --json``:
    ``file``, ``format``, ``signatures`` (each with ``checks``: ``check``, ``status``,
    ``rule`` when a named rule decided it, ``subject``, ``message``, ``message_zh``),
    ``document_checks``, ``verdict``,
    ``exit_code``. A report is true when valid."""

    @property
    def verdict(self) -> Verdict:
        """``"valid"``, ``"valid_with_warnings"``, ``"intact_untrusted"`` (intact, signer not
        trusted) or ``"invalid"``."""
    @property
    def exit_code(self) -> int:
        """0 valid, 1 not (warnings count when verified with ``strict=True``), 3 intact but
        not trusted."""
    @property
    def valid(self) -> bool:
        """``exit_code == 0``."""
    def to_dict(self) -> ReportDict: ...
    def to_json(self) -> str: ...
    def to_text(self) -> str:
        """The human-readable report (English with Chinese), as the command line prints it."""
    def __bool__(self) -> bool: ...

def sign_data(seal: Seal, signer: Signer, data: _Input, *, property_info: str = "", time: Optional[str] = None) -> bytes:
    """Signs ``data`` with ``seal`` (GB/T 38540 §7.1, dataHash = SM3(data)) and returns the
    DER SES_Signature. The seal is checked first: ``SealUnusable`` when the signer is not in
    its certList or ``time`` (default now) is outside its validity."""

def sign_digest(seal: Seal, signer: Signer, digest: _Input, *, property_info: str = "", time: Optional[str] = None) -> bytes:
    """As ``sign_data``, over a digest the caller computed (it becomes dataHash as is)."""

def verify_seal(
    seal: Union[Seal, _Input],
    *,
    trust: _Trust = None,
    trust_dir: _TrustDir = None,
    at: Optional[str] = None,
    strict: bool = False,
) -> Report:
    """Verifies a seal on its own: maker signature, header, validity, maker certificate.
    ``trust``: trust anchors (PEM bundles or DER certificates, one or a list);
    ``trust_dir``: a directory of them (default: the command line's, ``$ESEAL_TRUST_DIR`` or
    ``~/.config/eseal/trust``; ``False``: none). Without anchors the verdict is at best
    ``intact_untrusted``. ``at``: verify as of that time instead of now."""

def verify_signature(
    signature: _Input,
    *,
    data: Optional[_Input] = None,
    digest: Optional[_Input] = None,
    trust: _Trust = None,
    trust_dir: _TrustDir = None,
    at: Optional[str] = None,
    strict: bool = False,
) -> Report:
    """Verifies an SES_Signature: its dataHash against ``data`` (SM3) or ``digest`` (neither:
    a warning), the signer's signature, the seal, the signer's place in the certList and the
    certificates."""

def sign_ofd(
    ofd: _Input, seal: Seal, signer: Signer, *, page: int = 1, x: Optional[float] = None, y: Optional[float] = None,
    width: float = 0.0, height: float = 0.0, time: Optional[str] = None,
    stamps: Optional[Sequence[Stamp]] = None, cross_page: Optional[CrossPage] = None,
    keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None, tsa: Optional[str] = None,
) -> bytes:
    """Signs an OFD with ``seal`` (an SES_Signature over Signature.xml, GB/T 33190-2016 ch. 18) and
    returns the signed OFD. The stamp goes on ``page`` (from 1) at ``x``, ``y`` millimetres
    from the page's top-left corner (default 20, 20), ``width`` × ``height`` mm (0: the seal
    picture's size). Page 0 or less raises ``InvalidInput``. One signature shows every stamp
    of ``stamps``, the ``cross_page`` seal and a stamp per ``keyword`` occurrence (the single
    stamp then only when its arguments are given); ``qr`` is drawn on its page; ``tsa`` (an
    RFC 3161 URL) time-stamps the SES_Signature. A keyword not found raises
    ``KeywordNotFound``."""

def sign_pdf(
    pdf: _Input, seal: Seal, signer: Signer, *, page: int = 1, x: Optional[float] = None, y: Optional[float] = None,
    width: float = 0.0, height: float = 0.0, invisible: bool = False, time: Optional[str] = None,
    shape: PdfShape = "ses", stamps: Optional[Sequence[Stamp]] = None, cross_page: Optional[CrossPage] = None,
    keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None, reason: Optional[str] = None,
    location: Optional[str] = None, contact: Optional[str] = None, field_name: Optional[str] = None,
    certify: Optional[Literal[1, 2, 3]] = None, tsa: Optional[str] = None,
) -> bytes:
    """Signs a PDF with ``seal`` (GB/T 38540 SES_Signature, an incremental update) and returns
    the whole signed file. The stamp rule is ``sign_ofd``'s in PDF points from the page's
    lower-left corner (default 56.69, 56.69 = 20 mm); the seal picture is drawn as is (PNG)
    or converted (JPEG, GIF; white made transparent); an SVG or OFD picture needs
    ``invisible=True``, which makes a signature without a stamp.

    One signature per stamp of ``stamps``, one for the ``cross_page`` seal and one per
    ``keyword`` occurrence, as ``eseal pdf sign`` makes them, in the ``shape`` asked for
    (``sm2-cms``: SM2 CMS SignedData with the seal's picture as the stamp). The first
    signature certifies the document with DocMDP level ``certify`` (1 no changes, 2 form
    filling, 3 also annotations) and draws ``qr``. ``reason``, ``location``, ``contact`` and
    ``field_name`` go into every signature's dictionary (``field_name``: one signature only).
    ``tsa``: RFC 3161 time stamp of the SES_Signature (``ses`` only)."""

def prepare_pdf(
    pdf: _Input, seal: Seal, certificate: _Input, *, page: int = 1, x: Optional[float] = None, y: Optional[float] = None,
    width: float = 0.0, height: float = 0.0, invisible: bool = False, time: Optional[str] = None,
    shape: PdfShape = "ses", stamps: Optional[Sequence[Stamp]] = None, cross_page: Optional[CrossPage] = None,
    keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None, reason: Optional[str] = None,
    location: Optional[str] = None, contact: Optional[str] = None, field_name: Optional[str] = None,
    certify: Optional[Literal[1, 2, 3]] = None,
) -> Tuple[bytes, bytes]:
    """Deferred signing, step 1 (``eseal pdf sign --prepare``): returns ``(digest, state)``,
    the 32-byte e = SM3(Z‖M) that the holder of ``certificate``'s key signs with SM2 (a
    UKey's ``SKF_ECCSignData``, an HSM) and the opaque state for ``finish_pdf``. The options
    are ``sign_pdf``'s; they must make one signature; no ``tsa``."""

def finish_pdf(
    pdf: _Input, seal: Seal, state: bytes, signature: bytes, *, page: int = 1, x: Optional[float] = None,
    y: Optional[float] = None, width: float = 0.0, height: float = 0.0, invisible: bool = False,
    time: Optional[str] = None, shape: PdfShape = "ses", stamps: Optional[Sequence[Stamp]] = None,
    cross_page: Optional[CrossPage] = None, keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None,
    reason: Optional[str] = None, location: Optional[str] = None, contact: Optional[str] = None,
    field_name: Optional[str] = None, certify: Optional[Literal[1, 2, 3]] = None,
) -> bytes:
    """Deferred signing, step 2: the signed PDF, given the same PDF, seal and options as
    ``prepare_pdf``, its ``state`` and the SM2 ``signature`` of the digest (DER or raw
    r‖s). The signature is checked against the prepared certificate first
    (``InvalidInput`` when it does not verify or the PDF changed)."""

def prepare_ofd(
    ofd: _Input, seal: Seal, certificate: _Input, *, page: int = 1, x: Optional[float] = None, y: Optional[float] = None,
    width: float = 0.0, height: float = 0.0, time: Optional[str] = None,
    stamps: Optional[Sequence[Stamp]] = None, cross_page: Optional[CrossPage] = None,
    keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None,
) -> Tuple[bytes, bytes]:
    """Deferred signing of an OFD, step 1: as ``prepare_pdf`` with ``sign_ofd``'s options."""

def finish_ofd(
    ofd: _Input, seal: Seal, state: bytes, signature: bytes, *, page: int = 1, x: Optional[float] = None,
    y: Optional[float] = None, width: float = 0.0, height: float = 0.0, time: Optional[str] = None,
    stamps: Optional[Sequence[Stamp]] = None, cross_page: Optional[CrossPage] = None,
    keyword: Optional[Keyword] = None, qr: Optional[QrCode] = None,
) -> bytes:
    """Deferred signing of an OFD, step 2: as ``finish_pdf``."""

@final
class StampPicture:
    """A seal picture as ``eseal stamp …`` writes it: PNG (transparent background), the SVG
    when drawn from vectors, the physical size in mm (pass ``png`` and the size to
    ``Seal.create``)."""

    @property
    def png(self) -> bytes: ...
    @property
    def svg(self) -> Optional[str]: ...
    @property
    def width_mm(self) -> float: ...
    @property
    def height_mm(self) -> float: ...

def stamp_unit(
    style: Literal["common", "party", "union", "youth", "invoice", "oval", "square-finance"], name: str, *,
    bottom: Optional[str] = None, code: Optional[str] = None, size_mm: Optional[float] = None,
    font: Optional[str] = None, dpi: float = 300.0,
) -> StampPicture:
    """A generated unit seal: round 公章 (``common``, ``party``, ``union``, ``youth``; 42 mm,
    ``size_mm`` 20–80), 发票专用章 (``invoice``, oval 40×30 mm, ``code`` the 纳税人识别号),
    财务/合同 oval (``oval``, 45×30 mm) or 方形财务专用章 (``square-finance``, 22 mm).
    ``bottom``: the text under the star or in the oval/square; ``code``: the round seal's
    印章编码; ``font``: an installed family (``stamp_fonts()``) or a font file. A character
    the font lacks raises ``InvalidInput`` naming it."""

def stamp_personal(
    name: str, *, shape: Literal["square", "rect", "legal"] = "square", border: bool = True,
    size_mm: Optional[float] = None, font: Optional[str] = None, dpi: float = 300.0,
) -> StampPicture:
    """A personal seal: square (方形章), rectangular (长方形章) or the 法人章 (the name and
    印); ``size_mm`` the square's side or the rectangle's height."""

def stamp_import(
    image: _Input, *, width_mm: float = 42.0, height_mm: float = 42.0, fit: Literal["cover", "contain"] = "cover",
    dpi: float = 300.0,
) -> StampPicture:
    """A scanned or photographed seal (JPEG, PNG, GIF) as a seal picture, cut to size, white
    made transparent."""

def stamp_qr(template: str, doc_id: str, digest: bytes, *, size_mm: float = 15.0, dpi: float = 300.0) -> StampPicture:
    """An anti-forgery QR code: ``template`` is a URL with ``{doc_id}`` and ``{digest}``
    (hex); pass its ``png`` as ``QrCode(png=...)`` when signing."""

def stamp_fonts() -> list[str]:
    """The installed font families that can draw a seal."""

def verify_ofd(ofd: _Input, *, trust: _Trust = None, trust_dir: _TrustDir = None, at: Optional[str] = None, strict: bool = False) -> Report:
    """Verifies every signature of an OFD (digests of the files each protects, the
    SES_Signature, the seal, certificates, coverage). ``InvalidInput`` when it is not an OFD.
    The report's ``file`` is the path given (``document.ofd`` for bytes)."""

def verify_pdf(pdf: _Input, *, trust: _Trust = None, trust_dir: _TrustDir = None, at: Optional[str] = None, strict: bool = False) -> Report:
    """Verifies every signature of a PDF (byte range, digest, signature, seal, certificates,
    changes after signing). ``InvalidInput`` when it is not a PDF, as for OFD. The report's
    ``file`` is the path given (``document.pdf`` for bytes)."""
