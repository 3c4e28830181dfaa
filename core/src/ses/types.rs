//! GB/T 38540-2020 (v4) structures as `der` types, for *writing* seals and signatures.
//!
//! Reading goes through the lenient parsers in [`super::seal`] and [`super::signature`]
//! over the original bytes (real files are not always DER); writing uses these types so the
//! output is DER and reads like the standard. ASN.1 below is our transcription of
//! GB/T 38540-2020 §6 (seal) and §7 (signature); no IMPLICIT TAGS header, so `[n]` tags are
//! EXPLICIT.

use der::Sequence;
use der::asn1::{
    BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, Utf8StringRef,
};

/// ```asn1
/// SESeal ::= SEQUENCE {
///     eSealInfo    SES_SealInfo,
///     cert         OCTET STRING,          -- maker certificate (DER)
///     signAlgID    OBJECT IDENTIFIER,
///     signedValue  BIT STRING             -- maker's signature over eSealInfo (§6.2)
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealV4<'a> {
    pub e_seal_info: SesSealInfo<'a>,
    pub cert: OctetString,
    pub sign_alg_id: ObjectIdentifier,
    pub signed_value: BitString,
}

/// ```asn1
/// SES_SealInfo ::= SEQUENCE {
///     header    SES_Header,
///     esID      IA5String,
///     property  SES_ESPropertyInfo,
///     picture   SES_ESPictrueInfo,
///     extDatas  ExtensionDatas OPTIONAL
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealInfo<'a> {
    pub header: SesHeader,
    pub es_id: Ia5String,
    pub property: SesEsPropertyInfo<'a>,
    pub picture: SesEsPictrueInfo,
    #[asn1(optional = "true")]
    pub ext_datas: Option<Vec<ExtData>>,
}

/// ```asn1
/// SES_Header ::= SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesHeader {
    pub id: Ia5String,
    pub version: u32,
    pub vid: Ia5String,
}

/// ```asn1
/// SES_ESPropertyInfo ::= SEQUENCE {
///     type          INTEGER,
///     name          UTF8String,
///     certListType  INTEGER,              -- 1: certificates, 2: certificate digests
///     certList      SES_CertList,
///     createDate    GeneralizedTime,
///     validStart    GeneralizedTime,
///     validEnd      GeneralizedTime
/// }
/// SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
/// CertInfoList ::= SEQUENCE OF OCTET STRING
/// ```
/// Only `certs` (type 1) is written: a verifier can then compare certificates byte for byte.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesEsPropertyInfo<'a> {
    pub seal_type: i64,
    pub name: Utf8StringRef<'a>,
    pub cert_list_type: u32,
    pub cert_list: Vec<OctetString>,
    pub create_date: GeneralizedTime,
    pub valid_start: GeneralizedTime,
    pub valid_end: GeneralizedTime,
}

/// ```asn1
/// SES_ESPictrueInfo ::= SEQUENCE {       -- (sic) the standard's spelling
///     type    IA5String,                  -- "PNG", "GIF", "JPG", "BMP", "SVG"
///     data    OCTET STRING,
///     width   INTEGER,                    -- mm
///     height  INTEGER                     -- mm
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesEsPictrueInfo {
    pub picture_type: Ia5String,
    pub data: OctetString,
    pub width: u32,
    pub height: u32,
}

/// ```asn1
/// ExtData ::= SEQUENCE {
///     extnID     OBJECT IDENTIFIER,
///     critical   BOOLEAN DEFAULT FALSE,
///     extnValue  OCTET STRING
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ExtData {
    pub extn_id: ObjectIdentifier,
    #[asn1(default = "Default::default")]
    pub critical: bool,
    pub extn_value: OctetString,
}

/// ```asn1
/// TBS_Sign ::= SEQUENCE {
///     version       INTEGER,              -- the seal's header version (4)
///     eseal         SESeal,               -- byte for byte
///     timeInfo      GeneralizedTime,
///     dataHash      BIT STRING,
///     propertyInfo  IA5String,
///     extDatas  [0] ExtensionDatas OPTIONAL
/// }
/// ```
/// `eseal` is carried as the seal's original bytes ([`der::asn1::Any`]), never re-encoded.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsSign {
    pub version: u32,
    pub eseal: der::Any,
    pub time_info: GeneralizedTime,
    pub data_hash: BitString,
    pub property_info: Ia5String,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub ext_datas: Option<Vec<ExtData>>,
}

/// ```asn1
/// SES_Signature ::= SEQUENCE {
///     toSign          TBS_Sign,
///     cert            OCTET STRING,        -- signer certificate (DER)
///     signatureAlgID  OBJECT IDENTIFIER,
///     signature       BIT STRING,          -- signer's signature over toSign (§7.1.5)
///     timeStamp  [0]  BIT STRING OPTIONAL
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignatureV4 {
    pub to_sign: der::Any,
    pub cert: OctetString,
    pub signature_alg_id: ObjectIdentifier,
    pub signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub time_stamp: Option<BitString>,
}
