"""Signatures made from C and Node verify from Python; Python leaves its own for them.

scripts/test.d/80-bindings.sh runs C, Python, Node, then C and Python again over one
ESEAL_XLANG_DIR, so every language verifies every other's signature."""

import eseal
from conftest import REPO

DATA = b"eseal from Python: signed for the other languages"


def test_leave_a_signature_for_the_others(ca, seal, xlang_dir):
    sig = eseal.sign_data(seal, ca.signer("person"), DATA, property_info="/python.data")
    (xlang_dir / "python.data").write_bytes(DATA)
    (xlang_dir / "python.sig").write_bytes(sig)
    (xlang_dir / "root.pem").write_text(ca.root_cert_pem)
    plain = REPO / "vectors" / "bindings"
    png_seal = eseal.Seal.create("上海市测试局", "310000000000047", maker=ca.signer("unit"), picture=REPO / "vectors" / "ses" / "picture-8x8.png", signers=[ca.signer("person")])
    (xlang_dir / "python.ofd").write_bytes(eseal.sign_ofd(plain / "plain.ofd", png_seal, ca.signer("person")))
    (xlang_dir / "python.pdf").write_bytes(eseal.sign_pdf(plain / "plain.pdf", png_seal, ca.signer("person"), page=1, x=200, y=40, width=60, height=60))
    # With the signing options of issue 16: SM2 CMS, dictionary entries, two stamps, a QR
    # code; a cross-page seal and keyword stamps on the OFD.
    qr = eseal.stamp_qr("https://verify.example.cn/v?id={doc_id}&h={digest}", "py-1", bytes(32), size_mm=20)
    (xlang_dir / "python-options.pdf").write_bytes(
        eseal.sign_pdf(plain / "plain.pdf", png_seal, ca.signer("person"), shape="sm2-cms", reason="同意", location="上海", contact="legal@example.cn",
                       stamps=[eseal.Stamp(x=20, y=20, width=40, height=40), eseal.Stamp(x=150, y=60, width=40, height=40)],
                       qr=eseal.QrCode(qr.png, page=1, x=220, y=120, size=57)))
    (xlang_dir / "python-options.ofd").write_bytes(
        eseal.sign_ofd(plain / "two-pages.ofd", png_seal, ca.signer("person"), cross_page=eseal.CrossPage(edge="left", along_mm=30),
                       keyword=eseal.Keyword("bindings", occurrence="all", anchor="end", size_mm=(20, 20))))


def test_verify_what_the_others_signed(xlang_dir):
    others = [lang for lang in ("c", "node") if (xlang_dir / f"{lang}.sig").exists()]
    for lang in others:
        r = eseal.verify_signature(xlang_dir / f"{lang}.sig", data=xlang_dir / f"{lang}.data", trust=xlang_dir / "root.pem", strict=True)
        assert r.verdict == "valid", f"{lang}: {r.to_text()}"
        trust = xlang_dir / "root.pem"
        assert eseal.verify_ofd(xlang_dir / f"{lang}.ofd", trust=trust).valid, lang
        assert eseal.verify_pdf(xlang_dir / f"{lang}.pdf", trust=trust).valid, lang
        for ext in ("ofd", "pdf"):
            r = getattr(eseal, f"verify_{ext}")(xlang_dir / f"{lang}-options.{ext}", trust=trust)
            assert r.verdict == "valid", f"{lang}-options.{ext}: {r.to_text()}"
    print(f"verified from Python: {others}")


def test_the_command_line_verifies_every_language(xlang_dir):
    """`eseal pdf|ofd verify` (the CLI) agrees on every file signed with options; poppler's
    pdfsig reads the PDF signatures' dictionaries."""
    import os
    import shutil
    import subprocess

    cli = os.environ.get("ESEAL_BIN")
    if not cli:
        import pytest

        pytest.skip("ESEAL_BIN is not set")
    langs = [lang for lang in ("c", "python", "node") if (xlang_dir / f"{lang}-options.pdf").exists()]
    for lang in langs:
        for ext in ("pdf", "ofd"):
            f = xlang_dir / f"{lang}-options.{ext}"
            run = subprocess.run([cli, ext, "verify", str(f), "--trust", str(xlang_dir / "root.pem")], capture_output=True, text=True)
            assert run.returncode == 0, f"{f.name}: {run.stdout}{run.stderr}"
        if shutil.which("pdfsig"):
            out = subprocess.run(["pdfsig", "-nocert", str(xlang_dir / f"{lang}-options.pdf")], capture_output=True, text=True).stdout
            assert "Signature #1" in out, out
    print(f"verified by the eseal command: {langs}")
