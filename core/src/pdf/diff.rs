//! What changed after a signature, as named rules over revisions (ISO 32000-1 §7.5.6
//! incremental updates, §12.5 annotations, §12.7 forms, §12.8.2 DocMDP). The idea is
//! pyHanko's difference analysis (every change must be explained by a rule); the rules are our
//! own and stricter wherever a reader would show something the signer did not sign. The full
//! list, with what each allows and refuses, is `docs/pdf-changes.md`.
//!
//! Each incremental update (revision `r` over `r - 1`) is reviewed once, comparing what the
//! two revisions' cross-reference sections *resolve to* — not only the objects the update
//! writes out — so an xref-only update that frees an object, points it at other bytes or
//! redefines it is seen like any other change. The review walks the document as revision `r`
//! shows it: the catalog, the page tree, each page's annotations and the form have their own
//! rules; everything else reachable from them (content streams, resources, fonts, XObjects,
//! actions) must resolve to what revision `r - 1` had.
//!
//! A signature is then judged by the reviews of the revisions after the one it signs.
//! Overlays (annotations that may cover signed content) fail unless a later signature that is
//! intact and trusted covers the revision that added them; then they are a warning naming
//! that revision.

use super::cos::{self, Dict, Obj, Ref};
use super::form::{self, Field};
use super::xref::{Entry, Pdf};
use crate::report::{Check, CheckKind as K};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// The rule names used in reports (stable; `docs/pdf-changes.md` explains each).
pub(crate) mod rule {
    // Refused.
    pub const ROOT_REPLACED: &str = "root-replaced";
    pub const CATALOG_CHANGED: &str = "catalog-changed";
    pub const PAGE_TREE_CHANGED: &str = "page-tree-changed";
    pub const PAGE_CHANGED: &str = "page-changed";
    pub const CONTENT_CHANGED: &str = "content-changed";
    pub const OBJECT_FREED: &str = "object-freed";
    pub const XREF_REDIRECT: &str = "xref-redirect";
    pub const OBJECT_UNREADABLE: &str = "object-unreadable";
    pub const UNLISTED_OBJECT: &str = "unlisted-object";
    pub const ANNOTATION_CHANGED: &str = "annotation-changed";
    pub const ANNOTATION_REMOVED: &str = "annotation-removed";
    pub const FORM_CHANGED: &str = "form-changed";
    pub const FIELD_REMOVED: &str = "field-removed";
    pub const FORM_FIELD_CHANGED: &str = "form-field-changed";
    pub const NEW_FORM_FIELD: &str = "new-form-field";
    pub const SIGNATURE_FIELD_CHANGED: &str = "signature-field-changed";
    pub const DOCMDP: &str = "docmdp";
    pub const FIELD_LOCK: &str = "field-lock";
    pub const WORK_CAP: &str = "work-cap";
    // Overlays: refused unless a later intact, trusted signature covers them (then warned).
    pub const OVERLAY_ANNOTATION: &str = "overlay-annotation";
    pub const EMPTY_FIELD_APPEARANCE: &str = "empty-field-appearance";
    // Allowed, and listed.
    pub const LATER_SIGNATURE: &str = "later-signature";
    pub const DOCUMENT_TIMESTAMP: &str = "document-timestamp";
    pub const SIGN_EXISTING_FIELD: &str = "sign-existing-field";
    pub const EMPTY_SIGNATURE_FIELD: &str = "empty-signature-field";
    pub const SIGNATURE_FIELDS: &str = "signature-fields";
    pub const FORM_FILLING: &str = "form-filling";
    pub const FORM_DEFAULTS: &str = "form-defaults";
    pub const DSS: &str = "dss";
    pub const METADATA: &str = "metadata";
}

/// A signature as the change rules need it.
#[derive(Debug, Clone)]
pub(crate) struct SignedRevision {
    pub field: Ref,
    pub name: String,
    /// The revision its byte ranges cover.
    pub revision: usize,
    /// Intact and chained to a trust anchor: it may vouch for overlays in what it covers.
    pub vouches: bool,
    pub timestamp: bool,
}

