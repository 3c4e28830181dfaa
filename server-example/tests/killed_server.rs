//! The real server killed at random moments (issue 21): a stream of signing requests from
//! several clients, the server SIGKILLed after a random delay, restarted on the same data
//! folder and database, again and again — on SQLite and on PostgreSQL. After every restart
//! the rules of `recovery` (docs/server.md, "Signing never loses data") must hold:
//!
//! - every signing the server acknowledged (200 with its file record) is there, exactly once:
//!   its record is listed, and the document's signature count is the number of records made
//!   for it (a signing cut short is completed or rolled back, never half there, never twice);
//! - no record without its file: each document's current signed file exists and verifies
//!   with that many signatures;
//! - no stray file: a document folder holds its original and at most its current signed
//!   version, no temporary;
//! - no lock left (`signing` false), and the audit chain verifies.
//!
//! The fixed kill points of one signing are in `crash_repair.rs`; this test lets the kills
//! land wherever they land.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use eseal_server::config::Config;
use eseal_server::state::AppState;
use serde_json::{Value, json};

/// Kills per store.
const KILLS: usize = 12;
/// Documents signed over and over, and the clients signing them.
const DOCS: usize = 6;
const CLIENTS: usize = 3;

/// A small deterministic generator (no extra crate): the kill moments.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// One request whose connection may die: status and JSON, or `None` when it did.
fn try_post(api: &Api, path: &str, body: &Value) -> Option<(u16, Value)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}{path}", api.base))
        .header(
            "Authorization",
            format!("Bearer {}", api.token.as_deref().unwrap_or("")),
        )
        .header("Content-Type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    let mut r = agent.run(req).ok()?;
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_vec().ok()?;
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn sign_body(seal: &str, n: u64) -> Value {
    // Stamps at varying places, so that no two signings of a document look alike.
    let x = 30.0 + (n % 8) as f64 * 18.0;
    let y = 40.0 + (n / 8 % 10) as f64 * 22.0;
    json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": x, "y_mm": y}]}],
           "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}})
}

/// Files in a document folder that are neither its original nor its current signed version.
fn strays(dir: &Path, current: Option<&str>) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !(n.starts_with("original.")
                || n.starts_with("preview-")
                || current.is_some_and(|r| n == &format!("signed-{r}.pdf")))
        })
        .collect()
}

/// Every signed-file record of the user, by file name (all pages).
fn records_by_name(user: &Api) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for page in 1.. {
        let v = expect(&user.get(&format!("/api/v1/files?page={page}")), 200);
        let items = v["items"].as_array().cloned().unwrap_or_default();
        for f in &items {
            out.entry(f["name"].as_str().unwrap().to_owned())
                .or_default()
                .push(f["id"].as_str().unwrap().to_owned());
        }
        if items.len() < 50 {
            break;
        }
    }
    out
}

/// The rules after a restart; returns the number of signings recorded.
fn check(srv: &Server, user: &Api, docs: &[(String, String)], acked: &[(String, String)]) -> usize {
    let records = records_by_name(user);
    let ids: Vec<&String> = records.values().flatten().collect();
    let mut signings = 0;
    for (id, name) in docs {
        let d = expect(&user.get(&format!("/api/v1/documents/{id}")), 200);
        assert_eq!(d["signing"], false, "no lock left: {d}");
        let made = records.get(name).map_or(0, Vec::len);
        let current = d["signed"]["file_record"].as_str();
        let dir = srv.data_dir.join("documents").join(id);
        assert_eq!(
            strays(&dir, current),
            Vec::<String>::new(),
            "{name}: stray files"
        );
        match current {
            None => assert_eq!(made, 0, "{name}: records of a document never signed: {d}"),
            Some(rec) => {
                // Each signing adds one stamp: as many signatures as records made.
                assert_eq!(
                    d["signed"]["signatures"], made,
                    "{name}: signed once each: {d}"
                );
                assert!(
                    records[name].iter().any(|r| r == rec),
                    "{name}: {rec} recorded"
                );
                assert!(
                    dir.join(format!("signed-{rec}.pdf")).exists(),
                    "{name}: its file"
                );
                let signed = user.get(&format!("/api/v1/documents/{id}/signed")).body;
                let rep = expect(
                    &user.upload("/api/v1/verify", "application/pdf", signed),
                    200,
                );
                assert_eq!(rep["exit_code"], 0, "{name}: {rep}");
                assert_eq!(rep["signatures"].as_array().unwrap().len(), made, "{name}");
            }
        }
        signings += made;
    }
    for (name, rec) in acked {
        assert!(
            ids.contains(&rec),
            "acknowledged signing {rec} of {name} is recorded"
        );
    }
    assert_eq!(ids.len(), signings, "every record belongs to a signature");
    signings
}

