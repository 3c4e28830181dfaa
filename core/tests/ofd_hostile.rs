//! Hostile OFD packages (issue 11, "OFD"): ZIP files that two readers would read
//! differently, signature lists that count one signature twice or drop one, and packages
//! that make a verifier work or allocate far beyond their size. Each ZIP is built byte by
//! byte (`ofd_support::rawzip`) from a document eseal signed; each case names the rule
//! that must refuse it (docs/ofd-verification.md).

mod common;
mod ofd_support;

use eseal::ofd::{self, OfdError, Package, Placement, SignKind, SignRequest};
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::validation::TrustStore;
use eseal::validation::VerifyOptions;
use ofd_support::rawzip::{self, Builder, Item, build, items, local_header};
use ofd_support::*;
use std::sync::OnceLock;

const PAGE0: &str = "Doc_0/Pages/Page_0/Content.xml";

struct Base {
    signed: Vec<u8>,
    opts: VerifyOptions,
}

/// A two-page document with two non-ASCII resource names, signed by eseal: valid.
fn base() -> &'static Base {
    static B: OnceLock<Base> = OnceLock::new();
    B.get_or_init(|| {
        let mut v = items(&sample_ofd(2));
        v.push(Item::deflated("Doc_0/Res/é.png", &solid_png([1, 2, 3])).utf8());
        v.push(Item::deflated("Doc_0/Res/印章.png", &solid_png([4, 5, 6])).utf8());
        let doc = build(&v);
        let (seal, signer, ca) = seal("ofd-hostile", "测试章", [200, 0, 0]);
        let pkg = Package::from_bytes(doc).unwrap();
        let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
        req.placements = vec![Placement::Stamp {
            page: 1,
            x_mm: 20.0,
            y_mm: 20.0,
            width_mm: None,
            height_mm: None,
        }];
        let signed = ofd::sign(&pkg, &signer, &req).unwrap();
        let mut trust = TrustStore::new();
        trust.add(ca.root.cert.clone());
        let opts = VerifyOptions {
            trust,
            at: t0().add_days(30),
            ..Default::default()
        };
        Base { signed, opts }
    })
}

/// The package read and verified, or why it was refused.
fn outcome(bytes: &[u8]) -> Result<VerificationReport, String> {
    let pkg = Package::from_bytes(bytes.to_vec()).map_err(|e| e.to_string())?;
    ofd::verify(&pkg, "hostile.ofd", &base().opts).map_err(|e| e.to_string())
}

/// `Err` saying how the case was not refused for `why`.
fn refused(case: &str, bytes: &[u8], why: &str) -> Result<(), String> {
    match outcome(bytes) {
        Err(m) if m.contains(why) => Ok(()),
        Err(m) => Err(format!("{case}: refused, but not for {why:?}: {m}")),
        Ok(r) => Err(format!(
            "{case}: accepted (exit {}):\n{}",
            r.exit_code(),
            r.to_text()
        )),
    }
}

fn assert_refused(case: &str, bytes: &[u8], why: &str) {
    if let Err(m) = refused(case, bytes, why) {
        panic!("{m}");
    }
}

/// Page 1 as the attacker wants it shown.
fn evil_page() -> Vec<u8> {
    String::from_utf8(rawzip::file(&base().signed, PAGE0))
        .unwrap()
        .replace("eseal test - page 1", "PAY 1,000,000 - page 1")
        .into_bytes()
}

#[test]
fn the_base_document_is_valid_as_rebuilt() {
    let r = outcome(&build(&items(&base().signed))).unwrap();
    assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
}

