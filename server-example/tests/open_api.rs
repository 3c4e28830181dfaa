//! The open API for business systems (issue 14) against the real `eseal-server`: signed
//! requests and every refusal, signing under each confirmation policy (none, system check,
//! manual through the approval queue), tasks, verification, signed webhooks with their
//! delivery log and redelivery; on SQLite and PostgreSQL, and two servers on one PostgreSQL
//! (a replay refused by the other server, an approval on one completing the task of the
//! other, each event delivered once, no task signed twice).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use eseal::platform::openapi::{canonical_request, hmac_sm3, request_signature};
use serde_json::{Value, json};

/// An app's credentials and a signing client.
#[derive(Clone)]
struct App {
    id: String,
    token: String,
    secret: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn nonce() -> String {
    let mut b = [0u8; 16];
    getrandom(&mut b);
    hex::encode(b)
}

fn getrandom(b: &mut [u8]) {
    let mut f = std::fs::File::open("/dev/urandom").unwrap();
    f.read_exact(b).unwrap();
}

/// The native `Authorization` header of a request.
fn native(app: &App, method: &str, path_q: &str, body: &[u8], ts: i64, nonce: &str) -> String {
    let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
    let c = canonical_request(
        method,
        path,
        query,
        &hex::encode(eseal::crypto::sm3::sm3(body)),
        &ts.to_string(),
        nonce,
    );
    let sig = hex::encode(hmac_sm3(app.secret.as_bytes(), c.as_bytes()));
    format!(
        "ESEAL-HMAC-SM3 Credential={}, Timestamp={ts}, Nonce={nonce}, Signature={sig}",
        app.token
    )
}

/// Sends a natively signed request.
fn call(api: &Api, app: &App, method: &str, path_q: &str, ct: Option<&str>, body: Vec<u8>) -> Resp {
    let mut a = api.clone();
    a.headers.push((
        "Authorization".into(),
        native(app, method, path_q, &body, now_ms(), &nonce()),
    ));
    a.send(method, path_q, ct, body)
}

fn call_json(api: &Api, app: &App, method: &str, path: &str, v: Value) -> Resp {
    call(
        api,
        app,
        method,
        path,
        Some("application/json"),
        v.to_string().into_bytes(),
    )
}

/// One request the receiver got: headers (lower-case names) and body.
type Delivery = (BTreeMap<String, String>, Vec<u8>);

/// How the receiver answers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// 200 (the delivery is kept).
    Ok,
    /// 500 (not kept: the platform must deliver it again).
    Fail,
    /// Kept, then 200 after this long (longer than the server's timeout: the platform sees
    /// no answer and delivers it again, the receiver sees it twice with the same id).
    Slow(Duration),
}

/// A webhook receiver over HTTP or HTTPS (rustls): every request's headers and body.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    mode: Arc<Mutex<Mode>>,
}

