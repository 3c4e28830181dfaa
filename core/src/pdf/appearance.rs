//! Appearance of stamps (ISO 32000-1 §12.5.5, §8.9.5, §11.6.5.3): the seal picture becomes an
//! RGB image XObject with a DeviceGray soft mask, drawn by a small form XObject. A strip of a
//! cross-page seal is a form whose `/BBox` clips the same image, shifted left.

use super::PdfError;
use super::object::format_real;
use lopdf::{Dictionary, Object, Stream};

/// Largest picture accepted (pixels per side).
const MAX_SIDE: u32 = 4096;
/// Most output bytes one input byte can give: Deflate expands at most ~1032:1 (RFC 1951,
/// 258 bytes per 2-bit code) and EXPAND turns a 1-bit palette sample into 4 bytes (×32).
const MAX_INFLATE_RATIO: usize = 1032 * 32;

/// A decoded picture: 8-bit RGB samples and, when not opaque, 8-bit alpha.
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub alpha: Option<Vec<u8>>,
}

/// Decodes a PNG (any bit depth and colour type) to RGB + alpha.
pub(crate) fn decode_png(bytes: &[u8]) -> Result<Raster, PdfError> {
    let bad = |e: String| PdfError::Picture(format!("PNG: {e}"));
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(|e| bad(e.to_string()))?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(format!("{w}×{h} pixels is outside 1..{MAX_SIDE}")));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("image too large".into()))?;
    // Allocation bounded by the input: a header declaring more samples than its file could
    // hold is refused before the buffer exists.
    if size > bytes.len().saturating_mul(MAX_INFLATE_RATIO).max(1 << 16) {
        return Err(bad(format!(
            "{w}×{h} pixels cannot come out of {} bytes",
            bytes.len()
        )));
    }
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(e.to_string()))?;
    let n = (w * h) as usize;
    let (mut rgb, mut alpha) = (Vec::with_capacity(n * 3), Vec::with_capacity(n));
    let px = &buf[..info.buffer_size()];
    match info.color_type {
        png::ColorType::Rgb => rgb.extend_from_slice(px),
        png::ColorType::Rgba => px.chunks_exact(4).for_each(|c| {
            rgb.extend_from_slice(&c[..3]);
            alpha.push(c[3]);
        }),
        png::ColorType::Grayscale => px.iter().for_each(|&g| rgb.extend_from_slice(&[g, g, g])),
        png::ColorType::GrayscaleAlpha => px.chunks_exact(2).for_each(|c| {
            rgb.extend_from_slice(&[c[0], c[0], c[0]]);
            alpha.push(c[1]);
        }),
        png::ColorType::Indexed => return Err(bad("palette not expanded".into())),
    }
    if rgb.len() != n * 3 {
        return Err(bad("unexpected sample count".into()));
    }
    let alpha = if alpha.len() == n && alpha.iter().any(|&a| a != 255) {
        Some(alpha)
    } else {
        None
    };
    Ok(Raster {
        width: w,
        height: h,
        rgb,
        alpha,
    })
}

fn compressed(dict: Dictionary, content: Vec<u8>) -> Result<Stream, PdfError> {
    let mut s = Stream::new(dict, content);
    s.compress()
        .map_err(|e| PdfError::Picture(format!("compressing: {e}")))?;
    Ok(s)
}

/// The image XObject (§8.9.5) and, for a transparent picture, its soft mask (§11.6.5.3).
pub(crate) fn image_objects(r: &Raster) -> Result<(Stream, Option<Stream>), PdfError> {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Image".to_vec()));
    d.set("Width", Object::Integer(i64::from(r.width)));
    d.set("Height", Object::Integer(i64::from(r.height)));
    d.set("BitsPerComponent", Object::Integer(8));
    let mask = match &r.alpha {
        Some(a) => {
            let mut m = d.clone();
            m.set("ColorSpace", Object::Name(b"DeviceGray".to_vec()));
            Some(compressed(m, a.clone())?)
        }
        None => None,
    };
    d.set("ColorSpace", Object::Name(b"DeviceRGB".to_vec()));
    Ok((compressed(d, r.rgb.clone())?, mask))
}

/// Seal pictures kept converted, at most this many (then the cache starts again).
const CACHED_PICTURES: usize = 64;

/// [`image_objects`] of a PNG, kept by SM3 of its bytes: a signing server stamps the same
/// few seal pictures again and again, and decoding plus Deflate of the samples is most of a
/// stamp's cost (measured: benches/RESULTS.md, open API load). The output is a function of
/// the bytes alone, so a kept copy is the same as a new conversion.
pub(crate) fn picture_objects(png: &[u8]) -> Result<(Stream, Option<Stream>), PdfError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Kept = HashMap<[u8; 32], (Stream, Option<Stream>)>;
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    let kept = KEPT.get_or_init(Default::default);
    let key = crate::crypto::sm3::sm3(png);
    // A poisoned lock only means another signing panicked: the map itself is whole.
    let lock = || kept.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = lock().get(&key) {
        return Ok(hit.clone());
    }
    let made = image_objects(&decode_png(png)?)?;
    let mut k = lock();
    if k.len() >= CACHED_PICTURES {
        k.clear();
    }
    k.insert(key, made.clone());
    Ok(made)
}

/// A form XObject of `bbox` (width, height) that draws `image` scaled to `w` × `h`, shifted
/// left and down by `shift` ((0, 0) for a whole stamp; the slice's offset from the picture's
/// lower-left corner for a cross-page slice: the BBox clips). On a page with `/Rotate r` the
/// form's `/Matrix` turns it by r so it shows upright (§12.5.5).
pub(crate) fn form(
    image: lopdf::ObjectId,
    bbox: (f64, f64),
    w: f64,
    h: f64,
    shift: (f64, f64),
    rotate: i64,
) -> Stream {
    let mut xobjects = Dictionary::new();
    xobjects.set("Im0", Object::Reference(image));
    let mut res = Dictionary::new();
    res.set("XObject", Object::Dictionary(xobjects));
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Form".to_vec()));
    d.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), real(bbox.0), real(bbox.1)]),
    );
    d.set("Resources", Object::Dictionary(res));
    let (c, s) = match rotate.rem_euclid(360) {
        90 => (0, 1),
        180 => (-1, 0),
        270 => (0, -1),
        _ => (1, 0),
    };
    if (c, s) != (1, 0) {
        d.set(
            "Matrix",
            Object::Array(vec![
                c.into(),
                s.into(),
                (-s).into(),
                c.into(),
                0.into(),
                0.into(),
            ]),
        );
    }
    let content = format!(
        "q {} 0 0 {} {} {} cm /Im0 Do Q",
        format_real(w),
        format_real(h),
        format_real(-shift.0),
        format_real(-shift.1)
    );
    Stream::new(d, content.into_bytes())
}

/// An empty appearance (invisible signature widgets still carry one for PDF/A friendliness).
pub(crate) fn empty_form() -> Stream {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Form".to_vec()));
    d.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    Stream::new(d, Vec::new())
}

pub(crate) fn real(v: f64) -> Object {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        Object::Integer(v as i64)
    } else {
        Object::Real(v as f32)
    }
}
