//! The document the signer edits, read through the verifier's own cross-reference reader
//! ([`super::xref::Pdf`]) rather than by parsing the whole file: every object in effect in the
//! newest revision (ISO 32000-1 §7.5.6), with the bytes of the streams that can matter to a
//! signature's placement (page contents, forms, CMaps). Images, font programs, embedded files
//! and metadata keep only their dictionaries: their bytes stay in the file (a memory map), so
//! signing a 100 MB scan holds kilobytes, not the scan (issue 20).
//!
//! The signer never writes these objects back as streams: an update holds new objects and
//! changed dictionaries and arrays (pages, catalog, AcroForm, `/Annots`, `/Fields`).

use super::PdfError;
use super::cos::{Dict, Obj};
use super::xref::{Entry, Pdf};
use lopdf::{Dictionary, Document, Object, StringFormat};
use std::collections::BTreeSet;

/// The catalog of `doc` (ISO 32000-1 §7.7.2): its object number and a copy to edit in an
/// update.
pub(crate) fn catalog(doc: &Document) -> Result<(lopdf::ObjectId, Dictionary), PdfError> {
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Malformed("trailer has no /Root".into()))?;
    let catalog = doc
        .get_dictionary(root)
        .map_err(|e| PdfError::Malformed(format!("catalog: {e}")))?
        .clone();
    Ok((root, catalog))
}

/// The objects of the newest revision of `pdf` as a lopdf document (see the module docs).
/// Objects the cross-reference data points to but that cannot be read are left out, as
/// lenient readers do; the encrypted are refused.
pub(crate) fn load_structure(pdf: &Pdf<'_>) -> Result<Document, PdfError> {
    let last = pdf.last();
    if pdf.trailer_entry(last, b"Encrypt").is_some() {
        return Err(PdfError::Encrypted);
    }
    let mut doc = Document::new();
    doc.objects.clear();
    let mut trailer = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID", b"Size"] {
        if let Some(v) = pdf.trailer_entry(last, key) {
            trailer.set(key.to_vec(), convert(v, pdf));
        }
    }
    if trailer.get(b"Root").is_err() {
        return Err(PdfError::Malformed("trailer has no /Root".into()));
    }
    let numbers: BTreeSet<u32> = pdf
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|(n, _)| *n))
        .collect();
    let size = pdf
        .trailer_entry(last, b"Size")
        .and_then(|o| match o {
            Obj::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        })
        .unwrap_or(0);
    doc.max_id = size
        .saturating_sub(1)
        .max(numbers.last().copied().unwrap_or(0));
    for n in numbers {
        let generation = match pdf.entry(last, n) {
            Some((_, Entry::InUse { generation, .. })) => generation,
            Some((_, Entry::Compressed { .. })) => 0,
            _ => continue,
        };
        // `peek`: one pass over every object, nothing kept in the reader's cache.
        if let Ok(Some(r)) = pdf.peek(last, (n, generation)) {
            doc.objects.insert((n, generation), convert(&r.obj, pdf));
        }
    }
    doc.trailer = trailer;
    Ok(doc)
}

/// A parsed object as lopdf's; a stream keeps its bytes only when [`keeps_bytes`] says so.
fn convert(o: &Obj, pdf: &Pdf<'_>) -> Object {
    match o {
        Obj::Null => Object::Null,
        Obj::Bool(b) => Object::Boolean(*b),
        Obj::Int(i) => Object::Integer(*i),
        Obj::Real(r) => Object::Real(*r as f32),
        Obj::Name(n) => Object::Name(n.clone()),
        // Printable text stays literal; other bytes are written as hex (§7.3.4.3).
        Obj::Str(s) if s.iter().all(|b| (0x20..0x7f).contains(b)) => {
            Object::String(s.clone(), StringFormat::Literal)
        }
        Obj::Str(s) => Object::String(s.clone(), StringFormat::Hexadecimal),
        Obj::Array(a) => Object::Array(a.iter().map(|x| convert(x, pdf)).collect()),
        Obj::Dict(d) => Object::Dictionary(dictionary(d, pdf)),
        Obj::Ref(r) => Object::Reference(*r),
        Obj::Stream(s) => {
            let dict = dictionary(&s.dict, pdf);
            let bytes = if keeps_bytes(&s.dict) {
                pdf.buf.get(s.data.clone()).unwrap_or_default().to_vec()
            } else {
                Vec::new()
            };
            // `new` would set /Length to the bytes kept; the dictionary stays as written.
            let mut stream = lopdf::Stream::new(dict.clone(), bytes);
            stream.dict = dict;
            Object::Stream(stream)
        }
    }
}

