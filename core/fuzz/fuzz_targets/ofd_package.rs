//! The OFD package reader (strict ZIP container, bounds) and the verifier on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(pkg) = eseal::ofd::Package::from_bytes(data.to_vec()) {
        let _ = eseal::ofd::inspect(&pkg);
        let _ = eseal::ofd::verify(&pkg, "fuzz.ofd", &eseal::ofd::OfdVerifyOptions::default());
        // What we write must read back under the same strict rules.
        if let Ok(out) = pkg.to_bytes_with(&Default::default()) {
            assert!(eseal::ofd::Package::from_bytes(out).is_ok());
        }
    }
});
