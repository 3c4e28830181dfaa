//! PAdES B-LT / B-LTA (ETSI EN 319 142-1 §6.3, §6.4): the DSS and document timestamps eseal
//! writes, verified ten years ahead from the embedded evidence alone (`--at`, the
//! PAdES-LTA proof chain), by eseal and by pyHanko; the changed-after-signing rules allow a
//! DSS update and nothing else in it.

mod common;
mod pdf_support;

use common::tool;
use eseal::crypto::Certificate;
use eseal::crypto::time::Time;
use eseal::pdf::{self, Credential, LtvOptions, PadesSigner, Placement, SignRequest};
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::tsp::TimeStampAuthority;
use eseal::validation::{TrustStore, VerifyOptions};

/// A P-256 root and TSA valid 20 years, a signer valid one year, and a CRL of the root
/// (`openssl ca -gencrl`), all made with OpenSSL.
fn fixture() -> pdf_support::Fixture {
    fixture_with_cdp("")
}

/// [`fixture`], the signer and TSA certificates naming `cdp` as their CRL distribution point
/// when it is not empty.
fn fixture_with_cdp(cdp: &str) -> pdf_support::Fixture {
    tool("openssl");
    let f = pdf_support::Fixture::new("pdf-ltv");
    let ext = if cdp.is_empty() {
        String::new()
    } else {
        format!("crlDistributionPoints=URI:{cdp}\\n")
    };
    let out = f.sh(&format!(
        "set -e
        mkdir -p db && : > db/index.txt && echo 1000 > db/crlnumber
        cat > ca.cnf <<'EOF'
[ca]
default_ca = c
[c]
database = db/index.txt
crlnumber = db/crlnumber
default_md = sha256
default_crl_days = 7300
EOF
        openssl ecparam -name prime256v1 -genkey -noout -out lroot.key
        openssl req -x509 -new -key lroot.key -subj '/CN=LTV Root/O=eseal-test' -days 7300 -out lroot.pem -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
        openssl ecparam -name prime256v1 -genkey -noout -out lsigner.key
        openssl req -new -key lsigner.key -subj '/CN=LTV Signer/O=eseal-test' -out lsigner.csr
        printf 'keyUsage=critical,digitalSignature,nonRepudiation\\n{ext}' > lsigner.cnf
        openssl x509 -req -in lsigner.csr -CA lroot.pem -CAkey lroot.key -CAcreateserial -days 365 -out lsigner.pem -extfile lsigner.cnf 2>/dev/null
        cat lsigner.pem lroot.pem > lsigner-chain.pem
        openssl ecparam -name prime256v1 -genkey -noout -out ltsa.key
        openssl req -new -key ltsa.key -subj '/CN=LTV TSA/O=eseal-test' -out ltsa.csr
        printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=critical,timeStamping\\n{ext}' > ltsa.cnf
        openssl x509 -req -in ltsa.csr -CA lroot.pem -CAkey lroot.key -CAcreateserial -days 7300 -out ltsa.pem -extfile ltsa.cnf 2>/dev/null
        cat ltsa.pem lroot.pem > ltsa-chain.pem
        openssl ca -config ca.cnf -gencrl -keyfile lroot.key -cert lroot.pem -out lroot.crl.pem 2>/dev/null
        openssl crl -in lroot.crl.pem -outform DER -out lroot.crl"
    ));
    assert!(
        out.status.success(),
        "fixture: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    f
}

fn tsa(f: &pdf_support::Fixture) -> TimeStampAuthority {
    let s = PadesSigner::from_pem(
        &std::fs::read(f.p("ltsa.key")).unwrap(),
        &std::fs::read(f.p("ltsa-chain.pem")).unwrap(),
    )
    .unwrap();
    let chain = s.chain.clone();
    TimeStampAuthority::new(Box::new(s), chain).unwrap()
}

fn root(f: &pdf_support::Fixture) -> Certificate {
    Certificate::parse(&std::fs::read(f.p("lroot.pem")).unwrap()).unwrap()
}

/// Verification as of `at` (`--at`), trusting the fixture's root.
fn verify_at(f: &pdf_support::Fixture, name: &str, at: Option<Time>) -> VerificationReport {
    let opts = VerifyOptions {
        trust: TrustStore::new().with(root(f)),
        at: at.unwrap_or_else(Time::now),
        long_term: at.is_some(),
        // "Valid when signed, expired now" is a warning; --strict makes it the failure
        // pyHanko reports.
        strict: at.is_some(),
        ..Default::default()
    };
    pdf::verify_file(&f.p(name), &opts).unwrap()
}

fn ten_years_ahead() -> Time {
    Time::now().add_days(3653)
}

/// Signs B-T (`b-t.pdf`), adds the DSS (`b-lt.pdf`), then the document timestamp
/// (`b-lta.pdf`).
fn make_levels(f: &pdf_support::Fixture) {
    let tsa = tsa(f);
    let signer = PadesSigner::from_pem(
        &std::fs::read(f.p("lsigner.key")).unwrap(),
        &std::fs::read(f.p("lsigner-chain.pem")).unwrap(),
    )
    .unwrap();
    let mut req = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Invisible,
        Time::now(),
    );
    req.time_stamper = Some(&tsa);
    f.write("plain.pdf", &pdf_support::make_pdf(1));
    pdf::sign_file(&f.p("plain.pdf"), &f.p("b-t.pdf"), &[req]).unwrap();
    let mut opts = LtvOptions {
        certs: vec![root(f)],
        ..Default::default()
    };
    opts.revocation
        .crls
        .push(std::fs::read(f.p("lroot.crl")).unwrap());
    let s = pdf::add_validation_data(&f.p("b-t.pdf"), &f.p("b-lt.pdf"), &opts).unwrap();
    assert_eq!((s.signatures, s.crls), (1, 1), "{s:?}");
    // Signer, TSA and root.
    assert_eq!(s.certs, 3, "{s:?}");
    pdf::timestamp(&f.p("b-lt.pdf"), &f.p("b-lta.pdf"), &tsa).unwrap();
    if let Some(keep) = std::env::var_os("ESEAL_KEEP_LTV") {
        for n in ["b-t.pdf", "b-lt.pdf", "b-lta.pdf", "lroot.pem", "lroot.crl"] {
            std::fs::copy(f.p(n), std::path::Path::new(&keep).join(n)).unwrap();
        }
    }
}

