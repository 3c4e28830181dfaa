//! The interactive form as of one revision (ISO 32000-1 §12.7.2 AcroForm, §12.7.3.1 field
//! tree): every field node with its inherited field type and full name, and the widget
//! annotations of each terminal field (kids without `/T`, or the field itself when field and
//! widget are merged). Bounded: [`MAX_FIELD_NODES`] nodes, [`MAX_FIELD_DEPTH`] levels.

use super::cos::{Obj, Ref};
use super::object::decode_text;
use super::xref::{Loc, Pdf};
use std::collections::HashSet;
use std::rc::Rc;

/// Most field nodes read from one form.
pub(crate) const MAX_FIELD_NODES: usize = 50_000;
/// Deepest field hierarchy followed.
pub(crate) const MAX_FIELD_DEPTH: usize = 32;

/// One node of the field tree.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub id: Ref,
    /// Full name (§12.7.3.2): the partial names joined by periods.
    pub name: String,
    /// `/FT`, inherited from ancestors (§12.7.3.1 Table 220).
    pub ft: Option<Vec<u8>>,
    pub dict: Rc<Obj>,
    /// Where the field object is.
    pub loc: Loc,
    /// A field without child fields (its kids, if any, are widgets).
    pub terminal: bool,
    /// Its widget annotations (terminal fields only).
    pub widgets: Vec<Ref>,
}

impl Field {
    pub fn is_signature(&self) -> bool {
        self.terminal && self.ft.as_deref() == Some(b"Sig")
    }
}

/// The form of one revision.
#[derive(Debug, Default)]
pub(crate) struct Form {
    /// The `/AcroForm` value (a reference or a direct dictionary) and the dictionary itself.
    pub acroform: Option<(Option<Ref>, Rc<Obj>)>,
    /// The `/Fields` array object when it is indirect.
    pub fields_array: Option<Ref>,
    /// References in `/Fields`, in order.
    pub top: Vec<Ref>,
    pub fields: Vec<Field>,
    /// Nodes that could not be read: a reader might show them, we cannot check them.
    pub problems: Vec<String>,
}

/// Reads the form of revision `rev`.
pub(crate) fn read(doc: &Pdf<'_>, rev: usize) -> Form {
    let mut form = Form::default();
    let Some((_, root)) = doc.root(rev) else {
        return form;
    };
    let Some(catalog) = root.as_dict() else {
        return form;
    };
    let Some(af) = catalog.get(b"AcroForm") else {
        return form;
    };
    let af_ref = af.as_ref();
    let af_obj: Rc<Obj> = match af_ref {
        Some(r) => match doc.resolve(rev, r) {
            Ok(Some(res)) => res.obj,
            Ok(None) => return form,
            Err(e) => {
                form.problems
                    .push(format!("the AcroForm cannot be read: {e}"));
                return form;
            }
        },
        None => Rc::new(af.clone()),
    };
    let Some(af_dict) = af_obj.as_dict() else {
        return form;
    };
    let fields_value = af_dict.get(b"Fields").cloned();
    form.acroform = Some((af_ref, af_obj.clone()));
    let fields = match fields_value {
        None => return form,
        Some(Obj::Ref(r)) => {
            form.fields_array = Some(r);
            match doc.resolve(rev, r) {
                Ok(Some(res)) => res.obj,
                Ok(None) => return form,
                Err(e) => {
                    form.problems
                        .push(format!("the AcroForm's /Fields cannot be read: {e}"));
                    return form;
                }
            }
        }
        Some(o) => Rc::new(o),
    };
    let Some(arr) = fields.as_array() else {
        form.problems
            .push("the AcroForm's /Fields is not an array".into());
        return form;
    };
    form.top = arr.iter().filter_map(Obj::as_ref).collect();
    // (node, inherited FT, parent's full name, depth)
    let mut stack: Vec<(Ref, Option<Vec<u8>>, String, usize)> = form
        .top
        .iter()
        .rev()
        .map(|r| (*r, None, String::new(), 0))
        .collect();
    let mut seen = HashSet::new();
    while let Some((id, ft, parent, depth)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if seen.len() > MAX_FIELD_NODES || depth > MAX_FIELD_DEPTH {
            form.problems.push(format!(
                "the field tree is larger than {MAX_FIELD_NODES} nodes or deeper than {MAX_FIELD_DEPTH} levels"
            ));
            break;
        }
        let (obj, loc) = match doc.resolve(rev, id) {
            Ok(Some(res)) => (res.obj, res.loc),
            Ok(None) => {
                form.problems.push(format!(
                    "form field {} {} does not exist (null)",
                    id.0, id.1
                ));
                continue;
            }
            Err(e) => {
                form.problems
                    .push(format!("form field {} {} cannot be read: {e}", id.0, id.1));
                continue;
            }
        };
        let Some(d) = obj.as_dict() else {
            form.problems
                .push(format!("form field {} {} is not a dictionary", id.0, id.1));
            continue;
        };
        let ft = d.name(b"FT").map(<[u8]>::to_vec).or(ft);
        let name = match d.get(b"T") {
            Some(Obj::Str(t)) => {
                let t = decode_text(t);
                if parent.is_empty() {
                    t
                } else {
                    format!("{parent}.{t}")
                }
            }
            _ => parent.clone(),
        };
        let kids: Vec<Ref> = d
            .get(b"Kids")
            .map(|k| doc.get(rev, k))
            .and_then(|k| {
                k.as_array()
                    .map(|a| a.iter().filter_map(Obj::as_ref).collect())
            })
            .unwrap_or_default();
        // §12.7.3.1: kids with /T are fields, kids without are widgets.
        let mut child_fields = Vec::new();
        let mut widgets = Vec::new();
        for k in &kids {
            let is_field = doc
                .resolve(rev, *k)
                .ok()
                .flatten()
                .and_then(|r| r.obj.as_dict().map(|d| d.has(b"T")))
                .unwrap_or(false);
            if is_field {
                child_fields.push(*k);
            } else {
                widgets.push(*k);
            }
        }
        let terminal = child_fields.is_empty();
        if terminal && kids.is_empty() && (d.name(b"Subtype") == Some(b"Widget") || d.has(b"Rect"))
        {
            widgets.push(id);
        }
        for k in child_fields.iter().rev() {
            stack.push((*k, ft.clone(), name.clone(), depth + 1));
        }
        form.fields.push(Field {
            id,
            name,
            ft,
            dict: obj.clone(),
            loc,
            terminal,
            widgets: if terminal { widgets } else { Vec::new() },
        });
    }
    form
}
