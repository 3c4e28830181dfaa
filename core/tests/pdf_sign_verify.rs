//! PDF signing and verification against outside referees: pyHanko, poppler (pdfsig,
//! pdftoppm), qpdf, OpenSSL 3 (SM2 parts). Test PDFs, pictures and the P-256 CA are made here.

mod common;
mod pdf_support;

use common::{tool, venv_python};
use eseal::crypto::sm3::sm3;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::pdf::{self, Credential, PadesSigner, Placement, QrCode, SignRequest, Sm2CmsOids};
use eseal::report::{CheckKind, Status, Verdict};
use eseal::ses::{Seal, SealBuilder};
use eseal::validation::VerifyOptions;
use pdf_support::*;
use std::path::Path;

/// endesive's (hashok, signatureok, certok) for every signature, one line each.
fn endesive(f: &Fixture, path: &Path) -> String {
    let script = "import sys\nfrom endesive.pdf.verify import PDFVerifier\nv = PDFVerifier(open(sys.argv[1],'rb').read(), [open(sys.argv[2],'rb').read()])\nfor r in v.verify_all_signatures(): print(r.hashok, r.signatureok, r.certok)\n";
    let out = venv_python()
        .arg("-c")
        .arg(script)
        .arg(path)
        .arg(f.p("ca.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "endesive: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Renders page `page` at 72 dpi and returns (width, height, RGB pixels).
fn render(f: &Fixture, path: &Path, page: u32) -> (u32, u32, Vec<u8>) {
    let prefix = f.p(&format!("render-{page}"));
    let out = tool("pdftoppm")
        .args([
            "-r",
            "72",
            "-png",
            "-singlefile",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(path)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(prefix.with_extension("png")).unwrap();
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let rgb: Vec<u8> = buf[..info.buffer_size()]
        .chunks(ch)
        .flat_map(|c| [c[0], c[1 % ch], c[2 % ch]])
        .collect();
    (info.width, info.height, rgb)
}

/// Pixel at PDF point (x, y) of a 72-dpi render (origin lower left).
fn pixel(img: &(u32, u32, Vec<u8>), x: f64, y: f64) -> [u8; 3] {
    let (w, h, px) = img;
    let (col, row) = (x as u32, h - 1 - y as u32);
    let i = ((row * w + col) * 3) as usize;
    [px[i], px[i + 1], px[i + 2]]
}

fn is_red(p: [u8; 3]) -> bool {
    p[0] > 180 && p[1] < 90 && p[2] < 90
}

fn is_white(p: [u8; 3]) -> bool {
    p.iter().all(|&c| c > 235)
}

fn statuses(r: &eseal::report::VerificationReport, sig: usize, kind: CheckKind) -> Vec<Status> {
    r.signatures[sig]
        .checks
        .iter()
        .filter(|c| c.check == kind)
        .map(|c| c.status)
        .collect()
}

#[test]
fn pades_two_stamps_qr_cross_page_accepted_by_pyhanko_pdfsig_endesive_qpdf_and_rendered() {
    let f = Fixture::new("pades");
    let signer = f.pades();
    let pic = red_disc_png(96);
    let t = Time::now();
    let mut r1 = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 1,
            x: 300.0,
            y: 400.0,
            width: 100.0,
            height: 100.0,
        },
        t,
    );
    r1.picture = Some(pic.clone());
    let mut r2 = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 2,
            x: 100.0,
            y: 200.0,
            width: 80.0,
            height: 80.0,
        },
        t,
    );
    r2.picture = Some(pic.clone());
    let mut r3 = SignRequest::new(
        Credential::Pades(&signer),
        Placement::CrossPage {
            first: None,
            last: None,
            width: 120.0,
            height: 120.0,
            centre_y: None,
        },
        t,
    );
    r3.picture = Some(pic.clone());
    r3.qr = Some(QrCode {
        png: checker_png(32),
        page: 1,
        x: 450.0,
        y: 100.0,
        size: 64.0,
    });
    let input = f.write("in.pdf", &make_pdf(3));
    let out = f.p("out.pdf");
    // The cross-page seal first: stamp annotations added after an approval signature are
    // refused by pyHanko (and warned about by eseal), signature widgets are not.
    pdf::sign_file(&input, &out, &[r3, r1, r2]).unwrap();

    qpdf_check(&out);
    let report = pdf::verify_file(&out, &f.opts()).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    assert_eq!(report.signatures.len(), 3);
    assert!(report.signatures.iter().all(|s| s.kind.as_str() == "pades"));

    let (ok, text) = pyhanko_validate(&f, &out);
    assert!(ok, "pyHanko: {text}");
    assert_eq!(text.matches("INTACT:TRUSTED").count(), 3, "pyHanko: {text}");
    assert!(!text.contains("ILLEGAL"), "pyHanko: {text}");

    // poppler reads each widget of a signature field with /Kids as a field of its own: Seal1
    // (three cross-page strips and the QR code) is listed once per widget, each verified
    // through the /V every widget repeats.
    let sig = pdfsig(&f, &out);
    assert_eq!(
        sig.matches("Signature is Valid.").count(),
        6,
        "pdfsig: {sig}"
    );
    assert_eq!(
        sig.matches("Certificate is Trusted.").count(),
        6,
        "pdfsig: {sig}"
    );
    assert_eq!(
        sig.matches("Signature Field Name: Seal1").count(),
        4,
        "pdfsig: {sig}"
    );
    assert!(sig.contains("ETSI.CAdES.detached"), "pdfsig: {sig}");
    assert!(!sig.contains("not signed"), "pdfsig: {sig}");

    assert_eq!(endesive(&f, &out), "True True True\n".repeat(3), "endesive");

    // Stamp at (300,400)+100: red at its centre, white outside; QR checker black/white.
    let p1 = render(&f, &out, 1);
    assert!(
        is_red(pixel(&p1, 350.0, 450.0)),
        "stamp centre {:?}",
        pixel(&p1, 350.0, 450.0)
    );
    assert!(
        is_white(pixel(&p1, 302.0, 402.0)),
        "transparent corner {:?}",
        pixel(&p1, 302.0, 402.0)
    );
    assert!(is_white(pixel(&p1, 250.0, 450.0)));
    assert!(
        pixel(&p1, 452.0, 162.0).iter().all(|&c| c < 60),
        "QR dark module {:?}",
        pixel(&p1, 452.0, 162.0)
    );
    let p2 = render(&f, &out, 2);
    assert!(is_red(pixel(&p2, 140.0, 240.0)));
    // Cross-page: strips 40 pt wide at the right edge, centred at y = 421: page 1 shows the
    // left third of the disc (red only near the strip's right side at the centre line).
    for page in 1..=3 {
        let img = render(&f, &out, page);
        let red = (555..595)
            .filter(|x| is_red(pixel(&img, *x as f64, 421.0)))
            .count();
        assert!(red > 10, "page {page}: strip missing ({red} red pixels)");
        assert!(
            is_white(pixel(&img, 545.0, 421.0)),
            "page {page}: strip wider than 40 pt"
        );
    }
    let first = render(&f, &out, 1);
    assert!(
        is_white(pixel(&first, 556.0, 421.0 + 55.0)),
        "strip 1 holds the disc's left edge"
    );
}

#[test]
fn xref_stream_and_object_stream_files_are_signed_in_their_own_style() {
    let f = Fixture::new("objstm");
    let plain = f.write("plain.pdf", &make_pdf(2));
    let out = tool("qpdf")
        .args(["--object-streams=generate"])
        .arg(&plain)
        .arg(f.p("os.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let signer = f.pades();
    let mut r = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 2,
            x: 50.0,
            y: 50.0,
            width: 60.0,
            height: 60.0,
        },
        Time::now(),
    );
    r.picture = Some(red_disc_png(32));
    let signed = pdf::sign(&std::fs::read(f.p("os.pdf")).unwrap(), &[r]).unwrap();
    let tail = String::from_utf8_lossy(&signed[signed.len() - 400..]).into_owned();
    assert!(
        tail.contains("/Type /XRef") && !tail.contains("trailer"),
        "update uses an xref stream: {tail}"
    );
    let p = f.write("os-signed.pdf", &signed);
    qpdf_check(&p);
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(
        ok && text.contains("INTACT:TRUSTED,UNTOUCHED"),
        "pyHanko: {text}"
    );
    assert_eq!(
        pdf::verify(&signed, "os", &f.opts()).unwrap().verdict(),
        Verdict::Valid
    );
}

#[test]
fn encrypted_pdf_is_refused_and_nothing_is_written() {
    let f = Fixture::new("enc");
    let plain = f.write("plain.pdf", &make_pdf(1));
    let out = tool("qpdf")
        .args(["--encrypt", "u", "o", "256", "--"])
        .arg(&plain)
        .arg(f.p("enc.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let signer = f.pades();
    let r = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Invisible,
        Time::now(),
    );
    let err = pdf::sign_file(&f.p("enc.pdf"), &f.p("never.pdf"), &[r]).unwrap_err();
    assert!(matches!(err, pdf::PdfError::Encrypted), "{err}");
    assert!(!f.p("never.pdf").exists());
}

/// A one-page PDF drawing a `side`×`side` RGB image of noise (3·side² bytes): large enough
/// that the streamed signer hashes and copies it in several chunks.
fn pdf_with_image(side: usize) -> Vec<u8> {
    let mut noise = vec![0u8; side * side * 3];
    let mut x = 0x2545_f491_u32;
    for b in noise.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let content = b"BT /F1 12 Tf 50 800 Td (streamed) Tj ET q 400 0 0 400 50 200 cm /Im0 Do Q";
    let objects: Vec<Vec<u8>> = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>/XObject<</Im0 5 0 R>>>>/Contents 4 0 R>>".to_vec(),
        [format!("<</Length {}>>\nstream\n", content.len()).as_bytes(), content, b"\nendstream"].concat(),
        [
            format!("<</Type/XObject/Subtype/Image/Width {side}/Height {side}/ColorSpace/DeviceRGB/BitsPerComponent 8/Length {}>>\nstream\n", noise.len()).as_bytes(),
            &noise,
            b"\nendstream",
        ]
        .concat(),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// `sign_file` maps the input and hashes it while copying it (issue 20); the file it writes is
/// byte for byte the one `sign` builds in memory (both signatures are deterministic, RFC 6979),
/// and it verifies in eseal and qpdf.
#[test]
fn streamed_file_signing_equals_signing_in_memory() {
    let f = Fixture::new("streamed");
    let ca = TestCa::new("pdf-streamed").unwrap();
    let seal = sm2_seal(&ca);
    let person = ca.person.signer();
    let pades = f.pades();
    // 1100² · 3 = 3.6 MB: the image spans four 1 MiB chunks.
    let pdf = pdf_with_image(1100);
    let input = f.write("in.pdf", &pdf);
    let t = Time::now();
    for (name, cred, opts) in [
        (
            "ses",
            Credential::Seal {
                seal: &seal,
                signer: &person,
            },
            sm2_opts(&ca),
        ),
        ("pades", Credential::Pades(&pades), f.opts()),
    ] {
        let mut r = SignRequest::new(
            cred,
            Placement::Stamp {
                page: 1,
                x: 300.0,
                y: 100.0,
                width: 100.0,
                height: 100.0,
            },
            t,
        );
        r.picture = Some(red_disc_png(64));
        let out = f.p(&format!("{name}.pdf"));
        pdf::sign_file(&input, &out, std::slice::from_ref(&r)).unwrap();
        let written = std::fs::read(&out).unwrap();
        assert_eq!(
            written,
            pdf::sign(&pdf, &[r]).unwrap(),
            "{name}: streamed ≠ in memory"
        );
        assert!(
            written.starts_with(&pdf),
            "{name}: the original bytes come first, unchanged"
        );
        qpdf_check(&out);
        let report = pdf::verify_file(&out, &opts).unwrap();
        assert_eq!(
            report.verdict(),
            Verdict::Valid,
            "{name}: {}",
            report.to_text()
        );
        // Verifying from memory and from the mapped file says the same.
        let again = pdf::verify(&written, &out.display().to_string(), &opts).unwrap();
        assert_eq!(again.verdict(), report.verdict());
        assert_eq!(again.signatures.len(), 1);
    }
}

/// The other streamed paths (issue 20) write what their in-memory twins write: three stamps
/// in one call (each revision hashed back from the unfinished output), deferred prepare and
/// finish of PAdES from a file (the P-256 key signing the prepared SHA-256 outside eseal),
/// and keyword placement read from a mapped file.
#[test]
fn streamed_stamps_deferred_and_keyword_paths_equal_the_in_memory_ones() {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let f = Fixture::new("streamed-more");
    let ca = TestCa::new("pdf-streamed-more").unwrap();
    let seal = sm2_seal(&ca);
    let person = ca.person.signer();
    let pdf = pdf_with_image(1100);
    let input = f.write("in.pdf", &pdf);
    let t = Time::now();
    let stamp = |x: f64| {
        let mut r = SignRequest::new(
            Credential::Seal {
                seal: &seal,
                signer: &person,
            },
            Placement::Stamp {
                page: 1,
                x,
                y: 100.0,
                width: 80.0,
                height: 80.0,
            },
            t,
        );
        r.picture = Some(red_disc_png(64));
        r
    };
    let three = [stamp(50.0), stamp(200.0), stamp(350.0)];
    let out = f.p("three.pdf");
    pdf::sign_file(&input, &out, &three).unwrap();
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, pdf::sign(&pdf, &three).unwrap(), "three stamps");
    qpdf_check(&out);
    let report = pdf::verify_file(&out, &sm2_opts(&ca)).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    assert_eq!(report.signatures.len(), 3);

    // Deferred PAdES: only the certificate chain on the signing side.
    let external = PadesSigner::external(&std::fs::read(f.p("chain.pem")).unwrap()).unwrap();
    let eseal::pdf::PadesKey::EcdsaP256(key) = f.pades().key else {
        panic!("the fixture's key is P-256")
    };
    let mut r = SignRequest::new(
        Credential::Pades(&external),
        Placement::Stamp {
            page: 1,
            x: 300.0,
            y: 400.0,
            width: 100.0,
            height: 100.0,
        },
        t,
    );
    r.picture = Some(red_disc_png(64));
    let pending = pdf::prepare_file(&input, &r).unwrap();
    assert_eq!(pending, pdf::prepare(&pdf, &r).unwrap(), "prepare");
    assert_eq!(
        pending.scheme().unwrap(),
        eseal::deferred::Scheme::EcdsaP256Sha256
    );
    let sig: p256::ecdsa::Signature = key.sign_prehash(&pending.digest).unwrap();
    let value = eseal::deferred::SignatureValue::Bytes(sig.to_der().as_bytes().to_vec());
    let out = f.p("deferred.pdf");
    pdf::finish_file(&input, &out, &pending, value.clone(), &r).unwrap();
    let written = std::fs::read(&out).unwrap();
    assert_eq!(
        written,
        pdf::finish(&pdf, &pending, value, &r).unwrap(),
        "finish"
    );
    let report = pdf::verify_file(&out, &f.opts()).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    let (ok, text) = pyhanko_validate(&f, &out);
    assert!(ok, "pyHanko: {text}");
    // Raw r‖s is accepted too and embedded as DER: the same file.
    let raw = eseal::deferred::SignatureValue::Bytes(sig.to_bytes().to_vec());
    pdf::finish_file(&input, &f.p("raw.pdf"), &pending, raw, &r).unwrap();
    assert_eq!(std::fs::read(f.p("raw.pdf")).unwrap(), written);
    // A signature by another key, a swapped source: refused, nothing written.
    let other = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let bad: p256::ecdsa::Signature = other.sign_prehash(&pending.digest).unwrap();
    let bad = eseal::deferred::SignatureValue::Bytes(bad.to_der().as_bytes().to_vec());
    assert!(matches!(
        pdf::finish_file(&input, &f.p("bad.pdf"), &pending, bad, &r),
        Err(pdf::PdfError::Deferred(
            eseal::deferred::DeferredError::BadSignature
        ))
    ));
    assert!(!f.p("bad.pdf").exists());
    let swapped = f.write("swapped.pdf", &pdf_with_image(1000));
    let value = eseal::deferred::SignatureValue::Bytes(sig.to_der().as_bytes().to_vec());
    assert!(matches!(
        pdf::finish_file(&swapped, &f.p("bad.pdf"), &pending, value, &r),
        Err(pdf::PdfError::Deferred(
            eseal::deferred::DeferredError::SourceChanged { .. }
        ))
    ));
    assert!(!f.p("bad.pdf").exists());

    // Keyword placement from the mapped file.
    let words = f.write("words.pdf", &make_pdf(2));
    let kw = eseal::placement::Keyword::new("Page");
    let mapped = pdf::keyword_placements_file(&words, &kw, 60.0, 60.0).unwrap();
    assert!(!mapped.is_empty());
    assert_eq!(
        mapped,
        pdf::keyword_placements(&make_pdf(2), &kw, 60.0, 60.0).unwrap()
    );
}

fn sm2_seal(ca: &TestCa) -> Seal {
    SealBuilder::new("上海市测试局", "310000000000009")
        .picture("PNG", red_disc_png(64), 40, 40)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap()
}

/// The bytes the ByteRange of the last signature covers, and the DER in its /Contents.
fn ranges_and_contents(pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("/ByteRange [").unwrap();
    let nums: Vec<usize> = text[at + 12..]
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let mut ranges = pdf[..nums[1]].to_vec();
    ranges.extend_from_slice(&pdf[nums[2]..nums[2] + nums[3]]);
    let hexed = &pdf[nums[1] + 1..nums[2] - 1];
    let der = hex::decode(hexed).unwrap();
    let len = eseal::asn1::Reader::new(&der).read("x").unwrap().raw.len();
    (ranges, der[..len].to_vec())
}

#[test]
fn sm2_ses_and_cms_signatures_verify_in_eseal_and_by_parts_in_openssl() {
    let f = Fixture::new("sm2");
    let ca = TestCa::new("pdf-sm2").unwrap();
    let seal = sm2_seal(&ca);
    let person = ca.person.signer();
    let base = make_pdf(2);
    std::fs::write(f.p("person.pem"), ca.person.cert.to_pem()).unwrap();
    assert!(
        f.sh("openssl x509 -in person.pem -pubkey -noout > pub.pem")
            .status
            .success()
    );
    for (n, cred) in [
        Credential::Seal {
            seal: &seal,
            signer: &person,
        },
        Credential::Sm2Cms {
            signer: &person,
            oids: Sm2CmsOids::Pkcs7,
        },
        Credential::Sm2Cms {
            signer: &person,
            oids: Sm2CmsOids::GmT0010,
        },
    ]
    .into_iter()
    .enumerate()
    {
        let is_ses = matches!(cred, Credential::Seal { .. });
        let mut r = SignRequest::new(
            cred,
            Placement::Stamp {
                page: 1,
                x: 200.0,
                y: 300.0,
                width: 113.0,
                height: 113.0,
            },
            Time::now(),
        );
        r.picture = Some(red_disc_png(64));
        let signed = pdf::sign(&base, &[r]).unwrap();
        let path = f.write(&format!("sm2-{n}.pdf"), &signed);
        qpdf_check(&path);
        let report = pdf::verify(&signed, "sm2", &sm2_opts(&ca)).unwrap();
        assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
        assert_eq!(
            report.signatures[0].kind.as_str(),
            if is_ses { "seal" } else { "cms-sm2" }
        );

        // OpenSSL by parts: SM3 of the ranges = dataHash / messageDigest; the SM2 signature
        // over TBS_Sign / the signed attributes verifies with pkeyutl and the default ID.
        let (ranges, der) = ranges_and_contents(&signed);
        std::fs::write(f.p("ranges.bin"), &ranges).unwrap();
        let dg = f.sh("openssl dgst -sm3 -r ranges.bin");
        let openssl_sm3 = String::from_utf8_lossy(&dg.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(openssl_sm3, hex::encode(sm3(&ranges)));
        let (signed_part, sig_value, digest_in) = if is_ses {
            let ses = eseal::ses::SesSignature::from_der(&der).unwrap();
            (
                ses.tbs_der.clone(),
                ses.signature.clone(),
                ses.data_hash.clone(),
            )
        } else {
            let cms = eseal::cms::parse(&der).unwrap();
            let si = &cms.signers[0];
            (
                si.signed_attrs.clone().unwrap(),
                si.signature.clone(),
                si.message_digest.clone().unwrap(),
            )
        };
        assert_eq!(
            hex::encode(&digest_in),
            openssl_sm3,
            "digest inside the signature"
        );
        std::fs::write(f.p("tbs.der"), &signed_part).unwrap();
        std::fs::write(f.p("sig.der"), &sig_value).unwrap();
        let v = f.sh("openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in tbs.der -sigfile sig.der -digest sm3 -pkeyopt distid:1234567812345678");
        assert!(
            String::from_utf8_lossy(&v.stdout).contains("Signature Verified Successfully"),
            "openssl pkeyutl ({n}): {}",
            String::from_utf8_lossy(&v.stderr)
        );

        // A byte flipped inside the signed range is caught.
        let mut bad = signed.clone();
        let i = bad.len() / 3;
        bad[i] ^= 0x01;
        assert_eq!(
            pdf::verify(&bad, "bad", &sm2_opts(&ca)).unwrap().verdict(),
            Verdict::Invalid
        );
    }
}

/// Appends a revision (with lopdf's incremental writer) that changes page 1: a new content
/// stream painting over the page, or (overlay) a new free-text annotation over it.
fn append_revision(pdf: &[u8], overlay_annotation: bool) -> Vec<u8> {
    use lopdf::{Dictionary, Document, IncrementalDocument, Object, Stream};
    let doc = Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let mut inc = IncrementalDocument::create_from(pdf.to_vec(), doc);
    inc.opt_clone_object_to_new_document(page).unwrap();
    let new_id = inc.new_document.add_object(if overlay_annotation {
        let mut a = Dictionary::new();
        a.set("Type", Object::Name(b"Annot".to_vec()));
        a.set("Subtype", Object::Name(b"Square".to_vec()));
        a.set(
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
        );
        a.set("IC", Object::Array(vec![1.into(), 1.into(), 1.into()]));
        Object::Dictionary(a)
    } else {
        Object::Stream(Stream::new(
            Dictionary::new(),
            b"1 1 1 rg 0 0 595 842 re f".to_vec(),
        ))
    });
    let page_obj = inc
        .new_document
        .get_object_mut(page)
        .unwrap()
        .as_dict_mut()
        .unwrap();
    if overlay_annotation {
        let mut annots = page_obj
            .get(b"Annots")
            .and_then(|o| o.as_array().cloned())
            .unwrap_or_default();
        annots.push(Object::Reference(new_id));
        page_obj.set("Annots", Object::Array(annots));
    } else {
        let old = page_obj.get(b"Contents").unwrap().clone();
        page_obj.set(
            "Contents",
            Object::Array(vec![old, Object::Reference(new_id)]),
        );
    }
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    out
}

fn signed_pades(f: &Fixture) -> Vec<u8> {
    let signer = f.pades();
    let mut r = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 1,
            x: 300.0,
            y: 400.0,
            width: 100.0,
            height: 100.0,
        },
        Time::now(),
    );
    r.picture = Some(red_disc_png(48));
    pdf::sign(&make_pdf(2), &[r]).unwrap()
}

#[test]
fn tamper_corpus_is_caught() {
    let f = Fixture::new("tamper");
    let good = signed_pades(&f);
    let opts = f.opts();
    assert_eq!(
        pdf::verify(&good, "good", &opts).unwrap().verdict(),
        Verdict::Valid
    );
    let text = String::from_utf8_lossy(&good).into_owned();
    let br_at = text.rfind("/ByteRange [").unwrap();
    let br_text = text[br_at..].split(']').next().unwrap().to_string() + "]";
    let nums: Vec<usize> = br_text[12..br_text.len() - 1]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();

    // 1. A byte changed inside the signed range (the page content "Page 1" -> "Page 7").
    let mut changed = good.clone();
    patch_same_length(&mut changed, "- page 1)", "- page 7)");
    let r = pdf::verify(&changed, "changed", &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    assert_eq!(
        endesive(&f, &f.write("changed.pdf", &changed)),
        "False True True\n",
        "endesive sees the digest mismatch"
    );
    assert_eq!(r.signatures.len(), 1, "{}", r.to_text());
    assert_eq!(statuses(&r, 0, CheckKind::DataDigest), vec![Status::Failed]);

    // 2. An appended revision that paints over page 1; 2b. an overlay annotation.
    for overlay in [false, true] {
        let modified = append_revision(&good, overlay);
        let p = f.write(&format!("modified-{overlay}.pdf"), &modified);
        qpdf_check(&p);
        let r = pdf::verify(&modified, "modified", &opts).unwrap();
        assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
        assert_eq!(
            statuses(&r, 0, CheckKind::DataDigest),
            vec![Status::Passed],
            "the signed revision itself is intact"
        );
        assert!(
            statuses(&r, 0, CheckKind::ModifiedAfterSigning).contains(&Status::Failed),
            "{}",
            r.to_text()
        );
        let (ok, text) = pyhanko_validate(&f, &p);
        assert!(!ok, "pyHanko should refuse too: {text}");
        if !overlay {
            // endesive checks only the ranges: the first revision is intact for it.
            assert_eq!(endesive(&f, &p), "True True True\n");
        }
    }

    // 2c. "Replace" shadow attack: a later revision redefines the page's own content stream.
    {
        use lopdf::{Document, IncrementalDocument, Object};
        let doc = Document::load_mem(&good).unwrap();
        let page = *doc.get_pages().get(&1).unwrap();
        let content = doc
            .get_dictionary(page)
            .unwrap()
            .get(b"Contents")
            .unwrap()
            .as_reference()
            .unwrap();
        let mut inc = IncrementalDocument::create_from(good.clone(), doc);
        inc.opt_clone_object_to_new_document(content).unwrap();
        if let Ok(Object::Stream(s)) = inc.new_document.get_object_mut(content) {
            s.set_plain_content(b"BT /F1 24 Tf 72 760 Td (Paid in full) Tj ET".to_vec());
        }
        let mut replaced = Vec::new();
        inc.save_to(&mut replaced).unwrap();
        let r = pdf::verify(&replaced, "replaced", &opts).unwrap();
        assert!(
            statuses(&r, 0, CheckKind::ModifiedAfterSigning).contains(&Status::Failed),
            "{}",
            r.to_text()
        );
    }

    // 3. A /ByteRange whose gap swallows part of the dictionary.
    let mut skipping = good.clone();
    let wider = format!("/ByteRange [0 {} {} {}]", nums[1] - 12, nums[2], nums[3]);
    patch_same_length(&mut skipping, &br_text, &wider);
    let r = pdf::verify(&skipping, "skipping", &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::Invalid);
    assert_eq!(
        statuses(&r, 0, CheckKind::ByteRange),
        vec![Status::Failed],
        "{}",
        r.to_text()
    );

    // 4. A second /Contents in the signature dictionary (after the real one).
    let mut second = good.clone();
    let m_at = text[br_at..].find("/M (D:").unwrap() + br_at;
    let m_text = text[m_at..].split(')').next().unwrap().to_string() + ")";
    patch_same_length(&mut second, &m_text, "/M()/Contents<3000>");
    let r = pdf::verify(&second, "second", &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::Invalid);
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.check == CheckKind::ByteRange && c.status == Status::Failed),
        "{}",
        r.to_text()
    );

    // 5. Truncated file.
    for cut in [10, good.len() / 2] {
        let r = pdf::verify(&good[..good.len() - cut], "truncated", &opts).unwrap();
        assert_eq!(r.verdict(), Verdict::Invalid, "cut {cut}: {}", r.to_text());
    }

    // An untrusted root is not valid either (pyHanko: UNTRUSTED).
    let r = pdf::verify(&good, "untrusted", &VerifyOptions::default()).unwrap();
    assert_ne!(r.verdict(), Verdict::Valid);
}

