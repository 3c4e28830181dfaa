//! Property tests of the OFD package reader: hostile bytes and hostile entry names never
//! panic, every accepted name is safe, and a rewrite keeps every entry.

use eseal::ofd::package::resolve;
use eseal::ofd::{Package, xml};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut c = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut c);
    for (n, d) in files {
        if w.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .is_err()
        {
            continue;
        }
        w.write_all(d).unwrap();
    }
    w.finish().unwrap();
    c.into_inner()
}

/// Stored and deflated entries, some with data descriptors (bit 3) and a directory.
fn descriptor_zip() -> &'static [u8] {
    static Z: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    Z.get_or_init(|| {
        let mut c = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new_stream(&mut c);
            let page = eseal::samples::sample_ofd(1, "prop");
            let pkg = Package::from_bytes(page).unwrap();
            for (i, n) in pkg.names().enumerate() {
                let m = if i % 2 == 0 {
                    zip::CompressionMethod::Deflated
                } else {
                    zip::CompressionMethod::Stored
                };
                w.start_file(
                    n,
                    zip::write::SimpleFileOptions::default().compression_method(m),
                )
                .unwrap();
                w.write_all(&pkg.read(n).unwrap().unwrap()).unwrap();
            }
            w.add_directory("Doc_0/Empty/", zip::write::SimpleFileOptions::default())
                .unwrap();
            w.finish().unwrap();
        }
        let z = c.into_inner();
        assert!(
            Package::from_bytes(z.clone()).is_ok(),
            "the base package is accepted"
        );
        z
    })
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9_]{1,6}",
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("".to_owned()),
            Just("中文".to_owned()),
            Just("\\\\".to_owned())
        ],
        1..5,
    )
    .prop_map(|parts| parts.join("/"))
    .prop_flat_map(|n| prop_oneof![Just(n.clone()), Just(format!("/{n}"))])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Package::from_bytes(bytes);
    }

    #[test]
    fn corrupted_packages_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut z = zip_of(&[("OFD.xml".into(), b"<OFD/>".to_vec()), ("Doc_0/Document.xml".into(), vec![b'a'; 300])]);
        for (i, b) in flips {
            let at = i.index(z.len());
            z[at] = b;
        }
        if let Ok(p) = Package::from_bytes(z) {
            let _ = eseal::ofd::inspect(&p);
            // Whatever is accepted is rewritten into a package the same rules accept.
            let again = Package::from_bytes(p.to_bytes_with(&BTreeMap::new()).unwrap()).unwrap();
            prop_assert_eq!(again.names().collect::<Vec<_>>(), p.names().collect::<Vec<_>>());
        }
    }

    /// A package with stored, deflated and data-descriptor entries (as Java writers make
    /// them), cut, spliced and flipped: never a panic; what is accepted verifies without one
    /// and rewrites into a package the same rules accept.
    #[test]
    fn edited_packages_never_panic(
        edits in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..40)), 1..4)
    ) {
        let mut z = descriptor_zip().to_vec();
        for (kind, at, bytes) in edits {
            let i = at.index(z.len() + 1);
            match kind {
                0 => { z.truncate(i); }
                1 => { z.splice(i..i, bytes); }
                _ => {
                    for (k, b) in bytes.iter().enumerate() {
                        if let Some(x) = z.get_mut(i + k) { *x ^= b; }
                    }
                }
            }
        }
        if let Ok(p) = Package::from_bytes(z) {
            let _ = eseal::ofd::verify(&p, "prop.ofd", &Default::default());
            let again = Package::from_bytes(p.to_bytes_with(&BTreeMap::new()).unwrap()).unwrap();
            prop_assert_eq!(again.names().collect::<Vec<_>>(), p.names().collect::<Vec<_>>());
        }
    }

    #[test]
    fn accepted_names_are_safe_and_unique(names in prop::collection::vec(name(), 1..6)) {
        let files: Vec<(String, Vec<u8>)> = names.iter().enumerate().map(|(i, n)| (n.clone(), vec![i as u8])).collect();
        let z = zip_of(&files);
        if let Ok(p) = Package::from_bytes(z) {
            let mut seen = std::collections::HashSet::new();
            for n in p.names() {
                prop_assert!(!n.starts_with('/'));
                prop_assert!(!n.split('/').any(|c| c == ".." || c == "." || c.is_empty()), "{n}");
                prop_assert!(!n.contains('\\'));
                prop_assert!(seen.insert(n.to_owned()), "duplicate {n}");
            }
            // A rewrite without changes keeps every entry and its bytes.
            let again = Package::from_bytes(p.to_bytes_with(&BTreeMap::new()).unwrap()).unwrap();
            prop_assert_eq!(again.names().collect::<Vec<_>>(), p.names().collect::<Vec<_>>());
            for n in p.names() {
                prop_assert_eq!(again.read(n).unwrap(), p.read(n).unwrap());
            }
        }
    }

    #[test]
    fn resolved_paths_stay_inside(base in "(/[a-z]{1,3}){0,3}", loc in "[a-z./]{0,20}") {
        if let Ok(p) = resolve(&base, &loc) {
            prop_assert!(p.starts_with('/'));
            prop_assert!(!p.split('/').skip(1).any(|c| c == ".." || c == "." || c.is_empty()), "{p}");
        }
    }

    #[test]
    fn xml_parser_never_panics(s in "[<>/a-z:=\" &;#x0-9!?\\[\\]-]{0,200}") {
        let _ = xml::parse(s.as_bytes(), "prop");
        let _ = xml::spans(s.as_bytes(), "prop", 3);
    }
}
