//! The software UKey's state file: one JSON document per device.
//!
//! This is a test fixture, not a keystore: private keys and PIN salts sit in the file in clear
//! (the PINs themselves are stored as salted SM3 hashes). Every change — including every PIN
//! attempt — is written at once with temp file + rename, so a lock-out survives a restart as it
//! does on hardware.

use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};
use std::path::Path;

/// The state file format tag.
pub const FORMAT: &str = "eseal-soft-ukey/1";

/// Errors of provisioning and of reading or writing a state file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("soft UKey state file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("soft UKey state file {path} is not valid: {msg}")]
    Format { path: String, msg: String },
    #[error("invalid soft UKey parameter: {0}")]
    Param(String),
}

/// Switches that reproduce the documented vendor differences (research note §1.2, §1.4, §1.5).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Quirks {
    /// Behave like a vendor LP64 build with `typedef unsigned long ULONG` (64-bit): `ULONG*`
    /// out-parameters and in/out sizes are 8 bytes, `DEVINFO` is 326 bytes, `ECCPUBLICKEYBLOB`
    /// 136, `FILEATTRIBUTE` 56. By-value `ULONG` arguments stay 32-bit in the exported
    /// signatures, which an LP64 caller passing 64-bit values reaches through the low half of
    /// the register (x86_64 SysV, AAPCS64).
    pub ulong64: bool,
    /// The SM2 signature algorithm ID this device uses: reported in `DEVINFO.AlgAsymCap` and the
    /// only one `SKF_GenECCKeyPair` accepts. `None`: report 0x00020100 and accept both
    /// 0x00020100 (SKF vendor headers) and 0x00020200 (GM/T 0006 / SDF headers).
    pub sm2_alg_id: Option<u32>,
    /// What the `SKF_VerifyPIN` that uses up the last try returns.
    pub pin_lock_report: PinLockReport,
    /// `DEVINFO.MaxBufferSize`: most bytes per `SKF_ReadFile`/`SKF_WriteFile` call.
    pub max_buffer_size: u32,
    /// `SKF_ExportCertificate` returns PEM instead of DER (as GmSSL's dummy engine does).
    pub cert_pem: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            ulong64: false,
            sm2_alg_id: None,
            pin_lock_report: PinLockReport::Locked,
            max_buffer_size: 1024,
            cert_pem: false,
        }
    }
}

/// Vendors differ on whether the wrong PIN that reaches 0 tries reports LOCKED or INCORRECT.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PinLockReport {
    /// `SAR_PIN_LOCKED` with a retry count of 0.
    Locked,
    /// `SAR_PIN_INCORRECT` with a retry count of 0 (later attempts return `SAR_PIN_LOCKED`).
    IncorrectZero,
}

/// A PIN: salted SM3 hash and its retry counter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pin {
    pub salt: String,
    pub hash: String,
    pub max_retries: u32,
    pub remaining: u32,
    #[serde(default)]
    pub is_default: bool,
}

impl Pin {
    pub fn new(pin: &str, max_retries: u32) -> Result<Pin, StateError> {
        check_pin_len(pin)?;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| StateError::Param(format!("no randomness: {e}")))?;
        Ok(Pin {
            salt: hex::encode(salt),
            hash: hex::encode(pin_hash(&salt, pin)),
            max_retries,
            remaining: max_retries,
            is_default: false,
        })
    }
    pub fn matches(&self, pin: &str) -> bool {
        let Ok(salt) = hex::decode(&self.salt) else {
            return false;
        };
        hex::encode(pin_hash(&salt, pin)) == self.hash
    }
}

fn pin_hash(salt: &[u8], pin: &str) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(salt);
    h.update(pin.as_bytes());
    h.finalize().into()
}

/// PIN length rule of this device: 6 to 16 characters (`SAR_PIN_LEN_RANGE` otherwise).
pub fn check_pin_len(pin: &str) -> Result<(), StateError> {
    if (6..=16).contains(&pin.len()) {
        Ok(())
    } else {
        Err(StateError::Param("a PIN has 6 to 16 characters".into()))
    }
}

/// A file in an application (GM/T 0016 §7.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub read_rights: u32,
    pub write_rights: u32,
    /// Hex of the content; its length is the fixed size given at creation.
    pub data: String,
}

/// A container holding an SM2 signing key pair and certificate (and optionally the encryption pair).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Container {
    pub name: String,
    /// Hex of the 32-byte SM2 private key d, if a key pair exists.
    #[serde(default)]
    pub sign_key: Option<String>,
    #[serde(default)]
    pub sign_cert: Option<String>,
    #[serde(default)]
    pub enc_key: Option<String>,
    #[serde(default)]
    pub enc_cert: Option<String>,
}

/// An application: PINs, files, containers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    pub admin_pin: Pin,
    pub user_pin: Pin,
    pub create_file_rights: u32,
    #[serde(default)]
    pub files: Vec<File>,
    #[serde(default)]
    pub containers: Vec<Container>,
}

/// One device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub format: String,
    pub serial: String,
    pub label: String,
    #[serde(default = "default_present")]
    pub present: bool,
    #[serde(default = "default_total_space")]
    pub total_space: u32,
    #[serde(default)]
    pub quirks: Quirks,
    pub applications: Vec<Application>,
}

fn default_present() -> bool {
    true
}
fn default_total_space() -> u32 {
    65536
}

