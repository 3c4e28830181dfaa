//! Where a seal lands (issue 16): keyword positioning on PDFs made by reportlab (CID font
//! STSong-Light with UniGB-UCS2-H, a TrueType subset with Identity-H and ToUnicode, text
//! split over several show operators, a rotated page, a form XObject) and on real OFDs of
//! other producers; cross-page seals on every edge; deferred (two-step) signing for PDF and
//! OFD. Placements are checked by rendering with pdftoppm and reading pixels.

mod common;
mod pdf_support;

use common::{TempDir, shared_vectors, tool, venv_python};
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::crypto::{Signer, SoftwareSigner};
use eseal::ofd::{self, Package, SignKind};
use eseal::pdf::{self, Credential, Placement, SignRequest};
use eseal::placement::{Anchor, CrossPage, Edge, Keyword, Occurrence, PageSet, PlacementError};
use eseal::report::Verdict;
use eseal::ses::{Seal, SealBuilder};
use pdf_support::*;
use std::path::Path;

fn seal(ca: &TestCa) -> Seal {
    SealBuilder::new("上海市测试局", "310000000000016")
        .picture("PNG", red_disc_png(96), 40, 40)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap()
}

/// A 3-page A4 PDF by reportlab: page 1 "甲方（盖章）：" in STSong-Light at (100, 600) pt;
/// page 2 "乙方（盖章）" in WenQuanYi (TrueType subset) shown as two strings, inside a form
/// XObject, and "甲方（盖章）" once more at (300, 200); page 3 turned by /Rotate 90 with
/// "甲方（盖章）" at (120, 400) in its user space.
fn reportlab_pdf(dir: &Path) -> Vec<u8> {
    let out = dir.join("contract.pdf");
    let script = r#"
import sys
from reportlab.pdfgen import canvas
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
pdfmetrics.registerFont(UnicodeCIDFont('STSong-Light'))
pdfmetrics.registerFont(TTFont('WQY', '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', subfontIndex=0))
c = canvas.Canvas(sys.argv[1], pagesize=(595.28, 841.89))
c.setFont('STSong-Light', 14)
c.drawString(100, 600, '甲方（盖章）：')
c.showPage()
c.beginForm('f1')
c.setFont('WQY', 16)
t = c.beginText(80, 500)
t.textOut('乙方')
t.setCharSpace(0.5)
t.textOut('（盖章）')
c.drawText(t)
c.endForm()
c.doForm('f1')
c.setFont('STSong-Light', 12)
c.drawString(300, 200, '甲方（盖章）')
c.showPage()
c.setPageRotation(90)
c.setFont('STSong-Light', 12)
c.drawString(120, 400, '甲方（盖章）')
c.showPage()
c.save()
"#;
    let st = venv_python()
        .arg("-c")
        .arg(script)
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success(), "reportlab");
    std::fs::read(out).unwrap()
}

