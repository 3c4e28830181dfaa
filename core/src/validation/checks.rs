//! The checks of one certificate: validity at the signing time and at the verification time,
//! the chain to a trust anchor, key usage.

use super::{ChainStatus, VerifyOptions, build_chain};
use crate::crypto::Certificate;
use crate::crypto::cert::KeyUsage;
use crate::crypto::time::Time;
use crate::report::{Check, CheckKind as K};

/// Checks of a certificate used at `signed_at` (the signing time, when known): validity then
/// and at `opts.at`, chain to the trust store (through `pool`, the certificates the document
/// carries, and `opts.extra_certs`), key usage.
///
/// Trust is decided here: a chain to an anchor passes; a chain that ends at a certificate
/// that is no anchor, or no anchors at all, is [`crate::report::Status::Untrusted`]; a chain
/// whose signatures do not verify fails.
pub fn certificate_checks(
    cert: &Certificate,
    role: &str,
    role_zh: &str,
    signed_at: Option<Time>,
    pool: &[Certificate],
    opts: &VerifyOptions,
    out: &mut Vec<Check>,
) {
    let subject = format!("{role} certificate ({})", cert.subject_string());
    let period = format!(
        "{} .. {}",
        cert.not_before().to_iso(),
        cert.not_after().to_iso()
    );
    let valid_when_signed = signed_at.map(|t| cert.valid_at(t));
    if let Some(at) = signed_at {
        if cert.valid_at(at) {
            out.push(Check::passed(
                K::CertificateValidity,
                &subject,
                format!("valid at {} ({period})", at.to_iso()),
                format!("{role_zh}证书在签署时间有效"),
            ));
        } else {
            out.push(Check::failed(
                K::CertificateValidity,
                &subject,
                format!("not valid at {}: valid {period}", at.to_iso()),
                format!(
                    "{role_zh}证书在签署时间 {} 无效（有效期 {period}）",
                    at.to_iso()
                ),
            ));
        }
    }
    let now = opts.at;
    if cert.valid_at(now) {
        out.push(Check::passed(
            K::CertificateValidityNow,
            &subject,
            format!("valid now ({})", now.to_iso()),
            format!("{role_zh}证书当前有效"),
        ));
    } else {
        // "Valid when signed" only when it was (a certificate not valid at the signing time
        // has failed above; the warning does not contradict it).
        let (en, zh) = match (now > cert.not_after(), valid_when_signed) {
            (true, Some(true)) => (
                format!(
                    "valid when signed, expired now (not after {})",
                    cert.not_after().to_iso()
                ),
                format!(
                    "{role_zh}证书签署时有效，现已过期（截止 {}）",
                    cert.not_after().to_iso()
                ),
            ),
            (true, _) => (
                format!("expired now (not after {})", cert.not_after().to_iso()),
                format!(
                    "{role_zh}证书现已过期（截止 {}）",
                    cert.not_after().to_iso()
                ),
            ),
            (false, _) => (
                format!("not yet valid now ({period})"),
                format!("{role_zh}证书尚未生效（有效期 {period}）"),
            ),
        };
        out.push(Check::warning(K::CertificateValidityNow, &subject, en, zh));
    }
    let mut full_pool: Vec<Certificate> = pool.to_vec();
    full_pool.extend(opts.extra_certs.iter().cloned());
    let (status, chain) = build_chain(cert, &full_pool, &opts.trust);
    match status {
        ChainStatus::Trusted { path, warnings } => {
            out.push(Check::passed(
                K::CertificateChain,
                &subject,
                format!("chains to a trust anchor: {}", path.join(" ← ")),
                "证书链可信",
            ));
            for w in warnings {
                out.push(Check::warning(
                    K::CertificateChain,
                    &subject,
                    w.clone(),
                    format!("证书链不规范：{w}"),
                ));
            }
            // RFC 5280 §6.3: revocation at the signing time (the timestamp's, when verified).
            crate::revocation::revocation_checks(
                &chain,
                signed_at.unwrap_or(opts.at),
                role,
                role_zh,
                pool,
                opts,
                out,
            );
        }
        ChainStatus::UnknownRoot { .. } if opts.trust.is_empty() => {
            out.push(Check::untrusted(
                K::CertificateChain,
                &subject,
                "no trust anchors configured (--trust, trust directory): the signer's identity is not confirmed",
                "未配置信任根（--trust 或信任目录），签章人身份未经确认",
            ))
        }
        ChainStatus::UnknownRoot { top } => out.push(Check::untrusted(
            K::CertificateChain,
            &subject,
            format!("unknown root: the chain ends at {top}, which is not a trust anchor"),
            format!("未知根证书：证书链止于 {top}，不是信任根"),
        )),
        ChainStatus::Broken { at, why } => out.push(Check::failed(
            K::CertificateChain,
            &subject,
            format!("chain broken at {at}: {why}"),
            format!("证书链断裂（{at}）：{why}"),
        )),
    }
    if let Some(ku) = cert.key_usage() {
        if ku.has(KeyUsage::DIGITAL_SIGNATURE) || ku.has(KeyUsage::NON_REPUDIATION) {
            out.push(Check::passed(
                K::KeyUsage,
                &subject,
                format!("key usage {}", ku.names().join(", ")),
                "密钥用法允许签名",
            ));
        } else {
            out.push(Check::failed(
                K::KeyUsage,
                &subject,
                format!(
                    "key usage ({}) allows neither digitalSignature nor nonRepudiation",
                    ku.names().join(", ")
                ),
                "密钥用法不允许签名",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testca::TestCa;
    use crate::report::Status;
    use crate::validation::TrustStore;

    fn chain_status(opts: &VerifyOptions, signed_at: Option<Time>) -> Vec<Check> {
        let ca = TestCa::new("checks").unwrap();
        let mut out = Vec::new();
        certificate_checks(
            &ca.unit.cert,
            "signer",
            "签名者",
            signed_at,
            &[],
            opts,
            &mut out,
        );
        out
    }

    #[test]
    fn trust_is_decided_by_the_anchors() {
        let ca = TestCa::new("checks").unwrap();
        let chain = |c: &[Check]| {
            c.iter()
                .find(|c| c.check == K::CertificateChain)
                .unwrap()
                .status
        };
        let trusted = VerifyOptions::trusting(TrustStore::new().with(ca.root.cert.clone()));
        assert_eq!(chain(&chain_status(&trusted, None)), Status::Passed);
        assert_eq!(
            chain(&chain_status(&VerifyOptions::default(), None)),
            Status::Untrusted
        );
        let attacker = TestCa::new("attacker").unwrap();
        let elsewhere = VerifyOptions::trusting(TrustStore::new().with(attacker.unit.cert.clone()));
        assert_eq!(chain(&chain_status(&elsewhere, None)), Status::Untrusted);
    }

    #[test]
    fn expired_now_says_valid_when_signed_only_when_it_was() {
        let ca = TestCa::new("checks").unwrap();
        let c = &ca.unit.cert;
        let after = Time::from_unix(c.not_after().unix() + 86_400);
        let opts = VerifyOptions {
            at: after,
            ..Default::default()
        };
        let now_check = |v: &[Check]| {
            v.iter()
                .find(|c| c.check == K::CertificateValidityNow)
                .unwrap()
                .message
                .clone()
        };
        let inside = Time::from_unix(c.not_before().unix() + 60);
        assert!(now_check(&chain_status(&opts, Some(inside))).starts_with("valid when signed"));
        let before = Time::from_unix(c.not_before().unix() - 86_400);
        let v = chain_status(&opts, Some(before));
        assert!(now_check(&v).starts_with("expired now"), "{v:?}");
        assert!(
            v.iter()
                .any(|c| c.check == K::CertificateValidity && c.status == Status::Failed)
        );
    }
}
