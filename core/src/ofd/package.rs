//! The OFD package (a ZIP file, GB/T 33190 §7.1), read safely and rewritten atomically.
//!
//! Reading treats the archive as hostile: bounded entry count, entry size, total size and
//! compression ratio (ZIP bombs), no absolute or `..` names, no duplicates. Entry names are
//! decoded as UTF-8 when flagged or valid, else as GBK (Chinese producers without the flag).
//! Paths inside the package are resolved per ST_Loc (ses-ofd-spec §2.5).
//!
//! Writing copies every untouched entry as stored (no recompression) and adds or replaces the
//! changed ones; files are written to a temporary file that is renamed into place.

use super::OfdError;
use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};
use std::path::Path;

/// Bounds applied when reading a package.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_entry_size: u64,
    pub max_total_size: u64,
    /// Largest uncompressed/compressed ratio accepted for entries above `ratio_floor` bytes.
    pub max_ratio: u64,
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 20_000,
            max_entry_size: 128 << 20,
            max_total_size: 512 << 20,
            max_ratio: 200,
            ratio_floor: 1 << 20,
        }
    }
}

/// One file of the package.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Normalised name, without a leading `/`.
    pub name: String,
    pub data: Vec<u8>,
    /// Index in the original archive (for raw copies).
    index: usize,
}

/// A read OFD package: its files by normalised name.
#[derive(Debug, Clone)]
pub struct Package {
    raw: Vec<u8>,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    /// Directory entries (kept on rewrite, never looked up).
    dirs: Vec<usize>,
}

