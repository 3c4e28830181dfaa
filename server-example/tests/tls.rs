//! Optional TLS (rustls): the server answers HTTPS with the configured certificate, and the
//! session cookie is then `Secure`. The certificate is an ECDSA P-256 one made by OpenSSL
//! (rustls has no SM2 cipher suites); the client is curl.

mod common;

use std::process::Command;

use common::*;

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

#[test]
fn https_with_a_secure_cookie() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !(have("openssl") && have("curl")) {
        assert!(
            !ci,
            "openssl and curl are needed under CI (scripts/setup.sh)"
        );
        eprintln!("SKIP https_with_a_secure_cookie: no openssl or curl");
        return;
    }
    let dir = temp_dir("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl")
        .status
        .success();
    assert!(ok, "openssl made the test certificate");
    let srv = Server::start_in(
        &Db::Sqlite,
        &dir,
        &[
            ("ESEAL_TLS_CERT", cert.to_str().unwrap()),
            ("ESEAL_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    let https = srv.base.replace("http://", "https://");
    let curl = |args: &[&str]| {
        let o = Command::new("curl")
            .args(["-s", "--cacert"])
            .arg(&cert)
            .args(args)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(curl(&[&format!("{https}/healthz")]), r#"{"status":"ok"}"#);
    let login = curl(&[
        "-i",
        "-H",
        "Content-Type: application/json",
        "-d",
        &format!(r#"{{"phone":"{SEAL_USER}","password":"{DEMO_PASSWORD}"}}"#),
        &format!("{https}/api/v1/auth/login/password"),
    ]);
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{login}"
    );
    // Plain HTTP to the TLS port is not served.
    assert!(!curl(&[&format!("{}/healthz", srv.base)]).contains("ok"));
}
