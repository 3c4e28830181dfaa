//! CJK glyph outlines for generated seals.
//!
//! The State Council's rules on seals (国发〔1999〕25号, art. 13) ask for simplified characters
//! in 宋体 (Song/Ming face) on official seals, so the default is the first Song face found on
//! the system ([`SONG_FAMILIES`]), then any CJK face. `ESEAL_FONT=/path/to/font.ttc[#index]`
//! (or an installed family name), [`SealFont::from_spec`], [`SealFont::family`] or
//! [`SealFont::from_path`] select a font explicitly; [`SealFont::installed_families`] lists the
//! choice. The project's set-up installs AR PL UMing
//! (Song) and WenQuanYi Zen Hei (`scripts/setup.d/30-fonts.sh`).
//!
//! A character the font lacks is an error ([`StampError::MissingGlyph`]); nothing is ever drawn
//! as a replacement box.

use super::{Result, StampError};
use std::path::Path as FsPath;
use std::sync::{Arc, OnceLock};
use tiny_skia::{Path, PathBuilder, Rect};

/// Song/Ming faces tried first, in order, then the CJK sans faces.
pub const SONG_FAMILIES: &[&str] = &[
    "AR PL UMing CN",
    "AR PL SungtiL GB",
    "SimSun",
    "宋体",
    "Songti SC",
    "STSong",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif SC",
    "AR PL UMing TW",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
];

/// A font face kept in memory, with the metrics the layouts need.
#[derive(Clone)]
pub struct SealFont {
    data: Arc<Vec<u8>>,
    index: u32,
    name: String,
    upem: f32,
    /// Top of the ideographic em box in font units (y up): the em box is centred on the ink
    /// of 国, so a CJK glyph fills its cell the way it is designed to.
    em_top: f32,
}

impl std::fmt::Debug for SealFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealFont({:?}, face {})", self.name, self.index)
    }
}

/// One glyph in em units: x from 0 to `advance`, y downwards with 0 at the em box top and 1 at
/// its bottom.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub ch: char,
    pub path: Path,
    pub advance: f32,
    /// Ink bounds (em units, same axes as `path`).
    pub ink: Rect,
}

struct Outline {
    pb: PathBuilder,
    upem: f32,
    top: f32,
}

impl Outline {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        (x / self.upem, (self.top - y) / self.upem)
    }
}

impl ttf_parser::OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x, y) = self.p(x, y);
        self.pb.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x2, y2) = self.p(x2, y2);
        let (x, y) = self.p(x, y);
        self.pb.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.pb.close();
    }
}

impl SealFont {
    /// A font from bytes (TTF, OTF or a face of a TTC).
    pub fn from_bytes(data: Vec<u8>, index: u32, label: &str) -> Result<SealFont> {
        let bad = |reason: String| StampError::BadFont {
            path: label.to_string(),
            reason,
        };
        let (upem, em_top, name) = {
            let face = ttf_parser::Face::parse(&data, index).map_err(|e| bad(e.to_string()))?;
            let upem = face.units_per_em() as f32;
            let name = face
                .names()
                .into_iter()
                .filter(|n| n.name_id == ttf_parser::name_id::FULL_NAME && n.is_unicode())
                .find_map(|n| n.to_string())
                .unwrap_or_else(|| label.to_string());
            let reference = ['国', '口']
                .iter()
                .find_map(|&c| face.glyph_index(c).and_then(|g| face.glyph_bounding_box(g)));
            let em_top = match reference {
                Some(b) => (b.y_min as f32 + b.y_max as f32) / 2.0 + upem / 2.0,
                None => face.ascender() as f32,
            };
            (upem, em_top, name)
        };
        if upem <= 0.0 {
            return Err(bad("units per em is zero".into()));
        }
        Ok(SealFont {
            data: Arc::new(data),
            index,
            name,
            upem,
            em_top,
        })
    }

