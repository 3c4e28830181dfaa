//! `eseal demo`: the end-to-end path of a signing platform, printed step by step — a test CA,
//! a generated official seal picture, a unit seal made by the seal maker, an OFD and a PDF
//! signed with stamps, a cross-page seal and an anti-forgery QR code, and the verification
//! reports. Everything is written to `--out` so it can be opened and checked afterwards.

use super::{CliResult, write_atomic};
use clap::Args;
use eseal::crypto::sm3::sm3;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::report::VerificationReport;
use eseal::ses::SealBuilder;
use eseal::stamp::official::{OfficialSeal, OfficialStyle};
use eseal::stamp::qr::AntiForgeryQr;
use eseal::validation::{TrustStore, VerifyOptions};
use eseal::{ofd, pdf, samples};
use std::path::PathBuf;

#[derive(Args)]
pub struct DemoArgs {
    /// Folder for what the demo makes (CA, seal, documents, reports).
    #[arg(long, default_value = "eseal-demo")]
    out: PathBuf,
    /// Verification page the QR codes point to.
    #[arg(
        long,
        default_value = "https://eseal.test/verify?doc={doc_id}&digest={digest}"
    )]
    verify_url: String,
}

pub fn run(a: DemoArgs) -> CliResult {
    let out = &a.out;
    std::fs::create_dir_all(out)?;
    let now = Time::now();

    println!("1. Test CA (deterministic, seed \"eseal-demo\")");
    let ca = TestCa::new("eseal-demo")?;
    for (name, id) in [
        ("root", &ca.root),
        ("unit", &ca.unit),
        ("person", &ca.person),
    ] {
        write_atomic(
            &out.join(format!("{name}.pem")),
            id.cert.to_pem().as_bytes(),
        )?;
        println!("   {name:<6} {}", id.cert.subject_string());
    }

    println!("2. Seal picture (普通公章, 42 mm) and the unit seal, made by the unit certificate");
    let picture = OfficialSeal::new(OfficialStyle::Common, "上海市测试局")
        .bottom_text("合同专用章")
        .code("3101000000001")
        .dpi(300.0)
        .render()?;
    write_atomic(&out.join("seal.png"), &picture.png)?;
    let (w_mm, h_mm) = picture.ses_size_mm();
    let seal = SealBuilder::new("上海市测试局合同专用章", "3101000000001")
        .picture(picture.ses_type(), picture.png.clone(), w_mm, h_mm)
        .created(now)
        .valid(now, now.add_days(365))
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())?;
    write_atomic(&out.join("seal.esl"), seal.der())?;
    println!(
        "   {} \"{}\", {} bytes, valid {} .. {}",
        seal.es_id,
        seal.name,
        seal.der().len(),
        seal.valid_start.to_iso(),
        seal.valid_end.to_iso()
    );
    let signer = ca.person.signer();
    let opts = VerifyOptions {
        at: now,
        ..VerifyOptions::trusting(TrustStore::new().with(ca.root.cert.clone()))
    };

    println!(
        "3. OFD: 3 pages, a stamp on page 1, a cross-page seal, a QR code; signed by {}",
        ca.person.cert.subject_string()
    );
    let ofd_in = samples::sample_ofd(3, "eseal demo");
    write_atomic(&out.join("document.ofd"), &ofd_in)?;
    let qr = qr_picture(&a.verify_url, "document.ofd", &ofd_in)?;
    let mut req = ofd::SignRequest::new(ofd::SignKind::Seal(&seal), now);
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
    req.qr = Some(ofd::QrCode {
        png: qr.png.clone(),
        page: 1,
        x_mm: 20.0,
        y_mm: 250.0,
        size_mm: 20.0,
    });
    let signed_ofd = ofd::sign(&ofd::Package::from_bytes(ofd_in)?, &signer, &req)?;
    write_atomic(&out.join("document.signed.ofd"), &signed_ofd)?;
    let ofd_report = ofd::verify(
        &ofd::Package::from_bytes(signed_ofd)?,
        &out.join("document.signed.ofd").display().to_string(),
        &opts,
    )?;
    summary(&ofd_report);

    println!(
        "4. PDF: 3 pages, a seal stamp on page 1, a cross-page seal with a QR code (GB/T 38540 SES in the PDF)"
    );
    let pdf_in = samples::sample_pdf(3, "eseal demo");
    write_atomic(&out.join("document.pdf"), &pdf_in)?;
    let qr = qr_picture(&a.verify_url, "document.pdf", &pdf_in)?;
    let mut cross = pdf::SignRequest::new(
        pdf::Credential::Seal {
            seal: &seal,
            signer: &signer,
        },
        pdf::Placement::CrossPage {
            first: None,
            last: None,
            width: 119.0,
            height: 119.0,
            centre_y: None,
        },
        now,
    );
    cross.picture = Some(picture.png.clone());
    cross.qr = Some(pdf::QrCode {
        png: qr.png,
        page: 1,
        x: 40.0,
        y: 120.0,
        size: 57.0,
    });
    let mut stamp = pdf::SignRequest::new(
        pdf::Credential::Seal {
            seal: &seal,
            signer: &signer,
        },
        pdf::Placement::Stamp {
            page: 1,
            x: 380.0,
            y: 200.0,
            width: 119.0,
            height: 119.0,
        },
        now,
    );
    stamp.picture = Some(picture.png.clone());
    let signed_pdf = pdf::sign(&pdf_in, &[cross, stamp])?;
    write_atomic(&out.join("document.signed.pdf"), &signed_pdf)?;
    let pdf_report = pdf::verify(
        &signed_pdf,
        &out.join("document.signed.pdf").display().to_string(),
        &opts,
    )?;
    summary(&pdf_report);

    println!("5. The OFD report in full:\n");
    print!("{}", ofd_report.to_text());
    write_atomic(
        &out.join("document.signed.ofd.report.json"),
        serde_json::to_string_pretty(&ofd_report)?.as_bytes(),
    )?;
    write_atomic(
        &out.join("document.signed.pdf.report.json"),
        serde_json::to_string_pretty(&pdf_report)?.as_bytes(),
    )?;

    let o = out.display();
    println!("\nEverything is in {o}/. Try:");
    println!("  eseal ofd verify {o}/document.signed.ofd --trust {o}/root.pem");
    println!("  eseal pdf verify {o}/document.signed.pdf --trust {o}/root.pem");
    println!("  eseal seal inspect {o}/seal.esl");
    // A failure (1) outranks "not trusted" (3), which outranks valid (0).
    let codes = [ofd_report.exit_code(), pdf_report.exit_code()];
    Ok(if codes.contains(&1) {
        1
    } else {
        codes[0].max(codes[1])
    })
}

/// The anti-forgery QR code of a document: the verification URL with its id and digest.
fn qr_picture(
    template: &str,
    doc_id: &str,
    document: &[u8],
) -> Result<eseal::stamp::Picture, super::CliError> {
    let qr = AntiForgeryQr {
        template: template.to_owned(),
        doc_id: doc_id.to_owned(),
        digest: sm3(document).to_vec(),
        size_mm: 20.0,
        ..Default::default()
    };
    Ok(qr.render()?)
}

fn summary(r: &VerificationReport) {
    println!("   {} → {:?}", r.file, r.verdict());
    for s in &r.signatures {
        let failed: Vec<String> = s
            .failures()
            .map(|c| format!("{}: {}", c.subject, c.message))
            .collect();
        println!(
            "   signature {} ({} {}): {:?}{}",
            s.id,
            s.kind,
            s.version,
            s.verdict(),
            if failed.is_empty() {
                String::new()
            } else {
                format!(" — {}", failed.join("; "))
            }
        );
    }
}
