//! The revisions of a PDF file as a reader sees them (ISO 32000-1 §7.5.4 cross-reference
//! tables, §7.5.5 trailer, §7.5.6 incremental updates, §7.5.7 object streams, §7.5.8
//! cross-reference streams and hybrid files).
//!
//! The final `startxref` names the newest cross-reference section; `/Prev` leads to the older
//! ones. A *revision* ends at the `%%EOF` after the `startxref` that names its section, so
//! "revision k" is the document as the file's first `k + 1` parts define it. Every object is
//! resolved *as of a revision*: through that revision's sections and the older ones, never
//! through later ones. The verifier compares what each revision's xref resolves to.
//!
//! Nothing is copied per revision: the file is one buffer, objects are parsed on demand and
//! cached by where they are, streams are spans of the buffer; only object and xref streams
//! are decompressed (bounded).

use super::cos::{self, Dict, Lexer, Obj, Ref, Stream, SyntaxError, Tok};
use crate::fs::{CHUNK, Release};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

/// Most cross-reference sections followed through `/Prev`.
const MAX_SECTIONS: usize = 4096;
/// Largest decompressed object or cross-reference stream.
const MAX_DECODED: usize = 64 << 20;
/// Largest decoded/encoded ratio of a Flate stream decoded above [`RATIO_FLOOR`] bytes
/// (zlib reaches ~1032:1 on constant data; xref and object streams stay far below 200:1).
const MAX_RATIO: usize = 200;
const RATIO_FLOOR: usize = 1 << 20;
/// Decompressed object streams kept at once.
const MAX_OBJSTM_CACHE: usize = 32 << 20;
/// Parsed objects kept at once.
const MAX_CACHED_OBJECTS: usize = 1 << 18;
/// Most cross-reference entries in all sections together (an xref stream can claim millions
/// from a few compressed bytes).
const MAX_ENTRIES: usize = 4_000_000;

/// One cross-reference entry (§7.5.4 Table 17, §7.5.8.3 Table 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Free,
    InUse { offset: usize, generation: u16 },
    Compressed { stream: u32, index: u32 },
}

/// One cross-reference section with its trailer.
#[derive(Debug)]
pub(crate) struct Section {
    /// Where the section (`xref`, or the stream object) begins.
    pub offset: usize,
    /// Where its trailer dictionary (or stream object) ends.
    pub end: usize,
    pub is_stream: bool,
    pub trailer: Dict,
    /// Sorted by object number, one entry per number.
    pub entries: Vec<(u32, Entry)>,
    /// Offsets of the cross-reference stream objects this section was read from.
    pub stream_objects: Vec<usize>,
}

/// One revision: the original file or an incremental update.
#[derive(Debug, Clone)]
pub(crate) struct Revision {
    /// Where its bytes begin (the end of the previous revision, or 0).
    pub start: usize,
    /// Just after its `%%EOF`.
    pub end: usize,
    /// `end` plus the end-of-line after `%%EOF`, if any.
    pub end_eol: usize,
    /// Its sections, as indices into [`Pdf::sections`] (oldest first).
    pub sections: Range<usize>,
}

/// Why the file's revisions cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XrefError {
    #[error("no startxref at the end of the file / 文件末尾没有 startxref")]
    NoStartxref,
    #[error(
        "the /Prev chain of cross-reference sections loops back to byte {0} / 交叉引用表 /Prev 形成循环"
    )]
    PrevLoop(usize),
    #[error("more than {MAX_SECTIONS} cross-reference sections / 交叉引用段过多")]
    TooManySections,
    #[error("cross-reference section at byte {at}: {why} / 交叉引用段无法读取")]
    Section { at: usize, why: String },
    #[error(
        "the revisions are out of order: the section at byte {0} ends before an older one / 版本顺序错乱"
    )]
    Order(usize),
}

/// Where an object's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Loc {
    At(usize),
    /// Object `index` of the object stream whose object begins at the given offset.
    InStream(usize, u32),
}

/// An object as a revision resolves it.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub obj: Rc<Obj>,
    pub loc: Loc,
}

type Loaded = Result<(Ref, Rc<Obj>), String>;

struct ObjStm {
    data: Vec<u8>,
    first: usize,
    /// (object number, offset after `first`).
    index: Vec<(u32, usize)>,
}

/// A PDF file read as its revisions.
pub(crate) struct Pdf<'a> {
    pub buf: &'a [u8],
    /// Gives back the memory of bytes read once (a memory-mapped file drops its pages).
    pub release: &'a dyn Release,
    /// Oldest first.
    pub sections: Vec<Section>,
    /// Oldest first; the last is the document a reader shows.
    pub revisions: Vec<Revision>,
    /// Irregularities that do not stop reading (named by the verifier's rules).
    pub issues: Vec<(&'static str, String)>,
    /// With many sections: every entry as (object number, section, entry), sorted, so a
    /// lookup costs O(log n) however many revisions the file has.
    index: Vec<(u32, u32, Entry)>,
    /// Every `endstream` of the file, found once when first needed.
    endstreams: std::cell::OnceCell<Vec<usize>>,
    cache: RefCell<HashMap<Loc, Rc<Loaded>>>,
    objstms: RefCell<HashMap<usize, Rc<Result<ObjStm, String>>>>,
    objstm_bytes: Cell<usize>,
}

