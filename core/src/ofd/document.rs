//! The document structure (GB/T 33190 §7.4–7.7): OFD.xml → DocBody → Document.xml → pages,
//! and the set of files rendering uses (for coverage, `docs/ofd-verification.md` §4).

use super::OfdError;
use super::package::{Package, dir_of, resolve};
use super::xml::{self, Element};
use std::collections::BTreeSet;

/// A4 portrait, the default page area when none is given.
pub const DEFAULT_BOX: [f64; 4] = [0.0, 0.0, 210.0, 297.0];

/// One `DocBody` of OFD.xml.
#[derive(Debug, Clone)]
pub struct DocBody {
    pub index: usize,
    /// Absolute path of Document.xml.
    pub doc_root: String,
    /// Absolute path of Signatures.xml, when the document has signatures.
    pub signatures: Option<String>,
}

/// One page, in document order.
#[derive(Debug, Clone)]
pub struct Page {
    /// `Page/@ID` — what `StampAnnot/@PageRef` names.
    pub id: String,
    /// Absolute path of the page's Content.xml.
    pub content: String,
    /// PhysicalBox in mm: x, y, width, height.
    pub physical_box: [f64; 4],
    /// The page's own resource files (`PageRes`, resolved), read with the page.
    pub res: Vec<String>,
}

/// A parsed Document.xml.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub root: Element,
    pub pages: Vec<Page>,
    pub physical_box: [f64; 4],
    pub max_unit_id: Option<u64>,
}

