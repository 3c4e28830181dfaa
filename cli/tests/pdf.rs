//! `eseal pdf sign|verify` end to end: the exit contract, certification, SES signing with
//! stamps, a cross-page seal and a QR code on thirty pages.

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/pdf_support/mod.rs"]
mod pdf_support;

use eseal::crypto::testca::TestCa;
use eseal::ses::SealBuilder;
use pdf_support::*;
use std::process::Command;

#[test]
fn cli_signs_and_verifies_with_the_exit_contract() {
    let f = Fixture::new("cli");
    let exe = env!("CARGO_BIN_EXE_eseal");
    f.write("in.pdf", &make_pdf(3));
    f.write("seal.png", &red_disc_png(64));
    let out = Command::new(exe)
        .args([
            "pdf",
            "sign",
            "in.pdf",
            "-o",
            "out.pdf",
            "--format",
            "pades",
            "--key",
            "signer.key",
            "--cert",
            "chain.pem",
            "--picture",
            "seal.png",
        ])
        .args(["--stamp", "1,100,100,80,80", "--stamp", "2,200,200,80,80"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = |file: &str, extra: &[&str]| {
        Command::new(exe)
            .env("ESEAL_TRUST_DIR", "")
            .args(["pdf", "verify", file])
            .args(extra)
            .current_dir(f.dir.path())
            .output()
            .unwrap()
    };
    let v = verify("out.pdf", &["--trust", "ca.pem", "--json"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(json["signatures"].as_array().map(Vec::len), Some(2));
    let mut bad = std::fs::read(f.p("out.pdf")).unwrap();
    patch_same_length(&mut bad, "- page 2)", "- page 9)");
    f.write("bad.pdf", &bad);
    assert_eq!(
        verify("bad.pdf", &["--trust", "ca.pem"]).status.code(),
        Some(1)
    );
    assert_eq!(verify("missing.pdf", &[]).status.code(), Some(2));

    // No trust anchor: intact, signer not trusted (exit 3), per signature in JSON too.
    let v = verify("out.pdf", &["--json"]);
    assert_eq!(v.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(json["verdict"], "intact_untrusted");
    assert_eq!(json["signatures"][0]["verdict"], "intact_untrusted");
    assert_eq!(json["format"], "pdf");
    assert_eq!(json["signatures"][0]["kind"], "pades");

    // Unusable input exits 2 exactly as for OFD: not a PDF, empty, encrypted; with --json
    // the error is JSON on stdout.
    f.write("junk.pdf", b"not a pdf at all");
    f.write("empty.pdf", b"");
    // The trailer follows the xref table, so growing it moves no offset.
    let plain = make_pdf(1);
    let at = plain
        .windows(24)
        .rposition(|w| w == b"/Root 1 0 R >>\nstartxref")
        .expect("the sample's trailer");
    let encrypted = [
        &plain[..at],
        b"/Root 1 0 R /Encrypt << /Filter /Standard /V 2 >> >>",
        &plain[at + 14..],
    ]
    .concat();
    f.write("encrypted.pdf", &encrypted);
    for (file, needle) in [
        ("junk.pdf", "not a PDF"),
        ("empty.pdf", "empty"),
        ("encrypted.pdf", "encrypted"),
    ] {
        let o = verify(file, &["--trust", "ca.pem"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(needle), "{file}: {err}");
        let o = verify(file, &["--json"]);
        assert_eq!(o.status.code(), Some(2), "{file}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["exit_code"], 2);
        assert!(v["error"].as_str().unwrap().contains(needle), "{v}");
    }

    // PAdES with an SM2 key is refused before anything is written.
    let ca = TestCa::new("cli-pades-sm2").unwrap();
    f.write("sm2.key", ca.person.key.to_pkcs8_pem().as_bytes());
    f.write("sm2.pem", ca.person.cert.to_pem().as_bytes());
    let o = Command::new(exe)
        .args(["pdf", "sign", "in.pdf", "-o", "sm2-pades.pdf"])
        .args(["--format", "pades", "--key", "sm2.key", "--cert", "sm2.pem"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("PAdES") && err.contains("SM2"), "{err}");
    assert!(!f.p("sm2-pades.pdf").exists());

    // Certify with a field for a later signer, then fill it: valid; unknown field: exit 2.
    let run = |args: &[&str]| {
        Command::new(exe)
            .args(["pdf", "sign"])
            .args(args)
            .args([
                "--format",
                "pades",
                "--key",
                "signer.key",
                "--cert",
                "chain.pem",
                "--picture",
                "seal.png",
            ])
            .current_dir(f.dir.path())
            .output()
            .unwrap()
    };
    let o = run(&[
        "in.pdf",
        "-o",
        "cert.pdf",
        "--certify",
        "2",
        "--empty-field",
        "Approver,2,300,300,80,80",
        "--stamp",
        "1,100,100,80,80",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["cert.pdf", "-o", "cert2.pdf", "--field", "Approver"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        verify("cert2.pdf", &["--trust", "ca.pem"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["cert.pdf", "-o", "x.pdf", "--field", "Nobody"])
            .status
            .code(),
        Some(2)
    );
    assert!(!f.p("x.pdf").exists());
}

#[test]
fn thirty_pages_two_seals_cross_page_and_qr() {
    let f = Fixture::new("cli-thirty");
    let ca = TestCa::new("pdf-thirty").unwrap();
    let seal = SealBuilder::new("上海市测试局合同专用章", "310000000000030")
        .picture("PNG", noisy_seal_png(140), 40, 40)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    f.write("thirty.pdf", &make_pdf(30));
    // SES, default SubFilter.
    let exe = env!("CARGO_BIN_EXE_eseal");
    std::fs::write(f.p("seal.esl"), seal.der()).unwrap();
    std::fs::write(f.p("person.key"), ca.person.key.to_pkcs8_pem()).unwrap();
    std::fs::write(f.p("person.pem"), ca.person.cert.to_pem()).unwrap();
    std::fs::write(f.p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(f.p("qr.png"), checker_png(40)).unwrap();
    let o = Command::new(exe)
        .args([
            "pdf",
            "sign",
            "thirty.pdf",
            "-o",
            "cli.pdf",
            "--format",
            "ses",
            "--key",
            "person.key",
            "--cert",
            "person.pem",
            "--seal",
            "seal.esl",
        ])
        .args([
            "--cross-page",
            "113,113",
            "--qr",
            "qr.png",
            "--qr-at",
            "30,480,40,60",
            "--stamp",
            "1,380,120,113,113",
            "--stamp",
            "30,100,120,113,113",
        ])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = Command::new(exe)
        .args(["pdf", "verify", "cli.pdf", "--trust", "root.pem"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&v.stdout)
            .matches("signature Seal")
            .count(),
        3
    );
    qpdf_check(&f.p("cli.pdf"));
}

/// PAdES B-LTA in one run (`--level b-lta`), and step by step (`pdf ltv`, `pdf timestamp`):
/// verified ten years ahead (`--at`) after the signer's certificate expired, exit 0; B-T
/// alone then exits 1.
#[test]
fn b_lta_in_one_run_and_step_by_step_verify_ten_years_ahead() {
    let f = Fixture::new("cli-ltv");
    let out = f.sh(
        "set -e
        openssl ecparam -name prime256v1 -genkey -noout -out s2.key
        openssl req -new -key s2.key -subj '/CN=Short Signer/O=eseal-test' -out s2.csr
        openssl x509 -req -in s2.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out s2.pem -extfile ext.cnf 2>/dev/null
        cat s2.pem ca.pem > s2-chain.pem
        openssl ecparam -name prime256v1 -genkey -noout -out tsa.key
        openssl req -new -key tsa.key -subj '/CN=CLI TSA/O=eseal-test' -out tsa.csr
        printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=critical,timeStamping\\n' > tsa.cnf
        openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7300 -out tsa.pem -extfile tsa.cnf 2>/dev/null
        cat tsa.pem ca.pem > tsa-chain.pem",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tsa_key = eseal::pdf::PadesSigner::from_pem(
        &std::fs::read(f.p("tsa.key")).unwrap(),
        &std::fs::read(f.p("tsa-chain.pem")).unwrap(),
    )
    .unwrap();
    let chain = tsa_key.chain.clone();
    let tsa = eseal::tsp::TimeStampAuthority::new(Box::new(tsa_key), chain).unwrap();
    let (url, _requests) = common::serve_tsa(tsa, None);
    f.write("in.pdf", &make_pdf(1));
    let exe = env!("CARGO_BIN_EXE_eseal");
    let run = |args: &[&str]| {
        let o = Command::new(exe)
            .env("ESEAL_TRUST_DIR", "")
            .args(args)
            .current_dir(f.dir.path())
            .output()
            .unwrap();
        (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let sign = |out: &str, level: &str| {
        run(&[
            "pdf",
            "sign",
            "in.pdf",
            "-o",
            out,
            "--format",
            "pades",
            "--key",
            "s2.key",
            "--cert",
            "s2-chain.pem",
            "--tsa",
            &url,
            "--level",
            level,
            "--trust",
            "ca.pem",
        ])
    };
    let later = {
        let (y, m, d, ..) = eseal::crypto::time::Time::now().add_days(3653).to_civil();
        format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
    };
    let verify_later =
        |file: &str| run(&["pdf", "verify", file, "--trust", "ca.pem", "--at", &later]);
    let (code, text) = sign("lta.pdf", "b-lta");
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verify_later("lta.pdf");
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = sign("bt.pdf", "b-t");
    assert_eq!(code, Some(0), "{text}");
    // B-T ten years ahead: "valid when signed, expired now" (a warning naming the missing
    // B-LTA proof), a failure under --strict.
    let (code, text) = verify_later("bt.pdf");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("PAdES B-LTA"), "{text}");
    let (code, text) = run(&[
        "pdf", "verify", "bt.pdf", "--trust", "ca.pem", "--at", &later, "--strict",
    ]);
    assert_eq!(code, Some(1), "{text}");
    let (code, text) = run(&["pdf", "ltv", "bt.pdf", "-o", "blt.pdf", "--trust", "ca.pem"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&[
        "pdf",
        "timestamp",
        "blt.pdf",
        "-o",
        "blta.pdf",
        "--tsa",
        &url,
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verify_later("blta.pdf");
    assert_eq!(code, Some(0), "{text}");
    // --level b-lta without a TSA is refused before anything is written.
    let (code, text) = run(&[
        "pdf",
        "sign",
        "in.pdf",
        "-o",
        "no.pdf",
        "--format",
        "pades",
        "--key",
        "s2.key",
        "--cert",
        "s2-chain.pem",
        "--level",
        "b-lta",
    ]);
    assert_ne!(code, Some(0), "{text}");
    assert!(!f.p("no.pdf").exists());
}
