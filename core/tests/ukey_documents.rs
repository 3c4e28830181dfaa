//! A seal written to a (software) UKey signs an OFD and a PDF end to end through the real SKF
//! C interface: the seal is read back from the key, the key's container signs, and both
//! documents verify (the PDF also passes `qpdf --check`).

mod common;
mod ukey_support;

use common::TempDir;
use eseal::crypto::time::Time;
use eseal::report::Verdict;
use eseal::ses::SealBuilder;
use eseal::stamp::official::{OfficialSeal, OfficialStyle};
use eseal::ukey::seals::{read_seals, write_seal};
use eseal::ukey::{PinType, SkfLibrary, TokenLibrary, UkeySigner};
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;
use eseal::{ofd, pdf, samples};
use eseal_soft_ukey::state::Quirks;
use ukey_support::*;

#[test]
fn ukey_seal_signs_ofd_and_pdf() {
    let t = TempDir::new("ukey-docs");
    let soft = SoftUkey::new(t.path(), &[("SN-DOCS", Quirks::default())]);
    let ca = test_ca();
    let when = Time::from_ymd_hms(2026, 6, 1, 8, 0, 0).unwrap();

    // 写入 UKey: the seal maker makes the seal for the key's certificate and writes it to the key.
    let picture = OfficialSeal::new(OfficialStyle::Common, "上海市测试局")
        .dpi(150.0)
        .render()
        .unwrap();
    let (w, h) = picture.ses_size_mm();
    let (nb, na) = eseal::crypto::testca::default_validity();
    let seal = SealBuilder::new("上海市测试局", "310000000000077")
        .picture(picture.ses_type(), picture.png.clone(), w, h)
        .created(nb)
        .valid(nb, na)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let name = lib.enumerate().unwrap().remove(0);
    let mut tok = lib.connect(&name).unwrap();
    tok.verify_pin(APP, PinType::User, USER_PIN).unwrap();
    write_seal(tok.as_mut(), APP, "ESEAL-SEAL-1", seal.der()).unwrap();
    drop(tok);

    // Later: plug in, PIN, read the seal from the key, sign with the key's container.
    let signer = UkeySigner::open(lib.connect(&name).unwrap(), APP, None, USER_PIN).unwrap();
    let on_key = signer
        .with_token(|t| read_seals(t, Some(APP)))
        .unwrap()
        .remove(0)
        .seal;
    assert_eq!(on_key.der(), seal.der());
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
    req.placements.push(ofd::Placement::CrossPage {
        pages: None,
        y_mm: None,
        width_mm: None,
        height_mm: None,
    });
    let signed = ofd::sign(
        &ofd::Package::from_bytes(samples::sample_ofd(2, "ukey")).unwrap(),
        &signer,
        &req,
    )
    .unwrap();
    let r = ofd::verify(
        &ofd::Package::from_bytes(signed).unwrap(),
        "ukey.ofd",
        &opts,
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());

    let mut req = pdf::SignRequest::new(
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
    req.picture = Some(picture.png.clone());
    let signed = pdf::sign(&samples::sample_pdf(2, "ukey"), &[req]).unwrap();
    let r = pdf::verify(&signed, "ukey.pdf", &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let path = t.path().join("ukey.pdf");
    std::fs::write(&path, &signed).unwrap();
    let out = common::tool("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Why signing failed reaches the caller as its cause, not as text: a key whose PIN must be
/// entered again, a key pulled out, a seal that does not list the key's certificate — for an
/// OFD and a PDF alike.
#[test]
fn signing_failures_keep_their_cause() {
    use eseal::crypto::SignerError;
    use eseal::ses::SesError;
    use eseal::ukey::UkeyError;

    let t = TempDir::new("ukey-doc-errors");
    let soft = SoftUkey::new(t.path(), &[("SN-ERR", Quirks::default())]);
    let ca = test_ca();
    let when = Time::from_ymd_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let (nb, na) = eseal::crypto::testca::default_validity();
    let seal_for = |cert: &eseal::crypto::Certificate| {
        SealBuilder::new("上海市测试局", "310000000000078")
            .picture(
                "png",
                std::fs::read(common::repo_root().join("vectors/ses/picture-8x8.png")).unwrap(),
                40,
                40,
            )
            .created(nb)
            .valid(nb, na)
            .signer_cert(cert)
            .build(&ca.unit.signer())
            .unwrap()
    };
    let seal = seal_for(&ca.person.cert);
    let lib = SkfLibrary::load(&soft.lib).unwrap();
    let name = lib.enumerate().unwrap().remove(0);
    let signer = UkeySigner::open(lib.connect(&name).unwrap(), APP, None, USER_PIN).unwrap();
    let package = ofd::Package::from_bytes(samples::sample_ofd(1, "errors")).unwrap();
    let plain_pdf = samples::sample_pdf(1, "errors");
    let sign_both = |seal: &eseal::ses::Seal| {
        let mut o = ofd::SignRequest::new(ofd::SignKind::Seal(seal), when);
        o.placements.push(ofd::Placement::Stamp {
            page: 1,
            x_mm: 20.0,
            y_mm: 20.0,
            width_mm: None,
            height_mm: None,
        });
        let p = pdf::SignRequest::new(
            pdf::Credential::Seal {
                seal,
                signer: &signer,
            },
            pdf::Placement::Invisible,
            when,
        );
        (
            ofd::sign(&package, &signer, &o).unwrap_err(),
            pdf::sign(&plain_pdf, &[p]).unwrap_err(),
        )
    };
    let signer_cause = |o: &ofd::OfdError, p: &pdf::PdfError| -> (SignerError, SignerError) {
        let from_ofd = match o {
            ofd::OfdError::Ses(SesError::Signer(s)) | ofd::OfdError::Signer(s) => s.clone(),
            other => panic!("OFD: expected a signer error, got {other:?}"),
        };
        let from_pdf = match p {
            pdf::PdfError::Ses(SesError::Signer(s)) | pdf::PdfError::Signer(s) => s.clone(),
            other => panic!("PDF: expected a signer error, got {other:?}"),
        };
        (from_ofd, from_pdf)
    };

    // The seal does not list the key's certificate: the seal's refusal (GB/T 38540 §8.2).
    let other = seal_for(&ca.unit.cert);
    match sign_both(&other) {
        (
            ofd::OfdError::Ses(SesError::SealUnusable(_)),
            pdf::PdfError::Ses(SesError::SealUnusable(_)),
        ) => {}
        other => panic!("expected SealUnusable twice, got {other:?}"),
    }

    // The key logs out (another program cleared its security state); a wrong PIN typed then
    // is the PIN's error, and signing asks for the PIN.
    signer.with_token(|t| t.logout(APP)).unwrap();
    assert!(matches!(
        signer.with_token(|t| t.verify_pin(APP, PinType::User, "000000")),
        Err(UkeyError::PinIncorrect { retries_left: 4 })
    ));
    let (o, p) = sign_both(&seal);
    assert_eq!(
        signer_cause(&o, &p),
        (SignerError::NotLoggedIn, SignerError::NotLoggedIn)
    );

    // The right PIN again signs; then the key is pulled out: a device error.
    signer
        .with_token(|t| t.verify_pin(APP, PinType::User, USER_PIN))
        .unwrap();
    let mut st = soft.state("SN-ERR");
    st.present = false;
    st.save(&soft.state_file("SN-ERR")).unwrap();
    let (o, p) = sign_both(&seal);
    match signer_cause(&o, &p) {
        (SignerError::Device(a), SignerError::Device(b)) => {
            assert!(a.contains("removed") && b.contains("removed"), "{a} / {b}")
        }
        other => panic!("expected device errors, got {other:?}"),
    }
}
