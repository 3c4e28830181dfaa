//! Where a seal lands, in terms shared by PDF and OFD: keyword positioning (a stamp over the
//! n-th or every occurrence of a word) and the layout of cross-page seals (骑缝章: which pages,
//! which edge, where along it, page groups when slices would be too thin).
//!
//! Everything here is in millimetres on the page *as displayed*, origin at its top-left
//! corner, y downwards (OFD's own convention, GB/T 33190 §7.2); the PDF room converts its
//! points and rotations to and from this.

/// Errors of placement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementError {
    /// The keyword does not occur (on the pages asked for): never a silent unplaced stamp.
    #[error("keyword {keyword:?} not found{where_} / 未找到关键字")]
    KeywordNotFound { keyword: String, where_: String },
    #[error(
        "keyword {keyword:?} occurs {found} time(s); occurrence {wanted} does not exist / 关键字出现次数不足"
    )]
    OccurrenceMissing {
        keyword: String,
        found: usize,
        wanted: usize,
    },
    #[error("bad page selection {0:?}: all, odd, even, N, N-M or N,M,… expected")]
    BadPages(String),
    #[error("{0}")]
    Invalid(String),
}

/// Pages chosen by the user: all, odd, even, a range or a list (numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageSet {
    #[default]
    All,
    Odd,
    Even,
    /// `first..=last`; `last` `None` means to the end.
    Range(usize, Option<usize>),
    List(Vec<usize>),
}

impl PageSet {
    /// Parses `all`, `odd`, `even`, `3`, `2-5`, `4-` or `1,3,7`.
    pub fn parse(s: &str) -> Result<Self, PlacementError> {
        let bad = || PlacementError::BadPages(s.to_owned());
        let t = s.trim();
        match t {
            "all" | "" => return Ok(PageSet::All),
            "odd" => return Ok(PageSet::Odd),
            "even" => return Ok(PageSet::Even),
            _ => {}
        }
        let num = |x: &str| -> Result<usize, PlacementError> {
            x.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad)
        };
        if let Some((a, b)) = t.split_once('-') {
            let first = num(a)?;
            let last = if b.trim().is_empty() {
                None
            } else {
                Some(num(b)?)
            };
            if last.is_some_and(|l| l < first) {
                return Err(bad());
            }
            return Ok(PageSet::Range(first, last));
        }
        Ok(PageSet::List(
            t.split(',').map(num).collect::<Result<_, _>>()?,
        ))
    }

    /// The chosen page numbers (from 1) of a document of `n` pages, in order; a page beyond
    /// the document is an error.
    pub fn resolve(&self, n: usize) -> Result<Vec<usize>, PlacementError> {
        let out: Vec<usize> = match self {
            PageSet::All => (1..=n).collect(),
            PageSet::Odd => (1..=n).step_by(2).collect(),
            PageSet::Even => (2..=n).step_by(2).collect(),
            PageSet::Range(a, b) => (*a..=b.unwrap_or(n)).collect(),
            PageSet::List(v) => v.clone(),
        };
        if let Some(p) = out.iter().find(|p| **p == 0 || **p > n) {
            return Err(PlacementError::Invalid(format!(
                "page {p} does not exist (the document has {n} pages)"
            )));
        }
        Ok(out)
    }
}

/// Which occurrence(s) of a keyword get a stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Occurrence {
    #[default]
    All,
    First,
    Last,
    /// The n-th (from 1) in reading order over the chosen pages.
    Nth(usize),
}

impl std::str::FromStr for Occurrence {
    type Err = PlacementError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(Occurrence::All),
            "first" => Ok(Occurrence::First),
            "last" => Ok(Occurrence::Last),
            n => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .map(Occurrence::Nth)
                .ok_or_else(|| {
                    PlacementError::Invalid(format!(
                        "occurrence {n:?}: all, first, last or a number from 1 expected"
                    ))
                }),
        }
    }
}

