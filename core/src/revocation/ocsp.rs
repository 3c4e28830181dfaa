//! OCSP (RFC 6960): requests, BasicOCSPResponse checks (the CA or a delegated responder with
//! id-kp-OCSPSigning), and a responder for the test CA and the reference server.

use super::{Reason, RevocationError, oid_der, sign_sm2, signature_parts};
use crate::asn1::{Tlv, tag};
use crate::cms::{OID_SHA1, digest};
use crate::crypto::Certificate;
use crate::crypto::cert::{verify_with_key, wrap};
use crate::crypto::signer::Signer;
use crate::crypto::time::Time;

/// id-pkix-ocsp-basic (§4.2.1).
pub const OID_OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
/// id-pkix-ocsp-nonce (§4.4.1).
pub const OID_OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
/// id-kp-OCSPSigning (§4.2.2.2).
pub const OID_KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// Media types (§A.1).
pub const MEDIA_REQUEST: &str = "application/ocsp-request";
pub const MEDIA_RESPONSE: &str = "application/ocsp-response";
/// Maximum OCSP message size accepted (bytes).
pub const MAX_OCSP_LEN: usize = 1024 * 1024;

/// CertID (§4.1.1): the certificate asked about, named by hashes of its issuer's name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    pub hash_alg: String,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// Serial magnitude.
    pub serial: Vec<u8>,
}

impl CertId {
    /// The CertID of `cert` issued by `issuer`, with the digest `hash_alg` (SHA-1 as most
    /// responders expect, SHA-256, SM3).
    pub fn new(cert: &Certificate, issuer: &Certificate, hash_alg: &str) -> Option<Self> {
        Some(CertId {
            hash_alg: hash_alg.to_owned(),
            issuer_name_hash: digest(hash_alg, &[&issuer.subject().der])?,
            issuer_key_hash: digest(hash_alg, &[super::public_key_bits(issuer)?])?,
            serial: super::magnitude(cert.serial()).to_vec(),
        })
    }

    /// Whether this CertID names `cert` issued by `issuer`.
    pub fn names(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        CertId::new(cert, issuer, &self.hash_alg).is_some_and(|c| c == *self)
    }

    fn parse(t: &Tlv<'_>) -> Result<Self, String> {
        let f = t.sequence("CertID").map_err(|e| e.to_string())?;
        let [alg, name, key, serial] = f.as_slice() else {
            return Err("CertID needs 4 fields".into());
        };
        Ok(CertId {
            hash_alg: alg
                .sequence("hashAlgorithm")
                .map_err(|e| e.to_string())?
                .first()
                .ok_or("empty hashAlgorithm")?
                .oid("hashAlgorithm")
                .map_err(|e| e.to_string())?,
            issuer_name_hash: name
                .octet_string("issuerNameHash")
                .map_err(|e| e.to_string())?
                .to_vec(),
            issuer_key_hash: key
                .octet_string("issuerKeyHash")
                .map_err(|e| e.to_string())?
                .to_vec(),
            serial: serial
                .uint_bytes("serialNumber")
                .map_err(|e| e.to_string())?
                .to_vec(),
        })
    }

    fn to_der(&self) -> Vec<u8> {
        let alg = wrap(
            tag::SEQUENCE,
            &[oid_der(&self.hash_alg), vec![tag::NULL, 0]].concat(),
        );
        wrap(
            tag::SEQUENCE,
            &[
                alg,
                wrap(tag::OCTET_STRING, &self.issuer_name_hash),
                wrap(tag::OCTET_STRING, &self.issuer_key_hash),
                super::integer(&self.serial),
            ]
            .concat(),
        )
    }
}

/// certStatus (§4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked { date: Time, reason: Option<Reason> },
    Unknown,
}

/// One SingleResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub status: CertStatus,
    pub this_update: Time,
    pub next_update: Option<Time>,
}

/// Who signed a response (§4.2.1 ResponderID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderId {
    ByName(crate::crypto::cert::DistinguishedName),
    /// SHA-1 of the responder's public key (the subjectPublicKey BIT STRING value).
    ByKey(Vec<u8>),
}

