//! Generated round official seals (公章): the four "自动生成" styles of the platform manual.
//!
//! # Conventions followed
//!
//! Sources: 国务院关于国家行政机关和企业事业单位社会团体印章管理的规定 (国发〔1999〕25号); the
//! specifications the public-security seal shops publish for enterprise, Party and trade-union
//! seals; 中华全国总工会《关于工会组织印章的规定》(1978); 共青团中央《关于各级团组织印章问题的
//! 规定》((79)中青字第10号). All sizes below are for the default 42 mm diameter and scale with
//! the diameter (`k = diameter / 42`).
//!
//! | dimension | rule |
//! | --- | --- |
//! | diameter | 42 mm (4.2 cm: enterprises, Party committees, trade unions); any 20–80 mm accepted. The other written diameters: 38 mm (个体、私营企业; 有限责任公司的专用章), 40 mm (有限责任公司; 专用章), 45 mm and 50 mm (larger organs' seals), 58 mm (工商企业合同专用章, 圆边宽 0.15 cm), 60 mm |
//! | outer ring | 普通公章 1.2 mm at 42 mm (圆边宽 0.12 cm), 1.0 mm at 38 and 40 mm (0.1 cm), 1.5 mm at 58 mm (0.15 cm), linear between those sizes and scaled beyond them; 党纪委 1.0 mm; 工会 1.0 mm thick ring **plus** a 0.1 mm thin inner line 0.5 mm inside it (外粗内细双边); 共青团 1.5 mm (圆边宽 0.15 cm) |
//! | centre emblem | 普通公章 and 工会: solid five-pointed star, tip up, 14 mm across the tips (星尖直径 1.4 cm; the 1978 union rule gives 1.4 cm too); 党纪委: hammer and sickle (镰刀锤头) in a 14 mm circle; 共青团: solid star 6.5 mm (6 mm at 40 mm, 7 mm at 44 mm) with a single horizontal bar on each side (9–10 mm long, "星两旁刊单横线") |
//! | unit name | on the upper arc, 自左而右环行: reading left to right, clockwise, each character upright with its foot towards the centre; 宋体 |
//! | name band | starts 0.8 mm inside the ring (inside the thin line for 工会); characters 6.0 mm high (radially) |
//! | name arc | characters keep a width of 0.9 × height and a gap of 12 % of the width, measured on the band's inner edge (so neighbours never touch at their feet); short names are spread over at least `min(30°·n + 30°, 180°)`; the arc grows with the name up to 250° (共青团: 200°, the arc stays above the bars; with a seal code: 360° − code arc − 2 × 12°) |
//! | compression | when the name does not fit the largest arc, the characters are narrowed (长宋) down to 0.42 × height; beyond that the height shrinks too, keeping that ratio, so 30 characters still fit without touching |
//! | bottom line | optional (合同专用章, 财务专用章, …; `\n` for a second line, as 共青团 seals have): horizontal, 自左而右横行, its top 6.3 mm below the centre (7.4 mm under the hammer and sickle, 3.6 mm under the 共青团 bars), characters 4.2 mm high (0.9 × height wide); narrowed when the chord or the name's ends leave less room |
//! | seal code | optional (the 13-digit 印章编码): along the lower arc 0.6 mm inside the ring, reading left to right, characters upright with their heads towards the centre, 2.2 mm high; the arc is at most 110° (characters narrowed beyond) |
//! | colour | seal red on a transparent background |
//! | emboldening | glyph outlines are stroked by 5 % of the character height, or of 1.6 × its width when narrowed (engraved characters are heavier than screen Song; narrow ones would clog) |

use super::canvas::{Drawing, Quad, circle, polygon};
use super::font::{Glyph, SealFont, draw_glyph};
use super::{Picture, Result, Rgba, StampError, check_mm};
use std::f32::consts::PI;

