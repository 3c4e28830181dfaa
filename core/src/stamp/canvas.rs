//! Vector drawing in millimetres, rasterised with tiny-skia or written as SVG.
//!
//! Everything a generated seal shows (ring, emblem, glyphs) is a filled or stroked path in a
//! coordinate system with the origin at the top-left corner, x to the right, y downwards, unit
//! one millimetre. The same list of paths gives the PNG (at any DPI) and the SVG, so both show
//! the same seal.

use super::{Picture, Result, Rgba, StampError, check_dpi, mm_to_px};
use std::fmt::Write as _;
use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, Path, PathSegment, Pixmap, Point, Stroke, Transform,
};

#[derive(Debug, Clone, Copy)]
enum Ink {
    Fill(FillRule),
    /// Stroke of this width (mm); rasterised at least one device pixel wide.
    Stroke(f32),
}

/// A list of same-coloured paths in millimetres.
#[derive(Debug, Clone)]
pub struct Drawing {
    pub width_mm: f32,
    pub height_mm: f32,
    pub color: Rgba,
    items: Vec<(Path, Ink)>,
}

impl Drawing {
    pub fn new(width_mm: f32, height_mm: f32, color: Rgba) -> Self {
        Drawing {
            width_mm,
            height_mm,
            color,
            items: Vec::new(),
        }
    }

    /// Fills a path (non-zero winding).
    pub fn fill(&mut self, path: Path) {
        self.items.push((path, Ink::Fill(FillRule::Winding)));
    }

    /// Fills a path with the even-odd rule (rings, crescents).
    pub fn fill_even_odd(&mut self, path: Path) {
        self.items.push((path, Ink::Fill(FillRule::EvenOdd)));
    }

    /// Strokes a path with round joins.
    pub fn stroke(&mut self, path: Path, width_mm: f32) {
        self.items.push((path, Ink::Stroke(width_mm)));
    }

    /// Rasterises at `dpi`: the pixmap is exactly `round(mm / 25.4 × dpi)` pixels each way,
    /// transparent where nothing is drawn.
    pub fn rasterize(&self, dpi: f32) -> Result<Pixmap> {
        check_dpi(dpi)?;
        let (w, h) = (mm_to_px(self.width_mm, dpi), mm_to_px(self.height_mm, dpi));
        if w as u64 * h as u64 > super::MAX_OUTPUT_PIXELS {
            return Err(StampError::BadSize(format!(
                "{w}×{h} pixels is too large; lower the DPI"
            )));
        }
        let mut pixmap = Pixmap::new(w, h)
            .ok_or_else(|| StampError::Raster(format!("cannot allocate {w}×{h}")))?;
        let ts = Transform::from_scale(w as f32 / self.width_mm, h as f32 / self.height_mm);
        let px_per_mm = w as f32 / self.width_mm;
        let mut paint = Paint::default();
        let Rgba(r, g, b, a) = self.color;
        paint.set_color_rgba8(r, g, b, a);
        paint.anti_alias = true;
        for (path, ink) in &self.items {
            match *ink {
                Ink::Fill(rule) => pixmap.fill_path(path, &paint, rule, ts, None),
                Ink::Stroke(wmm) => {
                    let stroke = Stroke {
                        width: (wmm * px_per_mm).max(1.0) / px_per_mm,
                        line_join: LineJoin::Round,
                        line_cap: LineCap::Round,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(path, &paint, &stroke, ts, None);
                }
            }
        }
        Ok(pixmap)
    }

    /// Rasterises and encodes as PNG, with the SVG of the same drawing attached.
    pub fn render(&self, dpi: f32) -> Result<Picture> {
        let pixmap = self.rasterize(dpi)?;
        let png = pixmap
            .encode_png()
            .map_err(|e| StampError::Raster(format!("PNG encoding: {e}")))?;
        Ok(Picture {
            png,
            width_px: pixmap.width(),
            height_px: pixmap.height(),
            width_mm: self.width_mm,
            height_mm: self.height_mm,
            dpi,
            svg: Some(self.to_svg()),
        })
    }

    /// The drawing as an SVG document whose user unit is the millimetre.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width_mm, self.height_mm);
        let color = self.color.to_hex();
        let opacity = if self.color.3 == 0xFF {
            String::new()
        } else {
            format!(" opacity=\"{:.3}\"", self.color.3 as f32 / 255.0)
        };
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">\n<g{opacity}>\n"
        );
        for (path, ink) in &self.items {
            let d = svg_path_data(path);
            match ink {
                Ink::Fill(FillRule::EvenOdd) => {
                    let _ = writeln!(
                        s,
                        "<path fill=\"{color}\" fill-rule=\"evenodd\" d=\"{d}\"/>"
                    );
                }
                Ink::Fill(_) => {
                    let _ = writeln!(s, "<path fill=\"{color}\" d=\"{d}\"/>");
                }
                Ink::Stroke(wmm) => {
                    let _ = writeln!(
                        s,
                        "<path fill=\"none\" stroke=\"{color}\" stroke-width=\"{wmm:.3}\" stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"{d}\"/>"
                    );
                }
            }
        }
        s.push_str("</g>\n</svg>\n");
        s
    }
}

