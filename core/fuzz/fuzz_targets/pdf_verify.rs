//! cargo-fuzz target `pdf_verify`: see `targets::pdf_verify` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::pdf_verify(data));
