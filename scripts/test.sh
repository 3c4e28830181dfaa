#!/usr/bin/env bash
# Runs every test of eseal: installs what the tests need (scripts/setup.sh), then lints and
# tests the whole workspace, including the interop tests against outside tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}"
export CARGO_TERM_COLOR=never
scripts/setup.sh
for part in scripts/test.d/*.sh; do
    [ -e "$part" ] || continue
    # Parts that prepare services (databases) or extra suites; sourced so they can export.
    # shellcheck source=/dev/null
    source "$part"
done
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --no-fail-fast 2>&1 | tee "$CARGO_TARGET_DIR/test-output.txt"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$CARGO_TARGET_DIR/test-output.txt" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$CARGO_TARGET_DIR/test-output.txt" | awk '{s+=$1} END {print s+0}')
echo "cargo: $passed passed, $failed failed"
exit "$status"
