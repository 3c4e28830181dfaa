//! placeholder
pub struct PdfVerifyOptions;
pub fn verify() {}
pub fn verify_file() {}