/// Renders page `page` at 72 dpi (1 px = 1 pt) and returns (width, height, RGB).
fn render(pdf: &Path, page: u32) -> (usize, usize, Vec<u8>) {
    let prefix = pdf.with_extension(format!("p{page}"));
    let st = tool("pdftoppm")
        .args([
            "-r",
            "72",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success());
    let ppm = std::fs::read(format!("{}.ppm", prefix.display())).unwrap();
    // P6\nW H\n255\n
    let mut parts = ppm.splitn(4, |b| b.is_ascii_whitespace());
    let _ = parts.next();
    let w: usize = std::str::from_utf8(parts.next().unwrap())
        .unwrap()
        .parse()
        .unwrap();
    let h: usize = std::str::from_utf8(parts.next().unwrap())
        .unwrap()
        .parse()
        .unwrap();
    let rest = parts.next().unwrap();
    let data = rest[rest.len() - w * h * 3..].to_vec();
    (w, h, data)
}

fn red_at(img: &(usize, usize, Vec<u8>), x: f64, y_from_top: f64) -> bool {
    let (w, h, d) = img;
    let (x, y) = (x.round() as usize, y_from_top.round() as usize);
    assert!(x < *w && y < *h, "{x},{y} outside {w}×{h}");
    let p = &d[(y * w + x) * 3..(y * w + x) * 3 + 3];
    p[0] > 150 && p[1] < 90 && p[2] < 90
}

const MM: f64 = 72.0 / 25.4;

#[test]
fn pdf_keywords_from_reportlab_are_found_where_drawn_and_stamped_there() {
    let dir = TempDir::new("kw-pdf");
    let pdf = reportlab_pdf(dir.path());
    let kw = Keyword::new("甲方（盖章）");
    let hits = pdf::find_text(&pdf, &kw).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.page).collect::<Vec<_>>(),
        [1, 2, 3],
        "{hits:?}"
    );
    // Page 1: x 100 pt, baseline 600 pt from the bottom of an 841.89 pt page.
    let r = hits[0].rect;
    assert!((r[0] - 100.0 / MM).abs() < 0.5, "{r:?}");
    let baseline_from_top = (841.89 - 600.0) / MM;
    assert!(
        r[1] < baseline_from_top && r[3] > baseline_from_top,
        "{r:?}"
    );
    // Six CJK characters of 14 pt.
    assert!((r[2] - r[0] - 6.0 * 14.0 / MM).abs() < 1.0, "{r:?}");
    // Page 3 is shown turned: its user point (120, 400) is displayed at (400, 120) from the
    // top-left (for /Rotate 90, x_display = y_user, y_display = x_user).
    let r3 = hits[2].rect;
    assert!((r3[0] - 400.0 / MM).abs() < 6.0, "{r3:?}");
    assert!((r3[1] - 120.0 / MM).abs() < 6.0, "{r3:?}");
    assert!(
        r3[3] - r3[1] > r3[2] - r3[0],
        "rotated text runs downwards: {r3:?}"
    );
    // Split over two strings with character spacing, inside a form XObject (TrueType subset).
    let b = pdf::find_text(&pdf, &Keyword::new("乙方（盖章）")).unwrap();
    assert_eq!(b.len(), 1);
    assert!((b[0].rect[0] - 80.0 / MM).abs() < 0.5, "{:?}", b[0].rect);

    // Absent: an error naming the keyword; too few occurrences: an error too.
    match pdf::keyword_placements(&pdf, &Keyword::new("丙方"), 100.0, 100.0) {
        Err(pdf::PdfError::Keyword(PlacementError::KeywordNotFound { keyword, .. })) => {
            assert_eq!(keyword, "丙方")
        }
        other => panic!("{other:?}"),
    }
    let fourth = Keyword {
        occurrence: Occurrence::Nth(4),
        ..kw.clone()
    };
    assert!(matches!(
        pdf::keyword_placements(&pdf, &fourth, 100.0, 100.0),
        Err(pdf::PdfError::Keyword(PlacementError::OccurrenceMissing {
            found: 3,
            ..
        }))
    ));
    let only2 = Keyword {
        pages: PageSet::List(vec![2]),
        ..kw.clone()
    };
    assert_eq!(pdf::find_text(&pdf, &only2).unwrap().len(), 1);

    // Sign over every occurrence (one signature each), verify, render, look.
    let ca = TestCa::new("kw-pdf").unwrap();
    let s = seal(&ca);
    let signer = ca.person.signer();
    let size = 40.0 * MM;
    let placements = pdf::keyword_placements(&pdf, &kw, size, size).unwrap();
    assert_eq!(placements.len(), 3);
    let requests: Vec<SignRequest<'_>> = placements
        .into_iter()
        .map(|p| {
            SignRequest::new(
                Credential::Seal {
                    seal: &s,
                    signer: &signer,
                },
                p,
                Time::now(),
            )
        })
        .collect();
    let signed = pdf::sign(&pdf, &requests).unwrap();
    let report = pdf::verify(&signed, "kw", &sm2_opts(&ca)).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, &signed).unwrap();
    qpdf_check(&path);
    for (i, h) in hits.iter().enumerate() {
        let img = render(&path, h.page as u32);
        let (cx, cy) = ((h.rect[0] + h.rect[2]) / 2.0, (h.rect[1] + h.rect[3]) / 2.0);
        assert!(red_at(&img, cx * MM, cy * MM), "stamp {i} not on its word");
        // 25 mm away from the centre (beyond the 20 mm radius): no seal there.
        assert!(
            !red_at(&img, cx * MM, (cy + 25.0) * MM),
            "stamp {i} too large"
        );
    }
    // Unsigned, the word's centre is not red.
    std::fs::write(dir.path().join("plain.pdf"), &pdf).unwrap();
    let img = render(&dir.path().join("plain.pdf"), 1);
    let h = &hits[0];
    assert!(!red_at(
        &img,
        (h.rect[0] + h.rect[2]) / 2.0 * MM,
        (h.rect[1] + h.rect[3]) / 2.0 * MM
    ));

    // Aligned to the end with an offset: the stamp's centre is at the text's end + 10 mm.
    let end = Keyword {
        occurrence: Occurrence::First,
        anchor: Anchor::End,
        dx_mm: 10.0,
        ..kw
    };
    let p = pdf::keyword_placements(&pdf, &end, size, size).unwrap();
    let Placement::Stamp { x, width, .. } = p[0] else {
        panic!()
    };
    assert!(((x + width / 2.0) / MM - (hits[0].rect[2] + 10.0)).abs() < 1e-6);
}

