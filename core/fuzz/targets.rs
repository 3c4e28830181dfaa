//! What each fuzz target does with its input, shared by the cargo-fuzz binaries
//! (`fuzz_targets/*.rs`, nightly) and the regression test on stable
//! (`core/tests/fuzz_regressions.rs`, which replays `core/fuzz/regressions/TARGET/*`).
//! Each function must return normally on any input: an error is fine, a panic, an abort or
//! unbounded work is a finding.
#![allow(dead_code)]

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target, by name (the cargo-fuzz binary and the regression folder share it).
pub const TARGETS: &[(&str, Target)] = &[
    ("ses_parse", ses_parse),
    ("ses_verify", ses_verify),
    ("certificate", certificate),
    ("cms", cms),
    ("pdf_verify", pdf_verify),
    ("ofd_package", ofd_package),
    ("stamp_import", stamp_import),
    ("keyword_text", keyword_text),
    ("open_auth", open_auth),
];

/// Seal and signature parsers (GB/T 38540): errors, never panics.
pub fn ses_parse(data: &[u8]) {
    let _ = eseal::ses::Seal::from_der(data);
    let _ = eseal::ses::SesSignature::from_der(data);
    if let Ok(t) = eseal::asn1::Tlv::parse_exact(data, "fuzz") {
        let _ = walk(&t);
    }
}

/// Walks every constructed element as the parsers do; bounded by `asn1::MAX_DEPTH`.
fn walk(t: &eseal::asn1::Tlv<'_>) -> Result<(), eseal::asn1::Asn1Error> {
    if t.is_constructed() {
        for c in t.children().all("fuzz")? {
            walk(&c)?;
        }
    }
    Ok(())
}

/// The whole SES verifier, as a seal and as a signature.
pub fn ses_verify(data: &[u8]) {
    let opts = eseal::validation::VerifyOptions::default();
    let _ = eseal::ses::verify_signature(
        data,
        eseal::ses::DataCheck::Data(b"x"),
        Some("/Doc_0/Signs/Sign_0/Signature.xml"),
        "f",
        &opts,
    );
    let _ = eseal::ses::verify_seal_bytes(data, "f", &opts);
}

/// Certificates, keys and SM2 signature values.
pub fn certificate(data: &[u8]) {
    let _ = eseal::crypto::Certificate::parse(data);
    let _ = eseal::crypto::sm2::PrivateKey::parse(data);
    let _ = eseal::crypto::sm2::PublicKey::parse(data);
    let _ = eseal::crypto::sm2::Signature::parse_lenient(data);
}

/// CMS SignedData (PDF /Contents, OFD SignedValue.dat of type "sign") and its signer check.
pub fn cms(data: &[u8]) {
    let _ = eseal::cms::content_type(data);
    if let Ok(sd) = eseal::cms::parse(data) {
        for si in &sd.signers {
            let _ = si.check_digest(None);
            let _ = si.find_cert(&sd.certificates);
        }
    }
}

/// The PDF verifier: incremental-update reader (xref tables and streams, /Prev chains,
/// object streams), change rules, byte ranges and the CMS inside.
pub fn pdf_verify(data: &[u8]) {
    // Unusable input is an error; a report without trust anchors is never fully valid.
    if let Ok(r) = eseal::pdf::verify(data, "f", &eseal::validation::VerifyOptions::default()) {
        assert!(r.exit_code() != 0);
    }
}

/// The OFD package reader (strict ZIP container, bounds), inspection and the verifier.
pub fn ofd_package(data: &[u8]) {
    if let Ok(pkg) = eseal::ofd::Package::from_bytes(data.to_vec()) {
        let _ = eseal::ofd::inspect(&pkg);
        let _ = eseal::ofd::verify(
            &pkg,
            "fuzz.ofd",
            &eseal::validation::VerifyOptions::default(),
        );
        // What we write must read back under the same strict rules.
        if let Ok(out) = pkg.to_bytes_with(&Default::default()) {
            assert!(eseal::ofd::Package::from_bytes(out).is_ok());
        }
    }
}

/// Stamp picture import (jpg/png/gif with pixel and allocation limits).
pub fn stamp_import(data: &[u8]) {
    let opts = eseal::stamp::import::ImportOptions {
        max_input_pixels: 1 << 20,
        ..Default::default()
    };
    let _ = eseal::stamp::import::import(data, &opts);
    let _ = eseal::stamp::import::png_picture(data, 300.0);
}

/// Keyword text extraction (placement by keyword) over a PDF or an OFD: fonts, ToUnicode
/// CMaps, content streams and nested forms, OFD text objects.
pub fn keyword_text(data: &[u8]) {
    let kw = eseal::placement::Keyword::new("合同");
    if data.starts_with(b"%PDF") {
        let _ = eseal::pdf::find_text(data, &kw);
    } else if let Ok(pkg) = eseal::ofd::Package::from_bytes(data.to_vec()) {
        let _ = eseal::ofd::find_text(&pkg, &kw);
    }
}

/// The open API's native `Authorization` header (`ESEAL-HMAC-SM3 Credential=…, …`), as the
/// server reads it from every app request, and the canonical request built from its fields.
pub fn open_auth(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = eseal::platform::openapi::NativeAuth::parse(header) {
        assert!((16..=64).contains(&a.nonce.len()));
        let _ = eseal::platform::openapi::canonical_request(
            "post",
            "/open/v1/documents",
            &a.signature,
            &a.token,
            &a.timestamp,
            &a.nonce,
        );
    }
}
