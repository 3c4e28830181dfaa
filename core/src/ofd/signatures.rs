//! `Signatures.xml` and `Signature.xml` (GB/T 33190 §18.1–18.2), read order-insensitively
//! on local names and written in schema order with the 2016 namespace.

use super::OfdError;
use super::package::{Package, dir_of, resolve};
use super::xml::{self, Element, escape};

pub const NS: &str = "http://www.ofdspec.org/2016";
/// SM2 signature with SM3 (GM/T 0006).
pub const OID_SM3_WITH_SM2: &str = "1.2.156.10197.1.501";
/// SM3 (GM/T 0006).
pub const OID_SM3: &str = "1.2.156.10197.1.401";

/// `Signature/@Type`: `Seal` (default) or `Sign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureType {
    Seal,
    Sign,
}

/// One entry of Signatures.xml.
#[derive(Debug, Clone)]
pub struct SignatureEntry {
    pub id: String,
    pub kind: SignatureType,
    /// `BaseLoc` as written.
    pub base_loc_raw: String,
    /// Resolved absolute path of Signature.xml (Err: why it does not resolve).
    pub base_loc: Result<String, String>,
    /// OFD 2.0 `Relative`: the ID of the base signature.
    pub relative: Option<String>,
}

/// A parsed Signatures.xml.
#[derive(Debug, Clone)]
pub struct SignatureList {
    pub path: String,
    pub max_sign_id: Option<String>,
    pub entries: Vec<SignatureEntry>,
}

/// One `Reference` of `References`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub file_ref: String,
    pub path: Result<String, String>,
    pub check_value: String,
}

/// One `StampAnnot`: where the stamp shows (Boundary, mm) and which slice (Clip).
#[derive(Debug, Clone, PartialEq)]
pub struct StampAnnot {
    pub id: String,
    pub page_ref: String,
    pub boundary: String,
    pub clip: Option<String>,
}

/// A parsed Signature.xml.
#[derive(Debug, Clone)]
pub struct SignatureXml {
    pub path: String,
    pub provider: Option<String>,
    pub provider_company: Option<String>,
    pub provider_version: Option<String>,
    pub method: Option<String>,
    pub date_time: Option<String>,
    /// `References/@CheckMethod` (absent → `None`, MD5 per the XSD).
    pub check_method: Option<String>,
    pub references: Vec<Reference>,
    pub stamp_annots: Vec<StampAnnot>,
    /// Resolved `Seal/BaseLoc`.
    pub seal: Option<Result<String, String>>,
    /// Resolved `SignedValue`.
    pub signed_value: Result<String, String>,
    pub signed_value_raw: String,
}

fn res(dir: &str, loc: &str) -> Result<String, String> {
    resolve(dir, loc).map_err(|e| e.to_string())
}

/// Reads Signatures.xml at `path`.
pub fn read_list(pkg: &Package, path: &str) -> Result<SignatureList, OfdError> {
    let root = xml::parse(&pkg.require(path)?, path)?;
    if root.name != "Signatures" {
        return Err(OfdError::Structure(format!(
            "{path}: root is <{}>, not <Signatures>",
            root.name
        )));
    }
    let dir = dir_of(path);
    let mut entries = Vec::new();
    for s in root.children_named("Signature") {
        let id = s.attr("ID").unwrap_or("").to_owned();
        let kind = match s.attr("Type") {
            Some(t) if t.eq_ignore_ascii_case("sign") => SignatureType::Sign,
            _ => SignatureType::Seal,
        };
        let raw = s.attr("BaseLoc").unwrap_or("").to_owned();
        entries.push(SignatureEntry {
            id,
            kind,
            base_loc: res(dir, &raw),
            base_loc_raw: raw,
            relative: s.attr("Relative").map(str::to_owned),
        });
    }
    Ok(SignatureList {
        path: path.to_owned(),
        max_sign_id: root.child_text("MaxSignId").map(str::to_owned),
        entries,
    })
}