/// A second producer: PyMuPDF's built-in CJK font (china-s), plain and rotated text.
#[test]
fn pdf_keywords_from_pymupdf_are_found_and_stamped() {
    let dir = TempDir::new("kw-mupdf");
    let path = dir.path().join("mu.pdf");
    let script = "import sys, pymupdf\nd = pymupdf.open()\np = d.new_page(width=595, height=842)\np.insert_text((150, 300), '合同编号 甲方（盖章）：', fontname='china-s', fontsize=14)\np2 = d.new_page(width=595, height=842)\np2.insert_text((100, 500), '甲方（盖章）', fontname='china-s', fontsize=12, rotate=90)\nd.save(sys.argv[1])\n";
    let st = venv_python()
        .arg("-c")
        .arg(script)
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success(), "pymupdf");
    let pdf = std::fs::read(&path).unwrap();
    let hits = pdf::find_text(&pdf, &Keyword::new("甲方（盖章）")).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.page).collect::<Vec<_>>(),
        [1, 2],
        "{hits:?}"
    );
    // insert_text's point is the baseline start, from the top-left (PyMuPDF's coordinates).
    let r = hits[0].rect;
    let baseline = 300.0 / MM;
    assert!(r[1] < baseline && r[3] > baseline - 1.0, "{r:?}");
    assert!(r[0] > 150.0 / MM + 10.0, "after 合同编号: {r:?}");
    // Rotated by 90°: the word runs upwards from (100, 500).
    let r2 = hits[1].rect;
    assert!(r2[3] - r2[1] > r2[2] - r2[0], "{r2:?}");
    assert!((r2[3] - 500.0 / MM).abs() < 2.0, "{r2:?}");
    let ca = TestCa::new("kw-mupdf").unwrap();
    let s = seal(&ca);
    let signer = ca.person.signer();
    let size = 30.0 * MM;
    let reqs: Vec<SignRequest<'_>> =
        pdf::keyword_placements(&pdf, &Keyword::new("甲方（盖章）"), size, size)
            .unwrap()
            .into_iter()
            .map(|p| {
                SignRequest::new(
                    Credential::Seal {
                        seal: &s,
                        signer: &signer,
                    },
                    p,
                    Time::now(),
                )
            })
            .collect();
    let signed = pdf::sign(&pdf, &reqs).unwrap();
    assert_eq!(
        pdf::verify(&signed, "mu", &sm2_opts(&ca))
            .unwrap()
            .verdict(),
        Verdict::Valid
    );
    let out = dir.path().join("signed.pdf");
    std::fs::write(&out, &signed).unwrap();
    for h in &hits {
        let img = render(&out, h.page as u32);
        let (cx, cy) = ((h.rect[0] + h.rect[2]) / 2.0, (h.rect[1] + h.rect[3]) / 2.0);
        assert!(red_at(&img, cx * MM, cy * MM), "page {}", h.page);
    }
}

