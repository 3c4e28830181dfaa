import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm"><circle cx="20" cy="20" r="18" fill="none" stroke="red"/></svg>'


@pytest.fixture(scope="session")
def ca():
    import eseal

    return eseal.TestCa("xlang")


@pytest.fixture(scope="session")
def seal(ca):
    import eseal

    return eseal.Seal.create("上海市测试局", "310000000000043", maker=ca.signer("unit"), picture=SVG, signers=[ca.signer("person")])


@pytest.fixture(scope="session")
def xlang_dir(tmp_path_factory):
    """Where the three languages leave signatures for each other (ESEAL_XLANG_DIR)."""
    d = os.environ.get("ESEAL_XLANG_DIR")
    return pathlib.Path(d) if d else tmp_path_factory.mktemp("xlang")


@pytest.fixture
def soft_ukey(tmp_path):
    """A software UKey (PIN 123456, the test CA's person in application ESEAL) behind its own
    copy of the SKF library: returns (library path, state file)."""
    import subprocess

    lib, cli = os.environ.get("ESEAL_SOFT_UKEY_LIB"), os.environ.get("ESEAL_BIN")
    assert lib and cli, "ESEAL_SOFT_UKEY_LIB and ESEAL_BIN must name the software UKey library and the eseal command (scripts/test.d/80-bindings.sh sets them)"
    state = tmp_path / "key.json"
    subprocess.run([cli, "ukey", "init", "--out", str(state), "--pin", "123456", "--test-ca", "xlang"], check=True, capture_output=True)
    copy = tmp_path / pathlib.Path(lib).name
    copy.write_bytes(pathlib.Path(lib).read_bytes())
    (tmp_path / (copy.name + ".devices")).write_text(f"{state}\n")
    return copy, state
