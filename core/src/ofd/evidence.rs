//! Long-term validation evidence for OFD signatures (eseal's layout; see
//! docs/ofd-verification.md "Long-term evidence"). GB/T 38540 and GB/T 33190 have no
//! equivalent of the PDF Document Security Store, so eseal keeps, per signature, one file
//! `Evidence.xml` beside its `Signature.xml` (the signature's own folder,
//! `Doc_0/Signs/Sign_N/`):
//!
//! ```xml
//! <Evidence xmlns="urn:eseal:ofd:evidence:1" SignatureID="1">
//!   <Certificate>base64 DER</Certificate>…   signer, seal maker, TSA, chains to the root
//!   <CRL>base64 DER</CRL>…                    RFC 5280 CRLs
//!   <OCSPResponse>base64 DER</OCSPResponse>…  RFC 6960 OCSPResponse
//!   <ArchiveTimeStamp>base64 DER</ArchiveTimeStamp>…   RFC 3161 tokens, oldest first
//! </Evidence>
//! ```
//!
//! Archive time stamp i is a token over the digest of: the signature value file's bytes,
//! the Signature.xml bytes, every Certificate, CRL and OCSPResponse in document order, and
//! archive time stamps 0..i (their DER): it proves all of it existed at its genTime, as an
//! ETSI archive time stamp does (EN 319 122-1 §5.5.3). A new one is added before the last
//! one's TSA certificate expires.
//!
//! Why this layout: Signatures.xml and Signature.xml stay exactly as signed (no attribute or
//! element another reader could reject, no `References` change that would break the
//! signature); a file inside a signature's folder is, for eseal's verifier and others, part
//! of that signature's storage rather than an unprotected document part; the evidence is
//! found from the signature alone (same folder), and removing it removes only the long-term
//! proof.

use super::package::{Package, dir_of};
use super::signatures::{self, SignatureEntry};
use super::{OfdError, xml};
use crate::crypto::Certificate;
use crate::crypto::time::Time;
use crate::pdf::ValidationData;
use crate::report::{Check, SignatureReport};
use crate::validation::VerifyOptions;
use crate::validation::long_term as lt;
use base64::Engine as _;
use std::collections::BTreeMap;
use std::path::Path;

/// The evidence file's name, in the signature's folder.
pub const FILE_NAME: &str = "Evidence.xml";
/// Its XML namespace.
pub const NAMESPACE: &str = "urn:eseal:ofd:evidence:1";

/// The contents of one evidence file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub data: ValidationData,
    /// Archive time-stamp tokens, oldest first.
    pub timestamps: Vec<Vec<u8>>,
}

fn b64(d: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(d)
}

impl Evidence {
    pub fn to_xml(&self, signature_id: &str) -> Vec<u8> {
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Evidence xmlns=\"{NAMESPACE}\" SignatureID=\"{}\">\n",
            signature_id.replace(['&', '<', '"'], "_")
        );
        for (tag, items) in [
            ("Certificate", &self.data.certs),
            ("CRL", &self.data.crls),
            ("OCSPResponse", &self.data.ocsps),
            ("ArchiveTimeStamp", &self.timestamps),
        ] {
            for d in items {
                s.push_str(&format!("  <{tag}>{}</{tag}>\n", b64(d)));
            }
        }
        s.push_str("</Evidence>\n");
        s.into_bytes()
    }

    pub fn parse(bytes: &[u8], path: &str) -> Result<Self, OfdError> {
        let root = xml::parse(bytes, path)?;
        if root.name != "Evidence" {
            return Err(OfdError::Structure(format!(
                "{path}: root element {} is not Evidence",
                root.name
            )));
        }
        let mut ev = Evidence::default();
        for c in &root.children {
            let der = base64::engine::general_purpose::STANDARD
                .decode(c.text.split_whitespace().collect::<String>())
                .map_err(|e| OfdError::Structure(format!("{path}: {}: {e}", c.name)))?;
            match c.name.as_str() {
                "Certificate" => ev.data.certs.push(der),
                "CRL" => ev.data.crls.push(der),
                "OCSPResponse" => ev.data.ocsps.push(der),
                "ArchiveTimeStamp" => ev.timestamps.push(der),
                _ => {}
            }
        }
        Ok(ev)
    }

    /// What archive time stamp `i` covers (module docs).
    fn archived(&self, value: &[u8], signature_xml: &[u8], i: usize) -> Vec<u8> {
        let mut v = [value, signature_xml].concat();
        for d in self
            .data
            .certs
            .iter()
            .chain(&self.data.crls)
            .chain(&self.data.ocsps)
            .chain(&self.timestamps[..i.min(self.timestamps.len())])
        {
            v.extend_from_slice(d);
        }
        v
    }
}

