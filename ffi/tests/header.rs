//! `include/eseal.h` is what cbindgen makes from `src/lib.rs`: regenerate and compare.
//! After changing the C interface, run with `ESEAL_BLESS=1` to rewrite the header.

use std::path::PathBuf;

#[test]
fn checked_in_header_matches_cbindgen() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = dir.join("include/eseal.h");
    if std::env::var_os("ESEAL_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/eseal.h");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ffi/include/eseal.h differs from what cbindgen generates from ffi/src/lib.rs; rerun with ESEAL_BLESS=1 and commit it"
    );
}