/// A borrowed or resolved object.
pub(crate) enum Got<'o> {
    Direct(&'o Obj),
    Shared(Rc<Obj>),
}

impl std::ops::Deref for Got<'_> {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        match self {
            Got::Direct(o) => o,
            Got::Shared(o) => o,
        }
    }
}

impl<'a> Pdf<'a> {
    /// Reads the cross-reference chain and splits the file into revisions.
    #[cfg(test)]
    pub fn read(buf: &'a [u8]) -> Result<Self, XrefError> {
        Self::read_with(buf, &crate::fs::InMemory)
    }

    /// [`Pdf::read`] of a buffer whose pages `release` gives back after a whole-file search
    /// (a memory-mapped file: memory stays bounded whatever the file's size).
    pub fn read_with(buf: &'a [u8], release: &'a dyn Release) -> Result<Self, XrefError> {
        let start = last_startxref(buf).ok_or(XrefError::NoStartxref)?;
        let mut chain: Vec<Section> = Vec::new();
        let mut seen = HashSet::new();
        let mut at = start;
        let mut entries = 0usize;
        loop {
            if !seen.insert(at) {
                return Err(XrefError::PrevLoop(at));
            }
            if chain.len() >= MAX_SECTIONS {
                return Err(XrefError::TooManySections);
            }
            let s = read_section(buf, at)?;
            entries += s.entries.len();
            if entries > MAX_ENTRIES {
                return Err(section_err(
                    at,
                    format!("more than {MAX_ENTRIES} cross-reference entries"),
                ));
            }
            let prev = s.trailer.get(b"Prev").cloned();
            chain.push(s);
            match prev {
                None => break,
                Some(Obj::Int(p)) if p >= 0 => at = p as usize,
                Some(_) => {
                    return Err(XrefError::Section {
                        at,
                        why: "/Prev is not a byte offset".into(),
                    });
                }
            }
        }
        // Which %%EOF ends the revision of each section: the first `startxref X %%EOF` after
        // the section that names it.
        let eofs = startxref_eofs(buf, release);
        let named = |s: &Section| {
            eofs.iter()
                .find(|(pos, x, _, _)| *x == s.offset && *pos >= s.end)
                .map(|(_, _, e, eol)| (*e, *eol))
        };
        let mut issues = Vec::new();
        // Newest first: a named section begins a revision; an unnamed one (the main section
        // of a linearized file, §F.3) belongs to the newer revision that reaches it.
        let mut groups: Vec<(usize, usize, usize)> = Vec::new(); // (end, end_eol, sections)
        for (i, s) in chain.iter().enumerate() {
            match named(s) {
                Some((e, eol)) => groups.push((e, eol, 1)),
                None if i == 0 => {
                    issues.push((
                        "trailing-bytes",
                        "the last cross-reference section is not followed by startxref and %%EOF"
                            .to_string(),
                    ));
                    groups.push((buf.len(), buf.len(), 1));
                }
                None => {
                    if let Some(g) = groups.last_mut() {
                        g.2 += 1;
                    }
                }
            }
        }
        for w in groups.windows(2) {
            if w[1].0 >= w[0].0 {
                return Err(XrefError::Order(w[0].0));
            }
        }
        chain.reverse();
        groups.reverse();
        let mut revisions = Vec::new();
        let mut first = 0;
        let mut start = 0;
        for (end, end_eol, n) in groups {
            revisions.push(Revision {
                start,
                end,
                end_eol,
                sections: first..first + n,
            });
            first += n;
            start = end_eol;
        }
        for (k, r) in revisions.iter().enumerate().skip(1) {
            for s in &chain[r.sections.clone()] {
                if s.offset < r.start || s.offset >= r.end {
                    issues.push((
                        "xref-redirect",
                        format!(
                            "revision {}'s cross-reference section is at byte {}, outside the revision's own bytes ({}..{})",
                            k + 1,
                            s.offset,
                            r.start,
                            r.end
                        ),
                    ));
                }
            }
        }
        let index = if chain.len() > 8 {
            let mut v: Vec<(u32, u32, Entry)> = chain
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.entries.iter().map(move |(n, e)| (*n, i as u32, *e)))
                .collect();
            v.sort_by_key(|(n, i, _)| (*n, *i));
            v
        } else {
            Vec::new()
        };
        Ok(Pdf {
            buf,
            release,
            sections: chain,
            revisions,
            issues,
            index,
            endstreams: std::cell::OnceCell::new(),
            cache: RefCell::new(HashMap::new()),
            objstms: RefCell::new(HashMap::new()),
            objstm_bytes: Cell::new(0),
        })
    }

    /// The index of the newest revision.
    pub fn last(&self) -> usize {
        self.revisions.len() - 1
    }

    /// A trailer entry as of `rev`, falling back to older trailers when the newest omits it.
    pub fn trailer_entry(&self, rev: usize, key: &[u8]) -> Option<&Obj> {
        self.sections[..self.revisions[rev].sections.end]
            .iter()
            .rev()
            .find_map(|s| s.trailer.get(key))
    }

    /// The cross-reference entry for object number `n` as of `rev`, and the section holding it.
    pub fn entry(&self, rev: usize, n: u32) -> Option<(usize, Entry)> {
        let top = self.revisions[rev].sections.end;
        if !self.index.is_empty() {
            // The newest entry for `n` in a section before `top`.
            let at = self
                .index
                .partition_point(|(k, i, _)| (*k, *i as usize) < (n, top));
            return at
                .checked_sub(1)
                .map(|j| self.index[j])
                .filter(|(k, _, _)| *k == n)
                .map(|(_, i, e)| (i as usize, e));
        }
        (0..top).rev().find_map(|i| {
            let e = &self.sections[i].entries;
            e.binary_search_by_key(&n, |(k, _)| *k)
                .ok()
                .map(|j| (i, e[j].1))
        })
    }

    /// The revision a section belongs to.
    pub fn revision_of_section(&self, section: usize) -> usize {
        self.revisions
            .iter()
            .position(|r| r.sections.contains(&section))
            .unwrap_or(0)
    }

    /// The object numbers revision `rev`'s own sections list (§7.5.6: what the update changes).
    pub fn listed(&self, rev: usize) -> impl Iterator<Item = (u32, Entry)> + '_ {
        self.sections[self.revisions[rev].sections.clone()]
            .iter()
            .flat_map(|s| s.entries.iter().copied())
    }

    /// Object `r` as of revision `rev`: `Ok(None)` when it is free or undefined (a reader
    /// takes it as null, §7.3.10), `Err` when the xref points at bytes that are not that object.
    pub fn resolve(&self, rev: usize, r: Ref) -> Result<Option<Resolved>, String> {
        self.resolve_with(rev, r, true)
    }

    /// As [`Pdf::resolve`], without keeping the parsed object in the cache (for one pass
    /// over every object of the file).
    pub fn peek(&self, rev: usize, r: Ref) -> Result<Option<Resolved>, String> {
        self.resolve_with(rev, r, false)
    }

    fn resolve_with(&self, rev: usize, r: Ref, keep: bool) -> Result<Option<Resolved>, String> {
        let Some((_, entry)) = self.entry(rev, r.0) else {
            return Ok(None);
        };
        let loc = match entry {
            Entry::Free => return Ok(None),
            Entry::InUse { offset, generation } => {
                if generation != r.1 {
                    return Ok(None);
                }
                Loc::At(offset)
            }
            Entry::Compressed { stream, index } => {
                if r.1 != 0 {
                    return Ok(None);
                }
                match self.entry(rev, stream) {
                    Some((_, Entry::InUse { offset, .. })) => Loc::InStream(offset, index),
                    _ => {
                        return Err(format!(
                            "object {} is said to be in object stream {stream}, which is not an object in the file",
                            r.0
                        ));
                    }
                }
            }
        };
        let loaded = self.load(loc, keep);
        match &*loaded {
            Ok((id, obj)) if *id == r || (id.0 == r.0 && matches!(loc, Loc::InStream(..))) => {
                Ok(Some(Resolved {
                    obj: obj.clone(),
                    loc,
                }))
            }
            Ok((id, _)) => Err(format!(
                "the cross-reference entry of object {} {} points at object {} {}",
                r.0, r.1, id.0, id.1
            )),
            Err(e) => Err(format!("object {} {}: {e}", r.0, r.1)),
        }
    }

    /// Follows a reference as of `rev`; a direct object is returned as it is. Free,
    /// undefined and unreadable objects read as null.
    pub fn get<'o>(&self, rev: usize, o: &'o Obj) -> Got<'o> {
        match o {
            Obj::Ref(r) => match self.resolve(rev, *r) {
                Ok(Some(res)) => Got::Shared(res.obj),
                _ => Got::Shared(Rc::new(Obj::Null)),
            },
            o => Got::Direct(o),
        }
    }

    /// The document catalog of revision `rev`.
    pub fn root(&self, rev: usize) -> Option<(Ref, Rc<Obj>)> {
        let r = self.trailer_entry(rev, b"Root")?.as_ref()?;
        let res = self.resolve(rev, r).ok()??;
        res.obj.as_dict()?;
        Some((r, res.obj))
    }

    /// The indirect object at `at` (streams without a usable `/Length` end at the next
    /// `endstream`, found in an index built once).
    pub fn parse_at(&self, at: usize) -> Result<cos::Indirect, SyntaxError> {
        let all = self
            .endstreams
            .get_or_init(|| find_all(self.buf, b"endstream", self.release).collect());
        cos::parse_indirect_with(self.buf, at, Some(all))
    }

    /// The object numbers an object stream at `at` holds (none when it is not one).
    pub fn object_stream_members(&self, at: usize) -> Vec<u32> {
        match self.parse_at(at) {
            Ok(i) if matches!(&i.obj, Obj::Stream(s) if s.dict.is_type(b"ObjStm")) => {}
            _ => return Vec::new(),
        }
        match &*self.objstm(at) {
            Ok(s) => s.index.iter().map(|(n, _)| *n).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn load(&self, loc: Loc, keep: bool) -> Rc<Loaded> {
        if let Some(l) = self.cache.borrow().get(&loc) {
            return l.clone();
        }
        let loaded: Loaded = match loc {
            Loc::At(offset) => self
                .parse_at(offset)
                .map(|i| (i.id, Rc::new(i.obj)))
                .map_err(|e| e.to_string()),
            Loc::InStream(at, index) => self.load_compressed(at, index),
        };
        let loaded = Rc::new(loaded);
        if !keep {
            return loaded;
        }
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= MAX_CACHED_OBJECTS {
            cache.clear();
        }
        cache.insert(loc, loaded.clone());
        loaded
    }

    /// §7.5.7: object `index` of the object stream at `at`.
    fn load_compressed(&self, at: usize, index: u32) -> Loaded {
        let stm = self.objstm(at);
        let stm = stm.as_ref().as_ref().map_err(Clone::clone)?;
        let (n, off) = *stm
            .index
            .get(index as usize)
            .ok_or_else(|| format!("object stream has no object number {index}"))?;
        let start = stm
            .first
            .checked_add(off)
            .filter(|s| *s < stm.data.len())
            .ok_or("object offset beyond the object stream")?;
        let obj =
            cos::parse_object(&mut Lexer::new(&stm.data, start), 0).map_err(|e| e.to_string())?;
        Ok(((n, 0), Rc::new(obj)))
    }

    fn objstm(&self, at: usize) -> Rc<Result<ObjStm, String>> {
        if let Some(s) = self.objstms.borrow().get(&at) {
            return s.clone();
        }
        let parsed = Rc::new(self.parse_objstm(at));
        let size = parsed.as_ref().as_ref().map(|s| s.data.len()).unwrap_or(0);
        let mut map = self.objstms.borrow_mut();
        if self.objstm_bytes.get() + size > MAX_OBJSTM_CACHE {
            map.clear();
            self.objstm_bytes.set(0);
        }
        self.objstm_bytes.set(self.objstm_bytes.get() + size);
        map.insert(at, parsed.clone());
        parsed
    }

    fn parse_objstm(&self, at: usize) -> Result<ObjStm, String> {
        let ind = self.parse_at(at).map_err(|e| e.to_string())?;
        let Obj::Stream(s) = ind.obj else {
            return Err("an object stream that is not a stream".into());
        };
        if !s.dict.is_type(b"ObjStm") {
            return Err("a compressed object's stream is not /Type /ObjStm".into());
        }
        let data = decode(self.buf, &s).map_err(|e| e.what.to_string())?;
        let n = s.dict.int(b"N").unwrap_or(0);
        let first = s.dict.int(b"First").unwrap_or(-1);
        let (Ok(n), Ok(first)) = (usize::try_from(n), usize::try_from(first)) else {
            return Err("object stream /N or /First invalid".into());
        };
        if first > data.len() || n > data.len() / 2 + 1 {
            return Err("object stream /N or /First beyond its data".into());
        }
        let mut lx = Lexer::new(&data[..first], 0);
        let mut index = Vec::with_capacity(n);
        for _ in 0..n {
            match (lx.next(), lx.next()) {
                (Ok(Some(Tok::Int(num))), Ok(Some(Tok::Int(off))))
                    if num >= 0 && off >= 0 && num <= i64::from(u32::MAX) =>
                {
                    index.push((num as u32, off as usize))
                }
                _ => return Err("object stream header unreadable".into()),
            }
        }
        Ok(ObjStm { data, first, index })
    }
}

/// The offset after the last `startxref` of the file (§7.5.5).
fn last_startxref(buf: &[u8]) -> Option<usize> {
    let pos = rfind(buf, b"startxref")?;
    let mut lx = Lexer::new(buf, pos + 9);
    match lx.next() {
        Ok(Some(Tok::Int(x))) if x >= 0 => Some(x as usize),
        _ => None,
    }
}

/// Every `startxref X %%EOF` of the file: (position, X, end of `%%EOF`, end after its EOL).
fn startxref_eofs(buf: &[u8], release: &dyn Release) -> Vec<(usize, usize, usize, usize)> {
    let mut out = Vec::new();
    for pos in find_all(buf, b"startxref", release) {
        let mut i = pos + 9;
        while buf.get(i).is_some_and(|c| cos::is_white(*c)) {
            i += 1;
        }
        let d = i;
        while buf.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let Some(x) = std::str::from_utf8(&buf[d..i])
            .ok()
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        while buf.get(i).is_some_and(|c| cos::is_white(*c)) {
            i += 1;
        }
        if !buf[i..].starts_with(b"%%EOF") {
            continue;
        }
        let end = i + 5;
        let mut eol = end;
        if buf.get(eol) == Some(&b'\r') {
            eol += 1;
        }
        if buf.get(eol) == Some(&b'\n') {
            eol += 1;
        }
        out.push((pos, x, end, eol));
    }
    out
}

/// Every position of `needle` in `buf`, searched a chunk at a time; each chunk searched is
/// given back to `release` once searched.
fn find_all<'b>(
    buf: &'b [u8],
    needle: &'b [u8],
    release: &'b dyn Release,
) -> impl Iterator<Item = usize> + 'b {
    let finder = memchr::memmem::Finder::new(needle);
    let mut from = 0;
    let mut released = 0;
    std::iter::from_fn(move || {
        loop {
            if from >= buf.len() {
                release.release(released..buf.len());
                return None;
            }
            // A match may begin up to the chunk's last byte.
            let end = (from + CHUNK + needle.len() - 1).min(buf.len());
            match finder.find(&buf[from..end]) {
                Some(k) => {
                    let at = from + k;
                    from = at + needle.len();
                    return Some(at);
                }
                None if end == buf.len() => from = end,
                None => from = end + 1 - needle.len(),
            }
            if from >= released + CHUNK {
                release.release(released..from);
                released = from;
            }
        }
    })
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

