//! A lenient, bounded BER/DER reader over the original bytes.
//!
//! Real seals and signatures are not always DER (explicit `critical FALSE`, INTEGERs with
//! superfluous or missing `00` pads, BER indefinite lengths in CMS; all seen in real files).
//! Signatures are always verified over the bytes as they sit in the file, so parsing keeps a
//! slice of the original encoding for every element ([`Tlv::raw`]) and never re-encodes.
//!
//! Bounds: lengths are checked against the input, nesting depth is bounded, and no length
//! form can make the reader allocate.

use std::fmt;

/// Maximum nesting depth the reader follows (seals and CMS need < 20).
pub const MAX_DEPTH: usize = 64;

/// A read failure: what was expected, and the byte offset (from the start of the element
/// being parsed) where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Asn1Error {
    #[error("truncated: {what} needs {need} more bytes at offset {offset}")]
    Truncated {
        what: &'static str,
        need: usize,
        offset: usize,
    },
    #[error("unexpected tag 0x{found:02X} for {what} (expected 0x{expected:02X})")]
    UnexpectedTag {
        what: &'static str,
        expected: u8,
        found: u8,
    },
    #[error("bad length encoding for {what}")]
    BadLength { what: &'static str },
    #[error("{what}: {count} trailing bytes after the element")]
    TrailingBytes { what: &'static str, count: usize },
    #[error("{what}: nesting deeper than {MAX_DEPTH} levels")]
    TooDeep { what: &'static str },
    #[error("{what}: {why}")]
    Invalid { what: &'static str, why: String },
}

pub type Result<T> = std::result::Result<T, Asn1Error>;

/// ASN.1 tags used in eseal's structures.
pub mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0C;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const IA5_STRING: u8 = 0x16;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[n]` constructed context-specific (EXPLICIT).
    pub const fn context(n: u8) -> u8 {
        0xA0 | n
    }
    /// `[n]` primitive context-specific (IMPLICIT over a primitive).
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | n
    }
}

/// One element: its tag, its content and the whole encoding (`raw`) as found in the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    /// The content octets (for an indefinite-length element: everything before the
    /// end-of-contents marker).
    pub content: &'a [u8],
    /// The element's complete original encoding: tag, length and content.
    pub raw: &'a [u8],
    /// Indefinite length form (BER).
    pub indefinite: bool,
    /// Nesting level of this element (0 for a top-level element); its children are read one
    /// level deeper, so a walk over them is bounded by [`MAX_DEPTH`] whatever the caller does.
    depth: usize,
}

impl fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tlv(0x{:02X}, {} bytes)", self.tag, self.content.len())
    }
}

impl<'a> Tlv<'a> {
    /// Reads exactly one element spanning all of `input`.
    pub fn parse_exact(input: &'a [u8], what: &'static str) -> Result<Self> {
        let mut r = Reader::new(input);
        let t = r.read(what)?;
        if !r.is_empty() {
            return Err(Asn1Error::TrailingBytes {
                what,
                count: r.remaining(),
            });
        }
        Ok(t)
    }

    pub fn is_constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// A reader over the children of a constructed element, one nesting level deeper.
    pub fn children(&self) -> Reader<'a> {
        Reader {
            input: self.content,
            pos: 0,
            depth: self.depth + 1,
        }
    }

    /// Nesting level of this element (0 for a top-level element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Checks the tag.
    pub fn expect(self, tag: u8, what: &'static str) -> Result<Self> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Asn1Error::UnexpectedTag {
                what,
                expected: tag,
                found: self.tag,
            })
        }
    }

    /// Children of a SEQUENCE (checked tag) as a vector.
    pub fn sequence(self, what: &'static str) -> Result<Vec<Tlv<'a>>> {
        self.expect(tag::SEQUENCE, what)?.children().all(what)
    }

    /// An INTEGER read leniently as an unsigned big-endian magnitude (leading zero bytes
    /// stripped). Real files carry both superfluous and missing `00` pads.
    pub fn uint_bytes(&self, what: &'static str) -> Result<&'a [u8]> {
        let t = self.expect(tag::INTEGER, what)?;
        if t.content.is_empty() {
            return Err(Asn1Error::Invalid {
                what,
                why: "empty INTEGER".into(),
            });
        }
        let first = t
            .content
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(t.content.len() - 1);
        Ok(&t.content[first..])
    }

    /// A small INTEGER (versions, types, sizes) as i64; DER sign rules.
    pub fn small_int(&self, what: &'static str) -> Result<i64> {
        let t = self.expect(tag::INTEGER, what)?;
        if t.content.is_empty() || t.content.len() > 8 {
            return Err(Asn1Error::Invalid {
                what,
                why: format!("INTEGER of {} bytes", t.content.len()),
            });
        }
        let mut v: i64 = if t.content[0] & 0x80 != 0 { -1 } else { 0 };
        for b in t.content {
            v = (v << 8) | i64::from(*b);
        }
        Ok(v)
    }

    /// A string type (IA5String, UTF8String, PrintableString, ...) as UTF-8 text.
    pub fn string(&self, what: &'static str) -> Result<String> {
        match self.tag {
            tag::UTF8_STRING | tag::IA5_STRING | tag::PRINTABLE_STRING | 0x14 | 0x1A => {
                String::from_utf8(self.content.to_vec()).map_err(|_| Asn1Error::Invalid {
                    what,
                    why: "not valid UTF-8".into(),
                })
            }
            0x1E => {
                // BMPString: UTF-16BE.
                if !self.content.len().is_multiple_of(2) {
                    return Err(Asn1Error::Invalid {
                        what,
                        why: "odd BMPString length".into(),
                    });
                }
                let units: Vec<u16> = self
                    .content
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).map_err(|_| Asn1Error::Invalid {
                    what,
                    why: "bad BMPString".into(),
                })
            }
            found => Err(Asn1Error::UnexpectedTag {
                what,
                expected: tag::UTF8_STRING,
                found,
            }),
        }
    }

    /// A BIT STRING's bytes; the unused-bits count must be 0 (whole octets, as every GB/T
    /// 38540 BIT STRING holds).
    pub fn bit_string(&self, what: &'static str) -> Result<&'a [u8]> {
        match self.bit_string_with_unused(what)? {
            (bytes, 0) => Ok(bytes),
            (_, n) => Err(Asn1Error::Invalid {
                what,
                why: format!("{n} unused bits"),
            }),
        }
    }

    /// A BIT STRING's bytes and its unused-bits count, whatever that count is (some producers
    /// declare unused bits on values that are whole octets; the caller decides what to tolerate).
    pub fn bit_string_with_unused(&self, what: &'static str) -> Result<(&'a [u8], u8)> {
        let t = self.expect(tag::BIT_STRING, what)?;
        match t.content.split_first() {
            Some((n, rest)) if *n < 8 && (!rest.is_empty() || *n == 0) => Ok((rest, *n)),
            Some((n, _)) => Err(Asn1Error::Invalid {
                what,
                why: format!("{n} unused bits"),
            }),
            None => Err(Asn1Error::Invalid {
                what,
                why: "empty BIT STRING".into(),
            }),
        }
    }

    /// An OCTET STRING's bytes.
    pub fn octet_string(&self, what: &'static str) -> Result<&'a [u8]> {
        Ok(self.expect(tag::OCTET_STRING, what)?.content)
    }

    /// An OBJECT IDENTIFIER in dotted form.
    pub fn oid(&self, what: &'static str) -> Result<String> {
        let t = self.expect(tag::OID, what)?;
        oid_to_string(t.content).ok_or_else(|| Asn1Error::Invalid {
            what,
            why: "malformed OBJECT IDENTIFIER".into(),
        })
    }
}

/// Decodes the content octets of an OBJECT IDENTIFIER.
pub fn oid_to_string(content: &[u8]) -> Option<String> {
    if content.is_empty() || content.len() > 64 {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for (i, b) in content.iter().enumerate() {
        if v > (u64::MAX >> 7) {
            return None;
        }
        v = (v << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (a, b) = if v < 40 {
                    (0, v)
                } else if v < 80 {
                    (1, v - 40)
                } else {
                    (2, v - 80)
                };
                arcs.push(a);
                arcs.push(b);
            } else {
                arcs.push(v);
            }
            v = 0;
        } else if i == content.len() - 1 {
            return None;
        }
    }
    Some(
        arcs.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A cursor over consecutive elements.
#[derive(Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Reader {
            input,
            pos: 0,
            depth: 0,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }
    pub fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// Peeks at the next tag without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Reads the next element.
    pub fn read(&mut self, what: &'static str) -> Result<Tlv<'a>> {
        let (t, used) = read_tlv(&self.input[self.pos..], what, self.depth)?;
        self.pos += used;
        Ok(t)
    }

    /// Reads the next element if its tag is `tag`.
    pub fn read_optional(&mut self, tag: u8, what: &'static str) -> Result<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.read(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads every remaining element.
    pub fn all(mut self, what: &'static str) -> Result<Vec<Tlv<'a>>> {
        let mut v = Vec::new();
        while !self.is_empty() {
            if v.len() >= 100_000 {
                return Err(Asn1Error::Invalid {
                    what,
                    why: "too many elements".into(),
                });
            }
            v.push(self.read(what)?);
        }
        Ok(v)
    }
}

fn read_tlv<'a>(input: &'a [u8], what: &'static str, depth: usize) -> Result<(Tlv<'a>, usize)> {
    if depth > MAX_DEPTH {
        return Err(Asn1Error::TooDeep { what });
    }
    let tag = *input.first().ok_or(Asn1Error::Truncated {
        what,
        need: 1,
        offset: 0,
    })?;
    if tag & 0x1F == 0x1F {
        return Err(Asn1Error::Invalid {
            what,
            why: "multi-byte tags are not used by these structures".into(),
        });
    }
    let l0 = *input.get(1).ok_or(Asn1Error::Truncated {
        what,
        need: 1,
        offset: 1,
    })?;
    let (len, hdr) = if l0 < 0x80 {
        (Some(l0 as usize), 2)
    } else if l0 == 0x80 {
        (None, 2)
    } else {
        let n = (l0 & 0x7F) as usize;
        if n > 4 {
            return Err(Asn1Error::BadLength { what });
        }
        let bytes = input.get(2..2 + n).ok_or(Asn1Error::Truncated {
            what,
            need: n,
            offset: 2,
        })?;
        let mut l = 0usize;
        for b in bytes {
            l = (l << 8) | *b as usize;
        }
        (Some(l), 2 + n)
    };
    match len {
        Some(len) => {
            let end = hdr.checked_add(len).ok_or(Asn1Error::BadLength { what })?;
            if end > input.len() {
                return Err(Asn1Error::Truncated {
                    what,
                    need: end - input.len(),
                    offset: input.len(),
                });
            }
            Ok((
                Tlv {
                    tag,
                    content: &input[hdr..end],
                    raw: &input[..end],
                    indefinite: false,
                    depth,
                },
                end,
            ))
        }
        None => {
            // BER indefinite length: only for constructed elements; walk children to 00 00.
            if tag & 0x20 == 0 {
                return Err(Asn1Error::BadLength { what });
            }
            let mut pos = hdr;
            loop {
                if input.get(pos..pos + 2) == Some(&[0, 0]) {
                    let t = Tlv {
                        tag,
                        content: &input[hdr..pos],
                        raw: &input[..pos + 2],
                        indefinite: true,
                        depth,
                    };
                    return Ok((t, pos + 2));
                }
                if pos >= input.len() {
                    return Err(Asn1Error::Truncated {
                        what,
                        need: 2,
                        offset: pos,
                    });
                }
                let (_, used) = read_tlv(&input[pos..], what, depth + 1)?;
                pos += used;
            }
        }
    }
}

/// Collects the content of a possibly constructed (BER) OCTET STRING.
pub fn octet_string_content(t: &Tlv<'_>, what: &'static str) -> Result<Vec<u8>> {
    match t.tag {
        tag::OCTET_STRING => Ok(t.content.to_vec()),
        0x24 => {
            let mut out = Vec::new();
            for c in t.children().all(what)? {
                out.extend(octet_string_content(&c, what)?);
            }
            Ok(out)
        }
        found => Err(Asn1Error::UnexpectedTag {
            what,
            expected: tag::OCTET_STRING,
            found,
        }),
    }
}

/// Re-encodes a header for `tag` with definite length `len` (DER).
pub fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut v = vec![tag];
    if len < 0x80 {
        v.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        v.push(0x80 | (bytes.len() - skip) as u8);
        v.extend_from_slice(&bytes[skip..]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_and_keeps_raw_bytes() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xAA];
        let t = Tlv::parse_exact(&der, "x").unwrap();
        let kids = t.sequence("x").unwrap();
        assert_eq!(kids[0].small_int("i").unwrap(), 5);
        assert_eq!(kids[1].octet_string("o").unwrap(), &[0xAA]);
        assert_eq!(kids[1].raw, &[0x04, 0x01, 0xAA]);
        assert_eq!(t.raw, &der);
    }

    #[test]
    fn indefinite_lengths_are_read() {
        let ber = [0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00];
        let t = Tlv::parse_exact(&ber, "x").unwrap();
        assert!(t.indefinite);
        assert_eq!(t.sequence("x").unwrap().len(), 1);
    }

    #[test]
    fn integers_are_unsigned_magnitudes() {
        let unpadded = [0x02, 0x02, 0x80, 0x01];
        let padded = [0x02, 0x04, 0x00, 0x00, 0x80, 0x01];
        let a = Tlv::parse_exact(&unpadded, "i").unwrap();
        let b = Tlv::parse_exact(&padded, "i").unwrap();
        assert_eq!(a.uint_bytes("i").unwrap(), b.uint_bytes("i").unwrap());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            Tlv::parse_exact(&[0x30, 0x05, 0x01], "x"),
            Err(Asn1Error::Truncated { .. })
        ));
        assert!(matches!(
            Tlv::parse_exact(&[0x02, 0x01, 0x01, 0x00], "x"),
            Err(Asn1Error::TrailingBytes { .. })
        ));
        assert!(matches!(
            Tlv::parse_exact(&[0x30, 0x85, 1, 1, 1, 1, 1], "x"),
            Err(Asn1Error::BadLength { .. })
        ));
        assert!(Tlv::parse_exact(&[], "x").is_err());
        // Deep nesting of indefinite lengths is bounded.
        let mut deep = Vec::new();
        for _ in 0..200 {
            deep.extend([0x30, 0x80]);
        }
        assert!(matches!(
            Tlv::parse_exact(&deep, "x"),
            Err(Asn1Error::TooDeep { .. })
        ));
    }

    /// `levels` definite-length elements with `tag`, each holding the next; innermost `leaf`.
    fn nested(levels: usize, tag: u8, leaf: &[u8]) -> Vec<u8> {
        let mut v = leaf.to_vec();
        for _ in 0..levels {
            v = [header(tag, v.len()), v].concat();
        }
        v
    }

    /// Walks every constructed element as the parsers do (through `children`).
    fn walk(t: &Tlv<'_>) -> Result<usize> {
        let mut deepest = t.depth();
        if t.is_constructed() {
            for c in t.children().all("walk")? {
                deepest = deepest.max(walk(&c)?);
            }
        }
        Ok(deepest)
    }

    #[test]
    fn definite_nesting_is_bounded_at_max_depth() {
        // The outermost element is level 0: MAX_DEPTH + 1 levels is the most that is read.
        let at_limit = nested(MAX_DEPTH, tag::SEQUENCE, &[0x05, 0x00]);
        let t = Tlv::parse_exact(&at_limit, "x").unwrap();
        assert_eq!(walk(&t).unwrap(), MAX_DEPTH);
        let beyond = nested(MAX_DEPTH + 1, tag::SEQUENCE, &[0x05, 0x00]);
        let t = Tlv::parse_exact(&beyond, "x").unwrap();
        assert_eq!(walk(&t), Err(Asn1Error::TooDeep { what: "walk" }));
        // A constructed OCTET STRING (BER) is collected recursively: same bound, and a
        // hundred thousand levels are an error, not a stack overflow.
        let ok = nested(MAX_DEPTH, 0x24, &[0x04, 0x01, 0x78]);
        let t = Tlv::parse_exact(&ok, "x").unwrap();
        assert_eq!(octet_string_content(&t, "x").unwrap(), b"x");
        let t_bad = nested(MAX_DEPTH + 1, 0x24, &[0x04, 0x01, 0x78]);
        let t = Tlv::parse_exact(&t_bad, "x").unwrap();
        assert!(matches!(
            octet_string_content(&t, "x"),
            Err(Asn1Error::TooDeep { .. })
        ));
        let huge = nested(100_000, 0x24, &[0x04, 0x01, 0x78]);
        let t = Tlv::parse_exact(&huge, "x").unwrap();
        assert!(matches!(
            octet_string_content(&t, "x"),
            Err(Asn1Error::TooDeep { .. })
        ));
        // Indefinite lengths at the limit are read, one more level is refused.
        let indef = |n: usize| [[0x30, 0x80].repeat(n), [0, 0].repeat(n)].concat();
        assert!(Tlv::parse_exact(&indef(MAX_DEPTH + 1), "x").is_ok());
        assert!(matches!(
            Tlv::parse_exact(&indef(MAX_DEPTH + 2), "x"),
            Err(Asn1Error::TooDeep { .. })
        ));
    }

    #[test]
    fn oids() {
        assert_eq!(
            oid_to_string(&[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75]).unwrap(),
            "1.2.156.10197.1.501"
        );
    }
}
