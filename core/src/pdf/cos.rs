//! PDF object syntax (ISO 32000-1 §7.2 lexical conventions, §7.3 objects) read straight from
//! the file's bytes for the verifier. Streams are spans of the buffer (never copied); parsing
//! is bounded (nesting depth, one pass over the input); a token that is not PDF (a hex string
//! with a non-hex digit, an unterminated string) is an error, never guessed at.

use std::ops::Range;

/// Deepest nesting of arrays and dictionaries accepted (§C.2 recommends far less in content).
pub(crate) const MAX_DEPTH: usize = 64;

/// An object number and generation (§7.3.10).
pub(crate) type Ref = (u32, u16);

/// A PDF object. Strings keep their bytes whichever way they were written (§7.3.4).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(Ref),
    Stream(Box<Stream>),
}

/// A dictionary in file order; a key written twice is kept twice (see [`Dict::count`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Dict(pub Vec<(Vec<u8>, Obj)>);

/// A stream (§7.3.8): its dictionary and where its encoded bytes are in the buffer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stream {
    pub dict: Dict,
    pub data: Range<usize>,
}

impl Dict {
    /// The value of `key`; with a duplicated key, the last one (as most readers do).
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn has(&self, key: &[u8]) -> bool {
        self.get(key).is_some_and(|v| *v != Obj::Null)
    }
    /// How many times `key` is written.
    pub fn count(&self, key: &[u8]) -> usize {
        self.0.iter().filter(|(k, _)| k == key).count()
    }
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Obj::Name(n)) => Some(n),
            _ => None,
        }
    }
    pub fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Obj::Int(i)) => Some(*i),
            _ => None,
        }
    }
    pub fn is_type(&self, t: &[u8]) -> bool {
        self.name(b"Type") == Some(t)
    }
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(|(k, _)| k.as_slice())
    }
}

impl Obj {
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            Obj::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Option<Ref> {
        match self {
            Obj::Ref(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Obj]> {
        match self {
            Obj::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Real(r) => Some(*r),
            _ => None,
        }
    }
    /// Every reference written inside this object (not following them).
    pub fn refs(&self, out: &mut Vec<Ref>) {
        match self {
            Obj::Ref(r) => out.push(*r),
            Obj::Array(a) => a.iter().for_each(|o| o.refs(out)),
            Obj::Dict(d) => d.0.iter().for_each(|(_, o)| o.refs(out)),
            Obj::Stream(s) => s.dict.0.iter().for_each(|(_, o)| o.refs(out)),
            _ => {}
        }
    }
}

/// Why some bytes are not a PDF object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PDF syntax at byte {at}: {what}")]
pub struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

fn err<T>(at: usize, what: &'static str) -> Result<T, SyntaxError> {
    Err(SyntaxError { at, what })
}

/// §7.2.2 white-space characters.
pub(crate) fn is_white(c: u8) -> bool {
    matches!(c, 0 | 9 | 10 | 12 | 13 | 32)
}

/// §7.2.2 delimiters.
fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(c: u8) -> bool {
    !is_white(c) && !is_delim(c)
}

/// One token (§7.2).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'a> {
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// A run of regular characters that is not a number: `true`, `obj`, `R`, `stream`…
    Keyword(&'a [u8]),
}

/// A cursor over a buffer that reads tokens.
#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Lexer { buf, pos }
    }

