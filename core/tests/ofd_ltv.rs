//! OFD long-term evidence (core/src/ofd/evidence.rs): Evidence.xml beside the signature,
//! written by `ofd::evidence::add_evidence`, used by the verifier ten years ahead (`--at`),
//! ignored by ofd.js and by the verifier's coverage rules.

mod common;
mod ofd_support;

use common::TempDir;
use eseal::crypto::testca::{CertKind, TestCa};
use eseal::crypto::time::Time;
use eseal::ofd::evidence::{self, EvidenceOptions};
use eseal::ofd::{self, Package, SignKind, SignRequest};
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::ses::SealBuilder;
use eseal::tsp::{self, Sm2TsaKey, TimeStampAuthority, TimeStampReq, TimeStampToken, TspError};
use eseal::validation::{TrustStore, VerifyOptions};

/// The test CA's SM2 TSA answering as of a fixed time.
struct TsaAt(TimeStampAuthority, Time);

impl tsp::TimeStamper for TsaAt {
    fn stamp_imprint(&self, imprint: tsp::MessageImprint) -> Result<TimeStampToken, TspError> {
        let req = TimeStampReq::for_imprint(imprint)?;
        tsp::accept_response(&req, &self.0.respond(&req.to_der(), self.1))
    }
}

fn tsa(ca: &TestCa, at: Time) -> TsaAt {
    let id = ca.tsa().unwrap();
    TsaAt(
        TimeStampAuthority::new(
            Box::new(Sm2TsaKey(Box::new(id.signer()))),
            vec![ca.root.cert.clone()],
        )
        .unwrap(),
        at,
    )
}

fn ymd(y: i64, m: u32, d: u32) -> Time {
    Time::from_ymd_hms(y, m, d, 8, 0, 0).unwrap()
}

/// An OFD sealed on 2026-03-01 (token a minute later) by a signer whose certificate is valid
/// through 2026 only.
fn sealed(dir: &TempDir, ca: &TestCa) -> std::path::PathBuf {
    let short = ca
        .issue(
            "short-lived",
            &[("C", "CN"), ("O", "上海市测试局"), ("CN", "李四")],
            CertKind::Signing,
            ymd(2026, 1, 1),
            ymd(2027, 1, 1),
        )
        .unwrap();
    let seal = SealBuilder::new("合同专用章", "ofd-ltv-0001")
        .picture("PNG", ofd_support::solid_png([200, 0, 0]), 40, 40)
        .created(ymd(2026, 1, 1))
        .valid(ymd(2026, 1, 1), ymd(2030, 1, 1))
        .signer_cert(&short.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let pkg = Package::from_bytes(ofd_support::sample_ofd(1)).unwrap();
    let t = tsa(ca, ymd(2026, 3, 1).add_seconds(60));
    let mut req = SignRequest::new(SignKind::Seal(&seal), ymd(2026, 3, 1));
    req.time_stamper = Some(&t);
    let bytes = ofd::sign(&pkg, &short.signer(), &req).unwrap();
    let p = dir.path().join("sealed.ofd");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn verify(path: &std::path::Path, ca: &TestCa, at: Time) -> VerificationReport {
    let o = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at,
        long_term: true,
        // "Valid when signed, expired now" is a warning; --strict makes it a failure.
        strict: true,
        ..Default::default()
    };
    ofd::verify_file(path, &o).unwrap()
}

#[test]
fn evidence_with_an_archive_time_stamp_validates_ten_years_ahead() {
    let dir = TempDir::new("ofd-ltv");
    let ca = TestCa::new("ofd-ltv").unwrap();
    let plain = sealed(&dir, &ca);
    let later = ymd(2036, 3, 1);

    // Without evidence: the signer's certificate expired in 2027, nothing proves more.
    let r = verify(&plain, &ca, later);
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    assert!(
        r.to_text().contains("no evidence file (Evidence.xml)"),
        "{}",
        r.to_text()
    );

    // Evidence with an archive time stamp made while the certificate was valid.
    let ev = dir.path().join("evidence.ofd");
    let t = tsa(&ca, ymd(2026, 3, 2));
    let n = evidence::add_evidence(
        &plain,
        &ev,
        &EvidenceOptions {
            certs: vec![ca.root.cert.clone()],
            tsa: Some(&t),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(n, 1);
    let pkg = Package::open(&ev).unwrap();
    let name = pkg
        .names()
        .find(|n| n.ends_with("Evidence.xml"))
        .map(str::to_owned)
        .expect("Evidence.xml written");
    assert!(name.starts_with("Doc_0/Signs/"), "{name}");
    let parsed = evidence::Evidence::parse(&pkg.read(&name).unwrap().unwrap(), &name).unwrap();
    // Signer, seal maker's... the signer's chain to the root, the TSA's; one time stamp.
    assert!(parsed.data.certs.len() >= 3, "{parsed:?}");
    assert_eq!(parsed.timestamps.len(), 1);

    // Today: valid, and the evidence file is no unprotected part.
    let r = verify(&ev, &ca, ymd(2026, 6, 1));
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    // Ten years ahead: valid from the evidence.
    let r = verify(&ev, &ca, later);
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let s = &r.signatures[0];
    assert!(
        s.checks
            .iter()
            .any(|c| c.check == CheckKind::CertificateValidityNow
                && c.status == Status::Passed
                && c.message.contains("long-term validation")),
        "{:#?}",
        s.checks
    );
    // Past the TSA's own expiry (2045) the archive time stamp proves nothing.
    let r = verify(&ev, &ca, ymd(2046, 3, 1));
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());

    // A changed evidence file (a certificate dropped) breaks the archive time stamp.
    let mut bad = parsed.clone();
    bad.data.certs.pop();
    let changed = pkg
        .to_bytes_with(
            &[(name.clone(), Some(bad.to_xml("1")))]
                .into_iter()
                .collect(),
        )
        .unwrap();
    let badp = dir.path().join("bad.ofd");
    std::fs::write(&badp, changed).unwrap();
    let r = verify(&badp, &ca, later);
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());

    // ofd.js reads the file with the evidence as it reads the one without.
    if let (Some(a), Some(b)) = (
        ofd_support::ofdjs_report(&plain),
        ofd_support::ofdjs_report(&ev),
    ) {
        assert_eq!(a["signatures"], b["signatures"], "{a} / {b}");
        assert_eq!(b["ok"], true, "{b}");
    }
}
