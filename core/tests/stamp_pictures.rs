//! Stamp room: geometry of generated seals measured on the rendered bitmaps and on the
//! layout's glyph boxes, personal seals, imports, refused inputs, QR round trip (rqrr),
//! and cross-page slices.

mod common;

use eseal::stamp::import::{Fit, ImportOptions, import};
use eseal::stamp::official::{OfficialLayout, OfficialSeal, OfficialStyle};
use eseal::stamp::personal::{PersonalSeal, PersonalShape};
use eseal::stamp::qr::AntiForgeryQr;
use eseal::stamp::{Quad, SealFont, StampError, mm_to_px, slice};

/// Names of 2, 8, 16 and 30 characters.
const NAMES: [&str; 4] = [
    "华为",
    "北京示例有限公司",
    "上海浦东新区示例智能制造有限公司",
    "中国共产党某某省某某市某某区某某街道某某社区第一党支部委员会",
];

const DPI: f32 = 100.0; // modest, keeps the tests fast: 42 mm → 165 px

fn is_red(p: &image::Rgba<u8>) -> bool {
    p.0[3] > 200 && p.0[0] > 200 && p.0[1] < 60 && p.0[2] < 60
}

fn all_boxes(l: &OfficialLayout) -> Vec<(&'static str, Quad)> {
    let mut v: Vec<(&'static str, Quad)> = l.name_boxes.iter().map(|q| ("name", *q)).collect();
    v.extend(l.bottom_boxes.iter().map(|q| ("bottom", *q)));
    v.extend(l.code_boxes.iter().map(|q| ("code", *q)));
    v
}

#[test]
fn font_is_installed_and_cjk() {
    let f = SealFont::system_default()
        .expect("a CJK font (scripts/setup.sh installs fonts-arphic-uming)");
    assert!(f.has_glyph('章') && f.has_glyph('印'), "{f:?}");
}

#[test]
fn official_bitmaps_have_the_right_geometry() {
    for style in OfficialStyle::ALL {
        let seal = OfficialSeal::new(style, NAMES[1])
            .bottom_text("合同专用章")
            .code("1101080012345")
            .dpi(DPI);
        let layout = seal.layout().unwrap();
        let pic = layout.drawing.render(DPI).unwrap();
        // Exact pixel size for mm × DPI.
        assert_eq!((pic.width_px, pic.height_px), (165, 165), "{style:?}");
        assert_eq!(mm_to_px(42.0, 96.0), 159);
        let img = pic.to_rgba().unwrap();
        let s = pic.width_px as f32 / 42.0; // px per mm
        let (cx, cy) = (layout.center.0 * s, layout.center.1 * s);
        let (r, ri) = (layout.outer_radius * s, layout.ring_inner_radius * s);
        let sample = |rad: f32, deg: f32| -> Option<image::Rgba<u8>> {
            let a = deg.to_radians();
            let (x, y) = ((cx + rad * a.cos()).floor(), (cy + rad * a.sin()).floor());
            (x >= 0.0 && y >= 0.0 && x < 165.0 && y < 165.0)
                .then(|| *img.get_pixel(x as u32, y as u32))
        };
        // The ring is red all round and round: scanning each ray, its outer edge is within
        // 1.2 px of the nominal radius and (one ring) its inner edge too.
        for i in 0..360 {
            let deg = i as f32;
            assert!(
                sample((r + ri) / 2.0, deg).is_some_and(|p| is_red(&p)),
                "{style:?}: ring not red at {deg}°"
            );
            let outer = (0..40)
                .map(|j| r + 2.0 - j as f32 * 0.1)
                .find(|&t| sample(t, deg).is_some_and(|p| p.0[3] > 128));
            assert!(
                outer.is_some_and(|t| (t - r).abs() <= 1.2),
                "{style:?}: outer edge {outer:?} vs {r} at {deg}°"
            );
            if style != OfficialStyle::TradeUnion {
                let inner = (0..40)
                    .map(|j| ri - 2.0 + j as f32 * 0.1)
                    .find(|&t| sample(t, deg).is_some_and(|p| p.0[3] > 128));
                assert!(
                    inner.is_some_and(|t| (t - ri).abs() <= 1.2),
                    "{style:?}: inner edge {inner:?} vs {ri} at {deg}°"
                );
            }
        }
        // Transparent background: corners and the space between emblem and name.
        for (x, y) in [(0, 0), (164, 0), (0, 164), (164, 164)] {
            assert_eq!(img.get_pixel(x, y).0[3], 0);
        }
        // Centre emblem present: the centre pixel is red and the emblem box is well inked.
        assert!(
            is_red(img.get_pixel(cx as u32, cy as u32)),
            "{style:?}: no emblem at the centre"
        );
        let eb = layout.emblem.0;
        let (ex0, ey0, ex1, ey1) = (eb[0].0 * s, eb[0].1 * s, eb[2].0 * s, eb[2].1 * s);
        let mut inked = 0;
        let mut total = 0;
        for y in ey0 as u32..ey1 as u32 {
            for x in ex0 as u32..ex1 as u32 {
                total += 1;
                inked += (img.get_pixel(x, y).0[3] > 128) as u32;
            }
        }
        assert!(
            inked * 10 > total,
            "{style:?}: emblem covers only {inked}/{total} px of its box"
        );
        // Every inked pixel belongs to the ring, the emblem or a glyph box (1 px tolerance).
        let boxes = all_boxes(&layout);
        let grow = 1.5 / s;
        let mut in_text = 0;
        for (x, y, p) in img.enumerate_pixels() {
            if p.0[3] < 128 {
                continue;
            }
            let (mx, my) = ((x as f32 + 0.5) / s, (y as f32 + 0.5) / s);
            let rr = ((mx - layout.center.0).powi(2) + (my - layout.center.1).powi(2)).sqrt();
            if rr
                >= layout.ring_inner_radius
                    - grow
                    - if style == OfficialStyle::TradeUnion {
                        0.8
                    } else {
                        0.0
                    }
            {
                continue; // ring (and the union's thin line)
            }
            if layout.emblem.contains(mx, my) || near(&layout.emblem, mx, my, grow) {
                continue;
            }
            let hit = boxes
                .iter()
                .find(|(_, q)| q.contains(mx, my) || near(q, mx, my, grow));
            assert!(hit.is_some(), "{style:?}: stray ink at ({x},{y}) px");
            if hit.is_some_and(|(k, _)| *k == "name") {
                // Text pixels of the name lie inside the name band.
                assert!(
                    rr >= layout.name_band.0 - grow && rr <= layout.name_band.1 + grow,
                    "{style:?}: name ink off its band"
                );
                in_text += 1;
            }
        }
        assert!(in_text > 300, "{style:?}: only {in_text} name pixels");
    }
}

/// Whether (x, y) is within `d` of the quad (tests: tolerance for anti-aliasing).
fn near(q: &Quad, x: f32, y: f32, d: f32) -> bool {
    [
        (-d, 0.0),
        (d, 0.0),
        (0.0, -d),
        (0.0, d),
        (-d, -d),
        (d, d),
        (-d, d),
        (d, -d),
    ]
    .iter()
    .any(|(dx, dy)| q.contains(x + dx, y + dy))
}

#[test]
fn every_style_and_length_lays_out_without_overlap() {
    for style in OfficialStyle::ALL {
        for name in NAMES {
            for extras in [false, true] {
                let mut seal = OfficialSeal::new(style, name).dpi(DPI);
                if extras {
                    seal = seal.bottom_text("合同专用章").code("1101080012345");
                }
                let l = seal
                    .layout()
                    .unwrap_or_else(|e| panic!("{style:?} {name}: {e}"));
                let pic = l.drawing.render(60.0).unwrap();
                assert_eq!(pic.width_px, mm_to_px(42.0, 60.0));
                let what = format!("{style:?} {} chars extras={extras}", name.chars().count());
                assert_eq!(l.name_boxes.len(), name.chars().count());
                let boxes = all_boxes(&l);
                for (i, (ka, a)) in boxes.iter().enumerate() {
                    assert!(
                        !a.overlaps(&l.emblem),
                        "{what}: {ka} glyph {i} overlaps the emblem"
                    );
                    assert!(
                        a.max_radius(l.center.0, l.center.1) < l.ring_inner_radius,
                        "{what}: {ka} glyph {i} touches the ring"
                    );
                    for (j, (kb, b)) in boxes.iter().enumerate().skip(i + 1) {
                        assert!(
                            !a.overlaps(b),
                            "{what}: {ka} glyph {i} overlaps {kb} glyph {j}"
                        );
                    }
                }
                // Name glyphs stay in their band, upright (head outwards) and read clockwise.
                let (c0, c1) = l.center;
                let mut last = f32::MIN;
                for q in &l.name_boxes {
                    assert!(
                        q.min_corner_radius(c0, c1) >= l.name_band.0 - 0.05
                            && q.max_radius(c0, c1) <= l.name_band.1 + 0.3,
                        "{what}: off the band"
                    );
                    let head = ((q.0[0].0 + q.0[1].0) / 2.0, (q.0[0].1 + q.0[1].1) / 2.0);
                    let foot = ((q.0[2].0 + q.0[3].0) / 2.0, (q.0[2].1 + q.0[3].1) / 2.0);
                    let rad = |p: (f32, f32)| ((p.0 - c0).powi(2) + (p.1 - c1).powi(2)).sqrt();
                    assert!(rad(head) > rad(foot), "{what}: a name glyph is upside down");
                    let mid = ((head.0 + foot.0) / 2.0, (head.1 + foot.1) / 2.0);
                    let angle = (mid.0 - c0).atan2(c1 - mid.1); // from the top, clockwise
                    assert!(angle > last, "{what}: name does not read clockwise");
                    last = angle;
                }
                // Code glyphs: heads towards the centre, reading left to right.
                let mut last_x = f32::MIN;
                for q in &l.code_boxes {
                    let head = ((q.0[0].0 + q.0[1].0) / 2.0, (q.0[0].1 + q.0[1].1) / 2.0);
                    let foot = ((q.0[2].0 + q.0[3].0) / 2.0, (q.0[2].1 + q.0[3].1) / 2.0);
                    assert!(
                        head.1 < foot.1 || (head.0 - c0).abs() > (foot.0 - c0).abs() - 1.0,
                        "{what}: code glyph not upright"
                    );
                    assert!(head.0 > last_x, "{what}: code does not read left to right");
                    last_x = head.0;
                }
                assert!(l.name_width_ratio >= 0.42 - 1e-4, "{what}: over-compressed");
                assert!(
                    l.name_arc_deg <= 250.0 + 1e-3,
                    "{what}: arc {}",
                    l.name_arc_deg
                );
            }
        }
    }
}

#[test]
fn two_bottom_lines_fit_under_the_emblem() {
    for style in OfficialStyle::ALL {
        let l = OfficialSeal::new(style, NAMES[1])
            .bottom_text("第一团支部\n委员会")
            .layout()
            .unwrap();
        assert_eq!(l.bottom_boxes.len(), 8);
        let boxes = all_boxes(&l);
        for (i, (_, a)) in boxes.iter().enumerate() {
            assert!(
                !a.overlaps(&l.emblem)
                    && a.max_radius(l.center.0, l.center.1) < l.ring_inner_radius
            );
            assert!(
                boxes.iter().skip(i + 1).all(|(_, b)| !a.overlaps(b)),
                "{style:?}"
            );
        }
        // The second line is below the first.
        assert!(l.bottom_boxes[5].0[0].1 > l.bottom_boxes[0].0[3].1);
    }
    assert!(
        OfficialSeal::new(OfficialStyle::Common, "示例")
            .bottom_text("一\n二\n三")
            .layout()
            .is_err()
    );
}

#[test]
fn long_names_are_compressed_short_names_are_not() {
    let short = OfficialSeal::new(OfficialStyle::Common, NAMES[1])
        .layout()
        .unwrap();
    let long = OfficialSeal::new(OfficialStyle::Common, NAMES[3])
        .layout()
        .unwrap();
    assert!((short.name_width_ratio - 0.9).abs() < 1e-4);
    assert!(long.name_width_ratio < short.name_width_ratio);
    assert!(long.name_arc_deg > short.name_arc_deg);
}

#[test]
fn bad_text_and_missing_glyphs_are_errors() {
    let e = OfficialSeal::new(OfficialStyle::Common, "示例\u{E000}公司")
        .layout()
        .unwrap_err();
    assert!(
        matches!(e, StampError::MissingGlyph { ch: '\u{E000}', .. }),
        "{e}"
    );
    assert!(matches!(
        OfficialSeal::new(OfficialStyle::Common, "  ").layout(),
        Err(StampError::BadText(_))
    ));
    assert!(matches!(
        OfficialSeal::new(OfficialStyle::Common, "北京 公司").layout(),
        Err(StampError::BadText(_))
    ));
    assert!(matches!(
        OfficialSeal::new(OfficialStyle::Common, "北京公司")
            .diameter_mm(5.0)
            .layout(),
        Err(StampError::BadSize(_))
    ));
    let t = common::TempDir::new("stamp-font");
    let not_font = t.path().join("x.ttf");
    std::fs::write(&not_font, b"not a font").unwrap();
    assert!(matches!(
        SealFont::from_path(&not_font, 0),
        Err(StampError::BadFont { .. })
    ));
}

#[test]
fn svg_matches_the_drawing() {
    let pic = OfficialSeal::new(OfficialStyle::YouthLeague, NAMES[1])
        .bottom_text("委员会")
        .dpi(DPI)
        .render()
        .unwrap();
    let svg = pic.svg.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 42 42\""));
    // ring + star + two bars + 8 + 3 glyphs (each filled and stroked)
    assert_eq!(svg.matches("<path").count(), 1 + 1 + 2 + 2 * 11);
}