fn dictionary(d: &Dict, pdf: &Pdf<'_>) -> Dictionary {
    let mut out = Dictionary::new();
    // A key written twice: the last one counts (as [`Dict::get`] reads it).
    for (k, v) in &d.0 {
        out.set(k.clone(), convert(v, pdf));
    }
    out
}

/// Whether a stream's bytes can matter to signing: not an image (§8.9.5), a font program
/// (§9.9: `/Length1`–`/Length3`, or a `/Subtype` of FontFile3), an embedded file (§7.11.4),
/// metadata (§14.3.2), or a cross-reference or object stream (already read by the reader).
fn keeps_bytes(d: &Dict) -> bool {
    let subtype = d.name(b"Subtype");
    let kind = d.name(b"Type");
    !(matches!(
        subtype,
        Some(b"Image" | b"Type1C" | b"CIDFontType0C" | b"OpenType")
    ) || matches!(
        kind,
        Some(b"EmbeddedFile" | b"Metadata" | b"XRef" | b"ObjStm")
    ) || d.has(b"Length1")
        || d.has(b"Length2")
        || d.has(b"Length3"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::xref::testdoc::revision;

    #[test]
    fn structures_keep_their_bytes_images_do_not() {
        let mut f = b"%PDF-1.7\n".to_vec();
        let first = revision(
            &mut f,
            &[
                (1, "<</Type/Catalog/Pages 2 0 R>>"),
                (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
                (3, "<</Type/Page/Parent 2 0 R/Contents 4 0 R/T <FEFF0041>>>"),
                (4, "<</Length 5>>\nstream\nBT ET\nendstream"),
                (5, "<</Subtype/Image/Length 6>>\nstream\nPIXELS\nendstream"),
                (6, "<</Length1 4/Length 4>>\nstream\nFONT\nendstream"),
            ],
            None,
        );
        // A newer revision replaces the page tree's count; an older object stays.
        revision(
            &mut f,
            &[(2, "<</Type/Pages/Kids[3 0 R]/Count 1/X 7>>")],
            Some(first),
        );
        let pdf = Pdf::read(&f).unwrap();
        let doc = load_structure(&pdf).unwrap();
        assert_eq!(doc.max_id, 29, "from /Size 30");
        assert_eq!(doc.get_pages().len(), 1);
        let stream = |n| doc.get_object((n, 0)).unwrap().as_stream().unwrap();
        assert_eq!(stream(4).content, b"BT ET");
        assert!(
            stream(5).content.is_empty(),
            "an image's bytes stay in the file"
        );
        assert_eq!(stream(5).dict.get(b"Length").unwrap().as_i64().unwrap(), 6);
        assert!(
            stream(6).content.is_empty(),
            "a font program's bytes stay in the file"
        );
        let pages = doc.get_dictionary((2, 0)).unwrap();
        assert_eq!(
            pages.get(b"X").unwrap().as_i64().unwrap(),
            7,
            "the newest revision"
        );
        let page = doc.get_dictionary((3, 0)).unwrap();
        assert_eq!(
            page.get(b"T").unwrap(),
            &Object::String(vec![0xFE, 0xFF, 0, 0x41], StringFormat::Hexadecimal)
        );

        // The newest trailer names an encryption dictionary (nothing after it moves).
        let mut encrypted = String::from_utf8(f).unwrap();
        let at = encrypted.rfind("/Size 30").unwrap();
        encrypted.replace_range(at..at + 8, "/Encrypt 9 0 R");
        let pdf = Pdf::read(encrypted.as_bytes()).unwrap();
        assert!(matches!(load_structure(&pdf), Err(PdfError::Encrypted)));
    }
}
