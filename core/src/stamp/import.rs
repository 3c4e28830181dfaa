//! Imported seal pictures: the manual's "选择本地图片，仅支持 jpg、jpeg、png、gif 格式，剪裁印章
//! 规格默认 42mm*42mm".
//!
//! The bytes are sniffed (never trusted by file name), the pixel count is checked from the
//! header before anything is decoded (decompression bombs are refused), the first frame of a
//! GIF is taken, the picture is cropped (or fitted) to the aspect of the physical size and
//! scaled to `mm × dpi / 25.4` pixels, and near-white pixels become transparent.

use super::{Picture, Result, StampError, check_dpi, check_mm, mm_to_px};
use image::{DynamicImage, ImageFormat, RgbaImage, imageops};
use std::io::Cursor;

/// How the picture is brought to the target aspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Scale to cover the whole target and crop the overflow, centred (剪裁).
    #[default]
    Cover,
    /// Scale to fit inside the target; the rest stays transparent.
    Contain,
    /// Scale each axis independently (原图, distorted if the aspect differs).
    Stretch,
}

impl Fit {
    pub fn from_key(s: &str) -> Result<Self> {
        match s {
            "cover" | "crop" => Ok(Fit::Cover),
            "contain" | "fit" => Ok(Fit::Contain),
            "stretch" => Ok(Fit::Stretch),
            _ => Err(StampError::BadText(format!(
                "unknown fit {s:?} (cover, contain, stretch)"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub width_mm: f32,
    pub height_mm: f32,
    pub dpi: f32,
    pub fit: Fit,
    /// Pixels whose darkest channel is at least this are made fully transparent.
    pub white_threshold: u8,
    /// Below the threshold, over this many levels, transparency fades out (smooth edges).
    pub white_ramp: u8,
    /// Largest input accepted, in pixels (width × height from the header).
    pub max_input_pixels: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            width_mm: 42.0,
            height_mm: 42.0,
            dpi: 300.0,
            fit: Fit::Cover,
            white_threshold: 235,
            white_ramp: 40,
            max_input_pixels: 40_000_000,
        }
    }
}

/// Largest input file accepted (bytes); the manual's uploads are small pictures.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// Decodes jpg/png/gif bytes with the size checks; any other content is refused.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(StampError::NotAnImage(format!(
            "{} bytes is more than the {MAX_INPUT_BYTES} accepted",
            bytes.len()
        )));
    }
    let format = image::guess_format(bytes)
        .map_err(|_| StampError::NotAnImage("unrecognised content".into()))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif
    ) {
        return Err(StampError::NotAnImage(format!(
            "{format:?} is not one of jpg, png, gif"
        )));
    }
    let reader = || {
        let mut r = image::ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
        r.limits(limits);
        r
    };
    let (w, h) = reader()
        .into_dimensions()
        .map_err(|e| StampError::NotAnImage(format!("{format:?} header: {e}")))?;
    if w == 0 || h == 0 {
        return Err(StampError::NotAnImage(format!("{w}×{h} image")));
    }
    if w as u64 * h as u64 > max_pixels {
        return Err(StampError::TooLarge {
            width: w,
            height: h,
            limit: max_pixels,
        });
    }
    reader().decode().map_err(|e| match e {
        image::ImageError::Limits(_) => StampError::TooLarge {
            width: w,
            height: h,
            limit: max_pixels,
        },
        e => StampError::NotAnImage(format!("{format:?}: {e}")),
    })
}

/// Imports a picture as a seal picture (PNG, transparent background, exact physical size).
pub fn import(bytes: &[u8], opts: &ImportOptions) -> Result<Picture> {
    check_dpi(opts.dpi)?;
    check_mm("width", opts.width_mm, 5.0, 200.0)?;
    check_mm("height", opts.height_mm, 5.0, 200.0)?;
    let (tw, th) = (
        mm_to_px(opts.width_mm, opts.dpi),
        mm_to_px(opts.height_mm, opts.dpi),
    );
    if tw as u64 * th as u64 > super::MAX_OUTPUT_PIXELS {
        return Err(StampError::BadSize(format!(
            "{tw}×{th} pixels is too large; lower the DPI"
        )));
    }
    let src = decode(bytes, opts.max_input_pixels)?.to_rgba8();
    let filter = imageops::FilterType::CatmullRom;
    let mut out = match opts.fit {
        Fit::Stretch => imageops::resize(&src, tw, th, filter),
        Fit::Cover => {
            // Largest centred window of the target aspect, then scale it.
            let (sw, sh) = (src.width() as f64, src.height() as f64);
            let target = tw as f64 / th as f64;
            let (cw, ch) = if sw / sh > target {
                ((sh * target).round().max(1.0), sh)
            } else {
                (sw, (sw / target).round().max(1.0))
            };
            let (x, y) = (((sw - cw) / 2.0) as u32, ((sh - ch) / 2.0) as u32);
            let crop = imageops::crop_imm(&src, x, y, cw as u32, ch as u32).to_image();
            imageops::resize(&crop, tw, th, filter)
        }
        Fit::Contain => {
            let scale = (tw as f64 / src.width() as f64).min(th as f64 / src.height() as f64);
            let (rw, rh) = (
                ((src.width() as f64 * scale).round() as u32).clamp(1, tw),
                ((src.height() as f64 * scale).round() as u32).clamp(1, th),
            );
            let scaled = imageops::resize(&src, rw, rh, filter);
            let mut canvas = RgbaImage::new(tw, th);
            imageops::overlay(
                &mut canvas,
                &scaled,
                ((tw - rw) / 2) as i64,
                ((th - rh) / 2) as i64,
            );
            canvas
        }
    };
    whiten_to_transparent(&mut out, opts.white_threshold, opts.white_ramp);
    let mut pic = Picture::from_rgba(&out, opts.dpi)?;
    pic.width_mm = opts.width_mm;
    pic.height_mm = opts.height_mm;
    Ok(pic)
}

/// Near-white becomes transparent: a pixel whose darkest channel `m` is ≥ `threshold` gets
/// alpha 0; from `threshold − ramp` up to `threshold` alpha fades linearly, so anti-aliased
/// edges of the ink stay smooth.
pub fn whiten_to_transparent(img: &mut RgbaImage, threshold: u8, ramp: u8) {
    let hi = threshold as f32;
    let lo = (threshold as f32 - ramp as f32).max(0.0);
    for p in img.pixels_mut() {
        let m = p.0[0].min(p.0[1]).min(p.0[2]) as f32;
        let keep = if m >= hi {
            0.0
        } else if m > lo {
            (hi - m) / (hi - lo)
        } else {
            1.0
        };
        p.0[3] = (p.0[3] as f32 * keep).round() as u8;
    }
}

/// Wraps existing picture bytes (png/jpg/gif) at a DPI, for slicing or embedding.
pub fn png_picture(bytes: &[u8], dpi: f32) -> Result<Picture> {
    let img = decode(bytes, ImportOptions::default().max_input_pixels)?.to_rgba8();
    Picture::from_rgba(&img, dpi)
}
