//! cargo-fuzz target `ses_parse`: see `targets::ses_parse` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::ses_parse(data));
