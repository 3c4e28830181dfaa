//! Interop with OpenSSL 3 (SM2 with `distid:1234567812345678`, SM3, certificates, ASN.1).

mod common;

use common::{TempDir, tool};
use eseal::crypto::sm2::{self, PrivateKey, PublicKey, Signature};
use eseal::crypto::sm3::sm3;
use eseal::crypto::testca::TestCa;
use eseal::crypto::{Certificate, Signer};
use std::path::Path;
use std::process::Output;

fn ok(out: Output, what: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed: {text}");
    text
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn eseal_signature_verifies_in_openssl_and_back() {
    let tmp = TempDir::new("ossl-sig");
    let key = PrivateKey::from_seed(b"interop");
    let msg = write(tmp.path(), "msg", "签名消息 message".as_bytes());
    let pubpem = write(tmp.path(), "pub.pem", key.public_key().to_pem().as_bytes());
    let sig = key
        .sign(sm2::DEFAULT_ID, &std::fs::read(&msg).unwrap())
        .unwrap();
    let sigfile = write(tmp.path(), "sig.der", &sig.to_der());
    let verify = |sigfile: &Path| {
        tool("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&pubpem)
            .arg("-rawin")
            .arg("-in")
            .arg(&msg)
            .arg("-sigfile")
            .arg(sigfile)
            .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
            .output()
            .unwrap()
    };
    assert!(
        ok(verify(&sigfile), "openssl pkeyutl -verify").contains("Signature Verified Successfully")
    );
    // A signature over another message does not verify.
    let other = key.sign(sm2::DEFAULT_ID, b"other").unwrap();
    let other_file = write(tmp.path(), "other.der", &other.to_der());
    assert!(!verify(&other_file).status.success());

    // OpenSSL's key (PKCS#8 PEM) and signature verify in eseal.
    let okey = tmp.path().join("k.pem");
    ok(
        tool("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:SM2",
                "-out",
            ])
            .arg(&okey)
            .output()
            .unwrap(),
        "genpkey",
    );
    let osig = tmp.path().join("osig.der");
    ok(
        tool("openssl")
            .args(["pkeyutl", "-sign", "-inkey"])
            .arg(&okey)
            .arg("-rawin")
            .arg("-in")
            .arg(&msg)
            .args([
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
                "-out",
            ])
            .arg(&osig)
            .output()
            .unwrap(),
        "pkeyutl -sign",
    );
    let k = PrivateKey::parse(&std::fs::read(&okey).unwrap()).unwrap();
    let (s, enc) = Signature::parse_lenient(&std::fs::read(&osig).unwrap()).unwrap();
    assert_eq!(enc, sm2::SignatureEncoding::Der);
    sm2::verify(
        &k.public_key(),
        sm2::DEFAULT_ID,
        &std::fs::read(&msg).unwrap(),
        &s,
    )
    .unwrap();
    // ...and OpenSSL's exported public key reads too.
    let opub = tmp.path().join("opub.pem");
    ok(
        tool("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&okey)
            .arg("-out")
            .arg(&opub)
            .output()
            .unwrap(),
        "pkey -pubout",
    );
    assert_eq!(
        PublicKey::parse(&std::fs::read(&opub).unwrap()).unwrap(),
        k.public_key()
    );
}

#[test]
fn sm3_matches_openssl() {
    let tmp = TempDir::new("ossl-sm3");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let f = write(tmp.path(), "data", &data);
    let out = ok(
        tool("openssl")
            .args(["dgst", "-sm3", "-r"])
            .arg(&f)
            .output()
            .unwrap(),
        "dgst",
    );
    assert!(out.starts_with(&hex::encode(sm3(&data))), "{out}");
}

#[test]
fn test_ca_certificates_pass_openssl_verify() {
    let tmp = TempDir::new("ossl-ca");
    let ca = TestCa::new("openssl").unwrap();
    let root = write(tmp.path(), "root.pem", ca.root.cert.to_pem().as_bytes());
    for (name, id) in [
        ("unit", &ca.unit),
        ("person", &ca.person),
        ("server", &ca.server),
    ] {
        let leaf = write(
            tmp.path(),
            &format!("{name}.pem"),
            id.cert.to_pem().as_bytes(),
        );
        let out = ok(
            tool("openssl")
                .args(["verify", "-vfyopt", "distid:1234567812345678", "-CAfile"])
                .arg(&root)
                .arg(&leaf)
                .output()
                .unwrap(),
            "openssl verify",
        );
        assert!(out.contains(": OK"), "{out}");
        // OpenSSL reads the names as we wrote them (UTF-8).
        let text = ok(
            tool("openssl")
                .args(["x509", "-noout", "-subject", "-nameopt", "utf8", "-in"])
                .arg(&leaf)
                .output()
                .unwrap(),
            "x509",
        );
        assert!(
            text.contains(id.cert.subject().get("CN").unwrap()),
            "{text}"
        );
    }
    // A certificate made by OpenSSL (SM2, SM3, distid) parses and its chain checks in eseal.
    let k = tmp.path().join("k.pem");
    ok(
        tool("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:SM2",
                "-out",
            ])
            .arg(&k)
            .output()
            .unwrap(),
        "genpkey",
    );
    let c = tmp.path().join("c.pem");
    ok(
        tool("openssl")
            .args(["req", "-x509", "-new", "-key"])
            .arg(&k)
            .args([
                "-sm3",
                "-sigopt",
                "distid:1234567812345678",
                "-utf8",
                "-subj",
                "/C=CN/O=测试单位/CN=Root",
                "-days",
                "3650",
                "-out",
            ])
            .arg(&c)
            .output()
            .unwrap(),
        "req -x509",
    );
    let cert = Certificate::parse(&std::fs::read(&c).unwrap()).unwrap();
    assert_eq!(cert.subject().get("O"), Some("测试单位"));
    cert.verify_issued_by(&cert)
        .expect("OpenSSL's SM2 self-signature verifies with the default ID");
}

#[test]
fn seal_and_signature_parse_in_openssl_and_their_signatures_verify_there() {
    let tmp = TempDir::new("ossl-ses");
    let ca = TestCa::new("openssl").unwrap();
    let picture = std::fs::read(common::vectors().join("ses/picture-8x8.png")).unwrap();
    let seal = eseal::ses::SealBuilder::new("上海市测试局合同专用章", "310000000000002")
        .picture("PNG", picture, 42, 42)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let data_hash = sm3(b"document");
    let sig = eseal::ses::sign(
        &seal,
        &ca.person.signer(),
        &data_hash,
        "/Doc_0/Signs/Sign_0/Signature.xml",
        eseal::crypto::time::Time::now(),
    )
    .unwrap();
    let seal_file = write(tmp.path(), "seal.esl", seal.der());
    let sig_file = write(tmp.path(), "SignedValue.dat", sig.to_der());
    let seal_tree = ok(
        tool("openssl")
            .args(["asn1parse", "-inform", "DER", "-in"])
            .arg(&seal_file)
            .output()
            .unwrap(),
        "asn1parse seal",
    );
    // Field order and types of GB/T 38540 §6: header (IA5 "ES", INTEGER 4, IA5 vid), IA5 esID,
    // property (INTEGER, UTF8 name, INTEGER 1, SEQUENCE OF OCTET STRING, 3 × GeneralizedTime),
    // picture (IA5, OCTET STRING, INTEGER, INTEGER), then OCTET STRING cert, OID, BIT STRING.
    let kinds: Vec<&str> = seal_tree
        .lines()
        .filter_map(|l| {
            l.split(": ")
                .nth(1)
                .map(|k| k.split_whitespace().next().unwrap_or(""))
        })
        .filter(|k| !k.is_empty())
        .collect();
    let expected = [
        "SEQUENCE",
        "SEQUENCE",
        "SEQUENCE",
        "IA5STRING",
        "INTEGER",
        "IA5STRING",
        "IA5STRING",
        "SEQUENCE",
        "INTEGER",
        "UTF8STRING",
        "INTEGER",
        "SEQUENCE",
        "OCTET",
        "GENERALIZEDTIME",
        "GENERALIZEDTIME",
        "GENERALIZEDTIME",
        "SEQUENCE",
        "IA5STRING",
        "OCTET",
        "INTEGER",
        "INTEGER",
        "OCTET",
        "OBJECT",
        "BIT",
    ];
    assert_eq!(kinds, expected, "{seal_tree}");
    assert!(seal_tree.contains(":ES") && seal_tree.contains(":SM2-with-SM3"));
    let sig_tree = ok(
        tool("openssl")
            .args(["asn1parse", "-inform", "DER", "-in"])
            .arg(&sig_file)
            .output()
            .unwrap(),
        "asn1parse signature",
    );
    assert!(
        sig_tree.contains(":/Doc_0/Signs/Sign_0/Signature.xml"),
        "{sig_tree}"
    );

    // Who signs what, checked by OpenSSL: the maker over the encoded SES_SealInfo, the signer
    // over the encoded TBS_Sign, both SM2 with SM3 and the default ID.
    let check = |msg: &[u8], sig: &[u8], cert: &Certificate, tag: &str| {
        let m = write(tmp.path(), &format!("{tag}.msg"), msg);
        let s = write(tmp.path(), &format!("{tag}.sig"), sig);
        let p = write(
            tmp.path(),
            &format!("{tag}.pub"),
            cert.sm2_public_key().unwrap().to_pem().as_bytes(),
        );
        let out = tool("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&p)
            .arg("-rawin")
            .arg("-in")
            .arg(&m)
            .arg("-sigfile")
            .arg(&s)
            .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
            .output()
            .unwrap();
        assert!(ok(out, tag).contains("Verified Successfully"));
    };
    check(
        &seal.maker_signed_bytes,
        &seal.maker_signature,
        ca.unit.signer().certificate(),
        "maker",
    );
    check(
        &sig.tbs_der,
        &sig.signature,
        ca.person.signer().certificate(),
        "signer",
    );
    // The seal inside TBS_Sign is the seal byte for byte.
    assert_eq!(sig.seal.der(), seal.der());
}

/// Foreign certificates (ECDSA P-256, RSA) parse and their signatures verify: eseal checks
/// international signatures found in documents too.
#[test]
fn p256_and_rsa_certificates_from_openssl() {
    let tmp = TempDir::new("ossl-foreign");
    for (name, args) in [
        (
            "p256",
            &[
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-sha256",
            ][..],
        ),
        ("rsa", &["-newkey", "rsa:2048", "-sha256"][..]),
        ("rsa1", &["-newkey", "rsa:2048", "-sha1"][..]),
    ] {
        let c = tmp.path().join(format!("{name}.pem"));
        let k = tmp.path().join(format!("{name}.key"));
        ok(
            tool("openssl")
                .args(["req", "-x509", "-nodes"])
                .args(args)
                .arg("-keyout")
                .arg(&k)
                .args([
                    "-utf8",
                    "-subj",
                    "/C=CN/O=外部机构/CN=Foreign",
                    "-days",
                    "30",
                    "-out",
                ])
                .arg(&c)
                .output()
                .unwrap(),
            name,
        );
        let cert = Certificate::parse(&std::fs::read(&c).unwrap()).unwrap();
        assert_eq!(cert.subject().get("O"), Some("外部机构"));
        cert.verify_issued_by(&cert)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(cert.sm2_public_key().is_err(), "{name} is not an SM2 key");
        // A certificate whose tbs changed no longer verifies.
        let mut der = cert.der().to_vec();
        let pos = der
            .windows("Foreign".len())
            .position(|w| w == b"Foreign")
            .unwrap();
        der[pos] = b'f';
        let changed = Certificate::from_der(&der).unwrap();
        assert!(changed.verify_issued_by(&cert).is_err(), "{name}");
    }
}
