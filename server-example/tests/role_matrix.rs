//! The role × action matrix over HTTP: for every identity of the demo unit (its UKey, one
//! staff member per role, a plain staff member) and the back office, every action of the
//! manual that has an endpoint answers 403 exactly where `eseal::platform::perm` says the
//! roles may not, and something else (done, 404 for a missing object, 409 …) where they may.
//! On SQLite and PostgreSQL.

mod common;

use base64::Engine;
use common::*;
use eseal::platform::perm::allowed_any;
use eseal::platform::{Action, Role};
use serde_json::{Value, json};

/// One request that performs `action` (objects that do not exist where one is needed: the
/// matrix is checked before the object).
fn request(api: &Api, action: Action, n: usize) -> Resp {
    let cert = eseal::crypto::testca::TestCa::new("matrix")
        .expect("ca")
        .person
        .cert;
    let cert_b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let idn = eseal_server::demo::id_number("19910101", (n % 900) as u32);
    let seal = |kind: &str| {
        json!({"kind": kind, "name": format!("矩阵章{n}"), "seal_type": 1, "handler_name": "经办人",
               "handler_phone": "13800000000", "handler_id_number": idn,
               "generated": {"style": "common", "text": "上海市演示局"}})
    };
    let png: Value = json!({"format": "png", "data": base64::engine::general_purpose::STANDARD.encode(
        eseal::stamp::personal::PersonalSeal::new(eseal::stamp::personal::PersonalShape::Square, "测试").render().expect("png").png)});
    use Action as A;
    match action {
        A::SetMainKey => api.put("/api/v1/unit/main-key", json!({"key_id": "missing"})),
        A::ManageKeyWhitelist => api.post("/api/v1/unit/whitelist", json!({"device_id": format!("DEV-{n}")})),
        A::ApplyUnitCert => api.post(
            "/api/v1/unit/certificate",
            json!({"handler_name": "王经办", "handler_id_number": idn, "handler_phone": "13800000000",
                   "handler_email": "a@example.invalid", "agreement_accepted": true}),
        ),
        A::ViewUnitCert => api.get("/api/v1/unit/certificate"),
        A::ViewStaff => api.get("/api/v1/staff/missing"),
        A::SearchStaff => api.get("/api/v1/staff"),
        A::AddStaff => api.post(
            "/api/v1/staff",
            json!({"name": "矩阵", "phone": format!("139{n:08}"), "id_number": idn}),
        ),
        A::EditStaff => api.put(
            "/api/v1/staff/missing",
            json!({"name": "矩阵", "phone": "13900000999", "id_number": idn}),
        ),
        A::RemoveStaff => api.delete("/api/v1/staff/missing"),
        A::ManageRoles => api.get("/api/v1/roles"),
        A::ApplyUkeySeal => api.post("/api/v1/seals", seal("ukey")),
        A::ApplyCloudSeal => api.post("/api/v1/seals", seal("cloud")),
        A::ReceiptSeal => api.post("/api/v1/seals/missing/receipt", json!({})),
        A::WriteSealToUkey => api.post("/api/v1/seals/missing/write-to-ukey", json!({"certificate": cert_b64})),
        A::RevokeSeal => api.post("/api/v1/seals/missing/revocation", json!({})),
        A::FreezeSeal => api.post("/api/v1/seals/missing/freeze", json!({})),
        A::UnfreezeSeal => api.post("/api/v1/seals/missing/unfreeze", json!({})),
        A::ViewOwnSeals => api.get("/api/v1/seals"),
        A::SetSealUsers => api.post("/api/v1/seals/missing/users", json!({"staff_id": "missing"})),
        A::GrantSealToApp => api.post("/api/v1/seals/missing/grants", json!({"app_id": "missing"})),
        A::ViewSealLog => api.get("/api/v1/seals/missing/log"),
        A::ViewOwnFiles => api.get("/api/v1/files"),
        A::DeleteFile => api.delete("/api/v1/files/missing"),
        A::DecideQueueItem => api.get("/api/v1/queue"),
        A::ViewApps => api.get("/api/v1/apps"),
        A::CreateApp => api.post("/api/v1/apps", json!({"name": format!("矩阵应用{n}")})),
        A::EditApp => api.put("/api/v1/apps/missing", json!({"name": "矩阵应用"})),
        A::DeleteApp => api.delete("/api/v1/apps/missing"),
        A::ViewAppSecret => api.get("/api/v1/apps/missing/secret"),
        A::ResetAppSecret => api.post("/api/v1/apps/missing/secret", json!({})),
        A::ViewAppDetails => api.get("/api/v1/apps/missing"),
        A::ReadAudit => api.get("/api/v1/audit?page=1"),
        A::SetOwnAvatar => api.put("/api/v1/me/avatar", png),
        A::SetOwnSignature => api.put("/api/v1/me/signature", json!({"text": "测试", "source": "square"})),
        A::SetOwnPasswords => api.post("/api/v1/me/sms-code", json!({"purpose": "set_password"})),
        A::ApplyPersonalUkeySignature => api.post(
            "/api/v1/me/personal-ukey-signatures",
            json!({"name": "签名", "handler_name": "经办人", "handler_phone": "13800000000", "handler_id_number": idn}),
        ),
        A::CaReview => api.post("/api/v1/ops/seals/missing/review", json!({"approve": true})),
        A::ReviewApp => api.post("/api/v1/ops/apps/missing/review", json!({"approve": true})),
        A::SetSwitches => api.put(
            "/api/v1/ops/switches",
            json!({"personal_ukey_signature": false, "app_review": false, "ca_review": true}),
        ),
        // Visibility rules (which seals and files a list shows) and signing (needs a document:
        // tests/http_flow.rs) have no request of their own.
        A::ViewAllSeals | A::ViewCloudSeals | A::ViewUnitFiles | A::SignWithSeal => {
            unreachable!("{action:?} is not requested on its own")
        }
    }
}

