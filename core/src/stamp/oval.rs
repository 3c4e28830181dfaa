//! Oval seals (椭圆形印章): the invoice seal 发票专用章 and the wider 财务/合同 ovals.
//!
//! # Conventions followed
//!
//! Source for the invoice seal: 国家税务总局关于发票专用章式样有关问题的公告 (国家税务总局公告
//! 2011年第7号): "发票专用章的形状为椭圆形，长轴为40mm，短轴为30mm，边宽1mm，印色为红色。
//! 发票专用章中央刊纳税人识别号；外刊纳税人名称，自左而右环行……；下刊'发票专用章'字样……
//! '发票专用章'字样字高4.6mm、字宽3mm；纳税人名称字高4.2mm、字宽根据名称字数确定；纳税人
//! 识别号数字为Arial体，数字字高为3.7mm，字宽为1.3mm。" The 45 × 30 mm ovals of 财务专用章 and
//! 合同专用章 are seal-shop practice: the same text sizes on a wider oval with a 1.2 mm edge.
//!
//! | dimension | rule |
//! | --- | --- |
//! | outline | ellipse 40 × 30 mm, edge 1.0 mm (发票专用章); 45 × 30 mm, edge 1.2 mm (wide) |
//! | name | on the upper arc, 自左而右环行, upright with the foot towards the centre; 4.2 mm high, 3.0 mm wide at most (0.71 × height), a gap of 12 % of the width measured on the band's inner edge; the band starts 0.5 mm inside the edge; the arc ends 0.4 mm above the middle line (or the bottom text when there is none); narrowed down to 0.42 × height, then shrunk in height too, when the name is long |
//! | middle line | 纳税人识别号 (or any short line): horizontal across the centre, 3.7 mm high, 1.3 mm wide a character, gap 0.15 mm |
//! | bottom text | "发票专用章" (财务专用章, 合同专用章, …): horizontal, 4.6 mm high, 3.0 mm wide a character, its top 1.2 mm below the middle line (2.0 mm below the centre without one) |
//! | colour | seal red on a transparent background |

use super::canvas::{Drawing, Quad};
use super::font::{Glyph, SealFont, draw_glyph};
use super::official::clean_text;
use super::{Picture, Result, Rgba, StampError};

/// The oval sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OvalKind {
    /// 发票专用章: 40 × 30 mm, 1.0 mm edge.
    Invoice,
    /// 财务专用章 / 合同专用章 ovals: 45 × 30 mm, 1.2 mm edge.
    Wide,
}

impl OvalKind {
    /// (width, height, edge) in mm.
    pub fn dimensions(self) -> (f32, f32, f32) {
        match self {
            OvalKind::Invoice => (40.0, 30.0, 1.0),
            OvalKind::Wide => (45.0, 30.0, 1.2),
        }
    }
}

const NAME_HEIGHT: f32 = 4.2;
const NAME_WIDTH: f32 = 3.0;
const NAME_GAP: f32 = 0.5;
const MIN_WIDTH_RATIO: f32 = 0.42;
const GAP_RATIO: f32 = 0.12;
const MIDDLE_HEIGHT: f32 = 3.7;
const MIDDLE_WIDTH: f32 = 1.3;
const MIDDLE_GAP: f32 = 0.15;
const BOTTOM_HEIGHT: f32 = 4.6;
const BOTTOM_WIDTH: f32 = 3.0;
const BOLD: f32 = 0.05;

/// An oval seal.
#[derive(Debug, Clone)]
pub struct OvalSeal {
    pub kind: OvalKind,
    /// 纳税人名称 / unit name along the upper arc.
    pub name: String,
    /// 纳税人识别号 across the centre (15–20 characters for an invoice seal).
    pub middle: Option<String>,
    /// "发票专用章", "财务专用章", …
    pub bottom: String,
    pub dpi: f32,
    pub color: Rgba,
    /// Font; `None` uses [`SealFont::system_default`].
    pub font: Option<SealFont>,
}

