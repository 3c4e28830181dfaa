//! Reading electronic signatures (SES_Signature) of every version, over their original bytes.
//!
//! v4/v5 (GB/T 38540 §7): `SEQUENCE { TBS_Sign, cert, signatureAlgID, signature, [0] timeStamp? }`;
//! v1 (GM/T 0031-2014): `SEQUENCE { TBS_Sign, signature }` with the signer certificate and
//! algorithm inside a 7-field TBS_Sign and a free-form `timeInfo` BIT STRING.
//!
//! v4 is transcribed in [`super::types`] (GB/T 38540-2020 §7); v5 (GM/T 0031-2025) has the
//! same shape with TBS_Sign.version 5. v1, as read here (our transcription, tags EXPLICIT):
//!
//! ```asn1
//! -- v1, GM/T 0031-2014 (the standard GB/T 38540 §7 replaces)
//! SES_Signature ::= SEQUENCE {
//!     toSign     TBS_Sign,
//!     signature  BIT STRING               -- signer's signature over the encoded toSign
//! }
//! TBS_Sign ::= SEQUENCE {
//!     version             INTEGER,        -- the seal's header.version (1)
//!     eseal               SESeal,         -- the v1 seal, byte for byte
//!     timeInfo            BIT STRING,     -- "a time-stamp or a UTCTime"; free text in practice
//!     dataHash            BIT STRING,     -- OCTET STRING is seen too
//!     propertyInfo        IA5String,
//!     cert                OCTET STRING,   -- signer certificate (DER): inside TBS_Sign in v1
//!     signatureAlgorithm  OBJECT IDENTIFIER
//! }
//! ```

use super::SesError;
use super::seal::{Seal, SesVersion, bit_or_octets};
use crate::asn1::{Tlv, tag};
use crate::crypto::time::{Time, TimeForm};

/// Largest signature accepted.
pub const MAX_SIGNATURE_LEN: usize = 8 * 1024 * 1024;

/// A parsed SES_Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSignature {
    der: Vec<u8>,
    pub version: SesVersion,
    /// TBS_Sign.version.
    pub tbs_version: i64,
    pub seal: Seal,
    /// The signing time, when it could be read, and how it was written.
    pub time_info: Option<Time>,
    pub time_info_text: String,
    pub data_hash: Vec<u8>,
    pub property_info: String,
    /// The signer (签章者) certificate, DER.
    pub signer_cert: Vec<u8>,
    pub signature_alg: String,
    /// The signature value as stored (DER or raw r‖s).
    pub signature: Vec<u8>,
    pub timestamp: Option<Vec<u8>>,
    /// The encoded TBS_Sign exactly as in the file: what the signer signed.
    pub tbs_der: Vec<u8>,
    pub notes: Vec<String>,
}

fn err(what: &str, why: impl std::fmt::Display) -> SesError {
    SesError::Malformed {
        what: what.to_owned(),
        why: why.to_string(),
    }
}

