//! GM/T 0016-2012 (SKF) loader: loads a vendor library by path with `libloading` and calls its
//! C functions. **The only module of `eseal` with `unsafe` code**; every block says why it holds.
//!
//! Vendor differences are settings of the loaded library ([`SkfConfig`]), not code forks:
//!
//! - **ULONG width** ([`UlongWidth`]): the spec's `ULONG` is 32-bit; some vendor LP64 builds use
//!   `unsigned long` (64-bit). The function table is built for the configured width: `ULONG` and
//!   `BOOL` arguments, `ULONG*` out-parameters and the structures (`DEVINFO` 294/326 bytes,
//!   `ECCPUBLICKEYBLOB` 132/136, `FILEATTRIBUTE` 44/56) follow it. Return codes are read as
//!   32-bit either way. A public-key blob whose length does not match the setting is reported
//!   as such.
//! - **SM2 algorithm ID** (0x00020100 in SKF vendor headers, 0x00020200 in GM/T 0006/SDF ones):
//!   [`SkfConfig::sm2_alg_ids`], tested against `DEVINFO.AlgAsymCap`.
//! - **PIN lock-out report**: `SAR_PIN_LOCKED`, and `SAR_PIN_INCORRECT` with 0 tries left, both
//!   mean locked.
//!
//! Calling convention: `extern "system"` (stdcall on 32-bit Windows, C elsewhere).

use super::{
    ContainerInfo, ContainerKind, DeviceInfo, FileInfo, FileRights, PinInfo, PinType, Result,
    Token, TokenLibrary, UkeyError,
};
use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

// ------------------------------------------------------------------ constants (§6.4, Appendix A)

pub const SAR_OK: u32 = 0;
const SAR_NAMES: &[(u32, &str)] = &[
    (0x0A00_0001, "SAR_FAIL"),
    (0x0A00_0002, "SAR_UNKNOWNERR"),
    (0x0A00_0003, "SAR_NOTSUPPORTYETERR"),
    (0x0A00_0004, "SAR_FILEERR"),
    (0x0A00_0005, "SAR_INVALIDHANDLEERR"),
    (0x0A00_0006, "SAR_INVALIDPARAMERR"),
    (0x0A00_0007, "SAR_READFILEERR"),
    (0x0A00_0008, "SAR_WRITEFILEERR"),
    (0x0A00_0009, "SAR_NAMELENERR"),
    (0x0A00_000A, "SAR_KEYUSAGEERR"),
    (0x0A00_000B, "SAR_MODULUSLENERR"),
    (0x0A00_000C, "SAR_NOTINITIALIZEERR"),
    (0x0A00_000D, "SAR_OBJERR"),
    (0x0A00_000E, "SAR_MEMORYERR"),
    (0x0A00_000F, "SAR_TIMEOUTERR"),
    (0x0A00_0010, "SAR_INDATALENERR"),
    (0x0A00_0011, "SAR_INDATAERR"),
    (0x0A00_0012, "SAR_GENRANDERR"),
    (0x0A00_0013, "SAR_HASHOBJERR"),
    (0x0A00_0014, "SAR_HASHERR"),
    (0x0A00_0015, "SAR_GENRSAKEYERR"),
    (0x0A00_0016, "SAR_RSAMODULUSLENERR"),
    (0x0A00_0017, "SAR_CSPIMPRTPUBKEYERR"),
    (0x0A00_0018, "SAR_RSAENCERR"),
    (0x0A00_0019, "SAR_RSADECERR"),
    (0x0A00_001A, "SAR_HASHNOTEQUALERR"),
    (0x0A00_001B, "SAR_KEYNOTFOUNTERR"),
    (0x0A00_001C, "SAR_CERTNOTFOUNTERR"),
    (0x0A00_001D, "SAR_NOTEXPORTERR"),
    (0x0A00_001E, "SAR_DECRYPTPADERR"),
    (0x0A00_001F, "SAR_MACLENERR"),
    (0x0A00_0020, "SAR_BUFFER_TOO_SMALL"),
    (0x0A00_0021, "SAR_KEYINFOTYPEERR"),
    (0x0A00_0022, "SAR_NOT_EVENTERR"),
    (0x0A00_0023, "SAR_DEVICE_REMOVED"),
    (0x0A00_0024, "SAR_PIN_INCORRECT"),
    (0x0A00_0025, "SAR_PIN_LOCKED"),
    (0x0A00_0026, "SAR_PIN_INVALID"),
    (0x0A00_0027, "SAR_PIN_LEN_RANGE"),
    (0x0A00_0028, "SAR_USER_ALREADY_LOGGED_IN"),
    (0x0A00_0029, "SAR_USER_PIN_NOT_INITIALIZED"),
    (0x0A00_002A, "SAR_USER_TYPE_INVALID"),
    (0x0A00_002B, "SAR_APPLICATION_NAME_INVALID"),
    (0x0A00_002C, "SAR_APPLICATION_EXISTS"),
    (0x0A00_002D, "SAR_USER_NOT_LOGGED_IN"),
    (0x0A00_002E, "SAR_APPLICATION_NOT_EXISTS"),
    (0x0A00_002F, "SAR_FILE_ALREADY_EXIST"),
    (0x0A00_0030, "SAR_NO_ROOM"),
    (0x0A00_0031, "SAR_FILE_NOT_EXIST"),
    (0x0A00_0032, "SAR_REACH_MAX_CONTAINER_COUNT"),
];
const SAR_NOTSUPPORTYETERR: u32 = 0x0A00_0003;
const SAR_BUFFER_TOO_SMALL: u32 = 0x0A00_0020;
const SAR_DEVICE_REMOVED: u32 = 0x0A00_0023;
const SAR_PIN_INCORRECT: u32 = 0x0A00_0024;
const SAR_PIN_LOCKED: u32 = 0x0A00_0025;
const SAR_PIN_INVALID: u32 = 0x0A00_0026;
const SAR_PIN_LEN_RANGE: u32 = 0x0A00_0027;
const SAR_USER_NOT_LOGGED_IN: u32 = 0x0A00_002D;
const SAR_APPLICATION_NOT_EXISTS: u32 = 0x0A00_002E;
const SAR_FILE_ALREADY_EXIST: u32 = 0x0A00_002F;
const SAR_NO_ROOM: u32 = 0x0A00_0030;
const SAR_FILE_NOT_EXIST: u32 = 0x0A00_0031;

/// The standard name of an SKF return code, if it is one of GM/T 0016's (vendors extend the
/// range above 0x0A000032 in incompatible ways).
pub fn sar_name(code: u32) -> Option<&'static str> {
    SAR_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

