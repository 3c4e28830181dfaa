//! A signing killed at any moment never leaves a partial output (`eseal::fs::write_atomic`):
//! the output path is either absent or a complete file that verifies, the input is untouched,
//! and the temporary file a killed process left behind is removed by the next run in that
//! folder.

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/pdf_support/mod.rs"]
mod pdf_support;

use pdf_support::*;
use std::process::{Command, Stdio};
use std::time::Instant;

const EXE: &str = env!("CARGO_BIN_EXE_eseal");

fn sign_cmd(f: &Fixture) -> Command {
    let mut c = Command::new(EXE);
    c.args([
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
        "--stamp",
        "1,100,100,80,80",
    ])
    .current_dir(f.dir.path())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

fn temporaries(f: &Fixture) -> Vec<String> {
    std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".eseal-") && n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_killed_signing_leaves_no_partial_output() {
    let f = Fixture::new("killed");
    // Large enough that a signing takes a while (hash, copy, write).
    let input = make_pdf(1500);
    f.write("in.pdf", &input);
    f.write("seal.png", &red_disc_png(64));

    // How long one whole signing takes here.
    let t0 = Instant::now();
    assert!(sign_cmd(&f).status().unwrap().success());
    let whole = t0.elapsed();
    std::fs::remove_file(f.p("out.pdf")).unwrap();

    // Kill at moments spread over the signing (a simple LCG: reproducible, no extra crate).
    let mut seed: u64 = 0x5eed_e5ea1;
    let mut complete = 0;
    let mut absent = 0;
    for _ in 0..24 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = whole.mul_f64((seed >> 33) as f64 / (1u64 << 31) as f64 * 1.1);
        let mut child = sign_cmd(&f).spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            std::fs::read(f.p("in.pdf")).unwrap(),
            input,
            "the input is untouched"
        );
        match std::fs::read(f.p("out.pdf")) {
            Err(_) => absent += 1,
            Ok(_) => {
                let v = Command::new(EXE)
                    .env("ESEAL_TRUST_DIR", "")
                    .args(["pdf", "verify", "out.pdf", "--trust", "ca.pem"])
                    .current_dir(f.dir.path())
                    .output()
                    .unwrap();
                assert_eq!(
                    v.status.code(),
                    Some(0),
                    "an output that exists is complete and verifies: {}",
                    String::from_utf8_lossy(&v.stdout)
                );
                complete += 1;
                std::fs::remove_file(f.p("out.pdf")).unwrap();
            }
        }
    }
    eprintln!("killed signings: {absent} left no output, {complete} a complete one");
    assert!(absent > 0, "some kills landed before the rename");

    // The next run in the folder removes what dead processes left.
    assert!(sign_cmd(&f).status().unwrap().success());
    assert_eq!(temporaries(&f), Vec::<String>::new());
}
