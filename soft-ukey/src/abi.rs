//! GM/T 0016-2012 constants and the raw-pointer helpers of the exported functions.

#![allow(clippy::missing_safety_doc)]

use std::ffi::{CStr, c_char, c_void};

pub const SAR_OK: u32 = 0;
pub const SAR_FAIL: u32 = 0x0A00_0001;
pub const SAR_NOTSUPPORTYETERR: u32 = 0x0A00_0003;
pub const SAR_INVALIDHANDLEERR: u32 = 0x0A00_0005;
pub const SAR_INVALIDPARAMERR: u32 = 0x0A00_0006;
pub const SAR_READFILEERR: u32 = 0x0A00_0007;
pub const SAR_WRITEFILEERR: u32 = 0x0A00_0008;
pub const SAR_NAMELENERR: u32 = 0x0A00_0009;
pub const SAR_INDATALENERR: u32 = 0x0A00_0010;
pub const SAR_GENRANDERR: u32 = 0x0A00_0012;
pub const SAR_KEYNOTFOUNTERR: u32 = 0x0A00_001B;
pub const SAR_CERTNOTFOUNTERR: u32 = 0x0A00_001C;
pub const SAR_BUFFER_TOO_SMALL: u32 = 0x0A00_0020;
pub const SAR_DEVICE_REMOVED: u32 = 0x0A00_0023;
pub const SAR_PIN_INCORRECT: u32 = 0x0A00_0024;
pub const SAR_PIN_LOCKED: u32 = 0x0A00_0025;
pub const SAR_PIN_LEN_RANGE: u32 = 0x0A00_0027;
pub const SAR_USER_TYPE_INVALID: u32 = 0x0A00_002A;
pub const SAR_USER_NOT_LOGGED_IN: u32 = 0x0A00_002D;
pub const SAR_APPLICATION_NOT_EXISTS: u32 = 0x0A00_002E;
pub const SAR_FILE_ALREADY_EXIST: u32 = 0x0A00_002F;
pub const SAR_NO_ROOM: u32 = 0x0A00_0030;
pub const SAR_FILE_NOT_EXIST: u32 = 0x0A00_0031;
pub const SAR_REACH_MAX_CONTAINER_COUNT: u32 = 0x0A00_0032;

pub const ADMIN_TYPE: u32 = 0;
pub const USER_TYPE: u32 = 1;
pub const SECURE_NEVER_ACCOUNT: u32 = 0x00;
pub const SECURE_ADM_ACCOUNT: u32 = 0x01;
pub const SECURE_USER_ACCOUNT: u32 = 0x10;
pub const SECURE_ANYONE_ACCOUNT: u32 = 0xFF;

pub const SGD_SM3: u32 = 0x0000_0001;
pub const SGD_SM4_ECB: u32 = 0x0000_0401;
pub const SGD_SM4_CBC: u32 = 0x0000_0402;
/// SM2 signature in the SKF vendor headers.
pub const SGD_SM2_1_SKF: u32 = 0x0002_0100;
/// SM2 signature in GM/T 0006 / SDF headers.
pub const SGD_SM2_1_GMT0006: u32 = 0x0002_0200;

pub const MAX_FILE_NAME_SIZE: usize = 32;

/// Width of `ULONG` in out-parameters and structures.
#[derive(Clone, Copy)]
pub struct Width(pub bool);

impl Width {
    pub fn size(self) -> usize {
        if self.0 { 8 } else { 4 }
    }
    /// Reads a `ULONG` through a caller's pointer.
    pub unsafe fn read(self, p: *const c_void) -> u64 {
        // SAFETY: the caller passes a non-null pointer to a ULONG of this width (checked by callers).
        unsafe {
            if self.0 {
                (p as *const u64).read_unaligned()
            } else {
                u64::from((p as *const u32).read_unaligned())
            }
        }
    }
    /// Writes a `ULONG` through a caller's pointer.
    pub unsafe fn write(self, p: *mut c_void, v: u64) {
        // SAFETY: as for `read`.
        unsafe {
            if self.0 {
                (p as *mut u64).write_unaligned(v)
            } else {
                (p as *mut u32).write_unaligned(v as u32)
            }
        }
    }
    /// Appends a `ULONG` to a structure being laid out (little-endian, pack(1)).
    pub fn push(self, out: &mut Vec<u8>, v: u32) {
        if self.0 {
            out.extend_from_slice(&u64::from(v).to_le_bytes())
        } else {
            out.extend_from_slice(&v.to_le_bytes())
        }
    }
}

/// Reads a NUL-terminated string argument; `None` when null.
pub unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller passes a NUL-terminated string (SKF LPSTR contract).
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// The two-call size protocol: with a null buffer report the size; otherwise check the
/// caller's capacity in `*pul_size`, copy, and report the length written.
pub unsafe fn put_bytes(data: &[u8], buf: *mut u8, pul_size: *mut c_void, w: Width) -> u32 {
    if pul_size.is_null() {
        return SAR_INVALIDPARAMERR;
    }
    // SAFETY: pul_size is non-null and points to a ULONG of width w.
    unsafe {
        if buf.is_null() {
            w.write(pul_size, data.len() as u64);
            return SAR_OK;
        }
        let cap = w.read(pul_size);
        if cap < data.len() as u64 {
            w.write(pul_size, data.len() as u64);
            return SAR_BUFFER_TOO_SMALL;
        }
        // SAFETY: buf holds at least cap >= data.len() bytes (caller's contract).
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        w.write(pul_size, data.len() as u64);
    }
    SAR_OK
}

/// A multi-string name list: each name NUL-terminated, then a final NUL.
pub fn multi_string<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        out.extend_from_slice(n.as_bytes());
        out.push(0);
    }
    out.push(0);
    out
}

/// Copies a fixed-size structure to the caller.
pub unsafe fn put_struct(data: &[u8], p: *mut c_void) {
    // SAFETY: the caller's structure pointer is non-null (checked) and holds data.len() bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p as *mut u8, data.len()) }
}

/// A 32-byte big-endian value right-aligned in a 64-byte field (ECCPUBLICKEYBLOB, ECCSIGNATUREBLOB).
pub fn right_aligned_64(v: &[u8]) -> [u8; 64] {
    let mut f = [0u8; 64];
    f[64 - v.len()..].copy_from_slice(v);
    f
}
