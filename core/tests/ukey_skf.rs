//! Every `Token` operation through the SKF loader against the software UKey cdylib, loaded by
//! path like a vendor library.

mod common;
mod ukey_support;

use common::TempDir;
use eseal::crypto::sm2;
use eseal::crypto::{Certificate, Signer};
use eseal::ses::SealBuilder;
use eseal::ukey::seals::{read_seals, seal_file_name, write_seal};
use eseal::ukey::{
    ContainerKind, FileRights, KeyIdentity, MatchRule, PinType, SkfConfig, SkfLibrary, Token,
    TokenLibrary, UkeyError, UkeySigner, UlongWidth,
};
use eseal_soft_ukey::state::{PinLockReport, Quirks};
use ukey_support::*;

fn connect_one(lib: &SkfLibrary) -> Box<dyn Token> {
    let names = lib.enumerate().expect("enumerate");
    assert_eq!(names.len(), 1, "{names:?}");
    lib.connect(&names[0]).expect("connect")
}

#[test]
fn every_token_operation() {
    let t = TempDir::new("ukey-ops");
    let soft = SoftUkey::new(t.path(), &[("SN0001", Quirks::default())]);
    let lib = SkfLibrary::load(&soft.lib).expect("load");
    let mut tok = connect_one(&lib);
    assert_eq!(tok.name(), "eseal-soft-ukey-SN0001");

    let info = tok.info().expect("info");
    assert_eq!(info.serial, "SN0001");
    assert_eq!(info.label, "Key SN0001");
    assert_eq!(info.manufacturer, "eseal soft UKey");
    assert_eq!(info.max_buffer_size, 1024);
    assert!(info.sm2);
    assert_eq!(info.version, (1, 0));

    assert_eq!(tok.applications().unwrap(), vec![APP.to_string()]);
    let pi = tok.pin_info(APP, PinType::User).unwrap();
    assert_eq!((pi.max_retries, pi.retries_left), (5, 5));
    assert!(matches!(tok.open_missing(), Err(UkeyError::NotFound(_))));

    // Files need the user PIN to be created here.
    assert!(matches!(
        tok.write_file(APP, "f", b"x", FileRights::ANYONE, FileRights::USER),
        Err(UkeyError::NotLoggedIn)
    ));
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, "654321"),
        Err(UkeyError::PinIncorrect { retries_left: 4 })
    ));
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, "12"),
        Err(UkeyError::PinLength)
    ));
    tok.verify_pin(APP, PinType::User, USER_PIN)
        .expect("right PIN");
    assert_eq!(
        tok.pin_info(APP, PinType::User).unwrap().retries_left,
        5,
        "a right PIN resets the counter"
    );

    let cons = tok.containers(APP).unwrap();
    assert_eq!(cons.len(), 1);
    assert_eq!(
        (cons[0].name.as_str(), cons[0].kind),
        (CONTAINER, ContainerKind::Sm2)
    );
    let ca = test_ca();
    assert_eq!(
        tok.certificate(APP, CONTAINER, true).unwrap(),
        ca.person.cert.der()
    );
    assert!(matches!(
        tok.certificate(APP, CONTAINER, false),
        Err(UkeyError::Skf {
            name: "SAR_CERTNOTFOUNTERR",
            ..
        })
    ));
    let pk = tok.public_key(APP, CONTAINER).unwrap();
    assert_eq!(
        pk,
        ca.person
            .cert
            .sm2_public_key()
            .unwrap()
            .to_sec1_uncompressed()
    );

    // Sign e = SM3(Z‖M) on the key; verify on the host.
    let pubkey = sm2::PublicKey::from_sec1(&pk).unwrap();
    let msg = b"login challenge 0123";
    let e = sm2::message_digest(&pubkey, sm2::DEFAULT_ID, msg);
    let rs = tok.sign_digest(APP, CONTAINER, &e).unwrap();
    sm2::verify(
        &pubkey,
        sm2::DEFAULT_ID,
        msg,
        &sm2::Signature::from_raw(&rs).unwrap(),
    )
    .expect("signature verifies");

    // Files: larger than MaxBufferSize, so reads and writes are chunked.
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    tok.write_file(APP, "big.bin", &data, FileRights::ANYONE, FileRights::USER)
        .unwrap();
    assert_eq!(tok.read_file(APP, "big.bin").unwrap(), data);
    let files = tok.files(APP).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (
            files[0].name.as_str(),
            files[0].size,
            files[0].read_rights,
            files[0].write_rights
        ),
        ("big.bin", 3000, FileRights::ANYONE, FileRights::USER)
    );
    // Re-writing with another size re-creates the file.
    tok.write_file(
        APP,
        "big.bin",
        b"short",
        FileRights::ANYONE,
        FileRights::USER,
    )
    .unwrap();
    assert_eq!(tok.read_file(APP, "big.bin").unwrap(), b"short");
    assert_eq!(tok.info().unwrap().free_space, 65536 - 5);
    tok.delete_file(APP, "big.bin").unwrap();
    assert!(matches!(
        tok.read_file(APP, "big.bin"),
        Err(UkeyError::NotFound(_))
    ));
    assert!(tok.files(APP).unwrap().is_empty());

    let r1 = tok.random(32).unwrap();
    let r2 = tok.random(32).unwrap();
    assert_eq!(r1.len(), 32);
    assert_ne!(r1, r2);

    // Change PIN; the old one is then wrong.
    tok.change_pin(APP, PinType::User, USER_PIN, "new-pin-1")
        .unwrap();
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, USER_PIN),
        Err(UkeyError::PinIncorrect { retries_left: 4 })
    ));
    tok.verify_pin(APP, PinType::User, "new-pin-1").unwrap();

    // After logout the key refuses to sign.
    tok.logout(APP).unwrap();
    assert!(matches!(
        tok.sign_digest(APP, CONTAINER, &e),
        Err(UkeyError::NotLoggedIn)
    ));

    // Identity candidates: device serial (no unique-ID extension in the test certificate).
    let id = KeyIdentity::new(tok.name(), &info, &ca.person.cert);
    assert_eq!(id.device_serial, "SN0001");
    assert_eq!(id.cert_unique_id, None);
    assert_eq!(
        id.key_uid(MatchRule::CertUniqueIdElseSerial).as_deref(),
        Some("SN0001")
    );
    assert!(id.matches("SN0001", MatchRule::DeviceSerial));
}

