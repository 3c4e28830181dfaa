//! The demo data set of `eseal-server --demo` (the README's first command): a unit with a
//! software UKey (its super administrator), one staff member per role with passwords, a cloud
//! seal and a UKey seal (reviewed, receipted), sample PDF and OFD documents. Everything goes
//! through the platform's rules except setting the demo passwords (no SMS round trip at
//! seeding). Run on a database that has units already, it only prints the sign-ins again.

use std::fmt::Write;

use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::testca::{CertKind, default_validity};
use eseal::platform::{self as p, Identity, Kind, Role, SealApplication, Session};

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

fn set_passwords(s: &Inner, staff: &str) -> ApiResult<()> {
    use argon2::password_hash::PasswordHasher;
    let hash = |pw: &str| -> ApiResult<String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(e)?;
        argon2::Argon2::default()
            .hash_password_with_salt(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(e)
    };
    let c = p::Credential {
        id: staff.to_owned(),
        password_hash: Some(hash(PASSWORD)?),
        signing_password_hash: Some(hash(SIGNING_PASSWORD)?),
        failed_logins: 0,
        locked_until: None,
    };
    let body = serde_json::to_string(&c).map_err(e)?;
    s.platform
        .store()
        .insert(Kind::Credential, staff, &body, &[])?;
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
    let fresh = s.platform.store().list(Kind::Unit)?.is_empty();
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
        seed_platform(s, &cert)?;
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

fn seed_platform(s: &Inner, unit_cert: &eseal::crypto::Certificate) -> ApiResult<()> {
    let ip = "127.0.0.1";
    let unit = s.platform.login_unit_key(
        UNIT_NAME,
        &unit_code(),
        &unit_cert.serial_hex(),
        &unit_cert.subject_string(),
        UKEY_SERIAL,
        ip,
    )?;
    let Identity::UnitKey { unit: unit_id, .. } = unit.identity.clone() else {
        return Err(e("unit login gave no unit identity"));
    };
    s.platform.apply_unit_cert(
        &unit,
        "王经办",
        &id_number("19790909", 1),
        "13800000000",
        "demo@example.invalid",
        true,
    )?;
    let mut staff_ids = vec![];
    for (i, (name, phone, birth, role)) in STAFF.iter().enumerate() {
        let st = s
            .platform
            .add_staff(&unit, name, phone, &id_number(birth, i as u32 + 10))?;
        set_passwords(s, &st.id)?;
        if let Some(r) = role {
            s.platform.grant_role(&unit, &st.id, *r)?;
        }
        staff_ids.push(st.id);
    }
    let ops = Session::operator("demo-seeding", ip);
    let picture = |text: &str, bottom: &str| -> ApiResult<Vec<u8>> {
        use eseal::stamp::official::{OfficialSeal, OfficialStyle};
        Ok(OfficialSeal::new(OfficialStyle::Common, text)
            .bottom_text(bottom)
            .dpi(300.0)
            .render()
            .map_err(e)?
            .png)
    };
    let apply = |kind, name: &str, bottom: &str| -> ApiResult<p::Seal> {
        let seal = s.platform.apply_seal(
            &unit,
            SealApplication {
                kind,
                name: name.into(),
                seal_type: 1,
                handler_name: "王经办".into(),
                handler_phone: "13800000000".into(),
                handler_id_number: id_number("19790909", 1),
                picture: picture(UNIT_NAME, bottom)?,
                picture_format: "png".into(),
                width_mm: 42,
                height_mm: 42,
            },
        )?;
        if seal.status == p::SealStatus::PendingReview {
            s.platform.ca_review(&ops, &seal.id, true, "")?;
        }
        Ok(s.platform.receipt_seal(&unit, &seal.id)?)
    };
    let cloud = apply(p::SealKind::Cloud, "上海市演示局合同专用章", "合同专用章")?;
    // The seal user (孙职员) and the seal administrator sign with the cloud seal.
    s.platform.add_seal_user(&unit, &cloud.id, &staff_ids[5])?;
    s.platform.add_seal_user(&unit, &cloud.id, &staff_ids[2])?;
    let ukey_seal = apply(p::SealKind::Ukey, "上海市演示局公章", "")?;
    let written = s.platform.write_seal_to_ukey(&unit, &ukey_seal.id)?;
    let ses = crate::signing::make_ses_seal(s, &written, unit_cert)?;
    eseal::fs::write_atomic(
        &s.cfg.data_dir.join("demo").join("unit-seal.esl"),
        &[ses.der()],
    )
    .map_err(e)?;
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
    Ok(())
}
