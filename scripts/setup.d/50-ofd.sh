# OFD readers that check eseal's signed OFDs: easyofd (PyPI; renders pages with the seals)
# into the venv, ofd.js (npm; parses documents, verifies SES signatures and digests) under
# $ESEAL_CACHE/node. ofd.js 0.2.6 is the open-source JavaScript parser (DLTech21/ofd.js);
# 1.5.0 is a WebAssembly viewer that refuses to parse without a licence ("授权信息错误").
venv_pip_install easyofd
if ! grep -q '"version": "0.2.6"' "$ESEAL_CACHE/node/node_modules/ofd.js/package.json" 2>/dev/null; then
    echo "setup: npm install ofd.js@0.2.6"
    npm install --prefix "$ESEAL_CACHE/node" --no-audit --no-fund --silent --ignore-scripts ofd.js@0.2.6 >/dev/null
fi
