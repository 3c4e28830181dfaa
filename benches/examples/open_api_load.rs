//! Load generator of the open API (issue 14), driven by `benches/open_api_load.sh`.
//!
//! ```text
//! open_api_load setup BASE                     → prints "TOKEN SECRET SEAL" (demo data: a new
//!                                                 app, the demo cloud seal granted, policy none)
//! open_api_load run BASES TOKEN SECRET SEAL KIND SECS THREADS
//!     BASES: comma-separated server URLs, requests alternate between them
//!     KIND:  pdf | ofd (upload + sign of a one-page document) | verify (a signed PDF)
//! ```
//!
//! Prints one JSON line: completed operations, errors, operations/s, p50/p99/max latency (ms).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eseal::platform::openapi::{canonical_request, hmac_sm3};
use serde_json::{Value, json};

struct Client {
    agent: ureq::Agent,
    token: String,
    secret: String,
    seq: AtomicUsize,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Client {
    fn send(
        &self,
        base: &str,
        method: &str,
        path_q: &str,
        ct: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
        let ts = now_ms().to_string();
        let nonce = format!(
            "{:016x}{:016x}",
            std::process::id(),
            self.seq.fetch_add(1, Ordering::Relaxed) as u64 ^ (now_ms() as u64) << 20
        );
        let c = canonical_request(
            method,
            path,
            query,
            &hex::encode(eseal::crypto::sm3::sm3(body)),
            &ts,
            &nonce,
        );
        let sig = hex::encode(hmac_sm3(self.secret.as_bytes(), c.as_bytes()));
        let auth = format!(
            "ESEAL-HMAC-SM3 Credential={}, Timestamp={ts}, Nonce={nonce}, Signature={sig}",
            self.token
        );
        let req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{base}{path_q}"))
            .header("Authorization", auth)
            .header("Content-Type", ct)
            .body(body.to_vec())
            .map_err(|e| e.to_string())?;
        let mut r = self.agent.run(req).map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let b = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok((status, b))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn portal(
    agent: &ureq::Agent,
    base: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Value,
) -> Value {
    let mut b = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        b = b.header("Authorization", format!("Bearer {t}"));
    }
    let mut r = agent
        .run(b.body(body.to_string()).expect("request"))
        .expect("portal request");
    let text = r.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn setup(base: &str) {
    let a = agent();
    let login = |phone: &str| {
        portal(
            &a,
            base,
            None,
            "POST",
            "/api/v1/auth/login/password",
            json!({"phone": phone, "password": "Demo@2026"}),
        )["token"]
            .as_str()
            .expect("demo login")
            .to_owned()
    };
    let admin = login("13800000001");
    let name = format!("load-{}", now_ms());
    let app = portal(
        &a,
        base,
        Some(&admin),
        "POST",
        "/api/v1/apps",
        json!({"name": name}),
    );
    let id = app["id"].as_str().expect("app id").to_owned();
    let s = portal(
        &a,
        base,
        Some(&admin),
        "GET",
        &format!("/api/v1/apps/{id}/secret"),
        Value::Null,
    );
    let sealer = login("13800000003");
    let seals = portal(
        &a,
        base,
        Some(&sealer),
        "GET",
        "/api/v1/seals?kind=Cloud&status=Valid",
        Value::Null,
    );
    let seal = seals["items"][0]["id"]
        .as_str()
        .expect("cloud seal")
        .to_owned();
    portal(
        &a,
        base,
        Some(&sealer),
        "POST",
        &format!("/api/v1/seals/{seal}/grants"),
        json!({"app_id": id}),
    );
    println!(
        "{} {} {seal}",
        s["access_token"].as_str().unwrap_or(""),
        s["access_secret"].as_str().unwrap_or("")
    );
}

fn one(
    c: &Client,
    base: &str,
    kind: &str,
    seal: &str,
    doc: &[u8],
    signed: &[u8],
) -> Result<(), String> {
    let ok = |(s, b): (u16, Vec<u8>), want: u16| -> Result<Vec<u8>, String> {
        if s == want {
            Ok(b)
        } else {
            Err(format!("{s}: {}", String::from_utf8_lossy(&b)))
        }
    };
    match kind {
        "verify" => {
            let b = ok(
                c.send(
                    base,
                    "POST",
                    "/open/v1/verify?format=pdf",
                    "application/pdf",
                    signed,
                )?,
                200,
            )?;
            let v: Value = serde_json::from_slice(&b).map_err(|e| e.to_string())?;
            if v["verdict"] == "invalid" {
                return Err(format!("verdict {v}"));
            }
            Ok(())
        }
        _ => {
            let ct = if kind == "ofd" {
                "application/ofd"
            } else {
                "application/pdf"
            };
            let b = ok(
                c.send(
                    base,
                    "POST",
                    &format!("/open/v1/documents?name=load.{kind}"),
                    ct,
                    doc,
                )?,
                201,
            )?;
            let v: Value = serde_json::from_slice(&b).map_err(|e| e.to_string())?;
            let id = v["id"].as_str().ok_or("no id")?;
            let body = json!({"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100, "y_mm": 150}]})
                .to_string();
            ok(
                c.send(
                    base,
                    "POST",
                    &format!("/open/v1/documents/{id}/sign"),
                    "application/json",
                    body.as_bytes(),
                )?,
                200,
            )?;
            Ok(())
        }
    }
}

fn run(args: &[String]) {
    let [bases, token, secret, seal, kind, secs, threads] = args else {
        eprintln!("run BASES TOKEN SECRET SEAL KIND SECS THREADS");
        std::process::exit(2);
    };
    let bases: Vec<String> = bases.split(',').map(str::to_owned).collect();
    let secs: u64 = secs.parse().expect("SECS");
    let threads: usize = threads.parse().expect("THREADS");
    let c = Arc::new(Client {
        agent: agent(),
        token: token.clone(),
        secret: secret.clone(),
        seq: AtomicUsize::new(0),
    });
    let doc = match kind.as_str() {
        "ofd" => eseal::samples::sample_ofd(1, "load"),
        _ => eseal::samples::sample_pdf(1, "load"),
    };
    // A signed PDF for the verification runs (signed once through the API).
    let signed = if kind == "verify" {
        let pdf = eseal::samples::sample_pdf(1, "load");
        let (_, b) = c
            .send(
                &bases[0],
                "POST",
                "/open/v1/documents?name=v.pdf",
                "application/pdf",
                &pdf,
            )
            .expect("upload");
        let id = serde_json::from_slice::<Value>(&b).expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let body =
            json!({"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100, "y_mm": 150}]}).to_string();
        c.send(
            &bases[0],
            "POST",
            &format!("/open/v1/documents/{id}/sign"),
            "application/json",
            body.as_bytes(),
        )
        .expect("sign");
        c.send(
            &bases[0],
            "GET",
            &format!("/open/v1/documents/{id}/signed"),
            "application/octet-stream",
            b"",
        )
        .expect("signed")
        .1
    } else {
        vec![]
    };
    let lat = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let end = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let (c, lat, errors, first_error) =
                (c.clone(), lat.clone(), errors.clone(), first_error.clone());
            let (bases, kind, seal, doc, signed) = (
                bases.clone(),
                kind.clone(),
                seal.clone(),
                doc.clone(),
                signed.clone(),
            );
            std::thread::spawn(move || {
                let mut i = t;
                let mut mine = vec![];
                while Instant::now() < end {
                    let base = &bases[i % bases.len()];
                    i += 1;
                    let t0 = Instant::now();
                    match one(&c, base, &kind, &seal, &doc, &signed) {
                        Ok(()) => mine.push(t0.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            first_error.lock().unwrap().get_or_insert(e);
                        }
                    }
                }
                lat.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for h in hs {
        let _ = h.join();
    }
    let wall = start.elapsed().as_secs_f64();
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{}",
        json!({
            "kind": kind, "servers": bases.len(), "threads": threads, "secs": wall,
            "ok": l.len(), "errors": errors.load(Ordering::Relaxed),
            "first_error": first_error.lock().unwrap().clone(),
            "per_sec": l.len() as f64 / wall,
            "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": l.last().copied().unwrap_or(0.0),
        })
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("setup") if args.len() == 2 => setup(&args[1]),
        Some("run") => run(&args[1..]),
        _ => {
            eprintln!("open_api_load setup BASE | run BASES TOKEN SECRET SEAL KIND SECS THREADS");
            std::process::exit(2);
        }
    }
}