    /// Skips white space and comments (§7.2.3).
    pub fn skip_ws(&mut self) {
        while let Some(&c) = self.buf.get(self.pos) {
            if is_white(c) {
                self.pos += 1;
            } else if c == b'%' {
                while let Some(&c) = self.buf.get(self.pos) {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end of the buffer.
    pub fn next(&mut self) -> Result<Option<Tok<'a>>, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        let Some(&c) = self.buf.get(start) else {
            return Ok(None);
        };
        self.pos += 1;
        Ok(Some(match c {
            b'[' => Tok::ArrayOpen,
            b']' => Tok::ArrayClose,
            b'<' if self.buf.get(self.pos) == Some(&b'<') => {
                self.pos += 1;
                Tok::DictOpen
            }
            b'>' if self.buf.get(self.pos) == Some(&b'>') => {
                self.pos += 1;
                Tok::DictClose
            }
            b'<' => Tok::Str(self.hex_string(start)?),
            b'(' => Tok::Str(self.literal_string(start)?),
            b'/' => Tok::Name(self.name()),
            b'{' | b'}' => return err(start, "PostScript braces outside a function"),
            b'>' | b')' => return err(start, "unbalanced delimiter"),
            _ => {
                while self.buf.get(self.pos).is_some_and(|&c| is_regular(c)) {
                    self.pos += 1;
                }
                let word = &self.buf[start..self.pos];
                number(word).unwrap_or(Tok::Keyword(word))
            }
        }))
    }

    /// §7.3.4.3: hex digits and white space up to `>`; an odd final digit is followed by 0.
    fn hex_string(&mut self, start: usize) -> Result<Vec<u8>, SyntaxError> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(&c) = self.buf.get(self.pos) else {
                return err(start, "unterminated hex string");
            };
            self.pos += 1;
            let v = match c {
                b'>' => break,
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                c if is_white(c) => continue,
                _ => {
                    return err(
                        self.pos - 1,
                        "a hex string holds a character that is not a hex digit",
                    );
                }
            };
            match high.take() {
                None => high = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(out)
    }

    /// §7.3.4.2: balanced parentheses, backslash escapes, line continuations.
    fn literal_string(&mut self, start: usize) -> Result<Vec<u8>, SyntaxError> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(&c) = self.buf.get(self.pos) else {
                return err(start, "unterminated literal string");
            };
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(&e) = self.buf.get(self.pos) else {
                        return err(start, "unterminated literal string");
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.buf.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.buf.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    // §7.3.4.2: an end-of-line in a string reads as one LF.
                    if self.buf.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(c),
            }
        }
        Ok(out)
    }

    /// §7.3.5: a name, `#xx` decoded.
    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(&c) = self.buf.get(self.pos) {
            if !is_regular(c) {
                break;
            }
            self.pos += 1;
            if c == b'#' {
                let hx = self.buf.get(self.pos..self.pos + 2).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                });
                if let Some(v) = hx {
                    out.push(v);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(c);
        }
        out
    }
}

/// §7.3.3: `+17`, `-98`, `34.5`, `-.002`; anything else is not a number.
fn number(word: &[u8]) -> Option<Tok<'static>> {
    let digits = word
        .strip_prefix(b"+")
        .or_else(|| word.strip_prefix(b"-"))
        .unwrap_or(word);
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return None;
    }
    let dots = digits.iter().filter(|c| **c == b'.').count();
    if dots > 1 || digits == b"." {
        return None;
    }
    let s = std::str::from_utf8(word).ok()?;
    if dots == 0
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Tok::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Tok::Real)
}

/// Parses one object (a direct object, or a reference `n g R`) from the lexer's position.
/// Streams are not direct objects: see [`parse_indirect`].
pub(crate) fn parse_object(lx: &mut Lexer<'_>, depth: usize) -> Result<Obj, SyntaxError> {
    let at = lx.pos;
    let Some(tok) = lx.next()? else {
        return err(at, "end of data where an object was expected");
    };
    parse_from(lx, tok, at, depth)
}

fn parse_from(
    lx: &mut Lexer<'_>,
    tok: Tok<'_>,
    at: usize,
    depth: usize,
) -> Result<Obj, SyntaxError> {
    if depth > MAX_DEPTH {
        return err(at, "objects nested too deeply");
    }
    Ok(match tok {
        Tok::Int(i) => {
            // `n g R` (§7.3.10): look ahead two tokens.
            if let (Ok(n), true) = (u32::try_from(i), i >= 0) {
                let save = lx.pos;
                if let Ok(Some(Tok::Int(g))) = lx.next()
                    && let Ok(g) = u16::try_from(g)
                    && let Ok(Some(Tok::Keyword(b"R"))) = lx.next()
                {
                    return Ok(Obj::Ref((n, g)));
                }
                lx.pos = save;
            }
            Obj::Int(i)
        }
        Tok::Real(r) => Obj::Real(r),
        Tok::Name(n) => Obj::Name(n),
        Tok::Str(s) => Obj::Str(s),
        Tok::ArrayOpen => {
            let mut items = Vec::new();
            loop {
                let at = lx.pos;
                match lx.next()? {
                    None => return err(at, "unterminated array"),
                    Some(Tok::ArrayClose) => break,
                    Some(t) => items.push(parse_from(lx, t, at, depth + 1)?),
                }
            }
            Obj::Array(items)
        }
        Tok::DictOpen => Obj::Dict(parse_dict_body(lx, depth)?),
        Tok::Keyword(b"true") => Obj::Bool(true),
        Tok::Keyword(b"false") => Obj::Bool(false),
        Tok::Keyword(b"null") => Obj::Null,
        Tok::Keyword(_) => return err(at, "a keyword where an object was expected"),
        Tok::ArrayClose | Tok::DictClose => return err(at, "unbalanced delimiter"),
    })
}

