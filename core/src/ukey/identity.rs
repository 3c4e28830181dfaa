//! The whitelist's 通用实体唯一标识 (research note §5.2): stored as an opaque identifier; both
//! candidates are recorded — the certificate's unique-ID extension (SHECA `1.2.156.1.8888.148`)
//! where present, and the device serial (`DEVINFO.SerialNumber`) — with the certificate
//! details, and a configurable rule says which one identifies the key.

use super::DeviceInfo;
use crate::crypto::Certificate;
use crate::crypto::sm3::sm3;

/// SHECA's "UniqueID" certificate extension.
pub const OID_CERT_UNIQUE_ID: &str = "1.2.156.1.8888.148";
/// GM/T 0015 organisation code (now usually the 统一社会信用代码).
pub const OID_ORG_CODE: &str = "1.2.156.10260.4.1.4";

/// How the whitelist identifier (`key_uid`) is derived from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// The certificate's unique-ID extension if present, otherwise the device serial.
    #[default]
    CertUniqueIdElseSerial,
    /// The device serial only (reported by the client, not covered by a signature).
    DeviceSerial,
    /// The certificate's unique-ID extension only.
    CertUniqueId,
    /// Both must match: `"<unique id>/<serial>"` (the serial alone is not signed, so pair it
    /// with the certificate).
    CertUniqueIdAndSerial,
    /// The SM3 thumbprint of the signing certificate.
    CertThumbprint,
}

/// Everything a key tells about who it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyIdentity {
    pub device_name: String,
    pub device_serial: String,
    pub device_label: String,
    /// Value of the `1.2.156.1.8888.148` extension, if the certificate has one.
    pub cert_unique_id: Option<String>,
    /// Value of the `1.2.156.10260.4.1.4` extension (unit code), if present.
    pub org_code: Option<String>,
    pub subject: String,
    pub issuer: String,
    pub cert_serial: String,
    /// Hex SM3 of the signing certificate's DER.
    pub cert_sm3: String,
    pub not_before: String,
    pub not_after: String,
}

impl KeyIdentity {
    pub fn new(device_name: &str, info: &DeviceInfo, cert: &Certificate) -> KeyIdentity {
        let ext = |oid: &str| {
            cert.extensions()
                .iter()
                .find(|(o, _, _)| o == oid)
                .map(|(_, _, v)| extension_text(v))
        };
        KeyIdentity {
            device_name: device_name.to_string(),
            device_serial: info.serial.clone(),
            device_label: info.label.clone(),
            cert_unique_id: ext(OID_CERT_UNIQUE_ID),
            org_code: ext(OID_ORG_CODE),
            subject: cert.subject_string(),
            issuer: cert.issuer_string(),
            cert_serial: cert.serial_hex(),
            cert_sm3: hex::encode(sm3(cert.der())),
            not_before: cert.not_before().to_iso(),
            not_after: cert.not_after().to_iso(),
        }
    }

    /// The whitelist identifier under a rule; `None` when the rule needs what the key lacks.
    pub fn key_uid(&self, rule: MatchRule) -> Option<String> {
        let serial = (!self.device_serial.is_empty()).then(|| self.device_serial.clone());
        match rule {
            MatchRule::CertUniqueIdElseSerial => self.cert_unique_id.clone().or(serial),
            MatchRule::DeviceSerial => serial,
            MatchRule::CertUniqueId => self.cert_unique_id.clone(),
            MatchRule::CertUniqueIdAndSerial => {
                Some(format!("{}/{}", self.cert_unique_id.as_ref()?, serial?))
            }
            MatchRule::CertThumbprint => Some(self.cert_sm3.clone()),
        }
    }

    /// Whether a stored whitelist identifier names this key.
    pub fn matches(&self, stored: &str, rule: MatchRule) -> bool {
        self.key_uid(rule).is_some_and(|u| u == stored)
    }
}

/// Text of an extension value: a DER string (UTF8String, PrintableString, IA5String,
/// OCTET STRING holding text) or, failing that, printable raw bytes; otherwise hex.
pub fn extension_text(v: &[u8]) -> String {
    if let Some((tag, body)) = der_tlv(v)
        && matches!(tag, 0x0C | 0x13 | 0x16 | 0x04 | 0x1A)
        && let Ok(s) = std::str::from_utf8(body)
        && !s.is_empty()
        && s.chars().all(|c| !c.is_control())
    {
        return s.to_string();
    }
    match std::str::from_utf8(v) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control()) => s.to_string(),
        _ => hex::encode(v),
    }
}

/// One DER TLV covering the whole input: (tag, contents).
fn der_tlv(v: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = v.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0..=0x7F => (l0 as usize, rest),
        0x81 => (*rest.first()? as usize, &rest[1..]),
        0x82 => (
            (usize::from(*rest.first()?) << 8) | usize::from(*rest.get(1)?),
            rest.get(2..)?,
        ),
        _ => return None,
    };
    (rest.len() == len).then_some((tag, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(uid: Option<&str>, serial: &str) -> KeyIdentity {
        KeyIdentity {
            device_name: "d".into(),
            device_serial: serial.into(),
            device_label: String::new(),
            cert_unique_id: uid.map(str::to_string),
            org_code: None,
            subject: String::new(),
            issuer: String::new(),
            cert_serial: "01".into(),
            cert_sm3: "ab".into(),
            not_before: String::new(),
            not_after: String::new(),
        }
    }

    #[test]
    fn extension_values_decode() {
        assert_eq!(extension_text(b"\x0c\x05SH001"), "SH001");
        assert_eq!(extension_text(b"\x13\x03ABC"), "ABC");
        assert_eq!(extension_text(b"plain"), "plain");
        assert_eq!(extension_text(&[0x30, 0x00]), "3000");
    }

    #[test]
    fn rules_pick_the_candidate() {
        let with = id(Some("U-148"), "SN9");
        let without = id(None, "SN9");
        assert_eq!(
            with.key_uid(MatchRule::CertUniqueIdElseSerial).as_deref(),
            Some("U-148")
        );
        assert_eq!(
            without
                .key_uid(MatchRule::CertUniqueIdElseSerial)
                .as_deref(),
            Some("SN9")
        );
        assert_eq!(without.key_uid(MatchRule::CertUniqueId), None);
        assert_eq!(
            with.key_uid(MatchRule::CertUniqueIdAndSerial).as_deref(),
            Some("U-148/SN9")
        );
        assert!(with.matches("SN9", MatchRule::DeviceSerial));
        assert!(!with.matches("SN9", MatchRule::CertUniqueId));
        assert!(!without.matches("U-148/SN9", MatchRule::CertUniqueIdAndSerial));
    }
}