/// Parses an ST_Box "x y w h".
pub fn parse_box(s: &str) -> Option<[f64; 4]> {
    let v: Vec<f64> = s
        .split_whitespace()
        .map(|t| t.parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    if v.len() != 4 || v.iter().any(|f| !f.is_finite()) {
        return None;
    }
    Some([v[0], v[1], v[2], v[3]])
}

/// Whether the visible part of a stamp (Boundary, narrowed by Clip in its own coordinates,
/// GB/T 33190-2016 ch. 18 StampAnnot) overlaps the page box; `true` when the page box is unknown.
pub fn visible_on_page(b: [f64; 4], clip: Option<&str>, page: Option<[f64; 4]>) -> bool {
    let Some(p) = page else { return true };
    let (mut x, mut y, mut w, mut h) = (b[0], b[1], b[2], b[3]);
    if let Some(c) = clip.and_then(parse_box) {
        x += c[0];
        y += c[1];
        w = c[2];
        h = c[3];
    }
    x < p[0] + p[2] && x + w > p[0] && y < p[1] + p[3] && y + h > p[1] && w > 0.0 && h > 0.0
}

fn area_box(el: &Element) -> Option<[f64; 4]> {
    el.child("PageArea")
        .or_else(|| el.child("Area"))
        .and_then(|a| a.child_text("PhysicalBox"))
        .and_then(parse_box)
}

/// Reads OFD.xml's DocBody list.
pub fn doc_bodies(pkg: &Package) -> Result<Vec<DocBody>, OfdError> {
    let (entry, _) = pkg
        .entry("/OFD.xml")
        .ok_or_else(|| OfdError::MissingPart("/OFD.xml".into()))?;
    let root = xml::parse(&pkg.read_entry(entry)?, &entry.name)?;
    if root.name != "OFD" {
        return Err(OfdError::Structure(format!(
            "OFD.xml root is <{}>, not <OFD>",
            root.name
        )));
    }
    let mut out = Vec::new();
    for (i, body) in root.children_named("DocBody").enumerate() {
        let doc_root = body
            .child_text("DocRoot")
            .ok_or_else(|| OfdError::Structure(format!("DocBody {i} has no DocRoot")))?;
        let signatures = match body.child_text("Signatures") {
            Some(s) if !s.is_empty() => Some(resolve("", s)?),
            _ => None,
        };
        out.push(DocBody {
            index: i,
            doc_root: resolve("", doc_root)?,
            signatures,
        });
    }
    if out.is_empty() {
        return Err(OfdError::Structure("OFD.xml has no DocBody".into()));
    }
    Ok(out)
}

/// Reads a Document.xml and its page list (order as listed; GB/T 33190 §7.5). Each page's
/// Content.xml is parsed once, one at a time, for its own PhysicalBox and PageRes.
pub fn read_document(pkg: &Package, path: &str) -> Result<Document, OfdError> {
    let root = xml::parse(&pkg.require(path)?, path)?;
    if root.name != "Document" {
        return Err(OfdError::Structure(format!(
            "{path}: root is <{}>, not <Document>",
            root.name
        )));
    }
    let dir = dir_of(path);
    let common = root.child("CommonData");
    let physical_box = common.and_then(area_box).unwrap_or(DEFAULT_BOX);
    let max_unit_id = common
        .and_then(|c| c.child_text("MaxUnitID"))
        .and_then(|t| t.parse().ok());
    let mut pages = Vec::new();
    if let Some(list) = root.child("Pages") {
        for p in list.children_named("Page") {
            let id = p
                .attr("ID")
                .ok_or_else(|| OfdError::Structure(format!("{path}: a Page has no ID")))?
                .to_owned();
            let loc = p
                .attr("BaseLoc")
                .ok_or_else(|| OfdError::Structure(format!("{path}: page {id} has no BaseLoc")))?;
            let content = resolve(dir, loc)?;
            let page = match pkg.read(&content) {
                // Page → Area → PhysicalBox, Page → PageRes: the drawing is not kept.
                Ok(b) => b.and_then(|b| xml::parse_to(&b, &content, 3).ok()),
                // Too large to parse (reported where the page is hashed) — not fatal here.
                Err(OfdError::Limit(_)) => None,
                Err(e) => return Err(e),
            };
            let own = page.as_ref().and_then(area_box);
            let res = page
                .iter()
                .flat_map(|p| p.children_named("PageRes"))
                .filter_map(|r| resolve(dir_of(&content), r.text.trim()).ok())
                .collect();
            pages.push(Page {
                id,
                content,
                physical_box: own.unwrap_or(physical_box),
                res,
            });
        }
    }
    Ok(Document {
        path: path.to_owned(),
        root,
        pages,
        physical_box,
        max_unit_id,
    })
}

/// Files rendering the document uses: OFD.xml, Document.xml, resource files and the media
/// they name, templates, pages, annotations, attachments and custom tags. Paths that name
/// no file are included too (a verifier reports them).
pub fn rendered_files(pkg: &Package, doc: &Document) -> Result<BTreeSet<String>, OfdError> {
    let mut out = BTreeSet::new();
    out.insert("/OFD.xml".to_owned());
    out.insert(doc.path.clone());
    let dir = dir_of(&doc.path).to_owned();
    let add = |out: &mut BTreeSet<String>, base: &str, loc: &str| -> Option<String> {
        let p = resolve(base, loc).ok()?;
        out.insert(p.clone());
        Some(p)
    };
    // A part that is absent, too large or unparsable names no further files. Resource
    // files name media four levels down (Res → MultiMedias → MultiMedia → MediaFile).
    let parse = |path: &str| -> Result<Option<Element>, OfdError> {
        match pkg.read(path) {
            Ok(b) => Ok(b.and_then(|b| xml::parse_to(&b, path, 4).ok())),
            Err(OfdError::Limit(_)) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut res_files = Vec::new();
    if let Some(c) = doc.root.child("CommonData") {
        for r in c
            .children
            .iter()
            .filter(|e| e.name == "PublicRes" || e.name == "DocumentRes")
        {
            res_files.extend(add(&mut out, &dir, r.text.trim()));
        }
        for t in c.children_named("TemplatePage") {
            if let Some(l) = t.attr("BaseLoc") {
                add(&mut out, &dir, l);
            }
        }
    }
    for p in &doc.pages {
        out.insert(p.content.clone());
        for r in &p.res {
            out.insert(r.clone());
            res_files.push(r.clone());
        }
    }
    res_files.sort();
    res_files.dedup();
    for res in res_files {
        let Some(el) = parse(&res)? else {
            continue;
        };
        let res_dir = dir_of(&res).to_owned();
        let media_dir = match el.attr("BaseLoc") {
            Some(b) => resolve(&res_dir, b).unwrap_or(res_dir.clone()),
            None => res_dir.clone(),
        };
        let mut media = Vec::new();
        el.descendants("MediaFile", &mut media);
        el.descendants("FontFile", &mut media);
        for m in media {
            add(&mut out, &media_dir, m.text.trim());
        }
    }
    for (list, item) in [
        ("Annotations", "Page"),
        ("Attachments", "Attachment"),
        ("CustomTags", "CustomTag"),
    ] {
        let Some(loc) = doc.root.child_text(list) else {
            continue;
        };
        let Some(path) = add(&mut out, &dir, loc) else {
            continue;
        };
        let Some(el) = parse(&path)? else {
            continue;
        };
        let base = dir_of(&path).to_owned();
        for it in el.children_named(item) {
            let loc = it
                .child_text("FileLoc")
                .map(str::to_owned)
                .or_else(|| it.attr("FileLoc").map(str::to_owned))
                .or_else(|| it.attr("BaseLoc").map(str::to_owned));
            if let Some(l) = loc {
                add(&mut out, &base, &l);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_visibility() {
        let a4 = Some([0.0, 0.0, 210.0, 297.0]);
        assert!(visible_on_page([10.0, 10.0, 40.0, 40.0], None, a4));
        assert!(!visible_on_page([300.0, 10.0, 40.0, 40.0], None, a4));
        // A cross-page slice: the Boundary sticks out, the clipped part is on the page.
        assert!(visible_on_page(
            [202.0, 40.0, 40.0, 40.0],
            Some("0 0 8 40"),
            a4
        ));
        assert!(!visible_on_page(
            [202.0, 40.0, 40.0, 40.0],
            Some("10 0 8 40"),
            a4
        ));
        assert!(visible_on_page([1e9, 0.0, 1.0, 1.0], None, None));
    }

    #[test]
    fn boxes() {
        assert_eq!(parse_box("0 0 210 297"), Some([0.0, 0.0, 210.0, 297.0]));
        assert_eq!(parse_box(" 1.5  2 3 4 "), Some([1.5, 2.0, 3.0, 4.0]));
        assert_eq!(parse_box("0 0 210"), None);
        assert_eq!(parse_box("a b c d"), None);
        assert_eq!(parse_box("NaN 0 1 1"), None);
    }
}
