//! The server under faults (issue 21): slow clients (slowloris heads, trickled bodies),
//! bodies over the limit, many concurrent uploads, malformed JSON and open API credentials —
//! each refused early with a 4xx (or cut off by a timeout), the process's memory flat, the
//! server answering others all along; and PostgreSQL stopped and started again during a
//! load run — 503 while it is down, recovery without a restart of the server, no operation
//! applied twice, the audit chain intact.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A field of /proc/PID/status in KiB (`VmRSS`, `VmHWM`).
fn mem_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn connect(base: &str) -> TcpStream {
    let s = TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    s
}

/// What the server answered before closing (empty when it closed without a word).
fn answer(mut s: TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A configuration file with short limits, given through `ESEAL_CONFIG`.
fn short_limits(dir: &std::path::Path) -> std::path::PathBuf {
    let f = dir.join("limits.toml");
    std::fs::write(
        &f,
        "[limits]\nupload_bytes = 2000000\nlong_request_timeout_secs = 4\nheader_read_timeout_secs = 3\n",
    )
    .unwrap();
    f
}

#[test]
fn slow_clients_are_cut_off_and_others_still_served() {
    let dir = temp_dir("faults-slow");
    let conf = short_limits(&dir);
    let srv = Server::start_in(
        &Db::Sqlite,
        &dir.join("data"),
        &[("ESEAL_CONFIG", conf.to_str().unwrap())],
    );
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let token = user.token.clone().unwrap();
    let host = srv.base.trim_start_matches("http://").to_owned();

    // Slowloris: 200 connections that send their request head a byte at a time and never
    // finish it. The server keeps answering others, then cuts them off (3 s for the head).
    let t0 = Instant::now();
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = connect(&srv.base);
            write!(s, "GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: ").unwrap();
            s
        })
        .collect();
    for _ in 0..3 {
        for s in &mut slow {
            let _ = s.write_all(b"a");
        }
        expect(&user.get("/api/v1/me"), 200);
        std::thread::sleep(Duration::from_millis(500));
    }
    let cut: Vec<String> = slow.into_iter().map(answer).collect();
    let waited = t0.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "slow heads cut off after the header timeout, not left open: {waited:?}"
    );
    assert!(
        cut.iter().all(|a| !a.starts_with("HTTP/1.1 2")),
        "no slow head was served"
    );

    // A body trickled slower than the request timeout (4 s): the server answers 503 and
    // closes; the upload is not kept.
    let pdf = eseal::samples::sample_pdf(2, "slow");
    let mut s = connect(&srv.base);
    write!(
        s,
        "POST /api/v1/documents?name=slow.pdf HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/pdf\r\nContent-Length: {}\r\n\r\n",
        pdf.len()
    )
    .unwrap();
    let t = Instant::now();
    let mut cut_off = false;
    for chunk in pdf.chunks(16) {
        if s.write_all(chunk).is_err() || t.elapsed() > Duration::from_secs(20) {
            cut_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        // Stop trickling once the server has answered.
        s.set_nonblocking(true).unwrap();
        let mut b = [0u8; 1];
        let answered = matches!(s.peek(&mut b), Ok(n) if n > 0);
        s.set_nonblocking(false).unwrap();
        if answered {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a trickled body is cut off");
    let a = answer(s);
    assert!(a.starts_with("HTTP/1.1 503"), "{a}");
    let docs = expect(&user.get("/api/v1/documents"), 200);
    assert!(
        docs.as_array()
            .unwrap()
            .iter()
            .all(|d| d["name"] != "slow.pdf"),
        "{docs}"
    );

    // A declared body over the limit: refused (413 once the limit is read, or 503 at the request
    // timeout when the body never comes), nothing stored. Refusing from the head alone made
    // clients still writing the body see a broken pipe instead of the answer.
    let mut s = connect(&srv.base);
    write!(
        s,
        "POST /api/v1/documents?name=huge.pdf HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/pdf\r\nContent-Length: 5000000000\r\n\r\n%PDF-1.7\n"
    )
    .unwrap();
    let a = answer(s);
    assert!(
        a.starts_with("HTTP/1.1 413") || a.starts_with("HTTP/1.1 503"),
        "{a}"
    );
    // The same for a JSON body.
    let mut s = connect(&srv.base);
    write!(
        s,
        "POST /api/v1/apps HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 900000000\r\n\r\n{{"
    )
    .unwrap();
    let a = answer(s);
    assert!(
        a.starts_with("HTTP/1.1 413") || a.starts_with("HTTP/1.1 503"),
        "{a}"
    );
    expect(&user.get("/api/v1/me"), 200);
}

/// A small deterministic generator (no extra crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `body` with a few random byte edits: flips, cuts, inserted JSON punctuation.
fn mutate(r: &mut Lcg, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    for _ in 0..1 + r.below(4) {
        if b.is_empty() {
            break;
        }
        let at = r.below(b.len());
        match r.below(5) {
            0 => b[at] ^= 1 << r.below(8),
            1 => b.truncate(at),
            2 => b.insert(at, b"{}[]\",:0-e\\\xff"[r.below(12)]),
            3 => {
                b.remove(at);
            }
            _ => {
                let deep = "[".repeat(1 + r.below(5000));
                b.splice(at..at, deep.bytes());
            }
        }
    }
    b
}

#[test]
fn malformed_bodies_and_credentials_get_a_4xx() {
    let srv = Server::start(&Db::Sqlite, &[("ESEAL_UPLOAD_LIMIT", "8000000")]);
    let api = srv.api();
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=m.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(2, "m"),
        ),
        201,
    );
    let doc = d["id"].as_str().unwrap().to_owned();

    // Mutated JSON bodies of a sign request, a login, an app and a staff record: every one
    // a problem+json 4xx (`Api::send` fails the test on any 5xx), and nothing signed.
    let bodies: Vec<(String, Value)> = vec![
        (
            format!("/api/v1/documents/{doc}/sign"),
            json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}], "cross_page": true}],
                   "qr": {"page": 1, "x_mm": 10.0, "y_mm": 10.0, "size_mm": 20.0},
                   "credential": {"kind": "signing_password", "value": "wrong-password"}}),
        ),
        (
            "/api/v1/auth/login/password".into(),
            json!({"phone": SEAL_USER, "password": "not the password"}),
        ),
        (
            "/api/v1/apps".into(),
            json!({"name": "x", "ip_allowlist": ["127.0.0.1"]}),
        ),
    ];
    let mut r = Lcg(0xfa17);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..400 {
        let (path, body) = &bodies[i % bodies.len()];
        let b = mutate(&mut r, body.to_string().as_bytes());
        let resp = user.send("POST", path, Some("application/json"), b);
        assert!(
            resp.status >= 400,
            "{path}: {} {}",
            resp.status,
            resp.text()
        );
        *statuses.entry(resp.status).or_insert(0) += 1;
    }
    eprintln!("mutated JSON bodies: {statuses:?}");
    let d = expect(&user.get(&format!("/api/v1/documents/{doc}")), 200);
    assert!(d["signed"].is_null(), "{d}");

    // Open API credentials that are not what they should be: 401, never a crash.
    let mut auths = vec![
        String::new(),
        "ESEAL-HMAC-SM3".into(),
        "ESEAL-HMAC-SM3 ".into(),
        "ESEAL-HMAC-SM3 Credential=".into(),
        "ESEAL-HMAC-SM3 Credential=a, Credential=b".into(),
        "ESEAL-HMAC-SM3 Credential=x, Timestamp=99999999999999999999999, Nonce=aaaaaaaaaaaaaaaa, Signature=zz".into(),
        format!("ESEAL-HMAC-SM3 Credential={}", "x".repeat(6000)),
        format!("ESEAL-HMAC-SM3 {}", ",".repeat(5000)),
        "Bearer ".into(),
    ];
    for _ in 0..40 {
        let good = "ESEAL-HMAC-SM3 Credential=tok, Timestamp=1700000000000, Nonce=abcdefghijklmnop, Signature=00ff, Sm2=AAAA";
        let m = mutate(&mut r, good.as_bytes());
        auths.push(
            String::from_utf8_lossy(&m)
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .collect(),
        );
    }
    for a in &auths {
        let mut c = api.clone();
        c.headers = vec![("Authorization".into(), a.clone())];
        let resp = c.get("/open/v1/seals");
        assert_eq!(resp.status, 401, "{a:?}: {}", resp.text());
    }

    expect(&user.get("/api/v1/me"), 200);
}

