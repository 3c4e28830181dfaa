#!/usr/bin/env bash
# Document rows (issue 20): PDF signing against the hash-plus-copy floor and pyHanko, memory of
# signing and verifying 100 MB, OFD memory against the page count, batch scaling. Whole
# processes, median of several runs (benches/documents.py says how).
#   ESEAL_BIN=path        use this eseal instead of building the release one
#   ESEAL_DOC_RUNS=N      runs of each command (default 3)
#   ESEAL_DOC_SIZES="1 10 30 100" / ESEAL_DOC_PAGES="1 100 1000"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -z "${ESEAL_BIN:-}" ]]; then
    (cd "$root" && cargo build --release -q -p eseal-cli >&2)
    ESEAL_BIN="${CARGO_TARGET_DIR:-$root/target}/release/eseal"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/benches/documents.py" "$ESEAL_BIN" "$work"
