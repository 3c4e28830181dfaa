//! RFC 3161 time stamps: eseal's TSA (SM2 from the test CA; ECDSA P-256 from an OpenSSL CA),
//! its tokens checked by eseal and by `openssl ts -verify`, OpenSSL's TSA tokens checked by
//! eseal, the HTTP client against a TSA on a local socket, and the refusals.

mod common;

use common::{TempDir, tool};
use eseal::cms;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::pdf::PadesSigner;
use eseal::tsp::{
    self, FailureInfo, Sm2TsaKey, TimeStampAuthority, TimeStampReq, TimeStampResp, TimeStampToken,
    TspError,
};
use eseal::validation::{ChainStatus, TrustStore, VerifyOptions};
use std::process::Command;

fn now() -> Time {
    Time::from_ymd_hms(2026, 6, 1, 8, 0, 0).unwrap()
}

fn sm2_tsa(ca: &TestCa) -> TimeStampAuthority {
    let id = ca.tsa().unwrap();
    TimeStampAuthority::new(
        Box::new(Sm2TsaKey(Box::new(id.signer()))),
        vec![ca.root.cert.clone()],
    )
    .unwrap()
}

fn opts(trust: TrustStore) -> VerifyOptions {
    VerifyOptions {
        trust,
        at: now(),
        ..Default::default()
    }
}

#[test]
fn sm2_token_round_trip_and_checks() {
    let ca = TestCa::new("tsp").unwrap();
    let tsa = sm2_tsa(&ca);
    let data = b"the signature value";
    let req = TimeStampReq::new(cms::OID_SM3, data).unwrap();
    let der = req.to_der();
    assert_eq!(TimeStampReq::from_der(&der).unwrap(), req);
    let resp = tsa.respond(&der, now());
    let token = tsp::accept_response(&req, &resp).unwrap();
    assert_eq!(token.info.gen_time, now());
    assert_eq!(token.info.policy, tsp::DEFAULT_POLICY);
    assert_eq!(token.signed_data.signers[0].digest_alg, cms::OID_SM3);

    let trusted = opts(TrustStore::new().with(ca.root.cert.clone()));
    let v = token.verify(data, &trusted).unwrap();
    assert!(v.trusted(), "{:?}", v.chain);
    assert_eq!(v.tsa.subject().get("CN"), Some("eseal Test TSA"));
    // No anchors: the token is intact but its TSA is not trusted.
    let v = token.verify(data, &opts(TrustStore::new())).unwrap();
    assert!(matches!(v.chain, ChainStatus::UnknownRoot { .. }));
    // An attacker's root of the same name: the chain is broken.
    let other = TestCa::new("other").unwrap();
    assert!(matches!(
        token.verify(data, &opts(TrustStore::new().with(other.root.cert))),
        Err(TspError::BrokenChain { .. })
    ));
    // Other data: the imprint differs.
    assert_eq!(
        token.verify(b"other", &trusted).unwrap_err(),
        TspError::ImprintMismatch
    );
    // Another request's nonce.
    let req2 = TimeStampReq::new(cms::OID_SM3, data).unwrap();
    assert_eq!(
        tsp::accept_response(&req2, &resp).unwrap_err(),
        TspError::NonceMismatch
    );
    // A byte of the TSTInfo changed (its genTime): the signature no longer verifies.
    let mut forged = token.der.clone();
    let t = now().to_generalized();
    let at = forged
        .windows(t.len())
        .position(|w| w == t.as_bytes())
        .expect("genTime in the token");
    forged[at + 3] ^= 1; // 2026 → 2027
    let f = TimeStampToken::parse(&forged).unwrap();
    assert!(matches!(
        f.verify(data, &trusted),
        Err(TspError::BadSignature(_))
    ));
}

