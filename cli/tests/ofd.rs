//! `eseal ofd sign|verify|inspect`: exit statuses, committed vectors, other producers' files.

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/ofd_support/mod.rs"]
mod ofd_support;

use ofd_support::*;

/// The eseal binary, with no trust directory (the user's own must not change the outcome).
fn eseal() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_eseal"));
    c.env("ESEAL_TRUST_DIR", "");
    c
}

/// A CRL of `ca`'s root made a day after the test documents' signing time (t0), valid 90
/// days, listing `revoked` (certificate, date) for keyCompromise.
fn write_crl(
    ca: &eseal::crypto::testca::TestCa,
    path: &std::path::Path,
    revoked: &[(&eseal::crypto::Certificate, eseal::crypto::time::Time)],
) {
    use eseal::revocation::{CrlBuilder, Reason, RevokedEntry};
    let crl = CrlBuilder {
        this_update: t0().add_days(1),
        next_update: t0().add_days(90),
        number: 1,
        revoked: revoked
            .iter()
            .map(|(c, d)| RevokedEntry::for_certificate(c, *d, Some(Reason::KeyCompromise)))
            .collect(),
    }
    .sign(&ca.root.signer())
    .unwrap();
    std::fs::write(path, crl).unwrap();
}

/// eseal's own signed document (vectors/ofd/eseal-three-signatures.ofd, written with
/// ESEAL_WRITE_VECTORS=1 in core's ofd_sign tests) stays valid for the command line.
#[test]
fn committed_eseal_document_stays_valid() {
    let d = common::vectors().join("ofd");
    let o = eseal()
        .args(["ofd", "verify"])
        .arg(d.join("eseal-three-signatures.ofd"))
        .arg("--trust")
        .arg(d.join("eseal-three-signatures.roots.pem"))
        .args(["--json", "--at", "2026-04-01T00:00:00Z"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 3, "{out}");
    // No CRL or OCSP is given: the only warnings are "no revocation information".
    for s in sigs {
        for c in s["checks"].as_array().unwrap() {
            assert!(
                c["status"] == "passed" || (c["status"] == "warning" && c["check"] == "revocation"),
                "{c}"
            );
        }
    }
}

/// The committed corpus (vectors/ofd/tamper, made by core's ofd_sign tests with
/// ESEAL_WRITE_VECTORS=1) keeps its verdicts through the command line.
#[test]
fn committed_tamper_corpus_through_the_cli() {
    let d = common::vectors().join("ofd/tamper");
    let trust = d.join("trust-root.pem");
    let run = |f: &str| {
        let o = eseal()
            .args(["ofd", "verify"])
            .arg(d.join(f))
            .arg("--trust")
            .arg(&trust)
            .args(["--at", "2026-04-01T00:00:00Z"])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = run("signed.ofd");
    assert_eq!(code, Some(0), "{out}");
    for (f, needle) in [
        (
            "modified-page.ofd",
            "file_digest /Doc_0/Pages/Page_1/Content.xml",
        ),
        (
            "replaced-seal-esl.ofd",
            "seal_copy /Doc_0/Signs/Sign_0/Seal.esl",
        ),
        ("replaced-signed-value.ofd", "data_digest TBS_Sign.dataHash"),
        ("added-unsigned-page.ofd", "file_digest /Doc_0/Document.xml"),
        (
            "removed-file.ofd",
            "missing_file /Doc_0/Pages/Page_2/Content.xml",
        ),
        (
            "signature-of-another-document.ofd",
            "file_digest /Doc_0/Document.xml",
        ),
        (
            "wrong-page-reference.ofd",
            "stamp_placement StampAnnot s002 (PageRef 999)",
        ),
    ] {
        let (code, out) = run(f);
        assert_eq!(code, Some(1), "{f}: {out}");
        assert!(
            out.lines()
                .any(|l| l.contains("[FAIL]") && l.contains(needle)),
            "{f}: {needle} not in\n{out}"
        );
    }
}

#[test]
fn cli_sign_verify_inspect_and_exit_codes() {
    let dir = common::TempDir::new("ofd-cli");
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("in.ofd"), sample_ofd(2)).unwrap();
    let (seal_a, _, ca) = seal("ofd-cli", "命令行测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), seal_a.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    std::fs::write(p("qr.png"), solid_png([0, 0, 0])).unwrap();
    let st = eseal()
        .args(["ofd", "sign"])
        .arg(p("in.ofd"))
        .arg("-o")
        .arg(p("out.ofd"))
        .arg("--seal")
        .arg(p("seal.esl"))
        .args([
            "--test-ca",
            "ofd-cli",
            "--stamp",
            "1,20,30",
            "--stamp",
            "2,50,60,30,30",
            "--cross-page",
            "--time",
            "2026-03-01T08:00:00Z",
            "--qr",
        ])
        .arg(p("qr.png"))
        .args(["--qr-at", "2,170,260,20"])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let verify = |f: &str, extra: &[&str]| {
        eseal()
            .args(["ofd", "verify"])
            .arg(p(f))
            .args(extra)
            .output()
            .unwrap()
    };
    let root = p("root.pem");
    let root = root.to_str().unwrap();
    write_crl(&ca, &p("root.crl"), &[]);
    let crl = p("root.crl");
    let crl = crl.to_str().unwrap();
    let o = verify(
        "out.ofd",
        &["--trust", root, "--at", "2026-04-01T00:00:00Z"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // --json carries the verdict.
    let o = verify(
        "out.ofd",
        &[
            "--trust",
            root,
            "--crl",
            crl,
            "--json",
            "--at",
            "2026-04-01T00:00:00Z",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "valid");
    assert_eq!(v["signatures"][0]["seal"]["name"], "命令行测试章");
    // No trust anchor: intact, signer not trusted — exit 3, strict or not, never 有效.
    for extra in [&[][..], &["--strict"][..]] {
        let o = verify(
            "out.ofd",
            &[extra, &["--at", "2026-04-01T00:00:00Z"][..]].concat(),
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(3), "{out}");
        assert!(
            out.lines()
                .next()
                .unwrap()
                .contains("INTACT, signer not trusted")
        );
        assert!(!out.lines().next().unwrap().contains("有效"));
    }
    // The summary a clerk reads first: signer, unit, seal, time in Beijing time, changes.
    let o = verify(
        "out.ofd",
        &["--trust", root, "--at", "2026-04-01T00:00:00Z"],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let summary = out.split("  Checks / 检查").next().unwrap();
    for needle in [
        "signer / 签章人: ",
        "seal / 印章: 命令行测试章",
        "北京时间 (UTC ",
        "document changed after signing / 签署后文档被修改: no / 否",
    ] {
        assert!(summary.contains(needle), "{needle}: {summary}");
    }
    // Verified as of a time the signer's certificate had expired: still intact and valid at
    // the signing time, a warning now; with --strict a failure.
    let later = ["--trust", root, "--at", "2090-01-01T00:00:00Z"];
    let o = verify("out.ofd", &later);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("valid when signed, expired now"), "{out}");
    assert_eq!(
        verify("out.ofd", &[&later[..], &["--strict"][..]].concat())
            .status
            .code(),
        Some(1)
    );
    // Unsigned document: 1. Not an OFD / missing file / bad usage: 2.
    assert_eq!(verify("in.ofd", &[]).status.code(), Some(1));
    std::fs::write(p("junk.ofd"), b"not a zip").unwrap();
    let o = verify("junk.ofd", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a readable OFD package"));
    let o = verify("junk.ofd", &["--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("not a readable OFD package")
    );
    assert_eq!(verify("absent.ofd", &[]).status.code(), Some(2));
    assert_eq!(
        eseal().args(["ofd", "verify"]).status().unwrap().code(),
        Some(2)
    );
    assert_eq!(
        eseal()
            .args(["ofd", "sign"])
            .arg(p("in.ofd"))
            .arg("-o")
            .arg(p("x.ofd"))
            .args(["--test-ca", "x", "--stamp", "1,2"])
            .arg("--seal")
            .arg(p("seal.esl"))
            .status()
            .unwrap()
            .code(),
        Some(2)
    );
    assert!(!p("x.ofd").exists());
    // inspect
    let o = eseal()
        .args(["ofd", "inspect", "--json"])
        .arg(p("out.ofd"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"][0]["pages"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["documents"][0]["signatures"][0]["seal_name"],
        "命令行测试章"
    );
    assert_eq!(
        v["documents"][0]["signatures"][0]["stamp_annots"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

/// Other producers' files (read in place from ../shared/vectors): the command line gives the
/// exit status of the verdict each file should get, as the library's tests check in detail.
#[test]
fn other_producers_files_exit_statuses() {
    let run = |path: &std::path::Path, extra: &[&str]| {
        let o = eseal()
            .args(["ofd", "verify"])
            .arg(path)
            .args(extra)
            .args(["--at", "2026-11-01T00:00:00Z"])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    if let Some(d) = common::shared_vectors("ofdrw") {
        for f in ["helloworld.ofd", "Page5.ofd"] {
            let (code, out) = run(&d.join(f), &[]);
            assert_eq!(code, Some(1), "{f}: unsigned\n{out}");
            assert!(out.contains("no signatures"), "{out}");
        }
        // A Type="Sign" signature verifies only with the signer's certificate given (--cert).
        let seal =
            eseal::ses::Seal::from_der(&std::fs::read(d.join("UserV4.esl")).unwrap()).unwrap();
        let eseal::ses::CertList::Certs(certs) = &seal.cert_list else {
            panic!("UserV4.esl lists certificates")
        };
        let user = eseal::crypto::Certificate::from_der(&certs[0]).unwrap();
        let tmp = common::TempDir::new("ofd-cli-vec");
        let pem = tmp.path().join("user.pem");
        std::fs::write(&pem, user.to_pem()).unwrap();
        let ds = d.join("DigitalSign.ofd");
        // Intact with the signer's certificate, whose root is not a trust anchor: exit 3.
        assert_eq!(run(&ds, &["--cert", pem.to_str().unwrap()]).0, Some(3));
        assert_eq!(run(&ds, &[]).0, Some(1));
    }
    if let Some(d) = common::shared_vectors("ofdrw-more") {
        let (code, out) = run(&d.join("n-iofd-v1-tampered.ofd"), &[]);
        assert_eq!(code, Some(1), "{out}");
    }
}

/// A package two ZIP readers would read differently (here a second entry for page 1) is
/// unusable input: exit 2 with the rule that refused it, for verifying and for signing.
#[test]
fn shadowed_package_exits_2() {
    use ofd_support::rawzip::{Item, build, items};
    let dir = common::TempDir::new("ofd-cli-shadow");
    let signed = std::fs::read(common::vectors().join("ofd/tamper/signed.ofd")).unwrap();
    let mut v = items(&signed);
    let page = "Doc_0/Pages/Page_0/Content.xml";
    v.push(Item::deflated(
        page,
        &ofd_support::rawzip::file(&signed, page),
    ));
    let bad = dir.path().join("shadow.ofd");
    std::fs::write(&bad, build(&v)).unwrap();
    let o = eseal().args(["ofd", "verify"]).arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("duplicate entry"), "{err}");
    let out = dir.path().join("out.ofd");
    let o = eseal()
        .args(["ofd", "sign"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .args(["--plain", "--test-ca", "ofd-cli"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
}

/// `--tsa URL`: the seal's SES_Signature gets a timeStamp from the TSA; verification uses
/// its time and says so. An unreachable TSA writes nothing.
#[test]
fn sign_with_tsa_and_verify_the_timestamp() {
    use eseal::tsp::{Sm2TsaKey, TimeStampAuthority};
    let dir = common::TempDir::new("ofd-cli-tsa");
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("in.ofd"), sample_ofd(1)).unwrap();
    let (seal_a, _, ca) = seal("ofd-cli-tsa", "命令行测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), seal_a.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    let tsa = TimeStampAuthority::new(
        Box::new(Sm2TsaKey(Box::new(ca.tsa().unwrap().signer()))),
        vec![ca.root.cert.clone()],
    )
    .unwrap();
    write_crl(&ca, &p("root.crl"), &[]);
    let stamped = t0().add_seconds(42);
    let (url, h) = common::serve_tsa(tsa, Some(stamped));
    let sign = |out: &str, url: &str| {
        eseal()
            .args(["ofd", "sign"])
            .arg(p("in.ofd"))
            .arg("-o")
            .arg(p(out))
            .arg("--seal")
            .arg(p("seal.esl"))
            .args(["--test-ca", "ofd-cli-tsa", "--stamp", "1,20,30"])
            .args(["--time", "2026-03-01T08:00:00Z", "--tsa", url])
            .output()
            .unwrap()
    };
    let o = sign("out.ofd", &url);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(h.recv().unwrap(), "application/timestamp-query");
    let o = eseal()
        .args(["ofd", "verify"])
        .arg(p("out.ofd"))
        .arg("--trust")
        .arg(p("root.pem"))
        .arg("--crl")
        .arg(p("root.crl"))
        .args(["--json", "--at", "2026-04-01T00:00:00Z"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "valid", "{v:#}");
    let s = &v["signatures"][0];
    assert_eq!(s["signing_time"], stamped.to_iso());
    assert!(
        s["signing_time_source"]
            .as_str()
            .unwrap()
            .starts_with("SES_Signature.timeStamp"),
        "{s:#}"
    );
    assert!(
        s["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "timestamp" && c["status"] == "passed"),
        "{s:#}"
    );
    // Nobody answers: an error, and no file.
    let o = sign("none.ofd", "http://127.0.0.1:9/tsa");
    assert_ne!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("time stamp"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!p("none.ofd").exists());
}

/// Revocation through the command line: `eseal ca revoke|crl|ocsp` on the test CA's
/// directory, `--crl` and `--ocsp` on `ofd verify`; revoked before the signing time → 1,
/// after → 0 with the date, no information → a warning (1 with --strict). OpenSSL reads the
/// CA's CRL and OCSP answer, and eseal answers OpenSSL's OCSP request.
#[test]
fn revocation_through_the_cli() {
    let dir = common::TempDir::new("ofd-cli-rev");
    let p = |n: &str| dir.path().join(n);
    let s = |n: &str| p(n).to_str().unwrap().to_owned();
    std::fs::write(p("in.ofd"), sample_ofd(1)).unwrap();
    let (seal_a, _, _) = seal("ofd-cli-rev", "命令行测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), seal_a.der()).unwrap();
    let ok = |c: &mut std::process::Command| {
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    ok(eseal().args(["ca", "init", &s("ca"), "--seed", "ofd-cli-rev"]));
    ok(eseal()
        .args([
            "ofd",
            "sign",
            &s("in.ofd"),
            "-o",
            &s("out.ofd"),
            "--seal",
            &s("seal.esl"),
        ])
        .args([
            "--test-ca",
            "ofd-cli-rev",
            "--stamp",
            "1,20,30",
            "--time",
            "2026-03-01T08:00:00Z",
        ]));
    let crl = |name: &str| {
        ok(eseal().args(["ca", "crl", &s("ca"), "-o", &s(name)]).args([
            "--this-update",
            "2026-03-05T00:00:00Z",
            "--days",
            "60",
        ]));
    };
    let verify = |extra: &[&str]| {
        let o = eseal()
            .args(["ofd", "verify", &s("out.ofd"), "--trust", &s("ca/root.pem")])
            .args(["--at", "2026-04-01T00:00:00Z"])
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    crl("empty.crl");
    let (code, out) = verify(&["--crl", &s("empty.crl"), "--strict"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("not revoked at 2026-03-01T08:00:00Z"), "{out}");
    let (code, out) = verify(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no revocation information"), "{out}");
    assert_eq!(verify(&["--strict"]).0, Some(1));
    // Not a CRL: unusable input.
    assert_eq!(verify(&["--crl", &s("seal.esl")]).0, Some(2));

    // Revoked after the signing time: valid, with the date.
    ok(eseal()
        .args(["ca", "revoke", &s("ca"), &s("ca/person.pem")])
        .args(["--date", "2026-03-02T00:00:00Z", "--reason", "superseded"]));
    crl("later.crl");
    let (code, out) = verify(&["--crl", &s("later.crl")]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("revoked later, on 2026-03-02T00:00:00Z (superseded)"),
        "{out}"
    );
    // A second revocation of the same certificate is refused.
    let o = eseal()
        .args(["ca", "revoke", &s("ca"), &s("ca/person.pem")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));

    // Revoked before: invalid, naming the certificate, reason and date.
    std::fs::write(
        p("ca/revoked.txt"),
        std::fs::read_to_string(p("ca/revoked.txt"))
            .unwrap()
            .replace(
                "2026-03-02T00:00:00Z superseded",
                "2026-02-01T00:00:00Z keyCompromise",
            ),
    )
    .unwrap();
    crl("before.crl");
    let (code, out) = verify(&["--crl", &s("before.crl")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.lines().any(|l| l.contains("[FAIL]")
            && l.contains("张三")
            && l.contains("revoked on 2026-02-01T00:00:00Z (keyCompromise)")),
        "{out}"
    );

    // OpenSSL reads our CRL and, for its own OCSP request, our answer (status and nonce).
    // OpenSSL 3.0 cannot check SM2 signatures on X.509 structures (its `openssl verify`
    // rejects the SM2 certificates themselves: no distinguishing ID), hence -noverify.
    common::tool("openssl");
    let sh = |script: &str| {
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{script}: {text}");
        text
    };
    let text = sh("openssl crl -inform DER -in before.crl -noout -text");
    assert!(
        text.contains("Key Compromise") && text.contains("X509v3 CRL Number"),
        "{text}"
    );
    sh("openssl ocsp -issuer ca/root.pem -cert ca/person.pem -reqout req.der");
    ok(eseal().args([
        "ca",
        "ocsp",
        &s("ca"),
        "--request",
        &s("req.der"),
        "-o",
        &s("resp.der"),
    ]));
    let text = sh(
        "openssl ocsp -respin resp.der -noverify -reqin req.der -issuer ca/root.pem -cert ca/person.pem",
    );
    assert!(
        text.contains("ca/person.pem: revoked") && !text.contains("Nonce Verify error"),
        "openssl ocsp: {text}"
    );
    let (code, out) = verify(&["--ocsp", &s("resp.der")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("OCSP response of"), "{out}");
}

/// `--seal-status FILE` (docs/seal-status.md): a seal revoked before the signing time fails
/// naming its esID and the date, revoked after it stays valid (exit 0) with the date, a stale
/// list warns, a changed list or one from an untrusted signer is refused (exit 2); the batch
/// path applies it too.
#[test]
fn seal_status_list_decides_revoked_seals() {
    use eseal::crypto::time::Time;
    use eseal::seal_status::*;
    let dir = common::TempDir::new("ofd-cli-status");
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("in.ofd"), sample_ofd(1)).unwrap();
    let (seal_a, _, ca) = seal("ofd-cli-status", "状态测试章", [200, 0, 0]);
    std::fs::write(p("seal.esl"), seal_a.der()).unwrap();
    std::fs::write(p("root.pem"), ca.root.cert.to_pem()).unwrap();
    let st = eseal()
        .args(["ofd", "sign"])
        .arg(p("in.ofd"))
        .arg("-o")
        .arg(p("out.ofd"))
        .arg("--seal")
        .arg(p("seal.esl"))
        .args(["--test-ca", "ofd-cli-status", "--stamp", "1,20,30"])
        .args(["--time", "2026-03-01T08:00:00Z"])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let es_id = seal_a.summary().es_id;
    let day = |d: u32| Time::from_ymd_hms(2026, 3, d, 0, 0, 0).unwrap().unix();
    let list = |revoked: i64| SealStatusList {
        version: VERSION,
        issuer: "test platform".into(),
        seal_maker: MakerId::of(&ca.unit.cert),
        this_update: day(20),
        next_update: day(21),
        query: None,
        entries: vec![SealStatusEntry {
            es_id: es_id.clone(),
            state: SealState::Revoked,
            valid_to: None,
            revoked_at: Some(revoked),
            frozen: vec![],
        }],
    };
    let write = |name: &str, l: &SealStatusList, signer: &dyn eseal::crypto::Signer| {
        let s = SignedSealStatus::sign(l, signer, &[]).unwrap();
        std::fs::write(p(name), s.to_json()).unwrap();
    };
    write("before.json", &list(day(1)), &ca.server.signer());
    write("after.json", &list(day(10)), &ca.server.signer());
    let other = eseal::crypto::testca::TestCa::new("someone-else").unwrap();
    write("foreign.json", &list(day(10)), &other.server.signer());
    let text = std::fs::read_to_string(p("before.json")).unwrap();
    std::fs::write(
        p("changed.json"),
        text.replace(&day(1).to_string(), &day(2).to_string()),
    )
    .unwrap();
    let verify = |files: &[&str], status: &str, at: &str| {
        eseal()
            .args(["ofd", "verify"])
            .args(files.iter().map(|f| p(f)))
            .arg("--trust")
            .arg(p("root.pem"))
            .arg("--seal-status")
            .arg(p(status))
            .args(["--at", at])
            .output()
            .unwrap()
    };
    let out = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let o = verify(&["out.ofd"], "before.json", "2026-03-20T01:00:00Z");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains(&es_id), "{}", out(&o));
    assert!(out(&o).contains("2026-03-01T00:00:00Z"), "{}", out(&o));
    let o = verify(&["out.ofd"], "after.json", "2026-03-20T01:00:00Z");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("revoked on 2026-03-10T00:00:00Z"),
        "{}",
        out(&o)
    );
    // Stale (nextUpdate past): a warning, still exit 0.
    let o = verify(&["out.ofd"], "after.json", "2026-03-25T00:00:00Z");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("stale"), "{}", out(&o));
    for bad in ["changed.json", "foreign.json"] {
        let o = verify(&["out.ofd"], bad, "2026-03-20T01:00:00Z");
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", out(&o));
        assert!(out(&o).contains("seal status"), "{bad}: {}", out(&o));
    }
    // Batch: both files judged with the list.
    std::fs::copy(p("out.ofd"), p("out2.ofd")).unwrap();
    let o = verify(
        &["out.ofd", "out2.ofd"],
        "before.json",
        "2026-03-20T01:00:00Z",
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("0 valid"), "{}", out(&o));
}
