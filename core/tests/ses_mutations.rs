//! Property tests: mutated, truncated and extended seals and signatures never panic the
//! parsers or the verifier, and a mutated signature never verifies as valid.

mod common;

use eseal::report::Verdict;
use eseal::ses::{self, DataCheck, Seal, SesSignature};
use eseal::validation::VerifyOptions;

use proptest::prelude::*;

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(common::vectors().join("ses").join(name)).unwrap()
}

fn trusted() -> VerifyOptions {
    let ca = eseal::crypto::testca::TestCa::new("eseal-vectors").unwrap();
    VerifyOptions {
        trust: eseal::validation::TrustStore::new().with(ca.root.cert),
        at: eseal::crypto::time::Time::from_ymd_hms(2027, 1, 1, 0, 0, 0).unwrap(),
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seals_never_panic(pos in 0usize..1310, byte in any::<u8>(), cut in 0usize..1400) {
        let mut b = golden("seal-v4.der");
        let p = pos % b.len();
        let changed = b[p] != byte;
        b[p] = byte;
        b.truncate(cut.max(1));
        let truncated = cut < 1310;
        let r = ses::verify_seal_bytes(&b, "m", &trusted());
        if changed || truncated {
            // Any changed byte breaks the structure, the maker signature (over SES_SealInfo),
            // or — in the maker certificate, which that signature does not cover — the
            // certificate's chain to the test root (an issuer name changed to an unknown one
            // is an unknown root: a warning, a failure under --strict).
            prop_assert_ne!(r.verdict(), Verdict::Valid);
        } else {
            prop_assert_eq!(r.verdict(), Verdict::Valid);
        }
        let _ = Seal::from_der(&b);
    }

    #[test]
    fn mutated_signatures_never_verify(pos in 0usize..1969, byte in any::<u8>()) {
        let mut b = golden("signature-v4.der");
        let p = pos % b.len();
        prop_assume!(b[p] != byte);
        b[p] = byte;
        let _ = SesSignature::from_der(&b);
        let r = ses::verify_signature(&b, DataCheck::Data(b"eseal golden vector: the protected data"), None, "m", &trusted());
        prop_assert_eq!(r.verdict(), Verdict::Invalid, "byte {} changed", p);
    }

    #[test]
    fn random_bytes_are_errors(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(Seal::from_der(&b).is_err() || b.first() == Some(&0x30));
        let _ = SesSignature::from_der(&b);
        let _ = eseal::crypto::Certificate::from_der(&b);
    }
}
