//! The portal's static files (`web_dir`) are served at `/` beside the API; unknown API paths
//! stay problem documents.

mod common;

use common::*;

#[test]
fn a_web_folder_is_served_beside_the_api() {
    let dir = temp_dir("web");
    let web = dir.join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>电子印章平台</title>",
    )
    .unwrap();
    std::fs::write(web.join("assets/app.js"), "console.log('portal')").unwrap();
    let srv = Server::start_in(
        &Db::Sqlite,
        &dir.join("data"),
        &[("ESEAL_WEB_DIR", web.to_str().unwrap())],
    );
    let api = srv.api();
    let index = api.get("/");
    assert_eq!(index.status, 200);
    assert!(index.content_type.starts_with("text/html") && index.text().contains("电子印章平台"));
    let js = api.get("/assets/app.js");
    assert_eq!(js.status, 200);
    assert!(
        js.content_type.contains("javascript"),
        "{}",
        js.content_type
    );
    assert_eq!(expect(&api.get("/missing.css"), 404)["code"], "not_found");
    assert_eq!(
        expect(&api.get("/api/v1/no-such-thing"), 404)["code"],
        "not_found"
    );
    assert_eq!(expect(&api.get("/healthz"), 200)["status"], "ok");
    // Path traversal out of the folder is not served.
    let r = api.get("/../../../../etc/passwd");
    assert_ne!(r.status, 200);
}