/// Rounds of 16 concurrent 6 MB uploads (each document deleted after its round).
const ROUNDS: usize = 10;

#[test]
fn concurrent_uploads_memory_plateaus() {
    let srv = Server::start(&Db::Sqlite, &[("ESEAL_UPLOAD_LIMIT", "8000000")]);
    let pid = srv.pid().unwrap();
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    // Many concurrent uploads: all stored, and the server's memory does not grow with them
    // (the bodies are streamed to disk, not held).
    let big = {
        let mut b = eseal::samples::sample_pdf(3, "big");
        // Padded with a comment after %%EOF, which readers skip.
        b.extend(std::iter::repeat_n(b'%', 6_000_000));
        b.push(b'\n');
        b
    };
    let before = mem_kib(pid, "VmRSS");
    let round = |n: usize| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (u, b) = (user.clone(), big.clone());
                std::thread::spawn(move || {
                    let r = u.upload(
                        &format!("/api/v1/documents?name=c{n}-{i}.pdf"),
                        "application/pdf",
                        b,
                    );
                    (r.status, r.json()["id"].as_str().map(str::to_owned))
                })
            })
            .collect();
        let got: Vec<(u16, Option<String>)> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(got.iter().all(|(s, _)| *s == 201), "{got:?}");
        for id in got.iter().filter_map(|(_, id)| id.as_deref()) {
            assert_eq!(user.delete(&format!("/api/v1/documents/{id}")).status, 204);
        }
    };
    let mut rss = Vec::new();
    for n in 1..=ROUNDS {
        round(n);
        rss.push(mem_kib(pid, "VmRSS"));
    }
    let peak = mem_kib(pid, "VmHWM");
    eprintln!(
        "RSS: {} MiB before, after each round of 16 concurrent uploads of 6 MB: {:?} MiB; peak {} MiB",
        before / 1024,
        rss.iter().map(|k| k / 1024).collect::<Vec<_>>(),
        peak / 1024
    );
    // The heap in use comes back after each round (`tests/heap.rs`); what the process keeps
    // is the allocator's, bounded by the arena cap the server sets at start (`main.rs`):
    // rounds 6 to 10 stay within 16 MiB of round 5 (without the cap they grew 29–33 MiB more,
    // and on towards 8 arenas a core), and the peak within 128 MiB of the start.
    assert!(peak < before + 128 * 1024, "peak: {before} → {peak} KiB");
    let r5 = rss[4];
    for (i, r) in rss.iter().enumerate().skip(5) {
        assert!(
            *r <= r5 + 16 * 1024,
            "round {}: {} KiB, round 5: {r5} KiB (RSS by round: {rss:?})",
            i + 1,
            r
        );
    }
    expect(&user.get("/api/v1/me"), 200);
}

