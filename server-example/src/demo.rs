//! The demo data set of `eseal-server --demo` (the README's first command): a unit with a
//! software UKey (its super administrator), one staff member per role with passwords, a cloud
//! seal and a UKey seal (reviewed, receipted, written into the software UKey), sample PDF and
//! OFD documents. Everything goes through the platform's rules, passwords included (each set
//! with the SMS code the development sender kept); the seeding runs on a clock two hours in
//! the past so that its codes do not hold back a person's first SMS. Run on a database that
//! has units already, it only prints the sign-ins again.

use std::fmt::Write;

use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::testca::{CertKind, default_validity};
use std::sync::Arc;

use eseal::platform::{
    self as p, FixedClock, Identity, Kind, Platform, Role, SealApplication, Session,
};

use crate::documents::{self, DocRecord};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Inner};

pub const UNIT_NAME: &str = "上海市演示局";
pub const UKEY_PIN: &str = "123456";
pub const UKEY_SERIAL: &str = "DEMO-UNIT-01";
pub const PASSWORD: &str = "Demo@2026";
pub const SIGNING_PASSWORD: &str = "246810";

/// (name, phone, birth date part of the ID number, role).
pub const STAFF: &[(&str, &str, &str, Option<Role>)] = &[
    ("王应用", "13800000001", "19800101", Some(Role::AppAdmin)),
    ("李人事", "13800000002", "19810202", Some(Role::StaffAdmin)),
    ("张印章", "13800000003", "19820303", Some(Role::SealAdmin)),
    ("赵审计", "13800000004", "19830404", Some(Role::Auditor)),
    ("钱制章", "13800000005", "19840505", Some(Role::SealMaker)),
    ("孙职员", "13800000006", "19850606", None),
];

/// A resident ID number (GB 11643) with a valid check character.
pub fn id_number(birth: &str, seq: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [u8; 11] = *b"10X98765432";
    let body = format!("310101{birth}{seq:03}");
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{body}{}", C[(sum % 11) as usize] as char)
}

/// A unified social credit code (GB 32100) with a valid check character.
pub fn credit_code(body17: &str) -> String {
    const ALPHA: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body17
        .bytes()
        .zip(W)
        .map(|(c, w)| ALPHA.iter().position(|a| *a == c).unwrap_or(0) * w)
        .sum();
    format!("{body17}{}", ALPHA[(31 - sum % 31) % 31] as char)
}

pub fn unit_code() -> String {
    credit_code("11310000DEMO00001")
}

fn e(x: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("demo: {x}"))
}

/// The unit UKey's key and certificate (issued by the platform CA).
pub fn unit_ukey(s: &Inner) -> ApiResult<(PrivateKey, eseal::crypto::Certificate)> {
    let key = PrivateKey::from_seed(format!("{}/demo-unit-ukey", s.cfg.ca_seed).as_bytes());
    let (nb, na) = default_validity();
    let code = unit_code();
    let cert =
        s.ca.issue_for_key(
            &key.public_key(),
            &[
                ("C", "CN"),
                ("O", UNIT_NAME),
                ("CN", UNIT_NAME),
                ("serialNumber", &code),
            ],
            CertKind::Signing,
            nb,
            na,
        )
        .map_err(e)?;
    Ok((key, cert))
}

/// The last 6-digit code the development sender kept for `phone`.
fn last_code(s: &Inner, phone: &str) -> ApiResult<String> {
    s.db.kv_list(crate::kv::ns::DEV_SMS, phone, s.clock.now())?
        .last()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
        .and_then(|v| {
            v["text"].as_str().and_then(|t| {
                t.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned)
            })
        })
        .ok_or_else(|| e(format!("no SMS code for {phone}")))
}

