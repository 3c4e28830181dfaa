//! UKey seals over HTTP (2.2.2 写入 UKey, 2.5.2 UKey 用户签署), with the real agent handler and
//! the software UKey: the seal is made for the UKey's certificate and written into the key;
//! signing is deferred — the server prepares each digest, the agent signs it in the UKey, the
//! server embeds it — for a PDF (two signatures: cross-page seal and stamp) and an OFD.
//! On SQLite and PostgreSQL.

mod common;

use common::*;
use serde_json::json;

fn ukey_flow(db: Db) {
    let srv = Server::start(&db, &[]);
    let api = srv.api();
    let agent = UkeyAgent::new(&srv.data_dir.join("demo/unit-ukey.json"));
    let unit = api.with_token(
        expect(&ukey_login(&api, &agent, "unit", "123456"), 200)["token"]
            .as_str()
            .unwrap(),
    );
    let identity = agent.call("GET", "/v1/identity", serde_json::Value::Null);
    let cert = identity["certificate"].clone();

    // 写入 UKey: the server makes the seal for this UKey's certificate; the agent writes it.
    let seals = expect(&unit.get("/api/v1/seals?kind=Ukey&status=Valid"), 200);
    let seal_id = seals["items"][0]["id"].as_str().unwrap().to_owned();
    let w = expect(
        &unit.post(
            &format!("/api/v1/seals/{seal_id}/write-to-ukey"),
            json!({"certificate": cert}),
        ),
        200,
    );
    assert_eq!(w["seal"]["written_to_ukey"], true);
    agent.call(
        "POST",
        "/v1/write-seal",
        json!({"pin": "123456", "seal": w["seal_der"]}),
    );
    let on_key = agent.call("GET", "/v1/seals", serde_json::Value::Null);
    assert!(
        on_key["seals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["seal"] == w["seal_der"]),
        "the seal made for the key is on the key"
    );

    for (name, ct, bytes, rounds) in [
        (
            "ukey.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(2, "ukey"),
            2,
        ),
        (
            "ukey.ofd",
            "application/ofd",
            eseal::samples::sample_ofd(2, "ukey"),
            1,
        ),
    ] {
        let d = expect(
            &unit.upload(&format!("/api/v1/documents?name={name}"), ct, bytes),
            201,
        );
        let id = d["id"].as_str().unwrap().to_owned();
        // A cloud-seal style request with a UKey seal is sent to the deferred path.
        let r = unit.post(
            &format!("/api/v1/documents/{id}/sign"),
            json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}]}], "credential": {"kind": "ukey"}}),
        );
        assert_eq!(expect(&r, 409)["code"], "ukey_seal");
        let mut pending = expect(
            &unit.post(
                &format!("/api/v1/documents/{id}/sign/prepare"),
                json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 100.0, "y_mm": 150.0}], "cross_page": true}],
                       "qr": {"page": 2, "x_mm": 20.0, "y_mm": 250.0}, "certificate": cert}),
            ),
            200,
        );
        assert_eq!(pending["signatures_total"], rounds);
        let signing = pending["signing_id"].as_str().unwrap().to_owned();
        // A signature of something else is refused; the signing stays open.
        let other = agent.call(
            "POST",
            "/v1/sign",
            json!({"pin": "123456", "message": "c29tZXRoaW5nIGVsc2U="}),
        );
        let r = unit.post(
            &format!("/api/v1/signings/{signing}"),
            json!({"signature": other["signature"]}),
        );
        assert_eq!(expect(&r, 400)["field"], "signature");
        let mut done = None;
        for round in 0..rounds {
            let sig = agent.call(
                "POST",
                "/v1/sign",
                json!({"pin": "123456", "digest": pending["digest"]}),
            );
            let r = expect(
                &unit.post(
                    &format!("/api/v1/signings/{signing}"),
                    json!({"signature": sig["signature"]}),
                ),
                200,
            );
            if round + 1 < rounds {
                assert_eq!(r["done"], false);
                pending = r["pending"].clone();
                assert_eq!(pending["signatures_done"], round + 1);
            } else {
                assert_eq!(r["done"], true, "{r}");
                done = Some(r["outcome"].clone());
            }
        }
        let outcome = done.unwrap();
        assert_eq!(outcome["verdict"], "valid", "{outcome}");
        let signed = unit.get(&format!("/api/v1/documents/{id}/signed")).body;
        let rep = expect(&unit.upload("/api/v1/verify", ct, signed), 200);
        assert_eq!(rep["exit_code"], 0, "{rep}");
        assert_eq!(rep["signatures"].as_array().unwrap().len(), rounds);
        // The signing is over: its id is gone.
        let r = unit.post(
            &format!("/api/v1/signings/{signing}"),
            json!({"signature": "AA=="}),
        );
        assert_eq!(expect(&r, 404)["code"], "not_found");
    }
    // A staff member does not see the unit's UKey seal (2.2) and cannot prepare with it.
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=x.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(1, "x"),
        ),
        201,
    );
    let r = user.post(
        &format!("/api/v1/documents/{}/sign/prepare", d["id"].as_str().unwrap()),
        json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 10.0, "y_mm": 10.0}]}], "certificate": cert}),
    );
    assert_eq!(expect(&r, 404)["code"], "not_found");
    // The audit shows the UKey uses of the seal.
    let auditor = api.login(AUDITOR, DEMO_PASSWORD);
    let audit = expect(&auditor.get("/api/v1/audit?action=SignWithSeal"), 200);
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["outcome"] == "Ok")
            .count()
            >= 2,
        "{audit}"
    );
}

#[test]
fn ukey_seals_on_sqlite() {
    ukey_flow(Db::Sqlite);
}

#[test]
fn ukey_seals_on_postgres() {
    let Some((url, cluster)) = postgres("ukey_seals_on_postgres") else {
        return;
    };
    ukey_flow(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("ukey"),
    });
    drop(cluster);
}
