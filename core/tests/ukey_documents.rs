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