#[test]
fn pyhanko_signed_pdfs_verify_in_eseal_and_later_changes_are_reported() {
    let f = Fixture::new("pyhanko");
    f.write("plain.pdf", &make_pdf(2));
    pyhanko_sign(&f, "plain.pdf", "py.pdf", "Sig1");
    let py = std::fs::read(f.p("py.pdf")).unwrap();
    let r = pdf::verify(&py, "py", &f.opts()).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    assert_eq!(r.signatures[0].id, "Sig1");

    // eseal adds a second signature to the pyHanko file: both stay valid for pyHanko and eseal.
    let signer = f.pades();
    let mut req = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 2,
            x: 100.0,
            y: 100.0,
            width: 90.0,
            height: 90.0,
        },
        Time::now(),
    );
    req.picture = Some(red_disc_png(48));
    let both = pdf::sign(&py, &[req]).unwrap();
    let p = f.write("both.pdf", &both);
    qpdf_check(&p);
    let r = pdf::verify(&both, "both", &f.opts()).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(
        ok && text.matches("INTACT:TRUSTED").count() == 2 && !text.contains("ILLEGAL"),
        "pyHanko: {text}"
    );

    // pyHanko adds a second signature to an eseal-signed file: eseal's change rules accept
    // pyHanko's update, and both signatures verify in both.
    f.write("eseal-first.pdf", &signed_pades(&f));
    pyhanko_sign(&f, "eseal-first.pdf", "then-py.pdf", "Sig2");
    let then_py = std::fs::read(f.p("then-py.pdf")).unwrap();
    let r = pdf::verify(&then_py, "then-py", &f.opts()).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    assert_eq!(r.signatures.len(), 2);
    let (ok, text) = pyhanko_validate(&f, &f.p("then-py.pdf"));
    assert!(ok && !text.contains("ILLEGAL"), "pyHanko: {text}");

    // A later content-changing revision: modified for eseal and pyHanko.
    let modified = append_revision(&py, false);
    let r = pdf::verify(&modified, "modified", &f.opts()).unwrap();
    assert!(
        statuses(&r, 0, CheckKind::ModifiedAfterSigning).contains(&Status::Failed),
        "{}",
        r.to_text()
    );
}

