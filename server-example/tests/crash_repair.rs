//! A signing cut short loses nothing (issue 13: "a killed server leaves no partial file and no
//! half-done operation"; issue 21: "a signing whose store write fails does not leave a signed
//! document without its record, nor a record without its document; on restart, unfinished
//! work is either completed or rolled back").
//!
//! - The real server, on SQLite and PostgreSQL, stopped by `ESEAL_TEST_PAUSE_AT` at each step
//!   of a signing (signed file kept, journal written, platform batch committed) and killed
//!   there with SIGKILL; restarted, the signing is rolled back (before the commit) or
//!   completed (after it), no stray file is left, the document signs again, and the audit
//!   chain verifies.
//! - In process, a store whose commit fails (`CommitHook`): before writing anything (rolled
//!   back, the kept file removed) and after writing (the outcome unknown to the server: the
//!   record is there, so the document is completed).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use common::*;
use eseal::platform::conformance::CommitHook;
use eseal::platform::{self as p, Kind, StoreError};
use eseal_server::config::Config;
use eseal_server::documents;
use eseal_server::signing::{CredentialInput, SealUse, SignRequest, Stamp};
use eseal_server::state::AppState;
use serde_json::{Value, json};

/// The signed versions (`signed-*`) in a document's folder.
fn versions(data: &Path, doc: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data.join("documents").join(doc))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("signed"))
        .collect();
    v.sort();
    v
}

fn no_temporaries(dir: &Path) {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let n = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else {
                assert!(
                    !(n.starts_with(".upload-") || n.contains(".tmp")),
                    "temporary file left: {}",
                    p.display()
                );
            }
        }
    }
}

fn sign_body(seal: &str) -> Value {
    json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}]}],
           "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}})
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

