#!/usr/bin/env bash
# One run, one table: eseal beside its peers on this machine.
#
#   primitives  criterion (benches/benches/crypto.rs) beside `openssl speed` (runs before and
#               after criterion) and the RustCrypto sm2 crate; each side's best figure is kept
#   documents   every benches/rows.d/*.sh part, each printing rows (benches/README.md)
#
# Prints the tables, writes them to benches/RESULTS.md (one block each: primitives,
# documents) and into README.md between the "benchmark table" markers. Speed is measured here, never asserted in a test.
# Usage: benches/compare.sh            (a few minutes; run it when the machine is quiet)
#   ESEAL_OPENSSL_SECONDS=N            seconds per `openssl speed` measurement (default 1)
#   ESEAL_OPENSSL_RUNS=N               runs of each before and after criterion (default 3)
#   ESEAL_BENCH_NO_WRITE=1             print only, write no file
#   ESEAL_BENCH_ROWS_ONLY=1            only the benches/rows.d parts (documents): their block of
#                                      RESULTS.md is replaced, the primitives' block stays
#   ESEAL_BENCH_PRIMITIVES_ONLY=1      only the primitives (criterion + openssl speed): their
#                                      block is replaced, the documents' block stays
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}"
secs="${ESEAL_OPENSSL_SECONDS:-1}"
runs="${ESEAL_OPENSSL_RUNS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

openssl_run() {
    for _ in $(seq "$runs"); do openssl_once; done
}
openssl_once() {
    openssl speed -seconds "$secs" -bytes 1024 -evp sm3 2>/dev/null | awk '/^sm3/ {print "sm3-1KiB", $2}'
    openssl speed -seconds "$secs" -bytes 1048576 -evp sm3 2>/dev/null | awk '/^sm3/ {print "sm3-1MiB", $2}'
    openssl speed -seconds "$secs" sm2 2>/dev/null | awk '/bits SM2/ {print "sm2-sign", $(NF-1); print "sm2-verify", $NF}'
}

meta() { # FILE LOAD_START LOAD_END TOOLS
    {
        echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
        echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average $2 at the start, $3 at the end"
        echo "Tools: $4"
    } > "$1"
}
render() { # ROWS META BLOCK
    if [ "${ESEAL_BENCH_NO_WRITE:-}" = 1 ]; then
        python3 benches/results.py render "$1" --meta "$2" --block "$3"
    else
        python3 benches/results.py render "$1" --meta "$2" --block "$3" \
            --out benches/RESULTS.md --readme README.md
    fi
}

if [ "${ESEAL_BENCH_ROWS_ONLY:-}" != 1 ]; then
    load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "== openssl speed ($runs runs of ${secs}s each)" >&2
    openssl_run >> "$work/openssl"
    echo "== cargo bench (criterion)" >&2
    cargo bench -p eseal-benches --bench crypto -- --noplot >&2
    echo "== openssl speed ($runs runs more)" >&2
    openssl_run >> "$work/openssl"
    python3 benches/results.py primitives "$CARGO_TARGET_DIR" "$work/openssl" > "$work/primitives.tsv"
    meta "$work/meta" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        "$(rustc --version | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2); each side's best: eseal's fastest criterion sample, OpenSSL's best of $((2 * runs)) runs (half before, half after)"
    render "$work/primitives.tsv" "$work/meta" primitives
fi

[ "${ESEAL_BENCH_PRIMITIVES_ONLY:-}" != 1 ] || exit 0
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$work/documents.tsv"
for part in benches/rows.d/*.sh; do
    [ -e "$part" ] || continue
    echo "== $part" >&2
    bash "$part" >> "$work/documents.tsv"
done
meta "$work/meta" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(rustc --version | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2), $("${ESEAL_VENV:-$HOME/.cache/eseal/venv}/bin/pyhanko" --version 2>/dev/null | cut -d' ' -f1-3 || echo 'no pyHanko'); whole processes, median of ${ESEAL_DOC_RUNS:-3} runs, CPU time (user + system) by getrusage, peak RSS by /usr/bin/time"
render "$work/documents.tsv" "$work/meta" documents
[ "${ESEAL_BENCH_NO_WRITE:-}" = 1 ] || echo "(written to benches/RESULTS.md and README.md)" >&2
