//! Helpers shared by the PDF tests of the library and of the command line: test documents and
//! pictures, a P-256 CA made with OpenSSL, qpdf as a referee.
#![allow(dead_code)]

use super::common::{TempDir, tool, venv_python};
use eseal::crypto::testca::TestCa;
use eseal::pdf::PadesSigner;
use eseal::validation::VerifyOptions;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A PDF with `pages` A4 pages, classic xref table; each page draws a blue square and text.
pub fn make_pdf(pages: usize) -> Vec<u8> {
    eseal::samples::sample_pdf(pages, "Page")
}

/// A red disc on a transparent background, `n`×`n` pixels, as PNG.
pub fn red_disc_png(n: u32) -> Vec<u8> {
    let mut px = Vec::new();
    let c = n as f64 / 2.0;
    for y in 0..n {
        for x in 0..n {
            let d = ((x as f64 + 0.5 - c).powi(2) + (y as f64 + 0.5 - c).powi(2)).sqrt();
            px.extend_from_slice(if d < c - 1.0 {
                &[230, 0, 0, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    encode_png(n, n, png::ColorType::Rgba, &px)
}

pub fn encode_png(w: u32, h: u32, ct: png::ColorType, px: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(ct);
        e.set_depth(png::BitDepth::Eight);
        let mut wr = e.write_header().unwrap();
        wr.write_image_data(px).unwrap();
    }
    out
}

/// An opaque black-and-white checker (stands in for a QR code picture).
pub fn checker_png(n: u32) -> Vec<u8> {
    let px: Vec<u8> = (0..n * n)
        .map(|i| {
            if ((i % n) / 4 + (i / n) / 4).is_multiple_of(2) {
                0
            } else {
                255
            }
        })
        .collect();
    encode_png(n, n, png::ColorType::Grayscale, &px)
}

pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new(tag: &str) -> Self {
        let f = Fixture {
            dir: TempDir::new(tag),
        };
        f.openssl_ca();
        f
    }
    pub fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn sh(&self, script: &str) -> std::process::Output {
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    /// A P-256 CA and signer made with OpenSSL (research §3.1).
    pub fn openssl_ca(&self) {
        tool("openssl");
        let out = self.sh(
            "set -e
            openssl ecparam -name prime256v1 -genkey -noout -out ca.key
            openssl req -x509 -new -key ca.key -subj '/CN=Test Root/O=eseal-test' -days 3650 -out ca.pem -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
            openssl ecparam -name prime256v1 -genkey -noout -out signer.key
            openssl req -new -key signer.key -subj '/CN=Test Signer/O=eseal-test' -out signer.csr
            printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' > ext.cnf
            openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out signer.pem -extfile ext.cnf 2>/dev/null
            cat signer.pem ca.pem > chain.pem",
        );
        assert!(
            out.status.success(),
            "openssl CA: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    pub fn pades(&self) -> PadesSigner {
        PadesSigner::from_pem(
            &std::fs::read(self.p("signer.key")).unwrap(),
            &std::fs::read(self.p("chain.pem")).unwrap(),
        )
        .unwrap()
    }
    pub fn opts(&self) -> VerifyOptions {
        let trust = eseal::validation::TrustStore::from_files(&[self.p("ca.pem")]).unwrap();
        VerifyOptions {
            trust,
            ..Default::default()
        }
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.p(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

pub fn qpdf_check(path: &Path) {
    let out = tool("qpdf").arg("--check").arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("No syntax or stream encoding errors"),
        "qpdf --check {}: {text} {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn sm2_opts(ca: &TestCa) -> VerifyOptions {
    VerifyOptions {
        trust: eseal::validation::TrustStore::new().with(ca.root.cert.clone()),
        ..Default::default()
    }
}

/// Replaces the last occurrence of `from` by `to` padded with spaces to the same length.
pub fn patch_same_length(pdf: &mut [u8], from: &str, to: &str) {
    assert!(to.len() <= from.len());
    let at = (0..=pdf.len() - from.len())
        .rev()
        .find(|&i| &pdf[i..i + from.len()] == from.as_bytes())
        .unwrap_or_else(|| panic!("{from} not found"));
    let mut rep = to.as_bytes().to_vec();
    rep.resize(from.len(), b' ');
    pdf[at..at + from.len()].copy_from_slice(&rep);
}

/// A noisy picture (does not compress): makes a seal of several kilobytes.
pub fn noisy_seal_png(n: u32) -> Vec<u8> {
    let mut px = Vec::new();
    let c = n as f64 / 2.0;
    let mut x_state = 0x1234_5678u32;
    for y in 0..n {
        for x in 0..n {
            x_state ^= x_state << 13;
            x_state ^= x_state >> 17;
            x_state ^= x_state << 5;
            let d = ((x as f64 + 0.5 - c).powi(2) + (y as f64 + 0.5 - c).powi(2)).sqrt();
            let v = (x_state & 0x1f) as u8;
            let p: [u8; 4] = if d < c - 1.0 {
                [220 + v, v, v, 255]
            } else {
                [0, 0, 0, 0]
            };
            px.extend_from_slice(&p);
        }
    }
    encode_png(n, n, png::ColorType::Rgba, &px)
}

/// pyHanko's validation against the fixture's root: (valid, its output).
pub fn pyhanko_validate(f: &Fixture, path: &Path) -> (bool, String) {
    let out = venv_python()
        .args(["-m", "pyhanko", "sign", "validate", "--trust"])
        .arg(f.p("ca.pem"))
        .arg("--trust-replace")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// pdfsig's report, with the fixture's root and signer in an NSS database.
pub fn pdfsig(f: &Fixture, path: &Path) -> String {
    tool("pdfsig");
    tool("certutil");
    if !f.p("nss").exists() {
        let out = f.sh(
            "set -e; mkdir nss; certutil -N -d sql:nss --empty-password; certutil -A -d sql:nss -n root -t 'C,C,C' -i ca.pem; certutil -A -d sql:nss -n signer -t ',,' -i signer.pem",
        );
        assert!(
            out.status.success(),
            "certutil: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("pdfsig")
        .arg("-nssdir")
        .arg(format!("sql:{}", f.p("nss").display()))
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