#[test]
fn ofd_keywords_are_found_in_real_files_of_other_producers() {
    // Suwell's ICBC receipt: the labels are in a template page, with a CTM (0.3528) and DeltaX.
    let Some(dir) = shared_vectors("itlabers-ofd-go") else {
        eprintln!("shared vectors absent");
        return;
    };
    let pkg = Package::open(&dir.join("suwell-icbc-receipt.ofd")).unwrap();
    let hits = ofd::find_text(&pkg, &Keyword::new("收款人户名")).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let r = hits[0].rect;
    // Five characters, DeltaX 9 in a space scaled by 0.3528: 5 × 3.175 mm wide.
    assert!((r[2] - r[0] - 5.0 * 9.0 * 0.3528).abs() < 0.2, "{r:?}");
    assert!(
        r[0] > 0.0 && r[2] < 210.0 && r[1] > 0.0 && r[3] < 297.0,
        "{r:?}"
    );
    // ofdrw's hello world: "你好呀" at Boundary 31.7 25.4, X 0, Y 3, size 3.
    let hello = shared_vectors("ofdrw").unwrap().join("helloworld.ofd");
    let pkg = Package::open(&hello).unwrap();
    let hits = ofd::find_text(&pkg, &Keyword::new("OFD Reader")).unwrap();
    assert_eq!(hits.len(), 1);
    // "你好呀，" advances 3+3+3+3, then "OFD Reader" at 1.5 each.
    assert!(
        (hits[0].rect[0] - (31.7 + 12.0)).abs() < 1e-6,
        "{:?}",
        hits[0]
    );
    assert!(matches!(
        ofd::keyword_placements(&pkg, &Keyword::new("不存在"), 40.0, 40.0),
        Err(ofd::OfdError::Keyword(
            PlacementError::KeywordNotFound { .. }
        ))
    ));

    // Sign the hello world over its keyword and verify; the stamp is centred on the word.
    let ca = TestCa::new("kw-ofd").unwrap();
    let s = seal(&ca);
    let kw = Keyword::new("你好呀");
    let mut req = ofd::SignRequest::new(SignKind::Seal(&s), Time::now());
    req.placements = ofd::keyword_placements(&pkg, &kw, 40.0, 40.0).unwrap();
    let signed = ofd::sign(&pkg, &ca.person.signer(), &req).unwrap();
    let report = verify_ofd(&signed, &ca);
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    let ofd::Placement::Stamp { x_mm, y_mm, .. } = req.placements[0] else {
        panic!()
    };
    assert!((x_mm + 20.0 - (31.7 + 4.5)).abs() < 1e-6, "{x_mm}");
    assert!((y_mm + 20.0 - (25.4 + 3.0 - 1.05)).abs() < 1e-6, "{y_mm}");
}

fn verify_ofd(bytes: &[u8], ca: &TestCa) -> eseal::report::VerificationReport {
    let pkg = Package::from_bytes(bytes.to_vec()).unwrap();
    ofd::verify(&pkg, "t.ofd", &sm2_opts(ca)).unwrap()
}

#[test]
fn pdf_cross_page_seals_on_each_edge_render_at_that_edge() {
    let dir = TempDir::new("cp-pdf");
    let pdf = make_pdf(4);
    let ca = TestCa::new("cp-pdf").unwrap();
    let s = seal(&ca);
    let signer = ca.person.signer();
    for edge in [Edge::Right, Edge::Left, Edge::Top, Edge::Bottom] {
        let layout = CrossPage {
            edge,
            pages: PageSet::Even,
            ..CrossPage::default()
        };
        let req = SignRequest::new(
            Credential::Seal {
                seal: &s,
                signer: &signer,
            },
            Placement::CrossPageAt {
                layout,
                width: 40.0 * MM,
                height: 40.0 * MM,
            },
            Time::now(),
        );
        let signed = pdf::sign(&pdf, &[req]).unwrap();
        let report = pdf::verify(&signed, "cp", &sm2_opts(&ca)).unwrap();
        assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
        let path = dir.path().join(format!("{edge:?}.pdf"));
        std::fs::write(&path, &signed).unwrap();
        qpdf_check(&path);
        // Even pages 2 and 4 carry halves (20 mm deep each); odd pages nothing.
        for page in 1..=4u32 {
            let img = render(&path, page);
            let (w, h) = (img.0 as f64, img.1 as f64);
            let inset = 5.0 * MM; // 5 mm in from the edge, middle of the edge
            let (x, y) = match edge {
                Edge::Right => (w - inset, h / 2.0),
                Edge::Left => (inset, h / 2.0),
                Edge::Top => (w / 2.0, inset),
                Edge::Bottom => (w / 2.0, h - inset),
            };
            assert_eq!(red_at(&img, x, y), page % 2 == 0, "{edge:?} page {page}");
            // Nothing 25 mm in from the edge (each slice is 20 mm deep).
            let deep = 25.0 * MM;
            let (x, y) = match edge {
                Edge::Right => (w - deep, h / 2.0),
                Edge::Left => (deep, h / 2.0),
                Edge::Top => (w / 2.0, deep),
                Edge::Bottom => (w / 2.0, h - deep),
            };
            assert!(!red_at(&img, x, y), "{edge:?} page {page} slice too deep");
        }
    }
}

