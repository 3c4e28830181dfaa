//! The PDF tamper corpus, generated here: every attack class of issue 11 ("PDF: what changed
//! after signing") applied to documents signed in the three shapes (GB/T 38540 SES, SM2 CMS,
//! PAdES) with a classic cross-reference table and with a cross-reference stream plus an
//! object stream. Each case must give exit 1 with its named rule (`docs/pdf-changes.md`).
//! Allowed changes (later signatures, DSS, metadata, form filling) must stay allowed and be
//! listed; an overlay is laundered into a warning only by a later *trusted* signature.

mod common;
mod pdf_support;

use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::pdf::{self, Credential, DocMdp, PadesSigner, Placement, SignRequest, Sm2CmsOids};
use eseal::report::{Status, VerificationReport};
use eseal::ses::{Seal, SealBuilder};
use eseal::validation::VerifyOptions;
use lopdf::{Document, Object, ObjectId};
use pdf_support::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Table,
    Stream,
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Ses,
    Sm2Cms,
    Pades,
}

/// Object numbers of the generated base document.
const CATALOG: u32 = 1;
const PAGES: u32 = 2;
const PAGE1: u32 = 3;
const CONTENT1: u32 = 4;
const FONT: u32 = 5;
const XOBJECT: u32 = 6;
const TEXT_FIELD: u32 = 7;
const ACROFORM: u32 = 8;

