//! Revocation (RFC 5280 CRLs, RFC 6960 OCSP) at the signing time, for OFD and PDF SES seals
//! and PAdES: revoked before → invalid; revoked after → valid with the date; no information →
//! a warning (a failure when strict); delegated OCSP responders; forged and expired evidence;
//! OpenSSL checks our CRLs and OCSP responses, and we check OpenSSL's.

mod common;
mod ofd_support;
mod pdf_support;

use eseal::crypto::signer::Signer;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::report::{CheckKind, SignatureReport, Status, Verdict};
use eseal::revocation::{
    self, CrlBuilder, OcspRequest, Reason, Responder, RevocationEvidence, RevokedEntry,
};
use eseal::validation::{TrustStore, VerifyOptions};

fn day(d: i64) -> Time {
    ofd_support::t0().add_days(d)
}

fn crl(
    signer: &dyn Signer,
    revoked: &[(&eseal::crypto::Certificate, Time)],
    this: Time,
    next: Time,
) -> Vec<u8> {
    CrlBuilder {
        this_update: this,
        next_update: next,
        number: 7,
        revoked: revoked
            .iter()
            .map(|(c, d)| RevokedEntry {
                serial: c.serial().to_vec(),
                date: *d,
                reason: Some(Reason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
    }
    .sign(signer)
    .unwrap()
}

fn opts(ca: &TestCa, ev: RevocationEvidence) -> VerifyOptions {
    VerifyOptions {
        trust: TrustStore::new().with(ca.root.cert.clone()),
        at: day(30),
        revocation: ev,
        warn_without_revocation: true,
        ..Default::default()
    }
}

fn crls(v: Vec<Vec<u8>>) -> RevocationEvidence {
    RevocationEvidence {
        crls: v,
        ocsp: vec![],
    }
}

fn revocation_checks(s: &SignatureReport) -> Vec<(Status, String)> {
    s.checks
        .iter()
        .filter(|c| c.check == CheckKind::Revocation)
        .map(|c| (c.status, format!("{}: {}", c.subject, c.message)))
        .collect()
}

fn ofd_signed(seed: &str) -> (Vec<u8>, TestCa) {
    use eseal::ofd::{self, Package, SignKind, SignRequest};
    let (seal, signer, ca) = ofd_support::seal(seed, "合同专用章", [200, 0, 0]);
    let pkg = Package::from_bytes(ofd_support::sample_ofd(1)).unwrap();
    let req = SignRequest::new(SignKind::Seal(&seal), ofd_support::t0());
    (ofd::sign(&pkg, &signer, &req).unwrap(), ca)
}

fn ofd_verify(bytes: &[u8], o: &VerifyOptions) -> SignatureReport {
    let pkg = eseal::ofd::Package::from_bytes(bytes.to_vec()).unwrap();
    eseal::ofd::verify(&pkg, "t.ofd", o).unwrap().signatures[0].clone()
}

fn pdf_ses_signed(seed: &str) -> (Vec<u8>, TestCa) {
    use eseal::pdf::{self, Credential, Placement, SignRequest};
    let (seal, signer, ca) = ofd_support::seal(seed, "合同专用章", [200, 0, 0]);
    let req = SignRequest::new(
        Credential::Seal {
            seal: &seal,
            signer: &signer,
        },
        Placement::Invisible,
        ofd_support::t0(),
    );
    (
        pdf::sign(&eseal::samples::sample_pdf(1, "rev"), &[req]).unwrap(),
        ca,
    )
}

fn pdf_verify(bytes: &[u8], o: &VerifyOptions) -> SignatureReport {
    eseal::pdf::verify(bytes, "t.pdf", o).unwrap().signatures[0].clone()
}

/// The three cases for one format: revoked before, revoked after, no information.
fn before_after_none(
    bytes: &[u8],
    ca: &TestCa,
    verify: fn(&[u8], &VerifyOptions) -> SignatureReport,
) {
    let root = ca.root.signer();
    let before = crl(&root, &[(&ca.person.cert, day(-1))], day(20), day(50));
    let s = verify(bytes, &opts(ca, crls(vec![before])));
    assert_eq!(s.verdict(), Verdict::Invalid, "{:#?}", s.checks);
    let r = revocation_checks(&s);
    let failed: Vec<_> = r.iter().filter(|c| c.0 == Status::Failed).collect();
    assert_eq!(failed.len(), 1, "{r:#?}");
    assert!(
        failed[0].1.contains("张三")
            && failed[0].1.contains("keyCompromise")
            && failed[0].1.contains(&day(-1).to_iso()),
        "{r:#?}"
    );

    let after = crl(&root, &[(&ca.person.cert, day(10))], day(20), day(50));
    let s = verify(bytes, &opts(ca, crls(vec![after])));
    assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
    assert!(
        revocation_checks(&s)
            .iter()
            .any(|c| c.1.contains("revoked later") && c.1.contains(&day(10).to_iso())),
        "{:#?}",
        s.checks
    );

    let s = verify(bytes, &opts(ca, RevocationEvidence::default()));
    assert_eq!(s.verdict(), Verdict::ValidWithWarnings, "{:#?}", s.checks);
    assert!(
        revocation_checks(&s)
            .iter()
            .all(|c| c.0 == Status::Warning && c.1.contains("no revocation information"))
    );
    assert_eq!(s.verdict_under(true), Verdict::Invalid);
    // The library default (no warning asked for) keeps the verdict.
    let quiet = VerifyOptions {
        warn_without_revocation: false,
        ..opts(ca, RevocationEvidence::default())
    };
    assert_eq!(verify(bytes, &quiet).verdict(), Verdict::Valid);
}

#[test]
fn ofd_seal_revoked_before_after_and_unknown() {
    let (bytes, ca) = ofd_signed("rev-ofd");
    before_after_none(&bytes, &ca, ofd_verify);
}

#[test]
fn pdf_ses_revoked_before_after_and_unknown() {
    let (bytes, ca) = pdf_ses_signed("rev-pdf");
    before_after_none(&bytes, &ca, pdf_verify);
}

#[test]
fn expired_crl_is_no_information_and_a_forged_crl_fails() {
    let (bytes, ca) = ofd_signed("rev-expired");
    // Made and expired before the signing time: it says nothing about t0.
    let old = crl(&ca.root.signer(), &[], day(-60), day(-30));
    let s = ofd_verify(&bytes, &opts(&ca, crls(vec![old])));
    assert_eq!(s.verdict(), Verdict::ValidWithWarnings, "{:#?}", s.checks);
    assert!(
        revocation_checks(&s)
            .iter()
            .any(|c| c.0 == Status::Warning && c.1.contains("expired")),
        "{:#?}",
        s.checks
    );
    // Same root name, another key: the CRL is not the CA's.
    let other = TestCa::new("rev-attacker").unwrap();
    let forged = crl(&other.root.signer(), &[], day(20), day(50));
    let s = ofd_verify(&bytes, &opts(&ca, crls(vec![forged])));
    assert_eq!(s.verdict(), Verdict::Invalid, "{:#?}", s.checks);
    assert!(
        revocation_checks(&s)
            .iter()
            .any(|c| c.0 == Status::Failed && c.1.contains("does not verify")),
        "{:#?}",
        s.checks
    );
}

#[test]
fn ocsp_from_the_ca_and_from_a_delegated_responder() {
    let (bytes, ca) = ofd_signed("rev-ocsp");
    let responder = ca.ocsp_responder().unwrap();
    assert!(revocation::fetch::ocsp_urls(&ca.person.cert).is_empty());
    let revoked = [RevokedEntry {
        serial: ca.person.cert.serial().to_vec(),
        date: day(-2),
        reason: Some(Reason::Superseded),
        invalidity_date: None,
    }];
    let ask = |signer: &dyn Signer, revoked: &[RevokedEntry]| {
        let req = OcspRequest::for_certificate(&ca.person.cert, &ca.root.cert).unwrap();
        let r = Responder {
            ca: &ca.root.cert,
            signer,
            revoked,
            validity_secs: 86_400,
        };
        let resp = r.respond(&req.to_der(), day(1));
        let parsed = revocation::OcspResponse::parse(&resp).unwrap();
        assert_eq!(parsed.nonce, req.nonce, "the nonce is echoed");
        // The maker's certificate too, from the same responder.
        let req2 = OcspRequest::for_certificate(&ca.unit.cert, &ca.root.cert).unwrap();
        RevocationEvidence {
            crls: vec![],
            ocsp: vec![resp, r.respond(&req2.to_der(), day(1))],
        }
    };
    for signer in [&ca.root.signer() as &dyn Signer, &responder.signer()] {
        let s = ofd_verify(&bytes, &opts(&ca, ask(signer, &[])));
        assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
        let r = revocation_checks(&s);
        assert_eq!(r.len(), 2, "signer and maker: {r:#?}");
        assert!(
            r.iter()
                .all(|c| c.0 == Status::Passed && c.1.contains("OCSP")),
            "{r:#?}"
        );
        let s = ofd_verify(&bytes, &opts(&ca, ask(signer, &revoked)));
        assert_eq!(s.verdict(), Verdict::Invalid, "{:#?}", s.checks);
        assert!(
            revocation_checks(&s)
                .iter()
                .any(|c| c.1.contains("superseded"))
        );
    }
    // A responder the CA never certified (another CA's, same names): refused.
    let other = TestCa::new("rev-ocsp-attacker").unwrap();
    let stranger = other.ocsp_responder().unwrap();
    let s = ofd_verify(&bytes, &opts(&ca, ask(&stranger.signer(), &[])));
    assert_eq!(s.verdict(), Verdict::Invalid, "{:#?}", s.checks);
    // A malformed request gets malformedRequest.
    let r = Responder {
        ca: &ca.root.cert,
        signer: &ca.root.signer(),
        revoked: &[],
        validity_secs: 60,
    };
    assert_eq!(r.respond(b"\x30\x00", day(1)), vec![0x30, 3, 0x0A, 1, 1]);
}

#[test]
fn a_timestamp_time_decides_before_or_after() {
    // The person's certificate revoked at day 5; signed (claimed) at t0: valid. With the
    // clock of verification at day 30 that is still "revoked later".
    let (bytes, ca) = pdf_ses_signed("rev-time");
    let c = crl(
        &ca.root.signer(),
        &[(&ca.person.cert, day(5))],
        day(6),
        day(40),
    );
    let s = pdf_verify(&bytes, &opts(&ca, crls(vec![c])));
    assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
}

#[test]
fn pointers_are_in_the_certificates_of_a_ca_with_a_server() {
    let ca = TestCa::with_revocation_pointers("rev-ptr", "http://127.0.0.1:9/").unwrap();
    assert_eq!(
        revocation::fetch::crl_urls(&ca.person.cert),
        vec!["http://127.0.0.1:9/crl/root.crl".to_owned()]
    );
    assert_eq!(
        revocation::fetch::ocsp_urls(&ca.person.cert),
        vec!["http://127.0.0.1:9/ocsp".to_owned()]
    );
    assert!(revocation::fetch::crl_urls(&ca.root.cert).is_empty());
}

/// PAdES (ECDSA P-256 from an OpenSSL CA): a CRL from `openssl ca -gencrl` and OCSP answers
/// from `openssl ocsp` (the CA's own, and a delegated responder's with OCSPSigning) are
/// accepted; the signer revoked now is revoked before a signature made now and after one
/// made (claimed) yesterday.
#[test]
fn pades_with_openssl_crl_and_ocsp() {
    use eseal::pdf::{self, Credential, Placement, SignRequest};
    let f = pdf_support::Fixture::new("rev-pades");
    let out = f.sh(
        "set -e
        mkdir -p ossl/newcerts && touch ossl/index.txt && echo 01 > ossl/crlnumber
        cat > ossl.cnf <<'CNF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ./ossl
database = ./ossl/index.txt
new_certs_dir = ./ossl/newcerts
certificate = ./ca.pem
private_key = ./ca.key
crlnumber = ./ossl/crlnumber
default_md = sha256
default_crl_days = 30
policy = policy_any
[ policy_any ]
commonName = supplied
CNF
        openssl ca -config ossl.cnf -gencrl -out empty.crl 2>&1
        openssl ecparam -name prime256v1 -genkey -noout -out ocsp.key
        openssl req -new -key ocsp.key -subj '/CN=Fixture OCSP/O=eseal-test' -out ocsp.csr
        printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=OCSPSigning\\n' > ocsp-ext.cnf
        openssl x509 -req -in ocsp.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out ocsp.pem -extfile ocsp-ext.cnf 2>/dev/null
        openssl ocsp -issuer ca.pem -cert signer.pem -reqout req.der
        openssl ocsp -index ossl/index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -reqin req.der -respout good.der
        openssl ca -config ossl.cnf -revoke signer.pem -crl_reason keyCompromise 2>&1
        openssl ca -config ossl.cnf -gencrl -out revoked.crl 2>&1
        openssl ocsp -index ossl/index.txt -rsigner ocsp.pem -rkey ocsp.key -CA ca.pem -reqin req.der -respout revoked.der",
    );
    assert!(
        out.status.success(),
        "openssl: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |n: &str| std::fs::read(f.p(n)).unwrap();
    let signer = f.pades();
    let sign = |t: Time| {
        let req = SignRequest::new(Credential::Pades(&signer), Placement::Invisible, t);
        pdf::sign(&pdf_support::make_pdf(1), &[req]).unwrap()
    };
    let now_signed = sign(Time::now().add_seconds(5));
    let yesterday = sign(Time::now().add_days(-1));
    let o = |crls: Vec<Vec<u8>>, ocsp: Vec<Vec<u8>>| VerifyOptions {
        revocation: RevocationEvidence { crls, ocsp },
        warn_without_revocation: true,
        ..f.opts()
    };
    // Before the revocation: good by the CRL and by the CA's OCSP answer.
    for ev in [
        o(vec![read("empty.crl")], vec![]),
        o(vec![], vec![read("good.der")]),
    ] {
        let s = pdf_verify(&now_signed, &ev);
        assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
    }
    // After: the CRL and the delegated responder's answer say revoked.
    for ev in [
        o(vec![read("revoked.crl")], vec![]),
        o(vec![], vec![read("revoked.der")]),
    ] {
        let s = pdf_verify(&now_signed, &ev);
        assert_eq!(s.verdict(), Verdict::Invalid, "{:#?}", s.checks);
        assert!(
            revocation_checks(&s).iter().any(|c| c.0 == Status::Failed
                && c.1.contains("Test Signer")
                && c.1.contains("keyCompromise")),
            "{:#?}",
            s.checks
        );
        let s = pdf_verify(&yesterday, &ev);
        assert_eq!(s.verdict(), Verdict::Valid, "{:#?}", s.checks);
        assert!(
            revocation_checks(&s)
                .iter()
                .any(|c| c.1.contains("revoked later"))
        );
    }
}