trait OpenMissing {
    fn open_missing(&mut self) -> Result<eseal::ukey::PinInfo, UkeyError>;
}
impl OpenMissing for Box<dyn Token> {
    fn open_missing(&mut self) -> Result<eseal::ukey::PinInfo, UkeyError> {
        self.pin_info("NO-SUCH-APP", PinType::User)
    }
}

#[test]
fn ukey_signer_signature_verifies_with_openssl() {
    let t = TempDir::new("ukey-openssl");
    let soft = SoftUkey::new(t.path(), &[("SN0002", Quirks::default())]);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let tok = connect_one(&lib);
    let signer = UkeySigner::open(tok, APP, None, USER_PIN).expect("open signer");
    assert_eq!(signer.container(), CONTAINER);
    let msg = "电子印章 UKey signature test".as_bytes();
    let sig = signer.sign_message(msg).expect("sign");

    std::fs::write(t.path().join("msg"), msg).unwrap();
    std::fs::write(t.path().join("sig.der"), sig.to_der()).unwrap();
    std::fs::write(
        t.path().join("pub.pem"),
        signer.certificate().sm2_public_key().unwrap().to_pem(),
    )
    .unwrap();
    let out = common::tool("openssl")
        .current_dir(t.path())
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "msg",
            "-sigfile",
            "sig.der",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("Signature Verified Successfully"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A wrong message does not verify (the check can fail).
    std::fs::write(t.path().join("msg"), b"another message").unwrap();
    let out = common::tool("openssl")
        .current_dir(t.path())
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "msg",
            "-sigfile",
            "sig.der",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // A wrong PIN is reported through the Signer error type too.
    let tok = lib.connect(&lib.enumerate().unwrap()[0]).unwrap();
    let err = UkeySigner::open(tok, APP, None, "999999").unwrap_err();
    assert!(
        matches!(err, UkeyError::PinIncorrect { retries_left: 4 }),
        "{err}"
    );
}

fn lockout(report: PinLockReport) {
    let t = TempDir::new("ukey-lock");
    let quirks = Quirks {
        pin_lock_report: report,
        ..Quirks::default()
    };
    let soft = SoftUkey::new(t.path(), &[("SN0003", quirks)]);
    {
        let lib = SkfLibrary::load(&soft.lib).unwrap();
        let mut tok = connect_one(&lib);
        for left in (1..5).rev() {
            match tok.verify_pin(APP, PinType::User, "000000") {
                Err(UkeyError::PinIncorrect { retries_left }) => assert_eq!(retries_left, left),
                other => panic!("expected PinIncorrect({left}), got {other:?}"),
            }
        }
        // The fifth wrong PIN locks, whichever way the vendor reports it.
        assert!(matches!(
            tok.verify_pin(APP, PinType::User, "000000"),
            Err(UkeyError::PinLocked)
        ));
        assert!(matches!(
            tok.verify_pin(APP, PinType::User, USER_PIN),
            Err(UkeyError::PinLocked)
        ));
        assert!(tok.pin_info(APP, PinType::User).unwrap().locked());
    }
    assert_eq!(
        soft.state("SN0003").applications[0].user_pin.remaining,
        0,
        "persisted"
    );
    // "Restart": a fresh copy of the library over the same state file.
    let again = SoftUkey::with_state_files(t.path(), &[soft.state_file("SN0003")]);
    let lib = SkfLibrary::load(&again.lib).unwrap();
    let mut tok = connect_one(&lib);
    assert_eq!(tok.pin_info(APP, PinType::User).unwrap().retries_left, 0);
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, USER_PIN),
        Err(UkeyError::PinLocked)
    ));
}