/// Where everything went, in mm.
#[derive(Debug, Clone)]
pub struct OvalLayout {
    pub drawing: Drawing,
    pub center: (f32, f32),
    /// Semi-axes of the outline.
    pub axes: (f32, f32),
    /// Semi-axes of the edge's inner side.
    pub inner_axes: (f32, f32),
    pub name_boxes: Vec<Quad>,
    pub name_width_ratio: f32,
    pub middle_boxes: Vec<Quad>,
    pub bottom_boxes: Vec<Quad>,
}

impl OvalSeal {
    /// 发票专用章 of a taxpayer: name, taxpayer identification number.
    pub fn invoice(name: &str, taxpayer_id: &str) -> Self {
        OvalSeal {
            kind: OvalKind::Invoice,
            name: name.into(),
            middle: Some(taxpayer_id.into()),
            bottom: "发票专用章".into(),
            dpi: 300.0,
            color: Rgba::SEAL_RED,
            font: None,
        }
    }

    /// A 45 × 30 mm oval (财务专用章, 合同专用章, …).
    pub fn wide(name: &str, bottom: &str) -> Self {
        OvalSeal {
            kind: OvalKind::Wide,
            name: name.into(),
            middle: None,
            bottom: bottom.into(),
            dpi: 300.0,
            color: Rgba::SEAL_RED,
            font: None,
        }
    }

    pub fn render(&self) -> Result<Picture> {
        self.layout()?.drawing.render(self.dpi)
    }

    pub fn layout(&self) -> Result<OvalLayout> {
        let font = match &self.font {
            Some(f) => f.clone(),
            None => SealFont::system_default()?,
        };
        let name = clean_text("name", &self.name, 40)?;
        let bottom = clean_text("bottom text", &self.bottom, 10)?;
        let middle = match self.middle.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => Some(clean_text("middle line", m, 24)?),
            _ => None,
        };
        let glyphs = |chars: &[char]| {
            chars
                .iter()
                .map(|&c| font.glyph(c))
                .collect::<Result<Vec<Glyph>>>()
        };
        let (w, h, edge) = self.kind.dimensions();
        let (a, b) = (w / 2.0, h / 2.0);
        let (cx, cy) = (a, b);
        let mut d = Drawing::new(w, h, self.color);
        let oval = |ra: f32, rb: f32| {
            tiny_skia::Rect::from_xywh(cx - ra, cy - rb, 2.0 * ra, 2.0 * rb)
                .ok_or_else(|| StampError::BadSize("oval".into()))
        };
        let mut pb = tiny_skia::PathBuilder::new();
        pb.push_oval(oval(a, b)?);
        pb.push_oval(oval(a - edge, b - edge)?);
        d.fill_even_odd(
            pb.finish()
                .ok_or_else(|| StampError::BadSize("edge".into()))?,
        );
        let (ia, ib) = (a - edge, b - edge);

        // Middle line across the centre.
        let mut middle_boxes = Vec::new();
        let line = |d: &mut Drawing, gs: &[Glyph], top: f32, cw: f32, ch: f32, gap: f32| {
            let total = gs.len() as f32 * (cw + gap) - gap;
            let mut x = cx - total / 2.0 + cw / 2.0;
            let mut boxes = Vec::new();
            for g in gs {
                boxes.push(draw_glyph(d, g, x, top + ch / 2.0, cw, ch, 0.0, BOLD * cw)?);
                x += cw + gap;
            }
            Ok::<_, StampError>(boxes)
        };
        let mut limit = cy; // the name's arc ends above this
        let bottom_top = match &middle {
            Some(m) => {
                let top = cy - MIDDLE_HEIGHT / 2.0;
                middle_boxes = line(
                    &mut d,
                    &glyphs(m)?,
                    top,
                    MIDDLE_WIDTH,
                    MIDDLE_HEIGHT,
                    MIDDLE_GAP,
                )?;
                limit = top;
                cy + MIDDLE_HEIGHT / 2.0 + 1.2
            }
            None => cy + 2.0,
        };
        if middle.is_none() {
            limit = bottom_top;
        }
        let gb = glyphs(&bottom)?;
        let bottom_boxes = line(
            &mut d,
            &gb,
            bottom_top,
            BOTTOM_WIDTH,
            BOTTOM_HEIGHT,
            GAP_RATIO * BOTTOM_WIDTH,
        )?;

