//! Reading seals of every version found in the wild, over their original bytes.
//!
//! Version detection is structural (the shapes below): a 2-element SEQUENCE whose second
//! element is a SEQUENCE is v1 (GM/T 0031-2014); 4 or 5 elements with an OCTET STRING second
//! is the v4 family (GB/T 38540-2020 when header.version = 4, GM/T 0031-2025 when 5).
//!
//! v4 is transcribed in [`super::types`] (GB/T 38540-2020 §6). The other two, as read here
//! (our transcription; tags EXPLICIT, as neither module has an IMPLICIT TAGS header):
//!
//! ```asn1
//! -- v1, GM/T 0031-2014 (the standard GB/T 38540 §6 replaces)
//! SESeal ::= SEQUENCE {
//!     esealInfo  SES_SealInfo,            -- shaped as v4's, header.version 1
//!     signInfo   SES_SignInfo
//! }
//! SES_SignInfo ::= SEQUENCE {
//!     cert                OCTET STRING,   -- maker certificate (DER)
//!     signatureAlgorithm  OBJECT IDENTIFIER,
//!     signData            BIT STRING      -- maker's signature over
//!                                         -- SEQUENCE { esealInfo, cert, signatureAlgorithm }
//! }
//! SES_ESPropertyInfo ::= SEQUENCE {       -- v1: no certListType
//!     type        INTEGER,                -- 1 unit seal, 2 personal seal
//!     name        UTF8String,
//!     certList    SEQUENCE OF cert,       -- cert ::= OCTET STRING; seen too: IA5String certID
//!     createDate  UTCTime,                -- GeneralizedTime is seen too
//!     validStart  UTCTime,
//!     validEnd    UTCTime
//! }
//!
//! -- v5, GM/T 0031-2025: v4's SESeal (GB/T 38540 §6.1) with header.version 5 and a time-stamp
//! SESeal ::= SEQUENCE {
//!     eSealInfo    SES_SealInfo,          -- maker signs its encoded bytes, as in v4 (§6.2)
//!     cert         OCTET STRING,
//!     signAlgID    OBJECT IDENTIFIER,
//!     signedValue  BIT STRING,
//!     timeStamp    [0] BIT STRING OPTIONAL
//! }
//! ```

use super::SesError;
use crate::asn1::{Tlv, tag};
use crate::crypto::time::{Time, TimeForm};

/// Largest seal accepted (a seal with a picture is typically 5–200 KB).
pub const MAX_SEAL_LEN: usize = 4 * 1024 * 1024;

/// Which standard a seal or signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SesVersion {
    /// GM/T 0031-2014.
    V1,
    /// GB/T 38540-2020.
    V4,
    /// GM/T 0031-2025 (header version 5, optional timestamp), as ofdrw reads it.
    V5,
    /// v4-shaped with another header version: verified as v4, with a warning.
    V4Shaped(i64),
}

impl SesVersion {
    pub fn label(self) -> &'static str {
        match self {
            SesVersion::V1 => "v1",
            SesVersion::V4 => "v4",
            SesVersion::V5 => "v5",
            SesVersion::V4Shaped(_) => "v4-shaped",
        }
    }
    pub fn describe(self) -> String {
        match self {
            SesVersion::V1 => "v1 (GM/T 0031-2014)".into(),
            SesVersion::V4 => "v4 (GB/T 38540-2020)".into(),
            SesVersion::V5 => "v5 (GM/T 0031-2025)".into(),
            SesVersion::V4Shaped(v) => format!("v4-shaped, header version {v}"),
        }
    }
}

/// `SES_Header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: String,
    pub version: i64,
    pub vid: String,
}

/// `SES_CertList` as found: certificates, digests, or (v1, iOFD) IA5String identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertList {
    /// DER certificates of the signers the seal allows.
    Certs(Vec<Vec<u8>>),
    /// (hash algorithm name, digest of a signer certificate).
    Digests(Vec<(String, Vec<u8>)>),
    /// Identifiers that name no certificate (v1 `certID` IA5String).
    Ids(Vec<String>),
}

