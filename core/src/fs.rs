//! Writing output files so that a crash, a kill or a full disk never leaves a partial file at
//! the output path: the one atomic writer of the crate (and of the CLI and bindings).
//!
//! The bytes go to a temporary file with a unique name in the target's directory; the file is
//! flushed to disk (`fsync`), renamed over the target, and the directory is flushed so the
//! rename itself survives a power cut. The output path therefore holds either what was there
//! before or the complete new file. A temporary file left by a process that was killed is
//! removed by the next write into that directory.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an atomic write failed: the path and the operating system's reason.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// The output path asked for.
    pub path: PathBuf,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

// Errors of the rooms that wrap this one are `Clone + Eq` (tests compare them): an I/O error
// is cloned by kind and message, and compared by path and kind.
impl Clone for WriteError {
    fn clone(&self) -> Self {
        WriteError {
            path: self.path.clone(),
            source: io::Error::new(self.source.kind(), self.source.to_string()),
        }
    }
}

impl PartialEq for WriteError {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.source.kind() == other.source.kind()
    }
}

impl Eq for WriteError {}

/// Marker in temporary names: `.NAME.eseal-PID-SEQ.tmp`.
const TMP_MARK: &str = ".eseal-";

/// Writes `parts`, one after the other, to `path` atomically (see the module docs).
pub fn write_atomic(path: &Path, parts: &[&[u8]]) -> Result<(), WriteError> {
    let mut f = AtomicFile::create(path)?;
    let file = f.file.as_mut().expect("open until committed");
    for p in parts {
        file.write_all(p).map_err(|source| WriteError {
            path: path.to_path_buf(),
            source,
        })?;
    }
    f.commit()
}

/// A file being written atomically: write to it, then [`AtomicFile::commit`]. Dropped without
/// a commit (an error, a panic), it removes its temporary file and the target is untouched.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Opens a new temporary file beside `target`.
    pub fn create(target: &Path) -> Result<Self, WriteError> {
        let err = |source| WriteError {
            path: target.to_path_buf(),
            source,
        };
        let name = target.file_name().ok_or_else(|| {
            err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        })?;
        let dir = parent_dir(target);
        remove_stale_temporaries(dir);
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}{TMP_MARK}{}-{seq}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(err)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            file: Some(file),
        })
    }

    /// The output path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What has been written so far, read back through a map (a signature over the
    /// revisions already written: several stamps in one pass each, issue 20). The map
    /// covers the bytes written at this call; later writes append after them.
    pub fn map_written(&mut self) -> Result<MappedFile, WriteError> {
        let err = |source| WriteError {
            path: self.target.clone(),
            source,
        };
        self.file
            .as_mut()
            .expect("open until committed")
            .flush()
            .map_err(err)?;
        MappedFile::open(&self.tmp).map_err(err)
    }

    /// Flushes the file to disk, renames it over the target and flushes the directory.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let err = |source| WriteError {
            path: self.target.clone(),
            source,
        };
        let file = self.file.take().expect("committed once");
        file.sync_all().map_err(err)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target).map_err(err)?;
        // The rename is durable once the directory is; not every platform can open one.
        if let Ok(d) = File::open(parent_dir(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// A write error names the output path (a full disk in the middle of a streamed signing
/// reaches the user through the writer's own error type): "PATH: No space left on device".
impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.file.as_mut().expect("open until committed").write(buf);
        r.map_err(|e| self.named(e))
    }
    fn flush(&mut self) -> io::Result<()> {
        let r = self.file.as_mut().expect("open until committed").flush();
        r.map_err(|e| self.named(e))
    }
}

impl AtomicFile {
    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.target.display()))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes `.NAME.eseal-PID-SEQ.tmp` files in `dir` whose process is gone (Linux: no
/// `/proc/PID`). Best effort: errors are ignored, other files are never touched.
fn remove_stale_temporaries(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(pid) = temporary_pid(name)
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The process id in a temporary name made by [`AtomicFile::create`].
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let at = rest.rfind(TMP_MARK)?;
    let (pid, seq) = rest[at + TMP_MARK.len()..].split_once('-')?;
    seq.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// An input file read through a read-only memory map, so that a large document is never
/// copied into memory: the structures a reader parses fault in only their own pages, and
/// bytes read once (hashed, copied) are given back with [`MappedFile::release`]. Peak memory
/// then stays far below the file's size (issue 20: signing and verifying 100 MB under 64 MB).
///
/// The caveat of every memory map: another process truncating the file while it is mapped
/// makes a read of the lost pages fault (SIGBUS). eseal maps only the input it was given to
/// sign or verify, and the unfinished temporary file of its own output
/// ([`AtomicFile::map_written`]), which it only appends to; the output is still written
/// through [`AtomicFile`], so a signed file is never left half-written.
pub struct MappedFile {
    /// `None` for an empty file (a zero-length map is refused by the system).
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// Maps the file at `path` for reading.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(MappedFile { map: None });
        }
        // SAFETY: the map is private and read-only, and eseal never writes a file while it
        // maps it (its own unfinished output is mapped only between two appends);
        // the remaining hazard, a concurrent truncation by another process, is the one named
        // in the type's documentation (a fault, not a wrong result).
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().map(&file)? };
        Ok(MappedFile { map: Some(map) })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }

    /// Gives back the memory of the whole pages inside `range` that have been read
    /// (`MADV_DONTNEED`): they stay valid and fault in again from the page cache if read.
    pub fn release(&self, range: std::ops::Range<usize>) {
        release_pages(self.map.as_ref(), range);
    }
}

