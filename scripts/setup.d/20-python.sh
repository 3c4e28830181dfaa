# The Python venv that holds outside validators (pyHanko, easyofd, ...): $ESEAL_CACHE/venv.
# Other parts add their packages with `venv_pip_install NAME...`.
export ESEAL_VENV="${ESEAL_VENV:-$ESEAL_CACHE/venv}"
if [ ! -x "$ESEAL_VENV/bin/python" ]; then
    apt_install python3-venv >/dev/null 2>&1 || true
    python3 -m venv "$ESEAL_VENV"
    "$ESEAL_VENV/bin/pip" install -q --upgrade pip
fi
# venv_pip_install PKG... — installs those not yet importable/installed in the venv.
venv_pip_install() {
    local missing=()
    for p in "$@"; do
        "$ESEAL_VENV/bin/pip" show -q "${p%%[<>=]*}" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || { echo "setup: pip install ${missing[*]}"; "$ESEAL_VENV/bin/pip" install -q "${missing[@]}"; }
}
