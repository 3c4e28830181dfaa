//! Square unit seals (方章): the square 财务专用章, and the column grid every square seal uses
//! (the personal 方形章 too).
//!
//! # Conventions followed
//!
//! The 1999 State Council rules (国发〔1999〕25号) make a unit's own seal round; a square
//! 财务专用章 is the other shape banks accept as a 预留印鉴. The public-security seal shops
//! write its sizes as "方形: 22×22 mm 或 25×25 mm" (圆形 38 mm, 椭圆 45×30 mm: see
//! [`super::official`] and [`super::oval`]), in 宋体, with the unit name followed by
//! 财务专用章.
//!
//! | dimension | rule |
//! | --- | --- |
//! | size | 22 × 22 mm by default, 25 × 25 mm the other written size; any 15–40 mm accepted |
//! | frame | 5 % of the side wide (1.1 mm at 22 mm), along the edge; a margin of the same width inside it |
//! | text | the unit name followed by 财务专用章 (or another bottom text), one continuous text |
//! | reading order | the traditional one: the right column first, each column top to bottom, then the next column to the left |
//! | grid | the number of columns that makes the cells closest to square (`c ≈ √n`); the characters are shared out evenly, the right-hand columns taking one more when they do not divide; every character fills its cell (a column with fewer characters has taller ones, as engraved seals do) |
//! | gaps | 4 % of the side between cells, both ways |
//! | characters | stroked by 6 % of the smaller side of the cell (carved weight) |

use super::canvas::{Drawing, Quad};
use super::font::{Glyph, SealFont, draw_glyph};
use super::official::clean_text;
use super::{Picture, Result, Rgba, StampError, check_mm};

/// Frame width and inner margin, as a fraction of the side.
pub(crate) const FRAME_RATIO: f32 = 0.05;
/// Gap between cells, as a fraction of the side.
pub(crate) const GAP_RATIO: f32 = 0.04;
/// Stroke that emboldens a character, as a fraction of its cell's smaller side.
pub(crate) const BOLD: f32 = 0.06;
/// Most characters a square unit seal takes (30 at 22 mm are cells of 3 mm).
const MAX_CHARS: usize = 30;

/// A square unit seal: 方形财务专用章 and the like.
#[derive(Debug, Clone)]
pub struct SquareSeal {
    /// 单位名称.
    pub name: String,
    /// What follows the name: 财务专用章 (default), 合同专用章, …; may be empty.
    pub bottom: String,
    /// Side in mm; 22 (default) or 25 are the written sizes.
    pub size_mm: f32,
    pub dpi: f32,
    pub color: Rgba,
    /// Font; `None` uses [`SealFont::system_default`].
    pub font: Option<SealFont>,
}

/// Where everything went, in mm.
#[derive(Debug, Clone)]
pub struct SquareLayout {
    pub drawing: Drawing,
    /// The engraved text in reading order, and each character's ink box.
    pub text: Vec<char>,
    pub boxes: Vec<Quad>,
    /// How many characters each column holds, right to left.
    pub columns: Vec<usize>,
    /// Inner edge of the frame.
    pub frame_inner: Quad,
}

impl SquareSeal {
    /// 方形财务专用章, 22 × 22 mm.
    pub fn finance(name: &str) -> Self {
        SquareSeal {
            name: name.into(),
            bottom: "财务专用章".into(),
            size_mm: 22.0,
            dpi: 300.0,
            color: Rgba::SEAL_RED,
            font: None,
        }
    }

    pub fn render(&self) -> Result<Picture> {
        self.layout()?.drawing.render(self.dpi)
    }

    /// The engraved text: the name, then the bottom text.
    pub fn engraved_text(&self) -> Result<Vec<char>> {
        let mut text = clean_text("unit name", &self.name, MAX_CHARS)?;
        if !self.bottom.trim().is_empty() {
            text.extend(clean_text("bottom text", &self.bottom, 10)?);
        }
        if text.len() > MAX_CHARS {
            return Err(StampError::BadText(format!(
                "a square seal takes at most {MAX_CHARS} characters, not {}",
                text.len()
            )));
        }
        Ok(text)
    }