/// Where the stamp sits relative to the found text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    /// The stamp's centre on the text's centre.
    #[default]
    Centre,
    /// The stamp's centre on the end of the text (after its last character, mid-height):
    /// the seal over "甲方（盖章）" lands where the blank for it begins.
    End,
}

impl std::str::FromStr for Anchor {
    type Err = PlacementError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "centre" | "center" => Ok(Anchor::Centre),
            "end" => Ok(Anchor::End),
            a => Err(PlacementError::Invalid(format!(
                "anchor {a:?}: centre or end expected"
            ))),
        }
    }
}

/// "Seal where this text is written".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keyword {
    /// The text to find; white space is ignored on both sides (producers split and space
    /// words freely).
    pub text: String,
    pub occurrence: Occurrence,
    pub pages: PageSet,
    pub anchor: Anchor,
    /// Offsets of the stamp from the anchor, mm, x to the right and y downwards.
    pub dx_mm: f64,
    pub dy_mm: f64,
}

impl Keyword {
    pub fn new(text: impl Into<String>) -> Self {
        Keyword {
            text: text.into(),
            ..Keyword::default()
        }
    }

    /// A keyword search from the options as the command line and the bindings take them:
    /// occurrence `all`/`first`/`last`/N, pages as [`PageSet::parse`], anchor `centre`/`end`,
    /// offsets in mm. An empty (or all white space) text is refused.
    pub fn from_options(
        text: &str,
        occurrence: &str,
        pages: &str,
        anchor: &str,
        dx_mm: f64,
        dy_mm: f64,
    ) -> Result<Self, PlacementError> {
        if text.trim().is_empty() {
            return Err(PlacementError::Invalid("the keyword is empty".into()));
        }
        if !dx_mm.is_finite() || !dy_mm.is_finite() {
            return Err(PlacementError::Invalid(format!(
                "keyword offset {dx_mm},{dy_mm}: finite numbers expected"
            )));
        }
        Ok(Keyword {
            text: text.to_owned(),
            occurrence: occurrence.parse()?,
            pages: PageSet::parse(pages)?,
            anchor: anchor.parse()?,
            dx_mm,
            dy_mm,
        })
    }
}

/// One character placed on a page: its text and box (x0, y0, x1, y1 in mm, top-left origin).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub ch: char,
    pub rect: [f64; 4],
}

/// One occurrence of a keyword: its page (from 1) and the union of its characters' boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct TextHit {
    pub page: usize,
    pub rect: [f64; 4],
}

