//! Keyword placement (关键字盖章) and stamp size over HTTP, on SQLite and PostgreSQL: the
//! text search the portal previews with, a PDF and an OFD signed by keyword (the stamp lands
//! where the text is, read back from the signed file itself), a resized stamp, and a keyword
//! that is not there (422 naming it, nothing signed, no file record).

mod common;

use common::*;
use serde_json::{Value, json};

const PT: f64 = 25.4 / 72.0;

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 0.6, "{what}: {a} vs {b}");
}

/// The stamps (page from 1, x, y, w, h in mm from the page's top-left) of a signed PDF: the
/// /Rect of each signature widget, on pages of `page_h_mm`.
fn pdf_stamps(pdf: &[u8], page_h_mm: f64) -> Vec<(u32, [f64; 4])> {
    let doc = lopdf::Document::load_mem(pdf).expect("signed PDF");
    let mut out = vec![];
    for (n, pid) in doc.get_pages() {
        let Ok(annots) = doc.get_page_annotations(pid) else {
            continue;
        };
        for a in annots {
            let is_sig = a
                .get(b"Subtype")
                .ok()
                .and_then(|v| v.as_name().ok())
                .is_some_and(|v| v == b"Widget");
            let Ok(r) = a.get(b"Rect").and_then(|r| r.as_array()) else {
                continue;
            };
            let v: Vec<f64> = r
                .iter()
                .map(|o| match o {
                    lopdf::Object::Integer(i) => *i as f64,
                    lopdf::Object::Real(f) => f64::from(*f),
                    _ => f64::NAN,
                })
                .collect();
            if !is_sig || v.len() != 4 || v[2] - v[0] < 1.0 {
                continue;
            }
            out.push((
                n,
                [
                    v[0] * PT,
                    page_h_mm - v[3] * PT,
                    (v[2] - v[0]) * PT,
                    (v[3] - v[1]) * PT,
                ],
            ));
        }
    }
    out
}

/// The `Boundary` of every stamp annotation of a signed OFD (x, y, w, h mm).
fn ofd_stamps(ofd: &[u8]) -> Vec<[f64; 4]> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(ofd)).expect("OFD zip");
    let mut out = vec![];
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if !f.name().is_ok_and(|n| n.ends_with("Signature.xml")) {
            continue;
        }
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).unwrap();
        for part in s.split("Boundary=\"").skip(1) {
            let v: Vec<f64> = part
                .split('"')
                .next()
                .unwrap()
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            out.push([v[0], v[1], v[2], v[3]]);
        }
    }
    out
}

