//! Helpers for the ukey tests: a private copy of the software UKey library with its own devices.
#![allow(dead_code)]

use eseal::crypto::testca::TestCa;
use eseal_soft_ukey::state::{Provision, Quirks, State};
use std::path::{Path, PathBuf};

pub const USER_PIN: &str = "123456";
pub const ADMIN_PIN: &str = "admin-8888";
pub const APP: &str = "ESEAL";
pub const CONTAINER: &str = "SM2-SIGN";

/// The software UKey cdylib that cargo built beside this test binary (it is a dependency of
/// `eseal`, so `cargo test` builds it into `target/<profile>/deps`).
pub fn built_soft_ukey() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps folder");
    let name = libloading::library_filename("eseal_soft_ukey");
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let p = dir.join(&name);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "the software UKey library {} was not built next to {}",
        name.to_string_lossy(),
        deps.display()
    );
}

pub fn test_ca() -> TestCa {
    TestCa::new("eseal-ukey-tests").expect("test CA")
}

/// A folder holding a copy of the library (an independent instance: its own statics) and the
/// `.devices` file that lists its devices' state files.
pub struct SoftUkey {
    pub dir: PathBuf,
    pub lib: PathBuf,
}

impl SoftUkey {
    /// A new library copy in `dir` with the given devices (serial, quirks).
    pub fn new(dir: &Path, devices: &[(&str, Quirks)]) -> SoftUkey {
        let ca = test_ca();
        let mut paths = vec![];
        for (serial, quirks) in devices {
            let p = dir.join(format!("{serial}.json"));
            if !p.exists() {
                Provision {
                    serial: serial.to_string(),
                    label: format!("Key {serial}"),
                    application: APP.into(),
                    container: CONTAINER.into(),
                    user_pin: USER_PIN.into(),
                    admin_pin: ADMIN_PIN.into(),
                    max_retries: 5,
                    sign_key: ca.person.key.to_bytes(),
                    sign_cert: ca.person.cert.der().to_vec(),
                    quirks: quirks.clone(),
                }
                .create(&p)
                .expect("provision soft UKey");
            }
            paths.push(p);
        }
        Self::with_state_files(dir, &paths)
    }

    /// Another copy of the library (a "restart") over existing state files.
    pub fn with_state_files(dir: &Path, paths: &[PathBuf]) -> SoftUkey {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let lib = dir.join(format!(
            "copy{}-{}",
            N.fetch_add(1, Ordering::SeqCst),
            libloading::library_filename("eseal_soft_ukey").to_string_lossy()
        ));
        std::fs::copy(built_soft_ukey(), &lib).expect("copy the soft UKey library");
        let mut devices = lib.clone().into_os_string();
        devices.push(".devices");
        let list: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
        std::fs::write(PathBuf::from(devices), list).expect("write .devices");
        SoftUkey {
            dir: dir.to_path_buf(),
            lib,
        }
    }

    pub fn state_file(&self, serial: &str) -> PathBuf {
        self.dir.join(format!("{serial}.json"))
    }

    pub fn state(&self, serial: &str) -> State {
        State::load(&self.state_file(serial)).expect("state")
    }
}
