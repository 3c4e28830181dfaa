//! Certificates, keys and SM2 signature values on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = eseal::crypto::Certificate::parse(data);
    let _ = eseal::crypto::sm2::PrivateKey::parse(data);
    let _ = eseal::crypto::sm2::PublicKey::parse(data);
    let _ = eseal::crypto::sm2::Signature::parse_lenient(data);
});
