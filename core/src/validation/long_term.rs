//! Long-term validation as of a later time (ETSI EN 319 102-1 §5.6.2.4 past signature
//! validation, as far as eseal goes), for both formats: a certificate no longer valid at the
//! validation time is accepted when a chain of time stamps proves that the signature and its
//! validation data existed while it was valid. The PDF document timestamps over the DSS
//! (PAdES-LTA) and the OFD evidence file's archive time stamps are such chains; each format
//! finds its proof, and these functions say what it means for the report.

use crate::crypto::time::Time;
use crate::report::{Check, CheckKind as K, Status};

/// The checks say a certificate is not valid at the validation time ("expired now").
pub fn expired(checks: &[Check]) -> bool {
    checks
        .iter()
        .any(|c| c.check == K::CertificateValidityNow && c.status != Status::Passed)
}

/// A check failed.
pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Failed)
}

/// Settles the "expired now" warnings of `checks`: proven valid at `t` by `by`.
pub fn settle(checks: &mut [Check], t: Time, by: &str) {
    for c in checks {
        if c.check == K::CertificateValidityNow && c.status == Status::Warning {
            c.status = Status::Passed;
            c.message = format!(
                "{}; valid at {}, the time of {by}, which the later time stamps prove (long-term validation)",
                c.message,
                t.to_iso()
            );
            c.message_zh = format!(
                "{}；{by} 证明其在 {} 时有效（长期验证）",
                c.message_zh,
                t.to_iso()
            );
        }
    }
}

/// The "expired now" warnings of `checks` say `why` nothing proves the signature existed while
/// the certificate was valid, when the validation time was asked for (`--at`,
/// [`super::VerifyOptions::long_term`]). They stay warnings ("valid when signed, expired
/// now"), failures under `--strict`.
pub fn unproven(checks: &mut [Check], why: &str) {
    for c in checks {
        if c.check == K::CertificateValidityNow && c.status == Status::Warning {
            c.message = format!("{}; {why}", c.message);
            c.message_zh = format!("{}；无长期验证证据", c.message_zh);
        }
    }
}