/// The entries of a dictionary after its `<<`, up to and including `>>`.
fn parse_dict_body(lx: &mut Lexer<'_>, depth: usize) -> Result<Dict, SyntaxError> {
    let mut d = Dict::default();
    loop {
        let at = lx.pos;
        match lx.next()? {
            None => return err(at, "unterminated dictionary"),
            Some(Tok::DictClose) => break,
            Some(Tok::Name(k)) => {
                let v = parse_object(lx, depth + 1)?;
                d.0.push((k, v));
            }
            Some(_) => return err(at, "a dictionary key that is not a name"),
        }
    }
    Ok(d)
}

/// An indirect object read from the buffer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Indirect {
    pub id: Ref,
    pub obj: Obj,
    /// Where `endobj` ends (or where the object ends when `endobj` is missing).
    pub end: usize,
}

/// Reads `n g obj … endobj` at `at` (white space before it skipped). A stream's extent is its
/// direct `/Length` when `endstream` follows there, else the first `endstream` after the data
/// (so an indirect `/Length` never changes where a stream ends; §7.3.8.1).
pub(crate) fn parse_indirect(buf: &[u8], at: usize) -> Result<Indirect, SyntaxError> {
    parse_indirect_with(buf, at, None)
}

/// [`parse_indirect`] with the sorted positions of every `endstream` in `buf`, so that finding
/// where a stream without a usable `/Length` ends costs a binary search, not a scan (many such
/// streams would otherwise cost the file's size each).
pub(crate) fn parse_indirect_with(
    buf: &[u8],
    at: usize,
    endstreams: Option<&[usize]>,
) -> Result<Indirect, SyntaxError> {
    let mut lx = Lexer::new(buf, at);
    let (Some(Tok::Int(n)), Some(Tok::Int(g)), Some(Tok::Keyword(b"obj"))) =
        (lx.next()?, lx.next()?, lx.next()?)
    else {
        return err(at, "no `n g obj` header here");
    };
    let (Ok(n), Ok(g)) = (u32::try_from(n), u16::try_from(g)) else {
        return err(at, "object number or generation out of range");
    };
    let obj = parse_object(&mut lx, 0)?;
    let before = lx.pos;
    let next = lx.next()?;
    let obj = match (obj, next) {
        (Obj::Dict(dict), Some(Tok::Keyword(b"stream"))) => {
            // §7.3.8.1: `stream` is followed by CRLF or LF (a lone CR is tolerated).
            let mut start = lx.pos;
            if buf.get(start) == Some(&b'\r') {
                start += 1;
            }
            if buf.get(start) == Some(&b'\n') {
                start += 1;
            }
            let by_length = dict
                .int(b"Length")
                .and_then(|l| usize::try_from(l).ok())
                .and_then(|l| start.checked_add(l))
                .filter(|&e| e <= buf.len() && ends_stream(buf, e));
            let end = match by_length {
                Some(e) => e,
                None => {
                    let next = match endstreams {
                        Some(all) => all.get(all.partition_point(|p| *p < start)).copied(),
                        None => find(&buf[start..], b"endstream").map(|k| start + k),
                    };
                    let Some(mut e) = next else {
                        return err(start, "stream without endstream");
                    };
                    if e > start && buf[e - 1] == b'\n' {
                        e -= 1;
                    }
                    if e > start && buf[e - 1] == b'\r' {
                        e -= 1;
                    }
                    e
                }
            };
            let mut tail = Lexer::new(buf, end);
            match tail.next()? {
                Some(Tok::Keyword(b"endstream")) => {}
                _ => return err(end, "stream data not followed by endstream"),
            }
            lx.pos = tail.pos;
            let save = lx.pos;
            if lx.next()? != Some(Tok::Keyword(b"endobj")) {
                lx.pos = save;
            }
            Obj::Stream(Box::new(Stream {
                dict,
                data: start..end,
            }))
        }
        (obj, Some(Tok::Keyword(b"endobj"))) => obj,
        (obj, _) => {
            // A missing `endobj` is common enough in real files to be tolerated.
            lx.pos = before;
            obj
        }
    };
    Ok(Indirect {
        id: (n, g),
        obj,
        end: lx.pos,
    })
}

