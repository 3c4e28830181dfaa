//! A software UKey: a C library that exports the GM/T 0016-2012 (SKF) functions, backed by one
//! JSON state file per device, so tests and demos load it exactly like a vendor's `.so`/`.dll`.
//!
//! **A test fixture, not a keystore**: private keys are stored in the state file in clear.
//!
//! # Which devices it shows
//!
//! 1. If a file named `<this library's path>.devices` exists (for example
//!    `libeseal_soft_ukey.so.devices`), each non-empty line is the path of a device's state
//!    file (relative paths are relative to that file's folder). Tests copy the library to a
//!    temporary folder and write this file beside it, so each copy is an independent "vendor
//!    library" whatever the environment holds.
//! 2. Otherwise the environment variable `ESEAL_SOFT_UKEY_FILE` holds one or more state file
//!    paths (separated like `PATH`).
//!
//! # ULONG width
//!
//! The spec's `ULONG` is 32-bit and this library is built that way (by-value `ULONG`/`BOOL`
//! arguments and return values are `u32`/`i32`). Vendor LP64 builds with a 64-bit
//! `unsigned long` are reproduced by the state file switch `quirks.ulong64`: every `ULONG*`
//! out-parameter and in/out size, and every `ULONG` inside `DEVINFO`, `ECCPUBLICKEYBLOB` and
//! `FILEATTRIBUTE`, becomes 8 bytes. The library's width is taken from the first device's
//! file (one vendor build has one width). On 32-bit Windows the exports would be stdcall
//! (`extern "system"`); the `SAR_NOTSUPPORTYETERR` stubs take no arguments and are only
//! correct for caller-cleans conventions (every target but 32-bit Windows).
//!
//! # Other switches
//!
//! See [`state::Quirks`]: the SM2 algorithm ID (0x00020100 vs 0x00020200), how the PIN
//! lock-out is reported (`SAR_PIN_LOCKED` or `SAR_PIN_INCORRECT` with 0 tries),
//! `MaxBufferSize`, and PEM certificates.
#![allow(non_snake_case, clippy::missing_safety_doc)]

pub mod abi;
pub mod state;

use abi::*;
use sm2::elliptic_curve::sec1::ToSec1Point;
use state::{PinLockReport, State};
use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The GM/T 0009 default signer ID.
pub const DEFAULT_ID: &str = "1234567812345678";

/// The environment variable naming the state file(s).
pub const ENV_STATE_FILE: &str = "ESEAL_SOFT_UKEY_FILE";

enum Obj {
    Dev {
        path: PathBuf,
    },
    App {
        dev: u64,
        path: PathBuf,
        app: String,
    },
    Con {
        app: u64,
        path: PathBuf,
        app_name: String,
        con: String,
    },
}

#[derive(Default)]
struct Rt {
    next: u64,
    objs: HashMap<u64, Obj>,
    /// Logged-in role per (device file, application): ADMIN_TYPE or USER_TYPE.
    logins: HashMap<(PathBuf, String), u32>,
}

static RT: Mutex<Option<Rt>> = Mutex::new(None);

type R = Result<(), u32>;

fn run(f: impl FnOnce(&mut Rt) -> R) -> u32 {
    match catch_unwind(AssertUnwindSafe(|| {
        let mut g = RT.lock().unwrap_or_else(|e| e.into_inner());
        let rt = g.get_or_insert_with(Rt::default);
        f(rt)
    })) {
        Ok(Ok(())) => SAR_OK,
        Ok(Err(code)) => code,
        Err(_) => SAR_FAIL,
    }
}

impl Rt {
    fn add(&mut self, o: Obj) -> *mut c_void {
        self.next += 1;
        let id = 0x5E00 + self.next;
        self.objs.insert(id, o);
        id as usize as *mut c_void
    }
    fn dev(&self, h: *mut c_void) -> Result<PathBuf, u32> {
        match self.objs.get(&(h as usize as u64)) {
            Some(Obj::Dev { path }) => Ok(path.clone()),
            _ => Err(SAR_INVALIDHANDLEERR),
        }
    }
    fn app(&self, h: *mut c_void) -> Result<(PathBuf, String), u32> {
        match self.objs.get(&(h as usize as u64)) {
            Some(Obj::App { path, app, .. }) => Ok((path.clone(), app.clone())),
            _ => Err(SAR_INVALIDHANDLEERR),
        }
    }
    fn con(&self, h: *mut c_void) -> Result<(PathBuf, String, String), u32> {
        match self.objs.get(&(h as usize as u64)) {
            Some(Obj::Con {
                path,
                app_name,
                con,
                ..
            }) => Ok((path.clone(), app_name.clone(), con.clone())),
            _ => Err(SAR_INVALIDHANDLEERR),
        }
    }
    fn role(&self, path: &Path, app: &str) -> Option<u32> {
        self.logins
            .get(&(path.to_path_buf(), app.to_string()))
            .copied()
    }
}

