//! Making seals (the maker signs, GB/T 38540 §6.2) and electronic signatures (the signer
//! signs, §7.1). Everything written is DER, version 4.

use super::SesError;
use super::seal::{CertList, PictureFormat, Seal};
use super::signature::SesSignature;
use super::types::{
    ExtData, SesEsPictrueInfo, SesEsPropertyInfo, SesHeader, SesSealInfo, SesSealV4,
    SesSignatureV4, TbsSign,
};
use crate::crypto::sm2::OID_SM2_WITH_SM3;
use crate::crypto::time::Time;
use crate::crypto::{Certificate, Signer};
use der::Encode;
use der::asn1::{
    BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, Utf8StringRef,
};

/// Seal types as the platform uses them (GB/T 38540 leaves `type` to the business; GM/T
/// 0031-2014 §5 names 1 = unit seal, 2 = personal seal).
pub mod seal_type {
    pub const UNIT: i64 = 1;
    pub const PERSONAL: i64 = 2;
}

/// Makes a v4 seal.
#[derive(Debug, Clone)]
pub struct SealBuilder {
    name: String,
    es_id: String,
    vid: String,
    seal_type: i64,
    picture: Option<(String, Vec<u8>, u32, u32)>,
    create_date: Option<Time>,
    valid: Option<(Time, Time)>,
    signer_certs: Vec<Vec<u8>>,
    ext_datas: Vec<(String, bool, Vec<u8>)>,
}

fn ia5(s: &str, what: &str) -> Result<Ia5String, SesError> {
    Ia5String::new(s)
        .map_err(|_| SesError::InvalidInput(format!("{what} must be ASCII (IA5String): {s:?}")))
}

fn gtime(t: Time, what: &str) -> Result<GeneralizedTime, SesError> {
    let secs = u64::try_from(t.unix())
        .map_err(|_| SesError::InvalidInput(format!("{what} before 1970")))?;
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|e| SesError::InvalidInput(format!("{what}: {e}")))
}

fn sm2_with_sm3() -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(OID_SM2_WITH_SM3)
}

fn bits(bytes: &[u8]) -> Result<BitString, SesError> {
    BitString::from_bytes(bytes).map_err(|e| SesError::InvalidInput(e.to_string()))
}

fn octets(bytes: &[u8]) -> Result<OctetString, SesError> {
    OctetString::new(bytes.to_vec()).map_err(|e| SesError::InvalidInput(e.to_string()))
}

impl SealBuilder {
    /// A seal named `name` (e.g. 上海市测试局) with the unique seal code `es_id`.
    pub fn new(name: &str, es_id: &str) -> Self {
        SealBuilder {
            name: name.to_owned(),
            es_id: es_id.to_owned(),
            vid: "eseal".into(),
            seal_type: seal_type::UNIT,
            picture: None,
            create_date: None,
            valid: None,
            signer_certs: Vec::new(),
            ext_datas: Vec::new(),
        }
    }
    /// The vendor id in the header (free text, ASCII).
    pub fn vendor_id(mut self, vid: &str) -> Self {
        self.vid = vid.to_owned();
        self
    }
    pub fn seal_type(mut self, t: i64) -> Self {
        self.seal_type = t;
        self
    }
    /// The seal picture; `picture_type` may be empty to name it from its bytes.
    pub fn picture(
        mut self,
        picture_type: &str,
        data: Vec<u8>,
        width_mm: u32,
        height_mm: u32,
    ) -> Self {
        self.picture = Some((picture_type.to_owned(), data, width_mm, height_mm));
        self
    }
    pub fn created(mut self, t: Time) -> Self {
        self.create_date = Some(t);
        self
    }
    pub fn valid(mut self, start: Time, end: Time) -> Self {
        self.valid = Some((start, end));
        self
    }
    /// A certificate allowed to sign with this seal (certList, type 1).
    pub fn signer_cert(mut self, cert: &Certificate) -> Self {
        self.signer_certs.push(cert.der().to_vec());
        self
    }
    pub fn ext_data(mut self, oid: &str, critical: bool, value: Vec<u8>) -> Self {
        self.ext_datas.push((oid.to_owned(), critical, value));
        self
    }