/// The evidence file of the signature whose Signature.xml is at `signature_xml` (absolute).
pub fn evidence_path(signature_xml: &str) -> String {
    format!("{}/{FILE_NAME}", dir_of(signature_xml)).replace("//", "/")
}

/// The files of one signature: Signature.xml path and bytes, signature value bytes.
struct SignatureFiles {
    xml_path: String,
    xml: Vec<u8>,
    value: Vec<u8>,
}

fn files_of(pkg: &Package, entry: &SignatureEntry) -> Result<SignatureFiles, OfdError> {
    let xml_path = entry.base_loc.clone().map_err(|why| OfdError::BadPath {
        loc: entry.base_loc_raw.clone(),
        why,
    })?;
    let xml = pkg.require(&xml_path)?;
    let parsed = signatures::parse_signature(&xml, &xml_path)?;
    let value_path = parsed.signed_value.map_err(|why| OfdError::BadPath {
        loc: parsed.signed_value_raw.clone(),
        why,
    })?;
    let value = pkg.require(&value_path)?;
    Ok(SignatureFiles {
        xml_path,
        xml,
        value,
    })
}

/// Every signature of every document in `pkg`.
fn entries(pkg: &Package) -> Result<Vec<SignatureEntry>, OfdError> {
    let mut out = Vec::new();
    for body in super::document::doc_bodies(pkg)? {
        if let Some(list) = &body.signatures {
            out.extend(signatures::read_list(pkg, list)?.entries);
        }
    }
    Ok(out)
}

/// What [`add_evidence`] adds besides what the signatures carry.
#[derive(Default)]
pub struct EvidenceOptions<'a> {
    /// Certificates that complete chains (intermediates, roots).
    pub certs: Vec<Certificate>,
    pub revocation: ValidationData,
    /// A TSA for a new archive time stamp (SM3 imprint).
    pub tsa: Option<&'a dyn crate::tsp::TimeStamper>,
}

/// Adds to (or creates) the evidence file of every signature of the OFD at `input`: the
/// certificates the signature carries with their chains, the given revocation data, and an
/// archive time stamp when a TSA is given; writes the package to `output`. Returns the
/// number of signatures.
pub fn add_evidence(
    input: &Path,
    output: &Path,
    opts: &EvidenceOptions<'_>,
) -> Result<usize, OfdError> {
    let pkg = Package::open(input)?;
    let mut changes: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
    let list = entries(&pkg)?;
    for entry in &list {
        let files = files_of(&pkg, entry)?;
        let path = evidence_path(&files.xml_path);
        let mut ev = match pkg.read(&path)? {
            Some(b) => Evidence::parse(&b, &path)?,
            None => Evidence::default(),
        };
        let carried = crate::pdf::carried_certificates(&files.value);
        let mut pool = carried.clone();
        pool.extend(opts.certs.iter().cloned());
        let certs = crate::pdf::complete_chains(carried, &pool);
        ev.data.merge(&ValidationData {
            certs: certs.iter().map(|c| c.der().to_vec()).collect(),
            ..Default::default()
        });
        ev.data.merge(&opts.revocation);
        if let Some(tsa) = opts.tsa {
            let data = ev.archived(&files.value, &files.xml, ev.timestamps.len());
            let token = tsa
                .time_stamp(crate::cms::OID_SM3, &data)
                .map_err(|e| OfdError::TimeStamp(e.to_string()))?;
            ev.timestamps.push(token.der);
        }
        changes.insert(
            path.trim_start_matches('/').to_owned(),
            Some(ev.to_xml(&entry.id)),
        );
    }
    if list.is_empty() {
        return Err(OfdError::Refused(
            "the OFD has no signature: no evidence to add / 文档中没有签章".into(),
        ));
    }
    let mut f = crate::fs::AtomicFile::create(output)?;
    {
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, &mut f);
        pkg.write_with(&changes, &mut w)?;
    }
    f.commit()?;
    Ok(list.len())
}