/// The four generated styles of the manual (党纪委公章、普通公章、工会公章、共青团章).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfficialStyle {
    /// 普通公章: star in the centre.
    Common,
    /// 党纪委公章: hammer and sickle in the centre.
    PartyDiscipline,
    /// 工会公章: star, double ring (thick outside, thin inside).
    TradeUnion,
    /// 共青团章: small star with a bar on each side, text above and below.
    YouthLeague,
}

impl OfficialStyle {
    pub const ALL: [OfficialStyle; 4] = [
        OfficialStyle::Common,
        OfficialStyle::PartyDiscipline,
        OfficialStyle::TradeUnion,
        OfficialStyle::YouthLeague,
    ];

    /// Short name used by the CLI and file names.
    pub fn key(self) -> &'static str {
        match self {
            OfficialStyle::Common => "common",
            OfficialStyle::PartyDiscipline => "party",
            OfficialStyle::TradeUnion => "union",
            OfficialStyle::YouthLeague => "youth",
        }
    }

    pub fn from_key(s: &str) -> Result<Self> {
        OfficialStyle::ALL
            .into_iter()
            .find(|st| st.key() == s || st.chinese() == s)
            .ok_or_else(|| {
                StampError::BadText(format!("unknown style {s:?} (common, party, union, youth)"))
            })
    }

    pub fn chinese(self) -> &'static str {
        match self {
            OfficialStyle::Common => "普通公章",
            OfficialStyle::PartyDiscipline => "党纪委公章",
            OfficialStyle::TradeUnion => "工会公章",
            OfficialStyle::YouthLeague => "共青团章",
        }
    }

    fn spec(self) -> Spec {
        let base = Spec {
            ring: 1.2,
            thin_line: None,
            emblem: Emblem::Star { across: 14.0 },
            max_arc_deg: 250.0,
            bottom_top: 6.3,
        };
        match self {
            OfficialStyle::Common => base,
            OfficialStyle::PartyDiscipline => Spec {
                ring: 1.0,
                emblem: Emblem::HammerSickle { across: 14.0 },
                bottom_top: 7.4,
                ..base
            },
            OfficialStyle::TradeUnion => Spec {
                ring: 1.0,
                thin_line: Some((0.5, 0.1)),
                ..base
            },
            OfficialStyle::YouthLeague => Spec {
                ring: 1.5,
                emblem: Emblem::StarBars {
                    across: 6.5,
                    bar: 9.5,
                    bar_width: 0.6,
                    gap: 0.8,
                },
                max_arc_deg: 200.0,
                bottom_top: 3.6,
                ..base
            },
        }
    }
}

/// Dimensions at 42 mm (see the table in the module docs).
#[derive(Debug, Clone, Copy)]
struct Spec {
    ring: f32,
    /// (gap inside the ring, width) of the thin inner line.
    thin_line: Option<(f32, f32)>,
    emblem: Emblem,
    max_arc_deg: f32,
    /// Distance from the centre down to the top of the bottom line.
    bottom_top: f32,
}

#[derive(Debug, Clone, Copy)]
enum Emblem {
    Star {
        across: f32,
    },
    HammerSickle {
        across: f32,
    },
    StarBars {
        across: f32,
        bar: f32,
        bar_width: f32,
        gap: f32,
    },
}

const NAME_HEIGHT: f32 = 6.0;
const NAME_RING_GAP: f32 = 0.8;
const WIDTH_RATIO: f32 = 0.9;
const MIN_WIDTH_RATIO: f32 = 0.42;
const GAP_RATIO: f32 = 0.12;
const BOTTOM_HEIGHT: f32 = 4.2;
const CODE_HEIGHT: f32 = 2.2;
const CODE_RING_GAP: f32 = 0.6;
const CODE_MAX_ARC_DEG: f32 = 110.0;
const CODE_NAME_MARGIN_DEG: f32 = 12.0;
const BOLD: f32 = 0.05;
const MAX_NAME_CHARS: usize = 40;

