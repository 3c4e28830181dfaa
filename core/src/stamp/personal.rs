//! Personal signature seals: the manual's 方形章 (square) and 长方形章 (rectangular), and the
//! rectangular 法人章 (法定代表人名章) that goes with a square 财务专用章 as a bank's 预留印鉴.
//!
//! # Conventions followed
//!
//! | dimension | rule |
//! | --- | --- |
//! | square size | 20 mm × 20 mm by default; the seal shops' name-seal sizes are 18, 20, 22 and 25 mm square (法人章 18 or 20 mm); any 8–60 mm |
//! | square layout | four characters in 2 × 2, read in the traditional order: right column top to bottom, then left column (the grid of [`super::square`]). A two-character name gets 之印 (张三之印), a three-character name gets 印 (王小明印), four characters are used as they are |
//! | rectangle | the name in one line, left to right; height 10 mm by default, width from the name |
//! | 法人章 (rectangular) | the rectangle with 印 after the name (王小明印) unless it already ends in 印 |
//! | border | optional frame 5 % of the square's side (8 % of the rectangle's height) wide; a margin of the same width inside it |
//! | characters | fill their cell (gap between cells 4 % of the side); stroked by 6 % of the cell height so the impression is heavy like a carved seal |

use super::canvas::{Drawing, Quad};
use super::font::{SealFont, draw_glyph};
use super::official::clean_text;
use super::square::{BOLD, column_counts, frame, grid};
use super::{Picture, Result, Rgba, StampError, check_mm};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalShape {
    /// 方形章: 2 × 2 characters.
    Square,
    /// 长方形章: the name in one line.
    Rectangle,
    /// 法人章, rectangular: the name and 印 in one line.
    LegalRect,
}

impl PersonalShape {
    pub fn from_key(s: &str) -> Result<Self> {
        match s {
            "square" | "方形章" => Ok(PersonalShape::Square),
            "rect" | "rectangle" | "长方形章" => Ok(PersonalShape::Rectangle),
            "legal" | "法人章" => Ok(PersonalShape::LegalRect),
            _ => Err(StampError::BadText(format!(
                "unknown shape {s:?} (square, rect, legal)"
            ))),
        }
    }
}

/// A personal seal.
#[derive(Debug, Clone)]
pub struct PersonalSeal {
    pub shape: PersonalShape,
    pub name: String,
    pub border: bool,
    /// Square: the side; rectangle: the height. `None` = 20 mm / 10 mm.
    pub size_mm: Option<f32>,
    pub dpi: f32,
    pub color: Rgba,
    pub font: Option<SealFont>,
}

/// Where the characters went (mm).
#[derive(Debug, Clone)]
pub struct PersonalLayout {
    pub drawing: Drawing,
    /// The characters in reading order and their ink boxes.
    pub text: Vec<char>,
    pub boxes: Vec<Quad>,
    /// Inner edge of the frame, if any.
    pub frame_inner: Option<Quad>,
}

impl PersonalSeal {
    pub fn new(shape: PersonalShape, name: &str) -> Self {
        PersonalSeal {
            shape,
            name: name.to_string(),
            border: true,
            size_mm: None,
            dpi: 300.0,
            color: Rgba::SEAL_RED,
            font: None,
        }
    }

    pub fn render(&self) -> Result<Picture> {
        self.layout()?.drawing.render(self.dpi)
    }

    /// The text actually engraved (with 之印 / 印 for square seals).
    pub fn engraved_text(&self) -> Result<Vec<char>> {
        let name = clean_text("name", &self.name, 12)?;
        Ok(match self.shape {
            PersonalShape::Square => match name.len() {
                2 => name.into_iter().chain(['之', '印']).collect(),
                3 => name.into_iter().chain(['印']).collect(),
                4 => name,
                n => {
                    return Err(StampError::BadText(format!(
                        "a square seal takes a name of 2 to 4 characters, not {n}; use the rectangular seal"
                    )));
                }
            },
            PersonalShape::Rectangle | PersonalShape::LegalRect => {
                let mut name = name;
                if self.shape == PersonalShape::LegalRect && name.last() != Some(&'印') {
                    name.push('印');
                }
                if name.len() > 10 {
                    return Err(StampError::BadText(
                        "a rectangular seal takes at most 10 characters".into(),
                    ));
                }
                name
            }
        })
    }

    pub fn layout(&self) -> Result<PersonalLayout> {
        let font = match &self.font {
            Some(f) => f.clone(),
            None => SealFont::system_default()?,
        };
        let text = self.engraved_text()?;
        let glyphs = text
            .iter()
            .map(|&c| font.glyph(c))
            .collect::<Result<Vec<_>>>()?;
        match self.shape {
            PersonalShape::Square => {
                let side = self.size_mm.unwrap_or(20.0);
                check_mm("square seal side", side, 8.0, 60.0)?;
                let mut d = Drawing::new(side, side, self.color);
                let bw = 0.05 * side;
                let mut inset = bw; // margin
                let mut frame_inner = None;
                if self.border {
                    frame(&mut d, side, side, bw)?;
                    frame_inner = Some(Quad::rect(bw, bw, side - bw, side - bw));
                    inset += bw;
                }
                let area = Quad::rect(inset, inset, side - inset, side - inset);
                let boxes = grid(&mut d, &glyphs, &area, &column_counts(4, 2), 0.04 * side)?;
                Ok(PersonalLayout {
                    drawing: d,
                    text,
                    boxes,
                    frame_inner,
                })
            }
            PersonalShape::Rectangle | PersonalShape::LegalRect => {
                let h = self.size_mm.unwrap_or(10.0);
                check_mm("rectangular seal height", h, 5.0, 40.0)?;
                let bw = 0.08 * h;
                let inset = if self.border { 2.0 * bw } else { bw };
                let ch = h - 2.0 * inset;
                let units: f32 = glyphs.iter().map(|g| g.advance).sum();
                let gap = 0.12 * 0.9 * ch;
                let text_w = units * 0.9 * ch + gap * (glyphs.len() as f32 - 1.0);
                let w = text_w + 2.0 * inset + 2.0 * bw;
                let mut d = Drawing::new(w, h, self.color);
                let mut frame_inner = None;
                if self.border {
                    frame(&mut d, w, h, bw)?;
                    frame_inner = Some(Quad::rect(bw, bw, w - bw, h - bw));
                }
                let mut x = inset + bw;
                let mut boxes = Vec::new();
                for g in &glyphs {
                    let cw = g.advance * 0.9 * ch;
                    boxes.push(draw_glyph(
                        &mut d,
                        g,
                        x + cw / 2.0,
                        h / 2.0,
                        cw,
                        ch,
                        0.0,
                        BOLD * ch,
                    )?);
                    x += cw + gap;
                }
                Ok(PersonalLayout {
                    drawing: d,
                    text,
                    boxes,
                    frame_inner,
                })
            }
        }
    }
}