fn section_err(at: usize, why: impl Into<String>) -> XrefError {
    XrefError::Section {
        at,
        why: why.into(),
    }
}

/// Reads the section at `at`: a table with its trailer (and a hybrid file's `/XRefStm`), or a
/// cross-reference stream.
fn read_section(buf: &[u8], at: usize) -> Result<Section, XrefError> {
    if at >= buf.len() {
        return Err(section_err(
            at,
            "startxref or /Prev points beyond the end of the file",
        ));
    }
    let mut lx = Lexer::new(buf, at);
    lx.skip_ws();
    if buf[lx.pos..].starts_with(b"xref") {
        let offset = lx.pos;
        lx.pos += 4;
        let mut entries = Vec::new();
        loop {
            let t_at = lx.pos;
            match lx.next().map_err(|e| section_err(e.at, e.what))? {
                Some(Tok::Keyword(b"trailer")) => break,
                Some(Tok::Int(first)) => {
                    let Ok(Some(Tok::Int(count))) = lx.next() else {
                        return Err(section_err(t_at, "subsection without a count"));
                    };
                    let (Ok(first), Ok(count)) = (u32::try_from(first), usize::try_from(count))
                    else {
                        return Err(section_err(t_at, "subsection numbers out of range"));
                    };
                    if count > (buf.len() - lx.pos) / 18 + 1 {
                        return Err(section_err(t_at, "subsection longer than the file"));
                    }
                    for i in 0..count {
                        let e_at = lx.pos;
                        let (
                            Ok(Some(Tok::Int(off))),
                            Ok(Some(Tok::Int(generation))),
                            Ok(Some(Tok::Keyword(kind))),
                        ) = (lx.next(), lx.next(), lx.next())
                        else {
                            return Err(section_err(e_at, "unreadable cross-reference entry"));
                        };
                        let n = first.saturating_add(i as u32);
                        let entry = match kind {
                            b"n" => Entry::InUse {
                                offset: usize::try_from(off)
                                    .map_err(|_| section_err(e_at, "negative offset"))?,
                                generation: u16::try_from(generation).unwrap_or(u16::MAX),
                            },
                            b"f" => Entry::Free,
                            _ => return Err(section_err(e_at, "entry neither n nor f")),
                        };
                        entries.push((n, entry));
                    }
                }
                _ => return Err(section_err(t_at, "expected a subsection or trailer")),
            }
        }
        let trailer = match cos::parse_object(&mut lx, 0) {
            Ok(Obj::Dict(d)) => d,
            _ => return Err(section_err(lx.pos, "trailer is not a dictionary")),
        };
        let end = lx.pos;
        let mut entries = normalise(entries);
        let mut stream_objects = Vec::new();
        if let Some(x) = trailer.int(b"XRefStm") {
            // §7.5.8.4: a hybrid file's table lists its objects in object streams as free (or
            // not at all) for older readers; the stream's entries stand for those, the
            // table's in-use entries for the rest (as readers that know /XRefStm do).
            let x = usize::try_from(x).map_err(|_| section_err(end, "/XRefStm negative"))?;
            if x == offset {
                return Err(section_err(x, "/XRefStm names the table itself"));
            }
            let s = read_section(buf, x)?;
            if !s.is_stream {
                return Err(section_err(x, "/XRefStm is not a cross-reference stream"));
            }
            let in_use: HashSet<u32> = entries
                .iter()
                .filter(|(_, e)| *e != Entry::Free)
                .map(|(n, _)| *n)
                .collect();
            let from_stream: HashSet<u32> = s
                .entries
                .iter()
                .filter(|(n, _)| !in_use.contains(n))
                .map(|(n, _)| *n)
                .collect();
            entries.retain(|(n, _)| !from_stream.contains(n));
            entries.extend(
                s.entries
                    .into_iter()
                    .filter(|(n, _)| from_stream.contains(n)),
            );
            entries.sort_by_key(|(n, _)| *n);
            stream_objects.extend(s.stream_objects);
        }
        return Ok(Section {
            offset,
            end,
            is_stream: false,
            trailer,
            entries,
            stream_objects,
        });
    }
    let offset = lx.pos;
    let ind = cos::parse_indirect(buf, offset).map_err(|e| section_err(e.at, e.what))?;
    let Obj::Stream(s) = ind.obj else {
        return Err(section_err(
            offset,
            "neither `xref` nor a cross-reference stream",
        ));
    };
    if !s.dict.is_type(b"XRef") {
        return Err(section_err(offset, "a stream that is not /Type /XRef"));
    }
    let data = decode(buf, &s).map_err(|e| section_err(offset, e.what))?;
    let ints = |key: &[u8]| -> Option<Vec<i64>> {
        s.dict.get(key)?.as_array().map(|a| {
            a.iter()
                .map(|o| if let Obj::Int(i) = o { *i } else { -1 })
                .collect()
        })
    };
    let w = ints(b"W").filter(|w| w.len() == 3 && w.iter().all(|x| (0..=8).contains(x)));
    let Some(w) = w else {
        return Err(section_err(offset, "/W is not three field widths"));
    };
    let w: Vec<usize> = w.into_iter().map(|x| x as usize).collect();
    let row = w.iter().sum::<usize>();
    let size = s.dict.int(b"Size").unwrap_or(0);
    let index = ints(b"Index").unwrap_or_else(|| vec![0, size]);
    if index.len() % 2 != 0 || index.iter().any(|x| *x < 0 || *x > i64::from(u32::MAX)) || row == 0
    {
        return Err(section_err(offset, "/Index or /W invalid"));
    }
    let mut entries = Vec::new();
    let mut p = 0usize;
    let field = |bytes: &[u8]| bytes.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
    let claimed: i64 = index.chunks(2).map(|p| p[1]).sum();
    if claimed > MAX_ENTRIES as i64 {
        return Err(section_err(
            offset,
            format!("the cross-reference stream claims more than {MAX_ENTRIES} entries"),
        ));
    }
    for pair in index.chunks(2) {
        for i in 0..pair[1] as u64 {
            let Some(rec) = data.get(p..p + row) else {
                return Err(section_err(
                    offset,
                    "cross-reference stream shorter than its /Index",
                ));
            };
            p += row;
            let kind = if w[0] == 0 { 1 } else { field(&rec[..w[0]]) };
            let f2 = field(&rec[w[0]..w[0] + w[1]]);
            let f3 = field(&rec[w[0] + w[1]..]);
            let n = (pair[0] as u64 + i).min(u64::from(u32::MAX)) as u32;
            let entry = match kind {
                0 => Entry::Free,
                1 => Entry::InUse {
                    offset: usize::try_from(f2).unwrap_or(usize::MAX),
                    generation: u16::try_from(f3).unwrap_or(u16::MAX),
                },
                2 => Entry::Compressed {
                    stream: u32::try_from(f2).unwrap_or(u32::MAX),
                    index: u32::try_from(f3).unwrap_or(u32::MAX),
                },
                _ => continue, // §7.5.8.3: other types read as null references
            };
            entries.push((n, entry));
        }
    }
    Ok(Section {
        offset,
        end: ind.end,
        is_stream: true,
        trailer: s.dict.clone(),
        entries: normalise(entries),
        stream_objects: vec![offset],
    })
}