#[test]
fn ofd_cross_page_groups_and_edges_verify() {
    let ca = TestCa::new("cp-ofd").unwrap();
    let s = seal(&ca);
    let bytes = eseal::samples::sample_ofd(9, "cross");
    let pkg = Package::from_bytes(bytes).unwrap();
    for edge in [Edge::Left, Edge::Bottom] {
        let mut req = ofd::SignRequest::new(SignKind::Seal(&s), Time::now());
        req.placements = vec![ofd::Placement::CrossPageAt {
            layout: CrossPage {
                edge,
                min_slice_mm: Some(10.0),
                ..CrossPage::default()
            },
            width_mm: None,
            height_mm: None,
        }];
        let signed = ofd::sign(&pkg, &ca.person.signer(), &req).unwrap();
        let report = verify_ofd(&signed, &ca);
        assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
        // 9 pages, slices ≥ 10 mm of a 40 mm seal: groups of 4 at most → 3 groups (3, 3, 3).
        let ins = ofd::inspect(&Package::from_bytes(signed).unwrap()).unwrap();
        let annots = &ins.documents[0].signatures[0].stamp_annots;
        assert_eq!(annots.len(), 9, "{annots:?}");
    }
}

#[test]
fn deferred_signing_of_pdf_and_ofd_binds_the_source_and_checks_the_signature() {
    let ca = TestCa::new("deferred").unwrap();
    let s = seal(&ca);
    // The external signer (a UKey): only its certificate is known to the signing side.
    let ukey: SoftwareSigner = ca.person.signer();
    let cert = ukey.certificate().clone();
    let time = Time::now();
    let pdf = make_pdf(2);
    let external = eseal::deferred::External(cert.clone());
    let stamp = |page| Placement::Stamp {
        page,
        x: 100.0,
        y: 100.0,
        width: 113.0,
        height: 113.0,
    };
    // SES and SM2 CMS shapes.
    let shapes = [
        SignRequest::new(
            Credential::Seal {
                seal: &s,
                signer: &external,
            },
            stamp(1),
            time,
        ),
        SignRequest::new(
            Credential::Sm2Cms {
                signer: &external,
                oids: pdf::Sm2CmsOids::GmT0010,
            },
            Placement::Invisible,
            time,
        ),
    ];
    for req in &shapes {
        let pending = pdf::prepare(&pdf, req).unwrap();
        // The state travels as JSON (e.g. through a browser and back).
        let pending = eseal::deferred::Pending::from_json(&pending.to_json()).unwrap();
        let sig = ukey.sign_digest(&pending.digest).unwrap();
        let signed = pdf::finish(&pdf, &pending, sig, req).unwrap();
        let report = pdf::verify(&signed, "deferred", &sm2_opts(&ca)).unwrap();
        assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
        // A swapped file is refused.
        let other = make_pdf(3);
        assert!(matches!(
            pdf::finish(&other, &pending, sig, req),
            Err(pdf::PdfError::Deferred(
                eseal::deferred::DeferredError::SourceChanged { .. }
            ))
        ));
        // A signature of something else is refused before anything is written.
        let wrong = ukey.sign_digest(&[7u8; 32]).unwrap();
        assert!(matches!(
            pdf::finish(&pdf, &pending, wrong, req),
            Err(pdf::PdfError::Deferred(
                eseal::deferred::DeferredError::BadSignature
            ))
        ));
    }
    // A changed request (another page) needs another digest: refused.
    let pending = pdf::prepare(&pdf, &shapes[0]).unwrap();
    let sig = ukey.sign_digest(&pending.digest).unwrap();
    let mut moved = shapes[0].with_signer(&external);
    moved.placement = stamp(2);
    assert!(pdf::finish(&pdf, &pending, sig, &moved).is_err());

    // OFD: Type=Seal and Type=Sign.
    let ofd_bytes = eseal::samples::sample_ofd(2, "deferred");
    for kind in [SignKind::Seal(&s), SignKind::Sign] {
        let mut req = ofd::SignRequest::new(kind, time);
        req.placements = vec![ofd::Placement::Stamp {
            page: 1,
            x_mm: 100.0,
            y_mm: 100.0,
            width_mm: None,
            height_mm: None,
        }];
        let pending = ofd::prepare(&ofd_bytes, &cert, &req).unwrap();
        let sig = ukey.sign_digest(&pending.digest).unwrap();
        let signed = ofd::finish(&ofd_bytes, &pending, &sig, &req).unwrap();
        let report = verify_ofd(&signed, &ca);
        assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
        let other = eseal::samples::sample_ofd(3, "deferred");
        assert!(matches!(
            ofd::finish(&other, &pending, &sig, &req),
            Err(ofd::OfdError::Deferred(
                eseal::deferred::DeferredError::SourceChanged { .. }
            ))
        ));
    }
}

