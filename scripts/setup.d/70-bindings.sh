# Bindings (issue 6): valgrind for the C example, maturin + pytest in the project venv for the
# Python wheel, the napi-rs CLI under $ESEAL_CACHE/node for the Node addon.
apt_install valgrind
venv_pip_install maturin pytest
if [ ! -x "$ESEAL_CACHE/node/node_modules/.bin/napi" ]; then
    echo "setup: npm install @napi-rs/cli"
    npm install --silent --no-fund --no-audit --prefix "$ESEAL_CACHE/node" @napi-rs/cli@3 >/dev/null
fi
