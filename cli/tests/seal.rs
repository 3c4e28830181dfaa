//! The `eseal` command line: seal create / inspect / verify, and the exit-status contract
//! (0 valid, 1 a check failed, 2 unusable input or usage error).

#[path = "../../core/tests/common/mod.rs"]
mod common;

use common::TempDir;
use std::process::Command;

fn eseal() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
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
    let (code, out, _) = run(args!["seal", "verify", &seal, "--trust", &trust, "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "valid");

    // Without --trust: a warning (chain not checked), exit 0; with --strict, exit 1.
    assert_eq!(run(args!["seal", "verify", &seal]).0, 0);
    let (code, out, _) = run(args!["seal", "verify", &seal, "--strict"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("WARN"));

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
    let (code, out, _) = run(args![
        "seal",
        "verify",
        v.join("UserV4.esl").to_str().unwrap(),
        "--json"
    ]);
    assert_eq!(code, 0, "valid when made, expired now: a warning: {out}");
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
