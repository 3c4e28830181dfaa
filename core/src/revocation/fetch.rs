//! Revocation information from the network (`--online`): the CRL distribution points
//! (RFC 5280 §4.2.1.13) and the AIA OCSP responders (§4.2.2.1) a certificate names, over plain
//! HTTP, bounded in size and time.

use super::{
    MAX_CRL_LEN, MAX_OCSP_LEN, MEDIA_REQUEST, OcspRequest, RevocationError, RevocationEvidence,
    oid_der,
};
use crate::asn1::{Tlv, tag};
use crate::crypto::Certificate;
use crate::crypto::cert::wrap;
use crate::http::Request;
use std::time::Duration;

const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const OID_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const OID_AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
/// How long one fetch may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The http(s) URIs of a certificate's CRL distribution points (fullName only).
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    for (_, _, v) in cert
        .extensions()
        .iter()
        .filter(|(o, _, _)| o == OID_CRL_DISTRIBUTION_POINTS)
    {
        let Ok(points) = Tlv::parse_exact(v, "CRLDistributionPoints")
            .and_then(|t| t.sequence("CRLDistributionPoints"))
        else {
            continue;
        };
        for dp in points {
            let Ok(fields) = dp.sequence("DistributionPoint") else {
                continue;
            };
            for name in fields.iter().filter(|f| f.tag == tag::context(0)) {
                for full in name
                    .children()
                    .all("DistributionPointName")
                    .unwrap_or_default()
                {
                    if full.tag == tag::context(0) {
                        out.extend(uris(&full));
                    }
                }
            }
        }
    }
    out
}

/// The URIs of a certificate's AIA OCSP responders.
pub fn ocsp_urls(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    for (_, _, v) in cert
        .extensions()
        .iter()
        .filter(|(o, _, _)| o == OID_AUTHORITY_INFO_ACCESS)
    {
        let Ok(list) = Tlv::parse_exact(v, "AuthorityInfoAccess")
            .and_then(|t| t.sequence("AuthorityInfoAccess"))
        else {
            continue;
        };
        for ad in list {
            let Ok(f) = ad.sequence("AccessDescription") else {
                continue;
            };
            if let (Some(m), Some(loc)) = (f.first(), f.get(1))
                && m.oid("accessMethod").is_ok_and(|m| m == OID_AD_OCSP)
                && loc.tag == tag::context_primitive(6)
                && let Ok(s) = std::str::from_utf8(loc.content)
            {
                out.push(s.to_owned());
            }
        }
    }
    out
}

fn uris(names: &Tlv<'_>) -> Vec<String> {
    names
        .children()
        .all("GeneralNames")
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.tag == tag::context_primitive(6))
        .filter_map(|n| std::str::from_utf8(n.content).ok().map(str::to_owned))
        .collect()
}

/// The extensions the test CA puts in the certificates it issues: a CRL distribution point
/// `{base}/crl/{ca}.crl` and an AIA OCSP responder `{base}/ocsp` (DER `Extension`s).
pub fn pointer_extensions(base: &str, ca: &str) -> Vec<u8> {
    let base = base.trim_end_matches('/');
    let uri = |u: String| wrap(tag::context_primitive(6), u.as_bytes());
    let ext = |oid: &str, value: Vec<u8>| {
        wrap(
            tag::SEQUENCE,
            &[oid_der(oid), wrap(tag::OCTET_STRING, &value)].concat(),
        )
    };
    let dp = wrap(
        tag::SEQUENCE,
        &wrap(
            tag::context(0),
            &wrap(tag::context(0), &uri(format!("{base}/crl/{ca}.crl"))),
        ),
    );
    let aia = wrap(
        tag::SEQUENCE,
        &[oid_der(OID_AD_OCSP), uri(format!("{base}/ocsp"))].concat(),
    );
    [
        ext(OID_CRL_DISTRIBUTION_POINTS, wrap(tag::SEQUENCE, &dp)),
        ext(OID_AUTHORITY_INFO_ACCESS, wrap(tag::SEQUENCE, &aia)),
    ]
    .concat()
}

/// One exchange with a responder or distribution point.
fn fetch(url: &str, request: Request<'_>, max: usize) -> Result<Vec<u8>, RevocationError> {
    crate::http::exchange(url, request, max, TIMEOUT)
        .map_err(|why| RevocationError::Fetch(format!("{url}: {why}")))
}

/// Asks the certificate's OCSP responders, then (when none answers) fetches its CRLs.
/// Errors of each attempt are returned beside what was found.
pub fn fetch_for(cert: &Certificate, issuer: &Certificate) -> (RevocationEvidence, Vec<String>) {
    let mut found = RevocationEvidence::default();
    let mut errors = Vec::new();
    for url in ocsp_urls(cert)
        .into_iter()
        .filter(|u| u.starts_with("http://"))
    {
        let attempt = || -> Result<Vec<u8>, RevocationError> {
            let req = OcspRequest::for_certificate(cert, issuer)?;
            let bytes = fetch(
                &url,
                Request::Post {
                    content_type: MEDIA_REQUEST,
                    body: &req.to_der(),
                },
                MAX_OCSP_LEN,
            )?;
            let parsed = super::OcspResponse::parse(&bytes)?;
            if parsed.nonce.is_some() && parsed.nonce != req.nonce {
                return Err(RevocationError::Fetch(format!(
                    "{url}: the response's nonce is not the request's"
                )));
            }
            Ok(bytes)
        };
        match attempt() {
            Ok(b) => {
                found.ocsp.push(b);
                return (found, errors);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    for url in crl_urls(cert)
        .into_iter()
        .filter(|u| u.starts_with("http://"))
    {
        let attempt = || -> Result<Vec<u8>, RevocationError> {
            let bytes = fetch(&url, Request::Get { accept: None }, MAX_CRL_LEN)?;
            Ok(super::Crl::parse(&bytes)?.der().to_vec())
        };
        match attempt() {
            Ok(b) => found.crls.push(b),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (found, errors)
}
