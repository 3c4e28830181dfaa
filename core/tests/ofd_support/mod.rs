//! Helpers for the OFD tests: a generated multi-page OFD, PNG pictures, test seals.
#![allow(dead_code)]

pub mod rawzip;

use eseal::crypto::SoftwareSigner;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::ses::{Seal, SealBuilder};
use std::io::Write;

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in data {
        c ^= *b as u32;
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
    eseal::samples::sample_ofd(pages, "eseal test")
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
        .valid(
            Time::from_ymd_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Time::from_ymd_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        )
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let signer = ca.person.signer();
    (seal, signer, ca)
}

/// Runs ofd.js (npm, installed by scripts/setup.d/50-ofd.sh; an independent reader) on `file`
/// through tests/ofd_interop/ofdjs_parse.js and returns its JSON line: pages and, per
/// signature, ofd.js's own SM2 and digest checks and the stamps it found. `None` (with a
/// message) when ofd.js is not installed.
pub fn ofdjs_report(file: &std::path::Path) -> Option<serde_json::Value> {
    let cache = std::env::var("ESEAL_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/eseal")
        });
    let module = cache.join("node/node_modules/ofd.js/lib/ofd.common.js");
    if !module.exists() {
        eprintln!(
            "SKIP ofd.js: {} is missing (scripts/setup.d/50-ofd.sh installs it)",
            module.display()
        );
        return None;
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ofd_interop/ofdjs_parse.js");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(&module)
        .arg(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    Some(
        serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| {
            panic!(
                "ofd.js output {stdout:?} {}: {e}",
                String::from_utf8_lossy(&out.stderr)
            )
        }),
    )
}
