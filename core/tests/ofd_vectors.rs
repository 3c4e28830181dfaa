//! Every OFD of the shared sample folders (other producers' files, read in place) gets the
//! verdict each file should get, through the library, with the exit status `eseal ofd verify` gives.

mod common;
mod ofd_support;

use eseal::crypto::time::Time;
use eseal::ofd::{self, Package};
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::ses::{CertList, Seal};
use eseal::validation::VerifyOptions;
use std::path::{Path, PathBuf};

fn now() -> Time {
    Time::from_ymd_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn report(path: &Path, sign_certs: Vec<eseal::crypto::Certificate>) -> VerificationReport {
    let o = VerifyOptions {
        at: now(),
        extra_certs: sign_certs,
        ..Default::default()
    };
    ofd::verify_file(path, &o).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `eseal ofd verify` decides — exit status and text — through the library (the
/// command line's own tests check that it maps reports the same way).
fn cli_exit(path: &Path, sign_certs: Vec<eseal::crypto::Certificate>) -> (i32, String) {
    let r = report(path, sign_certs);
    (r.exit_code(), r.to_text())
}

fn failing(r: &VerificationReport) -> Vec<(&str, CheckKind, &str, &str)> {
    r.signatures
        .iter()
        .flat_map(|s| s.checks.iter().map(move |c| (s.id.as_str(), c)))
        .chain(r.document_checks.iter().map(|c| ("document", c)))
        .filter(|(_, c)| matches!(c.status, Status::Failed | Status::Indeterminate))
        .map(|(id, c)| (id, c.check, c.subject.as_str(), c.message.as_str()))
        .collect()
}

fn has_failure(r: &VerificationReport, sig: &str, kind: CheckKind, subject_contains: &str) -> bool {
    failing(r)
        .iter()
        .any(|(id, k, s, _)| *id == sig && *k == kind && s.contains(subject_contains))
}

/// Intact and cryptographically valid (warnings for long-expired certificates); their
/// producers' roots are no trust anchors of ours, so exit 3 "intact, signer not trusted" —
/// or, until the ses room reads it leniently, failing only for `gap` (named in the final
/// report of issue 3).
fn assert_valid(path: &Path, gap: Option<&str>) {
    let r = report(path, vec![]);
    let (code, out) = cli_exit(path, vec![]);
    if r.verdict() == Verdict::Invalid
        && let Some(g) = gap
    {
        let f = failing(&r);
        assert!(
            !f.is_empty() && f.iter().all(|(_, _, s, m)| m.contains(g) || s.contains(g)),
            "{}: only the known ses gap {g:?} may fail: {f:?}",
            path.display()
        );
        eprintln!(
            "KNOWN GAP (ses room): {} fails only on {g:?}",
            path.display()
        );
        assert_eq!(code, 1);
        return;
    }
    assert_ne!(
        r.verdict(),
        Verdict::Invalid,
        "{}:\n{}",
        path.display(),
        r.to_text()
    );
    assert_eq!(r.verdict(), Verdict::IntactUntrusted, "{out}");
    assert_eq!(code, 3, "{out}");
    assert!(!r.signatures.is_empty());
}

fn dir(sub: &str) -> Option<PathBuf> {
    common::shared_vectors(sub)
}

#[test]
fn ofdrw_samples() {
    let Some(d) = dir("ofdrw") else { return };
    for f in [
        "v4signed.ofd",
        "SignScaleError.ofd",
        "allprotected.ofd",
        "V4RideRight.ofd",
    ] {
        assert_valid(&d.join(f), None);
    }
    // GOMAIN's seal states createDate 2019-10-11, before its maker certificate's notBefore
    // (2019-10-16): valid, with a warning that says so.
    assert_valid(&d.join("signedFile.ofd"), None);
    let r = report(&d.join("signedFile.ofd"), vec![]);
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.status == Status::Warning && c.subject.contains("createDate"))
    );

    // Cross-page seal: five slices with Clip.
    let r = report(&d.join("V4RideRight.ofd"), vec![]);
    let slices = r.signatures[0]
        .checks
        .iter()
        .filter(|c| c.check == CheckKind::StampPlacement && c.message.contains("clip"))
        .count();
    assert_eq!(slices, 5);
    // Expired certificates: valid when signed, a warning now.
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.check == CheckKind::CertificateValidityNow && c.status == Status::Warning)
    );

    // ofdrw regenerated this file in 2026 with a seal valid 2020–2022: signed with an expired seal.
    let r = report(&d.join("SESV4SignDoc.ofd"), vec![]);
    assert!(
        has_failure(&r, &r.signatures[0].id, CheckKind::SealValidity, "seal"),
        "{}",
        r.to_text()
    );
    assert!(
        failing(&r).iter().all(|(_, k, _, _)| matches!(
            k,
            CheckKind::SealValidity | CheckKind::CertificateValidity
        )),
        "{:?}",
        failing(&r)
    );

    // Type=Sign, bare SM2 signature: indeterminate without a certificate, valid with the
    // USER certificate (the one UserV4.esl lists).
    let ds = d.join("DigitalSign.ofd");
    let r = report(&ds, vec![]);
    assert!(
        failing(&r)
            .iter()
            .any(|(_, k, _, _)| *k == CheckKind::SignerSignature),
        "{}",
        r.to_text()
    );
    assert!(failing(&r).iter().all(|(_, _, _, m)| m.contains("--cert")));
    let seal = Seal::from_der(&std::fs::read(d.join("UserV4.esl")).unwrap()).unwrap();
    let CertList::Certs(certs) = &seal.cert_list else {
        panic!("UserV4.esl lists certificates")
    };
    let user = eseal::crypto::Certificate::from_der(&certs[0]).unwrap();
    let r = report(&ds, vec![user.clone()]);
    assert_ne!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    assert_eq!(
        cli_exit(&ds, vec![user.clone()]).0,
        3,
        "intact; its root is no anchor"
    );
    assert_eq!(cli_exit(&ds, vec![]).0, 1);
    // A wrong certificate: the signature fails.
    let other = eseal::crypto::testca::TestCa::new("ofd-vectors").unwrap();
    let r = report(&ds, vec![other.person.cert.clone()]);
    assert!(has_failure(
        &r,
        "s001",
        CheckKind::SignerSignature,
        "SignedValue.dat"
    ));

    // Unsigned documents are readable, and not valid (no signature): exit 1.
    for f in [
        "signout.ofd",
        "Page5.ofd",
        "VPage7.ofd",
        "helloworld.ofd",
        "chineseDir.ofd",
        "namespace_no_std.ofd",
        "doc1File.ofd",
    ] {
        let pkg = Package::open(&d.join(f)).unwrap();
        let ins = ofd::inspect(&pkg).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!ins.documents[0].pages.is_empty(), "{f}");
        let r = report(&d.join(f), vec![]);
        assert!(r.signatures.is_empty(), "{f}");
        let (code, out) = cli_exit(&d.join(f), vec![]);
        assert_eq!(code, 1, "{f}");
        assert!(out.contains("no signatures"), "{out}");
    }
    let pkg = Package::open(&d.join("chineseDir.ofd")).unwrap();
    assert!(
        pkg.names()
            .any(|n| n == "Doc_0/Res/这是一个中文目录/数据文件.txt"),
        "{:?}",
        pkg.names().collect::<Vec<_>>()
    );
    let ins = ofd::inspect(&Package::open(&d.join("Page5.ofd")).unwrap()).unwrap();
    assert_eq!(ins.documents[0].pages.len(), 5);
}

