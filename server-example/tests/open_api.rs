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

/// A webhook receiver: every request's headers and body, answered 200 (or 500 while
/// `fail` is set).
/// One request the receiver got: headers (lower-case names) and body.
type Delivery = (BTreeMap<String, String>, Vec<u8>);

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    fail: Arc<Mutex<bool>>,
}

impl Receiver {
    fn start() -> (Receiver, String) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let r = Receiver::default();
        let r2 = r.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let mut rd = BufReader::new(s.try_clone().unwrap());
                let mut headers = BTreeMap::new();
                let mut line = String::new();
                rd.read_line(&mut line).unwrap_or(0);
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
                let mut body = vec![0; n];
                let _ = rd.read_exact(&mut body);
                let fail = *r2.fail.lock().unwrap();
                if !fail {
                    r2.got.lock().unwrap().push((headers, body));
                }
                let status = if fail { "500 Oops" } else { "200 OK" };
                let mut s = s;
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        (r, url)
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
    let log = expect(
        &call(&api, &app, "GET", "/open/v1/events", None, vec![]),
        200,
    );
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
    *recv.fail.lock().unwrap() = true;
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

/// The Python and Node clients of docs/examples sign requests the server accepts.
#[test]
fn python_and_node_clients_are_accepted() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let (app, seal, _) = setup(&api, "脚本客户端");
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