/// The picture formats a seal may carry, by magic bytes (the type field is not always right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureFormat {
    Png,
    Gif,
    Jpeg,
    Bmp,
    Svg,
    /// An OFD package (tax invoices).
    Ofd,
    Unknown,
}

impl PictureFormat {
    pub fn sniff(data: &[u8]) -> Self {
        let head = &data[..data.len().min(256)];
        if head.starts_with(&[0x89, b'P', b'N', b'G']) {
            PictureFormat::Png
        } else if head.starts_with(b"GIF8") {
            PictureFormat::Gif
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            PictureFormat::Jpeg
        } else if head.starts_with(b"BM") {
            PictureFormat::Bmp
        } else if head.starts_with(b"PK\x03\x04") {
            PictureFormat::Ofd
        } else if std::str::from_utf8(head)
            .map(|s| s.contains("<svg") || s.trim_start().starts_with("<?xml"))
            .unwrap_or(false)
        {
            PictureFormat::Svg
        } else {
            PictureFormat::Unknown
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            PictureFormat::Png => "PNG",
            PictureFormat::Gif => "GIF",
            PictureFormat::Jpeg => "JPG",
            PictureFormat::Bmp => "BMP",
            PictureFormat::Svg => "SVG",
            PictureFormat::Ofd => "OFD",
            PictureFormat::Unknown => "unknown",
        }
    }
}

/// `SES_ESPictrueInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealPicture {
    /// The type the seal declares ("PNG", "png", "ofd", ...).
    pub declared_type: String,
    /// The format the bytes actually have.
    pub format: PictureFormat,
    pub data: Vec<u8>,
    pub width_mm: i64,
    pub height_mm: i64,
}

/// `ExtData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtData {
    pub oid: String,
    pub critical: bool,
    pub value: Vec<u8>,
}

/// A parsed seal (印章), any version, with its original bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    der: Vec<u8>,
    pub version: SesVersion,
    pub header: Header,
    pub es_id: String,
    pub seal_type: i64,
    pub name: String,
    /// `certListType` (v4/v5), `None` for v1.
    pub cert_list_type: Option<i64>,
    pub cert_list: CertList,
    pub create_date: Time,
    pub valid_start: Time,
    pub valid_end: Time,
    pub picture: SealPicture,
    pub ext_datas: Vec<ExtData>,
    /// The maker (制章者) certificate, DER.
    pub maker_cert: Vec<u8>,
    pub maker_sign_alg: String,
    /// The maker's signature value as stored (DER or raw r‖s).
    pub maker_signature: Vec<u8>,
    /// v5 optional timestamp.
    pub timestamp: Option<Vec<u8>>,
    /// The bytes the maker signed (GB/T 38540 §6.2): SES_SealInfo (v4/v5), or
    /// SEQUENCE { SES_SealInfo, cert, alg } rebuilt around the original bytes (v1).
    pub maker_signed_bytes: Vec<u8>,
    /// Deviations from the standard seen while reading (explicit FALSE, non-DER times, ...).
    pub notes: Vec<String>,
}

fn err(what: &str, why: impl std::fmt::Display) -> SesError {
    SesError::Malformed {
        what: what.to_owned(),
        why: why.to_string(),
    }
}

impl Seal {
    /// Parses a seal of any version.
    pub fn from_der(bytes: &[u8]) -> Result<Seal, SesError> {
        if bytes.len() > MAX_SEAL_LEN {
            return Err(SesError::TooLarge {
                what: "seal",
                len: bytes.len(),
                max: MAX_SEAL_LEN,
            });
        }
        let top = Tlv::parse_exact(bytes, "SESeal")?;
        Self::from_tlv(&top)
    }