/// Sets the demo login and signing passwords with SMS codes (1.3.2.1, 2.1.2.4).
fn set_passwords(
    s: &Inner,
    seeder: &Platform,
    clock: &FixedClock,
    sess: &Session,
    phone: &str,
) -> ApiResult<()> {
    seeder.send_session_code(sess, p::SmsPurpose::SetPassword)?;
    seeder.set_password(sess, &last_code(s, phone)?, PASSWORD)?;
    clock.advance(p::SMS_RESEND_INTERVAL + 1);
    seeder.send_session_code(sess, p::SmsPurpose::SetPassword)?;
    seeder.set_signing_password(sess, &last_code(s, phone)?, SIGNING_PASSWORD)?;
    clock.advance(p::SMS_RESEND_INTERVAL + 1);
    Ok(())
}

fn add_document(
    s: &Inner,
    owner: &str,
    unit: &str,
    name: &str,
    bytes: &[u8],
) -> ApiResult<DocRecord> {
    let format = documents::sniff(bytes).ok_or_else(|| e("sample is not PDF/OFD"))?;
    let pages = match format {
        p::FileFormat::Pdf => documents::pdf_pages(bytes)?,
        p::FileFormat::Ofd => documents::ofd_pages(bytes.to_vec())?,
    };
    let d = DocRecord {
        id: crate::random_hex(12)?,
        owner: owner.to_owned(),
        unit: unit.to_owned(),
        name: name.to_owned(),
        format,
        size: bytes.len() as u64,
        sm3: hex::encode(eseal::crypto::sm3::sm3(bytes)),
        pages,
        created: s.clock.now(),
        signed: None,
    };
    std::fs::create_dir_all(documents::doc_dir(s, &d.id)).map_err(e)?;
    eseal::fs::write_atomic(&documents::original_path(s, &d), &[bytes]).map_err(e)?;
    documents::save(s, &d)?;
    Ok(d)
}

/// Seeds the demo (when the database has no unit) and describes how to sign in.
pub fn seed(st: &AppState) -> ApiResult<String> {
    let s: &Inner = st;
    let fresh = s.store.query(&p::Query::new(Kind::Unit))?.total == 0;
    let demo_dir = s.cfg.data_dir.join("demo");
    std::fs::create_dir_all(&demo_dir).map_err(e)?;
    let (key, cert) = unit_ukey(s)?;
    let ukey_file = demo_dir.join("unit-ukey.json");
    if !ukey_file.exists() {
        eseal_soft_ukey::state::Provision {
            serial: UKEY_SERIAL.into(),
            label: "eseal demo unit UKey".into(),
            application: "ESEAL".into(),
            container: "SM2-SIGN".into(),
            user_pin: UKEY_PIN.into(),
            admin_pin: "12345678".into(),
            max_retries: 10,
            sign_key: key.to_bytes(),
            sign_cert: cert.der().to_vec(),
            quirks: Default::default(),
        }
        .create(&ukey_file)
        .map_err(e)?;
    }
    // Sample documents to upload (README's curl examples).
    for (name, bytes) in [
        ("sample.pdf", eseal::samples::sample_pdf(3, "eseal sample")),
        ("sample.ofd", eseal::samples::sample_ofd(3, "eseal sample")),
    ] {
        if !demo_dir.join(name).exists() {
            eseal::fs::write_atomic(&demo_dir.join(name), &[&bytes]).map_err(e)?;
        }
    }
    eseal::fs::write_atomic(
        &demo_dir.join("platform-root.pem"),
        &[s.ca.root.cert.to_pem().as_bytes()],
    )
    .map_err(e)?;
    if fresh {
        seed_platform(s, &key, &cert, &ukey_file)?;
    }
    let base = s.cfg.public_base();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Demo platform ({}):",
        if fresh { "created" } else { "already present" }
    );
    let _ = writeln!(
        out,
        "  URL           {base}/   (API: {base}/api/v1/…, OpenAPI: {base}/api/openapi.json)"
    );
    let _ = writeln!(
        out,
        "  unit          {UNIT_NAME} (统一社会信用代码 {})",
        unit_code()
    );
    let _ = writeln!(
        out,
        "  unit UKey     software UKey {} (PIN {UKEY_PIN}) — super administrator",
        ukey_file.display()
    );
    let _ = writeln!(
        out,
        "  staff (password {PASSWORD}, signing password {SIGNING_PASSWORD}):"
    );
    for (name, phone, _, role) in STAFF {
        let r = role
            .map(crate::api::views::role_zh)
            .unwrap_or("公务人员 (seal user)");
        let _ = writeln!(out, "    {phone}  {name}  {r}");
    }
    let _ = writeln!(
        out,
        "  back office   {}",
        s.cfg
            .operators
            .first()
            .map(|o| format!("{} / {}", o.name, o.password))
            .unwrap_or_else(|| "(none: set ESEAL_OPERATOR=name:password)".into())
    );
    let _ = writeln!(
        out,
        "  trust anchor  {}",
        demo_dir.join("platform-root.pem").display()
    );
    Ok(out)
}

