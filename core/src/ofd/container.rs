//! The ZIP container of an OFD package (GB/T 33190 §7.1 → PKWARE APPNOTE 6.3.10), read so
//! that every ZIP reader would see the same files.
//!
//! A signature protects file *contents by name*. A ZIP file can give two readers different
//! contents for one name: two entries with one name (or two spellings of one name), a central
//! directory that disagrees with the local headers that streaming readers walk, entries hidden
//! between or inside other entries, a second end record, an extra field that renames an entry.
//! The verifier would then hash one file while a viewer shows another. So this reader does not
//! pick an interpretation: it reads the central directory itself and accepts the archive only
//! when every byte of the file is accounted for exactly once — local entries tile the file from
//! offset 0 up to the central directory, the directory runs up to the end record, the end
//! record's comment runs to the end of the file — and every local header, data descriptor and
//! compressed stream agrees with the central directory. Anything else is a [`ZipFlaw`].
//! The rules and their reasons are in docs/ofd-verification.md.
//!
//! Entry data is never held here: [`stream`] inflates an entry through a callback, checking its
//! size, the end of its deflate stream and its CRC-32, and charging a [`Budget`].

use super::OfdError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const SIG_LOCAL: u32 = 0x0403_4b50;
const SIG_CENTRAL: u32 = 0x0201_4b50;
const SIG_EOCD: u32 = 0x0605_4b50;
const SIG_EOCD64: u32 = 0x0606_4b50;
const SIG_LOCATOR64: u32 = 0x0706_4b50;
const SIG_DESCRIPTOR: u32 = 0x0807_4b50;
/// Longest entry name accepted (APPNOTE allows 65 535; OFD paths are short).
pub const MAX_NAME_LEN: usize = 4096;
/// Largest central directory read (its records are small; 20 000 entries need ~2 MB).
pub const MAX_DIRECTORY_SIZE: u64 = 64 << 20;
const CHUNK: usize = 64 * 1024;

/// Why a ZIP file is refused: it is malformed, or two readers could read it differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZipFlaw {
    #[error(
        "{len} bytes follow the end record at offset {at}: two archives in one file (data appended after an archive, or an archive prepended to another)"
    )]
    AfterEnd { at: u64, len: u64 },
    #[error(
        "a second end record at offset {second} besides the one at {first} (another central directory hidden in the archive comment)"
    )]
    SecondEndRecord { first: u64, second: u64 },
    #[error("the archive comment holds an end record signature")]
    SignatureInComment,
    #[error("the end record {why}")]
    EndRecord { why: String },
    #[error("ZIP64 end records {why}")]
    Zip64 { why: String },
    #[error("central directory record {index}: {why}")]
    CentralRecord { index: usize, why: String },
    #[error("{name}: the local header {why}")]
    LocalHeader { name: String, why: String },
    #[error("{len} bytes before the first entry (prepended data)")]
    BeforeFirst { len: u64 },
    #[error(
        "{len} bytes at offset {at} are not part of any entry (hidden data between entries, or an entry the central directory does not list)"
    )]
    Gap { at: u64, len: u64 },
    #[error("{name} overlaps {other} (one entry's bytes inside another's)")]
    Overlap { name: String, other: String },
    #[error("{name}: encrypted entries are not supported")]
    Encrypted { name: String },
    #[error("{name}: compression method {method} is not supported (only stored and deflated)")]
    Method { name: String, method: u16 },
    #[error("{name}: compressed data {why}")]
    Data { name: String, why: String },
    #[error("{name}: data descriptor {why}")]
    Descriptor { name: String, why: String },
    #[error(
        "{name}: the Info-ZIP Unicode Path extra field names {other:?} (readers that honour it see another file)"
    )]
    UnicodePath { name: String, other: String },
    #[error("{name}: extra fields {why}")]
    Extra { name: String, why: String },
    #[error("{name:?}: the name is flagged UTF-8 (bit 11) but is not UTF-8")]
    NameEncoding { name: String },
    #[error("duplicate entry: {first:?} and {second:?} name the same file ({rule})")]
    Duplicate {
        first: String,
        second: String,
        rule: SameName,
    },
    #[error(
        "{first:?} and {second:?} differ only in case or in trailing dots or spaces: a reader that extracts the package to a case-insensitive file system (ofdrw on Windows or macOS) keeps one of them"
    )]
    CaseCollision { first: String, second: String },
    #[error("{name}: a directory entry holding {size} bytes of data")]
    DirectoryWithData { name: String, size: u64 },
    #[error(
        "{name}: a symbolic link (readers that extract the package would follow it to another file)"
    )]
    Symlink { name: String },
}