        // The name along the upper arc: glyph centres on an ellipse `NAME_GAP + nh/2` inside
        // the edge, spacing measured on the band's inner edge.
        let gn = glyphs(&name)?;
        let n = gn.len() as f32;
        let mut nh = NAME_HEIGHT;
        let mut ratio = NAME_WIDTH / NAME_HEIGHT;
        let inner = |nh: f32| (ia - NAME_GAP - nh, ib - NAME_GAP - nh);
        // Largest parameter angle t (from the top) whose glyph stays above `limit − 0.4`.
        let t_max = |nh: f32| {
            let cb = ib - NAME_GAP - nh / 2.0;
            let mut t = 0.0f32;
            while t < 1.6 && cy - cb * t.cos() + 0.75 * nh < limit - 0.4 {
                t += 0.005;
            }
            t
        };
        // Arc length along the inner edge from the top to parameter t.
        let arc = |ea: f32, eb: f32, t: f32| {
            let steps = 200;
            let dt = t / steps as f32;
            (0..steps)
                .map(|i| {
                    let u = (i as f32 + 0.5) * dt;
                    (ea * u.cos()).hypot(eb * u.sin()) * dt
                })
                .sum::<f32>()
        };
        let pitch_units = n * (1.0 + GAP_RATIO);
        let available = |nh: f32| {
            let (ea, eb) = inner(nh);
            2.0 * arc(ea, eb, t_max(nh))
        };
        if pitch_units * ratio * nh > available(nh) {
            ratio = available(nh) / (pitch_units * nh);
            if ratio < MIN_WIDTH_RATIO {
                ratio = MIN_WIDTH_RATIO;
                while nh > 1.5 && pitch_units * ratio * nh > available(nh) {
                    nh -= 0.05;
                }
            }
        }
        let (ea, eb) = inner(nh);
        let (ca, cb) = (ia - NAME_GAP - nh / 2.0, ib - NAME_GAP - nh / 2.0);
        let cw = ratio * nh;
        // Short names are spread over at least 60 % of the arc available.
        let natural = pitch_units * cw;
        let total = natural
            .max(0.6 * available(nh))
            .min(available(nh).max(natural));
        let pitch = total / n;
        // Parameter t of an arc length s (signed, from the top) on the inner edge.
        let t_of = |s: f32| {
            let (mut lo, mut hi) = (0.0f32, std::f32::consts::PI);
            for _ in 0..40 {
                let mid = (lo + hi) / 2.0;
                if arc(ea, eb, mid) < s.abs() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo.copysign(s)
        };
        let mut name_boxes = Vec::new();
        for (i, g) in gn.iter().enumerate() {
            let s = -total / 2.0 + (i as f32 + 0.5) * pitch;
            let t = t_of(s);
            let (x, y) = (cx + ca * t.sin(), cy - cb * t.cos());
            // The outward normal of the ellipse at t: (sin t / a, −cos t / b).
            let rot = (t.sin() / ca).atan2(t.cos() / cb).to_degrees();
            name_boxes.push(draw_glyph(
                &mut d,
                g,
                x,
                y,
                cw,
                nh,
                rot,
                BOLD * nh.min(1.6 * cw / g.advance.max(0.1)),
            )?);
        }
        Ok(OvalLayout {
            drawing: d,
            center: (cx, cy),
            axes: (a, b),
            inner_axes: (ia, ib),
            name_boxes,
            name_width_ratio: ratio,
            middle_boxes,
            bottom_boxes,
        })
    }
}