#[test]
fn wrong_pin_counts_down_locks_and_stays_locked_after_reload() {
    lockout(PinLockReport::Locked);
}

#[test]
fn lock_reported_as_incorrect_with_zero_tries_is_locked() {
    lockout(PinLockReport::IncorrectZero);
}

fn test_seal(ca: &eseal::crypto::testca::TestCa) -> Vec<u8> {
    let (nb, na) = eseal::crypto::testca::default_validity();
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend((0..2500u32).map(|i| (i % 200) as u8));
    SealBuilder::new("上海市测试局公章", "310000000000001")
        .seal_type(1)
        .picture("png", png, 42, 42)
        .valid(nb, na)
        .created(nb)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .expect("seal")
        .der()
        .to_vec()
}

#[test]
fn seal_written_to_the_key_is_read_back_after_reconnect() {
    let t = TempDir::new("ukey-seal");
    let soft = SoftUkey::new(t.path(), &[("SN0004", Quirks::default())]);
    let ca = test_ca();
    let der = test_seal(&ca);
    assert!(der.len() > 1024, "larger than MaxBufferSize");
    let name = seal_file_name("ESL", &der);
    assert!(name.len() <= 32);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    {
        let mut tok = connect_one(&lib);
        assert!(matches!(
            write_seal(tok.as_mut(), APP, &name, &der),
            Err(UkeyError::NotLoggedIn)
        ));
        tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
        write_seal(tok.as_mut(), APP, &name, &der).expect("write seal");
        // A file that is not a seal is ignored when reading.
        tok.write_file(
            APP,
            "notes.txt",
            b"0 not a seal",
            FileRights::ANYONE,
            FileRights::USER,
        )
        .unwrap();
        assert!(matches!(
            write_seal(tok.as_mut(), APP, "x", b"\x30\x03\x02\x01\x01"),
            Err(UkeyError::Invalid(_))
        ));
    } // dropped: disconnected
    let mut tok = connect_one(&lib);
    let seals = read_seals(tok.as_mut(), None).expect("read seals");
    assert_eq!(seals.len(), 1);
    assert_eq!(seals[0].file, name);
    assert_eq!(seals[0].application, APP);
    assert_eq!(seals[0].seal.der(), der.as_slice());
    assert_eq!(seals[0].seal.name, "上海市测试局公章");
}