#[test]
fn without_cert_req_the_token_has_no_certificate() {
    let ca = TestCa::new("tsp-nocert").unwrap();
    let tsa = sm2_tsa(&ca);
    let mut req = TimeStampReq::new(cms::OID_SHA256, b"x").unwrap();
    req.cert_req = false;
    let token = tsp::accept_response(&req, &tsa.respond(&req.to_der(), now())).unwrap();
    assert!(token.signed_data.certificates.is_empty());
    let mut o = opts(TrustStore::new().with(ca.root.cert.clone()));
    assert_eq!(
        token.verify(b"x", &o).unwrap_err(),
        TspError::NoSignerCertificate
    );
    o.extra_certs.push(tsa.certificate().clone());
    assert!(token.verify(b"x", &o).unwrap().trusted());
}

#[test]
fn refusals_are_responses_and_non_tsa_keys_are_refused() {
    let ca = TestCa::new("tsp-refuse").unwrap();
    let tsa = sm2_tsa(&ca);
    let rejected = |der: &[u8]| TimeStampResp::from_der(&tsa.respond(der, now())).unwrap();
    let r = rejected(b"not asn.1");
    assert_eq!(r.status, tsp::status::REJECTION);
    assert_eq!(r.fail_info, Some(FailureInfo::BAD_DATA_FORMAT));
    let mut req = TimeStampReq::new(cms::OID_SHA256, b"x").unwrap();
    req.imprint.hash_alg = "1.2.3.4".into();
    assert_eq!(
        rejected(&req.to_der()).fail_info,
        Some(FailureInfo::BAD_ALG)
    );
    let mut req = TimeStampReq::new(cms::OID_SHA256, b"x").unwrap();
    req.imprint.hashed.pop();
    assert_eq!(
        rejected(&req.to_der()).fail_info,
        Some(FailureInfo::BAD_DATA_FORMAT)
    );
    let mut req = TimeStampReq::new(cms::OID_SHA256, b"x").unwrap();
    req.policy = Some("1.2.3".into());
    let r = rejected(&req.to_der());
    assert_eq!(r.fail_info, Some(FailureInfo::UNACCEPTED_POLICY));
    let e = r.into_token().unwrap_err();
    assert!(e.to_string().contains("unacceptedPolicy"), "{e}");
    // A person's signing certificate is no TSA certificate (RFC 3161 §2.3).
    let e = TimeStampAuthority::new(Box::new(Sm2TsaKey(Box::new(ca.person.signer()))), vec![])
        .unwrap_err();
    assert!(matches!(e, TspError::NotTimeStampingCertificate(_)), "{e}");
}

/// A P-256 CA and TSA certificate made by OpenSSL; with it, an OpenSSL TSA config.
fn openssl_tsa(dir: &TempDir) {
    tool("openssl");
    let out = sh(
        dir,
        "set -e
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key
        openssl req -x509 -new -key ca.key -subj '/CN=TSA Root/O=eseal-test' -days 3650 -out ca.pem -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
        openssl ecparam -name prime256v1 -genkey -noout -out tsa.key
        openssl req -new -key tsa.key -subj '/CN=Test TSA/O=eseal-test' -out tsa.csr
        printf 'keyUsage=critical,digitalSignature,nonRepudiation\\nextendedKeyUsage=critical,timeStamping\\n' > ext.cnf
        openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out tsa.pem -extfile ext.cnf 2>/dev/null
        cat tsa.pem ca.pem > chain.pem
        printf '[tsa]\\ndefault_tsa=tsa_config1\\n[tsa_config1]\\nserial=./serial\\nsigner_cert=./tsa.pem\\ncerts=./ca.pem\\nsigner_key=./tsa.key\\nsigner_digest=sha256\\ndefault_policy=1.2.3.4.1\\ndigests=sha256,sha384,sha512\\naccuracy=secs:1\\ness_cert_id_chain=no\\ness_cert_id_alg=sha256\\n' > ts.cnf
        echo 01 > serial
        printf 'the stamped data' > data.bin",
    );
    assert!(out.status.success(), "openssl CA: {}", stderr(&out));
}