/// A contract written as a flat ODT: 甲方（盖章） on page 1 (after a title) and on page 2 (a
/// page break before it), 乙方（盖章） once; the Asian font is AR PL UMing (30-fonts.sh).
const CONTRACT_FODT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:font-face-decls>
  <style:font-face style:name="AR PL UMing CN" svg:font-family="'AR PL UMing CN'"/>
 </office:font-face-decls>
 <office:automatic-styles>
  <style:style style:name="P1" style:family="paragraph">
   <style:text-properties style:font-name-asian="AR PL UMing CN" fo:font-size="14pt" style:font-size-asian="14pt"/>
  </style:style>
  <style:style style:name="P2" style:family="paragraph">
   <style:paragraph-properties fo:break-before="page"/>
   <style:text-properties style:font-name-asian="AR PL UMing CN" fo:font-size="12pt" style:font-size-asian="12pt"/>
  </style:style>
  <style:style style:name="P3" style:family="paragraph">
   <style:text-properties style:font-name-asian="AR PL UMing CN" fo:font-size="12pt" style:font-size-asian="12pt"/>
  </style:style>
 </office:automatic-styles>
 <office:body>
  <office:text>
   <text:p text:style-name="P1">采购合同</text:p>
   <text:p text:style-name="P1">甲方（盖章）：北京示例有限公司</text:p>
   <text:p text:style-name="P1">乙方（盖章）：上海示例有限公司</text:p>
   <text:p text:style-name="P2">附件一</text:p>
   <text:p text:style-name="P3">甲方（盖章）：北京示例有限公司</text:p>
  </office:text>
 </office:body>
</office:document>
"#;

/// Poppler's own boxes (pt from the top-left) of the words starting with `prefix`, by page:
/// `pdftotext -bbox` is an outside reading of where the text is.
fn poppler_words(pdf: &Path, prefix: &str) -> Vec<(usize, [f64; 4])> {
    let out = tool("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    let mut page = 0;
    let mut words = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            page += 1;
        }
        if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f64 {
                let at = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                rest[at..].split('"').next().unwrap().parse().unwrap()
            };
            let text = rest.split('>').nth(1).unwrap_or("");
            if text.starts_with(prefix) {
                words.push((
                    page,
                    [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")],
                ));
            }
        }
    }
    words
}