/// Why two entry names are one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameName {
    /// Byte for byte the same name.
    Identical,
    /// The same after removing empty and `.` segments (`a//b`, `a/./b`, `./a`).
    PathSpelling,
    /// The same after Unicode normalisation (NFC: `é` and `e` + U+0301).
    Unicode,
    /// The same under another decoding of the name bytes (UTF-8 flag, GBK, CP437).
    Encoding,
}

impl std::fmt::Display for SameName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SameName::Identical => "the same name twice",
            SameName::PathSpelling => "the same path once empty and `.` segments are removed",
            SameName::Unicode => "the same name after Unicode normalisation (NFC)",
            SameName::Encoding => {
                "the same name when the bytes are decoded as another reader does (UTF-8 flag, GBK, CP437)"
            }
        })
    }
}

fn flaw(f: ZipFlaw) -> OfdError {
    OfdError::Container(f)
}

/// The bytes of a package: in memory, or a file read at offsets (nothing held).
pub(crate) enum Source {
    Bytes(Vec<u8>),
    File { file: Mutex<File>, len: u64 },
}

impl Source {
    pub fn file(file: File) -> Result<Self, OfdError> {
        let len = file
            .metadata()
            .map_err(|e| OfdError::Io(e.to_string()))?
            .len();
        Ok(Source::File {
            file: Mutex::new(file),
            len,
        })
    }

    pub fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// Fills `buf` from offset `at`; reading past the end is an error.
    pub fn read_at(&self, at: u64, buf: &mut [u8]) -> Result<(), OfdError> {
        let end = at
            .checked_add(buf.len() as u64)
            .filter(|e| *e <= self.len())
            .ok_or_else(|| OfdError::Zip(format!("read beyond the end of the file at {at}")))?;
        match self {
            Source::Bytes(b) => {
                buf.copy_from_slice(&b[at as usize..end as usize]);
                Ok(())
            }
            Source::File { file, .. } => {
                let mut f = file
                    .lock()
                    .map_err(|_| OfdError::Io("the package file lock is poisoned".into()))?;
                f.seek(SeekFrom::Start(at))
                    .and_then(|_| f.read_exact(buf))
                    .map_err(|e| OfdError::Io(format!("reading the package at {at}: {e}")))
            }
        }
    }

    fn read_vec(&self, at: u64, len: u64) -> Result<Vec<u8>, OfdError> {
        let mut v = vec![0u8; len as usize];
        self.read_at(at, &mut v)?;
        Ok(v)
    }
}

/// Uncompressed bytes produced for one package (validation, hashing, parsing) and their cap.
#[derive(Debug)]
pub(crate) struct Budget {
    used: AtomicU64,
    pub limit: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget {
            used: AtomicU64::new(0),
            limit,
        }
    }
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
    fn charge(&self, n: u64) -> Result<(), OfdError> {
        let used = self.used.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if used > self.limit {
            return Err(OfdError::ReadBudget { limit: self.limit });
        }
        Ok(())
    }
}

/// What the central directory says about one entry, checked against its local header.
#[derive(Debug, Clone)]
pub struct RawEntry {
    /// Index in the central directory.
    pub index: usize,
    pub raw_name: Vec<u8>,
    /// The name as eseal reads it: UTF-8 when flagged or valid, else GBK.
    pub name: String,
    pub is_dir: bool,
    pub flags: u16,
    /// 0 stored, 8 deflated.
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub header_offset: u64,
    pub data_offset: u64,
    /// End of the entry: after its data and data descriptor.
    pub end: u64,
    pub version_made_by: u16,
    pub version_needed: u16,
    pub mod_time: u16,
    pub mod_date: u16,
    pub internal_attr: u16,
    pub external_attr: u32,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Decodes a ZIP entry name: UTF-8 when flagged or valid UTF-8, else GBK (Chinese producers
/// that do not set the flag).
pub fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

/// IBM code page 437, bytes 0x80–0xFF: what APPNOTE Appendix D prescribes for names without
/// the UTF-8 flag (Python's zipfile, Info-ZIP unzip).
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

fn cp437(raw: &[u8]) -> String {
    let high: Vec<char> = CP437_HIGH.chars().collect();
    raw.iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                high[(b - 0x80) as usize]
            }
        })
        .collect()
}