const NOT_ALONE: [Action; 4] = [
    Action::ViewAllSeals,
    Action::ViewCloudSeals,
    Action::ViewUnitFiles,
    Action::SignWithSeal,
];

fn matrix(db: Db) {
    let srv = Server::start(&db, &[]);
    let api = srv.api();
    let agent = UkeyAgent::new(&srv.data_dir.join("demo/unit-ukey.json"));
    let unit_token = expect(&ukey_login(&api, &agent, "unit", "123456"), 200)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut who: Vec<(String, Api, Vec<Role>)> = vec![
        (
            "unit UKey".into(),
            api.with_token(&unit_token),
            vec![Role::SuperAdmin],
        ),
        ("back office".into(), api.operator(), vec![Role::Operator]),
    ];
    for (phone, role) in [
        (APP_ADMIN, Some(Role::AppAdmin)),
        (STAFF_ADMIN, Some(Role::StaffAdmin)),
        (SEAL_ADMIN, Some(Role::SealAdmin)),
        (AUDITOR, Some(Role::Auditor)),
        (SEAL_MAKER, Some(Role::SealMaker)),
        (SEAL_USER, None),
    ] {
        let mut roles: Vec<Role> = role.into_iter().collect();
        roles.push(Role::Staff);
        who.push((
            format!("{phone} {roles:?}"),
            api.login(phone, DEMO_PASSWORD),
            roles,
        ));
    }
    let mut wrong = vec![];
    let mut checked = 0;
    for (i, (name, client, roles)) in who.iter().enumerate() {
        for (j, action) in Action::ALL.into_iter().enumerate() {
            if NOT_ALONE.contains(&action) {
                continue;
            }
            let r = request(client, action, i * 100 + j);
            let allowed = allowed_any(roles, action);
            let denied = r.status == 403;
            checked += 1;
            if allowed == denied {
                wrong.push(format!(
                    "{name} {action:?}: model says {}, HTTP {} {}",
                    if allowed { "allowed" } else { "denied" },
                    r.status,
                    r.text()
                ));
            }
            if denied {
                assert_eq!(r.json()["code"], "forbidden", "{name} {action:?}");
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 8 * 39, "{checked} cells checked");
}

#[test]
fn role_matrix_on_sqlite() {
    matrix(Db::Sqlite);
}

#[test]
fn role_matrix_on_postgres() {
    let Some((url, cluster)) = postgres("role_matrix_on_postgres") else {
        return;
    };
    matrix(Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("matrix"),
    });
    drop(cluster);
}