impl Receiver {
    fn start() -> (Receiver, String) {
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), None)
    }

    /// Serves on `l`, over TLS with `tls`.
    fn start_on(l: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> (Receiver, String) {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/hook", l.local_addr().unwrap());
        let r = Receiver {
            got: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Ok)),
        };
        let r2 = r.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                match &tls {
                    None => r2.serve(&mut { s }),
                    Some(cfg) => {
                        let Ok(conn) = rustls::ServerConnection::new(cfg.clone()) else {
                            continue;
                        };
                        let mut st = rustls::StreamOwned::new(conn, s);
                        r2.serve(&mut st);
                        st.conn.send_close_notify();
                        let _ = st.flush();
                    }
                }
            }
        });
        (r, url)
    }

    fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }

    fn serve(&self, s: &mut (impl Read + Write)) {
        let mut headers = BTreeMap::new();
        let mut body;
        {
            let mut rd = BufReader::new(&mut *s);
            let mut line = String::new();
            if rd.read_line(&mut line).unwrap_or(0) == 0 {
                return; // e.g. a TLS handshake the client refused
            }
            loop {
                line.clear();
                if rd.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.trim().split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
            let n: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            body = vec![0; n];
            if rd.read_exact(&mut body).is_err() {
                return;
            }
        }
        let mode = *self.mode.lock().unwrap();
        if mode != Mode::Fail {
            self.got.lock().unwrap().push((headers, body));
        }
        if let Mode::Slow(d) = mode {
            std::thread::sleep(d);
        }
        let status = if mode == Mode::Fail {
            "500 Oops"
        } else {
            "200 OK"
        };
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        let _ = s.flush();
    }

    /// Deliveries so far: (event id, event, body JSON), each signature checked.
    fn events(&self, secret: &str) -> Vec<(String, String, Value)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(h, body)| {
                let ts = &h["x-eseal-timestamp"];
                let want = hex::encode(hmac_sm3(
                    secret.as_bytes(),
                    &[format!("{ts}\n").as_bytes(), body].concat(),
                ));
                assert_eq!(
                    h["x-eseal-signature"],
                    format!("ESEAL-HMAC-SM3 {want}"),
                    "webhook signature"
                );
                let v: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(v["id"], h["x-eseal-event-id"].as_str());
                assert_eq!(v["seq"].to_string(), h["x-eseal-event-seq"]);
                (h["x-eseal-event-id"].clone(), h["x-eseal-event"].clone(), v)
            })
            .collect()
    }

    fn wait_for(&self, secret: &str, event: &str, n: usize) -> Vec<(String, String, Value)> {
        let t = Instant::now();
        loop {
            let got = self.events(secret);
            if got.iter().filter(|e| e.1 == event).count() >= n {
                return got;
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "no {n} × {event} delivered: {got:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The demo's app administrator makes an app; the seal administrator grants it the demo
/// cloud seal. Returns the app, the seal and the seal administrator's client.
fn setup(api: &Api, name: &str) -> (App, String, Api) {
    let admin = api.login(APP_ADMIN, DEMO_PASSWORD);
    let a = expect(&admin.post("/api/v1/apps", json!({"name": name})), 201);
    let id = a["id"].as_str().unwrap().to_owned();
    let s = expect(&admin.get(&format!("/api/v1/apps/{id}/secret")), 200);
    let seals = api.login(SEAL_ADMIN, DEMO_PASSWORD);
    let list = expect(&seals.get("/api/v1/seals?kind=Cloud&status=Valid"), 200);
    let seal = list["items"][0]["id"].as_str().unwrap().to_owned();
    expect(
        &seals.post(
            &format!("/api/v1/seals/{seal}/grants"),
            json!({ "app_id": id }),
        ),
        201,
    );
    (
        App {
            id,
            token: s["access_token"].as_str().unwrap().to_owned(),
            secret: s["access_secret"].as_str().unwrap().to_owned(),
        },
        seal,
        seals,
    )
}

fn upload(api: &Api, app: &App, name: &str, ct: &str, bytes: Vec<u8>) -> String {
    let r = call(
        api,
        app,
        "POST",
        &format!("/open/v1/documents?name={name}"),
        Some(ct),
        bytes,
    );
    expect(&r, 201)["id"].as_str().unwrap().to_owned()
}

fn sign_body(seal: &str) -> Value {
    json!({"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100, "y_mm": 150}]})
}

fn wait_task(api: &Api, app: &App, task: &str, want: &str) -> Value {
    let t = Instant::now();
    loop {
        let v = expect(
            &call(
                api,
                app,
                "GET",
                &format!("/open/v1/tasks/{task}"),
                None,
                vec![],
            ),
            200,
        );
        if v["status"] == want {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "task {task} is {v}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// "actor reason" of the refused open API requests in the platform's audit chain, read
/// from the database (no HTTP route shows that chain).
fn platform_refusals(db: &Db, data_dir: &std::path::Path) -> Vec<String> {
    let sql = "SELECT actor || ' ' || reason FROM audit \
               WHERE chain = 'platform' AND action = 'OpenApiRequest' AND outcome <> 'ok'";
    match db {
        Db::Sqlite => {
            let c = rusqlite::Connection::open(data_dir.join("eseal.db")).unwrap();
            let mut st = c.prepare(sql).unwrap();
            st.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        }
        Db::Postgres { url, schema } => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO \"{schema}\""))
                .unwrap();
            c.query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        }
    }
}

fn set_policy(seals: &Api, seal: &str, app: &App, p: Value) -> Value {
    expect(
        &seals.put(&format!("/api/v1/seals/{seal}/grants/{}/policy", app.id), p),
        200,
    )
}

const FAST_WORKER: (&str, &str) = ("ESEAL_OPEN_WORKER_INTERVAL_MS", "100");

fn open_flow(db: Db) {
    let small = eseal::samples::sample_pdf(1, "open api");
    let big = eseal::samples::sample_pdf(60, "open api large");
    assert!(big.len() > small.len() + 1000);
    let threshold = ((small.len() + big.len()) / 2).to_string();
    let srv = Server::start(
        &db,
        &[
            FAST_WORKER,
            ("ESEAL_OPEN_SYNC_MAX_BYTES", threshold.as_str()),
        ],
    );
    let api = srv.api();
    let (app, seal, seals) = setup(&api, "OA 系统");

    // Refusals: 401 with the code of the failed check.
    let code = |r: Resp| expect(&r, 401)["code"].as_str().unwrap().to_owned();
    assert_eq!(code(api.get("/open/v1/seals")), "missing_credentials");
    let wrong = App {
        secret: "0".repeat(64),
        ..app.clone()
    };
    assert_eq!(
        code(call(&api, &wrong, "GET", "/open/v1/seals", None, vec![])),
        "bad_signature"
    );
    let unknown = App {
        token: "f".repeat(32),
        ..app.clone()
    };
    assert_eq!(
        code(call(&api, &unknown, "GET", "/open/v1/seals", None, vec![])),
        "unknown_token"
    );
    let mut stale = api.clone();
    stale.headers.push((
        "Authorization".into(),
        native(
            &app,
            "GET",
            "/open/v1/seals",
            b"",
            now_ms() - 400_000,
            &nonce(),
        ),
    ));
    assert_eq!(code(stale.get("/open/v1/seals")), "outside_window");
    // The body is covered: the same header on another body is refused.
    let n = nonce();
    let mut tampered = api.clone();
    tampered.headers.push((
        "Authorization".into(),
        native(&app, "PUT", "/open/v1/webhook", b"{}", now_ms(), &n),
    ));
    assert_eq!(
        code(tampered.put("/open/v1/webhook", json!({"url": "http://x"}))),
        "bad_signature"
    );
    let mut once = api.clone();
    once.headers.push((
        "Authorization".into(),
        native(&app, "GET", "/open/v1/seals", b"", now_ms(), &n),
    ));
    let seals_v = expect(&once.get("/open/v1/seals"), 200);
    assert_eq!(seals_v[0]["id"], seal.as_str());
    assert_eq!(seals_v[0]["policy"], "none");
    assert_eq!(code(once.get("/open/v1/seals")), "replay");
    // x-qys (manual 2.9.1): accepted once, then a replay.
    let ts = now_ms().to_string();
    let mut qys = api.clone();
    qys.headers.extend([
        ("x-qys-accessToken".into(), app.token.clone()),
        ("x-qys-timestamp".into(), ts.clone()),
        (
            "x-qys-signature".into(),
            request_signature(&app.token, &app.secret, &ts),
        ),
    ]);
    expect(&qys.get("/open/v1/seals"), 200);
    assert_eq!(code(qys.get("/open/v1/seals")), "replay");
    // An IP whitelist without the caller.
    let admin = api.login(APP_ADMIN, DEMO_PASSWORD);
    let ip_app = setup(&api, "白名单应用").0;
    expect(
        &admin.put(
            &format!("/api/v1/apps/{}", ip_app.id),
            json!({"name": "白名单应用", "ip_whitelist": ["10.9.8.7"]}),
        ),
        200,
    );
    assert_eq!(
        code(call(&api, &ip_app, "GET", "/open/v1/seals", None, vec![])),
        "ip_not_allowed"
    );

    // Every refusal is audited with its code and reason: a known app's in its unit's chain
    // (read by the unit's auditor, 2.10), an unknown or missing token in the platform's.
    let auditor = api.login(AUDITOR, DEMO_PASSWORD);
    let denied = expect(
        &auditor.get("/api/v1/audit?action=OpenApiRequest&failures=true"),
        200,
    );
    let unit_refusals: Vec<String> = denied["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["actor"], e["reason"]))
        .collect();
    for (who, c, n) in [
        (&app, "bad_signature", 2),
        (&app, "outside_window", 1),
        (&app, "replay", 2),
        (&ip_app, "ip_not_allowed", 1),
    ] {
        let found = unit_refusals
            .iter()
            .filter(|r| r.contains(&format!("app:{}", who.id)) && r.contains(&format!("{c}: ")))
            .count();
        assert_eq!(found, n, "{c} audited {found} times: {unit_refusals:?}");
    }
    let platform = platform_refusals(&db, &srv.data_dir);
    for c in ["missing_credentials", "unknown_token"] {
        assert!(
            platform.iter().any(|r| r.contains(&format!("{c}: "))),
            "{c} not in the platform's audit chain: {platform:?}"
        );
    }
    assert!(
        platform
            .iter()
            .any(|r| r.contains(&format!("token:{}", unknown.token))),
        "the unknown token is named: {platform:?}"
    );

    // The webhook, then a synchronous PDF and OFD signing (policy none), fetched and verified.
    let (recv, url) = Receiver::start();
    expect(
        &call_json(&api, &app, "PUT", "/open/v1/webhook", json!({ "url": url })),
        200,
    );
    let pdf = upload(&api, &app, "contract.pdf", "application/pdf", small.clone());
    let r = expect(
        &call_json(
            &api,
            &app,
            "POST",
            &format!("/open/v1/documents/{pdf}/sign"),
            json!({"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100, "y_mm": 150}],
                   "qr": {"page": 1, "x_mm": 10, "y_mm": 10}}),
        ),
        200,
    );
    assert_eq!(r["status"], "completed");
    let signed = call(
        &api,
        &app,
        "GET",
        &format!("/open/v1/documents/{pdf}/signed"),
        None,
        vec![],
    );
    assert!(expect(&signed, 200).is_null() && signed.body.starts_with(b"%PDF"));
    let rep = expect(
        &call(
            &api,
            &app,
            "POST",
            "/open/v1/verify?name=contract.pdf",
            Some("application/pdf"),
            signed.body.clone(),
        ),
        200,
    );
    assert_ne!(rep["verdict"], "invalid", "{rep}");
    assert_eq!(rep["signatures"].as_array().unwrap().len(), 1);
    let ofd = upload(
        &api,
        &app,
        "contract.ofd",
        "application/ofd",
        eseal::samples::sample_ofd(2, "open api"),
    );
    expect(
        &call_json(
            &api,
            &app,
            "POST",
            &format!("/open/v1/documents/{ofd}/sign"),
            json!({"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100, "y_mm": 150}], "cross_page": true}),
        ),
        200,
    );
    let signed_ofd = call(
        &api,
        &app,
        "GET",
        &format!("/open/v1/documents/{ofd}/signed"),
        None,
        vec![],
    );
    let rep = expect(
        &call(
            &api,
            &app,
            "POST",
            "/open/v1/verify?format=ofd",
            Some("application/ofd"),
            signed_ofd.body,
        ),
        200,
    );
    assert_ne!(rep["verdict"], "invalid", "{rep}");
    // Another app's document is not found.
    let (other, _, _) = setup(&api, "ERP 系统");
    expect(
        &call_json(
            &api,
            &other,
            "POST",
            &format!("/open/v1/documents/{ofd}/sign"),
            sign_body(&seal),
        ),
        404,
    );

    // A large file: 202 and a task the worker completes (task.completed delivered).
    let big_id = upload(&api, &app, "big.pdf", "application/pdf", big);
    let r = expect(
        &call_json(
            &api,
            &app,
            "POST",
            &format!("/open/v1/documents/{big_id}/sign"),
            sign_body(&seal),
        ),
        202,
    );
    let task = r["task"]["id"].as_str().unwrap().to_owned();
    let done = wait_task(&api, &app, &task, "completed");
    assert!(done["file_record"].is_string());
    recv.wait_for(&app.secret, "task.completed", 1);

    // System check: call limit and 流水号 + token.
    let calls = expect(
        &call(&api, &app, "GET", "/open/v1/seals", None, vec![]),
        200,
    )[0]["calls"]
        .as_u64()
        .unwrap();
    assert_eq!(calls, 3);
    set_policy(
        &seals,
        &seal,
        &app,
        json!({"kind": "system_check", "call_limit": calls + 1, "token_check": true}),
    );
    let g = expect(
        &seals.get(&format!("/api/v1/seals/{seal}/grants/{}", app.id)),
        200,
    );
    let tok = g["call_token"].as_str().unwrap().to_owned();
    let sign_with = |serial: Option<&str>, token: Option<&str>| {
        let d = upload(&api, &app, "sc.pdf", "application/pdf", small.clone());
        let mut b = sign_body(&seal);
        b["serial"] = json!(serial);
        b["token"] = json!(token);
        call_json(
            &api,
            &app,
            "POST",
            &format!("/open/v1/documents/{d}/sign"),
            b,
        )
    };
    assert_eq!(
        expect(&sign_with(None, None), 400)["code"],
        "verification_failed"
    );
    assert_eq!(
        expect(&sign_with(Some("SN-1"), Some("wrong")), 400)["code"],
        "verification_failed"
    );
    expect(&sign_with(Some("SN-1"), Some(&tok)), 200);
    assert_eq!(
        expect(&sign_with(Some("SN-1"), Some(&tok)), 400)["code"],
        "verification_failed"
    );
    assert_eq!(
        expect(&sign_with(Some("SN-2"), Some(&tok)), 429)["code"],
        "rate_limited"
    );
    let s = expect(
        &call(&api, &app, "GET", "/open/v1/seals", None, vec![]),
        200,
    );
    assert_eq!(s[0]["remaining_calls"], 0);

    // Manual confirmation: the call waits in the confirmer's queue; a rejection with its
    // reason, then an approval that completes the task.
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let user_id = expect(&user.get("/api/v1/session"), 200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_policy(
        &seals,
        &seal,
        &app,
        json!({"kind": "manual", "confirmers": [user_id], "sms_notice": true}),
    );
    let submit = |name: &str| {
        let d = upload(&api, &app, name, "application/pdf", small.clone());
        let r = expect(
            &call_json(
                &api,
                &app,
                "POST",
                &format!("/open/v1/documents/{d}/sign"),
                sign_body(&seal),
            ),
            202,
        );
        assert_eq!(r["status"], "awaiting_approval");
        (d, r["task"]["id"].as_str().unwrap().to_owned())
    };
    let (_, rejected) = submit("reject-me.pdf");
    let (doc2, approved) = submit("approve-me.pdf");
    let q = expect(&user.get("/api/v1/queue?status=Pending"), 200);
    let mine = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["app"] == app.id.as_str())
        .count();
    assert_eq!(mine, 2, "{q}");
    let sms = expect(&api.get(&format!("/api/v1/dev/sms?phone={SEAL_USER}")), 200);
    assert!(sms.to_string().contains("approve-me.pdf"), "{sms}");
    expect(
        &user.post(
            &format!("/api/v1/queue/{rejected}/reject?reason=wrong%20amount"),
            json!({}),
        ),
        200,
    );
    let t = wait_task(&api, &app, &rejected, "rejected");
    assert_eq!(t["reason"], "wrong amount");
    expect(
        &user.post(&format!("/api/v1/queue/{approved}/approve"), json!({})),
        200,
    );
    wait_task(&api, &app, &approved, "completed");
    let f = call(
        &api,
        &app,
        "GET",
        &format!("/open/v1/documents/{doc2}/signed"),
        None,
        vec![],
    );
    assert!(expect(&f, 200).is_null() && f.body.starts_with(b"%PDF"));
    // A decided call cannot be decided again.
    expect(
        &user.post(&format!("/api/v1/queue/{approved}/approve"), json!({})),
        409,
    );

    // Seal state changes reach the app; then the events, their log and a redelivery.
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/freeze"), json!({})),
        200,
    );
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/unfreeze"), json!({})),
        200,
    );
    recv.wait_for(&app.secret, "seal.unfrozen", 1);
    let got = recv.wait_for(&app.secret, "task.completed", 2);
    let kinds: Vec<&str> = got.iter().map(|e| e.1.as_str()).collect();
    for k in [
        "task.rejected",
        "approval.decided",
        "seal.frozen",
        "seal.unfrozen",
    ] {
        assert!(kinds.contains(&k), "{k} not delivered: {kinds:?}");
    }
    let ids: Vec<&String> = got.iter().map(|e| &e.0).collect();
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len(), "an event delivered twice: {ids:?}");
    // The receiver has the events; the outbox records a delivery once the receiver's answer is
    // back, so the log may still say pending for a moment (polled, not timed).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let log = loop {
        let log = expect(
            &call(&api, &app, "GET", "/open/v1/events", None, vec![]),
            200,
        );
        if log["items"][0]["status"] == "delivered" || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(log["total"].as_u64().unwrap() as usize, got.len());
    let first = &log["items"][0];
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["deliveries"][0]["status"], 200);
    let eid = first["id"].as_str().unwrap().to_owned();
    expect(
        &call(
            &api,
            &app,
            "POST",
            &format!("/open/v1/events/{eid}/redeliver"),
            None,
            vec![],
        ),
        200,
    );
    let t = Instant::now();
    while recv
        .events(&app.secret)
        .iter()
        .filter(|e| e.0 == eid)
        .count()
        < 2
    {
        assert!(t.elapsed() < Duration::from_secs(30), "no redelivery");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A failing receiver: the attempt is logged and retried later.
    recv.set(Mode::Fail);
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/freeze"), json!({})),
        200,
    );
    let t = Instant::now();
    loop {
        let log = expect(
            &call(&api, &app, "GET", "/open/v1/events", None, vec![]),
            200,
        );
        let failed = log["items"].as_array().unwrap().iter().any(|e| {
            e["event"] == "seal.frozen"
                && e["status"] == "pending"
                && e["deliveries"][0]["status"] == 500
        });
        if failed {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "no failed attempt");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The open routes are in the OpenAPI document.
    let doc = expect(&api.get("/api/openapi.json"), 200);
    for p in [
        "/open/v1/seals",
        "/open/v1/documents",
        "/open/v1/documents/{id}/sign",
        "/open/v1/tasks/{id}",
        "/open/v1/verify",
        "/open/v1/webhook",
        "/open/v1/events/{id}/redeliver",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
}

#[test]
fn open_api_on_sqlite() {
    open_flow(Db::Sqlite);
}

#[test]
fn open_api_on_postgres() {
    let Some((url, cluster)) = postgres("open_api_on_postgres") else {
        return;
    };
    open_flow(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("open"),
    });
    drop(cluster);
}

/// The refusals that depend on the app's state or its SM2 key, each audited in the unit's
/// chain with its code: malformed credentials, an SM2 signature missing, not base64 or not
/// verifying (and a good one accepted), and a deleted app (2.9.4).
#[test]
fn refusals_of_app_state_and_sm2() {
    use base64::Engine;
    use eseal::crypto::sm2;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let admin = api.login(APP_ADMIN, DEMO_PASSWORD);
    let code = |r: Resp| expect(&r, 401)["code"].as_str().unwrap().to_owned();
    let (app, _, _) = setup(&api, "国密应用");

    // Malformed: a nonce shorter than 16 characters, a timestamp that is not a number (the
    // Credential names a known app: audited in its unit's chain).
    let mut bad = api.clone();
    bad.headers.push((
        "Authorization".into(),
        native(&app, "GET", "/open/v1/seals", b"", now_ms(), "short"),
    ));
    assert_eq!(code(bad.get("/open/v1/seals")), "malformed_credentials");
    let mut bad = api.clone();
    bad.headers.push((
        "Authorization".into(),
        native(&app, "GET", "/open/v1/seals", b"", now_ms(), &nonce())
            .replace("Timestamp=", "Timestamp=x"),
    ));
    assert_eq!(code(bad.get("/open/v1/seals")), "malformed_credentials");

    // The app registers an SM2 public key: every request must carry Sm2= over the canonical
    // request, verified with the default ID (GB/T 32918.2 §5.5).
    let key = sm2::PrivateKey::generate().unwrap();
    let other = sm2::PrivateKey::generate().unwrap();
    expect(
        &admin.put(
            &format!("/api/v1/apps/{}", app.id),
            json!({"name": "国密应用", "public_key": b64(&key.public_key().to_sec1_uncompressed())}),
        ),
        200,
    );
    type SignCanonical<'f> = &'f dyn Fn(&[u8]) -> String;
    let sm2_call = |sig: Option<SignCanonical<'_>>| {
        let (ts, n) = (now_ms(), nonce());
        let mut h = native(&app, "GET", "/open/v1/seals", b"", ts, &n);
        if let Some(sig) = sig {
            let c = canonical_request(
                "GET",
                "/open/v1/seals",
                "",
                &hex::encode(eseal::crypto::sm3::sm3(b"")),
                &ts.to_string(),
                &n,
            );
            h.push_str(&format!(", Sm2={}", sig(c.as_bytes())));
        }
        let mut a = api.clone();
        a.headers.push(("Authorization".into(), h));
        a.get("/open/v1/seals")
    };
    assert_eq!(code(sm2_call(None)), "bad_sm2_signature");
    assert_eq!(
        code(sm2_call(Some(&|_: &[u8]| "not*base64".to_owned()))),
        "bad_sm2_signature"
    );
    assert_eq!(
        code(sm2_call(Some(&|c: &[u8]| b64(&other
            .sign(sm2::DEFAULT_ID, c)
            .unwrap()
            .to_der())))),
        "bad_sm2_signature"
    );
    expect(
        &sm2_call(Some(&|c: &[u8]| {
            b64(&key.sign(sm2::DEFAULT_ID, c).unwrap().to_der())
        })),
        200,
    );

    // A deleted app (soft delete, 2.9.4) is refused. (`app_not_reviewed` cannot be reached
    // through the API: keys are shown for valid apps only, and no app goes back from valid to
    // waiting for review; the check stays as a defence.)
    let a = expect(
        &admin.post("/api/v1/apps", json!({"name": "待删应用"})),
        201,
    );
    let id = a["id"].as_str().unwrap().to_owned();
    let s = expect(&admin.get(&format!("/api/v1/apps/{id}/secret")), 200);
    let doomed = App {
        id: id.clone(),
        token: s["access_token"].as_str().unwrap().to_owned(),
        secret: s["access_secret"].as_str().unwrap().to_owned(),
    };
    expect(
        &call(&api, &doomed, "GET", "/open/v1/seals", None, vec![]),
        200,
    );
    assert_eq!(admin.delete(&format!("/api/v1/apps/{id}")).status, 204);
    assert_eq!(
        code(call(&api, &doomed, "GET", "/open/v1/seals", None, vec![])),
        "app_deleted"
    );

    // Each refusal is in the unit's audit chain with its code, under the app's name.
    let auditor = api.login(AUDITOR, DEMO_PASSWORD);
    let denied = expect(
        &auditor.get("/api/v1/audit?action=OpenApiRequest&failures=true"),
        200,
    );
    let refusals: Vec<String> = denied["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["actor"], e["reason"]))
        .collect();
    for (who, c, n) in [
        (&app, "malformed_credentials", 2),
        (&app, "bad_sm2_signature", 3),
        (&doomed, "app_deleted", 1),
    ] {
        let found = refusals
            .iter()
            .filter(|r| r.contains(&format!("app:{}", who.id)) && r.contains(&format!("{c}: ")))
            .count();
        assert_eq!(found, n, "{c} audited {found} times: {refusals:?}");
    }
}

/// The Python and Node clients of docs/examples sign requests the server accepts, and
/// verify the signature of a real webhook delivery.
#[test]
fn python_and_node_clients_are_accepted() {
    let srv = Server::start(&Db::Sqlite, &[FAST_WORKER]);
    let api = srv.api();
    let (app, seal, seals) = setup(&api, "脚本客户端");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (cmd, script) in [
        ("python3", "docs/examples/open_api_client.py"),
        ("node", "docs/examples/open_api_client.mjs"),
    ] {
        let out = std::process::Command::new(cmd)
            .arg(root.join(script))
            .args([&srv.base, &app.token, &app.secret, "GET", "/open/v1/seals"])
            .output();
        let Ok(out) = out else {
            eprintln!("SKIP {cmd}: not installed");
            continue;
        };
        assert!(
            out.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["id"], seal.as_str(), "{cmd}");
    }
    // Their webhook verifiers accept a real delivery and refuse it altered.
    let (recv, url) = Receiver::start();
    expect(
        &call_json(&api, &app, "PUT", "/open/v1/webhook", json!({ "url": url })),
        200,
    );
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/freeze"), json!({})),
        200,
    );
    recv.wait_for(&app.secret, "seal.frozen", 1);
    let (h, body) = recv.got.lock().unwrap()[0].clone();
    let dir = temp_dir("clients");
    let (good, bad) = (dir.join("body.json"), dir.join("altered.json"));
    std::fs::write(&good, &body).unwrap();
    std::fs::write(&bad, [&body[..], b" "].concat()).unwrap();
    for (cmd, script) in [
        ("python3", "docs/examples/open_api_client.py"),
        ("node", "docs/examples/open_api_client.mjs"),
    ] {
        let verify = |file: &std::path::Path, secret: &str| {
            std::process::Command::new(cmd)
                .arg(root.join(script))
                .args([
                    "verify-webhook",
                    secret,
                    &h["x-eseal-timestamp"],
                    &h["x-eseal-signature"],
                ])
                .arg(file)
                .output()
        };
        let Ok(out) = verify(&good, &app.secret) else {
            continue;
        };
        assert!(
            out.status.success(),
            "{cmd} refused a real delivery: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !verify(&bad, &app.secret).unwrap().status.success(),
            "{cmd} accepted an altered body"
        );
        assert!(
            !verify(&good, &"0".repeat(64)).unwrap().status.success(),
            "{cmd} accepted another secret"
        );
    }
}

/// Two server processes on one PostgreSQL behind no balancer: requests alternate.
#[test]
fn two_servers_share_the_open_api() {
    let Some((url, cluster)) = postgres("two_servers_share_the_open_api") else {
        return;
    };
    let db = Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("open2"),
    };
    // One documents folder (a shared volume in a deployment), one database.
    let dir = temp_dir("open2");
    let small = eseal::samples::sample_pdf(1, "two servers");
    let env = [FAST_WORKER, ("ESEAL_OPEN_SYNC_MAX_BYTES", "1")];
    let a = Server::start_in(&db, &dir, &env);
    let b = Server::start_in(&db, &dir, &env);
    let (apis, apib) = (a.api(), b.api());
    let (app, seal, seals) = setup(&apis, "两台服务器");
    let (recv, url) = Receiver::start();
    expect(
        &call_json(
            &apib,
            &app,
            "PUT",
            "/open/v1/webhook",
            json!({ "url": url }),
        ),
        200,
    );
    // A session made on A is used on B.
    let user = apis.login(SEAL_USER, DEMO_PASSWORD);
    let user_b = apib.with_token(user.token.as_deref().unwrap());
    let user_id = expect(&user_b.get("/api/v1/session"), 200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A request accepted by A is a replay on B.
    let h = native(&app, "GET", "/open/v1/seals", b"", now_ms(), &nonce());
    let (mut ra, mut rb) = (apis.clone(), apib.clone());
    ra.headers.push(("Authorization".into(), h.clone()));
    rb.headers.push(("Authorization".into(), h));
    expect(&ra.get("/open/v1/seals"), 200);
    assert_eq!(expect(&rb.get("/open/v1/seals"), 401)["code"], "replay");

    // Twelve tasks submitted alternately; both workers run: each is signed once.
    let mut tasks = vec![];
    for i in 0..12 {
        let api = if i % 2 == 0 { &apis } else { &apib };
        let d = upload(
            api,
            &app,
            &format!("t{i}.pdf"),
            "application/pdf",
            small.clone(),
        );
        let r = expect(
            &call_json(
                api,
                &app,
                "POST",
                &format!("/open/v1/documents/{d}/sign"),
                sign_body(&seal),
            ),
            202,
        );
        tasks.push(r["task"]["id"].as_str().unwrap().to_owned());
    }
    for (i, t) in tasks.iter().enumerate() {
        let api = if i % 2 == 0 { &apib } else { &apis };
        wait_task(api, &app, t, "completed");
    }
    let s = expect(
        &call(&apis, &app, "GET", "/open/v1/seals", None, vec![]),
        200,
    );
    assert_eq!(s[0]["calls"], 12, "a task was signed twice or not at all");

    // Manual confirmation: submitted on A, approved on B, completed (by either worker).
    set_policy(
        &seals,
        &seal,
        &app,
        json!({"kind": "manual", "confirmers": [user_id], "sms_notice": false}),
    );
    let d = upload(&apis, &app, "manual.pdf", "application/pdf", small.clone());
    let r = expect(
        &call_json(
            &apis,
            &app,
            "POST",
            &format!("/open/v1/documents/{d}/sign"),
            sign_body(&seal),
        ),
        202,
    );
    let task = r["task"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["status"], "awaiting_approval");
    expect(
        &user_b.post(&format!("/api/v1/queue/{task}/approve"), json!({})),
        200,
    );
    wait_task(&apis, &app, &task, "completed");
    let f = call(
        &apib,
        &app,
        "GET",
        &format!("/open/v1/documents/{d}/signed"),
        None,
        vec![],
    );
    assert!(expect(&f, 200).is_null() && f.body.starts_with(b"%PDF"));

    // Every event delivered once: 13 task.completed, 1 approval.decided.
    let got = recv.wait_for(&app.secret, "task.completed", 13);
    recv.wait_for(&app.secret, "approval.decided", 1);
    std::thread::sleep(Duration::from_secs(2));
    let got2 = recv.events(&app.secret);
    assert_eq!(got2.len(), got.len().max(14), "{got2:?}");
    let mut ids: Vec<&String> = got2.iter().map(|e| &e.0).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "an event was delivered twice");
    drop((a, b, cluster));
}

// ------------------------------------------------------------------ webhook faults (issue 21)

/// Retries after 1 s, then every 2 s; a delivery gets 1 s to be answered.
const FAST_RETRIES: [(&str, &str); 4] = [
    FAST_WORKER,
    ("ESEAL_OPEN_WEBHOOK_RETRY_FIRST_SECS", "1"),
    ("ESEAL_OPEN_WEBHOOK_RETRY_MAX_SECS", "2"),
    ("ESEAL_OPEN_WEBHOOK_TIMEOUT_SECS", "1"),
];

/// The app's event log (first page) once `ready` holds for it.
fn wait_log(api: &Api, app: &App, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let t = Instant::now();
    loop {
        let log = expect(&call(api, app, "GET", "/open/v1/events", None, vec![]), 200);
        let items = log["items"].as_array().unwrap().clone();
        if ready(&items) {
            return items;
        }
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "{what}: {}",
            serde_json::to_string_pretty(&items).unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn attempts(e: &Value) -> &Vec<Value> {
    e["deliveries"].as_array().unwrap()
}

/// A free port with nothing listening on it (a receiver that is down).
fn down_address() -> std::net::SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The receiver down, then answering 500, then too slow, then well: every event is retried
/// with a growing delay, none is lost, and what arrives twice (the slow answers) carries the
/// same event id and body; the app's events are numbered 1, 2, 3 in the order written.
fn webhook_faults(db: Db) {
    let mut env = FAST_RETRIES.to_vec();
    env.push(("ESEAL_OPEN_WEBHOOK_MAX_ATTEMPTS", "40"));
    let srv = Server::start(&db, &env);
    let api = srv.api();
    let (app, seal, seals) = setup(&api, "故障回调");
    let addr = down_address();
    expect(
        &call_json(
            &api,
            &app,
            "PUT",
            "/open/v1/webhook",
            json!({ "url": format!("http://{addr}/hook") }),
        ),
        200,
    );
    for a in ["freeze", "unfreeze", "freeze"] {
        expect(
            &seals.post(&format!("/api/v1/seals/{seal}/{a}"), json!({})),
            200,
        );
    }
    let unanswered = |e: &Value| attempts(e).iter().filter(|d| d["status"].is_null()).count();
    wait_log(&api, &app, "two refused connections each", |l| {
        l.len() == 3
            && l.iter()
                .all(|e| unanswered(e) >= 2 && e["status"] == "pending")
    });
    let (recv, _) = Receiver::start_on(TcpListener::bind(addr).unwrap(), None);
    recv.set(Mode::Fail);
    wait_log(&api, &app, "a 500 each", |l| {
        l.iter()
            .all(|e| attempts(e).iter().any(|d| d["status"] == 500))
    });
    recv.set(Mode::Slow(Duration::from_millis(2500)));
    let timed_out = |e: &Value| {
        let a = attempts(e);
        let first_500 = a.iter().position(|d| d["status"] == 500).unwrap_or(a.len());
        a[first_500..].iter().any(|d| d["status"].is_null())
    };
    wait_log(&api, &app, "a timeout each", |l| l.iter().all(timed_out));
    recv.set(Mode::Ok);
    let log = wait_log(&api, &app, "all delivered", |l| {
        l.iter().all(|e| e["status"] == "delivered")
    });

    // None lost; at least once, with the same id and body each time.
    let got = recv.events(&app.secret);
    let mut bodies: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (id, _, v) in &got {
        bodies.entry(id.clone()).or_default().push(v.clone());
    }
    let logged: std::collections::BTreeSet<String> = log
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        bodies
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        logged,
        "an event was lost"
    );
    for (id, b) in &bodies {
        assert!(b.windows(2).all(|w| w[0] == w[1]), "{id} changed: {b:?}");
    }
    assert!(
        bodies.values().any(|b| b.len() >= 2),
        "the slow answers were delivered again: {bodies:?}"
    );
    // Backoff: attempt k+1 comes at least min(2^(k-1), 2) s after attempt k.
    for e in &log {
        let times: Vec<i64> = attempts(e)
            .iter()
            .map(|d| d["time"].as_i64().unwrap())
            .collect();
        assert!(times.len() >= 5, "{e}");
        for (k, w) in times.windows(2).enumerate() {
            let delay = (1i64 << k.min(20)).min(2);
            assert!(
                w[1] - w[0] >= delay,
                "attempt {} too early: {times:?}",
                k + 2
            );
        }
    }
    // Numbered in the order written.
    let mut by_seq: Vec<(u64, String)> = got
        .iter()
        .map(|(_, ev, v)| (v["seq"].as_u64().unwrap(), ev.clone()))
        .collect();
    by_seq.sort();
    by_seq.dedup();
    assert_eq!(
        by_seq,
        vec![
            (1, "seal.frozen".to_owned()),
            (2, "seal.unfrozen".to_owned()),
            (3, "seal.frozen".to_owned())
        ]
    );
}

#[test]
fn webhook_faults_on_sqlite() {
    webhook_faults(Db::Sqlite);
}

#[test]
fn webhook_faults_on_postgres() {
    let Some((url, cluster)) = postgres("webhook_faults_on_postgres") else {
        return;
    };
    webhook_faults(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("hookfault"),
    });
    drop(cluster);
}

/// An event given up after the last attempt stays given up; a redelivery by hand gets the
/// whole series of attempts again (not one), and delivers once the receiver is back.
#[test]
fn given_up_event_is_redelivered() {
    let mut env = FAST_RETRIES.to_vec();
    env.push(("ESEAL_OPEN_WEBHOOK_MAX_ATTEMPTS", "2"));
    let srv = Server::start(&Db::Sqlite, &env);
    let api = srv.api();
    let (app, seal, seals) = setup(&api, "放弃重投");
    let addr = down_address();
    expect(
        &call_json(
            &api,
            &app,
            "PUT",
            "/open/v1/webhook",
            json!({ "url": format!("http://{addr}/hook") }),
        ),
        200,
    );
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/freeze"), json!({})),
        200,
    );
    let log = wait_log(&api, &app, "given up", |l| {
        l.len() == 1 && l[0]["status"] == "failed"
    });
    assert_eq!(attempts(&log[0]).len(), 2);
    std::thread::sleep(Duration::from_secs(3));
    let id = log[0]["id"].as_str().unwrap().to_owned();
    let redeliver = || {
        expect(
            &call(
                &api,
                &app,
                "POST",
                &format!("/open/v1/events/{id}/redeliver"),
                None,
                vec![],
            ),
            200,
        )
    };
    redeliver();
    let log = wait_log(&api, &app, "given up again", |l| {
        l[0]["status"] == "failed" && attempts(&l[0]).len() >= 4
    });
    assert_eq!(attempts(&log[0]).len(), 4, "two more attempts, not one");
    let (recv, _) = Receiver::start_on(TcpListener::bind(addr).unwrap(), None);
    redeliver();
    let got = recv.wait_for(&app.secret, "seal.frozen", 1);
    assert_eq!(got[0].0, id);
    wait_log(&api, &app, "delivered", |l| l[0]["status"] == "delivered");
}

fn openssl(args: &[&str], dir: &std::path::Path) -> bool {
    std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tls_receiver(dir: &std::path::Path, cert: &str, key: &str) -> (Receiver, String) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(dir.join(cert))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join(key)).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    Receiver::start_on(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        Some(Arc::new(cfg)),
    )
}

/// HTTPS callbacks: a receiver whose certificate chains to the configured CA gets the
/// events; one with a certificate from elsewhere gets nothing and the attempts log why.
#[test]
fn webhooks_over_https() {
    let dir = temp_dir("hooktls");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ok = openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=eseal test webhook CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
        &dir,
    );
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "openssl is needed under CI (scripts/setup.sh)"
        );
        eprintln!("SKIP webhooks_over_https: no openssl");
        return;
    }
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let leaf = [
        &["req", "-new"][..],
        &ec,
        &[
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
        ],
    ]
    .concat();
    assert!(openssl(&leaf, &dir));
    assert!(openssl(
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
        &dir
    ));
    let other = [
        &["req", "-x509"][..],
        &ec,
        &[
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
        ],
    ]
    .concat();
    assert!(openssl(&other, &dir));

    let ca = dir.join("ca.pem");
    let mut env = FAST_RETRIES.to_vec();
    env.push(("ESEAL_OPEN_WEBHOOK_CA_FILE", ca.to_str().unwrap()));
    let srv = Server::start(&Db::Sqlite, &env);
    let api = srv.api();
    let (trusted, seal, seals) = setup(&api, "HTTPS 回调");
    let (untrusted, _, _) = setup(&api, "不可信回调");
    let (good, good_url) = tls_receiver(&dir, "leaf.pem", "leaf.key");
    let (bad, bad_url) = tls_receiver(&dir, "other.pem", "other.key");
    assert!(good_url.starts_with("https://127.0.0.1:"));
    for (app, url) in [(&trusted, &good_url), (&untrusted, &bad_url)] {
        expect(
            &call_json(&api, app, "PUT", "/open/v1/webhook", json!({ "url": url })),
            200,
        );
    }
    expect(
        &seals.post(&format!("/api/v1/seals/{seal}/freeze"), json!({})),
        200,
    );
    good.wait_for(&trusted.secret, "seal.frozen", 1);
    let log = wait_log(&api, &untrusted, "a refused certificate", |l| {
        l.len() == 1 && !attempts(&l[0]).is_empty()
    });
    let err = attempts(&log[0])[0]["error"].as_str().unwrap_or("");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    assert_eq!(log[0]["status"], "pending");
    assert!(bad.got.lock().unwrap().is_empty());
}