/// pyHanko signs `input` into `output` with a new field (the fixture's P-256 signer).
fn pyhanko_sign(f: &Fixture, input: &str, output: &str, field: &str) {
    let out = venv_python()
        .args([
            "-m", "pyhanko", "sign", "addsig", "--field", field, "pemder",
        ])
        .args([
            "--key",
            "signer.key",
            "--cert",
            "signer.pem",
            "--chain",
            "ca.pem",
        ])
        .args(["--no-pass", input, output])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyhanko addsig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// After a first signature (made by pyHanko or by eseal), eseal adds a cross-page seal with a
/// QR code and then a second seal: the strips and the QR code are widgets of the new
/// signature's field, so pyHanko still reports every earlier signature INTACT with no illegal
/// modification, and eseal lists them as part of the later signatures (rule later-signature).
#[test]
fn cross_page_qr_and_second_seal_after_a_signature_keep_it_intact_for_pyhanko() {
    let f = Fixture::new("later-stamp");
    let signer = f.pades();
    f.write("plain.pdf", &make_pdf(3));
    pyhanko_sign(&f, "plain.pdf", "by-pyhanko.pdf", "First");
    let bases = [
        ("pyhanko", std::fs::read(f.p("by-pyhanko.pdf")).unwrap()),
        ("eseal", signed_pades(&f)),
    ];
    for (who, base) in bases {
        let mut cross = SignRequest::new(
            Credential::Pades(&signer),
            Placement::CrossPage {
                first: None,
                last: None,
                width: 90.0,
                height: 90.0,
                centre_y: None,
            },
            Time::now(),
        );
        cross.picture = Some(red_disc_png(48));
        cross.qr = Some(QrCode {
            png: checker_png(32),
            page: 2,
            x: 400.0,
            y: 60.0,
            size: 60.0,
        });
        let mut second = SignRequest::new(
            Credential::Pades(&signer),
            Placement::Stamp {
                page: 2,
                x: 100.0,
                y: 500.0,
                width: 80.0,
                height: 80.0,
            },
            Time::now(),
        );
        second.picture = Some(red_disc_png(48));
        let later = pdf::sign(&base, &[cross, second]).unwrap();
        let p = f.write(&format!("later-{who}.pdf"), &later);
        qpdf_check(&p);
        let (ok, text) = pyhanko_validate(&f, &p);
        assert!(
            ok && !text.contains("ILLEGAL") && text.matches("INTACT:TRUSTED").count() == 3,
            "pyHanko ({who}): {text}"
        );
        let rep = pdf::verify(&later, "later", &f.opts()).unwrap();
        assert_eq!(rep.verdict(), Verdict::Valid, "{who}: {}", rep.to_text());
        assert_eq!(rep.signatures.len(), 3);
        let (first, a, b) = (
            &rep.signatures[0],
            &rep.signatures[1].id,
            &rep.signatures[2].id,
        );
        assert!(
            first
                .checks
                .iter()
                .any(|c| c.check == CheckKind::ModifiedAfterSigning
                    && c.rule == Some("later-signature")
                    && c.message
                        .contains(&format!("field {a}: its widget on page 2"))
                    && c.message.contains(&format!("field {b}"))),
            "{who}: the later seals are listed: {}",
            rep.to_text()
        );
    }
}

#[test]
fn thirty_pages_two_seals_cross_page_and_qr() {
    let f = Fixture::new("thirty");
    let ca = TestCa::new("pdf-thirty").unwrap();
    let picture = noisy_seal_png(140);
    let seal = SealBuilder::new("上海市测试局合同专用章", "310000000000030")
        .picture("PNG", picture.clone(), 40, 40)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    assert!(
        seal.der().len() > 16_000,
        "a seal bigger than the usual 8 KB placeholders: {}",
        seal.der().len()
    );
    let person = ca.person.signer();
    let t = Time::now();
    let cred = || Credential::Seal {
        seal: &seal,
        signer: &person,
    };
    let mut cross = SignRequest::new(
        cred(),
        Placement::CrossPage {
            first: None,
            last: None,
            width: 113.0,
            height: 113.0,
            centre_y: None,
        },
        t,
    );
    cross.qr = Some(QrCode {
        png: checker_png(40),
        page: 30,
        x: 480.0,
        y: 40.0,
        size: 60.0,
    });
    let a = SignRequest::new(
        cred(),
        Placement::Stamp {
            page: 1,
            x: 380.0,
            y: 120.0,
            width: 113.0,
            height: 113.0,
        },
        t,
    );
    let b = SignRequest::new(
        cred(),
        Placement::Stamp {
            page: 30,
            x: 100.0,
            y: 120.0,
            width: 113.0,
            height: 113.0,
        },
        t,
    );
    let input = f.write("thirty.pdf", &make_pdf(30));
    let out = f.p("thirty-signed.pdf");
    pdf::sign_file(&input, &out, &[cross, a, b]).unwrap();
    qpdf_check(&out);
    let report = pdf::verify_file(&out, &sm2_opts(&ca)).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{}", report.to_text());
    assert_eq!(report.signatures.len(), 3);
    assert!(report.signatures.iter().all(|s| {
        s.kind.as_str() == "seal"
            && s.seal
                .as_ref()
                .is_some_and(|x| x.name == "上海市测试局合同专用章")
    }));
    let img = render(&f, &out, 17);
    assert!(
        (591..595).any(|x| is_red(pixel(&img, x as f64, 421.0))),
        "strip 17 of 30 is drawn"
    );
}

#[test]
fn rsa_pades_is_accepted_by_pyhanko() {
    let f = Fixture::new("rsa");
    let out = f.sh(
        "set -e
        openssl genrsa -out rsa.key 2048 2>/dev/null
        openssl req -new -key rsa.key -subj '/CN=RSA Signer/O=eseal-test' -out rsa.csr
        openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out rsa.pem -extfile ext.cnf 2>/dev/null
        cat rsa.pem ca.pem > rsa-chain.pem",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signer = PadesSigner::from_pem(
        &std::fs::read(f.p("rsa.key")).unwrap(),
        &std::fs::read(f.p("rsa-chain.pem")).unwrap(),
    )
    .unwrap();
    let signed = pdf::sign(
        &make_pdf(1),
        &[SignRequest::new(
            Credential::Pades(&signer),
            Placement::Invisible,
            Time::now(),
        )],
    )
    .unwrap();
    let p = f.write("rsa-signed.pdf", &signed);
    qpdf_check(&p);
    assert_eq!(
        pdf::verify(&signed, "rsa", &f.opts()).unwrap().verdict(),
        Verdict::Valid
    );
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(
        ok && text.contains("INTACT:TRUSTED,UNTOUCHED"),
        "pyHanko: {text}"
    );
}

#[test]
fn dual_signing_is_two_signatures_and_the_shape_is_decided_by_content() {
    let f = Fixture::new("dual");
    let ca = TestCa::new("pdf-dual").unwrap();
    let seal = sm2_seal(&ca);
    let person = ca.person.signer();
    let pades = f.pades();
    let t = Time::now();
    let mut ses = SignRequest::new(
        Credential::Seal {
            seal: &seal,
            signer: &person,
        },
        Placement::Stamp {
            page: 1,
            x: 100.0,
            y: 100.0,
            width: 100.0,
            height: 100.0,
        },
        t,
    );
    // Labelled like a PKCS#7 signature, as some blog recipes do: still an SES by content.
    ses.subfilter = Some("adbe.pkcs7.detached".into());
    let intl = SignRequest::new(Credential::Pades(&pades), Placement::Invisible, t);
    let signed = pdf::sign(&make_pdf(1), &[ses, intl]).unwrap();
    let p = f.write("dual.pdf", &signed);
    qpdf_check(&p);
    let mut opts = f.opts();
    opts.trust.add(ca.root.cert.clone());
    let r = pdf::verify(&signed, "dual", &opts).unwrap();
    assert_eq!(r.signatures.len(), 2);
    assert_eq!(
        (r.signatures[0].kind.as_str(), r.signatures[1].kind.as_str()),
        ("seal", "pades")
    );
    assert_eq!(
        r.signatures[0].verdict(),
        Verdict::ValidWithWarnings,
        "{}",
        r.to_text()
    );
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.check == CheckKind::Conformance && c.status == Status::Warning)
    );
    assert_eq!(r.signatures[1].verdict(), Verdict::Valid, "{}", r.to_text());
    // pdfsig: the international one is valid, the SES is not a CMS it can parse.
    let sig = pdfsig(&f, &p);
    assert_eq!(
        sig.matches("Signature is Valid.").count(),
        1,
        "pdfsig: {sig}"
    );
}