/// Every occurrence of `text` among a page's glyphs (in content order), white space ignored.
pub fn find_on_page(page: usize, glyphs: &[Glyph], text: &str) -> Vec<TextHit> {
    let want: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let have: Vec<&Glyph> = glyphs.iter().filter(|g| !g.ch.is_whitespace()).collect();
    let mut out = Vec::new();
    if want.is_empty() || have.len() < want.len() {
        return out;
    }
    let mut i = 0;
    while i + want.len() <= have.len() {
        if have[i..i + want.len()]
            .iter()
            .zip(&want)
            .all(|(g, c)| same_char(g.ch, *c))
        {
            let r = have[i..i + want.len()].iter().fold(
                [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
                |a, g| {
                    [
                        a[0].min(g.rect[0]),
                        a[1].min(g.rect[1]),
                        a[2].max(g.rect[2]),
                        a[3].max(g.rect[3]),
                    ]
                },
            );
            out.push(TextHit { page, rect: r });
            i += want.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Characters that producers write in either width: full-width ASCII forms (U+FF01..FF5E)
/// match their ASCII counterparts, so "甲方(盖章)" finds "甲方（盖章）".
fn same_char(a: char, b: char) -> bool {
    let fold = |c: char| match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    fold(a) == fold(b)
}

/// Chooses the occurrences `kw` asks for among `hits` (in reading order over the pages).
pub fn select(kw: &Keyword, hits: Vec<TextHit>) -> Result<Vec<TextHit>, PlacementError> {
    if hits.is_empty() {
        return Err(PlacementError::KeywordNotFound {
            keyword: kw.text.clone(),
            where_: match &kw.pages {
                PageSet::All => String::new(),
                p => format!(" on pages {p:?}"),
            },
        });
    }
    let n = hits.len();
    Ok(match kw.occurrence {
        Occurrence::All => hits,
        Occurrence::First => hits.into_iter().take(1).collect(),
        Occurrence::Last => hits.into_iter().skip(n - 1).collect(),
        Occurrence::Nth(k) => match hits.into_iter().nth(k - 1) {
            Some(h) => vec![h],
            None => {
                return Err(PlacementError::OccurrenceMissing {
                    keyword: kw.text.clone(),
                    found: n,
                    wanted: k,
                });
            }
        },
    })
}

/// The stamp box (x, y, w, h in mm, top-left origin) of a `w` × `h` stamp over `hit`.
pub fn stamp_box(kw: &Keyword, hit: &TextHit, w: f64, h: f64) -> [f64; 4] {
    let r = hit.rect;
    let cy = (r[1] + r[3]) / 2.0;
    let cx = match kw.anchor {
        Anchor::Centre => (r[0] + r[2]) / 2.0,
        Anchor::End => r[2],
    };
    [cx - w / 2.0 + kw.dx_mm, cy - h / 2.0 + kw.dy_mm, w, h]
}

/// The page edge a cross-page seal straddles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Edge {
    #[default]
    Right,
    Left,
    Top,
    Bottom,
}

impl std::str::FromStr for Edge {
    type Err = PlacementError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "right" => Ok(Edge::Right),
            "left" => Ok(Edge::Left),
            "top" => Ok(Edge::Top),
            "bottom" => Ok(Edge::Bottom),
            e => Err(PlacementError::Invalid(format!(
                "edge {e:?}: right, left, top or bottom expected"
            ))),
        }
    }
}

/// A cross-page seal (骑缝章) in format-neutral terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrossPage {
    pub pages: PageSet,
    pub edge: Edge,
    /// Where along the edge: the seal's top (left/right edges) or left side (top/bottom
    /// edges) in mm from the page corner; centred when `None`.
    pub along_mm: Option<f64>,
    /// Narrowest slice allowed (mm): when `size / pages` would be thinner, the pages are
    /// split into consecutive groups, each carrying a whole seal (the last group takes the
    /// remainder, never a single page when avoidable). `None`: one group.
    pub min_slice_mm: Option<f64>,
}

/// One slice of a cross-page seal on one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// Page number (from 1).
    pub page: usize,
    /// The whole seal's box on this page (x, y, w, h mm, top-left origin), placed so that
    /// `clip` falls on the page's edge.
    pub seal_box: [f64; 4],
    /// The part of the seal shown, relative to the seal's own top-left (x, y, w, h mm).
    pub clip: [f64; 4],
}

/// Groups of consecutive chosen pages for a seal `size` mm across (its extent across the
/// edge): `min_slice` splits them so that no slice is thinner, groups of 2 at least.
pub fn page_groups(
    pages: &[usize],
    size: f64,
    min_slice: Option<f64>,
) -> Result<Vec<Vec<usize>>, PlacementError> {
    if pages.len() < 2 {
        return Err(PlacementError::Invalid(
            "a cross-page seal needs at least two pages".into(),
        ));
    }
    let per_group = match min_slice {
        Some(m) if m.is_finite() && m > 0.0 => {
            let k = (size / m).floor() as usize;
            if k < 2 {
                return Err(PlacementError::Invalid(format!(
                    "a {size} mm seal cannot be cut into slices of at least {m} mm over 2 pages"
                )));
            }
            k
        }
        Some(m) => {
            return Err(PlacementError::Invalid(format!(
                "minimum slice width {m} is not usable"
            )));
        }
        None => pages.len(),
    };
    let groups = pages.len().div_ceil(per_group);
    // Spread evenly: sizes differ by at most one, so no group is left with a single page.
    let (base, extra) = (pages.len() / groups, pages.len() % groups);
    let mut out = Vec::with_capacity(groups);
    let mut at = 0;
    for g in 0..groups {
        let len = base + usize::from(g < extra);
        out.push(pages[at..at + len].to_vec());
        at += len;
    }
    Ok(out)
}

