"""The Python binding: seals, signers, signing and verification through the Rust core."""

import hashlib
import pathlib
import json
import threading

import pytest

import eseal
from conftest import REPO, SVG

DATA = b"eseal from Python: the protected data"


def test_seal_create_parse_info(ca, seal, tmp_path):
    assert seal.version == "v4"
    assert seal.name == "上海市测试局"
    assert seal.es_id == "310000000000043"
    assert seal.picture == SVG
    info = seal.info()
    assert info["es_id"] == "310000000000043"
    assert info["maker"]["subject"] == ca.signer("unit").subject
    path = tmp_path / "s.esl"
    seal.save(path)
    assert eseal.Seal(path).to_bytes() == seal.to_bytes()  # path-like input
    assert eseal.Seal(str(path)).to_bytes() == seal.to_bytes()  # str path
    assert eseal.Seal(bytearray(seal.to_bytes())).es_id == seal.es_id


def test_sign_and_verify(ca, seal):
    signer = ca.signer("person")
    sig = eseal.sign_data(seal, signer, DATA, property_info="/py/data.txt")
    report = eseal.verify_signature(sig, data=DATA, trust=ca.root_cert_pem, strict=True)
    assert report.verdict == "valid", report.to_text()
    assert report.exit_code == 0 and report
    d = report.to_dict()
    assert d["format"] == "ses-signature" and d["exit_code"] == 0
    assert {c["check"] for c in d["signatures"][0]["checks"]} >= {"data_digest", "signer_signature", "maker_signature", "signer_binding"}
    assert json.loads(report.to_json()) == d
    # The digest form: dataHash is SM3(data) (hashlib has SM3 when OpenSSL does).
    if "sm3" in hashlib.algorithms_available:
        assert eseal.verify_signature(sig, digest=hashlib.new("sm3", DATA).digest(), trust=ca.root_cert_pem).valid
    # Without trust anchors: intact, signer not trusted (exit 3), strict or not; never valid.
    loose = eseal.verify_signature(sig, data=DATA)
    assert loose.verdict == "intact_untrusted" and loose.exit_code == 3 and not loose
    assert loose.to_dict()["signatures"][0]["verdict"] == "intact_untrusted"
    assert eseal.verify_signature(sig, data=DATA, strict=True).exit_code == 3


def test_sign_digest_round_trip(ca, seal):
    digest = bytes(range(32))
    sig = eseal.sign_digest(seal, ca.signer("person"), digest, property_info="/digest")
    assert eseal.verify_signature(sig, digest=digest, trust=ca.root_cert_pem).valid
    r = eseal.verify_signature(sig, digest=bytes(32), trust=ca.root_cert_pem)
    assert r.verdict == "invalid" and r.exit_code == 1


def test_changed_data_is_invalid(ca, seal):
    sig = eseal.sign_data(seal, ca.signer("person"), DATA)
    r = eseal.verify_signature(sig, data=DATA + b"!", trust=ca.root_cert_pem)
    assert r.verdict == "invalid" and not r
    failed = [c for c in r.to_dict()["signatures"][0]["checks"] if c["status"] == "failed"]
    assert [c["check"] for c in failed] == ["data_digest"]
    assert "changed" in failed[0]["message"] and failed[0]["message_zh"]


def test_software_signer_from_pem(ca, seal, tmp_path):
    (tmp_path / "k.pem").write_text(ca.key_pem("person"))
    (tmp_path / "c.pem").write_text(ca.cert_pem("person"))
    signer = eseal.Signer.from_pem(tmp_path / "k.pem", tmp_path / "c.pem")
    assert signer.certificate_pem == ca.cert_pem("person")
    assert "张三" in signer.subject
    sig = eseal.sign_data(seal, signer, DATA)
    assert eseal.verify_signature(sig, data=DATA, trust=[ca.root_cert_pem]).valid
    # PEM text directly, as str or bytes.
    assert eseal.Signer.from_pem(ca.key_pem("person"), ca.cert_pem("person").encode()).subject == signer.subject
    with pytest.raises(eseal.InvalidInput, match="does not belong"):
        eseal.Signer.from_pem(ca.key_pem("unit").encode(), ca.cert_pem("person").encode())


