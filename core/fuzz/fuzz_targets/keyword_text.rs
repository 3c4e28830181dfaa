//! cargo-fuzz target `keyword_text`: see `targets::keyword_text` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::keyword_text(data));
