//! `eseal stamp ...`: every kind of seal picture written by the command line, and a bad
//! import refused with exit status 2 and nothing written.

#[path = "../../core/tests/common/mod.rs"]
mod common;

#[test]
fn cli_writes_every_kind() {
    let t = common::TempDir::new("stamp-cli");
    let exe = env!("CARGO_BIN_EXE_eseal");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p = |n: &str| t.path().join(n).display().to_string();
    run(&[
        "stamp",
        "official",
        "--style",
        "party",
        "--name",
        "中共示例委员会",
        "--bottom",
        "纪委",
        "--dpi",
        "100",
        "-o",
        &p("o.png"),
        "--svg",
        &p("o.svg"),
    ]);
    run(&[
        "stamp",
        "personal",
        "--name",
        "王小明",
        "--shape",
        "rect",
        "--dpi",
        "100",
        "-o",
        &p("r.png"),
    ]);
    run(&[
        "stamp",
        "qr",
        "--template",
        "https://v.example.cn/{doc_id}/{digest}",
        "--doc-id",
        "D1",
        "--digest",
        "00ff",
        "-o",
        &p("q.png"),
        "--svg",
        &p("q.svg"),
    ]);
    // A seal scanned on white paper: the personal seal just drawn, on an opaque background.
    let drawn = image::open(p("r.png")).unwrap().to_rgba8();
    let on_paper = image::RgbImage::from_fn(drawn.width(), drawn.height(), |x, y| {
        let [r, g, b, a] = drawn.get_pixel(x, y).0;
        let over = |c: u8| ((c as u32 * a as u32 + 250 * (255 - a as u32)) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    });
    on_paper.save(p("in.png")).unwrap();
    run(&[
        "stamp",
        "import",
        &p("in.png"),
        "--dpi",
        "100",
        "-o",
        &p("i.png"),
    ]);
    run(&[
        "stamp",
        "slice",
        &p("o.png"),
        "--n",
        "3",
        "--out-dir",
        &p("slices"),
    ]);
    run(&["stamp", "gallery", &p("gallery"), "--dpi", "40"]);
    // A font chosen by path (the set-up installs WenQuanYi Zen Hei beside AR PL UMing).
    run(&[
        "stamp",
        "official",
        "--name",
        "北京示例有限公司",
        "--font",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "--dpi",
        "60",
        "-o",
        &p("zenhei.png"),
    ]);
    for f in [
        "zenhei.png",
        "q.svg",
        "o.png",
        "o.svg",
        "r.png",
        "q.png",
        "i.png",
        "slices/slice-3.png",
        "gallery/youth-30.png",
        "gallery/party-bottom-code.svg",
    ] {
        assert!(t.path().join(f).is_file(), "{f} not written");
    }
    let o = image::open(t.path().join("o.png")).unwrap();
    assert_eq!((o.width(), o.height()), (165, 165));
    // Bad input: clear error, exit status 2, nothing written.
    let out = std::process::Command::new(exe)
        .args(["stamp", "import", &p("o.svg"), "-o", &p("bad.png")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a supported image"));
    assert!(!t.path().join("bad.png").exists());
}

/// The square 财务专用章 and the rectangular 法人章 from the command line, a font chosen by
/// its installed family name, the list of families, and a family that is not installed
/// refused (exit 2, naming what is installed, nothing written).
#[test]
fn cli_square_legal_and_font_families() {
    let t = common::TempDir::new("stamp-cli-square");
    let exe = env!("CARGO_BIN_EXE_eseal");
    let run = |args: &[&str]| std::process::Command::new(exe).args(args).output().unwrap();
    let p = |n: &str| t.path().join(n).display().to_string();
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let out = ok(run(&[
        "stamp",
        "square",
        "--name",
        "北京示例有限公司",
        "--size",
        "25",
        "--dpi",
        "100",
        "-o",
        &p("sq.png"),
    ]));
    assert!(out.contains("25.0×25.0 mm"), "{out}");
    let img = image::open(p("sq.png")).unwrap();
    assert_eq!((img.width(), img.height()), (98, 98));
    let out = ok(run(&[
        "stamp",
        "personal",
        "--shape",
        "legal",
        "--name",
        "王小明",
        "--dpi",
        "100",
        "-o",
        &p("legal.png"),
    ]));
    assert!(out.contains("×10.0 mm"), "{out}");
    let fonts = ok(run(&["stamp", "fonts"]));
    assert!(fonts.lines().any(|l| l == "WenQuanYi Zen Hei"), "{fonts}");
    ok(run(&[
        "stamp",
        "square",
        "--name",
        "华为",
        "--font",
        "WenQuanYi Zen Hei",
        "--dpi",
        "100",
        "-o",
        &p("wqy.png"),
    ]));
    ok(run(&[
        "stamp",
        "square",
        "--name",
        "华为",
        "--dpi",
        "100",
        "-o",
        &p("song.png"),
    ]));
    assert_ne!(
        std::fs::read(p("wqy.png")).unwrap(),
        std::fs::read(p("song.png")).unwrap(),
        "another face draws other outlines"
    );
    let o = run(&[
        "stamp",
        "square",
        "--name",
        "华为",
        "--font",
        "No Such Family",
        "-o",
        &p("none.png"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("No Such Family") && err.contains("UMing"),
        "{err}"
    );
    assert!(!std::path::Path::new(&p("none.png")).exists());
}
