//! The C example (`ffi/examples/seal_and_verify.c`) compiled with the system C compiler
//! against `include/eseal.h` and the cdylib, then run. `scripts/test.d/80-bindings.sh` runs the
//! same program under valgrind.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/deps`, where cargo built `libeseal_ffi.so` for this test (the copy in
/// `target/<profile>` is refreshed only by `cargo build`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().expect("target/<profile>/deps").to_path_buf()
}

#[test]
fn c_example_builds_and_runs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir();
    assert!(
        lib.join("libeseal_ffi.so").exists(),
        "{} has no libeseal_ffi.so",
        lib.display()
    );
    // The library's SONAME (ffi/build.rs) is versioned: the loader looks for that name.
    let soname = lib.join(format!(
        "libeseal_ffi.so.{}.{}",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    ));
    if !soname.exists() {
        let _ = std::os::unix::fs::symlink("libeseal_ffi.so", &soname);
    }
    let out = std::env::temp_dir().join(format!("eseal-ffi-example-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let exe = out.join("seal_and_verify");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(dir.join("include"))
        .arg(dir.join("examples/seal_and_verify.c"))
        .arg("-L")
        .arg(&lib)
        .arg("-leseal_ffi")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("system C compiler `{cc}`: {e}"));
    assert!(status.success(), "the C example does not compile");
    let run = Command::new(&exe)
        .env_remove("LD_LIBRARY_PATH")
        .arg(&out)
        .env("ESEAL_VECTORS", dir.join("../vectors/bindings"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "the C example failed");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    // Its signature read back in Rust verifies through the core.
    let sig = std::fs::read(out.join("c.sig")).unwrap();
    let data = std::fs::read(out.join("c.data")).unwrap();
    let parsed = eseal::ses::SesSignature::from_der(&sig).unwrap();
    assert_eq!(parsed.data_hash, eseal::crypto::sm3::sm3(&data).to_vec());
    assert_eq!(parsed.property_info, "/c/example.txt");
    let _ = std::fs::remove_dir_all(&out);
}