fn check(function: &'static str, code: u32) -> Result<()> {
    match code {
        SAR_OK => Ok(()),
        SAR_NOTSUPPORTYETERR => Err(UkeyError::NotSupported(function)),
        SAR_DEVICE_REMOVED => Err(UkeyError::DeviceRemoved),
        SAR_PIN_LOCKED => Err(UkeyError::PinLocked),
        SAR_PIN_LEN_RANGE => Err(UkeyError::PinLength),
        SAR_PIN_INVALID => Err(UkeyError::PinInvalid),
        SAR_USER_NOT_LOGGED_IN => Err(UkeyError::NotLoggedIn),
        SAR_NO_ROOM => Err(UkeyError::NoRoom),
        c => match sar_name(c) {
            Some(name) => Err(UkeyError::Skf {
                function,
                code: c,
                name,
            }),
            None => Err(UkeyError::Vendor { function, code: c }),
        },
    }
}

const ADMIN_TYPE: u64 = 0;
const USER_TYPE: u64 = 1;
pub const SGD_SM2_1_SKF: u32 = 0x0002_0100;
pub const SGD_SM2_1_GMT0006: u32 = 0x0002_0200;

// ------------------------------------------------------------------ settings

/// Width of the library's `ULONG` (and `BOOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UlongWidth {
    /// The spec: 32-bit (every Windows build, most Linux builds).
    #[default]
    U32,
    /// A vendor LP64 build with `typedef unsigned long ULONG`.
    U64,
}

/// Settings of one loaded vendor library.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SkfConfig {
    pub ulong_width: UlongWidth,
    /// The values `DEVINFO.AlgAsymCap` may use for SM2 signatures.
    pub sm2_alg_ids: Vec<u32>,
}

impl Default for SkfConfig {
    fn default() -> Self {
        SkfConfig {
            ulong_width: UlongWidth::U32,
            sm2_alg_ids: vec![SGD_SM2_1_SKF, SGD_SM2_1_GMT0006],
        }
    }
}

// ------------------------------------------------------------------ the function table

/// A `ULONG` of the library's width.
trait Ulong: Copy + Default + Send + Sync + 'static {
    const SIZE: usize;
    fn from_u64(v: u64) -> Self;
    fn to_u64(self) -> u64;
}
impl Ulong for u32 {
    const SIZE: usize = 4;
    fn from_u64(v: u64) -> Self {
        v as u32
    }
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
}
impl Ulong for u64 {
    const SIZE: usize = 8;
    fn from_u64(v: u64) -> Self {
        v
    }
    fn to_u64(self) -> u64 {
        self
    }
}

type H = *mut c_void;
type Str = *const c_char;
type Buf = *mut u8;

macro_rules! skf_api {
    (required { $($name:ident = $sym:literal ($($arg:ty),*);)* } optional { $($oname:ident = $osym:literal ($($oarg:ty),*);)* }) => {
        /// Function pointers resolved from the library, for a `ULONG` type `U` (`BOOL` = `U`).
        struct Api<U: Ulong> {
            $($name: unsafe extern "system" fn($($arg),*) -> U,)*
            $($oname: Option<unsafe extern "system" fn($($oarg),*) -> U>,)*
        }
        impl<U: Ulong> Api<U> {
            fn resolve(lib: &libloading::Library, path: &Path) -> Result<Self> {
                Ok(Api {
                    $($name: {
                        // SAFETY: the symbol is a GM/T 0016 function; its type is the standard's
                        // prototype with ULONG/BOOL of the configured width. The pointer is used
                        // only while `lib` is alive (Lib keeps both together).
                        let s = unsafe { lib.get::<unsafe extern "system" fn($($arg),*) -> U>(concat!($sym, "\0").as_bytes()) };
                        *s.map_err(|_| UkeyError::MissingSymbol { path: path.display().to_string(), symbol: $sym })?
                    },)*
                    $($oname: {
                        // SAFETY: as above, for a function the loader can do without.
                        let s = unsafe { lib.get::<unsafe extern "system" fn($($oarg),*) -> U>(concat!($osym, "\0").as_bytes()) };
                        s.ok().map(|s| *s)
                    },)*
                })
            }
        }
    };
}

skf_api! {
    required {
        enum_dev = "SKF_EnumDev" (U, *mut c_char, *mut U);
        connect_dev = "SKF_ConnectDev" (Str, *mut H);
        disconnect_dev = "SKF_DisConnectDev" (H);
        get_dev_info = "SKF_GetDevInfo" (H, *mut u8);
        enum_application = "SKF_EnumApplication" (H, *mut c_char, *mut U);
        open_application = "SKF_OpenApplication" (H, Str, *mut H);
        close_application = "SKF_CloseApplication" (H);
        verify_pin = "SKF_VerifyPIN" (H, U, Str, *mut U);
        enum_container = "SKF_EnumContainer" (H, *mut c_char, *mut U);
        open_container = "SKF_OpenContainer" (H, Str, *mut H);
        close_container = "SKF_CloseContainer" (H);
        export_certificate = "SKF_ExportCertificate" (H, U, Buf, *mut U);
        export_public_key = "SKF_ExportPublicKey" (H, U, Buf, *mut U);
        ecc_sign_data = "SKF_ECCSignData" (H, *const u8, U, *mut u8);
    }
    optional {
        change_pin = "SKF_ChangePIN" (H, U, Str, Str, *mut U);
        get_pin_info = "SKF_GetPINInfo" (H, U, *mut U, *mut U, *mut U);
        clear_secure_state = "SKF_ClearSecureState" (H);
        get_container_type = "SKF_GetContainerType" (H, *mut U);
        gen_random = "SKF_GenRandom" (H, Buf, U);
        enum_files = "SKF_EnumFiles" (H, *mut c_char, *mut U);
        get_file_info = "SKF_GetFileInfo" (H, Str, *mut u8);
        create_file = "SKF_CreateFile" (H, Str, U, U, U);
        delete_file = "SKF_DeleteFile" (H, Str);
        read_file = "SKF_ReadFile" (H, Str, U, U, Buf, *mut U);
        write_file = "SKF_WriteFile" (H, Str, U, *const u8, U);
        unblock_pin = "SKF_UnblockPIN" (H, Str, Str, *mut U);
        create_container = "SKF_CreateContainer" (H, Str, *mut H);
        gen_ecc_key_pair = "SKF_GenECCKeyPair" (H, U, *mut u8);
        import_certificate = "SKF_ImportCertificate" (H, U, *const u8, U);
    }
}

