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


def test_verify_what_the_others_signed(xlang_dir):
    others = [lang for lang in ("c", "node") if (xlang_dir / f"{lang}.sig").exists()]
    for lang in others:
        r = eseal.verify_signature(xlang_dir / f"{lang}.sig", data=xlang_dir / f"{lang}.data", trust=xlang_dir / "root.pem", strict=True)
        assert r.verdict == "valid", f"{lang}: {r.to_text()}"
        trust = xlang_dir / "root.pem"
        assert eseal.verify_ofd(xlang_dir / f"{lang}.ofd", trust=trust).valid, lang
        assert eseal.verify_pdf(xlang_dir / f"{lang}.pdf", trust=trust).valid, lang
    print(f"verified from Python: {others}")