def test_errors_are_a_hierarchy_with_core_messages(ca, seal, tmp_path):
    with pytest.raises(eseal.InvalidInput) as e:
        eseal.Seal(b"junk")
    assert isinstance(e.value, eseal.Error) and "truncated" in str(e.value)
    with pytest.raises(eseal.SealUnusable, match="certList"):
        eseal.sign_data(seal, ca.signer("unit"), DATA)
    with pytest.raises(eseal.SealUnusable, match="valid"):
        eseal.sign_data(seal, ca.signer("person"), DATA, time="2001-01-01T00:00:00Z")
    with pytest.raises(eseal.InvalidInput, match="picture"):
        eseal.Seal.create("x", "1", maker=ca.signer("unit"), picture=b"not a picture", signers=[ca.signer("person")])
    with pytest.raises(eseal.InvalidInput):
        eseal.TestCa("t").signer("nobody")
    with pytest.raises(FileNotFoundError):
        eseal.Seal(tmp_path / "absent.esl")
    with pytest.raises(TypeError):
        eseal.Seal(42)
    # Unparseable input to a verifier is a report, not an exception.
    r = eseal.verify_signature(b"junk")
    assert r.verdict == "invalid" and r.to_dict()["signatures"][0]["checks"][0]["check"] == "structure"
    assert issubclass(eseal.PinIncorrect, eseal.Error) and issubclass(eseal.DeviceError, eseal.Error)


def test_verify_seal(ca, seal):
    r = eseal.verify_seal(seal, trust=ca.root_cert_pem)
    assert r.verdict == "valid", r.to_text()
    assert eseal.verify_seal(seal.to_bytes()).verdict == "intact_untrusted"
    # A seal outside its validity period cannot seal anything: "not valid now".
    late = eseal.verify_seal(seal, trust=ca.root_cert_pem, at="2099-01-01T00:00:00Z")
    assert late.verdict == "invalid" and "not valid now" in late.to_text()
    assert eseal.verify_seal(b"junk").verdict == "invalid"


def test_golden_vectors():
    ses = REPO / "vectors" / "ses"
    seal = eseal.Seal(ses / "seal-v4.der")
    assert (seal.name, seal.es_id, seal.version) == ("上海市测试局", "310000000000001", "v4")
    trust = eseal.TestCa("eseal-vectors").root_cert_pem
    r = eseal.verify_signature(ses / "signature-v4.der", data=b"eseal golden vector: the protected data", trust=trust, at="2026-06-02T00:00:00Z")
    assert r.verdict == "valid", r.to_text()
    assert eseal.verify_signature(ses / "signature-v4.der", data=b"other", trust=trust).verdict == "invalid"
    for bad in sorted((REPO / "vectors" / "bad").glob("seal-*.der")):
        with pytest.raises(eseal.InvalidInput):
            eseal.Seal(bad)


def test_shared_vectors_from_other_producers():
    d = REPO.parent / "shared" / "vectors" / "ofdrw"
    if not d.is_dir():
        pytest.skip(f"{d} is absent (shared sample files from other producers)")
    for name, version in [("UserV1.esl", "v1"), ("UserV4.esl", "v4"), ("UserV5.esl", "v5")]:
        assert eseal.Seal(d / name).version == version
    # Valid 2020-04-22 .. 2022-04-22: not valid now; as of 2021 intact, its root not trusted.
    r = eseal.verify_seal(d / "UserV4.esl", at="2026-11-01T00:00:00Z")
    assert r.verdict == "invalid"
    assert any("not valid now" in c["message"] for c in r.to_dict()["signatures"][0]["checks"])
    assert eseal.verify_seal(d / "UserV4.esl", at="2021-01-01T00:00:00Z").verdict == "intact_untrusted"
    bad = eseal.verify_seal(d / "SESealData.DER", at="2026-11-01T00:00:00Z")
    assert bad.verdict == "invalid"


