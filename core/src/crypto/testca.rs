//! A small deterministic test CA: root → unit (seal maker), personal, server certificates.
//!
//! Used by tests, vectors and the demo only. Keys are derived from a seed, times are fixed
//! (valid 2025-01-01 .. 2045-01-01) so that everything made from it is reproducible.

use super::CryptoError;
use super::cert::{Certificate, DistinguishedName, KeyUsage, wrap};
use super::signer::SoftwareSigner;
use super::sm2::{self, PrivateKey};
use super::sm3::sm3;
use super::time::Time;
use crate::asn1::tag;

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// A CA certificate (keyCertSign, cRLSign).
    Ca,
    /// An end-entity signing certificate (digitalSignature, nonRepudiation).
    Signing,
    /// A TLS/server certificate (digitalSignature, keyEncipherment).
    Server,
    /// A time-stamping authority (digitalSignature, nonRepudiation; extended key usage
    /// id-kp-timeStamping only, critical: RFC 3161 §2.3).
    TimeStamping,
    /// A delegated OCSP responder (digitalSignature; extended key usage id-kp-OCSPSigning,
    /// RFC 6960 §4.2.2.2).
    OcspSigning,
}

/// One issued identity: key and certificate.
#[derive(Debug, Clone)]
pub struct Identity {
    pub key: PrivateKey,
    pub cert: Certificate,
}

impl Identity {
    pub fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::new(self.key.clone(), self.cert.clone())
            .expect("an identity's key matches its certificate")
    }
}

/// The test CA.
#[derive(Debug, Clone)]
pub struct TestCa {
    seed: String,
    /// The reference server's URL: certificates issued then carry a CRL distribution point
    /// `{url}/crl/root.crl` and an AIA OCSP responder `{url}/ocsp`.
    pointers: Option<String>,
    pub root: Identity,
    /// The unit certificate (单位证书) of the seal-making body: signs seals (制章者).
    pub unit: Identity,
    /// A person's signing certificate (个人证书): signs documents with a seal.
    pub person: Identity,
    /// A server certificate (服务器证书) for cloud seals held by the platform.
    pub server: Identity,
}

/// Validity of everything the test CA issues by default.
pub fn default_validity() -> (Time, Time) {
    (
        Time::from_ymd_hms(2025, 1, 1, 0, 0, 0).expect("date"),
        Time::from_ymd_hms(2045, 1, 1, 0, 0, 0).expect("date"),
    )
}

impl TestCa {
    /// A CA whose keys and certificates follow from `seed`.
    pub fn new(seed: &str) -> Result<Self, CryptoError> {
        let (nb, na) = default_validity();
        let root_key = PrivateKey::from_seed(format!("{seed}/root").as_bytes());
        let root_name = DistinguishedName::build(&[
            ("C", "CN"),
            ("O", "eseal 测试 CA"),
            ("CN", "eseal Test Root CA"),
        ])?;
        let root_cert = build_certificate(
            &root_name,
            &root_key,
            &root_name,
            &root_key.public_key(),
            1,
            nb,
            na,
            CertKind::Ca,
            None,
        )?;
        let root = Identity {
            key: root_key,
            cert: root_cert,
        };
        let mut ca = TestCa {
            seed: seed.to_owned(),
            pointers: None,
            unit: root.clone(),
            person: root.clone(),
            server: root.clone(),
            root,
        };
        ca.reissue()?;
        Ok(ca)
    }

    /// The same CA whose issued certificates (unit, person, server and later ones) point at
    /// `server_url` for their CRL (`/crl/root.crl`) and OCSP (`/ocsp`).
    pub fn with_revocation_pointers(seed: &str, server_url: &str) -> Result<Self, CryptoError> {
        let mut ca = Self::new(seed)?;
        ca.pointers = Some(server_url.to_owned());
        ca.reissue()?;
        Ok(ca)
    }

