// A business system's client of the eseal open API (docs/open-api.md), Node 18+ only.
//
//   node open_api_client.mjs BASE TOKEN SECRET METHOD PATH [BODY_FILE [CONTENT_TYPE]]
//   node open_api_client.mjs verify-webhook SECRET X-ESEAL-TIMESTAMP X-ESEAL-SIGNATURE BODY_FILE
//
// signs the request with the native scheme (ESEAL-HMAC-SM3), sends it, prints the answer;
// or checks the signature of a webhook delivery (exit 0 when it is right).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

export function authorization(method, pathAndQuery, body, token, secret, timestampMs, nonce) {
  const u = new URL(pathAndQuery, "http://x");
  const query = u.search.slice(1).split("&").filter(Boolean).sort().join("&");
  const ts = String(timestampMs ?? Date.now());
  nonce = nonce ?? randomBytes(16).toString("hex");
  const canonical = [
    "ESEAL-HMAC-SM3",
    method.toUpperCase(),
    u.pathname,
    query,
    createHash("sm3").update(body).digest("hex"),
    ts,
    nonce,
  ].join("\n");
  const sig = createHmac("sm3", secret).update(canonical).digest("hex");
  return `ESEAL-HMAC-SM3 Credential=${token}, Timestamp=${ts}, Nonce=${nonce}, Signature=${sig}`;
}

// True when X-Eseal-Signature is HMAC-SM3(secret, timestamp + "\n" + body) (body: Buffer).
export function verifyWebhook(secret, timestampMs, body, signatureHeader) {
  const want = "ESEAL-HMAC-SM3 " +
    createHmac("sm3", secret).update(`${timestampMs}\n`).update(body).digest("hex");
  const a = Buffer.from(want), b = Buffer.from(signatureHeader);
  return a.length === b.length && timingSafeEqual(a, b);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === "verify-webhook") {
  const [secret, ts, sig, file] = process.argv.slice(3);
  const ok = verifyWebhook(secret, ts, readFileSync(file), sig);
  console.log(ok ? "ok" : "bad signature");
  process.exit(ok ? 0 : 1);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const [base, token, secret, method, path, file, ctype] = process.argv.slice(2);
  const body = file ? readFileSync(file) : Buffer.alloc(0);
  const headers = { Authorization: authorization(method, path, body, token, secret) };
  if (body.length) headers["Content-Type"] = ctype ?? "application/octet-stream";
  const r = await fetch(base + path, { method, headers, body: body.length ? body : undefined });
  process.stdout.write(Buffer.from(await r.arrayBuffer()));
  process.exit(r.ok ? 0 : 1);
}