/// A generated official seal.
#[derive(Debug, Clone)]
pub struct OfficialSeal {
    pub style: OfficialStyle,
    /// 单位名称 along the upper arc.
    pub unit_name: String,
    /// Optional horizontal line(s) below the emblem (合同专用章 …); `\n` separates lines.
    pub bottom_text: Option<String>,
    /// Optional seal code (印章编码) along the lower arc.
    pub code: Option<String>,
    pub diameter_mm: f32,
    pub dpi: f32,
    pub color: Rgba,
    /// Font; `None` uses [`SealFont::system_default`].
    pub font: Option<SealFont>,
}

/// Where everything went, in millimetres (used by the tests and by anyone placing the seal).
#[derive(Debug, Clone)]
pub struct OfficialLayout {
    pub drawing: Drawing,
    pub center: (f32, f32),
    pub outer_radius: f32,
    /// Inner edge of the (outermost) ring.
    pub ring_inner_radius: f32,
    /// Box around the centre emblem.
    pub emblem: Quad,
    /// (inner, outer) radius of the name band.
    pub name_band: (f32, f32),
    pub name_boxes: Vec<Quad>,
    /// Character width / height of the name (1 − compression).
    pub name_width_ratio: f32,
    /// Arc covered by the name, degrees.
    pub name_arc_deg: f32,
    pub bottom_boxes: Vec<Quad>,
    /// (inner, outer) radius of the code band.
    pub code_band: Option<(f32, f32)>,
    pub code_boxes: Vec<Quad>,
}

impl OfficialSeal {
    /// A seal with the defaults: 42 mm, 300 DPI, seal red, system Song font.
    pub fn new(style: OfficialStyle, unit_name: &str) -> Self {
        OfficialSeal {
            style,
            unit_name: unit_name.to_string(),
            bottom_text: None,
            code: None,
            diameter_mm: 42.0,
            dpi: 300.0,
            color: Rgba::SEAL_RED,
            font: None,
        }
    }

    pub fn bottom_text(mut self, t: &str) -> Self {
        self.bottom_text = Some(t.to_string());
        self
    }

    pub fn code(mut self, c: &str) -> Self {
        self.code = Some(c.to_string());
        self
    }

    pub fn diameter_mm(mut self, d: f32) -> Self {
        self.diameter_mm = d;
        self
    }

    pub fn dpi(mut self, dpi: f32) -> Self {
        self.dpi = dpi;
        self
    }

    /// PNG (with SVG) of the seal.
    pub fn render(&self) -> Result<Picture> {
        self.layout()?.drawing.render(self.dpi)
    }

