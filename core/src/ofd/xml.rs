//! A small, bounded XML tree for OFD parts, matched on local names.
//!
//! Producers write `http://www.ofdspec.org/2016`, `http://www.ofdspec.org` or no namespace at
//! all, with or without the `ofd:` prefix (both are seen in real files): elements and attributes are
//! compared on their local name only. Depth and element count are bounded.

use super::OfdError;
use quick_xml::events::Event;

/// Deepest nesting followed (OFD parts need < 20; page content may nest blocks).
pub const MAX_DEPTH: usize = 256;
/// Most elements in one part.
pub const MAX_ELEMENTS: usize = 2_000_000;
/// Most elements kept in one tree. A kept element costs ~250 bytes of heap against 4 bytes
/// of XML (`<a/>`); parts read whole (Document.xml, Signature.xml, resource lists) need far
/// fewer, and page contents are read only to a shallow depth ([`parse_to`]).
pub const MAX_KEPT_ELEMENTS: usize = 200_000;

/// One element: local name, attributes (local name, unescaped value), children, text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// The qualified name as written (`ofd:Signature`).
    pub qname: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == local)
    }
    pub fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == local)
    }
    /// Trimmed text of a child element.
    pub fn child_text(&self, local: &str) -> Option<&str> {
        self.child(local).map(|c| c.text.trim())
    }
    /// The namespace prefix of this element (`ofd:` or empty).
    pub fn prefix(&self) -> &str {
        qname_prefix(&self.qname)
    }
    /// Every descendant (depth first) with the given local name.
    pub fn descendants<'a>(&'a self, local: &'a str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == local {
                out.push(c);
            }
            c.descendants(local, out);
        }
    }
}

fn local(q: &str) -> String {
    match q.rfind(':') {
        Some(i) => q[i + 1..].to_owned(),
        None => q.to_owned(),
    }
}

/// Parses `bytes` (a part named `part` for error messages) into its root element.
pub fn parse(bytes: &[u8], part: &str) -> Result<Element, OfdError> {
    parse_to(bytes, part, MAX_DEPTH)
}

/// As [`parse`], keeping only elements up to `keep_depth` levels (the root is level 1):
/// deeper ones are checked for well-formedness but not kept (a page's drawing when only its
/// area and resources are needed).
pub fn parse_to(bytes: &[u8], part: &str, keep_depth: usize) -> Result<Element, OfdError> {
    let keep_depth = keep_depth.max(1);
    let err = |why: String| OfdError::Xml {
        part: part.to_owned(),
        why,
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let mut kept = 0usize;
    // Open elements below `keep_depth`, not kept.
    let mut skipped = 0usize;
    let mut buf = Vec::new();
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| err(format!("at byte {}: {e}", reader.buffer_position())))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(err(format!("more than {MAX_ELEMENTS} elements")));
                }
                if stack.len() + skipped >= MAX_DEPTH {
                    return Err(err(format!("nesting deeper than {MAX_DEPTH}")));
                }
                if root.is_some() && stack.is_empty() {
                    return Err(err("content after the root element".into()));
                }
                if skipped > 0 || stack.len() >= keep_depth {
                    for a in s.attributes() {
                        a.map_err(|e| err(format!("attribute: {e}")))?;
                    }
                    if matches!(ev, Event::Start(_)) {
                        skipped += 1;
                    }
                    buf.clear();
                    continue;
                }
                kept += 1;
                if kept > MAX_KEPT_ELEMENTS {
                    return Err(err(format!(
                        "more than {MAX_KEPT_ELEMENTS} elements to keep"
                    )));
                }
                let qname = s.name().as_ref().to_owned();
                let mut el = Element {
                    name: local(s.name().as_ref()),
                    qname,
                    ..Default::default()
                };
                for a in s.attributes() {
                    let a = a.map_err(|e| err(format!("attribute: {e}")))?;
                    let key = a.key.as_ref();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| err(format!("attribute value: {e}")))?
                        .into_owned();
                    el.attrs.push((local(key), v));
                }
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(p) => p.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) if skipped > 0 => skipped -= 1,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if skipped > 0 => {}
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| err("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = stack.last_mut() {
                    match r
                        .resolve_char_ref()
                        .map_err(|e| err(format!("character reference: {e}")))?
                    {
                        Some(c) => p.text.push(c),
                        None => {
                            let text = format!("&{};", &*r);
                            let s = quick_xml::escape::unescape(&text)
                                .map_err(|e| err(format!("entity: {e}")))?;
                            p.text.push_str(&s);
                        }
                    }
                }
            }
            Event::DocType(_) => return Err(err("DOCTYPE is not allowed in OFD parts".into())),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(err("truncated: unclosed elements".into()));
    }
    root.ok_or_else(|| err("no root element".into()))
}

