//! The shared library's SONAME: `libeseal_ffi.so.<major>` (for 0.x, `.so.0.<minor>`: minor
//! versions break the ABI before 1.0), so programs linked against one ABI do not load another.
//! `ffi/install.sh` installs the file under that name with the usual links.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libeseal_ffi.so.{abi}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
