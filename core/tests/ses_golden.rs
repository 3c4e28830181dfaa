//! Golden seals and signatures made by eseal from fixed keys and times (`vectors/ses/`), and
//! the bad inputs derived from them (`vectors/bad/`). Regenerate with
//! `ESEAL_UPDATE_VECTORS=1 cargo test --test ses_golden`.

mod common;

use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, sm3::sm3};
use eseal::report::{CheckKind, Status, Verdict};
use eseal::ses::{self, DataCheck, Seal, SealBuilder, SesError, SesSignature};
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;

pub const DATA: &[u8] = b"eseal golden vector: the protected data";
pub const PROPERTY: &str = "/Doc_0/Signs/Sign_0/Signature.xml";

fn t(y: i64, m: u32, d: u32) -> Time {
    Time::from_ymd_hms(y, m, d, 0, 0, 0).unwrap()
}

fn make() -> (TestCa, Seal, SesSignature) {
    let ca = TestCa::new("eseal-vectors").unwrap();
    let picture = std::fs::read(common::vectors().join("ses/picture-8x8.png")).unwrap();
    let seal = SealBuilder::new("上海市测试局", "310000000000001")
        .picture("PNG", picture, 42, 42)
        .created(t(2026, 1, 1))
        .valid(t(2026, 1, 1), t(2031, 1, 1))
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let sig = ses::sign(
        &seal,
        &ca.person.signer(),
        &sm3(DATA),
        PROPERTY,
        t(2026, 6, 1),
    )
    .unwrap();
    (ca, seal, sig)
}

fn bad_inputs(seal: &[u8], sig: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut wrong_tag = seal.to_vec();
    wrong_tag[0] = 0x31;
    let mut wrong_len = seal.to_vec();
    wrong_len[3] = wrong_len[3].wrapping_add(1); // the 2-byte length of the outer SEQUENCE
    let mut trailing = seal.to_vec();
    trailing.extend([0, 0]);
    let mut inner_tag = seal.to_vec();
    inner_tag[10] = 0x0C; // SES_Header.id IA5String → UTF8String: still text, so read...
    inner_tag[14] = 0x04; // ...but SES_Header.version INTEGER → OCTET STRING is not
    vec![
        ("seal-truncated.der", seal[..seal.len() / 2].to_vec()),
        ("seal-wrong-tag.der", wrong_tag),
        ("seal-wrong-length.der", wrong_len),
        ("seal-trailing-bytes.der", trailing),
        ("seal-inner-wrong-tag.der", inner_tag),
        ("signature-truncated.der", sig[..sig.len() - 10].to_vec()),
        ("empty.der", Vec::new()),
    ]
}

#[test]
fn golden_vectors_reproduce_byte_for_byte() {
    let (_, seal, sig) = make();
    let dir = common::vectors();
    let files = [
        ("ses/seal-v4.der", seal.der().to_vec()),
        ("ses/signature-v4.der", sig.to_der().to_vec()),
    ];
    let bad = bad_inputs(seal.der(), sig.to_der());
    let update = std::env::var("ESEAL_UPDATE_VECTORS").is_ok();
    for (name, bytes) in files
        .iter()
        .map(|(n, b)| (n.to_string(), b))
        .chain(bad.iter().map(|(n, b)| (format!("bad/{n}"), b)))
    {
        let path = dir.join(&name);
        if update {
            std::fs::write(&path, bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (run with ESEAL_UPDATE_VECTORS=1)", path.display())
        });
        assert_eq!(&stored, bytes, "{name} differs from what eseal makes now");
    }
}