/// `endstream` follows `at` after at most an end-of-line.
fn ends_stream(buf: &[u8], at: usize) -> bool {
    let mut i = at;
    if buf.get(i) == Some(&b'\r') {
        i += 1;
    }
    if buf.get(i) == Some(&b'\n') {
        i += 1;
    }
    buf.get(i..).is_some_and(|t| t.starts_with(b"endstream"))
}

/// The byte span of the value under `path` (keys of nested direct dictionaries) inside the
/// indirect object at `at`, with how many times the last key is written there. Used to check
/// that a signature's `/ByteRange` gap is exactly its `/Contents` string (ISO 32000-1 §12.8.1).
pub(crate) fn value_span(buf: &[u8], at: usize, path: &[&[u8]]) -> Option<(Range<usize>, usize)> {
    let mut lx = Lexer::new(buf, at);
    for _ in 0..3 {
        lx.next().ok()??;
    }
    let mut found = None;
    let mut depth = 0;
    for (i, key) in path.iter().enumerate() {
        if lx.next().ok()?? != Tok::DictOpen {
            return None;
        }
        let last = i + 1 == path.len();
        let mut count = 0;
        let mut span = None;
        loop {
            let k_at = lx.pos;
            match lx.next().ok()?? {
                Tok::DictClose => break,
                Tok::Name(k) => {
                    lx.skip_ws();
                    let v_at = lx.pos;
                    if k == *key && !last {
                        // Descend into this value: it must be a direct dictionary.
                        span = Some(v_at..v_at);
                        break;
                    }
                    parse_object(&mut lx, depth + 1).ok()?;
                    if k == *key {
                        count += 1;
                        span = Some(v_at..lx.pos);
                    }
                }
                _ => {
                    let _ = k_at;
                    return None;
                }
            }
        }
        let span = span?;
        if last {
            found = Some((span, count));
        } else {
            lx.pos = span.start;
            depth += 1;
        }
    }
    found
}

/// Whether two objects mean the same (§7.3): numbers by value (within what a
/// single-precision rewrite of a real changes), dictionaries whatever their key order (a null
/// value is the same as no entry, §7.3.7), streams by their dictionary without `/Length` and
/// their encoded bytes in `buf`.
pub(crate) fn same(buf: &[u8], a: &Obj, b: &Obj) -> bool {
    match (a, b) {
        (Obj::Stream(x), Obj::Stream(y)) => {
            same_dict(buf, &x.dict, &y.dict, &[b"Length"])
                && buf.get(x.data.clone()) == buf.get(y.data.clone())
        }
        (Obj::Dict(x), Obj::Dict(y)) => same_dict(buf, x, y, &[]),
        (Obj::Array(x), Obj::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(buf, p, q))
        }
        (Obj::Int(_) | Obj::Real(_), Obj::Int(_) | Obj::Real(_)) => {
            let (p, q) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            (p - q).abs() <= 1e-4_f64.max(p.abs() * 1e-6)
        }
        _ => a == b,
    }
}

fn same_dict(buf: &[u8], a: &Dict, b: &Dict, ignore: &[&[u8]]) -> bool {
    changed_keys(buf, a, b)
        .iter()
        .all(|k| ignore.contains(&k.as_slice()))
}

