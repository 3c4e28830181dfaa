//! What changed after a signature (the idea of pyHanko's diff analysis, our own rules):
//! the revision the signature covers is compared object by object with the final document,
//! and each change must fit a named rule.
//!
//! - `signature-fields`: new signature dictionaries and signature-field widgets; an empty
//!   signature field getting its `/V`; `/Fields` and `/SigFlags` growing.
//! - `annotations`: a page's `/Annots` growing. New annotations that are not signature
//!   widgets may cover page content (shadow-attack overlays): they pass only when a later
//!   signature covers them (locked stamps: passed; others: warning); in an unsigned
//!   revision they fail.
//! - `metadata`: the document information dictionary, XMP metadata, the catalog's
//!   `/Version` and `/Extensions`.
//! - anything else (page content, resources, the page tree, fonts, other objects): fails.

use lopdf::{Document, Object, ObjectId};
use std::collections::{BTreeMap, BTreeSet};

use crate::report::{Check, CheckKind as K};

pub(crate) struct Analyser<'a> {
    pdf: &'a [u8],
    doc: &'a Document,
    revisions: BTreeMap<usize, Option<Document>>,
}

fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => {
            let strip = |d: &lopdf::Dictionary| {
                let mut d = d.clone();
                d.remove(b"Length");
                d
            };
            strip(&x.dict) == strip(&y.dict) && x.content == y.content
        }
        _ => a == b,
    }
}

fn dict_of(o: &Object) -> Option<&lopdf::Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn name_is(d: &lopdf::Dictionary, key: &[u8], v: &[u8]) -> bool {
    d.get(key)
        .and_then(Object::as_name)
        .map(|n| n == v)
        .unwrap_or(false)
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(a: &lopdf::Dictionary, b: &lopdf::Dictionary) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    for (k, v) in a.iter() {
        if b.get(k).map(|w| !same(v, w)).unwrap_or(true) {
            out.insert(k.clone());
        }
    }
    for (k, _) in b.iter() {
        if !a.has(k) {
            out.insert(k.clone());
        }
    }
    out
}

/// `new` keeps every element of `old` (an array that only grew).
fn superset(
    old: Option<&Object>,
    new: Option<&Object>,
    old_doc: &Document,
    new_doc: &Document,
) -> bool {
    let arr = |o: Option<&Object>, d: &Document| -> Option<Vec<Object>> {
        match o {
            None => Some(Vec::new()),
            Some(o) => d
                .dereference(o)
                .ok()
                .and_then(|(_, o)| o.as_array().ok().cloned()),
        }
    };
    match (arr(old, old_doc), arr(new, new_doc)) {
        (Some(a), Some(b)) => a.iter().all(|x| b.contains(x)),
        _ => false,
    }
}

impl<'a> Analyser<'a> {
    pub fn new(pdf: &'a [u8], doc: &'a Document) -> Self {
        Analyser {
            pdf,
            doc,
            revisions: BTreeMap::new(),
        }
    }

    fn revision(&mut self, end: usize) -> Option<&Document> {
        let pdf = self.pdf;
        self.revisions
            .entry(end)
            .or_insert_with(|| pdf.get(..end).and_then(|b| Document::load_mem(b).ok()))
            .as_ref()
    }