    /// A font file; `index` selects the face of a collection (.ttc).
    pub fn from_path(path: &FsPath, index: u32) -> Result<SealFont> {
        let data = std::fs::read(path).map_err(|e| StampError::BadFont {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(data, index, &path.display().to_string())
    }

    /// The first installed face among `families` (fontdb looks in the system font folders and
    /// fontconfig's configuration).
    pub fn system(families: &[&str]) -> Result<SealFont> {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        for fam in families {
            let query = fontdb::Query {
                families: &[fontdb::Family::Name(fam)],
                ..Default::default()
            };
            let Some(id) = db.query(&query) else { continue };
            let Some((source, index)) = db.face_source(id) else {
                continue;
            };
            let font = match source {
                fontdb::Source::File(p) => Self::from_path(&p, index),
                _ => match db.with_face_data(id, |data, _| data.to_vec()) {
                    Some(bytes) => Self::from_bytes(bytes, index, fam),
                    None => continue,
                },
            };
            if let Ok(f) = font
                && f.has_glyph('国')
            {
                return Ok(f);
            }
        }
        Err(StampError::NoFont(format!(
            "none of {} is installed; install fonts-arphic-uming (scripts/setup.sh) or set ESEAL_FONT",
            families.join(", ")
        )))
    }

    /// The family names of the installed faces that can draw a seal (they have 国), sorted,
    /// each once: the choice offered to a user.
    pub fn installed_families() -> Vec<String> {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let mut names: Vec<String> = db
            .faces()
            .filter(|f| {
                db.with_face_data(f.id, |data, index| {
                    ttf_parser::Face::parse(data, index)
                        .ok()
                        .and_then(|face| face.glyph_index('国'))
                        .is_some_and(|g| g.0 != 0)
                })
                .unwrap_or(false)
            })
            .filter_map(|f| f.families.first().map(|(name, _)| name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// An installed family by name (see [`SealFont::installed_families`]); the error names the
    /// families there are.
    pub fn family(name: &str) -> Result<SealFont> {
        Self::system(&[name]).map_err(|_| {
            StampError::NoFont(format!(
                "the font family {name:?} is not installed (or has no CJK characters); installed: {}",
                Self::installed_families().join(", ")
            ))
        })
    }

    /// A font given by the user: a file (`.ttf`, `.otf`, `.ttc`, optionally `#index` for a face
    /// of a collection) when `spec` names one that exists, else an installed family name.
    pub fn from_spec(spec: &str) -> Result<SealFont> {
        let (path, index) = match spec.rsplit_once('#') {
            Some((p, i)) if i.parse::<u32>().is_ok() => (p, i.parse().unwrap_or(0)),
            _ => (spec, 0),
        };
        if FsPath::new(path).is_file() {
            Self::from_path(FsPath::new(path), index)
        } else {
            Self::family(spec)
        }
    }

    /// The default seal font: `ESEAL_FONT` (path, optionally `#index`) if set, else the first of
    /// [`SONG_FAMILIES`] on the system. Loaded once per process.
    pub fn system_default() -> Result<SealFont> {
        static DEFAULT: OnceLock<std::result::Result<SealFont, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let r = match std::env::var("ESEAL_FONT") {
                    Ok(spec) if !spec.is_empty() => Self::from_spec(&spec),
                    _ => Self::system(SONG_FAMILIES),
                };
                r.map_err(|e| e.to_string())
            })
            .clone()
            .map_err(StampError::NoFont)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn face(&self) -> Result<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse(&self.data, self.index).map_err(|e| StampError::BadFont {
            path: self.name.clone(),
            reason: e.to_string(),
        })
    }

    pub fn has_glyph(&self, ch: char) -> bool {
        self.face()
            .ok()
            .and_then(|f| f.glyph_index(ch))
            .is_some_and(|g| g.0 != 0)
    }

    /// Every character of `text` must be in the font.
    pub fn check_text(&self, text: &str) -> Result<()> {
        text.chars().try_for_each(|c| self.glyph(c).map(|_| ()))
    }

    /// The outline of `ch` in em units (see [`Glyph`]).
    pub fn glyph(&self, ch: char) -> Result<Glyph> {
        let face = self.face()?;
        let missing = || StampError::MissingGlyph {
            ch,
            font: self.name.clone(),
        };
        let gid = face
            .glyph_index(ch)
            .filter(|g| g.0 != 0)
            .ok_or_else(missing)?;
        let advance = face
            .glyph_hor_advance(gid)
            .map(|a| a as f32 / self.upem)
            .unwrap_or(1.0);
        let mut outline = Outline {
            pb: PathBuilder::new(),
            upem: self.upem,
            top: self.em_top,
        };
        face.outline_glyph(gid, &mut outline).ok_or_else(missing)?;
        let path = outline.pb.finish().ok_or_else(missing)?;
        let ink = path.bounds();
        Ok(Glyph {
            ch,
            path,
            advance: if advance > 0.0 { advance } else { 1.0 },
            ink,
        })
    }
}

/// Draws `glyph` filling a cell `w`×`h` mm centred at `(cx, cy)`, turned `rot_deg` clockwise,
/// emboldened by a `bold` mm stroke; returns the ink box as drawn (for the overlap checks).
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_glyph(
    d: &mut super::Drawing,
    g: &Glyph,
    cx: f32,
    cy: f32,
    w: f32,
    h: f32,
    rot_deg: f32,
    bold: f32,
) -> Result<super::Quad> {
    let (sx, sy) = (w / g.advance, h);
    let ts = tiny_skia::Transform::from_translate(cx, cy)
        .pre_concat(tiny_skia::Transform::from_rotate(rot_deg))
        .pre_translate(-w / 2.0, -h / 2.0)
        .pre_scale(sx, sy);
    let path = g.path.clone().transform(ts).ok_or_else(|| {
        StampError::BadSize(format!(
            "glyph {:?} cannot be placed in a {w}×{h} mm cell",
            g.ch
        ))
    })?;
    if bold > 0.0 {
        d.stroke(path.clone(), bold);
    }
    d.fill(path);
    let (ex, ey) = (bold / 2.0 / sx, bold / 2.0 / sy);
    Ok(super::Quad::transformed(
        g.ink.left() - ex,
        g.ink.top() - ey,
        g.ink.right() + ex,
        g.ink.bottom() + ey,
        ts,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideographs_sit_in_the_em_box() {
        let f = SealFont::system_default().expect("a CJK font: run scripts/setup.sh");
        let g = f.glyph('国').unwrap();
        // The em box is centred on 国's ink, and the ink fills most of the box.
        assert!(((g.ink.top() + g.ink.bottom()) / 2.0 - 0.5).abs() < 1e-3);
        assert!(g.ink.height() > 0.7 && g.ink.height() < 1.0 && (g.advance - 1.0).abs() < 0.05);
        assert!(matches!(
            f.glyph('\u{E123}'),
            Err(StampError::MissingGlyph { .. })
        ));
        assert!(f.check_text("合同专用章").is_ok());
    }
}
