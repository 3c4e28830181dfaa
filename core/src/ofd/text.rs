//! Where text is on an OFD page (GB/T 33190 §11): every `TextObject` of the page and of the
//! template pages it uses (`Page/Template`, §7.7), inside layers, page blocks and composite
//! objects; each `TextCode`'s characters placed at `X`/`Y` plus the running `DeltaX`/`DeltaY`
//! (with the `g n v` repetition of §11.3), through the object's `CTM` into its `Boundary`.
//! Boxes in mm on the page, top-left origin, for [`crate::placement`].

use super::OfdError;
use super::document::{self, Document};
use super::package::{Package, dir_of, resolve};
use super::xml::{self, Element};
use crate::placement::{self, Glyph, Keyword, TextHit};

/// Expands a DeltaX/DeltaY list: numbers, and `g n v` for n copies of v.
pub fn deltas(s: Option<&str>) -> Vec<f64> {
    let mut out = Vec::new();
    let Some(s) = s else { return out };
    let mut it = s.split_whitespace();
    while let Some(t) = it.next() {
        if t == "g" {
            let n = it.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
            let v = it.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            out.extend(std::iter::repeat_n(v, n.min(100_000)));
        } else if let Ok(v) = t.parse::<f64>() {
            out.push(v);
        }
        if out.len() > 1_000_000 {
            break;
        }
    }
    out
}

fn numbers(s: Option<&str>) -> Option<Vec<f64>> {
    s.map(|s| {
        s.split_whitespace()
            .filter_map(|t| t.parse::<f64>().ok())
            .collect()
    })
}

/// The characters of one TextObject.
fn text_object(el: &Element, out: &mut Vec<Glyph>) {
    let Some(b) = el.attr("Boundary").and_then(document::parse_box) else {
        return;
    };
    let size = el
        .attr("Size")
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.5);
    let ctm = numbers(el.attr("CTM"))
        .filter(|v| v.len() == 6)
        .unwrap_or_else(|| vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let map = |x: f64, y: f64| {
        (
            b[0] + ctm[0] * x + ctm[2] * y + ctm[4],
            b[1] + ctm[1] * x + ctm[3] * y + ctm[5],
        )
    };
    // X/Y carry over from one TextCode to the next when absent (§11.3).
    let (mut x, mut y) = (0.0, 0.0);
    for tc in el.children_named("TextCode") {
        x = tc.attr("X").and_then(|v| v.parse().ok()).unwrap_or(x);
        y = tc.attr("Y").and_then(|v| v.parse().ok()).unwrap_or(y);
        let (dx, dy) = (deltas(tc.attr("DeltaX")), deltas(tc.attr("DeltaY")));
        let (mut cx, mut cy) = (x, y);
        // Text written downwards (tax invoices' 销售方, 购买方): DeltaY without DeltaX. §11.3
        // says an absent DeltaX is no offset in x, so the characters stay in one column.
        let vertical = dx.is_empty() && !dy.is_empty();
        let chars: Vec<char> = tc.text.chars().collect();
        for (i, ch) in chars.iter().enumerate() {
            // A character's advance: its DeltaX, else the font size (CJK are square).
            let adv = dx.get(i).copied().unwrap_or(size);
            let w = if adv > 0.0 { adv } else { size };
            let corners = [
                map(cx, cy - size * 0.85),
                map(cx + w, cy - size * 0.85),
                map(cx, cy + size * 0.15),
                map(cx + w, cy + size * 0.15),
            ];
            let rect = corners
                .iter()
                .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |r, (x, y)| {
                    [r[0].min(*x), r[1].min(*y), r[2].max(*x), r[3].max(*y)]
                });
            out.push(Glyph { ch: *ch, rect });
            cx += dx
                .get(i)
                .copied()
                .unwrap_or(if vertical { 0.0 } else { size });
            cy += dy.get(i).copied().unwrap_or(0.0);
        }
    }
}

/// Text objects anywhere under `el` (layers, PageBlock, CompositeObject), in document order.
fn walk(el: &Element, out: &mut Vec<Glyph>, depth: usize) {
    for c in &el.children {
        if c.name == "TextObject" {
            text_object(c, out);
        } else if depth < 32 {
            walk(c, out, depth + 1);
        }
    }
}

