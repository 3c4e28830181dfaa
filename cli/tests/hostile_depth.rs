//! Deeply nested signatures from outside (issue 21): `eseal pdf verify` / `ofd verify` on a
//! PDF whose /Contents and an OFD whose SignedValue.dat is a CMS with twenty thousand nested
//! constructed OCTET STRINGs once aborted with a stack overflow (exit 134). They must end
//! with the ordinary "invalid" status and a named reason.

use std::path::Path;
use std::process::Command;

fn verify(kind: &str, file: &str) -> (i32, String) {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/fuzz/regressions")
        .join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args([kind, "verify"])
        .arg(&f)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn deep_cms_in_a_pdf_is_an_invalid_signature_not_a_crash() {
    let (code, text) = verify("pdf", "pdf_verify/deep-cms-contents.pdf");
    assert!(code == 1 || code == 2, "exit {code}: {text}");
    assert!(text.contains("nesting deeper than 64"), "{text}");
}

#[test]
fn deep_cms_in_an_ofd_is_an_invalid_signature_not_a_crash() {
    // Not a CMS eseal can read, so it is then read as an SES_Signature, which it is not.
    let (code, text) = verify("ofd", "ofd_package/deep-signed-value.ofd");
    assert!(code == 1 || code == 2, "exit {code}: {text}");
    assert!(text.contains("SignedValue.dat"), "{text}");
}

#[test]
fn deep_arrays_in_a_pdf_signature_dictionary_are_refused() {
    let (code, text) = verify("pdf", "pdf_verify/deep-array-in-signature-dictionary.pdf");
    assert!(code == 1 || code == 2, "exit {code}: {text}");
    assert!(text.contains("objects nested too deeply"), "{text}");
}