fn seed_platform(
    s: &Inner,
    unit_key: &PrivateKey,
    unit_cert: &eseal::crypto::Certificate,
    ukey_file: &std::path::Path,
) -> ApiResult<()> {
    let ip = "127.0.0.1";
    let clock = Arc::new(FixedClock::new(s.clock.now() - 7200));
    let sms = Arc::new(crate::state::DevSms {
        db: s.db.clone(),
        clock: s.clock.clone(),
        quiet: true,
    });
    let seeder = Platform::new(s.services(clock.clone(), sms).map_err(e)?);
    // The unit UKey signs in as it would through the agent: the platform's challenge,
    // signed with the UKey's key, checked against the platform's trust anchors.
    let unit = {
        use eseal::crypto::Signer;
        let signer =
            eseal::crypto::SoftwareSigner::new(unit_key.clone(), unit_cert.clone()).map_err(e)?;
        let c = seeder.ukey_challenge()?;
        let sig = signer.sign_message(&c.bytes).map_err(e)?;
        let proof = p::UkeyProof {
            challenge_id: c.id,
            certificate: unit_cert.der().to_vec(),
            signature: sig.to_der(),
            device_serial: UKEY_SERIAL.into(),
        };
        seeder.login_ukey(p::UkeyKind::Unit, &proof, ip)?
    };
    let Identity::UnitKey { unit: unit_id, .. } = unit.identity.clone() else {
        return Err(e("unit login gave no unit identity"));
    };
    seeder.apply_unit_cert(
        &unit,
        "王经办",
        &id_number("19790909", 1),
        "13800000000",
        "demo@example.invalid",
        true,
    )?;
    let mut staff_ids = vec![];
    for (i, (name, phone, birth, role)) in STAFF.iter().enumerate() {
        let st = seeder.add_staff(&unit, name, phone, &id_number(birth, i as u32 + 10))?;
        let sess = Session {
            identity: Identity::Staff {
                unit: unit_id.clone(),
                staff: st.id.clone(),
                via_ukey: false,
            },
            ip: ip.into(),
        };
        set_passwords(s, &seeder, &clock, &sess, phone)?;
        if let Some(r) = role {
            seeder.grant_role(&unit, &st.id, *r)?;
        }
        staff_ids.push(st.id);
    }
    let ops = Session::operator("demo-seeding", ip);
    let apply = |kind, name: &str, bottom: &str| -> ApiResult<p::SealRecord> {
        use eseal::stamp::official::{OfficialSeal, OfficialStyle};
        let mut pic = OfficialSeal::new(OfficialStyle::Common, UNIT_NAME).dpi(300.0);
        if !bottom.is_empty() {
            pic = pic.bottom_text(bottom);
        }
        let seal = seeder.apply_seal(
            &unit,
            SealApplication {
                kind,
                name: name.into(),
                seal_type: 1,
                handler_name: "王经办".into(),
                handler_phone: "13800000000".into(),
                handler_id_number: id_number("19790909", 1),
                picture: pic.render().map_err(e)?.png,
                picture_format: "png".into(),
                generate: None,
                width_mm: 42,
                height_mm: 42,
            },
        )?;
        if seal.status == p::SealStatus::PendingReview {
            seeder.ca_review(&ops, &seal.id, true, "")?;
        }
        Ok(seeder.receipt_seal(&unit, &seal.id)?)
    };
    let cloud = apply(p::SealKind::Cloud, "上海市演示局合同专用章", "合同专用章")?;
    // The seal user (孙职员) and the seal administrator sign with the cloud seal.
    seeder.add_seal_user(&unit, &cloud.id, &staff_ids[5])?;
    seeder.add_seal_user(&unit, &cloud.id, &staff_ids[2])?;
    // The UKey seal, made for the unit UKey's certificate and written into its software UKey.
    let ukey_seal = apply(p::SealKind::Ukey, "上海市演示局公章", "")?;
    let mut key = crate::browser_ukey::BrowserUkey::new(unit_cert.der().to_vec());
    seeder.write_seal_to_ukey(
        &unit,
        &ukey_seal.id,
        &mut key,
        crate::browser_ukey::APPLICATION,
    )?;
    let mut state = eseal_soft_ukey::state::State::load(ukey_file).map_err(e)?;
    for (name, data) in key.written() {
        if let Some(app) = state.applications.first_mut() {
            app.files.retain(|f| &f.name != name);
            app.files.push(eseal_soft_ukey::state::File {
                name: name.clone(),
                read_rights: eseal::ukey::FileRights::ANYONE.0,
                write_rights: eseal::ukey::FileRights::USER.0,
                data: hex::encode(data),
            });
        }
        eseal::fs::write_atomic(&s.cfg.data_dir.join("demo").join("unit-seal.esl"), &[data])
            .map_err(e)?;
    }
    state.save(ukey_file).map_err(e)?;
    // Sample documents of the seal user.
    let user = &staff_ids[5];
    add_document(
        s,
        user,
        &unit_id,
        "示例合同.pdf",
        &eseal::samples::sample_pdf(3, "eseal demo contract"),
    )?;
    add_document(
        s,
        user,
        &unit_id,
        "示例公文.ofd",
        &eseal::samples::sample_ofd(3, "eseal 演示公文"),
    )?;
    seed_queue(&seeder, &unit, &ops, &cloud.id, &staff_ids[5], ip)
}

