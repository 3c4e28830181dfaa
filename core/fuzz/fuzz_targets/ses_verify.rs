//! The whole signature verifier on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let opts = eseal::ses::VerifyOptions::default();
    let _ = eseal::ses::verify_signature(data, eseal::ses::DataCheck::Data(b"x"), Some("/Doc_0/Signs/Sign_0/Signature.xml"), "f", &opts);
    let _ = eseal::ses::verify_seal_bytes(data, "f", &opts);
});
