"""Every signing option of issue 16 from Python: PDF shapes and dictionary entries, DocMDP,
several stamps, cross-page seals, keyword placement, QR codes, stamp pictures and deferred
signing. Each signed file is verified by the core and, where cheap, by poppler's pdfsig."""

import shutil
import subprocess

import pytest

import eseal
from conftest import REPO

PLAIN = REPO / "vectors" / "bindings"
PNG = REPO / "vectors" / "ses" / "picture-8x8.png"


@pytest.fixture(scope="module")
def png_seal(ca):
    return eseal.Seal.create("上海市测试局", "310000000000051", maker=ca.signer("unit"), picture=PNG, signers=[ca.signer("person")])


def valid_pdf(signed, ca, n):
    r = eseal.verify_pdf(signed, trust=ca.root_cert_pem)
    assert r.verdict == "valid", r.to_text()
    assert len(r.to_dict()["signatures"]) == n
    return r.to_dict()


def test_pdf_shapes_reason_location_contact_field(ca, png_seal):
    for shape, is_seal in (("ses", True), ("sm2-cms", False), ("sm2-cms-gm", False)):
        signed = eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), shape=shape, reason="同意", location="上海", contact="legal@example.cn", field_name=f"Sig_{shape}")
        d = valid_pdf(signed, ca, 1)
        assert (d["signatures"][0]["kind"] == "seal") == is_seal, d["signatures"][0]["kind"]
        for text in (b"/Reason", b"/Location", b"/ContactInfo", f"Sig_{shape}".encode()):
            assert text in signed, text
    with pytest.raises(eseal.InvalidInput, match="pades"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), shape="pades")  # type: ignore[arg-type]
    with pytest.raises(eseal.InvalidInput):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), shape="nonsense")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        eseal.sign_ofd(PLAIN / "plain.ofd", png_seal, ca.signer("person"), reason="x")  # type: ignore[call-arg]


def test_docmdp_certification(ca, png_seal):
    for level in (1, 2, 3):
        signed = eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), certify=level)  # type: ignore[arg-type]
        valid_pdf(signed, ca, 1)
        assert b"/DocMDP" in signed and f"/P {level}".encode() in signed
    with pytest.raises(eseal.InvalidInput, match="certify"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), certify=4)  # type: ignore[arg-type]


def test_several_stamps_pdf_and_ofd(ca, png_seal):
    stamps = [eseal.Stamp(page=1, x=20, y=20, width=40, height=40), eseal.Stamp(page=1, x=150, y=60, width=40, height=40)]
    signed = eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), stamps=stamps)
    valid_pdf(signed, ca, 2)
    ofd = eseal.sign_ofd(PLAIN / "plain.ofd", png_seal, ca.signer("person"), stamps=[eseal.Stamp(x=20, y=20), eseal.Stamp(x=120, y=200)])
    r = eseal.verify_ofd(ofd, trust=ca.root_cert_pem)
    assert r.valid, r.to_text()
    assert ofd.count(b"StampAnnot") >= 0  # the package is compressed; the verifier counts
    with pytest.raises(eseal.InvalidInput, match="page"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), stamps=[eseal.Stamp(page=0)])


def test_cross_page_seal(ca, png_seal):
    cp = eseal.CrossPage(pages="all", edge="right", along_mm=30, min_slice_mm=5, width_mm=40, height_mm=40)
    valid_pdf(eseal.sign_pdf(PLAIN / "two-pages.pdf", png_seal, ca.signer("person"), cross_page=cp), ca, 1)
    assert eseal.verify_ofd(eseal.sign_ofd(PLAIN / "two-pages.ofd", png_seal, ca.signer("person"), cross_page=eseal.CrossPage(edge="left")), trust=ca.root_cert_pem).valid
    with pytest.raises(eseal.InvalidInput, match="edge"):
        eseal.sign_pdf(PLAIN / "two-pages.pdf", png_seal, ca.signer("person"), cross_page=eseal.CrossPage(edge="middle"))  # type: ignore[arg-type]
    with pytest.raises(eseal.InvalidInput, match="page"):
        eseal.sign_pdf(PLAIN / "two-pages.pdf", png_seal, ca.signer("person"), cross_page=eseal.CrossPage(pages="3-1"))


def test_keyword_placement_and_the_typed_not_found_error(ca, png_seal):
    kw = eseal.Keyword("bindings", occurrence="first", anchor="end", offset_mm=(2.0, 0.0), size_mm=(20.0, 20.0))
    valid_pdf(eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), keyword=kw), ca, 1)
    ofd = eseal.sign_ofd(PLAIN / "plain.ofd", png_seal, ca.signer("person"), keyword=eseal.Keyword("bindings", occurrence=1))
    assert eseal.verify_ofd(ofd, trust=ca.root_cert_pem).valid
    for sign, doc in ((eseal.sign_pdf, "plain.pdf"), (eseal.sign_ofd, "plain.ofd")):
        with pytest.raises(eseal.KeywordNotFound, match="甲方") as e:
            sign(PLAIN / doc, png_seal, ca.signer("person"), keyword=eseal.Keyword("甲方（盖章）"))
        assert e.value.code == "ESEAL_KEYWORD_NOT_FOUND" and isinstance(e.value, LookupError)
        with pytest.raises(eseal.KeywordNotFound):
            sign(PLAIN / doc, png_seal, ca.signer("person"), keyword=eseal.Keyword("bindings", occurrence=2))
    with pytest.raises(eseal.InvalidInput, match="occurrence"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), keyword=eseal.Keyword("bindings", occurrence=0))
    with pytest.raises(eseal.InvalidInput, match="empty"):
        eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), keyword=eseal.Keyword(" "))