fn sh(dir: &TempDir, script: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn p256_tsa(dir: &TempDir) -> TimeStampAuthority {
    let signer = PadesSigner::from_pem(
        &std::fs::read(dir.path().join("tsa.key")).unwrap(),
        &std::fs::read(dir.path().join("chain.pem")).unwrap(),
    )
    .unwrap();
    let chain = signer.chain.clone();
    TimeStampAuthority::new(Box::new(signer), chain).unwrap()
}

#[test]
fn p256_tokens_verify_with_openssl_ts_and_openssl_tokens_with_eseal() {
    let dir = TempDir::new("tsp-openssl");
    openssl_tsa(&dir);
    let tsa = p256_tsa(&dir);
    let data = std::fs::read(dir.path().join("data.bin")).unwrap();

    // Our request, our TSA, OpenSSL verifies (imprint over data, signature, chain, EKU).
    let req = TimeStampReq::new(cms::OID_SHA256, &data).unwrap();
    std::fs::write(dir.path().join("ours.tsq"), req.to_der()).unwrap();
    let resp = tsa.respond(&req.to_der(), Time::now());
    std::fs::write(dir.path().join("ours.tsr"), &resp).unwrap();
    let out = sh(
        &dir,
        "openssl ts -verify -data data.bin -in ours.tsr -CAfile ca.pem && openssl ts -verify -queryfile ours.tsq -in ours.tsr -CAfile ca.pem",
    );
    assert!(
        out.status.success() && stderr(&out).matches("Verification: OK").count() == 2,
        "openssl ts -verify: {}",
        stderr(&out)
    );
    // OpenSSL's own reading of the response.
    let out = sh(&dir, "openssl ts -reply -in ours.tsr -text");
    assert!(stderr(&out).contains("Status: Granted"), "{}", stderr(&out));

    // OpenSSL's request (nonce, certReq) answered by our TSA, verified against the query.
    let out = sh(
        &dir,
        "openssl ts -query -data data.bin -sha256 -cert -out theirs.tsq",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let their_req = std::fs::read(dir.path().join("theirs.tsq")).unwrap();
    let parsed = TimeStampReq::from_der(&their_req).unwrap();
    assert!(parsed.cert_req && parsed.nonce.is_some());
    std::fs::write(
        dir.path().join("answer.tsr"),
        tsa.respond(&their_req, Time::now()),
    )
    .unwrap();
    let out = sh(
        &dir,
        "openssl ts -verify -queryfile theirs.tsq -in answer.tsr -CAfile ca.pem",
    );
    assert!(
        stderr(&out).contains("Verification: OK"),
        "{}",
        stderr(&out)
    );

    // OpenSSL's TSA answers our request; eseal accepts and verifies its token.
    let out = sh(
        &dir,
        "openssl ts -reply -config ts.cnf -section tsa_config1 -queryfile ours.tsq -out openssl.tsr",
    );
    assert!(out.status.success(), "openssl ts -reply: {}", stderr(&out));
    let token = tsp::accept_response(
        &req,
        &std::fs::read(dir.path().join("openssl.tsr")).unwrap(),
    )
    .unwrap();
    assert_eq!(token.info.policy, "1.2.3.4.1");
    let trust = TrustStore::from_files(&[dir.path().join("ca.pem")]).unwrap();
    let o = VerifyOptions {
        trust,
        ..Default::default()
    };
    let v = token.verify(&data, &o).unwrap();
    assert!(v.trusted(), "{:?}", v.chain);
    assert_eq!(v.tsa.subject().get("CN"), Some("Test TSA"));
    // The token read back from its file, either shape.
    assert!(tsp::token_from_bytes(&std::fs::read(dir.path().join("openssl.tsr")).unwrap()).is_ok());
    assert!(tsp::token_from_bytes(&token.der).is_ok());
}

#[test]
fn http_client_asks_a_tsa() {
    let ca = TestCa::new("tsp-http").unwrap();
    let (url, h) = common::serve_tsa(sm2_tsa(&ca), None);
    let token = tsp::request(&url, cms::OID_SM3, b"signed bytes").unwrap();
    assert_eq!(h.recv().unwrap(), tsp::MEDIA_QUERY);
    let o = VerifyOptions::trusting(TrustStore::new().with(ca.root.cert.clone()));
    assert!(token.verify(b"signed bytes", &o).unwrap().trusted());
    // Nobody listening: an HTTP error, not a panic.
    let e = tsp::request("http://127.0.0.1:9/tsa", cms::OID_SM3, b"x").unwrap_err();
    assert!(matches!(e, TspError::Http(_)), "{e}");
}

// ---------------------------------------------------------------------------------------
// SES_Signature.timeStamp (GB/T 38540 §7.1.6) in OFD and PDF

mod ofd_support;

use eseal::report::{CheckKind, SignatureReport, Status, Verdict};

/// The TSA of the test CA answering as of a fixed time (the stamp a real TSA would give
/// then).
struct TsaAt(TimeStampAuthority, Time);

impl tsp::TimeStamper for TsaAt {
    fn stamp_imprint(&self, imprint: tsp::MessageImprint) -> Result<TimeStampToken, TspError> {
        let req = TimeStampReq::for_imprint(imprint)?;
        tsp::accept_response(&req, &self.0.respond(&req.to_der(), self.1))
    }
}

fn checks(s: &SignatureReport, kind: CheckKind) -> Vec<(Status, String)> {
    s.checks
        .iter()
        .filter(|c| c.check == kind)
        .map(|c| (c.status, c.message.clone()))
        .collect()
}

fn ofd_sealed(seed: &str, tsa: Option<&dyn tsp::TimeStamper>) -> (Vec<u8>, TestCa) {
    use eseal::ofd::{self, Package, SignKind, SignRequest};
    let (seal, signer, ca) = ofd_support::seal(seed, "合同专用章", [200, 0, 0]);
    let pkg = Package::from_bytes(ofd_support::sample_ofd(1)).unwrap();
    let mut req = SignRequest::new(SignKind::Seal(&seal), ofd_support::t0());
    req.time_stamper = tsa;
    (ofd::sign(&pkg, &signer, &req).unwrap(), ca)
}

fn ofd_report(bytes: &[u8], ca: &TestCa, at: Time) -> SignatureReport {
    let pkg = eseal::ofd::Package::from_bytes(bytes.to_vec()).unwrap();
    let o = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at,
        ..Default::default()
    };
    let r = eseal::ofd::verify(&pkg, "t.ofd", &o).unwrap();
    assert_eq!(r.signatures.len(), 1);
    r.signatures[0].clone()
}

#[test]
fn ofd_seal_with_timestamp_uses_the_tsa_time() {
    let ca = TestCa::new("tsp-ofd").unwrap();
    let stamp_time = ofd_support::t0().add_seconds(60);
    let tsa = TsaAt(sm2_tsa(&ca), stamp_time);
    let (bytes, ca) = ofd_sealed("tsp-ofd", Some(&tsa));
    let s = ofd_report(&bytes, &ca, ofd_support::t0().add_days(30));
    assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
    let ts = checks(&s, CheckKind::Timestamp);
    assert_eq!(ts.len(), 1, "{ts:?}");
    assert_eq!(ts[0].0, Status::Passed);
    assert!(ts[0].1.contains("eseal Test TSA"), "{}", ts[0].1);
    assert_eq!(s.signing_time.as_deref(), Some(&*stamp_time.to_iso()));
    assert!(
        s.signing_time_source
            .as_deref()
            .is_some_and(|t| t.starts_with("SES_Signature.timeStamp")),
        "{:?}",
        s.signing_time_source
    );
    // The TSA's certificate is checked like any: its chain passed.
    assert!(
        s.checks
            .iter()
            .any(|c| c.subject.starts_with("TSA certificate")
                && c.check == CheckKind::CertificateChain
                && c.status == Status::Passed),
        "{:#?}",
        s.checks
    );

    // Without a TSA: the claimed time, said so.
    let (plain, ca2) = ofd_sealed("tsp-ofd", None);
    let s = ofd_report(&plain, &ca2, ofd_support::t0().add_days(30));
    assert!(checks(&s, CheckKind::Timestamp).is_empty());
    assert!(s.signing_time_source.unwrap().contains("claimed"));
}

#[test]
fn ofd_timestamp_outside_the_seal_validity_or_for_other_data_fails() {
    // The seal is valid 2026..2030; a TSA that says 2031 puts the signing after it: the seal
    // was not valid when the document was sealed, whatever the signer claims.
    let ca = TestCa::new("tsp-ofd2").unwrap();
    let late = Time::from_ymd_hms(2031, 1, 1, 0, 0, 0).unwrap();
    let (bytes, ca) = ofd_sealed("tsp-ofd2", Some(&TsaAt(sm2_tsa(&ca), late)));
    let s = ofd_report(&bytes, &ca, late);
    assert_eq!(s.verdict(), Verdict::Invalid);
    assert!(
        s.checks
            .iter()
            .any(|c| c.check == CheckKind::SealValidity && c.status == Status::Failed),
        "{:#?}",
        s.checks
    );
    // The claimed time (t0) is long before the stamp: no warning for that direction; a TSA
    // time before the claimed time is warned about.
    let early = ofd_support::t0().add_days(-1);
    let ca3 = TestCa::new("tsp-ofd3").unwrap();
    let (bytes, ca3) = ofd_sealed("tsp-ofd3", Some(&TsaAt(sm2_tsa(&ca3), early)));
    let s = ofd_report(&bytes, &ca3, ofd_support::t0().add_days(30));
    assert!(
        checks(&s, CheckKind::Timestamp)
            .iter()
            .any(|(st, m)| *st == Status::Warning && m.contains("is after the timestamp")),
        "{:#?}",
        s.checks
    );

    // A token from another signature's value: the imprint does not match.
    let ca4 = TestCa::new("tsp-ofd4").unwrap();
    let (bytes, ca4) = ofd_sealed("tsp-ofd4", Some(&TsaAt(sm2_tsa(&ca4), ofd_support::t0())));
    let pkg = eseal::ofd::Package::from_bytes(bytes.clone()).unwrap();
    let name = pkg
        .names()
        .find(|n| n.ends_with("SignedValue.dat"))
        .expect("SignedValue.dat")
        .to_owned();
    let value = pkg.read(&name).unwrap().unwrap();
    // The same SES_Signature with a token over other data in its timeStamp.
    use eseal::asn1::{Tlv, header, tag};
    let fields = Tlv::parse_exact(&value, "sig")
        .unwrap()
        .sequence("sig")
        .unwrap();
    assert_eq!(fields.len(), 5, "four fields and the timeStamp");
    let other =
        tsp::TimeStamper::time_stamp(&sm2_tsa(&ca4), cms::OID_SM3, b"another signature value")
            .unwrap()
            .der;
    let bits = [header(tag::BIT_STRING, other.len() + 1), vec![0], other].concat();
    let mut body: Vec<u8> = fields[..4].iter().flat_map(|f| f.raw.to_vec()).collect();
    body.extend(header(tag::context(0), bits.len()));
    body.extend(bits);
    let forged = [header(tag::SEQUENCE, body.len()), body].concat();
    let swapped = pkg
        .to_bytes_with(&[(name.clone(), Some(forged))].into_iter().collect())
        .unwrap();
    let s = ofd_report(&swapped, &ca4, ofd_support::t0().add_days(30));
    let ts = checks(&s, CheckKind::Timestamp);
    assert!(
        ts.iter()
            .any(|(st, m)| *st == Status::Failed && m.contains("messageImprint")),
        "{ts:?}"
    );
    assert_eq!(s.verdict(), Verdict::Invalid);
}

#[test]
fn pdf_ses_signature_with_timestamp() {
    use eseal::pdf::{self, Credential, Placement, SignRequest};
    let (seal, signer, ca) = ofd_support::seal("tsp-pdf", "合同专用章", [200, 0, 0]);
    let tsa = TsaAt(sm2_tsa(&ca), ofd_support::t0().add_seconds(5));
    let mut req = SignRequest::new(
        Credential::Seal {
            seal: &seal,
            signer: &signer,
        },
        Placement::Invisible,
        ofd_support::t0(),
    );
    req.time_stamper = Some(&tsa);
    let signed = pdf::sign(&eseal::samples::sample_pdf(1, "tsp"), &[req]).unwrap();
    let o = VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: ofd_support::t0().add_days(30),
        ..Default::default()
    };
    let r = pdf::verify(&signed, "t.pdf", &o).unwrap();
    let s = &r.signatures[0];
    assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
    let ts = checks(s, CheckKind::Timestamp);
    assert_eq!(ts.len(), 1, "{ts:?}");
    assert_eq!(ts[0].0, Status::Passed, "{ts:?}");
}

