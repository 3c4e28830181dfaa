//! `eseal demo`: the end-to-end path of one signature, printed step by step — a test CA, a
//! unit seal made by the seal maker, a signature by the seal's user over a document, and the
//! verification report. Everything is written to `--out` so it can be inspected afterwards.

use super::{CliResult, write_atomic};
use clap::Args;
use eseal::crypto::sm3::sm3;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::crypto::{Signer, TrustStore};
use eseal::report::VerificationReport;
use eseal::ses::{self, DataCheck, SealBuilder, VerifyOptions};
use std::path::PathBuf;

#[derive(Args)]
pub struct DemoArgs {
    /// Folder for what the demo makes (CA, seal, document, signature, report).
    #[arg(long, default_value = "eseal-demo")]
    out: PathBuf,
}

pub fn run(a: DemoArgs) -> CliResult {
    let out = &a.out;
    std::fs::create_dir_all(out)?;
    let now = Time::now();
    println!("1. Test CA (deterministic, seed \"eseal-demo\")");
    let ca = TestCa::new("eseal-demo")?;
    for (name, id) in [("root", &ca.root), ("unit", &ca.unit), ("person", &ca.person)] {
        write_atomic(&out.join(format!("{name}.pem")), id.cert.to_pem().as_bytes())?;
        println!("   {name:<6} {}", id.cert.subject_string());
    }

    println!("2. Seal picture and unit seal (GB/T 38540 v4), made by the unit certificate");
    let picture = demo_picture()?;
    write_atomic(&out.join("seal.png"), &picture)?;
    let seal = SealBuilder::new("上海市测试局", "3101000000001")
        .picture("PNG", picture, 42, 42)
        .created(now)
        .valid(now, now.add_days(365))
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())?;
    write_atomic(&out.join("seal.esl"), seal.der())?;
    println!("   {} \"{}\", {} bytes, valid {} .. {}", seal.es_id, seal.name, seal.der().len(), seal.valid_start.to_iso(), seal.valid_end.to_iso());

    println!("3. Document and its SES_Signature by {}", ca.person.signer().certificate().subject_string());
    let document = "关于开展电子印章应用试点工作的通知\n\n各单位：为推进电子印章在政务服务中的应用……\n".as_bytes();
    write_atomic(&out.join("document.txt"), document)?;
    let sig = ses::sign(&seal, &ca.person.signer(), &sm3(document), "document.txt", now)?;
    write_atomic(&out.join("SignedValue.dat"), sig.to_der())?;
    println!("   dataHash SM3 = {}", hex::encode(&sig.data_hash));

    println!("4. Verification with the test root as trust anchor\n");
    let opts = VerifyOptions { trust: TrustStore::new().with(ca.root.cert.clone()), now, extra_certs: Vec::new() };
    let report = VerificationReport {
        file: out.join("SignedValue.dat").display().to_string(),
        format: "ses-signature".into(),
        signatures: vec![ses::verify_signature(sig.to_der(), DataCheck::Data(document), Some("document.txt"), "SignedValue.dat", &opts)],
        document_checks: Vec::new(),
    };
    print!("{}", report.to_text());
    write_atomic(&out.join("report.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;

    println!("\n5. The same signature over a changed document");
    let changed = [document, b"(changed)"].concat();
    let tampered = ses::verify_signature(sig.to_der(), DataCheck::Data(&changed), None, "SignedValue.dat", &opts);
    for c in tampered.failures() {
        println!("   FAIL {}: {}", c.subject, c.message);
    }
    println!("\nEverything is in {}/ — try: eseal seal verify {}/SignedValue.dat --data {}/document.txt --trust {}/root.pem", out.display(), out.display(), out.display(), out.display());
    Ok(report.exit_code(false))
}

fn demo_picture() -> Result<Vec<u8>, super::CliError> {
    Ok(include_bytes!("../../../vectors/ses/picture-8x8.png").to_vec())
}