impl State {
    /// The device name `SKF_EnumDev` lists.
    pub fn device_name(&self) -> String {
        format!("eseal-soft-ukey-{}", self.serial)
    }

    pub fn load(path: &Path) -> Result<State, StateError> {
        let bytes = std::fs::read(path).map_err(|e| StateError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let st: State = serde_json::from_slice(&bytes).map_err(|e| StateError::Format {
            path: path.display().to_string(),
            msg: e.to_string(),
        })?;
        if st.format != FORMAT {
            return Err(StateError::Format {
                path: path.display().to_string(),
                msg: format!("format is {:?}, expected {FORMAT:?}", st.format),
            });
        }
        Ok(st)
    }

    /// Writes the state atomically (temp file in the same directory, then rename).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |e| StateError::Io {
            path: path.display().to_string(),
            source: e,
        };
        let json = serde_json::to_vec_pretty(self).map_err(|e| StateError::Param(e.to_string()))?;
        let mut tmp = path.as_os_str().to_owned();
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        tmp.push(format!(
            ".tmp{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    pub fn used_space(&self) -> u32 {
        let n: usize = self
            .applications
            .iter()
            .flat_map(|a| a.files.iter())
            .map(|f| f.data.len() / 2)
            .sum();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// What `eseal ukey init` (or a test) puts on a new software UKey.
#[derive(Debug, Clone)]
pub struct Provision {
    pub serial: String,
    pub label: String,
    pub application: String,
    pub container: String,
    pub user_pin: String,
    pub admin_pin: String,
    pub max_retries: u32,
    /// The 32-byte SM2 private key d of the signing pair.
    pub sign_key: [u8; 32],
    /// DER of the signing certificate.
    pub sign_cert: Vec<u8>,
    pub quirks: Quirks,
}

impl Provision {
    pub fn to_state(&self) -> Result<State, StateError> {
        if self.serial.is_empty() || self.serial.len() > 32 || self.label.len() > 32 {
            return Err(StateError::Param(
                "serial is 1 to 32 bytes, label at most 32".into(),
            ));
        }
        if self.application.is_empty()
            || self.application.len() > 32
            || self.container.is_empty()
            || self.container.len() > 64
        {
            return Err(StateError::Param(
                "application name is 1 to 32 bytes, container name 1 to 64".into(),
            ));
        }
        if self.max_retries == 0 || self.max_retries > 15 {
            return Err(StateError::Param("PIN retries are 1 to 15".into()));
        }
        sm2::dsa::SigningKey::from_slice(crate::DEFAULT_ID, &self.sign_key)
            .map_err(|_| StateError::Param("not a valid SM2 private key".into()))?;
        Ok(State {
            format: FORMAT.into(),
            serial: self.serial.clone(),
            label: self.label.clone(),
            present: true,
            total_space: default_total_space(),
            quirks: self.quirks.clone(),
            applications: vec![Application {
                name: self.application.clone(),
                admin_pin: Pin::new(&self.admin_pin, self.max_retries)?,
                user_pin: Pin::new(&self.user_pin, self.max_retries)?,
                create_file_rights: crate::abi::SECURE_USER_ACCOUNT,
                files: vec![],
                containers: vec![Container {
                    name: self.container.clone(),
                    sign_key: Some(hex::encode(self.sign_key)),
                    sign_cert: Some(hex::encode(&self.sign_cert)),
                    enc_key: None,
                    enc_cert: None,
                }],
            }],
        })
    }

    /// Creates the state file (refuses to overwrite an existing one).
    pub fn create(&self, path: &Path) -> Result<(), StateError> {
        if path.exists() {
            return Err(StateError::Param(format!(
                "{} exists already",
                path.display()
            )));
        }
        self.to_state()?.save(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provision() -> Provision {
        Provision {
            serial: "T1".into(),
            label: "L".into(),
            application: "APP".into(),
            container: "C".into(),
            user_pin: "123456".into(),
            admin_pin: "12345678".into(),
            max_retries: 3,
            sign_key: [7u8; 32],
            sign_cert: vec![0x30, 0x00],
            quirks: Quirks::default(),
        }
    }

    #[test]
    fn provision_saves_and_loads_with_hashed_pins() {
        let dir = std::env::temp_dir().join(format!("soft-ukey-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.json");
        let _ = std::fs::remove_file(&path);
        provision().create(&path).unwrap();
        assert!(provision().create(&path).is_err(), "never overwrites");
        let st = State::load(&path).unwrap();
        let pin = &st.applications[0].user_pin;
        assert!(pin.matches("123456") && !pin.matches("123457"));
        assert_eq!((pin.max_retries, pin.remaining), (3, 3));
        assert!(
            !std::fs::read_to_string(&path).unwrap().contains("123456\""),
            "the PIN is not stored in clear"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn provision_rejects_bad_parameters() {
        assert!(
            Provision {
                user_pin: "123".into(),
                ..provision()
            }
            .to_state()
            .is_err()
        );
        assert!(
            Provision {
                max_retries: 0,
                ..provision()
            }
            .to_state()
            .is_err()
        );
        assert!(
            Provision {
                sign_key: [0u8; 32],
                ..provision()
            }
            .to_state()
            .is_err()
        );
        assert!(
            Provision {
                serial: "x".repeat(33),
                ..provision()
            }
            .to_state()
            .is_err()
        );
    }
}
