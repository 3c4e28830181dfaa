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

# The documents, for each page count N:
#   text-N: an A4 page with a line of text per page, each page its own Content.xml (the shape of
#           eseal::samples::sample_ofd);
#   scan-N: the same, each page also drawing its own 48 KiB image (a scanned document: the
#           package grows by the images, which are hashed but never parsed).
python3 - "$work" $pages_list <<'PY'
import sys, zipfile, struct, zlib, random
work, counts = sys.argv[1], [int(x) for x in sys.argv[2:]]
ns = "http://www.ofdspec.org/2016"
rnd = random.Random(20)
def write(path, n, scan):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>bench</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        pages = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n))
        doc_res = "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>" if scan else ""
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{ns}"><ofd:CommonData><ofd:MaxUnitID>{300000 + 3 * n}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{doc_res}</ofd:CommonData><ofd:Pages>{pages}</ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/PublicRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="Helvetica" FamilyName="Helvetica"/></ofd:Fonts></ofd:Res>')
        if scan:
            media = "".join(f'<ofd:MultiMedia ID="{100000 + i}" Type="Image" Format="PNG"><ofd:MediaFile>scan_{i}.png</ofd:MediaFile></ofd:MultiMedia>' for i in range(n))
            z.writestr("Doc_0/DocumentRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:MultiMedias>{media}</ofd:MultiMedias></ofd:Res>')
        for i in range(n):
            image = f'<ofd:ImageObject ID="{200002 + 3 * i}" ResourceID="{100000 + i}" Boundary="0 40 210 257" CTM="210 0 0 257 0 0"/>' if scan else ""
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="{200000 + 3 * i}"><ofd:TextObject ID="{200001 + 3 * i}" Boundary="20 20 170 10" Font="2" Size="5"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">eseal bench - page {i + 1}</ofd:TextCode></ofd:TextObject>{image}</ofd:Layer></ofd:Content></ofd:Page>')
            if scan:
                z.writestr(f"Doc_0/Res/scan_{i}.png", rnd.randbytes(48 << 10), zipfile.ZIP_STORED)
for n in counts:
    write(f"{work}/text-{n}.ofd", n, False)
    write(f"{work}/scan-{n}.ofd", n, True)
# A 64x64 red PNG for the seal picture.
raw = b"".join(b"\x00" + b"\xc8\x00\x00\xff" * 64 for _ in range(64))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(f"{work}/seal.png", "wb").write(png)
PY

"$ESEAL_BIN" seal create --name "基准测试章" --es-id bench-0001 --picture "$work/seal.png" \
    --test-ca eseal-bench -o "$work/seal.esl" >/dev/null 2>&1

# Runs a command under /usr/bin/time -v; prints "peak_kB seconds exit".
measure() {
    local log="$work/time.log" code=0
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || code=$?
    local rss secs
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")"
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
    echo "$rss $secs $code"
}

sign_verify() { # BIN DOC TAG [sign options...] -> "sign_rss sign_s verify_rss verify_s verify_exit"
    local bin="$1" doc="$2" tag="$3"
    shift 3
    read -r s_rss s_s s_code < <(measure "$bin" ofd sign "$work/$doc.ofd" -o "$work/out-$doc-$tag.ofd" \
        --seal "$work/seal.esl" --test-ca eseal-bench --stamp 1,20,20 "$@")
    [ "$s_code" = 0 ] || { echo "sign failed ($tag, $doc)" >&2; exit 1; }
    read -r v_rss v_s v_code < <(measure "$bin" ofd verify "$work/out-$doc-$tag.ofd")
    echo "$s_rss $s_s $v_rss $v_s $v_code"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

printf '%-24s %10s %10s %9s %12s %10s %16s' document "file (kB)" "sign (MB)" "sign (s)" "verify (MB)" "verify (s)" "zipfile -t (MB)"
[ -n "${ESEAL_BASELINE_BIN:-}" ] && printf ' %15s %17s' "base sign (MB)" "base verify (MB)"
printf '\n'
row() { # LABEL DOC [sign options...]
    local label="$1" doc="$2"
    shift 2
    read -r s_rss s_s v_rss v_s v_code < <(sign_verify "$ESEAL_BIN" "$doc" new "$@")
    local out="$work/out-$doc-new.ofd"
    read -r p_rss _ _ < <(measure python3 -m zipfile -t "$out")
    printf '%-24s %10s %10s %9s %12s %10s %16s' "$label" "$(( $(stat -c %s "$out") / 1024 ))" \
        "$(mb "$s_rss")" "$s_s" "$(mb "$v_rss")" "$v_s" "$(mb "$p_rss")"
    if [ -n "${ESEAL_BASELINE_BIN:-}" ]; then
        read -r b_s_rss _ b_v_rss _ _ < <(sign_verify "$ESEAL_BASELINE_BIN" "$doc" base "$@")
        printf ' %15s %17s' "$(mb "$b_s_rss")" "$(mb "$b_v_rss")"
    fi
    printf '   (verify exit %s)\n' "$v_code"
}
for n in $pages_list; do
    row "text, $n pages" "text-$n"
    # A cross-page seal adds a StampAnnot per page to the signature's own XML.
    [ "$n" -ge 2 ] && row "text + cross-page, $n" "text-$n" --cross-page
    row "scan, $n pages" "scan-$n"
done

# Hostile inputs (issue 11): 5 000 References to one 1 MiB file (the signature no longer
# matches; what counts is the work), and 500 entries of 1 MiB of zeros in ~0.5 MB.
python3 - "$work" <<'PY'
import sys, zipfile
work = sys.argv[1]
src = zipfile.ZipFile(f"{work}/out-text-1-new.ofd")
path = "Doc_0/Signs/Sign_0/Signature.xml"
with zipfile.ZipFile(f"{work}/refs-5000.ofd", "w", zipfile.ZIP_DEFLATED) as z:
    for i in src.infolist():
        data = src.read(i)
        if i.filename == path:
            ref = '<ofd:Reference FileRef="/Doc_0/Res/big.bin"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference>'
            data = data.replace(b"</ofd:References>", (ref * 5000).encode() + b"</ofd:References>")
        z.writestr(i.filename, data)
    z.writestr("Doc_0/Res/big.bin", b"\x07" * (1 << 20))
with zipfile.ZipFile(f"{work}/zeros-500.ofd", "w", zipfile.ZIP_DEFLATED) as z:
    for i in src.infolist():
        z.writestr(i.filename, src.read(i))
    for k in range(500):
        z.writestr(f"Doc_0/Res/z{k}.bin", bytes(1 << 20))
PY
printf '\n%-24s %10s %12s %10s %6s' "hostile input" "file (kB)" "verify (MB)" "verify (s)" exit
[ -n "${ESEAL_BASELINE_BIN:-}" ] && printf ' %17s %15s %10s' "base verify (MB)" "base verify (s)" "base exit"
printf '\n'
for doc in refs-5000 zeros-500; do
    read -r v_rss v_s v_code < <(measure "$ESEAL_BIN" ofd verify "$work/$doc.ofd")
    printf '%-24s %10s %12s %10s %6s' "$doc" "$(( $(stat -c %s "$work/$doc.ofd") / 1024 ))" "$(mb "$v_rss")" "$v_s" "$v_code"
    if [ -n "${ESEAL_BASELINE_BIN:-}" ]; then
        read -r b_rss b_s b_code < <(measure "$ESEAL_BASELINE_BIN" ofd verify "$work/$doc.ofd")
        printf ' %17s %15s %10s' "$(mb "$b_rss")" "$b_s" "$b_code"
    fi
    printf '\n'
done
