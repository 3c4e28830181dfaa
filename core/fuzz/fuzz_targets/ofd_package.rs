//! cargo-fuzz target `ofd_package`: see `targets::ofd_package` (shared with the stable regression test).
#![no_main]
#[path = "../targets.rs"]
mod targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::ofd_package(data));
