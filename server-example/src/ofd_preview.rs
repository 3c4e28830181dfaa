//! OFD page previews for the portal (2.5 文件签署: the page the seals are placed on), drawn
//! as SVG in mm from the page's content (GB/T 33190 §8 page blocks):
//! - the page's templates (§7.7 `Page/Template`, `ZOrder` Background beneath the content,
//!   Foreground above it; `CommonData/TemplatePage` names their content);
//! - text objects (§11): each `TextCode`'s characters at `X`/`Y` plus the running
//!   `DeltaX`/`DeltaY` (the `g n v` repetition of §11.3), `Size` in mm, `FillColor`, `Weight`,
//!   `Italic`, the font resource's `FontName`/`FamilyName` (§10, with a generic CJK family
//!   after it: the browser's fonts, not embedded ones);
//! - path objects (§9, `AbbreviatedData` S/M/L/Q/B/A/C);
//! - image objects (§10.3): the `MultiMedia` resource named by `ResourceID` (PNG, JPEG, BMP or
//!   GIF, embedded as a `data:` URI — the SVG is shown as an `<img>`, which loads nothing
//!   else), drawn into the unit square that `CTM` maps onto the object;
//! - every object's `CTM` (§8.3.2) inside its `Boundary`.
//!
//! A preview, not a renderer: clipping, shadings, patterns and annotations are left out.

use base64::Engine as _;
use eseal::ofd::package::{dir_of, resolve};
use eseal::ofd::text::deltas;
use eseal::ofd::xml::{self, Element};
use eseal::ofd::{Package, document};
use std::collections::HashMap;

/// Images embedded in one page's SVG at most (bytes before base64); the rest are outlined.
const IMAGE_BUDGET: usize = 16 << 20;
/// Nesting kept for drawing (layers, page blocks, composite objects).
const MAX_DEPTH: usize = 32;

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
    let root = parse(&pkg, &page.content)?;
    let mut r = Resources::default();
    let doc_dir = dir_of(&doc.path).to_owned();
    let mut templates = HashMap::new();
    if let Some(c) = doc.root.child("CommonData") {
        for res in c
            .children
            .iter()
            .filter(|e| e.name == "PublicRes" || e.name == "DocumentRes")
        {
            if let Ok(p) = resolve(&doc_dir, res.text.trim()) {
                r.load(&pkg, &p);
            }
        }
        for t in c.children_named("TemplatePage") {
            if let (Some(id), Some(loc)) = (t.attr("ID"), t.attr("BaseLoc"))
                && let Ok(p) = resolve(&doc_dir, loc)
            {
                templates.insert(id.to_owned(), p);
            }
        }
    }
    for res in &page.res {
        r.load(&pkg, res);
    }
    // §7.7: templates beneath (Background, the default) or above (Foreground) the content.
    let (mut below, mut above) = (Vec::new(), Vec::new());
    for t in root.children_named("Template") {
        let Some(path) = t.attr("TemplateID").and_then(|id| templates.get(id)) else {
            continue;
        };
        match parse(&pkg, path) {
            Ok(el) if t.attr("ZOrder") == Some("Foreground") => above.push(el),
            Ok(el) => below.push(el),
            Err(_) => {} // a template that cannot be read: the page without it
        }
    }
    let [_, _, w, h] = page.physical_box;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}mm\" height=\"{h}mm\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>"
    );
    let mut pen = Pen {
        pkg: &pkg,
        res: &r,
        budget: IMAGE_BUDGET,
        out: &mut out,
    };
    for el in below.iter().chain([&root]).chain(above.iter()) {
        if let Some(c) = el.child("Content") {
            pen.draw(c, 0);
        }
    }
    out.push_str("</svg>");
    Ok(out)
}

fn parse(pkg: &Package, path: &str) -> Result<Element, String> {
    let bytes = pkg.require(path).map_err(|e| e.to_string())?;
    xml::parse(&bytes, path).map_err(|e| e.to_string())
}

/// The resources a page can name (§7.9): fonts by ID (as a CSS font-family list) and
/// multimedia by ID (`Format` or the file's extension, and its package path).
#[derive(Default)]
struct Resources {
    fonts: HashMap<String, String>,
    media: HashMap<String, (String, String)>,
}

impl Resources {
    fn load(&mut self, pkg: &Package, path: &str) {
        let Ok(el) = parse(pkg, path) else { return };
        let dir = dir_of(path);
        let media_dir = el
            .attr("BaseLoc")
            .and_then(|b| resolve(dir, b).ok())
            .unwrap_or_else(|| dir.to_owned());
        let mut found = Vec::new();
        el.descendants("Font", &mut found);
        for f in found.drain(..) {
            if let Some(id) = f.attr("ID") {
                self.fonts.insert(id.to_owned(), font_family(f));
            }
        }
        el.descendants("MultiMedia", &mut found);
        for m in found {
            let (Some(id), Some(file)) = (m.attr("ID"), m.child_text("MediaFile")) else {
                continue;
            };
            let format = m
                .attr("Format")
                .unwrap_or_else(|| file.rsplit('.').next().unwrap_or(""));
            if let Ok(p) = resolve(&media_dir, file.trim()) {
                self.media
                    .insert(id.to_owned(), (format.to_ascii_lowercase(), p));
            }
        }
    }
}