/// A two-page document: page 1 draws text and a form XObject and holds a filled text field;
/// the file also hides a second definition of the page's content stream that its xref does
/// not list (the "shadow" an attacker prepares before having it signed). With `Stream`, the
/// dictionaries sit in an object stream and the xref is a stream (ISO 32000-1 §7.5.7, §7.5.8).
fn base_pdf(style: Style) -> Vec<u8> {
    let content1 =
        "BT /F1 20 Tf 72 760 Td (Pay 100 yuan to Alice) Tj ET q 1 0 0 1 300 300 cm /X1 Do Q";
    let shadow = "BT /F1 20 Tf 72 760 Td (Pay 1000000 yuan to Mallory) Tj ET";
    let stream =
        |s: &str, extra: &str| format!("<<{extra}/Length {}>>\nstream\n{s}\nendstream", s.len());
    let dicts: Vec<(u32, String)> = vec![
        (CATALOG, "<</Type/Catalog/Pages 2 0 R/AcroForm 8 0 R>>".into()),
        (PAGES, "<</Type/Pages/Kids[3 0 R 9 0 R]/Count 2>>".into()),
        (PAGE1, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>/XObject<</X1 6 0 R>>>>/Contents 4 0 R/Annots[7 0 R]>>".into()),
        (FONT, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".into()),
        (TEXT_FIELD, "<</Type/Annot/Subtype/Widget/FT/Tx/T(Payee)/V(Alice)/Rect[72 600 272 630]/F 4/P 3 0 R/AP<</N 10 0 R>>>>".into()),
        (ACROFORM, "<</Fields[7 0 R]/DA(/F1 12 Tf 0 g)/DR<</Font<</F1 5 0 R>>>>>>".into()),
        (9, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 11 0 R>>".into()),
    ];
    let streams: Vec<(u32, String)> = vec![
        (CONTENT1, stream(content1, "")),
        (
            XOBJECT,
            stream(
                "0 0 1 rg 0 0 100 100 re f",
                "/Type/XObject/Subtype/Form/BBox[0 0 100 100]",
            ),
        ),
        (
            10,
            stream(
                "BT /F1 12 Tf 2 8 Td (Alice) Tj ET",
                "/Type/XObject/Subtype/Form/BBox[0 0 200 30]/Resources<</Font<</F1 5 0 R>>>>",
            ),
        ),
        (11, stream("BT /F1 20 Tf 72 760 Td (Page 2) Tj ET", "")),
    ];
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<(u32, usize)> = Vec::new();
    let put = |out: &mut Vec<u8>, id: u32, body: &str| {
        let at = out.len();
        out.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
        at
    };
    for (id, s) in &streams {
        offsets.push((*id, put(&mut out, *id, s)));
    }
    // The shadows: objects 4 (content) and 3 (page 1, showing page 2's content) again, in no
    // cross-reference section.
    out.extend_from_slice(b"%hidden\n");
    put(&mut out, CONTENT1, &stream(shadow, ""));
    put(
        &mut out,
        PAGE1,
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 11 0 R>>",
    );
    match style {
        Style::Table => {
            for (id, d) in &dicts {
                offsets.push((*id, put(&mut out, *id, d)));
            }
            offsets.sort();
            let x = out.len();
            out.extend_from_slice(b"xref\n0 12\n0000000000 65535 f\r\n");
            for (_, o) in &offsets {
                out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
            }
            out.extend_from_slice(
                format!("trailer\n<</Size 12/Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n").as_bytes(),
            );
        }
        Style::Stream => {
            // Object stream 12 holds the dictionaries; xref stream 13.
            let mut header = String::new();
            let mut body = String::new();
            for (id, d) in &dicts {
                header.push_str(&format!("{id} {} ", body.len()));
                body.push_str(d);
                body.push('\n');
            }
            let data = format!("{header}{body}");
            let objstm = put(
                &mut out,
                12,
                &format!(
                    "<</Type/ObjStm/N {}/First {}/Length {}>>\nstream\n{data}\nendstream",
                    dicts.len(),
                    header.len(),
                    data.len()
                ),
            );
            let x = out.len();
            let mut rows: Vec<u8> = vec![0, 0, 0, 0, 0, 0xFF, 0xFF];
            for id in 1..=13u32 {
                let row: (u8, u32, u16) = if let Some(i) = dicts.iter().position(|(d, _)| *d == id)
                {
                    (2, 12, i as u16)
                } else if id == 12 {
                    (1, objstm as u32, 0)
                } else if id == 13 {
                    (1, x as u32, 0)
                } else {
                    let o = offsets
                        .iter()
                        .find(|(k, _)| *k == id)
                        .map(|(_, o)| *o)
                        .unwrap();
                    (1, o as u32, 0)
                };
                rows.push(row.0);
                rows.extend_from_slice(&row.1.to_be_bytes());
                rows.extend_from_slice(&row.2.to_be_bytes());
            }
            out.extend_from_slice(
                format!(
                    "13 0 obj\n<</Type/XRef/Size 14/W[1 4 2]/Root 1 0 R/Length {}>>\nstream\n",
                    rows.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&rows);
            out.extend_from_slice(
                format!("\nendstream\nendobj\nstartxref\n{x}\n%%EOF\n").as_bytes(),
            );
        }
    }
    out
}

/// Everything the corpus signs with, and the trust that makes those signatures valid.
struct Ctx {
    f: Fixture,
    ca: TestCa,
    seal: Seal,
    opts: VerifyOptions,
}

impl Ctx {
    fn new(tag: &str) -> Self {
        let f = Fixture::new(tag);
        let ca = TestCa::new(&format!("tamper-{tag}")).unwrap();
        let seal = SealBuilder::new("上海市测试局", "310000000000011")
            .picture("PNG", red_disc_png(32), 40, 40)
            .signer_cert(&ca.person.cert)
            .build(&ca.unit.signer())
            .unwrap();
        let mut opts = f.opts();
        opts.trust.add(ca.root.cert.clone());
        Ctx { f, ca, seal, opts }
    }

    /// One visible signature in `shape` over `pdf`.
    fn sign(&self, pdf: &[u8], shape: Shape, certify: Option<DocMdp>) -> Vec<u8> {
        let person = self.ca.person.signer();
        let pades = self.f.pades();
        let cred = match shape {
            Shape::Ses => Credential::Seal {
                seal: &self.seal,
                signer: &person,
            },
            Shape::Sm2Cms => Credential::Sm2Cms {
                signer: &person,
                oids: Sm2CmsOids::Pkcs7,
            },
            Shape::Pades => Credential::Pades(&pades),
        };
        let mut r = SignRequest::new(
            cred,
            Placement::Stamp {
                page: 1,
                x: 400.0,
                y: 80.0,
                width: 60.0,
                height: 60.0,
            },
            Time::now(),
        );
        r.picture = Some(red_disc_png(32));
        r.certify = certify;
        pdf::sign(pdf, &[r]).unwrap()
    }

    fn verify(&self, pdf: &[u8]) -> VerificationReport {
        pdf::verify(pdf, "tampered", &self.opts).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Writing an incremental update by hand, entry by entry, as an attacker would.

enum Entry {
    At(usize),
    Free,
}

struct Update {
    style: Style,
    prev: usize,
    root: ObjectId,
    size: u32,
    out: Vec<u8>,
    entries: Vec<(u32, Entry)>,
    new_root: Option<ObjectId>,
    info: Option<u32>,
    prev_self: bool,
}

fn last_startxref(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    let at = text.rfind("startxref").unwrap();
    text[at + 9..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

impl Update {
    fn new(base: &[u8]) -> Self {
        let doc = Document::load_mem(base).unwrap();
        let prev = last_startxref(base);
        let style = if base[prev..].starts_with(b"xref") {
            Style::Table
        } else {
            Style::Stream
        };
        let mut out = base.to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        Update {
            style,
            prev,
            root: doc.trailer.get(b"Root").unwrap().as_reference().unwrap(),
            size: doc.max_id + 1,
            out,
            entries: Vec::new(),
            new_root: None,
            info: None,
            prev_self: false,
        }
    }

    fn next_id(&mut self) -> u32 {
        self.size += 1;
        self.size - 1
    }

    /// Writes object `id` and lists it.
    fn put(&mut self, id: u32, body: &[u8]) -> usize {
        let at = self.unlisted(id, body);
        self.entries.push((id, Entry::At(at)));
        at
    }

    /// Writes object `id` without listing it in the xref.
    fn unlisted(&mut self, id: u32, body: &[u8]) -> usize {
        let at = self.out.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
        at
    }

    fn put_obj(&mut self, id: u32, o: &Object) -> usize {
        self.put(id, &ser(o))
    }

    fn free(&mut self, id: u32) {
        self.entries.push((id, Entry::Free));
    }

    /// An xref-only entry: object `id` is now whatever is at `offset`.
    fn point(&mut self, id: u32, offset: usize) {
        self.entries.push((id, Entry::At(offset)));
    }

    fn finish(mut self) -> Vec<u8> {
        let root = self.new_root.unwrap_or(self.root);
        let x = self.out.len();
        let prev = if self.prev_self { x } else { self.prev };
        let info = self
            .info
            .map(|i| format!("/Info {i} 0 R"))
            .unwrap_or_default();
        match self.style {
            Style::Table => {
                self.out.extend_from_slice(b"xref\n");
                for (id, e) in &self.entries {
                    let line = match e {
                        Entry::At(o) => format!("{id} 1\n{o:010} 00000 n\r\n"),
                        Entry::Free => format!("{id} 1\n0000000000 00001 f\r\n"),
                    };
                    self.out.extend_from_slice(line.as_bytes());
                }
                self.out.extend_from_slice(
                    format!(
                        "trailer\n<</Size {}/Root {} {} R/Prev {prev}{info}>>\n",
                        self.size, root.0, root.1
                    )
                    .as_bytes(),
                );
            }
            Style::Stream => {
                let xid = self.size;
                self.entries.push((xid, Entry::At(x)));
                let mut index = String::new();
                let mut rows = Vec::new();
                for (id, e) in &self.entries {
                    index.push_str(&format!("{id} 1 "));
                    let (t, o, g): (u8, u32, u16) = match e {
                        Entry::At(o) => (1, *o as u32, 0),
                        Entry::Free => (0, 0, 1),
                    };
                    rows.push(t);
                    rows.extend_from_slice(&o.to_be_bytes());
                    rows.extend_from_slice(&g.to_be_bytes());
                }
                self.out.extend_from_slice(
                    format!(
                        "{xid} 0 obj\n<</Type/XRef/Size {}/W[1 4 2]/Index[{index}]/Root {} {} R/Prev {prev}{info}/Length {}>>\nstream\n",
                        xid + 1,
                        root.0,
                        root.1,
                        rows.len()
                    )
                    .as_bytes(),
                );
                self.out.extend_from_slice(&rows);
                self.out.extend_from_slice(b"\nendstream\nendobj\n");
            }
        }
        self.out
            .extend_from_slice(format!("startxref\n{x}\n%%EOF\n").as_bytes());
        self.out
    }
}

fn ser(o: &Object) -> Vec<u8> {
    let mut v = Vec::new();
    lopdf::Writer::write_object(&mut v, o).unwrap();
    v
}

fn dict_of(doc: &Document, id: u32) -> lopdf::Dictionary {
    doc.get_object((id, 0)).unwrap().as_dict().unwrap().clone()
}

fn stream_body(s: &str) -> Vec<u8> {
    format!("<</Length {}>>\nstream\n{s}\nendstream", s.len()).into_bytes()
}

/// The (field, signature dictionary) of the first signature field.
fn first_signature(doc: &Document) -> (ObjectId, ObjectId) {
    let form = dict_of(doc, ACROFORM);
    let fields = form.get(b"Fields").unwrap().as_array().unwrap();
    for f in fields {
        let id = f.as_reference().unwrap();
        let d = doc.get_object(id).unwrap().as_dict().unwrap();
        if d.get(b"FT").ok().and_then(|o| o.as_name().ok()) == Some(b"Sig".as_slice()) {
            return (id, d.get(b"V").unwrap().as_reference().unwrap());
        }
    }
    panic!("no signature field")
}

/// An annotation that paints a white box over page 1 (the classic overlay).
fn overlay_annotation(u: &mut Update, subtype: &str) -> u32 {
    let form = u.next_id();
    u.put(
        form,
        b"<</Type/XObject/Subtype/Form/BBox[0 0 595 842]/Length 26>>\nstream\n1 1 1 rg 0 0 595 842 re f\nendstream",
    );
    let a = u.next_id();
    u.put(
        a,
        format!("<</Type/Annot/Subtype/{subtype}/Rect[0 700 595 842]/F 4/P 3 0 R/AP<</N {form} 0 R>>/IC[1 1 1]>>").as_bytes(),
    );
    a
}

/// Adds annotation `a` to page 1's /Annots (the page object is rewritten).
fn add_to_page1(u: &mut Update, doc: &Document, a: u32) {
    let mut page = dict_of(doc, PAGE1);
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
    annots.push(Object::Reference((a, 0)));
    page.set("Annots", Object::Array(annots));
    u.put_obj(PAGE1, &Object::Dictionary(page));
}

/// Replaces the last occurrence of `from` with `to` of the same length.
fn patch(pdf: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = (0..=pdf.len() - from.len())
        .rev()
        .find(|&i| &pdf[i..i + from.len()] == from)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(from)));
    pdf[at..at + to.len()].copy_from_slice(to);
}

/// One attack: a name, the rule it must fail with, and how to make it from a signed file.
struct Case {
    name: &'static str,
    rule: &'static str,
    make: fn(&Ctx, &[u8], Shape, Style) -> Vec<u8>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "new catalog reusing the signed AcroForm",
            rule: "root-replaced",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let (pages, page, content) = (u.next_id(), u.next_id(), u.next_id());
                u.put(
                    content,
                    &stream_body("BT /F1 20 Tf 72 760 Td (Pay 1000000 yuan to Mallory) Tj ET"),
                );
                let mut p = dict_of(&doc, PAGE1);
                p.set("Contents", Object::Reference((content, 0)));
                p.set("Parent", Object::Reference((pages, 0)));
                u.put_obj(page, &Object::Dictionary(p));
                u.put(
                    pages,
                    format!("<</Type/Pages/Kids[{page} 0 R 9 0 R]/Count 2>>").as_bytes(),
                );
                let mut cat = dict_of(&doc, CATALOG);
                cat.set("Pages", Object::Reference((pages, 0)));
                let root = u.next_id();
                u.put_obj(root, &Object::Dictionary(cat));
                u.new_root = Some((root, 0));
                u.finish()
            },
        },
        Case {
            name: "page added to the page tree",
            rule: "page-tree-changed",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                let page = u.next_id();
                u.put(
                    page,
                    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 11 0 R>>",
                );
                u.put(
                    PAGES,
                    format!("<</Type/Pages/Kids[3 0 R {page} 0 R 9 0 R]/Count 3>>").as_bytes(),
                );
                u.finish()
            },
        },
        Case {
            name: "page /Contents replaced",
            rule: "page-changed",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let c = u.next_id();
                u.put(
                    c,
                    &stream_body("BT /F1 20 Tf 72 760 Td (Pay 1000000 yuan) Tj ET"),
                );
                let mut p = dict_of(&doc, PAGE1);
                p.set(
                    "Contents",
                    Object::Array(vec![
                        Object::Reference((CONTENT1, 0)),
                        Object::Reference((c, 0)),
                    ]),
                );
                u.put_obj(PAGE1, &Object::Dictionary(p));
                u.finish()
            },
        },
        Case {
            name: "page /Resources replaced",
            rule: "page-changed",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let x = u.next_id();
                u.put(x, b"<</Type/XObject/Subtype/Form/BBox[0 0 100 100]/Length 25>>\nstream\n1 1 1 rg 0 0 100 100 re f\nendstream");
                let mut p = dict_of(&doc, PAGE1);
                let mut xo = lopdf::Dictionary::new();
                xo.set("X1", Object::Reference((x, 0)));
                let mut font = lopdf::Dictionary::new();
                font.set("F1", Object::Reference((FONT, 0)));
                let mut res = lopdf::Dictionary::new();
                res.set("Font", Object::Dictionary(font));
                res.set("XObject", Object::Dictionary(xo));
                p.set("Resources", Object::Dictionary(res));
                u.put_obj(PAGE1, &Object::Dictionary(p));
                u.finish()
            },
        },
        Case {
            name: "content stream redefined in the update",
            rule: "content-changed",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                u.put(
                    CONTENT1,
                    &stream_body("BT /F1 20 Tf 72 760 Td (Pay 1000000 yuan to Mallory) Tj ET"),
                );
                u.finish()
            },
        },
        Case {
            name: "drawn XObject redefined",
            rule: "content-changed",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                u.put(XOBJECT, b"<</Type/XObject/Subtype/Form/BBox[0 0 100 100]/Length 25>>\nstream\n1 0 0 rg 0 0 100 100 re f\nendstream");
                u.finish()
            },
        },
        Case {
            name: "font redefined",
            rule: "content-changed",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                u.put(FONT, b"<</Type/Font/Subtype/Type1/BaseFont/ZapfDingbats>>");
                u.finish()
            },
        },
        Case {
            name: "shadow hide: the drawn XObject marked free by an xref-only update",
            rule: "object-freed",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                u.free(XOBJECT);
                u.finish()
            },
        },
        Case {
            name: "shadow replace: xref-only update points the content at the hidden shadow",
            rule: "xref-redirect",
            make: |_, s, _, _| {
                let shadow = find_hidden(s, b"4 0 obj");
                let mut u = Update::new(s);
                u.point(CONTENT1, shadow);
                u.finish()
            },
        },
        Case {
            name: "shadow hide-and-replace: xref-only update points the page at a hidden page",
            rule: "xref-redirect",
            make: |_, s, _, _| {
                let hidden = find_hidden(s, b"3 0 obj");
                let mut u = Update::new(s);
                u.point(PAGE1, hidden);
                u.finish()
            },
        },
        Case {
            name: "object written by the update but left out of its xref",
            rule: "unlisted-object",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                u.unlisted(
                    CONTENT1,
                    &stream_body("BT /F1 20 Tf 72 760 Td (Pay 1000000 yuan) Tj ET"),
                );
                let id = u.next_id();
                u.put(id, b"<</Producer(harmless)>>");
                u.finish()
            },
        },
        Case {
            name: "overlay annotation in an unsigned revision",
            rule: "overlay-annotation",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let a = overlay_annotation(&mut u, "Square");
                add_to_page1(&mut u, &doc, a);
                u.finish()
            },
        },
        Case {
            name: "overlay FreeText annotation",
            rule: "overlay-annotation",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let a = overlay_annotation(&mut u, "FreeText");
                add_to_page1(&mut u, &doc, a);
                u.finish()
            },
        },
        Case {
            name: "new empty signature field with a visible appearance",
            rule: "empty-field-appearance",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let form = u.next_id();
                u.put(form, b"<</Type/XObject/Subtype/Form/BBox[0 0 595 142]/Length 26>>\nstream\n1 1 1 rg 0 0 595 142 re f\nendstream");
                let w = u.next_id();
                u.put(w, format!("<</Type/Annot/Subtype/Widget/FT/Sig/T(Empty)/Rect[0 700 595 842]/F 4/P 3 0 R/AP<</N {form} 0 R>>>>").as_bytes());
                add_to_page1(&mut u, &doc, w);
                let mut af = dict_of(&doc, ACROFORM);
                let mut fields = af.get(b"Fields").unwrap().as_array().unwrap().clone();
                fields.push(Object::Reference((w, 0)));
                af.set("Fields", Object::Array(fields));
                u.put_obj(ACROFORM, &Object::Dictionary(af));
                u.finish()
            },
        },
        Case {
            name: "content stream redefined as the widget of a new, invisible signature field",
            rule: "content-changed",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                u.put(
                    CONTENT1,
                    b"<</Type/Annot/Subtype/Widget/FT/Sig/T(Reuse)/Rect[0 0 0 0]/F 4/P 3 0 R>>",
                );
                add_to_page1(&mut u, &doc, CONTENT1);
                let mut af = dict_of(&doc, ACROFORM);
                let mut fields = af.get(b"Fields").unwrap().as_array().unwrap().clone();
                fields.push(Object::Reference((CONTENT1, 0)));
                af.set("Fields", Object::Array(fields));
                u.put_obj(ACROFORM, &Object::Dictionary(af));
                u.finish()
            },
        },
        Case {
            name: "overlay covered by a later signature that is not trusted",
            rule: "overlay-annotation",
            make: |c, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let mut u = Update::new(s);
                let a = overlay_annotation(&mut u, "Stamp");
                add_to_page1(&mut u, &doc, a);
                let over = u.finish();
                let other = Fixture::new("untrusted");
                let signer: PadesSigner = other.pades();
                let _ = &c.f;
                pdf::sign(
                    &over,
                    &[SignRequest::new(
                        Credential::Pades(&signer),
                        Placement::Invisible,
                        Time::now(),
                    )],
                )
                .unwrap()
            },
        },
        Case {
            name: "signature field removed from the form (orphan signature)",
            rule: "orphan-signature",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let (field, _) = first_signature(&doc);
                let mut af = dict_of(&doc, ACROFORM);
                let fields: Vec<Object> = af
                    .get(b"Fields")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f.as_reference().ok() != Some(field))
                    .cloned()
                    .collect();
                af.set("Fields", Object::Array(fields));
                let mut u = Update::new(s);
                u.put_obj(ACROFORM, &Object::Dictionary(af));
                u.finish()
            },
        },
        Case {
            name: "signature field's /V names an object that does not exist",
            rule: "signature-unreadable",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let (field, _) = first_signature(&doc);
                let mut d = doc.get_object(field).unwrap().as_dict().unwrap().clone();
                d.set("V", Object::Reference((9999, 0)));
                let mut u = Update::new(s);
                u.put_obj(field.0, &Object::Dictionary(d));
                u.finish()
            },
        },
        Case {
            name: "signature dictionary freed by an xref-only update",
            rule: "signature-unreadable",
            make: |_, s, _, _| {
                let doc = Document::load_mem(s).unwrap();
                let (_, sig) = first_signature(&doc);
                let mut u = Update::new(s);
                u.free(sig.0);
                u.finish()
            },
        },
        Case {
            name: "/Contents with a non-hex digit",
            rule: "signature-unreadable",
            make: |_, s, _, _| {
                let mut bad = s.to_vec();
                let text = String::from_utf8_lossy(s).into_owned();
                let at = text.rfind("/Contents <").unwrap() + 11;
                bad[at + 3] = b'G';
                bad
            },
        },
        Case {
            name: "ByteRange gap wider than /Contents",
            rule: "byte-range-gap",
            make: |_, s, _, _| {
                let (br, n) = byte_range(s);
                let mut bad = s.to_vec();
                let wider = format!("/ByteRange [0 {} {} {}]", n[1] - 10, n[2], n[3]);
                patch(&mut bad, br.as_bytes(), pad(&wider, br.len()).as_bytes());
                bad
            },
        },
        Case {
            name: "ByteRange ending before the revision's %%EOF",
            rule: "byte-range-end",
            make: |_, s, _, _| {
                let (br, n) = byte_range(s);
                let mut bad = s.to_vec();
                let shorter = format!("/ByteRange [0 {} {} {}]", n[1], n[2], n[3] - 20);
                patch(&mut bad, br.as_bytes(), pad(&shorter, br.len()).as_bytes());
                bad
            },
        },
        Case {
            name: "bytes after the last revision",
            rule: "trailing-bytes",
            make: |_, s, _, _| {
                let mut bad = s.to_vec();
                bad.extend_from_slice(b"1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n");
                bad
            },
        },
        Case {
            name: "/Prev loop",
            rule: "xref-prev-loop",
            make: |_, s, _, _| {
                let mut u = Update::new(s);
                let id = u.next_id();
                u.put(id, b"<</Producer(loop)>>");
                u.prev_self = true;
                u.finish()
            },
        },
        Case {
            name: "certified with DocMDP P=1, then another signature",
            rule: "docmdp",
            make: |c, _, shape, style| {
                let certified = c.sign(&base_pdf(style), shape, Some(DocMdp::NoChanges));
                let p = c.f.pades();
                pdf::sign(
                    &certified,
                    &[SignRequest::new(
                        Credential::Pades(&p),
                        Placement::Invisible,
                        Time::now(),
                    )],
                )
                .unwrap()
            },
        },
    ]
}