def test_signing_releases_the_gil(ca, seal):
    # Threads sign at once; each call drops the GIL, so they all finish and all verify.
    results = []

    def work(i):
        results.append(eseal.sign_data(seal, ca.signer("person"), DATA + bytes([i])))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for i, sig in enumerate(sorted(results, key=lambda s: s)):
        assert eseal.verify_signature(sig, trust=ca.root_cert_pem).verdict == "valid_with_warnings"  # no data given


def test_ukey_signer_through_the_skf_library(ca, seal, tmp_path, soft_ukey):
    copy, _ = soft_ukey
    with pytest.raises(eseal.PinIncorrect) as e:
        eseal.Signer.from_ukey(copy, "000000", application="ESEAL")
    assert e.value.retries_left >= 1
    with pytest.raises(eseal.DeviceError):
        eseal.Signer.from_ukey(tmp_path / "absent.so", "123456", application="ESEAL")
    signer = eseal.Signer.from_ukey(copy, "123456", application="ESEAL")
    assert signer.certificate_pem == ca.cert_pem("person")
    sig = eseal.sign_data(seal, signer, DATA)
    assert eseal.verify_signature(sig, data=DATA, trust=ca.root_cert_pem, strict=True).valid


def test_signing_failures_keep_their_cause(ca, soft_ukey):
    """Signing a PDF or an OFD with a UKey fails with the cause's class: an unusable seal, a
    key pulled out — not a generic crypto error."""
    copy, state = soft_ukey
    key = eseal.Signer.from_ukey(copy, "123456", application="ESEAL")
    png = REPO / "vectors" / "ses" / "picture-8x8.png"
    plain = REPO / "vectors" / "bindings"

    def sign_both(seal):
        for sign in (
            lambda: eseal.sign_pdf(plain / "plain.pdf", seal, key, page=1, x=200, y=40, width=60, height=60),
            lambda: eseal.sign_ofd(plain / "plain.ofd", seal, key, page=1, x=30, y=40),
        ):
            yield sign

    # A seal that does not list the key's certificate (GB/T 38540 §8.2): the seal's refusal.
    other = eseal.Seal.create("上海市测试局", "310000000000049", maker=ca.signer("unit"), picture=png, signers=[ca.signer("unit")])
    for sign in sign_both(other):
        with pytest.raises(eseal.SealUnusable):
            sign()
    seal = eseal.Seal.create("上海市测试局", "310000000000049", maker=ca.signer("unit"), picture=png, signers=[ca.signer("person")])
    assert eseal.verify_pdf(next(sign_both(seal))(), trust=ca.root_cert_pem).verdict == "valid"
    # The key is pulled out: a device error, with the code C callers get.
    st = json.loads(state.read_text())
    st["present"] = False
    state.write_text(json.dumps(st))
    for sign in sign_both(seal):
        with pytest.raises(eseal.DeviceError, match="removed"):
            sign()


def test_sign_and_verify_ofd_and_pdf(ca, tmp_path):
    png = REPO / "vectors" / "ses" / "picture-8x8.png"
    seal = eseal.Seal.create("上海市测试局", "310000000000046", maker=ca.signer("unit"), picture=png, signers=[ca.signer("person")])
    person = ca.signer("person")
    plain = REPO / "vectors" / "bindings"
    ofd = eseal.sign_ofd(plain / "plain.ofd", seal, person, page=1, x=30, y=40)
    r = eseal.verify_ofd(ofd, trust=ca.root_cert_pem)
    assert r.verdict == "valid", r.to_text()
    assert r.to_dict()["format"] == "ofd"
    pdf = eseal.sign_pdf(plain / "plain.pdf", seal, person, page=1, x=200, y=40, width=60, height=60)
    r = eseal.verify_pdf(pdf, trust=ca.root_cert_pem)
    assert r.verdict == "valid", r.to_text()
    # A changed byte inside the signed range breaks the PDF signature.
    i = pdf.index(b"eseal bindings")
    bad = pdf[:i] + b"E" + pdf[i + 1 :]
    assert eseal.verify_pdf(bad, trust=ca.root_cert_pem).verdict == "invalid"
    assert eseal.verify_pdf(plain / "plain.pdf").verdict == "invalid"  # no signature
    with pytest.raises(eseal.InvalidInput):
        eseal.verify_ofd(b"junk")
    # Unusable PDF input is an error exactly as for OFD: not a PDF, empty.
    for junk in (b"junk", b""):
        with pytest.raises(eseal.InvalidInput, match="not a PDF"):
            eseal.verify_pdf(junk)
    with pytest.raises(eseal.InvalidInput, match="PNG"):
        eseal.sign_pdf(plain / "plain.pdf", eseal.Seal.create("x", "1", maker=ca.signer("unit"), picture=SVG, signers=[person]), person, page=1, width=50, height=50)