    pub(crate) fn from_tlv(top: &Tlv<'_>) -> Result<Seal, SesError> {
        let f = top.sequence("SESeal")?;
        let mut notes = Vec::new();
        match f.as_slice() {
            [info, sign_info] if sign_info.tag == tag::SEQUENCE => {
                // v1: SESeal ::= SEQUENCE { esealInfo, signInfo SES_SignInfo { cert, alg, signData } }
                let si = sign_info.sequence("SES_SignInfo")?;
                let [cert, alg, sig] = si.as_slice() else {
                    return Err(err(
                        "SES_SignInfo",
                        format!("{} fields, expected 3", si.len()),
                    ));
                };
                let maker_cert = cert.octet_string("SES_SignInfo.cert")?.to_vec();
                let maker_sign_alg = alg.oid("SES_SignInfo.signatureAlgorithm")?;
                let maker_signature = bit_or_octets(sig, "SES_SignInfo.signData", &mut notes)?;
                let body = [info.raw, cert.raw, alg.raw].concat();
                let mut signed = crate::asn1::header(tag::SEQUENCE, body.len());
                signed.extend(body);
                let mut seal = Self::parse_info(info, true, &mut notes)?;
                seal.der = top.raw.to_vec();
                seal.version = SesVersion::V1;
                seal.maker_cert = maker_cert;
                seal.maker_sign_alg = maker_sign_alg;
                seal.maker_signature = maker_signature;
                seal.maker_signed_bytes = signed;
                seal.notes = notes;
                Ok(seal)
            }
            [info, cert, alg, sig, rest @ ..]
                if cert.tag == tag::OCTET_STRING && rest.len() <= 1 =>
            {
                let mut seal = Self::parse_info(info, false, &mut notes)?;
                seal.version = match seal.header.version {
                    4 if rest.is_empty() => SesVersion::V4,
                    4 => return Err(err("SESeal", "a v4 seal has 4 fields; this one has 5")),
                    5 => SesVersion::V5,
                    v => {
                        notes.push(format!("header version {v} in a v4-shaped seal"));
                        SesVersion::V4Shaped(v)
                    }
                };
                if let Some(ts) = rest.first() {
                    seal.timestamp = Some(match ts.tag {
                        t if t == tag::context(0) => Tlv::parse_exact(ts.content, "timeStamp")?
                            .bit_string("timeStamp")?
                            .to_vec(),
                        t if t == tag::context_primitive(0) => {
                            ts.content.get(1..).unwrap_or_default().to_vec()
                        }
                        t => {
                            return Err(err(
                                "SESeal.timeStamp",
                                format!("unexpected tag 0x{t:02X}"),
                            ));
                        }
                    });
                }
                seal.der = top.raw.to_vec();
                seal.maker_cert = cert.octet_string("SESeal.cert")?.to_vec();
                seal.maker_sign_alg = alg.oid("SESeal.signAlgID")?;
                seal.maker_signature = bit_or_octets(sig, "SESeal.signedValue", &mut notes)?;
                seal.maker_signed_bytes = info.raw.to_vec();
                seal.notes = notes;
                Ok(seal)
            }
            _ => Err(err(
                "SESeal",
                format!(
                    "{} fields of this shape are neither a v1 nor a v4 seal",
                    f.len()
                ),
            )),
        }
    }