/// A BasicOCSPResponse over its original bytes.
#[derive(Debug, Clone)]
pub struct OcspResponse {
    der: Vec<u8>,
    tbs: std::ops::Range<usize>,
    signature_alg: String,
    signature: Vec<u8>,
    pub responder: ResponderId,
    pub produced_at: Time,
    pub responses: Vec<SingleResponse>,
    pub nonce: Option<Vec<u8>>,
    /// Certificates carried in the response (a delegated responder's).
    pub certs: Vec<Certificate>,
}

/// OCSPResponseStatus values (§4.2.1) other than successful.
fn status_name(s: i64) -> &'static str {
    match s {
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => "an unknown status",
    }
}

impl OcspResponse {
    /// From an OCSPResponse (DER), as files and responders carry it, or a bare
    /// BasicOCSPResponse (as a PDF DSS /OCSPs stream may).
    pub fn parse(input: &[u8]) -> Result<Self, RevocationError> {
        if input.len() > MAX_OCSP_LEN {
            return Err(RevocationError::TooLarge("OCSP response", input.len()));
        }
        let bad =
            |e: &dyn std::fmt::Display| RevocationError::Malformed("OCSP response", e.to_string());
        let top = Tlv::parse_exact(input, "OCSPResponse").map_err(|e| bad(&e))?;
        let f = top.sequence("OCSPResponse").map_err(|e| bad(&e))?;
        if f.first().map(|t| t.tag) == Some(0x0A) {
            let status = f[0].content.first().copied().unwrap_or(0xFF) as i64;
            if status != 0 {
                return Err(RevocationError::ResponderRefused(status_name(status)));
            }
            let bytes = f
                .get(1)
                .ok_or_else(|| bad(&"successful response without responseBytes"))?;
            let rb = Tlv::parse_exact(bytes.content, "ResponseBytes")
                .and_then(|t| t.sequence("ResponseBytes"))
                .map_err(|e| bad(&e))?;
            let (Some(kind), Some(body)) = (rb.first(), rb.get(1)) else {
                return Err(bad(&"ResponseBytes needs 2 fields"));
            };
            let kind = kind.oid("responseType").map_err(|e| bad(&e))?;
            if kind != OID_OCSP_BASIC {
                return Err(bad(&format!(
                    "responseType {kind} is not id-pkix-ocsp-basic"
                )));
            }
            let body = body.octet_string("response").map_err(|e| bad(&e))?;
            return Self::from_basic(body);
        }
        Self::from_basic(input)
    }

    /// From a BasicOCSPResponse (DER).
    pub fn from_basic(der: &[u8]) -> Result<Self, RevocationError> {
        let bad =
            |e: &dyn std::fmt::Display| RevocationError::Malformed("OCSP response", e.to_string());
        let top = Tlv::parse_exact(der, "BasicOCSPResponse").map_err(|e| bad(&e))?;
        let (tbs, signature_alg, signature) =
            signature_parts(&top, "BasicOCSPResponse").map_err(|e| bad(&e))?;
        let mut certs = Vec::new();
        if let Some(c) = top
            .sequence("BasicOCSPResponse")
            .map_err(|e| bad(&e))?
            .into_iter()
            .find(|t| t.tag == tag::context(0))
        {
            let list = Tlv::parse_exact(c.content, "certs")
                .and_then(|t| t.sequence("certs"))
                .map_err(|e| bad(&e))?;
            for c in list {
                certs.push(Certificate::from_der(c.raw).map_err(|e| bad(&e))?);
            }
        }
        let start = tbs.raw.as_ptr() as usize - der.as_ptr() as usize;
        let range = start..start + tbs.raw.len();
        let mut f = tbs
            .sequence("ResponseData")
            .map_err(|e| bad(&e))?
            .into_iter()
            .peekable();
        if f.peek().map(|t| t.tag) == Some(tag::context(0)) {
            f.next();
        }
        let rid = f
            .next()
            .ok_or_else(|| bad(&"ResponseData lacks responderID"))?;
        let responder = match rid.tag {
            t if t == tag::context(1) => ResponderId::ByName(
                crate::crypto::cert::DistinguishedName::from_tlv(
                    &Tlv::parse_exact(rid.content, "Name").map_err(|e| bad(&e))?,
                )
                .map_err(|e| bad(&e))?,
            ),
            t if t == tag::context(2) => ResponderId::ByKey(
                Tlv::parse_exact(rid.content, "KeyHash")
                    .and_then(|k| k.octet_string("KeyHash").map(<[u8]>::to_vec))
                    .map_err(|e| bad(&e))?,
            ),
            other => return Err(bad(&format!("responderID tag 0x{other:02X}"))),
        };
        let produced = f
            .next()
            .ok_or_else(|| bad(&"ResponseData lacks producedAt"))?;
        let produced_at = Time::from_asn1(&produced).map_err(|e| bad(&e))?.0;
        let mut responses = Vec::new();
        for r in f
            .next()
            .ok_or_else(|| bad(&"ResponseData lacks responses"))?
            .sequence("responses")
            .map_err(|e| bad(&e))?
        {
            responses.push(single(&r).map_err(|e| bad(&e))?);
        }
        let mut nonce = None;
        for t in f {
            if t.tag == tag::context(1) {
                for (oid, critical, value) in super::extensions(t.content).map_err(|e| bad(&e))? {
                    if oid == OID_OCSP_NONCE {
                        nonce = Some(value.to_vec());
                    } else if critical {
                        return Err(RevocationError::UnknownCriticalExtension(oid));
                    }
                }
            }
        }
        Ok(OcspResponse {
            der: der.to_vec(),
            tbs: range,
            signature_alg,
            signature,
            responder,
            produced_at,
            responses,
            nonce,
            certs,
        })
    }