/// The slices of a `w` × `h` mm cross-page seal over pages whose displayed sizes (mm) are
/// given by `page_size(page)`; pages from 1.
pub fn cross_page_slices(
    cp: &CrossPage,
    n_pages: usize,
    w: f64,
    h: f64,
    page_size: &dyn Fn(usize) -> (f64, f64),
) -> Result<Vec<Slice>, PlacementError> {
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
        return Err(PlacementError::Invalid(format!(
            "seal size {w}×{h} mm is not usable"
        )));
    }
    if cp.along_mm.is_some_and(|a| !a.is_finite()) {
        return Err(PlacementError::Invalid("position is not a number".into()));
    }
    let pages = cp.pages.resolve(n_pages)?;
    let vertical_edge = matches!(cp.edge, Edge::Right | Edge::Left);
    // The seal is cut across the edge: its width for left/right, its height for top/bottom.
    let across = if vertical_edge { w } else { h };
    let mut out = Vec::new();
    for group in page_groups(&pages, across, cp.min_slice_mm)? {
        let n = group.len() as f64;
        let part = across / n;
        for (i, &p) in group.iter().enumerate() {
            let (pw, ph) = page_size(p);
            let k = i as f64;
            let (seal_box, clip) = match cp.edge {
                // Slice i is the i-th from the seal's left; it shows at the page's right edge.
                Edge::Right => {
                    let y = cp.along_mm.unwrap_or((ph - h) / 2.0);
                    ([pw - (k + 1.0) * part, y, w, h], [k * part, 0.0, part, h])
                }
                // Mirrored: the first page shows the seal's right-most slice at its left edge.
                Edge::Left => {
                    let y = cp.along_mm.unwrap_or((ph - h) / 2.0);
                    let s = (n - 1.0 - k) * part;
                    ([-s, y, w, h], [s, 0.0, part, h])
                }
                Edge::Bottom => {
                    let x = cp.along_mm.unwrap_or((pw - w) / 2.0);
                    ([x, ph - (k + 1.0) * part, w, h], [0.0, k * part, w, part])
                }
                Edge::Top => {
                    let x = cp.along_mm.unwrap_or((pw - w) / 2.0);
                    let s = (n - 1.0 - k) * part;
                    ([x, -s, w, h], [0.0, s, w, part])
                }
            };
            out.push(Slice {
                page: p,
                seal_box,
                clip,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(ch: char, x: f64) -> Glyph {
        Glyph {
            ch,
            rect: [x, 10.0, x + 4.0, 14.0],
        }
    }

    #[test]
    fn keyword_found_across_spaces_and_widths() {
        let glyphs: Vec<Glyph> = "甲 方（盖章）x甲方(盖章)"
            .chars()
            .enumerate()
            .map(|(i, c)| g(c, i as f64 * 4.0))
            .collect();
        let hits = find_on_page(1, &glyphs, "甲方（盖章）");
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].rect, [0.0, 10.0, 28.0, 14.0]);
        let kw = Keyword {
            occurrence: Occurrence::Nth(2),
            ..Keyword::new("甲方（盖章）")
        };
        let one = select(&kw, hits.clone()).unwrap();
        assert_eq!(one[0].rect[0], 32.0);
        let kw3 = Keyword {
            occurrence: Occurrence::Nth(3),
            ..kw.clone()
        };
        assert!(matches!(
            select(&kw3, hits),
            Err(PlacementError::OccurrenceMissing { found: 2, .. })
        ));
        assert!(matches!(
            select(&kw, vec![]),
            Err(PlacementError::KeywordNotFound { .. })
        ));
        // Centred, then at the end with an offset.
        let hit = TextHit {
            page: 1,
            rect: [10.0, 20.0, 30.0, 24.0],
        };
        assert_eq!(stamp_box(&kw, &hit, 40.0, 40.0), [0.0, 2.0, 40.0, 40.0]);
        let end = Keyword {
            anchor: Anchor::End,
            dx_mm: 5.0,
            dy_mm: -2.0,
            ..kw
        };
        assert_eq!(stamp_box(&end, &hit, 40.0, 40.0), [15.0, 0.0, 40.0, 40.0]);
    }

    #[test]
    fn page_sets() {
        assert_eq!(
            PageSet::parse("odd").unwrap().resolve(5).unwrap(),
            [1, 3, 5]
        );
        assert_eq!(PageSet::parse("even").unwrap().resolve(5).unwrap(), [2, 4]);
        assert_eq!(
            PageSet::parse("2-4").unwrap().resolve(5).unwrap(),
            [2, 3, 4]
        );
        assert_eq!(PageSet::parse("3-").unwrap().resolve(5).unwrap(), [3, 4, 5]);
        assert_eq!(PageSet::parse("1,5").unwrap().resolve(5).unwrap(), [1, 5]);
        assert!(PageSet::parse("1,6").unwrap().resolve(5).is_err());
        assert!(PageSet::parse("4-2").is_err());
        assert!(PageSet::parse("x").is_err());
    }

    #[test]
    fn groups_keep_slices_readable() {
        let pages: Vec<usize> = (1..=10).collect();
        // 40 mm, slices of at least 8 mm: 5 pages a group.
        let g = page_groups(&pages, 40.0, Some(8.0)).unwrap();
        assert_eq!(g, vec![(1..=5).collect::<Vec<_>>(), (6..=10).collect()]);
        // 11 pages, 5 a group: 3 groups of 4, 4, 3 (no single page left over).
        let pages: Vec<usize> = (1..=11).collect();
        let g = page_groups(&pages, 40.0, Some(8.0)).unwrap();
        assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 3]);
        assert_eq!(page_groups(&pages, 40.0, None).unwrap().len(), 1);
        assert!(page_groups(&pages, 10.0, Some(8.0)).is_err());
        assert!(page_groups(&[1], 40.0, None).is_err());
    }

    #[test]
    fn slices_meet_at_each_edge() {
        let size = |_| (210.0, 297.0);
        for edge in [Edge::Right, Edge::Left, Edge::Top, Edge::Bottom] {
            let cp = CrossPage {
                edge,
                ..CrossPage::default()
            };
            let s = cross_page_slices(&cp, 4, 40.0, 40.0, &size).unwrap();
            assert_eq!(s.len(), 4);
            // The clips tile the seal exactly once.
            let area: f64 = s.iter().map(|s| s.clip[2] * s.clip[3]).sum();
            assert!((area - 1600.0).abs() < 1e-9, "{edge:?}");
            for sl in &s {
                // The visible part of each slice touches its edge, inside the page.
                let vx0 = sl.seal_box[0] + sl.clip[0];
                let vy0 = sl.seal_box[1] + sl.clip[1];
                let (vx1, vy1) = (vx0 + sl.clip[2], vy0 + sl.clip[3]);
                let touches = match edge {
                    Edge::Right => (vx1 - 210.0).abs() < 1e-9,
                    Edge::Left => vx0.abs() < 1e-9,
                    Edge::Bottom => (vy1 - 297.0).abs() < 1e-9,
                    Edge::Top => vy0.abs() < 1e-9,
                };
                assert!(touches, "{edge:?} {sl:?}");
                assert!(vx0 >= -1e-9 && vy0 >= -1e-9 && vx1 <= 210.0 + 1e-9 && vy1 <= 297.0 + 1e-9);
            }
        }
    }
}