    fn parse_info(info: &Tlv<'_>, v1: bool, notes: &mut Vec<String>) -> Result<Seal, SesError> {
        let f = info.sequence("SES_SealInfo")?;
        if f.len() < 4 || f.len() > 5 {
            return Err(err(
                "SES_SealInfo",
                format!("{} fields, expected 4 or 5", f.len()),
            ));
        }
        let h = f[0].sequence("SES_Header")?;
        let [id, version, vid] = h.as_slice() else {
            return Err(err("SES_Header", format!("{} fields, expected 3", h.len())));
        };
        let header = Header {
            id: id.string("SES_Header.id")?,
            version: version.small_int("SES_Header.version")?,
            vid: vid.string("SES_Header.vid")?,
        };
        let es_id = f[1].string("SES_SealInfo.esID")?;
        let p = f[2].sequence("SES_ESPropertyInfo")?;
        let mut it = p.iter();
        let mut next = |what: &'static str| {
            it.next()
                .ok_or_else(|| err("SES_ESPropertyInfo", format!("missing {what}")))
        };
        let seal_type = next("type")?.small_int("SES_ESPropertyInfo.type")?;
        let name = next("name")?.string("SES_ESPropertyInfo.name")?;
        let cert_list_type = if v1 || p.len() == 6 {
            None
        } else {
            Some(next("certListType")?.small_int("SES_ESPropertyInfo.certListType")?)
        };
        let list = next("certList")?;
        let cert_list = parse_cert_list(list, cert_list_type, notes)?;
        let mut time = |what: &'static str| -> Result<Time, SesError> {
            let t = next(what)?;
            let (time, form) = Time::from_asn1(t).map_err(|e| err(what, e))?;
            match form {
                TimeForm::Canonical => {}
                TimeForm::NonCanonical => notes.push(format!("{what} is not in DER form")),
                TimeForm::ZoneLess => notes.push(format!(
                    "{what} has no time zone; read as Beijing time (UTC+8)"
                )),
            }
            if !v1 && t.tag == tag::UTC_TIME {
                notes.push(format!(
                    "{what} is a UTCTime; GB/T 38540 uses GeneralizedTime"
                ));
            }
            Ok(time)
        };
        let create_date = time("createDate")?;
        let valid_start = time("validStart")?;
        let valid_end = time("validEnd")?;
        let pic = f[3].sequence("SES_ESPictrueInfo")?;
        let [ptype, pdata, pw, ph] = pic.as_slice() else {
            return Err(err(
                "SES_ESPictrueInfo",
                format!("{} fields, expected 4", pic.len()),
            ));
        };
        let data = pdata.octet_string("SES_ESPictrueInfo.data")?.to_vec();
        let declared_type = ptype.string("SES_ESPictrueInfo.type")?;
        let format = PictureFormat::sniff(&data);
        let named_right = declared_type.eq_ignore_ascii_case(format.name())
            || (format == PictureFormat::Jpeg && declared_type.eq_ignore_ascii_case("jpeg"));
        if !named_right {
            notes.push(format!(
                "picture declared as {declared_type:?} is {}",
                format.name()
            ));
        }
        let picture = SealPicture {
            declared_type,
            format,
            data,
            width_mm: pw.small_int("SES_ESPictrueInfo.width")?,
            height_mm: ph.small_int("SES_ESPictrueInfo.height")?,
        };
        let mut ext_datas = Vec::new();
        if let Some(ext) = f.get(4) {
            for e in ext.sequence("ExtensionDatas")? {
                let ef = e.sequence("ExtData")?;
                let oid = ef
                    .first()
                    .ok_or_else(|| err("ExtData", "empty"))?
                    .oid("ExtData.extnID")?;
                let critical = match ef.get(1) {
                    Some(b) if b.tag == tag::BOOLEAN => {
                        let v = b.content.first().is_some_and(|x| *x != 0);
                        if !v {
                            notes
                                .push("ExtData encodes critical FALSE explicitly (not DER)".into());
                        }
                        v
                    }
                    _ => false,
                };
                let value = ef
                    .last()
                    .ok_or_else(|| err("ExtData", "no value"))?
                    .octet_string("ExtData.extnValue")?
                    .to_vec();
                ext_datas.push(ExtData {
                    oid,
                    critical,
                    value,
                });
            }
        }
        Ok(Seal {
            der: Vec::new(),
            version: SesVersion::V4,
            header,
            es_id,
            seal_type,
            name,
            cert_list_type,
            cert_list,
            create_date,
            valid_start,
            valid_end,
            picture,
            ext_datas,
            maker_cert: Vec::new(),
            maker_sign_alg: String::new(),
            maker_signature: Vec::new(),
            timestamp: None,
            maker_signed_bytes: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// The seal's bytes exactly as read (or as built).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The maker certificate, parsed.
    pub fn maker_certificate(&self) -> Result<crate::crypto::Certificate, SesError> {
        Ok(crate::crypto::Certificate::from_der(&self.maker_cert)?)
    }

    /// A short description for reports.
    pub fn summary(&self) -> crate::report::SealSummary {
        crate::report::SealSummary {
            version: self.version.describe(),
            vendor_id: self.header.vid.clone(),
            es_id: self.es_id.clone(),
            name: self.name.clone(),
            seal_type: self.seal_type,
            valid_start: self.valid_start.to_iso(),
            valid_end: self.valid_end.to_iso(),
            picture_type: format!(
                "{} ({})",
                self.picture.declared_type,
                self.picture.format.name()
            ),
            picture_width_mm: self.picture.width_mm,
            picture_height_mm: self.picture.height_mm,
            maker: self.maker_certificate().ok().map(|c| c.summary()),
        }
    }
}

/// A BIT STRING (as the standard says) or an OCTET STRING (seen in v1 files).
pub(crate) fn bit_or_octets(
    t: &Tlv<'_>,
    what: &'static str,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>, SesError> {
    match t.tag {
        tag::BIT_STRING => {
            let (bytes, unused) = t.bit_string_with_unused(what)?;
            if unused != 0 {
                // Suwell files: signature values and digests are whole octets whatever the
                // count says; they are read as such and verified over the original bytes.
                notes.push(format!("{what} declares {unused} unused bits; read as whole octets (GB/T 38540 values are whole octets)"));
            }
            Ok(bytes.to_vec())
        }
        tag::OCTET_STRING => {
            notes.push(format!(
                "{what} is an OCTET STRING, the standard says BIT STRING"
            ));
            Ok(t.content.to_vec())
        }
        found => Err(SesError::Asn1(crate::asn1::Asn1Error::UnexpectedTag {
            what,
            expected: tag::BIT_STRING,
            found,
        })),
    }
}

/// `SES_CertList`: the CHOICE cannot be told by tag; decide by certListType, else by the
/// element tags (certListType 3 with OCTET STRING entries is seen in real files).
fn parse_cert_list(
    list: &Tlv<'_>,
    list_type: Option<i64>,
    notes: &mut Vec<String>,
) -> Result<CertList, SesError> {
    let items = list.sequence("SES_CertList")?;
    let by_tag = || -> Result<CertList, SesError> {
        if items.iter().all(|i| i.tag == tag::OCTET_STRING) {
            Ok(CertList::Certs(
                items.iter().map(|i| i.content.to_vec()).collect(),
            ))
        } else if items.iter().all(|i| i.tag == tag::SEQUENCE) {
            let mut d = Vec::new();
            for i in &items {
                let f = i.sequence("CertDigestObj")?;
                let (Some(t), Some(v)) = (f.first(), f.get(1)) else {
                    return Err(err("CertDigestObj", "needs type and value"));
                };
                d.push((
                    t.string("CertDigestObj.type")?,
                    v.octet_string("CertDigestObj.value")?.to_vec(),
                ));
            }
            Ok(CertList::Digests(d))
        } else if items.iter().all(|i| {
            i.tag == tag::IA5_STRING || i.tag == tag::PRINTABLE_STRING || i.tag == tag::UTF8_STRING
        }) {
            Ok(CertList::Ids(
                items
                    .iter()
                    .map(|i| String::from_utf8_lossy(i.content).into_owned())
                    .collect(),
            ))
        } else {
            Err(err("SES_CertList", "mixed element types"))
        }
    };
    let list = by_tag()?;
    match (list_type, &list) {
        (None, _) | (Some(1), CertList::Certs(_)) | (Some(2), CertList::Digests(_)) => {}
        (Some(t), _) => notes.push(format!(
            "certListType {t} does not match the list's elements; read by element type"
        )),
    }
    Ok(list)
}
