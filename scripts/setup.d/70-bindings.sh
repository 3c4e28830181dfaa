# Bindings (issues 6, 17): valgrind for the C example, pkg-config for the installed C library,
# maturin + pytest + mypy (stubtest, --strict sample) in the project venv for the Python
# wheel, ziglang (maturin --zig links the manylinux2014 wheels against glibc 2.17), auditwheel
# (scripts/check-wheel.sh) and the
# aarch64 Rust standard library (the aarch64 wheel is cross-built with zig as the linker), the
# napi-rs CLI, TypeScript and Node's types under $ESEAL_CACHE/node for the addon and the
# `tsc --strict` check.
apt_install valgrind pkg-config
venv_pip_install maturin pytest mypy ziglang auditwheel
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
    || { echo "setup: rustup target add aarch64-unknown-linux-gnu"; rustup target add aarch64-unknown-linux-gnu; }
if [ ! -x "$ESEAL_CACHE/node/node_modules/.bin/napi" ] || [ ! -x "$ESEAL_CACHE/node/node_modules/.bin/tsc" ] \
    || [ ! -d "$ESEAL_CACHE/node/node_modules/@types/node" ]; then
    echo "setup: npm install @napi-rs/cli typescript @types/node"
    npm install --silent --no-fund --no-audit --prefix "$ESEAL_CACHE/node" @napi-rs/cli@3 typescript@^6 @types/node@20 >/dev/null
fi
