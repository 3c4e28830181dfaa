#!/usr/bin/env bash
# Load of the open API (issue 14): cloud-seal signing of a one-page PDF and OFD (upload + sign,
# policy none) and verification, on loopback, on SQLite and on PostgreSQL with one and two
# server processes. Prints operations/s, p50/p99 latency, errors and the servers' memory at
# the start and end of each run, beside the peers' published limits. Not a test: nothing is
# asserted.
#
#   benches/open_api_load.sh                # SECS=30 THREADS=8 per case
#   SECS=600 RSS_EVERY=10 CASES="sqlite:1:pdf" benches/open_api_load.sh   # 10-minute memory run
#
# PostgreSQL: ESEAL_PG_URL (postgres://…), else a throwaway cluster (initdb, as the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}
SECS=${SECS:-30}
THREADS=${THREADS:-8}
CASES=${CASES:-"sqlite:1:pdf sqlite:1:ofd sqlite:1:verify pg:1:pdf pg:2:pdf pg:2:ofd pg:2:verify"}
cargo build --release -q -p eseal-server --bin eseal-server
cargo build --release -q -p eseal-benches --example open_api_load
SERVER=$CARGO_TARGET_DIR/release/eseal-server
LOAD=$CARGO_TARGET_DIR/release/examples/open_api_load
TMP=$(mktemp -d)
chmod 755 "$TMP"   # the throwaway PostgreSQL runs as the postgres user
PIDS=()
PGCTL=""
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  if [ -n "$PGCTL" ]; then $PGCTL -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system) a process has used: the servers' CPU per operation is the
# figure the machine's load does not change much (2 cores / CPU per op bounds ops/s).
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# Sets PG_URL, starting the throwaway cluster once. Called in this shell, never in `$(…)`:
# a subshell's PGCTL would be lost, and the next case would start a second cluster on the
# same directory (and the clean-up would not stop the first).
PG_URL=""
pg_start() {
  if [ -n "${ESEAL_PG_URL:-}" ]; then PG_URL=$ESEAL_PG_URL; return; fi
  if [ -z "$PGCTL" ]; then
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    local as=""; [ "$(id -u)" = 0 ] && as="runuser -u postgres --"
    mkdir -p "$TMP/pg"; [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$TMP/pg"
    $as "$bin/initdb" -D "$TMP/pg/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
    PGPORT=$(free_port)
    $as "$bin/pg_ctl" -D "$TMP/pg/data" -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $TMP/pg -c max_connections=200" -w -l "$TMP/pg/log" start >/dev/null
    PGCTL="$as $bin/pg_ctl"
  fi
  PG_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
}

# start DB_URL SCHEMA DIR → "PORT PID"
start() {
  local port; port=$(free_port)
  ESEAL_LISTEN=127.0.0.1:$port ESEAL_DATA_DIR=$3 ESEAL_DATABASE_URL=$1 ESEAL_DATABASE_SCHEMA=$2 \
    ESEAL_LOG=warn "$SERVER" --demo >"$3/out-$port.log" 2>"$3/err-$port.log" &
  local pid=$!
  for _ in $(seq 1 300); do
    grep -q "listening on" "$3/out-$port.log" 2>/dev/null && break
    sleep 0.2
  done
  echo "$port $pid"
}

echo "# open API load: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${SECS}s a case, $THREADS client threads"
printf '| %-7s | %-7s | %-6s | %9s | %8s | %8s | %6s | %7s | %-13s | %s |\n' db servers kind "ops/s" "p50 ms" "p99 ms" errors "server CPU ms/op" "RSS MB start→end" "load avg start→end"
printf '|%s|\n' "---------|---------|--------|-----------|----------|----------|--------|---------|-----------------|------"
n=0
for case in $CASES; do
  IFS=: read -r db servers kind <<<"$case"
  n=$((n + 1))
  dir="$TMP/case$n"; mkdir -p "$dir"
  case $db in
    sqlite) url="sqlite://eseal.db"; servers=1 ;;
    pg) pg_start; url=$PG_URL ;;
  esac
  schema="load$n"
  bases=(); pids=()
  for _ in $(seq 1 "$servers"); do
    read -r port pid < <(start "$url" "$schema" "$dir")
    PIDS+=("$pid"); pids+=("$pid"); bases+=("http://127.0.0.1:$port")
  done
  read -r token secret seal < <("$LOAD" setup "${bases[0]}")
  # Warm-up, then the measured run.
  "$LOAD" run "$(IFS=,; echo "${bases[*]}")" "$token" "$secret" "$seal" "$kind" 3 "$THREADS" >/dev/null
  before=$(for p in "${pids[@]}"; do rss_mb "$p"; done | paste -sd+)
  load0=$(cut -d' ' -f1 /proc/loadavg)
  cpu0=$(for p in "${pids[@]}"; do cpu_s "$p"; done | paste -sd+ | bc)
  "$LOAD" run "$(IFS=,; echo "${bases[*]}")" "$token" "$secret" "$seal" "$kind" "$SECS" "$THREADS" >"$dir/out.json" &
  lp=$!
  # Memory over the run: the servers' summed RSS every RSS_EVERY seconds.
  series=""
  while kill -0 "$lp" 2>/dev/null; do
    sleep "${RSS_EVERY:-5}"
    kill -0 "$lp" 2>/dev/null || break
    series="$series $(for p in "${pids[@]}"; do rss_mb "$p"; done | paste -sd+ | bc 2>/dev/null || echo '?')"
  done
  wait "$lp"
  out=$(cat "$dir/out.json")
  after=$(for p in "${pids[@]}"; do rss_mb "$p"; done | paste -sd+)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  cpu1=$(for p in "${pids[@]}"; do cpu_s "$p"; done | paste -sd+ | bc)
  python3 - "$db" "$servers" "$out" "$before" "$after" "$load0→$load1" "$cpu0" "$cpu1" <<'PY'
import json, sys
db, servers, out, before, after, load, cpu0, cpu1 = sys.argv[1:]
r = json.loads(out)
cpu_ms = (float(cpu1) - float(cpu0)) * 1000 / max(r['ok'], 1)
print(f"| {db:<7} | {servers:<7} | {r['kind']:<6} | {r['per_sec']:9.1f} | {r['p50_ms']:8.1f} | {r['p99_ms']:8.1f} | {r['errors']:6} | {cpu_ms:7.2f} | {before}→{after} | {load} |")
if r.get("first_error"):
    print(f"  first error: {r['first_error'][:200]}", file=sys.stderr)
PY
  echo "  RSS MB every ${RSS_EVERY:-5} s ($db, $servers, $kind):$series" >&2
  python3 - "$series" "$db" "$servers" "$kind" <<'PY' >&2
import sys
s = [float(x) for x in sys.argv[1].split() if x.replace('.', '', 1).isdigit()]
if s:
    print(f"  RSS MB ({sys.argv[2]}, {sys.argv[3]}, {sys.argv[4]}): min {min(s):.0f}, max {max(s):.0f}, last {s[-1]:.0f} over {len(s)} samples")
PY
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
done
echo
echo "Peers' published limits (not measured here): e签宝 open API 50 requests/s per app;"
echo "腾讯电子签 20–300 requests/s per endpoint. Target of issue 14: 500 signed documents/s, p99 < 100 ms."
