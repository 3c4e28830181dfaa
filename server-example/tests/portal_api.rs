//! What the portal needs of the API beyond the chapters' own tests: the live preview of a
//! generated seal picture (2.2.1) and the demo's queued app requests (2.8).

mod common;

use common::*;
use serde_json::json;

#[test]
fn generated_seal_pictures_are_previewed_without_being_stored() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let body = json!({"style": "common", "text": "上海市演示局", "bottom_text": "财务专用章"});
    // Signed-in users only.
    expect(
        &api.post("/api/v1/seal-pictures/preview", body.clone()),
        401,
    );
    let admin = api.login(SEAL_ADMIN, DEMO_PASSWORD);
    let r = admin.post("/api/v1/seal-pictures/preview", body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type, "image/png");
    assert!(r.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    let before = expect(&admin.get("/api/v1/seals"), 200)["total"].clone();
    let bad = admin.post(
        "/api/v1/seal-pictures/preview",
        json!({"style": "round", "text": "上海市演示局"}),
    );
    assert_eq!(expect(&bad, 400)["field"], "generated.style");
    let empty = admin.post(
        "/api/v1/seal-pictures/preview",
        json!({"style": "party", "text": ""}),
    );
    assert_eq!(empty.status, 400, "{}", empty.text());
    assert_eq!(expect(&admin.get("/api/v1/seals"), 200)["total"], before);
}

#[test]
fn the_demo_queue_waits_for_the_seal_user() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let q = expect(&user.get("/api/v1/queue?status=Pending"), 200);
    assert_eq!(q["total"], 2, "{q}");
    let id = q["items"][0]["id"].as_str().unwrap().to_owned();
    expect(
        &user.post(&format!("/api/v1/queue/{id}/approve"), json!({})),
        200,
    );
    let q = expect(&user.get("/api/v1/queue?status=Pending"), 200);
    assert_eq!(q["total"], 1);
}

#[test]
fn ofd_pages_are_previewed_as_svg() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let user = srv.api().login(SEAL_USER, DEMO_PASSWORD);
    let docs = expect(&user.get("/api/v1/documents"), 200);
    let ofd = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["format"] == "Ofd")
        .expect("the demo's OFD");
    let url = ofd["preview_url"].as_str().expect("preview_url");
    let r = user.get(url);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type, "image/svg+xml");
    let svg = r.text();
    assert!(
        svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 210 297\""),
        "{svg}"
    );
    assert!(svg.contains("<text"), "the page's text is drawn: {svg}");
    let id = ofd["id"].as_str().unwrap();
    expect(
        &user.get(&format!("/api/v1/documents/{id}/pages/9/preview")),
        404,
    );
}
