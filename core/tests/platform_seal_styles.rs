//! Issue 16 on the platform: a unit applies for seals whose pictures the platform draws in the
//! peers' styles — the oval 发票专用章 (40 × 30 mm, the unit's 统一社会信用代码 as its
//! 纳税人识别号) and the square 财务专用章 — the CA operator reviews them, the unit receipts
//! them, a seal user signs an OFD and a PDF with each, and both verify with the seal's
//! picture at its written size.

use std::sync::Arc;

use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::platform::conformance::Fx;
use eseal::platform::*;
use eseal::report::Verdict;
use eseal::ses::Seal;
use eseal::stamp::style::SealStyle;
use eseal::validation::{TrustStore, VerifyOptions};
use eseal::{ofd, pdf, samples};

#[test]
fn generated_oval_and_square_seals_are_applied_for_reviewed_and_sign() {
    let f = Fx::new(Arc::new(MemoryStore::new()));
    let p = &f.p;
    let (me, sess) = f.staff("签署人", &[]);
    let opts = || VerifyOptions {
        trust: TrustStore::new().with(TestCa::new("conformance").unwrap().root.cert),
        at: Time::from_unix(p.now()),
        ..Default::default()
    };
    for (style, name, size) in [
        (SealStyle::InvoiceOval, "测试单位A发票专用章", (40, 30)),
        (SealStyle::SquareFinance, "测试单位A财务专用章", (22, 22)),
    ] {
        let mut a = f.application(SealKind::Cloud, name);
        a.generate = Some(style);
        a.picture = vec![];
        let applied = p.apply_seal(&f.admin, a).unwrap();
        assert_eq!(applied.status, SealStatus::PendingReview);
        assert_eq!((applied.width_mm, applied.height_mm), size, "{style:?}");
        assert_eq!(applied.picture_format, "png");
        p.ca_review(&f.ops, &applied.id, true, "").unwrap();
        let seal = p.receipt_seal(&f.admin, &applied.id).unwrap();
        assert_eq!(seal.status, SealStatus::Valid);
        let made = Seal::from_der(&p.seal_der(&f.admin, &seal.id).unwrap()).unwrap();
        let s = made.summary();
        assert_eq!(
            (s.picture_width_mm, s.picture_height_mm),
            (i64::from(size.0), i64::from(size.1))
        );
        assert!(
            s.picture_type.to_ascii_lowercase().starts_with("png"),
            "{}",
            s.picture_type
        );

        p.add_seal_user(&f.admin, &seal.id, &me.id).unwrap();
        f.clock.advance(61);
        p.send_session_code(&sess, SmsPurpose::Sign).unwrap();
        let code = f.sms.last_code(&me.phone).unwrap();
        let ofd_doc = DocumentInput {
            name: "发票.ofd".into(),
            bytes: samples::sample_ofd(1, "styles"),
            layout: Layout::Ofd {
                placements: vec![ofd::Placement::Stamp {
                    page: 1,
                    x_mm: 120.0,
                    y_mm: 200.0,
                    width_mm: None,
                    height_mm: None,
                }],
                qr: None,
            },
            thumbnail: None,
        };
        let signed = p
            .sign_document(&sess, &seal.id, &ofd_doc, &SignCredential::SmsCode(code))
            .unwrap();
        let r = ofd::verify(
            &ofd::Package::from_bytes(signed.bytes).unwrap(),
            "发票.ofd",
            &opts(),
        )
        .unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        assert_eq!(r.signatures[0].seal.as_ref().unwrap().name, name);

        f.clock.advance(61);
        p.send_session_code(&sess, SmsPurpose::Sign).unwrap();
        let code = f.sms.last_code(&me.phone).unwrap();
        let pdf_doc = DocumentInput {
            name: "账目.pdf".into(),
            bytes: samples::sample_pdf(1, "styles"),
            layout: Layout::Pdf {
                placements: vec![pdf::Placement::Stamp {
                    page: 1,
                    x: 380.0,
                    y: 200.0,
                    width: f64::from(size.0) * 72.0 / 25.4,
                    height: f64::from(size.1) * 72.0 / 25.4,
                }],
                qr: None,
            },
            thumbnail: None,
        };
        let signed = p
            .sign_document(&sess, &seal.id, &pdf_doc, &SignCredential::SmsCode(code))
            .unwrap();
        let r = pdf::verify(&signed.bytes, "账目.pdf", &opts()).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    }
}