/// 签署授权 (2.8): an app of the unit, granted the cloud seal under manual confirmation by
/// the seal user (孙职员), with two of its signing requests waiting in the queue.
fn seed_queue(
    seeder: &Platform,
    unit: &Session,
    ops: &Session,
    seal: &str,
    confirmer: &str,
    ip: &str,
) -> ApiResult<()> {
    let app = seeder.create_app(
        unit,
        &p::AppInput {
            name: "演示公文系统".into(),
            contact: Some("王应用".into()),
            phone: Some("13800000001".into()),
            email: None,
            public_key_b64: None,
            ip_whitelist: vec![],
        },
    )?;
    if app.status == p::AppStatus::PendingReview {
        seeder.review_app(ops, &app.id, true, "")?;
    }
    seeder.grant_seal_to_app(unit, seal, &app.id, false)?;
    seeder.set_confirm_policy(
        unit,
        seal,
        &app.id,
        p::ConfirmPolicy::Manual {
            confirmers: vec![confirmer.to_owned()],
            sms_notice: false,
        },
    )?;
    for (i, (name, file_type)) in [
        ("关于印发年度工作要点的通知.pdf", p::FileFormat::Pdf),
        ("会议纪要.ofd", p::FileFormat::Ofd),
    ]
    .into_iter()
    .enumerate()
    {
        let call = p::AppCall {
            file_name: name.into(),
            file_type,
            pages: 2,
            serial: None,
            token: None,
            digest: eseal::crypto::sm3::sm3(name.as_bytes()),
        };
        let queued = seeder.app_sign(&app.id, seal, &call, ip)?;
        if !matches!(queued, p::AppSignOutcome::Queued(_)) {
            return Err(e(format!("demo app request {i} was not queued")));
        }
    }
    Ok(())
}