#[test]
fn personal_seals() {
    for (name, engraved) in [
        ("张三", "张三之印"),
        ("王小明", "王小明印"),
        ("欧阳娜娜", "欧阳娜娜"),
    ] {
        for border in [true, false] {
            let seal = PersonalSeal {
                border,
                dpi: DPI,
                ..PersonalSeal::new(PersonalShape::Square, name)
            };
            let l = seal.layout().unwrap();
            assert_eq!(l.text.iter().collect::<String>(), engraved);
            // Right column first, top to bottom.
            let c = |i: usize| {
                (
                    (l.boxes[i].0[0].0 + l.boxes[i].0[2].0) / 2.0,
                    (l.boxes[i].0[0].1 + l.boxes[i].0[2].1) / 2.0,
                )
            };
            assert!(c(0).0 > c(2).0 && c(0).1 < c(1).1 && c(2).1 < c(3).1);
            for i in 0..4 {
                for j in i + 1..4 {
                    assert!(!l.boxes[i].overlaps(&l.boxes[j]));
                }
                if let Some(f) = &l.frame_inner {
                    assert!(
                        l.boxes[i].0.iter().all(|&(x, y)| f.contains(x, y)),
                        "glyph outside the frame"
                    );
                }
            }
            let pic = l.drawing.render(DPI).unwrap();
            assert_eq!((pic.width_px, pic.height_px), (79, 79)); // 20 mm at 100 dpi
            let img = pic.to_rgba().unwrap();
            assert_eq!(
                is_red(img.get_pixel(0, 0)),
                border,
                "frame at the corner iff border"
            );
            assert_eq!(
                img.get_pixel(39, 39).0[3],
                0,
                "gap between the cells is transparent"
            );
        }
    }
    let rect = PersonalSeal {
        dpi: DPI,
        ..PersonalSeal::new(PersonalShape::Rectangle, "王小明")
    }
    .layout()
    .unwrap();
    let rect4 = PersonalSeal {
        dpi: DPI,
        ..PersonalSeal::new(PersonalShape::Rectangle, "欧阳娜娜")
    }
    .layout()
    .unwrap();
    assert!(rect4.drawing.width_mm > rect.drawing.width_mm && rect.drawing.height_mm == 10.0);
    assert!(
        rect.boxes
            .windows(2)
            .all(|w| !w[0].overlaps(&w[1]) && w[0].0[1].0 <= w[1].0[0].0)
    );
    assert!(matches!(
        PersonalSeal::new(PersonalShape::Square, "司马相如帝").layout(),
        Err(StampError::BadText(_))
    ));
}

