//! Small sample documents (A4 pages with a line of text) for demos, tests, benchmarks and the
//! bindings' examples: a document to sign when the user has none at hand.

use std::io::Write;

/// An OFD (GB/T 33190) with `pages` A4 pages; each page shows "`title` — page n".
pub fn sample_ofd(pages: usize, title: &str) -> Vec<u8> {
    let ns = "http://www.ofdspec.org/2016";
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        "OFD.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0c9b1d6a7f1e4d2c8a3b5e6f7a8b9c0d</ofd:DocID><ofd:Title>{}</ofd:Title><ofd:CreationDate>2026-01-01</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#, esc(title)).into_bytes(),
    ));
    let mut page_list = String::new();
    for i in 0..pages {
        page_list.push_str(&format!(
            r#"<ofd:Page ID="{}" BaseLoc="Pages/Page_{i}/Content.xml"/>"#,
            10 + i
        ));
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
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="{}"><ofd:TextObject ID="{}" Boundary="20 20 170 10" Font="2" Size="5"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">{} - page {}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#,
                20 + 2 * i,
                21 + 2 * i,
                esc(title),
                i + 1
            )
            .into_bytes(),
        ));
    }
    let mut c = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut c);
    for (n, d) in files {
        // Writing to memory cannot fail.
        let _ = w.start_file(n, zip::write::SimpleFileOptions::default());
        let _ = w.write_all(&d);
    }
    let _ = w.finish();
    c.into_inner()
}

/// A PDF with `pages` A4 pages (classic xref table); each page draws a blue square and
/// "`title` - page n" (`title` in ASCII; other characters become `?`).
pub fn sample_pdf(pages: usize, title: &str) -> Vec<u8> {
    let title: String = title
        .chars()
        .map(|c| {
            if c.is_ascii() && c != '(' && c != ')' && c != '\\' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    let obj = |out: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    obj(&mut out, &mut offsets, b"<< /Type /Catalog /Pages 2 0 R >>");
    obj(
        &mut out,
        &mut offsets,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .as_bytes(),
    );
    obj(
        &mut out,
        &mut offsets,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    );
    for i in 0..pages {
        let page = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        );
        obj(&mut out, &mut offsets, page.as_bytes());
        let content = format!(
            "0.2 0.4 0.8 rg 40 40 60 60 re f BT /F1 24 Tf 72 760 Td ({title} - page {}) Tj ET",
            i + 1
        );
        obj(
            &mut out,
            &mut offsets,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len() + 1
            )
            .as_bytes(),
        );
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples_open() {
        let ofd = super::sample_ofd(3, "t");
        let pkg = crate::ofd::Package::from_bytes(ofd).unwrap();
        assert!(pkg.names().count() >= 6);
        let pdf = super::sample_pdf(2, "t");
        assert!(pdf.starts_with(b"%PDF-1.7") && pdf.ends_with(b"%%EOF\n"));
    }
}