    /// The BasicOCSPResponse DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate that signed this response, for a question about a certificate issued
    /// by `ca` (§4.2.2.2): the CA itself, or a delegated responder — a certificate from the
    /// response or `pool`, issued by `ca`, with id-kp-OCSPSigning in its extended key usage.
    /// The responderID must name the signer.
    pub fn verify_signer(
        &self,
        ca: &Certificate,
        pool: &[Certificate],
    ) -> Result<Certificate, RevocationError> {
        let tbs = &self.der[self.tbs.clone()];
        let named = |c: &Certificate| match &self.responder {
            ResponderId::ByName(n) => n == c.subject(),
            ResponderId::ByKey(h) => super::public_key_bits(c)
                .and_then(|k| digest(OID_SHA1, &[k]))
                .is_some_and(|d| d == *h),
        };
        let signs = |c: &Certificate| {
            verify_with_key(c.public_key(), &self.signature_alg, tbs, &self.signature).is_ok()
        };
        if named(ca) {
            return if signs(ca) {
                Ok(ca.clone())
            } else {
                Err(RevocationError::BadSignature(format!(
                    "OCSP response of {}: its signature does not verify",
                    ca.subject_string()
                )))
            };
        }
        let mut why = format!(
            "OCSP response: the responder is neither {} nor a responder it certified",
            ca.subject_string()
        );
        for c in self.certs.iter().chain(pool).filter(|c| named(c)) {
            if !signs(c) {
                why = format!(
                    "OCSP response of {}: its signature does not verify",
                    c.subject_string()
                );
                continue;
            }
            if c.verify_issued_by(ca).is_err() {
                why = format!(
                    "OCSP responder {} is not certified by {} (RFC 6960 §4.2.2.2)",
                    c.subject_string(),
                    ca.subject_string()
                );
                continue;
            }
            if !super::has_extended_key_usage(c, OID_KP_OCSP_SIGNING) {
                return Err(RevocationError::NotAuthorized(format!(
                    "OCSP responder {} lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)",
                    c.subject_string()
                )));
            }
            return Ok(c.clone());
        }
        Err(RevocationError::NotAuthorized(why))
    }

