#!/usr/bin/env bash
# The binding suites (issues 6 and 17), run against the packages a user installs: the C
# library installed into a prefix (ffi/install.sh) and built against with pkg-config, the
# Python wheel and sdist installed into fresh venvs, the npm tarballs installed into a fresh
# folder. Run by scripts/test.d/80-bindings.sh from the repository root with CARGO_TARGET_DIR
# set. The wheel, the addon and the C library are release builds in one target directory; the
# wheel is linked by zig (manylinux2014), which cargo counts as another configuration, so the
# core is compiled once for the wheel and once for the addon, the C library and the sdist.
# Exits non-zero on the first failure; prints the time of each step.
set -euo pipefail
root="$(pwd)"
export ESEAL_CACHE="${ESEAL_CACHE:-$HOME/.cache/eseal}"
venv="${ESEAL_VENV:-$ESEAL_CACHE/venv}"
nodetools="$ESEAL_CACHE/node/node_modules"
napi="$nodetools/.bin/napi"
debug="$CARGO_TARGET_DIR/debug"
# napi builds with an explicit --target; the wheel and the C library use the same one, so the
# three share target/<triple>/release and the core is compiled once.
triple="$(rustc -vV | sed -n 's/^host: //p')"
release="$CARGO_TARGET_DIR/$triple/release"
xlang="$(mktemp -d)"
trap 'rm -rf "$xlang"' EXIT
export ESEAL_XLANG_DIR="$xlang/x" ESEAL_TRUST_DIR=""  # no machine trust directory in the tests
mkdir -p "$ESEAL_XLANG_DIR"
dist="$xlang/dist"
mkdir -p "$dist"
t0=$SECONDS
step() { echo "== bindings [$((SECONDS - t0))s]: $*"; }

step "build (software UKey, eseal command: debug)"
cargo build --quiet -p eseal-soft-ukey -p eseal-cli
export ESEAL_SOFT_UKEY_LIB="$debug/libeseal_soft_ukey.so" ESEAL_BIN="$debug/eseal"

step "release builds: Python wheel (abi3, manylinux2014, stripped) and sdist, Node addon, C library"
# The wheel is linked by zig against glibc 2.17 (maturin finds zig through the venv's
# `python -m ziglang`), so it installs on CentOS 7 / Kylin V10 / UOS 20 class systems.
# Its own target folder: cargo's fingerprint includes the linker, so in the shared one the zig
# build and the others below would rebuild each other's core on every run.
CARGO_TARGET_DIR="$CARGO_TARGET_DIR/zig" PATH="$venv/bin:$PATH" "$venv/bin/maturin" build --quiet --release --strip --zig --compatibility manylinux2014 \
    --target "$triple" --manifest-path bindings/python/Cargo.toml --out "$dist" >/dev/null
# So the core is compiled twice in release from empty (the zig one took 5 min 40 s of CPU);
# linking the addon and the C library with maturin's zig wrapper too would share one build
# (not done: untested for them).
"$venv/bin/maturin" sdist --manifest-path bindings/python/Cargo.toml --out "$dist" >/dev/null
# No `napi build --strip`: it sets the release profile's strip for every crate, so the core
# would be compiled again; the addon is stripped afterwards instead.
(cd bindings/node && "$napi" build --platform --release >/dev/null 2>&1 \
    || "$napi" build --platform --release)
strip --strip-unneeded bindings/node/eseal.linux-x64-gnu.node
cargo build --quiet --release --target "$triple" -p eseal-ffi
git -C "$root" diff --exit-code --stat --ignore-blank-lines -- bindings/node/index.d.ts \
    || { echo "bindings/node/index.d.ts changed when rebuilt from the Rust source: commit it"; exit 1; }
wheel="$(ls "$dist"/eseal-*.whl)"
size=$(stat -c %s "$wheel")
echo "wheel: $(basename "$wheel") ($((size / 1024)) KiB)"
[ "$size" -lt $((40 * 1024 * 1024)) ] || { echo "the wheel is $size bytes: not a stripped release build"; exit 1; }
scripts/check-wheel.sh "$wheel" 2.17