    /// Builds the seal; the maker signs the DER of SES_SealInfo (GB/T 38540 §6.2).
    pub fn build(&self, maker: &dyn Signer) -> Result<Seal, SesError> {
        let (ptype, pdata, w, h) = self
            .picture
            .clone()
            .ok_or_else(|| SesError::InvalidInput("a seal needs a picture".into()))?;
        if pdata.is_empty() {
            return Err(SesError::InvalidInput("the seal picture is empty".into()));
        }
        let sniffed = PictureFormat::sniff(&pdata);
        let ptype = if ptype.is_empty() {
            sniffed.name().to_owned()
        } else {
            ptype
        };
        if sniffed == PictureFormat::Unknown {
            return Err(SesError::InvalidInput(
                "the seal picture is not PNG, GIF, JPEG, BMP, SVG or OFD".into(),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(SesError::InvalidInput("the seal needs a name".into()));
        }
        if self.es_id.is_empty() {
            return Err(SesError::InvalidInput(
                "the seal needs a seal code (esID)".into(),
            ));
        }
        if self.signer_certs.is_empty() {
            return Err(SesError::InvalidInput(
                "the seal needs at least one signer certificate (certList)".into(),
            ));
        }
        let created = self.create_date.unwrap_or_else(Time::now);
        let (start, end) = self.valid.unwrap_or((created, created.add_days(365 * 3)));
        if end <= start {
            return Err(SesError::InvalidInput(
                "validEnd must be after validStart".into(),
            ));
        }
        let ext_datas = if self.ext_datas.is_empty() {
            None
        } else {
            let mut v = Vec::new();
            for (oid, critical, value) in &self.ext_datas {
                v.push(ExtData {
                    extn_id: ObjectIdentifier::new(oid)
                        .map_err(|_| SesError::InvalidInput(format!("bad OID {oid}")))?,
                    critical: *critical,
                    extn_value: octets(value)?,
                });
            }
            Some(v)
        };
        let info = SesSealInfo {
            header: SesHeader {
                id: ia5("ES", "header id")?,
                version: 4,
                vid: ia5(&self.vid, "vendor id")?,
            },
            es_id: ia5(&self.es_id, "esID")?,
            property: SesEsPropertyInfo {
                seal_type: self.seal_type,
                name: Utf8StringRef::new(&self.name)
                    .map_err(|e| SesError::InvalidInput(e.to_string()))?,
                cert_list_type: 1,
                cert_list: self
                    .signer_certs
                    .iter()
                    .map(|c| octets(c))
                    .collect::<Result<_, _>>()?,
                create_date: gtime(created, "createDate")?,
                valid_start: gtime(start, "validStart")?,
                valid_end: gtime(end, "validEnd")?,
            },
            picture: SesEsPictrueInfo {
                picture_type: ia5(&ptype, "picture type")?,
                data: octets(&pdata)?,
                width: w,
                height: h,
            },
            ext_datas,
        };
        let info_der = info
            .to_der()
            .map_err(|e| SesError::InvalidInput(e.to_string()))?;
        let sig = maker.sign_message(&info_der)?;
        let seal = SesSealV4 {
            e_seal_info: info,
            cert: octets(maker.certificate().der())?,
            sign_alg_id: sm2_with_sm3(),
            signed_value: bits(&sig.to_der())?,
        };
        let der = seal
            .to_der()
            .map_err(|e| SesError::InvalidInput(e.to_string()))?;
        let parsed = Seal::from_der(&der)?;
        debug_assert_eq!(parsed.maker_signed_bytes, info_der);
        Ok(parsed)
    }
}

/// Signs `data_hash` with `seal` (GB/T 38540 §7.1): builds TBS_Sign { 4, seal, time,
/// dataHash, propertyInfo }, has the signer sign its DER, and returns the SES_Signature.
///
/// Before signing the seal is checked: its maker signature, its validity
/// window holding `time`, and the signer's certificate in its certList.
pub fn sign(
    seal: &Seal,
    signer: &dyn Signer,
    data_hash: &[u8],
    property_info: &str,
    time: Time,
) -> Result<SesSignature, SesError> {
    use super::seal::SesVersion;
    let version = match seal.version {
        SesVersion::V4 => 4,
        SesVersion::V5 => 5,
        v => {
            return Err(SesError::SealUnusable(format!(
                "eseal signs with v4 and v5 seals; this seal is {}",
                v.describe()
            )));
        }
    };
    super::verify::maker_signature(seal).map_err(|why| {
        SesError::SealUnusable(format!("its maker signature does not verify: {why}"))
    })?;
    if time < seal.valid_start || time > seal.valid_end {
        return Err(SesError::SealUnusable(format!(
            "the seal is valid {} .. {}, not at {}",
            seal.valid_start.to_iso(),
            seal.valid_end.to_iso(),
            time.to_iso()
        )));
    }
    let cert = signer.certificate();
    if !super::verify::signer_allowed(seal, cert).is_ok_and(|b| b) {
        return Err(SesError::SealUnusable(format!(
            "the signer certificate ({}) is not in the seal's certList",
            cert.subject_string()
        )));
    }
    if !cert.valid_at(time) {
        return Err(SesError::SealUnusable(format!(
            "the signer certificate is valid {} .. {}, not at {}",
            cert.not_before().to_iso(),
            cert.not_after().to_iso(),
            time.to_iso()
        )));
    }
    let tbs = TbsSign {
        version,
        eseal: der::Any::from_der(seal.der()).map_err(|e| SesError::InvalidInput(e.to_string()))?,
        time_info: gtime(time, "timeInfo")?,
        data_hash: bits(data_hash)?,
        property_info: ia5(property_info, "propertyInfo")?,
        ext_datas: None,
    };
    let tbs_der = tbs
        .to_der()
        .map_err(|e| SesError::InvalidInput(e.to_string()))?;
    let sig = signer.sign_message(&tbs_der)?;
    let out = SesSignatureV4 {
        to_sign: der::Any::from_der(&tbs_der).map_err(|e| SesError::InvalidInput(e.to_string()))?,
        cert: octets(cert.der())?,
        signature_alg_id: sm2_with_sm3(),
        signature: bits(&sig.to_der())?,
        time_stamp: None,
    };
    let der = out
        .to_der()
        .map_err(|e| SesError::InvalidInput(e.to_string()))?;
    let parsed = SesSignature::from_der(&der)?;
    debug_assert!(matches!(
        parsed.seal.cert_list,
        CertList::Certs(_) | CertList::Digests(_) | CertList::Ids(_)
    ));
    Ok(parsed)
}

/// Adds `SES_Signature.timeStamp` (GB/T 38540 §7.1.6) to a v4/v5 signature: a token from
/// `tsa` whose imprint is SM3 of the signature value (the DER SM2 signature, the BIT STRING's
/// content, as ofdrw feeds it), written `[0] EXPLICIT BIT STRING` as ofdrw does. The
/// timestamp lies outside TBS_Sign, so the signer's signature is unchanged.
pub fn add_timestamp(
    sig: &SesSignature,
    tsa: &dyn crate::tsp::TimeStamper,
) -> Result<SesSignature, SesError> {
    use crate::asn1::{Tlv, header, tag};
    if sig.timestamp.is_some() {
        return Err(SesError::InvalidInput(
            "the signature already has a timeStamp".into(),
        ));
    }
    let token = tsa.time_stamp(crate::cms::OID_SM3, &sig.signature)?;
    let fields = Tlv::parse_exact(sig.to_der(), "SES_Signature")?.sequence("SES_Signature")?;
    if fields.len() != 4 {
        return Err(SesError::InvalidInput(format!(
            "a v4/v5 SES_Signature has 4 fields before timeStamp, this one {}",
            fields.len()
        )));
    }
    let mut bits = header(tag::BIT_STRING, token.der.len() + 1);
    bits.push(0);
    bits.extend_from_slice(&token.der);
    let mut body: Vec<u8> = fields.iter().flat_map(|f| f.raw.iter().copied()).collect();
    body.extend(header(tag::context(0), bits.len()));
    body.extend(bits);
    let mut der = header(tag::SEQUENCE, body.len());
    der.extend(body);
    SesSignature::from_der(&der)
}

use der::Decode;