/// Sorted by object number; for a number listed twice the first entry stands; object 0 (the
/// head of the free list) is left out.
fn normalise(mut entries: Vec<(u32, Entry)>) -> Vec<(u32, Entry)> {
    entries.retain(|(n, _)| *n != 0);
    entries.sort_by_key(|(n, _)| *n); // stable: the first of equal numbers stays first
    entries.dedup_by_key(|(n, _)| *n);
    entries
}

/// The decoded bytes of an object or cross-reference stream: no filter or `/FlateDecode`
/// (§7.4.4) with an optional PNG predictor (§7.4.4.4), at most [`MAX_DECODED`] bytes.
pub(crate) fn decode(buf: &[u8], s: &Stream) -> Result<Vec<u8>, SyntaxError> {
    use std::io::Read;
    let raw = &buf[s.data.clone()];
    let at = s.data.start;
    let filter = match s.dict.get(b"Filter") {
        None => None,
        Some(Obj::Name(n)) => Some(n.as_slice()),
        Some(Obj::Array(a)) if a.len() == 1 => match &a[0] {
            Obj::Name(n) => Some(n.as_slice()),
            _ => {
                return Err(SyntaxError {
                    at,
                    what: "unsupported /Filter",
                });
            }
        },
        Some(Obj::Array(a)) if a.is_empty() => None,
        _ => {
            return Err(SyntaxError {
                at,
                what: "unsupported /Filter",
            });
        }
    };
    let data = match filter {
        None => raw.to_vec(),
        Some(b"FlateDecode") => {
            let mut out = Vec::new();
            let limit = MAX_DECODED.min(raw.len().saturating_mul(MAX_RATIO).max(RATIO_FLOOR));
            flate2::read::ZlibDecoder::new(raw)
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| SyntaxError {
                    at,
                    what: "FlateDecode data is corrupt",
                })?;
            if out.len() > limit {
                return Err(SyntaxError {
                    at,
                    what: "decoded stream too large (over 64 MiB, or over 200 times its \
                           encoded size above 1 MiB: a decompression bomb?)",
                });
            }
            out
        }
        Some(_) => {
            return Err(SyntaxError {
                at,
                what: "unsupported /Filter for an object or xref stream",
            });
        }
    };
    let parms = match s.dict.get(b"DecodeParms") {
        Some(Obj::Dict(d)) => Some(d),
        Some(Obj::Array(a)) => a.first().and_then(Obj::as_dict),
        _ => None,
    };
    let predictor = parms.and_then(|p| p.int(b"Predictor")).unwrap_or(1);
    if predictor < 10 {
        if predictor != 1 {
            return Err(SyntaxError {
                at,
                what: "TIFF predictor not supported here",
            });
        }
        return Ok(data);
    }
    let columns = parms.and_then(|p| p.int(b"Columns")).unwrap_or(1);
    let colors = parms.and_then(|p| p.int(b"Colors")).unwrap_or(1);
    let bpc = parms.and_then(|p| p.int(b"BitsPerComponent")).unwrap_or(8);
    if !(1..=1 << 20).contains(&columns)
        || !(1..=32).contains(&colors)
        || !matches!(bpc, 1 | 2 | 4 | 8 | 16)
    {
        return Err(SyntaxError {
            at,
            what: "predictor parameters out of range",
        });
    }
    let bpp = ((colors * bpc + 7) / 8) as usize;
    let row = ((columns * colors * bpc + 7) / 8) as usize;
    png_unpredict(&data, row, bpp).ok_or(SyntaxError {
        at,
        what: "PNG predictor data malformed",
    })
}