#[test]
fn bad_library_path_and_missing_symbol_give_clear_errors() {
    let err = SkfLibrary::load("/nonexistent/libvendor_skf.so").unwrap_err();
    assert!(matches!(err, UkeyError::LibraryLoad { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/libvendor_skf.so"),
        "{err}"
    );

    // A file that is not a library.
    let t = TempDir::new("ukey-badlib");
    let fake = t.path().join("libfake.so");
    std::fs::write(&fake, b"not an ELF file").unwrap();
    let err = SkfLibrary::load(&fake).unwrap_err();
    assert!(matches!(err, UkeyError::LibraryLoad { .. }), "{err:?}");

    // A real shared library without the SKF functions: the C library itself.
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
        "/lib64/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/usr/lib/libSystem.B.dylib",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("a C library to load");
    let err = SkfLibrary::load(libc).unwrap_err();
    assert!(
        matches!(
            err,
            UkeyError::MissingSymbol {
                symbol: "SKF_EnumDev",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("does not export SKF_EnumDev"),
        "{err}"
    );

    // A device that is not there.
    let soft = SoftUkey::new(t.path(), &[("SN0005", Quirks::default())]);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    assert!(matches!(
        lib.connect("no-such-key"),
        Err(UkeyError::NoDevice(_))
    ));
}

#[test]
fn zero_one_and_two_devices_and_removal() {
    let t = TempDir::new("ukey-devs");
    let none = SoftUkey::with_state_files(t.path(), &[]);
    assert!(
        SkfLibrary::load(&none.lib)
            .unwrap()
            .enumerate()
            .unwrap()
            .is_empty()
    );
    let two = SoftUkey::new(
        t.path(),
        &[("SN-A", Quirks::default()), ("SN-B", Quirks::default())],
    );
    let lib = SkfLibrary::load(&two.lib).unwrap();
    assert_eq!(
        lib.enumerate().unwrap(),
        vec![
            "eseal-soft-ukey-SN-A".to_string(),
            "eseal-soft-ukey-SN-B".to_string()
        ]
    );
    let tok = lib.connect("eseal-soft-ukey-SN-B").unwrap();
    assert_eq!(tok.info().unwrap().serial, "SN-B");
    // Pull the key out: the state file says absent.
    let mut st = two.state("SN-B");
    st.present = false;
    st.save(&two.state_file("SN-B")).unwrap();
    assert!(matches!(tok.info(), Err(UkeyError::DeviceRemoved)));
    assert_eq!(lib.enumerate().unwrap().len(), 1);
}

#[test]
fn ulong64_library_needs_the_u64_setting() {
    let t = TempDir::new("ukey-ulong64");
    let soft = SoftUkey::new(
        t.path(),
        &[(
            "SN0064",
            Quirks {
                ulong64: true,
                ..Quirks::default()
            },
        )],
    );
    // With the spec's 32-bit setting the blob length gives the mismatch away.
    {
        let lib = SkfLibrary::load(&soft.lib).unwrap();
        let mut tok = connect_one(&lib);
        let err = tok.public_key(APP, CONTAINER).unwrap_err();
        assert!(
            err.to_string().contains("136 bytes") && err.to_string().contains("u64"),
            "{err}"
        );
    }
    let again = SoftUkey::with_state_files(t.path(), &[soft.state_file("SN0064")]);
    let lib = SkfLibrary::load_with(
        &again.lib,
        SkfConfig {
            ulong_width: UlongWidth::U64,
            ..SkfConfig::default()
        },
    )
    .unwrap();
    let mut tok = connect_one(&lib);
    let info = tok.info().unwrap();
    assert_eq!(
        (info.serial.as_str(), info.max_buffer_size, info.total_space),
        ("SN0064", 1024, 65536)
    );
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, "000000"),
        Err(UkeyError::PinIncorrect { retries_left: 4 })
    ));
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    assert_eq!(tok.pin_info(APP, PinType::User).unwrap().max_retries, 5);
    assert_eq!(tok.containers(APP).unwrap()[0].kind, ContainerKind::Sm2);
    let pk = sm2::PublicKey::from_sec1(&tok.public_key(APP, CONTAINER).unwrap()).unwrap();
    let e = sm2::message_digest(&pk, sm2::DEFAULT_ID, b"m");
    let rs = tok.sign_digest(APP, CONTAINER, &e).unwrap();
    sm2::verify_digest(&pk, &e, &sm2::Signature::from_raw(&rs).unwrap()).unwrap();
    let data = vec![0x5Au8; 1500];
    tok.write_file(APP, "f", &data, FileRights::ANYONE, FileRights::USER)
        .unwrap();
    assert_eq!(tok.files(APP).unwrap()[0].size, 1500);
    assert_eq!(tok.read_file(APP, "f").unwrap(), data);
}

#[test]
fn sm2_algorithm_id_and_pem_certificate_quirks() {
    let t = TempDir::new("ukey-algid");
    let quirks = Quirks {
        sm2_alg_id: Some(0x0002_0200),
        cert_pem: true,
        ..Quirks::default()
    };
    let soft = SoftUkey::new(t.path(), &[("SN0200", quirks)]);
    {
        let lib = SkfLibrary::load(&soft.lib).unwrap();
        let mut tok = connect_one(&lib);
        let info = tok.info().unwrap();
        assert_eq!(info.alg_asym_cap, 0x0002_0200);
        assert!(info.sm2, "the default setting knows both IDs");
        // PEM from the library, DER from the loader.
        let der = tok.certificate(APP, CONTAINER, true).unwrap();
        assert_eq!(
            Certificate::from_der(&der).unwrap().der(),
            test_ca().person.cert.der()
        );
    }
    let again = SoftUkey::with_state_files(t.path(), &[soft.state_file("SN0200")]);
    let lib = SkfLibrary::load_with(
        &again.lib,
        SkfConfig {
            sm2_alg_ids: vec![0x0002_0100],
            ..SkfConfig::default()
        },
    )
    .unwrap();
    assert!(!connect_one(&lib).info().unwrap().sm2);
}

/// Done-when of the issue, for the SES layer: a seal written to the (software) UKey is read
/// back from it and used, with the key's own SM2 key, to make a GB/T 38540 signature that
/// verifies (PDF/OFD wrap this same signature).
#[test]
fn seal_on_the_key_signs_and_verifies_an_ses_signature() {
    use eseal::crypto::time::Time;
    use eseal::report::Verdict;
    use eseal::ses::{self, DataCheck};
    use eseal::validation::TrustStore;
    use eseal::validation::VerifyOptions;

    let t = TempDir::new("ukey-ses");
    let soft = SoftUkey::new(t.path(), &[("SN-SES", Quirks::default())]);
    let ca = test_ca();
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let mut tok = connect_one(&lib);
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    write_seal(tok.as_mut(), APP, "ESL-1", &test_seal(&ca)).unwrap();
    drop(tok);

    let tok = connect_one(&lib);
    let signer = UkeySigner::open(tok, APP, None, USER_PIN).unwrap();
    let seal = signer
        .with_token(|t| read_seals(t, Some(APP)))
        .unwrap()
        .remove(0)
        .seal;
    let data = b"document bytes protected by the signature";
    let hash = eseal::crypto::sm3::sm3(data);
    let when = Time::from_ymd_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let sig = ses::sign(&seal, &signer, &hash, "contract.ofd", when).expect("sign with the UKey");
    let opts = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: when,
        ..Default::default()
    };
    let r = ses::verify_signature(
        sig.to_der(),
        DataCheck::Hash(&hash),
        Some("contract.ofd"),
        "ukey",
        &opts,
    );
    assert_eq!(r.verdict(), Verdict::Valid, "{:#?}", r.checks);
    let r = ses::verify_signature(
        sig.to_der(),
        DataCheck::Hash(&eseal::crypto::sm3::sm3(b"changed")),
        None,
        "ukey",
        &opts,
    );
    assert_eq!(r.verdict(), Verdict::Invalid);
}