/// Every string some reader could make of a name's bytes: the flag is not always honoured,
/// and readers without it use UTF-8, GBK or CP437.
fn spellings(raw: &[u8]) -> Vec<String> {
    if raw.is_ascii() {
        return vec![String::from_utf8_lossy(raw).into_owned()];
    }
    let mut v = Vec::new();
    if let Ok(s) = std::str::from_utf8(raw) {
        v.push(s.to_owned());
    }
    let (g, _, bad) = encoding_rs::GBK.decode(raw);
    if !bad {
        v.push(g.into_owned());
    }
    v.push(cp437(raw));
    v.dedup();
    v
}

/// A path as a reader resolves it: `\` as `/`, empty and `.` segments removed, NFC.
fn path_key(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s = s.replace('\\', "/");
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.join("/").nfc().collect()
}

/// What a case-insensitive file system (Windows, macOS) makes of a path: lower case, trailing
/// dots and spaces of each segment dropped.
fn fold_key(key: &str) -> String {
    key.split('/')
        .map(|p| p.trim_end_matches(['.', ' ']).to_lowercase())
        .collect::<Vec<_>>()
        .join("/")
}

fn same_name_rule(a: &RawEntry, b: &RawEntry) -> SameName {
    let plain = |e: &RawEntry| {
        let s = e.name.replace('\\', "/");
        s.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect::<Vec<_>>()
            .join("/")
    };
    if a.raw_name == b.raw_name {
        SameName::Identical
    } else if a.name == b.name {
        SameName::Encoding
    } else if plain(a) == plain(b) {
        SameName::PathSpelling
    } else if path_key(&a.name) == path_key(&b.name) {
        SameName::Unicode
    } else {
        SameName::Encoding
    }
}

/// Refuses two entries that some reader takes for one file.
fn check_names(entries: &[RawEntry]) -> Result<(), OfdError> {
    let mut exact: HashMap<String, usize> = HashMap::new();
    let mut folded: HashMap<String, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let mut keys: Vec<String> = spellings(&e.raw_name).iter().map(|s| path_key(s)).collect();
        keys.sort();
        keys.dedup();
        for k in &keys {
            if let Some(&j) = exact.get(k)
                && j != i
            {
                return Err(flaw(ZipFlaw::Duplicate {
                    first: entries[j].name.clone(),
                    second: e.name.clone(),
                    rule: same_name_rule(&entries[j], e),
                }));
            }
        }
        for k in &keys {
            exact.insert(k.clone(), i);
        }
        let mut fkeys: Vec<String> = keys.iter().map(|k| fold_key(k)).collect();
        fkeys.dedup();
        for k in &fkeys {
            if let Some(&j) = folded.get(k)
                && j != i
            {
                return Err(flaw(ZipFlaw::CaseCollision {
                    first: entries[j].name.clone(),
                    second: e.name.clone(),
                }));
            }
        }
        for k in fkeys {
            folded.insert(k, i);
        }
    }
    Ok(())
}

/// Extra fields (APPNOTE §4.5): a sequence of (id, length, data) that must fill the field
/// exactly, each id at most once.
fn extra_fields<'a>(extra: &'a [u8], name: &str) -> Result<Vec<(u16, &'a [u8])>, OfdError> {
    let bad = |why: &str| {
        flaw(ZipFlaw::Extra {
            name: name.to_owned(),
            why: why.to_owned(),
        })
    };
    let mut out: Vec<(u16, &[u8])> = Vec::new();
    let mut p = 0;
    while p < extra.len() {
        if p + 4 > extra.len() {
            return Err(bad("end in a truncated field header"));
        }
        let id = u16_at(extra, p);
        let len = u16_at(extra, p + 2) as usize;
        let data = extra
            .get(p + 4..p + 4 + len)
            .ok_or_else(|| bad("hold a field longer than the extra data"))?;
        if out.iter().any(|(i, _)| *i == id) {
            return Err(bad(&format!(
                "hold field {id:#06x} twice (readers take the first or the last)"
            )));
        }
        out.push((id, data));
        p += 4 + len;
    }
    Ok(out)
}

/// The Info-ZIP Unicode Path field (0x7075, APPNOTE §4.6.9) must name the entry as we do.
fn check_unicode_path(fields: &[(u16, &[u8])], e_name: &str) -> Result<(), OfdError> {
    for (id, data) in fields {
        if *id != 0x7075 {
            continue;
        }
        let other = match data.split_first() {
            Some((1, rest)) if rest.len() >= 4 => std::str::from_utf8(&rest[4..]).ok(),
            _ => None,
        };
        match other {
            Some(o) if o == e_name => {}
            Some(o) => {
                return Err(flaw(ZipFlaw::UnicodePath {
                    name: e_name.to_owned(),
                    other: o.to_owned(),
                }));
            }
            None => {
                return Err(flaw(ZipFlaw::UnicodePath {
                    name: e_name.to_owned(),
                    other: "(unreadable)".into(),
                }));
            }
        }
    }
    Ok(())
}

