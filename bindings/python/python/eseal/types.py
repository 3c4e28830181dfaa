"""The shapes of a verification report (``Report.to_dict()``, the ``--json`` of the command
line) as typed dictionaries."""

from __future__ import annotations

from typing import Dict, List, Literal, Optional, TypedDict

Verdict = Literal["valid", "valid_with_warnings", "intact_untrusted", "invalid"]
"""``intact_untrusted``: the signature is intact but its signer does not chain to a trust anchor."""

Status = Literal["passed", "warning", "indeterminate", "failed"]


class _CheckBase(TypedDict):
    check: str
    status: Status
    subject: str
    message: str
    message_zh: str


class CheckDict(_CheckBase, total=False):
    """One check: what was checked, where, and why it failed (English and Chinese)."""

    rule: str
    """The named rule that decided it (PDF changes after signing: docs/pdf-changes.md)."""


class SignatureDict(TypedDict, total=False):
    """The report on one signature (or a seal verified alone)."""

    id: str
    kind: str
    version: str
    verdict: Verdict
    signer: Optional[Dict[str, str]]
    seal: Optional[Dict[str, object]]
    signing_time: Optional[str]
    signing_time_source: Optional[str]
    checks: List[CheckDict]


class ReportDict(TypedDict):
    """A verification report."""

    file: str
    format: str
    signatures: List[SignatureDict]
    document_checks: List[CheckDict]
    verdict: Verdict
    exit_code: int
