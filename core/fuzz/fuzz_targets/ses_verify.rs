//! cargo-fuzz target `ses_verify`: see `targets::ses_verify` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::ses_verify(data));
