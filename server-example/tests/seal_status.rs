//! The platform's seal status over HTTP (docs/seal-status.md): the signed list and single
//! answers are public and cacheable and verify against the development CA; the platform's
//! own verification (`POST /api/v1/verify`) applies them: a document signed before the seal
//! was frozen and revoked stays valid, with the revocation date in the report.

mod common;

use common::*;
use eseal::crypto::testca::TestCa;
use eseal::seal_status::{SealState, SealStatusList, SignedSealStatus};
use eseal::validation::TrustStore;
use serde_json::{Value, json};

fn open(r: &Resp, trust: &TrustStore) -> SealStatusList {
    assert_eq!(r.status, 200, "{}", r.text());
    let cc = r.header("cache-control").unwrap_or_default();
    assert!(cc.starts_with("public, max-age="), "{cc}");
    SignedSealStatus::from_json(&r.body)
        .unwrap()
        .open(trust)
        .unwrap()
}

fn status_check(report: &Value) -> Value {
    report["signatures"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "seal_status")
        .cloned()
        .unwrap_or_else(|| panic!("no seal_status check: {report:#}"))
}

#[test]
fn the_platform_publishes_and_applies_its_seal_status() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let trust = TrustStore::new().with(TestCa::new("eseal-server-dev").unwrap().root.cert);
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let seal_id = user.first_cloud_seal();
    let doc = expect(
        &user.upload(
            "/api/v1/documents?name=status.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(1, "status"),
        ),
        201,
    );
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    expect(
        &user.post(
            &format!("/api/v1/documents/{doc_id}/sign"),
            json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 20.0, "y_mm": 20.0}]}],
                   "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
        ),
        200,
    );
    let signed = user.get(&format!("/api/v1/documents/{doc_id}/signed")).body;
    let verify = || {
        expect(
            &user.upload(
                "/api/v1/verify?name=s.pdf",
                "application/pdf",
                signed.clone(),
            ),
            200,
        )
    };
    let v = verify();
    assert_eq!(v["exit_code"], 0, "{v:#}");
    assert_eq!(status_check(&v)["status"], "passed", "{v:#}");
    let es_id = v["signatures"][0]["seal"]["es_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Public (no login) and signed by a certificate of the platform's CA.
    let list = open(&api.get("/api/v1/seal-status"), &trust);
    assert!(list.entry(&es_id).is_none(), "{list:?}");
    let one = open(&api.get(&format!("/api/v1/seal-status/{es_id}")), &trust);
    assert_eq!(one.entries[0].state, SealState::Good);
    let unknown = open(&api.get("/api/v1/seal-status/NOSUCH"), &trust);
    assert_eq!(unknown.entries[0].state, SealState::Unknown);
    // The client `--seal-status URL` uses.
    let fetched = eseal::seal_status::fetch(&format!("{}/api/v1/seal-status", api.base)).unwrap();
    assert!(fetched.open(&trust).is_ok());

    // Frozen, then revoked (a second later: the signing time has whole seconds).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let seals = api.login(SEAL_ADMIN, DEMO_PASSWORD);
    expect(
        &seals.post(&format!("/api/v1/seals/{seal_id}/freeze"), json!({})),
        200,
    );
    let one = open(&api.get(&format!("/api/v1/seal-status/{es_id}")), &trust);
    assert_eq!(one.entries[0].state, SealState::Frozen);
    let conf = expect(
        &seals.post(&format!("/api/v1/seals/{seal_id}/revocation"), json!({})),
        200,
    );
    expect(
        &seals.post(
            &format!("/api/v1/seals/{seal_id}/revoke"),
            json!({"confirmation": conf["confirmation"]}),
        ),
        200,
    );
    let list = open(&api.get("/api/v1/seal-status"), &trust);
    let e = list
        .entry(&es_id)
        .expect("the revoked seal is listed")
        .clone();
    assert_eq!(e.state, SealState::Revoked);
    assert_eq!(e.frozen.len(), 1);
    let revoked = eseal::crypto::time::Time::from_unix(e.revoked_at.unwrap()).to_iso();

    // Signed before: still exit 0, the dates in the report.
    let v = verify();
    assert_eq!(v["exit_code"], 0, "{v:#}");
    let c = status_check(&v);
    assert!(c["message"].as_str().unwrap().contains(&revoked), "{c:#}");
}