/// The hidden (second) definition `header` of the base document.
fn find_hidden(pdf: &[u8], header: &[u8]) -> usize {
    let starts: Vec<usize> = (0..pdf.len() - header.len())
        .filter(|&i| pdf[i..].starts_with(header) && (i == 0 || pdf[i - 1] == b'\n'))
        .collect();
    let hidden = pdf
        .windows(8)
        .position(|w| w == b"%hidden\n")
        .expect("the base has hidden definitions");
    *starts.iter().find(|&&i| i > hidden).unwrap()
}

fn byte_range(pdf: &[u8]) -> (String, Vec<usize>) {
    let text = String::from_utf8_lossy(pdf).into_owned();
    let at = text.rfind("/ByteRange [").unwrap();
    let br = text[at..].split(']').next().unwrap().to_string() + "]";
    let n = br[12..br.len() - 1]
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (br, n)
}

fn pad(s: &str, n: usize) -> String {
    format!("{s:<n$}")
}

/// Whether any check of the report fails (or, for a warning, warns) with `rule`.
fn has_rule(r: &VerificationReport, rule: &str, status: Status) -> bool {
    r.document_checks
        .iter()
        .chain(r.signatures.iter().flat_map(|s| s.checks.iter()))
        .any(|c| c.rule == Some(rule) && c.status == status)
}

