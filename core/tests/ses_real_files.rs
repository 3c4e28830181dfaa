//! Seals and signatures from other producers (`../shared/vectors/`, read in place, never
//! copied). Expected verdicts: listed per file below. Skips with a message when the folder is absent.

mod common;

use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, sm2::PrivateKey};
use eseal::report::{CheckKind, SignatureReport, Status, Verdict};
use eseal::ses::{self, DataCheck, Seal, SesSignature, SesVersion};
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;

fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn status(r: &SignatureReport, k: CheckKind) -> Vec<Status> {
    r.checks
        .iter()
        .filter(|c| c.check == k)
        .map(|c| c.status)
        .collect()
}

fn opts() -> VerifyOptions {
    VerifyOptions {
        at: Time::from_ymd_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        ..Default::default()
    }
}

#[test]
fn ofdrw_v1_v4_v5_seals_parse_and_maker_signatures_verify() {
    let Some(dir) = common::shared_vectors("ofdrw") else {
        return;
    };
    for (file, version) in [
        ("UserV1.esl", SesVersion::V1),
        ("UserV4.esl", SesVersion::V4),
        ("UserV5.esl", SesVersion::V5),
        ("UserV5_ts.esl", SesVersion::V5),
    ] {
        let seal = Seal::from_der(&read(&dir, file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(seal.version, version, "{file}");
        assert_eq!(seal.header.id, "ES");
        ses::verify::maker_signature(&seal).unwrap_or_else(|e| panic!("{file}: {e}"));
        let r = ses::verify_seal_bytes(&read(&dir, file), file, &opts());
        assert_eq!(
            status(&r, CheckKind::MakerSignature),
            vec![Status::Passed],
            "{file}"
        );
    }
    let v4 = Seal::from_der(&read(&dir, "UserV4.esl")).unwrap();
    assert_eq!(v4.picture.format, eseal::ses::PictureFormat::Png);
    assert!(matches!(v4.cert_list, eseal::ses::CertList::Certs(ref c) if c.len() == 1));
    let ts = Seal::from_der(&read(&dir, "UserV5_ts.esl")).unwrap();
    assert_eq!(
        ts.timestamp.as_deref(),
        Some(&[1u8, 2, 3][..]),
        "the dummy timestamp 010203"
    );
    // ofdrw's dummy is no token: the timestamp check fails and says what it found.
    let r = ses::verify_seal_bytes(&read(&dir, "UserV5_ts.esl"), "UserV5_ts.esl", &opts());
    let ts_check = r
        .checks
        .iter()
        .find(|c| c.check == CheckKind::Timestamp)
        .expect("a timestamp check");
    assert_eq!(ts_check.status, Status::Failed);
    assert!(
        ts_check
            .message
            .contains("not an RFC 3161 time-stamp token (3 bytes, starting 010203)"),
        "{}",
        ts_check.message
    );
    // v4 seal made in 2020 with certificates valid 2020–2022: on its own it is not valid now
    // (a seal outside its validity period seals nothing); its certificate expired now.
    let r = ses::verify_seal_bytes(&read(&dir, "UserV4.esl"), "UserV4.esl", &opts());
    assert_eq!(r.verdict(), Verdict::Invalid, "{:#?}", r.checks);
    assert!(r.checks.iter().any(|c| c.check == CheckKind::SealValidity
        && c.status == eseal::report::Status::Failed
        && c.message.contains("not valid now")));
    assert!(
        r.checks
            .iter()
            .any(|c| c.check == CheckKind::CertificateValidityNow
                && c.message.contains("expired now"))
    );
}

#[test]
fn hebei_gede_seal_is_explained_as_broken() {
    let Some(dir) = common::shared_vectors("ofdrw") else {
        return;
    };
    let bytes = read(&dir, "SESealData.DER");
    let seal = Seal::from_der(&bytes).unwrap();
    assert_eq!(seal.header.vid, "Vid HebeiGede");
    assert_eq!(seal.picture.format, eseal::ses::PictureFormat::Gif);
    assert!(
        seal.notes.iter().any(|n| n.contains("critical FALSE")),
        "explicit FALSE is noted: {:?}",
        seal.notes
    );
    let r = ses::verify_seal_bytes(&bytes, "SESealData.DER", &opts());
    assert_eq!(r.verdict(), Verdict::Invalid);
    let maker = r
        .checks
        .iter()
        .find(|c| c.check == CheckKind::MakerSignature)
        .unwrap();
    assert_eq!(maker.status, Status::Failed);
    assert!(maker.message.contains("none verifies"), "{}", maker.message);
}

#[test]
fn ofdrw_signed_values_verify() {
    let Some(dir) = common::shared_vectors("ofdrw") else {
        return;
    };
    let v4 = read(&dir, "SignedValueV4.dat");
    let sig = SesSignature::from_der(&v4).unwrap();
    assert_eq!(sig.version, SesVersion::V4);
    assert_eq!(sig.data_hash.len(), 32);
    let r = ses::verify_signature(
        &v4,
        DataCheck::NotAvailable,
        None,
        "SignedValueV4.dat",
        &opts(),
    );
    // No Signature.xml exists for it: the data check is a warning; everything else holds but
    // trust (ofdrw's root is no anchor of ours).
    assert_eq!(r.verdict(), Verdict::IntactUntrusted, "{:#?}", r.checks);
    for k in [
        CheckKind::SignerSignature,
        CheckKind::MakerSignature,
        CheckKind::SignerBinding,
        CheckKind::SealValidity,
    ] {
        assert_eq!(status(&r, k), vec![Status::Passed], "{k:?}");
    }
    // With a wrong data hash it fails naming dataHash.
    let r = ses::verify_signature(
        &v4,
        DataCheck::Hash(&[0x5Au8; 32]),
        None,
        "SignedValueV4.dat",
        &opts(),
    );
    assert_eq!(status(&r, CheckKind::DataDigest), vec![Status::Failed]);

    // v5: both signatures verify, but ofdrw made it in 2026 with certificates that expired in
    // 2022, so the certificate checks fail at the signing time, and the report says so.
    let v5 = read(&dir, "SignedValueV5.dat");
    let r = ses::verify_signature(
        &v5,
        DataCheck::NotAvailable,
        None,
        "SignedValueV5.dat",
        &opts(),
    );
    assert_eq!(r.version, "v5");
    assert_eq!(status(&r, CheckKind::SignerSignature), vec![Status::Passed]);
    assert_eq!(status(&r, CheckKind::MakerSignature), vec![Status::Passed]);
    let failed: Vec<_> = r.failures().map(|c| (c.check, c.message.clone())).collect();
    assert!(
        failed
            .iter()
            .all(|(k, m)| *k == CheckKind::CertificateValidity && m.contains("not valid at 2026")),
        "{failed:#?}"
    );
}

#[test]
fn ofdrw_keys_certificates_and_root_with_openssl() {
    let Some(dir) = common::shared_vectors("ofdrw") else {
        return;
    };
    let cert = Certificate::parse(&read(&dir, "sign_cert.pem")).unwrap();
    let key = PrivateKey::parse(&read(&dir, "sign_key.pem")).unwrap();
    assert_eq!(
        *cert.sm2_public_key().unwrap(),
        key.public_key(),
        "sign_key.pem belongs to sign_cert.pem"
    );
    // ROOT.p12 needs OpenSSL's legacy provider; its root lacks keyCertSign (spec §4 #22).
    let tmp = common::TempDir::new("ofdrw-root");
    let root_pem = tmp.path().join("root.pem");
    let out = common::tool("openssl")
        .args([
            "pkcs12",
            "-legacy",
            "-nokeys",
            "-passin",
            "pass:123456",
            "-in",
        ])
        .arg(dir.join("ROOT.p12"))
        .arg("-out")
        .arg(&root_pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trust = TrustStore::from_files(&[&root_pem]).unwrap();
    let r = ses::verify_signature(
        &read(&dir, "SignedValueV4.dat"),
        DataCheck::NotAvailable,
        None,
        "v4",
        &VerifyOptions { trust, ..opts() },
    );
    let chain: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.check == CheckKind::CertificateChain)
        .collect();
    assert!(
        chain.iter().any(|c| c.status == Status::Passed),
        "{chain:#?}"
    );
    assert!(
        chain
            .iter()
            .any(|c| c.status == Status::Warning && c.message.contains("lacks keyCertSign")),
        "{chain:#?}"
    );
}