    fn reissue(&mut self) -> Result<(), CryptoError> {
        let (nb, na) = default_validity();
        self.unit = self.issue(
            "unit",
            &[
                ("C", "CN"),
                ("O", "上海市测试局"),
                ("OU", "办公室"),
                ("CN", "上海市测试局"),
            ],
            CertKind::Signing,
            nb,
            na,
        )?;
        self.person = self.issue(
            "person",
            &[("C", "CN"), ("O", "上海市测试局"), ("CN", "张三")],
            CertKind::Signing,
            nb,
            na,
        )?;
        self.server = self.issue(
            "server",
            &[("C", "CN"), ("O", "上海市测试局"), ("CN", "eseal.test")],
            CertKind::Server,
            nb,
            na,
        )?;
        Ok(())
    }

    /// A delegated OCSP responder's identity, `CN=eseal Test OCSP Responder`.
    pub fn ocsp_responder(&self) -> Result<Identity, CryptoError> {
        let (nb, na) = default_validity();
        self.issue(
            "ocsp",
            &[
                ("C", "CN"),
                ("O", "eseal 测试 CA"),
                ("CN", "eseal Test OCSP Responder"),
            ],
            CertKind::OcspSigning,
            nb,
            na,
        )
    }

    /// Issues a certificate under the root for a key derived from `name` and the CA's seed.
    pub fn issue(
        &self,
        name: &str,
        subject: &[(&str, &str)],
        kind: CertKind,
        not_before: Time,
        not_after: Time,
    ) -> Result<Identity, CryptoError> {
        let key = PrivateKey::from_seed(format!("{}/{name}", self.seed).as_bytes());
        let cert = self.issue_for_key(&key.public_key(), subject, kind, not_before, not_after)?;
        Ok(Identity { key, cert })
    }

    /// The time-stamping authority's identity (SM2), `CN=eseal Test TSA`.
    pub fn tsa(&self) -> Result<Identity, CryptoError> {
        let (nb, na) = default_validity();
        self.issue(
            "tsa",
            &[
                ("C", "CN"),
                ("O", "eseal 测试 CA"),
                ("CN", "eseal Test TSA"),
            ],
            CertKind::TimeStamping,
            nb,
            na,
        )
    }

    /// Issues a certificate for a public key held elsewhere (a UKey, a key vault).
    pub fn issue_for_key(
        &self,
        key: &sm2::PublicKey,
        subject: &[(&str, &str)],
        kind: CertKind,
        not_before: Time,
        not_after: Time,
    ) -> Result<Certificate, CryptoError> {
        let subject = DistinguishedName::build(subject)?;
        let serial = u64::from_be_bytes(
            sm3(&key.to_sec1_uncompressed())[..8]
                .try_into()
                .expect("8 bytes"),
        ) >> 1;
        build_certificate(
            self.root.cert.subject(),
            &self.root.key,
            &subject,
            key,
            serial,
            not_before,
            not_after,
            kind,
            self.pointers.as_deref(),
        )
    }
}

fn time_der(t: Time) -> Vec<u8> {
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after.
    if t.to_civil().0 < 2050 {
        t.to_der_utc()
    } else {
        t.to_der_generalized()
    }
}

