//! Where text is on a page (ISO 32000-1 §9): the content stream interpreted for text only —
//! graphics state (`q`/`Q`/`cm`), text state (`Tc Tw Tz TL Tf Ts`), positioning (`Td TD Tm
//! T*`), showing (`Tj TJ ' "`, TJ kerning), form XObjects (`Do`, with their `/Matrix`) — and
//! each character's box from its font's widths (`/W` of a CIDFont, `/Widths` of a simple
//! font). Character codes become Unicode through the font's `/ToUnicode` CMap (§9.10.3),
//! else the predefined UCS-2 CMaps (UniGB-UCS2-H, code = UTF-16), GBK-EUC-H (GBK), or the
//! single-byte code as Latin-1. Boxes come out in mm on the page as displayed (`/Rotate`
//! and the CropBox applied), top-left origin, for [`crate::placement`].

use super::PdfError;
use super::sign::{load_structure, page_box, page_rotate};
use crate::placement::{self, Glyph, Keyword, TextHit};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;

/// Content bytes decoded for one page at most (content streams and forms together).
const MAX_CONTENT: usize = 64 * 1024 * 1024;
/// Form XObjects nested deeper than this are not followed.
const MAX_FORM_DEPTH: usize = 8;

const PT_TO_MM: f64 = 25.4 / 72.0;

type Matrix = [f64; 6];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// A font as far as text position and Unicode go.
struct Font {
    /// Bytes per code: 2 for a Type0 font (Identity-H, UCS2, and most CMaps), 1 otherwise.
    two_byte: bool,
    /// GBK-EUC-H and similar: codes of 1 or 2 bytes, GBK.
    gbk: bool,
    /// Code → Unicode from /ToUnicode.
    to_unicode: HashMap<u32, String>,
    /// The code is UTF-16 (UCS2 CMaps).
    ucs2: bool,
    /// Glyph widths in thousandths of text space.
    widths: HashMap<u32, f64>,
    default_width: f64,
    vertical: bool,
}

impl Font {
    fn load(doc: &Document, d: &Dictionary) -> Font {
        let subtype = d.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        let encoding = d
            .get(b"Encoding")
            .ok()
            .and_then(|o| o.as_name().ok())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let to_unicode = d
            .get(b"ToUnicode")
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_stream().ok())
            .and_then(|s| s.decompressed_content_with_limit(4 * 1024 * 1024).ok())
            .map(|b| parse_cmap(&b))
            .unwrap_or_default();
        let mut widths = HashMap::new();
        let mut default_width = 500.0;
        let two_byte = subtype == b"Type0";
        if two_byte {
            default_width = 1000.0;
            let desc = d
                .get(b"DescendantFonts")
                .ok()
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_dict().ok());
            if let Some(desc) = desc {
                if let Some(dw) = num_of(doc, desc.get(b"DW").ok()) {
                    default_width = dw;
                }
                if let Some(w) = desc
                    .get(b"W")
                    .ok()
                    .and_then(|o| doc.dereference(o).ok())
                    .and_then(|(_, o)| o.as_array().ok())
                {
                    cid_widths(doc, w, &mut widths);
                }
            }
        } else {
            let first = num_of(doc, d.get(b"FirstChar").ok()).unwrap_or(0.0) as u32;
            if let Some(w) = d
                .get(b"Widths")
                .ok()
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_array().ok())
            {
                for (i, v) in w.iter().enumerate() {
                    if let Some(v) = num_of(doc, Some(v)) {
                        widths.insert(first + i as u32, v);
                    }
                }
            }
        }
        Font {
            two_byte,
            gbk: encoding.starts_with("GBK") || encoding.starts_with("GB-EUC"),
            ucs2: encoding.contains("UCS2") || encoding.contains("UTF16"),
            to_unicode,
            widths,
            default_width,
            vertical: encoding.ends_with("-V"),
        }
    }

    /// Splits a shown string into (code, Unicode text, is the single-byte space).
    fn codes(&self, bytes: &[u8]) -> Vec<(u32, String, bool)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let (code, len) = if self.gbk {
                if bytes[i] < 0x80 || i + 1 >= bytes.len() {
                    (u32::from(bytes[i]), 1)
                } else {
                    (u32::from(bytes[i]) << 8 | u32::from(bytes[i + 1]), 2)
                }
            } else if self.two_byte && i + 1 < bytes.len() {
                (u32::from(bytes[i]) << 8 | u32::from(bytes[i + 1]), 2)
            } else {
                (u32::from(bytes[i]), 1)
            };
            i += len;
            let text = match self.to_unicode.get(&code) {
                Some(t) => t.clone(),
                None if self.ucs2 => char::from_u32(code).map(String::from).unwrap_or_default(),
                None if self.gbk && len == 2 => {
                    let b = [(code >> 8) as u8, code as u8];
                    encoding_rs::GBK
                        .decode_without_bom_handling(&b)
                        .0
                        .into_owned()
                }
                None if len == 1 => char::from(code as u8).to_string(),
                None => String::new(),
            };
            out.push((code, text, len == 1 && code == 32));
        }
        out
    }

    fn width(&self, code: u32) -> f64 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
    }
}

