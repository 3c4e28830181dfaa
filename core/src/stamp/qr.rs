//! Anti-forgery QR codes (防伪二维码): a verification URL made from a template, the document id
//! and the digest of the signature, drawn with the quiet zone ISO/IEC 18004 asks for (4
//! modules) so it scans when printed at 15 mm.

use super::{Picture, Result, Rgba, StampError, check_dpi, check_mm, mm_to_px};
use image::RgbaImage;

/// Smallest printed module accepted (mm): below this, phone cameras stop reading it reliably.
pub const MIN_MODULE_MM: f32 = 0.18;

#[derive(Debug, Clone)]
pub struct AntiForgeryQr {
    /// URL with `{doc_id}` and `{digest}`, e.g. `https://verify.example.cn/v?id={doc_id}&h={digest}`.
    pub template: String,
    pub doc_id: String,
    /// The signature digest (e.g. SM3 of the SES_Signature); written as lower-case hex.
    pub digest: Vec<u8>,
    pub size_mm: f32,
    pub dpi: f32,
    /// Quiet zone, modules (ISO/IEC 18004: 4).
    pub quiet_zone: u32,
    pub dark: Rgba,
    pub light: Rgba,
}

impl Default for AntiForgeryQr {
    fn default() -> Self {
        AntiForgeryQr {
            template: String::new(),
            doc_id: String::new(),
            digest: Vec::new(),
            size_mm: 15.0,
            dpi: 300.0,
            quiet_zone: 4,
            dark: Rgba::BLACK,
            light: Rgba::WHITE,
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl AntiForgeryQr {
    /// The text encoded in the QR code.
    pub fn content(&self) -> Result<String> {
        if !self.template.contains("{doc_id}") || !self.template.contains("{digest}") {
            return Err(StampError::Qr(
                "the URL template needs both {doc_id} and {digest}".into(),
            ));
        }
        if self.doc_id.is_empty() || self.digest.is_empty() {
            return Err(StampError::Qr("document id and digest are required".into()));
        }
        Ok(self
            .template
            .replace("{doc_id}", &url_encode(&self.doc_id))
            .replace("{digest}", &hex::encode(&self.digest)))
    }

    /// The QR code as a picture (error correction M, module edges on whole pixels).
    pub fn render(&self) -> Result<Picture> {
        check_dpi(self.dpi)?;
        check_mm("QR size", self.size_mm, 5.0, 100.0)?;
        let text = self.content()?;
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| StampError::Qr(format!("{e}")))?;
        let n = code.width() as u32;
        let modules = n + 2 * self.quiet_zone;
        let module_mm = self.size_mm / modules as f32;
        if module_mm < MIN_MODULE_MM {
            return Err(StampError::Qr(format!(
                "{modules} modules in {} mm gives {module_mm:.2} mm modules (< {MIN_MODULE_MM}); make it larger or the URL shorter",
                self.size_mm
            )));
        }
        let px = mm_to_px(self.size_mm, self.dpi);
        if px < 2 * modules {
            return Err(StampError::Qr(format!(
                "{px} pixels cannot show {modules} modules; raise the DPI"
            )));
        }
        let colors = code.to_colors();
        let edge = |i: u32| (i as u64 * px as u64 / modules as u64) as u32;
        let Rgba(lr, lg, lb, la) = self.light;
        let Rgba(dr, dg, db, da) = self.dark;
        let mut img = RgbaImage::from_pixel(px, px, image::Rgba([lr, lg, lb, la]));
        for my in 0..n {
            for mx in 0..n {
                if colors[(my * n + mx) as usize] != qrcode::Color::Dark {
                    continue;
                }
                let (x0, x1) = (edge(mx + self.quiet_zone), edge(mx + self.quiet_zone + 1));
                let (y0, y1) = (edge(my + self.quiet_zone), edge(my + self.quiet_zone + 1));
                for y in y0..y1 {
                    for x in x0..x1 {
                        img.put_pixel(x, y, image::Rgba([dr, dg, db, da]));
                    }
                }
            }
        }
        let mut pic = Picture::from_rgba(&img, self.dpi)?;
        pic.width_mm = self.size_mm;
        pic.height_mm = self.size_mm;
        pic.svg = Some(self.svg(&colors, n, modules));
        Ok(pic)
    }
}

impl AntiForgeryQr {
    /// The same code as SVG, one unit a module, sized in millimetres.
    fn svg(&self, colors: &[qrcode::Color], n: u32, modules: u32) -> String {
        use std::fmt::Write as _;
        let mut d = String::new();
        for my in 0..n {
            for mx in 0..n {
                if colors[(my * n + mx) as usize] == qrcode::Color::Dark {
                    let _ = write!(
                        d,
                        "M{} {}h1v1h-1z",
                        mx + self.quiet_zone,
                        my + self.quiet_zone
                    );
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{s}mm\" height=\"{s}mm\" viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\n<rect width=\"{modules}\" height=\"{modules}\" fill=\"{light}\"/>\n<path fill=\"{dark}\" d=\"{d}\"/>\n</svg>\n",
            s = self.size_mm,
            light = self.light.to_hex(),
            dark = self.dark.to_hex()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_fills_the_template() {
        let q = AntiForgeryQr {
            template: "https://v.example.cn/v?id={doc_id}&h={digest}".into(),
            doc_id: "合同 1".into(),
            digest: vec![0xAB, 0x01],
            ..Default::default()
        };
        assert_eq!(
            q.content().unwrap(),
            "https://v.example.cn/v?id=%E5%90%88%E5%90%8C%201&h=ab01"
        );
        let bad = AntiForgeryQr {
            template: "https://x/{doc_id}".into(),
            ..q
        };
        assert!(matches!(bad.content(), Err(StampError::Qr(_))));
    }
}
