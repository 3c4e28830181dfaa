//! Property tests for the PDF side of the verifier: arbitrary damage to a signed file never
//! panics and never verifies as valid; arbitrary bytes never panic.

use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::pdf::{self, Credential, Placement, SignRequest, Sm2CmsOids};
use eseal::report::Verdict;
use eseal::validation::VerifyOptions;
use proptest::prelude::*;
use std::sync::OnceLock;

fn plain_pdf() -> Vec<u8> {
    let body = "0 0 1 rg 10 10 50 50 re f";
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{body}\nendstream", body.len()),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offs = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let x = out.len();
    out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f\r\n");
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n").as_bytes(),
    );
    out
}

fn fixture() -> &'static (Vec<u8>, VerifyOptions) {
    static F: OnceLock<(Vec<u8>, VerifyOptions)> = OnceLock::new();
    F.get_or_init(|| {
        let ca = TestCa::new("pdf-prop").unwrap();
        let signer = ca.person.signer();
        let req = SignRequest::new(
            Credential::Sm2Cms {
                signer: &signer,
                oids: Sm2CmsOids::Pkcs7,
            },
            Placement::Invisible,
            Time::from_ymd_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        );
        let signed = pdf::sign(&plain_pdf(), &[req]).unwrap();
        let opts = VerifyOptions {
            trust: eseal::validation::TrustStore::new().with(ca.root.cert.clone()),
            ..Default::default()
        };
        assert_eq!(
            pdf::verify(&signed, "p", &opts).unwrap().verdict(),
            Verdict::Valid
        );
        (signed, opts)
    })
}

/// The signed ranges: every byte but the /Contents hex string.
fn in_signed_range(pdf: &[u8], i: usize) -> bool {
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("/ByteRange [").unwrap_or(0);
    let nums: Vec<usize> = text[at + 12..]
        .split(']')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    nums.len() == 4 && (i < nums[1] || i >= nums[2])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn damaged_signed_files_never_verify(pos in 0usize..100_000, byte in any::<u8>(), cut in 0usize..64) {
        let (signed, opts) = fixture();
        let mut bad = signed.clone();
        let i = pos % bad.len();
        prop_assume!(bad[i] != byte && in_signed_range(signed, i));
        bad[i] = byte;
        let end = bad.len() - cut;
        // Err: unusable input (e.g. the %PDF- header hit), exit 2 — never valid either.
        if let Ok(r) = pdf::verify(&bad[..end], "bad", opts) {
            prop_assert_ne!(r.verdict(), Verdict::Valid);
        }
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.extend_from_slice(&data);
        let r = pdf::verify(&v, "junk", &VerifyOptions::default()).unwrap();
        prop_assert_ne!(r.verdict(), Verdict::Valid);
    }

    #[test]
    fn spliced_signature_dictionaries_do_not_panic(at in 0usize..4000, len in 0usize..400) {
        // Cut a window out of the signed file: offsets, xref and ByteRange all go wrong.
        let (signed, opts) = fixture();
        let a = at % signed.len();
        let b = (a + len).min(signed.len());
        prop_assume!(b > a);
        let mut v = signed[..a].to_vec();
        v.extend_from_slice(&signed[b..]);
        // Err: unusable input (the cut took the %PDF- header), exit 2 — never valid either.
        if let Ok(r) = pdf::verify(&v, "spliced", opts) {
            prop_assert_ne!(r.verdict(), Verdict::Valid);
        }
    }
}
