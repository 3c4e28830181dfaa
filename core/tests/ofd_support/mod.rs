//! Helpers for the OFD tests: a generated multi-page OFD, PNG pictures, test seals.
#![allow(dead_code)]

use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::crypto::SoftwareSigner;
use eseal::ses::{Seal, SealBuilder};
use std::io::Write;

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in data {
        c ^= *b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// An RGBA PNG of `w`×`h` whose pixels come from `f(x, y)`.
pub fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend(f(x, y));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).unwrap();
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |t: &[u8], d: &[u8]| {
        out.extend((d.len() as u32).to_be_bytes());
        let body = [t, d].concat();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    out
}

/// A solid, opaque picture of one colour (easy to find in a rendering).
pub fn solid_png(rgb: [u8; 3]) -> Vec<u8> {
    png(64, 64, |_, _| [rgb[0], rgb[1], rgb[2], 255])
}

/// A generated OFD with `pages` A4 pages, each with a line of text.
pub fn sample_ofd(pages: usize) -> Vec<u8> {
    let ns = "http://www.ofdspec.org/2016";
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        "OFD.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0c9b1d6a7f1e4d2c8a3b5e6f7a8b9c0d</ofd:DocID><ofd:Title>eseal test</ofd:Title><ofd:CreationDate>2026-01-01</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#).into_bytes(),
    ));
    let mut page_list = String::new();
    for i in 0..pages {
        page_list.push_str(&format!(r#"<ofd:Page ID="{}" BaseLoc="Pages/Page_{i}/Content.xml"/>"#, 10 + i));
    }
    files.push((
        "Doc_0/Document.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{ns}"><ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"#).into_bytes(),
    ));
    files.push((
        "Doc_0/PublicRes.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="Helvetica" FamilyName="Helvetica"/></ofd:Fonts></ofd:Res>"#).into_bytes(),
    ));
    for i in 0..pages {
        files.push((
            format!("Doc_0/Pages/Page_{i}/Content.xml"),
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="{}"><ofd:TextObject ID="{}" Boundary="20 20 100 10" Font="2" Size="5"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">Page {}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#, 20 + 2 * i, 21 + 2 * i, i + 1).into_bytes(),
        ));
    }
    let mut c = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut c);
    for (n, d) in files {
        w.start_file(n, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&d).unwrap();
    }
    w.finish().unwrap();
    c.into_inner()
}

/// Signing time used by the tests (inside the test CA's validity).
pub fn t0() -> Time {
    Time::from_ymd_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

/// A v4 seal from the test CA `seed` (maker: unit cert; allowed signer: person cert) with a
/// solid picture of `rgb`, and the person's signer.
pub fn seal(seed: &str, name: &str, rgb: [u8; 3]) -> (Seal, SoftwareSigner, TestCa) {
    let ca = TestCa::new(seed).unwrap();
    let seal = SealBuilder::new(name, &format!("{seed}-0001"))
        .picture("PNG", solid_png(rgb), 40, 40)
        .created(Time::from_ymd_hms(2026, 1, 1, 0, 0, 0).unwrap())
        .valid(Time::from_ymd_hms(2026, 1, 1, 0, 0, 0).unwrap(), Time::from_ymd_hms(2030, 1, 1, 0, 0, 0).unwrap())
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let signer = ca.person.signer();
    (seal, signer, ca)
}

/// The eseal binary.
pub fn eseal() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
}