/// Sizes in a ZIP64 extended information field (APPNOTE §4.5.3): present, in this order,
/// only for the fields saturated in the header.
fn zip64_values(
    fields: &[(u16, &[u8])],
    name: &str,
    wanted: &mut [(&mut u64, bool)],
) -> Result<(), OfdError> {
    if !wanted.iter().any(|(_, sat)| *sat) {
        return Ok(());
    }
    let data = fields
        .iter()
        .find(|(id, _)| *id == 0x0001)
        .map(|(_, d)| *d)
        .ok_or_else(|| {
            flaw(ZipFlaw::Zip64 {
                why: format!("{name}: a saturated size or offset without a ZIP64 extra field"),
            })
        })?;
    let mut p = 0;
    for (v, sat) in wanted.iter_mut() {
        if *sat {
            if p + 8 > data.len() {
                return Err(flaw(ZipFlaw::Zip64 {
                    why: format!("{name}: the ZIP64 extra field is too short"),
                }));
            }
            **v = u64_at(data, p);
            p += 8;
        }
    }
    Ok(())
}

/// Bounds for reading the container.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContainerLimits {
    pub max_entries: usize,
}

/// Reads and checks the structure (not the entry data: see [`validate`]).
pub(crate) fn read(src: &Source, limits: ContainerLimits) -> Result<Vec<RawEntry>, OfdError> {
    let len = src.len();
    let not_zip = || OfdError::Zip("no end of central directory record: not a ZIP file".into());
    if len < 22 {
        return Err(not_zip());
    }
    // The end record (§4.3.16) is the one whose comment runs to the end of the file.
    let window = len.min(22 + 0xFFFF + 20 + 56);
    let tail = src.read_vec(len - window, window)?;
    let base = len - window;
    let plausible: Vec<(u64, u64)> = (0..tail.len().saturating_sub(21))
        .filter(|&i| u32_at(&tail, i) == SIG_EOCD)
        .filter_map(|i| {
            let r = &tail[i..i + 22];
            let (d, dcd, n1, n2) = (u16_at(r, 4), u16_at(r, 6), u16_at(r, 8), u16_at(r, 10));
            let cd_size = u32_at(r, 12) as u64;
            let cd_off = u32_at(r, 16) as u64;
            let end = base + i as u64 + 22 + u16_at(r, 20) as u64;
            let at = base + i as u64;
            let sane = d == dcd
                && n1 == n2
                && end <= len
                && (cd_off == 0xFFFF_FFFF || cd_off.saturating_add(cd_size) <= at);
            sane.then_some((at, end))
        })
        .collect();
    let Some(&(eocd, _)) = plausible.iter().rev().find(|(_, end)| *end == len) else {
        return Err(match plausible.last() {
            Some(&(at, end)) => flaw(ZipFlaw::AfterEnd { at, len: len - end }),
            None => not_zip(),
        });
    };
    if let Some(&(other, other_end)) = plausible.iter().find(|(at, _)| *at != eocd) {
        return Err(flaw(if other_end == len {
            ZipFlaw::SecondEndRecord {
                first: other,
                second: eocd,
            }
        } else {
            ZipFlaw::AfterEnd {
                at: other,
                len: len - other_end,
            }
        }));
    }
    let r = &tail[(eocd - base) as usize..];
    let comment = &r[22..];
    if comment.windows(4).any(|w| u32_at(w, 0) == SIG_EOCD) {
        return Err(flaw(ZipFlaw::SignatureInComment));
    }
    let end_err = |why: String| flaw(ZipFlaw::EndRecord { why });
    let (disk, cd_disk) = (u16_at(r, 4), u16_at(r, 6));
    let (n_disk, n_total) = (u16_at(r, 8), u16_at(r, 10));
    let (mut cd_size, mut cd_offset) = (u32_at(r, 12) as u64, u32_at(r, 16) as u64);
    let mut n = n_total as u64;
    if disk != 0 || cd_disk != 0 || n_disk != n_total {
        return Err(end_err("describes a multi-disk archive".into()));
    }
    // ZIP64 (§4.3.14–15): a locator right before the end record.
    let mut cd_end = eocd;
    let has_locator = eocd >= 20 && {
        let mut b = [0u8; 4];
        src.read_at(eocd - 20, &mut b)?;
        u32::from_le_bytes(b) == SIG_LOCATOR64
    };
    let saturated = n_total == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF;
    if has_locator {
        let z64 = |why: &str| {
            flaw(ZipFlaw::Zip64 {
                why: why.to_owned(),
            })
        };
        let loc = src.read_vec(eocd - 20, 20)?;
        let (ldisk, rec_off, disks) = (u32_at(&loc, 4), u64_at(&loc, 8), u32_at(&loc, 16));
        if ldisk != 0 || disks != 1 {
            return Err(z64("describe a multi-disk archive"));
        }
        if rec_off.checked_add(56).is_none_or(|e| e > eocd - 20) {
            return Err(z64("locator points outside the archive"));
        }
        let rec = src.read_vec(rec_off, 56)?;
        if u32_at(&rec, 0) != SIG_EOCD64 {
            return Err(z64("locator does not point at a ZIP64 end record"));
        }
        if rec_off
            .checked_add(12)
            .and_then(|x| x.checked_add(u64_at(&rec, 4)))
            != Some(eocd - 20)
        {
            return Err(z64(
                "record does not end at the locator (data between them)",
            ));
        }
        let (d64, cdd64) = (u32_at(&rec, 16), u32_at(&rec, 20));
        let (n64d, n64) = (u64_at(&rec, 24), u64_at(&rec, 32));
        let (s64, o64) = (u64_at(&rec, 40), u64_at(&rec, 48));
        if d64 != 0 || cdd64 != 0 || n64d != n64 {
            return Err(z64("describe a multi-disk archive"));
        }
        let agrees = |v32: u64, sat: u64, v64: u64| v32 == sat || v32 == v64;
        if !agrees(n_total as u64, 0xFFFF, n64)
            || !agrees(cd_size, 0xFFFF_FFFF, s64)
            || !agrees(cd_offset, 0xFFFF_FFFF, o64)
        {
            return Err(z64(
                "disagree with the end record (readers use one or the other)",
            ));
        }
        n = n64;
        cd_size = s64;
        cd_offset = o64;
        cd_end = rec_off;
    } else if saturated {
        return Err(flaw(ZipFlaw::Zip64 {
            why: "missing although the end record is saturated".into(),
        }));
    }
    if n > limits.max_entries as u64 {
        return Err(OfdError::Limit(format!(
            "{n} entries (limit {})",
            limits.max_entries
        )));
    }
    if cd_size > MAX_DIRECTORY_SIZE {
        return Err(OfdError::Limit(format!(
            "a central directory of {cd_size} bytes (limit {MAX_DIRECTORY_SIZE})"
        )));
    }
    if cd_offset.checked_add(cd_size) != Some(cd_end) {
        return Err(end_err(format!(
            "places the central directory at {cd_offset} (+{cd_size}), which does not end where the end records start ({cd_end})"
        )));
    }
    let cd = src.read_vec(cd_offset, cd_size)?;
    let mut entries = Vec::with_capacity(n as usize);
    let mut p = 0usize;
    for index in 0..n as usize {
        let rec_err = |why: String| flaw(ZipFlaw::CentralRecord { index, why });
        if p + 46 > cd.len() || u32_at(&cd, p) != SIG_CENTRAL {
            return Err(rec_err(format!(
                "missing (the end record counts {n} entries)"
            )));
        }
        let h = &cd[p..p + 46];
        let flags = u16_at(h, 8);
        let method = u16_at(h, 10);
        let (nl, el, cl) = (
            u16_at(h, 28) as usize,
            u16_at(h, 30) as usize,
            u16_at(h, 32) as usize,
        );
        if p + 46 + nl + el + cl > cd.len() {
            return Err(rec_err("runs past the central directory".into()));
        }
        if nl > MAX_NAME_LEN {
            return Err(rec_err(format!("a name of {nl} bytes")));
        }
        if u16_at(h, 34) != 0 {
            return Err(rec_err("starts on another disk".into()));
        }
        let raw_name = cd[p + 46..p + 46 + nl].to_vec();
        let name = if flags & 0x0800 != 0 {
            std::str::from_utf8(&raw_name)
                .map(str::to_owned)
                .map_err(|_| {
                    flaw(ZipFlaw::NameEncoding {
                        name: decode_name(&raw_name),
                    })
                })?
        } else {
            decode_name(&raw_name)
        };
        let fields = extra_fields(&cd[p + 46 + nl..p + 46 + nl + el], &name)?;
        check_unicode_path(&fields, &name)?;
        let (mut cs, mut us, mut off) = (
            u32_at(h, 20) as u64,
            u32_at(h, 24) as u64,
            u32_at(h, 42) as u64,
        );
        let (cs_sat, us_sat, off_sat) = (cs == 0xFFFF_FFFF, us == 0xFFFF_FFFF, off == 0xFFFF_FFFF);
        zip64_values(
            &fields,
            &name,
            &mut [(&mut us, us_sat), (&mut cs, cs_sat), (&mut off, off_sat)],
        )?;
        if flags & 0x0001 != 0 || flags & 0x0040 != 0 || flags & 0x2000 != 0 {
            return Err(flaw(ZipFlaw::Encrypted { name }));
        }
        if method != 0 && method != 8 {
            return Err(flaw(ZipFlaw::Method { name, method }));
        }
        // Unix (3) or macOS (19) mode bits in the external attributes (APPNOTE §4.4.15).
        let host = u16_at(h, 4) >> 8;
        if (host == 3 || host == 19) && (u32_at(h, 38) >> 16) & 0o170000 == 0o120000 {
            return Err(flaw(ZipFlaw::Symlink { name }));
        }
        entries.push(RawEntry {
            index,
            is_dir: raw_name.ends_with(b"/"),
            raw_name,
            name,
            flags,
            method,
            crc32: u32_at(h, 16),
            compressed_size: cs,
            size: us,
            header_offset: off,
            data_offset: 0,
            end: 0,
            version_made_by: u16_at(h, 4),
            version_needed: u16_at(h, 6),
            mod_time: u16_at(h, 12),
            mod_date: u16_at(h, 14),
            internal_attr: u16_at(h, 36),
            external_attr: u32_at(h, 38),
        });
        p += 46 + nl + el + cl;
    }
    if p != cd.len() {
        return Err(end_err(format!(
            "counts {n} entries but the central directory holds {} more bytes (more records than counted)",
            cd.len() - p
        )));
    }
    for e in &mut entries {
        local_header(src, e, cd_offset)?;
    }
    // Every byte from 0 to the central directory belongs to exactly one entry.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| (entries[i].header_offset, entries[i].index));
    let mut at = 0u64;
    let mut prev: Option<usize> = None;
    for &i in &order {
        let e = &entries[i];
        if e.header_offset > at {
            return Err(flaw(match prev {
                None => ZipFlaw::BeforeFirst {
                    len: e.header_offset,
                },
                Some(_) => ZipFlaw::Gap {
                    at,
                    len: e.header_offset - at,
                },
            }));
        }
        if e.header_offset < at {
            let other = prev.map(|j| entries[j].name.clone()).unwrap_or_default();
            return Err(flaw(ZipFlaw::Overlap {
                name: e.name.clone(),
                other,
            }));
        }
        at = e.end;
        prev = Some(i);
    }
    if at != cd_offset {
        return Err(flaw(ZipFlaw::Gap {
            at,
            len: cd_offset.saturating_sub(at),
        }));
    }
    check_names(&entries)?;
    for e in &entries {
        if e.is_dir && (e.size != 0 || e.compressed_size > 2) {
            return Err(flaw(ZipFlaw::DirectoryWithData {
                name: e.name.clone(),
                size: e.size.max(e.compressed_size),
            }));
        }
    }
    Ok(entries)
}

