//! Signing OFDs: several stamps, a cross-page seal, a QR code, signing again with other seals,
//! locking, refusals and the tamper corpus.

mod common;
mod ofd_support;

use eseal::crypto::sm3::sm3;
use eseal::ofd::{self, Package, Placement, QrCode, SignKind, SignRequest};
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;
use ofd_support::*;
use std::collections::BTreeMap;

fn opts(trust: &[&eseal::crypto::testca::TestCa]) -> VerifyOptions {
    let mut store = TrustStore::new();
    for ca in trust {
        store.add(ca.root.cert.clone());
    }
    VerifyOptions {
        trust: store,
        at: t0().add_days(30),
        ..Default::default()
    }
}

fn verify(bytes: &[u8], o: &VerifyOptions) -> VerificationReport {
    let pkg = Package::from_bytes(bytes.to_vec()).expect("readable package");
    ofd::verify(&pkg, "test.ofd", o).expect("verifiable")
}

fn failures(r: &VerificationReport) -> Vec<(CheckKind, String)> {
    r.signatures
        .iter()
        .flat_map(|s| s.checks.iter())
        .chain(r.document_checks.iter())
        .filter(|c| matches!(c.status, Status::Failed | Status::Indeterminate))
        .map(|c| (c.check, c.subject.clone()))
        .collect()
}

fn sign_seal(
    doc: &[u8],
    seal: &eseal::ses::Seal,
    signer: &dyn eseal::crypto::Signer,
    placements: Vec<Placement>,
    qr: Option<QrCode>,
    lock: bool,
) -> Result<Vec<u8>, eseal::ofd::OfdError> {
    let pkg = Package::from_bytes(doc.to_vec())?;
    let mut req = SignRequest::new(SignKind::Seal(seal), t0());
    req.placements = placements;
    req.qr = qr;
    req.lock = lock;
    ofd::sign(&pkg, signer, &req)
}

fn stamp(page: usize, x: f64, y: f64) -> Placement {
    Placement::Stamp {
        page,
        x_mm: x,
        y_mm: y,
        width_mm: None,
        height_mm: None,
    }
}