/// The keys whose values differ between two dictionaries (absent and null are alike).
pub(crate) fn changed_keys(buf: &[u8], a: &Dict, b: &Dict) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for k in a.keys().chain(b.keys()) {
        if out.iter().any(|o| o == k) {
            continue;
        }
        let differ = match (a.get(k), b.get(k)) {
            (None | Some(Obj::Null), None | Some(Obj::Null)) => false,
            (Some(x), Some(y)) => !same(buf, x, y),
            _ => true,
        };
        if differ {
            out.push(k.to_vec());
        }
    }
    out
}

/// The first position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|&c| c == first)
        {
            None => return None,
            Some(k) => {
                i += k;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Obj {
        parse_object(&mut Lexer::new(s.as_bytes(), 0), 0).unwrap()
    }

    #[test]
    fn reads_objects_as_iso_32000_writes_them() {
        assert_eq!(obj("12 0 R"), Obj::Ref((12, 0)));
        assert_eq!(
            obj("[1 2 R 3 -4 .5 (a\\)b\\101) <4E6F7> /A#20b true null]"),
            Obj::Array(vec![
                Obj::Ref((1, 2)),
                Obj::Int(3),
                Obj::Int(-4),
                Obj::Real(0.5),
                Obj::Str(b"a)bA".to_vec()),
                Obj::Str(vec![0x4e, 0x6f, 0x70]),
                Obj::Name(b"A b".to_vec()),
                Obj::Bool(true),
                Obj::Null,
            ])
        );
        let d = obj("<</Type/Sig/Contents<00 ab>%c\n/V 1 0 R/Contents(x)>>");
        let d = d.as_dict().unwrap();
        assert_eq!(d.count(b"Contents"), 2);
        assert_eq!(d.get(b"Contents"), Some(&Obj::Str(b"x".to_vec())));
        assert!(d.is_type(b"Sig"));
    }

    #[test]
    fn refuses_what_is_not_pdf() {
        for bad in ["<12G4>", "(open", "[1 2", "<</A>>>", "<<1 2>>", "}"] {
            assert!(
                parse_object(&mut Lexer::new(bad.as_bytes(), 0), 0).is_err(),
                "{bad}"
            );
        }
        // The outermost object is level 0: MAX_DEPTH + 1 nested arrays or dictionaries are
        // read, one more is refused, and a hundred thousand are an error, not a stack overflow.
        let arrays = |n: usize| "[".repeat(n) + &"]".repeat(n);
        let dicts = |n: usize| "<</A ".repeat(n - 1) + "<<>>" + &">>".repeat(n - 1);
        for nest in [arrays, dicts] {
            assert!(parse_object(&mut Lexer::new(nest(MAX_DEPTH + 1).as_bytes(), 0), 0).is_ok());
            for n in [MAX_DEPTH + 2, 100_000] {
                let e = parse_object(&mut Lexer::new(nest(n).as_bytes(), 0), 0).unwrap_err();
                assert_eq!(e.what, "objects nested too deeply");
            }
        }
    }

    #[test]
    fn streams_are_spans_and_end_at_endstream() {
        let f = b"7 0 obj\n<</Length 5>>\nstream\nhello\nendstream\nendobj\n8 0 obj <</Length 9 0 R>> stream\r\nab endstream x\nendstream endobj";
        let a = parse_indirect(f, 0).unwrap();
        let Obj::Stream(s) = &a.obj else { panic!() };
        assert_eq!(&f[s.data.clone()], b"hello");
        assert_eq!(a.id, (7, 0));
        let b = parse_indirect(f, a.end).unwrap();
        let Obj::Stream(s) = &b.obj else { panic!() };
        assert_eq!(&f[s.data.clone()], b"ab ");
        assert!(parse_indirect(b"1 0 obj <<>> stream\nno end", 0).is_err());
    }

    #[test]
    fn value_spans_locate_contents() {
        let f = b"3 0 obj\n<< /V << /Contents <0A0B> /X 1 >> /Contents <FF> >>\nendobj";
        let (s, n) = value_span(f, 0, &[b"Contents"]).unwrap();
        assert_eq!((&f[s], n), (&b"<FF>"[..], 1));
        let (s, _) = value_span(f, 0, &[b"V", b"Contents"]).unwrap();
        assert_eq!(&f[s], b"<0A0B>");
    }
}
