//! The OFD package (a ZIP file, GB/T 33190 §7.1), read safely and rewritten atomically.
//!
//! Reading treats the archive as hostile. The container is read by [`super::container`]:
//! one reading for every ZIP reader (no duplicate or shadowed names, local headers that agree
//! with the central directory, every byte accounted for), each entry's data checked once.
//! Then bounds: entry count, entry size, total declared size — absolute and relative to the
//! file (decompression amplification) —, compression ratio, no absolute or `..` names.
//! Entry names are decoded as UTF-8 when flagged or valid, else as GBK (Chinese producers
//! without the flag). Paths inside the package are resolved per ST_Loc (GB/T 33190-2016).
//!
//! Nothing is held but the central directory: [`Package::open`] reads the file at offsets,
//! [`Package::read`] inflates one part (bounded by [`Limits::max_part_size`]) for parsing and
//! [`Package::digest`] streams an entry through a hash, once per (entry, algorithm). Every
//! uncompressed byte produced counts against a budget ([`Limits`]); exceeding it is
//! [`OfdError::ReadBudget`].
//!
//! Writing copies every untouched entry byte for byte (local header, data, descriptor) and
//! adds or replaces the changed ones; [`Package::write_with`] streams to any writer, so
//! signing writes straight into an [`crate::fs::AtomicFile`].

use super::OfdError;
use super::container::{self, Budget, ContainerLimits, RawEntry, Source};
use crate::crypto::sm3::Sm3;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use super::container::{SameName, ZipFlaw, decode_name};

/// Bounds applied when reading a package and verifying it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    /// Largest declared uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Largest declared uncompressed size of all entries together (absolute).
    pub max_total_size: u64,
    /// Largest uncompressed/compressed ratio accepted for entries above `ratio_floor` bytes,
    /// and for the whole package above `total_ratio_floor` bytes.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    pub total_ratio_floor: u64,
    /// Largest package file accepted.
    pub max_file_size: u64,
    /// Largest part read whole (XML parts, signature values, seals); larger files are only
    /// ever hashed, streamed.
    pub max_part_size: u64,
    /// Uncompressed bytes produced for one package (checking, hashing, parsing), as a
    /// multiple of its declared total, plus `read_floor`, at most `max_read`.
    pub read_factor: u64,
    pub read_floor: u64,
    pub max_read: u64,
    /// Signatures verified in one package (every DocBody together).
    pub max_signatures: usize,
    /// References of one signature (a signature cannot protect more files than a package
    /// holds, so this equals `max_entries` by default).
    pub max_references: usize,
    /// StampAnnots of one signature.
    pub max_stamp_annots: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 20_000,
            max_entry_size: 128 << 20,
            max_total_size: 512 << 20,
            max_ratio: 200,
            ratio_floor: 1 << 20,
            total_ratio_floor: 16 << 20,
            max_file_size: 512 << 20,
            max_part_size: 32 << 20,
            read_factor: 8,
            read_floor: 64 << 20,
            max_read: 2 << 30,
            max_signatures: 1_000,
            max_references: 20_000,
            max_stamp_annots: 20_000,
        }
    }
}

/// One file of the package.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Normalised name, without a leading `/`.
    pub name: String,
    raw: RawEntry,
}

impl Entry {
    /// Declared (and checked) uncompressed size.
    pub fn size(&self) -> u64 {
        self.raw.size
    }
}

/// How a file is digested (References/@CheckMethod, GB/T 33190 §18.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlg {
    Sm3,
    /// SM3(Z ‖ file), Z from the signer's key and the default ID (iOFD's
    /// `1.2.156.10197.1.401.2`).
    Sm3WithZ([u8; 32]),
    Sha1,
    Sha256,
}

/// A read OFD package: its files by normalised name.
pub struct Package {
    src: Arc<Source>,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    /// Lower-cased names (unique: names differing only in case are refused).
    by_lower: HashMap<String, usize>,
    /// Directory entries (kept on rewrite, never looked up).
    dirs: Vec<RawEntry>,
    limits: Limits,
    budget: Budget,
    digests: Mutex<HashMap<(usize, DigestAlg), Vec<u8>>>,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("len", &self.src.len())
            .field("entries", &self.entries.len())
            .field("uncompressed_read", &self.budget.used())
            .finish()
    }
}

