//! Every generated style with sample names, written as PNG and SVG for a person to look at.

use super::official::{OfficialSeal, OfficialStyle};
use super::oval::OvalSeal;
use super::personal::{PersonalSeal, PersonalShape};
use super::square::SquareSeal;
use super::{Picture, Result, StampError};
use std::path::{Path, PathBuf};

/// Sample unit names of 2, 8, 16 and 30 characters.
pub const SAMPLE_NAMES: [&str; 4] = [
    "华为",
    "北京示例有限公司",
    "上海浦东新区示例智能制造有限公司",
    "中国共产党某某省某某市某某区某某街道某某社区第一党支部委员会",
];

/// The pictures of the gallery: (file stem, picture).
pub fn pictures(dpi: f32) -> Result<Vec<(String, Picture)>> {
    let mut out = Vec::new();
    for style in OfficialStyle::ALL {
        for name in SAMPLE_NAMES {
            let n = name.chars().count();
            let seal = OfficialSeal::new(style, name).dpi(dpi);
            out.push((format!("{}-{n:02}", style.key()), seal.render()?));
        }
        let (name, bottom) = match style {
            OfficialStyle::Common => ("北京示例科技有限公司", "合同专用章"),
            OfficialStyle::PartyDiscipline => ("中共北京示例科技有限公司纪律检查委员会", "纪委"),
            OfficialStyle::TradeUnion => ("北京示例科技有限公司工会委员会", "工会"),
            OfficialStyle::YouthLeague => ("共青团北京示例科技有限公司", "委员会"),
        };
        let seal = OfficialSeal::new(style, name)
            .bottom_text(bottom)
            .code("1101080012345")
            .dpi(dpi);
        out.push((format!("{}-bottom-code", style.key()), seal.render()?));
    }
    // The written round sizes other than 42 mm (see `official`'s table).
    for (d, name, bottom) in [
        (38.0, "北京示例商贸中心", None),
        (40.0, "北京示例科技有限公司", Some("合同专用章")),
        (45.0, "北京市示例区人民政府办公室", None),
        (50.0, "北京示例科技集团股份有限公司", None),
        (58.0, "北京示例科技有限公司", Some("合同专用章")),
        (60.0, "北京示例科技集团股份有限公司", None),
    ] {
        let mut seal = OfficialSeal::new(OfficialStyle::Common, name)
            .diameter_mm(d)
            .dpi(dpi);
        if let Some(b) = bottom {
            seal = seal.bottom_text(b);
        }
        out.push((format!("common-{d:.0}mm"), seal.render()?));
    }
    for (stem, shape, name, border) in [
        ("personal-square-2", PersonalShape::Square, "张三", true),
        ("personal-square-3", PersonalShape::Square, "王小明", true),
        (
            "personal-square-4-noborder",
            PersonalShape::Square,
            "欧阳娜娜",
            false,
        ),
        ("personal-rect-3", PersonalShape::Rectangle, "王小明", true),
        (
            "personal-rect-4-noborder",
            PersonalShape::Rectangle,
            "欧阳娜娜",
            false,
        ),
    ] {
        let seal = PersonalSeal {
            border,
            dpi,
            ..PersonalSeal::new(shape, name)
        };
        out.push((stem.to_string(), seal.render()?));
    }
    // Name seals in the shops' sizes, 2-, 3- and 4-character names; the rectangular 法人章.
    for (side, name) in [
        (18.0, "张三"),
        (20.0, "王小明"),
        (22.0, "欧阳娜娜"),
        (25.0, "李四"),
    ] {
        let seal = PersonalSeal {
            size_mm: Some(side),
            dpi,
            ..PersonalSeal::new(PersonalShape::Square, name)
        };
        let n = name.chars().count();
        out.push((format!("personal-square-{side:.0}mm-{n}"), seal.render()?));
    }
    for name in ["王小明", "欧阳娜娜"] {
        let seal = PersonalSeal {
            dpi,
            ..PersonalSeal::new(PersonalShape::LegalRect, name)
        };
        let n = name.chars().count();
        out.push((format!("legal-rect-{n}"), seal.render()?));
    }
    // 方形财务专用章 at its two written sizes.
    for (side, name) in [
        (22.0, "北京示例有限公司"),
        (25.0, "上海浦东新区示例智能制造有限公司"),
        (22.0, "华为"),
    ] {
        let seal = SquareSeal {
            size_mm: side,
            dpi,
            ..SquareSeal::finance(name)
        };
        let n = name.chars().count();
        out.push((format!("square-finance-{side:.0}mm-{n:02}"), seal.render()?));
    }
    for (stem, seal) in [
        (
            "oval-invoice-08",
            OvalSeal::invoice("北京示例有限公司", "91110108MA01234567"),
        ),
        (
            "oval-invoice-16",
            OvalSeal::invoice("上海浦东新区示例智能制造有限公司", "91310115MA1K2B3C4D"),
        ),
        (
            "oval-invoice-30",
            OvalSeal::invoice(SAMPLE_NAMES[3], "310115123456789"),
        ),
        (
            "oval-finance-08",
            OvalSeal::wide("北京示例有限公司", "财务专用章"),
        ),
        (
            "oval-contract-16",
            OvalSeal::wide("上海浦东新区示例智能制造有限公司", "合同专用章"),
        ),
    ] {
        out.push((stem.to_string(), OvalSeal { dpi, ..seal }.render()?));
    }
    Ok(out)
}

/// Writes the gallery into `dir` (created if needed); returns the files written.
pub fn write(dir: &Path, dpi: f32) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| StampError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut files = Vec::new();
    for (stem, pic) in pictures(dpi)? {
        let png = dir.join(format!("{stem}.png"));
        pic.write_png(&png)?;
        files.push(png);
        let svg = dir.join(format!("{stem}.svg"));
        if pic.write_svg(&svg)? {
            files.push(svg);
        }
    }
    Ok(files)
}