fn test_image(w: u32, h: u32) -> image::RgbImage {
    // A red disc on white paper, a little grey noise in the white.
    image::RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        if (dx * dx + dy * dy).sqrt() < h as f32 * 0.4 {
            image::Rgb([220, 20, 30])
        } else {
            image::Rgb([250 - ((x + y) % 5) as u8, 250, 248])
        }
    })
}

fn encode(img: &image::DynamicImage, f: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, f).unwrap();
    out.into_inner()
}

#[test]
fn import_each_format() {
    let rgb = image::DynamicImage::ImageRgb8(test_image(300, 200));
    let png = encode(&rgb, image::ImageFormat::Png);
    let jpg = encode(&rgb, image::ImageFormat::Jpeg);
    // GIF with two frames: the first red disc, the second all blue; the first must win.
    let gif = {
        use image::codecs::gif::GifEncoder;
        let mut out = Vec::new();
        {
            let mut enc = GifEncoder::new(&mut out);
            let f1 =
                image::Frame::new(image::DynamicImage::ImageRgb8(test_image(300, 200)).to_rgba8());
            let f2 = image::Frame::new(image::RgbaImage::from_pixel(
                300,
                200,
                image::Rgba([0, 0, 255, 255]),
            ));
            enc.encode_frames([f1, f2]).unwrap();
        }
        out
    };
    let opts = ImportOptions {
        dpi: DPI,
        ..Default::default()
    };
    for (what, bytes) in [("png", &png), ("jpg", &jpg), ("gif", &gif)] {
        let pic = import(bytes, &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((pic.width_px, pic.height_px), (165, 165), "{what}");
        assert_eq!((pic.width_mm, pic.height_mm), (42.0, 42.0));
        let img = pic.to_rgba().unwrap();
        assert_eq!(
            img.get_pixel(2, 2).0[3],
            0,
            "{what}: white paper not transparent"
        );
        let c = img.get_pixel(82, 82);
        assert!(
            c.0[3] == 255 && c.0[0] > 180 && c.0[2] < 90,
            "{what}: centre {c:?}"
        );
    }
    // Cover crops the 3:2 picture to the square (disc touches nearly top to bottom); contain
    // letterboxes it (transparent bands top and bottom, disc smaller).
    let contain = import(
        &png,
        &ImportOptions {
            fit: Fit::Contain,
            ..opts.clone()
        },
    )
    .unwrap()
    .to_rgba()
    .unwrap();
    assert_eq!(contain.get_pixel(82, 10).0[3], 0);
    let cover = import(&png, &opts).unwrap().to_rgba().unwrap();
    assert_eq!(cover.get_pixel(82, 20).0[3], 255);
    let rect = import(
        &png,
        &ImportOptions {
            width_mm: 40.0,
            height_mm: 20.0,
            ..opts
        },
    )
    .unwrap();
    assert_eq!((rect.width_px, rect.height_px), (157, 79));
}

/// CRC-32 (IEEE) for patching a PNG header in the bomb test.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn refused_inputs() {
    let opts = ImportOptions {
        dpi: DPI,
        ..Default::default()
    };
    assert!(matches!(
        import(b"%PDF-1.7 not a picture", &opts),
        Err(StampError::NotAnImage(_))
    ));
    assert!(matches!(import(&[], &opts), Err(StampError::NotAnImage(_))));
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0u8; 60]);
    assert!(
        matches!(import(&bmp, &opts), Err(StampError::NotAnImage(_))),
        "BMP is not an accepted format"
    );
    let mut png = encode(
        &image::DynamicImage::ImageRgb8(test_image(30, 20)),
        image::ImageFormat::Png,
    );
    let truncated = &png[..png.len() / 2];
    assert!(matches!(
        import(truncated, &opts),
        Err(StampError::NotAnImage(_))
    ));
    // Decompression bomb: a header claiming 60000 × 60000 pixels is refused before decoding.
    png[16..20].copy_from_slice(&60000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        import(&png, &opts),
        Err(StampError::TooLarge {
            width: 60000,
            height: 60000,
            ..
        })
    ));
    let huge = ImportOptions {
        width_mm: 200.0,
        height_mm: 200.0,
        dpi: 1200.0,
        ..opts.clone()
    };
    assert!(
        matches!(import(&png, &huge), Err(StampError::BadSize(_))),
        "output too large"
    );
    let small = ImportOptions {
        max_input_pixels: 100,
        ..opts
    };
    let ok_png = encode(
        &image::DynamicImage::ImageRgb8(test_image(30, 20)),
        image::ImageFormat::Png,
    );
    assert!(matches!(
        import(&ok_png, &small),
        Err(StampError::TooLarge { .. })
    ));
}