#[cfg(unix)]
fn release_pages(map: Option<&memmap2::Mmap>, range: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    let Some(map) = map else { return };
    let start = range.start.div_ceil(PAGE) * PAGE;
    let end = range.end.min(map.len()) / PAGE * PAGE;
    if start < end {
        // SAFETY: on a private, read-only file map, MADV_DONTNEED drops only page-table
        // entries; a later read faults the same file bytes in again, so every slice handed
        // out by `bytes` stays valid and unchanged.
        #[allow(unsafe_code)]
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
}

#[cfg(not(unix))]
fn release_pages(_: Option<&memmap2::Mmap>, _: std::ops::Range<usize>) {}

/// Gives back memory of bytes that have been read once: a [`MappedFile`] drops their pages, a
/// buffer in memory does nothing. Readers that walk a whole file (hashing byte ranges,
/// searching for `startxref`) call it after each chunk.
pub trait Release {
    fn release(&self, range: std::ops::Range<usize>);
}

impl Release for MappedFile {
    fn release(&self, range: std::ops::Range<usize>) {
        MappedFile::release(self, range)
    }
}

/// Bytes held in memory: nothing to give back.
pub struct InMemory;

impl Release for InMemory {
    fn release(&self, _: std::ops::Range<usize>) {}
}

/// Size of the chunks in which whole files are read (hashed, copied, searched) and released.
pub const CHUNK: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("eseal-fs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_parts_and_replaces() {
        let d = dir("parts");
        let t = d.join("out.pdf");
        write_atomic(&t, &[b"abc", b"def"]).unwrap();
        assert_eq!(std::fs::read(&t).unwrap(), b"abcdef");
        write_atomic(&t, &[b"x"]).unwrap();
        assert_eq!(std::fs::read(&t).unwrap(), b"x");
        assert_eq!(names(&d), ["out.pdf"]);
    }

    #[test]
    fn failure_leaves_nothing() {
        let d = dir("fail");
        assert!(write_atomic(&d.join("missing/out.pdf"), &[b"x"]).is_err());
        assert!(write_atomic(Path::new("/"), &[b"x"]).is_err());
        // Dropped before commit: no output, no temporary.
        let mut f = AtomicFile::create(&d.join("never.ofd")).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(names(&d).is_empty(), "{:?}", names(&d));
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let d = dir("stale");
        // pid 0 never names a user process; 2^31-1 is above pid_max on Linux.
        let dead = format!(".a.pdf{TMP_MARK}2147483646-0.tmp");
        let mine = format!(".b.pdf{TMP_MARK}{}-99.tmp", std::process::id());
        for n in [
            &dead,
            &mine,
            &".c.pdf.tmp".to_string(),
            &"user.tmp".to_string(),
        ] {
            std::fs::write(d.join(n), b"x").unwrap();
        }
        write_atomic(&d.join("out.pdf"), &[b"y"]).unwrap();
        let left = names(&d);
        if Path::new("/proc/self").exists() {
            assert!(!left.contains(&dead), "{left:?}");
        }
        assert!(left.contains(&mine) && left.contains(&"user.tmp".to_string()));
        assert!(left.contains(&".c.pdf.tmp".to_string()));
    }

    #[test]
    fn mapped_files_read_and_release() {
        let d = dir("mapped");
        let p = d.join("in.bin");
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let m = MappedFile::open(&p).unwrap();
        assert_eq!(m.bytes(), &data[..]);
        m.release(0..m.bytes().len());
        m.release(5..4000); // no whole page inside: nothing to give back
        assert_eq!(
            m.bytes(),
            &data[..],
            "released pages read the same bytes again"
        );
        std::fs::write(d.join("empty"), b"").unwrap();
        assert!(
            MappedFile::open(&d.join("empty"))
                .unwrap()
                .bytes()
                .is_empty()
        );
        assert!(MappedFile::open(&d.join("missing")).is_err());
    }

    #[test]
    fn temporary_names_parse() {
        assert_eq!(temporary_pid(".x.pdf.eseal-123-4.tmp"), Some(123));
        assert_eq!(temporary_pid(".x.eseal-y.pdf.eseal-7-0.tmp"), Some(7));
        assert_eq!(temporary_pid(".x.pdf.tmp"), None);
        assert_eq!(temporary_pid("x.eseal-1-2.tmp"), None);
    }
}