/// Parses Signature.xml bytes found at `path`.
pub fn parse_signature(bytes: &[u8], path: &str) -> Result<SignatureXml, OfdError> {
    let root = xml::parse(bytes, path)?;
    if root.name != "Signature" {
        return Err(OfdError::Structure(format!(
            "{path}: root is <{}>, not <Signature>",
            root.name
        )));
    }
    let dir = dir_of(path);
    let info = root
        .child("SignedInfo")
        .ok_or_else(|| OfdError::Structure(format!("{path}: no SignedInfo")))?;
    let provider = info.child("Provider");
    // iOFD writes Provider's fields as child elements.
    let pfield = |k: &str| {
        provider.and_then(|p| {
            p.attr(k)
                .map(str::to_owned)
                .or_else(|| p.child_text(k).map(str::to_owned))
        })
    };
    let refs_el = info.child("References");
    let references = refs_el
        .map(|r| {
            r.children_named("Reference")
                .map(|e| {
                    let f = e.attr("FileRef").unwrap_or("").to_owned();
                    Reference {
                        path: res(dir, &f),
                        file_ref: f,
                        check_value: e.child_text("CheckValue").unwrap_or("").to_owned(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let stamp_annots = info
        .children_named("StampAnnot")
        .map(|a| StampAnnot {
            id: a.attr("ID").unwrap_or("").to_owned(),
            page_ref: a.attr("PageRef").unwrap_or("").to_owned(),
            boundary: a.attr("Boundary").unwrap_or("").to_owned(),
            clip: a.attr("Clip").map(str::to_owned),
        })
        .collect();
    let seal = info
        .child("Seal")
        .and_then(|s| s.child_text("BaseLoc"))
        .map(|l| res(dir, l));
    let sv = root.child_text("SignedValue").unwrap_or("").to_owned();
    Ok(SignatureXml {
        path: path.to_owned(),
        provider: pfield("ProviderName"),
        provider_company: pfield("Company"),
        provider_version: pfield("Version"),
        method: info.child_text("SignatureMethod").map(str::to_owned),
        date_time: info.child_text("SignatureDateTime").map(str::to_owned),
        check_method: refs_el
            .and_then(|r| r.attr("CheckMethod"))
            .map(str::to_owned),
        references,
        stamp_annots,
        seal,
        signed_value: res(dir, &sv),
        signed_value_raw: sv,
    })
}

/// Writes Signatures.xml (schema order: MaxSignId, Signature*).
pub fn write_list(max_sign_id: &str, entries: &[SignatureEntry]) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signatures xmlns:ofd=\"{NS}\"><ofd:MaxSignId>{}</ofd:MaxSignId>",
        escape(max_sign_id)
    );
    for SignatureEntry {
        id,
        kind,
        base_loc_raw: loc,
        relative,
        ..
    } in entries
    {
        let t = match kind {
            SignatureType::Seal => "Seal",
            SignatureType::Sign => "Sign",
        };
        s.push_str(&format!(
            "<ofd:Signature ID=\"{}\" Type=\"{t}\" BaseLoc=\"{}\"",
            escape(id),
            escape(loc)
        ));
        if let Some(r) = relative {
            s.push_str(&format!(" Relative=\"{}\"", escape(r)));
        }
        s.push_str("/>");
    }
    s.push_str("</ofd:Signatures>");
    s.into_bytes()
}

/// What a new Signature.xml says (written in the schema order of GB/T 33190-2016 ch. 18).
/// One `Reference` to write: a file's absolute path and its base64 SM3 `CheckValue`.
#[derive(Debug, Clone)]
pub struct FileDigest {
    pub path: String,
    pub check_value: String,
}

pub struct NewSignatureXml<'a> {
    pub provider: &'a str,
    pub version: &'a str,
    pub company: &'a str,
    pub date_time: &'a str,
    pub references: &'a [FileDigest],
    pub stamp_annots: &'a [StampAnnot],
    pub seal_loc: Option<&'a str>,
    pub signed_value_loc: &'a str,
}

pub fn write_signature(n: &NewSignatureXml<'_>) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"{NS}\"><ofd:SignedInfo><ofd:Provider ProviderName=\"{}\" Version=\"{}\" Company=\"{}\"/><ofd:SignatureMethod>{OID_SM3_WITH_SM2}</ofd:SignatureMethod><ofd:SignatureDateTime>{}</ofd:SignatureDateTime><ofd:References CheckMethod=\"{OID_SM3}\">",
        escape(n.provider),
        escape(n.version),
        escape(n.company),
        escape(n.date_time)
    );
    for FileDigest { path, check_value } in n.references {
        s.push_str(&format!("<ofd:Reference FileRef=\"{}\"><ofd:CheckValue>{check_value}</ofd:CheckValue></ofd:Reference>", escape(path)));
    }
    s.push_str("</ofd:References>");
    for a in n.stamp_annots {
        s.push_str(&format!(
            "<ofd:StampAnnot ID=\"{}\" PageRef=\"{}\" Boundary=\"{}\"",
            escape(&a.id),
            escape(&a.page_ref),
            escape(&a.boundary)
        ));
        if let Some(c) = &a.clip {
            s.push_str(&format!(" Clip=\"{}\"", escape(c)));
        }
        s.push_str("/>");
    }
    if let Some(l) = n.seal_loc {
        s.push_str(&format!(
            "<ofd:Seal><ofd:BaseLoc>{}</ofd:BaseLoc></ofd:Seal>",
            escape(l)
        ));
    }
    s.push_str(&format!(
        "</ofd:SignedInfo><ofd:SignedValue>{}</ofd:SignedValue></ofd:Signature>",
        escape(n.signed_value_loc)
    ));
    s.into_bytes()
}

/// The next ID after `current` (MaxSignId or the largest ID): numeric tail + 1, keeping the
/// prefix and zero padding (`s006` → `s007`, `2` → `3`, absent → `s001`).
pub fn next_id(current: Option<&str>) -> String {
    let Some(cur) = current.filter(|c| !c.is_empty()) else {
        return "s001".into();
    };
    let split = cur
        .rfind(|c: char| !c.is_ascii_digit())
        .map(|i| i + cur[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let (prefix, digits) = cur.split_at(split);
    let n: u64 = digits.parse().unwrap_or(0);
    format!("{prefix}{:0width$}", n + 1, width = digits.len())
}

/// The larger of two IDs by numeric tail.
pub fn max_id<'a>(a: Option<&'a str>, b: &'a str) -> &'a str {
    let num = |s: &str| {
        s.trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse::<u64>()
            .unwrap_or(0)
    };
    match a {
        Some(a) if num(a) >= num(b) => a,
        _ => b,
    }
}

/// Whether an element tree names `local` somewhere (used by tests).
pub fn has_element(e: &Element, local: &str) -> bool {
    let mut v = Vec::new();
    e.descendants(local, &mut v);
    !v.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(next_id(Some("s006")), "s007");
        assert_eq!(next_id(Some("2")), "3");
        assert_eq!(next_id(Some("009")), "010");
        assert_eq!(next_id(Some("s99")), "s100");
        assert_eq!(next_id(None), "s001");
        assert_eq!(next_id(Some("abc")), "abc1");
        assert_eq!(max_id(Some("s003"), "s010"), "s010");
    }

    #[test]
    fn reads_out_of_order_signature_xml() {
        // ofdrw's order (Seal, StampAnnot before References) and a relative SignedValue.
        let x = br#"<?xml version="1.0"?><Signature xmlns="http://www.ofdspec.org"><SignedValue>SignedValue.dat</SignedValue><SignedInfo><Seal><BaseLoc>/Doc_0/Signs/Sign_0/Seal.esl</BaseLoc></Seal><StampAnnot ID="2" PageRef="1" Boundary="1 2 3 4"/><References CheckMethod="sm3"><Reference FileRef="//Doc_0/Document.xml"><CheckValue> AAA= </CheckValue></Reference></References><Provider><ProviderName>iOFD</ProviderName></Provider></SignedInfo></Signature>"#;
        let s = parse_signature(x, "/Doc_0/Signs/Sign_0/Signature.xml").unwrap();
        assert_eq!(
            s.signed_value.as_deref(),
            Ok("/Doc_0/Signs/Sign_0/SignedValue.dat")
        );
        assert_eq!(s.references[0].path.as_deref(), Ok("/Doc_0/Document.xml"));
        assert_eq!(s.references[0].check_value, "AAA=");
        assert_eq!(s.check_method.as_deref(), Some("sm3"));
        assert_eq!(s.provider.as_deref(), Some("iOFD"));
        assert_eq!(s.stamp_annots.len(), 1);
    }

    #[test]
    fn written_signature_reads_back() {
        let refs = vec![FileDigest {
            path: "/OFD.xml".to_owned(),
            check_value: "abc=".to_owned(),
        }];
        let annots = vec![StampAnnot {
            id: "s002".into(),
            page_ref: "1".into(),
            boundary: "1 2 40 40".into(),
            clip: Some("0 0 8 40".into()),
        }];
        let b = write_signature(&NewSignatureXml {
            provider: "eseal",
            version: "0.1",
            company: "a&b",
            date_time: "20260101000000Z",
            references: &refs,
            stamp_annots: &annots,
            seal_loc: Some("/Doc_0/Signs/Sign_0/Seal.esl"),
            signed_value_loc: "/Doc_0/Signs/Sign_0/SignedValue.dat",
        });
        let s = parse_signature(&b, "/Doc_0/Signs/Sign_0/Signature.xml").unwrap();
        assert_eq!(s.provider_company.as_deref(), Some("a&b"));
        assert_eq!(s.stamp_annots, annots);
        assert_eq!(s.method.as_deref(), Some(OID_SM3_WITH_SM2));
    }
}
