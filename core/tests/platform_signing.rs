//! The platform signs for real: a cloud seal made by the platform signs a PDF and an OFD
//! through the key vault, and the library's verifiers (the same as `eseal pdf verify` /
//! `eseal ofd verify`) and qpdf accept them; the key vault keeps keys encrypted at rest.

mod ofd_support;

use std::sync::Arc;

use eseal::crypto::Signer;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::platform::conformance::Fx;
use eseal::platform::vault::{StoreKeyVault, VaultSigner};
use eseal::platform::*;
use eseal::report::Verdict;
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;
use eseal::{ofd, pdf, samples};

fn opts(now: i64) -> VerifyOptions {
    VerifyOptions {
        trust: TrustStore::new().with(TestCa::new("conformance").unwrap().root.cert),
        at: Time::from_unix(now),
        ..Default::default()
    }
}

#[test]
fn a_cloud_seal_signs_a_pdf_and_an_ofd_that_verify() {
    let f = Fx::new(Arc::new(MemoryStore::new()));
    let p = &f.p;
    let (me, sess) = f.staff("签署人", &[]);
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "测试单位A合同专用章");
    p.add_seal_user(&f.admin, &seal.id, &me.id).unwrap();
    p.send_session_code(&sess, SmsPurpose::Sign).unwrap();
    let code = f.sms.last_code(&me.phone).unwrap();
    let qr = eseal::stamp::qr::AntiForgeryQr {
        template: "https://eseal.test/verify?doc={doc_id}&digest={digest}".into(),
        doc_id: "1".into(),
        digest: vec![1; 32],
        size_mm: 20.0,
        ..Default::default()
    }
    .render()
    .unwrap();
    let pdf_doc = DocumentInput {
        name: "合同.pdf".into(),
        bytes: samples::sample_pdf(3, "platform"),
        layout: Layout::Pdf {
            placements: vec![
                pdf::Placement::Stamp {
                    page: 1,
                    x: 380.0,
                    y: 200.0,
                    width: 119.0,
                    height: 119.0,
                },
                pdf::Placement::CrossPage {
                    first: None,
                    last: None,
                    width: 119.0,
                    height: 119.0,
                    centre_y: None,
                },
            ],
            qr: Some(pdf::QrCode {
                png: qr.png.clone(),
                page: 1,
                x: 40.0,
                y: 120.0,
                size: 57.0,
            }),
        },
        thumbnail: None,
    };
    let signed = p
        .sign_document(&sess, &seal.id, &pdf_doc, &SignCredential::SmsCode(code))
        .unwrap();
    assert_eq!(signed.record.seals, vec![seal.name.clone()]);
    assert_eq!(signed.record.pages, 3);
    let report = pdf::verify(&signed.bytes, "合同.pdf", &opts(p.now())).unwrap();
    assert_eq!(report.signatures.len(), 2, "{}", report.to_text());
    // exit 0 of `eseal pdf verify`; the first signature warns that the second one's stamps
    // (an allowed later change) draw over its pages, as with any two stamped signatures
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    assert_eq!(
        report.signatures[1].verdict(),
        Verdict::Valid,
        "{}",
        report.to_text()
    );
    // the outside validator
    let dir = std::env::temp_dir().join(format!("eseal-platform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("signed.pdf");
    std::fs::write(&path, &signed.bytes).unwrap();
    match std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "qpdf --check: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("SKIP qpdf --check: {e} (scripts/setup.d/60-pdf.sh installs it)"),
    }
    // an OFD with the signing password
    f.clock.advance(61);
    p.send_session_code(&sess, SmsPurpose::SetPassword).unwrap();
    let c = f.sms.last_code(&me.phone).unwrap();
    p.set_signing_password(&sess, &c, "135790").unwrap();
    let ofd_doc = DocumentInput {
        name: "公文.ofd".into(),
        bytes: samples::sample_ofd(2, "platform"),
        layout: Layout::Ofd {
            placements: vec![
                ofd::Placement::Stamp {
                    page: 1,
                    x_mm: 120.0,
                    y_mm: 200.0,
                    width_mm: None,
                    height_mm: None,
                },
                ofd::Placement::CrossPage {
                    pages: None,
                    y_mm: None,
                    width_mm: None,
                    height_mm: None,
                },
            ],
            qr: Some(ofd::QrCode {
                png: qr.png,
                page: 1,
                x_mm: 20.0,
                y_mm: 250.0,
                size_mm: 20.0,
            }),
        },
        thumbnail: None,
    };
    let signed = p
        .sign_document(
            &sess,
            &seal.id,
            &ofd_doc,
            &SignCredential::SigningPassword("135790".into()),
        )
        .unwrap();
    let report = ofd::verify(
        &ofd::Package::from_bytes(signed.bytes.clone()).unwrap(),
        "公文.ofd",
        &opts(p.now()),
    )
    .unwrap();
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    std::fs::write(dir.join("signed.ofd"), &signed.bytes).unwrap();
    ofdjs_accepts(&dir.join("signed.ofd"));
    // the file list names the seal; the seal counts its uses
    let files = p.list_files(&sess, &FileQuery::default()).unwrap();
    assert_eq!(files.total, 2);
    assert_eq!(p.seal(&f.admin, &seal.id).unwrap().sign_count, 2);
    // a frozen seal signs nothing; a staff member who is not a user cannot
    p.freeze_seal(&f.admin, &seal.id).unwrap();
    assert!(matches!(
        p.sign_document(
            &sess,
            &seal.id,
            &ofd_doc,
            &SignCredential::SigningPassword("135790".into())
        ),
        Err(PlatformError::InvalidState(_))
    ));
    p.unfreeze_seal(&f.admin, &seal.id).unwrap();
    let (_, other) = f.staff("旁人", &[]);
    assert!(matches!(
        p.sign_document(
            &other,
            &seal.id,
            &ofd_doc,
            &SignCredential::SmsCode("1".into())
        ),
        Err(PlatformError::Forbidden(_))
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_key_vault_keeps_keys_encrypted_at_rest() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let master = [7u8; 16];
    let vault = Arc::new(StoreKeyVault::new(store.clone(), &master).unwrap());
    let pk = vault.create("k1").unwrap();
    let stored = store.get(Kind::VaultKey, "k1").unwrap().unwrap().body;
    assert!(stored.contains("SM4-GCM"));
    // the vault signs; the signature verifies with the public key
    let e = [3u8; 32];
    let sig = vault.sign_digest("k1", &e).unwrap();
    eseal::crypto::sm2::verify_digest(&pk, &e, &sig).unwrap();
    // the same store with another master key cannot sign
    let wrong = StoreKeyVault::new(store.clone(), &[8u8; 16]).unwrap();
    assert!(matches!(
        wrong.sign_digest("k1", &e),
        Err(VaultError::Decrypt(_))
    ));
    // a ciphertext moved to another id does not decrypt (the id is bound as AAD)
    let mut w = store.get(Kind::VaultKey, "k1").unwrap().unwrap().body;
    w = w.replace("\"id\":\"k1\"", "\"id\":\"k2\"");
    store
        .commit(
            &Batch {
                writes: vec![Write::Insert {
                    kind: Kind::VaultKey,
                    id: "k2".into(),
                    body: w,
                    unique: vec![],
                    index: Index::default(),
                }],
                audit: vec![],
            },
            &eseal::platform::audit::AuditMac::new(&[0; 16]).unwrap(),
        )
        .unwrap();
    assert!(matches!(
        vault.sign_digest("k2", &e),
        Err(VaultError::Decrypt(_))
    ));
    // bad master keys are refused; destroyed keys are gone
    assert!(StoreKeyVault::new(store.clone(), &[1u8; 5]).is_err());
    vault.destroy("k1").unwrap();
    assert!(matches!(
        vault.sign_digest("k1", &e),
        Err(VaultError::UnknownKey(_))
    ));
    // a vault key with a certificate is a Signer
    let ca = TestCa::new("vault").unwrap();
    let pk = vault.create("k3").unwrap();
    let cert = ca
        .issue_for_key(
            &pk,
            &[("CN", "vault key")],
            eseal::crypto::testca::CertKind::Signing,
            Time::from_unix(0),
            Time::from_unix(4_000_000_000),
        )
        .unwrap();
    let s = VaultSigner::new(vault, "k3", cert);
    let sig = s.sign_message(b"hello").unwrap();
    eseal::crypto::sm2::verify(&pk, eseal::crypto::sm2::DEFAULT_ID, b"hello", &sig).unwrap();
}

/// Several cloud seals on one file (2.5 "可选中多个章进行签署"): one signing, one file record
/// naming every seal used, each seal's use counted; a seal the signer may not use spoils the
/// whole signing (no record, no count).
#[test]
fn several_cloud_seals_sign_one_file_with_one_record() {
    let f = Fx::new(Arc::new(MemoryStore::new()));
    let p = &f.p;
    let (me, sess) = f.staff("签署人", &[]);
    let a = f.valid_seal(&f.admin, SealKind::Cloud, "测试单位A合同专用章");
    let b = f.valid_seal(&f.admin, SealKind::Cloud, "测试单位A财务专用章");
    let c = f.valid_seal(&f.admin, SealKind::Cloud, "测试单位A人事专用章");
    p.add_seal_user(&f.admin, &a.id, &me.id).unwrap();
    p.add_seal_user(&f.admin, &b.id, &me.id).unwrap();
    p.send_session_code(&sess, SmsPurpose::SetPassword).unwrap();
    let code = f.sms.last_code(&me.phone).unwrap();
    p.set_signing_password(&sess, &code, "135790").unwrap();
    let stamp = |x: f64| Layout::Pdf {
        placements: vec![pdf::Placement::Stamp {
            page: 1,
            x,
            y: 200.0,
            width: 119.0,
            height: 119.0,
        }],
        qr: None,
    };
    let doc = DocumentInput {
        name: "多章.pdf".into(),
        bytes: samples::sample_pdf(2, "several"),
        layout: stamp(100.0),
        thumbnail: None,
    };
    let uses = |ids: &[&str]| -> Vec<SealLayout> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| SealLayout {
                seal: id.to_string(),
                layout: stamp(100.0 + 150.0 * i as f64),
            })
            .collect()
    };
    let pw = SignCredential::SigningPassword("135790".into());
    // not a user of c: refused, nothing recorded
    assert!(matches!(
        p.sign_document_with(&sess, &uses(&[&a.id, &c.id]), &doc, &pw),
        Err(PlatformError::Forbidden(_))
    ));
    assert_eq!(p.list_files(&sess, &FileQuery::default()).unwrap().total, 0);
    let signed = p
        .sign_document_with(&sess, &uses(&[&a.id, &b.id]), &doc, &pw)
        .unwrap();
    assert_eq!(signed.record.seals, vec![a.name.clone(), b.name.clone()]);
    let files = p.list_files(&sess, &FileQuery::default()).unwrap();
    assert_eq!(files.total, 1, "one record for the signing");
    assert_eq!(p.seal(&f.admin, &a.id).unwrap().sign_count, 1);
    assert_eq!(p.seal(&f.admin, &b.id).unwrap().sign_count, 1);
    assert_eq!(p.seal(&f.admin, &c.id).unwrap().sign_count, 0);
    let report = pdf::verify(&signed.bytes, "多章.pdf", &opts(p.now())).unwrap();
    assert_eq!(report.signatures.len(), 2, "{}", report.to_text());
    // exit 0 of `eseal pdf verify` (the first signature may warn that the second's stamp,
    // an allowed later change, draws on its page)
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    assert_eq!(
        report.signatures[1].verdict(),
        Verdict::Valid,
        "{}",
        report.to_text()
    );
}

/// The outside OFD validator: ofd.js parses the platform-signed OFD and its own SM2 check of
/// every signature passes.
fn ofdjs_accepts(file: &std::path::Path) {
    let Some(v) = ofd_support::ofdjs_report(file) else {
        return;
    };
    assert_eq!(v["ok"], true, "{v}");
    let sigs = v["signatures"].as_array().unwrap();
    assert!(!sigs.is_empty(), "{v}");
    for s in sigs {
        assert_eq!(s["verify"], true, "ofd.js's SM2 check of {}: {v}", s["id"]);
        assert_ne!(
            s["digest"], false,
            "ofd.js's digest check of {}: {v}",
            s["id"]
        );
    }
}