/// What one incremental update did.
#[derive(Debug, Default)]
pub(crate) struct Review {
    pub failures: Vec<(&'static str, String)>,
    pub overlays: Vec<(&'static str, String)>,
    pub allowed: BTreeSet<(&'static str, String)>,
    /// New signature fields with a visible widget (DocMDP: create fields before certifying).
    pub visible_new_signature_fields: Vec<String>,
    /// Fields whose value was filled in.
    pub filled: Vec<String>,
}

#[derive(Debug, Clone)]
enum WidgetKind {
    LaterSignature { field: String, timestamp: bool },
    SignExisting(String),
    EmptySignature { field: String, visible: bool },
    FormFill(String),
    NewField,
}

/// The reviews of a document's updates, computed when first needed.
pub(crate) struct Analyser<'d, 'a> {
    doc: &'d Pdf<'a>,
    sigs: Vec<SignedRevision>,
    reviews: HashMap<usize, Rc<Review>>,
    /// Objects visited by all reviews so far, and how many they may visit.
    steps: usize,
    budget: usize,
}

/// Most objects the reviews of one file visit (revisions × reachable objects); beyond it the
/// remaining reviews fail with `work-cap` rather than run without bound.
pub(crate) const MAX_WALK_STEPS: usize = 5_000_000;

impl<'d, 'a> Analyser<'d, 'a> {
    pub fn new(doc: &'d Pdf<'a>, sigs: Vec<SignedRevision>) -> Self {
        Analyser {
            doc,
            sigs,
            reviews: HashMap::new(),
            steps: 0,
            budget: MAX_WALK_STEPS,
        }
    }

    fn review(&mut self, r: usize) -> Rc<Review> {
        if let Some(v) = self.reviews.get(&r) {
            return v.clone();
        }
        let mut cx = Cx::new(self.doc, r, &self.sigs);
        cx.steps = self.steps;
        cx.budget = self.budget;
        let (review, steps) = cx.run();
        self.steps = steps;
        let v = Rc::new(review);
        self.reviews.insert(r, v.clone());
        v
    }

    /// The checks on what changed after the signature of field `own`, which covers revision
    /// `s`; `docmdp` is its DocMDP P value when it certifies the document (§12.8.2.2), `lock`
    /// the names of fields its field lock protects (§12.7.4.5 Table 233).
    pub fn checks(
        &mut self,
        s: usize,
        own: Ref,
        docmdp: Option<i64>,
        lock: &FieldLock,
    ) -> Vec<Check> {
        let last = self.doc.last();
        let n = last + 1;
        let mut out = Vec::new();
        if s >= last {
            out.push(Check::passed(
                K::ModifiedAfterSigning,
                format!("revision {} of {n}", s + 1),
                "no revision after the signature",
                "签署后文档未被修改",
            ));
            return out;
        }
        let mut allowed: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let mut refused = 0;
        for r in s + 1..=last {
            let rev = self.review(r);
            let subject = format!("revision {} of {n}", r + 1);
            let mut fail = |out: &mut Vec<Check>, rule: &'static str, msg: String, zh: &str| {
                refused += 1;
                out.push(
                    Check::failed(K::ModifiedAfterSigning, &subject, msg, zh.to_string())
                        .with_rule(rule),
                );
            };
            for (rule, what) in &rev.failures {
                fail(&mut out, rule, what.clone(), zh_for(rule));
            }
            for (rule, what) in &rev.overlays {
                let later: Vec<&SignedRevision> = self
                    .sigs
                    .iter()
                    .filter(|t| t.revision >= r && t.field != own)
                    .collect();
                let vouching: Vec<&str> = later
                    .iter()
                    .filter(|t| t.vouches)
                    .map(|t| t.name.as_str())
                    .collect();
                if !vouching.is_empty() {
                    out.push(
                        Check::warning(
                            K::ModifiedAfterSigning,
                            &subject,
                            format!(
                                "{what}; added in revision {}, which the later signature {} (intact, trusted) covers: it may still cover what this signature signed",
                                r + 1,
                                vouching.join(", ")
                            ),
                            format!("第 {} 版添加了可能遮盖已签内容的注释，已由后续可信签名覆盖", r + 1),
                        )
                        .with_rule(rule),
                    );
                } else if later.is_empty() {
                    fail(
                        &mut out,
                        rule,
                        format!(
                            "{what}; added in revision {}, which no later signature covers: it may cover what was signed (overlay)",
                            r + 1
                        ),
                        "签署后在未签名的版本中添加了可能遮盖内容的注释",
                    );
                } else {
                    let names: Vec<&str> = later.iter().map(|t| t.name.as_str()).collect();
                    fail(
                        &mut out,
                        rule,
                        format!(
                            "{what}; added in revision {}: the later signature {} covers it but is not intact and trusted, so it does not vouch for it",
                            r + 1,
                            names.join(", ")
                        ),
                        "后续签名不可信，不能为签署后添加的覆盖注释担保",
                    );
                }
            }
            for (rule, what) in &rev.allowed {
                allowed
                    .entry(rule)
                    .or_default()
                    .push(format!("revision {}: {what}", r + 1));
            }
            if let Some(p) = docmdp {
                // §12.8.2.2 Table 254: what the certification permits after it.
                let allowed_at_1 =
                    |rule: &str| rule == rule::DSS || rule == rule::DOCUMENT_TIMESTAMP;
                if p == 1 {
                    let changed: BTreeSet<&str> = rev
                        .allowed
                        .iter()
                        .map(|(r, _)| *r)
                        .chain(rev.overlays.iter().map(|(r, _)| *r))
                        .filter(|r| !allowed_at_1(r))
                        .collect();
                    if !changed.is_empty() {
                        let list: Vec<&str> = changed.into_iter().collect();
                        fail(
                            &mut out,
                            rule::DOCMDP,
                            format!(
                                "the document is certified with DocMDP P=1 (no changes), yet this revision makes changes ({})",
                                list.join(", ")
                            ),
                            zh_for(rule::DOCMDP),
                        );
                    }
                } else {
                    if !rev.visible_new_signature_fields.is_empty() {
                        fail(
                            &mut out,
                            rule::DOCMDP,
                            format!(
                                "new visible signature field(s) {} after a certification signature (create every field before certifying)",
                                rev.visible_new_signature_fields.join(", ")
                            ),
                            zh_for(rule::DOCMDP),
                        );
                    }
                    if p == 2 && !rev.overlays.is_empty() {
                        fail(&mut out, rule::DOCMDP, "annotations added after a certification with DocMDP P=2 (form filling and signing only)".into(), zh_for(rule::DOCMDP));
                    }
                }
            }
            for f in &rev.filled {
                if lock.locks(f) {
                    fail(
                        &mut out,
                        rule::FIELD_LOCK,
                        format!(
                            "field {f} was filled in, but this signature's field lock protects it"
                        ),
                        zh_for(rule::FIELD_LOCK),
                    );
                }
            }
        }
        for (rule, items) in allowed {
            out.push(
                Check::passed(
                    K::ModifiedAfterSigning,
                    format!("revisions {}..{n}", s + 2),
                    format!("allowed change ({rule}): {}", items.join("; ")),
                    zh_allowed(rule),
                )
                .with_rule(rule),
            );
        }
        if out.is_empty() && refused == 0 {
            out.push(Check::passed(
                K::ModifiedAfterSigning,
                format!("revisions {}..{n}", s + 2),
                "later revisions change nothing a reader shows",
                "后续版本未改变显示内容",
            ));
        }
        out
    }
}

/// A signature field's lock (§12.7.4.5 Table 233, /Lock): which fields it protects.
#[derive(Debug, Clone, Default)]
pub(crate) enum FieldLock {
    #[default]
    None,
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

impl FieldLock {
    pub fn from_dict(d: Option<&Dict>) -> Self {
        let Some(d) = d else { return FieldLock::None };
        let names = || -> Vec<String> {
            d.get(b"Fields")
                .and_then(Obj::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|o| match o {
                            Obj::Str(s) => Some(super::object::decode_text(s)),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        match d.name(b"Action") {
            Some(b"All") => FieldLock::All,
            Some(b"Include") => FieldLock::Include(names()),
            Some(b"Exclude") => FieldLock::Exclude(names()),
            _ => FieldLock::None,
        }
    }

    fn locks(&self, field: &str) -> bool {
        match self {
            FieldLock::None => false,
            FieldLock::All => true,
            FieldLock::Include(v) => v.iter().any(|n| n == field),
            FieldLock::Exclude(v) => !v.iter().any(|n| n == field),
        }
    }
}

fn zh_for(rule: &str) -> &'static str {
    match rule {
        rule::ROOT_REPLACED => "签署后文档目录被替换",
        rule::CATALOG_CHANGED => "签署后文档目录被修改",
        rule::PAGE_TREE_CHANGED => "签署后页面树被修改",
        rule::PAGE_CHANGED => "签署后页面被修改",
        rule::CONTENT_CHANGED => "签署后页面内容或资源被修改",
        rule::OBJECT_FREED => "签署后对象被标记为空闲（隐藏攻击）",
        rule::XREF_REDIRECT => "签署后交叉引用指向其他字节（影子攻击）",
        rule::OBJECT_UNREADABLE => "签署后对象无法读取",
        rule::UNLISTED_OBJECT => "增量更新中有未列入交叉引用的对象",
        rule::ANNOTATION_CHANGED => "签署后注释被修改",
        rule::ANNOTATION_REMOVED => "签署后注释被删除",
        rule::FORM_CHANGED => "签署后表单被修改",
        rule::FIELD_REMOVED => "签署后表单域被删除",
        rule::FORM_FIELD_CHANGED => "签署后表单域被修改",
        rule::NEW_FORM_FIELD => "签署后添加了非签名表单域",
        rule::SIGNATURE_FIELD_CHANGED => "签署后签名域被修改",
        rule::DOCMDP => "认证签名（DocMDP）不允许此修改",
        rule::FIELD_LOCK => "签名锁定的表单域被修改",
        rule::EMPTY_FIELD_APPEARANCE => "签署后添加了带外观的空签名域（可能遮盖内容）",
        _ => "签署后添加了可能遮盖内容的注释",
    }
}

fn zh_allowed(rule: &str) -> &'static str {
    match rule {
        rule::LATER_SIGNATURE => "允许的修改：后续签名（签名域、控件与外观）",
        rule::DOCUMENT_TIMESTAMP => "允许的修改：文档时间戳",
        rule::SIGN_EXISTING_FIELD => "允许的修改：签署已有的空签名域",
        rule::EMPTY_SIGNATURE_FIELD => "允许的修改：不可见的空签名域",
        rule::SIGNATURE_FIELDS => "允许的修改：表单域列表与签名标志",
        rule::FORM_FILLING => "允许的修改：填写表单",
        rule::FORM_DEFAULTS => "允许的修改：表单默认外观资源",
        rule::DSS => "允许的修改：文档安全存储（DSS）",
        _ => "允许的修改：元数据",
    }
}

/// The review of one update.
struct Cx<'d, 'a, 's> {
    doc: &'d Pdf<'a>,
    old: usize,
    new: usize,
    sigs: &'s [SignedRevision],
    /// Object numbers the update's own sections list.
    listed: HashSet<u32>,
    /// Objects a structural rule compared with themselves in the same role (catalog, page tree,
    /// a page's annotations, the form's fields): the content walk leaves them to that rule.
    /// Objects in a new role (a new field, widget or annotation) are not in it, so an object
    /// the signed revision drew as content and the update reuses elsewhere is still caught.
    structural: HashSet<u32>,
    visited: HashSet<u32>,
    /// Objects that must resolve as before: (object, rule if not, what reaches it).
    work: Vec<(Ref, &'static str, Rc<str>)>,
    widgets: HashMap<Ref, WidgetKind>,
    out: Review,
    steps: usize,
    budget: usize,
    capped: bool,
}

/// What filling in a field may change (§12.7.3 value, appearance, flags that draw nothing
/// different; /F only when Hidden and NoView stay as they were).
const FILL_KEYS: &[&[u8]] = &[
    b"V", b"AS", b"AP", b"RV", b"MK", b"F", b"Ff", b"Type", b"DA", b"Q",
];
/// What signing an empty signature field may change.
const SIGN_KEYS: &[&[u8]] = &[b"V", b"AS", b"AP", b"F", b"MK", b"Ff", b"Type", b"DA", b"Q"];

/// The changed keys are all `allowed`, and the widget's visibility flags did not change.
fn only(keys: &[Vec<u8>], allowed: &[&[u8]], old: &Dict, new: &Dict) -> bool {
    let hidden = |d: &Dict| d.int(b"F").unwrap_or(0) & (2 | 32);
    keys.iter().all(|k| allowed.contains(&k.as_slice())) && hidden(old) == hidden(new)
}

impl<'d, 'a, 's> Cx<'d, 'a, 's> {
    fn new(doc: &'d Pdf<'a>, r: usize, sigs: &'s [SignedRevision]) -> Self {
        Cx {
            doc,
            old: r - 1,
            new: r,
            sigs,
            listed: doc.listed(r).map(|(n, _)| n).collect(),
            structural: HashSet::new(),
            visited: HashSet::new(),
            work: Vec::new(),
            widgets: HashMap::new(),
            out: Review::default(),
            steps: 0,
            budget: MAX_WALK_STEPS,
            capped: false,
        }
    }

    /// The review, and the steps counted so far.
    fn run(mut self) -> (Review, usize) {
        if self.step(1) {
            self.review();
        }
        (self.out, self.steps)
    }

    fn review(&mut self) {
        self.update_body();
        let doc = self.doc;
        let old_root = doc.trailer_entry(self.old, b"Root").and_then(Obj::as_ref);
        let new_root = doc.trailer_entry(self.new, b"Root").and_then(Obj::as_ref);
        if old_root != new_root {
            let reuse = self.reuses_form(old_root, new_root);
            self.fail(
                rule::ROOT_REPLACED,
                format!(
                    "the trailer's /Root is now {} (the signed revision's is {}): a new document catalog replaces the signed one{}",
                    show(new_root),
                    show(old_root),
                    if reuse { ", reusing the signed AcroForm so the signatures still appear" } else { "" }
                ),
            );
            return;
        }
        self.info();
        let Some(root) = new_root else {
            return;
        };
        self.structural.insert(root.0);
        let (Some(old_cat), Some(new_cat)) = (self.dict(self.old, root), self.dict(self.new, root))
        else {
            self.fail_obj(
                rule::CATALOG_CHANGED,
                root,
                "the document catalog cannot be read".into(),
            );
            return;
        };
        self.form();
        let keys: Vec<Vec<u8>> = {
            let mut k: Vec<Vec<u8>> = old_cat
                .as_dict()
                .into_iter()
                .flat_map(|d| d.keys())
                .map(<[u8]>::to_vec)
                .collect();
            for n in new_cat.as_dict().into_iter().flat_map(|d| d.keys()) {
                if !k.iter().any(|x| x == n) {
                    k.push(n.to_vec());
                }
            }
            k
        };
        let (od, nd) = (
            old_cat.as_dict().cloned().unwrap_or_default(),
            new_cat.as_dict().cloned().unwrap_or_default(),
        );
        for key in keys {
            let (ov, nv) = (od.get(&key), nd.get(&key));
            let differs = !opt_same(self.doc.buf, ov, nv)
                || nv.and_then(Obj::as_ref).is_some_and(|r| self.changed(r));
            match key.as_slice() {
                b"AcroForm" => {}
                b"Pages" => {
                    if !opt_same(self.doc.buf, ov, nv) {
                        self.fail(
                            rule::PAGE_TREE_CHANGED,
                            "the catalog's /Pages now names another page tree".into(),
                        );
                    } else if let Some(v) = nv {
                        self.pages(v);
                    }
                }
                b"DSS" => {
                    if differs {
                        self.allow(
                            rule::DSS,
                            "document security store (validation data) updated".into(),
                        );
                    }
                }
                b"Metadata" | b"Version" | b"Extensions" | b"MarkInfo" => {
                    if differs {
                        self.allow(
                            rule::METADATA,
                            format!("catalog /{}", String::from_utf8_lossy(&key)),
                        );
                    }
                }
                _ => {
                    let label: Rc<str> =
                        format!("catalog /{}", String::from_utf8_lossy(&key)).into();
                    if !opt_same(self.doc.buf, ov, nv) {
                        self.fail_obj(rule::CATALOG_CHANGED, root, format!("{label} changed"));
                    }
                    if let Some(v) = nv {
                        self.push_refs(v, rule::CATALOG_CHANGED, &label);
                    }
                }
            }
        }
        // Only an object that changed can fail the content walk: skip it when every changed
        // object was judged by the structural rules.
        if self.changed_outside_structure() {
            self.run_work();
        }
    }

    /// Counts `n` visits; false when over the budget, and then this review fails with
    /// `work-cap` (every review cut short says so, whichever signature asks for it).
    fn step(&mut self, n: usize) -> bool {
        self.steps += n;
        if self.steps <= self.budget {
            return true;
        }
        if !self.capped {
            self.capped = true;
            self.fail(
                rule::WORK_CAP,
                format!(
                    "more than {} objects to compare across the revisions after the signature: this revision is not fully checked",
                    self.budget
                ),
            );
        }
        false
    }

    fn fail(&mut self, rule: &'static str, what: String) {
        self.out.failures.push((rule, what));
    }

    /// A refused change of object `r`: named by how the xref changed it when that is the
    /// cause (freed, pointed elsewhere), else by `rule`.
    fn fail_obj(&mut self, rule: &'static str, r: Ref, what: String) {
        let (rule, how) = match self.xref_rule(r) {
            Some((x, how)) => (x, format!(": {how}")),
            None => (rule, String::new()),
        };
        self.out.failures.push((rule, format!("{what}{how}")));
    }

    fn allow(&mut self, rule: &'static str, what: String) {
        self.out.allowed.insert((rule, what));
    }

    fn overlay(&mut self, rule: &'static str, what: String) {
        self.out.overlays.push((rule, what));
    }

    fn dict(&self, rev: usize, r: Ref) -> Option<Rc<Obj>> {
        self.doc
            .resolve(rev, r)
            .ok()
            .flatten()
            .map(|x| x.obj)
            .filter(|o| o.as_dict().is_some())
    }

    /// Whether object `r` resolves differently in the update than before it.
    fn changed(&self, r: Ref) -> bool {
        let in_changed_stream = || match self.doc.entry(self.new, r.0) {
            Some((_, Entry::Compressed { stream, .. })) => self.listed.contains(&stream),
            _ => false,
        };
        if !self.listed.contains(&r.0) && !in_changed_stream() {
            return false;
        }
        match (self.doc.resolve(self.old, r), self.doc.resolve(self.new, r)) {
            (Ok(Some(a)), Ok(Some(b))) => {
                a.loc != b.loc && !cos::same(self.doc.buf, &a.obj, &b.obj)
            }
            (Ok(None), Ok(None)) => false,
            _ => true,
        }
    }

    /// Some object the update changes (listed in its xref, or inside an object stream it
    /// redefines) was not judged by a structural rule.
    fn changed_outside_structure(&self) -> bool {
        let doc = self.doc;
        let mut ids: Vec<u32> = self.listed.iter().copied().collect();
        for rev in [self.old, self.new] {
            for &n in &self.listed {
                if let Some((_, Entry::InUse { offset, .. })) = doc.entry(rev, n) {
                    ids.extend(doc.object_stream_members(offset));
                }
            }
        }
        ids.into_iter().any(|n| {
            if self.structural.contains(&n) {
                return false;
            }
            let generation = |rev: usize| match doc.entry(rev, n) {
                Some((_, Entry::InUse { generation, .. })) => generation,
                _ => 0,
            };
            let (a, b) = (
                doc.resolve(self.old, (n, generation(self.old))),
                doc.resolve(self.new, (n, generation(self.new))),
            );
            match (a, b) {
                (Ok(Some(a)), Ok(Some(b))) => a.loc != b.loc && !cos::same(doc.buf, &a.obj, &b.obj),
                (Ok(None), Ok(None)) => false,
                _ => true,
            }
        })
    }

    /// How the update's cross-reference data changed `r`, when that alone explains it.
    fn xref_rule(&self, r: Ref) -> Option<(&'static str, String)> {
        let rev = &self.doc.revisions[self.new];
        let own = |sec: usize| rev.sections.contains(&sec);
        let inside = |o: usize| o >= rev.start && o < rev.end;
        let was = self.doc.resolve(self.old, r).ok().flatten().is_some();
        match self.doc.entry(self.new, r.0) {
            Some((sec, Entry::Free)) if own(sec) && was => Some((
                rule::OBJECT_FREED,
                format!(
                    "object {} was marked free by the update's cross-reference section and now reads as null",
                    r.0
                ),
            )),
            Some((sec, Entry::InUse { offset, .. })) if own(sec) && !inside(offset) => Some((
                rule::XREF_REDIRECT,
                format!(
                    "the update's cross-reference entry points object {} at byte {offset}, outside the update: an xref-only redefinition",
                    r.0
                ),
            )),
            Some((sec, Entry::Compressed { stream, .. })) if own(sec) => {
                match self.doc.entry(self.new, stream) {
                    Some((_, Entry::InUse { offset, .. })) if !inside(offset) => Some((
                        rule::XREF_REDIRECT,
                        format!(
                            "the update's cross-reference entry points object {} into object stream {stream} at byte {offset}, outside the update",
                            r.0
                        ),
                    )),
                    _ => None,
                }
            }
            _ => match self.doc.resolve(self.new, r) {
                Err(e) => Some((rule::OBJECT_UNREADABLE, e)),
                _ => None,
            },
        }
    }

    fn push_refs(&mut self, o: &Obj, rule: &'static str, label: &Rc<str>) {
        let mut refs = Vec::new();
        o.refs(&mut refs);
        for r in refs.into_iter().rev() {
            self.work.push((r, rule, label.clone()));
        }
    }

    /// Follows a dictionary's values except `skip` as content that must not change.
    fn push_dict(&mut self, d: &Dict, skip: &[&[u8]], rule: &'static str, label: &str) {
        let label: Rc<str> = label.into();
        for (k, v) in &d.0 {
            if !skip.contains(&k.as_slice()) {
                self.push_refs(v, rule, &label);
            }
        }
    }

    /// Everything reachable from the structural objects must resolve as before.
    fn run_work(&mut self) {
        while let Some((r, rule, label)) = self.work.pop() {
            if !self.step(1) {
                self.work.clear();
                return;
            }
            if self.structural.contains(&r.0) || !self.visited.insert(r.0) {
                continue;
            }
            if self.changed(r) {
                let subject = format!("object {} {} (reached from {label})", r.0, r.1);
                match self.xref_rule(r) {
                    Some((x, how)) => self.fail(x, format!("{subject}: {how}")),
                    None if self.doc.resolve(self.old, r).ok().flatten().is_none() => self.fail(
                        rule,
                        format!("{subject} is new: the signed revision had no such object"),
                    ),
                    None => self.fail(rule, format!("{subject} was redefined by the update")),
                }
            }
            if let Ok(Some(res)) = self.doc.resolve(self.new, r) {
                self.push_refs(&res.obj, rule, &label);
            }
        }
    }

    /// §7.5.6: an update holds its objects and its cross-reference data and nothing else,
    /// and lists every object it defines (a reader that rebuilds a damaged xref would see an
    /// unlisted one).
    fn update_body(&mut self) {
        let doc = self.doc;
        let rev = doc.revisions[self.new].clone();
        let mut listed: HashMap<usize, u32> = HashMap::new();
        let mut sections: HashMap<usize, usize> = HashMap::new();
        for s in &doc.sections[rev.sections.clone()] {
            sections.insert(s.offset, s.end);
            for (n, e) in &s.entries {
                if let Entry::InUse { offset, .. } = e {
                    listed.insert(*offset, *n);
                }
            }
            for o in &s.stream_objects {
                if let Ok(i) = doc.parse_at(*o) {
                    sections.insert(*o, i.end);
                }
            }
        }
        let buf = doc.buf;
        let mut lx = cos::Lexer::new(buf, rev.start);
        loop {
            lx.skip_ws();
            let pos = lx.pos;
            if pos >= rev.end {
                break;
            }
            if let Some(end) = sections.get(&pos) {
                lx.pos = (*end).max(pos + 1);
                continue;
            }
            if buf[pos..].starts_with(b"startxref") {
                lx.pos += 9;
                let _ = lx.next();
                continue;
            }
            match doc.parse_at(pos) {
                Ok(ind) => {
                    if listed.get(&pos) != Some(&ind.id.0) {
                        self.fail(rule::UNLISTED_OBJECT, format!("object {} {} written at byte {pos} by the update is not in its cross-reference section: readers that rebuild the xref would show it", ind.id.0, ind.id.1));
                    }
                    if ind.end > rev.end {
                        self.fail(
                            rule::UNLISTED_OBJECT,
                            format!("object {} runs past the end of its revision", ind.id.0),
                        );
                        break;
                    }
                    lx.pos = ind.end;
                }
                Err(_) => {
                    self.fail(rule::UNLISTED_OBJECT, format!("bytes at {pos} in the update are neither an object nor cross-reference data"));
                    break;
                }
            }
        }
    }

    fn info(&mut self) {
        let (o, n) = (
            self.doc.trailer_entry(self.old, b"Info"),
            self.doc.trailer_entry(self.new, b"Info"),
        );
        if !opt_same(self.doc.buf, o, n) || n.and_then(Obj::as_ref).is_some_and(|r| self.changed(r))
        {
            self.allow(
                rule::METADATA,
                "document information dictionary (/Info)".into(),
            );
        }
    }

    fn reuses_form(&self, old_root: Option<Ref>, new_root: Option<Ref>) -> bool {
        let form = |rev: usize, r: Option<Ref>| {
            r.and_then(|r| self.dict(rev, r))
                .and_then(|c| c.as_dict().and_then(|d| d.get(b"AcroForm").cloned()))
        };
        let (a, b) = (form(self.old, old_root), form(self.new, new_root));
        a.is_some() && a == b
    }

    /// The page tree: nodes unchanged, pages unchanged but for `/Annots`.
    fn pages(&mut self, top: &Obj) {
        let Some(top) = top.as_ref() else {
            return;
        };
        let mut stack = vec![(top, 0usize)];
        let mut seen = HashSet::new();
        let mut page_no = 0usize;
        while let Some((id, depth)) = stack.pop() {
            if !seen.insert(id) || depth > 64 {
                continue;
            }
            if !self.step(1) {
                return;
            }
            self.structural.insert(id.0);
            let Some(new) = self.dict(self.new, id) else {
                self.fail_obj(
                    rule::PAGE_TREE_CHANGED,
                    id,
                    format!("page tree object {} cannot be read", id.0),
                );
                continue;
            };
            let old = self.dict(self.old, id);
            let nd = new.as_dict().cloned().unwrap_or_default();
            let is_node =
                nd.is_type(b"Pages") || (!nd.is_type(b"Page") && nd.get(b"Kids").is_some());
            if is_node {
                if self.changed(id) {
                    let keys = keys_changed(self.doc.buf, old.as_deref(), &nd);
                    self.fail_obj(
                        rule::PAGE_TREE_CHANGED,
                        id,
                        format!("page tree node {} changed ({keys})", id.0),
                    );
                }
                self.push_dict(
                    &nd,
                    &[b"Kids", b"Parent"],
                    rule::CONTENT_CHANGED,
                    &format!("page tree node {}", id.0),
                );
                let kids_v = nd.get(b"Kids").cloned().unwrap_or(Obj::Null);
                if let Some(k) = kids_v.as_ref() {
                    self.structural.insert(k.0);
                    if self.changed(k) {
                        self.fail_obj(
                            rule::PAGE_TREE_CHANGED,
                            k,
                            format!("the /Kids of page tree node {} changed", id.0),
                        );
                    }
                }
                let kids = self.doc.get(self.new, &kids_v);
                let refs: Vec<Ref> = kids
                    .as_array()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Obj::as_ref)
                    .collect();
                for k in refs.into_iter().rev() {
                    stack.push((k, depth + 1));
                }
                continue;
            }
            page_no += 1;
            let label = format!("page {page_no}");
            match &old {
                None => self.fail_obj(
                    rule::PAGE_TREE_CHANGED,
                    id,
                    format!(
                        "{label} (object {}) is not a page of the signed revision",
                        id.0
                    ),
                ),
                Some(old) => {
                    if self.changed(id) {
                        let od = old.as_dict().cloned().unwrap_or_default();
                        let keys: Vec<Vec<u8>> = cos::changed_keys(self.doc.buf, &od, &nd)
                            .into_iter()
                            .filter(|k| k != b"Annots")
                            .collect();
                        if !keys.is_empty() {
                            self.fail_obj(rule::PAGE_CHANGED, id, format!("{label} changed ({}): what it shows may differ from what was signed", names(&keys)));
                        }
                    }
                    let old_annots = old.as_dict().and_then(|d| d.get(b"Annots")).cloned();
                    self.annots(page_no, old_annots.as_ref(), nd.get(b"Annots"));
                }
            }
            self.push_dict(&nd, &[b"Annots", b"Parent"], rule::CONTENT_CHANGED, &label);
        }
    }

    /// A page's annotations: the signed ones stay (unchanged, or filled in / signed where the
    /// form rules allow it); new ones are signature widgets of this update, or overlays.
    fn annots(&mut self, page: usize, old_v: Option<&Obj>, new_v: Option<&Obj>) {
        if let Some(Obj::Ref(r)) = new_v {
            self.structural.insert(r.0);
        }
        let old_list: Vec<Obj> = old_v
            .map(|o| self.doc.get(self.old, o))
            .and_then(|g| g.as_array().map(<[Obj]>::to_vec))
            .unwrap_or_default();
        let new_list: Vec<Obj> = new_v
            .map(|o| self.doc.get(self.new, o))
            .and_then(|g| g.as_array().map(<[Obj]>::to_vec))
            .unwrap_or_default();
        for o in &old_list {
            if !new_list.iter().any(|n| cos::same(self.doc.buf, n, o)) {
                self.fail(
                    rule::ANNOTATION_REMOVED,
                    format!("page {page}: annotation {} was removed", describe(o)),
                );
            }
        }
        for o in &new_list {
            let in_old = old_list.iter().any(|x| cos::same(self.doc.buf, x, o));
            match o {
                Obj::Ref(a) => {
                    if in_old {
                        self.structural.insert(a.0);
                    }
                    self.annotation(page, *a, in_old);
                }
                Obj::Dict(d) => {
                    if in_old {
                        self.push_dict(
                            d,
                            &[b"P", b"Parent"],
                            rule::ANNOTATION_CHANGED,
                            &format!("page {page} annotation"),
                        );
                    } else {
                        let sub = d
                            .name(b"Subtype")
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .unwrap_or_default();
                        self.overlay(
                            rule::OVERLAY_ANNOTATION,
                            format!(
                                "page {page}: a new /{sub} annotation (direct) at {}",
                                rect(d)
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn annotation(&mut self, page: usize, a: Ref, in_old: bool) {
        let new = match self.doc.resolve(self.new, a) {
            Ok(Some(r)) => r.obj,
            Ok(None) => return, // a null entry draws nothing
            Err(e) => {
                self.fail_obj(
                    rule::ANNOTATION_CHANGED,
                    a,
                    format!("page {page}: annotation {} cannot be read: {e}", a.0),
                );
                return;
            }
        };
        let nd = new.as_dict().cloned().unwrap_or_default();
        let sub = nd
            .name(b"Subtype")
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default();
        let label = format!("page {page} /{sub} annotation {}", a.0);
        let kind = self.widgets.get(&a).cloned();
        if in_old {
            if !self.changed(a) {
                self.push_dict(&nd, &[b"P", b"Parent"], rule::ANNOTATION_CHANGED, &label);
                return;
            }
            let od = self
                .dict(self.old, a)
                .and_then(|o| o.as_dict().cloned())
                .unwrap_or_default();
            let keys = cos::changed_keys(self.doc.buf, &od, &nd);
            let within = |allowed: &[&[u8]]| only(&keys, allowed, &od, &nd);
            match kind {
                Some(WidgetKind::FormFill(f)) if within(FILL_KEYS) => {
                    self.allow(
                        rule::FORM_FILLING,
                        format!("field {f}: its widget on page {page} shows the new value"),
                    );
                }
                Some(WidgetKind::SignExisting(f)) if within(SIGN_KEYS) => {
                    self.allow(
                        rule::SIGN_EXISTING_FIELD,
                        format!("field {f}: its widget on page {page} shows the signature"),
                    );
                }
                _ => {
                    self.fail_obj(
                        rule::ANNOTATION_CHANGED,
                        a,
                        format!("{label} changed ({})", names(&keys)),
                    );
                    return;
                }
            }
            let mut skip: Vec<&[u8]> = vec![b"P", b"Parent"];
            skip.extend(keys.iter().map(Vec::as_slice));
            self.push_dict(&nd, &skip, rule::ANNOTATION_CHANGED, &label);
            return;
        }
        match kind {
            Some(WidgetKind::LaterSignature { field, timestamp }) => self.allow(
                if timestamp { rule::DOCUMENT_TIMESTAMP } else { rule::LATER_SIGNATURE },
                format!("field {field}: its widget on page {page}"),
            ),
            Some(WidgetKind::EmptySignature { field, visible: false }) => {
                self.allow(rule::EMPTY_SIGNATURE_FIELD, format!("field {field}: an invisible widget on page {page}"))
            }
            Some(WidgetKind::EmptySignature { field, visible: true }) => self.overlay(
                rule::EMPTY_FIELD_APPEARANCE,
                format!("page {page}: the new empty signature field {field} has a visible widget at {} that may cover signed content", rect(&nd)),
            ),
            Some(WidgetKind::NewField) => {} // refused by the form rules
            Some(WidgetKind::FormFill(f) | WidgetKind::SignExisting(f)) => self.overlay(
                rule::OVERLAY_ANNOTATION,
                format!("page {page}: a widget of field {f} newly placed at {}", rect(&nd)),
            ),
            None => self.overlay(
                rule::OVERLAY_ANNOTATION,
                format!("page {page}: a new /{sub} annotation (object {}) at {}", a.0, rect(&nd)),
            ),
        }
    }

    /// The interactive form: fields keep their values unless filled in; new fields are
    /// signatures made in this update, or empty signature fields.
    fn form(&mut self) {
        let doc = self.doc;
        let of = form::read(doc, self.old);
        let nf = form::read(doc, self.new);
        if !self.step(of.fields.len() + nf.fields.len()) {
            return;
        }
        for p in &nf.problems {
            if !of.problems.contains(p) {
                self.fail(rule::FORM_CHANGED, p.clone());
            }
        }
        if let Some((Some(r), _)) = &nf.acroform {
            self.structural.insert(r.0);
        }
        if let Some(r) = nf.fields_array {
            self.structural.insert(r.0);
        }
        let od = of
            .acroform
            .as_ref()
            .and_then(|(_, o)| o.as_dict().cloned())
            .unwrap_or_default();
        let nd = nf
            .acroform
            .as_ref()
            .and_then(|(_, o)| o.as_dict().cloned())
            .unwrap_or_default();
        let mut keys = cos::changed_keys(doc.buf, &od, &nd);
        for k in [&b"DR"[..], b"DA"] {
            if nd
                .get(k)
                .and_then(Obj::as_ref)
                .is_some_and(|r| self.changed(r))
                && !keys.iter().any(|x| x == k)
            {
                keys.push(k.to_vec());
            }
        }
        let redraws = matches!(nd.get(b"NeedAppearances"), Some(Obj::Bool(true)));
        for k in &keys {
            match k.as_slice() {
                b"Fields" => {}
                b"SigFlags" => self.allow(rule::SIGNATURE_FIELDS, "AcroForm /SigFlags".into()),
                // With /NeedAppearances readers draw fields from /V, /DA and /DR: new fonts or
                // defaults would redraw the signed fields too (§12.7.2 Table 218).
                b"DR" | b"DA" if redraws => self.fail(rule::FORM_CHANGED, format!("AcroForm /{} changed while /NeedAppearances is set: readers redraw every field with it", String::from_utf8_lossy(k))),
                b"DR" | b"DA" => self.allow(rule::FORM_DEFAULTS, format!("AcroForm /{}", String::from_utf8_lossy(k))),
                b"NeedAppearances" if !matches!(nd.get(k), Some(Obj::Bool(true))) => {
                    self.allow(rule::FORM_DEFAULTS, "AcroForm /NeedAppearances cleared".into())
                }
                b"NeedAppearances" => self.fail(rule::FORM_CHANGED, "AcroForm /NeedAppearances set: readers would redraw every field, signed ones included".into()),
                _ => self.fail(rule::FORM_CHANGED, format!("AcroForm /{} changed", String::from_utf8_lossy(k))),
            }
        }
        self.push_dict(
            &nd,
            &[b"Fields", b"DR", b"DA", b"SigFlags", b"NeedAppearances"],
            rule::FORM_CHANGED,
            "AcroForm",
        );
        let new_ids: HashSet<Ref> = nf.fields.iter().map(|f| f.id).collect();
        for f in &of.fields {
            if !new_ids.contains(&f.id) {
                self.fail(
                    rule::FIELD_REMOVED,
                    format!(
                        "field {} (object {}) was removed from the form",
                        f.name, f.id.0
                    ),
                );
            }
        }
        if of.top.iter().any(|t| !nf.top.contains(t))
            && of.fields.iter().all(|f| new_ids.contains(&f.id))
        {
            self.fail(
                rule::FIELD_REMOVED,
                "the form's /Fields lost an entry".into(),
            );
        }
        if nf.top.len() > of.top.len() {
            self.allow(rule::SIGNATURE_FIELDS, "AcroForm /Fields grew".into());
        }
        let old_by_id: HashMap<Ref, &Field> = of.fields.iter().map(|f| (f.id, f)).collect();
        for f in &nf.fields {
            if let Some(o) = old_by_id.get(&f.id) {
                self.structural.insert(f.id.0);
                for w in f.widgets.iter().filter(|w| o.widgets.contains(w)) {
                    self.structural.insert(w.0);
                }
            }
            match old_by_id.get(&f.id) {
                Some(o) => self.existing_field(o, f),
                None => self.new_field(f),
            }
        }
    }

    fn signed_here(&self, field: Ref) -> Option<&SignedRevision> {
        self.sigs
            .iter()
            .find(|s| s.field == field && s.revision == self.new)
    }

    fn existing_field(&mut self, of: &Field, f: &Field) {
        let label = format!("field {}", f.name);
        let nd = f.dict.as_dict().cloned().unwrap_or_default();
        if !self.changed(f.id) {
            let rule = if f.is_signature() {
                rule::SIGNATURE_FIELD_CHANGED
            } else {
                rule::FORM_FIELD_CHANGED
            };
            self.push_dict(&nd, &[b"Kids", b"Parent", b"P"], rule, &label);
            return;
        }
        let od = of.dict.as_dict().cloned().unwrap_or_default();
        let keys = cos::changed_keys(self.doc.buf, &od, &nd);
        let within = |allowed: &[&[u8]]| only(&keys, allowed, &od, &nd);
        if f.is_signature() {
            if !od.has(b"V")
                && nd.has(b"V")
                && within(SIGN_KEYS)
                && self.signed_here(f.id).is_some()
            {
                self.allow(rule::SIGN_EXISTING_FIELD, format!("{label} signed"));
                for w in &f.widgets {
                    self.widgets
                        .insert(*w, WidgetKind::SignExisting(f.name.clone()));
                }
            } else if !od.has(b"V") && nd.has(b"V") {
                self.fail_obj(rule::SIGNATURE_FIELD_CHANGED, f.id, format!("empty signature {label} was given a value that is not a signature made in this revision ({})", names(&keys)));
                return;
            } else {
                self.fail_obj(
                    rule::SIGNATURE_FIELD_CHANGED,
                    f.id,
                    format!("signature {label} changed ({})", names(&keys)),
                );
                return;
            }
        } else if f.terminal && within(FILL_KEYS) {
            self.allow(rule::FORM_FILLING, format!("{label} filled in"));
            self.out.filled.push(f.name.clone());
            for w in &f.widgets {
                self.widgets
                    .insert(*w, WidgetKind::FormFill(f.name.clone()));
            }
        } else {
            self.fail_obj(
                rule::FORM_FIELD_CHANGED,
                f.id,
                format!("{label} changed ({})", names(&keys)),
            );
            return;
        }
        let mut skip: Vec<&[u8]> = vec![b"Kids", b"Parent", b"P"];
        skip.extend(keys.iter().map(Vec::as_slice));
        self.push_dict(&nd, &skip, rule::FORM_FIELD_CHANGED, &label);
    }

    fn new_field(&mut self, f: &Field) {
        let nd = f.dict.as_dict().cloned().unwrap_or_default();
        if !f.terminal {
            if f.ft.as_deref() != Some(b"Sig") {
                self.fail(
                    rule::NEW_FORM_FIELD,
                    format!("a new form field {} (object {})", f.name, f.id.0),
                );
            }
            return;
        }
        if !f.is_signature() {
            self.fail(rule::NEW_FORM_FIELD, format!("a new {} form field {} (object {}): only signature fields may be added after signing", f.ft.as_deref().map(String::from_utf8_lossy).unwrap_or_default(), f.name, f.id.0));
            for w in &f.widgets {
                self.widgets.insert(*w, WidgetKind::NewField);
            }
            return;
        }
        let visible = f.widgets.iter().any(|w| {
            self.dict(self.new, *w)
                .is_some_and(|d| d.as_dict().is_some_and(widget_visible))
        });
        if nd.has(b"V") {
            let Some(s) = self.signed_here(f.id) else {
                self.fail(rule::SIGNATURE_FIELD_CHANGED, format!("the new signature field {} has a value that is not a signature made in this revision", f.name));
                return;
            };
            let timestamp = s.timestamp;
            self.allow(
                if timestamp {
                    rule::DOCUMENT_TIMESTAMP
                } else {
                    rule::LATER_SIGNATURE
                },
                format!(
                    "field {}{}",
                    f.name,
                    if visible { " (visible)" } else { "" }
                ),
            );
            if visible {
                self.out.visible_new_signature_fields.push(f.name.clone());
            }
            for w in &f.widgets {
                self.widgets.insert(
                    *w,
                    WidgetKind::LaterSignature {
                        field: f.name.clone(),
                        timestamp,
                    },
                );
            }
        } else {
            if visible {
                self.out.visible_new_signature_fields.push(f.name.clone());
            } else {
                self.allow(rule::EMPTY_SIGNATURE_FIELD, format!("field {}", f.name));
            }
            for w in &f.widgets {
                self.widgets.insert(
                    *w,
                    WidgetKind::EmptySignature {
                        field: f.name.clone(),
                        visible,
                    },
                );
            }
        }
    }
}

/// A widget draws something: a non-empty rectangle, not hidden (§12.5.3 flags Hidden,
/// NoView), with an appearance stream or a border/background colour.
fn widget_visible(d: &Dict) -> bool {
    let area = d
        .get(b"Rect")
        .and_then(Obj::as_array)
        .filter(|r| r.len() == 4)
        .map(|r| {
            let v: Vec<f64> = r.iter().map(|o| o.as_f64().unwrap_or(0.0)).collect();
            ((v[2] - v[0]) * (v[3] - v[1])).abs()
        })
        .unwrap_or(0.0);
    let flags = d.int(b"F").unwrap_or(0);
    let mk_colour = d
        .get(b"MK")
        .and_then(Obj::as_dict)
        .is_some_and(|mk| mk.has(b"BC") || mk.has(b"BG"));
    area > 0.0 && flags & (2 | 32) == 0 && (d.has(b"AP") || mk_colour)
}

fn opt_same(buf: &[u8], a: Option<&Obj>, b: Option<&Obj>) -> bool {
    match (a, b) {
        (None | Some(Obj::Null), None | Some(Obj::Null)) => true,
        (Some(x), Some(y)) => cos::same(buf, x, y),
        _ => false,
    }
}

fn keys_changed(buf: &[u8], old: Option<&Obj>, new: &Dict) -> String {
    match old.and_then(Obj::as_dict) {
        Some(od) => names(&cos::changed_keys(buf, od, new)),
        None => "it was not a dictionary".into(),
    }
}

fn names(keys: &[Vec<u8>]) -> String {
    if keys.is_empty() {
        return "rewritten".into();
    }
    keys.iter()
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn show(r: Option<Ref>) -> String {
    r.map(|r| format!("object {} {}", r.0, r.1))
        .unwrap_or_else(|| "missing".into())
}

fn describe(o: &Obj) -> String {
    match o {
        Obj::Ref(r) => format!("object {}", r.0),
        _ => "(direct)".into(),
    }
}

fn rect(d: &Dict) -> String {
    match d.get(b"Rect").and_then(Obj::as_array) {
        Some(r) => format!(
            "[{}]",
            r.iter()
                .map(|o| super::object::format_real(o.as_f64().unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => "no /Rect".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::xref::testdoc::revision;
    use super::*;

    /// A one-page document, then `updates` revisions that each redefine an object the page
    /// draws (so each review walks the page's content).
    fn document(updates: usize) -> Vec<u8> {
        let mut f = b"%PDF-1.7\n".to_vec();
        let mut prev = revision(
            &mut f,
            &[
                (1, "<</Type/Catalog/Pages 2 0 R>>"),
                (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
                (
                    3,
                    "<</Type/Page/Parent 2 0 R/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
                ),
                (4, "<</Length 0>>\nstream\n\nendstream"),
                (5, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"),
            ],
            None,
        );
        let bodies: Vec<String> = (0..updates)
            .map(|k| format!("<</Type/Font/Subtype/Type1/BaseFont/F{k}>>"))
            .collect();
        for b in &bodies {
            prev = revision(&mut f, &[(5, b.as_str())], Some(prev));
        }
        f
    }

    fn rules(checks: &[Check]) -> Vec<&'static str> {
        checks.iter().filter_map(|c| c.rule).collect()
    }

    #[test]
    fn each_update_is_reviewed_and_names_its_revision() {
        let f = document(2);
        let doc = Pdf::read(&f).unwrap();
        let mut a = Analyser::new(&doc, Vec::new());
        let checks = a.checks(0, (99, 0), None, &FieldLock::None);
        assert_eq!(rules(&checks), ["content-changed", "content-changed"]);
        assert!(
            checks[0].subject.starts_with("revision 2 of 3"),
            "{}",
            checks[0].subject
        );
        assert!(
            checks[0]
                .message
                .contains("object 5 0 (reached from page 1)"),
            "{}",
            checks[0].message
        );
    }

    #[test]
    fn reviews_stop_at_the_work_budget() {
        let f = document(12);
        let doc = Pdf::read(&f).unwrap();
        let mut a = Analyser::new(&doc, Vec::new());
        a.budget = 20;
        let checks = a.checks(0, (99, 0), None, &FieldLock::None);
        let r = rules(&checks);
        let cut = r.iter().filter(|x| **x == "work-cap").count();
        // Each of the 12 reviews either found the change or says it was cut short.
        assert_eq!((r.len(), cut > 0, cut < 12), (12, true, true), "{r:?}");
        assert!(a.steps > 20 && a.steps < 60, "{}", a.steps);
    }
}
