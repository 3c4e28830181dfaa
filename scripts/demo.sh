#!/usr/bin/env bash
# The main job. Until the reference server exists: the end-to-end demo (test CA, unit seal,
# signature, verification report), written to ./eseal-demo/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}"
scripts/setup.sh
cargo run --quiet -p eseal-cli -- demo --out "${1:-eseal-demo}"