/// Provisioning through SKF: key pair generated on the key (with the device's SM2 algorithm
/// ID), certificate issued for it by the CA and imported; the container then signs.
#[test]
fn key_generated_on_the_token_gets_a_certificate_and_signs() {
    use eseal::crypto::testca::{CertKind, default_validity};
    for (serial, alg) in [("GEN-0100", None), ("GEN-0200", Some(0x0002_0200))] {
        let t = TempDir::new("ukey-gen");
        let soft = SoftUkey::new(
            t.path(),
            &[(
                serial,
                Quirks {
                    sm2_alg_id: alg,
                    ..Quirks::default()
                },
            )],
        );
        let lib = SkfLibrary::load(&soft.lib).unwrap();
        let mut tok = connect_one(&lib);
        assert!(matches!(
            tok.create_container(APP, "GEN"),
            Err(UkeyError::NotLoggedIn)
        ));
        tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
        tok.create_container(APP, "GEN").unwrap();
        let pk = tok
            .generate_sm2_key(APP, "GEN")
            .expect("generate on the key");
        assert_eq!(tok.public_key(APP, "GEN").unwrap(), pk);
        let ca = test_ca();
        let (nb, na) = default_validity();
        let cert = ca
            .issue_for_key(
                &sm2::PublicKey::from_sec1(&pk).unwrap(),
                &[("C", "CN"), ("CN", "李四")],
                CertKind::Signing,
                nb,
                na,
            )
            .unwrap();
        tok.import_certificate(APP, "GEN", true, cert.der())
            .unwrap();
        let kinds: Vec<_> = tok
            .containers(APP)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.kind))
            .collect();
        assert!(
            kinds.contains(&("GEN".to_string(), ContainerKind::Sm2)),
            "{kinds:?}"
        );
        let signer = UkeySigner::open(tok, APP, Some("GEN"), USER_PIN).unwrap();
        let sig = signer.sign_message(b"hello").unwrap();
        sm2::verify(
            cert.sm2_public_key().unwrap(),
            sm2::DEFAULT_ID,
            b"hello",
            &sig,
        )
        .unwrap();
    }
    // A library set up for the SKF-header ID only asks a 0x00020200 device with the wrong ID.
    let t = TempDir::new("ukey-gen-wrong");
    let soft = SoftUkey::new(
        t.path(),
        &[(
            "GEN-X",
            Quirks {
                sm2_alg_id: Some(0x0002_0200),
                ..Quirks::default()
            },
        )],
    );
    let lib = SkfLibrary::load_with(
        &soft.lib,
        SkfConfig {
            sm2_alg_ids: vec![0x0002_0100],
            ..SkfConfig::default()
        },
    )
    .unwrap();
    let mut tok = connect_one(&lib);
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    tok.create_container(APP, "GEN").unwrap();
    assert!(matches!(
        tok.generate_sm2_key(APP, "GEN"),
        Err(UkeyError::NotSupported("SKF_GenECCKeyPair"))
    ));
}

#[test]
fn admin_pin_unblocks_a_locked_user_pin() {
    let t = TempDir::new("ukey-unblock");
    let soft = SoftUkey::new(t.path(), &[("UNB", Quirks::default())]);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let mut tok = connect_one(&lib);
    for _ in 0..5 {
        let _ = tok.verify_pin(APP, PinType::User, "000000");
    }
    assert!(matches!(
        tok.verify_pin(APP, PinType::User, USER_PIN),
        Err(UkeyError::PinLocked)
    ));
    assert!(matches!(
        tok.unblock_pin(APP, "wrong-admin", "654321"),
        Err(UkeyError::PinIncorrect { retries_left: 4 })
    ));
    tok.unblock_pin(APP, ADMIN_PIN, "654321").unwrap();
    tok.verify_pin(APP, PinType::User, "654321").unwrap();
    assert_eq!(tok.pin_info(APP, PinType::User).unwrap().retries_left, 5);
    assert_eq!(
        tok.pin_info(APP, PinType::Admin).unwrap().retries_left,
        5,
        "the right admin PIN resets its counter"
    );
}
