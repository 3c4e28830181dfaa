#!/usr/bin/env bash
# The binding suites (issue 6); run by scripts/test.d/80-bindings.sh from the repository root
# with CARGO_TARGET_DIR set. Exits non-zero on the first failure.
set -euo pipefail
root="$(pwd)"
export ESEAL_CACHE="${ESEAL_CACHE:-$HOME/.cache/eseal}"
venv="${ESEAL_VENV:-$ESEAL_CACHE/venv}"
napi="$ESEAL_CACHE/node/node_modules/.bin/napi"
debug="$CARGO_TARGET_DIR/debug"
xlang="$(mktemp -d)"
trap 'rm -rf "$xlang"' EXIT
export ESEAL_XLANG_DIR="$xlang"

echo "== bindings: build (C library, software UKey, eseal command)"
cargo build --quiet -p eseal-ffi -p eseal-soft-ukey
cargo build --quiet -p eseal-cli --bin eseal
export ESEAL_SOFT_UKEY_LIB="$debug/libeseal_soft_ukey.so" ESEAL_BIN="$debug/eseal"

echo "== bindings: C example under valgrind"
cc -std=c99 -g -Wall -Wextra -Werror -I ffi/include ffi/examples/seal_and_verify.c -L "$debug" -leseal_ffi \
    -Wl,-rpath,"$debug" -o "$xlang/seal_and_verify"
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 "$xlang/seal_and_verify" "$xlang"

echo "== bindings: Python wheel (maturin) + pytest"
"$venv/bin/maturin" build --quiet --manifest-path bindings/python/Cargo.toml --out "$xlang/wheels" >/dev/null
"$venv/bin/pip" install --quiet --no-deps --force-reinstall "$xlang"/wheels/eseal-*.whl
(cd bindings/python/tests && "$venv/bin/python" -m pytest -q -p no:cacheprovider .)

echo "== bindings: Node addon (napi build) + node:test"
(cd bindings/node && "$napi" build --platform --dts-header dts-header.d.ts >/dev/null 2>&1 \
    || "$napi" build --platform --dts-header dts-header.d.ts)
(cd bindings/node && node --test --test-reporter=spec test/ 2>&1 | tail -n 12; exit "${PIPESTATUS[0]}")

echo "== bindings: cross-language (C and Python verify the others' signatures)"
valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    "$xlang/seal_and_verify" --verify-from "$xlang" python node
(cd bindings/python/tests && "$venv/bin/python" -m pytest -q -p no:cacheprovider test_cross_language.py)
git -C "$root" diff --exit-code --stat -- bindings/node/index.d.ts \
    || { echo "bindings/node/index.d.ts changed when rebuilt from the Rust source: commit it"; exit 1; }