/// A request that may fail with 5xx (the database is down): status and JSON, or the
/// transport error.
fn try_send(
    api: &Api,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    match body {
        Some(v) => send_raw(
            api,
            method,
            path,
            Some(("application/json", v.to_string().into_bytes())),
        ),
        None => send_raw(api, method, path, None),
    }
}

/// [`try_send`] with a body of any type.
fn send_raw(
    api: &Api,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Result<(u16, Value), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut b = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", api.base));
    if let Some(t) = &api.token {
        b = b.header("Authorization", format!("Bearer {t}"));
    }
    let r = match body {
        Some((ct, bytes)) => agent.run(b.header("Content-Type", ct).body(bytes).unwrap()),
        None => agent.run(b.body(()).unwrap()),
    };
    let mut r = r.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_vec().unwrap_or_default();
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

/// A tmpfs mounted for one test (root only), unmounted on drop.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(at: &std::path::Path, opts: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_owned()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system of `dir` to the last block; returns the file that holds the space.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    for size in [1 << 20, 4096, 1] {
        let block = vec![0x55u8; size];
        loop {
            match f.write_all(&block) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
    }
    path
}

/// Files left under `dir` whose names say they are temporary.
fn temporaries(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                stack.push(e.path());
            } else if n.starts_with(".upload-") || n.contains(".tmp") {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}

