//! The manual's modules over HTTP against the real `eseal-server` binary, on SQLite and on
//! PostgreSQL: sign in each way → staff and roles → apply for a seal → CA review → receipt →
//! seal users → sign a PDF and an OFD → verify (report, public page) → file list → apps and
//! grants → audit shows each step → revocation → sign-out. Every response of every request is
//! checked to be below 500, and every error to be problem+json (see `common::Api::send`).

mod common;

use common::*;
use serde_json::{Value, json};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn staff_id(unit: &Api, name: &str) -> String {
    let v = expect(&unit.get(&format!("/api/v1/staff?q={}", urlenc(name))), 200);
    v["items"][0]["id"].as_str().expect("staff id").to_owned()
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn last_sms_code(api: &Api, phone: &str) -> String {
    let v = expect(&api.get(&format!("/api/v1/dev/sms?phone={phone}")), 200);
    let text = v[0]["text"].as_str().expect("an SMS was sent").to_owned();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("6-digit code")
        .to_owned()
}

fn module_flow(db: Db) {
    let srv = Server::start(&db, &[]);
    let api = srv.api();
    assert_eq!(expect(&api.get("/healthz"), 200)["status"], "ok");
    assert_eq!(expect(&api.get("/readyz"), 200)["status"], "ready");
    let doc = expect(&api.get("/api/openapi.json"), 200);
    assert_eq!(doc["openapi"], "3.1.0");

    // 1.2.1: the unit UKey signs the server's challenge through the agent.
    let agent = UkeyAgent::new(&srv.data_dir.join("demo/unit-ukey.json"));
    let r = ukey_login(&api, &agent, "unit", "123456");
    let login = expect(&r, 200);
    let unit = api.with_token(login["token"].as_str().unwrap());
    assert_eq!(login["session"]["kind"], "unit_key");
    assert!(ids(&login["session"]["roles"].clone(), "x").is_empty());
    assert!(
        login["session"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("SuperAdmin"))
    );
    // A challenge is single use: replaying the same signed challenge is refused.
    let ch = expect(&api.post("/api/v1/auth/ukey/challenge", json!({})), 200);
    let signed = agent.call(
        "POST",
        "/v1/sign-challenge",
        json!({"pin": "123456", "challenge": ch["challenge"]}),
    );
    let body = json!({"challenge_id": ch["challenge_id"], "kind": "unit", "certificate": signed["certificate"], "signature": signed["signature"], "device_serial": signed["device_serial"]});
    expect(&api.post("/api/v1/auth/login/ukey", body.clone()), 200);
    assert_eq!(
        expect(&api.post("/api/v1/auth/login/ukey", body), 401)["code"],
        "challenge_expired"
    );
    // A signature of another challenge is refused.
    let ch2 = expect(&api.post("/api/v1/auth/ukey/challenge", json!({})), 200);
    let r = api.post("/api/v1/auth/login/ukey", json!({"challenge_id": ch2["challenge_id"], "kind": "unit", "certificate": signed["certificate"], "signature": signed["signature"], "device_serial": signed["device_serial"]}));
    assert_eq!(expect(&r, 401)["code"], "login_refused");

    // 1.2.1.2 the unit's certificate application (made by the demo) is visible.
    let cert = expect(&unit.get("/api/v1/unit/certificate"), 200);
    assert_eq!(cert["application"]["agreement_accepted"], true);
    // … and the server certificate the platform CA issued (颁发对象, 颁发者, 序列号, 有效性).
    assert!(
        cert["certificate"]["subject"]
            .as_str()
            .unwrap()
            .contains("上海市演示局"),
        "{cert}"
    );
    assert!(!cert["certificate"]["serial"].as_str().unwrap().is_empty());
    assert_eq!(cert["certificate"]["valid_now"], true);
    let keys = expect(&unit.get("/api/v1/unit/keys"), 200);
    assert_eq!(keys[0]["super_admin"], true);
    expect(
        &unit.post(
            "/api/v1/unit/whitelist",
            json!({"device_id": "OTHER-KEY-1"}),
        ),
        204,
    );
    assert!(
        expect(&unit.get("/api/v1/unit"), 200)["whitelist"]
            .as_array()
            .unwrap()
            .contains(&json!("OTHER-KEY-1"))
    );

    // 2.3 / 2.4: a new staff member made seal maker.
    let idn = eseal_server::demo::id_number("19900101", 77);
    let new = expect(
        &unit.post(
            "/api/v1/staff",
            json!({"name": "周新人", "phone": "13900000011", "id_number": idn}),
        ),
        201,
    );
    assert_eq!(new["initial"], "Z");
    let dup = expect(
        &unit.post(
            "/api/v1/staff",
            json!({"name": "周新人", "phone": "13900000011", "id_number": idn}),
        ),
        409,
    );
    assert_eq!(dup["code"], "duplicate");
    let bad = expect(
        &unit.post(
            "/api/v1/staff",
            json!({"name": "x", "phone": "123", "id_number": idn}),
        ),
        400,
    );
    assert_eq!(bad["field"], "phone");
    let new_id = new["id"].as_str().unwrap().to_owned();
    expect(
        &unit.post(
            "/api/v1/roles/SealMaker/members",
            json!({"staff_id": new_id}),
        ),
        204,
    );
    let roles = expect(&unit.get("/api/v1/roles"), 200);
    let maker_role = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "SealMaker")
        .unwrap();
    assert!(
        maker_role["members"]
            .as_array()
            .unwrap()
            .contains(&json!(new_id))
    );

    // 1.3.1 SMS sign-in after the image captcha; no password yet → asked to set one.
    let cap = expect(&api.post("/api/v1/auth/captcha", json!({})), 200);
    assert!(
        cap["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let wrong = api.post("/api/v1/auth/sms-code", json!({"phone": "13900000011", "purpose": "login", "captcha_id": cap["captcha_id"], "captcha_answer": "00000"}));
    assert_eq!(expect(&wrong, 400)["code"], "verification_failed");
    let cap = expect(&api.post("/api/v1/auth/captcha", json!({})), 200);
    let answer = expect(
        &api.get(&format!(
            "/api/v1/dev/captcha/{}",
            cap["captcha_id"].as_str().unwrap()
        )),
        200,
    )["answer"]
        .clone();
    expect(&api.post("/api/v1/auth/sms-code", json!({"phone": "13900000011", "purpose": "login", "captcha_id": cap["captcha_id"], "captcha_answer": answer})), 204);
    let code = last_sms_code(&api, "13900000011");
    let l = expect(
        &api.post(
            "/api/v1/auth/login/sms",
            json!({"phone": "13900000011", "code": code}),
        ),
        200,
    );
    assert_eq!(l["session"]["must_set_password"], true);
    let maker = api.with_token(l["token"].as_str().unwrap());
    // One code a minute per phone (the platform's rule).
    let again = maker.post("/api/v1/me/sms-code", json!({"purpose": "set_password"}));
    assert_eq!(expect(&again, 429)["code"], "rate_limited");
    // 1.3.2.1 / 2.1.2.3: a staff member changes the password with a code sent to the session's phone.
    let sm = api.login(SEAL_MAKER, DEMO_PASSWORD);
    expect(
        &sm.post("/api/v1/me/sms-code", json!({"purpose": "set_password"})),
        204,
    );
    let code = last_sms_code(&api, SEAL_MAKER);
    let weak = sm.put(
        "/api/v1/me/password",
        json!({"code": code, "password": "short"}),
    );
    assert_eq!(expect(&weak, 400)["code"], "invalid_input");
    expect(
        &sm.put(
            "/api/v1/me/password",
            json!({"code": code, "password": "Changed#2026"}),
        ),
        204,
    );
    api.login(SEAL_MAKER, "Changed#2026");
    let r = api.post(
        "/api/v1/auth/login/password",
        json!({"phone": SEAL_MAKER, "password": DEMO_PASSWORD}),
    );
    assert_eq!(expect(&r, 401)["code"], "login_refused");

    // 修改手机号 (2.1.2): the staff administrator proves the current and the new phone.
    let sa = api.login(STAFF_ADMIN, DEMO_PASSWORD);
    let taken = sa.post("/api/v1/me/phone/sms-code", json!({"new_phone": SEAL_USER}));
    assert_eq!(expect(&taken, 409)["code"], "duplicate");
    let new_phone = "13800000099";
    expect(
        &sa.post("/api/v1/me/sms-code", json!({"purpose": "change_phone"})),
        204,
    );
    let current_code = last_sms_code(&api, STAFF_ADMIN);
    expect(
        &sa.post("/api/v1/me/phone/sms-code", json!({"new_phone": new_phone})),
        204,
    );
    let new_code = last_sms_code(&api, new_phone);
    let wrong = sa.put(
        "/api/v1/me/phone",
        json!({"current_code": current_code, "new_phone": new_phone, "new_code": "000000"}),
    );
    assert_eq!(wrong.status / 100, 4, "a wrong code is refused");
    let changed = expect(
        &sa.put(
            "/api/v1/me/phone",
            json!({"current_code": current_code, "new_phone": new_phone, "new_code": new_code}),
        ),
        200,
    );
    assert_eq!(changed["phone"], new_phone);
    api.login(new_phone, DEMO_PASSWORD);
    let r = api.post(
        "/api/v1/auth/login/password",
        json!({"phone": STAFF_ADMIN, "password": DEMO_PASSWORD}),
    );
    assert_eq!(expect(&r, 401)["code"], "login_refused");

    // 2.2.1 the seal maker applies for a cloud seal with a generated picture.
    let seal = expect(
        &maker.post(
            "/api/v1/seals",
            json!({"kind": "cloud", "name": "演示局测试专用章", "seal_type": 1, "handler_name": "周新人",
                   "handler_phone": "13900000011", "handler_id_number": idn,
                   "generated": {"style": "common", "text": "上海市演示局", "bottom_text": "测试专用章"}}),
        ),
        201,
    );
    assert_eq!(seal["status"], "PendingReview");
    let seal_id = seal["id"].as_str().unwrap().to_owned();
    let pic = maker.get(&format!("/api/v1/seals/{seal_id}/picture"));
    assert_eq!(pic.status, 200);
    assert!(pic.body.starts_with(b"\x89PNG"));
    // A UKey seal is for unit UKeys only (2.2.1.1).
    let r = maker.post("/api/v1/seals", json!({"kind": "ukey", "name": "x", "seal_type": 1, "handler_name": "周新人", "handler_phone": "13900000011", "handler_id_number": idn, "generated": {"style": "common", "text": "上海市演示局"}}));
    assert_eq!(expect(&r, 403)["code"], "forbidden");

    // CA review in the back office.
    let ops = api.operator();
    assert!(ids(&expect(&ops.get("/api/v1/ops/seals"), 200), "id").contains(&seal_id));
    assert_eq!(
        expect(&maker.get("/api/v1/ops/seals"), 403)["code"],
        "forbidden"
    );
    let reviewed = expect(
        &ops.post(
            &format!("/api/v1/ops/seals/{seal_id}/review"),
            json!({"approve": true}),
        ),
        200,
    );
    assert_eq!(reviewed["status"], "AwaitingReceipt");
    // 2.2.2 receipt by its manager; the seal user is added (2.2.3).
    assert_eq!(
        expect(
            &maker.post(&format!("/api/v1/seals/{seal_id}/receipt"), json!({})),
            200
        )["status"],
        "Valid"
    );
    let user_id = staff_id(&unit, "孙职员");
    expect(
        &maker.post(
            &format!("/api/v1/seals/{seal_id}/users"),
            json!({"staff_id": user_id}),
        ),
        204,
    );
    expect(
        &maker.post(&format!("/api/v1/seals/{seal_id}/freeze"), json!({})),
        200,
    );
    expect(
        &maker.post(&format!("/api/v1/seals/{seal_id}/unfreeze"), json!({})),
        200,
    );
    let log = expect(&maker.get(&format!("/api/v1/seals/{seal_id}/log")), 200);
    let actions: Vec<String> = ids(&log, "action");
    for a in ["回执", "冻结", "解冻"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // 2.5: the seal user uploads a PDF and an OFD and signs them with the seal.
    let user = api.login(SEAL_USER, DEMO_PASSWORD);
    let seals = expect(&user.get("/api/v1/seals"), 200);
    assert!(ids(&seals["items"], "id").contains(&seal_id));
    let mut signed_docs = vec![];
    for (name, ct, bytes) in [
        (
            "合同.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(3, "flow test"),
        ),
        (
            "公文.ofd",
            "application/ofd",
            eseal::samples::sample_ofd(3, "flow test"),
        ),
    ] {
        let d = expect(
            &user.upload(
                &format!("/api/v1/documents?name={}", urlenc(name)),
                ct,
                bytes.clone(),
            ),
            201,
        );
        assert_eq!(d["pages"].as_array().unwrap().len(), 3);
        assert_eq!(d["sm3"], hex::encode(eseal::crypto::sm3::sm3(&bytes)));
        let id = d["id"].as_str().unwrap().to_owned();
        let orig = user.get(&format!("/api/v1/documents/{id}/original"));
        assert_eq!(orig.body, bytes, "the original downloads unchanged");
        let out = expect(
            &user.post(
                &format!("/api/v1/documents/{id}/sign"),
                json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 120.0, "y_mm": 200.0}], "cross_page": true}],
                       "qr": {"page": 1, "x_mm": 20.0, "y_mm": 250.0},
                       "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
            ),
            200,
        );
        assert_eq!(out["verdict"], "valid", "{out}");
        assert!(
            out["verify_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/verify/{id}"))
        );
        // The downloaded signed file verifies with the same report as `eseal … verify --json`.
        let signed = user.get(&format!("/api/v1/documents/{id}/signed"));
        assert_eq!(signed.status, 200);
        let rep = expect(
            &user.upload(
                &format!("/api/v1/verify?name={}", urlenc(name)),
                ct,
                signed.body.clone(),
            ),
            200,
        );
        assert_eq!(rep["verdict"], "valid", "{rep}");
        assert_eq!(rep["exit_code"], 0);
        assert!(!rep["signatures"].as_array().unwrap().is_empty());
        // The public page behind the QR code, without sign-in.
        let page = api.get(&format!("/verify/{id}"));
        assert_eq!(page.status, 200);
        assert!(page.content_type.starts_with("text/html"));
        assert!(page.text().contains("演示局测试专用章"));
        assert_eq!(
            expect(
                &api.get(&format!("/api/v1/public/documents/{id}/verification")),
                200
            )["exit_code"],
            0
        );
        let report = user.get(&format!("/api/v1/documents/{id}/report"));
        assert!(
            report.text().contains("验证报告") && report.text().contains("data:image/png;base64,")
        );
        // … and as a PDF (验证报告) that poppler reads back.
        let pdf = user.get(&format!("/api/v1/documents/{id}/report.pdf"));
        assert_eq!(pdf.content_type, "application/pdf");
        assert!(pdf.body.starts_with(b"%PDF-"));
        let path = srv.data_dir.join(format!("report-{id}.pdf"));
        std::fs::write(&path, &pdf.body).unwrap();
        match std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                assert!(
                    text.contains("电子签章验证报告") && text.contains("演示局测试专用章"),
                    "{text}"
                );
            }
            r => eprintln!(
                "pdftotext unavailable ({r:?}): the text of the PDF report is not checked"
            ),
        }
        signed_docs.push((id, ct));
    }
    // A wrong signing password is refused and signs nothing.
    let d = expect(
        &user.upload(
            "/api/v1/documents?name=x.pdf",
            "application/pdf",
            eseal::samples::sample_pdf(1, "x"),
        ),
        201,
    );
    let r = user.post(
        &format!("/api/v1/documents/{}/sign", d["id"].as_str().unwrap()),
        json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 10.0, "y_mm": 10.0}]}], "credential": {"kind": "signing_password", "value": "000000"}}),
    );
    assert_eq!(expect(&r, 400)["code"], "verification_failed");
    assert!(
        expect(
            &user.get(&format!("/api/v1/documents/{}", d["id"].as_str().unwrap())),
            200
        )["signed"]
            .is_null()
    );
    // Previews of PDF pages (poppler), signed and not.
    let pdf_id = &signed_docs[0].0;
    let pv = user.get(&format!(
        "/api/v1/documents/{pdf_id}/pages/1/preview?signed=true"
    ));
    assert_eq!(pv.status, 200, "{}", pv.text());
    assert!(pv.body.starts_with(b"\x89PNG"));

    // 2.6 the file list: two signed files with thumbnails; search; the unit UKey sees them too.
    let files = expect(&user.get("/api/v1/files"), 200);
    assert_eq!(files["total"], 2, "{files}");
    assert!(
        files["items"][0]["thumbnail_url"]
            .as_str()
            .unwrap()
            .contains("/preview")
    );
    let found = expect(
        &user.get(&format!("/api/v1/files?q={}", urlenc("合同"))),
        200,
    );
    assert_eq!(found["total"], 1);
    assert!(
        expect(&unit.get("/api/v1/files"), 200)["total"]
            .as_u64()
            .unwrap()
            >= 2
    );
    // Another staff member does not see the user's files (2.6) nor its documents.
    let other = api.login(APP_ADMIN, DEMO_PASSWORD);
    assert_eq!(expect(&other.get("/api/v1/files"), 200)["total"], 0);
    assert_eq!(
        expect(&other.get(&format!("/api/v1/documents/{pdf_id}")), 404)["code"],
        "not_found"
    );

    // 2.9 apps: the app admin creates one, reads and resets its secret; 2.2.4 the seal is granted.
    let app = expect(
        &other.post(
            "/api/v1/apps",
            json!({"name": "OA 系统", "ip_whitelist": ["127.0.0.1"]}),
        ),
        201,
    );
    let app_id = app["id"].as_str().unwrap().to_owned();
    let s1 = expect(&other.get(&format!("/api/v1/apps/{app_id}/secret")), 200);
    let s2 = expect(
        &other.post(&format!("/api/v1/apps/{app_id}/secret"), json!({})),
        200,
    );
    assert_ne!(s1["access_secret"], s2["access_secret"]);
    assert_eq!(
        expect(&user.get(&format!("/api/v1/apps/{app_id}/secret")), 403)["code"],
        "forbidden"
    );
    expect(
        &maker.post(
            &format!("/api/v1/seals/{seal_id}/grants"),
            json!({"app_id": app_id}),
        ),
        201,
    );
    let g = expect(
        &maker.put(
            &format!("/api/v1/seals/{seal_id}/grants/{app_id}/policy"),
            json!({"kind": "manual", "confirmers": [user_id], "sms_notice": true}),
        ),
        200,
    );
    assert_eq!(g["policy"]["kind"], "manual");
    let details = expect(&other.get(&format!("/api/v1/apps/{app_id}")), 200);
    assert!(ids(&details["seals"], "id").contains(&seal_id));
    // 2.8 the queue of the confirmer: the demo app's two requests (batch answers per item).
    assert_eq!(
        expect(&user.get("/api/v1/queue?status=Pending"), 200)["total"],
        2
    );
    let b = expect(
        &user.post(
            "/api/v1/queue/batch",
            json!({"ids": ["nope"], "approve": true}),
        ),
        200,
    );
    assert_eq!(b[0]["ok"], false);

    // 2.10 the auditor sees each step.
    let auditor = api.login(AUDITOR, DEMO_PASSWORD);
    for a in [
        "LoginUnitKey",
        "AddStaff",
        "ManageRoles",
        "LoginSms",
        "SetOwnPasswords",
        "ApplyCloudSeal",
        "ReceiptSeal",
        "SetSealUsers",
        "SignWithSeal",
        "CreateApp",
        "GrantSealToApp",
        "LoginPassword",
    ] {
        let page = expect(&auditor.get(&format!("/api/v1/audit?action={a}")), 200);
        assert!(
            page["total"].as_u64().unwrap() >= 1,
            "audit has {a}: {page}"
        );
    }
    let refused = expect(
        &auditor.get("/api/v1/audit?action=SignWithSeal&failures=true"),
        200,
    );
    assert!(
        refused["total"].as_u64().unwrap() >= 1,
        "the refused signing is audited: {refused}"
    );
    assert_eq!(expect(&user.get("/api/v1/audit"), 403)["code"], "forbidden");

    // 2.2.2 revocation with the second confirmation; the revoked seal no longer signs.
    let conf = expect(
        &maker.post(&format!("/api/v1/seals/{seal_id}/revocation"), json!({})),
        200,
    );
    assert_eq!(
        expect(
            &maker.post(
                &format!("/api/v1/seals/{seal_id}/revoke"),
                json!({"confirmation": "wrong"})
            ),
            400
        )["code"],
        "verification_failed"
    );
    assert_eq!(
        expect(
            &maker.post(
                &format!("/api/v1/seals/{seal_id}/revoke"),
                json!({"confirmation": conf["confirmation"]})
            ),
            200
        )["status"],
        "Revoked"
    );
    let r = user.post(
        &format!("/api/v1/documents/{}/sign", d["id"].as_str().unwrap()),
        json!({"seals": [{"seal_id": seal_id, "stamps": [{"page": 1, "x_mm": 10.0, "y_mm": 10.0}]}], "credential": {"kind": "signing_password", "value": DEMO_SIGNING_PASSWORD}}),
    );
    assert_eq!(expect(&r, 409)["code"], "invalid_state");

    // Sign-out ends the session everywhere.
    expect(&user.post("/api/v1/auth/logout", json!({})), 204);
    assert_eq!(
        expect(&user.get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
}

#[test]
fn module_flow_on_sqlite() {
    module_flow(Db::Sqlite);
}

#[test]
fn module_flow_on_postgres() {
    let Some((url, cluster)) = postgres("module_flow_on_postgres") else {
        return;
    };
    module_flow(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("flow"),
    });
    drop(cluster);
}
