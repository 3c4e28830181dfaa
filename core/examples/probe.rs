use eseal::ses::*;
fn main() {
    for f in std::env::args().skip(1) {
        let b = std::fs::read(&f).unwrap();
        let opts = VerifyOptions::default();
        let r = if f.ends_with(".dat") {
            verify_signature(&b, DataCheck::NotAvailable, None, &f, &opts)
        } else {
            verify_seal_bytes(&b, &f, &opts)
        };
        let rep = eseal::report::VerificationReport {
            file: f.clone(),
            format: "x".into(),
            signatures: vec![r],
            document_checks: vec![],
        };
        print!("{}", rep.to_text());
    }
}