fn file(bytes: &[u8], name: &str) -> Vec<u8> {
    Package::from_bytes(bytes.to_vec())
        .unwrap()
        .read(name)
        .unwrap()
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn edit(bytes: &[u8], changes: &[(&str, Option<Vec<u8>>)]) -> Vec<u8> {
    let pkg = Package::from_bytes(bytes.to_vec()).unwrap();
    let m: BTreeMap<String, Option<Vec<u8>>> = changes
        .iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();
    pkg.to_bytes_with(&m).unwrap()
}

/// The document the issue's "done when" describes: several stamps, a cross-page seal, a QR
/// code; then signed again with another seal, then a plain signature.
fn triple_signed() -> (Vec<u8>, Vec<eseal::crypto::testca::TestCa>) {
    let doc = sample_ofd(3);
    let (seal_a, signer_a, ca_a) = seal("ofd-a", "测试单位合同专用章", [220, 0, 0]);
    let (seal_b, signer_b, ca_b) = seal("ofd-b", "第二测试单位公章", [0, 0, 220]);
    let qr = QrCode {
        png: png(29, 29, |x, y| {
            if (x + y) % 2 == 0 {
                [0, 0, 0, 255]
            } else {
                [255, 255, 255, 255]
            }
        }),
        page: 1,
        x_mm: 160.0,
        y_mm: 250.0,
        size_mm: 25.0,
    };
    let one = sign_seal(
        &doc,
        &seal_a,
        &signer_a,
        vec![
            stamp(1, 30.0, 200.0),
            stamp(2, 120.0, 60.0),
            Placement::CrossPage {
                pages: None,
                y_mm: None,
                width_mm: None,
                height_mm: None,
            },
        ],
        Some(qr),
        false,
    )
    .unwrap();
    let two = sign_seal(
        &one,
        &seal_b,
        &signer_b,
        vec![stamp(3, 100.0, 150.0)],
        None,
        false,
    )
    .unwrap();
    let pkg = Package::from_bytes(two).unwrap();
    let mut req = SignRequest::new(SignKind::Sign, t0());
    req.placements = vec![];
    let three = ofd::sign(&pkg, &ca_b.person.signer(), &req).unwrap();
    (three, vec![ca_a, ca_b])
}

#[test]
fn several_stamps_cross_page_qr_and_three_signatures_all_valid() {
    let (doc, cas) = triple_signed();
    let r = verify(&doc, &opts(&[&cas[0], &cas[1]]));
    assert_eq!(r.signatures.len(), 3, "{}", r.to_text());
    assert!(failures(&r).is_empty(), "{}", r.to_text());
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    assert_eq!(r.signatures[2].kind.as_str(), "sign");
    assert_eq!(r.signatures[2].version, "GB/T 35275");

    // Stamps: 2 single + 3 cross-page slices for the first signature.
    let s1 = &r.signatures[0];
    let placements: Vec<&str> = s1
        .checks
        .iter()
        .filter(|c| c.check == CheckKind::StampPlacement)
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(placements.len(), 5, "{placements:?}");
    assert!(
        placements
            .iter()
            .any(|m| m.starts_with("page 1 at 30 200 mm")),
        "{placements:?}"
    );
    // The cross-page slices: page k shows slice k at the right edge (40 mm / 3 pages).
    let sx = file(&doc, "Doc_0/Signs/Sign_0/Signature.xml");
    let sx = String::from_utf8(sx).unwrap();
    assert!(
        sx.contains(r#"PageRef="10" Boundary="196.667 128.5 40 40" Clip="0 0 13.333 40""#),
        "{sx}"
    );
    assert!(
        sx.contains(r#"PageRef="12" Boundary="170 128.5 40 40" Clip="26.667 0 13.333 40""#),
        "{sx}"
    );
    // The first signature leaves Signatures.xml out (so later signatures are possible) but
    // covers the QR code image and the page that draws it.
    assert!(!sx.contains(r#"FileRef="/Doc_0/Signs/Signatures.xml""#));
    assert!(
        sx.contains(r#"FileRef="/Doc_0/Res/eseal_qr_0.png""#),
        "{sx}"
    );
    let page1 = String::from_utf8(file(&doc, "Doc_0/Pages/Page_0/Content.xml")).unwrap();
    assert!(
        page1.contains("ImageObject") && page1.contains("Boundary=\"160 250 25 25\""),
        "{page1}"
    );
    // The second signature covers the first one's files (chaining).
    let sx2 = String::from_utf8(file(&doc, "Doc_0/Signs/Sign_1/Signature.xml")).unwrap();
    for f in [
        "/Doc_0/Signs/Sign_0/Signature.xml",
        "/Doc_0/Signs/Sign_0/SignedValue.dat",
        "/Doc_0/Signs/Sign_0/Seal.esl",
    ] {
        assert!(sx2.contains(&format!("FileRef=\"{f}\"")), "{f}");
    }
    // IDs drawn from MaxSignId: s001, stamps s002..s006, then s007 ...
    let list = String::from_utf8(file(&doc, "Doc_0/Signs/Signatures.xml")).unwrap();
    assert!(
        list.contains(r#"ID="s001""#)
            && list.contains(r#"ID="s007""#)
            && list.contains(r#"ID="s009""#),
        "{list}"
    );
    assert!(
        list.contains("<ofd:MaxSignId>s009</ofd:MaxSignId>"),
        "{list}"
    );
    // Without trust anchors: intact, signers not trusted (exit 3), each signature too.
    let r = verify(
        &doc,
        &VerifyOptions {
            at: t0(),
            ..Default::default()
        },
    );
    assert_eq!(r.verdict(), Verdict::IntactUntrusted, "{}", r.to_text());
    assert_eq!(r.exit_code(), 3);
    assert!(
        r.signatures
            .iter()
            .all(|s| s.verdict() == Verdict::IntactUntrusted)
    );
}

/// The committed three-signature document (`vectors/ofd/eseal-three-signatures.ofd`, rewritten
/// with ESEAL_WRITE_VECTORS=1) stays valid; the command line's tests verify it too.
#[test]
fn committed_eseal_document_stays_valid() {
    let d = common::vectors().join("ofd");
    if std::env::var_os("ESEAL_WRITE_VECTORS").is_some() {
        let (doc, cas) = triple_signed();
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("eseal-three-signatures.ofd"), doc).unwrap();
        let pems: String = cas.iter().map(|c| c.root.cert.to_pem()).collect();
        std::fs::write(d.join("eseal-three-signatures.roots.pem"), pems).unwrap();
    }
    let trust = TrustStore::from_files(&[d.join("eseal-three-signatures.roots.pem")]).unwrap();
    let o = VerifyOptions {
        trust,
        at: eseal::crypto::time::Time::from_ymd_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        ..Default::default()
    };
    let r = verify(
        &std::fs::read(d.join("eseal-three-signatures.ofd")).unwrap(),
        &o,
    );
    assert_eq!(
        r.clone().with_strict(true).exit_code(),
        0,
        "{}",
        r.to_text()
    );
    assert_eq!(r.signatures.len(), 3);
}

#[test]
fn untouched_entries_are_copied_raw() {
    let doc = sample_ofd(2);
    let (seal_a, signer_a, _) = seal("ofd-raw", "章", [200, 0, 0]);
    let out = sign_seal(
        &doc,
        &seal_a,
        &signer_a,
        vec![stamp(1, 10.0, 10.0)],
        None,
        false,
    )
    .unwrap();
    // The compressed bytes of an untouched page appear verbatim in the output.
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(&doc)).unwrap();
    let f = a.by_name("Doc_0/Pages/Page_1/Content.xml").unwrap();
    let (start, len) = (
        f.data_start().unwrap() as usize,
        f.compressed_size() as usize,
    );
    drop(f);
    let stored = &doc[start..start + len];
    assert!(out.windows(stored.len()).any(|w| w == stored));
}

#[test]
fn a_locked_document_refuses_another_signature() {
    let doc = sample_ofd(1);
    let (seal_a, signer_a, _) = seal("ofd-lock", "章", [200, 0, 0]);
    let locked = sign_seal(
        &doc,
        &seal_a,
        &signer_a,
        vec![stamp(1, 10.0, 10.0)],
        None,
        true,
    )
    .unwrap();
    let sx = String::from_utf8(file(&locked, "Doc_0/Signs/Sign_0/Signature.xml")).unwrap();
    assert!(sx.contains(r#"FileRef="/Doc_0/Signs/Signatures.xml""#));
    match sign_seal(&locked, &seal_a, &signer_a, vec![], None, false) {
        Err(eseal::ofd::OfdError::Refused(m)) => {
            assert!(m.contains("s001") && m.contains("Signatures.xml"), "{m}")
        }
        other => panic!("{:?}", other.map(|v| v.len())),
    }
    // ofdrw's WholeProtected sample is refused the same way.
    if let Some(dir) = common::shared_vectors("ofdrw") {
        let b = std::fs::read(dir.join("allprotected.ofd")).unwrap();
        assert!(matches!(
            sign_seal(&b, &seal_a, &signer_a, vec![], None, false),
            Err(eseal::ofd::OfdError::Refused(_))
        ));
    }
    // A QR code would change a page the first signature protects: refused.
    let first = sign_seal(&doc, &seal_a, &signer_a, vec![], None, false).unwrap();
    let qr = QrCode {
        png: solid_png([0, 0, 0]),
        page: 1,
        x_mm: 1.0,
        y_mm: 1.0,
        size_mm: 10.0,
    };
    assert!(matches!(
        sign_seal(&first, &seal_a, &signer_a, vec![], Some(qr), false),
        Err(eseal::ofd::OfdError::Refused(_))
    ));
}

#[test]
fn bad_requests_are_clear_errors() {
    let doc = sample_ofd(2);
    let (seal_a, signer_a, _) = seal("ofd-bad", "章", [200, 0, 0]);
    for p in [
        stamp(3, 1.0, 1.0),
        stamp(0, 1.0, 1.0),
        Placement::CrossPage {
            pages: Some(vec![1]),
            y_mm: None,
            width_mm: None,
            height_mm: None,
        },
        Placement::Stamp {
            page: 1,
            x_mm: 1.0,
            y_mm: 1.0,
            width_mm: Some(-1.0),
            height_mm: None,
        },
    ] {
        assert!(
            matches!(
                sign_seal(&doc, &seal_a, &signer_a, vec![p.clone()], None, false),
                Err(eseal::ofd::OfdError::Placement(_))
            ),
            "{p:?}"
        );
    }
    // A signer the seal does not list.
    let other = eseal::crypto::testca::TestCa::new("ofd-stranger").unwrap();
    assert!(matches!(
        sign_seal(&doc, &seal_a, &other.person.signer(), vec![], None, false),
        Err(eseal::ofd::OfdError::Ses(_))
    ));
    // Nothing half-written when signing fails.
    let dir = common::TempDir::new("ofd-bad");
    let input = dir.path().join("in.ofd");
    std::fs::write(&input, &doc).unwrap();
    let out = dir.path().join("out.ofd");
    let mut req = SignRequest::new(SignKind::Seal(&seal_a), t0());
    req.placements = vec![stamp(9, 1.0, 1.0)];
    assert!(ofd::sign_file(&input, &out, &signer_a, &req).is_err());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the input remains"
    );
}

/// The tamper corpus: each edit is reported as its specific failure, none as valid.
#[test]
fn tamper_corpus_gives_specific_failures() {
    let doc = sample_ofd(3);
    let (seal_a, signer_a, ca) = seal("ofd-tamper", "测试章", [200, 0, 0]);
    let (seal_b, _, _) = seal("ofd-tamper-b", "另一枚章", [0, 0, 200]);
    let o = opts(&[&ca]);
    let signed = sign_seal(
        &doc,
        &seal_a,
        &signer_a,
        vec![stamp(2, 50.0, 50.0)],
        None,
        false,
    )
    .unwrap();
    assert_eq!(verify(&signed, &o).verdict(), Verdict::Valid);
    let other_doc = sign_seal(
        &sample_ofd(2),
        &seal_a,
        &signer_a,
        vec![stamp(1, 50.0, 50.0)],
        None,
        false,
    )
    .unwrap();

    let mut page = file(&signed, "Doc_0/Pages/Page_1/Content.xml");
    let i = page.windows(4).position(|w| w == b"Page").unwrap();
    page[i] = b'X';
    let doc_xml = String::from_utf8(file(&signed, "Doc_0/Document.xml"))
        .unwrap()
        .replace(
            "</ofd:Pages>",
            r#"<ofd:Page ID="99" BaseLoc="Pages/Page_3/Content.xml"/></ofd:Pages>"#,
        );
    let sig_xml = String::from_utf8(file(&signed, "Doc_0/Signs/Sign_0/Signature.xml")).unwrap();
    let wrong_ref = sig_xml.replace(r#"PageRef="11""#, r#"PageRef="999""#);
    assert_ne!(wrong_ref, sig_xml);
    // A producer that writes a wrong PageRef signs it correctly: re-sign the edited XML.
    let wrong_ref_value = eseal::ses::sign(
        &seal_a,
        &signer_a,
        &sm3(wrong_ref.as_bytes()),
        "/Doc_0/Signs/Sign_0/Signature.xml",
        t0(),
    )
    .unwrap()
    .to_der()
    .to_vec();

    let cases: Vec<(&str, Vec<u8>, CheckKind, &str)> = vec![
        (
            "modified-page",
            edit(&signed, &[("Doc_0/Pages/Page_1/Content.xml", Some(page))]),
            CheckKind::FileDigest,
            "/Doc_0/Pages/Page_1/Content.xml",
        ),
        (
            "replaced-seal-esl",
            edit(
                &signed,
                &[("Doc_0/Signs/Sign_0/Seal.esl", Some(seal_b.der().to_vec()))],
            ),
            CheckKind::SealCopy,
            "/Doc_0/Signs/Sign_0/Seal.esl",
        ),
        (
            "replaced-signed-value",
            edit(
                &signed,
                &[(
                    "Doc_0/Signs/Sign_0/SignedValue.dat",
                    Some(file(&other_doc, "Doc_0/Signs/Sign_0/SignedValue.dat")),
                )],
            ),
            CheckKind::DataDigest,
            "TBS_Sign.dataHash",
        ),
        (
            "added-unsigned-page",
            edit(
                &signed,
                &[
                    ("Doc_0/Document.xml", Some(doc_xml.into_bytes())),
                    (
                        "Doc_0/Pages/Page_3/Content.xml",
                        Some(file(&signed, "Doc_0/Pages/Page_0/Content.xml")),
                    ),
                ],
            ),
            CheckKind::FileDigest,
            "/Doc_0/Document.xml",
        ),
        (
            "removed-file",
            edit(&signed, &[("Doc_0/Pages/Page_2/Content.xml", None)]),
            CheckKind::MissingFile,
            "/Doc_0/Pages/Page_2/Content.xml",
        ),
        (
            "signature-of-another-document",
            edit(
                &signed,
                &[
                    (
                        "Doc_0/Signs/Sign_0/Signature.xml",
                        Some(file(&other_doc, "Doc_0/Signs/Sign_0/Signature.xml")),
                    ),
                    (
                        "Doc_0/Signs/Sign_0/SignedValue.dat",
                        Some(file(&other_doc, "Doc_0/Signs/Sign_0/SignedValue.dat")),
                    ),
                ],
            ),
            CheckKind::FileDigest,
            "/Doc_0/Document.xml",
        ),
        (
            "wrong-page-reference",
            edit(
                &signed,
                &[
                    (
                        "Doc_0/Signs/Sign_0/Signature.xml",
                        Some(wrong_ref.into_bytes()),
                    ),
                    ("Doc_0/Signs/Sign_0/SignedValue.dat", Some(wrong_ref_value)),
                ],
            ),
            CheckKind::StampPlacement,
            "StampAnnot s002 (PageRef 999)",
        ),
    ];
    let write = std::env::var_os("ESEAL_WRITE_VECTORS").is_some();
    for (name, bytes, kind, subject) in cases {
        let r = verify(&bytes, &o);
        assert_eq!(r.verdict(), Verdict::Invalid, "{name}: {}", r.to_text());
        let f = failures(&r);
        assert!(
            f.iter().any(|(k, s)| *k == kind && s == subject),
            "{name}: expected {kind:?} on {subject}, got {f:?}"
        );
        if write {
            let d = common::vectors().join("ofd/tamper");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("{name}.ofd")), &bytes).unwrap();
        }
    }
    if write {
        std::fs::write(common::vectors().join("ofd/tamper/signed.ofd"), &signed).unwrap();
        std::fs::write(
            common::vectors().join("ofd/tamper/trust-root.pem"),
            ca.root.cert.to_pem(),
        )
        .unwrap();
    }
    // The added page is also reported as rendered but unprotected.
}