/// The characters of page `index` (from 0): its template pages first (drawn beneath), then
/// its own content.
fn page_glyphs(pkg: &Package, doc: &Document, index: usize) -> Result<Vec<Glyph>, OfdError> {
    let page = &doc.pages[index];
    let root = xml::parse(&pkg.require(&page.content)?, &page.content)?;
    let mut out = Vec::new();
    let doc_dir = dir_of(&doc.path);
    let templates: Vec<&Element> = doc
        .root
        .child("CommonData")
        .map(|c| c.children_named("TemplatePage").collect())
        .unwrap_or_default();
    for t in root.children_named("Template") {
        let Some(id) = t.attr("TemplateID") else {
            continue;
        };
        let Some(loc) = templates
            .iter()
            .find(|tp| tp.attr("ID") == Some(id))
            .and_then(|tp| tp.attr("BaseLoc"))
        else {
            continue;
        };
        let path = resolve(doc_dir, loc)?;
        if let Some(bytes) = pkg.read(&path)? {
            let tpl = xml::parse(&bytes, &path)?;
            if let Some(c) = tpl.child("Content") {
                walk(c, &mut out, 0);
            }
        }
    }
    if let Some(c) = root.child("Content") {
        walk(c, &mut out, 0);
    }
    // Boxes relative to the page's PhysicalBox origin.
    let pb = page.physical_box;
    for g in &mut out {
        g.rect = [
            g.rect[0] - pb[0],
            g.rect[1] - pb[1],
            g.rect[2] - pb[0],
            g.rect[3] - pb[1],
        ];
    }
    Ok(out)
}

/// Every occurrence of `kw.text` on the pages `kw` names of the first document.
pub fn find_text(pkg: &Package, kw: &Keyword) -> Result<Vec<TextHit>, OfdError> {
    let body = document::doc_bodies(pkg)?
        .into_iter()
        .next()
        .ok_or_else(|| OfdError::Structure("no DocBody".into()))?;
    let doc = document::read_document(pkg, &body.doc_root)?;
    let chosen = kw.pages.resolve(doc.pages.len())?;
    let mut hits = Vec::new();
    for p in chosen {
        let glyphs = page_glyphs(pkg, &doc, p - 1)?;
        hits.extend(placement::find_on_page(p, &glyphs, &kw.text));
    }
    Ok(hits)
}

/// Stamps of `width` × `height` mm over the occurrences `kw` asks for, as
/// [`super::Placement::Stamp`]s; an absent keyword is an error naming it.
pub fn keyword_placements(
    pkg: &Package,
    kw: &Keyword,
    width_mm: f64,
    height_mm: f64,
) -> Result<Vec<super::Placement>, OfdError> {
    let hits = placement::select(kw, find_text(pkg, kw)?)?;
    Ok(hits
        .iter()
        .map(|h| {
            let b = placement::stamp_box(kw, h, width_mm, height_mm);
            super::Placement::Stamp {
                page: h.page,
                x_mm: b[0],
                y_mm: b[1],
                width_mm: Some(width_mm),
                height_mm: Some(height_mm),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_lists_expand() {
        assert_eq!(deltas(Some("1 g 3 2.5 4")), [1.0, 2.5, 2.5, 2.5, 4.0]);
        assert!(deltas(None).is_empty());
    }

    #[test]
    fn characters_follow_ctm_and_deltas() {
        let el = xml::parse(
            br#"<TextObject Boundary="10 20 50 10" Size="10" CTM="0.5 0 0 0.5 0 0"><TextCode X="0" Y="8" DeltaX="10">AB</TextCode></TextObject>"#,
            "t",
        )
        .unwrap();
        let mut out = Vec::new();
        text_object(&el, &mut out);
        assert_eq!(out.len(), 2);
        // B starts at X 10 in object space: 5 mm in the boundary, 15 on the page.
        assert!((out[1].rect[0] - 15.0).abs() < 1e-9);
        assert!((out[0].rect[1] - (20.0 + (8.0 - 8.5) * 0.5)).abs() < 1e-9);
    }
}