#[test]
fn qr_round_trip() {
    let qr = AntiForgeryQr {
        template: "https://verify.example.cn/v?id={doc_id}&h={digest}".into(),
        doc_id: "HT-2026-0001".into(),
        digest: eseal_digest(),
        size_mm: 15.0,
        dpi: 300.0,
        ..Default::default()
    };
    let pic = qr.render().unwrap();
    assert_eq!((pic.width_px, pic.height_px), (177, 177));
    let img = pic.to_rgba().unwrap();
    // Quiet zone: the outer 4 modules are light all round.
    let quiet = (4 * 177) / (qr_modules(&qr.content().unwrap()) + 8);
    for i in 0..177 {
        for d in 0..quiet {
            for (x, y) in [(i, d), (d, i), (i, 176 - d), (176 - d, i)] {
                assert_eq!(
                    img.get_pixel(x, y).0[0],
                    255,
                    "dark pixel in the quiet zone at ({x},{y})"
                );
            }
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(177, 177, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, qr.content().unwrap());
    assert!(text.ends_with(&hex::encode(eseal_digest())));
    let svg = pic.svg.as_deref().unwrap();
    assert!(svg.contains("width=\"15mm\"") && svg.contains("h1v1h-1z"));
    let tiny = AntiForgeryQr { size_mm: 6.0, ..qr };
    assert!(
        matches!(tiny.render(), Err(StampError::Qr(_))),
        "modules too small to print"
    );
}

fn eseal_digest() -> Vec<u8> {
    (0u8..32).map(|i| i.wrapping_mul(37)).collect()
}

fn qr_modules(text: &str) -> u32 {
    qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .unwrap()
        .width() as u32
}

#[test]
fn cross_page_slices() {
    let pic = OfficialSeal::new(OfficialStyle::Common, NAMES[1])
        .dpi(DPI)
        .render()
        .unwrap();
    let whole = pic.to_rgba().unwrap();
    for n in [1, 2, 3, 7] {
        let parts = slice::vertical_slices(&pic, n).unwrap();
        assert_eq!(parts.len(), n as usize);
        assert_eq!(parts.iter().map(|p| p.width_px).sum::<u32>(), pic.width_px);
        assert!((parts.iter().map(|p| p.width_mm).sum::<f32>() - 42.0).abs() < 1e-3);
        let widths: Vec<u32> = parts.iter().map(|p| p.width_px).collect();
        assert!(widths.iter().max().unwrap() - widths.iter().min().unwrap() <= 1);
        let mut x0 = 0;
        for p in &parts {
            let img = p.to_rgba().unwrap();
            assert_eq!(img.height(), whole.height());
            for (x, y, px) in img.enumerate_pixels() {
                assert_eq!(px, whole.get_pixel(x0 + x, y));
            }
            x0 += img.width();
        }
    }
    assert!(slice::vertical_slices(&pic, 0).is_err());
    assert!(slice::vertical_slices(&pic, 1000).is_err());
}

#[test]
fn generated_picture_goes_into_a_ses_seal() {
    use eseal::crypto::testca::{TestCa, default_validity};
    use eseal::ses::{Seal, SealBuilder};
    let pic = OfficialSeal::new(OfficialStyle::Common, NAMES[1])
        .bottom_text("合同专用章")
        .dpi(DPI)
        .render()
        .unwrap();
    let ca = TestCa::new("eseal-stamp").unwrap();
    let (nb, na) = default_validity();
    let (w, h) = pic.ses_size_mm();
    let seal = SealBuilder::new("北京示例有限公司合同专用章", "110108000000001")
        .picture(pic.ses_type(), pic.png.clone(), w, h)
        .valid(nb, na)
        .created(nb)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let back = Seal::from_der(seal.der()).unwrap();
    assert_eq!(back.picture.data, pic.png);
    assert_eq!((back.picture.width_mm, back.picture.height_mm), (42, 42));
}

/// Oval seals (发票专用章 40 × 30 mm, 财务/合同 45 × 30 mm): the outline's size and edge in the
/// bitmap, every character inside the edge, no two boxes overlapping, the name above the
/// taxpayer ID and the ID above "发票专用章".
#[test]
fn oval_seals_have_their_written_dimensions_and_nothing_overlaps() {
    use eseal::stamp::oval::{OvalKind, OvalSeal};
    for (seal, (w, h, edge)) in [
        (
            OvalSeal::invoice("北京示例有限公司", "91110108MA01234567"),
            (40.0, 30.0, 1.0),
        ),
        (
            OvalSeal::invoice(
                "中国共产党某某省某某市某某区某某街道某某社区第一党支部委员会",
                "310115123456789",
            ),
            (40.0, 30.0, 1.0),
        ),
        (
            OvalSeal::invoice("华为", "91440300MA5F00000X"),
            (40.0, 30.0, 1.0),
        ),
        (
            OvalSeal::wide("北京示例有限公司", "财务专用章"),
            (45.0, 30.0, 1.2),
        ),
        (
            OvalSeal::wide("上海浦东新区示例智能制造有限公司", "合同专用章"),
            (45.0, 30.0, 1.2),
        ),
    ] {
        assert_eq!(seal.kind.dimensions(), (w, h, edge));
        let l = seal.layout().unwrap();
        assert_eq!(l.axes, (w / 2.0, h / 2.0));
        let (cx, cy) = l.center;
        let (ia, ib) = l.inner_axes;
        let mut all: Vec<(&str, &Quad)> = Vec::new();
        all.extend(l.name_boxes.iter().map(|q| ("name", q)));
        all.extend(l.middle_boxes.iter().map(|q| ("middle", q)));
        all.extend(l.bottom_boxes.iter().map(|q| ("bottom", q)));
        for (what, q) in &all {
            for &(x, y) in &q.0 {
                let r = ((x - cx) / ia).powi(2) + ((y - cy) / ib).powi(2);
                assert!(
                    r < 1.0,
                    "{} {what} corner ({x}, {y}) crosses the edge",
                    seal.name
                );
            }
        }
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert!(
                    !all[i].1.overlaps(all[j].1),
                    "{}: {} {i} overlaps {} {j}",
                    seal.name,
                    all[i].0,
                    all[j].0
                );
            }
        }
        let bottom_of = |qs: &[Quad]| {
            qs.iter()
                .flat_map(|q| q.0)
                .map(|p| p.1)
                .fold(f32::MIN, f32::max)
        };
        let top_of = |qs: &[Quad]| {
            qs.iter()
                .flat_map(|q| q.0)
                .map(|p| p.1)
                .fold(f32::MAX, f32::min)
        };
        if !l.middle_boxes.is_empty() {
            assert!(
                bottom_of(&l.name_boxes) < top_of(&l.middle_boxes),
                "{}",
                seal.name
            );
            assert!(
                bottom_of(&l.middle_boxes) < top_of(&l.bottom_boxes),
                "{}",
                seal.name
            );
        } else {
            assert!(
                bottom_of(&l.name_boxes) < top_of(&l.bottom_boxes),
                "{}",
                seal.name
            );
        }
        // Long names are narrowed, short ones are not.
        let n = seal.name.chars().count();
        if n <= 4 {
            assert!((l.name_width_ratio - 3.0 / 4.2).abs() < 1e-4);
        }
        if n >= 16 {
            assert!(l.name_width_ratio < 3.0 / 4.2);
        }
        // The bitmap: the size, the edge red at the ends of both axes, corners transparent.
        let pic = OvalSeal {
            dpi: 300.0,
            ..seal.clone()
        }
        .render()
        .unwrap();
        let img = pic.to_rgba().unwrap();
        let px = |mm: f32| (mm / 25.4 * 300.0).round() as u32;
        assert_eq!((img.width(), img.height()), (px(w), px(h)));
        let e = px(edge / 2.0);
        for (x, y) in [
            (e, img.height() / 2),
            (img.width() - 1 - e, img.height() / 2),
            (img.width() / 2, e),
            (img.width() / 2, img.height() - 1 - e),
        ] {
            assert!(is_red(img.get_pixel(x, y)), "{} edge at {x},{y}", seal.name);
        }
        assert_eq!(img.get_pixel(2, 2)[3], 0);
        // Missing glyph: a clear error.
        let bad = OvalSeal::invoice("北京示例有限公司", "9111\u{E000}");
        assert!(bad.layout().is_err());
        let _ = OvalKind::Wide;
    }
}