/// The signings a server repaired at start (`recovery::repair`'s log): outcome → count.
fn repairs(log: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for l in text
        .lines()
        .filter(|l| l.contains("repaired a signing cut short"))
    {
        for outcome in ["completed", "rolled back"] {
            if l.contains(outcome) {
                *out.entry(outcome.to_owned()).or_insert(0) += 1;
            }
        }
    }
    out
}

fn config(data: &Path, db: &Db) -> Config {
    let mut c = Config {
        data_dir: data.to_owned(),
        ..Config::default()
    };
    if let Db::Postgres { url, schema } = db {
        c.database_url = url.clone();
        c.database_schema = schema.clone();
    }
    c
}

fn killed_at_random(db: &Db, seed: u64) {
    let dir = temp_dir("killed");
    let mut rng = Lcg(seed);
    let srv = Server::start_in(db, &dir, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let docs: Vec<(String, String)> = (0..DOCS)
        .map(|i| {
            let name = format!("k{i:02}.pdf");
            let d = expect(
                &user.upload(
                    &format!("/api/v1/documents?name={name}"),
                    "application/pdf",
                    eseal::samples::sample_pdf(2, "kill"),
                ),
                201,
            );
            (d["id"].as_str().unwrap().to_owned(), name)
        })
        .collect();
    drop(srv);

    let mut acked: Vec<(String, String)> = Vec::new();
    let mut cut = 0;
    let mut repaired = BTreeMap::new();
    for kill in 0..KILLS {
        let srv = Server::start_in(db, &dir, &[]);
        let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
        let seal = user.first_cloud_seal();
        let recorded = check(&srv, &user, &docs, &acked);
        let now = repairs(&srv.log);
        eprintln!(
            "kill {kill}: {recorded} signings recorded, {} acknowledged; repaired at start: {now:?}",
            acked.len()
        );
        for (k, n) in now {
            *repaired.entry(k).or_insert(0) += n;
        }

        // Clients sign their documents round and round until the server dies under them.
        let dead = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let mine: Vec<(String, String)> =
                    docs.iter().skip(c).step_by(CLIENTS).cloned().collect();
                let (u, seal, dead) = (user.clone(), seal.clone(), dead.clone());
                std::thread::spawn(move || {
                    let mut acked = Vec::new();
                    let mut cut = 0;
                    for n in 0u64.. {
                        let (id, name) = &mine[n as usize % mine.len()];
                        let r = try_post(
                            &u,
                            &format!("/api/v1/documents/{id}/sign"),
                            &sign_body(&seal, n + 7 * c as u64),
                        );
                        match r {
                            Some((200, v)) => acked.push((
                                name.clone(),
                                v["file_record"].as_str().unwrap().to_owned(),
                            )),
                            Some((409, v)) if v["code"] == "signing_in_progress" => {}
                            Some((s, v)) => panic!("{name}: {s} {v}"),
                            None => {
                                cut += 1;
                                if dead.load(Ordering::SeqCst) {
                                    break;
                                }
                            }
                        }
                        assert!(cut < 20, "connections cut while the server lived");
                    }
                    (acked, cut)
                })
            })
            .collect();
        // The kill lands anywhere in a signing: 0.2 to 3 s into the stream.
        let at = Duration::from_millis(200 + rng.below(2800));
        std::thread::sleep(at);
        let pid = srv.pid().unwrap();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        dead.store(true, Ordering::SeqCst);
        for h in clients {
            let (a, c) = h.join().unwrap();
            acked.extend(a);
            cut += c;
        }
        drop(srv);
    }

    let srv = Server::start_in(db, &dir, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let recorded = check(&srv, &user, &docs, &acked);
    for (k, n) in repairs(&srv.log) {
        *repaired.entry(k).or_insert(0) += n;
    }
    eprintln!(
        "{KILLS} kills: {recorded} signings recorded, {} acknowledged, {cut} requests cut; signings repaired at restart: {repaired:?}",
        acked.len()
    );
    assert!(
        !acked.is_empty(),
        "signings were acknowledged between kills"
    );
    assert!(!repaired.is_empty(), "kills landed inside signings");
    assert!(recorded >= acked.len());
    // Every document signs again after all that.
    let (id, _) = &docs[0];
    let seal = user.first_cloud_seal();
    let out = expect(
        &user.post(
            &format!("/api/v1/documents/{id}/sign"),
            sign_body(&seal, 99),
        ),
        200,
    );
    assert_eq!(out["verdict"], "valid", "{out}");
    drop(srv);

    let st = AppState::open(config(&dir, db)).expect("open");
    st.platform.verify_audit(None).expect("audit chain");
}

#[test]
fn a_server_killed_at_random_loses_nothing_on_sqlite() {
    killed_at_random(&Db::Sqlite, 0x5eed_0001);
}

#[test]
fn a_server_killed_at_random_loses_nothing_on_postgres() {
    let Some((url, cluster)) = postgres("a_server_killed_at_random_loses_nothing_on_postgres")
    else {
        return;
    };
    let db = Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("killed"),
    };
    killed_at_random(&db, 0x5eed_0002);
    drop(cluster);
}
