# The web portal in a real browser (issue 15): Debian's chromium driven by Playwright
# (scripts/setup.d/80-browser.sh) against eseal-server --demo on SQLite with the portal
# (server-example/web) and `eseal agent` serving the demo's software UKey; one test per flow
# (server-example/tests/browser). Screenshots go to $CARGO_TARGET_DIR/portal-shots.
# Sourced by scripts/test.sh (CARGO_TARGET_DIR set, setup done); about 1–2 minutes.
portal_check() {
    cargo build --quiet -p eseal-server -p eseal-cli -p eseal-soft-ukey || return 1
    ESEAL_PORTAL_SHOTS="$CARGO_TARGET_DIR/portal-shots" \
        "${ESEAL_VENV:-$HOME/.cache/eseal/venv}/bin/python" -m pytest -q -p no:cacheprovider \
        server-example/tests/browser
}
portal_check || { echo "portal (browser tests): FAILED"; return 1 2>/dev/null || exit 1; }
