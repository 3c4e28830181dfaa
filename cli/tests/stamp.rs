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
