//! The published SM2 signature example on the recommended curve sm2p256v1 (the signature
//! procedure of GB/T 32918.2-2016 §6 with the example of GM/T 0003.5-2012 / GB/T 32918.5
//! Appendix A: ID "1234567812345678", message "message digest"), reproduced exactly: public
//! key, Z_A, e, and (r, s) from the published nonce k. The SM3 examples of GB/T 32905 are
//! unit tests in `crypto::sm3`.

use eseal::crypto::sm2::{self, PrivateKey, PublicKey, Signature};

const D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const XA: &str = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
const YA: &str = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const ID: &[u8] = b"1234567812345678";
const MSG: &[u8] = b"message digest";
const ZA: &str = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3";
const E: &str = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640";
const K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";
const R: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
const S: &str = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

fn b32(h: &str) -> [u8; 32] {
    hex::decode(h).unwrap().try_into().unwrap()
}

#[test]
fn gbt32918_2_example_public_key_z_and_e() {
    let key = PrivateKey::from_bytes(&b32(D)).unwrap();
    let pk = key.public_key();
    assert_eq!(pk, PublicKey::from_xy(&b32(XA), &b32(YA)).unwrap());
    assert_eq!(hex::encode_upper(sm2::z_value(&pk, ID)), ZA);
    assert_eq!(hex::encode_upper(sm2::message_digest(&pk, ID, MSG)), E);
}

#[test]
fn gbt32918_2_example_signature_verifies() {
    let pk = PublicKey::from_xy(&b32(XA), &b32(YA)).unwrap();
    let sig = Signature {
        r: b32(R),
        s: b32(S),
    };
    sm2::verify(&pk, ID, MSG, &sig).unwrap();
    assert!(
        sm2::verify(&pk, b"ALICE123@YAHOO.COM", MSG, &sig).is_err(),
        "another signer ID gives another Z"
    );
    let mut bad = sig;
    bad.s[31] ^= 1;
    assert!(sm2::verify(&pk, ID, MSG, &bad).is_err());
}

/// Signing steps A3–A7 of GB/T 32918.2 §6.1 with the published k give the published (r, s).
#[test]
fn gbt32918_2_example_signature_reproduces_with_published_k() {
    use ::sm2::elliptic_curve::{ff::PrimeField, point::AffineCoordinates};
    use ::sm2::{ProjectivePoint, Scalar};
    let scalar = |h: &str| Option::<Scalar>::from(Scalar::from_repr(b32(h).into())).unwrap();
    let (d, k, e) = (scalar(D), scalar(K), scalar(E));
    let x1 = (ProjectivePoint::GENERATOR * k).to_affine().x();
    let x1 = Option::<Scalar>::from(Scalar::from_repr(x1)).unwrap();
    let r = e + x1; // A5: r = (e + x1) mod n
    let s = Option::<Scalar>::from((Scalar::ONE + d).invert()).unwrap() * (k - r * d); // A6
    assert_eq!(hex::encode_upper(r.to_repr()), R);
    assert_eq!(hex::encode_upper(s.to_repr()), S);
}
