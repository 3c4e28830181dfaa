//! UKey access: the [`Token`] trait, a GM/T 0016-2012 (SKF) loader ([`skf`]), the identity a
//! whitelist keys on ([`identity`]) and the seals kept on a key ([`seals`]).
//!
//! The host computes e = SM3(Z‖M) (GM/T 0009) and the key signs e: the private key never
//! leaves the token. A PIN-verified container is a [`UkeySigner`].

pub mod agent;
pub mod identity;
pub mod seals;
mod signer;
#[allow(unsafe_code)]
pub mod skf;

pub use identity::{KeyIdentity, MatchRule};
pub use signer::UkeySigner;
pub use skf::{SkfConfig, SkfLibrary, UlongWidth};

/// Errors of the ukey room. SKF return codes are mapped to the cases a user can act on; the
/// rest keep the function name and the number.
#[derive(Debug, thiserror::Error)]
pub enum UkeyError {
    #[error("cannot load SKF library {path}: {reason}")]
    LibraryLoad { path: String, reason: String },
    #[error("SKF library {path} does not export {symbol}")]
    MissingSymbol { path: String, symbol: &'static str },
    #[error("no UKey {0:?} is present")]
    NoDevice(String),
    #[error("the UKey was removed")]
    DeviceRemoved,
    #[error("wrong PIN: {retries_left} tries left")]
    PinIncorrect { retries_left: u32 },
    #[error("the PIN is locked (no tries left); unblock it with the administrator PIN")]
    PinLocked,
    #[error("the PIN length is out of the range the UKey accepts")]
    PinLength,
    #[error("the PIN contains a NUL character")]
    PinInvalid,
    #[error("not logged in: verify the user PIN first")]
    NotLoggedIn,
    #[error("{0} not found on the UKey")]
    NotFound(String),
    #[error("{0} exists already on the UKey")]
    AlreadyExists(String),
    #[error("not enough free space on the UKey")]
    NoRoom,
    #[error("the SKF library does not support {0}")]
    NotSupported(&'static str),
    #[error("{function} failed: {name} (0x{code:08X})")]
    Skf {
        function: &'static str,
        code: u32,
        name: &'static str,
    },
    #[error("{function} failed with vendor code 0x{code:08X}")]
    Vendor { function: &'static str, code: u32 },
    #[error("the UKey returned malformed data: {0}")]
    BadData(String),
    /// The host's random number generator failed (session secrets, a software token).
    #[error("random number generator: {0}")]
    Random(getrandom::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, UkeyError>;

/// `DEVINFO` (GM/T 0016 §6.4.3) as read from the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// SKF interface version (major, minor).
    pub version: (u8, u8),
    pub manufacturer: String,
    pub issuer: String,
    pub label: String,
    /// `SerialNumber`: the hardware serial, one candidate for the whitelist's 通用实体唯一标识.
    pub serial: String,
    pub hw_version: (u8, u8),
    pub firmware_version: (u8, u8),
    pub alg_sym_cap: u32,
    pub alg_asym_cap: u32,
    pub alg_hash_cap: u32,
    pub dev_auth_alg_id: u32,
    pub total_space: u32,
    pub free_space: u32,
    pub max_ecc_buffer_size: u32,
    /// Most bytes per `ReadFile`/`WriteFile` call.
    pub max_buffer_size: u32,
    /// `AlgAsymCap` has one of the library's configured SM2 algorithm IDs.
    pub sm2: bool,
}

/// PIN kind (`ulPINType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinType {
    Admin,
    User,
}

/// `SKF_GetPINInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PinInfo {
    pub max_retries: u32,
    pub retries_left: u32,
    pub is_default: bool,
}

impl PinInfo {
    pub fn locked(&self) -> bool {
        self.retries_left == 0
    }
}

/// Container type (`SKF_GetContainerType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ContainerKind {
    Empty,
    Rsa,
    Sm2,
    Other(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContainerInfo {
    pub name: String,
    pub kind: ContainerKind,
}

/// File access rights (`SECURE_*_ACCOUNT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FileRights(pub u32);

impl FileRights {
    pub const NEVER: FileRights = FileRights(0x00);
    pub const ADMIN: FileRights = FileRights(0x01);
    pub const USER: FileRights = FileRights(0x10);
    pub const ANYONE: FileRights = FileRights(0xFF);
}

/// `FILEATTRIBUTE`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileInfo {
    pub name: String,
    pub size: u32,
    pub read_rights: FileRights,
    pub write_rights: FileRights,
}

/// A UKey library (one vendor driver, or a PKCS#11 module in the future): lists and connects
/// devices.
pub trait TokenLibrary: Send + Sync {
    /// Names of the devices present.
    fn enumerate(&self) -> Result<Vec<String>>;
    /// Connects to a device by name.
    fn connect(&self, device: &str) -> Result<Box<dyn Token>>;
}

/// A connected UKey. Applications and containers are addressed by name; the implementation
/// opens and caches the handles. Login state is per application, as on the device.
pub trait Token: Send {
    /// The device name it was connected by.
    fn name(&self) -> &str;
    fn info(&self) -> Result<DeviceInfo>;
    fn applications(&self) -> Result<Vec<String>>;
    fn pin_info(&mut self, app: &str, kind: PinType) -> Result<PinInfo>;
    /// Verifies a PIN: [`UkeyError::PinIncorrect`] with the tries left, [`UkeyError::PinLocked`].
    fn verify_pin(&mut self, app: &str, kind: PinType, pin: &str) -> Result<()>;
    fn change_pin(&mut self, app: &str, kind: PinType, old: &str, new: &str) -> Result<()>;
    /// Resets a locked user PIN with the administrator PIN (`SKF_UnblockPIN`).
    fn unblock_pin(&mut self, app: &str, admin_pin: &str, new_user_pin: &str) -> Result<()>;
    /// Ends the login (`SKF_ClearSecureState`).
    fn logout(&mut self, app: &str) -> Result<()>;
    fn containers(&mut self, app: &str) -> Result<Vec<ContainerInfo>>;
    /// DER of the signing (`sign = true`) or encryption certificate.
    fn certificate(&mut self, app: &str, container: &str, sign: bool) -> Result<Vec<u8>>;
    /// The signing public key, SEC1 uncompressed (04‖X‖Y).
    fn public_key(&mut self, app: &str, container: &str) -> Result<[u8; 65]>;
    /// Signs e = SM3(Z‖M) with the container's SM2 signing key; returns r‖s.
    fn sign_digest(&mut self, app: &str, container: &str, e: &[u8; 32]) -> Result<[u8; 64]>;
    /// Creates an empty container (user PIN verified).
    fn create_container(&mut self, app: &str, container: &str) -> Result<()>;
    /// Generates the container's SM2 signing key pair on the key (the private key never
    /// leaves it) with the device's SM2 algorithm ID; returns the public key (04‖X‖Y).
    fn generate_sm2_key(&mut self, app: &str, container: &str) -> Result<[u8; 65]>;
    /// Stores a certificate (DER) in the container: signing (`sign = true`) or encryption.
    fn import_certificate(
        &mut self,
        app: &str,
        container: &str,
        sign: bool,
        der: &[u8],
    ) -> Result<()>;
    fn files(&mut self, app: &str) -> Result<Vec<FileInfo>>;
    fn read_file(&mut self, app: &str, name: &str) -> Result<Vec<u8>>;
    /// Creates (or re-creates, when it exists with another size) a file and writes `data`.
    fn write_file(
        &mut self,
        app: &str,
        name: &str,
        data: &[u8],
        read: FileRights,
        write: FileRights,
    ) -> Result<()>;
    fn delete_file(&mut self, app: &str, name: &str) -> Result<()>;
    fn random(&self, len: usize) -> Result<Vec<u8>>;
}

/// The first SM2 container of an application (an SM2 key pair and its signing certificate).
pub fn find_sm2_container(token: &mut dyn Token, app: &str) -> Result<String> {
    token
        .containers(app)?
        .into_iter()
        .find(|c| c.kind == ContainerKind::Sm2)
        .map(|c| c.name)
        .ok_or_else(|| UkeyError::NotFound(format!("an SM2 container in application {app:?}")))
}