/// Checks an entry name: relative, no `..`, no `\`, no NUL, no drive letter.
fn check_name(name: &str) -> Result<String, OfdError> {
    let bad = |why: &str| OfdError::UnsafeEntry {
        name: name.to_owned(),
        why: why.to_owned(),
    };
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err(bad("absolute path"));
    }
    if name.contains('\0') {
        return Err(bad("NUL in name"));
    }
    if name.contains('\\') {
        return Err(bad("backslash in name"));
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return Err(bad("drive letter"));
    }
    let mut parts = Vec::new();
    for p in name.split('/') {
        match p {
            ".." => return Err(bad("`..` component")),
            "" | "." => {}
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(bad("empty name"));
    }
    Ok(parts.join("/"))
}

impl Package {
    /// Reads a package from bytes with the default [`Limits`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, OfdError> {
        Self::from_bytes_with(bytes, Limits::default())
    }

    pub fn from_bytes_with(bytes: Vec<u8>, limits: Limits) -> Result<Self, OfdError> {
        if bytes.len() as u64 > limits.max_file_size {
            return Err(OfdError::Limit(format!(
                "the package is {} bytes (limit {})",
                bytes.len(),
                limits.max_file_size
            )));
        }
        Self::read_source(Source::Bytes(bytes), limits)
    }

    /// Reads a package from a file with the default [`Limits`]; the file is read at offsets
    /// as needed, never held whole. It must not change while the package is in use.
    pub fn open(path: &Path) -> Result<Self, OfdError> {
        Self::open_with(path, Limits::default())
    }

    pub fn open_with(path: &Path, limits: Limits) -> Result<Self, OfdError> {
        let io = |e: std::io::Error| OfdError::Io(format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > limits.max_file_size {
            return Err(OfdError::Limit(format!(
                "{} is {len} bytes (limit {})",
                path.display(),
                limits.max_file_size
            )));
        }
        Self::read_source(Source::file(file)?, limits)
    }

    fn read_source(src: Source, limits: Limits) -> Result<Self, OfdError> {
        let raw = container::read(
            &src,
            ContainerLimits {
                max_entries: limits.max_entries,
            },
        )?;
        // Declared sizes, before anything is inflated.
        let mut total = 0u64;
        for e in &raw {
            if e.size > limits.max_entry_size {
                return Err(OfdError::Limit(format!(
                    "entry {} is {} bytes uncompressed (limit {})",
                    e.name, e.size, limits.max_entry_size
                )));
            }
            let comp = e.compressed_size.max(1);
            if e.size > limits.ratio_floor && e.size / comp > limits.max_ratio {
                return Err(OfdError::Limit(format!(
                    "entry {} compression ratio {} exceeds {} (ZIP bomb?)",
                    e.name,
                    e.size / comp,
                    limits.max_ratio
                )));
            }
            total = total.saturating_add(e.size);
        }
        let file_len = src.len().max(1);
        if total > limits.max_total_size {
            return Err(OfdError::Limit(format!(
                "{total} bytes uncompressed in total (limit {})",
                limits.max_total_size
            )));
        }
        let relative = limits
            .max_ratio
            .saturating_mul(file_len)
            .max(limits.total_ratio_floor);
        if total > relative {
            return Err(OfdError::Limit(format!(
                "{total} bytes uncompressed from a {file_len}-byte file: more than {}× its size (decompression amplification)",
                limits.max_ratio
            )));
        }
        let budget = Budget::new(
            limits
                .read_factor
                .saturating_mul(total)
                .saturating_add(limits.read_floor)
                .min(limits.max_read),
        );
        let mut entries = Vec::new();
        let mut dirs = Vec::new();
        let mut by_name = HashMap::new();
        let mut by_lower = HashMap::new();
        for e in raw {
            let name = check_name(&e.name)?;
            if e.is_dir {
                dirs.push(e);
                continue;
            }
            // container::read refused every spelling of one name twice.
            by_name.insert(name.clone(), entries.len());
            by_lower.insert(name.to_lowercase(), entries.len());
            entries.push(Entry { name, raw: e });
        }
        let all: Vec<RawEntry> = entries
            .iter()
            .map(|e| e.raw.clone())
            .chain(dirs.iter().cloned())
            .collect();
        container::validate(&src, &all, &budget)?;
        Ok(Package {
            src: Arc::new(src),
            entries,
            by_name,
            by_lower,
            dirs,
            limits,
            budget,
            digests: Mutex::new(HashMap::new()),
        })
    }

    /// The bounds this package was read with (verification uses its signature caps).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Uncompressed bytes produced so far for this package (checking, hashing, parsing).
    pub fn uncompressed_read(&self) -> u64 {
        self.budget.used()
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// File names (normalised, no leading `/`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The entry at an absolute, normalised path (`/Doc_0/Document.xml` or
    /// `Doc_0/Document.xml`): exact match, else the one case-insensitive match (names that
    /// differ only in case are refused when reading), with `true`.
    pub fn entry(&self, path: &str) -> Option<(&Entry, bool)> {
        let key = path.trim_start_matches('/');
        if let Some(&i) = self.by_name.get(key) {
            return Some((&self.entries[i], false));
        }
        self.by_lower
            .get(&key.to_lowercase())
            .map(|&i| (&self.entries[i], true))
    }

    /// The bytes of the file at `path` (see [`entry`](Self::entry)), `None` when absent.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, OfdError> {
        match self.entry(path) {
            Some((e, _)) => self.read_entry(e).map(Some),
            None => Ok(None),
        }
    }

    /// The whole bytes of one entry, at most [`Limits::max_part_size`].
    pub fn read_entry(&self, e: &Entry) -> Result<Vec<u8>, OfdError> {
        if e.raw.size > self.limits.max_part_size {
            return Err(OfdError::Limit(format!(
                "/{} is {} bytes, more than a part read whole may be ({})",
                e.name, e.raw.size, self.limits.max_part_size
            )));
        }
        let mut out = Vec::with_capacity(e.raw.size as usize);
        container::stream(&self.src, &e.raw, &self.budget, &mut |c| {
            out.extend_from_slice(c);
            Ok(())
        })?;
        Ok(out)
    }

    /// `read` or a [`OfdError::MissingPart`].
    pub fn require(&self, path: &str) -> Result<Vec<u8>, OfdError> {
        self.read(path)?
            .ok_or_else(|| OfdError::MissingPart(format!("/{}", path.trim_start_matches('/'))))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.by_name.contains_key(path.trim_start_matches('/'))
    }

    /// The digest of one entry, streamed (never held) and computed once per algorithm.
    pub fn digest(&self, e: &Entry, alg: DigestAlg) -> Result<Vec<u8>, OfdError> {
        let i = *self
            .by_name
            .get(&e.name)
            .ok_or_else(|| OfdError::MissingPart(format!("/{}", e.name)))?;
        let cached = |d: &Mutex<HashMap<(usize, DigestAlg), Vec<u8>>>| {
            d.lock().ok().and_then(|m| m.get(&(i, alg)).cloned())
        };
        if let Some(v) = cached(&self.digests) {
            return Ok(v);
        }
        let mut h = Hasher::new(alg);
        container::stream(&self.src, &e.raw, &self.budget, &mut |c| {
            h.update(c);
            Ok(())
        })?;
        let v = h.finish();
        if let Ok(mut m) = self.digests.lock() {
            m.insert((i, alg), v.clone());
        }
        Ok(v)
    }

    /// Writes the package with `changes` applied (name → new bytes, or `None` to remove).
    /// Untouched entries are copied byte for byte in their original order; new ones are
    /// appended, deflated.
    pub fn write_with(
        &self,
        changes: &BTreeMap<String, Option<Vec<u8>>>,
        out: &mut impl Write,
    ) -> Result<(), OfdError> {
        let mut w = ZipOut::new(out);
        let mut order: Vec<(&RawEntry, Option<&Entry>)> =
            self.dirs.iter().map(|d| (d, None)).collect();
        order.extend(self.entries.iter().map(|e| (&e.raw, Some(e))));
        order.sort_by_key(|(r, _)| r.index);
        for (raw, e) in order {
            match e.and_then(|e| changes.get(&e.name).map(|c| (e, c))) {
                Some((e, Some(data))) => w.add(&e.raw.raw_name, data)?,
                Some((_, None)) => {}
                None => w.copy(&self.src, raw)?,
            }
        }
        for (name, data) in changes {
            let name = check_name(name)?;
            if self.by_name.contains_key(&name) {
                continue;
            }
            if let Some(data) = data {
                w.add(name.as_bytes(), data)?;
            }
        }
        w.finish()
    }

    /// The package with `changes` applied, as bytes.
    pub fn to_bytes_with(
        &self,
        changes: &BTreeMap<String, Option<Vec<u8>>>,
    ) -> Result<Vec<u8>, OfdError> {
        let mut v = Vec::with_capacity(self.src.len() as usize + 64 * 1024);
        self.write_with(changes, &mut v)?;
        Ok(v)
    }
}