/// Reads the local header (§4.3.7) and data descriptor (§4.3.9) of `e` and checks them
/// against the central record; sets `data_offset` and `end`.
fn local_header(src: &Source, e: &mut RawEntry, cd_offset: u64) -> Result<(), OfdError> {
    let bad = |why: String| {
        flaw(ZipFlaw::LocalHeader {
            name: e.name.clone(),
            why,
        })
    };
    if e.header_offset
        .checked_add(30)
        .is_none_or(|x| x > cd_offset)
    {
        return Err(bad(format!(
            "at offset {} is not before the central directory",
            e.header_offset
        )));
    }
    let h = src.read_vec(e.header_offset, 30)?;
    if u32_at(&h, 0) != SIG_LOCAL {
        return Err(bad(format!("is missing at offset {}", e.header_offset)));
    }
    let (flags, method) = (u16_at(&h, 6), u16_at(&h, 8));
    let (nl, el) = (u16_at(&h, 26) as u64, u16_at(&h, 28) as u64);
    let var_end = e.header_offset + 30 + nl + el;
    if var_end > cd_offset {
        return Err(bad("runs into the central directory".into()));
    }
    let var = src.read_vec(e.header_offset + 30, nl + el)?;
    let (lname, lextra) = var.split_at(nl as usize);
    if lname != e.raw_name.as_slice() {
        return Err(bad(format!(
            "names {:?}, the central directory {:?} (streaming readers see the local name)",
            decode_name(lname),
            e.name
        )));
    }
    if flags & 0x0001 != 0 || flags & 0x0040 != 0 {
        return Err(flaw(ZipFlaw::Encrypted {
            name: e.name.clone(),
        }));
    }
    if method != e.method {
        return Err(bad(format!(
            "says compression method {method}, the central directory {}",
            e.method
        )));
    }
    let descriptor = e.flags & 0x0008 != 0;
    if (flags & 0x0008 != 0) != descriptor {
        return Err(bad(
            "and the central directory disagree on the data descriptor flag (bit 3)".into(),
        ));
    }
    if !e.raw_name.is_ascii() && (flags & 0x0800) != (e.flags & 0x0800) {
        return Err(bad(
            "and the central directory disagree on the UTF-8 flag of a non-ASCII name".into(),
        ));
    }
    let fields = extra_fields(lextra, &e.name)?;
    check_unicode_path(&fields, &e.name)?;
    let crc = u32_at(&h, 14);
    let (mut cs, mut us) = (u32_at(&h, 18) as u64, u32_at(&h, 22) as u64);
    let local_zip64 = fields.iter().any(|(id, _)| *id == 0x0001);
    let (us_sat, cs_sat) = (us == 0xFFFF_FFFF, cs == 0xFFFF_FFFF);
    if us_sat || cs_sat {
        // In a local header the ZIP64 field holds both sizes (§4.5.3).
        zip64_values(&fields, &e.name, &mut [(&mut us, true), (&mut cs, true)])?;
    }
    let agree = |l: u64, c: u64| l == c || (descriptor && l == 0);
    if !agree(crc as u64, e.crc32 as u64) || !agree(cs, e.compressed_size) || !agree(us, e.size) {
        return Err(bad(format!(
            "says CRC {crc:08x}, {cs} → {us} bytes; the central directory {:08x}, {} → {} bytes",
            e.crc32, e.compressed_size, e.size
        )));
    }
    e.data_offset = var_end;
    let data_end = var_end
        .checked_add(e.compressed_size)
        .filter(|x| *x <= cd_offset)
        .ok_or_else(|| bad("data runs into the central directory".into()))?;
    e.end = data_end;
    if descriptor {
        let avail = (cd_offset - data_end).min(24);
        let d = src.read_vec(data_end, avail)?;
        let wide = local_zip64 || e.compressed_size > 0xFFFF_FFFF || e.size > 0xFFFF_FFFF;
        let forms: &[(bool, bool)] = if wide {
            &[(true, true), (false, true)]
        } else {
            &[(true, false), (false, false)]
        };
        let mut found = None;
        for &(sig, w) in forms {
            let s = if sig { 4 } else { 0 };
            let len = s + if w { 20 } else { 12 };
            if d.len() < len || (sig && u32_at(&d, 0) != SIG_DESCRIPTOR) {
                continue;
            }
            let dcrc = u32_at(&d, s);
            let (dcs, dus) = if w {
                (u64_at(&d, s + 4), u64_at(&d, s + 12))
            } else {
                (u32_at(&d, s + 4) as u64, u32_at(&d, s + 8) as u64)
            };
            if dcrc == e.crc32 && dcs == e.compressed_size && dus == e.size {
                found = Some(len as u64);
                break;
            }
        }
        let len = found.ok_or_else(|| {
            flaw(ZipFlaw::Descriptor {
                name: e.name.clone(),
                why: "is missing or disagrees with the central directory (CRC or sizes)".into(),
            })
        })?;
        e.end = data_end + len;
    }
    Ok(())
}

