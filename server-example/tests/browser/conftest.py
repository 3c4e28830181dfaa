"""The portal's browser tests: Debian's chromium driven by Playwright against eseal-server
--demo on SQLite (a fresh data folder), with `eseal agent` serving the demo's software UKey.

Run by scripts/test.d/90-portal.sh; alone:
    CARGO_TARGET_DIR=... $ESEAL_VENV/bin/pytest server-example/tests/browser
Environment: ESEAL_BIN (folder of eseal-server, eseal, libeseal_soft_ukey.so; default
$CARGO_TARGET_DIR/debug), ESEAL_CHROMIUM (default /usr/bin/chromium), ESEAL_PORTAL_SHOTS
(screenshot folder; default a temporary one), ESEAL_PORTAL_DOC_SHOTS=1 (also refresh the
README's screenshots in docs/portal/).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "server-example" / "web"
DOC_SHOTS = ROOT / "docs" / "portal"
AGENT_SECRET = "portal-test-agent-secret-2026"
OPERATOR = ("ops", "ops-portal-test-2026")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bin_dir():
    if os.environ.get("ESEAL_BIN"):
        return Path(os.environ["ESEAL_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/eseal/target"))
    return Path(target) / "debug"


def wait_http(url, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer at {url}")


class Platform:
    def __init__(self, base, data, agent_url):
        self.base = base
        self.data = data
        self.agent_url = agent_url
        self.bins = bin_dir()

    def get_json(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return json.load(r)

    def last_sms_code(self, phone):
        msgs = self.get_json(f"/api/v1/dev/sms?phone={phone}")
        assert msgs, f"no SMS for {phone}"
        return re.search(r"\d{6}", msgs[0]["text"]).group(0)

    def captcha_answer(self, captcha_id):
        return self.get_json(f"/api/v1/dev/captcha/{captcha_id}")["answer"]


@pytest.fixture(scope="session")
def platform():
    bins = bin_dir()
    for b in ["eseal-server", "eseal", "libeseal_soft_ukey.so"]:
        assert (bins / b).exists(), f"{bins / b} missing: cargo build -p eseal-server -p eseal-cli -p eseal-soft-ukey"
    data = Path(tempfile.mkdtemp(prefix="eseal-portal-"))
    port, agent_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ESEAL_DATA_DIR=str(data), ESEAL_LISTEN=f"127.0.0.1:{port}",
               ESEAL_OPERATOR=":".join(OPERATOR), ESEAL_WEB_DIR=str(WEB), ESEAL_LOG="warn",
               ESEAL_PUBLIC_URL=base, ESEAL_DEV_CAPTCHA_ANSWERS="1")
    log = open(data / "server.log", "w")
    server = subprocess.Popen([str(bins / "eseal-server"), "--demo"], env=env, stdout=log, stderr=log)
    agent = None
    try:
        wait_http(base + "/readyz", server, "eseal-server")
        ukey = data / "demo" / "unit-ukey.json"
        for _ in range(100):
            if ukey.exists():
                break
            time.sleep(0.1)
        alog = open(data / "agent.log", "w")
        agent = subprocess.Popen(
            [str(bins / "eseal"), "agent", "--lib", str(bins / "libeseal_soft_ukey.so"),
             "--portal-origin", base, "--secret", AGENT_SECRET, "--port", str(agent_port)],
            env=dict(os.environ, ESEAL_SOFT_UKEY_FILE=str(ukey)), stdout=alog, stderr=alog)
        agent_url = f"http://127.0.0.1:{agent_port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", agent_port), timeout=0.5).close()
                break
            except OSError:
                if agent.poll() is not None:
                    raise RuntimeError("eseal agent exited: " + (data / "agent.log").read_text())
                time.sleep(0.1)
        yield Platform(base, data, agent_url)
    finally:
        for p in [agent, server]:
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    exe = os.environ.get("ESEAL_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots():
    d = Path(os.environ.get("ESEAL_PORTAL_SHOTS") or tempfile.mkdtemp(prefix="eseal-portal-shots-"))
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nportal screenshots: {d}")
    return d


class Tab:
    """A page of a fresh browser context (own cookies) that records console errors and every
    request, for the checks at the end of each test."""

    def __init__(self, ctx, platform, shots, name):
        self.ctx = ctx
        self.page = ctx.new_page()
        self.platform = platform
        self.shots = shots
        self.name = name
        self.errors = []
        self.requests = []
        self.server_errors = []
        self.excused = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: r.status >= 500 and self.server_errors.append(f"{r.status} {r.url}"))

    def _console(self, m):
        if m.type != "error":
            return
        url = (m.location or {}).get("url", "")
        # A 4xx problem of the API that the page handled (not signed in yet, no signature
        # set, a wrong password on purpose) is logged by Chromium as a failed resource; a
        # missing script, style or picture is not excused.
        if m.text.startswith("Failed to load resource: the server responded with a status of 4") \
                and url.startswith(self.platform.base + "/api/"):
            return
        self.errors.append(f"{m.text} ({url})")

    def excuse(self, url_prefix):
        """A test that points the page somewhere on purpose (an agent that is not running)
        excuses the requests and console errors for that address."""
        self.excused.append(url_prefix)

    def fits(self, screen):
        """Nothing wider than the window: no horizontal scrolling of the main frame, and no
        element reaching past the window's right edge outside a scrolling box (cut off)."""
        over = self.page.evaluate("""() => {
            const W = document.documentElement.clientWidth;
            const out = [];
            if (document.documentElement.scrollWidth > W + 1) out.push('page scrolls: ' + document.documentElement.scrollWidth + ' > ' + W);
            const scrolls = (e) => { for (let a = e.parentElement; a; a = a.parentElement) {
                const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
            for (const e of document.body.querySelectorAll('*')) {
                const r = e.getBoundingClientRect();
                if (r.width && r.height && r.right > W + 1 && getComputedStyle(e).position !== 'fixed' && !scrolls(e))
                    out.push(e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' right=' + Math.round(r.right));
            }
            return out.slice(0, 5);
        }""")
        assert not over, f"{screen} at {self.page.viewport_size}: {over}"

    def shot(self, screen):
        self.fits(screen)
        path = self.shots / f"{self.name}-{screen}.png"
        self.page.screenshot(path=str(path))
        if os.environ.get("ESEAL_PORTAL_DOC_SHOTS") == "1":
            DOC_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOC_SHOTS / f"{screen}.png")
        return path

    def goto(self, route=""):
        self.page.goto(self.platform.base + "/#/" + route)


@pytest.fixture
def new_tab(browser, platform, shots, request):
    tabs = []

    def make(viewport=(1366, 768)):
        ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  locale="zh-CN", accept_downloads=True)
        t = Tab(ctx, platform, shots, request.node.name)
        tabs.append(t)
        return t

    yield make
    for t in tabs:
        # No console errors, no server errors, and no request to anything but the server and
        # the local agent.
        errors = [e for e in t.errors if not any(x in e for x in t.excused)]
        allowed = (platform.base + "/", platform.agent_url + "/", "data:", "blob:", "about:", *t.excused)
        foreign = [u for u in t.requests if not u.startswith(allowed)]
        t.ctx.close()
        assert not foreign, f"requests outside the server: {foreign}"
        assert not t.server_errors, f"server errors: {t.server_errors}"
        assert not errors, f"console errors: {errors}"
