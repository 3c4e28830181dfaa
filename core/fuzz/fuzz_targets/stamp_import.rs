//! cargo-fuzz target `stamp_import`: see `targets::stamp_import` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::stamp_import(data));