/// Undoes PNG row filters (RFC 2083 §6): each row starts with its filter type.
fn png_unpredict(data: &[u8], row: usize, bpp: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        if chunk.len() < row + 1 {
            break; // a short last row is ignored, as readers do
        }
        let (kind, src) = (chunk[0], &chunk[1..]);
        let mut cur = vec![0u8; row];
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = src[i].wrapping_add(match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => return None,
            });
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Some(out)
}

/// Small hand-written files for the pdf room's unit tests.
#[cfg(test)]
pub(crate) mod testdoc {
    /// Appends a revision: the objects, a table listing them, a trailer with `/Prev` (the
    /// previous section) and `%%EOF`. Returns the table's offset.
    pub fn revision(out: &mut Vec<u8>, objs: &[(u32, &str)], prev: Option<usize>) -> usize {
        let mut offs = Vec::new();
        for (id, body) in objs {
            offs.push((*id, out.len()));
            out.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
        }
        let x = out.len();
        out.extend_from_slice(b"xref\n");
        for (id, o) in &offs {
            out.extend_from_slice(format!("{id} 1\n{o:010} 00000 n\r\n").as_bytes());
        }
        let prev = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
        out.extend_from_slice(
            format!("trailer\n<</Size 30/Root 1 0 R{prev}>>\nstartxref\n{x}\n%%EOF\n").as_bytes(),
        );
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::InMemory;

    #[test]
    fn whole_file_searches_find_needles_across_chunk_boundaries() {
        struct Furthest(Cell<usize>);
        impl Release for Furthest {
            fn release(&self, r: std::ops::Range<usize>) {
                assert!(r.start <= r.end);
                self.0.set(self.0.get().max(r.end));
            }
        }
        let mut buf = vec![b'x'; 3 * CHUNK + 100];
        let at = [0, CHUNK - 4, CHUNK + 10, 2 * CHUNK - 9, 3 * CHUNK + 91];
        for a in at {
            buf[a..a + 9].copy_from_slice(b"startxref");
        }
        let searched = Furthest(Cell::new(0));
        let found: Vec<usize> = find_all(&buf, b"startxref", &searched).collect();
        assert_eq!(found, at);
        assert_eq!(
            searched.0.get(),
            buf.len(),
            "every byte searched is given back"
        );
        assert_eq!(find_all(b"startxre", b"startxref", &InMemory).count(), 0);
    }

    #[test]
    fn flate_is_bounded_by_ratio_and_size() {
        use std::io::Write;
        let deflate = |n: usize| {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&vec![0u8; n]).unwrap();
            e.finish().unwrap()
        };
        let stream = |buf: &[u8]| Stream {
            dict: Dict(vec![(
                b"Filter".to_vec(),
                Obj::Name(b"FlateDecode".to_vec()),
            )]),
            data: 0..buf.len(),
        };
        // Up to the floor whatever the ratio; above it at most MAX_RATIO times the input.
        let small = deflate(RATIO_FLOOR);
        assert_eq!(decode(&small, &stream(&small)).unwrap().len(), RATIO_FLOOR);
        let bomb = deflate(8 << 20);
        assert!(
            bomb.len() * MAX_RATIO < 8 << 20,
            "zlib ratio {}",
            (8 << 20) / bomb.len()
        );
        let e = decode(&bomb, &stream(&bomb)).unwrap_err();
        assert!(e.what.contains("too large"), "{}", e.what);
    }

