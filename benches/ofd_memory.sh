#!/usr/bin/env bash
# Peak memory (and time) of `eseal ofd sign` and `eseal ofd verify` on OFDs of 1, 100 and 1000
# pages (issue 20: memory independent of the page count beyond the XML parts that must be
# read), beside a peer that only reads the package: Python's `zipfile -t` (inflates and
# CRC-checks every entry). Figures come from /usr/bin/time -v; nothing is asserted.
#
# Usage: benches/ofd_memory.sh            (builds the release `eseal`; a few minutes the first time)
#   ESEAL_BIN=path/to/eseal               use this binary instead of building one
#   ESEAL_BASELINE_BIN=path/to/old/eseal  add columns for another build (e.g. main) on the same files
#   ESEAL_PAGES="1 100 1000"              page counts
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pages_list="${ESEAL_PAGES:-1 100 1000}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time; scripts/setup.sh installs it)" >&2; exit 2; }
if [ -z "${ESEAL_BIN:-}" ]; then
    echo "== cargo build --release -p eseal-cli" >&2
    (cd "$root" && cargo build --release -p eseal-cli >&2)
    ESEAL_BIN="$target/release/eseal"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The documents: the same shape as eseal::samples::sample_ofd (an A4 page with a line of
# text per page, each page its own Content.xml), written by Python's zipfile.
python3 - "$work" $pages_list <<'PY'
import sys, zipfile, struct, zlib
work, counts = sys.argv[1], [int(x) for x in sys.argv[2:]]
ns = "http://www.ofdspec.org/2016"
for n in counts:
    with zipfile.ZipFile(f"{work}/in-{n}.ofd", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>bench</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        pages = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n))
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{ns}"><ofd:CommonData><ofd:MaxUnitID>{100 + 2 * n}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{pages}</ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/PublicRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="Helvetica" FamilyName="Helvetica"/></ofd:Fonts></ofd:Res>')
        for i in range(n):
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="{200000 + 2 * i}"><ofd:TextObject ID="{200001 + 2 * i}" Boundary="20 20 170 10" Font="2" Size="5"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">eseal bench - page {i + 1}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')
# A 64x64 red PNG for the seal picture.
raw = b"".join(b"\x00" + b"\xc8\x00\x00\xff" * 64 for _ in range(64))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(f"{work}/seal.png", "wb").write(png)
PY

"$ESEAL_BIN" seal create --name "基准测试章" --es-id bench-0001 --picture "$work/seal.png" \
    --test-ca eseal-bench -o "$work/seal.esl" >/dev/null

# Runs a command under /usr/bin/time -v; prints "peak_kB seconds exit".
measure() {
    local log="$work/time.log" code=0
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || code=$?
    local rss secs
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")"
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
    echo "$rss $secs $code"
}

sign_verify() { # BIN PAGES TAG -> "sign_rss sign_s verify_rss verify_s verify_exit"
    local bin="$1" n="$2" tag="$3"
    read -r s_rss s_s s_code < <(measure "$bin" ofd sign "$work/in-$n.ofd" -o "$work/out-$n-$tag.ofd" \
        --seal "$work/seal.esl" --test-ca eseal-bench --stamp 1,20,20 --cross-page \
        --time 2026-03-01T08:00:00Z)
    [ "$s_code" = 0 ] || { echo "sign failed ($tag, $n pages)" >&2; exit 1; }
    read -r v_rss v_s v_code < <(measure "$bin" ofd verify "$work/out-$n-$tag.ofd" --at 2026-04-01T00:00:00Z)
    echo "$s_rss $s_s $v_rss $v_s $v_code"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

printf '%-6s %10s %12s %10s %14s %10s %14s' pages "file (kB)" "sign (MB)" "sign (s)" "verify (MB)" "verify (s)" "zipfile -t (MB)"
[ -n "${ESEAL_BASELINE_BIN:-}" ] && printf ' %16s %18s' "base sign (MB)" "base verify (MB)"
printf '\n'
for n in $pages_list; do
    read -r s_rss s_s v_rss v_s v_code < <(sign_verify "$ESEAL_BIN" "$n" new)
    out="$work/out-$n-new.ofd"
    read -r p_rss _ _ < <(measure python3 -m zipfile -t "$out")
    size_kb=$(( $(stat -c %s "$out") / 1024 ))
    printf '%-6s %10s %12s %10s %14s %10s %14s' "$n" "$size_kb" "$(mb "$s_rss")" "$s_s" "$(mb "$v_rss")" "$v_s" "$(mb "$p_rss")"
    if [ -n "${ESEAL_BASELINE_BIN:-}" ]; then
        read -r b_s_rss _ b_v_rss _ _ < <(sign_verify "$ESEAL_BASELINE_BIN" "$n" base)
        printf ' %16s %18s' "$(mb "$b_s_rss")" "$(mb "$b_v_rss")"
    fi
    printf '   (verify exit %s)\n' "$v_code"
done
