//! The local agent (`eseal agent`) over real HTTP on 127.0.0.1, and the `eseal ukey` CLI, both
//! against the software UKey cdylib.

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/ukey_support/mod.rs"]
mod ukey_support;

use base64::Engine;
use common::TempDir;
use eseal::crypto::{Certificate, sm2};
use eseal::ses::SealBuilder;
use eseal_soft_ukey::state::Quirks;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use ukey_support::*;

const ORIGIN: &str = "https://portal.example.gov.cn";
const SECRET: &str = "test-session-secret-0123456789";

struct AgentProc {
    child: Child,
    port: u16,
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AgentProc {
    fn start(lib: &std::path::Path) -> AgentProc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .args(["agent", "--lib"])
            .arg(lib)
            .args(["--portal-origin", ORIGIN, "--port", "0", "--secret", SECRET])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start eseal agent");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("agent banner");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        AgentProc { child, port }
    }

    /// One HTTP/1.1 request; returns (status, headers lower-cased, JSON body).
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Vec<(String, String)>, Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to agent");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("HTTP head");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .expect("status");
        let hdrs: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        if hdrs
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        (
            status,
            hdrs,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    fn stderr_text(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut s = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

fn dechunk(b: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let mut rest = b;
    while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&rest[..p]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&rest[p + 2..p + 2 + n]);
        rest = &rest[p + 4 + n..];
    }
    out
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
fn unb64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

const OK: [(&str, &str); 2] = [("Origin", ORIGIN), ("X-Eseal-Session", SECRET)];

#[test]
fn login_challenge_signed_over_http_verifies_and_strangers_are_refused() {
    let t = TempDir::new("ukey-agent");
    let soft = SoftUkey::new(t.path(), &[("AGENT01", Quirks::default())]);
    let agent = AgentProc::start(&soft.lib);

    // Keys and identity.
    let (st, hdrs, keys) = agent.call("GET", "/v1/keys", &OK, None);
    assert_eq!(st, 200, "{keys}");
    assert_eq!(keys["keys"][0]["serial"], "AGENT01");
    assert!(hdrs.contains(&("access-control-allow-origin".into(), ORIGIN.into())));
    let (st, _, id) = agent.call("GET", "/v1/identity", &OK, None);
    assert_eq!(st, 200, "{id}");
    assert_eq!(id["identity"]["device_serial"], "AGENT01");
    assert_eq!(id["key_uid"], "AGENT01");
    assert_eq!(id["pin"]["retries_left"], 5);
    let cert = Certificate::from_der(&unb64(&id["certificate"])).unwrap();
    assert_eq!(cert.der(), test_ca().person.cert.der());

    // The server's login challenge, signed on the key through the agent.
    let challenge: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let (st, _, r) = agent.call(
        "POST",
        "/v1/sign-challenge",
        &OK,
        Some(&json!({ "pin": USER_PIN, "challenge": b64(&challenge) })),
    );
    assert_eq!(st, 200, "{r}");
    let signer_cert = Certificate::from_der(&unb64(&r["certificate"])).unwrap();
    let sig = sm2::Signature::from_der(&unb64(&r["signature"])).unwrap();
    sm2::verify(
        signer_cert.sm2_public_key().unwrap(),
        sm2::DEFAULT_ID,
        &challenge,
        &sig,
    )
    .expect("challenge signature verifies against the certificate");
    assert!(
        sm2::verify(
            signer_cert.sm2_public_key().unwrap(),
            sm2::DEFAULT_ID,
            b"another challenge",
            &sig
        )
        .is_err()
    );
    assert_eq!(r["device_serial"], "AGENT01");

    // OpenSSL agrees.
    std::fs::write(t.path().join("challenge"), &challenge).unwrap();
    std::fs::write(t.path().join("sig.der"), unb64(&r["signature"])).unwrap();
    std::fs::write(
        t.path().join("pub.pem"),
        signer_cert.sm2_public_key().unwrap().to_pem(),
    )
    .unwrap();
    let out = common::tool("openssl")
        .current_dir(t.path())
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "challenge",
            "-sigfile",
            "sig.der",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
        "{out:?}"
    );

    // A document digest e.
    let pk = signer_cert.sm2_public_key().unwrap();
    let e = sm2::message_digest(pk, sm2::DEFAULT_ID, b"TBS_Sign DER");
    let (st, _, r) = agent.call(
        "POST",
        "/v1/sign",
        &OK,
        Some(&json!({ "pin": USER_PIN, "digest": b64(&e) })),
    );
    assert_eq!(st, 200, "{r}");
    sm2::verify_digest(
        pk,
        &e,
        &sm2::Signature::from_der(&unb64(&r["signature"])).unwrap(),
    )
    .unwrap();

    // Wrong PIN: tries left in the answer.
    let (st, _, r) = agent.call(
        "POST",
        "/v1/verify-pin",
        &OK,
        Some(&json!({ "pin": "999999" })),
    );
    assert_eq!(
        (st, r["error"].as_str(), r["retries_left"].as_u64()),
        (403, Some("pin_incorrect"), Some(4)),
        "{r}"
    );
    let (st, _, _) = agent.call(
        "POST",
        "/v1/verify-pin",
        &OK,
        Some(&json!({ "pin": USER_PIN })),
    );
    assert_eq!(st, 200);

    // Another origin, no secret, a wrong secret: refused, without touching the key.
    let (st, hdrs, r) = agent.call(
        "POST",
        "/v1/sign-challenge",
        &[
            ("Origin", "https://evil.example"),
            ("X-Eseal-Session", SECRET),
        ],
        Some(&json!({ "pin": USER_PIN, "challenge": b64(&challenge) })),
    );
    assert_eq!((st, r["error"].as_str()), (403, Some("origin_refused")));
    assert!(!hdrs.iter().any(|(k, _)| k == "access-control-allow-origin"));
    let (st, _, r) = agent.call(
        "POST",
        "/v1/sign-challenge",
        &[("Origin", ORIGIN)],
        Some(&json!({ "pin": USER_PIN, "challenge": b64(&challenge) })),
    );
    assert_eq!((st, r["error"].as_str()), (401, Some("session_refused")));
    let (st, _, _) = agent.call(
        "GET",
        "/v1/keys",
        &[
            ("Origin", ORIGIN),
            ("X-Eseal-Session", "test-session-secret-0123456780"),
        ],
        None,
    );
    assert_eq!(st, 401);
    // The preflight from the portal is allowed, from elsewhere not.
    let (st, hdrs, _) = agent.call(
        "OPTIONS",
        "/v1/sign-challenge",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    assert_eq!(st, 204);
    assert!(hdrs.iter().any(|(k, v)| k == "access-control-allow-headers"
        && v.to_ascii_lowercase().contains("x-eseal-session")));
    let (st, _, _) = agent.call(
        "OPTIONS",
        "/v1/sign-challenge",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(st, 403);
    // The refused calls did not use up PIN tries.
    let (_, _, id) = agent.call("GET", "/v1/identity", &OK, None);
    assert_eq!(id["pin"]["retries_left"], 5);

    // Seals: write one through the agent, read it back.
    let ca = test_ca();
    let (nb, na) = eseal::crypto::testca::default_validity();
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend([7u8; 600]);
    let seal = SealBuilder::new("测试专用章", "310000000000002")
        .picture("png", png, 40, 40)
        .valid(nb, na)
        .created(nb)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let (st, _, r) = agent.call(
        "POST",
        "/v1/write-seal",
        &OK,
        Some(&json!({ "pin": USER_PIN, "seal": b64(seal.der()) })),
    );
    assert_eq!(st, 200, "{r}");
    let (st, _, r) = agent.call("GET", "/v1/seals", &OK, None);
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["seals"].as_array().unwrap().len(), 1);
    assert_eq!(unb64(&r["seals"][0]["seal"]), seal.der());

    let log = agent.stderr_text();
    assert!(log.contains("POST /v1/sign-challenge -> 200"), "{log}");
    assert!(
        !log.contains(USER_PIN) && !log.contains("999999"),
        "the PIN must never be logged: {log}"
    );
}

#[test]
fn cli_init_list_verify_write_and_read_seals() {
    let t = TempDir::new("ukey-cli");
    let state = t.path().join("key.json");
    let eseal = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_eseal"));
        c.env("ESEAL_SOFT_UKEY_FILE", &state)
            .env_remove("ESEAL_UKEY_PIN");
        c
    };
    // init from a certificate and key file
    let ca = test_ca();
    std::fs::write(t.path().join("cert.pem"), ca.person.cert.to_pem()).unwrap();
    std::fs::write(t.path().join("key.pem"), ca.person.key.to_pkcs8_pem()).unwrap();
    let out = eseal()
        .args([
            "ukey",
            "init",
            "--pin",
            "246810",
            "--serial",
            "CLI0001",
            "--retries",
            "3",
        ])
        .arg("--out")
        .arg(&state)
        .arg("--cert")
        .arg(t.path().join("cert.pem"))
        .arg("--key")
        .arg(t.path().join("key.pem"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // A key that does not match the certificate is refused.
    std::fs::write(t.path().join("other.pem"), ca.unit.key.to_pkcs8_pem()).unwrap();
    let out = eseal()
        .args(["ukey", "init", "--pin", "246810"])
        .arg("--out")
        .arg(t.path().join("x.json"))
        .arg("--cert")
        .arg(t.path().join("cert.pem"))
        .arg("--key")
        .arg(t.path().join("other.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!t.path().join("x.json").exists());

    // The library used through the environment variable, as a user would.
    let lib = built_soft_ukey();
    let out = eseal()
        .args(["ukey", "list", "--lib"])
        .arg(&lib)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("serial: CLI0001")
            && text.contains("CN=张三")
            && text.contains("3 of 3 tries left"),
        "{text}"
    );

    let out = eseal()
        .args(["ukey", "verify-pin", "--pin", "135791", "--lib"])
        .arg(&lib)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 tries left"));
    let out = eseal()
        .args(["ukey", "verify-pin", "--lib"])
        .arg(&lib)
        .env("ESEAL_UKEY_PIN", "246810")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let (nb, na) = eseal::crypto::testca::default_validity();
    let seal = SealBuilder::new("合同专用章", "310000000000003")
        .picture("png", vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4], 40, 40)
        .valid(nb, na)
        .created(nb)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    std::fs::write(t.path().join("s.esl"), seal.der()).unwrap();
    let out = eseal()
        .args([
            "ukey",
            "write-seal",
            "--pin",
            "246810",
            "--name",
            "seal-1",
            "--lib",
        ])
        .arg(&lib)
        .arg("--seal")
        .arg(t.path().join("s.esl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = eseal()
        .args(["ukey", "read-seals", "--lib"])
        .arg(&lib)
        .arg("--out-dir")
        .arg(t.path().join("out"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 seal(s)") && text.contains("合同专用章"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(t.path().join("out/seal-1.esl")).unwrap(),
        seal.der()
    );

    // A bad library path: a clear error, exit 2.
    let out = eseal()
        .args(["ukey", "list", "--lib", "/nonexistent/libskf.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot load SKF library /nonexistent/libskf.so")
    );
}

/// Deferred (two-step) signing with the UKey through the agent (issue 16): the signing side
/// knows only the key's certificate; it prepares the digest e of a PDF seal signature and of
/// an OFD seal signature, the agent signs e in the software UKey, and finish writes files
/// that verify. A swapped document is refused at finish.
#[test]
fn deferred_signing_of_pdf_and_ofd_through_the_agent() {
    use eseal::crypto::time::Time;
    use eseal::deferred::External;
    use eseal::report::Verdict;
    let t = TempDir::new("ukey-deferred");
    let soft = SoftUkey::new(t.path(), &[("AGENT02", Quirks::default())]);
    let agent = AgentProc::start(&soft.lib);
    let (st, _, id) = agent.call("GET", "/v1/identity", &OK, None);
    assert_eq!(st, 200, "{id}");
    let cert = Certificate::from_der(&unb64(&id["certificate"])).unwrap();
    let ca = test_ca();
    let mut png = Vec::new();
    {
        let mut e = png::Encoder::new(&mut png, 8, 8);
        e.set_color(png::ColorType::Rgba);
        e.set_depth(png::BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&[200, 0, 0, 255].repeat(64)).unwrap();
    }
    let seal = SealBuilder::new("测试合同章", "310000000000016")
        .picture("png", png, 40, 40)
        .signer_cert(&cert)
        .build(&ca.unit.signer())
        .unwrap();
    let ukey_sign = |e: &[u8; 32]| -> sm2::Signature {
        let (st, _, r) = agent.call(
            "POST",
            "/v1/sign",
            &OK,
            Some(&json!({ "pin": USER_PIN, "digest": b64(e) })),
        );
        assert_eq!(st, 200, "{r}");
        sm2::Signature::from_der(&unb64(&r["signature"])).unwrap()
    };
    let opts = eseal::validation::VerifyOptions {
        trust: eseal::validation::TrustStore::new().with(ca.root.cert.clone()),
        ..Default::default()
    };
    let external = External(cert.clone());
    let time = Time::now();

    // PDF: a seal with a visible stamp.
    let pdf = eseal::samples::sample_pdf(2, "deferred");
    let req = eseal::pdf::SignRequest::new(
        eseal::pdf::Credential::Seal {
            seal: &seal,
            signer: &external,
        },
        eseal::pdf::Placement::Stamp {
            page: 1,
            x: 300.0,
            y: 300.0,
            width: 113.0,
            height: 113.0,
        },
        time,
    );
    let pending = eseal::pdf::prepare(&pdf, &req).unwrap();
    let sig = ukey_sign(&pending.digest);
    let signed = eseal::pdf::finish(&pdf, &pending, sig, &req).unwrap();
    let report = eseal::pdf::verify(&signed, "deferred.pdf", &opts).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    let swapped = eseal::samples::sample_pdf(2, "another");
    assert!(eseal::pdf::finish(&swapped, &pending, sig, &req).is_err());

    // OFD: a seal with a stamp.
    let ofd_bytes = eseal::samples::sample_ofd(2, "deferred");
    let mut req = eseal::ofd::SignRequest::new(eseal::ofd::SignKind::Seal(&seal), time);
    req.placements.push(eseal::ofd::Placement::Stamp {
        page: 2,
        x_mm: 100.0,
        y_mm: 100.0,
        width_mm: None,
        height_mm: None,
    });
    let pending = eseal::ofd::prepare(&ofd_bytes, &cert, &req).unwrap();
    // The state as the browser would carry it.
    let pending = eseal::deferred::Pending::from_json(&pending.to_json()).unwrap();
    let sig = ukey_sign(&pending.digest);
    let signed = eseal::ofd::finish(&ofd_bytes, &pending, &sig, &req).unwrap();
    let pkg = eseal::ofd::Package::from_bytes(signed).unwrap();
    let report = eseal::ofd::verify(&pkg, "deferred.ofd", &opts).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
}
