//! The printable verification report (验证报告) as a PDF: A4 pages of text and each seal's
//! picture. Chinese text uses the standard CJK font `STSong-Light` with the `UniGB-UCS2-H`
//! CMap (ISO 32000-1 §9.7.5.2, the Adobe-GB1 collection every Chinese-capable reader has), so
//! no font is embedded; pictures are image XObjects with their alpha as a soft mask
//! (§11.6.5.3). Written object by object with a classic cross-reference table (§7.5.4).

use std::io::Write;

/// One signature row.
pub struct Row {
    pub seal: String,
    pub signer: String,
    pub unit: String,
    pub time: String,
    pub result: String,
    pub ok: bool,
    /// The seal picture (PNG), if known.
    pub picture: Option<Vec<u8>>,
}

/// What the report says.
pub struct Report {
    pub title: String,
    pub lines: Vec<String>,
    pub verdict: String,
    pub ok: bool,
    pub rows: Vec<Row>,
    pub footer: String,
}

/// `<…>` hex of the UCS-2 code units (characters outside the BMP become `?`).
fn ucs2(s: &str) -> String {
    let mut out = String::from("<");
    for c in s.chars() {
        let u = if (c as u32) <= 0xFFFF {
            c as u32
        } else {
            '?' as u32
        };
        out.push_str(&format!("{u:04X}"));
    }
    out.push('>');
    out
}

/// Breaks `s` into lines of at most `width` em (a CJK character is 1 em, others 0.5).
fn wrap(s: &str, width: f64) -> Vec<String> {
    let mut lines = vec![];
    let mut cur = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = if c.is_ascii() { 0.5 } else { 1.0 };
        if w + cw > width && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            w = 0.0;
        }
        cur.push(c);
        w += cw;
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Vec<u8>,
}