/// The round seals at their other written diameters (38, 40, 45, 50, 58, 60 mm): the pixel
/// size, the 普通公章's written ring width measured on the bitmap, and nothing overlapping or
/// touching the ring in any style with and without the bottom line and the code.
#[test]
fn round_seals_at_the_written_diameters() {
    for d in [38.0f32, 40.0, 45.0, 50.0, 58.0, 60.0] {
        for style in OfficialStyle::ALL {
            for name in [NAMES[0], NAMES[1], NAMES[2]] {
                for extras in [false, true] {
                    let mut seal = OfficialSeal::new(style, name).diameter_mm(d).dpi(DPI);
                    if extras {
                        seal = seal.bottom_text("合同专用章").code("1101080012345");
                    }
                    let what = format!("{style:?} {d} mm {name} extras={extras}");
                    let l = seal.layout().unwrap_or_else(|e| panic!("{what}: {e}"));
                    let boxes = all_boxes(&l);
                    for (i, (ka, a)) in boxes.iter().enumerate() {
                        assert!(!a.overlaps(&l.emblem), "{what}: {ka} {i} on the emblem");
                        assert!(
                            a.max_radius(l.center.0, l.center.1) < l.ring_inner_radius,
                            "{what}: {ka} {i} touches the ring"
                        );
                        for (kb, b) in boxes.iter().skip(i + 1) {
                            assert!(!a.overlaps(b), "{what}: {ka} {i} overlaps {kb}");
                        }
                    }
                }
            }
        }
        // The 普通公章's ring: 1.0 mm at 38 and 40 mm, 1.5 mm at 58 mm (written widths).
        let l = OfficialSeal::new(OfficialStyle::Common, NAMES[1])
            .diameter_mm(d)
            .layout()
            .unwrap();
        let ring = l.outer_radius - l.ring_inner_radius;
        match d as u32 {
            38 | 40 => assert!((ring - 1.0).abs() < 1e-4, "{d}: {ring}"),
            58 => assert!((ring - 1.5).abs() < 1e-4, "{d}: {ring}"),
            _ => assert!(ring > 1.2 && ring < 1.6, "{d}: {ring}"),
        }
        let pic = l.drawing.render(300.0).unwrap();
        assert_eq!(pic.width_px, mm_to_px(d, 300.0));
        let img = pic.to_rgba().unwrap();
        // Across the ring on the horizontal through the centre: red pixels ≈ the ring width.
        let y = img.height() / 2;
        let red = (0..img.width() / 4)
            .skip_while(|&x| !is_red(img.get_pixel(x, y)))
            .take_while(|&x| is_red(img.get_pixel(x, y)))
            .count() as f32;
        let want = ring / 25.4 * 300.0;
        assert!(
            (red - want).abs() <= 2.0,
            "{d} mm: {red} px of ring, want {want}"
        );
    }
}

