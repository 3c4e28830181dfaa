//! The platform and a UKey end to end, through the real SKF C interface of the software UKey:
//! the unit UKey signs the platform's login challenge (1.2.1), the platform makes a UKey seal
//! for the key's certificate and writes it to the key (2.2.2 写入UKey), and the key then signs
//! an OFD and a PDF with the seal it holds; both verify against the platform's trust anchor.

mod common;
mod ukey_support;

use std::sync::Arc;

use common::TempDir;
use eseal::crypto::Signer;
use eseal::crypto::testca::{CertKind, default_validity};
use eseal::crypto::time::Time;
use eseal::platform::*;
use eseal::report::Verdict;
use eseal::ukey::seals::read_seals;
use eseal::ukey::{PinType, SkfLibrary, TokenLibrary, UkeySigner};
use eseal::validation::{TrustStore, VerifyOptions};
use eseal::{ofd, pdf, samples};
use eseal_soft_ukey::state::{Provision, Quirks};
use ukey_support::*;

const UNIT: &str = "上海市测试局";
const CODE: &str = "11310000MB0000001X";

#[test]
fn a_platform_made_seal_is_written_to_the_ukey_and_signs_with_it() {
    let t = TempDir::new("platform-ukey");
    let ca = test_ca();
    let (nb, na) = default_validity();
    // The unit's UKey (法人一证通): a certificate from the platform's CA naming the unit.
    let unit = ca
        .issue(
            "platform-unit-ukey",
            &[
                ("C", "CN"),
                ("O", UNIT),
                ("CN", UNIT),
                ("serialNumber", CODE),
            ],
            CertKind::Signing,
            nb,
            na,
        )
        .unwrap();
    let state = t.path().join("SN-PLAT.json");
    Provision {
        serial: "SN-PLAT".into(),
        label: "Unit key".into(),
        application: APP.into(),
        container: CONTAINER.into(),
        user_pin: USER_PIN.into(),
        admin_pin: ADMIN_PIN.into(),
        max_retries: 5,
        sign_key: unit.key.to_bytes(),
        sign_cert: unit.cert.der().to_vec(),
        quirks: Quirks::default(),
    }
    .create(&state)
    .unwrap();
    let soft = SoftUkey::with_state_files(t.path(), &[state]);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let name = lib.enumerate().unwrap().remove(0);

    let now = Time::from_ymd_hms(2026, 6, 1, 8, 0, 0).unwrap().unix();
    let clock = Arc::new(FixedClock::new(now));
    let p = Platform::new(
        Services::development(
            Arc::new(MemoryStore::new()),
            clock.clone(),
            Arc::new(DevSmsSender::new()),
            "eseal-ukey-tests",
        )
        .unwrap(),
    );

    // 1.2.1: the key signs the platform's challenge inside the UKey (PIN checked by the key).
    let signer = UkeySigner::open(lib.connect(&name).unwrap(), APP, None, USER_PIN).unwrap();
    let c = p.ukey_challenge().unwrap();
    let proof = UkeyProof {
        challenge_id: c.id.clone(),
        certificate: signer.certificate().der().to_vec(),
        signature: signer.sign_message(&c.bytes).unwrap().to_der(),
        device_serial: "SN-PLAT".into(),
    };
    let admin = p.login_ukey(UkeyKind::Unit, &proof, "10.0.0.1").unwrap();
    assert_eq!(p.ctx(&admin).unwrap().roles, vec![Role::SuperAdmin]);
    assert_eq!(p.unit(&admin).unwrap().name, UNIT);
    drop(signer);

    // 2.2.1 apply → CA review → 2.2.2 receipt → 写入UKey.
    p.apply_unit_cert(
        &admin,
        "经办人",
        &eseal::platform::conformance::id_number(9),
        "13900000009",
        "a@b.cn",
        true,
    )
    .unwrap();
    let seal = receipted_ukey_seal(&p, &admin, "公章");
    let mut tok = lib.connect(&name).unwrap();
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    let written = p
        .write_seal_to_ukey(&admin, &seal.id, tok.as_mut(), APP)
        .unwrap();
    drop(tok);
    assert!(written.written_to_ukey);
    let made = p.seal_der(&admin, &seal.id).unwrap();

    // Later: plug in, PIN, read the seal from the key and sign with the key's container.
    let signer = UkeySigner::open(lib.connect(&name).unwrap(), APP, None, USER_PIN).unwrap();
    let on_key = signer
        .with_token(|t| read_seals(t, Some(APP)))
        .unwrap()
        .remove(0)
        .seal;
    assert_eq!(on_key.der(), made.as_slice(), "the key holds the seal made");
    let when = Time::from_unix(now + 60);
    let opts = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: when,
        ..Default::default()
    };

    let mut req = ofd::SignRequest::new(ofd::SignKind::Seal(&on_key), when);
    req.placements.push(ofd::Placement::Stamp {
        page: 1,
        x_mm: 120.0,
        y_mm: 200.0,
        width_mm: None,
        height_mm: None,
    });
    let signed = ofd::sign(
        &ofd::Package::from_bytes(samples::sample_ofd(2, "platform-ukey")).unwrap(),
        &signer,
        &req,
    )
    .unwrap();
    let r = ofd::verify(
        &ofd::Package::from_bytes(signed).unwrap(),
        "platform-ukey.ofd",
        &opts,
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());

    let req = pdf::SignRequest::new(
        pdf::Credential::Seal {
            seal: &on_key,
            signer: &signer,
        },
        pdf::Placement::Stamp {
            page: 1,
            x: 380.0,
            y: 200.0,
            width: 119.0,
            height: 119.0,
        },
        when,
    );
    let signed = pdf::sign(&samples::sample_pdf(2, "platform-ukey"), &[req]).unwrap();
    let r = pdf::verify(&signed, "platform-ukey.pdf", &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());

    // A key whose certificate the platform does not trust gets no seal written.
    let stranger = eseal::crypto::testca::TestCa::new("stranger").unwrap();
    let other = stranger
        .issue(
            "k",
            &[("C", "CN"), ("O", UNIT), ("CN", UNIT)],
            CertKind::Signing,
            nb,
            na,
        )
        .unwrap();
    let state2 = t.path().join("SN-OTHER.json");
    Provision {
        serial: "SN-OTHER".into(),
        label: "Other".into(),
        application: APP.into(),
        container: CONTAINER.into(),
        user_pin: USER_PIN.into(),
        admin_pin: ADMIN_PIN.into(),
        max_retries: 5,
        sign_key: other.key.to_bytes(),
        sign_cert: other.cert.der().to_vec(),
        quirks: Quirks::default(),
    }
    .create(&state2)
    .unwrap();
    let soft2 = SoftUkey::with_state_files(t.path(), &[state2]);
    let lib2 = SkfLibrary::load(&soft2.lib).unwrap();
    let name2 = lib2.enumerate().unwrap().remove(0);
    let seal2 = receipted_ukey_seal(&p, &admin, "财务章");
    let mut tok = lib2.connect(&name2).unwrap();
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    assert!(matches!(
        p.write_seal_to_ukey(&admin, &seal2.id, tok.as_mut(), APP),
        Err(PlatformError::VerificationFailed(_))
    ));
    assert!(read_seals(tok.as_mut(), Some(APP)).unwrap().is_empty());
}

/// A UKey seal of the unit applied for, approved by the CA operator and receipted.
fn receipted_ukey_seal(p: &Platform, admin: &Session, name: &str) -> SealRecord {
    let seal = p
        .apply_seal(
            admin,
            SealApplication {
                kind: SealKind::Ukey,
                name: format!("{UNIT}{name}"),
                seal_type: 1,
                handler_name: "经办人".into(),
                handler_phone: "13900000001".into(),
                handler_id_number: eseal::platform::conformance::id_number(1),
                picture: eseal::platform::conformance::picture_png(),
                picture_format: "png".into(),
                generate: None,
                width_mm: 0,
                height_mm: 0,
            },
        )
        .unwrap();
    p.ca_review(&Session::operator("ops", "10.0.0.9"), &seal.id, true, "")
        .unwrap();
    p.receipt_seal(admin, &seal.id).unwrap();
    seal
}