#[test]
fn every_attack_class_fails_with_its_rule_in_every_shape_and_xref_style() {
    let c = Ctx::new("corpus");
    let mut wrong = Vec::new();
    let mut ran = 0;
    for style in [Style::Table, Style::Stream] {
        let base = base_pdf(style);
        for shape in [Shape::Ses, Shape::Sm2Cms, Shape::Pades] {
            let signed = c.sign(&base, shape, None);
            let good = c.verify(&signed);
            assert_eq!(
                good.clone().with_strict(true).exit_code(),
                0,
                "{style:?} {shape:?}: {}",
                good.to_text()
            );
            for case in cases() {
                let bad = (case.make)(&c, &signed, shape, style);
                if let Ok(dir) = std::env::var("ESEAL_TAMPER_DUMP") {
                    // Keeps the corpus for outside validators (see vectors/README.md).
                    let name: String = format!("{style:?}-{shape:?}-{}", case.rule).to_lowercase();
                    let mut path = std::path::PathBuf::from(dir).join(&name);
                    let mut n = 1;
                    while path.with_extension("pdf").exists() {
                        n += 1;
                        path = path.with_file_name(format!("{name}-{n}"));
                    }
                    std::fs::write(path.with_extension("pdf"), &bad).unwrap();
                }
                let r = c.verify(&bad);
                ran += 1;
                if r.exit_code() != 1 || !has_rule(&r, case.rule, Status::Failed) {
                    wrong.push(format!(
                        "{style:?} {shape:?} — {}: exit {}, expected rule {}\n{}",
                        case.name,
                        r.exit_code(),
                        case.rule,
                        r.to_text()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {ran} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The payee field filled in again (new /V and appearance), as a later revision.
fn fill_payee(s: &[u8]) -> Vec<u8> {
    let doc = Document::load_mem(s).unwrap();
    let mut u = Update::new(s);
    let ap = u.next_id();
    u.put(
        ap,
        b"<</Type/XObject/Subtype/Form/BBox[0 0 200 30]/Resources<</Font<</F1 5 0 R>>>>/Length 31>>\nstream\nBT /F1 12 Tf 2 8 Td (Bob) Tj ET\nendstream",
    );
    let mut f = dict_of(&doc, TEXT_FIELD);
    f.set("V", Object::string_literal("Bob"));
    let mut apd = lopdf::Dictionary::new();
    apd.set("N", Object::Reference((ap, 0)));
    f.set("AP", Object::Dictionary(apd));
    u.put_obj(TEXT_FIELD, &Object::Dictionary(f));
    u.finish()
}

fn first_sig_rules(r: &VerificationReport, status: Status) -> Vec<&'static str> {
    r.signatures[0]
        .checks
        .iter()
        .filter(|c| c.status == status)
        .filter_map(|c| c.rule)
        .collect()
}

#[test]
fn allowed_changes_stay_allowed_and_are_listed() {
    let c = Ctx::new("allowed");
    for style in [Style::Table, Style::Stream] {
        for shape in [Shape::Ses, Shape::Sm2Cms, Shape::Pades] {
            let signed = c.sign(&base_pdf(style), shape, None);
            // Form filling, then the document security store and the information dictionary,
            // then a later signature.
            let filled = fill_payee(&signed);
            let doc = Document::load_mem(&filled).unwrap();
            let mut u = Update::new(&filled);
            let cert = u.next_id();
            u.put(cert, &stream_body("not a real certificate"));
            let mut cat = dict_of(&doc, CATALOG);
            let mut dss = lopdf::Dictionary::new();
            dss.set("Certs", Object::Array(vec![Object::Reference((cert, 0))]));
            cat.set("DSS", Object::Dictionary(dss));
            u.put_obj(CATALOG, &Object::Dictionary(cat));
            let info = u.next_id();
            u.put(info, b"<</Producer(eseal test)>>");
            u.info = Some(info);
            let ltv = u.finish();
            let p = c.f.pades();
            let later = pdf::sign(
                &ltv,
                &[SignRequest::new(
                    Credential::Pades(&p),
                    Placement::Invisible,
                    Time::now(),
                )],
            )
            .unwrap();
            let r = c.verify(&later);
            assert_eq!(
                r.clone().with_strict(true).exit_code(),
                0,
                "{style:?} {shape:?}: {}",
                r.to_text()
            );
            let listed = first_sig_rules(&r, Status::Passed);
            for rule in ["form-filling", "dss", "metadata", "later-signature"] {
                assert!(
                    listed.contains(&rule),
                    "{style:?} {shape:?}: {rule} listed: {}",
                    r.to_text()
                );
            }
        }
    }
}

#[test]
fn docmdp_decides_whether_form_filling_is_allowed() {
    let c = Ctx::new("docmdp");
    for (p, ok) in [(DocMdp::FormFilling, true), (DocMdp::NoChanges, false)] {
        let certified = c.sign(&base_pdf(Style::Table), Shape::Pades, Some(p));
        let r = c.verify(&fill_payee(&certified));
        if ok {
            assert_eq!(
                r.clone().with_strict(true).exit_code(),
                0,
                "{p:?}: {}",
                r.to_text()
            );
            assert!(first_sig_rules(&r, Status::Passed).contains(&"form-filling"));
        } else {
            assert_eq!(r.exit_code(), 1, "{p:?}: {}", r.to_text());
            assert!(
                first_sig_rules(&r, Status::Failed).contains(&"docmdp"),
                "{}",
                r.to_text()
            );
        }
    }
}

/// An overlay followed by a later signature: a trusted, intact later signer turns it into a
/// warning that names the revision that added it (exit 1 only with --strict); an untrusted one
/// does not (exit 1, in the corpus above).
#[test]
fn only_a_trusted_later_signature_launders_an_overlay_into_a_warning() {
    let c = Ctx::new("launder");
    for shape in [Shape::Ses, Shape::Sm2Cms, Shape::Pades] {
        let signed = c.sign(&base_pdf(Style::Stream), shape, None);
        let doc = Document::load_mem(&signed).unwrap();
        let mut u = Update::new(&signed);
        let a = overlay_annotation(&mut u, "Stamp");
        add_to_page1(&mut u, &doc, a);
        let over = u.finish();
        let p = c.f.pades();
        let later = pdf::sign(
            &over,
            &[SignRequest::new(
                Credential::Pades(&p),
                Placement::Invisible,
                Time::now(),
            )],
        )
        .unwrap();
        let r = c.verify(&later);
        assert_eq!(
            (r.exit_code(), r.clone().with_strict(true).exit_code()),
            (0, 1),
            "{shape:?}: {}",
            r.to_text()
        );
        let w: Vec<_> = r.signatures[0]
            .checks
            .iter()
            .filter(|c| c.status == Status::Warning && c.rule == Some("overlay-annotation"))
            .collect();
        assert_eq!(w.len(), 1, "{}", r.to_text());
        assert!(
            w[0].message.contains("added in revision 3"),
            "{}",
            w[0].message
        );
        // Without the later signature the same overlay fails.
        assert_eq!(c.verify(&over).exit_code(), 1);
    }
}

/// Two seals, the second with one non-hex digit in /Contents: two signatures in the report,
/// the second failed (it used to be skipped, and the file reported valid).
#[test]
fn a_second_seal_with_a_non_hex_contents_is_a_failed_signature_not_a_missing_one() {
    let c = Ctx::new("nonhex");
    for shape in [Shape::Ses, Shape::Sm2Cms, Shape::Pades] {
        let once = c.sign(&base_pdf(Style::Table), shape, None);
        let mut twice = c.sign(&once, shape, None);
        let text = String::from_utf8_lossy(&twice).into_owned();
        let at = text.rfind("/Contents <").unwrap() + 11;
        twice[at + 5] = b'X';
        let r = c.verify(&twice);
        assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
        assert_eq!(r.exit_code(), 1);
        assert!(
            r.signatures[1]
                .checks
                .iter()
                .any(|c| c.rule == Some("signature-unreadable") && c.status == Status::Failed),
            "{}",
            r.to_text()
        );
    }
}

/// A few corpus files kept in `vectors/pdf/tamper/` for other tools (pyHanko accepts the
/// last two; see vectors/README.md): made from the golden seal, fixed keys and times, so they
/// reproduce byte for byte. `ESEAL_UPDATE_VECTORS=1 cargo test --test pdf_tamper` rewrites them.
#[test]
fn committed_tamper_vectors_reproduce_and_keep_their_rules() {
    let t = |y, m, d| Time::from_ymd_hms(y, m, d, 0, 0, 0).unwrap();
    let ca = TestCa::new("eseal-vectors").unwrap();
    let seal =
        Seal::from_der(&std::fs::read(common::vectors().join("ses/seal-v4.der")).unwrap()).unwrap();
    let person = ca.person.signer();
    let mut r = SignRequest::new(
        Credential::Seal {
            seal: &seal,
            signer: &person,
        },
        Placement::Stamp {
            page: 1,
            x: 400.0,
            y: 80.0,
            width: 60.0,
            height: 60.0,
        },
        t(2026, 6, 1),
    );
    r.picture = Some(std::fs::read(common::vectors().join("ses/picture-8x8.png")).unwrap());
    let signed = pdf::sign(&base_pdf(Style::Table), &[r]).unwrap();
    let opts = VerifyOptions {
        trust: eseal::validation::TrustStore::new().with(ca.root.cert.clone()),
        at: t(2026, 7, 1),
        ..Default::default()
    };
    let by_name = |name: &str| cases().into_iter().find(|c| c.name == name).unwrap();
    let kept = [
        ("signed.pdf", None, signed.clone()),
        ("shadow-replace.pdf", Some("xref-redirect"), {
            let c =
                by_name("shadow replace: xref-only update points the content at the hidden shadow");
            (c.make)(&Ctx::new("vectors"), &signed, Shape::Ses, Style::Table)
        }),
        ("overlay.pdf", Some("overlay-annotation"), {
            let c = by_name("overlay annotation in an unsigned revision");
            (c.make)(&Ctx::new("vectors"), &signed, Shape::Ses, Style::Table)
        }),
        (
            "empty-field-appearance.pdf",
            Some("empty-field-appearance"),
            {
                let c = by_name("new empty signature field with a visible appearance");
                (c.make)(&Ctx::new("vectors"), &signed, Shape::Ses, Style::Table)
            },
        ),
        ("unlisted-object.pdf", Some("unlisted-object"), {
            let c = by_name("object written by the update but left out of its xref");
            (c.make)(&Ctx::new("vectors"), &signed, Shape::Ses, Style::Table)
        }),
    ];
    let dir = common::vectors().join("pdf/tamper");
    let update = std::env::var("ESEAL_UPDATE_VECTORS").is_ok();
    for (name, rule, bytes) in kept {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{name} no longer reproduces (ESEAL_UPDATE_VECTORS=1 rewrites it)"
        );
        let r = pdf::verify(&bytes, name, &opts).unwrap();
        match rule {
            None => assert_eq!(
                r.clone().with_strict(true).exit_code(),
                0,
                "{}",
                r.to_text()
            ),
            Some(rule) => {
                assert_eq!(r.exit_code(), 1, "{}", r.to_text());
                assert!(
                    has_rule(&r, rule, Status::Failed),
                    "{name}: {}",
                    r.to_text()
                );
            }
        }
    }
}

/// A /Prev loop is named when verifying (in the corpus) and refused when signing, so eseal
/// never signs over a chain readers disagree on; nothing is written.
#[test]
fn signing_refuses_a_prev_loop() {
    let c = Ctx::new("loop");
    let signed = c.sign(&base_pdf(Style::Table), Shape::Pades, None);
    let case = cases()
        .into_iter()
        .find(|k| k.rule == "xref-prev-loop")
        .unwrap();
    let looped = (case.make)(&c, &signed, Shape::Pades, Style::Table);
    let input = c.f.write("looped.pdf", &looped);
    let out = c.f.p("never.pdf");
    let p = c.f.pades();
    let err = pdf::sign_file(
        &input,
        &out,
        &[SignRequest::new(
            Credential::Pades(&p),
            Placement::Invisible,
            Time::now(),
        )],
    )
    .unwrap_err();
    assert!(
        matches!(err, pdf::PdfError::Xref(pdf::XrefError::PrevLoop(_))),
        "{err}"
    );
    assert!(!out.exists());
}