fn sign(user: &Api, id: &str, seals: Value) -> common::Resp {
    user.post(
        &format!("/api/v1/documents/{id}/sign"),
        json!({"seals": seals, "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
    )
}

fn keyword_flow(db: Db) {
    let srv = Server::start(&db, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let seal = expect(&user.get("/api/v1/seals?kind=Cloud"), 200)["items"][0].clone();
    let seal_id = seal["id"].as_str().unwrap().to_owned();
    let (sw, sh) = (
        seal["width_mm"].as_f64().unwrap(),
        seal["height_mm"].as_f64().unwrap(),
    );
    let pdf = expect(
        &user.upload(
            "/api/v1/documents?name=kw.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(3, "contract"),
        ),
        201,
    );
    let pdf_id = pdf["id"].as_str().unwrap().to_owned();

    // The text search: one hit a page; pages narrow it; a word that is not there is empty.
    let all = expect(
        &user.get(&format!("/api/v1/documents/{pdf_id}/text-search?q=page")),
        200,
    );
    assert_eq!(all["occurrences"].as_array().unwrap().len(), 3, "{all}");
    let hits = expect(
        &user.get(&format!(
            "/api/v1/documents/{pdf_id}/text-search?q=page%202&pages=2-3"
        )),
        200,
    );
    let hit = hits["occurrences"][0].clone();
    assert_eq!(hits["occurrences"].as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hit["page"], 2);
    let none = expect(
        &user.get(&format!(
            "/api/v1/documents/{pdf_id}/text-search?q=%E7%94%B2%E6%96%B9"
        )),
        200,
    );
    assert_eq!(none["occurrences"], json!([]));
    let bad = user.get(&format!(
        "/api/v1/documents/{pdf_id}/text-search?q=page&pages=9"
    ));
    assert_eq!(expect(&bad, 400)["field"], "pages");

    // Not found: 422 naming the keyword, nothing signed, no file record.
    let files0 = expect(&user.get("/api/v1/files"), 200)["total"].clone();
    let r = sign(
        &user,
        &pdf_id,
        json!([{"seal_id": seal_id, "keyword": {"text": "甲方（盖章）"}}]),
    );
    let p = expect(&r, 422);
    assert_eq!(p["code"], "keyword_not_found", "{p}");
    assert_eq!(p["field"], "seals[0].keyword");
    assert!(
        p["detail"].as_str().unwrap().contains("甲方（盖章）"),
        "{p}"
    );
    let r = sign(
        &user,
        &pdf_id,
        json!([{"seal_id": seal_id, "keyword": {"text": "page", "occurrence": 4}}]),
    );
    assert_eq!(expect(&r, 422)["code"], "keyword_not_found");
    // A size beyond ±25 % of the seal's.
    let r = sign(
        &user,
        &pdf_id,
        json!([{"seal_id": seal_id, "keyword": {"text": "page 2", "size_mm": sw * 2.0}}]),
    );
    assert_eq!(expect(&r, 400)["field"], "seals[0].keyword.size_mm");
    let r = sign(
        &user,
        &pdf_id,
        json!([{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 10.0, "y_mm": 10.0, "size_mm": sw * 0.5}]}]),
    );
    assert_eq!(expect(&r, 400)["field"], "seals[0].stamps[0].size_mm");
    let doc = expect(&user.get(&format!("/api/v1/documents/{pdf_id}")), 200);
    assert!(doc["signed"].is_null(), "{doc}");
    assert_eq!(expect(&user.get("/api/v1/files"), 200)["total"], files0);

    // By keyword on page 2 (centred, moved 5 mm right), plus a stamp of 120 % on page 1.
    let big = sw * 1.2;
    let r = sign(
        &user,
        &pdf_id,
        json!([{"seal_id": seal_id,
                "stamps": [{"page": 1, "x_mm": 20.0, "y_mm": 30.0, "size_mm": big}],
                "keyword": {"text": "page 2", "occurrence": "first", "pages": "even",
                            "anchor": "center", "offset_mm": {"dx": 5.0, "dy": 0.0}}}]),
    );
    let out = expect(&r, 200);
    assert_eq!(out["signatures"], 2, "{out}");
    assert_eq!(out["verdict"], "valid", "{out}");
    let signed = user.get(&format!("/api/v1/documents/{pdf_id}/signed")).body;
    let rep = expect(
        &user.upload("/api/v1/verify", "application/pdf", signed.clone()),
        200,
    );
    assert_eq!(rep["exit_code"], 0, "{rep}");
    let stamps = pdf_stamps(&signed, 297.0);
    assert_eq!(stamps.len(), 2, "{stamps:?}");
    let (_, kw) = stamps
        .iter()
        .find(|(p, _)| *p == 2)
        .expect("a stamp on page 2");
    let cx = hit["x_mm"].as_f64().unwrap() + hit["width_mm"].as_f64().unwrap() / 2.0 + 5.0;
    let cy = hit["y_mm"].as_f64().unwrap() + hit["height_mm"].as_f64().unwrap() / 2.0;
    close(kw[0] + kw[2] / 2.0, cx, "keyword stamp centre x");
    close(kw[1] + kw[3] / 2.0, cy, "keyword stamp centre y");
    close(kw[2], sw, "keyword stamp width");
    let (_, one) = stamps
        .iter()
        .find(|(p, _)| *p == 1)
        .expect("a stamp on page 1");
    close(one[0], 20.0, "x");
    close(one[1], 30.0, "y");
    close(one[2], big, "resized width");
    close(one[3], sh * 1.2, "resized height (in proportion)");

    // An OFD by keyword, anchored at the end of the text on every page.
    let ofd = expect(
        &user.upload(
            "/api/v1/documents?name=kw.ofd",
            "application/ofd",
            eseal::samples::sample_ofd(2, "合同 甲方(盖章)"),
        ),
        201,
    );
    let ofd_id = ofd["id"].as_str().unwrap().to_owned();
    let hits = expect(
        &user.get(&format!(
            "/api/v1/documents/{ofd_id}/text-search?q=%E7%94%B2%E6%96%B9%EF%BC%88%E7%9B%96%E7%AB%A0%EF%BC%89"
        )),
        200,
    );
    let occ = hits["occurrences"].as_array().unwrap().clone();
    assert_eq!(occ.len(), 2, "full-width form finds the ASCII one: {hits}");
    let r = sign(
        &user,
        &ofd_id,
        json!([{"seal_id": seal_id, "keyword": {"text": "甲方（盖章）", "anchor": "end"}}]),
    );
    let out = expect(&r, 200);
    assert_eq!(out["verdict"], "valid", "{out}");
    let signed = user.get(&format!("/api/v1/documents/{ofd_id}/signed")).body;
    let rep = expect(
        &user.upload("/api/v1/verify", "application/ofd", signed.clone()),
        200,
    );
    assert_eq!(rep["exit_code"], 0, "{rep}");
    let boxes = ofd_stamps(&signed);
    assert_eq!(boxes.len(), 2, "{boxes:?}");
    for (b, h) in boxes.iter().zip(&occ) {
        let end_x = h["x_mm"].as_f64().unwrap() + h["width_mm"].as_f64().unwrap();
        let cy = h["y_mm"].as_f64().unwrap() + h["height_mm"].as_f64().unwrap() / 2.0;
        close(
            b[0] + b[2] / 2.0,
            end_x,
            "OFD stamp centre on the text's end",
        );
        close(b[1] + b[3] / 2.0, cy, "OFD stamp centre y");
        close(b[2], sw, "OFD stamp width");
    }
}

#[test]
fn keyword_signing_on_sqlite() {
    keyword_flow(Db::Sqlite);
}

#[test]
fn keyword_signing_on_postgres() {
    let Some((url, cluster)) = postgres("keyword_signing_on_postgres") else {
        return;
    };
    keyword_flow(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("kw"),
    });
    drop(cluster);
}
