#!/usr/bin/env bash
# Peak memory and time of `eseal pdf verify` beside `pyhanko sign validate` on the same file:
# a generated PDF of about 100 MB (one page drawing one incompressible image) signed twice by
# eseal (PAdES, P-256 test CA made with OpenSSL). Target: eseal's peak below 64 MB + 1x the
# file. Then the bounded-work case: 256 signature fields sharing one signature dictionary (one
# byte range) on a 20 MB file, which eseal hashes once.
#
# Usage: benches/pdf_verify_memory.sh [SIZE_MB]      (from anywhere; needs /usr/bin/time,
# openssl and the venv's pyHanko: scripts/setup.sh installs them)
# ESEAL_BIN=path uses that eseal binary instead of building one (`cargo build --release`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb="${1:-100}"
venv="${ESEAL_VENV:-$HOME/.cache/eseal/venv}"
if [[ -z "${ESEAL_BIN:-}" ]]; then
    (cd "$root" && cargo build --release -q -p eseal-cli)
    ESEAL_BIN="${CARGO_TARGET_DIR:-$root/target}/release/eseal"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# A P-256 CA and signer (as the PDF tests make them).
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -subj '/CN=Bench Root' -days 30 -out ca.pem \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign' 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out signer.key
openssl req -new -key signer.key -subj '/CN=Bench Signer' -out signer.csr
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' > ext.cnf
openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -out signer.pem -extfile ext.cnf 2>/dev/null
cat signer.pem ca.pem > chain.pem

# make_pdf OUT MB: one page drawing an RGB image of about MB megabytes of random bytes.
make_pdf() {
    python3 - "$1" "$2" <<'PY'
import os, sys
out, mb = sys.argv[1], int(sys.argv[2])
side = int((mb * 1_000_000 / 3) ** 0.5)
offs, f = [], open(out, "wb")
f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
def obj(body, data=None):
    offs.append(f.tell())
    f.write(b"%d 0 obj\n" % len(offs) + body)
    if data is not None:
        f.write(b"\nstream\n")
        for i in range(0, len(data), 1 << 20):
            f.write(data[i:i + (1 << 20)])
        f.write(b"\nendstream")
    f.write(b"\nendobj\n")
obj(b"<</Type/Catalog/Pages 2 0 R>>")
obj(b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
obj(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 5 0 R>>>>/Contents 4 0 R>>")
c = b"q 495 0 0 495 50 200 cm /Im0 Do Q"
obj(b"<</Length %d>>" % len(c), c)
img = os.urandom(side * side * 3)
obj(b"<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Length %d>>" % (side, side, len(img)), img)
x = f.tell()
f.write(b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(offs) + 1))
for o in offs:
    f.write(b"%010d 00000 n\r\n" % o)
f.write(b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(offs) + 1, x))
PY
}

sign() { "$ESEAL_BIN" pdf sign "$1" -o "$2" --format pades --key signer.key --cert chain.pem >/dev/null; }

# measure LABEL CMD...: prints peak RSS (MB) and wall time (s) of CMD, exit status ignored.
measure() {
    local label="$1"; shift
    /usr/bin/time -v "$@" >/dev/null 2>time.txt || true
    local kb secs
    kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' time.txt)"
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' time.txt)"
    printf '%-44s %10.1f %12s\n' "$label" "$(echo "$kb / 1024" | bc -l)" "$secs"
    echo "$kb" > last_kb
}