/// Decodes a ZIP entry name: UTF-8 when flagged or valid UTF-8, else GBK.
pub fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
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
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))
            .map_err(|e| OfdError::Zip(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(OfdError::Limit(format!(
                "{} entries (limit {})",
                zip.len(),
                limits.max_entries
            )));
        }
        let mut entries = Vec::new();
        let mut dirs = Vec::new();
        let mut by_name = HashMap::new();
        let mut total = 0u64;
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| OfdError::Zip(format!("entry {i}: {e}")))?;
            let raw_name = decode_name(f.name_raw());
            let name = check_name(&raw_name)?;
            if f.is_dir() || raw_name.ends_with('/') {
                dirs.push(i);
                continue;
            }
            let size = f.size();
            if size > limits.max_entry_size {
                return Err(OfdError::Limit(format!(
                    "entry {raw_name} is {size} bytes (limit {})",
                    limits.max_entry_size
                )));
            }
            let comp = f.compressed_size().max(1);
            if size > limits.ratio_floor && size / comp > limits.max_ratio {
                return Err(OfdError::Limit(format!(
                    "entry {raw_name} compression ratio {} exceeds {} (ZIP bomb?)",
                    size / comp,
                    limits.max_ratio
                )));
            }
            total = total.saturating_add(size);
            if total > limits.max_total_size {
                return Err(OfdError::Limit(format!(
                    "total uncompressed size exceeds {} bytes",
                    limits.max_total_size
                )));
            }
            // Never trust the declared size: read at most one byte beyond it.
            let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
            (&mut f)
                .take(size + 1)
                .read_to_end(&mut data)
                .map_err(|e| OfdError::Zip(format!("entry {raw_name}: {e}")))?;
            if data.len() as u64 != size {
                return Err(OfdError::Zip(format!(
                    "entry {raw_name}: declared {size} bytes, holds more or fewer"
                )));
            }
            if by_name.insert(name.clone(), entries.len()).is_some() {
                return Err(OfdError::DuplicateEntry(name));
            }
            entries.push(Entry {
                name,
                data,
                index: i,
            });
        }
        drop(zip);
        Ok(Package {
            raw: bytes,
            entries,
            by_name,
            dirs,
        })
    }

    /// Reads a package from a file.
    pub fn open(path: &Path) -> Result<Self, OfdError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| OfdError::Io(format!("{}: {e}", path.display())))?;
        if meta.len() > Limits::default().max_total_size {
            return Err(OfdError::Limit(format!(
                "{} is {} bytes",
                path.display(),
                meta.len()
            )));
        }
        let bytes =
            std::fs::read(path).map_err(|e| OfdError::Io(format!("{}: {e}", path.display())))?;
        Self::from_bytes(bytes)
    }

    /// The original bytes of the archive.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// File names (normalised, no leading `/`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The bytes of the file at an absolute, normalised path (`/Doc_0/Document.xml` or
    /// `Doc_0/Document.xml`); exact match, then a case-insensitive one.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.lookup(path).map(|(_, d, _)| d)
    }

    /// As [`get`](Self::get), also returning the stored name and whether it matched only
    /// case-insensitively.
    pub fn lookup(&self, path: &str) -> Option<(&str, &[u8], bool)> {
        let key = path.trim_start_matches('/');
        if let Some(&i) = self.by_name.get(key) {
            let e = &self.entries[i];
            return Some((&e.name, &e.data, false));
        }
        let lower = key.to_lowercase();
        self.entries
            .iter()
            .find(|e| e.name.to_lowercase() == lower)
            .map(|e| (e.name.as_str(), e.data.as_slice(), true))
    }

    /// `get` or a [`OfdError::MissingPart`].
    pub fn require(&self, path: &str) -> Result<&[u8], OfdError> {
        self.get(path)
            .ok_or_else(|| OfdError::MissingPart(format!("/{}", path.trim_start_matches('/'))))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.by_name.contains_key(path.trim_start_matches('/'))
    }

    /// Writes the package with `changes` applied (name → new bytes, or `None` to remove).
    /// Untouched entries are copied raw, in their original order; new ones are appended.
    pub fn write_with(
        &self,
        changes: &BTreeMap<String, Option<Vec<u8>>>,
        out: &mut (impl Write + std::io::Seek),
    ) -> Result<(), OfdError> {
        let zerr = |e: zip::result::ZipError| OfdError::Zip(e.to_string());
        let mut zip = zip::ZipArchive::new(Cursor::new(self.raw.as_slice())).map_err(zerr)?;
        let mut w = zip::ZipWriter::new(out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut order: Vec<(usize, Option<&Entry>)> =
            self.dirs.iter().map(|d| (*d, None)).collect();
        order.extend(self.entries.iter().map(|e| (e.index, Some(e))));
        order.sort_by_key(|(i, _)| *i);
        for (i, e) in order {
            match e {
                Some(e) if changes.contains_key(&e.name) => {
                    if let Some(Some(data)) = changes.get(&e.name) {
                        w.start_file(e.name.as_str(), opts).map_err(zerr)?;
                        w.write_all(data).map_err(|e| OfdError::Io(e.to_string()))?;
                    }
                }
                _ => {
                    let f = zip.by_index_raw(i).map_err(zerr)?;
                    w.raw_copy_file(f).map_err(zerr)?;
                }
            }
        }
        for (name, data) in changes {
            let name = check_name(name)?;
            if self.by_name.contains_key(&name) {
                continue;
            }
            if let Some(data) = data {
                w.start_file(name.as_str(), opts).map_err(zerr)?;
                w.write_all(data).map_err(|e| OfdError::Io(e.to_string()))?;
            }
        }
        w.finish().map_err(zerr)?;
        Ok(())
    }

    /// The package with `changes` applied, as bytes.
    pub fn to_bytes_with(
        &self,
        changes: &BTreeMap<String, Option<Vec<u8>>>,
    ) -> Result<Vec<u8>, OfdError> {
        let mut c = Cursor::new(Vec::with_capacity(self.raw.len() + 64 * 1024));
        self.write_with(changes, &mut c)?;
        Ok(c.into_inner())
    }
}

/// Resolves an ST_Loc (ses-ofd-spec §2.5): absolute from the root when it starts with `/`,
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
        assert_eq!(p.get("/Doc_0/a.xml"), Some(&b"aaaa"[..]));
        assert_eq!(p.lookup("/doc_0/A.xml").map(|l| l.2), Some(true));
        let mut ch = BTreeMap::new();
        ch.insert("Doc_0/a.xml".to_owned(), Some(b"new".to_vec()));
        ch.insert("Doc_0/b.xml".to_owned(), None);
        ch.insert("Doc_0/c.xml".to_owned(), Some(b"c".to_vec()));
        let q = Package::from_bytes(p.to_bytes_with(&ch).unwrap()).unwrap();
        assert_eq!(
            q.names().collect::<Vec<_>>(),
            vec!["OFD.xml", "Doc_0/a.xml", "Doc_0/c.xml"]
        );
        assert_eq!(q.get("Doc_0/a.xml"), Some(&b"new"[..]));
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
        let z = zip_of(&[("a.xml", b"x"), ("./a.xml", b"y")]);
        assert!(matches!(
            Package::from_bytes(z),
            Err(OfdError::DuplicateEntry(_))
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

    #[test]
    fn gbk_names_without_utf8_flag() {
        let gbk = encoding_rs::GBK.encode("中文目录/数据.txt").0.into_owned();
        assert_eq!(decode_name(&gbk), "中文目录/数据.txt");
        assert_eq!(decode_name("中文".as_bytes()), "中文");
    }
}