/// 方形财务专用章 at 22 and 25 mm: the frame in the bitmap, the text read in columns from the
/// right, every character inside the frame, no two touching, cells as square as the count
/// allows.
#[test]
fn square_finance_seals() {
    use eseal::stamp::square::SquareSeal;
    for (side, name) in [
        (22.0f32, "华为"),
        (22.0, "北京示例有限公司"),
        (25.0, "上海浦东新区示例智能制造有限公司"),
        (22.0, "中国共产党某某省某某市某某区某某街道"),
    ] {
        let seal = SquareSeal {
            size_mm: side,
            dpi: DPI,
            ..SquareSeal::finance(name)
        };
        let l = seal.layout().unwrap();
        let what = format!("{side} mm {name}");
        let text: String = l.text.iter().collect();
        assert_eq!(text, format!("{name}财务专用章"));
        assert_eq!(l.boxes.len(), l.text.len());
        assert_eq!(l.columns.iter().sum::<usize>(), l.text.len());
        let (lo, hi) = (
            *l.columns.iter().min().unwrap(),
            *l.columns.iter().max().unwrap(),
        );
        assert!(hi - lo <= 1, "{what}: uneven columns {:?}", l.columns);
        assert!(
            (l.columns.len() as i32 - hi as i32).abs() <= 1,
            "{what}: not square {:?}",
            l.columns
        );
        let centre = |q: &Quad| {
            (
                q.0.iter().map(|p| p.0).sum::<f32>() / 4.0,
                q.0.iter().map(|p| p.1).sum::<f32>() / 4.0,
            )
        };
        // Reading order: down each column, columns from right to left.
        let mut i = 0;
        let mut last_x = f32::MAX;
        for &k in &l.columns {
            let col: Vec<_> = l.boxes[i..i + k].iter().map(centre).collect();
            assert!(col.windows(2).all(|w| w[0].1 < w[1].1), "{what}: column");
            assert!(col[0].0 < last_x, "{what}: columns right to left");
            last_x = col[0].0;
            i += k;
        }
        for (a, qa) in l.boxes.iter().enumerate() {
            assert!(
                qa.0.iter().all(|&(x, y)| l.frame_inner.contains(x, y)),
                "{what}: glyph {a} outside the frame"
            );
            for (b, qb) in l.boxes.iter().enumerate().skip(a + 1) {
                assert!(!qa.overlaps(qb), "{what}: {a} overlaps {b}");
            }
        }
        let pic = l.drawing.render(300.0).unwrap();
        assert_eq!(
            (pic.width_px, pic.height_px),
            (mm_to_px(side, 300.0), mm_to_px(side, 300.0))
        );
        let img = pic.to_rgba().unwrap();
        let bw = (0.05 * side / 25.4 * 300.0) as u32;
        let mid = img.width() / 2;
        for (x, y) in [
            (bw / 2, mid),
            (mid, bw / 2),
            (img.width() - 1 - bw / 2, mid),
        ] {
            assert!(is_red(img.get_pixel(x, y)), "{what}: frame at {x},{y}");
        }
    }
    assert!(matches!(
        SquareSeal {
            size_mm: 50.0,
            ..SquareSeal::finance("北京示例有限公司")
        }
        .layout(),
        Err(StampError::BadSize(_))
    ));
    assert!(matches!(
        SquareSeal::finance(&"章".repeat(26)).layout(),
        Err(StampError::BadText(_))
    ));
}

