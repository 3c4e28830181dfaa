//! Our signed OFDs in independent readers: easyofd (PyPI) renders the pages with the seal
//! pictures where we placed them; ofd.js (npm) parses the document and its signatures.
//! Both are installed by scripts/setup.d/50-ofd.sh.

mod common;
mod ofd_support;

use eseal::ofd::{self, Package, Placement, QrCode, SignKind, SignRequest};
use ofd_support::*;

fn signed_for_readers() -> Vec<u8> {
    signed_with(vec![])
}

fn signed_with(extra: Vec<Placement>) -> Vec<u8> {
    let (seal_a, signer_a, _) = seal("ofd-interop-a", "互操作测试章", [230, 0, 0]);
    let (seal_b, signer_b, _) = seal("ofd-interop-b", "第二枚章", [0, 0, 230]);
    let pkg = Package::from_bytes(sample_ofd(3)).unwrap();
    let mut req = SignRequest::new(SignKind::Seal(&seal_a), t0());
    req.placements = vec![Placement::Stamp {
        page: 1,
        x_mm: 30.0,
        y_mm: 200.0,
        width_mm: None,
        height_mm: None,
    }];
    req.placements.extend(extra);
    req.qr = Some(QrCode {
        png: solid_png([0, 0, 0]),
        page: 1,
        x_mm: 150.0,
        y_mm: 30.0,
        size_mm: 20.0,
    });
    let one = ofd::sign(&pkg, &signer_a, &req).unwrap();
    let mut req = SignRequest::new(SignKind::Seal(&seal_b), t0());
    req.placements = vec![Placement::Stamp {
        page: 2,
        x_mm: 120.0,
        y_mm: 60.0,
        width_mm: Some(30.0),
        height_mm: Some(30.0),
    }];
    ofd::sign(&Package::from_bytes(one).unwrap(), &signer_b, &req).unwrap()
}

fn close(c: &serde_json::Value, rgb: [f64; 3], tol: f64) -> bool {
    (0..3).all(|i| (c[i].as_f64().unwrap() - rgb[i]).abs() <= tol)
}

#[test]
fn easyofd_renders_the_stamps_where_they_were_placed() {
    let dir = common::TempDir::new("ofd-easyofd");
    let f = dir.path().join("signed.ofd");
    std::fs::write(&f, signed_for_readers()).unwrap();
    let script = common::repo_root().join("core/tests/ofd_interop/easyofd_render.py");
    // Regions (page index, x, y, w, h in mm): inside each stamp (with a margin), the QR
    // code, and blank paper next to them.
    let regions = "[[0,34,204,32,32],[1,123,63,24,24],[0,152,32,16,16],[0,100,120,20,20],[1,30,200,30,30],[2,100,150,30,30]]";
    let out = common::venv_python()
        .arg(&script)
        .arg(&f)
        .arg(regions)
        .output()
        .expect("run easyofd");
    assert!(
        out.status.success(),
        "easyofd failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON from easyofd: {stdout}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["pages"], 3, "{v}");
    let r = &v["regions"];
    assert!(
        close(&r[0], [230.0, 0.0, 0.0], 40.0),
        "red seal on page 1 at 30,200: {} ({})",
        r[0],
        v["log"]
    );
    assert!(
        close(&r[1], [0.0, 0.0, 230.0], 40.0),
        "blue seal on page 2 at 120,60: {}",
        r[1]
    );
    assert!(
        close(&r[2], [0.0, 0.0, 0.0], 40.0),
        "QR code on page 1 at 150,30: {}",
        r[2]
    );
    for i in 3..6 {
        assert!(
            close(&r[i], [255.0, 255.0, 255.0], 20.0),
            "blank paper in region {i}: {}",
            r[i]
        );
    }
}

#[test]
fn ofdjs_parses_and_verifies_our_signatures() {
    let dir = common::TempDir::new("ofd-ofdjs");
    let f = dir.path().join("signed.ofd");
    std::fs::write(
        &f,
        signed_with(vec![Placement::CrossPage {
            pages: None,
            y_mm: Some(100.0),
            width_mm: None,
            height_mm: None,
        }]),
    )
    .unwrap();
    let v = ofdjs_report(&f).expect("ofd.js is missing: run scripts/setup.sh");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["pages"], 3);
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2, "{v}");
    for s in sigs {
        assert_eq!(s["verify"], true, "ofd.js's SM2 check of {}: {v}", s["id"]);
        assert_ne!(
            s["digest"], false,
            "ofd.js's digest check of {}: {v}",
            s["id"]
        );
        assert_eq!(s["provider"], "eseal");
        assert_eq!(s["seal_type"], "png");
    }
    assert!(sigs.iter().any(|s| s["digest"] == true), "{v}");
    // The first signature: the stamp on page 1 and three cross-page slices with Clip.
    let stamps = sigs.iter().find(|s| s["id"] == "s001").unwrap()["stamps"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(stamps.len(), 4, "{stamps:?}");
    assert!(
        stamps
            .iter()
            .any(|s| s["pageRef"] == "10" && s["boundary"] == "30 200 40 40"),
        "{stamps:?}"
    );
    assert_eq!(
        stamps.iter().filter(|s| s["clip"].is_string()).count(),
        3,
        "{stamps:?}"
    );
    // ofd.js notices a changed page (its digest check fails).
    let pkg = Package::from_bytes(std::fs::read(&f).unwrap()).unwrap();
    let mut page = pkg.read("Doc_0/Pages/Page_2/Content.xml").unwrap().unwrap();
    let i = page.windows(4).position(|w| w == b"Page").unwrap();
    page[i] = b'X';
    let mut ch = std::collections::BTreeMap::new();
    ch.insert("Doc_0/Pages/Page_2/Content.xml".to_owned(), Some(page));
    std::fs::write(&f, pkg.to_bytes_with(&ch).unwrap()).unwrap();
    let v = ofdjs_report(&f).unwrap();
    assert!(
        v["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["digest"] == false),
        "{v}"
    );
}