/// The path of this shared library, found through the dynamic loader.
#[cfg(unix)]
fn own_path() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: Dl_info is plain data (pointers and integers); all-zero is a valid value.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the address to find the object that contains it; `info` is a
    // valid out-structure. dli_fname, when set, is a NUL-terminated string owned by the loader.
    let ok = unsafe { libc::dladdr(own_path as *const c_void, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is non-null (checked above) and a NUL-terminated string owned by the loader.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(name.to_bytes())))
}
#[cfg(not(unix))]
fn own_path() -> Option<PathBuf> {
    None
}

/// The configured device state files (see the crate documentation).
pub fn device_paths() -> Vec<PathBuf> {
    if let Some(lib) = own_path() {
        let mut conf = lib.clone().into_os_string();
        conf.push(".devices");
        let conf = PathBuf::from(conf);
        if let Ok(text) = std::fs::read_to_string(&conf) {
            let dir = conf.parent().map(Path::to_path_buf).unwrap_or_default();
            return text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| dir.join(l))
                .collect();
        }
    }
    match std::env::var_os(ENV_STATE_FILE) {
        Some(v) => std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => vec![],
    }
}

fn width() -> Width {
    let first = device_paths().into_iter().next();
    Width(
        first
            .and_then(|p| State::load(&p).ok())
            .map(|s| s.quirks.ulong64)
            .unwrap_or(false),
    )
}

fn load(path: &Path) -> Result<State, u32> {
    match State::load(path) {
        Ok(s) if s.present => Ok(s),
        Ok(_) => Err(SAR_DEVICE_REMOVED),
        Err(_) => Err(SAR_DEVICE_REMOVED),
    }
}

fn save(path: &Path, st: &State) -> R {
    st.save(path).map_err(|_| SAR_WRITEFILEERR)
}

fn app_mut<'a>(st: &'a mut State, app: &str) -> Result<&'a mut state::Application, u32> {
    st.applications
        .iter_mut()
        .find(|a| a.name == app)
        .ok_or(SAR_APPLICATION_NOT_EXISTS)
}

fn name_arg(p: *const c_char) -> Result<String, u32> {
    // SAFETY: SKF LPSTR arguments are NUL-terminated strings or null.
    let b = unsafe { cstr(p) }.ok_or(SAR_INVALIDPARAMERR)?;
    String::from_utf8(b.to_vec()).map_err(|_| SAR_INVALIDPARAMERR)
}

fn nonnull<T>(p: *mut T) -> R {
    if p.is_null() {
        Err(SAR_INVALIDPARAMERR)
    } else {
        Ok(())
    }
}

fn ok(code: u32) -> R {
    if code == SAR_OK { Ok(()) } else { Err(code) }
}

fn rights_ok(rights: u32, role: Option<u32>) -> bool {
    rights == SECURE_ANYONE_ACCOUNT
        || (rights & SECURE_USER_ACCOUNT != 0 && role == Some(USER_TYPE))
        || (rights & SECURE_ADM_ACCOUNT != 0 && role == Some(ADMIN_TYPE))
}

