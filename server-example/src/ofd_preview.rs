//! OFD page previews for the portal (2.5 文件签署: the page the seals are placed on), drawn
//! as SVG in mm from the page's content (GB/T 33190 §8 page blocks): text objects (§11,
//! `TextCode` positions inside the object's `Boundary`, `Size` in mm, `FillColor`) and path
//! objects (§9, `AbbreviatedData` S/M/L/Q/B/A/C). A preview, not a renderer: fonts are the
//! browser's CJK fonts, `CTM`, clipping, images, shadings and page templates are left out.

use eseal::ofd::xml::{self, Element};
use eseal::ofd::{Package, document};

/// The SVG of page `n` (from 1) of the OFD package `bytes`.
pub fn page_svg(bytes: Vec<u8>, n: usize) -> Result<String, String> {
    let pkg = Package::from_bytes(bytes).map_err(|e| e.to_string())?;
    let bodies = document::doc_bodies(&pkg).map_err(|e| e.to_string())?;
    let body = bodies.first().ok_or("no DocBody")?;
    let doc = document::read_document(&pkg, &body.doc_root).map_err(|e| e.to_string())?;
    let page = doc
        .pages
        .get(n.wrapping_sub(1))
        .ok_or_else(|| format!("page {n} does not exist"))?;
    let content = pkg.require(&page.content).map_err(|e| e.to_string())?;
    let root = xml::parse(&content, &page.content).map_err(|e| e.to_string())?;
    let [_, _, w, h] = page.physical_box;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}mm\" height=\"{h}mm\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>"
    );
    draw(&root, &mut out);
    out.push_str("</svg>");
    Ok(out)
}

fn nums(s: &str) -> Vec<f64> {
    s.split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect()
}

/// `FillColor`/`StrokeColor` `Value` "r g b" (0–255) as an SVG colour.
fn color(e: &Element, child: &str, default: &str) -> String {
    match e.child(child).and_then(|c| c.attr("Value")).map(nums) {
        Some(v) if v.len() >= 3 => format!("rgb({},{},{})", v[0], v[1], v[2]),
        _ => default.to_owned(),
    }
}

fn draw(e: &Element, out: &mut String) {
    match e.name.as_str() {
        "TextObject" => text(e, out),
        "PathObject" => path(e, out),
        _ => {
            for c in &e.children {
                draw(c, out);
            }
        }
    }
}

fn boundary(e: &Element) -> (f64, f64) {
    let b = nums(e.attr("Boundary").unwrap_or(""));
    (
        b.first().copied().unwrap_or(0.0),
        b.get(1).copied().unwrap_or(0.0),
    )
}

fn text(e: &Element, out: &mut String) {
    let (bx, by) = boundary(e);
    let size = e
        .attr("Size")
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.5);
    let fill = color(e, "FillColor", "#000");
    let (mut x, mut y) = (0.0, 0.0);
    for tc in e.children_named("TextCode") {
        x = tc.attr("X").and_then(|v| v.parse().ok()).unwrap_or(x);
        y = tc.attr("Y").and_then(|v| v.parse().ok()).unwrap_or(y);
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" fill=\"{fill}\" font-family=\"Noto Sans CJK SC, sans-serif\">{}</text>",
            bx + x,
            by + y,
            xml::escape(&tc.text)
        ));
    }
}

fn path(e: &Element, out: &mut String) {
    let (bx, by) = boundary(e);
    let Some(data) = e.child_text("AbbreviatedData") else {
        return;
    };
    let mut d = String::new();
    let mut it = data.split_whitespace().peekable();
    while let Some(op) = it.next() {
        let mut take = |k: usize| -> Vec<String> {
            (0..k)
                .filter_map(|_| it.next().map(str::to_owned))
                .collect()
        };
        match op {
            "S" | "M" => d.push_str(&format!("M{} ", take(2).join(" "))),
            "L" => d.push_str(&format!("L{} ", take(2).join(" "))),
            "Q" => d.push_str(&format!("Q{} ", take(4).join(" "))),
            "B" => d.push_str(&format!("C{} ", take(6).join(" "))),
            // An arc: rx ry angle large sweep x y — the same parameters as SVG's.
            "A" => d.push_str(&format!("A{} ", take(7).join(" "))),
            "C" => d.push_str("Z "),
            _ => {}
        }
    }
    let stroke = if e.attr("Stroke") == Some("false") {
        "none".to_owned()
    } else {
        color(e, "StrokeColor", "#000")
    };
    let fill = if e.attr("Fill") == Some("true") {
        color(e, "FillColor", "#000")
    } else {
        "none".to_owned()
    };
    let lw = e.attr("LineWidth").unwrap_or("0.353");
    out.push_str(&format!(
        "<path transform=\"translate({bx} {by})\" d=\"{}\" stroke=\"{stroke}\" fill=\"{fill}\" stroke-width=\"{}\"/>",
        xml::escape(d.trim()),
        xml::escape(lw)
    ));
}
