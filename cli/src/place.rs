//! Placement options shared by `pdf sign` and `ofd sign`: keyword positioning and the layout
//! of cross-page seals (eseal::placement), all in mm.

use super::CliError;
use clap::Args;
use eseal::placement::{CrossPage, Edge, Keyword, PageSet};

#[derive(Args, Debug, Clone, Default)]
pub struct PlaceArgs {
    /// Place a stamp over this text (PDF page text, OFD TextObjects); not found → exit 2.
    #[arg(long)]
    pub keyword: Option<String>,
    /// Which occurrences: all, first, last or N (from 1).
    #[arg(long, default_value = "all", requires = "keyword")]
    pub keyword_occurrence: String,
    /// Pages searched: all, odd, even, N, N-M, N- or N,M,….
    #[arg(long, default_value = "all", requires = "keyword")]
    pub keyword_pages: String,
    /// Stamp centred on the text (centre) or centred on its end (end).
    #[arg(long, default_value = "centre", value_parser = ["centre", "center", "end"], requires = "keyword")]
    pub keyword_anchor: String,
    /// Offset DX,DY (mm; x right, y down) of the stamp from the anchor.
    #[arg(
        long,
        value_name = "DX,DY",
        allow_hyphen_values = true,
        requires = "keyword"
    )]
    pub keyword_offset: Option<String>,
    /// Stamp size W,H (mm) for keyword stamps; the seal picture's by default.
    #[arg(long, value_name = "W,H", requires = "keyword")]
    pub keyword_size: Option<String>,
    /// Edge of a cross-page seal: right (default), left, top or bottom.
    #[arg(long)]
    pub cross_page_edge: Option<String>,
    /// Pages of a cross-page seal: all, odd, even, N-M or N,M,….
    #[arg(long)]
    pub cross_page_pages: Option<String>,
    /// Position along the edge (mm from the top for left/right, from the left for top/bottom).
    #[arg(long)]
    pub cross_page_at: Option<f64>,
    /// Narrowest slice (mm): more pages are split into groups, each with a whole seal.
    #[arg(long)]
    pub cross_page_min_slice: Option<f64>,
}

pub fn pair(s: &str, what: &str) -> Result<(f64, f64), CliError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| CliError(format!("{what} {s:?}: two numbers X,Y expected")))?;
    match v[..] {
        [a, b] => Ok((a, b)),
        _ => Err(CliError(format!("{what} {s:?}: two numbers expected"))),
    }
}

/// A keyword search and the stamp size (mm) when given.
pub type KeywordArg = (Keyword, Option<(f64, f64)>);

impl PlaceArgs {
    /// The keyword search asked for, with the stamp size (mm) when given.
    pub fn keyword(&self) -> Result<Option<KeywordArg>, CliError> {
        let Some(text) = &self.keyword else {
            return Ok(None);
        };
        let (dx, dy) = match &self.keyword_offset {
            Some(o) => pair(o, "--keyword-offset")?,
            None => (0.0, 0.0),
        };
        let size = self
            .keyword_size
            .as_deref()
            .map(|s| pair(s, "--keyword-size"))
            .transpose()?;
        let kw = Keyword::from_options(
            text,
            &self.keyword_occurrence,
            &self.keyword_pages,
            &self.keyword_anchor,
            dx,
            dy,
        )?;
        Ok(Some((kw, size)))
    }

    /// Whether any cross-page layout option was given.
    pub fn has_cross_page_layout(&self) -> bool {
        self.cross_page_edge.is_some()
            || self.cross_page_pages.is_some()
            || self.cross_page_at.is_some()
            || self.cross_page_min_slice.is_some()
    }

    /// The cross-page layout; `pages` is the default page selection.
    pub fn cross_page(&self, pages: PageSet) -> Result<CrossPage, CliError> {
        Ok(CrossPage {
            pages: match &self.cross_page_pages {
                Some(p) => PageSet::parse(p)?,
                None => pages,
            },
            edge: match &self.cross_page_edge {
                Some(e) => e.parse::<Edge>()?,
                None => Edge::Right,
            },
            along_mm: self.cross_page_at,
            min_slice_mm: self.cross_page_min_slice,
        })
    }
}