#[test]
fn ofdrw_more_samples() {
    let Some(d) = dir("ofdrw-more") else { return };
    // A later signature rewrote Signatures.xml that the first one covered.
    let r = report(&d.join("h-ofdrw-two-sigs-first-broken.ofd"), vec![]);
    assert_eq!(r.signatures.len(), 2);
    assert!(
        has_failure(
            &r,
            "s001",
            CheckKind::FileDigest,
            "/Doc_0/Signs/Signatures.xml"
        ),
        "{}",
        r.to_text()
    );
    assert_ne!(
        r.signatures[1].verdict(),
        Verdict::Invalid,
        "{}",
        r.to_text()
    );
    assert_eq!(
        cli_exit(&d.join("h-ofdrw-two-sigs-first-broken.ofd"), vec![]).0,
        1
    );

    // iOFD v1, XML rewritten after signing: references and dataHash fail, maker signature holds.
    let r = report(&d.join("n-iofd-v1-tampered.ofd"), vec![]);
    let s = &r.signatures[0];
    assert_eq!(s.version, "v1");
    assert!(
        s.checks
            .iter()
            .any(|c| c.check == CheckKind::FileDigest && c.status == Status::Failed)
    );
    assert!(
        s.checks
            .iter()
            .any(|c| c.check == CheckKind::DataDigest && c.status == Status::Failed)
    );
    assert!(
        s.checks
            .iter()
            .any(|c| c.check == CheckKind::MakerSignature && c.status == Status::Passed),
        "{}",
        r.to_text()
    );
    assert_eq!(cli_exit(&d.join("n-iofd-v1-tampered.ofd"), vec![]).0, 1);

    // GOMAIN e-licence: two Type=Sign GB/T 35275 SignedData, valid.
    let p = d.join("gomain-typesign-cms.ofd");
    assert_valid(&p, None);
    let r = report(&p, vec![]);
    assert_eq!(
        r.signatures
            .iter()
            .filter(|s| s.kind.as_str() == "sign" && s.version == "GB/T 35275")
            .count(),
        2
    );

    // tongz: OFD.xml, Document.xml and a page changed after signing.
    let r = report(&d.join("tongz-raw-sig-tampered.ofd"), vec![]);
    for f in ["/OFD.xml", "/Doc_0/Document.xml"] {
        assert!(
            failing(&r)
                .iter()
                .any(|(_, k, s, _)| *k == CheckKind::FileDigest && *s == f),
            "{f}: {}",
            r.to_text()
        );
    }
    assert!(
        failing(&r)
            .iter()
            .any(|(_, k, s, _)| *k == CheckKind::FileDigest && s.contains("/Pages/"))
    );
    // Its Type=Sign SignedData encapsulates SM3(Signature.xml) and signs it: that part holds.
    let sign = r
        .signatures
        .iter()
        .find(|s| s.kind.as_str() == "sign")
        .expect("a Type=Sign signature");
    assert!(
        sign.checks
            .iter()
            .any(|c| c.check == CheckKind::SignerSignature && c.status == Status::Passed),
        "{}",
        r.to_text()
    );
    assert!(sign.checks.iter().any(|c| c.check == CheckKind::DataDigest
        && c.status == Status::Passed
        && c.message.contains("SM3")));
    let (code, out) = cli_exit(&d.join("tongz-raw-sig-tampered.ofd"), vec![]);
    assert_eq!(code, 1);
    assert!(out.contains("[FAIL] file_digest /OFD.xml"), "{out}");
}