/// A running digest for [`DigestAlg`].
enum Hasher {
    Sm3(Sm3),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(alg: DigestAlg) -> Self {
        use sha2::Digest;
        match alg {
            DigestAlg::Sm3 => Hasher::Sm3(Sm3::new()),
            DigestAlg::Sm3WithZ(z) => {
                let mut h = Sm3::new();
                h.update(z);
                Hasher::Sm3(h)
            }
            DigestAlg::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            DigestAlg::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }
    fn update(&mut self, d: &[u8]) {
        use sha2::Digest;
        match self {
            Hasher::Sm3(h) => h.update(d),
            Hasher::Sha1(h) => h.update(d),
            Hasher::Sha256(h) => h.update(d),
        }
    }
    fn finish(self) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Hasher::Sm3(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// A ZIP writer (APPNOTE §4.3) that needs only `Write`: raw copies of checked entries and
/// new deflated ones; central directory and end record at the end. No ZIP64: packages are
/// bounded far below 4 GiB.
struct ZipOut<'a, W: Write> {
    out: &'a mut W,
    at: u64,
    central: Vec<u8>,
    count: usize,
}

/// 1980-01-01 00:00, the earliest DOS date: written files do not depend on the clock.
const DOS_DATE: u16 = 0x0021;

impl<'a, W: Write> ZipOut<'a, W> {
    fn new(out: &'a mut W) -> Self {
        ZipOut {
            out,
            at: 0,
            central: Vec::new(),
            count: 0,
        }
    }

    fn put(&mut self, b: &[u8]) -> Result<(), OfdError> {
        self.out
            .write_all(b)
            .map_err(|e| OfdError::Io(e.to_string()))?;
        self.at += b.len() as u64;
        Ok(())
    }

    fn offset32(&self) -> Result<u32, OfdError> {
        u32::try_from(self.at)
            .ok()
            .filter(|o| *o != u32::MAX)
            .ok_or_else(|| OfdError::Limit("the package would exceed 4 GiB".into()))
    }

    #[allow(clippy::too_many_arguments)]
    fn central_record(&mut self, r: &RawEntry, offset: u32, flags: u16) -> Result<(), OfdError> {
        let (cs, us) = (u32::try_from(r.compressed_size), u32::try_from(r.size));
        let (Ok(cs), Ok(us)) = (cs, us) else {
            return Err(OfdError::Limit(format!("{} is 4 GiB or more", r.name)));
        };
        let c = &mut self.central;
        c.extend(0x0201_4b50u32.to_le_bytes());
        c.extend(r.version_made_by.to_le_bytes());
        c.extend(r.version_needed.to_le_bytes());
        c.extend(flags.to_le_bytes());
        c.extend(r.method.to_le_bytes());
        c.extend(r.mod_time.to_le_bytes());
        c.extend(r.mod_date.to_le_bytes());
        c.extend(r.crc32.to_le_bytes());
        c.extend(cs.to_le_bytes());
        c.extend(us.to_le_bytes());
        c.extend((r.raw_name.len() as u16).to_le_bytes());
        c.extend(0u16.to_le_bytes()); // extra
        c.extend(0u16.to_le_bytes()); // comment
        c.extend(0u16.to_le_bytes()); // disk
        c.extend(r.internal_attr.to_le_bytes());
        c.extend(r.external_attr.to_le_bytes());
        c.extend(offset.to_le_bytes());
        c.extend(&r.raw_name);
        self.count += 1;
        Ok(())
    }

    /// Copies a checked entry byte for byte: local header, data, data descriptor.
    fn copy(&mut self, src: &Source, r: &RawEntry) -> Result<(), OfdError> {
        let offset = self.offset32()?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut pos = r.header_offset;
        while pos < r.end {
            let n = (r.end - pos).min(buf.len() as u64) as usize;
            src.read_at(pos, &mut buf[..n])?;
            self.put(&buf[..n])?;
            pos += n as u64;
        }
        self.central_record(r, offset, r.flags)
    }

    /// A new entry, deflated.
    fn add(&mut self, name: &[u8], data: &[u8]) -> Result<(), OfdError> {
        let offset = self.offset32()?;
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data)
            .map_err(|e| OfdError::Io(e.to_string()))?;
        let comp = enc.finish().map_err(|e| OfdError::Io(e.to_string()))?;
        let mut crc = flate2::Crc::new();
        crc.update(data);
        // The UTF-8 flag for UTF-8 names; a replaced GBK name keeps its bytes, unflagged.
        let flags: u16 = if !name.is_ascii() && std::str::from_utf8(name).is_ok() {
            0x0800
        } else {
            0
        };
        let r = RawEntry {
            index: 0,
            raw_name: name.to_vec(),
            name: String::from_utf8_lossy(name).into_owned(),
            is_dir: false,
            flags,
            method: 8,
            crc32: crc.sum(),
            compressed_size: comp.len() as u64,
            size: data.len() as u64,
            header_offset: 0,
            data_offset: 0,
            end: 0,
            version_made_by: 20,
            version_needed: 20,
            mod_time: 0,
            mod_date: DOS_DATE,
            internal_attr: 0,
            external_attr: 0,
        };
        let (Ok(cs), Ok(us)) = (u32::try_from(comp.len()), u32::try_from(data.len())) else {
            return Err(OfdError::Limit("a new entry of 4 GiB or more".into()));
        };
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend(0x0403_4b50u32.to_le_bytes());
        h.extend(20u16.to_le_bytes());
        h.extend(flags.to_le_bytes());
        h.extend(8u16.to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(DOS_DATE.to_le_bytes());
        h.extend(r.crc32.to_le_bytes());
        h.extend(cs.to_le_bytes());
        h.extend(us.to_le_bytes());
        h.extend((name.len() as u16).to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(name);
        self.put(&h)?;
        self.put(&comp)?;
        self.central_record(&r, offset, flags)
    }

    fn finish(mut self) -> Result<(), OfdError> {
        let cd_offset = self.offset32()?;
        let n = u16::try_from(self.count)
            .map_err(|_| OfdError::Limit(format!("{} entries", self.count)))?;
        let central = std::mem::take(&mut self.central);
        let cd_size = u32::try_from(central.len())
            .map_err(|_| OfdError::Limit("central directory too large".into()))?;
        self.put(&central)?;
        let mut e = Vec::with_capacity(22);
        e.extend(0x0605_4b50u32.to_le_bytes());
        e.extend([0u8; 4]);
        e.extend(n.to_le_bytes());
        e.extend(n.to_le_bytes());
        e.extend(cd_size.to_le_bytes());
        e.extend(cd_offset.to_le_bytes());
        e.extend(0u16.to_le_bytes());
        self.put(&e)?;
        self.out.flush().map_err(|e| OfdError::Io(e.to_string()))
    }
}

/// Resolves an ST_Loc (GB/T 33190-2016): absolute from the root when it starts with `/`,
/// else relative to `base_dir` (the directory of the XML part holding it, without leading
/// `/`). Repeated slashes collapse, `.`/`..` resolve; escaping the root is an error.
/// Returns the normalised path with a leading `/`.
pub fn resolve(base_dir: &str, loc: &str) -> Result<String, OfdError> {
    let loc = loc.trim();
    if loc.is_empty() {
        return Err(OfdError::BadPath {
            loc: loc.to_owned(),
            why: "empty".into(),
        });
    }
    let loc_norm = loc.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let joined;
    let full = if loc_norm.starts_with('/') {
        loc_norm.as_str()
    } else {
        joined = format!("{base_dir}/{loc_norm}");
        joined.as_str()
    };
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(OfdError::BadPath {
                        loc: loc.to_owned(),
                        why: "escapes the package root".into(),
                    });
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(OfdError::BadPath {
            loc: loc.to_owned(),
            why: "names the package root".into(),
        });
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The directory of a normalised path (`/Doc_0/Signs/Signatures.xml` → `/Doc_0/Signs`).
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Cursor;

    pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        for (n, d) in files {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(d).unwrap();
        }
        w.finish().unwrap();
        c.into_inner()
    }

    #[test]
    fn st_loc_rules() {
        assert_eq!(
            resolve("/Doc_0/Signs", "Sign_0/Signature.xml").unwrap(),
            "/Doc_0/Signs/Sign_0/Signature.xml"
        );
        assert_eq!(
            resolve("/Doc_0/Signs", "/Doc_0/Signs/Sign_0/Signature.xml").unwrap(),
            "/Doc_0/Signs/Sign_0/Signature.xml"
        );
        assert_eq!(
            resolve("/x", "//Doc_0//Signs/./a").unwrap(),
            "/Doc_0/Signs/a"
        );
        assert_eq!(
            resolve("/Doc_0/Pages", "../Res/a.png").unwrap(),
            "/Doc_0/Res/a.png"
        );
        assert_eq!(
            resolve("", "Doc_0/Document.xml").unwrap(),
            "/Doc_0/Document.xml"
        );
        assert!(resolve("/Doc_0", "../../etc/passwd").is_err());
        assert!(resolve("/Doc_0", "").is_err());
        assert_eq!(dir_of("/Doc_0/Signs/Signatures.xml"), "/Doc_0/Signs");
        assert_eq!(dir_of("/OFD.xml"), "");
    }

    #[test]
    fn reads_and_rewrites_raw() {
        let z = zip_of(&[
            ("OFD.xml", b"<OFD/>"),
            ("Doc_0/a.xml", b"aaaa"),
            ("Doc_0/b.xml", b"bbbb"),
        ]);
        let p = Package::from_bytes(z).unwrap();
        assert_eq!(
            p.read("/Doc_0/a.xml").unwrap().as_deref(),
            Some(&b"aaaa"[..])
        );
        assert_eq!(p.entry("/doc_0/A.xml").map(|l| l.1), Some(true));
        let mut ch = BTreeMap::new();
        ch.insert("Doc_0/a.xml".to_owned(), Some(b"new".to_vec()));
        ch.insert("Doc_0/b.xml".to_owned(), None);
        ch.insert("Doc_0/c.xml".to_owned(), Some(b"c".to_vec()));
        let q = Package::from_bytes(p.to_bytes_with(&ch).unwrap()).unwrap();
        assert_eq!(
            q.names().collect::<Vec<_>>(),
            vec!["OFD.xml", "Doc_0/a.xml", "Doc_0/c.xml"]
        );
        assert_eq!(q.read("Doc_0/a.xml").unwrap().as_deref(), Some(&b"new"[..]));
        // Untouched entries keep their bytes; the rewrite reads back under the strict reader.
        let again = Package::from_bytes(q.to_bytes_with(&BTreeMap::new()).unwrap()).unwrap();
        assert_eq!(
            again.read("OFD.xml").unwrap().as_deref(),
            Some(&b"<OFD/>"[..])
        );
    }

    #[test]
    fn rejects_unsafe_names_and_duplicates() {
        for bad in ["/etc/passwd", "../x", "a/../../x", "a\\b", "C:/x"] {
            let z = zip_of(&[(bad, b"x")]);
            match Package::from_bytes(z) {
                Err(OfdError::UnsafeEntry { .. }) => {}
                other => panic!("{bad}: {other:?}"),
            }
        }
        // A symbolic link to another entry.
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        w.start_file("OFD.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"<OFD/>").unwrap();
        w.add_symlink("a.xml", "OFD.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
        assert!(matches!(
            Package::from_bytes(c.into_inner()),
            Err(OfdError::Container(ZipFlaw::Symlink { .. }))
        ));
        let z = zip_of(&[("a.xml", b"x"), ("./a.xml", b"y")]);
        assert!(matches!(
            Package::from_bytes(z),
            Err(OfdError::Container(ZipFlaw::Duplicate {
                rule: SameName::PathSpelling,
                ..
            }))
        ));
    }

    #[test]
    fn bounds_entries_size_and_ratio() {
        let z = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let l = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        assert!(matches!(
            Package::from_bytes_with(z.clone(), l),
            Err(OfdError::Limit(_))
        ));
        let l = Limits {
            max_total_size: 2,
            ..Limits::default()
        };
        assert!(matches!(
            Package::from_bytes_with(z, l),
            Err(OfdError::Limit(_))
        ));
        let zeros = vec![0u8; 3 << 20];
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        w.start_file(
            "bomb",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&zeros).unwrap();
        w.finish().unwrap();
        match Package::from_bytes(c.into_inner()) {
            Err(OfdError::Limit(m)) => assert!(m.contains("ratio"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// Entries spanning several read chunks, stored and deflated, compressible or not, read
    /// back whole and digested as written — by the zip crate's writer and by ours.
    #[test]
    fn large_entries_stream_in_chunks() {
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..300_001)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let text = b"<ofd:TextCode X=\"0\" Y=\"5\">eseal</ofd:TextCode>".repeat(9000);
        let sizes = [0usize, 1, 65_535, 65_536, 65_537, 300_001];
        let mut files: Vec<(String, Vec<u8>, zip::CompressionMethod)> = Vec::new();
        for (i, n) in sizes.iter().enumerate() {
            for (m, method) in [
                zip::CompressionMethod::Stored,
                zip::CompressionMethod::Deflated,
            ]
            .into_iter()
            .enumerate()
            {
                files.push((format!("n{i}-{m}"), noise[..*n].to_vec(), method));
                files.push((format!("t{i}-{m}"), text[..*n].to_vec(), method));
            }
        }
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        for (n, d, m) in &files {
            w.start_file(
                n.as_str(),
                zip::write::SimpleFileOptions::default().compression_method(*m),
            )
            .unwrap();
            w.write_all(d).unwrap();
        }
        w.finish().unwrap();
        let p = Package::from_bytes(c.into_inner()).unwrap();
        let mut ch = BTreeMap::new();
        ch.insert("new-noise".to_owned(), Some(noise.clone()));
        let q = Package::from_bytes(p.to_bytes_with(&ch).unwrap()).unwrap();
        for pkg in [&p, &q] {
            for (n, d, _) in &files {
                assert_eq!(pkg.read(n).unwrap().as_deref(), Some(d.as_slice()), "{n}");
                let (e, _) = pkg.entry(n).unwrap();
                assert_eq!(
                    pkg.digest(e, DigestAlg::Sm3).unwrap(),
                    crate::crypto::sm3::sm3(d).to_vec()
                );
            }
        }
        assert_eq!(q.read("new-noise").unwrap(), Some(noise));
    }

    /// ZIP64 extra fields (APPNOTE §4.5.3), as writers emit them for large files: read, and
    /// rewritten into a package that reads back.
    #[test]
    fn zip64_entries_read_and_rewrite() {
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        let big = zip::write::SimpleFileOptions::default().large_file(true);
        w.start_file("OFD.xml", big).unwrap();
        w.write_all(b"<OFD/>").unwrap();
        w.start_file("Doc_0/a.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"aaaa").unwrap();
        w.finish().unwrap();
        let z = c.into_inner();
        assert!(
            z.windows(4).any(|x| x == [1, 0, 16, 0]),
            "a ZIP64 extra field"
        );
        let p = Package::from_bytes(z).unwrap();
        assert_eq!(p.read("OFD.xml").unwrap().as_deref(), Some(&b"<OFD/>"[..]));
        let q = Package::from_bytes(p.to_bytes_with(&BTreeMap::new()).unwrap()).unwrap();
        assert_eq!(q.read("OFD.xml").unwrap().as_deref(), Some(&b"<OFD/>"[..]));
        assert_eq!(
            q.read("Doc_0/a.xml").unwrap().as_deref(),
            Some(&b"aaaa"[..])
        );
    }

    #[test]
    fn gbk_names_without_utf8_flag() {
        let gbk = encoding_rs::GBK.encode("中文目录/数据.txt").0.into_owned();
        assert_eq!(decode_name(&gbk), "中文目录/数据.txt");
        assert_eq!(decode_name("中文".as_bytes()), "中文");
        // An unflagged GBK entry, replaced: its bytes stay GBK, unflagged, and read back.
        let mut out = Vec::new();
        {
            let mut w = ZipOut::new(&mut out);
            w.add(&gbk, b"data").unwrap();
            w.finish().unwrap();
        }
        let q = Package::from_bytes(out).unwrap();
        assert_eq!(
            q.read("中文目录/数据.txt").unwrap().as_deref(),
            Some(&b"data"[..])
        );
        let mut ch = BTreeMap::new();
        ch.insert("中文目录/数据.txt".to_owned(), Some(b"new".to_vec()));
        let r = Package::from_bytes(q.to_bytes_with(&ch).unwrap()).unwrap();
        assert_eq!(
            r.read("中文目录/数据.txt").unwrap().as_deref(),
            Some(&b"new"[..])
        );
    }
}
