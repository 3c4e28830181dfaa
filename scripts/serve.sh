#!/usr/bin/env bash
# The main job: the reference e-seal platform server (eseal-server) on SQLite under
# ./eseal-data (created and migrated on start), with the demo unit, its software UKey, one
# staff member per role, a cloud seal and a UKey seal and sample documents, and the web portal
# (server-example/web) at /. Prints the URL and the demo sign-ins; Ctrl-C stops it cleanly
# (requests in flight finish first).
#
#   scripts/serve.sh                       # http://127.0.0.1:8080
#   ESEAL_LISTEN=0.0.0.0:9000 scripts/serve.sh
#   ESEAL_DATABASE_URL=postgres://user@host/db scripts/serve.sh
#   ESEAL_CONFIG=server-example/eseal-server.sample.toml scripts/serve.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}"
scripts/setup.sh
cargo build --quiet -p eseal-server -p eseal-cli -p eseal-soft-ukey
export ESEAL_DATA_DIR="${ESEAL_DATA_DIR:-$root/eseal-data}"
export ESEAL_OPERATOR="${ESEAL_OPERATOR:-ops:ops-demo-2026}"
# The web portal (plain HTML/CSS/JS modules, no build step) at http://$listen/.
export ESEAL_WEB_DIR="${ESEAL_WEB_DIR:-$root/server-example/web}"
listen="${ESEAL_LISTEN:-127.0.0.1:8080}"
cat <<EOT
The portal: http://$listen/ (sign in with a demo account below, or the unit UKey).
UKey sign-in and UKey signing go through the local agent (证书助手) with the demo's software UKey:
  ESEAL_SOFT_UKEY_FILE=$ESEAL_DATA_DIR/demo/unit-ukey.json \\
    $CARGO_TARGET_DIR/debug/eseal agent --lib $CARGO_TARGET_DIR/debug/libeseal_soft_ukey.so \\
    --portal-origin http://$listen --secret demo-agent-secret-2026
EOT
exec "$CARGO_TARGET_DIR/debug/eseal-server" --demo "$@"