#[test]
fn itlabers_samples() {
    let Some(d) = dir("itlabers-ofd-go") else {
        return;
    };
    assert_valid(&d.join("dianju-unpadded-integer.ofd"), None);
    // Suwell writes BIT STRINGs with a non-zero unused-bits octet: read as whole octets, noted.
    assert_valid(&d.join("suwell-icbc-receipt.ofd"), None);
    assert_valid(&d.join("suwell-raw-sig.ofd"), None);
    let r = report(&d.join("suwell-icbc-receipt.ofd"), vec![]);
    // OFD.xml is not covered by Suwell: reported as rendered but unprotected (a warning).
    assert!(
        r.document_checks
            .iter()
            .any(|c| c.check == CheckKind::Coverage
                && c.subject == "/OFD.xml"
                && c.status == Status::Warning),
        "{:?}",
        r.document_checks
    );
    // References hold; the signer signature fails, and the report explains why: the stored
    // value lost its last octet (with it restored the signature verifies).
    let r = report(&d.join("suwell-icbc-signer-sig-fails.ofd"), vec![]);
    assert_eq!(r.verdict(), Verdict::Invalid);
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.check == CheckKind::FileDigest && c.status == Status::Passed)
    );
    let f = failing(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, CheckKind::SignerSignature);
    assert!(
        f[0].3.contains("lacks its last octet") && f[0].3.contains("verifies"),
        "{}",
        f[0].3
    );
    assert_eq!(
        cli_exit(&d.join("suwell-icbc-signer-sig-fails.ofd"), vec![]).0,
        1
    );
}