/// A third producer: LibreOffice Writer (headless `soffice --convert-to pdf` of an ODT). Its
/// PDF shows the CJK text in a TrueType subset with a one-byte encoding and a ToUnicode map.
/// The keyword is found on both pages where poppler (`pdftotext -bbox`) sees the words, a
/// stamp lands on each (pdftoppm pixels), the result verifies, and a missing word is an error.
#[test]
fn pdf_keywords_from_libreoffice_are_found_where_poppler_sees_them_and_stamped() {
    let dir = TempDir::new("kw-lo");
    let fodt = dir.path().join("contract.fodt");
    std::fs::write(&fodt, CONTRACT_FODT).unwrap();
    libreoffice_keywords(&dir, &fodt);
}

/// The same contract written as a Word document (.docx, Office Open XML, ECMA-376 Part 1:
/// the minimal package of `[Content_Types].xml`, the package relationships and
/// `word/document.xml`), converted by LibreOffice: the other input a business system
/// sends. Found, stamped on the word, verified.
#[test]
fn pdf_keywords_from_a_docx_converted_by_libreoffice_are_found_and_stamped() {
    let dir = TempDir::new("kw-docx");
    let docx = dir.path().join("contract.docx");
    std::fs::write(&docx, contract_docx()).unwrap();
    libreoffice_keywords(&dir, &docx);
}

/// A .docx of [`CONTRACT_FODT`]'s text: five paragraphs, the fourth after a page break, CJK
/// in AR PL UMing CN (`w:eastAsia`) at 14 pt then 12 pt (`w:sz` in half points).
fn contract_docx() -> Vec<u8> {
    use std::io::Write;
    let para = |text: &str, half_pt: u32, page_break: bool| {
        format!(
            r#"<w:p><w:pPr>{}</w:pPr><w:r><w:rPr><w:rFonts w:eastAsia="AR PL UMing CN"/><w:sz w:val="{half_pt}"/><w:szCs w:val="{half_pt}"/></w:rPr><w:t>{text}</w:t></w:r></w:p>"#,
            if page_break {
                "<w:pageBreakBefore/>"
            } else {
                ""
            }
        )
    };
    let body: String = [
        para("采购合同", 28, false),
        para("甲方（盖章）：北京示例有限公司", 28, false),
        para("乙方（盖章）：上海示例有限公司", 28, false),
        para("附件一", 24, true),
        para("甲方（盖章）：北京示例有限公司", 24, false),
    ]
    .concat();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    );
    let parts: [(&str, String); 3] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#
                .into(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#
                .into(),
        ),
        ("word/document.xml", document),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Converts `source` with headless LibreOffice, then checks the keyword 甲方（盖章）: found on
/// both pages where poppler sees it, stamped there through the streamed file paths
/// (`keyword_placements_file`, `sign_file`), verified, and seen on the rendered pages.
fn libreoffice_keywords(dir: &TempDir, source: &Path) {
    let st = tool("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(source)
        .status()
        .unwrap();
    assert!(st.success(), "soffice");
    let path = source.with_extension("pdf");
    let pdf = std::fs::read(&path).unwrap();
    let info = tool("pdfinfo").arg(&path).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    assert!(info.contains("LibreOffice"), "the producer: {info}");
    let kw = Keyword::new("甲方（盖章）");
    let hits = pdf::find_text(&pdf, &kw).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.page).collect::<Vec<_>>(),
        [1, 2],
        "{hits:?}"
    );
    let words = poppler_words(&path, "甲方（盖章）");
    assert_eq!(words.len(), 2, "{words:?}");
    for (h, (page, w)) in hits.iter().zip(&words) {
        assert_eq!(h.page, *page);
        let r = h.rect.map(|v| v * MM);
        // Same left edge; the keyword is 6 of the word's 15 characters.
        assert!(
            (r[0] - w[0]).abs() < 1.5,
            "page {page}: {r:?} vs poppler {w:?}"
        );
        let share = (r[2] - r[0]) / (w[2] - w[0]);
        assert!((share - 6.0 / 15.0).abs() < 0.05, "page {page}: {share}");
        let mid = (w[1] + w[3]) / 2.0;
        assert!(r[1] < mid && mid < r[3], "page {page}: {r:?} vs {w:?}");
    }
    let b = pdf::find_text(&pdf, &Keyword::new("乙方（盖章）")).unwrap();
    assert_eq!(b.len(), 1);
    assert!(b[0].rect[1] > hits[0].rect[3] - 0.5, "乙方 below 甲方");
    assert!(matches!(
        pdf::keyword_placements(&pdf, &Keyword::new("丙方"), 40.0, 40.0),
        Err(pdf::PdfError::Keyword(
            PlacementError::KeywordNotFound { .. }
        ))
    ));

    let ca = TestCa::new("kw-lo").unwrap();
    let s = seal(&ca);
    let signer = ca.person.signer();
    let size = 30.0 * MM;
    let reqs: Vec<SignRequest<'_>> = pdf::keyword_placements_file(&path, &kw, size, size)
        .unwrap()
        .into_iter()
        .map(|p| {
            SignRequest::new(
                Credential::Seal {
                    seal: &s,
                    signer: &signer,
                },
                p,
                Time::now(),
            )
        })
        .collect();
    let out = dir.path().join("signed.pdf");
    pdf::sign_file(&path, &out, &reqs).unwrap();
    assert_eq!(
        pdf::verify_file(&out, &sm2_opts(&ca)).unwrap().verdict(),
        Verdict::Valid
    );
    for (h, (_, w)) in hits.iter().zip(&words) {
        let img = render(&out, h.page as u32);
        let (cx, cy) = ((h.rect[0] + h.rect[2]) / 2.0, (h.rect[1] + h.rect[3]) / 2.0);
        assert!(red_at(&img, cx * MM, cy * MM), "page {}", h.page);
        // Poppler's word start is under the stamp too; the end of the line is not.
        assert!(
            red_at(&img, w[0] + 2.0, (w[1] + w[3]) / 2.0),
            "page {}",
            h.page
        );
        assert!(
            !red_at(&img, w[2] - 2.0, (w[1] + w[3]) / 2.0),
            "page {}",
            h.page
        );
    }
}

