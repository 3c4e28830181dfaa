//! Bad input over HTTP: oversized and cut uploads, wrong content types, files that are not
//! what they say, malformed JSON, concurrent signings of one document, a server killed or
//! stopped while signing — each gets a clear 4xx problem (never 5xx: `common::Api::send`
//! checks every response) and loses nothing: no stray files, no half-signed document.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::*;
use serde_json::json;

/// Every file under `dir` (relative paths), sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn no_temporaries(dir: &Path) {
    let t: Vec<String> = files(dir)
        .into_iter()
        .filter(|f| f.contains("/.upload-") || f.contains(".tmp") || f.contains("/.preview-"))
        .collect();
    assert!(t.is_empty(), "temporary files left: {t:?}");
}

/// Sends a raw request whose body stops after `sent` of `declared` bytes, then half-closes.
fn cut_upload(base: &str, token: &str, declared: usize, sent: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok();
    write!(
        s,
        "POST /api/v1/documents?name=cut.pdf HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/pdf\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    s.write_all(sent).expect("write body");
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn bad_uploads_get_clear_errors_and_leave_nothing() {
    let srv = Server::start(&Db::Sqlite, &[("ESEAL_UPLOAD_LIMIT", "200000")]);
    let api = srv.api();
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let docs = srv.data_dir.join("documents");
    let before = files(&docs);
    let count = || {
        expect(&user.get("/api/v1/documents"), 200)
            .as_array()
            .unwrap()
            .len()
    };
    let n0 = count();

    // Too large: 413, nothing kept.
    let mut big = eseal::samples::sample_pdf(1, "big");
    big.resize(300_000, b' ');
    let r = user.upload(
        "/api/v1/documents?name=big.pdf",
        "application/pdf",
        big.clone(),
    );
    assert_eq!(expect(&r, 413)["code"], "too_large");
    // The same for verification uploads.
    assert_eq!(
        expect(&user.upload("/api/v1/verify", "application/pdf", big), 413)["code"],
        "too_large"
    );

    // Cut off mid-body (Content-Length says more than comes): refused, nothing kept.
    let pdf = eseal::samples::sample_pdf(2, "cut");
    let answer = cut_upload(
        &srv.base,
        user.token.as_deref().unwrap(),
        pdf.len() + 5000,
        &pdf,
    );
    assert!(
        answer.starts_with("HTTP/1.1 4") || answer.is_empty(),
        "{answer}"
    );
    assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");

    // Wrong content types.
    let r = user.upload("/api/v1/documents?name=a.png", "image/png", pdf.clone());
    assert_eq!(expect(&r, 415)["code"], "unsupported_media_type");
    let r = user.send("POST", "/api/v1/staff", Some("text/plain"), b"{}".to_vec());
    assert_eq!(expect(&r, 415)["code"], "unsupported_media_type");
    let r = user.send(
        "POST",
        "/api/v1/apps",
        Some("application/json"),
        b"{not json".to_vec(),
    );
    assert_eq!(expect(&r, 400)["code"], "invalid_body");
    let r = user.post("/api/v1/apps", json!({"name": "x", "unknown_member": 1}));
    assert_eq!(expect(&r, 400)["code"], "invalid_body");
    let r = user.get("/api/v1/queue?page=minus-one");
    assert_eq!(expect(&r, 400)["code"], "invalid_query");

    // Files that are not what they say.
    let ofd = eseal::samples::sample_ofd(1, "x");
    let r = user.upload(
        "/api/v1/documents?name=a.pdf",
        "application/pdf",
        ofd.clone(),
    );
    assert_eq!(expect(&r, 415)["code"], "content_mismatch");
    let r = user.upload(
        "/api/v1/documents?name=a.ofd",
        "application/ofd",
        pdf.clone(),
    );
    assert_eq!(expect(&r, 415)["code"], "content_mismatch");
    let r = user.upload(
        "/api/v1/documents?name=a.bin",
        "application/octet-stream",
        b"MZ\x90\x00 not a document".to_vec(),
    );
    assert_eq!(expect(&r, 415)["code"], "content_mismatch");
    let r = user.upload(
        "/api/v1/documents?name=a.pdf",
        "application/pdf",
        b"%PDF-1.7\n garbage, no objects".to_vec(),
    );
    assert_eq!(expect(&r, 422)["code"], "unreadable_document");
    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut zip);
        w.start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"not an OFD").unwrap();
        w.finish().unwrap();
    }
    let r = user.upload(
        "/api/v1/documents?name=a.ofd",
        "application/ofd",
        zip.into_inner(),
    );
    assert_eq!(expect(&r, 422)["code"], "unreadable_document");
    let r = user.upload("/api/v1/documents?name=a.pdf", "application/pdf", vec![]);
    assert_eq!(expect(&r, 400)["code"], "invalid_input");
    let r = user.upload("/api/v1/documents?name=", "application/pdf", pdf.clone());
    assert_eq!(expect(&r, 400)["field"], "name");
    let r = user.upload(
        "/api/v1/verify",
        "application/pdf",
        b"%PDF-1.4 broken".to_vec(),
    );
    assert!(r.status == 200 || r.status == 422, "{}", r.text());

    // Nothing was kept by any of them.
    assert_eq!(count(), n0);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(files(&docs), before, "no file added or left behind");
    no_temporaries(&srv.data_dir);

    // A good upload still works (and a bad placement is refused by field).
    let d = expect(
        &user.upload("/api/v1/documents?name=ok.pdf", "application/pdf", pdf),
        201,
    );
    let seal = user.first_cloud_seal();
    let r = user.post(
        &format!("/api/v1/documents/{}/sign", d["id"].as_str().unwrap()),
        json!({"seals": [{"seal_id": seal, "stamps": [{"page": 9, "x_mm": 1.0, "y_mm": 1.0}]}], "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
    );
    assert_eq!(expect(&r, 400)["field"], "seals[0].stamps[0].page");
    let r = user.post(
        &format!("/api/v1/documents/{}/sign", d["id"].as_str().unwrap()),
        json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": -5.0, "y_mm": 1.0}]}], "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
    );
    assert_eq!(expect(&r, 400)["code"], "invalid_input");
}

#[test]
fn concurrent_signings_of_one_document_lose_nothing() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=c.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(2, "c"),
        ),
        201,
    );
    let id = d["id"].as_str().unwrap().to_owned();
    let body = json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}], "cross_page": true}],
                      "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}});
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (u, b, id, barrier) = (user.clone(), body.clone(), id.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = u.post(&format!("/api/v1/documents/{id}/sign"), b);
                (r.status, r.json())
            })
        })
        .collect();
    let results: Vec<(u16, serde_json::Value)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    for (s, v) in &results {
        assert!(
            *s == 200 || (*s == 409 && v["code"] == "signing_in_progress"),
            "{s} {v}"
        );
    }
    assert!(ok >= 1, "{results:?}");
    // The signed file holds every signature that was answered 200 (2 each), and verifies.
    let doc = expect(&user.get(&format!("/api/v1/documents/{id}")), 200);
    assert_eq!(doc["signed"]["signatures"], 2 * ok, "{doc}");
    let signed = user.get(&format!("/api/v1/documents/{id}/signed")).body;
    let rep = expect(
        &user.upload("/api/v1/verify", "application/pdf", signed),
        200,
    );
    assert_eq!(rep["exit_code"], 0, "{rep}");
    assert_eq!(rep["signatures"].as_array().unwrap().len(), 2 * ok);
    assert_eq!(expect(&user.get("/api/v1/files"), 200)["total"], ok);
}