step "C: install into a prefix, build the example with pkg-config, run it under valgrind"
prefix="$xlang/prefix"
ESEAL_FFI_LIB_DIR="$release" ffi/install.sh "$prefix" >/dev/null
readelf -d "$prefix/lib/libeseal_ffi.so" | grep -q 'SONAME.*libeseal_ffi\.so\.0\.' \
    || { echo "libeseal_ffi.so has no versioned SONAME"; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
(cd "$xlang" && cc -std=c99 -g -Wall -Wextra -Werror "$root/ffi/examples/seal_and_verify.c" \
    $(pkg-config --cflags --libs eseal) -Wl,-rpath,"$(pkg-config --variable=libdir eseal)" -o seal_and_verify)
(cd "$xlang" && cc -std=c99 -Wall -Werror "$root/ffi/examples/seal_and_verify.c" \
    $(pkg-config --cflags eseal) "$prefix/lib/libeseal_ffi.a" -lpthread -ldl -lm -o seal_and_verify_static)
export ESEAL_VECTORS="$root/vectors/bindings"
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 "$xlang/seal_and_verify" "$ESEAL_XLANG_DIR"
mkdir -p "$xlang/static"
"$xlang/seal_and_verify_static" "$xlang/static" | tail -n 1

step "Python: the wheel in a fresh venv, then the suite and the README example"
python3 -m venv "$xlang/venv"
py="$xlang/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check "$wheel" pytest mypy
(cd bindings/python/tests && "$py" -m pytest -q -p no:cacheprovider .)
"$py" -c 'import eseal, sys; assert eseal.__file__.startswith(sys.prefix), eseal.__file__'
readme_py="$xlang/readme-py"
mkdir -p "$readme_py"
cp vectors/bindings/plain.pdf "$readme_py/contract.pdf"
cp vectors/ses/picture-8x8.png "$readme_py/seal.png"
# Every python block of the README, in order, as one program.
awk '/^```python$/ {on = 1; next} /^```$/ {on = 0} on' bindings/python/README.md >"$readme_py/readme.py"
# Each verdict the README prints is "valid" (and there is one at least).
printed="$(cd "$readme_py" && "$py" readme.py)"
[ "$(printf '%s\n' "$printed" | sort -u)" = valid ] \
    || { echo "the Python README example does not print valid: $printed"; exit 1; }
(cd "$xlang" && "$py" -m mypy.stubtest eseal --ignore-missing-stub \
    --allowlist "$root/bindings/python/stubtest-allowlist.txt")

step "Python: the sdist in a fresh venv (built from source), then the suite"
python3 -m venv "$xlang/venv-sdist"
MATURIN_PEP517_ARGS="--target $triple" "$xlang/venv-sdist/bin/python" -m pip install --quiet --disable-pip-version-check "$dist"/eseal-*.tar.gz pytest
(cd bindings/python/tests && "$xlang/venv-sdist/bin/python" -m pytest -q -p no:cacheprovider -x .)

step "Node: npm pack (main package + linux-x64-gnu), install in a fresh folder, run the tests"
cp bindings/node/eseal.linux-x64-gnu.node bindings/node/npm/linux-x64-gnu/
(cd bindings/node && npm pack --silent --pack-destination "$dist" >/dev/null)
(cd bindings/node/npm/linux-x64-gnu && npm pack --silent --pack-destination "$dist" >/dev/null)
fresh="$xlang/node-app"
mkdir -p "$fresh"
(cd "$fresh" && npm init -y >/dev/null && npm install --silent --no-fund --no-audit --omit=optional \
    "$dist"/eseal-linux-x64-gnu-*.tgz "$dist"/eseal-0*.tgz)
export ESEAL_NODE_PACKAGE="$fresh/node_modules/eseal"
(cd bindings/node && node --test --test-reporter=spec test/ 2>&1 | tail -n 14; exit "${PIPESTATUS[0]}")
cp vectors/bindings/plain.pdf "$fresh/contract.pdf"
cp vectors/ses/picture-8x8.png "$fresh/seal.png"
awk '/^```js$/ {on = 1; next} /^```$/ {on = 0} on' bindings/node/README.md >"$fresh/readme.js"
(cd "$fresh" && node readme.js | tail -n 1 | grep -qx valid) || { echo "the Node README example does not print valid"; exit 1; }
(cd bindings/node && NODE_PATH="$nodetools" "$nodetools/.bin/tsc" -p test/types --typeRoots "$nodetools/@types")

step "cross-language: C and Python verify the others' signatures"
valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    "$xlang/seal_and_verify" --verify-from "$ESEAL_XLANG_DIR" python node
(cd bindings/python/tests && "$py" -m pytest -q -p no:cacheprovider test_cross_language.py)
step "done"