/// A NUL-terminated copy of a name or PIN, wiped on drop (PINs must not linger in memory).
struct CBuf(Vec<u8>);
impl CBuf {
    fn new(b: &[u8]) -> Result<CBuf> {
        if b.contains(&0) {
            return Err(UkeyError::Invalid(
                "a name or PIN contains a NUL byte".into(),
            ));
        }
        let mut v = b.to_vec();
        v.push(0);
        Ok(CBuf(v))
    }
    fn ptr(&self) -> Str {
        self.0.as_ptr() as Str
    }
}
impl Drop for CBuf {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so the wipe is not optimised away.
            // SAFETY: `b` is a valid, exclusive reference into our own buffer.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

/// Multi-string name list: NUL-terminated names, ended by an empty name or the reported size.
fn parse_name_list(buf: &[u8]) -> Vec<Vec<u8>> {
    buf.split(|b| *b == 0)
        .take_while(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Text field of a structure: up to the first NUL or 0xFF, trailing spaces trimmed.
fn text(b: &[u8]) -> String {
    let end = b
        .iter()
        .position(|c| *c == 0 || *c == 0xFF)
        .unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim_end().to_string()
}

fn display_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

/// The width-specific operations, behind one object-safe trait.
trait Ops: Send + Sync {
    fn width(&self) -> usize;
    fn enum_dev(&self) -> Result<Vec<Vec<u8>>>;
    fn connect(&self, name: &[u8]) -> Result<usize>;
    fn disconnect(&self, h: usize) -> Result<()>;
    fn dev_info(&self, h: usize) -> Result<Vec<u8>>;
    fn enum_apps(&self, h: usize) -> Result<Vec<Vec<u8>>>;
    fn open_app(&self, h: usize, name: &[u8]) -> Result<usize>;
    fn close_app(&self, h: usize) -> Result<()>;
    fn verify_pin(&self, h: usize, kind: u64, pin: &str) -> Result<()>;
    fn change_pin(&self, h: usize, kind: u64, old: &str, new: &str) -> Result<()>;
    fn pin_info(&self, h: usize, kind: u64) -> Result<PinInfo>;
    fn clear_secure_state(&self, h: usize) -> Result<()>;
    fn enum_containers(&self, h: usize) -> Result<Vec<Vec<u8>>>;
    fn open_container(&self, h: usize, name: &[u8]) -> Result<usize>;
    fn close_container(&self, h: usize) -> Result<()>;
    fn container_type(&self, h: usize) -> Result<u64>;
    fn export_cert(&self, h: usize, sign: bool) -> Result<Vec<u8>>;
    fn export_pub(&self, h: usize) -> Result<Vec<u8>>;
    fn sign(&self, h: usize, e: &[u8; 32]) -> Result<[u8; 128]>;
    fn random(&self, h: usize, n: usize) -> Result<Vec<u8>>;
    fn enum_files(&self, h: usize) -> Result<Vec<Vec<u8>>>;
    fn file_info(&self, h: usize, name: &[u8]) -> Result<Vec<u8>>;
    fn create_file(&self, h: usize, name: &[u8], size: u32, read: u32, write: u32) -> Result<()>;
    fn delete_file(&self, h: usize, name: &[u8]) -> Result<()>;
    fn read_chunk(&self, h: usize, name: &[u8], offset: u32, size: u32) -> Result<Vec<u8>>;
    fn write_chunk(&self, h: usize, name: &[u8], offset: u32, data: &[u8]) -> Result<()>;
    fn unblock_pin(&self, h: usize, admin: &str, new_user: &str) -> Result<()>;
    fn create_container(&self, h: usize, name: &[u8]) -> Result<usize>;
    fn gen_ecc_key(&self, h: usize, alg_id: u32) -> Result<Vec<u8>>;
    fn import_cert(&self, h: usize, sign: bool, der: &[u8]) -> Result<()>;
}

fn code<U: Ulong>(r: U) -> u32 {
    // Return codes fit in 32 bits; a 64-bit vendor's upper half is ignored.
    r.to_u64() as u32
}

fn hp(h: usize) -> H {
    h as H
}

fn u<U: Ulong>(v: usize) -> Result<U> {
    let v = u64::try_from(v).map_err(|_| UkeyError::Invalid("size out of range".into()))?;
    if U::SIZE == 4 && v > u64::from(u32::MAX) {
        return Err(UkeyError::Invalid("size out of range".into()));
    }
    Ok(U::from_u64(v))
}

impl<U: Ulong> Api<U> {
    /// The two-call size protocol (GM/T 0016 §6.3): ask the size with a null buffer, then
    /// fill; grow on `SAR_BUFFER_TOO_SMALL`; fall back to a large buffer when the library
    /// refuses the null query.
    fn sized(
        &self,
        function: &'static str,
        mut call: impl FnMut(*mut u8, *mut U) -> U,
    ) -> Result<Vec<u8>> {
        let mut size = U::default();
        let first = code(call(std::ptr::null_mut(), &mut size));
        let mut cap = if first == SAR_OK {
            size.to_u64() as usize
        } else {
            8192
        };
        for _ in 0..4 {
            cap = cap.clamp(1, 1 << 20);
            let mut buf = vec![0u8; cap];
            let mut len = u::<U>(cap)?;
            let c = code(call(buf.as_mut_ptr(), &mut len));
            let n = len.to_u64() as usize;
            match c {
                SAR_OK => {
                    if n > cap {
                        return Err(UkeyError::BadData(format!(
                            "{function} reported {n} bytes in a {cap}-byte buffer"
                        )));
                    }
                    buf.truncate(n);
                    return Ok(buf);
                }
                SAR_BUFFER_TOO_SMALL if n > cap => cap = n,
                SAR_BUFFER_TOO_SMALL => cap *= 4,
                c => return check(function, c).map(|_| vec![]),
            }
        }
        Err(UkeyError::BadData(format!(
            "{function}: buffer size never settled"
        )))
    }

    fn opt<T>(f: Option<T>, name: &'static str) -> Result<T> {
        f.ok_or(UkeyError::NotSupported(name))
    }

    fn pin_call(&self, function: &'static str, c: u32, retries: U) -> Result<()> {
        match c {
            SAR_OK => Ok(()),
            // Vendors differ on whether the last wrong try reports INCORRECT with 0 or LOCKED:
            // both mean locked.
            SAR_PIN_INCORRECT if retries.to_u64() == 0 => Err(UkeyError::PinLocked),
            SAR_PIN_INCORRECT => Err(UkeyError::PinIncorrect {
                retries_left: retries.to_u64() as u32,
            }),
            c => check(function, c),
        }
    }
}

impl<U: Ulong> Ops for Api<U> {
    fn width(&self) -> usize {
        U::SIZE
    }
    fn enum_dev(&self) -> Result<Vec<Vec<u8>>> {
        let f = self.enum_dev;
        // SAFETY: (bPresent = TRUE, buffer of `len` bytes or null, pointer to its size): the
        // SKF_EnumDev prototype; `sized` passes a buffer at least as large as *pulSize.
        let b = self.sized("SKF_EnumDev", |buf, len| unsafe {
            f(U::from_u64(1), buf as *mut c_char, len)
        })?;
        Ok(parse_name_list(&b))
    }
    fn connect(&self, name: &[u8]) -> Result<usize> {
        let n = CBuf::new(name)?;
        let mut h: H = std::ptr::null_mut();
        // SAFETY: NUL-terminated name, valid out-pointer for the device handle.
        let c = code(unsafe { (self.connect_dev)(n.ptr(), &mut h) });
        check("SKF_ConnectDev", c)?;
        if h.is_null() {
            return Err(UkeyError::BadData(
                "SKF_ConnectDev returned a null handle".into(),
            ));
        }
        Ok(h as usize)
    }
    fn disconnect(&self, h: usize) -> Result<()> {
        // SAFETY: h is a device handle this library returned and we have not closed.
        check(
            "SKF_DisConnectDev",
            code(unsafe { (self.disconnect_dev)(hp(h)) }),
        )
    }
    fn dev_info(&self, h: usize) -> Result<Vec<u8>> {
        // Oversized: a library built without pack(1) writes 296 (or 328) bytes, not 294/326.
        let mut buf = vec![0u8; 512];
        // SAFETY: the buffer is larger than any DEVINFO layout.
        check(
            "SKF_GetDevInfo",
            code(unsafe { (self.get_dev_info)(hp(h), buf.as_mut_ptr()) }),
        )?;
        Ok(buf)
    }
    fn enum_apps(&self, h: usize) -> Result<Vec<Vec<u8>>> {
        let f = self.enum_application;
        // SAFETY: SKF_EnumApplication(hDev, buffer or null, size), buffer ≥ *size (see `sized`).
        let b = self.sized("SKF_EnumApplication", |buf, len| unsafe {
            f(hp(h), buf as *mut c_char, len)
        })?;
        Ok(parse_name_list(&b))
    }
    fn open_app(&self, h: usize, name: &[u8]) -> Result<usize> {
        let n = CBuf::new(name)?;
        let mut a: H = std::ptr::null_mut();
        // SAFETY: device handle, NUL-terminated name, valid out-pointer.
        let c = code(unsafe { (self.open_application)(hp(h), n.ptr(), &mut a) });
        if c == SAR_APPLICATION_NOT_EXISTS {
            return Err(UkeyError::NotFound(format!(
                "application {:?}",
                display_name(name)
            )));
        }
        check("SKF_OpenApplication", c)?;
        Ok(a as usize)
    }
    fn close_app(&self, h: usize) -> Result<()> {
        // SAFETY: an application handle we opened.
        check(
            "SKF_CloseApplication",
            code(unsafe { (self.close_application)(hp(h)) }),
        )
    }
    fn verify_pin(&self, h: usize, kind: u64, pin: &str) -> Result<()> {
        let p = CBuf::new(pin.as_bytes())?;
        let mut retries = U::default();
        // SAFETY: application handle, PIN type, NUL-terminated PIN, out-pointer for the count.
        let c = code(unsafe { (self.verify_pin)(hp(h), U::from_u64(kind), p.ptr(), &mut retries) });
        self.pin_call("SKF_VerifyPIN", c, retries)
    }
    fn change_pin(&self, h: usize, kind: u64, old: &str, new: &str) -> Result<()> {
        let f = Self::opt(self.change_pin, "SKF_ChangePIN")?;
        let (o, n) = (CBuf::new(old.as_bytes())?, CBuf::new(new.as_bytes())?);
        let mut retries = U::default();
        // SAFETY: application handle, PIN type, two NUL-terminated PINs, count out-pointer.
        let c = code(unsafe { f(hp(h), U::from_u64(kind), o.ptr(), n.ptr(), &mut retries) });
        self.pin_call("SKF_ChangePIN", c, retries)
    }
    fn pin_info(&self, h: usize, kind: u64) -> Result<PinInfo> {
        let f = Self::opt(self.get_pin_info, "SKF_GetPINInfo")?;
        let (mut max, mut left, mut def) = (U::default(), U::default(), U::default());
        // SAFETY: application handle, PIN type, three out-pointers of the library's width.
        check(
            "SKF_GetPINInfo",
            code(unsafe { f(hp(h), U::from_u64(kind), &mut max, &mut left, &mut def) }),
        )?;
        Ok(PinInfo {
            max_retries: max.to_u64() as u32,
            retries_left: left.to_u64() as u32,
            is_default: def.to_u64() & 0xFFFF_FFFF != 0,
        })
    }
    fn clear_secure_state(&self, h: usize) -> Result<()> {
        let f = Self::opt(self.clear_secure_state, "SKF_ClearSecureState")?;
        // SAFETY: an application handle we opened.
        check("SKF_ClearSecureState", code(unsafe { f(hp(h)) }))
    }
    fn enum_containers(&self, h: usize) -> Result<Vec<Vec<u8>>> {
        let f = self.enum_container;
        // SAFETY: as for SKF_EnumApplication, on an application handle.
        let b = self.sized("SKF_EnumContainer", |buf, len| unsafe {
            f(hp(h), buf as *mut c_char, len)
        })?;
        Ok(parse_name_list(&b))
    }
    fn open_container(&self, h: usize, name: &[u8]) -> Result<usize> {
        let n = CBuf::new(name)?;
        let mut c: H = std::ptr::null_mut();
        // SAFETY: application handle, NUL-terminated name, out-pointer.
        let r = code(unsafe { (self.open_container)(hp(h), n.ptr(), &mut c) });
        if r == 0x0A00_0006 {
            return Err(UkeyError::NotFound(format!(
                "container {:?}",
                display_name(name)
            )));
        }
        check("SKF_OpenContainer", r)?;
        Ok(c as usize)
    }
    fn close_container(&self, h: usize) -> Result<()> {
        // SAFETY: a container handle we opened.
        check(
            "SKF_CloseContainer",
            code(unsafe { (self.close_container)(hp(h)) }),
        )
    }
    fn container_type(&self, h: usize) -> Result<u64> {
        let f = Self::opt(self.get_container_type, "SKF_GetContainerType")?;
        let mut t = U::default();
        // SAFETY: container handle, out-pointer of the library's width.
        check("SKF_GetContainerType", code(unsafe { f(hp(h), &mut t) }))?;
        Ok(t.to_u64() & 0xFFFF_FFFF)
    }
    fn export_cert(&self, h: usize, sign: bool) -> Result<Vec<u8>> {
        let f = self.export_certificate;
        // SAFETY: container handle, BOOL, buffer ≥ *size or null, size pointer.
        self.sized("SKF_ExportCertificate", |buf, len| unsafe {
            f(hp(h), U::from_u64(sign as u64), buf, len)
        })
    }
    fn export_pub(&self, h: usize) -> Result<Vec<u8>> {
        let f = self.export_public_key;
        // SAFETY: container handle, BOOL TRUE (signing key), buffer ≥ *size or null, size pointer.
        self.sized("SKF_ExportPublicKey", |buf, len| unsafe {
            f(hp(h), U::from_u64(1), buf, len)
        })
    }
    fn sign(&self, h: usize, e: &[u8; 32]) -> Result<[u8; 128]> {
        // ECCSIGNATUREBLOB is 128 bytes for every width; the buffer is oversized anyway.
        let mut buf = [0u8; 256];
        // SAFETY: container handle, 32 readable bytes, a writable buffer larger than the blob.
        check(
            "SKF_ECCSignData",
            code(unsafe {
                (self.ecc_sign_data)(hp(h), e.as_ptr(), U::from_u64(32), buf.as_mut_ptr())
            }),
        )?;
        let mut out = [0u8; 128];
        out.copy_from_slice(&buf[..128]);
        Ok(out)
    }
    fn random(&self, h: usize, n: usize) -> Result<Vec<u8>> {
        let f = Self::opt(self.gen_random, "SKF_GenRandom")?;
        let mut buf = vec![0u8; n];
        // SAFETY: device handle, a writable buffer of exactly n bytes, n.
        check(
            "SKF_GenRandom",
            code(unsafe { f(hp(h), buf.as_mut_ptr(), u::<U>(n)?) }),
        )?;
        Ok(buf)
    }
    fn enum_files(&self, h: usize) -> Result<Vec<Vec<u8>>> {
        let f = Self::opt(self.enum_files, "SKF_EnumFiles")?;
        // SAFETY: as for SKF_EnumApplication, on an application handle.
        let b = self.sized("SKF_EnumFiles", |buf, len| unsafe {
            f(hp(h), buf as *mut c_char, len)
        })?;
        Ok(parse_name_list(&b))
    }
    fn file_info(&self, h: usize, name: &[u8]) -> Result<Vec<u8>> {
        let f = Self::opt(self.get_file_info, "SKF_GetFileInfo")?;
        let n = CBuf::new(name)?;
        let mut buf = vec![0u8; 128];
        // SAFETY: application handle, NUL-terminated name, buffer larger than FILEATTRIBUTE.
        let c = code(unsafe { f(hp(h), n.ptr(), buf.as_mut_ptr()) });
        if c == SAR_FILE_NOT_EXIST {
            return Err(UkeyError::NotFound(format!(
                "file {:?}",
                display_name(name)
            )));
        }
        check("SKF_GetFileInfo", c)?;
        Ok(buf)
    }
    fn create_file(&self, h: usize, name: &[u8], size: u32, read: u32, write: u32) -> Result<()> {
        let f = Self::opt(self.create_file, "SKF_CreateFile")?;
        let n = CBuf::new(name)?;
        // SAFETY: application handle, NUL-terminated name, three ULONGs by value.
        let c = code(unsafe {
            f(
                hp(h),
                n.ptr(),
                U::from_u64(size.into()),
                U::from_u64(read.into()),
                U::from_u64(write.into()),
            )
        });
        if c == SAR_FILE_ALREADY_EXIST {
            return Err(UkeyError::AlreadyExists(format!(
                "file {:?}",
                display_name(name)
            )));
        }
        check("SKF_CreateFile", c)
    }
    fn delete_file(&self, h: usize, name: &[u8]) -> Result<()> {
        let f = Self::opt(self.delete_file, "SKF_DeleteFile")?;
        let n = CBuf::new(name)?;
        // SAFETY: application handle, NUL-terminated name.
        let c = code(unsafe { f(hp(h), n.ptr()) });
        if c == SAR_FILE_NOT_EXIST {
            return Err(UkeyError::NotFound(format!(
                "file {:?}",
                display_name(name)
            )));
        }
        check("SKF_DeleteFile", c)
    }
    fn read_chunk(&self, h: usize, name: &[u8], offset: u32, size: u32) -> Result<Vec<u8>> {
        let f = Self::opt(self.read_file, "SKF_ReadFile")?;
        let n = CBuf::new(name)?;
        let mut buf = vec![0u8; size as usize];
        let mut len = U::from_u64(size.into());
        // SAFETY: application handle, name, offset and size by value, a buffer of `size`
        // bytes whose capacity is passed in *pulOutLen.
        let c = code(unsafe {
            f(
                hp(h),
                n.ptr(),
                U::from_u64(offset.into()),
                U::from_u64(size.into()),
                buf.as_mut_ptr(),
                &mut len,
            )
        });
        if c == SAR_FILE_NOT_EXIST {
            return Err(UkeyError::NotFound(format!(
                "file {:?}",
                display_name(name)
            )));
        }
        check("SKF_ReadFile", c)?;
        let got = len.to_u64() as usize;
        if got > buf.len() {
            return Err(UkeyError::BadData(format!(
                "SKF_ReadFile reported {got} bytes for a {size}-byte read"
            )));
        }
        buf.truncate(got);
        Ok(buf)
    }
    fn write_chunk(&self, h: usize, name: &[u8], offset: u32, data: &[u8]) -> Result<()> {
        let f = Self::opt(self.write_file, "SKF_WriteFile")?;
        let n = CBuf::new(name)?;
        // SAFETY: application handle, name, offset, `data.len()` readable bytes and that length.
        check(
            "SKF_WriteFile",
            code(unsafe {
                f(
                    hp(h),
                    n.ptr(),
                    U::from_u64(offset.into()),
                    data.as_ptr(),
                    u::<U>(data.len())?,
                )
            }),
        )
    }
    fn unblock_pin(&self, h: usize, admin: &str, new_user: &str) -> Result<()> {
        let f = Self::opt(self.unblock_pin, "SKF_UnblockPIN")?;
        let (a, n) = (
            CBuf::new(admin.as_bytes())?,
            CBuf::new(new_user.as_bytes())?,
        );
        let mut retries = U::default();
        // SAFETY: application handle, two NUL-terminated PINs, count out-pointer.
        let c = code(unsafe { f(hp(h), a.ptr(), n.ptr(), &mut retries) });
        self.pin_call("SKF_UnblockPIN", c, retries)
    }
    fn create_container(&self, h: usize, name: &[u8]) -> Result<usize> {
        let f = Self::opt(self.create_container, "SKF_CreateContainer")?;
        let n = CBuf::new(name)?;
        let mut c: H = std::ptr::null_mut();
        // SAFETY: application handle, NUL-terminated name, out-pointer for the handle.
        check(
            "SKF_CreateContainer",
            code(unsafe { f(hp(h), n.ptr(), &mut c) }),
        )?;
        Ok(c as usize)
    }
    fn gen_ecc_key(&self, h: usize, alg_id: u32) -> Result<Vec<u8>> {
        let f = Self::opt(self.gen_ecc_key_pair, "SKF_GenECCKeyPair")?;
        let mut buf = vec![0u8; 256];
        // SAFETY: container handle, algorithm ID, a buffer larger than ECCPUBLICKEYBLOB of
        // either width.
        check(
            "SKF_GenECCKeyPair",
            code(unsafe { f(hp(h), U::from_u64(alg_id.into()), buf.as_mut_ptr()) }),
        )?;
        buf.truncate(U::SIZE + 128);
        Ok(buf)
    }
    fn import_cert(&self, h: usize, sign: bool, der: &[u8]) -> Result<()> {
        let f = Self::opt(self.import_certificate, "SKF_ImportCertificate")?;
        // SAFETY: container handle, BOOL, `der.len()` readable bytes and that length.
        check(
            "SKF_ImportCertificate",
            code(unsafe {
                f(
                    hp(h),
                    U::from_u64(sign as u64),
                    der.as_ptr(),
                    u::<U>(der.len())?,
                )
            }),
        )
    }
}

// ------------------------------------------------------------------ the library

struct Lib {
    path: PathBuf,
    config: SkfConfig,
    ops: Box<dyn Ops>,
    /// Vendor libraries are often not thread-safe: one call at a time per library.
    lock: Mutex<()>,
    // Declared last so it is dropped after `ops`, whose function pointers point into it.
    _lib: libloading::Library,
}

/// A loaded SKF library (a vendor's `.so`/`.dll`, or the software UKey).
#[derive(Clone)]
pub struct SkfLibrary {
    inner: Arc<Lib>,
}

impl std::fmt::Debug for SkfLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkfLibrary")
            .field("path", &self.inner.path)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl SkfLibrary {
    /// Loads a library by path with the default settings (32-bit ULONG).
    pub fn load(path: impl AsRef<Path>) -> Result<SkfLibrary> {
        Self::load_with(path, SkfConfig::default())
    }

    /// Loads a library by path; every required SKF function must be exported.
    pub fn load_with(path: impl AsRef<Path>, config: SkfConfig) -> Result<SkfLibrary> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(UkeyError::LibraryLoad {
                path: path.display().to_string(),
                reason: "no such file".into(),
            });
        }
        // SAFETY: loading a library runs its initialisers. The path is one the user or the
        // deployment configured as an SKF driver, which is trusted code by definition (exactly
        // as a vendor's own middleware would load it).
        let lib =
            unsafe { libloading::Library::new(&path) }.map_err(|e| UkeyError::LibraryLoad {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let ops: Box<dyn Ops> = match config.ulong_width {
            UlongWidth::U32 => Box::new(Api::<u32>::resolve(&lib, &path)?),
            UlongWidth::U64 => Box::new(Api::<u64>::resolve(&lib, &path)?),
        };
        Ok(SkfLibrary {
            inner: Arc::new(Lib {
                path,
                config,
                ops,
                lock: Mutex::new(()),
                _lib: lib,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn config(&self) -> &SkfConfig {
        &self.inner.config
    }

    fn call<T>(&self, f: impl FnOnce(&dyn Ops) -> Result<T>) -> Result<T> {
        let _g = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        f(self.inner.ops.as_ref())
    }

    /// Connects to a device and returns it as an [`SkfToken`].
    pub fn connect_token(&self, device: &str) -> Result<SkfToken> {
        // Connect with the exact bytes the library listed; a name it does not list is absent.
        let raw = self
            .call(|o| o.enum_dev())?
            .into_iter()
            .find(|n| display_name(n) == device)
            .ok_or_else(|| UkeyError::NoDevice(device.to_string()))?;
        let h = self.call(|o| o.connect(&raw)).map_err(|e| match e {
            UkeyError::DeviceRemoved => UkeyError::NoDevice(device.to_string()),
            e => e,
        })?;
        Ok(SkfToken {
            lib: self.clone(),
            name: device.to_string(),
            dev: h,
            apps: HashMap::new(),
            containers: HashMap::new(),
            raw_names: HashMap::new(),
        })
    }
}

impl TokenLibrary for SkfLibrary {
    fn enumerate(&self) -> Result<Vec<String>> {
        Ok(self
            .call(|o| o.enum_dev())?
            .iter()
            .map(|n| display_name(n))
            .collect())
    }
    fn connect(&self, device: &str) -> Result<Box<dyn Token>> {
        Ok(Box::new(self.connect_token(device)?))
    }
}

/// A device connected through an SKF library. Disconnects (closing what it opened) on drop.
pub struct SkfToken {
    lib: SkfLibrary,
    name: String,
    dev: usize,
    apps: HashMap<String, usize>,
    containers: HashMap<(String, String), usize>,
    /// Raw bytes of every name an `Enum*` call gave, passed back exactly to `Open*`.
    raw_names: HashMap<String, Vec<u8>>,
}

impl SkfToken {
    fn raw(&self, name: &str) -> Vec<u8> {
        self.raw_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.as_bytes().to_vec())
    }
    fn remember(&mut self, names: Vec<Vec<u8>>) -> Vec<String> {
        names
            .into_iter()
            .map(|raw| {
                let s = display_name(&raw);
                self.raw_names.insert(s.clone(), raw);
                s
            })
            .collect()
    }
    fn app(&mut self, app: &str) -> Result<usize> {
        if let Some(h) = self.apps.get(app) {
            return Ok(*h);
        }
        let raw = self.raw(app);
        let dev = self.dev;
        let h = self.lib.call(|o| o.open_app(dev, &raw))?;
        self.apps.insert(app.to_string(), h);
        Ok(h)
    }
    fn container(&mut self, app: &str, con: &str) -> Result<usize> {
        let key = (app.to_string(), con.to_string());
        if let Some(h) = self.containers.get(&key) {
            return Ok(*h);
        }
        let a = self.app(app)?;
        let raw = self.raw(con);
        let h = self.lib.call(|o| o.open_container(a, &raw))?;
        self.containers.insert(key, h);
        Ok(h)
    }
    fn width(&self) -> usize {
        self.lib.inner.ops.width()
    }
    fn ulong(&self, b: &[u8], off: usize) -> u32 {
        let w = self.width();
        let mut v = [0u8; 8];
        v[..w].copy_from_slice(&b[off..off + w]);
        u64::from_le_bytes(v) as u32
    }
    /// `ECCPUBLICKEYBLOB` (GM/T 0016 §6.4.5): BitLen, X[64], Y[64], right-aligned.
    fn parse_pub_blob(&self, b: &[u8]) -> Result<[u8; 65]> {
        let w = self.width();
        if b.len() != w + 128 {
            let hint = match b.len() {
                132 => " (a 32-bit ULONG library: set ulong_width = u32)",
                136 => " (a 64-bit ULONG library: set ulong_width = u64)",
                _ => "",
            };
            return Err(UkeyError::BadData(format!(
                "ECCPUBLICKEYBLOB is {} bytes, expected {}{hint}",
                b.len(),
                w + 128
            )));
        }
        let bits = self.ulong(b, 0);
        if bits != 256 {
            return Err(UkeyError::BadData(format!(
                "ECCPUBLICKEYBLOB.BitLen is {bits}, not 256"
            )));
        }
        let x = right_aligned(&b[w..w + 64], "XCoordinate")?;
        let y = right_aligned(&b[w + 64..w + 128], "YCoordinate")?;
        let mut out = [0u8; 65];
        out[0] = 4;
        out[1..33].copy_from_slice(&x);
        out[33..].copy_from_slice(&y);
        Ok(out)
    }

    fn kind(k: PinType) -> u64 {
        match k {
            PinType::Admin => ADMIN_TYPE,
            PinType::User => USER_TYPE,
        }
    }
    /// Closes the handles this token opened and disconnects.
    pub fn disconnect(mut self) -> Result<()> {
        self.close_all()
    }
    fn close_all(&mut self) -> Result<()> {
        let mut first_err = None;
        for (_, h) in self.containers.drain() {
            if let Err(e) = self.lib.call(|o| o.close_container(h)) {
                first_err.get_or_insert(e);
            }
        }
        for (_, h) in self.apps.drain() {
            if let Err(e) = self.lib.call(|o| o.close_app(h)) {
                first_err.get_or_insert(e);
            }
        }
        if self.dev != 0 {
            let d = self.dev;
            self.dev = 0;
            if let Err(e) = self.lib.call(|o| o.disconnect(d)) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for SkfToken {
    fn drop(&mut self) {
        let _ = self.close_all();
    }
}

/// Parses `DEVINFO` (GM/T 0016 §6.4.3, pack(1)) for a `ULONG` width.
fn parse_devinfo(b: &[u8], w: usize, sm2_ids: &[u32]) -> DeviceInfo {
    let ul = |i: usize| {
        let off = 198 + i * w;
        let mut v = [0u8; 8];
        v[..w].copy_from_slice(&b[off..off + w]);
        u64::from_le_bytes(v) as u32
    };
    let asym = ul(1);
    DeviceInfo {
        version: (b[0], b[1]),
        manufacturer: text(&b[2..66]),
        issuer: text(&b[66..130]),
        label: text(&b[130..162]),
        serial: text(&b[162..194]),
        hw_version: (b[194], b[195]),
        firmware_version: (b[196], b[197]),
        alg_sym_cap: ul(0),
        alg_asym_cap: asym,
        alg_hash_cap: ul(2),
        dev_auth_alg_id: ul(3),
        total_space: ul(4),
        free_space: ul(5),
        max_ecc_buffer_size: ul(6),
        max_buffer_size: ul(7),
        sm2: sm2_ids.iter().any(|id| asym & id == *id),
    }
}

/// A 64-byte field holding a 32-byte value right-aligned (GM/T 0016 §6.4.5).
fn right_aligned(field: &[u8], what: &str) -> Result<[u8; 32]> {
    if field[..32].iter().any(|b| *b != 0) {
        return Err(UkeyError::BadData(format!(
            "{what} is not a right-aligned 256-bit value"
        )));
    }
    let mut v = [0u8; 32];
    v.copy_from_slice(&field[32..64]);
    Ok(v)
}

impl Token for SkfToken {
    fn name(&self) -> &str {
        &self.name
    }

    fn info(&self) -> Result<DeviceInfo> {
        let dev = self.dev;
        let b = self.lib.call(|o| o.dev_info(dev))?;
        Ok(parse_devinfo(
            &b,
            self.width(),
            &self.lib.inner.config.sm2_alg_ids,
        ))
    }

    fn applications(&self) -> Result<Vec<String>> {
        let dev = self.dev;
        Ok(self
            .lib
            .call(|o| o.enum_apps(dev))?
            .iter()
            .map(|n| display_name(n))
            .collect())
    }

    fn pin_info(&mut self, app: &str, kind: PinType) -> Result<PinInfo> {
        let a = self.app(app)?;
        self.lib.call(|o| o.pin_info(a, Self::kind(kind)))
    }

    fn verify_pin(&mut self, app: &str, kind: PinType, pin: &str) -> Result<()> {
        let a = self.app(app)?;
        self.lib.call(|o| o.verify_pin(a, Self::kind(kind), pin))
    }

    fn change_pin(&mut self, app: &str, kind: PinType, old: &str, new: &str) -> Result<()> {
        let a = self.app(app)?;
        self.lib
            .call(|o| o.change_pin(a, Self::kind(kind), old, new))
    }

    fn unblock_pin(&mut self, app: &str, admin_pin: &str, new_user_pin: &str) -> Result<()> {
        let a = self.app(app)?;
        self.lib.call(|o| o.unblock_pin(a, admin_pin, new_user_pin))
    }

    fn logout(&mut self, app: &str) -> Result<()> {
        let a = self.app(app)?;
        self.lib.call(|o| o.clear_secure_state(a))
    }

    fn containers(&mut self, app: &str) -> Result<Vec<ContainerInfo>> {
        let a = self.app(app)?;
        let raw = self.lib.call(|o| o.enum_containers(a))?;
        let names = self.remember(raw);
        let mut out = vec![];
        for name in names {
            let h = self.container(app, &name)?;
            let kind = match self.lib.call(|o| o.container_type(h)) {
                Ok(0) => ContainerKind::Empty,
                Ok(1) => ContainerKind::Rsa,
                Ok(2) => ContainerKind::Sm2,
                Ok(t) => ContainerKind::Other(t as u32),
                // No SKF_GetContainerType: an exportable 256-bit public key means SM2.
                Err(UkeyError::NotSupported(_)) => match self.public_key(app, &name) {
                    Ok(_) => ContainerKind::Sm2,
                    Err(_) => ContainerKind::Other(0),
                },
                Err(e) => return Err(e),
            };
            out.push(ContainerInfo { name, kind });
        }
        Ok(out)
    }

    fn certificate(&mut self, app: &str, container: &str, sign: bool) -> Result<Vec<u8>> {
        let h = self.container(app, container)?;
        let b = self.lib.call(|o| o.export_cert(h, sign))?;
        pem_or_der(b)
    }

    fn public_key(&mut self, app: &str, container: &str) -> Result<[u8; 65]> {
        let h = self.container(app, container)?;
        let b = self.lib.call(|o| o.export_pub(h))?;
        self.parse_pub_blob(&b)
    }

    fn sign_digest(&mut self, app: &str, container: &str, e: &[u8; 32]) -> Result<[u8; 64]> {
        let h = self.container(app, container)?;
        let blob = self.lib.call(|o| o.sign(h, e))?;
        let r = right_aligned(&blob[..64], "ECCSIGNATUREBLOB.r")?;
        let s = right_aligned(&blob[64..], "ECCSIGNATUREBLOB.s")?;
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r);
        out[32..].copy_from_slice(&s);
        Ok(out)
    }

    fn create_container(&mut self, app: &str, container: &str) -> Result<()> {
        let a = self.app(app)?;
        let h = self
            .lib
            .call(|o| o.create_container(a, container.as_bytes()))?;
        self.containers
            .insert((app.to_string(), container.to_string()), h);
        Ok(())
    }

    fn generate_sm2_key(&mut self, app: &str, container: &str) -> Result<[u8; 65]> {
        // The device's own SM2 ID: the first configured one its AlgAsymCap has.
        let cap = self.info()?.alg_asym_cap;
        let ids = &self.lib.inner.config.sm2_alg_ids;
        let alg = ids
            .iter()
            .copied()
            .find(|id| cap & id == *id)
            .or_else(|| ids.first().copied())
            .unwrap_or(SGD_SM2_1_SKF);
        let h = self.container(app, container)?;
        let blob = self.lib.call(|o| o.gen_ecc_key(h, alg))?;
        self.parse_pub_blob(&blob)
    }

    fn import_certificate(
        &mut self,
        app: &str,
        container: &str,
        sign: bool,
        der: &[u8],
    ) -> Result<()> {
        let h = self.container(app, container)?;
        self.lib.call(|o| o.import_cert(h, sign, der))
    }

    fn files(&mut self, app: &str) -> Result<Vec<FileInfo>> {
        let a = self.app(app)?;
        let raw = self.lib.call(|o| o.enum_files(a))?;
        let mut out = vec![];
        for name in raw {
            let b = self.lib.call(|o| o.file_info(a, &name))?;
            out.push(FileInfo {
                name: display_name(&name),
                size: self.ulong(&b, 32),
                read_rights: FileRights(self.ulong(&b, 32 + self.width())),
                write_rights: FileRights(self.ulong(&b, 32 + 2 * self.width())),
            });
            self.raw_names.insert(display_name(&name), name);
        }
        Ok(out)
    }

    fn read_file(&mut self, app: &str, name: &str) -> Result<Vec<u8>> {
        let a = self.app(app)?;
        let raw = self.raw(name);
        let info = self.lib.call(|o| o.file_info(a, &raw))?;
        let size = self.ulong(&info, 32);
        let chunk = self.info()?.max_buffer_size.clamp(16, 64 * 1024);
        let mut out = Vec::with_capacity(size as usize);
        while (out.len() as u32) < size {
            let off = out.len() as u32;
            let want = (size - off).min(chunk);
            let part = self.lib.call(|o| o.read_chunk(a, &raw, off, want))?;
            if part.is_empty() {
                return Err(UkeyError::BadData(format!(
                    "SKF_ReadFile returned nothing at offset {off} of {size}"
                )));
            }
            out.extend_from_slice(&part);
        }
        Ok(out)
    }

    fn write_file(
        &mut self,
        app: &str,
        name: &str,
        data: &[u8],
        read: FileRights,
        write: FileRights,
    ) -> Result<()> {
        if name.is_empty() || name.len() > 32 {
            return Err(UkeyError::Invalid(format!(
                "file name {name:?}: 1 to 32 bytes"
            )));
        }
        let size =
            u32::try_from(data.len()).map_err(|_| UkeyError::Invalid("file too large".into()))?;
        let a = self.app(app)?;
        let raw = self.raw(name);
        // The size is fixed at creation: re-create a file of another size.
        match self.lib.call(|o| o.file_info(a, &raw)) {
            Ok(info) if self.ulong(&info, 32) == size => {}
            Ok(_) => {
                self.lib.call(|o| o.delete_file(a, &raw))?;
                self.lib
                    .call(|o| o.create_file(a, &raw, size, read.0, write.0))?;
            }
            Err(UkeyError::NotFound(_)) => self
                .lib
                .call(|o| o.create_file(a, &raw, size, read.0, write.0))?,
            Err(e) => return Err(e),
        }
        let chunk = self.info()?.max_buffer_size.clamp(16, 64 * 1024) as usize;
        for (i, part) in data.chunks(chunk).enumerate() {
            let off = (i * chunk) as u32;
            self.lib.call(|o| o.write_chunk(a, &raw, off, part))?;
        }
        Ok(())
    }

    fn delete_file(&mut self, app: &str, name: &str) -> Result<()> {
        let a = self.app(app)?;
        let raw = self.raw(name);
        self.lib.call(|o| o.delete_file(a, &raw))
    }

    fn random(&self, len: usize) -> Result<Vec<u8>> {
        let dev = self.dev;
        self.lib.call(|o| o.random(dev, len))
    }
}

/// Certificates come back as DER from real keys, as PEM from some (GmSSL's dummy engine).
fn pem_or_der(b: Vec<u8>) -> Result<Vec<u8>> {
    if b.first() == Some(&0x30) {
        return Ok(b);
    }
    let text = std::str::from_utf8(&b)
        .map_err(|_| UkeyError::BadData("certificate is neither DER nor PEM".into()))?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|_| UkeyError::BadData("certificate is neither DER nor PEM".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists_parse_leniently() {
        assert_eq!(
            parse_name_list(b"a\0bc\0\0"),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
        assert_eq!(
            parse_name_list(b"a\0bc\0"),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
        assert_eq!(
            parse_name_list(b"a\0bc"),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
        assert!(parse_name_list(b"\0\0").is_empty());
        assert!(parse_name_list(b"").is_empty());
    }

    #[test]
    fn text_fields_trim_nul_ff_and_spaces() {
        assert_eq!(text(b"ABC\0\0"), "ABC");
        assert_eq!(text(b"ABC\xFF\xFF"), "ABC");
        assert_eq!(text(b"ABC   "), "ABC");
    }

    #[test]
    fn codes_map_to_clear_errors() {
        assert!(matches!(check("f", 0x0A00_0025), Err(UkeyError::PinLocked)));
        assert!(matches!(
            check("f", 0x0A00_0031),
            Err(UkeyError::Skf {
                name: "SAR_FILE_NOT_EXIST",
                ..
            })
        ));
        assert!(matches!(
            check("f", 0x0A00_0036),
            Err(UkeyError::Vendor {
                code: 0x0A00_0036,
                ..
            })
        ));
        let e = check("SKF_ReadFile", 0x0A00_0007).unwrap_err().to_string();
        assert!(
            e.contains("SKF_ReadFile") && e.contains("SAR_READFILEERR") && e.contains("0x0A000007"),
            "{e}"
        );
    }

    #[test]
    fn right_aligned_fields_are_checked() {
        let mut f = [0u8; 64];
        f[63] = 7;
        assert_eq!(right_aligned(&f, "x").unwrap()[31], 7);
        f[0] = 1;
        assert!(right_aligned(&f, "x").is_err());
    }

    #[test]
    fn devinfo_layouts() {
        for w in [4usize, 8] {
            let mut b = vec![0u8; 512];
            b[162..166].copy_from_slice(b"SN01");
            b[198 + w..198 + w + 4].copy_from_slice(&0x0002_0200u32.to_le_bytes());
            b[198 + 7 * w..198 + 7 * w + 4].copy_from_slice(&1024u32.to_le_bytes());
            let d = parse_devinfo(&b, w, &SkfConfig::default().sm2_alg_ids);
            assert_eq!(
                (d.serial.as_str(), d.max_buffer_size, d.sm2),
                ("SN01", 1024, true)
            );
        }
    }
}