    /// The SingleResponse about `cert` issued by `issuer`.
    pub fn response_for(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Option<&SingleResponse> {
        self.responses
            .iter()
            .find(|r| r.cert_id.names(cert, issuer))
    }
}

fn single(t: &Tlv<'_>) -> Result<SingleResponse, String> {
    let f = t.sequence("SingleResponse").map_err(|e| e.to_string())?;
    let (Some(id), Some(st), Some(this)) = (f.first(), f.get(1), f.get(2)) else {
        return Err("SingleResponse needs certID, certStatus, thisUpdate".into());
    };
    let status = match st.tag {
        0x80 => CertStatus::Good,
        0xA1 => {
            let ri = st
                .children()
                .all("RevokedInfo")
                .map_err(|e| e.to_string())?;
            let date = Time::from_asn1(ri.first().ok_or("RevokedInfo lacks revocationTime")?)
                .map_err(|e| e.to_string())?
                .0;
            let reason = ri
                .get(1)
                .filter(|r| r.tag == tag::context(0))
                .and_then(|r| Tlv::parse_exact(r.content, "CRLReason").ok())
                .and_then(|r| r.content.first().map(|c| Reason::from_code(*c)));
            CertStatus::Revoked { date, reason }
        }
        0x82 => CertStatus::Unknown,
        other => return Err(format!("certStatus tag 0x{other:02X}")),
    };
    let this_update = Time::from_asn1(this).map_err(|e| e.to_string())?.0;
    let next_update = f
        .iter()
        .skip(3)
        .find(|t| t.tag == tag::context(0))
        .and_then(|t| Tlv::parse_exact(t.content, "nextUpdate").ok())
        .and_then(|t| Time::from_asn1(&t).ok())
        .map(|t| t.0);
    Ok(SingleResponse {
        cert_id: CertId::parse(id)?,
        status,
        this_update,
        next_update,
    })
}

/// An OCSPRequest (§4.1.1), unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspRequest {
    pub ids: Vec<CertId>,
    /// The nonce extension's value (§4.4.1), echoed by the responder.
    pub nonce: Option<Vec<u8>>,
}

impl OcspRequest {
    /// A request for `cert` issued by `issuer` (SHA-1 CertID) with a fresh 16-byte nonce.
    pub fn for_certificate(
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<Self, RevocationError> {
        let id = CertId::new(cert, issuer, OID_SHA1).ok_or_else(|| {
            RevocationError::Malformed("OCSP request", "issuer key unreadable".into())
        })?;
        let mut n = [0u8; 16];
        getrandom::fill(&mut n).map_err(|e| RevocationError::Fetch(format!("random: {e}")))?;
        Ok(OcspRequest {
            ids: vec![id],
            nonce: Some(wrap(tag::OCTET_STRING, &n)),
        })
    }

    pub fn to_der(&self) -> Vec<u8> {
        let mut list = Vec::new();
        for id in &self.ids {
            list.extend(wrap(tag::SEQUENCE, &id.to_der()));
        }
        let mut tbs = wrap(tag::SEQUENCE, &list);
        if let Some(n) = &self.nonce {
            tbs.extend(wrap(tag::context(2), &nonce_extensions(n)));
        }
        wrap(tag::SEQUENCE, &wrap(tag::SEQUENCE, &tbs))
    }

    pub fn parse(der: &[u8]) -> Result<Self, RevocationError> {
        let bad =
            |e: &dyn std::fmt::Display| RevocationError::Malformed("OCSP request", e.to_string());
        let top = Tlv::parse_exact(der, "OCSPRequest").map_err(|e| bad(&e))?;
        let f = top.sequence("OCSPRequest").map_err(|e| bad(&e))?;
        let tbs = f.first().ok_or_else(|| bad(&"empty OCSPRequest"))?;
        let mut ids = Vec::new();
        let mut nonce = None;
        for t in tbs.sequence("TBSRequest").map_err(|e| bad(&e))? {
            match t.tag {
                tag::SEQUENCE => {
                    for r in t.sequence("requestList").map_err(|e| bad(&e))? {
                        let rf = r.sequence("Request").map_err(|e| bad(&e))?;
                        let id = rf.first().ok_or_else(|| bad(&"Request lacks reqCert"))?;
                        ids.push(CertId::parse(id).map_err(|e| bad(&e))?);
                    }
                }
                t0 if t0 == tag::context(2) => {
                    for (oid, _, value) in super::extensions(t.content).map_err(|e| bad(&e))? {
                        if oid == OID_OCSP_NONCE {
                            nonce = Some(value.to_vec());
                        }
                    }
                }
                _ => {}
            }
        }
        if ids.is_empty() {
            return Err(bad(&"no certificate asked about"));
        }
        Ok(OcspRequest { ids, nonce })
    }
}

fn nonce_extensions(value: &[u8]) -> Vec<u8> {
    let ext = [oid_der(OID_OCSP_NONCE), wrap(tag::OCTET_STRING, value)].concat();
    wrap(tag::SEQUENCE, &wrap(tag::SEQUENCE, &ext))
}

/// An OCSP responder for one CA: signs with the CA's key or a delegated responder's.
pub struct Responder<'a> {
    /// The CA whose certificates are answered for.
    pub ca: &'a Certificate,
    /// The key that signs: the CA's, or a delegated responder's (id-kp-OCSPSigning, issued by
    /// the CA; its certificate goes into the response).
    pub signer: &'a dyn Signer,
    /// Revoked serials (magnitudes) with date and reason; every other serial is good.
    pub revoked: &'a [super::RevokedEntry],
    /// Validity of an answer (nextUpdate − thisUpdate).
    pub validity_secs: i64,
}

