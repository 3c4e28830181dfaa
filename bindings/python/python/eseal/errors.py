"""The exceptions eseal raises. Each has ``code``, the name C and Node use for the same
error (``ESEAL_INVALID_INPUT`` ...), and subclasses the built-in exception of its nature, so
``except ValueError`` or ``except OSError`` catch what they would catch elsewhere."""

from __future__ import annotations


class Error(Exception):
    """Base class of every error eseal raises; the message is the core's."""

    code: str = "ESEAL_ERROR"


class InvalidInput(Error, ValueError):
    """Malformed or unacceptable input: bad DER/PEM, a key for another certificate, page 0,
    a time that cannot be read, a file that is not a PDF or an OFD."""

    code = "ESEAL_INVALID_INPUT"


class FileError(Error, OSError):
    """A file could not be read or written by the core (files named as inputs raise the
    usual ``OSError``/``FileNotFoundError``)."""

    code = "ESEAL_IO"


class SealUnusable(Error):
    """The seal cannot sign: its maker signature is broken, the signing time is outside its
    validity, or the signer's certificate is not in its certList."""

    code = "ESEAL_SEAL_UNUSABLE"


class PinIncorrect(Error):
    """Wrong UKey PIN; ``retries_left`` says how many tries remain before it locks."""

    code = "ESEAL_PIN_INCORRECT"
    retries_left: int = 0


class PinLocked(Error):
    """The UKey PIN is locked (unblock it with the administrator PIN)."""

    code = "ESEAL_PIN_LOCKED"


class NotLoggedIn(Error):
    """The UKey is not logged in."""

    code = "ESEAL_NOT_LOGGED_IN"


class DeviceError(Error, OSError):
    """The UKey or its SKF library failed (cannot load it, device error, key removed)."""

    code = "ESEAL_DEVICE"


class NotFound(Error, LookupError):
    """A UKey device, application or container is not there."""

    code = "ESEAL_NOT_FOUND"


class CryptoError(Error):
    """Signing failed in the cryptography (random numbers, the SM2 primitive)."""

    code = "ESEAL_CRYPTO"


class InternalError(Error):
    """A bug in eseal."""

    code = "ESEAL_INTERNAL"


class KeywordNotFound(Error, LookupError):
    """Keyword placement: the text does not occur on the pages searched, or not as often as
    the occurrence asked for; the message names the keyword."""

    code = "ESEAL_KEYWORD_NOT_FOUND"


__all__ = [
    "CryptoError",
    "DeviceError",
    "Error",
    "FileError",
    "InternalError",
    "InvalidInput",
    "KeywordNotFound",
    "NotFound",
    "NotLoggedIn",
    "PinIncorrect",
    "PinLocked",
    "SealUnusable",
]
