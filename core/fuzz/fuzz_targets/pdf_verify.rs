//! The PDF verifier (revision reader, change rules, byte ranges) on arbitrary bytes. Seed it
//! with signed files, e.g. the tamper corpus: `ESEAL_TAMPER_DUMP=corpus/pdf_verify cargo test
//! -p eseal --test pdf_tamper`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let r = eseal::pdf::verify(data, "f", &eseal::ses::VerifyOptions::default());
    // Without trust anchors nothing is ever fully valid.
    assert!(r.exit_code(true) != 0);
});