/// Escapes text and attribute values for writing.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_local_names_in_any_namespace() {
        let a = parse(br#"<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#, "a").unwrap();
        let b = parse(br#"<OFD xmlns="http://www.ofdspec.org"><DocBody><DocRoot> Doc_0/Document.xml </DocRoot></DocBody></OFD>"#, "b").unwrap();
        for e in [&a, &b] {
            assert_eq!(e.name, "OFD");
            assert_eq!(
                e.child("DocBody").unwrap().child_text("DocRoot"),
                Some("Doc_0/Document.xml")
            );
        }
        assert_eq!(a.prefix(), "ofd:");
        assert_eq!(b.prefix(), "");
    }

    #[test]
    fn keeps_elements_to_a_depth() {
        let x = br#"<Page><Area><PhysicalBox>0 0 1 1</PhysicalBox></Area><Content><Layer><Text>t</Text><Path/></Layer></Content><PageRes>r.xml</PageRes></Page>"#;
        let p = parse_to(x, "p", 2).unwrap();
        assert_eq!(p.children.len(), 3);
        assert!(p.child("Area").unwrap().children.is_empty());
        assert!(p.child("Content").unwrap().children.is_empty());
        assert_eq!(p.child_text("PageRes"), Some("r.xml"));
        let p = parse_to(x, "p", 3).unwrap();
        assert_eq!(
            p.child("Area").unwrap().child_text("PhysicalBox"),
            Some("0 0 1 1")
        );
        assert!(
            p.child("Content")
                .unwrap()
                .child("Layer")
                .unwrap()
                .children
                .is_empty()
        );
        assert_eq!(parse(x, "p").unwrap(), parse_to(x, "p", 99).unwrap());
        // Skipped parts must still be well-formed.
        assert!(parse_to(b"<a><b><c></b></c></a>", "p", 1).is_err());
        assert!(parse_to(b"<a><b><c x='1' x='2'/></b></a>", "p", 1).is_err());
    }

    #[test]
    fn entities_and_attributes_are_unescaped() {
        let e = parse(br#"<a x="1 &amp; 2">&lt;b&gt; &#x4e2d;</a>"#, "t").unwrap();
        assert_eq!(e.attr("x"), Some("1 & 2"));
        assert_eq!(e.text, "<b> 中");
    }

    #[test]
    fn rejects_bad_documents() {
        assert!(parse(b"<a><b></a>", "t").is_err());
        assert!(parse(b"<a>", "t").is_err());
        assert!(parse(b"", "t").is_err());
        assert!(parse(b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "t").is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes(), "t").is_err());
    }
}

/// The namespace prefix of a qualified name with its colon (`ofd:`), or "" when unprefixed.
pub fn qname_prefix(qname: &str) -> &str {
    match qname.find(':') {
        Some(i) => &qname[..=i],
        None => "",
    }
}

/// Where an element sits in the original bytes, for edits that keep every other byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Local names from the root to this element.
    pub path: Vec<String>,
    pub qname: String,
    /// Offset of `<`.
    pub start: usize,
    /// Offset just after the start tag (`>`); equals `end` for `<a/>`.
    pub inner_start: usize,
    /// Offset of the end tag's `<`; equals `end` for `<a/>`.
    pub inner_end: usize,
    /// Offset just after the element.
    pub end: usize,
    pub empty: bool,
}

impl Span {
    /// This element's namespace prefix with its colon (`ofd:`), or "".
    pub fn prefix(&self) -> &str {
        qname_prefix(&self.qname)
    }
}

/// The spans of every element down to `max_depth` (root = depth 1), in document order.
pub fn spans(bytes: &[u8], part: &str, max_depth: usize) -> Result<Vec<Span>, OfdError> {
    let err = |why: String| OfdError::Xml {
        part: part.to_owned(),
        why,
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut open: Vec<(Span, usize)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut out: Vec<Span> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| err(e.to_string()))?;
        let after = reader.buffer_position() as usize;
        match ev {
            Event::Start(s) => {
                names.push(local(s.name().as_ref()));
                if names.len() > MAX_DEPTH {
                    return Err(err("too deep".into()));
                }
                let sp = Span {
                    path: names.clone(),
                    qname: s.name().as_ref().to_owned(),
                    start: before,
                    inner_start: after,
                    inner_end: after,
                    end: after,
                    empty: false,
                };
                let idx = out.len();
                if names.len() <= max_depth {
                    out.push(sp.clone());
                }
                open.push((sp, idx));
            }
            Event::Empty(s) if names.len() < max_depth => {
                let mut path = names.clone();
                path.push(local(s.name().as_ref()));
                out.push(Span {
                    path,
                    qname: s.name().as_ref().to_owned(),
                    start: before,
                    inner_start: after,
                    inner_end: after,
                    end: after,
                    empty: true,
                });
            }
            Event::End(_) => {
                let (_, idx) = open.pop().ok_or_else(|| err("unbalanced end tag".into()))?;
                if names.len() <= max_depth
                    && let Some(sp) = out.get_mut(idx)
                {
                    sp.inner_end = before;
                    sp.end = after;
                }
                names.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Applies insertions/replacements `(from, to, text)` (non-overlapping) to `bytes`.
pub fn splice(bytes: &[u8], mut edits: Vec<(usize, usize, String)>) -> Vec<u8> {
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = Vec::with_capacity(bytes.len() + 256);
    let mut pos = 0;
    for (from, to, text) in edits {
        out.extend_from_slice(&bytes[pos..from]);
        out.extend_from_slice(text.as_bytes());
        pos = to;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

#[cfg(test)]
mod span_tests {
    use super::*;

    #[test]
    fn spans_locate_elements() {
        let x = b"<a:R><a:B x='1'><a:C>t</a:C><a:D/></a:B></a:R>";
        let s = spans(x, "t", 3).unwrap();
        let b = s.iter().find(|s| s.path == ["R", "B"]).unwrap();
        assert_eq!(&x[b.start..b.end], b"<a:B x='1'><a:C>t</a:C><a:D/></a:B>");
        assert_eq!(&x[b.inner_start..b.inner_end], b"<a:C>t</a:C><a:D/>");
        let d = s.iter().find(|s| s.path == ["R", "B", "D"]).unwrap();
        assert!(d.empty);
        let edited = splice(x, vec![(b.inner_end, b.inner_end, "<a:E/>".into())]);
        assert_eq!(
            edited,
            b"<a:R><a:B x='1'><a:C>t</a:C><a:D/><a:E/></a:B></a:R>"
        );
    }
}