def test_stamp_pictures_and_a_qr_code_on_the_document(ca):
    unit = eseal.stamp_unit("common", "上海市测试有限公司", bottom="合同专用章", code="3101000000001")
    assert unit.png.startswith(b"\x89PNG") and unit.svg and unit.svg.startswith("<svg")
    assert round(unit.width_mm) == 42
    for style, extra in (("invoice", {"code": "91310000MA1FL0000X"}), ("oval", {}), ("square-finance", {}), ("party", {}), ("union", {}), ("youth", {})):
        pic = eseal.stamp_unit(style, "上海市测试有限公司", **extra)  # type: ignore[arg-type]
        assert pic.png.startswith(b"\x89PNG"), style
    assert round(eseal.stamp_unit("oval", "上海市测试有限公司").width_mm) == 45
    with pytest.raises(eseal.InvalidInput, match="style"):
        eseal.stamp_unit("hexagon", "x")  # type: ignore[arg-type]
    with pytest.raises(eseal.InvalidInput, match="纳税人识别号"):
        eseal.stamp_unit("invoice", "上海市测试有限公司")
    for shape in ("square", "rect", "legal"):
        assert eseal.stamp_personal("张三", shape=shape).png.startswith(b"\x89PNG")  # type: ignore[arg-type]
    assert eseal.stamp_fonts(), "no seal font installed"
    with pytest.raises(eseal.InvalidInput, match="font"):
        eseal.stamp_personal("张三", font="No Such Font Family")
    imported = eseal.stamp_import(REPO / "vectors" / "bindings" / "seal.jpg", width_mm=40, height_mm=40)
    assert imported.png.startswith(b"\x89PNG") and round(imported.width_mm) == 40
    qr = eseal.stamp_qr("https://verify.example.cn/v?id={doc_id}&h={digest}", "doc-1", bytes(32), size_mm=20)
    seal = eseal.Seal.create("上海市测试有限公司", "310000000000052", maker=ca.signer("unit"), picture=unit.png, width_mm=42, height_mm=42, signers=[ca.signer("person")])
    signed = eseal.sign_pdf(PLAIN / "plain.pdf", seal, ca.signer("person"), qr=eseal.QrCode(qr.png, page=1, x=200, y=120, size=57))
    valid_pdf(signed, ca, 1)
    ofd = eseal.sign_ofd(PLAIN / "plain.ofd", seal, ca.signer("person"), qr=eseal.QrCode(qr.png, page=1, x=150, y=20, size=20))
    assert eseal.verify_ofd(ofd, trust=ca.root_cert_pem).valid


def test_deferred_signing_pdf_and_ofd(ca, png_seal, tmp_path):
    person = ca.signer("person")
    cert = ca.cert_pem("person")
    for doc, prepare, finish, verify, opts in (
        ("plain.pdf", eseal.prepare_pdf, eseal.finish_pdf, eseal.verify_pdf, {"reason": "同意", "x": 150.0, "y": 60.0}),
        ("plain.ofd", eseal.prepare_ofd, eseal.finish_ofd, eseal.verify_ofd, {"x": 30.0, "y": 40.0}),
    ):
        digest, state = prepare(PLAIN / doc, png_seal, cert, **opts)  # type: ignore[operator]
        assert len(digest) == 32
        # The holder of the key signs e as a UKey's SKF_ECCSignData would.
        signature = person.sign_prepared(digest)
        signed = finish(PLAIN / doc, png_seal, state, signature, **opts)  # type: ignore[operator]
        r = verify(signed, trust=ca.root_cert_pem)
        assert r.verdict == "valid", r.to_text()
        with pytest.raises(eseal.InvalidInput):
            finish(PLAIN / doc, png_seal, state, ca.signer("unit").sign_prepared(digest), **opts)  # type: ignore[operator]
        with pytest.raises(eseal.InvalidInput):
            finish(PLAIN / doc, png_seal, state, signature, **{**opts, "x": 99.0})  # type: ignore[operator]
        with pytest.raises(eseal.InvalidInput):
            finish(PLAIN / doc, png_seal, b"not a state", signature, **opts)  # type: ignore[operator]
    with pytest.raises(eseal.InvalidInput, match="one signature"):
        eseal.prepare_pdf(PLAIN / "plain.pdf", png_seal, cert, stamps=[eseal.Stamp(), eseal.Stamp(x=100)])


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils not installed")
def test_pdfsig_reads_both_signatures(ca, png_seal, tmp_path):
    f = tmp_path / "cms.pdf"
    f.write_bytes(eseal.sign_pdf(PLAIN / "plain.pdf", png_seal, ca.signer("person"), shape="sm2-cms", reason="approved", location="Shanghai", stamps=[eseal.Stamp(x=20, y=20), eseal.Stamp(x=150, y=20)]))
    out = subprocess.run(["pdfsig", "-nocert", str(f)], capture_output=True, text=True).stdout
    assert out.count("Signature #") == 2, out
    assert "Signature Type: adbe.pkcs7.detached" in out and "Total document signed" in out, out
