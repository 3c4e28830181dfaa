//! cargo-fuzz target `open_auth`: see `targets::open_auth` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::open_auth(data));