    /// A file with one object per revision: revision 2 redefines object 1.
    fn two_revisions() -> Vec<u8> {
        let mut f = b"%PDF-1.7\n".to_vec();
        let o1 = f.len();
        f.extend_from_slice(b"1 0 obj\n<</Type/Catalog/V 1>>\nendobj\n");
        let x1 = f.len();
        f.extend_from_slice(format!("xref\n0 2\n0000000000 65535 f\r\n{o1:010} 00000 n\r\ntrailer\n<</Size 2/Root 1 0 R>>\nstartxref\n{x1}\n%%EOF\n").as_bytes());
        let o2 = f.len();
        f.extend_from_slice(b"1 0 obj\n<</Type/Catalog/V 2>>\nendobj\n");
        let x2 = f.len();
        f.extend_from_slice(format!("xref\n1 1\n{o2:010} 00000 n\r\ntrailer\n<</Size 2/Root 1 0 R/Prev {x1:010}>>\nstartxref\n{x2}\n%%EOF\n").as_bytes());
        f
    }

    #[test]
    fn each_revision_resolves_its_own_objects() {
        let f = two_revisions();
        let pdf = Pdf::read(&f).unwrap();
        assert_eq!(pdf.revisions.len(), 2);
        assert_eq!(pdf.revisions[1].end_eol, f.len());
        assert!(f[..pdf.revisions[0].end].ends_with(b"%%EOF"));
        let v = |rev| pdf.root(rev).unwrap().1.as_dict().unwrap().int(b"V");
        assert_eq!((v(0), v(1)), (Some(1), Some(2)));
        assert_eq!(pdf.listed(1).count(), 1);
    }