#[allow(clippy::too_many_arguments)]
fn build_certificate(
    issuer: &DistinguishedName,
    issuer_key: &PrivateKey,
    subject: &DistinguishedName,
    subject_key: &sm2::PublicKey,
    serial: u64,
    not_before: Time,
    not_after: Time,
    kind: CertKind,
    pointers: Option<&str>,
) -> Result<Certificate, CryptoError> {
    let alg = wrap(
        tag::SEQUENCE,
        &[0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75],
    );
    let spki = der::Encode::to_der(&sm2::spki_for_point(&subject_key.to_sec1_uncompressed()))
        .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
    let mut serial_bytes = serial.to_be_bytes().to_vec();
    while serial_bytes.len() > 1 && serial_bytes[0] == 0 && serial_bytes[1] & 0x80 == 0 {
        serial_bytes.remove(0);
    }
    let ski = &sm3(&subject_key.to_sec1_uncompressed())[..20];
    let aki = &sm3(&issuer_key.public_key().to_sec1_uncompressed())[..20];
    let ext = |oid: &[u8], critical: bool, value: Vec<u8>| {
        let mut body = wrap(tag::OID, oid);
        if critical {
            body.extend([0x01, 0x01, 0xFF]);
        }
        body.extend(wrap(tag::OCTET_STRING, &value));
        wrap(tag::SEQUENCE, &body)
    };
    let (ku, bc) = match kind {
        CertKind::Ca => (
            KeyUsage(KeyUsage::KEY_CERT_SIGN | KeyUsage::CRL_SIGN),
            wrap(tag::SEQUENCE, &[0x01, 0x01, 0xFF]),
        ),
        CertKind::Signing | CertKind::TimeStamping | CertKind::OcspSigning => (
            KeyUsage(KeyUsage::DIGITAL_SIGNATURE | KeyUsage::NON_REPUDIATION),
            wrap(tag::SEQUENCE, &[]),
        ),
        CertKind::Server => (
            KeyUsage(KeyUsage::DIGITAL_SIGNATURE | KeyUsage::KEY_ENCIPHERMENT),
            wrap(tag::SEQUENCE, &[]),
        ),
    };
    let mut exts = Vec::new();
    exts.extend(ext(&[0x55, 0x1D, 0x13], true, bc));
    exts.extend(ext(&[0x55, 0x1D, 0x0F], true, ku.to_der()));
    exts.extend(ext(
        &[0x55, 0x1D, 0x0E],
        false,
        wrap(tag::OCTET_STRING, ski),
    ));
    exts.extend(ext(
        &[0x55, 0x1D, 0x23],
        false,
        wrap(tag::SEQUENCE, &wrap(tag::context_primitive(0), aki)),
    ));
    if kind == CertKind::TimeStamping {
        // extKeyUsage 2.5.29.37 = SEQUENCE { id-kp-timeStamping 1.3.6.1.5.5.7.3.8 }, critical.
        exts.extend(ext(
            &[0x55, 0x1D, 0x25],
            true,
            wrap(
                tag::SEQUENCE,
                &wrap(tag::OID, &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08]),
            ),
        ));
    }
    if kind == CertKind::OcspSigning {
        // extKeyUsage = SEQUENCE { id-kp-OCSPSigning 1.3.6.1.5.5.7.3.9 }.
        exts.extend(ext(
            &[0x55, 0x1D, 0x25],
            false,
            wrap(
                tag::SEQUENCE,
                &wrap(tag::OID, &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09]),
            ),
        ));
    }
    if let Some(url) = pointers
        && kind != CertKind::Ca
    {
        exts.extend(crate::revocation::fetch::pointer_extensions(url, "root"));
    }
    let mut tbs = Vec::new();
    tbs.extend(wrap(tag::context(0), &[0x02, 0x01, 0x02]));
    tbs.extend(wrap(tag::INTEGER, &serial_bytes));
    tbs.extend(&alg);
    tbs.extend(&issuer.der);
    tbs.extend(wrap(
        tag::SEQUENCE,
        &[time_der(not_before), time_der(not_after)].concat(),
    ));
    tbs.extend(&subject.der);
    tbs.extend(spki);
    tbs.extend(wrap(tag::context(3), &wrap(tag::SEQUENCE, &exts)));
    let tbs = wrap(tag::SEQUENCE, &tbs);
    let sig = issuer_key.sign(sm2::DEFAULT_ID, &tbs)?.to_der();
    let mut bits = vec![0u8];
    bits.extend(sig);
    let cert = wrap(
        tag::SEQUENCE,
        &[tbs, alg, wrap(tag::BIT_STRING, &bits)].concat(),
    );
    Certificate::from_der(&cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_fields() {
        let ca = TestCa::new("t").unwrap();
        assert_eq!(ca.person.cert.subject().get("CN"), Some("张三"));
        assert_eq!(
            ca.person.cert.issuer_string(),
            "C=CN, O=eseal 测试 CA, CN=eseal Test Root CA"
        );
        ca.person.cert.verify_issued_by(&ca.root.cert).unwrap();
        assert!(ca.person.cert.verify_issued_by(&ca.person.cert).is_err());
        assert_eq!(
            TestCa::new("t").unwrap().person.cert,
            ca.person.cert,
            "deterministic"
        );
        assert!(
            ca.root
                .cert
                .key_usage()
                .unwrap()
                .has(KeyUsage::KEY_CERT_SIGN)
        );
        assert_eq!(ca.root.cert.is_ca(), Some(true));
    }
}
