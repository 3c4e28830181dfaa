# OFD readers that check eseal's signed OFDs: easyofd (PyPI; renders pages with the seals)
# into the venv, ofd.js (npm; parses documents and signatures) under $ESEAL_CACHE/node.
venv_pip_install easyofd
if [ ! -d "$ESEAL_CACHE/node/node_modules/ofd.js" ]; then
    echo "setup: npm install ofd.js"
    npm install --prefix "$ESEAL_CACHE/node" --no-audit --no-fund --silent ofd.js@1.5.0 >/dev/null
fi