#[test]
fn esl_demo_and_easyofd_samples() {
    if let Some(d) = dir("esl-demo") {
        // Three chained Koal signatures, `//Doc_0/` paths, raw maker signatures.
        let p = d.join("koal-three-chained.ofd");
        assert_valid(&p, None);
        assert_eq!(report(&p, vec![]).signatures.len(), 3);
        // The last signature's SignedValue.dat is missing: that one fails, naming the file.
        let p = d.join("koal-four-sigs-one-missing.ofd");
        let r = report(&p, vec![]);
        let f = failing(&r);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].1, CheckKind::MissingFile);
        assert!(f[0].2.ends_with("SignedValue.dat"));
        let (code, out) = cli_exit(&p, vec![]);
        assert_eq!(code, 1);
        assert!(out.contains("signature value missing"), "{out}");
    }
    if let Some(d) = dir("easyofd-java") {
        let p = d.join("easyofd-typesign-ber.ofd");
        assert_valid(&p, None);
        let r = report(&p, vec![]);
        assert!(
            r.signatures[0]
                .checks
                .iter()
                .any(|c| c.message.contains("BER"))
        );
    }
}

/// Change one byte of a page of a valid sample: the report names the file.
#[test]
fn one_changed_byte_is_named() {
    let Some(d) = dir("ofdrw") else { return };
    let pkg = Package::open(&d.join("V4RideRight.ofd")).unwrap();
    let mut page = pkg.read("Doc_0/Pages/Page_2/Content.xml").unwrap().unwrap();
    let n = page.len() / 2;
    page[n] ^= 0x01;
    let mut ch = std::collections::BTreeMap::new();
    ch.insert("Doc_0/Pages/Page_2/Content.xml".to_owned(), Some(page));
    let bytes = pkg.to_bytes_with(&ch).unwrap();
    let r = ofd::verify(
        &Package::from_bytes(bytes).unwrap(),
        "x",
        &VerifyOptions {
            at: now(),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        has_failure(
            &r,
            "s001",
            CheckKind::FileDigest,
            "/Doc_0/Pages/Page_2/Content.xml"
        ),
        "{}",
        r.to_text()
    );
}

/// Signing other producers' signed documents again keeps their signatures as they were
/// (or is refused when they protect Signatures.xml), and our signature is valid.
#[test]
fn countersigning_other_producers_documents() {
    let (seal, signer, ca) = ofd_support::seal("ofd-countersign", "会签测试章", [200, 0, 0]);
    let mut tried = 0;
    for (sub, f) in [
        ("ofdrw", "v4signed.ofd"),
        ("ofdrw", "SignScaleError.ofd"),
        ("ofdrw", "allprotected.ofd"),
        ("ofdrw", "V4RideRight.ofd"),
        ("ofdrw-more", "gomain-typesign-cms.ofd"),
        ("itlabers-ofd-go", "dianju-unpadded-integer.ofd"),
        ("esl-demo", "koal-three-chained.ofd"),
        ("easyofd-java", "easyofd-typesign-ber.ofd"),
    ] {
        let Some(d) = dir(sub) else { continue };
        let pkg = Package::open(&d.join(f)).unwrap();
        let before = ofd::verify(
            &pkg,
            f,
            &VerifyOptions {
                at: now(),
                ..Default::default()
            },
        )
        .unwrap();
        let mut req = ofd::SignRequest::new(ofd::SignKind::Seal(&seal), ofd_support::t0());
        req.placements = vec![ofd::Placement::Stamp {
            page: 1,
            x_mm: 100.0,
            y_mm: 100.0,
            width_mm: None,
            height_mm: None,
        }];
        let out = match ofd::sign(&pkg, &signer, &req) {
            Ok(b) => b,
            Err(ofd::OfdError::Refused(m)) => {
                assert!(m.contains("Signatures.xml"), "{f}: {m}");
                continue;
            }
            Err(e) => panic!("{f}: {e}"),
        };
        tried += 1;
        let mut trust = eseal::validation::TrustStore::new();
        trust.add(ca.root.cert.clone());
        let after = ofd::verify(
            &Package::from_bytes(out).unwrap(),
            f,
            &VerifyOptions {
                at: now(),
                trust,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(after.signatures.len(), before.signatures.len() + 1, "{f}");
        for (b, a) in before.signatures.iter().zip(&after.signatures) {
            let fb: Vec<_> = b.failures().map(|c| (c.check, c.subject.clone())).collect();
            let fa: Vec<_> = a.failures().map(|c| (c.check, c.subject.clone())).collect();
            assert_eq!(fa, fb, "{f}: signature {} changed its verdict", b.id);
        }
        let ours = after.signatures.last().unwrap();
        assert_eq!(ours.verdict(), Verdict::Valid, "{f}:\n{}", after.to_text());
    }
    if dir("ofdrw").is_some() {
        assert!(tried >= 4, "{tried}");
    }
}
