//! Revocation checks of a certification path, as report checks.

use super::{Revocation, RevocationStatus, fetch, status_at};
use crate::crypto::Certificate;
use crate::crypto::time::Time;
use crate::report::{Check, CheckKind as K};
use crate::validation::VerifyOptions;

fn reason_text(r: &Revocation) -> String {
    r.reason
        .map_or_else(|| "no reason given".to_owned(), |r| r.name())
}

/// Checks each certificate of `chain` (leaf first, anchor last: the anchor itself is not
/// checked) against its issuer at `at`, the signing time. `role` names the leaf in the report
/// (`signer certificate (...)`); `pool` holds the document's certificates (delegated CRL
/// signers and OCSP responders may be among them).
pub fn revocation_checks(
    chain: &[Certificate],
    at: Time,
    role: &str,
    role_zh: &str,
    pool: &[Certificate],
    opts: &VerifyOptions,
    out: &mut Vec<Check>,
) {
    let mut full_pool: Vec<Certificate> = pool.to_vec();
    full_pool.extend(opts.extra_certs.iter().cloned());
    for (i, pair) in chain.windows(2).enumerate() {
        let (cert, issuer) = (&pair[0], &pair[1]);
        let subject = if i == 0 {
            format!("{role} certificate ({})", cert.subject_string())
        } else {
            format!("CA certificate ({})", cert.subject_string())
        };
        let mut status = status_at(cert, issuer, at, &opts.revocation, &full_pool);
        let mut fetch_errors = Vec::new();
        if opts.online && matches!(status, RevocationStatus::NoInformation { .. }) {
            let (found, errors) = fetch::fetch_for(cert, issuer);
            fetch_errors = errors;
            if !found.is_empty() {
                let mut all = opts.revocation.clone();
                all.extend(&found);
                status = status_at(cert, issuer, at, &all, &full_pool);
            }
        }
        let serial = cert.serial_hex();
        match status {
            RevocationStatus::RevokedBefore(r) => out.push(Check::failed(
                K::Revocation,
                &subject,
                format!(
                    "revoked on {} ({}), before the signing time {} (serial {serial}; {})",
                    r.date.to_iso(),
                    reason_text(&r),
                    at.to_iso(),
                    r.source
                ),
                format!(
                    "{role_zh}证书已于 {} 吊销（{}），早于签署时间 {}",
                    r.date.to_iso(),
                    reason_text(&r),
                    at.to_iso()
                ),
            )),
            RevocationStatus::Good {
                source,
                later: Some(r),
            } => out.push(Check::passed(
                K::Revocation,
                &subject,
                format!(
                    "not revoked at the signing time {}; revoked later, on {} ({}) ({source})",
                    at.to_iso(),
                    r.date.to_iso(),
                    reason_text(&r)
                ),
                format!(
                    "{role_zh}证书在签署时间未吊销；其后于 {} 吊销（{}）",
                    r.date.to_iso(),
                    reason_text(&r)
                ),
            )),
            RevocationStatus::Good {
                source,
                later: None,
            } => out.push(Check::passed(
                K::Revocation,
                &subject,
                format!("not revoked at {} ({source})", at.to_iso()),
                format!("{role_zh}证书未吊销"),
            )),
            RevocationStatus::NoInformation { rejected, .. } if !rejected.is_empty() => {
                out.push(Check::failed(
                    K::Revocation,
                    &subject,
                    format!(
                        "revocation information given for its issuer does not verify: {}",
                        rejected.join("; ")
                    ),
                    format!("{role_zh}证书的吊销信息（CRL/OCSP）验证失败"),
                ))
            }
            RevocationStatus::NoInformation { notes, .. } => {
                if !opts.warn_without_revocation && notes.is_empty() && fetch_errors.is_empty() {
                    continue;
                }
                let mut why: Vec<String> = notes;
                why.extend(fetch_errors);
                let why = if why.is_empty() {
                    if opts.online {
                        "no CRL or OCSP response given, and the certificate names no reachable CRL distribution point or OCSP responder".to_owned()
                    } else {
                        "no CRL or OCSP response given (--crl, --ocsp, --online)".to_owned()
                    }
                } else {
                    why.join("; ")
                };
                out.push(Check::warning(
                    K::Revocation,
                    &subject,
                    format!(
                        "no revocation information for serial {serial} at {}: {why}",
                        at.to_iso()
                    ),
                    format!("{role_zh}证书无吊销信息，未能确认签署时未被吊销"),
                ));
            }
        }
    }
}