/// Top half red, bottom half blue: shows whether a stamp is upright.
fn two_tone_png(n: u32) -> Vec<u8> {
    let px: Vec<u8> = (0..n * n)
        .flat_map(|i| {
            if i / n < n / 2 {
                [230u8, 0, 0]
            } else {
                [0, 0, 230]
            }
        })
        .collect();
    encode_png(n, n, png::ColorType::Rgb, &px)
}

#[test]
fn rotated_pages_get_upright_stamps_and_strips_on_the_displayed_right_edge() {
    let f = Fixture::new("rotate");
    let plain = f.write("plain.pdf", &make_pdf(2));
    let out = tool("qpdf")
        .args(["--rotate=+90:1-z"])
        .arg(&plain)
        .arg(f.p("rot.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let signer = f.pades();
    let t = Time::now();
    let mut stamp = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 1,
            x: 100.0,
            y: 100.0,
            width: 100.0,
            height: 100.0,
        },
        t,
    );
    stamp.picture = Some(two_tone_png(40));
    let mut cross = SignRequest::new(
        Credential::Pades(&signer),
        Placement::CrossPage {
            first: None,
            last: None,
            width: 100.0,
            height: 100.0,
            centre_y: None,
        },
        t,
    );
    cross.picture = Some(two_tone_png(40));
    let signed = pdf::sign(&std::fs::read(f.p("rot.pdf")).unwrap(), &[cross, stamp]).unwrap();
    let p = f.write("rot-signed.pdf", &signed);
    qpdf_check(&p);
    let img = render(&f, &p, 1);
    assert_eq!((img.0, img.1), (842, 595), "rendered landscape");
    let is_blue = |p: [u8; 3]| p[2] > 180 && p[0] < 90;
    assert!(
        is_red(pixel(&img, 150.0, 180.0)),
        "upper half of the stamp is red: {:?}",
        pixel(&img, 150.0, 180.0)
    );
    assert!(
        is_blue(pixel(&img, 150.0, 120.0)),
        "lower half is blue: {:?}",
        pixel(&img, 150.0, 120.0)
    );
    // Strip 1 of 2 (50 pt) on the displayed right edge, centred at 297.5.
    assert!(
        is_red(pixel(&img, 820.0, 320.0)) && is_blue(pixel(&img, 820.0, 270.0)),
        "strip on the right edge"
    );
    assert!(is_white(pixel(&img, 780.0, 320.0)));
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(ok, "pyHanko: {text}");
}