impl Responder<'_> {
    /// Answers an OCSPRequest; a malformed one gets a malformedRequest response (§4.2.1).
    pub fn respond(&self, request: &[u8], now: Time) -> Vec<u8> {
        let Ok(req) = OcspRequest::parse(request) else {
            return wrap(tag::SEQUENCE, &[0x0A, 1, 1]);
        };
        match self.basic(&req, now) {
            Ok(basic) => {
                let bytes = wrap(
                    tag::SEQUENCE,
                    &[oid_der(OID_OCSP_BASIC), wrap(tag::OCTET_STRING, &basic)].concat(),
                );
                wrap(
                    tag::SEQUENCE,
                    &[vec![0x0A, 1, 0], wrap(tag::context(0), &bytes)].concat(),
                )
            }
            Err(_) => wrap(tag::SEQUENCE, &[0x0A, 1, 2]),
        }
    }

    /// The BasicOCSPResponse for `req`.
    pub fn basic(&self, req: &OcspRequest, now: Time) -> Result<Vec<u8>, RevocationError> {
        let gt = |t: Time| t.to_der_generalized();
        let mut singles = Vec::new();
        for id in &req.ids {
            let ours = CertId::new(self.ca, self.ca, &id.hash_alg).is_some_and(|c| {
                c.issuer_name_hash == id.issuer_name_hash && c.issuer_key_hash == id.issuer_key_hash
            });
            let status = match self.revoked.iter().find(|e| e.serial == id.serial) {
                _ if !ours => vec![0x82, 0],
                Some(e) => {
                    let mut ri = gt(e.date);
                    if let Some(r) = e.reason {
                        ri.extend(wrap(tag::context(0), &[0x0A, 1, r.code()]));
                    }
                    wrap(0xA1, &ri)
                }
                None => vec![0x80, 0],
            };
            let mut s = id.to_der();
            s.extend(status);
            s.extend(gt(now));
            s.extend(wrap(
                tag::context(0),
                &gt(now.add_seconds(self.validity_secs)),
            ));
            singles.extend(wrap(tag::SEQUENCE, &s));
        }
        let cert = self.signer.certificate();
        let key_hash = super::public_key_bits(cert)
            .and_then(|k| digest(OID_SHA1, &[k]))
            .ok_or_else(|| RevocationError::Malformed("OCSP responder", "key unreadable".into()))?;
        let mut tbs = wrap(tag::context(2), &wrap(tag::OCTET_STRING, &key_hash));
        tbs.extend(gt(now));
        tbs.extend(wrap(tag::SEQUENCE, &singles));
        if let Some(n) = &req.nonce {
            tbs.extend(wrap(tag::context(1), &nonce_extensions(n)));
        }
        let tbs = wrap(tag::SEQUENCE, &tbs);
        let alg = wrap(
            tag::SEQUENCE,
            &oid_der(crate::crypto::sm2::OID_SM2_WITH_SM3),
        );
        let sig = sign_sm2(self.signer, &tbs)?;
        let mut body = [tbs, alg, sig].concat();
        if cert.der() != self.ca.der() {
            body.extend(wrap(tag::context(0), &wrap(tag::SEQUENCE, cert.der())));
        }
        Ok(wrap(tag::SEQUENCE, &body))
    }
}
