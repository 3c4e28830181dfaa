#!/usr/bin/env bash
# Runs eseal's criterion benches and `openssl speed` for the same operations in one run, and
# prints eseal's figure beside OpenSSL's with the ratio (eseal / OpenSSL; > 1 means faster).
# Usage: benches/compare.sh   (from anywhere; takes a few minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
secs="${ESEAL_OPENSSL_SECONDS:-3}"
echo "== openssl speed (each ${secs}s)" >&2
ossl_sm3="$(openssl speed -seconds "$secs" -bytes 16384 -evp sm3 2>/dev/null | awk '/^sm3/ {print $2}')"
ossl_sm2="$(openssl speed -seconds "$secs" sm2 2>/dev/null | awk '/bits SM2/ {print $(NF-1), $NF}')"
echo "== cargo bench (criterion)" >&2
cargo bench -p eseal-benches --bench crypto -- --noplot >&2
python3 - "$target" "$ossl_sm3" "$ossl_sm2" <<'PY'
import json, sys, os
target, ossl_sm3, ossl_sm2 = sys.argv[1], sys.argv[2], sys.argv[3].split()
def mean_ns(*p):
    with open(os.path.join(target, "criterion", *p, "new", "estimates.json")) as f:
        return json.load(f)["mean"]["point_estimate"]
# openssl speed prints throughput in thousands of bytes per second ("12345.67k").
ossl_sm3_mbs = float(ossl_sm3.rstrip("k")) * 1000 / 1e6
sign_ps, verify_ps = (float(x) for x in ossl_sm2)
print(f"{'operation':<28}{'eseal':>16}{'OpenSSL':>16}{'ratio':>9}")
for name, size in [("1KiB", 1024), ("1MiB", 1 << 20), ("30MiB", 30 << 20)]:
    mbs = size / mean_ns("sm3", name) * 1e3
    print(f"{'SM3 ' + name + ' (MB/s)':<28}{mbs:>16.1f}{ossl_sm3_mbs:>16.1f}{mbs / ossl_sm3_mbs:>9.2f}")
for op, ossl in [("sign", sign_ps), ("verify", verify_ps)]:
    ps = 1e9 / mean_ns("sm2", op)
    print(f"{'SM2 ' + op + ' (ops/s)':<28}{ps:>16.0f}{ossl:>16.0f}{ps / ossl:>9.2f}")
ps = 1e9 / mean_ns("ses_verify_signature")
# A full check without a trust store verifies two SM2 signatures (maker's and signer's),
# plus parsing and the other checks: the peer is two OpenSSL SM2 verifications.
print(f"{'SES_Signature verify (/s)':<28}{ps:>16.0f}{verify_ps / 2:>16.0f}{ps / (verify_ps / 2):>9.2f}   (peer: 2 OpenSSL SM2 verifies)")
PY