// ---------------------------------------------------------------- device management (§7.1)

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_EnumDev(
    bPresent: i32,
    szNameList: *mut c_char,
    pulSize: *mut c_void,
) -> u32 {
    run(|_| {
        let w = width();
        let mut names = vec![];
        for p in device_paths() {
            if let Ok(st) = State::load(&p)
                && (st.present || bPresent == 0)
            {
                names.push(st.device_name());
            }
        }
        let list = multi_string(names.iter().map(String::as_str));
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&list, szNameList as *mut u8, pulSize, w) })
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ConnectDev(
    szName: *const c_char,
    phDev: *mut *mut c_void,
) -> u32 {
    run(|rt| {
        nonnull(phDev)?;
        let name = name_arg(szName)?;
        for p in device_paths() {
            if let Ok(st) = State::load(&p)
                && st.device_name() == name
            {
                if !st.present {
                    return Err(SAR_DEVICE_REMOVED);
                }
                let h = rt.add(Obj::Dev { path: p });
                // SAFETY: phDev checked non-null.
                unsafe { *phDev = h };
                return Ok(());
            }
        }
        Err(SAR_DEVICE_REMOVED)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_DisConnectDev(hDev: *mut c_void) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        let dev = hDev as usize as u64;
        // Child handles die with the device handle.
        let apps: Vec<u64> = rt
            .objs
            .iter()
            .filter_map(|(k, o)| matches!(o, Obj::App { dev: d, .. } if *d == dev).then_some(*k))
            .collect();
        rt.objs.retain(|k, o| {
            *k != dev
                && !apps.contains(k)
                && !matches!(o, Obj::Con { app, .. } if apps.contains(app))
        });
        // The last connection to a device ends its logins (as removing the key does).
        if !rt
            .objs
            .values()
            .any(|o| matches!(o, Obj::Dev { path: p } if *p == path))
        {
            rt.logins.retain(|(p, _), _| *p != path);
        }
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GetDevState(
    szDevName: *const c_char,
    pulDevState: *mut c_void,
) -> u32 {
    run(|_| {
        nonnull(pulDevState)?;
        let name = name_arg(szDevName)?;
        let mut state = 0u64;
        for p in device_paths() {
            if let Ok(st) = State::load(&p)
                && st.device_name() == name
                && st.present
            {
                state = 1;
            }
        }
        // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
        unsafe { width().write(pulDevState, state) };
        Ok(())
    })
}

/// `DEVINFO` (GM/T 0016 §6.4.3), pack(1): 294 bytes with 32-bit ULONG, 326 with 64-bit.
fn devinfo(st: &State, w: Width) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str, n: usize) {
        let mut f = vec![0u8; n];
        let b = s.as_bytes();
        let l = b.len().min(n - 1);
        f[..l].copy_from_slice(&b[..l]);
        out.extend_from_slice(&f);
    }
    let mut d = vec![1, 0]; // Version 1.0
    text(&mut d, "eseal soft UKey", 64);
    text(&mut d, "eseal", 64);
    text(&mut d, &st.label, 32);
    text(&mut d, &st.serial, 32);
    d.extend_from_slice(&[1, 0, 1, 0]); // HWVersion, FirmwareVersion
    let sm2 = st.quirks.sm2_alg_id.unwrap_or(SGD_SM2_1_SKF);
    w.push(&mut d, SGD_SM4_ECB | SGD_SM4_CBC); // AlgSymCap
    w.push(&mut d, sm2); // AlgAsymCap
    w.push(&mut d, SGD_SM3); // AlgHashCap
    w.push(&mut d, SGD_SM4_ECB); // DevAuthAlgId
    w.push(&mut d, st.total_space);
    w.push(&mut d, st.total_space.saturating_sub(st.used_space()));
    w.push(&mut d, 136); // MaxECCBufferSize
    w.push(&mut d, st.quirks.max_buffer_size);
    d.extend_from_slice(&[0u8; 64]); // Reserved
    d
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GetDevInfo(hDev: *mut c_void, pDevInfo: *mut c_void) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        nonnull(pDevInfo)?;
        let st = load(&path)?;
        // SAFETY: non-null (checked) pointer to the structure the SKF prototype names, of this layout's size.
        unsafe { put_struct(&devinfo(&st, width()), pDevInfo) };
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_SetLabel(hDev: *mut c_void, szLabel: *const c_char) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        let label = name_arg(szLabel)?;
        if label.len() > 31 {
            return Err(SAR_NAMELENERR);
        }
        let mut st = load(&path)?;
        st.label = label;
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_LockDev(hDev: *mut c_void, _ulTimeOut: u32) -> u32 {
    run(|rt| rt.dev(hDev).map(|_| ()))
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_UnlockDev(hDev: *mut c_void) -> u32 {
    run(|rt| rt.dev(hDev).map(|_| ()))
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GenRandom(
    hDev: *mut c_void,
    pbRandom: *mut u8,
    ulRandomLen: u32,
) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        load(&path)?;
        nonnull(pbRandom)?;
        if ulRandomLen == 0 || ulRandomLen > 4096 {
            return Err(SAR_INDATALENERR);
        }
        // SAFETY: the caller's buffer holds ulRandomLen bytes.
        let out = unsafe { std::slice::from_raw_parts_mut(pbRandom, ulRandomLen as usize) };
        getrandom::fill(out).map_err(|_| SAR_GENRANDERR)
    })
}

// ---------------------------------------------------------------- applications (§7.3)

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_EnumApplication(
    hDev: *mut c_void,
    szAppName: *mut c_char,
    pulSize: *mut c_void,
) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        let st = load(&path)?;
        let list = multi_string(st.applications.iter().map(|a| a.name.as_str()));
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&list, szAppName as *mut u8, pulSize, width()) })
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_OpenApplication(
    hDev: *mut c_void,
    szAppName: *const c_char,
    phApplication: *mut *mut c_void,
) -> u32 {
    run(|rt| {
        let path = rt.dev(hDev)?;
        nonnull(phApplication)?;
        let name = name_arg(szAppName)?;
        let mut st = load(&path)?;
        app_mut(&mut st, &name)?;
        let h = rt.add(Obj::App {
            dev: hDev as usize as u64,
            path,
            app: name,
        });
        // SAFETY: non-null (checked) out-pointer for a handle.
        unsafe { *phApplication = h };
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_CloseApplication(hApplication: *mut c_void) -> u32 {
    run(|rt| {
        rt.app(hApplication)?;
        let id = hApplication as usize as u64;
        rt.objs
            .retain(|k, o| *k != id && !matches!(o, Obj::Con { app, .. } if *app == id));
        Ok(())
    })
}

// ---------------------------------------------------------------- access control (§7.2)

/// Checks a PIN against its counter, persisting the count; `Ok` on a match.
fn check_pin(
    path: &Path,
    st: &mut State,
    app: &str,
    pin_type: u32,
    pin: &str,
    report: PinLockReport,
) -> Result<u32, (u32, u32)> {
    let a = app_mut(st, app).map_err(|e| (e, 0))?;
    let p = match pin_type {
        ADMIN_TYPE => &mut a.admin_pin,
        USER_TYPE => &mut a.user_pin,
        _ => return Err((SAR_USER_TYPE_INVALID, 0)),
    };
    if p.remaining == 0 {
        return Err((SAR_PIN_LOCKED, 0));
    }
    if state::check_pin_len(pin).is_err() {
        return Err((SAR_PIN_LEN_RANGE, p.remaining));
    }
    if p.matches(pin) {
        p.remaining = p.max_retries;
        let left = p.remaining;
        save(path, st).map_err(|e| (e, 0))?;
        return Ok(left);
    }
    p.remaining -= 1;
    let left = p.remaining;
    save(path, st).map_err(|e| (e, 0))?;
    if left == 0 && report == PinLockReport::Locked {
        Err((SAR_PIN_LOCKED, 0))
    } else {
        Err((SAR_PIN_INCORRECT, left))
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_VerifyPIN(
    hApplication: *mut c_void,
    ulPINType: u32,
    szPIN: *const c_char,
    pulRetryCount: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let pin = name_arg(szPIN)?;
        let mut st = load(&path)?;
        let report = st.quirks.pin_lock_report;
        let w = width();
        let res = check_pin(&path, &mut st, &app, ulPINType, &pin, report);
        let left = match res {
            Ok(n) => n,
            Err((_, n)) => n,
        };
        if !pulRetryCount.is_null() {
            // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
            unsafe { w.write(pulRetryCount, u64::from(left)) };
        }
        match res {
            Ok(_) => {
                rt.logins.insert((path, app), ulPINType);
                Ok(())
            }
            Err((code, _)) => Err(code),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ChangePIN(
    hApplication: *mut c_void,
    ulPINType: u32,
    szOldPin: *const c_char,
    szNewPin: *const c_char,
    pulRetryCount: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let old = name_arg(szOldPin)?;
        let new = name_arg(szNewPin)?;
        let mut st = load(&path)?;
        let report = st.quirks.pin_lock_report;
        let w = width();
        if state::check_pin_len(&new).is_err() {
            return Err(SAR_PIN_LEN_RANGE);
        }
        let res = check_pin(&path, &mut st, &app, ulPINType, &old, report);
        if !pulRetryCount.is_null() {
            let left = match res {
                Ok(n) | Err((_, n)) => n,
            };
            // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
            unsafe { w.write(pulRetryCount, u64::from(left)) };
        }
        res.map_err(|(c, _)| c)?;
        let a = app_mut(&mut st, &app)?;
        let slot = if ulPINType == ADMIN_TYPE {
            &mut a.admin_pin
        } else {
            &mut a.user_pin
        };
        *slot = state::Pin::new(&new, slot.max_retries).map_err(|_| SAR_FAIL)?;
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GetPINInfo(
    hApplication: *mut c_void,
    ulPINType: u32,
    pulMaxRetryCount: *mut c_void,
    pulRemainRetryCount: *mut c_void,
    pbDefaultPin: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        nonnull(pulMaxRetryCount)?;
        nonnull(pulRemainRetryCount)?;
        nonnull(pbDefaultPin)?;
        let mut st = load(&path)?;
        let w = width();
        let a = app_mut(&mut st, &app)?;
        let p = match ulPINType {
            ADMIN_TYPE => &a.admin_pin,
            USER_TYPE => &a.user_pin,
            _ => return Err(SAR_USER_TYPE_INVALID),
        };
        // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
        unsafe {
            w.write(pulMaxRetryCount, u64::from(p.max_retries));
            w.write(pulRemainRetryCount, u64::from(p.remaining));
            // BOOL follows the library's ULONG width (as in GmSSL's LP64 builds).
            w.write(pbDefaultPin, u64::from(p.is_default));
        }
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_UnblockPIN(
    hApplication: *mut c_void,
    szAdminPIN: *const c_char,
    szNewUserPIN: *const c_char,
    pulRetryCount: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let admin = name_arg(szAdminPIN)?;
        let new = name_arg(szNewUserPIN)?;
        if state::check_pin_len(&new).is_err() {
            return Err(SAR_PIN_LEN_RANGE);
        }
        let mut st = load(&path)?;
        let report = st.quirks.pin_lock_report;
        let res = check_pin(&path, &mut st, &app, ADMIN_TYPE, &admin, report);
        if !pulRetryCount.is_null() {
            let left = match res {
                Ok(n) | Err((_, n)) => n,
            };
            // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
            unsafe { width().write(pulRetryCount, u64::from(left)) };
        }
        res.map_err(|(c, _)| c)?;
        let a = app_mut(&mut st, &app)?;
        let max = a.user_pin.max_retries;
        a.user_pin = state::Pin::new(&new, max).map_err(|_| SAR_FAIL)?;
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ClearSecureState(hApplication: *mut c_void) -> u32 {
    run(|rt| {
        let key = rt.app(hApplication)?;
        rt.logins.remove(&key);
        Ok(())
    })
}

// ---------------------------------------------------------------- files (§7.4)

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_EnumFiles(
    hApplication: *mut c_void,
    szFileList: *mut c_char,
    pulSize: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        let list = multi_string(a.files.iter().map(|f| f.name.as_str()));
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&list, szFileList as *mut u8, pulSize, width()) })
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GetFileInfo(
    hApplication: *mut c_void,
    szFileName: *const c_char,
    pFileInfo: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szFileName)?;
        nonnull(pFileInfo)?;
        let mut st = load(&path)?;
        let w = width();
        let a = app_mut(&mut st, &app)?;
        let f = a
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or(SAR_FILE_NOT_EXIST)?;
        // FILEATTRIBUTE: FileName[32], FileSize, ReadRights, WriteRights.
        let mut d = vec![0u8; 32];
        d[..f.name.len()].copy_from_slice(f.name.as_bytes());
        w.push(&mut d, (f.data.len() / 2) as u32);
        w.push(&mut d, f.read_rights);
        w.push(&mut d, f.write_rights);
        // SAFETY: non-null (checked) pointer to the structure the SKF prototype names, of this layout's size.
        unsafe { put_struct(&d, pFileInfo) };
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_CreateFile(
    hApplication: *mut c_void,
    szFileName: *const c_char,
    ulFileSize: u32,
    ulReadRights: u32,
    ulWriteRights: u32,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szFileName)?;
        if name.is_empty() || name.len() > MAX_FILE_NAME_SIZE {
            return Err(SAR_NAMELENERR);
        }
        let role = rt.role(&path, &app);
        let mut st = load(&path)?;
        let free = st.total_space.saturating_sub(st.used_space());
        let a = app_mut(&mut st, &app)?;
        if !rights_ok(a.create_file_rights, role) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        if a.files.iter().any(|f| f.name == name) {
            return Err(SAR_FILE_ALREADY_EXIST);
        }
        if ulFileSize > free {
            return Err(SAR_NO_ROOM);
        }
        a.files.push(state::File {
            name,
            read_rights: ulReadRights,
            write_rights: ulWriteRights,
            data: "00".repeat(ulFileSize as usize),
        });
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_DeleteFile(
    hApplication: *mut c_void,
    szFileName: *const c_char,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szFileName)?;
        let role = rt.role(&path, &app);
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        let i = a
            .files
            .iter()
            .position(|f| f.name == name)
            .ok_or(SAR_FILE_NOT_EXIST)?;
        if !rights_ok(a.files[i].write_rights, role) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        a.files.remove(i);
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ReadFile(
    hApplication: *mut c_void,
    szFileName: *const c_char,
    ulOffset: u32,
    ulSize: u32,
    pbOutData: *mut u8,
    pulOutLen: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szFileName)?;
        let role = rt.role(&path, &app);
        let mut st = load(&path)?;
        let max = st.quirks.max_buffer_size;
        let a = app_mut(&mut st, &app)?;
        let f = a
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or(SAR_FILE_NOT_EXIST)?;
        if !rights_ok(f.read_rights, role) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        let data = hex::decode(&f.data).map_err(|_| SAR_READFILEERR)?;
        let off = ulOffset as usize;
        if off > data.len() {
            return Err(SAR_INDATALENERR);
        }
        // At most MaxBufferSize bytes per call: callers loop (short reads allowed).
        let n = (ulSize as usize).min(data.len() - off).min(max as usize);
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&data[off..off + n], pbOutData, pulOutLen, width()) })
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_WriteFile(
    hApplication: *mut c_void,
    szFileName: *const c_char,
    ulOffset: u32,
    pbData: *const u8,
    ulSize: u32,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szFileName)?;
        if pbData.is_null() && ulSize > 0 {
            return Err(SAR_INVALIDPARAMERR);
        }
        let role = rt.role(&path, &app);
        let mut st = load(&path)?;
        let max = st.quirks.max_buffer_size;
        let a = app_mut(&mut st, &app)?;
        let f = a
            .files
            .iter_mut()
            .find(|f| f.name == name)
            .ok_or(SAR_FILE_NOT_EXIST)?;
        if !rights_ok(f.write_rights, role) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        if ulSize > max {
            return Err(SAR_INDATALENERR);
        }
        let mut data = hex::decode(&f.data).map_err(|_| SAR_WRITEFILEERR)?;
        let (off, n) = (ulOffset as usize, ulSize as usize);
        if off.checked_add(n).is_none_or(|end| end > data.len()) {
            return Err(SAR_WRITEFILEERR);
        }
        if n > 0 {
            // SAFETY: pbData is non-null and holds ulSize bytes.
            data[off..off + n].copy_from_slice(unsafe { std::slice::from_raw_parts(pbData, n) });
        }
        f.data = hex::encode(data);
        save(&path, &st)
    })
}

// ---------------------------------------------------------------- containers (§7.5)

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_EnumContainer(
    hApplication: *mut c_void,
    szContainerName: *mut c_char,
    pulSize: *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        let list = multi_string(a.containers.iter().map(|c| c.name.as_str()));
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&list, szContainerName as *mut u8, pulSize, width()) })
    })
}