// ---------------------------------------------------------------------------------------
// PAdES B-T: the signature-time-stamp attribute, checked by pyHanko and by eseal

mod pdf_support;

/// The P-256 TSA of the PAdES fixture's OpenSSL CA (one root for signer and TSA).
fn fixture_tsa(f: &pdf_support::Fixture) -> TimeStampAuthority {
    let out = f.sh(
        "set -e
        openssl ecparam -name prime256v1 -genkey -noout -out tsa.key
        openssl req -new -key tsa.key -subj '/CN=Fixture TSA/O=eseal-test' -out tsa.csr
        printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=critical,timeStamping\\n' > tsa-ext.cnf
        openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out tsa.pem -extfile tsa-ext.cnf 2>/dev/null
        cat tsa.pem ca.pem > tsa-chain.pem",
    );
    assert!(out.status.success(), "TSA cert: {}", stderr(&out));
    fixture_tsa_again(f)
}

fn pyhanko(f: &pdf_support::Fixture, args: &[&str]) -> (bool, String) {
    let out = common::venv_python()
        .args(["-m", "pyhanko", "sign"])
        .args(args)
        .current_dir(f.dir.path())
        .output()
        .unwrap();
    (out.status.success(), stderr(&out))
}

#[test]
fn pades_b_t_made_by_eseal_and_by_pyhanko_verify_in_both() {
    use eseal::pdf::{self, Credential, Placement, SignRequest};
    let f = pdf_support::Fixture::new("tsp-pades");
    let tsa = fixture_tsa(&f);
    let signer = f.pades();
    let mut req = SignRequest::new(
        Credential::Pades(&signer),
        Placement::Invisible,
        Time::now(),
    );
    req.time_stamper = Some(&tsa);
    let signed = pdf::sign(&pdf_support::make_pdf(1), &[req]).unwrap();
    f.write("ours.pdf", &signed);

    // eseal: the token verifies and gives the signing time.
    let r = pdf::verify(&signed, "ours.pdf", &f.opts()).unwrap();
    let s = &r.signatures[0];
    assert_eq!(s.verdict(), Verdict::Valid, "{}", r.to_text());
    let ts = checks(s, CheckKind::Timestamp);
    assert_eq!(ts.len(), 1, "{ts:?}");
    assert_eq!(ts[0].0, Status::Passed, "{ts:?}");
    assert_eq!(
        s.signing_time_source.as_deref(),
        Some("signature-time-stamp token (verified)")
    );

    // pyHanko: intact, trusted, and timestamped (its summary names the TSA's token).
    let (ok, text) = pyhanko(
        &f,
        &[
            "validate",
            "--pretty-print",
            "--trust",
            "ca.pem",
            "--trust-replace",
            "ours.pdf",
        ],
    );
    assert!(ok, "pyHanko: {text}");
    assert!(
        text.contains("Signature timestamp token:")
            && text.contains("The timestamp token is cryptographically sound.")
            && text.contains(
                "TSA certificate subject: \"Organization: eseal-test, Common Name: Fixture TSA\""
            )
            && text.contains("The TSA certificate is trusted."),
        "pyHanko does not accept the signature timestamp: {text}"
    );
    assert!(
        !text.contains("INVALID") && !text.contains("UNTRUSTED"),
        "pyHanko: {text}"
    );
    let (_, summary) = pyhanko(
        &f,
        &[
            "validate",
            "--executive-summary",
            "--trust",
            "ca.pem",
            "--trust-replace",
            "ours.pdf",
        ],
    );
    assert!(summary.trim_end().ends_with(":VALID"), "pyHanko: {summary}");
    if std::env::var_os("ESEAL_SHOW_PYHANKO").is_some() {
        eprintln!("{text}");
    }

    // pyHanko signs PAdES B-T with eseal's TSA over HTTP; eseal verifies its token.
    let (url, _requests) = common::serve_tsa(fixture_tsa_again(&f), None);
    f.write("plain.pdf", &pdf_support::make_pdf(1));
    let (ok, text) = pyhanko(
        &f,
        &[
            "addsig",
            "--field",
            "Sig1",
            "--use-pades",
            "--timestamp-url",
            &url,
            "pemder",
            "--key",
            "signer.key",
            "--cert",
            "signer.pem",
            "--chain",
            "ca.pem",
            "--no-pass",
            "plain.pdf",
            "theirs.pdf",
        ],
    );
    assert!(ok, "pyHanko addsig: {text}");
    let theirs = std::fs::read(f.p("theirs.pdf")).unwrap();
    let r = pdf::verify(&theirs, "theirs.pdf", &f.opts()).unwrap();
    let s = &r.signatures[0];
    assert_eq!(s.verdict(), Verdict::Valid, "{}", r.to_text());
    let ts = checks(s, CheckKind::Timestamp);
    assert_eq!(ts.len(), 1, "{ts:?}");
    assert_eq!(ts[0].0, Status::Passed, "{ts:?}");

    // pyHanko adds a document timestamp (ETSI.RFC3161) from eseal's TSA; eseal verifies it as
    // a token over the byte ranges of the new revision.
    let (ok, text) = pyhanko(
        &f,
        &[
            "timestamp",
            "--trust",
            "ca.pem",
            "--trust-replace",
            "--timestamp-url",
            &url,
            "theirs.pdf",
            "dts.pdf",
        ],
    );
    assert!(ok, "pyHanko timestamp: {text}");
    let dts = std::fs::read(f.p("dts.pdf")).unwrap();
    let r = pdf::verify(&dts, "dts.pdf", &f.opts()).unwrap();
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
    let d = &r.signatures[1];
    assert_eq!(d.kind.as_str(), "document-timestamp");
    let ts = checks(d, CheckKind::Timestamp);
    assert_eq!(ts.len(), 1, "{ts:?}");
    assert_eq!(ts[0].0, Status::Passed, "{ts:?}");
    assert!(ts[0].1.contains("over the byte ranges"), "{ts:?}");
    // A byte of the timestamped revision changed: the imprint no longer matches.
    let mut bad = dts.clone();
    let at = dts.len() - 200;
    bad[at] ^= 0x01;
    let r = pdf::verify(&bad, "bad.pdf", &f.opts()).unwrap();
    assert_ne!(r.verdict(), Verdict::Valid, "{}", r.to_text());
}

/// The fixture's TSA from its files (made by [`fixture_tsa`]).
fn fixture_tsa_again(f: &pdf_support::Fixture) -> TimeStampAuthority {
    let signer = PadesSigner::from_pem(
        &std::fs::read(f.p("tsa.key")).unwrap(),
        &std::fs::read(f.p("tsa-chain.pem")).unwrap(),
    )
    .unwrap();
    let chain = signer.chain.clone();
    TimeStampAuthority::new(Box::new(signer), chain).unwrap()
}