    /// Lays the seal out as vectors.
    pub fn layout(&self) -> Result<OfficialLayout> {
        check_mm("diameter", self.diameter_mm, 20.0, 80.0)?;
        let font = match &self.font {
            Some(f) => f.clone(),
            None => SealFont::system_default()?,
        };
        let name: Vec<char> = clean_text("unit name", &self.unit_name, MAX_NAME_CHARS)?;
        let code: Option<Vec<char>> = match self
            .code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(c) => Some(clean_text("seal code", c, 30)?),
            None => None,
        };
        let bottom_lines: Vec<Vec<char>> = match self
            .bottom_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => {
                let lines = t
                    .lines()
                    .map(|l| clean_text("bottom text", l, 20))
                    .collect::<Result<Vec<_>>>()?;
                if lines.len() > 2 {
                    return Err(StampError::BadText(
                        "bottom text has at most two lines".into(),
                    ));
                }
                lines
            }
            None => Vec::new(),
        };
        let spec = self.style.spec();
        let k = self.diameter_mm / 42.0;
        let r = self.diameter_mm / 2.0;
        let (cx, cy) = (r, r);
        let mut d = Drawing::new(self.diameter_mm, self.diameter_mm, self.color);

        // Ring(s): an even-odd annulus so the ring's outer edge is exactly the seal's edge.
        let ring = match self.style {
            OfficialStyle::Common => common_ring_mm(self.diameter_mm),
            _ => spec.ring * k,
        };
        let mut pb = tiny_skia::PathBuilder::new();
        pb.push_circle(cx, cy, r);
        pb.push_circle(cx, cy, r - ring);
        d.fill_even_odd(
            pb.finish()
                .ok_or_else(|| StampError::BadSize("ring".into()))?,
        );
        let mut inside = r - ring;
        if let Some((gap, width)) = spec.thin_line {
            let rl = r - ring - gap * k - width * k / 2.0;
            d.stroke(circle(cx, cy, rl)?, width * k);
            inside = rl - width * k / 2.0;
        }

        // Seal code along the lower arc.
        let glyphs = |chars: &[char]| {
            chars
                .iter()
                .map(|&c| font.glyph(c))
                .collect::<Result<Vec<Glyph>>>()
        };
        let mut code_boxes = Vec::new();
        let mut code_band = None;
        let mut code_arc = 0.0f32;
        if let Some(code) = &code {
            let gs = glyphs(code)?;
            let h = CODE_HEIGHT * k;
            let r_out = inside - CODE_RING_GAP * k;
            let r_in = r_out - h;
            let widths: Vec<f32> = gs.iter().map(|g| g.advance * h).collect();
            let natural: f32 = widths
                .iter()
                .map(|w| w * (1.0 + 2.0 * GAP_RATIO))
                .sum::<f32>()
                / r_in;
            let max = CODE_MAX_ARC_DEG.to_radians();
            let squeeze = if natural > max { max / natural } else { 1.0 };
            code_arc = natural * squeeze;
            // Left to right along the bottom: angles (from the top, clockwise) decrease from
            // 180° + arc/2 to 180° − arc/2; heads point to the centre.
            let mut along = 0.0;
            for (g, w) in gs.iter().zip(&widths) {
                let pitch = w * (1.0 + 2.0 * GAP_RATIO) * squeeze;
                let a = PI + code_arc / 2.0 - (along + pitch / 2.0) / r_in;
                along += pitch;
                let rc = r_in + h / 2.0;
                let (x, y) = (cx + rc * a.sin(), cy - rc * a.cos());
                code_boxes.push(draw_glyph(
                    &mut d,
                    g,
                    x,
                    y,
                    w * squeeze,
                    h,
                    a.to_degrees() - 180.0,
                    BOLD * h,
                )?);
            }
            code_band = Some((r_in, r_out));
        }

        // Unit name along the upper arc.
        let gs = glyphs(&name)?;
        let r_top = inside - NAME_RING_GAP * k;
        let mut max_arc = spec.max_arc_deg.to_radians();
        if code.is_some() {
            max_arc = max_arc.min(2.0 * PI - code_arc - 2.0 * CODE_NAME_MARGIN_DEG.to_radians());
        }
        let units: f32 = gs.iter().map(|g| g.advance).sum(); // name length in character heights × width ratio
        let pitch_units = units * (1.0 + GAP_RATIO);
        let mut h = NAME_HEIGHT * k;
        let mut ratio = WIDTH_RATIO;
        if pitch_units * ratio * h / (r_top - h) > max_arc {
            // Narrow the characters to fit the largest arc …
            ratio = max_arc * (r_top - h) / (pitch_units * h);
            if ratio < MIN_WIDTH_RATIO {
                // … and below the narrowest width, shrink the height as well:
                // MIN·h·P = max_arc·(r_top − h)  ⇒  h = max_arc·r_top / (MIN·P + max_arc).
                ratio = MIN_WIDTH_RATIO;
                h = max_arc * r_top / (MIN_WIDTH_RATIO * pitch_units + max_arc);
            }
        }
        let r_in = r_top - h;
        let natural_arc = pitch_units * ratio * h / r_in;
        let min_arc = (30.0 * name.len() as f32 + 30.0).min(180.0).to_radians();
        let arc = natural_arc.max(min_arc.min(max_arc));
        let spread = arc / natural_arc; // ≥ 1: extra space shared between the characters
        let mut name_boxes = Vec::new();
        let mut along = 0.0;
        for g in &gs {
            let w = g.advance * ratio * h;
            let pitch = w * (1.0 + GAP_RATIO) * spread;
            let a = -arc / 2.0 + (along + pitch / 2.0) / r_in;
            along += pitch;
            let rc = r_in + h / 2.0;
            let (x, y) = (cx + rc * a.sin(), cy - rc * a.cos());
            name_boxes.push(draw_glyph(
                &mut d,
                g,
                x,
                y,
                w,
                h,
                a.to_degrees(),
                BOLD * h.min(1.6 * w / g.advance),
            )?);
        }

        // Centre emblem.
        let emblem = match spec.emblem {
            Emblem::Star { across } => {
                let rs = across * k / 2.0;
                d.fill(star(cx, cy, rs)?);
                // Tips at ±0.951 r (18° above the horizontal) and down to 0.809 r (cos 36°).
                Quad::rect(cx - 0.951 * rs, cy - rs, cx + 0.951 * rs, cy + 0.809 * rs)
            }
            Emblem::HammerSickle { across } => {
                let rs = across * k / 2.0;
                hammer_and_sickle(&mut d, cx, cy, rs)?;
                Quad::rect(cx - rs, cy - rs, cx + rs, cy + rs)
            }
            Emblem::StarBars {
                across,
                bar,
                bar_width,
                gap,
            } => {
                let rs = across * k / 2.0;
                d.fill(star(cx, cy, rs)?);
                // The bars end 0.6 mm short of the name band so the arc's ends stay clear.
                let x0 = rs + gap * k;
                let x1 = (x0 + bar * k).min(r_in - 0.6 * k);
                let bw = bar_width * k / 2.0;
                // The bars sit at the star's centre of area (a little below its geometric centre).
                let by = cy + rs * 0.1;
                d.fill(polygon(&[
                    (cx - x1, by - bw),
                    (cx - x0, by - bw),
                    (cx - x0, by + bw),
                    (cx - x1, by + bw),
                ])?);
                d.fill(polygon(&[
                    (cx + x0, by - bw),
                    (cx + x1, by - bw),
                    (cx + x1, by + bw),
                    (cx + x0, by + bw),
                ])?);
                Quad::rect(cx - x1, cy - rs, cx + x1, (cy + 0.809 * rs).max(by + bw))
            }
        };

        // Bottom line(s): horizontal, centred, below the emblem.
        let mut bottom_boxes = Vec::new();
        let limit_r = code_band.map(|b| b.0).unwrap_or(inside) - 0.6 * k;
        let mut top = cy + spec.bottom_top * k;
        for line in &bottom_lines {
            let gs = glyphs(line)?;
            let units: f32 =
                gs.iter().map(|g| g.advance).sum::<f32>() * (1.0 + GAP_RATIO) - GAP_RATIO;
            let mut bh = BOTTOM_HEIGHT * k;
            let mut ratio = WIDTH_RATIO;
            let mut placed = None;
            for _ in 0..60 {
                let below = top + bh - cy; // the line's foot, below the centre
                if below >= limit_r {
                    break;
                }
                let half_chord = (limit_r * limit_r - below * below).max(0.0).sqrt();
                let width = units * ratio * bh;
                if width / 2.0 <= half_chord {
                    let boxes = line_boxes(&gs, cx, top, bh, ratio);
                    if !boxes.iter().any(|b| {
                        name_boxes
                            .iter()
                            .chain(&code_boxes)
                            .chain([&emblem])
                            .any(|n| n.overlaps(b))
                    }) {
                        placed = Some((bh, ratio));
                        break;
                    }
                }
                if ratio > MIN_WIDTH_RATIO {
                    ratio = (ratio * 0.95).max(MIN_WIDTH_RATIO);
                } else {
                    bh *= 0.95;
                }
            }
            let (bh, ratio) = placed.ok_or_else(|| {
                StampError::BadText(format!(
                    "bottom text {:?} does not fit this seal",
                    line.iter().collect::<String>()
                ))
            })?;
            let width = units * ratio * bh;
            let mut x = cx - width / 2.0;
            for g in &gs {
                let w = g.advance * ratio * bh;
                bottom_boxes.push(draw_glyph(
                    &mut d,
                    g,
                    x + w / 2.0,
                    top + bh / 2.0,
                    w,
                    bh,
                    0.0,
                    BOLD * bh.min(1.6 * w / g.advance),
                )?);
                x += w * (1.0 + GAP_RATIO);
            }
            top += bh + 0.6 * k;
        }

        Ok(OfficialLayout {
            drawing: d,
            center: (cx, cy),
            outer_radius: r,
            ring_inner_radius: r - ring,
            emblem,
            name_band: (r_in, r_top),
            name_boxes,
            name_width_ratio: ratio,
            name_arc_deg: arc.to_degrees(),
            bottom_boxes,
            code_band,
            code_boxes,
        })
    }
}