impl SesSignature {
    pub fn from_der(bytes: &[u8]) -> Result<Self, SesError> {
        if bytes.len() > MAX_SIGNATURE_LEN {
            return Err(SesError::TooLarge {
                what: "signature",
                len: bytes.len(),
                max: MAX_SIGNATURE_LEN,
            });
        }
        let top = Tlv::parse_exact(bytes, "SES_Signature")?;
        let f = top.sequence("SES_Signature")?;
        let mut notes = Vec::new();
        match f.as_slice() {
            [tbs, sig] => {
                // v1: TBS_Sign { version, eseal, timeInfo BIT STRING, dataHash, propertyInfo, cert, alg }
                let t = tbs.sequence("TBS_Sign")?;
                let [
                    version,
                    eseal,
                    time_info,
                    data_hash,
                    property_info,
                    cert,
                    alg,
                ] = t.as_slice()
                else {
                    return Err(err(
                        "TBS_Sign (v1)",
                        format!("{} fields, expected 7", t.len()),
                    ));
                };
                let seal = Seal::from_tlv(eseal)?;
                let (time, text) = read_v1_time(time_info, &mut notes)?;
                Ok(SesSignature {
                    der: bytes.to_vec(),
                    version: SesVersion::V1,
                    tbs_version: version.small_int("TBS_Sign.version")?,
                    seal,
                    time_info: time,
                    time_info_text: text,
                    data_hash: bit_or_octets(data_hash, "TBS_Sign.dataHash", &mut notes)?,
                    property_info: property_info.string("TBS_Sign.propertyInfo")?,
                    signer_cert: cert.octet_string("TBS_Sign.cert")?.to_vec(),
                    signature_alg: alg.oid("TBS_Sign.signatureAlgorithm")?,
                    signature: bit_or_octets(sig, "SES_Signature.signature", &mut notes)?,
                    timestamp: None,
                    tbs_der: tbs.raw.to_vec(),
                    notes,
                })
            }
            [tbs, cert, alg, sig, rest @ ..] if rest.len() <= 1 => {
                let t = tbs.sequence("TBS_Sign")?;
                if t.len() < 5 || t.len() > 6 {
                    return Err(err(
                        "TBS_Sign",
                        format!("{} fields, expected 5 or 6", t.len()),
                    ));
                }
                let seal = Seal::from_tlv(&t[1])?;
                let (time, form) =
                    Time::from_asn1(&t[2]).map_err(|e| err("TBS_Sign.timeInfo", e))?;
                match form {
                    TimeForm::Canonical => {}
                    TimeForm::NonCanonical => {
                        notes.push("TBS_Sign.timeInfo is not in DER form".into())
                    }
                    TimeForm::ZoneLess => notes.push(
                        "TBS_Sign.timeInfo has no time zone; read as Beijing time (UTC+8)".into(),
                    ),
                }
                let timestamp = match rest.first() {
                    None => None,
                    Some(ts) if ts.tag == tag::context(0) => Some(
                        Tlv::parse_exact(ts.content, "timeStamp")?
                            .bit_string("timeStamp")?
                            .to_vec(),
                    ),
                    Some(ts) if ts.tag == tag::context_primitive(0) => {
                        Some(ts.content.get(1..).unwrap_or_default().to_vec())
                    }
                    Some(ts) => {
                        return Err(err(
                            "SES_Signature.timeStamp",
                            format!("unexpected tag 0x{:02X}", ts.tag),
                        ));
                    }
                };
                let version = match seal.version {
                    SesVersion::V1 => SesVersion::V4Shaped(1),
                    v => v,
                };
                Ok(SesSignature {
                    der: bytes.to_vec(),
                    version,
                    tbs_version: t[0].small_int("TBS_Sign.version")?,
                    seal,
                    time_info: Some(time),
                    time_info_text: String::from_utf8_lossy(t[2].content).into_owned(),
                    data_hash: bit_or_octets(&t[3], "TBS_Sign.dataHash", &mut notes)?,
                    property_info: t[4].string("TBS_Sign.propertyInfo")?,
                    signer_cert: cert.octet_string("SES_Signature.cert")?.to_vec(),
                    signature_alg: alg.oid("SES_Signature.signatureAlgID")?,
                    signature: bit_or_octets(sig, "SES_Signature.signature", &mut notes)?,
                    timestamp,
                    tbs_der: tbs.raw.to_vec(),
                    notes,
                })
            }
            _ => Err(err(
                "SES_Signature",
                format!(
                    "{} fields are neither a v1 (2) nor a v4 (4–5) signature",
                    f.len()
                ),
            )),
        }
    }

    /// The signature's bytes exactly as read (or as built).
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    pub fn signer_certificate(&self) -> Result<crate::crypto::Certificate, SesError> {
        Ok(crate::crypto::Certificate::from_der(&self.signer_cert)?)
    }
}

/// v1 `timeInfo` is a BIT STRING "holding a time-stamp or a UTCTime"; in practice free text
/// (`yyyy-MM-dd HH:mm:ss`, ISO 8601) or a DER time (all seen in real files).
fn read_v1_time(t: &Tlv<'_>, notes: &mut Vec<String>) -> Result<(Option<Time>, String), SesError> {
    let bytes = match t.tag {
        tag::BIT_STRING => t.bit_string("TBS_Sign.timeInfo")?,
        tag::UTC_TIME | tag::GENERALIZED_TIME => {
            let (time, _) = Time::from_asn1(t).map_err(|e| err("TBS_Sign.timeInfo", e))?;
            return Ok((Some(time), String::from_utf8_lossy(t.content).into_owned()));
        }
        _ => t.content,
    };
    if let Ok(inner) = Tlv::parse_exact(bytes, "timeInfo")
        && let Ok((time, _)) = Time::from_asn1(&inner)
    {
        return Ok((
            Some(time),
            String::from_utf8_lossy(inner.content).into_owned(),
        ));
    }
    let text = String::from_utf8_lossy(bytes).into_owned();
    match Time::parse_lenient(&text) {
        Ok((time, form)) => {
            if form == TimeForm::ZoneLess {
                notes.push("timeInfo has no time zone; read as Beijing time (UTC+8)".into());
            }
            Ok((Some(time), text))
        }
        Err(_) => {
            notes.push(format!("timeInfo {text:?} is not a time eseal can read"));
            Ok((None, text))
        }
    }
}