/// Tax invoices (ofdrw's signed 增值税电子普通发票 samples): the labels are in the template
/// page, 销售方 written downwards (DeltaY), 开票人 across with uneven DeltaX. The words are
/// found at the places the XML gives, and a placement by 开票人 is centred on it.
#[test]
fn ofd_tax_invoice_words_are_found_in_the_template() {
    let Some(dir) = shared_vectors("ofdrw") else {
        return;
    };
    for file in ["signedFile.ofd", "v4signed.ofd"] {
        let pkg = Package::open(&dir.join(file)).unwrap();
        let seller = ofd::find_text(&pkg, &Keyword::new("销售方")).unwrap();
        assert!(!seller.is_empty(), "{file}");
        let drawer = ofd::find_text(&pkg, &Keyword::new("开票人")).unwrap();
        assert_eq!(drawer.len(), 1, "{file}: {drawer:?}");
        if file == "signedFile.ofd" {
            // 销售方: Boundary 6.6 106.3, X 0.25, Y 3.15, DeltaY 6.35 6.35, size 3.175.
            let r = seller[0].rect;
            assert!(r[3] - r[1] > 2.0 * (r[2] - r[0]), "{file}: vertical {r:?}");
            assert!(
                (r[0] - 6.85).abs() < 0.2 && (r[2] - 10.025).abs() < 0.2,
                "{r:?}"
            );
            assert!(r[1] < 106.3 + 3.15 && r[3] > 106.3 + 3.15 + 12.7, "{r:?}");
            // 开票人: Boundary 105.5 125.5, X 0.2, DeltaX 4.85 4.85, size 3.175.
            let r = drawer[0].rect;
            assert!((r[0] - 105.7).abs() < 0.2, "{r:?}");
            assert!((r[2] - (105.7 + 9.7 + 3.175)).abs() < 0.2, "{r:?}");
            assert!(r[1] < 125.5 + 2.734 && r[3] > 125.5 + 2.0, "{r:?}");
            let placed =
                ofd::keyword_placements(&pkg, &Keyword::new("开票人"), 40.0, 30.0).unwrap();
            let ofd::Placement::Stamp { x_mm, y_mm, .. } = placed[0] else {
                panic!()
            };
            assert!((x_mm + 20.0 - (r[0] + r[2]) / 2.0).abs() < 1e-6);
            assert!((y_mm + 15.0 - (r[1] + r[3]) / 2.0).abs() < 1e-6);
        }
    }
}
