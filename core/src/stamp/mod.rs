//! Seal pictures (印章图像): what goes into `SES_ESPictrueInfo` of a GB/T 38540 seal and into the
//! appearance of a PDF/OFD signature.
//!
//! - [`official`] — generated round official seals (普通公章, 党纪委公章, 工会公章, 共青团章), the
//!   four "自动生成" styles of the platform manual; every dimension follows a written rule
//!   (see the module docs).
//! - [`oval`] — oval seals: 发票专用章 (40 × 30 mm, taxpayer ID) and 45 × 30 mm 财务/合同 ovals.
//! - [`square`] — square unit seals: 方形财务专用章 (22 or 25 mm).
//! - [`personal`] — personal signatures: square seal (方形章), rectangular seal (长方形章) and
//!   the rectangular 法人章.
//! - [`import`] — uploaded pictures (jpg/jpeg/png/gif) cropped to the physical size, white made
//!   transparent.
//! - [`style`] — the generated unit-seal styles by key (what a seal application offers).
//! - [`qr`] — anti-forgery QR codes pointing to the verification page.
//! - [`slice`] — cross-page seals (骑缝章): a picture cut into N vertical slices.
//! - [`font`] — CJK glyph outlines from a system font (fontdb) or a given file.
//!
//! Generated pictures are drawn once as vectors in millimetres ([`canvas::Drawing`]) and then
//! rasterised with tiny-skia at the requested DPI (PNG, transparent background) and, as a bonus,
//! written as SVG with the same geometry.

pub mod canvas;
pub mod font;
pub mod gallery;
pub mod import;
pub mod official;
pub mod oval;
pub mod personal;
pub mod qr;
pub mod slice;
pub mod square;
pub mod style;

pub use canvas::{Drawing, Quad};
pub use font::SealFont;

use std::path::Path;

/// Millimetres in an inch (DPI conversions).
pub const MM_PER_INCH: f32 = 25.4;
/// Smallest and largest accepted DPI.
pub const DPI_RANGE: (f32, f32) = (24.0, 1200.0);
/// Largest raster produced or accepted for output (pixels), 64 Mpx.
pub const MAX_OUTPUT_PIXELS: u64 = 64 * 1024 * 1024;

/// Errors of the stamp room.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    #[error("the font {font} has no glyph for {ch:?} (U+{:04X}); choose a font that covers it", *ch as u32)]
    MissingGlyph { ch: char, font: String },
    #[error("no usable CJK font found: {0}")]
    NoFont(String),
    #[error("cannot read font {path}: {reason}")]
    BadFont { path: String, reason: String },
    #[error("invalid text: {0}")]
    BadText(String),
    #[error("invalid size: {0}")]
    BadSize(String),
    #[error("not a supported image (jpg, jpeg, png, gif): {0}")]
    NotAnImage(String),
    #[error("image too large: {width}×{height} pixels exceeds the limit of {limit} pixels")]
    TooLarge { width: u32, height: u32, limit: u64 },
    #[error("QR code: {0}")]
    Qr(String),
    #[error("raster: {0}")]
    Raster(String),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the picture: {0}")]
    Write(#[from] crate::fs::WriteError),
}

pub type Result<T> = std::result::Result<T, StampError>;

/// An RGBA colour (straight alpha).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    /// Seal red. Official seals are printed in red (印油 red); #E60000 is close to the
    /// #FF0000 most platforms use while keeping a little depth on screen.
    pub const SEAL_RED: Rgba = Rgba(0xE6, 0x00, 0x00, 0xFF);
    pub const BLACK: Rgba = Rgba(0, 0, 0, 0xFF);
    pub const WHITE: Rgba = Rgba(0xFF, 0xFF, 0xFF, 0xFF);

    /// `#RRGGBB` or `#RRGGBBAA` (the `#` is optional).
    pub fn parse_hex(s: &str) -> Result<Rgba> {
        let h = s.trim().trim_start_matches('#');
        let bytes = hex::decode(h)
            .map_err(|_| StampError::BadText(format!("colour {s:?} is not #RRGGBB")))?;
        match bytes.as_slice() {
            [r, g, b] => Ok(Rgba(*r, *g, *b, 0xFF)),
            [r, g, b, a] => Ok(Rgba(*r, *g, *b, *a)),
            _ => Err(StampError::BadText(format!("colour {s:?} is not #RRGGBB"))),
        }
    }

    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// A finished seal picture: PNG bytes (RGBA, transparent background) with its pixel size and