fn open_con(rt: &mut Rt, h_app: *mut c_void, name: &str, ph: *mut *mut c_void) -> R {
    let (path, app) = rt.app(h_app)?;
    let h = rt.add(Obj::Con {
        app: h_app as usize as u64,
        path,
        app_name: app,
        con: name.to_string(),
    });
    // SAFETY: ph checked non-null by callers.
    unsafe { *ph = h };
    Ok(())
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_CreateContainer(
    hApplication: *mut c_void,
    szContainerName: *const c_char,
    phContainer: *mut *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        nonnull(phContainer)?;
        let name = name_arg(szContainerName)?;
        if name.is_empty() || name.len() > 64 {
            return Err(SAR_NAMELENERR);
        }
        if rt.role(&path, &app) != Some(USER_TYPE) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        if a.containers.iter().any(|c| c.name == name) {
            return Err(SAR_INVALIDPARAMERR);
        }
        if a.containers.len() >= 8 {
            return Err(SAR_REACH_MAX_CONTAINER_COUNT);
        }
        a.containers.push(state::Container {
            name: name.clone(),
            sign_key: None,
            sign_cert: None,
            enc_key: None,
            enc_cert: None,
        });
        save(&path, &st)?;
        open_con(rt, hApplication, &name, phContainer)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_DeleteContainer(
    hApplication: *mut c_void,
    szContainerName: *const c_char,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        let name = name_arg(szContainerName)?;
        if rt.role(&path, &app) != Some(USER_TYPE) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        let i = a
            .containers
            .iter()
            .position(|c| c.name == name)
            .ok_or(SAR_INVALIDPARAMERR)?;
        a.containers.remove(i);
        save(&path, &st)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_OpenContainer(
    hApplication: *mut c_void,
    szContainerName: *const c_char,
    phContainer: *mut *mut c_void,
) -> u32 {
    run(|rt| {
        let (path, app) = rt.app(hApplication)?;
        nonnull(phContainer)?;
        let name = name_arg(szContainerName)?;
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        if !a.containers.iter().any(|c| c.name == name) {
            return Err(SAR_INVALIDPARAMERR);
        }
        open_con(rt, hApplication, &name, phContainer)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_CloseContainer(hContainer: *mut c_void) -> u32 {
    run(|rt| {
        rt.con(hContainer)?;
        rt.objs.remove(&(hContainer as usize as u64));
        Ok(())
    })
}

/// Runs a read-only operation on an open container (with the app's login role).
fn with_con<T>(
    rt: &Rt,
    h: *mut c_void,
    f: impl FnOnce(&State, &state::Container, Option<u32>) -> Result<T, u32>,
) -> Result<T, u32> {
    let (path, app, con) = rt.con(h)?;
    let role = rt.role(&path, &app);
    let st = load(&path)?;
    let a = st
        .applications
        .iter()
        .find(|a| a.name == app)
        .ok_or(SAR_APPLICATION_NOT_EXISTS)?;
    let c = a
        .containers
        .iter()
        .find(|c| c.name == con)
        .ok_or(SAR_INVALIDHANDLEERR)?;
    f(&st, c, role)
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GetContainerType(
    hContainer: *mut c_void,
    pulContainerType: *mut c_void,
) -> u32 {
    run(|rt| {
        nonnull(pulContainerType)?;
        let t = with_con(rt, hContainer, |_, c, _| {
            Ok(if c.sign_key.is_some() { 2u64 } else { 0 })
        })?;
        // SAFETY: non-null (checked) out-pointer to a ULONG of the library's width (SKF contract).
        unsafe { width().write(pulContainerType, t) };
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ImportCertificate(
    hContainer: *mut c_void,
    bSignFlag: i32,
    pbCert: *const u8,
    ulCertLen: u32,
) -> u32 {
    run(|rt| {
        if pbCert.is_null() || ulCertLen == 0 || ulCertLen > 16384 {
            return Err(SAR_INVALIDPARAMERR);
        }
        // SAFETY: pbCert is non-null and holds ulCertLen bytes.
        let cert = unsafe { std::slice::from_raw_parts(pbCert, ulCertLen as usize) }.to_vec();
        let (path, app, con) = rt.con(hContainer)?;
        if rt.role(&path, &app) != Some(USER_TYPE) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        let mut st = load(&path)?;
        let a = app_mut(&mut st, &app)?;
        let c = a
            .containers
            .iter_mut()
            .find(|c| c.name == con)
            .ok_or(SAR_INVALIDHANDLEERR)?;
        if bSignFlag != 0 {
            c.sign_cert = Some(hex::encode(cert))
        } else {
            c.enc_cert = Some(hex::encode(cert))
        }
        save(&path, &st)
    })
}

fn pem(der: &[u8]) -> Vec<u8> {
    // Minimal base64 for the PEM quirk (RFC 4648 alphabet, 64-character lines).
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = Vec::new();
    for ch in der.chunks(3) {
        let n = (u32::from(ch[0]) << 16)
            | (u32::from(*ch.get(1).unwrap_or(&0)) << 8)
            | u32::from(*ch.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= ch.len() {
                b64.push(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                b64.push(b'=')
            }
        }
    }
    let mut out = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    for line in b64.chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    out
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ExportCertificate(
    hContainer: *mut c_void,
    bSignFlag: i32,
    pbCert: *mut u8,
    pulCertLen: *mut c_void,
) -> u32 {
    run(|rt| {
        let (cert, as_pem) = with_con(rt, hContainer, |st, c, _| {
            let h = if bSignFlag != 0 {
                &c.sign_cert
            } else {
                &c.enc_cert
            };
            let der = h
                .as_ref()
                .and_then(|h| hex::decode(h).ok())
                .ok_or(SAR_CERTNOTFOUNTERR)?;
            Ok((der, st.quirks.cert_pem))
        })?;
        let out = if as_pem { pem(&cert) } else { cert };
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&out, pbCert, pulCertLen, width()) })
    })
}

fn signing_key(hexd: &str) -> Result<sm2::dsa::SigningKey, u32> {
    let d = hex::decode(hexd).map_err(|_| SAR_KEYNOTFOUNTERR)?;
    sm2::dsa::SigningKey::from_slice(DEFAULT_ID, &d).map_err(|_| SAR_KEYNOTFOUNTERR)
}

/// `ECCPUBLICKEYBLOB`: BitLen (ULONG), XCoordinate[64], YCoordinate[64], right-aligned.
fn pub_blob(k: &sm2::dsa::SigningKey, w: Width) -> Vec<u8> {
    let pt = k.verifying_key().as_affine().to_sec1_point(false);
    let b = pt.as_bytes();
    let mut d = Vec::new();
    w.push(&mut d, 256);
    d.extend_from_slice(&right_aligned_64(&b[1..33]));
    d.extend_from_slice(&right_aligned_64(&b[33..65]));
    d
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ExportPublicKey(
    hContainer: *mut c_void,
    bSignFlag: i32,
    pbBlob: *mut u8,
    pulBlobLen: *mut c_void,
) -> u32 {
    run(|rt| {
        let w = width();
        let blob = with_con(rt, hContainer, |_, c, _| {
            let h = if bSignFlag != 0 {
                &c.sign_key
            } else {
                &c.enc_key
            };
            let k = signing_key(h.as_deref().ok_or(SAR_KEYNOTFOUNTERR)?)?;
            Ok(pub_blob(&k, w))
        })?;
        // SAFETY: SKF contract: the buffer, when non-null, holds *pulSize bytes; pulSize points to a ULONG of the library's width (put_bytes checks it for null).
        ok(unsafe { put_bytes(&blob, pbBlob, pulBlobLen, w) })
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_GenECCKeyPair(
    hContainer: *mut c_void,
    ulAlgId: u32,
    pBlob: *mut c_void,
) -> u32 {
    run(|rt| {
        nonnull(pBlob)?;
        let (path, app, con) = rt.con(hContainer)?;
        if rt.role(&path, &app) != Some(USER_TYPE) {
            return Err(SAR_USER_NOT_LOGGED_IN);
        }
        let mut st = load(&path)?;
        let accepted = match st.quirks.sm2_alg_id {
            Some(id) => ulAlgId == id,
            None => ulAlgId == SGD_SM2_1_SKF || ulAlgId == SGD_SM2_1_GMT0006,
        };
        if !accepted {
            return Err(SAR_NOTSUPPORTYETERR);
        }
        let k = loop {
            let mut d = [0u8; 32];
            getrandom::fill(&mut d).map_err(|_| SAR_GENRANDERR)?;
            if let Ok(k) = sm2::dsa::SigningKey::from_slice(DEFAULT_ID, &d) {
                break k;
            }
        };
        let a = app_mut(&mut st, &app)?;
        let c = a
            .containers
            .iter_mut()
            .find(|c| c.name == con)
            .ok_or(SAR_INVALIDHANDLEERR)?;
        c.sign_key = Some(hex::encode(k.to_bytes()));
        c.sign_cert = None;
        save(&path, &st)?;
        // SAFETY: non-null (checked) pointer to the structure the SKF prototype names, of this layout's size.
        unsafe { put_struct(&pub_blob(&k, width()), pBlob) };
        Ok(())
    })
}

/// `SKF_ECCSignData`: signs e (32 bytes, already SM3(Z‖M), GM/T 0016 §7.6.13) with the
/// container's signing key; r and s right-aligned in `ECCSIGNATUREBLOB` (128 bytes).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ECCSignData(
    hContainer: *mut c_void,
    pbData: *const u8,
    ulDataLen: u32,
    pSignature: *mut c_void,
) -> u32 {
    run(|rt| {
        nonnull(pSignature)?;
        if pbData.is_null() {
            return Err(SAR_INVALIDPARAMERR);
        }
        if ulDataLen != 32 {
            return Err(SAR_INDATALENERR);
        }
        // SAFETY: pbData is non-null and holds 32 bytes.
        let e = unsafe { std::slice::from_raw_parts(pbData, 32) }.to_vec();
        let sig = with_con(rt, hContainer, |_, c, role| {
            if role != Some(USER_TYPE) {
                return Err(SAR_USER_NOT_LOGGED_IN);
            }
            let k = signing_key(c.sign_key.as_deref().ok_or(SAR_KEYNOTFOUNTERR)?)?;
            use sm2::dsa::signature::hazmat::PrehashSigner;
            let s: sm2::dsa::Signature = k.sign_prehash(&e).map_err(|_| SAR_FAIL)?;
            Ok(s)
        })?;
        let mut blob = Vec::with_capacity(128);
        blob.extend_from_slice(&right_aligned_64(&sig.r_bytes()));
        blob.extend_from_slice(&right_aligned_64(&sig.s_bytes()));
        // SAFETY: non-null (checked) pointer to the structure the SKF prototype names, of this layout's size.
        unsafe { put_struct(&blob, pSignature) };
        Ok(())
    })
}

/// `SKF_ECCVerify`: verifies a signature over e with an `ECCPUBLICKEYBLOB`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SKF_ECCVerify(
    hDev: *mut c_void,
    pECCPubKeyBlob: *const u8,
    pbData: *const u8,
    ulDataLen: u32,
    pSignature: *const u8,
) -> u32 {
    run(|rt| {
        rt.dev(hDev)?;
        if pECCPubKeyBlob.is_null() || pbData.is_null() || pSignature.is_null() {
            return Err(SAR_INVALIDPARAMERR);
        }
        if ulDataLen != 32 {
            return Err(SAR_INDATALENERR);
        }
        let w = width();
        // SAFETY: the caller passes an ECCPUBLICKEYBLOB of the library's width, 32 bytes of
        // data and a 128-byte ECCSIGNATUREBLOB.
        let (blob, e, sig) = unsafe {
            (
                std::slice::from_raw_parts(pECCPubKeyBlob, w.size() + 128),
                std::slice::from_raw_parts(pbData, 32),
                std::slice::from_raw_parts(pSignature, 128),
            )
        };
        let x = &blob[w.size()..w.size() + 64];
        let y = &blob[w.size() + 64..];
        let mut sec1 = vec![4u8];
        sec1.extend_from_slice(&x[32..]);
        sec1.extend_from_slice(&y[32..]);
        let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(DEFAULT_ID, &sec1)
            .map_err(|_| SAR_INVALIDPARAMERR)?;
        let s = sm2::dsa::Signature::from_scalars(
            <[u8; 32]>::try_from(&sig[32..64]).map_err(|_| SAR_INVALIDPARAMERR)?,
            <[u8; 32]>::try_from(&sig[96..128]).map_err(|_| SAR_INVALIDPARAMERR)?,
        )
        .map_err(|_| SAR_INVALIDPARAMERR)?;
        use sm2::dsa::signature::hazmat::PrehashVerifier;
        vk.verify_prehash(e, &s).map_err(|_| SAR_FAIL)
    })
}

// ---------------------------------------------------------------- not supported

macro_rules! not_supported {
    ($($name:ident),* $(,)?) => {$(
        /// Not implemented by the software UKey: returns `SAR_NOTSUPPORTYETERR`.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn $name() -> u32 { SAR_NOTSUPPORTYETERR }
    )*};
}

not_supported!(
    SKF_WaitForDevEvent,
    SKF_CancelWaitForDevEvent,
    SKF_DevAuth,
    SKF_ChangeDevAuthKey,
    SKF_CreateApplication,
    SKF_DeleteApplication,
    SKF_ImportECCKeyPair,
    SKF_ExtECCSign,
    SKF_ExtECCVerify,
    SKF_ECCExportSessionKey,
    SKF_ExtECCEncrypt,
    SKF_ExtECCDecrypt,
    SKF_GenerateAgreementDataWithECC,
    SKF_GenerateKeyWithECC,
    SKF_DigestInit,
    SKF_Digest,
    SKF_DigestUpdate,
    SKF_DigestFinal,
    SKF_CloseHandle,
    SKF_SetSymmKey,
    SKF_EncryptInit,
    SKF_Encrypt,
    SKF_EncryptUpdate,
    SKF_EncryptFinal,
    SKF_DecryptInit,
    SKF_Decrypt,
    SKF_DecryptUpdate,
    SKF_DecryptFinal,
    SKF_MacInit,
    SKF_Mac,
    SKF_MacUpdate,
    SKF_MacFinal,
    SKF_GenRSAKeyPair,
    SKF_ImportRSAKeyPair,
    SKF_RSASignData,
    SKF_RSAVerify,
    SKF_RSAExportSessionKey,
    SKF_ExtRSAPubKeyOperation,
    SKF_ExtRSAPriKeyOperation,
    SKF_GenExtRSAKey,
    SKF_ImportSessionKey,
    SKF_Transmit,
);
