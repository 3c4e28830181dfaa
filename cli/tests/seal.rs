//! The `eseal` command line: seal create / inspect / verify, and the exit-status contract
//! (0 valid and trusted, 3 intact but not trusted, 1 a check failed, 2 unusable input or
//! usage error).

#[path = "../../core/tests/common/mod.rs"]
mod common;

use common::TempDir;
use std::process::Command;

/// The command with no trust directory (the user's own must not change the outcome).
fn eseal() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eseal"));
    c.env("ESEAL_TRUST_DIR", "");
    c
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = eseal().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new($a)),*] };
}

#[test]
fn create_inspect_verify_and_exit_codes() {
    let tmp = TempDir::new("cli-seal");
    let dir = tmp.path().to_str().unwrap().to_owned();
    let ca = format!("{dir}/ca");
    assert_eq!(run(args!["ca", "init", &ca, "--seed", "cli"]).0, 0);
    let picture = common::vectors().join("ses/picture-8x8.png");
    let seal = format!("{dir}/seal.esl");
    let (code, _, err) = run(args![
        "seal",
        "create",
        "--name",
        "上海市测试局",
        "--es-id",
        "31000000009",
        "--picture",
        picture.to_str().unwrap(),
        "--maker-key",
        &format!("{ca}/unit.key"),
        "--maker-cert",
        &format!("{ca}/unit.pem"),
        "--signer-cert",
        &format!("{ca}/person.pem"),
        "-o",
        &seal
    ]);
    assert_eq!(code, 0, "{err}");

    let (code, out, _) = run(args!["seal", "inspect", &seal, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seal"]["name"], "上海市测试局");
    assert_eq!(v["seal"]["header"]["version"], 4);

    let trust = format!("{ca}/root.pem");
    let crl = format!("{ca}/root.crl");
    let (code, _, err) = run(args!["ca", "crl", &ca, "-o", &crl]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(args![
        "seal", "verify", &seal, "--trust", &trust, "--crl", &crl, "--json"
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "valid");

    // Without a trust anchor: intact, but whose seal it is is not confirmed — exit 3, and the
    // headline never says 有效.
    let (code, out, _) = run(args!["seal", "verify", &seal]);
    assert_eq!(code, 3, "{out}");
    let headline = out.lines().next().unwrap();
    assert!(
        headline.ends_with("签章完整，签章人身份未经信任根确认 / INTACT, signer not trusted"),
        "{headline}"
    );
    assert!(!headline.contains("有效"));
    assert!(out.contains("UNTR"), "{out}");
    let (code, out, _) = run(args!["seal", "verify", &seal, "--json"]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "intact_untrusted");
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["signatures"][0]["verdict"], "intact_untrusted");

    // The trust directory: anchors installed once count like --trust, unless
    // --no-default-trust.
    let trust_dir = format!("{dir}/trust");
    std::fs::create_dir_all(&trust_dir).unwrap();
    std::fs::copy(&trust, format!("{trust_dir}/root.pem")).unwrap();
    let in_dir = |extra: &[&str]| {
        eseal()
            .env("ESEAL_TRUST_DIR", &trust_dir)
            .args(["seal", "verify", &seal])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(in_dir(&[]), Some(0));
    assert_eq!(in_dir(&["--no-default-trust"]), Some(3));
    assert_eq!(
        eseal()
            .env_remove("ESEAL_TRUST_DIR")
            .env("XDG_CONFIG_HOME", &dir)
            .env("HOME", &dir)
            .args(["seal", "verify", &seal])
            .status()
            .unwrap()
            .code(),
        Some(3),
        "the default directory is $XDG_CONFIG_HOME/eseal/trust, empty here"
    );
    std::fs::create_dir_all(format!("{dir}/eseal/trust")).unwrap();
    std::fs::copy(&trust, format!("{dir}/eseal/trust/root.crt")).unwrap();
    assert_eq!(
        eseal()
            .env_remove("ESEAL_TRUST_DIR")
            .env("XDG_CONFIG_HOME", &dir)
            .args(["seal", "verify", &seal])
            .status()
            .unwrap()
            .code(),
        Some(0)
    );

    // A seal outside its validity period cannot seal anything: exit 1, "not valid now".
    let (code, out, _) = run(args![
        "seal",
        "verify",
        &seal,
        "--trust",
        &trust,
        "--at",
        "2099-01-01T00:00:00Z"
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not valid now"), "{out}");
    let (code, out, _) = run(args![
        "seal",
        "verify",
        &seal,
        "--trust",
        &trust,
        "--at",
        "2000-01-01T00:00:00Z"
    ]);
    assert_eq!(code, 1, "not yet valid: {out}");

    // A forged seal: the same name and esID, made by an attacker's own CA (whose root has the
    // real root's name). Against the real root the chain is broken (exit 1); with no anchors
    // it is intact but untrusted (exit 3); never 有效.
    let attacker = format!("{dir}/attacker");
    assert_eq!(
        run(args!["ca", "init", &attacker, "--seed", "attacker"]).0,
        0
    );
    let forged = format!("{dir}/forged.esl");
    let (code, _, err) = run(args![
        "seal",
        "create",
        "--name",
        "上海市测试局",
        "--es-id",
        "31000000009",
        "--picture",
        picture.to_str().unwrap(),
        "--maker-key",
        &format!("{attacker}/unit.key"),
        "--maker-cert",
        &format!("{attacker}/unit.pem"),
        "--signer-cert",
        &format!("{attacker}/person.pem"),
        "-o",
        &forged
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(args!["seal", "verify", &forged, "--trust", &trust]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("chain broken"), "{out}");
    assert!(!out.lines().next().unwrap().contains("有效"), "{out}");
    let (code, out, _) = run(args!["seal", "verify", &forged, "--strict"]);
    assert_eq!(code, 3, "{out}");
    assert!(!out.lines().next().unwrap().contains("有效"), "{out}");

    // A changed byte in the seal name: the maker signature fails, exit 1, and the report says which check.
    let mut bytes = std::fs::read(&seal).unwrap();
    let name = "上海市测试局".as_bytes();
    let pos = bytes.windows(name.len()).position(|w| w == name).unwrap();
    bytes[pos + 3] ^= 1;
    let bad = format!("{dir}/bad.esl");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, out, _) = run(args!["seal", "verify", &bad, "--trust", &trust, "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: Vec<_> = v["signatures"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(failed, vec!["maker_signature"]);

    // Unusable input and usage errors: exit 2 with a message.
    let junk = format!("{dir}/junk.bin");
    std::fs::write(&junk, b"not a seal").unwrap();
    let (code, _, err) = run(args!["seal", "verify", &junk]);
    assert_eq!(code, 2);
    assert!(err.contains("not a seal"), "{err}");
    let (code, out, _) = run(args!["seal", "verify", &junk, "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["exit_code"].as_i64(), v["verdict"].as_str()),
        (Some(2), Some("unusable_input"))
    );
    assert!(v["error"].as_str().unwrap().contains("not a seal"));
    assert_eq!(
        run(args!["seal", "verify", &format!("{dir}/missing.esl")]).0,
        2
    );
    assert_eq!(run(args!["seal", "verify", &seal, "--trust", &junk]).0, 2);
    assert_eq!(run(args!["seal", "verify"]).0, 2);
    assert_eq!(run(args!["seal", "frobnicate"]).0, 2);

    // A failed create leaves nothing behind.
    let out_path = format!("{dir}/never.esl");
    let (code, _, err) = run(args![
        "seal",
        "create",
        "--name",
        "x",
        "--es-id",
        "1",
        "--picture",
        &junk,
        "--test-ca",
        "cli",
        "-o",
        &out_path
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!std::path::Path::new(&out_path).exists());
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

#[test]
fn real_signature_files_from_the_cli() {
    let Some(v) = common::shared_vectors("ofdrw") else {
        return;
    };
    // ofdrw's seal was valid 2020-04-22 .. 2022-04-22: today it cannot seal anything (exit 1,
    // "not valid now"); as of 2021 it is intact, its maker's root not a trust anchor (exit 3).
    let (code, out, _) = run(args![
        "seal",
        "verify",
        v.join("UserV4.esl").to_str().unwrap(),
        "--json"
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not valid now"), "{out}");
    let (code, out, _) = run(args![
        "seal",
        "verify",
        v.join("UserV4.esl").to_str().unwrap(),
        "--at",
        "2021-01-01T00:00:00Z"
    ]);
    assert_eq!(code, 3, "{out}");
    let (code, _, _) = run(args![
        "seal",
        "verify",
        v.join("SESealData.DER").to_str().unwrap()
    ]);
    assert_eq!(code, 1);
    let (code, out, _) = run(args![
        "seal",
        "inspect",
        v.join("SignedValueV4.dat").to_str().unwrap()
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("kind: signature"), "{out}");
}