    /// The check on what changed after the revision ending at `end`; `ends` are the ends of
    /// every signature's revision (later signatures may cover later changes); `docmdp` is the
    /// P value of a certification signature (§12.8.2.2).
    pub fn check(&mut self, end: usize, ends: &[usize], docmdp: Option<i64>) -> Check {
        let subject = format!("changes after byte {end}");
        if end >= self.pdf.len() || self.pdf[end..].iter().all(u8::is_ascii_whitespace) {
            return Check::passed(
                K::ModifiedAfterSigning,
                subject,
                "no revision after the signature",
                "签署后文档未被修改",
            );
        }
        let Some(old) = self.revision(end).cloned() else {
            return Check::indeterminate(
                K::ModifiedAfterSigning,
                subject,
                "the signed revision cannot be read on its own",
                "无法读取签署时的版本",
            );
        };
        let new = self.doc;
        let later: Vec<usize> = ends.iter().copied().filter(|e| *e > end).collect();
        let old_pages: BTreeMap<ObjectId, u32> =
            old.get_pages().into_iter().map(|(n, id)| (id, n)).collect();
        let old_root = old.trailer.get(b"Root").and_then(Object::as_reference).ok();
        let old_info = old.trailer.get(b"Info").and_then(Object::as_reference).ok();
        let old_metadata = old_root
            .and_then(|r| old.get_dictionary(r).ok())
            .and_then(|c| c.get(b"Metadata").ok())
            .and_then(Object::as_reference_opt);
        let old_form = old_root
            .and_then(|r| old.get_dictionary(r).ok())
            .and_then(|c| c.get(b"AcroForm").ok())
            .and_then(Object::as_reference_opt);
        let old_fields_arr = old_form
            .and_then(|f| old.get_dictionary(f).ok())
            .and_then(|f| f.get(b"Fields").ok())
            .and_then(Object::as_reference_opt);
        let annots_arrays: BTreeMap<ObjectId, u32> = old_pages
            .iter()
            .filter_map(|(pid, n)| {
                old.get_dictionary(*pid)
                    .ok()
                    .and_then(|d| d.get(b"Annots").ok())
                    .and_then(Object::as_reference_opt)
                    .map(|a| (a, *n))
            })
            .collect();

        let mut failures: Vec<String> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut rules: BTreeSet<&str> = BTreeSet::new();
        let (mut new_sig_fields, mut new_annots) = (0usize, 0usize);
        for (id, obj) in &new.objects {
            let Some(d_new) = dict_of(obj) else {
                // Arrays and other non-dictionaries.
                match old.objects.get(id) {
                    None => {}
                    Some(o) if same(o, obj) => {}
                    Some(o) => {
                        if (annots_arrays.contains_key(id) || Some(*id) == old_fields_arr)
                            && superset(Some(o), Some(obj), &old, new)
                        {
                            rules.insert(if annots_arrays.contains_key(id) {
                                "annotations"
                            } else {
                                "signature-fields"
                            });
                        } else {
                            failures.push(format!("object {} {} changed", id.0, id.1));
                        }
                    }
                }
                continue;
            };
            if name_is(d_new, b"Type", b"XRef") || name_is(d_new, b"Type", b"ObjStm") {
                continue;
            }
            match old.objects.get(id) {
                Some(o) if same(o, obj) => {}
                Some(o) => {
                    let Some(d_old) = dict_of(o) else {
                        failures.push(format!("object {} {} changed type", id.0, id.1));
                        continue;
                    };
                    let keys = changed_keys(d_old, d_new);
                    let only =
                        |allowed: &[&[u8]]| keys.iter().all(|k| allowed.contains(&k.as_slice()));
                    if let Some(n) = old_pages.get(id) {
                        if only(&[b"Annots"])
                            && superset(
                                d_old.get(b"Annots").ok(),
                                d_new.get(b"Annots").ok(),
                                &old,
                                new,
                            )
                        {
                            rules.insert("annotations");
                        } else {
                            failures.push(format!("page {n} changed ({}): page content or resources may differ from what was signed", key_list(&keys)));
                        }
                    } else if Some(*id) == old_root {
                        // Signing tools also bump /Version, add /Extensions and XMP /Metadata.
                        if only(&[b"AcroForm", b"Version", b"Extensions", b"Metadata"])
                            && form_grew(
                                d_old.get(b"AcroForm").ok(),
                                d_new.get(b"AcroForm").ok(),
                                &old,
                                new,
                            )
                        {
                            rules.insert("signature-fields");
                            if keys.iter().any(|k| k.as_slice() != b"AcroForm") {
                                rules.insert("metadata");
                            }
                        } else {
                            failures
                                .push(format!("document catalog changed ({})", key_list(&keys)));
                        }
                    } else if Some(*id) == old_form {
                        if form_grew(Some(o), Some(obj), &old, new) {
                            rules.insert("signature-fields");
                        } else {
                            failures.push(format!("AcroForm changed ({})", key_list(&keys)));
                        }
                    } else if Some(*id) == old_info || Some(*id) == old_metadata {
                        rules.insert("metadata");
                    } else if name_is(d_old, b"FT", b"Sig")
                        && !d_old.has(b"V")
                        && only(&[b"V", b"AP", b"F"])
                    {
                        rules.insert("signature-fields");
                    } else {
                        failures.push(format!(
                            "object {} {} changed ({})",
                            id.0,
                            id.1,
                            key_list(&keys)
                        ));
                    }
                }
                None => {
                    if !name_is(d_new, b"Type", b"Annot") && !d_new.has(b"Subtype")
                        || name_is(d_new, b"Type", b"Sig")
                        || name_is(d_new, b"Type", b"DocTimeStamp")
                    {
                        continue;
                    }
                    let subtype = d_new
                        .get(b"Subtype")
                        .and_then(Object::as_name)
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_default();
                    let is_annot = name_is(d_new, b"Type", b"Annot")
                        || d_new.has(b"Rect")
                            && d_new.has(b"Subtype")
                            && !name_is(d_new, b"Type", b"XObject");
                    if !is_annot {
                        continue;
                    }
                    if subtype == "Widget" && name_is(d_new, b"FT", b"Sig") {
                        rules.insert("signature-fields");
                        // An invisible field (zero-area /Rect) draws nothing over the page.
                        let area = d_new.get(b"Rect").and_then(Object::as_array).map(|r| {
                            let v: Vec<f32> = r.iter().filter_map(|o| o.as_float().ok()).collect();
                            if v.len() == 4 {
                                ((v[2] - v[0]) * (v[3] - v[1])).abs()
                            } else {
                                0.0
                            }
                        });
                        if area.unwrap_or(0.0) > 0.0 {
                            new_sig_fields += 1;
                        }
                        continue;
                    }
                    new_annots += 1;
                    let covered = later.iter().any(|e| {
                        self.revision(*e)
                            .is_some_and(|d| d.objects.get(id).is_some_and(|o| same(o, obj)))
                    });
                    let locked_stamp = subtype == "Stamp"
                        && d_new
                            .get(b"F")
                            .and_then(Object::as_i64)
                            .map(|f| f & 128 != 0)
                            .unwrap_or(false);
                    if covered {
                        // A later signer vouches for it, but it still draws over what this
                        // signature covered (pyHanko also refuses it for approval signatures).
                        let kind = if locked_stamp { "locked /Stamp" } else { "/" };
                        warnings.push(format!("a {kind}{} annotation (object {}) was added by a later signed revision; it draws over signed pages", if locked_stamp { "" } else { subtype.as_str() }, id.0));
                    } else {
                        failures.push(format!("a /{subtype} annotation (object {}) was added in an unsigned revision: it may cover signed content (overlay)", id.0));
                    }
                }
            }
        }
        if let Some(p) = docmdp {
            // The certification signature's permissions narrow the rules.
            if p == 1 && (!rules.is_empty() || !warnings.is_empty()) {
                failures.push("the document is certified with DocMDP P=1 (no changes), yet later revisions change it".into());
            }
            if new_sig_fields > 0 {
                failures.push(format!("{new_sig_fields} new visible signature field(s) after a certification signature (rule docmdp: create every field before certifying)"));
            }
            if p == 2 && new_annots > 0 {
                failures.push(
                    "annotations added after a certification with DocMDP P=2 (form filling only)"
                        .into(),
                );
            }
        }
        if !failures.is_empty() {
            return Check::failed(
                K::ModifiedAfterSigning,
                subject,
                format!(
                    "changes after signing break the rules: {}",
                    failures.join("; ")
                ),
                "签署后文档内容被修改",
            );
        }
        let rules: Vec<&str> = rules.into_iter().collect();
        let allowed = if rules.is_empty() {
            "later revisions change nothing".to_string()
        } else {
            format!(
                "later revisions only make allowed changes (rules: {})",
                rules.join(", ")
            )
        };
        if !warnings.is_empty() {
            return Check::warning(
                K::ModifiedAfterSigning,
                subject,
                format!("{allowed}; {}", warnings.join("; ")),
                "签署后添加了注释，可能遮盖内容",
            );
        }
        Check::passed(
            K::ModifiedAfterSigning,
            subject,
            allowed,
            "签署后仅追加了签名或注释",
        )
    }
}

