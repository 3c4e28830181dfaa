//! The generated unit-seal styles, by one key each: what a seal application (manual 2.2.1.1
//! 自动生成), the CLI and the bindings offer. Each style is drawn by its own module with its
//! written dimensions ([`super::official`], [`super::oval`], [`super::square`]).

use super::official::{OfficialSeal, OfficialStyle};
use super::oval::{OvalKind, OvalSeal};
use super::square::SquareSeal;
use super::{Picture, Result, SealFont, StampError};

/// A generated unit seal's style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SealStyle {
    /// The round seals: 普通公章, 党纪委公章, 工会公章, 共青团章 (42 mm; 20–80 mm accepted).
    Official(OfficialStyle),
    /// 发票专用章: oval 40 × 30 mm, the 纳税人识别号 across the centre.
    InvoiceOval,
    /// 财务/合同专用章 oval 45 × 30 mm.
    WideOval,
    /// 方形财务专用章, 22 or 25 mm.
    SquareFinance,
}

impl SealStyle {
    pub const ALL: [SealStyle; 7] = [
        SealStyle::Official(OfficialStyle::Common),
        SealStyle::Official(OfficialStyle::PartyDiscipline),
        SealStyle::Official(OfficialStyle::TradeUnion),
        SealStyle::Official(OfficialStyle::YouthLeague),
        SealStyle::InvoiceOval,
        SealStyle::WideOval,
        SealStyle::SquareFinance,
    ];

    /// Short name used by the CLI, the API and file names.
    pub fn key(self) -> &'static str {
        match self {
            SealStyle::Official(s) => s.key(),
            SealStyle::InvoiceOval => "invoice",
            SealStyle::WideOval => "oval",
            SealStyle::SquareFinance => "square-finance",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            SealStyle::Official(s) => s.chinese(),
            SealStyle::InvoiceOval => "发票专用章",
            SealStyle::WideOval => "椭圆专用章",
            SealStyle::SquareFinance => "方形财务专用章",
        }
    }

    pub fn from_key(s: &str) -> Result<Self> {
        SealStyle::ALL
            .into_iter()
            .find(|st| st.key() == s || st.chinese() == s)
            .ok_or_else(|| {
                StampError::BadText(format!(
                    "unknown seal style {s:?} ({})",
                    SealStyle::ALL.map(|s| s.key()).join(", ")
                ))
            })
    }

    /// The default (width, height) in mm.
    pub fn default_size_mm(self) -> (f32, f32) {
        match self {
            SealStyle::Official(_) => (42.0, 42.0),
            SealStyle::InvoiceOval => {
                let (w, h, _) = OvalKind::Invoice.dimensions();
                (w, h)
            }
            SealStyle::WideOval => {
                let (w, h, _) = OvalKind::Wide.dimensions();
                (w, h)
            }
            SealStyle::SquareFinance => (22.0, 22.0),
        }
    }
}

/// What a generated unit seal shows.
#[derive(Debug, Clone)]
pub struct UnitSeal {
    pub style: SealStyle,
    /// 单位名称 / 纳税人名称.
    pub name: String,
    /// Bottom text: 合同专用章 under a round seal's star, 财务专用章 in an oval or a square
    /// seal (their default), 发票专用章 on the invoice seal (fixed).
    pub bottom: Option<String>,
    /// The round seal's 印章编码, or the invoice seal's 纳税人识别号 (required there).
    pub code: Option<String>,
    /// The round seal's diameter or the square seal's side; the ovals have fixed sizes.
    pub size_mm: Option<f32>,
    pub dpi: f32,
    pub font: Option<SealFont>,
}

impl UnitSeal {
    pub fn new(style: SealStyle, name: &str) -> Self {
        UnitSeal {
            style,
            name: name.into(),
            bottom: None,
            code: None,
            size_mm: None,
            dpi: 300.0,
            font: None,
        }
    }

    pub fn render(&self) -> Result<Picture> {
        let fixed = |what: &str| match self.size_mm {
            Some(s) if (s, s) != self.style.default_size_mm() => Err(StampError::BadSize(format!(
                "the {what} has a fixed size ({} × {} mm)",
                self.style.default_size_mm().0,
                self.style.default_size_mm().1
            ))),
            _ => Ok(()),
        };
        match self.style {
            SealStyle::Official(style) => OfficialSeal {
                bottom_text: self.bottom.clone(),
                code: self.code.clone(),
                diameter_mm: self.size_mm.unwrap_or(42.0),
                dpi: self.dpi,
                font: self.font.clone(),
                ..OfficialSeal::new(style, &self.name)
            }
            .render(),
            SealStyle::InvoiceOval => {
                fixed("发票专用章")?;
                let id = self.code.as_deref().ok_or_else(|| {
                    StampError::BadText("发票专用章 needs the 纳税人识别号 (code)".into())
                })?;
                OvalSeal {
                    dpi: self.dpi,
                    font: self.font.clone(),
                    ..OvalSeal::invoice(&self.name, id)
                }
                .render()
            }
            SealStyle::WideOval => {
                fixed("oval seal")?;
                OvalSeal {
                    dpi: self.dpi,
                    font: self.font.clone(),
                    middle: self.code.clone(),
                    ..OvalSeal::wide(&self.name, self.bottom.as_deref().unwrap_or("财务专用章"))
                }
                .render()
            }
            SealStyle::SquareFinance => SquareSeal {
                bottom: self.bottom.clone().unwrap_or_else(|| "财务专用章".into()),
                size_mm: self.size_mm.unwrap_or(22.0),
                dpi: self.dpi,
                font: self.font.clone(),
                ..SquareSeal::finance(&self.name)
            }
            .render(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for s in SealStyle::ALL {
            assert_eq!(SealStyle::from_key(s.key()).unwrap(), s);
            assert_eq!(SealStyle::from_key(s.chinese()).unwrap(), s);
        }
        let e = SealStyle::from_key("round").unwrap_err().to_string();
        assert!(e.contains("square-finance") && e.contains("invoice"), "{e}");
    }
}
