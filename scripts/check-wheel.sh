#!/usr/bin/env bash
# check-wheel.sh WHEEL GLIBC — a manylinux wheel is what it claims (issue 17): its WHEEL file
# tags it manylinux for glibc GLIBC or older (PEP 600 manylinux_2_17 / manylinux2014 for 2.17),
# abi3, and the extension module asks the dynamic linker for no glibc symbol version newer than
# GLIBC (`objdump -T`), and `auditwheel show` (from the project venv) agrees. Prints the tags
# and the newest symbol version; exits 1 otherwise.
set -euo pipefail
wheel="$1" want="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$wheel" "$work" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
wheel = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
open(sys.argv[2] + "/WHEEL", "wb").write(z.read(wheel))
so = [n for n in z.namelist() if n.endswith(".so")]
assert len(so) == 1, so
open(sys.argv[2] + "/ext.so", "wb").write(z.read(so[0]))
PY
tags="$(sed -n 's/^Tag: //p' "$work/WHEEL")"
echo "wheel tags: $(tr '\n' ' ' <<<"$tags")"
grep -q -- "-abi3-manylinux_${want/./_}_" <<<"$tags" \
    || { echo "check-wheel: not tagged abi3 manylinux_${want/./_}"; exit 1; }
newest="$(objdump -T "$work/ext.so" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -n 1)"
echo "newest glibc symbol version: $newest"
[ "$(printf '%s\n' "GLIBC_$want" "$newest" | sort -V | tail -n 1)" = "GLIBC_$want" ] \
    || { echo "check-wheel: the extension needs $newest, newer than GLIBC_$want"; exit 1; }
auditwheel="${ESEAL_VENV:-${ESEAL_CACHE:-$HOME/.cache/eseal}/venv}/bin/auditwheel"
"$auditwheel" show "$wheel" >"$work/audit" 2>&1 || { cat "$work/audit"; exit 1; }
tr '\n' ' ' <"$work/audit" | grep -q "consistent with the following platform tag: \"manylinux_${want/./_}_" \
    || { cat "$work/audit"; echo "check-wheel: auditwheel does not find it manylinux_${want/./_}"; exit 1; }
echo "auditwheel: manylinux_${want/./_}"
