//! `eseal stamp …`: seal pictures from the command line.

use super::CliResult;
use clap::Subcommand;
use eseal::stamp::official::{OfficialSeal, OfficialStyle};
use eseal::stamp::personal::{PersonalSeal, PersonalShape};
use eseal::stamp::{Picture, SealFont, gallery};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum StampCommand {
    /// Generated round official seal (普通公章, 党纪委公章, 工会公章, 共青团章).
    Official {
        /// common | party | union | youth (or the Chinese names).
        #[arg(long, default_value = "common")]
        style: String,
        /// Unit name along the upper arc.
        #[arg(long)]
        name: String,
        /// Horizontal line below the emblem, e.g. 合同专用章 (`\n` for two lines).
        #[arg(long)]
        bottom: Option<String>,
        /// Seal code along the lower arc.
        #[arg(long)]
        code: Option<String>,
        #[arg(long, default_value_t = 42.0)]
        diameter: f32,
        #[command(flatten)]
        out: Output,
    },
    /// Oval seal: 发票专用章 (40×30 mm, taxpayer ID across the centre) or, with --wide, the
    /// 45×30 mm 财务/合同 oval.
    Oval {
        /// Taxpayer or unit name along the upper arc.
        #[arg(long)]
        name: String,
        /// 纳税人识别号 across the centre.
        #[arg(long)]
        taxpayer_id: Option<String>,
        /// Text below: 发票专用章 (default), 财务专用章, 合同专用章, …
        #[arg(long, default_value = "发票专用章")]
        bottom: String,
        /// The 45×30 mm oval instead of the 40×30 mm invoice seal.
        #[arg(long)]
        wide: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Square unit seal: 方形财务专用章 (22 or 25 mm), the text in columns read right to left.
    Square {
        /// Unit name.
        #[arg(long)]
        name: String,
        /// Text after the name.
        #[arg(long, default_value = "财务专用章")]
        bottom: String,
        /// Side in mm (22 or 25 are the written sizes; 15–40 accepted).
        #[arg(long, default_value_t = 22.0)]
        size: f32,
        #[command(flatten)]
        out: Output,
    },
    /// Personal seal: square (方形章), rectangular (长方形章) or the rectangular 法人章.
    Personal {
        #[arg(long)]
        name: String,
        /// square | rect | legal (法人章: the name and 印)
        #[arg(long, default_value = "square")]
        shape: String,
        /// Leave out the frame.
        #[arg(long)]
        no_border: bool,
        /// Square side or rectangle height in mm.
        #[arg(long)]
        size: Option<f32>,
        #[command(flatten)]
        out: Output,
    },
    /// Import a jpg/png/gif as a seal picture (cropped to size, white made transparent).
    Import {
        input: PathBuf,
        #[arg(long, default_value_t = 42.0)]
        width: f32,
        #[arg(long, default_value_t = 42.0)]
        height: f32,
        /// cover (crop to fill, default) | contain (fit inside)
        #[arg(long, default_value = "cover")]
        fit: String,
        #[arg(long, default_value_t = 300.0)]
        dpi: f32,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Anti-forgery QR code pointing to the verification page.
    Qr {
        /// URL template with {doc_id} and {digest}.
        #[arg(long)]
        template: String,
        #[arg(long)]
        doc_id: String,
        /// Signature digest, hex.
        #[arg(long)]
        digest: String,
        #[arg(long, default_value_t = 15.0)]
        size: f32,
        #[arg(long, default_value_t = 300.0)]
        dpi: f32,
        #[arg(short, long)]
        output: PathBuf,
        /// Also write the code as SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Cut a PNG into N vertical slices for a cross-page seal (骑缝章).
    Slice {
        input: PathBuf,
        #[arg(long)]
        n: u32,
        #[arg(long, default_value_t = 300.0)]
        dpi: f32,
        /// Folder for slice-1.png … slice-N.png.
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// List the installed font families that can draw a seal (for --font).
    Fonts,
    /// Write every style with sample names into DIR.
    Gallery {
        dir: PathBuf,
        #[arg(long, default_value_t = 300.0)]
        dpi: f32,
    },
}

#[derive(clap::Args)]
pub struct Output {
    #[arg(long, default_value_t = 300.0)]
    dpi: f32,
    /// Font: an installed family name (`eseal stamp fonts` lists them) or a font file
    /// (TTF/OTF/TTC); default: the system's Song face (or ESEAL_FONT).
    #[arg(long)]
    font: Option<String>,
    /// Face index inside a .ttc file.
    #[arg(long, default_value_t = 0)]
    font_index: u32,
    /// Seal colour, #RRGGBB.
    #[arg(long)]
    color: Option<String>,
    /// PNG to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Also write the vector drawing as SVG.
    #[arg(long)]
    svg: Option<PathBuf>,
}

impl Output {
    fn font(&self) -> Result<Option<SealFont>, eseal::stamp::StampError> {
        self.font
            .as_deref()
            .map(|f| match self.font_index {
                0 => SealFont::from_spec(f),
                i => SealFont::from_path(Path::new(f), i),
            })
            .transpose()
    }
    fn color(&self) -> Result<eseal::stamp::Rgba, eseal::stamp::StampError> {
        self.color
            .as_deref()
            .map(eseal::stamp::Rgba::parse_hex)
            .unwrap_or(Ok(eseal::stamp::Rgba::SEAL_RED))
    }
    fn write(&self, pic: &Picture) -> CliResult {
        pic.write_png(&self.output)?;
        report(&self.output, pic);
        if let Some(svg) = &self.svg {
            pic.write_svg(svg)?;
        }
        Ok(0)
    }
}

fn report(path: &Path, pic: &Picture) {
    println!(
        "{}: {}×{} px, {:.1}×{:.1} mm at {} dpi",
        path.display(),
        pic.width_px,
        pic.height_px,
        pic.width_mm,
        pic.height_mm,
        pic.dpi
    );
}

pub fn run(c: StampCommand) -> CliResult {
    match c {
        StampCommand::Official {
            style,
            name,
            bottom,
            code,
            diameter,
            out,
        } => {
            let seal = OfficialSeal {
                style: OfficialStyle::from_key(&style)?,
                unit_name: name,
                bottom_text: bottom.map(|b| b.replace("\\n", "\n")),
                code,
                diameter_mm: diameter,
                dpi: out.dpi,
                color: out.color()?,
                font: out.font()?,
            };
            out.write(&seal.render()?)
        }
        StampCommand::Oval {
            name,
            taxpayer_id,
            bottom,
            wide,
            out,
        } => {
            use eseal::stamp::oval::{OvalKind, OvalSeal};
            let seal = OvalSeal {
                kind: if wide {
                    OvalKind::Wide
                } else {
                    OvalKind::Invoice
                },
                name,
                middle: taxpayer_id,
                bottom,
                dpi: out.dpi,
                color: out.color()?,
                font: out.font()?,
            };
            out.write(&seal.render()?)
        }
        StampCommand::Square {
            name,
            bottom,
            size,
            out,
        } => {
            let seal = eseal::stamp::square::SquareSeal {
                name,
                bottom,
                size_mm: size,
                dpi: out.dpi,
                color: out.color()?,
                font: out.font()?,
            };
            out.write(&seal.render()?)
        }
        StampCommand::Fonts => {
            for f in SealFont::installed_families() {
                println!("{f}");
            }
            Ok(0)
        }
        StampCommand::Personal {
            name,
            shape,
            no_border,
            size,
            out,
        } => {
            let seal = PersonalSeal {
                shape: PersonalShape::from_key(&shape)?,
                name,
                border: !no_border,
                size_mm: size,
                dpi: out.dpi,
                color: out.color()?,
                font: out.font()?,
            };
            out.write(&seal.render()?)
        }
        StampCommand::Import {
            input,
            width,
            height,
            fit,
            dpi,
            output,
        } => {
            let bytes = std::fs::read(&input).map_err(|e| format!("{}: {e}", input.display()))?;
            let opts = eseal::stamp::import::ImportOptions {
                width_mm: width,
                height_mm: height,
                dpi,
                fit: eseal::stamp::import::Fit::from_key(&fit)?,
                ..Default::default()
            };
            let pic = eseal::stamp::import::import(&bytes, &opts)?;
            pic.write_png(&output)?;
            report(&output, &pic);
            Ok(0)
        }
        StampCommand::Qr {
            template,
            doc_id,
            digest,
            size,
            dpi,
            output,
            svg,
        } => {
            let digest =
                hex::decode(digest.trim()).map_err(|e| format!("--digest is not hex: {e}"))?;
            let qr = eseal::stamp::qr::AntiForgeryQr {
                template,
                doc_id,
                digest,
                size_mm: size,
                dpi,
                ..Default::default()
            };
            let pic = qr.render()?;
            pic.write_png(&output)?;
            report(&output, &pic);
            if let Some(svg) = svg {
                pic.write_svg(&svg)?;
            }
            Ok(0)
        }
        StampCommand::Slice {
            input,
            n,
            dpi,
            out_dir,
        } => {
            let bytes = std::fs::read(&input).map_err(|e| format!("{}: {e}", input.display()))?;
            let pic = eseal::stamp::import::png_picture(&bytes, dpi)?;
            std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
            for (i, s) in eseal::stamp::slice::vertical_slices(&pic, n)?
                .iter()
                .enumerate()
            {
                let p = out_dir.join(format!("slice-{}.png", i + 1));
                s.write_png(&p)?;
                report(&p, s);
            }
            Ok(0)
        }
        StampCommand::Gallery { dir, dpi } => {
            let files = gallery::write(&dir, dpi)?;
            println!("wrote {} files into {}", files.len(), dir.display());
            Ok(0)
        }
    }
}
