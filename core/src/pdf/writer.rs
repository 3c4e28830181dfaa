//! Incremental updates (ISO 32000-1 §7.5.6): the original bytes stay as they are; new and
//! changed objects follow, then a cross-reference section of the same kind as the file's
//! last one (a table, or a stream per §7.5.8) with `/Prev`, then `startxref` and `%%EOF`.

use super::PdfError;
use super::object::write_object;
use lopdf::{Dictionary, Object, ObjectId};
use std::collections::BTreeMap;

/// The kind of the file's last cross-reference section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XrefStyle {
    Table,
    Stream,
}

/// Finds the last `startxref` offset and the kind of section it points to (§7.5.5).
pub(crate) fn last_xref(bytes: &[u8]) -> Result<(usize, XrefStyle), PdfError> {
    let tail_start = bytes.len().saturating_sub(2048);
    let tail = &bytes[tail_start..];
    let pos = rfind(tail, b"startxref")
        .ok_or_else(|| PdfError::Malformed("no startxref at the end of the file".into()))?;
    let rest = &tail[pos + 9..];
    let digits: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take_while(u8::is_ascii_digit)
        .collect();
    let offset: usize = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| PdfError::Malformed("startxref is not followed by an offset".into()))?;
    let at = bytes.get(offset..).ok_or_else(|| {
        PdfError::Malformed(format!("startxref {offset} is beyond the end of the file"))
    })?;
    let at: &[u8] = &at[at.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    Ok((
        offset,
        if at.starts_with(b"xref") {
            XrefStyle::Table
        } else {
            XrefStyle::Stream
        },
    ))
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// The objects of one incremental update.
pub(crate) struct Update {
    objects: BTreeMap<u32, (u16, Object)>,
    next_id: u32,
}

/// An update serialised after the original bytes.
pub(crate) struct Appended {
    /// The bytes that follow the original file.
    pub bytes: Vec<u8>,
    /// Where each object begins inside `bytes`, and where it ends.
    pub spans: BTreeMap<u32, (usize, usize)>,
}

impl Update {
    pub fn new(max_id: u32) -> Self {
        Update {
            objects: BTreeMap::new(),
            next_id: max_id + 1,
        }
    }

    /// Adds a new object and returns its id.
    pub fn add(&mut self, obj: impl Into<Object>) -> ObjectId {
        let id = self.next_id;
        self.next_id += 1;
        self.objects.insert(id, (0, obj.into()));
        (id, 0)
    }

    /// Replaces an existing object with a new version.
    pub fn set(&mut self, id: ObjectId, obj: impl Into<Object>) {
        self.objects.insert(id.0, (id.1, obj.into()));
    }

    /// The new version of an object, if this update has one.
    pub fn get(&self, id: ObjectId) -> Option<&Object> {
        self.objects.get(&id.0).map(|(_, o)| o)
    }

    /// Writes the objects and a cross-reference section after `base` (the original file,
    /// ending at its `%%EOF`), chained to the previous section.
    pub fn serialise(&self, base: &[u8], trailer: &Dictionary) -> Result<Appended, PdfError> {
        let (prev, style) = last_xref(base)?;
        let mut out = Vec::new();
        if !matches!(base.last(), Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        let mut spans = BTreeMap::new();
        let mut offsets: BTreeMap<u32, (u16, usize)> = BTreeMap::new();
        for (&id, (generation, obj)) in &self.objects {
            let start = out.len();
            offsets.insert(id, (*generation, base.len() + start));
            out.extend_from_slice(format!("{id} {generation} obj\n").as_bytes());
            write_object(&mut out, obj);
            out.extend_from_slice(b"\nendobj\n");
            spans.insert(id, (start, out.len()));
        }
        let old_size = trailer
            .get(b"Size")
            .ok()
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0)
            .max(0) as u32;
        let mut t = Dictionary::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Ok(v) = trailer.get(key) {
                t.set(key.to_vec(), v.clone());
            }
        }
        t.set("Prev", Object::Integer(prev as i64));
        let xref_at = base.len() + out.len();
        match style {
            XrefStyle::Table => {
                let size = old_size.max(self.next_id);
                out.extend_from_slice(b"xref\n");
                for run in runs(&offsets) {
                    out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
                    for (_, (generation, off)) in run {
                        out.extend_from_slice(
                            format!("{off:010} {generation:05} n\r\n").as_bytes(),
                        );
                    }
                }
                t.set("Size", Object::Integer(i64::from(size)));
                out.extend_from_slice(b"trailer\n");
                write_object(&mut out, &Object::Dictionary(t));
                out.push(b'\n');
            }
            XrefStyle::Stream => {
                // §7.5.8: the stream lists itself too. Fields: type, offset, generation.
                let xref_id = self.next_id;
                offsets.insert(xref_id, (0, xref_at));
                let size = old_size.max(xref_id + 1);
                let mut data = Vec::new();
                let mut index = Vec::new();
                for run in runs(&offsets) {
                    index.push(Object::Integer(i64::from(run[0].0)));
                    index.push(Object::Integer(run.len() as i64));
                    for (_, (generation, off)) in run {
                        data.push(1u8);
                        data.extend_from_slice(&(off as u32).to_be_bytes());
                        data.extend_from_slice(&generation.to_be_bytes());
                    }
                }
                t.set("Type", Object::Name(b"XRef".to_vec()));
                t.set("Size", Object::Integer(i64::from(size)));
                t.set(
                    "W",
                    Object::Array(vec![
                        Object::Integer(1),
                        Object::Integer(4),
                        Object::Integer(2),
                    ]),
                );
                t.set("Index", Object::Array(index));
                if xref_at > u32::MAX as usize {
                    return Err(PdfError::Unsupported("files over 4 GB".into()));
                }
                out.extend_from_slice(format!("{xref_id} 0 obj\n").as_bytes());
                write_object(&mut out, &Object::Stream(lopdf::Stream::new(t, data)));
                out.extend_from_slice(b"\nendobj\n");
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok(Appended { bytes: out, spans })
    }
}

/// Groups sorted ids into runs of consecutive numbers (xref subsections).
fn runs(offsets: &BTreeMap<u32, (u16, usize)>) -> Vec<Vec<(u32, (u16, usize))>> {
    let mut out: Vec<Vec<(u32, (u16, usize))>> = Vec::new();
    for (&id, &v) in offsets {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|(last, _)| *last + 1 == id) => run.push((id, v)),
            _ => out.push(vec![(id, v)]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_last_xref_and_its_kind() {
        let table = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<<>>\nstartxref\n29\n%%EOF\n";
        assert_eq!(last_xref(table).unwrap(), (29, XrefStyle::Table));
        let stream = b"%PDF-1.5\n1 0 obj\n<</Type/XRef>>\nendobj\nstartxref\n9\n%%EOF";
        assert_eq!(last_xref(stream).unwrap(), (9, XrefStyle::Stream));
        assert!(last_xref(b"%PDF-1.4\nno trailer").is_err());
        assert!(last_xref(b"startxref\n999999\n%%EOF").is_err());
    }
}
