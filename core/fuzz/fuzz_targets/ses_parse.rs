//! Seal and signature parsers on arbitrary bytes: errors, never panics or unbounded work.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = eseal::ses::Seal::from_der(data);
    let _ = eseal::ses::SesSignature::from_der(data);
    let _ = eseal::asn1::Tlv::parse_exact(data, "fuzz");
});
