#!/usr/bin/env python3
"""A business system's client of the eseal open API (docs/open-api.md), standard library only.

    open_api_client.py BASE TOKEN SECRET METHOD PATH [BODY_FILE [CONTENT_TYPE]]
    open_api_client.py verify-webhook SECRET X-ESEAL-TIMESTAMP X-ESEAL-SIGNATURE BODY_FILE

signs the request with the native scheme (ESEAL-HMAC-SM3), sends it and prints the answer;
or checks the signature of a webhook delivery (exit 0 when it is right).
Needs Python's hashlib with SM3 (OpenSSL 1.1.1 or later).
"""
import hashlib
import hmac
import secrets
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def authorization(method, path_and_query, body, token, secret, timestamp_ms=None, nonce=None):
    """The Authorization header of one request."""
    u = urlsplit(path_and_query)
    query = "&".join(sorted(p for p in u.query.split("&") if p))
    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    nonce = nonce or secrets.token_hex(16)
    canonical = "\n".join([
        "ESEAL-HMAC-SM3",
        method.upper(),
        u.path,
        query,
        hashlib.new("sm3", body).hexdigest(),
        ts,
        nonce,
    ])
    sig = hmac.new(secret.encode(), canonical.encode(), "sm3").hexdigest()
    return f"ESEAL-HMAC-SM3 Credential={token}, Timestamp={ts}, Nonce={nonce}, Signature={sig}"


def qys_headers(token, secret, timestamp_ms=None):
    """The manual's x-qys headers (2.9.1): they do not cover the request; prefer the above."""
    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    sig = hashlib.md5((token + secret + ts).encode()).hexdigest()
    return {"x-qys-accessToken": token, "x-qys-timestamp": ts, "x-qys-signature": sig}


def verify_webhook(secret, timestamp_ms, body, signature_header):
    """True when X-Eseal-Signature is HMAC-SM3(secret, timestamp + "\\n" + body)."""
    want = hmac.new(secret.encode(), f"{timestamp_ms}\n".encode() + body, "sm3").hexdigest()
    return hmac.compare_digest(signature_header, "ESEAL-HMAC-SM3 " + want)


def main(argv):
    if len(argv) == 6 and argv[1] == "verify-webhook":
        secret, ts, sig, body_file = argv[2:6]
        ok = verify_webhook(secret, ts, open(body_file, "rb").read(), sig)
        print("ok" if ok else "bad signature")
        return 0 if ok else 1
    if len(argv) < 6:
        sys.exit(__doc__)
    base, token, secret, method, path = argv[1:6]
    body = open(argv[6], "rb").read() if len(argv) > 6 else b""
    ctype = argv[7] if len(argv) > 7 else ("application/json" if body[:1] in (b"{", b"[") else "application/octet-stream")
    req = urllib.request.Request(base + path, data=body if body or method not in ("GET", "DELETE") else None, method=method)
    req.add_header("Authorization", authorization(method, path, body, token, secret))
    if body:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req) as r:
            sys.stdout.buffer.write(r.read())
            return 0
    except urllib.error.HTTPError as e:
        sys.stdout.buffer.write(e.read())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