/// A CSS font-family list for a font resource: its names, then the generic family its name
/// suggests (宋/仿宋/楷 serif, 黑 sans-serif) among the CJK fonts the browser has.
fn font_family(f: &Element) -> String {
    let names: Vec<&str> = [f.attr("FontName"), f.attr("FamilyName")]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect();
    let all = names.join(" ").to_lowercase();
    let generic = if all.contains('黑') || all.contains("hei") || all.contains("sans") {
        "'Noto Sans CJK SC', sans-serif"
    } else {
        "'Noto Serif CJK SC', 'Noto Sans CJK SC', serif"
    };
    let mut s = String::new();
    for n in names {
        s.push('\'');
        s.push_str(&n.replace(['\'', '\\', '"', '<', '>', '&'], ""));
        s.push_str("', ");
    }
    s + generic
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

/// A number as SVG writes it: short, never NaN.
fn f(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" || s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// The MIME type of an image the browser shows, by its first bytes (producers name PNGs
/// `.jpg`), else by its declared format; `None` for TIFF, JBIG2 and the like.
fn image_type(bytes: &[u8], format: &str) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'B', b'M', ..] => Some("image/bmp"),
        _ => match format {
            "png" => Some("image/png"),
            "jpg" | "jpeg" => Some("image/jpeg"),
            "gif" => Some("image/gif"),
            "bmp" => Some("image/bmp"),
            _ => None,
        },
    }
}

struct Pen<'a> {
    pkg: &'a Package,
    res: &'a Resources,
    budget: usize,
    out: &'a mut String,
}