JPEG = REPO / "vectors" / "bindings" / "seal.jpg"
PLAIN = REPO / "vectors" / "bindings"


def test_exceptions_subclass_the_builtin_of_their_nature(ca, seal, tmp_path):
    assert issubclass(eseal.InvalidInput, ValueError) and issubclass(eseal.InvalidInput, eseal.Error)
    assert issubclass(eseal.FileError, OSError) and issubclass(eseal.DeviceError, OSError)
    assert issubclass(eseal.NotFound, LookupError)
    with pytest.raises(ValueError) as e:
        eseal.Seal(b"junk")
    assert e.value.code == "ESEAL_INVALID_INPUT"
    assert eseal.SealUnusable.code == "ESEAL_SEAL_UNUSABLE"


def test_bad_arguments_raise_invalid_input(ca, tmp_path):
    jpeg_seal = eseal.Seal.create("上海市测试局", "310000000000052", maker=ca.signer("unit"), picture=JPEG, signers=[ca.signer("person")])
    person = ca.signer("person")
    for page in (0, -1, 2**33):
        with pytest.raises(eseal.InvalidInput, match="page"):
            eseal.sign_pdf(PLAIN / "plain.pdf", jpeg_seal, person, page=page)
        with pytest.raises(eseal.InvalidInput, match="page"):
            eseal.sign_ofd(PLAIN / "plain.ofd", jpeg_seal, person, page=page)
    with pytest.raises(eseal.InvalidInput):
        eseal.sign_pdf(PLAIN / "plain.pdf", jpeg_seal, person, x=float("nan"))
    with pytest.raises(eseal.InvalidInput):
        eseal.sign_ofd(PLAIN / "plain.ofd", jpeg_seal, person, width=-5)


def test_one_stamp_rule_for_pdf_and_ofd_and_jpeg_pictures(ca):
    """A position without a page is page 1 in both formats; a JPEG seal picture is converted
    for the PDF stamp; invisible is a PDF-only choice."""
    seal = eseal.Seal.create("上海市测试局", "310000000000053", maker=ca.signer("unit"), picture=JPEG, signers=[ca.signer("person")])
    person = ca.signer("person")
    plain_pdf = (PLAIN / "plain.pdf").read_bytes()
    pdf = eseal.sign_pdf(plain_pdf, seal, person, x=150, y=30)
    assert eseal.verify_pdf(pdf, trust=ca.root_cert_pem).verdict == "valid"
    assert b"/Subtype /Image" in pdf[len(plain_pdf):] or b"/Subtype/Image" in pdf[len(plain_pdf):]
    invisible = eseal.sign_pdf(plain_pdf, seal, person, invisible=True)
    assert b"/Image" not in invisible[len(plain_pdf):]
    assert eseal.verify_pdf(invisible, trust=ca.root_cert_pem).verdict == "valid"
    ofd = eseal.sign_ofd(PLAIN / "plain.ofd", seal, person, x=30, y=40)
    assert eseal.verify_ofd(ofd, trust=ca.root_cert_pem).verdict == "valid"
    # The default stamp of both: page 1, 20 mm from the corner.
    assert eseal.verify_pdf(eseal.sign_pdf(plain_pdf, seal, person), trust=ca.root_cert_pem).verdict == "valid"
    # An SVG seal cannot be drawn in a PDF: the error names the way out.
    svg_seal = eseal.Seal.create("x", "1", maker=ca.signer("unit"), picture=SVG, signers=[person])
    with pytest.raises(eseal.InvalidInput, match="invisibl"):
        eseal.sign_pdf(plain_pdf, svg_seal, person)