/// The evidence of a signature, if it has a readable evidence file.
pub(crate) fn of(pkg: &Package, entry: &SignatureEntry) -> Option<Evidence> {
    let xml_path = entry.base_loc.as_ref().ok()?;
    let path = evidence_path(xml_path);
    Evidence::parse(&pkg.read(&path).ok()??, &path).ok()
}

/// `opts` with the certificates and revocation data of `entry`'s evidence file, when it has
/// one: what the signature's checks use (the revocation checks get its CRLs and OCSP
/// responses, as a PDF's get the DSS's).
pub(crate) fn options_with(
    pkg: &Package,
    entry: &SignatureEntry,
    opts: &VerifyOptions,
) -> Option<VerifyOptions> {
    let ev = of(pkg, entry)?;
    let mut o = opts.clone();
    o.extra_certs.extend(
        ev.data
            .certs
            .iter()
            .filter_map(|c| Certificate::parse(c).ok()),
    );
    o.revocation.extend(&ev.data.revocation());
    Some(o)
}

/// The long-term pass over one signature's report (see [`lt`]): with an evidence file whose
/// archive time stamps verify (the newest at the validation time, each older one at the
/// genTime of the next), the signature is verified again by `again` as of the oldest
/// proven genTime with the evidence's certificates; clean then, its "expired now" warnings
/// are settled. Otherwise, under `--at`, they fail.
pub(crate) fn long_term(
    pkg: &Package,
    entry: &SignatureEntry,
    report: &mut SignatureReport,
    opts: &VerifyOptions,
    again: &mut dyn FnMut(&VerifyOptions) -> Option<SignatureReport>,
) {
    if !lt::expired(&report.checks) {
        return;
    }
    let why = match proven(pkg, entry, report, opts) {
        Ok((t, certs)) => {
            let mut o = opts.clone();
            o.at = t;
            o.extra_certs.extend(certs);
            match again(&o) {
                Some(r) if !lt::failed(&r.checks) && !lt::expired(&r.checks) => {
                    lt::settle(
                        &mut report.checks,
                        t,
                        &format!("archive time stamp ({FILE_NAME})"),
                    );
                    return;
                }
                _ => format!(
                    "not valid either at {}, the time of the oldest archive time stamp ({FILE_NAME})",
                    t.to_iso()
                ),
            }
        }
        Err(why) => why,
    };
    if opts.long_term {
        lt::unproven(&mut report.checks, &why);
    }
}

/// The oldest time the archive time stamps prove, with the evidence's certificates; or why
/// there is none. The time stamps' own checks go into `report`.
fn proven(
    pkg: &Package,
    entry: &SignatureEntry,
    report: &mut SignatureReport,
    opts: &VerifyOptions,
) -> Result<(Time, Vec<Certificate>), String> {
    let none = || {
        format!(
            "no evidence file ({FILE_NAME}) with archive time stamps proves the signature existed while it was valid (eseal ofd ltv --tsa)"
        )
    };
    let files = files_of(pkg, entry).map_err(|e| e.to_string())?;
    let path = evidence_path(&files.xml_path);
    let bytes = pkg
        .read(&path)
        .map_err(|e| e.to_string())?
        .ok_or_else(none)?;
    let ev = Evidence::parse(&bytes, &path).map_err(|e| e.to_string())?;
    if ev.timestamps.is_empty() {
        return Err(none());
    }
    let certs: Vec<Certificate> = ev
        .data
        .certs
        .iter()
        .filter_map(|c| Certificate::parse(c).ok())
        .collect();
    let mut at = opts.at;
    for i in (0..ev.timestamps.len()).rev() {
        let mut o = opts.clone();
        o.at = at;
        o.extra_certs.extend(certs.iter().cloned());
        let mut checks: Vec<Check> = Vec::new();
        let t = crate::tsp::token_checks(
            &ev.timestamps[i],
            &ev.archived(&files.value, &files.xml, i),
            "the signature, its Signature.xml and the evidence before it",
            &format!("{path} ArchiveTimeStamp[{i}]"),
            &o,
            &mut checks,
        );
        // The newest at the validation time, each older one at the next one's genTime.
        let ok = t.is_some() && !lt::failed(&checks) && !lt::expired(&checks);
        report.checks.extend(checks);
        match t {
            Some(t) if ok => at = t,
            _ => {
                return Err(format!(
                    "archive time stamp {i} of {path} does not prove its time (see its checks)"
                ));
            }
        }
    }
    Ok((at, certs))
}
