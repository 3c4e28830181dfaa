"""eseal: electronic seals (电子印章, GB/T 38540) with SM2/SM3.

Make seals, sign data, OFD and PDF files with them and verify seals, signatures and
documents. All the work is done by the Rust core; see ``eseal/_eseal.pyi`` for every
signature. Signing and verification release the GIL; the ``*_async`` helpers run them on a
worker thread for asyncio programs.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, TypeVar

from ._eseal import (
    Report,
    Seal,
    Signer,
    StampPicture,
    TestCa,
    __version__,
    finish_ofd,
    finish_pdf,
    prepare_ofd,
    prepare_pdf,
    sign_data,
    sign_digest,
    sign_ofd,
    sign_pdf,
    stamp_fonts,
    stamp_import,
    stamp_personal,
    stamp_qr,
    stamp_unit,
    verify_ofd,
    verify_pdf,
    verify_seal,
    verify_signature,
)
from .errors import (
    CryptoError,
    DeviceError,
    Error,
    FileError,
    InternalError,
    InvalidInput,
    KeywordNotFound,
    NotFound,
    NotLoggedIn,
    PinIncorrect,
    PinLocked,
    SealUnusable,
)
from .options import CrossPage, Keyword, PdfShape, QrCode, Stamp
from .types import CheckDict, ReportDict, SignatureDict, Verdict

_T = TypeVar("_T")


def _in_thread(f: Callable[..., _T]) -> Callable[..., Any]:
    @functools.wraps(f)
    async def run(*args: Any, **kwargs: Any) -> _T:
        return await asyncio.to_thread(f, *args, **kwargs)

    run.__name__ = run.__qualname__ = f.__name__ + "_async"
    run.__doc__ = f"As ``{f.__name__}``, awaited: runs on a worker thread (the GIL is released while it works)."
    return run


sign_data_async = _in_thread(sign_data)
sign_digest_async = _in_thread(sign_digest)
sign_ofd_async = _in_thread(sign_ofd)
sign_pdf_async = _in_thread(sign_pdf)
verify_seal_async = _in_thread(verify_seal)
verify_signature_async = _in_thread(verify_signature)
verify_ofd_async = _in_thread(verify_ofd)
verify_pdf_async = _in_thread(verify_pdf)
prepare_pdf_async = _in_thread(prepare_pdf)
finish_pdf_async = _in_thread(finish_pdf)
prepare_ofd_async = _in_thread(prepare_ofd)
finish_ofd_async = _in_thread(finish_ofd)

__all__ = [
    "CheckDict",
    "CrossPage",
    "CryptoError",
    "DeviceError",
    "Error",
    "FileError",
    "InternalError",
    "InvalidInput",
    "Keyword",
    "KeywordNotFound",
    "NotFound",
    "NotLoggedIn",
    "PinIncorrect",
    "PdfShape",
    "PinLocked",
    "QrCode",
    "Report",
    "ReportDict",
    "Seal",
    "SealUnusable",
    "SignatureDict",
    "Signer",
    "Stamp",
    "StampPicture",
    "TestCa",
    "Verdict",
    "__version__",
    "finish_ofd",
    "finish_ofd_async",
    "finish_pdf",
    "finish_pdf_async",
    "prepare_ofd",
    "prepare_ofd_async",
    "prepare_pdf",
    "prepare_pdf_async",
    "sign_data",
    "sign_data_async",
    "sign_digest",
    "sign_digest_async",
    "sign_ofd",
    "sign_ofd_async",
    "sign_pdf",
    "sign_pdf_async",
    "stamp_fonts",
    "stamp_import",
    "stamp_personal",
    "stamp_qr",
    "stamp_unit",
    "verify_ofd",
    "verify_ofd_async",
    "verify_pdf",
    "verify_pdf_async",
    "verify_seal",
    "verify_seal_async",
    "verify_signature",
    "verify_signature_async",
]