#[test]
fn certification_with_fields_made_first_then_filled_is_accepted_new_fields_are_not() {
    use eseal::pdf::{DocMdp, EmptyField};
    let f = Fixture::new("docmdp");
    let signer = f.pades();
    let t = Time::now();
    let mut cert = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 1,
            x: 60.0,
            y: 60.0,
            width: 80.0,
            height: 80.0,
        },
        t,
    );
    cert.picture = Some(red_disc_png(48));
    cert.certify = Some(DocMdp::FormFilling);
    cert.empty_fields = vec![EmptyField {
        name: "Approver".into(),
        page: 2,
        x: 300.0,
        y: 300.0,
        width: 90.0,
        height: 90.0,
    }];
    let certified = pdf::sign(&make_pdf(2), &[cert]).unwrap();
    let mut fill = SignRequest::new(
        Credential::Pades(&signer),
        Placement::ExistingField("Approver".into()),
        t,
    );
    fill.picture = Some(red_disc_png(48));
    let filled = pdf::sign(&certified, &[fill]).unwrap();
    let p = f.write("filled.pdf", &filled);
    qpdf_check(&p);
    let r = pdf::verify(&filled, "filled", &f.opts()).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    assert_eq!(
        r.signatures
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["Seal1", "Approver"]
    );
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(
        ok && !text.contains("ILLEGAL") && text.matches("INTACT:TRUSTED").count() == 2,
        "pyHanko: {text}"
    );
    let img = render(&f, &p, 2);
    assert!(
        is_red(pixel(&img, 345.0, 345.0)),
        "the filled field shows the stamp"
    );

    // A new visible field after certifying: both eseal and pyHanko refuse the certification
    // (both let a new invisible one pass).
    let mut extra = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 2,
            x: 50.0,
            y: 500.0,
            width: 60.0,
            height: 60.0,
        },
        t,
    );
    extra.picture = Some(red_disc_png(48));
    let bad = pdf::sign(&certified, &[extra]).unwrap();
    let p = f.write("new-field.pdf", &bad);
    let r = pdf::verify(&bad, "new-field", &f.opts()).unwrap();
    assert!(
        statuses(&r, 0, CheckKind::ModifiedAfterSigning).contains(&Status::Failed),
        "{}",
        r.to_text()
    );
    let (ok, text) = pyhanko_validate(&f, &p);
    assert!(!ok && text.contains("ILLEGAL"), "pyHanko: {text}");
    let invisible = pdf::sign(
        &certified,
        &[SignRequest::new(
            Credential::Pades(&signer),
            Placement::Invisible,
            t,
        )],
    )
    .unwrap();
    assert_eq!(
        pdf::verify(&invisible, "invisible", &f.opts())
            .unwrap()
            .verdict(),
        Verdict::Valid
    );

    // Only the first signature may certify.
    let mut again = SignRequest::new(Credential::Pades(&signer), Placement::Invisible, t);
    again.certify = Some(DocMdp::NoChanges);
    assert!(pdf::sign(&certified, &[again]).is_err());
}

