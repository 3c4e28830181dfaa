#!/usr/bin/env bash
# A second example (the main job is scripts/serve.sh): the library end to end (test CA, unit seal,
# signature, verification report), written to ./eseal-demo/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}"
scripts/setup.sh
cargo run --quiet -p eseal-cli -- demo --out "${1:-eseal-demo}"