/// The 普通公章's written ring widths (diameter, width) in mm.
const COMMON_RINGS: [(f32, f32); 4] = [(38.0, 1.0), (40.0, 1.0), (42.0, 1.2), (58.0, 1.5)];

/// The 普通公章's ring at `diameter`: [`COMMON_RINGS`], linear between its sizes, scaled with
/// the diameter outside them.
fn common_ring_mm(diameter: f32) -> f32 {
    let (first, last) = (COMMON_RINGS[0], COMMON_RINGS[COMMON_RINGS.len() - 1]);
    if diameter <= first.0 {
        return first.1 * diameter / first.0;
    }
    if diameter >= last.0 {
        return last.1 * diameter / last.0;
    }
    COMMON_RINGS
        .windows(2)
        .find(|w| diameter <= w[1].0)
        .map(|w| w[0].1 + (w[1].1 - w[0].1) * (diameter - w[0].0) / (w[1].0 - w[0].0))
        .unwrap_or(last.1)
}

/// Boxes (cells) of a horizontal line, for the fitting loop.
fn line_boxes(gs: &[Glyph], cx: f32, top: f32, h: f32, ratio: f32) -> Vec<Quad> {
    let units: f32 = gs.iter().map(|g| g.advance).sum::<f32>() * (1.0 + GAP_RATIO) - GAP_RATIO;
    let mut x = cx - units * ratio * h / 2.0;
    gs.iter()
        .map(|g| {
            let w = g.advance * ratio * h;
            let q = Quad::rect(x, top, x + w, top + h);
            x += w * (1.0 + GAP_RATIO);
            q
        })
        .collect()
}