/// A hybrid-reference file (ISO 32000-1 §7.5.8.4): a classic table plus /XRefStm pointing to
/// an xref stream that lists the font, which lives in an object stream.
fn make_hybrid_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut off = [0usize; 8];
    let mut put = |out: &mut Vec<u8>, id: usize, body: &[u8]| {
        off[id] = out.len();
        out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    put(&mut out, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
    put(&mut out, 2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    put(&mut out, 3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>");
    let content = b"BT /F1 24 Tf 72 760 Td (Hybrid) Tj ET";
    put(
        &mut out,
        4,
        format!(
            "<< /Length {} >>\nstream\n{}\nendstream",
            content.len(),
            String::from_utf8_lossy(content)
        )
        .as_bytes(),
    );
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    let header = b"5 0 ";
    let objstm = [&header[..], font].concat();
    put(
        &mut out,
        6,
        format!(
            "<< /Type /ObjStm /N 1 /First {} /Length {} >>\nstream\n{}\nendstream",
            header.len(),
            objstm.len(),
            String::from_utf8_lossy(&objstm)
        )
        .as_bytes(),
    );
    // xref stream: object 5 is entry 0 of object stream 6; W [1 4 2].
    let mut data = vec![2u8];
    data.extend_from_slice(&6u32.to_be_bytes());
    data.extend_from_slice(&0u16.to_be_bytes());
    let xs_at = out.len();
    off[7] = xs_at;
    out.extend_from_slice(
        format!(
            "7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Index [5 1] /Length {} >>\nstream\n",
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 8\n0000000000 65535 f\r\n");
    for (id, o) in off.iter().enumerate().skip(1) {
        if id == 5 {
            out.extend_from_slice(b"0000000000 00000 f\r\n");
        } else {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 8 /Root 1 0 R /XRefStm {xs_at} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

#[test]
fn hybrid_reference_files_are_signed_with_a_table_update() {
    let f = Fixture::new("hybrid");
    let hybrid = make_hybrid_pdf();
    qpdf_check(&f.write("hybrid.pdf", &hybrid));
    let signer = f.pades();
    let mut r = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Stamp {
            page: 1,
            x: 300.0,
            y: 300.0,
            width: 90.0,
            height: 90.0,
        },
        Time::now(),
    );
    r.picture = Some(red_disc_png(48));
    let signed = pdf::sign(&hybrid, &[r]).unwrap();
    let p = f.write("hybrid-signed.pdf", &signed);
    qpdf_check(&p);
    assert_eq!(
        pdf::verify(&signed, "hybrid", &f.opts()).unwrap().verdict(),
        Verdict::Valid
    );
    // pyHanko refuses hybrid files unless told to relax its syntax policy.
    let out = venv_python()
        .args([
            "-m",
            "pyhanko",
            "sign",
            "validate",
            "--no-strict-syntax",
            "--trust",
        ])
        .arg(f.p("ca.pem"))
        .arg("--trust-replace")
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("INTACT:TRUSTED,UNTOUCHED"),
        "pyHanko: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = pdfsig(&f, &p);
    assert!(sig.contains("Signature is Valid."), "pdfsig: {sig}");
    assert!(is_red(pixel(&render(&f, &p, 1), 345.0, 345.0)));
}

/// Files other tools shape differently: linearized (qpdf --linearize, Annex F: two
/// cross-reference sections in one revision) and object streams with an xref stream. pyHanko
/// signs them, eseal verifies and adds a second signature, and both stay valid for both.
#[test]
fn linearized_and_object_stream_files_signed_by_pyhanko_then_eseal() {
    let f = Fixture::new("shapes");
    f.write("plain.pdf", &make_pdf(3));
    let signer = f.pades();
    for (name, args) in [
        ("lin", &["--linearize"][..]),
        ("os", &["--object-streams=generate"][..]),
    ] {
        let out = tool("qpdf")
            .args(args)
            .arg(f.p("plain.pdf"))
            .arg(f.p(&format!("{name}.pdf")))
            .output()
            .unwrap();
        assert!(out.status.success());
        pyhanko_sign(&f, &format!("{name}.pdf"), &format!("{name}-py.pdf"), "Py");
        let py = std::fs::read(f.p(&format!("{name}-py.pdf"))).unwrap();
        let r = pdf::verify(&py, name, &f.opts()).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{name}: {}", r.to_text());
        let mut req = SignRequest::new(
            Credential::Pades(&signer),
            Placement::Stamp {
                page: 3,
                x: 100.0,
                y: 100.0,
                width: 80.0,
                height: 80.0,
            },
            Time::now(),
        );
        req.picture = Some(red_disc_png(32));
        let both = pdf::sign(&py, &[req]).unwrap();
        let p = f.write(&format!("{name}-both.pdf"), &both);
        let r = pdf::verify(&both, name, &f.opts()).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{name}: {}", r.to_text());
        assert_eq!(r.signatures.len(), 2);
        let (ok, text) = pyhanko_validate(&f, &p);
        assert!(ok && !text.contains("ILLEGAL"), "pyHanko ({name}): {text}");
    }
}