def test_junk_pdf_and_ofd_alike_and_report_names_the_path(tmp_path):
    for name in ("junk.pdf", "junk.ofd"):
        (tmp_path / name).write_bytes(b"junk")
    with pytest.raises(eseal.InvalidInput):
        eseal.verify_pdf(tmp_path / "junk.pdf")
    with pytest.raises(eseal.InvalidInput):
        eseal.verify_ofd(tmp_path / "junk.ofd")
    assert eseal.verify_pdf(PLAIN / "plain.pdf").to_dict()["file"] == str(PLAIN / "plain.pdf")
    assert eseal.verify_pdf(str(PLAIN / "plain.pdf")).to_dict()["file"] == str(PLAIN / "plain.pdf")
    assert eseal.verify_pdf((PLAIN / "plain.pdf").read_bytes()).to_dict()["file"] == "document.pdf"


def test_seal_equality_and_pickle(seal):
    import pickle

    again = eseal.Seal(seal.to_bytes())
    assert again == seal and hash(again) == hash(seal) and again != seal.to_bytes()
    assert len({seal, again}) == 1
    assert pickle.loads(pickle.dumps(seal)) == seal


def test_signer_is_a_context_manager(ca, seal, soft_ukey):
    copy, _ = soft_ukey
    with eseal.Signer.from_ukey(copy, "123456", application="ESEAL") as key:
        assert not key.closed
        eseal.sign_data(seal, key, DATA)
    assert key.closed
    with pytest.raises(eseal.InvalidInput, match="closed"):
        eseal.sign_data(seal, key, DATA)
    assert "closed" in repr(key)


def test_trust_one_list_or_directory(ca, seal, tmp_path):
    sig = eseal.sign_data(seal, ca.signer("person"), DATA)
    assert eseal.verify_signature(sig, data=DATA, trust=ca.root_cert_pem).verdict == "valid"
    assert eseal.verify_signature(sig, data=DATA, trust=(ca.root_cert_pem,)).verdict == "valid"
    (tmp_path / "root.pem").write_text(ca.root_cert_pem)
    assert eseal.verify_signature(sig, data=DATA, trust_dir=tmp_path).verdict == "valid"
    assert eseal.verify_signature(sig, data=DATA, trust_dir=False).verdict == "intact_untrusted"
    with pytest.raises(eseal.FileError):
        eseal.verify_signature(sig, data=DATA, trust_dir=tmp_path / "absent")


def test_async_helpers(ca, seal):
    import asyncio

    async def main():
        sigs = await asyncio.gather(*(eseal.sign_data_async(seal, ca.signer("person"), DATA + bytes([i])) for i in range(3)))
        reports = [await eseal.verify_signature_async(s, trust=ca.root_cert_pem) for s in sigs]
        return [r.verdict for r in reports]

    assert asyncio.run(main()) == ["valid_with_warnings"] * 3


def test_typed_usage_is_mypy_strict_clean(tmp_path):
    """A sample program type-checks under mypy --strict against the stubs."""
    import shutil
    import subprocess
    import sys

    mypy = shutil.which("mypy") or str(pathlib.Path(sys.executable).parent / "mypy")
    if not pathlib.Path(mypy).exists():
        pytest.skip("mypy is not installed")
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import eseal\n"
        "ca = eseal.TestCa('t')\n"
        "seal = eseal.Seal.create('n', '1', maker=ca.signer('unit'), picture=b'x', signers=[ca.signer('person')])\n"
        "report = eseal.verify_pdf('a.pdf', trust=ca.root_cert_pem, trust_dir=False)\n"
        "verdict: eseal.Verdict = report.verdict\n"
        "d: eseal.ReportDict = report.to_dict()\n"
        "first: str = d['signatures'][0]['checks'][0]['message_zh']\n"
        "try:\n"
        "    eseal.sign_pdf(b'', seal, ca.signer('person'), page=1, invisible=True)\n"
        "except eseal.PinIncorrect as e:\n"
        "    left: int = e.retries_left\n"
        "with eseal.Signer.from_pem(b'', b'') as s:\n"
        "    sub: str = s.subject\n"
    )
    r = subprocess.run([mypy, "--strict", "--no-incremental", str(sample)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
