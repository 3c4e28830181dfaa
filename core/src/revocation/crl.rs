//! X.509 certificate revocation lists (RFC 5280 §5): read over their original bytes, checked
//! against their issuer, and made for the test CA.

use super::{Reason, RevocationError, oid_der, sign_sm2, signature_parts};
use crate::asn1::{Tlv, tag};
use crate::crypto::Certificate;
use crate::crypto::cert::{KeyUsage, verify_with_key, wrap};
use crate::crypto::signer::Signer;
use crate::crypto::time::Time;

/// Maximum CRL size accepted (bytes).
pub const MAX_CRL_LEN: usize = 16 * 1024 * 1024;

const OID_CRL_NUMBER: &str = "2.5.29.20";
const OID_REASON_CODE: &str = "2.5.29.21";
const OID_INVALIDITY_DATE: &str = "2.5.29.24";
const OID_DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const OID_ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_FRESHEST_CRL: &str = "2.5.29.46";

/// One `revokedCertificates` entry (RFC 5280 §5.1.2.6, §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial number's magnitude (leading zero octets stripped).
    pub serial: Vec<u8>,
    pub date: Time,
    pub reason: Option<Reason>,
    /// invalidityDate (§5.3.2), when given.
    pub invalidity_date: Option<Time>,
}

impl RevokedEntry {
    /// An entry for `cert`.
    pub fn for_certificate(cert: &Certificate, date: Time, reason: Option<Reason>) -> Self {
        RevokedEntry {
            serial: super::magnitude(cert.serial()).to_vec(),
            date,
            reason,
            invalidity_date: None,
        }
    }
}

/// A CA's revocation list as text (`revoked.txt` of `eseal ca revoke`, the reference
/// server's): one `SERIAL-HEX DATE REASON` line per certificate.
pub fn parse_revoked_list(text: &str) -> Result<Vec<RevokedEntry>, RevocationError> {
    let bad = |line: &str, why: &str| {
        RevocationError::Malformed("revocation list", format!("{line:?}: {why}"))
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [serial, date, reason] = f.as_slice() else {
            return Err(bad(line, "expected SERIAL DATE REASON"));
        };
        out.push(RevokedEntry {
            serial: super::magnitude(
                &hex::decode(serial).map_err(|_| bad(line, "serial is not hex"))?,
            )
            .to_vec(),
            date: Time::parse_lenient(date)
                .map_err(|e| bad(line, &e.to_string()))?
                .0,
            reason: Some(Reason::from_name(reason).ok_or_else(|| bad(line, "unknown reason"))?),
            invalidity_date: None,
        });
    }
    Ok(out)
}

/// The text form read by [`parse_revoked_list`].
pub fn format_revoked_list(list: &[RevokedEntry]) -> String {
    list.iter()
        .map(|e| {
            format!(
                "{} {} {}\n",
                hex::encode_upper(&e.serial),
                e.date.to_iso(),
                e.reason.unwrap_or(Reason::Unspecified).name()
            )
        })
        .collect()
}

/// A parsed CRL over its original bytes.
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    tbs: std::ops::Range<usize>,
    signature_alg: String,
    signature: Vec<u8>,
    pub issuer: crate::crypto::cert::DistinguishedName,
    pub this_update: Time,
    pub next_update: Option<Time>,
    /// cRLNumber (§5.2.3) as hex of its magnitude.
    pub number: Option<String>,
    pub revoked: Vec<RevokedEntry>,
    /// A delta CRL (§5.2.4): eseal does not combine deltas with their base.
    pub is_delta: bool,
    /// An issuingDistributionPoint (§5.2.5) limits the scope (some reasons or certificates
    /// only, or an indirect CRL): eseal then uses the CRL only to find revocations.
    pub partial_scope: bool,
}

impl Crl {
    /// From DER or PEM (`X509 CRL`).
    pub fn parse(input: &[u8]) -> Result<Self, RevocationError> {
        let der = crate::crypto::pem_or_der(input, "X509 CRL")
            .map_err(|e| RevocationError::Malformed("CRL", e.to_string()))?;
        Self::from_der(&der)
    }

