"""The signing options of ``sign_pdf`` / ``sign_ofd`` that take more than one value, as frozen
dataclasses: several stamps, a cross-page seal (骑缝章), a keyword placement and an
anti-forgery QR code. The core reads their attributes; any object with the same attributes
works too. The rules are ``eseal pdf sign`` / ``ofd sign``'s (docs/placement.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Tuple, Union

Edge = Literal["right", "left", "top", "bottom"]
Anchor = Literal["centre", "center", "end"]
PdfShape = Literal["ses", "sm2-cms", "sm2-cms-gm"]
"""``ses``: a GB/T 38540 SES_Signature with the seal; ``sm2-cms``: SM2 CMS SignedData with
PKCS#7 object identifiers (``adbe.pkcs7.detached``), ``sm2-cms-gm`` with GM/T 0010 ones."""


@dataclass(frozen=True)
class Stamp:
    """One stamp: page from 1; OFD in mm from the page's top-left corner, PDF in points from
    its lower-left corner (default 20 mm from the corner); width and height 0: the seal
    picture's size. ``invisible`` (PDF only): a signature without a stamp."""

    page: int = 1
    x: Optional[float] = None
    y: Optional[float] = None
    width: float = 0.0
    height: float = 0.0
    invisible: bool = False


@dataclass(frozen=True)
class CrossPage:
    """A cross-page seal: which pages (``all``, ``odd``, ``even``, ``2-5``, ``1,3``), which
    edge, where along it (mm from the top for left/right, from the left for top/bottom;
    centred when None), the narrowest slice in mm (more pages are split into groups, each
    with a whole seal) and the seal's size in mm (0: the picture's)."""

    pages: str = "all"
    edge: Edge = "right"
    along_mm: Optional[float] = None
    min_slice_mm: Optional[float] = None
    width_mm: float = 0.0
    height_mm: float = 0.0


@dataclass(frozen=True)
class Keyword:
    """A stamp over a text on the page (``甲方（盖章）``): which occurrences (``all``,
    ``first``, ``last`` or n from 1), on which pages, centred on the text or on its end,
    moved by ``offset_mm`` (x right, y down), of ``size_mm`` (0: the seal picture's). When the
    text is not there, signing raises ``KeywordNotFound``."""

    text: str
    occurrence: Union[Literal["all", "first", "last"], int] = "all"
    pages: str = "all"
    anchor: Anchor = "centre"
    offset_mm: Tuple[float, float] = (0.0, 0.0)
    size_mm: Tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class QrCode:
    """An anti-forgery QR code picture (PNG bytes, e.g. from ``stamp_qr``) drawn on a page
    with the first signature; position and size in the units of ``Stamp``."""

    png: bytes
    page: int = 1
    x: float = 0.0
    y: float = 0.0
    size: float = 0.0


__all__ = ["Anchor", "CrossPage", "Edge", "Keyword", "PdfShape", "QrCode", "Stamp"]