/// The AcroForm only gained fields and signature flags.
fn form_grew(
    old: Option<&Object>,
    new: Option<&Object>,
    old_doc: &Document,
    new_doc: &Document,
) -> bool {
    let get = |o: Option<&Object>, d: &Document| -> Option<lopdf::Dictionary> {
        match o {
            None => Some(lopdf::Dictionary::new()),
            Some(o) => d
                .dereference(o)
                .ok()
                .and_then(|(_, o)| o.as_dict().ok().cloned()),
        }
    };
    let (Some(a), Some(b)) = (get(old, old_doc), get(new, new_doc)) else {
        return false;
    };
    let keys = changed_keys(&a, &b);
    keys.iter()
        .all(|k| matches!(k.as_slice(), b"Fields" | b"SigFlags" | b"DR" | b"DA"))
        && superset(
            a.get(b"Fields").ok(),
            b.get(b"Fields").ok(),
            old_doc,
            new_doc,
        )
}

fn key_list(keys: &BTreeSet<Vec<u8>>) -> String {
    keys.iter()
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

trait RefOpt {
    fn as_reference_opt(&self) -> Option<ObjectId>;
}
impl RefOpt for Object {
    fn as_reference_opt(&self) -> Option<ObjectId> {
        self.as_reference().ok()
    }
}