/// Name seals at the shops' sizes (18, 20, 22, 25 mm) with 2-, 3- and 4-character names, and
/// the rectangular 法人章 (name + 印).
#[test]
fn personal_seals_in_every_size_and_the_legal_rect() {
    for side in [18.0f32, 20.0, 22.0, 25.0] {
        for name in ["张三", "王小明", "欧阳娜娜"] {
            let l = PersonalSeal {
                size_mm: Some(side),
                dpi: DPI,
                ..PersonalSeal::new(PersonalShape::Square, name)
            }
            .layout()
            .unwrap();
            assert_eq!((l.drawing.width_mm, l.drawing.height_mm), (side, side));
            let f = l.frame_inner.unwrap();
            for (i, a) in l.boxes.iter().enumerate() {
                assert!(a.0.iter().all(|&(x, y)| f.contains(x, y)), "{side} {name}");
                for b in &l.boxes[i + 1..] {
                    assert!(!a.overlaps(b), "{side} {name}");
                }
            }
        }
    }
    for (name, engraved) in [
        ("王小明", "王小明印"),
        ("欧阳娜娜", "欧阳娜娜印"),
        ("张三印", "张三印"),
    ] {
        let l = PersonalSeal {
            dpi: DPI,
            ..PersonalSeal::new(PersonalShape::LegalRect, name)
        }
        .layout()
        .unwrap();
        assert_eq!(l.text.iter().collect::<String>(), engraved);
        assert_eq!(l.drawing.height_mm, 10.0);
        let f = l.frame_inner.unwrap();
        assert!(l.boxes.windows(2).all(|w| !w[0].overlaps(&w[1])));
        assert!(
            l.boxes
                .iter()
                .all(|q| q.0.iter().all(|&(x, y)| f.contains(x, y)))
        );
    }
    assert_eq!(
        PersonalShape::from_key("法人章").unwrap(),
        PersonalShape::LegalRect
    );
}

