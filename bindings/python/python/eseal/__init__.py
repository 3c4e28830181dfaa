"""eseal: electronic seals (电子印章, GB/T 38540) with SM2/SM3.

Make seals, sign data with them (SES_Signature) and verify seals and signatures. All the
work is done by the Rust core; see ``eseal/_eseal.pyi`` for every signature.
"""

from ._eseal import (
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
    Report,
    Seal,
    SealUnusable,
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

__all__ = [
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
    "Seal",
    "SealUnusable",
    "Signer",
    "TestCa",
    "__version__",
    "sign_data",
    "sign_digest",
    "sign_ofd",
    "sign_pdf",
    "verify_ofd",
    "verify_pdf",
    "verify_seal",
    "verify_signature",
]
