//! SM3 throughput, SM2 sign and verify, seal verification. Peers: `openssl speed` in the same
//! run (benches/compare.sh prints the ratios), and the RustCrypto `sm2` crate signing and
//! verifying the same digest (`sm2-crate/*`), the implementation eseal used before its own.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use eseal::crypto::sm2::{self, PrivateKey};
use eseal::crypto::sm3::sm3;
use eseal::crypto::testca::TestCa;
use eseal::ses::{self, DataCheck, SealBuilder};
use eseal::validation::VerifyOptions;
use std::hint::black_box;

fn sm3_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("sm3");
    for (name, size) in [("1KiB", 1024usize), ("1MiB", 1 << 20), ("30MiB", 30 << 20)] {
        let data = vec![0x5Au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            // long iterations: as many samples of equal length as fit, for a fair best sample
            g.sample_size(20).sampling_mode(SamplingMode::Flat);
        }
        g.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, d| {
            b.iter(|| sm3(black_box(d)))
        });
    }
    g.finish();
}

fn sm2_sign_verify(c: &mut Criterion) {
    let key = PrivateKey::from_seed(b"bench");
    let pk = key.public_key();
    let e = sm2::message_digest(&pk, sm2::DEFAULT_ID, b"message");
    let sig = key.sign_digest(&e).unwrap();
    let mut g = c.benchmark_group("sm2");
    g.bench_function("sign", |b| {
        b.iter(|| key.sign_digest(black_box(&e)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| sm2::verify_digest(&pk, black_box(&e), &sig).unwrap())
    });
    g.finish();

    // The same key, digest and signature through the sm2 crate alone, keys built once.
    use ::sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    let sk = ::sm2::dsa::SigningKey::from_slice("1234567812345678", &key.to_bytes()).unwrap();
    let vk = sk.verifying_key().clone();
    let crate_sig = ::sm2::dsa::Signature::from_scalars(sig.r, sig.s).unwrap();
    let mut g = c.benchmark_group("sm2-crate");
    g.bench_function("sign", |b| {
        b.iter(|| -> ::sm2::dsa::Signature { sk.sign_prehash(black_box(&e)).unwrap() })
    });
    g.bench_function("verify", |b| {
        b.iter(|| vk.verify_prehash(black_box(&e), &crate_sig).unwrap())
    });
    g.finish();
}

fn seal_verify(c: &mut Criterion) {
    let ca = TestCa::new("bench").unwrap();
    let png = include_bytes!("../../vectors/ses/picture-8x8.png").to_vec();
    let seal = SealBuilder::new("上海市测试局", "31000000001")
        .picture("PNG", png, 42, 42)
        .signer_cert(&ca.person.cert)
        .build(&ca.unit.signer())
        .unwrap();
    let hash = sm3(b"data");
    let sig = ses::sign(
        &seal,
        &ca.person.signer(),
        &hash,
        "/Doc_0/Signs/Sign_0/Signature.xml",
        eseal::crypto::time::Time::now(),
    )
    .unwrap();
    let opts = VerifyOptions::default();
    c.bench_function("ses/verify_signature", |b| {
        b.iter(|| {
            ses::verify_signature(
                black_box(sig.to_der()),
                DataCheck::Hash(&hash),
                None,
                "b",
                &opts,
            )
        })
    });
}

criterion_group!(benches, sm3_throughput, sm2_sign_verify, seal_verify);
criterion_main!(benches);
