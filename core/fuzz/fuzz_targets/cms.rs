//! cargo-fuzz target `cms`: see `targets::cms` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::cms(data));