fn wait_for_log(log: &Path, what: &str) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(120) {
        if std::fs::read_to_string(log).is_ok_and(|l| l.contains(what)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "never logged {what:?}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Kills the server with SIGKILL when the signing reaches `point`; after a restart the
/// signing is completed when `committed`, else rolled back.
fn killed_at(db: &Db, point: &str, committed: bool) {
    let dir = temp_dir("crash");
    let srv = Server::start_in(db, &dir, &[("ESEAL_TEST_PAUSE_AT", point)]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=crash.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(2, "crash"),
        ),
        201,
    );
    let id = d["id"].as_str().unwrap().to_owned();
    let files0 = expect(&user.get("/api/v1/files"), 200)["total"]
        .as_u64()
        .unwrap();
    let (u, b, i) = (user.clone(), sign_body(&seal), id.clone());
    // The client sees the connection die (its thread panics in `Api::send`; ignored).
    let t = std::thread::spawn(move || u.post(&format!("/api/v1/documents/{i}/sign"), b).status);
    wait_for_log(&srv.log, &format!("paused at {point}"));
    let pid = srv.pid().unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    let _ = t.join();
    drop(srv);
    // Left behind: the kept signed file, and the lock. Also the temporary file a write
    // killed in its middle leaves (planted here: the kill lands between writes).
    assert_eq!(versions(&dir, &id).len(), 1, "{point}: the kept file");
    std::fs::write(
        dir.join("documents")
            .join(&id)
            .join(".signed-x.pdf.eseal-999999-0.tmp"),
        b"%PDF-1.7 partial",
    )
    .unwrap();

    let srv = Server::start_in(db, &dir, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let doc = expect(&user.get(&format!("/api/v1/documents/{id}")), 200);
    assert_eq!(doc["signing"], false, "{point}: the lock is gone: {doc}");
    let files = expect(&user.get("/api/v1/files"), 200)["total"]
        .as_u64()
        .unwrap();
    if committed {
        let rec = doc["signed"]["file_record"].as_str().expect("completed");
        assert_eq!(files, files0 + 1, "{point}");
        assert_eq!(versions(&dir, &id), [format!("signed-{rec}.pdf")]);
        expect(&user.get(&format!("/api/v1/files/{rec}")), 200);
        let signed = user.get(&format!("/api/v1/documents/{id}/signed")).body;
        let rep = expect(
            &user.upload("/api/v1/verify", "application/pdf", signed),
            200,
        );
        assert_eq!(rep["exit_code"], 0, "{point}: {rep}");
    } else {
        assert!(doc["signed"].is_null(), "{point}: rolled back: {doc}");
        assert_eq!(files, files0, "{point}: no record");
        assert!(versions(&dir, &id).is_empty(), "{point}: the file removed");
    }
    no_temporaries(&dir);

    // The document signs again (over the completed version, or the original).
    let out = expect(
        &user.post(&format!("/api/v1/documents/{id}/sign"), sign_body(&seal)),
        200,
    );
    assert_eq!(out["verdict"], "valid", "{out}");
    let doc = expect(&user.get(&format!("/api/v1/documents/{id}")), 200);
    let rec = doc["signed"]["file_record"].as_str().unwrap();
    assert_eq!(doc["signed"]["signatures"], if committed { 2 } else { 1 });
    assert_eq!(
        versions(&dir, &id),
        [format!("signed-{rec}.pdf")],
        "the superseded version is removed"
    );
    drop(srv);

    // The audit chain is intact.
    let st = AppState::open(config(&dir, db)).expect("open");
    st.platform.verify_audit(None).expect("audit chain");
}

fn kill_points(db: Db) {
    for (point, committed) in [("file", false), ("journal", false), ("commit", true)] {
        killed_at(&db, point, committed);
    }
}

#[test]
fn a_killed_signing_is_completed_or_rolled_back_on_sqlite() {
    kill_points(Db::Sqlite);
}

#[test]
fn a_killed_signing_is_completed_or_rolled_back_on_postgres() {
    let Some((url, cluster)) = postgres("a_killed_signing_is_completed_or_rolled_back_on_postgres")
    else {
        return;
    };
    for (point, committed) in [("file", false), ("journal", false), ("commit", true)] {
        let db = Db::Postgres {
            url: pg_server_url(&cluster, &url),
            schema: unique_schema("crash"),
        };
        killed_at(&db, point, committed);
    }
    drop(cluster);
}

/// Commit modes of the hook: pass, fail before writing, fail after writing.
const PASS: u8 = 0;
const FAIL: u8 = 1;
const FAIL_AFTER: u8 = 2;

#[test]
fn a_failed_commit_loses_nothing() {
    let dir = temp_dir("commitfail");
    let mode = Arc::new(AtomicU8::new(PASS));
    let m = mode.clone();
    let st = AppState::open_wrapped(config(&dir, &Db::Sqlite), move |inner| {
        CommitHook::new(inner, move |inner, batch, mac| {
            let records_a_file = batch.writes.iter().any(|w| {
                matches!(
                    w,
                    p::Write::Insert {
                        kind: Kind::File,
                        ..
                    }
                )
            });
            match m.load(Ordering::SeqCst) {
                FAIL if records_a_file => Err(StoreError::Backend("injected".into())),
                FAIL_AFTER if records_a_file => {
                    inner.commit(batch, mac)?;
                    Err(StoreError::Backend("connection lost after COMMIT".into()))
                }
                _ => inner.commit(batch, mac),
            }
        })
    })
    .expect("open");
    eseal_server::demo::seed(&st).expect("demo");
    let s: &eseal_server::state::Inner = &st;
    let sess = s
        .platform
        .login_password(SEAL_USER, DEMO_PASSWORD, "127.0.0.1")
        .expect("login");
    let seal = s
        .platform
        .list_seals(&sess, &p::SealQuery::default())
        .expect("seals")
        .items
        .into_iter()
        .find(|x| x.kind == p::SealKind::Cloud)
        .expect("a cloud seal");
    let owner = s.platform.ctx(&sess).expect("ctx").id;
    let mut doc = documents::DocRecord {
        id: "crashdoc0001".into(),
        owner,
        unit: seal.unit.clone(),
        name: "c.pdf".into(),
        format: p::FileFormat::Pdf,
        size: 0,
        sm3: String::new(),
        pages: vec![(209.9, 297.0); 2],
        created: 0,
        signed: None,
    };
    let pdf = eseal::samples::sample_pdf(2, "commit");
    std::fs::create_dir_all(documents::doc_dir(s, &doc.id)).unwrap();
    std::fs::write(documents::original_path(s, &doc), &pdf).unwrap();
    documents::save(s, &doc).unwrap();
    let req = || SignRequest {
        seals: vec![SealUse {
            seal_id: seal.id.clone(),
            stamps: vec![Stamp {
                page: 1,
                x_mm: 100.0,
                y_mm: 150.0,
                size_mm: None,
            }],
            cross_page: false,
            keyword: None,
        }],
        qr: None,
        credential: CredentialInput::SigningPassword {
            value: DEMO_SIGNING_PASSWORD.into(),
        },
    };
    let files = |s: &eseal_server::state::Inner| {
        s.platform
            .list_files(&sess, &p::FileQuery::default())
            .unwrap()
            .total
    };
    let n0 = files(s);

    // The batch fails: nothing recorded, the kept file removed, the lock released.
    mode.store(FAIL, Ordering::SeqCst);
    let e = eseal_server::signing::sign_document(s, &sess, &mut doc, req()).unwrap_err();
    assert_eq!(e.status, 503, "{e:?}");
    let d = documents::load(s, &doc.id).unwrap();
    assert!(d.signed.is_none());
    assert_eq!(files(s), n0);
    assert!(versions(&dir, &doc.id).is_empty(), "no file without record");
    assert!(
        s.db.kv_get(eseal_server::kv::ns::SIGN_LOCK, &doc.id, 0)
            .unwrap()
            .is_none()
    );

    // The batch commits but the server hears an error: the record is there, so the document
    // is completed (never a record without its document).
    mode.store(FAIL_AFTER, Ordering::SeqCst);
    let mut doc = documents::load(s, &doc.id).unwrap();
    assert!(eseal_server::signing::sign_document(s, &sess, &mut doc, req()).is_err());
    let d = documents::load(s, &doc.id).unwrap();
    let v = d.signed.clone().expect("completed");
    assert_eq!(files(s), n0 + 1);
    assert_eq!(
        versions(&dir, &doc.id),
        [format!("signed-{}.pdf", v.file_record)]
    );
    assert!(
        s.db.kv_get(eseal_server::kv::ns::SIGN_LOCK, &doc.id, 0)
            .unwrap()
            .is_none()
    );

    // And it signs again.
    mode.store(PASS, Ordering::SeqCst);
    let mut doc = documents::load(s, &doc.id).unwrap();
    let out = eseal_server::signing::sign_document(s, &sess, &mut doc, req()).unwrap();
    assert_eq!(out.verdict, "valid");
    assert_eq!(files(s), n0 + 2);
    assert_eq!(versions(&dir, &doc.id).len(), 1);

    // Locks this process left (a store write failed after the file was kept) are repaired
    // by the next round: a journaled version whose record is committed is completed …
    use eseal_server::kv::{KvEntry, ns};
    use eseal_server::recovery::{LockBody, repair};
    let lock = |v: &documents::SignedVersion| KvEntry {
        id: doc.id.clone(),
        owner: String::new(),
        body: serde_json::to_string(&LockBody {
            instance: s.locks.instance.clone(),
            version: Some(v.clone()),
        })
        .unwrap(),
        expires: None,
    };
    let mut d = documents::load(s, &doc.id).unwrap();
    let current = d.signed.take().unwrap();
    documents::save(s, &d).unwrap();
    s.db.kv_put(ns::SIGN_LOCK, &lock(&current)).unwrap();
    assert_eq!(repair(s).unwrap(), 1);
    let d = documents::load(s, &doc.id).unwrap();
    assert_eq!(d.signed.as_ref().unwrap().file_record, current.file_record);
    assert!(s.db.kv_get(ns::SIGN_LOCK, &doc.id, 0).unwrap().is_none());
    // … one whose record never committed is rolled back (its file removed).
    let ghost = documents::SignedVersion {
        file_record: "neverrecorded0001".into(),
        ..current.clone()
    };
    std::fs::write(documents::signed_file(s, &d, &ghost.file_record), b"%PDF-").unwrap();
    s.db.kv_put(ns::SIGN_LOCK, &lock(&ghost)).unwrap();
    assert_eq!(repair(s).unwrap(), 1);
    let d = documents::load(s, &doc.id).unwrap();
    assert_eq!(d.signed.as_ref().unwrap().file_record, current.file_record);
    assert_eq!(
        versions(&dir, &doc.id),
        [format!("signed-{}.pdf", current.file_record)]
    );
    assert_eq!(repair(s).unwrap(), 0, "nothing left to repair");
    s.platform.verify_audit(None).expect("audit chain");
}