echo "== generating a ${size_mb} MB PDF and signing it twice with eseal" >&2
make_pdf big.pdf "$size_mb"
sign big.pdf once.pdf
sign once.pdf twice.pdf
file_mb="$(echo "$(stat -c %s twice.pdf) / 1048576" | bc -l)"
printf '\nfile: %.1f MB, 2 signatures\n' "$file_mb"
printf '%-44s %10s %12s\n' "verifier" "peak MB" "wall time"
measure "eseal pdf verify" "$ESEAL_BIN" pdf verify twice.pdf --trust ca.pem
eseal_kb="$(cat last_kb)"
measure "pyhanko sign validate" "$venv/bin/pyhanko" sign validate --trust ca.pem twice.pdf
py_kb="$(cat last_kb)"
python3 - "$eseal_kb" "$py_kb" "$file_mb" <<'PY'
import sys
e, p, f = int(sys.argv[1]) / 1024, int(sys.argv[2]) / 1024, float(sys.argv[3])
target = 64 + f
print(f"eseal / pyHanko peak memory: {e / p:.2f}; eseal peak {e:.1f} MB vs target 64 MB + file = {target:.1f} MB: {'within' if e < target else 'OVER'}")
PY

# Bounded work: 256 signature fields whose /V is the same signature dictionary.
echo "== 256 fields sharing one signature dictionary (one byte range) on a 20 MB file" >&2
make_pdf small.pdf 20
sign small.pdf one.pdf
python3 - one.pdf shared.pdf <<'PY'
import re, sys
src, out = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
# The signature field eseal wrote: its number and its /V.
field = re.findall(rb"\n(\d+) 0 obj\n<<[^\n]*?/T \(Seal1\)/V (\d+) 0 R>>", b)
if not field:
    sys.exit("could not find eseal's signature field")
fid, sig = field[-1]
size = int(re.findall(rb"/Size (\d+)", b)[-1])
prev = int(re.findall(rb"startxref\n(\d+)", b)[-1])
root = re.findall(rb"/Root (\d+) 0 R", b)[-1]
form = re.findall(rb"/AcroForm (\d+) 0 R", b)
parts, offs, ids = [b], [], []
pos = len(b)
def put(i, body):
    global pos
    s = b"%d 0 obj\n" % i + body + b"\nendobj\n"
    offs.append((i, pos)); parts.append(s); pos += len(s)
for k in range(255):
    i = size + k
    ids.append(i)
    put(i, b"<</FT/Sig/T(Copy%d)/V %s 0 R>>" % (k, sig))
# A new catalog entry: /AcroForm with every field (the signed one first).
fields = b"[" + fid + b" 0 R " + b" ".join(b"%d 0 R" % i for i in ids) + b"]"
af = size + 255
put(af, b"<</Fields" + fields + b"/SigFlags 3>>")
cat = re.findall(rb"\n" + root + rb" 0 obj\n(<<.*?>>)\nendobj", b, re.S)[-1]
def drop_key(d, key):
    i = d.find(key)
    if i < 0:
        return d
    j = i + len(key)
    while d[j:j + 1] in b" \r\n":
        j += 1
    if d[j:j + 2] == b"<<":
        depth = 0
        while True:
            if d[j:j + 2] == b"<<":
                depth += 1; j += 2
            elif d[j:j + 2] == b">>":
                depth -= 1; j += 2
                if depth == 0:
                    break
            else:
                j += 1
    else:
        j = re.match(rb"\d+ \d+ R", d[j:]).end() + j
    return d[:i] + d[j:]
cat = drop_key(cat, b"/AcroForm")
put(int(root), cat[:-2] + b"/AcroForm %d 0 R>>" % af)
x = pos
xref = b"xref\n" + b"".join(b"%d 1\n%010d 00000 n\r\n" % (i, o) for i, o in offs)
xref += b"trailer\n<</Size %d/Root %s 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (af + 1, root, prev, x)
parts.append(xref)
open(out, "wb").write(b"".join(parts))
PY
printf '%-44s %10s %12s\n' "verifier" "peak MB" "wall time"
measure "eseal pdf verify, 1 signature" "$ESEAL_BIN" pdf verify one.pdf --trust ca.pem
measure "eseal pdf verify, 256 fields, one range" "$ESEAL_BIN" pdf verify shared.pdf --trust ca.pem
measure "pyhanko sign validate, 256 fields" "$venv/bin/pyhanko" sign validate --trust ca.pem shared.pdf