fn num_of(doc: &Document, o: Option<&Object>) -> Option<f64> {
    let o = doc.dereference(o?).ok()?.1;
    o.as_float().ok().map(f64::from)
}

/// `/W` (§9.7.4.3): `c [w1 w2 …]` or `c_first c_last w`.
fn cid_widths(doc: &Document, w: &[Object], out: &mut HashMap<u32, f64>) {
    let mut i = 0;
    while i < w.len() && out.len() < 65_536 {
        let Some(c) = num_of(doc, w.get(i)) else {
            break;
        };
        match w
            .get(i + 1)
            .and_then(|o| doc.dereference(o).ok())
            .map(|x| x.1)
        {
            Some(Object::Array(list)) => {
                for (k, v) in list.iter().enumerate() {
                    if let Some(v) = num_of(doc, Some(v)) {
                        out.insert(c as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(_) => {
                let (Some(last), Some(v)) = (num_of(doc, w.get(i + 1)), num_of(doc, w.get(i + 2)))
                else {
                    break;
                };
                let (c, last) = (c as u32, (last as u32).min(c as u32 + 65_535));
                for k in c..=last {
                    out.insert(k, v);
                }
                i += 3;
            }
            None => break,
        }
    }
}

/// A ToUnicode CMap's `bfchar` and `bfrange` entries (§9.10.3); destinations are UTF-16BE.
fn parse_cmap(b: &[u8]) -> HashMap<u32, String> {
    let text = String::from_utf8_lossy(b);
    let mut map = HashMap::new();
    let hex = |t: &str| -> Option<Vec<u8>> {
        let t = t.trim_start_matches('<').trim_end_matches('>');
        let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        hex::decode(t).ok()
    };
    let code = |v: &[u8]| v.iter().fold(0u32, |a, b| a << 8 | u32::from(*b));
    let utf16 = |v: &[u8]| {
        let units: Vec<u16> = v
            .chunks(2)
            .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
            .collect();
        String::from_utf16_lossy(&units)
    };
    // Tokens: <hex>, [, ], words.
    let mut tokens = Vec::new();
    let mut rest = text.as_ref();
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '<' {
            let end = rest.find('>').map(|e| e + 1).unwrap_or(rest.len());
            tokens.push(&rest[..end]);
            rest = &rest[end..];
        } else if c == '[' || c == ']' {
            tokens.push(&rest[..1]);
            rest = &rest[1..];
        } else if c == '%' {
            let end = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[end..];
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '<' || c == '[' || c == ']')
                .unwrap_or(rest.len());
            tokens.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    let mut i = 0;
    let mut mode = "";
    while i < tokens.len() {
        let t = tokens[i];
        match t {
            "beginbfchar" | "beginbfrange" => mode = t,
            "endbfchar" | "endbfrange" => mode = "",
            _ if mode == "beginbfchar" && t.starts_with('<') => {
                if let (Some(src), Some(dst)) = (hex(t), tokens.get(i + 1).and_then(|d| hex(d))) {
                    map.insert(code(&src), utf16(&dst));
                }
                i += 1;
            }
            _ if mode == "beginbfrange" && t.starts_with('<') => {
                let (Some(lo), Some(hi)) = (hex(t), tokens.get(i + 1).and_then(|d| hex(d))) else {
                    i += 1;
                    continue;
                };
                let (lo, hi) = (code(&lo), code(&hi).min(code(&lo) + 65_535));
                match tokens.get(i + 2) {
                    Some(&"[") => {
                        let mut k = i + 3;
                        let mut c = lo;
                        while let Some(d) = tokens.get(k).filter(|d| **d != "]") {
                            if let Some(dst) = hex(d) {
                                map.insert(c, utf16(&dst));
                            }
                            c += 1;
                            k += 1;
                        }
                        i = k;
                    }
                    Some(d) => {
                        if let Some(dst) = hex(d).filter(|d| d.len() >= 2) {
                            let last = dst.len() - 2;
                            let base = u32::from(dst[last]) << 8 | u32::from(dst[last + 1]);
                            for c in lo..=hi {
                                let mut v = dst.clone();
                                let u = base + (c - lo);
                                v[last] = (u >> 8) as u8;
                                v[last + 1] = u as u8;
                                map.insert(c, utf16(&v));
                            }
                        }
                        i += 2;
                    }
                    None => break,
                }
            }
            _ => {}
        }
        i += 1;
    }
    map
}

#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Vec<u8>>,
    size: f64,
    char_space: f64,
    word_space: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

struct Interp<'a> {
    doc: &'a Document,
    fonts: HashMap<ObjectId, Font>,
    /// Glyphs in default user space: (text, quad corners min/max).
    out: Vec<(String, [f64; 4])>,
    budget: usize,
}

fn dict_of<'a>(doc: &'a Document, o: Option<&'a Object>) -> Option<&'a Dictionary> {
    doc.dereference(o?).ok()?.1.as_dict().ok()
}

impl Interp<'_> {
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&Dictionary>,
        ctm: Matrix,
        depth: usize,
    ) -> Result<(), PdfError> {
        let ops = Content::decode(content)
            .map_err(|e| PdfError::Malformed(format!("content stream: {e}")))?
            .operations;
        let doc = self.doc;
        let font_res = resources.and_then(|r| dict_of(doc, r.get(b"Font").ok()));
        let xobj_res = resources.and_then(|r| dict_of(doc, r.get(b"XObject").ok()));
        let mut gs = State {
            ctm,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack: Vec<State> = Vec::new();
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let f = |o: &Object| o.as_float().map(f64::from).unwrap_or(0.0);
        for op in &ops {
            let a = &op.operands;
            let n = |i: usize| a.get(i).map(f).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 256 => stack.push(gs.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                "cm" if a.len() == 6 => {
                    gs.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &gs.ctm);
                }
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tc" => gs.char_space = n(0),
                "Tw" => gs.word_space = n(0),
                "Tz" => gs.scale = n(0) / 100.0,
                "TL" => gs.leading = n(0),
                "Ts" => gs.rise = n(0),
                "Tf" => {
                    gs.font = a.first().and_then(|o| o.as_name().ok()).map(<[u8]>::to_vec);
                    gs.size = n(1);
                }
                "Td" | "TD" => {
                    if op.operator == "TD" {
                        gs.leading = -n(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                "Tm" if a.len() == 6 => {
                    tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        if op.operator == "\"" {
                            gs.word_space = n(0);
                            gs.char_space = n(1);
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    let items: Vec<&Object> = match (op.operator.as_str(), a.last()) {
                        ("TJ", Some(Object::Array(v))) => v.iter().collect(),
                        (_, Some(o)) => vec![o],
                        _ => vec![],
                    };
                    let font_id = gs.font.as_ref().and_then(|name| {
                        font_res
                            .and_then(|r| r.get(name).ok())
                            .and_then(|o| o.as_reference().ok())
                    });
                    let inline_font = gs.font.as_ref().and_then(|name| {
                        font_res
                            .and_then(|r| r.get(name).ok())
                            .and_then(|o| o.as_dict().ok())
                    });
                    let key = font_id.unwrap_or((0, 0));
                    if !self.fonts.contains_key(&key) || font_id.is_none() {
                        let fd = font_id
                            .and_then(|id| doc.get_dictionary(id).ok())
                            .or(inline_font);
                        let Some(fd) = fd else { continue };
                        self.fonts.insert(key, Font::load(doc, fd));
                    }
                    let font = &self.fonts[&key];
                    for item in items {
                        match item {
                            Object::String(bytes, _) => {
                                for (code, text, space) in font.codes(bytes) {
                                    let w0 = font.width(code) / 1000.0;
                                    let trm = mul(
                                        &[gs.size * gs.scale, 0.0, 0.0, gs.size, 0.0, gs.rise],
                                        &mul(&tm, &gs.ctm),
                                    );
                                    let (x0, x1, y0, y1) = if font.vertical {
                                        (-0.5, 0.5, -1.0, 0.0)
                                    } else {
                                        (0.0, w0, -0.15, 0.85)
                                    };
                                    let corners = [
                                        apply(&trm, x0, y0),
                                        apply(&trm, x1, y0),
                                        apply(&trm, x0, y1),
                                        apply(&trm, x1, y1),
                                    ];
                                    let r = corners.iter().fold(
                                        [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
                                        |r, (x, y)| {
                                            [r[0].min(*x), r[1].min(*y), r[2].max(*x), r[3].max(*y)]
                                        },
                                    );
                                    if self.out.len() < 1_000_000 {
                                        self.out.push((text, r));
                                    }
                                    let ws = if space { gs.word_space } else { 0.0 };
                                    if font.vertical {
                                        let ty = -(gs.size + gs.char_space + ws);
                                        tm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, ty], &tm);
                                    } else {
                                        let tx = (w0 * gs.size + gs.char_space + ws) * gs.scale;
                                        tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                    }
                                }
                            }
                            o => {
                                // TJ adjustment in thousandths of text space (§9.4.3).
                                let adj = -f(o) / 1000.0 * gs.size;
                                let m = if font.vertical {
                                    [1.0, 0.0, 0.0, 1.0, 0.0, adj]
                                } else {
                                    [1.0, 0.0, 0.0, 1.0, adj * gs.scale, 0.0]
                                };
                                tm = mul(&m, &tm);
                            }
                        }
                    }
                }
                "Do" if depth < MAX_FORM_DEPTH => {
                    let Some(name) = a.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some(stream) = xobj_res
                        .and_then(|r| r.get(name).ok())
                        .and_then(|o| doc.dereference(o).ok())
                        .and_then(|(_, o)| o.as_stream().ok())
                    else {
                        continue;
                    };
                    if stream.dict.get(b"Subtype").and_then(Object::as_name).ok()
                        != Some(b"Form".as_slice())
                    {
                        continue;
                    }
                    let Ok(body) = stream.decompressed_content_with_limit(self.budget) else {
                        continue;
                    };
                    self.budget = self.budget.saturating_sub(body.len());
                    let m = stream
                        .dict
                        .get(b"Matrix")
                        .and_then(Object::as_array)
                        .ok()
                        .filter(|v| v.len() == 6)
                        .map(|v| {
                            let g = |i: usize| f(&v[i]);
                            [g(0), g(1), g(2), g(3), g(4), g(5)]
                        })
                        .unwrap_or(IDENTITY);
                    let res = dict_of(doc, stream.dict.get(b"Resources").ok()).or(resources);
                    // A form that does not parse is skipped, not fatal: text elsewhere counts.
                    let _ = self.run(&body, res, mul(&m, &gs.ctm), depth + 1);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The characters of page `page_id` with their boxes in mm on the displayed page.
fn page_glyphs(doc: &Document, page_id: ObjectId) -> Result<Vec<Glyph>, PdfError> {
    let content = doc
        .get_page_content_with_limit(page_id, MAX_CONTENT)
        .map_err(|e| PdfError::Malformed(format!("page content: {e}")))?;
    let resources = doc
        .get_page_resources(page_id)
        .ok()
        .and_then(|(direct, ids)| {
            direct.or_else(|| ids.first().and_then(|id| doc.get_dictionary(*id).ok()))
        });
    let mut it = Interp {
        doc,
        fonts: HashMap::new(),
        out: Vec::new(),
        budget: MAX_CONTENT.saturating_sub(content.len()),
    };
    it.run(&content, resources, IDENTITY, 0)?;
    let bx = page_box(doc, page_id);
    let rot = page_rotate(doc, page_id);
    let mut glyphs = Vec::with_capacity(it.out.len());
    for (text, r) in it.out {
        let d = user_to_display_mm(bx, rot, r);
        for ch in text.chars() {
            glyphs.push(Glyph { ch, rect: d });
        }
    }
    Ok(glyphs)
}

/// A user-space rectangle (min/max corners) to mm on the displayed page, top-left origin:
/// the inverse of [`super::sign::display_to_user`], then y flipped.
pub(crate) fn user_to_display_mm(bx: [f64; 4], rotate: i64, r: [f64; 4]) -> [f64; 4] {
    let [x0, y0, x1, y1] = bx;
    let (_, dh) = super::sign::display_size(bx, rotate);
    let map = |x: f64, y: f64| match rotate {
        90 => (y - y0, x1 - x),
        180 => (x1 - x, y1 - y),
        270 => (y1 - y, x - x0),
        _ => (x - x0, y - y0),
    };
    let (a, b) = (map(r[0], r[1]), map(r[2], r[3]));
    let (u0, u1) = (a.0.min(b.0), a.0.max(b.0));
    let (v0, v1) = (a.1.min(b.1), a.1.max(b.1));
    [
        u0 * PT_TO_MM,
        (dh - v1) * PT_TO_MM,
        u1 * PT_TO_MM,
        (dh - v0) * PT_TO_MM,
    ]
}

/// Every occurrence of `kw.text` on the pages `kw` names, in page order then content order.
///
/// The document is read as the signer reads it (its structures, page contents, forms and
/// CMaps, not images or font programs), so a memory-mapped file (`fs::MappedFile`) is
/// searched without being held in memory (issue 20).
pub fn find_text(pdf: &[u8], kw: &Keyword) -> Result<Vec<TextHit>, PdfError> {
    find_in(&load_structure(pdf, &crate::fs::InMemory)?, kw)
}

fn find_in(doc: &Document, kw: &Keyword) -> Result<Vec<TextHit>, PdfError> {
    let pages = doc.get_pages();
    let chosen = kw.pages.resolve(pages.len()).map_err(PdfError::from)?;
    let mut hits = Vec::new();
    for p in chosen {
        let glyphs = page_glyphs(doc, pages[&(p as u32)])?;
        hits.extend(placement::find_on_page(p, &glyphs, &kw.text));
    }
    Ok(hits)
}

/// Stamps of `width` × `height` points over the occurrences of the keyword that `kw` asks
/// for, as [`super::Placement::Stamp`]s in the signer's terms (points, lower-left origin on
/// the displayed page). An absent keyword is an error naming it.
pub fn keyword_placements(
    pdf: &[u8],
    kw: &Keyword,
    width: f64,
    height: f64,
) -> Result<Vec<super::Placement>, PdfError> {
    placements_in(
        &load_structure(pdf, &crate::fs::InMemory)?,
        kw,
        width,
        height,
    )
}

/// [`keyword_placements`] in the file at `path`, read through a memory map.
pub fn keyword_placements_file(
    path: &std::path::Path,
    kw: &Keyword,
    width: f64,
    height: f64,
) -> Result<Vec<super::Placement>, PdfError> {
    let pdf = crate::fs::MappedFile::open(path).map_err(|e| PdfError::read(path, e))?;
    placements_in(&load_structure(pdf.bytes(), &pdf)?, kw, width, height)
}

fn placements_in(
    doc: &Document,
    kw: &Keyword,
    width: f64,
    height: f64,
) -> Result<Vec<super::Placement>, PdfError> {
    let hits = placement::select(kw, find_in(doc, kw)?).map_err(PdfError::from)?;
    let pages = doc.get_pages();
    let mut out = Vec::new();
    for h in hits {
        let pid = pages[&(h.page as u32)];
        let (_, dh) = super::sign::display_size(page_box(doc, pid), page_rotate(doc, pid));
        let b = placement::stamp_box(kw, &h, width * PT_TO_MM, height * PT_TO_MM);
        out.push(super::Placement::Stamp {
            page: h.page as u32,
            x: b[0] / PT_TO_MM,
            y: dh - (b[1] + b[3]) / PT_TO_MM,
            width,
            height,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_cmaps() {
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0010> <7532> endbfchar\n\
            1 beginbfrange <0020> <0022> <65B9> endbfrange\n\
            1 beginbfrange <0030> <0031> [<76D6> <7AE0>] endbfrange";
        let m = parse_cmap(cmap);
        assert_eq!(m[&0x10], "甲");
        assert_eq!(m[&0x20], "方");
        assert_eq!(m[&0x22], "\u{65BB}");
        assert_eq!(m[&0x30], "盖");
        assert_eq!(m[&0x31], "章");
        assert_eq!(m[&3], " ");
    }

    #[test]
    fn rotated_pages_map_back() {
        let bx = [0.0, 0.0, 600.0, 800.0];
        for rot in [0, 90, 180, 270] {
            let r = [10.0, 20.0, 60.0, 40.0];
            let user = super::super::sign::display_to_user(bx, rot, r);
            let mm = user_to_display_mm(bx, rot, user);
            let (_, dh) = super::super::sign::display_size(bx, rot);
            let back = [
                mm[0] / PT_TO_MM,
                dh - mm[3] / PT_TO_MM,
                mm[2] / PT_TO_MM,
                dh - mm[1] / PT_TO_MM,
            ];
            for k in 0..4 {
                assert!((back[k] - r[k]).abs() < 1e-9, "{rot}: {back:?}");
            }
        }
    }
}