/// Inflates entry `e` through `sink` in chunks, checking that the data is exactly what the
/// central directory declares: `size` bytes, the deflate stream ending exactly at the end of
/// the compressed data (nothing hidden after it), and the CRC-32. Charges `budget`.
pub(crate) fn stream(
    src: &Source,
    e: &RawEntry,
    budget: &Budget,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), OfdError>,
) -> Result<(), OfdError> {
    let data_err = |why: String| {
        flaw(ZipFlaw::Data {
            name: e.name.clone(),
            why,
        })
    };
    let mut crc = flate2::Crc::new();
    let mut produced = 0u64;
    let end = e.data_offset + e.compressed_size;
    let mut pos = e.data_offset;
    let mut inbuf = vec![0u8; CHUNK.min(e.compressed_size.max(1) as usize)];
    if e.method == 8 && e.compressed_size == 0 && e.size == 0 {
        // An empty file some writers deflate to no bytes at all.
    } else if e.method == 0 {
        if e.compressed_size != e.size {
            return Err(data_err(format!(
                "is stored but {} bytes compressed ≠ {} uncompressed",
                e.compressed_size, e.size
            )));
        }
        while pos < end {
            let n = (end - pos).min(inbuf.len() as u64) as usize;
            src.read_at(pos, &mut inbuf[..n])?;
            pos += n as u64;
            budget.charge(n as u64)?;
            crc.update(&inbuf[..n]);
            produced += n as u64;
            sink(&inbuf[..n])?;
        }
    } else {
        let mut d = flate2::Decompress::new(false);
        let mut outbuf = vec![0u8; CHUNK.min((e.size as usize).saturating_add(1))];
        let (mut in_pos, mut in_len) = (0usize, 0usize);
        loop {
            if in_pos == in_len && pos < end {
                let n = (end - pos).min(inbuf.len() as u64) as usize;
                src.read_at(pos, &mut inbuf[..n])?;
                pos += n as u64;
                in_pos = 0;
                in_len = n;
            }
            let last = pos == end;
            let (bi, bo) = (d.total_in(), d.total_out());
            let status = d
                .decompress(
                    &inbuf[in_pos..in_len],
                    &mut outbuf,
                    flate2::FlushDecompress::None,
                )
                .map_err(|x| data_err(format!("is not a valid deflate stream: {x}")))?;
            let used = (d.total_in() - bi) as usize;
            let out = (d.total_out() - bo) as usize;
            in_pos += used;
            if out > 0 {
                produced += out as u64;
                if produced > e.size {
                    return Err(data_err(format!(
                        "inflates to more than the declared {} bytes",
                        e.size
                    )));
                }
                budget.charge(out as u64)?;
                crc.update(&outbuf[..out]);
                sink(&outbuf[..out])?;
            }
            if status == flate2::Status::StreamEnd {
                if d.total_in() != e.compressed_size {
                    return Err(data_err(format!(
                        "end after {} of {} bytes: the deflate stream stops early and the rest is hidden from readers that stop with it",
                        d.total_in(),
                        e.compressed_size
                    )));
                }
                break;
            }
            if used == 0 && out == 0 {
                let why = if last && in_pos == in_len {
                    "are truncated: the deflate stream does not end".to_owned()
                } else {
                    "make no progress: not a valid deflate stream".to_owned()
                };
                return Err(data_err(why));
            }
        }
    }
    if produced != e.size {
        return Err(data_err(format!(
            "hold {produced} bytes, the central directory declares {}",
            e.size
        )));
    }
    if crc.sum() != e.crc32 {
        return Err(data_err(format!(
            "have CRC-32 {:08x}, the central directory declares {:08x}",
            crc.sum(),
            e.crc32
        )));
    }
    Ok(())
}

/// Checks every entry's data (see [`stream`]) without keeping it.
pub(crate) fn validate(
    src: &Source,
    entries: &[RawEntry],
    budget: &Budget,
) -> Result<(), OfdError> {
    for e in entries {
        stream(src, e, budget, &mut |_| Ok(()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp437_table_is_complete() {
        assert_eq!(CP437_HIGH.chars().count(), 128);
        assert_eq!(cp437(&[0x80, 0x41, 0xe1]), "ÇAß");
    }

    #[test]
    fn name_keys() {
        assert_eq!(path_key("a//b/./c"), "a/b/c");
        assert_eq!(path_key("./a\\b"), "a/b");
        assert_eq!(path_key("e\u{301}"), "é");
        assert_eq!(fold_key("Doc_0/Content.XML. "), "doc_0/content.xml");
        // GBK bytes without the flag read as GBK and as CP437; valid UTF-8 also as UTF-8.
        let gbk = encoding_rs::GBK.encode("印章").0.into_owned();
        let s = spellings(&gbk);
        assert!(s.contains(&"印章".to_owned()) && s.len() == 2, "{s:?}");
        assert_eq!(spellings(b"a.xml"), vec!["a.xml".to_owned()]);
    }
}