/// The server's data folder on a small file system that fills up: the upload and the signing
/// that find no space get 507 (`storage_unavailable`), nothing is recorded and nothing half
/// written is left; once space is freed the server serves again without a restart.
fn full_disk(db_outside: bool) {
    let dir = temp_dir("faults-full");
    let data = dir.join("data");
    let Some(mount) = Mount::tmpfs(&data, "size=32m") else {
        eprintln!("SKIP full disk: mounting a tmpfs needs root");
        return;
    };
    // The database on the full disk too, or on another one (documents on their own volume).
    let db_file = dir.join("eseal.db");
    let env: Vec<(&str, String)> = if db_outside {
        vec![(
            "ESEAL_DATABASE_URL",
            format!("sqlite://{}", db_file.display()),
        )]
    } else {
        vec![]
    };
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let srv = Server::start_in(&Db::Sqlite, &data, &env);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let pdf = eseal::samples::sample_pdf(2, "full");
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=before.pdf",
            "application/pdf",
            pdf.clone(),
        ),
        201,
    );
    let doc = d["id"].as_str().unwrap().to_owned();
    let docs0 = expect(&user.get("/api/v1/documents"), 200);
    let files0 = expect(&user.get("/api/v1/files"), 200)["total"].clone();
    let sign = json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}]}],
                      "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}});

    let filler = fill(&data);
    // An upload: 507 when its bytes find no room.
    let (st, v) = send_raw(
        &user,
        "POST",
        "/api/v1/documents?name=full.pdf",
        Some(("application/pdf", pdf.clone())),
    )
    .unwrap();
    eprintln!(
        "full disk (database {}): upload {st} {v}",
        if db_outside { "elsewhere" } else { "on it too" }
    );
    assert_eq!(st, 507, "{v}");
    assert_eq!(v["code"], "storage_unavailable", "{v}");
    // A signing: 507 when the signed file finds no room (503 when the database's own write
    // found the disk full first: SQLite on the same disk).
    let (st, v) = try_send(
        &user,
        "POST",
        &format!("/api/v1/documents/{doc}/sign"),
        Some(sign.clone()),
    )
    .unwrap();
    eprintln!("full disk: sign {st} {v}");
    if db_outside {
        assert_eq!(st, 507, "{v}");
    } else {
        assert!(st == 507 || st == 503, "{st} {v}");
    }
    // Nothing recorded, nothing half written.
    assert_eq!(expect(&user.get("/api/v1/documents"), 200), docs0);
    assert_eq!(expect(&user.get("/api/v1/files"), 200)["total"], files0);
    let d = expect(&user.get(&format!("/api/v1/documents/{doc}")), 200);
    assert!(d["signed"].is_null() && d["signing"] == false, "{d}");
    assert_eq!(temporaries(&data), Vec::<String>::new());

    // Space freed: served again, no restart.
    std::fs::remove_file(&filler).unwrap();
    expect(
        &user.upload("/api/v1/documents?name=after.pdf", "application/pdf", pdf),
        201,
    );
    let out = expect(
        &user.post(&format!("/api/v1/documents/{doc}/sign"), sign),
        200,
    );
    assert_eq!(out["verdict"], "valid", "{out}");
    drop(srv);
    let mut cfg = eseal_server::config::Config {
        data_dir: data.clone(),
        ..Default::default()
    };
    if db_outside {
        cfg.database_url = format!("sqlite://{}", db_file.display());
    }
    let st = eseal_server::state::AppState::open(cfg).expect("open");
    st.platform.verify_audit(None).expect("audit chain");
    drop(st);
    drop(mount);
}

#[test]
fn a_full_disk_gives_507_and_records_nothing() {
    full_disk(true);
    full_disk(false);
}