    #[test]
    fn prev_loops_are_named() {
        // An update whose /Prev names its own section.
        let mut f = two_revisions();
        let x2 = Pdf::read(&f).unwrap().sections[1].offset;
        let s = String::from_utf8_lossy(&f).into_owned();
        let at = s.rfind("/Prev ").unwrap() + 6;
        let old = s[at..].split('>').next().unwrap().to_string();
        let new = format!("{x2:0width$}", width = old.len());
        assert_eq!(new.len(), old.len());
        f[at..at + new.len()].copy_from_slice(new.as_bytes());
        assert_eq!(Pdf::read(&f).err(), Some(XrefError::PrevLoop(x2)));
    }

    /// §7.5.8.4: object 2 is free in the table and compressed in the /XRefStm stream.
    #[test]
    fn hybrid_files_resolve_through_the_hidden_stream() {
        let mut f = b"%PDF-1.5\n".to_vec();
        let o1 = f.len();
        f.extend_from_slice(b"1 0 obj\n<</Type/Catalog/Font 2 0 R>>\nendobj\n");
        let o3 = f.len();
        let body = b"2 0 <</Type/Font/BaseFont/Helvetica>>";
        f.extend_from_slice(
            format!(
                "3 0 obj\n<</Type/ObjStm/N 1/First 4/Length {}>>\nstream\n",
                body.len()
            )
            .as_bytes(),
        );
        f.extend_from_slice(body);
        f.extend_from_slice(b"\nendstream\nendobj\n");
        let o4 = f.len();
        let rows = [2u8, 0, 0, 0, 3, 0, 0];
        f.extend_from_slice(
            b"4 0 obj\n<</Type/XRef/Size 5/W[1 4 2]/Index[2 1]/Length 7>>\nstream\n",
        );
        f.extend_from_slice(&rows);
        f.extend_from_slice(b"\nendstream\nendobj\n");
        let x = f.len();
        f.extend_from_slice(format!("xref\n0 5\n0000000000 65535 f\r\n{o1:010} 00000 n\r\n0000000000 00000 f\r\n{o3:010} 00000 n\r\n{o4:010} 00000 n\r\ntrailer\n<</Size 5/Root 1 0 R/XRefStm {o4}>>\nstartxref\n{x}\n%%EOF\n").as_bytes());
        let pdf = Pdf::read(&f).unwrap();
        let font = pdf
            .resolve(0, (2, 0))
            .unwrap()
            .expect("object 2 from the stream");
        assert_eq!(
            font.obj.as_dict().and_then(|d| d.name(b"BaseFont")),
            Some(&b"Helvetica"[..])
        );
    }

    #[test]
    fn many_revisions_are_looked_up_through_the_index() {
        let mut f = b"%PDF-1.7\n".to_vec();
        let mut prev = testdoc::revision(&mut f, &[(1, "<</Type/Catalog/V 0>>")], None);
        let bodies: Vec<String> = (1..=12)
            .map(|k| format!("<</Type/Catalog/V {k}>>"))
            .collect();
        for b in &bodies {
            prev = testdoc::revision(&mut f, &[(1, b.as_str())], Some(prev));
        }
        let pdf = Pdf::read(&f).unwrap();
        assert_eq!(pdf.revisions.len(), 13);
        assert!(!pdf.index.is_empty());
        for rev in 0..13 {
            let v = pdf.root(rev).unwrap().1.as_dict().and_then(|d| d.int(b"V"));
            assert_eq!(v, Some(rev as i64));
        }
        assert_eq!(pdf.entry(5, 2), None);
    }

    #[test]
    fn png_predictor_up() {
        // Two rows of 2 bytes, filter 2 (Up).
        let data = [2, 1, 2, 2, 1, 1];
        assert_eq!(png_unpredict(&data, 2, 1), Some(vec![1, 2, 2, 3]));
    }
}