fn validity_now(r: &VerificationReport, sig: usize) -> Vec<(Status, String)> {
    r.signatures[sig]
        .checks
        .iter()
        .filter(|c| c.check == CheckKind::CertificateValidityNow)
        .map(|c| (c.status, c.message.clone()))
        .collect()
}

#[test]
fn b_lta_validates_ten_years_ahead_from_embedded_data_and_b_t_does_not() {
    let f = fixture();
    make_levels(&f);
    // Today every level is valid; the DSS and the document timestamp are allowed changes.
    for name in ["b-t.pdf", "b-lt.pdf", "b-lta.pdf"] {
        let r = verify_at(&f, name, None);
        assert_eq!(r.verdict(), Verdict::Valid, "{name}: {}", r.to_text());
        pdf_support::qpdf_check(&f.p(name));
    }
    let r = verify_at(&f, "b-lta.pdf", None);
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    assert_eq!(r.signatures[1].kind.as_str(), "document-timestamp");
    let text = r.to_text();
    assert!(text.contains("document security store"), "{text}");

    // Ten years ahead, the signer's certificate (one year) has expired.
    let later = ten_years_ahead();
    let r = verify_at(&f, "b-lta.pdf", Some(later));
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let v = validity_now(&r, 0);
    assert!(
        v.iter()
            .all(|(s, m)| *s == Status::Passed && !m.contains("expired")
                || m.contains("long-term validation")),
        "{v:?}"
    );
    assert!(
        v.iter().any(|(_, m)| m.contains("long-term validation")),
        "{v:?}"
    );

    for name in ["b-t.pdf", "b-lt.pdf"] {
        let r = verify_at(&f, name, Some(later));
        assert_eq!(r.verdict(), Verdict::Invalid, "{name}: {}", r.to_text());
        let v = validity_now(&r, 0);
        assert!(
            v.iter().any(|(s, m)| *s == Status::Warning
                && m.contains("expired")
                && m.contains("PAdES B-LTA")),
            "{name}: {v:?}"
        );
    }
    // Without --at (verified "now" ten years on) it is the warning it always was.
    let opts = VerifyOptions {
        trust: TrustStore::new().with(root(&f)),
        at: later,
        ..Default::default()
    };
    let r = pdf::verify_file(&f.p("b-t.pdf"), &opts).unwrap();
    assert_eq!(r.verdict(), Verdict::ValidWithWarnings, "{}", r.to_text());
    // pyHanko's AdES validation (ETSI EN 319 102-1, its LTA algorithm) ten years ahead agrees:
    // B-LTA valid from the document timestamp, the DSS certificates and CRL; B-T invalid.
    let when = {
        let (y, m, d, ..) = later.to_civil();
        format!("{y:04}-{m:02}-{d:02}T00:00:00+00:00")
    };
    for (name, verdict) in [("b-lta.pdf", ":VALID"), ("b-t.pdf", ":INVALID")] {
        let out = common::venv_python()
            .args([
                "-m",
                "pyhanko",
                "sign",
                "adesverify",
                "--trust",
                "lroot.pem",
            ])
            .args([
                "--trust-replace",
                "--executive-summary",
                "--validation-time",
                &when,
                name,
            ])
            .current_dir(f.dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.trim_end().ends_with(verdict),
            "pyHanko adesverify {name} at {when}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Past the TSA's own expiry (20 years) the newest document timestamp proves nothing.
    let r = verify_at(&f, "b-lta.pdf", Some(Time::now().add_days(7400)));
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
}

#[test]
fn the_dss_update_is_allowed_and_nothing_else_in_it() {
    let f = fixture();
    make_levels(&f);
    let signed = std::fs::read(f.p("b-t.pdf")).unwrap();
    let opts = LtvOptions {
        certs: vec![root(&f)],
        ..Default::default()
    };
    let (update, _) = pdf::validation_data_update(&signed, &opts).unwrap();
    let text = String::from_utf8_lossy(&update);
    assert!(text.contains("/VRI"), "{text}");
    let good = [signed.clone(), update.clone()].concat();
    f.write("dss-only.pdf", &good);
    let r = verify_at(&f, "dss-only.pdf", None);
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    // The same update also drops the catalog's /Type for a /Lang: a catalog change.
    let mut bad = good.clone();
    let at = signed.len();
    pdf_support::patch_same_length(&mut bad[at..], "/Type /Catalog", "/Lang (zzzzzz)");
    f.write("dss-and-more.pdf", &bad);
    let r = verify_at(&f, "dss-and-more.pdf", None);
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    assert!(r.to_text().contains("catalog"), "{}", r.to_text());
}

#[test]
fn a_second_dss_update_keeps_the_first_and_adds_only_what_is_new() {
    let f = fixture();
    make_levels(&f);
    let lta = std::fs::read(f.p("b-lta.pdf")).unwrap();
    let (update, s) = pdf::validation_data_update(&lta, &LtvOptions::default()).unwrap();
    // The document timestamp now has its VRI entry too; its TSA certificate was there, the
    // CRL given the first time stays (no CRL given now).
    assert_eq!(s.signatures, 2, "{s:?}");
    assert_eq!((s.certs, s.crls), (3, 0), "{s:?}");
    // Nothing stored twice: no new certificate streams beyond the DSS and catalog.
    let text = String::from_utf8_lossy(&update);
    assert_eq!(text.matches("/Filter /FlateDecode").count(), 0, "{text}");
    f.write("lta-dss.pdf", &[lta, update].concat());
    let r = verify_at(&f, "lta-dss.pdf", Some(ten_years_ahead()));
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
}

#[test]
fn pyhankos_b_lta_validates_ten_years_ahead_in_eseal() {
    // The CRL served over HTTP for pyHanko's --with-validation-info.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = fixture_with_cdp(&format!("http://127.0.0.1:{port}/lroot.crl"));
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(f.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (url, _requests) = common::serve_tsa(tsa(&f), None);
    f.write("plain.pdf", &pdf_support::make_pdf(1));
    let out = common::venv_python()
        .args([
            "-m",
            "pyhanko",
            "sign",
            "addsig",
            "--field",
            "Sig1",
            "--use-pades-lta",
        ])
        .args(["--with-validation-info", "--timestamp-url", &url])
        .args(["--trust", "lroot.pem", "--trust-replace", "pemder"])
        .args([
            "--key",
            "lsigner.key",
            "--cert",
            "lsigner.pem",
            "--chain",
            "lroot.pem",
        ])
        .args(["--no-pass", "plain.pdf", "theirs.pdf"])
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "pyHanko addsig --use-pades-lta: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = verify_at(&f, "theirs.pdf", None);
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    assert!(
        r.signatures
            .iter()
            .any(|s| s.kind.as_str() == "document-timestamp"),
        "{}",
        r.to_text()
    );
    let r = verify_at(&f, "theirs.pdf", Some(ten_years_ahead()));
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let r = verify_at(&f, "theirs.pdf", Some(Time::now().add_days(7400)));
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
}

#[test]
fn a_crl_in_the_dss_that_revokes_the_signer_is_checked() {
    let f = fixture();
    // The signer's certificate revoked (now); then signed: revoked before the signing time.
    let out = f.sh(
        "set -e
        openssl ca -config ca.cnf -revoke lsigner.pem -keyfile lroot.key -cert lroot.pem 2>/dev/null
        openssl ca -config ca.cnf -gencrl -keyfile lroot.key -cert lroot.pem -out revoked.crl.pem 2>/dev/null
        openssl crl -in revoked.crl.pem -outform DER -out revoked.crl",
    );
    assert!(
        out.status.success(),
        "revoke: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let tsa = tsa(&f);
    let signer = PadesSigner::from_pem(
        &std::fs::read(f.p("lsigner.key")).unwrap(),
        &std::fs::read(f.p("lsigner-chain.pem")).unwrap(),
    )
    .unwrap();
    let mut req = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Invisible,
        Time::now(),
    );
    req.time_stamper = Some(&tsa);
    f.write("plain.pdf", &pdf_support::make_pdf(1));
    pdf::sign_file(&f.p("plain.pdf"), &f.p("signed.pdf"), &[req]).unwrap();
    let r = verify_at(&f, "signed.pdf", None);
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let mut opts = LtvOptions::default();
    opts.revocation
        .crls
        .push(std::fs::read(f.p("revoked.crl")).unwrap());
    pdf::add_validation_data(&f.p("signed.pdf"), &f.p("revoked.pdf"), &opts).unwrap();
    let r = verify_at(&f, "revoked.pdf", None);
    assert_eq!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    assert!(r.to_text().contains("revoked"), "{}", r.to_text());
}