fn svg_path_data(path: &Path) -> String {
    let mut d = String::new();
    for seg in path.segments() {
        let _ = match seg {
            PathSegment::MoveTo(p) => write!(d, "M{:.3} {:.3}", p.x, p.y),
            PathSegment::LineTo(p) => write!(d, "L{:.3} {:.3}", p.x, p.y),
            PathSegment::QuadTo(a, p) => write!(d, "Q{:.3} {:.3} {:.3} {:.3}", a.x, a.y, p.x, p.y),
            PathSegment::CubicTo(a, b, p) => {
                write!(
                    d,
                    "C{:.3} {:.3} {:.3} {:.3} {:.3} {:.3}",
                    a.x, a.y, b.x, b.y, p.x, p.y
                )
            }
            PathSegment::Close => write!(d, "Z"),
        };
    }
    d
}

/// A convex quadrilateral in millimetres (a glyph's ink box after rotation), corners in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad(pub [(f32, f32); 4]);

impl Quad {
    /// An axis-aligned box.
    pub fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Quad {
        Quad([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    }

    /// The box `[x0,x1]×[y0,y1]` mapped through `ts`.
    pub fn transformed(x0: f32, y0: f32, x1: f32, y1: f32, ts: Transform) -> Quad {
        let mut pts = [
            Point::from_xy(x0, y0),
            Point::from_xy(x1, y0),
            Point::from_xy(x1, y1),
            Point::from_xy(x0, y1),
        ];
        ts.map_points(&mut pts);
        Quad(pts.map(|p| (p.x, p.y)))
    }

    /// True when the interiors of two convex quads intersect (separating-axis test); touching
    /// edges do not count.
    pub fn overlaps(&self, other: &Quad) -> bool {
        for q in [self, other] {
            for i in 0..4 {
                let (ax, ay) = q.0[i];
                let (bx, by) = q.0[(i + 1) % 4];
                let (nx, ny) = (ay - by, bx - ax);
                let proj = |p: &Quad| {
                    p.0.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &(x, y)| {
                        let v = x * nx + y * ny;
                        (lo.min(v), hi.max(v))
                    })
                };
                let (a0, a1) = proj(self);
                let (b0, b1) = proj(other);
                if a1 <= b0 + 1e-6 || b1 <= a0 + 1e-6 {
                    return false;
                }
            }
        }
        true
    }

    /// Largest distance of a corner from `(cx, cy)`.
    pub fn max_radius(&self, cx: f32, cy: f32) -> f32 {
        self.0
            .iter()
            .map(|&(x, y)| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt())
            .fold(0.0, f32::max)
    }

    /// Smallest distance of a corner from `(cx, cy)` (for boxes that do not contain it).
    pub fn min_corner_radius(&self, cx: f32, cy: f32) -> f32 {
        self.0
            .iter()
            .map(|&(x, y)| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt())
            .fold(f32::MAX, f32::min)
    }

    /// Whether a point lies inside (or on) the quad.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let mut sign = 0.0f32;
        for i in 0..4 {
            let (ax, ay) = self.0[i];
            let (bx, by) = self.0[(i + 1) % 4];
            let c = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
            if c.abs() < 1e-6 {
                continue;
            }
            if sign == 0.0 {
                sign = c.signum();
            } else if c.signum() != sign {
                return false;
            }
        }
        true
    }
}

/// A circle path.
pub fn circle(cx: f32, cy: f32, r: f32) -> Result<Path> {
    tiny_skia::PathBuilder::from_circle(cx, cy, r)
        .ok_or_else(|| StampError::BadSize(format!("circle of radius {r} mm")))
}

/// A closed polygon path.
pub fn polygon(points: &[(f32, f32)]) -> Result<Path> {
    let mut pb = tiny_skia::PathBuilder::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 {
            pb.move_to(x, y)
        } else {
            pb.line_to(x, y)
        }
    }
    pb.close();
    pb.finish()
        .ok_or_else(|| StampError::BadSize("empty polygon".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quads_overlap_and_separate() {
        let a = Quad::rect(0.0, 0.0, 2.0, 2.0);
        assert!(a.overlaps(&Quad::rect(1.0, 1.0, 3.0, 3.0)));
        assert!(
            !a.overlaps(&Quad::rect(2.0, 0.0, 4.0, 2.0)),
            "touching is not overlapping"
        );
        let rot = Quad::transformed(
            -1.0,
            -1.0,
            1.0,
            1.0,
            Transform::from_rotate(45.0).post_translate(3.5, 1.0),
        );
        assert!(!a.overlaps(&rot), "a diamond beside the box");
        let rot2 = Quad::transformed(
            -1.0,
            -1.0,
            1.0,
            1.0,
            Transform::from_rotate(45.0).post_translate(3.0, 1.0),
        );
        assert!(a.overlaps(&rot2));
        assert!(a.contains(1.0, 1.0) && !a.contains(3.0, 1.0));
    }

    #[test]
    fn raster_size_is_exact_and_svg_has_paths() {
        let mut d = Drawing::new(42.0, 42.0, Rgba::SEAL_RED);
        d.fill(circle(21.0, 21.0, 5.0).unwrap());
        let p = d.render(96.0).unwrap();
        assert_eq!((p.width_px, p.height_px), (159, 159)); // 42 / 25.4 × 96 = 158.7
        assert!(p.svg.as_deref().unwrap().contains("<path fill=\"#e60000\""));
    }
}