impl Pen<'_> {
    fn draw(&mut self, e: &Element, depth: usize) {
        match e.name.as_str() {
            "TextObject" => self.object(e, |p, b| p.text(e, b)),
            "PathObject" => self.object(e, |p, b| p.path(e, b)),
            "ImageObject" => self.object(e, |p, b| p.image(e, b)),
            _ if depth < MAX_DEPTH => {
                for c in &e.children {
                    self.draw(c, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A graphic unit (§8.3): its own coordinates start at the `Boundary`'s corner and pass
    /// through its `CTM`.
    fn object(&mut self, e: &Element, body: impl FnOnce(&mut Self, [f64; 4])) {
        let Some(b) = e.attr("Boundary").and_then(document::parse_box) else {
            return;
        };
        if e.attr("Visible") == Some("false") {
            return;
        }
        let ctm = e.attr("CTM").map(nums).filter(|m| m.len() == 6);
        self.out.push_str(&format!(
            "<g transform=\"translate({} {})",
            f(b[0]),
            f(b[1])
        ));
        if let Some(m) = ctm {
            let m: Vec<String> = m.into_iter().map(f).collect();
            self.out.push_str(&format!(" matrix({})", m.join(" ")));
        }
        self.out.push_str("\">");
        body(self, b);
        self.out.push_str("</g>");
    }

    fn text(&mut self, e: &Element, _b: [f64; 4]) {
        let size = e
            .attr("Size")
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(3.5);
        let fill = color(e, "FillColor", "#000");
        let family = e
            .attr("Font")
            .and_then(|id| self.res.fonts.get(id))
            .map(String::as_str)
            .unwrap_or("'Noto Serif CJK SC', 'Noto Sans CJK SC', serif");
        let weight = e
            .attr("Weight")
            .filter(|w| w.parse::<u32>().is_ok_and(|w| w != 400))
            .map(|w| format!(" font-weight=\"{w}\""))
            .unwrap_or_default();
        let italic = if e.attr("Italic") == Some("true") {
            " font-style=\"italic\""
        } else {
            ""
        };
        // X/Y carry over from one TextCode to the next when absent (§11.3); a character
        // without a DeltaX advances by the font size (CJK are square), as core's text search.
        let (mut x, mut y) = (0.0, 0.0);
        for tc in e.children_named("TextCode") {
            x = tc.attr("X").and_then(|v| v.parse().ok()).unwrap_or(x);
            y = tc.attr("Y").and_then(|v| v.parse().ok()).unwrap_or(y);
            let (dx, dy) = (deltas(tc.attr("DeltaX")), deltas(tc.attr("DeltaY")));
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            let (mut cx, mut cy) = (x, y);
            for i in 0..tc.text.chars().count() {
                xs.push(f(cx));
                ys.push(f(cy));
                cx += dx.get(i).copied().unwrap_or(size);
                cy += dy.get(i).copied().unwrap_or(0.0);
            }
            if xs.is_empty() {
                continue;
            }
            self.out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{fill}\" font-family=\"{family}\"{weight}{italic}>{}</text>",
                xs.join(" "),
                ys.join(" "),
                f(size),
                xml::escape(&tc.text)
            ));
        }
    }

    fn path(&mut self, e: &Element, _b: [f64; 4]) {
        let Some(data) = e.child_text("AbbreviatedData") else {
            return;
        };
        let mut d = String::new();
        let mut it = data.split_whitespace().peekable();
        while let Some(op) = it.next() {
            let mut take = |k: usize| -> String {
                (0..k)
                    .filter_map(|_| it.next().and_then(|v| v.parse::<f64>().ok()).map(f))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            match op {
                "S" | "M" => d.push_str(&format!("M{} ", take(2))),
                "L" => d.push_str(&format!("L{} ", take(2))),
                "Q" => d.push_str(&format!("Q{} ", take(4))),
                "B" => d.push_str(&format!("C{} ", take(6))),
                // An arc: rx ry angle large sweep x y — the same parameters as SVG's.
                "A" => d.push_str(&format!("A{} ", take(7))),
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
        let lw = e
            .attr("LineWidth")
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.353);
        self.out.push_str(&format!(
            "<path d=\"{}\" stroke=\"{stroke}\" fill=\"{fill}\" stroke-width=\"{}\"/>",
            d.trim(),
            f(lw)
        ));
    }

    /// §10.3: the image fills the unit square, which the CTM maps onto the object (without
    /// a CTM, the Boundary's size is the scale).
    fn image(&mut self, e: &Element, b: [f64; 4]) {
        let (w, h) = if e.attr("CTM").is_some() {
            (1.0, 1.0)
        } else {
            (b[2], b[3])
        };
        let media = e.attr("ResourceID").and_then(|id| self.res.media.get(id));
        let data = media.and_then(|(format, path)| {
            let bytes = self.pkg.read(path).ok().flatten()?;
            let mime = image_type(&bytes, format)?;
            if bytes.len() > self.budget {
                return None;
            }
            self.budget -= bytes.len();
            Some(format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ))
        });
        match data {
            Some(href) => self.out.push_str(&format!(
                "<image width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" href=\"{href}\"/>",
                f(w),
                f(h)
            )),
            // An image that cannot be shown here: its place, outlined.
            None => self.out.push_str(&format!(
                "<rect width=\"{}\" height=\"{}\" fill=\"#f3f3f3\" stroke=\"#bbb\" stroke-width=\"{}\"/>",
                f(w),
                f(h),
                f(0.3 / b[2].max(1.0) * w)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A real OFD from another producer (../shared/vectors, read in place; skipped when absent).
    fn vector(sub: &str) -> Option<Vec<u8>> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/vectors")
            .join(sub);
        match std::fs::read(&p) {
            Ok(b) => Some(b),
            Err(_) => {
                eprintln!("skipped: {} absent", p.display());
                None
            }
        }
    }

    #[test]
    fn the_template_its_image_and_the_page_text_are_drawn() {
        // A bank receipt (Suwell): the form (texts, rules and the bank's logo) is a
        // Background template; the page carries the filled-in values.
        let Some(ofd) = vector("itlabers-ofd-go/suwell-icbc-receipt.ofd") else {
            return;
        };
        let svg = page_svg(ofd, 1).unwrap();
        assert!(
            svg.contains("<image width=\"1\" height=\"1\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,iVBORw0KGgo"),
            "the logo (MultiMedia 5: named .jpg, a PNG inside) is embedded as what it is"
        );
        assert!(
            svg.contains("matrix(79.61 0 0 9.256 0 0)"),
            "the image's CTM scales the unit square"
        );
        // MultiMedia 7 has no file: its place is outlined.
        assert!(svg.contains("fill=\"#f3f3f3\""));
        let template = svg.find("重要提示").expect("template text");
        let value = svg.find("中国工商银行上海分行").expect("page text");
        assert!(
            template < value,
            "the Background template is beneath the page"
        );
        assert!(svg.contains("font-family=\"'宋体', 'Noto Serif CJK SC'"));
        // Characters at their DeltaX positions: "g 4 3.175" from X 0.
        assert!(svg.contains("x=\"0 3.175 6.35 9.525 12.7\""));
    }

    #[test]
    fn deltas_ctm_and_missing_resources() {
        let page = br#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>
            <ofd:TextObject Boundary="10 20 50 10" Size="10" CTM="0.5 0 0 0.5 0 0" Font="1"><ofd:TextCode X="0" Y="8" DeltaX="g 2 4">A&lt;B</ofd:TextCode></ofd:TextObject>
            <ofd:ImageObject Boundary="0 0 30 20" ResourceID="99"/>
            </ofd:Layer></ofd:Content></ofd:Page>"#;
        let doc = br#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 100 50</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#;
        let ofd = br#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in [
            ("OFD.xml", &ofd[..]),
            ("Doc_0/Document.xml", &doc[..]),
            ("Doc_0/Pages/Page_0/Content.xml", &page[..]),
        ] {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, body).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let svg = page_svg(bytes, 1).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 100 50\""));
        assert!(svg.contains("translate(10 20) matrix(0.5 0 0 0.5 0 0)"));
        assert!(svg.contains("x=\"0 4 8\" y=\"8 8 8\""));
        assert!(svg.contains(">A&lt;B</text>"), "text is escaped");
        assert!(svg.contains("<rect width=\"30\" height=\"20\" fill=\"#f3f3f3\""));
        assert!(page_svg(Vec::new(), 1).is_err());
    }
}