fn decode_png(data: &[u8]) -> Option<Image> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(data));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().ok()?;
    let (w, h) = (reader.info().width, reader.info().height);
    if u64::from(w) * u64::from(h) > 16_000_000 {
        return None;
    }
    let mut buf = vec![0u8; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let px = &buf[..info.buffer_size()];
    let (mut rgb, mut alpha) = (Vec::new(), Vec::new());
    match info.color_type {
        png::ColorType::Rgba => {
            for p in px.chunks_exact(4) {
                rgb.extend_from_slice(&p[..3]);
                alpha.push(p[3]);
            }
        }
        png::ColorType::Rgb => {
            rgb.extend_from_slice(px);
            alpha.resize((w * h) as usize, 255);
        }
        png::ColorType::GrayscaleAlpha => {
            for p in px.chunks_exact(2) {
                rgb.extend_from_slice(&[p[0], p[0], p[0]]);
                alpha.push(p[1]);
            }
        }
        png::ColorType::Grayscale => {
            for p in px {
                rgb.extend_from_slice(&[*p, *p, *p]);
            }
            alpha.resize((w * h) as usize, 255);
        }
        png::ColorType::Indexed => return None,
    }
    Some(Image {
        width: w,
        height: h,
        rgb,
        alpha,
    })
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to memory cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

struct Pdf {
    objects: Vec<Vec<u8>>,
}

impl Pdf {
    /// Reserves an object number.
    fn reserve(&mut self) -> usize {
        self.objects.push(Vec::new());
        self.objects.len()
    }
    fn set(&mut self, n: usize, body: Vec<u8>) {
        self.objects[n - 1] = body;
    }
    fn add(&mut self, body: Vec<u8>) -> usize {
        let n = self.reserve();
        self.set(n, body);
        n
    }
    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        v.extend_from_slice(data);
        v.extend_from_slice(b"\nendstream");
        v
    }
    fn finish(self, root: usize) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = vec![];
        for (i, o) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(o);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f\r\n", self.objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                self.objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

const W: f64 = 595.0;
const H: f64 = 842.0;
const MARGIN: f64 = 50.0;

/// One page being laid out.
struct Page {
    ops: String,
    y: f64,
    images: Vec<(String, usize)>,
}

impl Page {
    fn new() -> Page {
        Page {
            ops: String::new(),
            y: H - MARGIN,
            images: vec![],
        }
    }
    fn text(&mut self, x: f64, size: f64, rgb: (f64, f64, f64), s: &str) {
        self.ops.push_str(&format!(
            "BT /F1 {size} Tf {} {} {} rg {x:.1} {:.1} Td {} Tj ET\n",
            rgb.0,
            rgb.1,
            rgb.2,
            self.y,
            ucs2(s)
        ));
    }
}

/// The report as PDF bytes.
pub fn render(r: &Report) -> Vec<u8> {
    let mut pdf = Pdf { objects: vec![] };
    let catalog = pdf.reserve();
    let pages_obj = pdf.reserve();
    let font = pdf.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> /DW 1000 /W [1 95 500] >>] >>"
            .to_vec(),
    );
    let black = (0.0, 0.0, 0.0);
    let mut pages: Vec<Page> = vec![Page::new()];
    let cur = |pages: &mut Vec<Page>, need: f64| -> usize {
        if pages.last().is_some_and(|p| p.y - need < MARGIN) {
            pages.push(Page::new());
        }
        pages.len() - 1
    };
    let i = cur(&mut pages, 30.0);
    pages[i].text(MARGIN, 20.0, black, &r.title);
    pages[i].y -= 34.0;
    for l in &r.lines {
        for part in wrap(l, 44.0) {
            let i = cur(&mut pages, 16.0);
            pages[i].text(MARGIN, 11.0, black, &part);
            pages[i].y -= 16.0;
        }
    }
    let i = cur(&mut pages, 30.0);
    let colour = if r.ok {
        (0.07, 0.45, 0.2)
    } else {
        (0.7, 0.15, 0.12)
    };
    pages[i].y -= 6.0;
    for part in wrap(&r.verdict, 36.0) {
        let i = cur(&mut pages, 20.0);
        pages[i].text(MARGIN, 14.0, colour, &part);
        pages[i].y -= 20.0;
    }
    for (n, row) in r.rows.iter().enumerate() {
        let pic = row.picture.as_deref().and_then(decode_png);
        let i = cur(&mut pages, 110.0);
        let page = &mut pages[i];
        page.y -= 10.0;
        let top = page.y;
        page.ops.push_str(&format!(
            "0.8 0.8 0.8 RG 0.5 w {MARGIN} {:.1} m {:.1} {:.1} l S\n",
            top + 4.0,
            W - MARGIN,
            top + 4.0
        ));
        if let Some(img) = pic {
            let smask = pdf.add(Pdf::stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                    img.width, img.height
                ),
                &deflate(&img.alpha),
            ));
            let obj = pdf.add(Pdf::stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask {smask} 0 R",
                    img.width, img.height
                ),
                &deflate(&img.rgb),
            ));
            let name = format!("Im{n}");
            page.ops.push_str(&format!(
                "q 80 0 0 80 {:.1} {:.1} cm /{name} Do Q\n",
                W - MARGIN - 80.0,
                top - 84.0
            ));
            page.images.push((name, obj));
        }
        let fields = [
            format!("印章 Seal: {}", row.seal),
            format!("签章人 Signer: {}", row.signer),
            format!("单位 Unit: {}", row.unit),
            format!("时间 Time: {}", row.time),
        ];
        for f in fields {
            page.text(MARGIN, 11.0, black, &f);
            page.y -= 16.0;
        }
        let colour = if row.ok {
            (0.07, 0.45, 0.2)
        } else {
            (0.7, 0.15, 0.12)
        };
        for part in wrap(&format!("结果 Result: {}", row.result), 34.0) {
            page.text(MARGIN, 11.0, colour, &part);
            page.y -= 16.0;
        }
        page.y = page.y.min(top - 92.0);
    }
    let i = cur(&mut pages, 30.0);
    pages[i].y -= 10.0;
    for part in wrap(&r.footer, 60.0) {
        let i = cur(&mut pages, 14.0);
        pages[i].text(MARGIN, 8.0, (0.35, 0.35, 0.35), &part);
        pages[i].y -= 12.0;
    }
    let mut kids = vec![];
    for p in pages {
        let content = pdf.add(Pdf::stream(
            "/Filter /FlateDecode",
            &deflate(p.ops.as_bytes()),
        ));
        let xobjects: String = p
            .images
            .iter()
            .map(|(n, o)| format!("/{n} {o} 0 R "))
            .collect();
        kids.push(pdf.add(
            format!(
                "<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {W} {H}] /Resources << /Font << /F1 {font} 0 R >> /XObject << {xobjects}>> >> /Contents {content} 0 R >>"
            )
            .into_bytes(),
        ));
    }
    let kids_s: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    pdf.set(
        pages_obj,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids_s.join(" "),
            kids.len()
        )
        .into_bytes(),
    );
    pdf.set(
        catalog,
        format!("<< /Type /Catalog /Pages {pages_obj} 0 R >>").into_bytes(),
    );
    pdf.finish(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_a_pdf_lopdf_reads() {
        let r = Report {
            title: "电子签章验证报告".into(),
            lines: vec!["文件 File: 合同.pdf".into()],
            verdict: "有效".into(),
            ok: true,
            rows: vec![Row {
                seal: "上海市演示局合同专用章".into(),
                signer: "张三".into(),
                unit: "上海市演示局".into(),
                time: "2026-01-01T00:00:00Z".into(),
                result: "有效".into(),
                ok: true,
                picture: Some(
                    eseal::stamp::personal::PersonalSeal::new(
                        eseal::stamp::personal::PersonalShape::Square,
                        "张三",
                    )
                    .render()
                    .unwrap()
                    .png,
                ),
            }],
            footer: "verified".into(),
        };
        let pdf = render(&r);
        let doc = lopdf::Document::load_mem(&pdf).expect("a readable PDF");
        assert_eq!(doc.get_pages().len(), 1);
        assert_eq!(ucs2("章A"), "<7AE00041>");
        assert_eq!(wrap("ab中文", 1.5), vec!["ab", "中", "文"]);
    }
}