/// Trims the text and checks its length; whitespace inside is refused (seal text has none).
pub(crate) fn clean_text(what: &str, s: &str, max: usize) -> Result<Vec<char>> {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.is_empty() {
        return Err(StampError::BadText(format!("{what} is empty")));
    }
    if chars.len() > max {
        return Err(StampError::BadText(format!(
            "{what} has {} characters; at most {max}",
            chars.len()
        )));
    }
    if let Some(c) = chars.iter().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(StampError::BadText(format!(
            "{what} contains {c:?}; seal text has no spaces or control characters"
        )));
    }
    Ok(chars)
}

/// A regular five-pointed star, one tip straight up, tips on a circle of radius `r`; the
/// inner vertices are at `r · sin 18° / sin 54°` (≈ 0.382 r).
pub fn star(cx: f32, cy: f32, r: f32) -> Result<tiny_skia::Path> {
    let ri = r * (18f32.to_radians().sin() / 54f32.to_radians().sin());
    let pts: Vec<(f32, f32)> = (0..10)
        .map(|i| {
            let a = (-90.0 + 36.0 * i as f32).to_radians();
            let rr = if i % 2 == 0 { r } else { ri };
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect();
    polygon(&pts)
}

/// Points of an arc (angles in degrees, screen convention: 0° = +x, clockwise positive).
fn arc_points(cx: f32, cy: f32, r: f32, from: f32, to: f32, steps: usize) -> Vec<(f32, f32)> {
    (0..=steps)
        .map(|i| {
            let a = (from + (to - from) * i as f32 / steps as f32).to_radians();
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

/// 镰刀锤头 (the hammer and sickle of the Party emblem) inside a circle of radius `s`: the
/// sickle's blade sweeps from its point at the top round the right side to the bottom, its
/// handle at the lower left; the hammer's head at the upper left, its handle running to the
/// lower right across the blade.
fn hammer_and_sickle(d: &mut Drawing, cx: f32, cy: f32, s: f32) -> Result<()> {
    let p = |x: f32, y: f32| (cx + x * s, cy + y * s);
    // Blade: a crescent between two circles, widest at the lower right, pointed at the top.
    let (ox, oy, orad) = (0.04, 0.02, 0.84);
    let (ix, iy, irad) = (-0.16, -0.16, 0.62);
    let mut blade = arc_points(cx + ox * s, cy + oy * s, orad * s, -118.0, 132.0, 56);
    let mut inner = arc_points(cx + ix * s, cy + iy * s, irad * s, 128.0, -92.0, 52);
    blade.append(&mut inner);
    d.fill(polygon(&blade)?);
    let rot = |x: f32, y: f32, a: f32| {
        let (sn, cs) = a.to_radians().sin_cos();
        (x * cs - y * sn, x * sn + y * cs)
    };
    // A bar along its own x axis from x0 to x1, half-width hw, turned by a and moved to (tx, ty).
    let bar = |x0: f32, x1: f32, hw: f32, a: f32, tx: f32, ty: f32| -> Vec<(f32, f32)> {
        [(x0, -hw), (x1, -hw), (x1, hw), (x0, hw)]
            .iter()
            .map(|&(x, y)| {
                let (x, y) = rot(x, y, a);
                p(x + tx, y + ty)
            })
            .collect()
    };
    // Sickle handle: from the blade's lower-left end outwards (down and to the left).
    d.fill(polygon(&bar(-0.04, 0.40, 0.12, 135.0, -0.50, 0.62))?);
    // Hammer handle: from the head at the upper left to the lower right, at 45°.
    d.fill(polygon(&bar(-0.50, 1.02, 0.09, 45.0, -0.08, -0.08))?);
    // Hammer head: across the handle's upper end.
    d.fill(polygon(&bar(-0.36, 0.26, 0.19, -45.0, -0.50, -0.50))?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_keys_round_trip() {
        for s in OfficialStyle::ALL {
            assert_eq!(OfficialStyle::from_key(s.key()).unwrap(), s);
            assert_eq!(OfficialStyle::from_key(s.chinese()).unwrap(), s);
        }
        assert!(OfficialStyle::from_key("round").is_err());
    }

    #[test]
    fn common_ring_follows_the_written_widths() {
        for (d, w) in COMMON_RINGS {
            assert!((common_ring_mm(d) - w).abs() < 1e-5, "{d} mm");
        }
        assert!((common_ring_mm(60.0) - 1.5 * 60.0 / 58.0).abs() < 1e-5);
        assert!((common_ring_mm(50.0) - 1.35).abs() < 1e-5);
        assert!((common_ring_mm(20.0) - 20.0 / 38.0).abs() < 1e-5);
    }

    #[test]
    fn star_is_regular_with_a_tip_up() {
        let p = star(21.0, 21.0, 7.0).unwrap();
        let b = p.bounds();
        assert!((b.top() - 14.0).abs() < 1e-4, "tip straight up");
        assert!((b.bottom() - (21.0 + 7.0 * 36f32.to_radians().cos())).abs() < 1e-4);
        assert!((b.left() + b.right() - 42.0).abs() < 1e-4, "centred");
    }

    #[test]
    fn text_is_cleaned_and_bounded() {
        assert_eq!(clean_text("x", " 合同专用章 ", 20).unwrap().len(), 5);
        assert!(clean_text("x", "合同\t章", 20).is_err());
        assert!(clean_text("x", &"章".repeat(41), 40).is_err());
    }
}
