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
    TestCa,
    __version__,
    sign_data,
    sign_digest,
    sign_ofd,
    sign_pdf,
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
    NotFound,
    NotLoggedIn,
    PinIncorrect,
    PinLocked,
    SealUnusable,
)
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

__all__ = [
    "CheckDict",
    "CryptoError",
    "DeviceError",
    "Error",
    "FileError",
    "InternalError",
    "InvalidInput",
    "NotFound",
    "NotLoggedIn",
    "PinIncorrect",
    "PinLocked",
    "Report",
    "ReportDict",
    "Seal",
    "SealUnusable",
    "SignatureDict",
    "Signer",
    "TestCa",
    "Verdict",
    "__version__",
    "sign_data",
    "sign_data_async",
    "sign_digest",
    "sign_digest_async",
    "sign_ofd",
    "sign_ofd_async",
    "sign_pdf",
    "sign_pdf_async",
    "verify_ofd",
    "verify_ofd_async",
    "verify_pdf",
    "verify_pdf_async",
    "verify_seal",
    "verify_seal_async",
    "verify_signature",
    "verify_signature_async",
]