#[test]
fn golden_signature_verifies_and_reads_like_the_standard() {
    let (ca, seal, sig) = make();
    let parsed = Seal::from_der(seal.der()).unwrap();
    assert_eq!(parsed.name, "上海市测试局");
    assert_eq!(parsed.header.version, 4);
    assert_eq!(parsed.cert_list_type, Some(1));
    assert!(
        parsed.notes.is_empty(),
        "our own seal is plain DER: {:?}",
        parsed.notes
    );
    let opts = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: t(2027, 1, 1),
        ..Default::default()
    };
    let r = ses::verify_signature(
        sig.to_der(),
        DataCheck::Data(DATA),
        Some(PROPERTY),
        "golden",
        &opts,
    );
    assert_eq!(r.verdict(), Verdict::Valid, "{:#?}", r.checks);
    for k in [
        CheckKind::MakerSignature,
        CheckKind::SignerSignature,
        CheckKind::SignerBinding,
        CheckKind::DataDigest,
        CheckKind::SealValidity,
        CheckKind::CertificateChain,
    ] {
        assert!(
            r.checks
                .iter()
                .any(|c| c.check == k && c.status == Status::Passed),
            "{k:?} passed"
        );
    }
    // Changed data is named as such.
    let r = ses::verify_signature(
        sig.to_der(),
        DataCheck::Data(b"other data"),
        None,
        "golden",
        &opts,
    );
    assert!(
        r.checks
            .iter()
            .any(|c| c.check == CheckKind::DataDigest && c.status == Status::Failed)
    );
    // Ten years on: the certificates expired, the signature stays valid with a warning.
    let later = VerifyOptions {
        at: t(2050, 1, 1),
        ..opts.clone()
    };
    let r = ses::verify_signature(sig.to_der(), DataCheck::Data(DATA), None, "golden", &later);
    assert_eq!(r.verdict(), Verdict::ValidWithWarnings, "{:#?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.check == CheckKind::CertificateValidityNow
                && c.message.contains("expired now"))
    );
    // No anchor of ours: an unknown root is not tampering, but not trust either (exit 3).
    let unknown = VerifyOptions {
        trust: TrustStore::new().with(ca.person.cert.clone()),
        ..opts.clone()
    };
    let r = ses::verify_signature(
        sig.to_der(),
        DataCheck::Data(DATA),
        None,
        "golden",
        &unknown,
    );
    assert_eq!(r.verdict(), Verdict::IntactUntrusted, "{:#?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.check == CheckKind::CertificateChain && c.message.contains("unknown root"))
    );
    // A trusted root of the same name whose key did not issue these certificates: broken.
    let other = TestCa::new("someone else").unwrap();
    let wrong = VerifyOptions {
        trust: TrustStore::new().with(other.root.cert),
        ..opts
    };
    let r = ses::verify_signature(sig.to_der(), DataCheck::Data(DATA), None, "golden", &wrong);
    assert!(
        r.failures().all(|c| c.check == CheckKind::CertificateChain) && r.failures().count() == 2,
        "{:#?}",
        r.checks
    );
}

#[test]
fn tampered_signatures_fail_the_right_check() {
    let (ca, seal, sig) = make();
    let opts = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: t(2027, 1, 1),
        ..Default::default()
    };
    let der = sig.to_der();
    // Flip a byte of the seal name inside TBS_Sign: signer signature fails, and so does the maker's.
    let name = "上海市测试局".as_bytes();
    let pos = der.windows(name.len()).position(|w| w == name).unwrap();
    let mut m = der.to_vec();
    m[pos + 2] ^= 1;
    let r = ses::verify_signature(&m, DataCheck::Data(DATA), None, "t", &opts);
    let failed: Vec<_> = r.failures().map(|c| c.check).collect();
    assert!(
        failed.contains(&CheckKind::SignerSignature) && failed.contains(&CheckKind::MakerSignature),
        "{failed:?}"
    );
    // Flip the last byte (inside the signer's signature value).
    let mut m = der.to_vec();
    let n = m.len() - 1;
    m[n] ^= 1;
    let r = ses::verify_signature(&m, DataCheck::Data(DATA), None, "t", &opts);
    assert_eq!(
        r.failures().map(|c| c.check).collect::<Vec<_>>(),
        vec![CheckKind::SignerSignature]
    );
    // A signer that the seal does not list.
    let stranger = ca
        .issue(
            "stranger",
            &[("C", "CN"), ("CN", "李四")],
            eseal::crypto::testca::CertKind::Signing,
            t(2025, 1, 1),
            t(2045, 1, 1),
        )
        .unwrap();
    let e = ses::sign(
        &seal,
        &stranger.signer(),
        &sm3(DATA),
        PROPERTY,
        t(2026, 6, 1),
    )
    .unwrap_err();
    assert!(
        matches!(e, SesError::SealUnusable(ref m) if m.contains("certList")),
        "{e}"
    );
    // Outside the seal's validity.
    let e = ses::sign(
        &seal,
        &ca.person.signer(),
        &sm3(DATA),
        PROPERTY,
        t(2032, 1, 1),
    )
    .unwrap_err();
    assert!(
        matches!(e, SesError::SealUnusable(ref m) if m.contains("valid")),
        "{e}"
    );
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = common::vectors().join("bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let seal = Seal::from_der(&bytes);
        let sig = SesSignature::from_der(&bytes);
        assert!(
            seal.is_err() && sig.is_err(),
            "{} must not parse",
            path.display()
        );
        let msg = seal.unwrap_err().to_string();
        assert!(
            !msg.is_empty() && msg.len() < 300,
            "{}: {msg}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 7);
    let e = Seal::from_der(&std::fs::read(dir.join("seal-truncated.der")).unwrap()).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let e =
        Seal::from_der(&std::fs::read(dir.join("seal-trailing-bytes.der")).unwrap()).unwrap_err();
    assert!(e.to_string().contains("trailing"), "{e}");
    let e = Seal::from_der(&std::fs::read(dir.join("seal-wrong-tag.der")).unwrap()).unwrap_err();
    assert!(e.to_string().contains("tag"), "{e}");
}

#[test]
fn certificate_and_seal_made_elsewhere_are_refused_when_not_ours() {
    // A maker certificate for another key cannot sign: SoftwareSigner refuses the pair.
    let ca = TestCa::new("eseal-vectors").unwrap();
    let e = eseal::crypto::SoftwareSigner::new(ca.person.key.clone(), ca.unit.cert.clone())
        .unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
    assert!(Certificate::from_der(b"not a certificate").is_err());
}