    /// From DER.
    pub fn from_der(der: &[u8]) -> Result<Self, RevocationError> {
        if der.len() > MAX_CRL_LEN {
            return Err(RevocationError::TooLarge("CRL", der.len()));
        }
        let bad = |e: &dyn std::fmt::Display| RevocationError::Malformed("CRL", e.to_string());
        let top = Tlv::parse_exact(der, "CertificateList").map_err(|e| bad(&e))?;
        let (tbs, signature_alg, signature) =
            signature_parts(&top, "CertificateList").map_err(|e| bad(&e))?;
        let start = tbs.raw.as_ptr() as usize - der.as_ptr() as usize;
        let range = start..start + tbs.raw.len();
        let mut f = tbs
            .sequence("TBSCertList")
            .map_err(|e| bad(&e))?
            .into_iter()
            .peekable();
        if f.peek().map(|t| t.tag) == Some(tag::INTEGER) {
            f.next();
        }
        let mut next = |what: &'static str| {
            f.next().ok_or_else(|| {
                RevocationError::Malformed("CRL", format!("TBSCertList lacks {what}"))
            })
        };
        let _alg = next("signature")?;
        let issuer = crate::crypto::cert::DistinguishedName::from_tlv(&next("issuer")?)
            .map_err(|e| bad(&e))?;
        let time = |t: &Tlv<'_>| Time::from_asn1(t).map(|(t, _)| t).map_err(|e| bad(&e));
        let this_update = time(&next("thisUpdate")?)?;
        let mut next_update = None;
        let mut revoked = Vec::new();
        let mut number = None;
        let (mut is_delta, mut partial_scope) = (false, false);
        for t in f {
            match t.tag {
                tag::UTC_TIME | tag::GENERALIZED_TIME => next_update = Some(time(&t)?),
                tag::SEQUENCE => {
                    for e in t.sequence("revokedCertificates").map_err(|e| bad(&e))? {
                        revoked.push(entry(&e).map_err(|e| bad(&e))?);
                    }
                }
                t0 if t0 == tag::context(0) => {
                    let exts = super::extensions(t.content).map_err(|e| bad(&e))?;
                    for (oid, critical, value) in exts {
                        match oid.as_str() {
                            OID_CRL_NUMBER => {
                                let n = Tlv::parse_exact(value, "cRLNumber")
                                    .and_then(|n| n.uint_bytes("cRLNumber").map(hex::encode_upper))
                                    .map_err(|e| bad(&e))?;
                                number = Some(n);
                            }
                            OID_DELTA_CRL_INDICATOR => is_delta = true,
                            OID_ISSUING_DISTRIBUTION_POINT => partial_scope = idp_limits(value),
                            OID_AUTHORITY_KEY_ID | OID_FRESHEST_CRL => {}
                            other if critical => {
                                // §5.2: a CRL with an unrecognised critical extension must
                                // not be used.
                                return Err(RevocationError::UnknownCriticalExtension(
                                    other.to_owned(),
                                ));
                            }
                            _ => {}
                        }
                    }
                }
                other => {
                    return Err(RevocationError::Malformed(
                        "CRL",
                        format!("unexpected tag 0x{other:02X} in TBSCertList"),
                    ));
                }
            }
        }
        Ok(Crl {
            der: der.to_vec(),
            tbs: range,
            signature_alg,
            signature,
            issuer,
            this_update,
            next_update,
            number,
            revoked,
            is_delta,
            partial_scope,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate whose key signed this CRL: `ca` itself (the CRL issuer is the CA,
    /// §5.1.2.3), or a CRL signer among `pool` with the CA's name or its own, cRLSign in its
    /// keyUsage and issued by `ca` (a separate CRL signing key, §6.3.3 (f)).
    pub fn verify_signer(
        &self,
        ca: &Certificate,
        pool: &[Certificate],
    ) -> Result<Certificate, RevocationError> {
        let tbs = &self.der[self.tbs.clone()];
        let may_sign_crls =
            |c: &Certificate| c.key_usage().is_none_or(|k| k.has(KeyUsage::CRL_SIGN));
        if self.issuer == *ca.subject()
            && verify_with_key(ca.public_key(), &self.signature_alg, tbs, &self.signature).is_ok()
        {
            if !may_sign_crls(ca) {
                return Err(RevocationError::NotAuthorized(format!(
                    "{} lacks cRLSign in its keyUsage (RFC 5280 §4.2.1.3)",
                    ca.subject_string()
                )));
            }
            return Ok(ca.clone());
        }
        for c in pool
            .iter()
            .filter(|c| *c.subject() == self.issuer && c.der() != ca.der())
        {
            if verify_with_key(c.public_key(), &self.signature_alg, tbs, &self.signature).is_ok()
                && c.key_usage().is_some_and(|k| k.has(KeyUsage::CRL_SIGN))
                && c.verify_issued_by(ca).is_ok()
            {
                return Ok(c.clone());
            }
        }
        Err(RevocationError::BadSignature(format!(
            "CRL of {} (thisUpdate {}): its signature does not verify with the key of {} or of a CRL signer it certified",
            self.issuer,
            self.this_update.to_iso(),
            ca.subject_string()
        )))
    }

    /// The entry for `cert`'s serial number, if it is listed.
    pub fn entry_for(&self, cert: &Certificate) -> Option<&RevokedEntry> {
        let serial = super::magnitude(cert.serial());
        self.revoked.iter().find(|e| e.serial == serial)
    }
}

fn entry(e: &Tlv<'_>) -> Result<RevokedEntry, String> {
    let f = e
        .sequence("revokedCertificate")
        .map_err(|e| e.to_string())?;
    let (Some(serial), Some(date)) = (f.first(), f.get(1)) else {
        return Err("revokedCertificate needs serial and date".into());
    };
    let serial = serial
        .uint_bytes("userCertificate")
        .map_err(|e| e.to_string())?
        .to_vec();
    let date = Time::from_asn1(date).map_err(|e| e.to_string())?.0;
    let (mut reason, mut invalidity_date) = (None, None);
    if let Some(exts) = f.get(2) {
        for (oid, critical, value) in super::extensions(exts.raw).map_err(|e| e.to_string())? {
            match oid.as_str() {
                OID_REASON_CODE => {
                    let t = Tlv::parse_exact(value, "CRLReason").map_err(|e| e.to_string())?;
                    reason = t.content.first().map(|c| Reason::from_code(*c));
                }
                OID_INVALIDITY_DATE => {
                    let t = Tlv::parse_exact(value, "invalidityDate").map_err(|e| e.to_string())?;
                    invalidity_date = Time::from_asn1(&t).ok().map(|t| t.0);
                }
                other if critical => {
                    return Err(format!("unrecognised critical CRL entry extension {other}"));
                }
                _ => {}
            }
        }
    }
    Ok(RevokedEntry {
        serial,
        date,
        reason,
        invalidity_date,
    })
}

/// Whether an issuingDistributionPoint narrows the CRL's scope (onlySomeReasons [3],
/// indirectCRL [4] TRUE, onlyContainsAttributeCerts [5] TRUE); a distribution point name and
/// onlyContainsUserCerts/CACerts alone do not hide revocations of end-entity certificates.
fn idp_limits(value: &[u8]) -> bool {
    let Ok(t) = Tlv::parse_exact(value, "IssuingDistributionPoint") else {
        return true;
    };
    let Ok(fields) = t.sequence("IssuingDistributionPoint") else {
        return true;
    };
    fields.iter().any(|f| {
        f.tag == tag::context_primitive(3)
            || ((f.tag == tag::context_primitive(4) || f.tag == tag::context_primitive(5))
                && f.content.first().is_some_and(|b| *b != 0))
    })
}

/// A CRL to be made by a CA (the test CA, `eseal ca crl`).
#[derive(Debug, Clone)]
pub struct CrlBuilder {
    pub this_update: Time,
    pub next_update: Time,
    pub number: u64,
    pub revoked: Vec<RevokedEntry>,
}

impl CrlBuilder {
    /// A v2 CRL signed with SM2/SM3 by `signer`, whose certificate is the CRL issuer (the CA,
    /// or a CRL signer it certified with cRLSign).
    pub fn sign(&self, signer: &dyn Signer) -> Result<Vec<u8>, RevocationError> {
        let time = |t: Time| {
            if t.to_civil().0 < 2050 {
                t.to_der_utc()
            } else {
                t.to_der_generalized()
            }
        };
        let alg = wrap(
            tag::SEQUENCE,
            &oid_der(crate::crypto::sm2::OID_SM2_WITH_SM3),
        );
        let mut tbs = vec![tag::INTEGER, 1, 1];
        tbs.extend(&alg);
        tbs.extend(&signer.certificate().subject().der);
        tbs.extend(time(self.this_update));
        tbs.extend(time(self.next_update));
        if !self.revoked.is_empty() {
            let mut list = Vec::new();
            for e in &self.revoked {
                let mut body = super::integer(&e.serial);
                body.extend(time(e.date));
                if let Some(r) = e.reason {
                    let ext = [
                        oid_der(OID_REASON_CODE),
                        wrap(tag::OCTET_STRING, &[0x0A, 1, r.code()]),
                    ]
                    .concat();
                    body.extend(wrap(tag::SEQUENCE, &wrap(tag::SEQUENCE, &ext)));
                }
                list.extend(wrap(tag::SEQUENCE, &body));
            }
            tbs.extend(wrap(tag::SEQUENCE, &list));
        }
        let number = super::integer(&self.number.to_be_bytes());
        let ext = [oid_der(OID_CRL_NUMBER), wrap(tag::OCTET_STRING, &number)].concat();
        tbs.extend(wrap(
            tag::context(0),
            &wrap(tag::SEQUENCE, &wrap(tag::SEQUENCE, &ext)),
        ));
        let tbs = wrap(tag::SEQUENCE, &tbs);
        let sig = sign_sm2(signer, &tbs)?;
        Ok(wrap(tag::SEQUENCE, &[tbs, alg, sig].concat()))
    }
}