/// Two entries for one name, spelled the same or differently: every spelling a reader
/// could take for the same file is refused.
#[test]
fn duplicate_names_under_any_spelling_are_refused() {
    let signed = &base().signed;
    let gbk = encoding_rs::GBK.encode("Doc_0/Res/印章.png").0.into_owned();
    let cases: Vec<(&str, Item, &str)> = vec![
        (
            "same name",
            Item::deflated(PAGE0, &evil_page()),
            "duplicate",
        ),
        (
            "double slash",
            Item::deflated("Doc_0//Pages/Page_0/Content.xml", &evil_page()),
            "duplicate",
        ),
        (
            "dot segment",
            Item::deflated("Doc_0/./Pages/Page_0/Content.xml", &evil_page()),
            "duplicate",
        ),
        (
            "leading dot segment",
            Item::deflated("./Doc_0/Pages/Page_0/Content.xml", &evil_page()),
            "duplicate",
        ),
        (
            "absolute name",
            Item::deflated("/Doc_0/Pages/Page_0/Content.xml", &evil_page()),
            "duplicate",
        ),
        (
            "backslashes",
            Item::deflated("Doc_0\\Pages\\Page_0\\Content.xml", &evil_page()),
            "duplicate",
        ),
        (
            "Unicode NFD of an NFC name",
            Item::deflated("Doc_0/Res/e\u{301}.png", &solid_png([9, 9, 9])),
            "duplicate",
        ),
        (
            "GBK name without the UTF-8 flag",
            Item::deflated(gbk, &solid_png([9, 9, 9])),
            "duplicate",
        ),
        (
            "case",
            Item::deflated("Doc_0/Pages/Page_0/content.xml", &evil_page()),
            "only in case",
        ),
        (
            "trailing dot",
            Item::deflated("Doc_0/Pages/Page_0/Content.xml.", &evil_page()),
            "only in case",
        ),
    ];
    let mut wrong = Vec::new();
    for (case, extra, why) in cases {
        let mut v = items(signed);
        v.push(extra);
        if let Err(m) = refused(case, &build(&v), why) {
            wrong.push(m.lines().next().unwrap_or_default().to_owned());
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The central directory names one file, the local header another: a reader that walks
/// the local headers (a streaming reader) sees a second page 1.
#[test]
fn local_header_names_another_file() {
    let mut b = Builder::new();
    for it in items(&base().signed) {
        b.put(&it);
    }
    let evil = Item::deflated("Doc_0/Res/notes.xml", &evil_page());
    let off = b.out.len() as u32;
    let h = local_header(
        &evil,
        PAGE0.as_bytes(),
        evil.crc,
        evil.comp.len() as u32,
        evil.size,
        0,
    );
    b.raw(&h);
    b.raw(&evil.comp);
    b.central(&evil, off);
    assert_refused("local name", &b.finish(), "local header");
}

#[test]
fn local_header_fields_disagree() {
    let v = items(&base().signed);
    let mut b = Builder::new();
    for (i, it) in v.iter().enumerate() {
        if i == 1 {
            let off = b.out.len() as u32;
            b.raw(&local_header(
                it,
                &it.name,
                it.crc ^ 1,
                it.comp.len() as u32,
                it.size,
                it.flags,
            ));
            b.raw(&it.comp);
            b.central(it, off);
        } else {
            b.put(it);
        }
    }
    assert_refused("local CRC", &b.finish(), "local header");
}

/// An entry inside another entry's data (overlapping entries: one stored entry's bytes are
/// a whole second entry).
#[test]
fn overlapping_entries_are_refused() {
    let mut b = Builder::new();
    for it in items(&base().signed) {
        b.put(&it);
    }
    let inner = Item::stored("Doc_0/Res/inner.bin", b"hidden");
    let mut inner_bytes = local_header(&inner, &inner.name, inner.crc, 6, 6, 0);
    inner_bytes.extend(&inner.comp);
    let outer = Item::stored("Doc_0/Res/outer.bin", &inner_bytes);
    let off = b.local(&outer);
    b.central(&outer, off);
    b.central(&inner, off + 30 + outer.name.len() as u32);
    assert_refused("overlap", &b.finish(), "overlap");
}

/// Bytes between entries that no central record accounts for: here a whole local entry
/// for page 1, which a streaming reader takes for the page.
#[test]
fn hidden_local_entry_between_entries() {
    let v = items(&base().signed);
    let mut b = Builder::new();
    for (i, it) in v.iter().enumerate() {
        b.put(it);
        if i == 0 {
            let evil = Item::deflated(PAGE0, &evil_page());
            b.raw(&local_header(
                &evil,
                &evil.name,
                evil.crc,
                evil.comp.len() as u32,
                evil.size,
                0,
            ));
            b.raw(&evil.comp);
        }
    }
    assert_refused("hidden entry", &b.finish(), "not part of any entry");
}

/// Another ZIP in front (a polyglot): readers that walk from the start see it. Other bytes
/// in front (a self-extractor stub) are refused too.
#[test]
fn prepended_data_is_refused() {
    for (case, prefix, why) in [
        ("prepended zip", sample_ofd(1), "two archives"),
        (
            "prepended bytes",
            vec![0x90u8; 100],
            "before the first entry",
        ),
    ] {
        let mut b = Builder::new();
        b.raw(&prefix);
        for it in items(&base().signed) {
            b.put(&it);
        }
        assert_refused(case, &b.finish(), why);
    }
}

#[test]
fn data_after_the_end_record_is_refused() {
    let mut bytes = base().signed.clone();
    bytes.extend(sample_ofd(1));
    assert_refused("appended zip", &bytes, "two archives");
    let mut bytes = base().signed.clone();
    bytes.extend([0u8; 7]);
    assert_refused("appended bytes", &bytes, "end record");
}

/// A comment holding a second central directory and end record: readers that take the last
/// end record see a package in which page 1 is the attacker's.
#[test]
fn second_end_record_in_the_comment_is_refused() {
    let v = items(&base().signed);
    let mut b = Builder::new();
    let mut offsets = Vec::new();
    for it in &v {
        offsets.push(b.put(it));
    }
    let comment_start = b.out.len() + b.cd_len() + 22;
    let mut b2 = Builder::new();
    b2.raw(&vec![0u8; comment_start]);
    let evil = Item::deflated(PAGE0, &evil_page());
    let evil_off = b2.local(&evil);
    for (it, off) in v.iter().zip(&offsets) {
        if it.name == PAGE0.as_bytes() {
            b2.central(&evil, evil_off);
        } else {
            b2.central(it, *off);
        }
    }
    let comment = b2.finish()[comment_start..].to_vec();
    assert_refused(
        "second end record",
        &b.finish_with(&comment, None),
        "end record",
    );
}

#[test]
fn end_record_count_disagrees_with_the_directory() {
    let v = items(&base().signed);
    let mut b = Builder::new();
    for it in &v {
        b.put(it);
    }
    let n = v.len() as u16 - 1;
    assert_refused("short count", &b.finish_with(&[], Some(n)), "end record");
}

/// An Info-ZIP Unicode Path extra field (0x7075) naming another file: readers that honour
/// it (7-Zip, Info-ZIP unzip) see a second page 1.
#[test]
fn unicode_path_extra_field_naming_another_file() {
    let mut v = items(&base().signed);
    let mut evil = Item::deflated("Doc_0/Res/x.bin", &evil_page());
    let mut extra = vec![0x75, 0x70];
    let body: Vec<u8> = [
        &[1u8][..],
        &rawzip::crc32(&evil.name).to_le_bytes(),
        PAGE0.as_bytes(),
    ]
    .concat();
    extra.extend((body.len() as u16).to_le_bytes());
    extra.extend(body);
    evil.local_extra = extra.clone();
    evil.cd_extra = extra;
    v.push(evil);
    assert_refused("unicode path", &build(&v), "Unicode Path");
}

/// The deflate stream ends before the entry's compressed size: the rest (here a local
/// header for page 1) is where a streaming reader looks for the next entry.
#[test]
fn deflate_stream_ending_early_is_refused() {
    let mut v = items(&base().signed);
    let evil = Item::deflated(PAGE0, &evil_page());
    let i = v
        .iter()
        .position(|it| it.name == b"Doc_0/Pages/Page_1/Content.xml")
        .unwrap();
    let mut tail = local_header(
        &evil,
        &evil.name,
        evil.crc,
        evil.comp.len() as u32,
        evil.size,
        0,
    );
    tail.extend(&evil.comp);
    v[i].comp.extend(tail);
    assert_refused("deflate end", &build(&v), "compressed data");
}

#[test]
fn data_descriptor_disagreeing_is_refused() {
    let v = items(&base().signed);
    let mut b = Builder::new();
    for (i, it) in v.iter().enumerate() {
        if i == 2 {
            let mut it = it.clone();
            it.flags |= 0x0008;
            let off = b.out.len() as u32;
            b.raw(&local_header(&it, &it.name, 0, 0, 0, it.flags));
            b.raw(&it.comp);
            b.raw(b"PK\x07\x08");
            b.raw(&(it.crc ^ 0xff).to_le_bytes());
            b.raw(&(it.comp.len() as u32).to_le_bytes());
            b.raw(&it.size.to_le_bytes());
            b.central(&it, off);
        } else {
            b.put(it);
        }
    }
    assert_refused("descriptor", &b.finish(), "data descriptor");
}

#[test]
fn encrypted_entries_are_refused() {
    let mut v = items(&base().signed);
    v[1].flags |= 1;
    assert_refused("encrypted", &build(&v), "encrypted");
}

fn signatures_xml_with(extra: &str) -> Vec<u8> {
    let signed = &base().signed;
    let list = String::from_utf8(rawzip::file(signed, "Doc_0/Signs/Signatures.xml"))
        .unwrap()
        .replace("</ofd:Signatures>", &format!("{extra}</ofd:Signatures>"));
    rawzip::with_file(signed, "Doc_0/Signs/Signatures.xml", list.as_bytes())
}

fn failed(r: &VerificationReport, id: &str, kind: CheckKind) -> bool {
    r.signatures.iter().any(|s| {
        s.id == id
            && s.checks
                .iter()
                .any(|c| c.check == kind && c.status == Status::Failed)
    })
}

/// Two list entries naming one Signature.xml are one signature, reported once, with both IDs.
#[test]
fn two_entries_for_one_signature_count_once() {
    for loc in [
        "/Doc_0/Signs/Sign_0/Signature.xml",
        "Sign_0/Signature.xml",
        "./Sign_0/../Sign_0//Signature.xml",
    ] {
        let bytes = signatures_xml_with(&format!(
            r#"<ofd:Signature ID="s100" Type="Seal" BaseLoc="{loc}"/>"#
        ));
        let r = outcome(&bytes).unwrap();
        assert_eq!(r.signatures.len(), 1, "{loc}: {}", r.to_text());
        let s = &r.signatures[0];
        assert!(
            s.checks
                .iter()
                .any(|c| c.message.contains("s100") && c.message.contains("counted once")),
            "{loc}: {}",
            r.to_text()
        );
        assert_ne!(r.verdict(), Verdict::Invalid, "{loc}: {}", r.to_text());
    }
    // The same file listed again as another Type: one signature, and a failure.
    let bytes = signatures_xml_with(
        r#"<ofd:Signature ID="s100" Type="Sign" BaseLoc="Sign_0/Signature.xml"/>"#,
    );
    let r = outcome(&bytes).unwrap();
    assert_eq!(r.signatures.len(), 1, "{}", r.to_text());
    assert!(failed(&r, "s001", CheckKind::Structure), "{}", r.to_text());
}

/// Every list entry appears in the report: one whose Signature.xml is missing, unparsable or
/// has no readable value is a failed signature, never skipped.
#[test]
fn every_list_entry_is_in_the_report() {
    let bytes = signatures_xml_with(
        r#"<ofd:Signature ID="s101" BaseLoc="Sign_9/Signature.xml"/><ofd:Signature ID="s102" BaseLoc="Sign_8/Signature.xml"/><ofd:Signature ID="s103" BaseLoc=""/>"#,
    );
    let bytes = rawzip::with_file(
        &bytes,
        "Doc_0/Signs/Sign_8/Signature.xml",
        b"<ofd:Signature",
    );
    let r = outcome(&bytes).unwrap();
    let ids: Vec<&str> = r.signatures.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s001", "s101", "s102", "s103"], "{}", r.to_text());
    assert!(
        failed(&r, "s101", CheckKind::MissingFile),
        "{}",
        r.to_text()
    );
    assert!(failed(&r, "s102", CheckKind::Structure), "{}", r.to_text());
    assert!(failed(&r, "s103", CheckKind::Structure), "{}", r.to_text());
    assert_eq!(r.verdict(), Verdict::Invalid);
}

/// 500 entries of 1 MiB of zeros in a 0.5 MB file: refused from the central directory,
/// before anything is inflated.
#[test]
fn decompression_amplification_is_refused() {
    let zeros = vec![0u8; 1 << 20];
    let one = Item::deflated("x", &zeros);
    let mut v = items(&sample_ofd(1));
    for i in 0..500 {
        v.push(one.clone().named(format!("Doc_0/Res/z{i}.bin")));
    }
    let bytes = build(&v);
    assert!(bytes.len() < 700 << 10, "{}", bytes.len());
    match Package::from_bytes(bytes) {
        Err(e) => assert!(e.to_string().contains("uncompressed"), "{e}"),
        Ok(_) => panic!("a package declaring 500 MiB in {} KB was read", 700),
    }
}

/// A stamp that lies entirely off its page is refused when signing.
#[test]
fn a_stamp_off_its_page_is_refused() {
    let (seal, signer, _) = seal("ofd-offpage", "章", [200, 0, 0]);
    let pkg = Package::from_bytes(sample_ofd(1)).unwrap();
    for (x, y) in [(300.0, 10.0), (10.0, 400.0), (-100.0, 10.0), (10.0, -60.0)] {
        let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
        req.placements = vec![Placement::Stamp {
            page: 1,
            x_mm: x,
            y_mm: y,
            width_mm: None,
            height_mm: None,
        }];
        match ofd::sign(&pkg, &signer, &req) {
            Err(OfdError::StampOffPage {
                page: 1, page_box, ..
            }) => {
                assert_eq!(page_box, "0 0 210 297")
            }
            other => panic!("stamp at {x},{y}: {:?}", other.map(|b| b.len())),
        }
    }
    // Touching the page is enough (a stamp half over the edge shows its half).
    let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
    req.placements = vec![Placement::Stamp {
        page: 1,
        x_mm: 200.0,
        y_mm: -30.0,
        width_mm: None,
        height_mm: None,
    }];
    assert!(ofd::sign(&pkg, &signer, &req).is_ok());
    // A cross-page seal placed below the pages, and a QR code off the page.
    let pkg2 = Package::from_bytes(sample_ofd(2)).unwrap();
    let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
    req.placements = vec![Placement::CrossPage {
        pages: None,
        y_mm: Some(500.0),
        width_mm: None,
        height_mm: None,
    }];
    assert!(matches!(
        ofd::sign(&pkg2, &signer, &req),
        Err(OfdError::StampOffPage { .. })
    ));
    let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
    req.qr = Some(ofd::QrCode {
        png: solid_png([0, 0, 0]),
        page: 1,
        x_mm: 1000.0,
        y_mm: 10.0,
        size_mm: 20.0,
    });
    assert!(matches!(
        ofd::sign(&pkg, &signer, &req),
        Err(OfdError::Placement(_))
    ));
}

/// Heap use of the current thread (tests run in parallel threads): a counting allocator.
/// The one `unsafe` of this test binary: forwarding to the system allocator.
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static CURRENT: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    fn track(delta: isize) {
        let _ = CURRENT.try_with(|c| {
            let now = c.get() + delta;
            c.set(now);
            let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        });
    }

    // SAFETY: every call is forwarded unchanged to `System`; only sizes are counted.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            track(l.size() as isize);
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            track(-(l.size() as isize));
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            track(l.size() as isize);
            unsafe { System.alloc_zeroed(l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            track(new as isize - l.size() as isize);
            unsafe { System.realloc(p, l, new) }
        }
    }

    /// Runs `f` and returns its result with the most heap it held above what was held before.
    pub fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let start = CURRENT.with(|c| c.get());
        PEAK.with(|p| p.set(start));
        let v = f();
        (v, (PEAK.with(|p| p.get()) - start).max(0) as usize)
    }
}

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

/// A document whose one 1 MiB file is protected by `extra + 1` References (a valid
/// signature: the Signature.xml is re-signed after the References are added).
fn many_references(extra: usize) -> Vec<u8> {
    let mut v = items(&sample_ofd(1));
    v.push(Item::deflated("Doc_0/Res/big.bin", &vec![7u8; 1 << 20]));
    let doc = build(&v);
    let (seal, signer, _) = seal("ofd-hostile", "测试章", [200, 0, 0]);
    let mut req = SignRequest::new(SignKind::Seal(&seal), t0());
    req.placements = vec![];
    let signed = ofd::sign(&Package::from_bytes(doc).unwrap(), &signer, &req).unwrap();
    let path = "Doc_0/Signs/Sign_0/Signature.xml";
    let sx = String::from_utf8(rawzip::file(&signed, path)).unwrap();
    let at = sx
        .find(r#"<ofd:Reference FileRef="/Doc_0/Res/big.bin">"#)
        .unwrap();
    let end = at + sx[at..].find("</ofd:Reference>").unwrap() + "</ofd:Reference>".len();
    let one = &sx[at..end];
    let sx = sx.replacen(one, &one.repeat(extra + 1), 1);
    let value = eseal::ses::sign(
        &seal,
        &signer,
        &eseal::crypto::sm3::sm3(sx.as_bytes()),
        &format!("/{path}"),
        t0(),
    )
    .unwrap()
    .to_der()
    .to_vec();
    let signed = rawzip::with_file(&signed, path, sx.as_bytes());
    rawzip::with_file(&signed, "Doc_0/Signs/Sign_0/SignedValue.dat", &value)
}

/// 5 000 References to one 1 MiB file in a small OFD: the file is hashed once.
#[test]
fn a_file_referenced_many_times_is_hashed_once() {
    let bytes = many_references(5_000);
    assert!(bytes.len() < 64 << 10, "{}", bytes.len());
    let pkg = Package::from_bytes(bytes).unwrap();
    let r = ofd::verify(&pkg, "refs.ofd", &base().opts).unwrap();
    assert_ne!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    let repeated: Vec<&str> = r.signatures[0]
        .checks
        .iter()
        .filter(|c| c.status == Status::Warning && c.message.contains("already referenced"))
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(repeated.len(), 1, "{repeated:?}");
    assert!(
        repeated[0].starts_with("5000 References"),
        "{}",
        repeated[0]
    );
    // Checking every entry once, hashing big.bin once, parsing the XML parts: a few MiB,
    // not 5 000 MiB.
    let read = pkg.uncompressed_read();
    assert!(read < 5 << 20, "{read} uncompressed bytes read");
}

/// The caps: References per signature, signatures per package, bytes read per package.
#[test]
fn reference_signature_and_read_caps() {
    let bytes = many_references(100);
    let limits = ofd::Limits {
        max_references: 100,
        ..Default::default()
    };
    let pkg = Package::from_bytes_with(bytes.clone(), limits).unwrap();
    let r = ofd::verify(&pkg, "refs.ofd", &base().opts).unwrap();
    assert!(failed(&r, "s001", CheckKind::FileDigest), "{}", r.to_text());
    assert!(
        r.to_text()
            .contains("106 References, more than a package can hold files (limit 100)"),
        "{}",
        r.to_text()
    );

    let limits = ofd::Limits {
        max_stamp_annots: 0,
        ..Default::default()
    };
    let pkg = Package::from_bytes_with(base().signed.clone(), limits).unwrap();
    let r = ofd::verify(&pkg, "annots.ofd", &base().opts).unwrap();
    assert!(
        failed(&r, "s001", CheckKind::StampPlacement),
        "{}",
        r.to_text()
    );

    let listed = signatures_xml_with(
        r#"<ofd:Signature ID="s101" BaseLoc="Sign_9/Signature.xml"/><ofd:Signature ID="s102" BaseLoc="Sign_8/Signature.xml"/>"#,
    );
    let limits = ofd::Limits {
        max_signatures: 2,
        ..Default::default()
    };
    let pkg = Package::from_bytes_with(listed, limits).unwrap();
    match ofd::verify(&pkg, "sigs.ofd", &base().opts) {
        Err(OfdError::Limit(m)) => assert!(m.contains("3 signatures listed (limit 2)"), "{m}"),
        other => panic!("{:?}", other.map(|r| r.to_text())),
    }

    // A budget of once the declared size: checking the entries spends it, hashing exceeds it.
    let limits = ofd::Limits {
        read_factor: 1,
        read_floor: 0,
        ..Default::default()
    };
    let pkg = Package::from_bytes_with(bytes, limits).unwrap();
    assert!(matches!(
        ofd::verify(&pkg, "budget.ofd", &base().opts),
        Err(OfdError::ReadBudget { .. })
    ));
}

/// 100 entries of 1 MiB of zeros (allowed by raised limits): signing and verifying hold a few
/// MiB of heap, not the 100 MiB the entries inflate to.
#[test]
fn entries_are_streamed_not_held() {
    let mut v = items(&sample_ofd(1));
    let zeros = Item::deflated("z", &vec![0u8; 1 << 20]);
    for i in 0..100 {
        v.push(zeros.clone().named(format!("Doc_0/Res/z{i}.bin")));
    }
    let doc = build(&v);
    let limits = ofd::Limits {
        max_ratio: 1 << 20,
        ..Default::default()
    };
    let (seal, signer, _) = seal("ofd-hostile", "测试章", [200, 0, 0]);
    let (signed, sign_peak) = heap::peak(|| {
        let pkg = Package::from_bytes_with(doc.clone(), limits).unwrap();
        let req = SignRequest::new(SignKind::Seal(&seal), t0());
        ofd::sign(&pkg, &signer, &req).unwrap()
    });
    let (r, verify_peak) = heap::peak(|| {
        let pkg = Package::from_bytes_with(signed.clone(), limits).unwrap();
        ofd::verify(&pkg, "zeros.ofd", &base().opts).unwrap()
    });
    assert_ne!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    let file = doc.len().max(signed.len());
    for (what, peak) in [("sign", sign_peak), ("verify", verify_peak)] {
        eprintln!("{what}: peak heap {peak} bytes for a {file}-byte file inflating to 100 MiB");
        assert!(peak < 3 * file + (4 << 20), "{what}: {peak} bytes of heap");
    }
}

/// A page drawing 300 000 objects (10 MB of XML): signing and verifying read the page's area
/// and resources, not its drawing into a tree (~250 bytes of heap per element).
#[test]
fn page_drawings_are_not_kept() {
    let mut v = items(&sample_ofd(1));
    let i = v.iter().position(|it| it.name == PAGE0.as_bytes()).unwrap();
    let objects: String = (0..300_000)
        .map(|k| format!(r#"<ofd:PathObject ID="{}"/>"#, 1000 + k))
        .collect();
    let page = String::from_utf8(v[i].data())
        .unwrap()
        .replace("</ofd:Layer>", &format!("{objects}</ofd:Layer>"));
    v[i] = Item::deflated(PAGE0, page.as_bytes());
    let doc = build(&v);
    let (seal, signer, _) = seal("ofd-hostile", "测试章", [200, 0, 0]);
    let (signed, sign_peak) = heap::peak(|| {
        let pkg = Package::from_bytes(doc.clone()).unwrap();
        let req = SignRequest::new(SignKind::Seal(&seal), t0());
        ofd::sign(&pkg, &signer, &req).unwrap()
    });
    let (r, verify_peak) = heap::peak(|| {
        let pkg = Package::from_bytes(signed.clone()).unwrap();
        ofd::verify(&pkg, "drawing.ofd", &base().opts).unwrap()
    });
    assert_ne!(r.verdict(), Verdict::Invalid, "{}", r.to_text());
    let file = doc.len().max(signed.len());
    for (what, peak) in [("sign", sign_peak), ("verify", verify_peak)] {
        eprintln!(
            "{what}: peak heap {peak} bytes for a {file}-byte file with a {}-byte page",
            page.len()
        );
        // The page is read whole (it is parsed); its tree is not kept.
        assert!(
            peak < 3 * file + 3 * page.len(),
            "{what}: {peak} bytes of heap"
        );
    }
}
