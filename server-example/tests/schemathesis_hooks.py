"""Schemathesis hooks for scripts/test.d/85-server-api.sh (loaded through SCHEMATHESIS_HOOKS).

RFC 3161 requests (`POST /tsa`, `application/timestamp-query`) are raw DER bytes: generated
bodies are sent as the bytes of an `application/octet-stream` body would be, so the time-stamp
authority is fuzzed like every other operation (it must answer a rejection, never a 5xx).
OCSP requests (`POST /ocsp`, `application/ocsp-request`) are sent the same way.
"""

import schemathesis

schemathesis.serializer.alias("application/timestamp-query", "application/octet-stream")
# RFC 6960 requests (`POST /ocsp`) likewise: raw DER, answered malformedRequest when garbage.
schemathesis.serializer.alias("application/ocsp-request", "application/octet-stream")