/// A font chosen among the installed ones by family name; a missing family names the ones
/// there are; a glyph the chosen font lacks is named in the error.
#[test]
fn fonts_are_chosen_by_family_and_missing_glyphs_are_named() {
    let families = SealFont::installed_families();
    assert!(
        families.iter().any(|f| f.contains("UMing"))
            && families.iter().any(|f| f.contains("WenQuanYi")),
        "{families:?}"
    );
    let f = SealFont::from_spec("WenQuanYi Zen Hei").unwrap();
    let default = SealFont::system_default().unwrap();
    assert!(
        f.name().contains("WenQuanYi") || f.name().contains("文泉"),
        "{f:?}"
    );
    assert_ne!(f.name(), default.name(), "not the default Song face");
    let name = f.name().to_string();
    let e = SealFont::from_spec("No Such Font").unwrap_err().to_string();
    assert!(e.contains("No Such Font") && e.contains("UMing"), "{e}");
    let seal = eseal::stamp::square::SquareSeal {
        font: Some(f),
        ..eseal::stamp::square::SquareSeal::finance("北京\u{2A6D6}有限公司")
    };
    match seal.layout() {
        Err(StampError::MissingGlyph { ch, font }) => {
            assert_eq!(ch, '\u{2A6D6}');
            assert_eq!(font, name);
        }
        other => panic!("{other:?}"),
    }
}
