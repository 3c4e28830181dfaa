#!/usr/bin/env bash
# Installs everything eseal's tests and demo need beyond the Rust toolchain, Python 3.11 and
# Node 20: Debian packages, a Python venv with the outside validators, npm packages.
# Idempotent: each step checks before it installs. Each part lives in scripts/setup.d/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ESEAL_CACHE="${ESEAL_CACHE:-$HOME/.cache/eseal}"
mkdir -p "$ESEAL_CACHE"

# apt_install PKG... — installs the Debian packages that are missing (needs root or sudo).
apt_install() {
    local missing=()
    for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ ! -f "$ESEAL_CACHE/apt-updated" ] || [ -n "$(find "$ESEAL_CACHE/apt-updated" -mmin +720 2>/dev/null)" ]; then
        $sudo apt-get update -qq && touch "$ESEAL_CACHE/apt-updated"
    fi
    echo "setup: apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
export -f apt_install

for part in "$here"/setup.d/*.sh; do
    [ -e "$part" ] || continue
    # shellcheck source=/dev/null
    source "$part"
done
echo "setup: done"
