//! The Document Security Store (ISO 32000-2 §12.8.4.3; ETSI EN 319 142-1 §5.4.2, PAdES
//! B-LT): validation data kept in the document, in the catalog's `/DSS`:
//! `/Certs`, `/CRLs`, `/OCSPs` (arrays of streams holding DER certificates, CRLs and
//! OCSPResponses) and `/VRI`, a dictionary keyed by the upper-case hex SHA-1 of each
//! signature's `/Contents` value, naming the data that validates that signature.
//!
//! Reading here is for the verifier (through its own cross-reference reader); writing is one
//! incremental update that keeps everything the DSS already had and adds what is new.

use super::PdfError;
use super::cos::{Obj, Ref};
use super::writer::Update;
use super::xref::Pdf;
use lopdf::{Dictionary, Object, Stream};
use std::collections::{BTreeMap, HashMap};

/// Validation data in DER: certificates, CRLs (RFC 5280 §5) and OCSP responses (RFC 6960
/// OCSPResponse), as a DSS or one of its VRI entries holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    pub certs: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub ocsps: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Adds what `other` has and `self` lacks, in order.
    pub fn merge(&mut self, other: &ValidationData) {
        for (mine, theirs) in [
            (&mut self.certs, &other.certs),
            (&mut self.crls, &other.crls),
            (&mut self.ocsps, &other.ocsps),
        ] {
            for d in theirs {
                if !mine.contains(d) {
                    mine.push(d.clone());
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }

    /// The CRLs and OCSP responses, for the revocation checks.
    pub fn revocation(&self) -> crate::revocation::RevocationEvidence {
        crate::revocation::RevocationEvidence {
            crls: self.crls.clone(),
            ocsp: self.ocsps.clone(),
        }
    }
}

/// The VRI key of a signature (ETSI EN 319 142-1 §5.4.2.2): SHA-1 of its `/Contents`
/// string's bytes (all of them, the zero padding included), upper-case hex.
pub fn vri_key(contents: &[u8]) -> String {
    use sha1::Digest as _;
    hex::encode_upper(sha1::Sha1::digest(contents))
}

/// The DSS of one revision as read: its data, the objects that hold it, the VRI entries.
#[derive(Debug, Default)]
pub(crate) struct Dss {
    pub data: ValidationData,
    /// Where each stored DER is (for adding without copying).
    refs: HashMap<Vec<u8>, Ref>,
    pub vri: BTreeMap<String, ValidationData>,
}

/// The three arrays of a DSS and of a VRI entry (§5.4.2.2 Table 2 and 3).
const ARRAYS: [(&[u8], &[u8]); 3] = [(b"Certs", b"Cert"), (b"CRLs", b"CRL"), (b"OCSPs", b"OCSP")];

/// The DSS in effect at revision `rev`, if the catalog has one. Entries that cannot be read
/// are left out: the verifier works with what there is.
pub(crate) fn read(doc: &Pdf<'_>, rev: usize) -> Option<Dss> {
    let (_, root) = doc.root(rev)?;
    let dss_obj = doc.get(rev, root.as_dict()?.get(b"DSS")?);
    let dss = dss_obj.as_dict()?;
    let mut out = Dss::default();
    let streams = |arr: Option<&Obj>, into: &mut Vec<Vec<u8>>, refs: &mut HashMap<_, _>| {
        let Some(arr) = arr.map(|a| doc.get(rev, a)) else {
            return;
        };
        for item in arr.as_array().unwrap_or_default() {
            let Some(r) = item.as_ref() else { continue };
            let Ok(Some(res)) = doc.resolve(rev, r) else {
                continue;
            };
            let Obj::Stream(s) = &*res.obj else { continue };
            let Ok(der) = super::xref::decode(doc.buf, s) else {
                continue;
            };
            refs.entry(der.clone()).or_insert(r);
            if !into.contains(&der) {
                into.push(der);
            }
        }
    };
    let ValidationData { certs, crls, ocsps } = &mut out.data;
    for ((key, _), into) in ARRAYS.iter().zip([certs, crls, ocsps]) {
        streams(dss.get(key), into, &mut out.refs);
    }
    if let Some(vri) = dss.get(b"VRI").map(|v| doc.get(rev, v)) {
        for (key, entry) in &vri.as_dict().cloned().unwrap_or_default().0 {
            let entry = doc.get(rev, entry);
            let Some(e) = entry.as_dict() else { continue };
            let mut data = ValidationData::default();
            let mut ignored = HashMap::new();
            let ValidationData { certs, crls, ocsps } = &mut data;
            for ((_, key), into) in ARRAYS.iter().zip([certs, crls, ocsps]) {
                streams(e.get(key), into, &mut ignored);
            }
            out.vri
                .insert(String::from_utf8_lossy(key).to_ascii_uppercase(), data);
        }
    }
    Some(out)
}

/// The incremental update that adds `all` to the DSS of `base`'s newest revision and a VRI
/// entry for each `(key, data)` of `vri`; returns the bytes to append. Streams already in the
/// DSS are referred to, not copied; an existing VRI entry of the same key is replaced.
pub(crate) fn update(
    base: &[u8],
    release: &dyn crate::fs::Release,
    all: &ValidationData,
    vri: &[(String, ValidationData)],
) -> Result<Vec<u8>, PdfError> {
    let revisions = Pdf::read_with(base, release)?;
    let doc = super::sign_doc::load_structure(&revisions)?;
    let existing = read(&revisions, revisions.last()).unwrap_or_default();
    let mut up = Update::new(doc.max_id);
    let (root, mut catalog) = super::sign_doc::catalog(&doc)?;
    // The DSS dictionary as lopdf holds it (direct or by reference), to keep its other keys.
    let mut dss = match catalog.get(b"DSS") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).cloned().unwrap_or_default(),
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    let mut stored: HashMap<Vec<u8>, lopdf::ObjectId> = existing
        .refs
        .iter()
        .map(|(der, r)| (der.clone(), (r.0, r.1)))
        .collect();
    let mut stream_of = |up: &mut Update, der: &[u8]| -> lopdf::ObjectId {
        *stored.entry(der.to_vec()).or_insert_with(|| {
            let mut s = Stream::new(Dictionary::new(), der.to_vec());
            // Flate: CRLs compress well; readers all decode it (§7.4.4).
            let _ = s.compress();
            up.add(Object::Stream(s))
        })
    };
    let mut whole = existing.data.clone();
    whole.merge(all);
    for vd in vri.iter().map(|(_, d)| d) {
        whole.merge(vd);
    }
    let ValidationData { certs, crls, ocsps } = &whole;
    for ((key, _), items) in ARRAYS.iter().zip([certs, crls, ocsps]) {
        if items.is_empty() {
            continue;
        }
        let arr: Vec<Object> = items
            .iter()
            .map(|d| Object::Reference(stream_of(&mut up, d)))
            .collect();
        dss.set(key.to_vec(), Object::Array(arr));
    }
    if !vri.is_empty() {
        let mut vri_dict = match dss.get(b"VRI") {
            Ok(Object::Reference(r)) => doc.get_dictionary(*r).cloned().unwrap_or_default(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        for (key, data) in vri {
            let mut entry = Dictionary::new();
            let ValidationData { certs, crls, ocsps } = data;
            for ((_, key), items) in ARRAYS.iter().zip([certs, crls, ocsps]) {
                if !items.is_empty() {
                    let arr: Vec<Object> = items
                        .iter()
                        .map(|d| Object::Reference(stream_of(&mut up, d)))
                        .collect();
                    entry.set(key.to_vec(), Object::Array(arr));
                }
            }
            vri_dict.set(key.as_bytes().to_vec(), Object::Dictionary(entry));
        }
        dss.set("VRI", Object::Dictionary(vri_dict));
    }
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    let dss_id = up.add(Object::Dictionary(dss));
    catalog.set("DSS", Object::Reference(dss_id));
    up.set(root, Object::Dictionary(catalog));
    Ok(up.serialise(base, &doc.trailer)?.bytes)
}
