//! Certification paths (RFC 5280 §6, as far as eseal checks them): from a leaf through the
//! certificates the document carries and the caller gave, to an anchor of the trust store.

use super::TrustStore;
use crate::crypto::Certificate;
use crate::crypto::cert::KeyUsage;

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// A path to an anchor was found; every signature on it verifies and every issuer may
    /// issue. `warnings` lists tolerated defects (an issuer without keyCertSign, ...).
    Trusted {
        path: Vec<String>,
        warnings: Vec<String>,
    },
    /// The signatures verify as far as the path goes, but it ends at a certificate that is not
    /// a trust anchor (an unknown root).
    UnknownRoot { top: String },
    /// A signature on the path does not verify, or an issuer may not issue.
    Broken { at: String, why: String },
}

/// Builds and checks the path from `leaf` to an anchor of `store`, using `pool` (certificates
/// carried by the document) for intermediates. Validity periods are checked separately
/// ([`Certificate::valid_at`]) so that "valid when signed, expired now" can be told apart.
pub fn verify_chain(leaf: &Certificate, pool: &[Certificate], store: &TrustStore) -> ChainStatus {
    build_chain(leaf, pool, store).0
}

/// [`verify_chain`], with the certificates of the path found (leaf first; for a trusted
/// path, the anchor last): revocation is checked for each certificate and its issuer.
pub fn build_chain(
    leaf: &Certificate,
    pool: &[Certificate],
    store: &TrustStore,
) -> (ChainStatus, Vec<Certificate>) {
    let mut certs = vec![leaf.clone()];
    let status = walk(leaf, pool, store, &mut certs);
    (status, certs)
}

fn walk(
    leaf: &Certificate,
    pool: &[Certificate],
    store: &TrustStore,
    certs: &mut Vec<Certificate>,
) -> ChainStatus {
    let mut path = vec![leaf.subject_string()];
    let mut warnings = Vec::new();
    let mut current = leaf.clone();
    for _ in 0..8 {
        if store.contains(&current) {
            return ChainStatus::Trusted { path, warnings };
        }
        let candidates = store
            .anchors()
            .iter()
            .chain(pool.iter())
            .filter(|c| c.subject() == current.issuer() && c.der() != current.der());
        let mut found = None;
        let mut last_err = None;
        for c in candidates {
            match current.verify_issued_by(c) {
                Ok(()) => {
                    found = Some(c.clone());
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some(issuer) = found else {
            if let Some(e) = last_err {
                return ChainStatus::Broken {
                    at: current.subject_string(),
                    why: format!("the issuer's signature on it does not verify ({e})"),
                };
            }
            if current.is_self_issued() {
                return match current.verify_issued_by(&current) {
                    Ok(()) => ChainStatus::UnknownRoot {
                        top: current.subject_string(),
                    },
                    Err(e) => ChainStatus::Broken {
                        at: current.subject_string(),
                        why: format!("self-signature does not verify ({e})"),
                    },
                };
            }
            return ChainStatus::UnknownRoot {
                top: format!(
                    "{} (issuer {} not found)",
                    current.subject_string(),
                    current.issuer_string()
                ),
            };
        };
        if issuer.is_ca() == Some(false) {
            return ChainStatus::Broken {
                at: issuer.subject_string(),
                why: "issuer is not a CA (basicConstraints cA FALSE)".into(),
            };
        }
        if let Some(ku) = issuer.key_usage()
            && !ku.has(KeyUsage::KEY_CERT_SIGN)
        {
            warnings.push(format!(
                "issuer {} lacks keyCertSign in its keyUsage (RFC 5280 §4.2.1.3)",
                issuer.subject_string()
            ));
        }
        path.push(issuer.subject_string());
        certs.push(issuer.clone());
        if store.contains(&issuer) {
            return ChainStatus::Trusted { path, warnings };
        }
        current = issuer;
    }
    ChainStatus::Broken {
        at: current.subject_string(),
        why: "chain longer than 8 certificates".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testca::TestCa;

    #[test]
    fn chains_to_the_anchor_and_not_elsewhere() {
        let ca = TestCa::new("t").unwrap();
        let store = TrustStore::new().with(ca.root.cert.clone());
        assert!(matches!(
            verify_chain(&ca.unit.cert, &[], &store),
            ChainStatus::Trusted { .. }
        ));
        assert!(matches!(
            verify_chain(
                &ca.unit.cert,
                std::slice::from_ref(&ca.root.cert),
                &TrustStore::new()
            ),
            ChainStatus::UnknownRoot { .. }
        ));
        let other = TestCa::new("other").unwrap();
        // Same root name, other key: the signature does not verify.
        assert!(matches!(
            verify_chain(&ca.unit.cert, &[], &TrustStore::new().with(other.root.cert)),
            ChainStatus::Broken { .. }
        ));
    }
}