/// physical size; `svg` is set when the picture was generated from vectors.
#[derive(Debug, Clone)]
pub struct Picture {
    pub png: Vec<u8>,
    pub width_px: u32,
    pub height_px: u32,
    pub width_mm: f32,
    pub height_mm: f32,
    pub dpi: f32,
    pub svg: Option<String>,
}

impl Picture {
    /// Decodes the PNG into an RGBA buffer (for inspection, slicing, embedding).
    pub fn to_rgba(&self) -> Result<image::RgbaImage> {
        let img = image::load_from_memory_with_format(&self.png, image::ImageFormat::Png)
            .map_err(|e| StampError::Raster(format!("decoding own PNG: {e}")))?;
        Ok(img.to_rgba8())
    }

    /// Builds a picture from an RGBA buffer at the given DPI (physical size follows).
    pub fn from_rgba(img: &image::RgbaImage, dpi: f32) -> Result<Picture> {
        check_dpi(dpi)?;
        let png = encode_png(img)?;
        Ok(Picture {
            png,
            width_px: img.width(),
            height_px: img.height(),
            width_mm: px_to_mm(img.width(), dpi),
            height_mm: px_to_mm(img.height(), dpi),
            dpi,
            svg: None,
        })
    }

    /// The `type` to declare in `SES_ESPictrueInfo` (GB/T 38540 §5.2: the picture format).
    pub fn ses_type(&self) -> &'static str {
        "png"
    }

    /// Width and height in whole millimetres, as `SES_ESPictrueInfo` stores them.
    pub fn ses_size_mm(&self) -> (u32, u32) {
        (
            self.width_mm.round().max(1.0) as u32,
            self.height_mm.round().max(1.0) as u32,
        )
    }

    /// Writes the PNG atomically (temporary file + rename).
    pub fn write_png(&self, path: &Path) -> Result<()> {
        Ok(crate::fs::write_atomic(path, &[&self.png])?)
    }

    /// Writes the SVG atomically, if this picture has one.
    pub fn write_svg(&self, path: &Path) -> Result<bool> {
        match &self.svg {
            Some(s) => crate::fs::write_atomic(path, &[s.as_bytes()])
                .map(|_| true)
                .map_err(StampError::from),
            None => Ok(false),
        }
    }
}

/// Pixels for a length in millimetres at a DPI, rounded to the nearest pixel (at least 1).
pub fn mm_to_px(mm: f32, dpi: f32) -> u32 {
    ((mm / MM_PER_INCH * dpi).round() as u32).max(1)
}

/// Millimetres covered by `px` pixels at a DPI.
pub fn px_to_mm(px: u32, dpi: f32) -> f32 {
    px as f32 * MM_PER_INCH / dpi
}

pub(crate) fn check_dpi(dpi: f32) -> Result<()> {
    if !(DPI_RANGE.0..=DPI_RANGE.1).contains(&dpi) {
        return Err(StampError::BadSize(format!(
            "DPI {dpi} outside {}..={}",
            DPI_RANGE.0, DPI_RANGE.1
        )));
    }
    Ok(())
}

pub(crate) fn check_mm(what: &str, mm: f32, min: f32, max: f32) -> Result<()> {
    if !(min..=max).contains(&mm) {
        return Err(StampError::BadSize(format!(
            "{what} {mm} mm outside {min}..={max} mm"
        )));
    }
    Ok(())
}

pub(crate) fn encode_png(img: &image::RgbaImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| StampError::Raster(format!("PNG encoding: {e}")))?;
    Ok(out.into_inner())
}