#[test]
fn a_stopped_server_finishes_signing_and_a_killed_one_leaves_no_partial_file() {
    let dir = temp_dir("kill");
    let mut srv = Server::start_in(&Db::Sqlite, &dir, &[]);
    let api = srv.api();
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let seal = user.first_cloud_seal();
    let big = eseal::samples::sample_pdf(400, "many pages");
    let body = json!({"seals": [{"seal_id": seal, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}], "cross_page": true}],
                      "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}});

    // SIGTERM while a signing runs (seen running through the document's `signing` flag): the
    // request completes, then the server exits.
    let mut id = String::new();
    let mut stopped = None;
    for _ in 0..5 {
        let d = expect(
            &user.upload(
                "/api/v1/documents?name=big.pdf",
                "application/pdf",
                big.clone(),
            ),
            201,
        );
        id = d["id"].as_str().unwrap().to_owned();
        let (u, b, i) = (user.clone(), body.clone(), id.clone());
        let t =
            std::thread::spawn(move || u.post(&format!("/api/v1/documents/{i}/sign"), b).status);
        let mut running = false;
        while !t.is_finished() {
            if expect(&user.get(&format!("/api/v1/documents/{id}")), 200)["signing"] == true {
                running = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if running {
            let status = srv.stop();
            assert_eq!(t.join().unwrap(), 200, "the signing in flight finished");
            stopped = Some(status);
            break;
        }
        assert_eq!(t.join().unwrap(), 200);
    }
    let status = stopped.expect("a signing was caught in flight");
    assert!(
        status.is_some_and(|s| s.success()),
        "clean exit: {status:?}"
    );

    // SIGKILL while a signing runs: after a restart the document is either untouched or
    // completely signed; no temporary or partial file remains.
    let srv = Server::start_in(&Db::Sqlite, &dir, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let d = expect(
        &user.upload("/api/v1/documents?name=big2.pdf", "application/pdf", big),
        201,
    );
    let id2 = d["id"].as_str().unwrap().to_owned();
    let pid = srv.pid().unwrap();
    let (u, b, i) = (user.clone(), body.clone(), id2.clone());
    // The client sees the connection die (its thread panics in `Api::send`; ignored).
    let t = std::thread::spawn(move || u.post(&format!("/api/v1/documents/{i}/sign"), b).status);
    // Killed while the signing runs, when it is seen running (or as soon as it is over).
    while !t.is_finished() {
        if expect(&user.get(&format!("/api/v1/documents/{id2}")), 200)["signing"] == true {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    let _ = t.join();
    drop(srv);
    let srv = Server::start_in(&Db::Sqlite, &dir, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let doc = expect(&user.get(&format!("/api/v1/documents/{id2}")), 200);
    // Signed versions are named by their file record; the repair at start-up leaves only
    // the one the document names (crash_repair.rs tests each step).
    let versions: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("documents").join(&id2))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("signed"))
        })
        .collect();
    if doc["signed"].is_null() {
        assert!(
            versions.is_empty(),
            "rolled back, no file left: {versions:?}"
        );
    } else {
        assert_eq!(versions.len(), 1, "{versions:?}");
        let signed = user.get(&format!("/api/v1/documents/{id2}/signed")).body;
        assert_eq!(std::fs::read(&versions[0]).unwrap(), signed);
        let rep = expect(
            &user.upload("/api/v1/verify", "application/pdf", signed),
            200,
        );
        assert_eq!(rep["exit_code"], 0, "{rep}");
    }
    no_temporaries(&dir.join("documents"));
    // The first document, signed before the stop, is intact.
    let signed = user.get(&format!("/api/v1/documents/{id}/signed")).body;
    assert_eq!(
        expect(
            &user.upload("/api/v1/verify", "application/pdf", signed),
            200
        )["exit_code"],
        0
    );
}
