//! `eseal pdf sign` / `ofd sign` with keyword positioning, cross-page layouts and batches of
//! files (a folder in, a folder out, a summary; one bad file does not stop the others).

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/ofd_support/mod.rs"]
mod ofd_support;
#[path = "../../core/tests/pdf_support/mod.rs"]
mod pdf_support;

use ofd_support::{sample_ofd, seal};
use std::process::Command;

fn eseal() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
}

#[test]
fn ofd_batch_of_a_folder_signs_the_good_files_and_reports_the_bad_one() {
    let dir = common::TempDir::new("batch-ofd");
    let p = |n: &str| dir.path().join(n);
    std::fs::create_dir(p("in")).unwrap();
    for i in 0..24 {
        std::fs::write(p(&format!("in/doc{i:02}.ofd")), sample_ofd(2)).unwrap();
    }
    std::fs::write(p("in/broken.ofd"), b"not a zip").unwrap();
    let (s, _, ca) = seal("batch-cli", "批量测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), s.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    let o = eseal()
        .args(["ofd", "sign"])
        .arg(p("in"))
        .arg("-o")
        .arg(p("out"))
        .arg("--seal")
        .arg(p("seal.esl"))
        .args(["--test-ca", "batch-cli", "--stamp", "1,20,30", "--json"])
        .args(["--cross-page", "--cross-page-edge", "bottom"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signed"], 24);
    assert_eq!(v["failed"], 1);
    let bad = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ok"] == false)
        .unwrap();
    assert!(bad["file"].as_str().unwrap().ends_with("broken.ofd"));
    assert!(!p("out/broken.ofd").exists());
    let outs = std::fs::read_dir(p("out")).unwrap().count();
    assert_eq!(outs, 24, "only the signed files, no temporaries");
    for f in ["out/doc00.ofd", "out/doc23.ofd"] {
        let o = eseal()
            .args(["ofd", "verify"])
            .arg(p(f))
            .arg("--trust")
            .arg(p("root.pem"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // Signing into the input folder is refused file by file, nothing overwritten.
    let o = eseal()
        .args(["ofd", "sign"])
        .arg(p("in/doc00.ofd"))
        .arg(p("in/doc01.ofd"))
        .arg("-o")
        .arg(p("in"))
        .arg("--seal")
        .arg(p("seal.esl"))
        .args(["--test-ca", "batch-cli", "--stamp", "1,20,30"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(p("in/doc00.ofd")).unwrap(), sample_ofd(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 signed, 2 failed"));
}

#[test]
fn keywords_through_the_command_line() {
    let dir = common::TempDir::new("kw-cli");
    let p = |n: &str| dir.path().join(n);
    let (s, _, ca) = seal("kw-cli", "关键字测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), s.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(p("in.ofd"), sample_ofd(2)).unwrap();
    let sign = |kw: &str, out: &str| {
        eseal()
            .args(["ofd", "sign"])
            .arg(p("in.ofd"))
            .arg("-o")
            .arg(p(out))
            .arg("--seal")
            .arg(p("seal.esl"))
            .args([
                "--test-ca",
                "kw-cli",
                "--keyword",
                kw,
                "--keyword-occurrence",
                "last",
            ])
            .args(["--keyword-offset", "-5,0"])
            .output()
            .unwrap()
    };
    // The sample OFD's title text.
    let o = sign("eseal test", "kw.ofd");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = eseal()
        .args(["ofd", "verify"])
        .arg(p("kw.ofd"))
        .arg("--trust")
        .arg(p("root.pem"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = sign("不存在的词", "none.ofd");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("不存在的词"));
    assert!(!p("none.ofd").exists());

    // PDF, PAdES: the sample's "page 2".
    let f = pdf_support::Fixture::new("kw-cli-pdf");
    f.write("in.pdf", &pdf_support::make_pdf(3));
    f.write("seal.png", &pdf_support::red_disc_png(64));
    let o = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args([
            "pdf", "sign", "in.pdf", "-o", "out.pdf", "--format", "pades",
        ])
        .args([
            "--key",
            "signer.key",
            "--cert",
            "chain.pem",
            "--picture",
            "seal.png",
        ])
        .args(["--keyword", "page 2", "--keyword-size", "30,30"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 signature"));
    let o = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["pdf", "verify", "out.pdf", "--trust", "ca.pem"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Deferred signing from the command line: --prepare writes the state and prints e, the
/// UKey (here the test CA's person key) signs e, --finish with the same options writes the
/// signed PDF; a changed option is refused and writes nothing.
#[test]
fn pdf_deferred_signing_through_the_command_line() {
    use base64::Engine;
    use eseal::crypto::Signer;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = common::TempDir::new("deferred-cli");
    let p = |n: &str| dir.path().join(n);
    let (s, signer, ca) = seal("deferred-cli", "延迟签章测试", [200, 0, 0]);
    std::fs::write(p("seal.esl"), s.der()).unwrap();
    std::fs::write(p("person.pem"), ca.person.cert.to_pem()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(p("in.pdf"), pdf_support::make_pdf(2)).unwrap();
    let base = |stamp: &str| {
        let mut c = eseal();
        c.args(["pdf", "sign"])
            .arg(p("in.pdf"))
            .args(["--format", "ses", "--cert"])
            .arg(p("person.pem"))
            .arg("--seal")
            .arg(p("seal.esl"))
            .args(["--stamp", stamp]);
        c
    };
    let o = base("1,100,100,113,113")
        .arg("--prepare")
        .arg(p("state.json"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let e: [u8; 32] = b64
        .decode(String::from_utf8_lossy(&o.stdout).trim())
        .unwrap()
        .try_into()
        .unwrap();
    let sig = b64.encode(signer.sign_digest(&e).unwrap().to_der());
    let finish = |stamp: &str, out: &str| {
        base(stamp)
            .arg("--finish")
            .arg(p("state.json"))
            .args(["--signature", &sig])
            .arg("-o")
            .arg(p(out))
            .output()
            .unwrap()
    };
    let o = finish("1,100,100,113,113", "out.pdf");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = eseal()
        .args(["pdf", "verify"])
        .arg(p("out.pdf"))
        .arg("--trust")
        .arg(p("root.pem"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = finish("2,100,100,113,113", "moved.pdf");
    assert_eq!(o.status.code(), Some(2));
    assert!(!p("moved.pdf").exists());
}

/// The same for OFD, a plain signature (Type=Sign) and a seal.
#[test]
fn ofd_deferred_signing_through_the_command_line() {
    use base64::Engine;
    use eseal::crypto::Signer;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = common::TempDir::new("deferred-cli-ofd");
    let p = |n: &str| dir.path().join(n);
    let (s, signer, ca) = seal("deferred-cli-ofd", "延迟签章测试", [200, 0, 0]);
    std::fs::write(p("seal.esl"), s.der()).unwrap();
    std::fs::write(p("person.pem"), ca.person.cert.to_pem()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(p("in.ofd"), sample_ofd(2)).unwrap();
    for kind in [["--seal", "seal.esl"], ["--plain", ""]] {
        let base = || {
            let mut c = eseal();
            c.args(["ofd", "sign"])
                .arg(p("in.ofd"))
                .arg("--cert")
                .arg(p("person.pem"))
                .args(["--stamp", "1,50,50"]);
            if kind[1].is_empty() {
                c.arg(kind[0]);
            } else {
                c.arg(kind[0]).arg(p(kind[1]));
            }
            c
        };
        let o = base()
            .arg("--prepare")
            .arg(p("state.json"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let e: [u8; 32] = b64
            .decode(String::from_utf8_lossy(&o.stdout).trim())
            .unwrap()
            .try_into()
            .unwrap();
        let sig = signer.sign_digest(&e).unwrap();
        // The raw r‖s form, as a file.
        let mut raw = sig.r.to_vec();
        raw.extend_from_slice(&sig.s);
        std::fs::write(p("sig.bin"), &raw).unwrap();
        let o = base()
            .arg("--finish")
            .arg(p("state.json"))
            .arg("--signature")
            .arg(p("sig.bin"))
            .arg("-o")
            .arg(p("out.ofd"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let o = eseal()
            .args(["ofd", "verify"])
            .arg(p("out.ofd"))
            .arg("--trust")
            .arg(p("root.pem"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

/// A folder of 200 PDFs signed in one batch, then verified in one batch: every file valid
/// (exit 0); after one signed file is altered and a broken one added, the batch still
/// reports every file, the summary counts each kind and the exit status is the worst (1).
#[test]
fn pdf_batch_of_200_signed_then_verified_and_one_bad_file_does_not_stop_it() {
    let dir = common::TempDir::new("batch-pdf-200");
    let p = |n: &str| dir.path().join(n);
    std::fs::create_dir(p("in")).unwrap();
    let pdf = pdf_support::make_pdf(1);
    for i in 0..200 {
        std::fs::write(p(&format!("in/doc{i:03}.pdf")), &pdf).unwrap();
    }
    let (s, _, ca) = seal("batch-pdf-200", "批量验证章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), s.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(p("person.key"), ca.person.key.to_pkcs8_pem()).unwrap();
    std::fs::write(p("person.pem"), ca.person.cert.to_pem()).unwrap();
    let t = std::time::Instant::now();
    let o = eseal()
        .args(["pdf", "sign"])
        .arg(p("in"))
        .arg("-o")
        .arg(p("out"))
        .arg("--seal")
        .arg(p("seal.esl"))
        .arg("--key")
        .arg(p("person.key"))
        .arg("--cert")
        .arg(p("person.pem"))
        .args(["--format", "ses", "--stamp", "1,100,100,113,113"])
        .output()
        .unwrap();
    let signing = t.elapsed();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("200 signed, 0 failed"));
    let verify = |json: bool| {
        let mut c = eseal();
        c.args(["pdf", "verify"])
            .arg(p("out"))
            .arg("--no-default-trust")
            .arg("--trust")
            .arg(p("root.pem"));
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let t = std::time::Instant::now();
    let o = verify(true);
    let verifying = t.elapsed();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["valid"].as_u64(), v["failed"].as_u64()),
        (Some(200), Some(0))
    );
    assert_eq!(v["files"].as_array().unwrap().len(), 200);
    assert!(
        o.stderr.is_empty(),
        "no progress output when not a terminal"
    );
    eprintln!("200 PDFs: signed in {signing:?}, verified in {verifying:?}");

    // Alter the signed bytes of one file (inside the signature's covered range), add a file
    // that is no PDF: the other 199 are still reported valid.
    let victim = p("out/doc100.pdf");
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.windows(6).position(|w| w == b"page 1").unwrap();
    bytes[at + 5] = b'7'; // the page's own text, same length: covered, no longer the same

    std::fs::write(&victim, &bytes).unwrap();
    std::fs::write(p("out/zz-broken.pdf"), b"not a pdf").unwrap();
    let o = verify(false);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("199 valid, 0 intact but untrusted, 1 failed, 1 unusable, 201 in all"),
        "{out}"
    );
    let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(line("doc100.pdf").contains("FAILED"), "{out}");
    assert!(line("zz-broken.pdf").contains("unusable"), "{out}");
    assert!(line("doc199.pdf").contains("valid"), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&verify(true).stdout).unwrap();
    assert_eq!(v["exit_code"], 1);
    assert_eq!(
        (v["unusable"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    // Without the trust anchor every intact file is 3 and the worst is still the failure.
    let o = eseal()
        .args(["pdf", "verify"])
        .arg(p("out/doc001.pdf"))
        .arg(p("out/doc002.pdf"))
        .arg("--no-default-trust")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Deferred PAdES from the command line (issue 16) with an ECDSA P-256 and an RSA key held
/// outside eseal: --prepare prints SHA-256 of the signed attributes, `openssl pkeyutl`
/// signs it as a prehashed digest, --finish embeds it; eseal, pyHanko and pdfsig accept the
/// result. The signature of another key is refused and nothing is written.
#[test]
fn pdf_deferred_pades_with_p256_and_rsa_keys_through_the_command_line() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let f = pdf_support::Fixture::new("deferred-pades-cli");
    let out = f.sh("set -e
        openssl genrsa -out rsa.key 2048 2>/dev/null
        openssl req -new -key rsa.key -subj '/CN=RSA Signer/O=eseal-test' -out rsa.csr
        openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out rsa.pem -extfile ext.cnf 2>/dev/null
        cat rsa.pem ca.pem > rsa-chain.pem");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.write("in.pdf", &pdf_support::make_pdf(2));
    f.write("stamp.png", &pdf_support::red_disc_png(64));
    for (name, key, chain, other, opts) in [
        ("ec", "signer.key", "chain.pem", "rsa.key", ""),
        (
            "rsa",
            "rsa.key",
            "rsa-chain.pem",
            "signer.key",
            "-pkeyopt digest:sha256",
        ),
    ] {
        let base = || {
            let mut c = eseal();
            c.args(["pdf", "sign"])
                .arg(f.p("in.pdf"))
                .args(["--format", "pades", "--cert"])
                .arg(f.p(chain))
                .arg("--picture")
                .arg(f.p("stamp.png"))
                .args(["--stamp", "1,100,100,113,113"]);
            c
        };
        let state = f.p(&format!("{name}.json"));
        let o = base().arg("--prepare").arg(&state).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let digest = b64
            .decode(String::from_utf8_lossy(&o.stdout).trim())
            .unwrap();
        assert_eq!(digest.len(), 32);
        f.write(&format!("{name}.digest"), &digest);
        let sign = |with: &str, sig: &str| {
            let o = f.sh(&format!(
                "openssl pkeyutl -sign -inkey {with} {opts} -in {name}.digest -out {sig}"
            ));
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            f.p(sig)
        };
        let finish = |sig: &std::path::Path, out: &str| {
            base()
                .arg("--finish")
                .arg(&state)
                .arg("--signature")
                .arg(sig)
                .arg("-o")
                .arg(f.p(out))
                .output()
                .unwrap()
        };
        // Another key's signature: refused, nothing written.
        let wrong = sign(other, &format!("{name}-wrong.sig"));
        let o = finish(&wrong, &format!("{name}-wrong.pdf"));
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("签名值验证失败"));
        assert!(!f.p(&format!("{name}-wrong.pdf")).exists());

        let sig = sign(key, &format!("{name}.sig"));
        let signed = format!("{name}-signed.pdf");
        let o = finish(&sig, &signed);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let o = eseal()
            .args(["pdf", "verify"])
            .arg(f.p(&signed))
            .arg("--trust")
            .arg(f.p("ca.pem"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        let (ok, text) = pdf_support::pyhanko_validate(&f, &f.p(&signed));
        assert!(ok, "{name}: pyHanko: {text}");
        let sig = pdf_support::pdfsig(&f, &f.p(&signed));
        assert!(sig.contains("Signature is Valid"), "{name}: pdfsig: {sig}");
        assert!(sig.contains("ETSI.CAdES.detached"), "{name}: pdfsig: {sig}");
    }
}
