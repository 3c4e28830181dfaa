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