    pub fn layout(&self) -> Result<SquareLayout> {
        let side = self.size_mm;
        check_mm("square seal side", side, 15.0, 40.0)?;
        let font = match &self.font {
            Some(f) => f.clone(),
            None => SealFont::system_default()?,
        };
        let text = self.engraved_text()?;
        let glyphs = text
            .iter()
            .map(|&c| font.glyph(c))
            .collect::<Result<Vec<_>>>()?;
        let mut d = Drawing::new(side, side, self.color);
        let bw = FRAME_RATIO * side;
        frame(&mut d, side, side, bw)?;
        let inset = 2.0 * bw;
        let area = Quad::rect(inset, inset, side - inset, side - inset);
        let columns = column_counts(text.len(), square_columns(text.len()));
        let boxes = grid(&mut d, &glyphs, &area, &columns, GAP_RATIO * side)?;
        Ok(SquareLayout {
            drawing: d,
            text,
            boxes,
            columns,
            frame_inner: Quad::rect(bw, bw, side - bw, side - bw),
        })
    }
}

/// The number of columns for `n` characters in a square: the one whose fullest column gives
/// the most nearly square cells (`c` columns of `⌈n / c⌉` rows); fewer columns on a tie.
pub(crate) fn square_columns(n: usize) -> usize {
    (1..=n.max(1))
        .min_by(|&a, &b| {
            let skew = |c: usize| ((n.div_ceil(c) as f32) / c as f32).ln().abs();
            skew(a).total_cmp(&skew(b))
        })
        .unwrap_or(1)
}

/// `n` characters shared out over `c` columns, right to left: as even as possible, the
/// right-hand columns taking the extra ones.
pub(crate) fn column_counts(n: usize, c: usize) -> Vec<usize> {
    let c = c.clamp(1, n.max(1));
    (0..c).map(|i| n / c + usize::from(i < n % c)).collect()
}

/// Draws `glyphs` into `area` in columns (`counts`, right to left), each column read top to
/// bottom; `gap` mm between cells both ways. Returns the ink boxes in reading order.
pub(crate) fn grid(
    d: &mut Drawing,
    glyphs: &[Glyph],
    area: &Quad,
    counts: &[usize],
    gap: f32,
) -> Result<Vec<Quad>> {
    let (x0, y0) = area.0[0];
    let (x1, y1) = area.0[2];
    let c = counts.len() as f32;
    let cw = (x1 - x0 - gap * (c - 1.0)) / c;
    if cw <= 0.0 {
        return Err(StampError::BadSize("too many columns for the seal".into()));
    }
    let mut boxes = Vec::with_capacity(glyphs.len());
    let mut it = glyphs.iter();
    for (col, &k) in counts.iter().enumerate() {
        let ch = (y1 - y0 - gap * (k as f32 - 1.0)) / k as f32;
        if ch <= 0.0 {
            return Err(StampError::BadSize("too many rows for the seal".into()));
        }
        let cx = x1 - cw / 2.0 - col as f32 * (cw + gap);
        for row in 0..k {
            let g = it
                .next()
                .ok_or_else(|| StampError::BadText("fewer characters than cells".into()))?;
            let cy = y0 + ch / 2.0 + row as f32 * (ch + gap);
            boxes.push(draw_glyph(d, g, cx, cy, cw, ch, 0.0, BOLD * cw.min(ch))?);
        }
    }
    Ok(boxes)
}

/// A rectangular frame `bw` wide along the picture's edge.
pub(crate) fn frame(d: &mut Drawing, w: f32, h: f32, bw: f32) -> Result<()> {
    let mut pb = tiny_skia::PathBuilder::new();
    let outer = tiny_skia::Rect::from_ltrb(0.0, 0.0, w, h);
    let inner = tiny_skia::Rect::from_ltrb(bw, bw, w - bw, h - bw);
    match (outer, inner) {
        (Some(o), Some(i)) => {
            pb.push_rect(o);
            pb.push_rect(i);
        }
        _ => return Err(StampError::BadSize(format!("frame {w}×{h} mm"))),
    }
    d.fill_even_odd(
        pb.finish()
            .ok_or_else(|| StampError::BadSize("frame".into()))?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_near_square_and_even() {
        assert_eq!(square_columns(4), 2);
        assert_eq!(square_columns(13), 4);
        assert_eq!(square_columns(9), 3);
        assert_eq!(column_counts(13, 4), vec![4, 3, 3, 3]);
        assert_eq!(column_counts(4, 2), vec![2, 2]);
        assert_eq!(column_counts(3, 2), vec![2, 1]);
    }
}
