//! Cross-page seals (骑缝章): one picture cut into N vertical slices, slice i going onto page
//! i at the edge, so the pages side by side show the whole seal.

use super::{Picture, Result, StampError};
use image::imageops;

/// Most slices accepted (one a page).
pub const MAX_SLICES: u32 = 200;

/// Cuts `pic` into `n` vertical slices of (nearly) equal width, left to right. Column `x`
/// goes to slice `i` when `round(i·W/n) ≤ x < round((i+1)·W/n)`; each slice's physical width
/// is its share of the picture's.
pub fn vertical_slices(pic: &Picture, n: u32) -> Result<Vec<Picture>> {
    if n == 0 || n > MAX_SLICES {
        return Err(StampError::BadSize(format!(
            "{n} slices; 1..={MAX_SLICES} accepted"
        )));
    }
    let img = pic.to_rgba()?;
    let w = img.width();
    if n > w {
        return Err(StampError::BadSize(format!(
            "{n} slices of a {w}-pixel-wide picture"
        )));
    }
    let edge = |i: u32| ((i as u64 * w as u64 + n as u64 / 2) / n as u64) as u32;
    (0..n)
        .map(|i| {
            let (x0, x1) = (edge(i), edge(i + 1));
            let part = imageops::crop_imm(&img, x0, 0, x1 - x0, img.height()).to_image();
            let mut p = Picture::from_rgba(&part, pic.dpi)?;
            p.width_mm = pic.width_mm * (x1 - x0) as f32 / w as f32;
            p.height_mm = pic.height_mm;
            Ok(p)
        })
        .collect()
}