#[test]
fn postgres_restarted_during_a_load_run() {
    let Some((pg, cluster)) = postgres("postgres_restarted_during_a_load_run") else {
        return;
    };
    if cluster.is_none() {
        eprintln!("SKIP restart: ESEAL_PG_URL is an outside server (this test restarts it)");
        return;
    }
    let schema = unique_schema("faults");
    let db = Db::Postgres {
        url: pg_server_url(&cluster, &pg),
        schema: schema.clone(),
    };
    let cluster = cluster.expect("a cluster of this test's own");
    let srv = Server::start(&db, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let ids: Vec<String> = (0..12)
        .map(|i| {
            let d = expect(
                &user.upload(
                    &format!("/api/v1/documents?name=load{i}.pdf"),
                    "application/pdf",
                    eseal::samples::sample_pdf(2, "load"),
                ),
                201,
            );
            d["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let body = json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}], "cross_page": true}],
                      "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}});

    // Three clients sign their documents one after the other, retrying what failed (a
    // client's way: 5xx or a cut connection → again, until 200 or 409 already signed).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = ids
        .chunks(4)
        .map(|mine| {
            let (u, b, mine, stop) = (user.clone(), body.clone(), mine.to_vec(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for id in mine {
                    loop {
                        let r = try_send(
                            &u,
                            "POST",
                            &format!("/api/v1/documents/{id}/sign"),
                            Some(b.clone()),
                        );
                        let st = r.as_ref().map_or(0, |(s, _)| *s);
                        seen.push(st);
                        match r {
                            Ok((200, _)) => break,
                            Ok((409, v)) if v["code"] == "already_signed" => break,
                            // The store (or the signed file's journal in it) is away.
                            Ok((s, v)) if s >= 500 => assert_eq!(s, 503, "{v}"),
                            Ok((409, v)) if v["code"] == "signing_in_progress" => {}
                            Ok((s, v)) => panic!("{s} {v}"),
                            Err(_) => {}
                        }
                        assert!(!stop.load(std::sync::atomic::Ordering::SeqCst), "gave up");
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
                seen
            })
        })
        .collect();

    // The database goes away for a while during the run.
    std::thread::sleep(Duration::from_millis(700));
    cluster.stop_now().unwrap();
    let down = Instant::now();
    let (st, v) = try_send(&user, "GET", "/readyz", None).unwrap();
    assert_eq!(st, 503, "{v}");
    assert_eq!(v["code"], "store_unavailable", "{v}");
    let (st, v) = try_send(&user, "GET", "/api/v1/documents", None).unwrap();
    assert_eq!(st, 503, "{v}");
    assert_eq!(expect(&srv.api().get("/healthz"), 200)["status"], "ok");
    std::thread::sleep(Duration::from_secs(3));
    cluster.start_again().unwrap();
    eprintln!("database down for {:?}", down.elapsed());
    // The server recovers by itself.
    let back = Instant::now();
    loop {
        if try_send(&user, "GET", "/readyz", None).is_ok_and(|(s, _)| s == 200) {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(30), "not recovered");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("ready again {:?} after the restart", back.elapsed());
    let watchdog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(120));
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let seen: Vec<u16> = clients
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    drop(watchdog);
    eprintln!(
        "sign requests: {} answered 200, {} 503, {} cut, {} in all",
        seen.iter().filter(|s| **s == 200).count(),
        seen.iter().filter(|s| **s == 503).count(),
        seen.iter().filter(|s| **s == 0).count(),
        seen.len()
    );

    // Every document signed exactly once (a stamp and the cross-page seal: 2 signatures),
    // and it verifies; no document added or lost.
    let docs = expect(&user.get("/api/v1/documents"), 200);
    let load = docs.as_array().unwrap().iter();
    let load = load.filter(|d| d["name"].as_str().is_some_and(|n| n.starts_with("load")));
    assert_eq!(load.count(), ids.len(), "{docs}");
    for id in &ids {
        let d = expect(&user.get(&format!("/api/v1/documents/{id}")), 200);
        assert_eq!(d["signed"]["signatures"], 2, "signed once: {d}");
        let signed = user.get(&format!("/api/v1/documents/{id}/signed")).body;
        let rep = expect(
            &user.upload("/api/v1/verify", "application/pdf", signed),
            200,
        );
        assert_eq!(rep["exit_code"], 0, "{rep}");
        assert_eq!(rep["signatures"].as_array().unwrap().len(), 2, "{rep}");
    }

    // The audit chain is intact: every chain read back from PostgreSQL links and its MACs
    // check with the server's key.
    use eseal::platform::store::Store;
    let key = std::fs::read_to_string(srv.data_dir.join("audit-mac.key")).unwrap();
    let mac = eseal::platform::audit::AuditMac::new(&hex::decode(key.trim()).unwrap()).unwrap();
    let store = eseal_server::PgStore::connect(&cluster.url, &schema, 1).unwrap();
    let heads = store.audit_heads().unwrap();
    assert!(!heads.is_empty());
    let mut entries = 0;
    for h in &heads {
        let mut start: Option<(u64, String)> = None;
        loop {
            let from = start.as_ref().map_or(1, |(s, _)| s + 1);
            let page = store.audit_range(&h.chain, from, 500).unwrap();
            if page.is_empty() {
                break;
            }
            entries += page.len();
            start = eseal::platform::audit::verify_segment(
                &mac,
                &page,
                start.as_ref().map(|(s, m)| (*s, m.as_str())),
            )
            .unwrap_or_else(|e| panic!("chain {}: {e}", h.chain));
        }
        assert_eq!(
            start.map(|(s, _)| s),
            Some(h.seq),
            "chain {} read to its head",
            h.chain
        );
    }
    eprintln!("audit: {} chains, {entries} entries, intact", heads.len());
}
