//! Point arithmetic on sm2p256v1 (GB/T 32918.5-2017) for SM2 signing and verification.
//!
//! Over the field arithmetic of [`super::field`], the group law in Jacobian coordinates and
//! the two scalar multiplications SM2 needs:
//!
//! - `[k]G` when signing (GB/T 32918.2 §6.1 A4) and deriving a public key: a fixed-base comb
//!   over a precomputed table of affine multiples of G, **constant time** — 37 windows of 7
//!   bits in signed (Booth) form, one table entry chosen per window by scanning all 64 entries
//!   with constant-time selection, one mixed addition per window, no doubling, no branch or
//!   memory index that depends on the scalar.
//! - `[s]G + [t]P_A` when verifying (§7.1 B6): variable time (everything is public): a
//!   width-5 NAF of t over odd multiples of P_A, and the same comb table for `[s]G`.
//!
//! Formulas (Jacobian, x = X/Z², y = Y/Z³, Z = 0 the point at infinity, a = -3):
//! `dbl-2001-b`, `madd-2007-bl` and `add-2007-bl` of the Explicit-Formulas Database.

use super::field::Fe;
use ::sm2::elliptic_curve::Curve;
use ::sm2::elliptic_curve::ff::PrimeField;
use ::sm2::elliptic_curve::ops::Reduce;
use ::sm2::{Scalar, Sm2, U256};
use std::sync::LazyLock;

/// Curve coefficient b of sm2p256v1 (GB/T 32918.5 §3):
/// 28E9FA9E 9D9F5E34 4D5A9E4B CF6509A7 F39789F5 15AB8F92 DDBCBD41 4D940E93.
const B: Fe = Fe::from_canonical_limbs([
    0xddbc_bd41_4d94_0e93,
    0xf397_89f5_15ab_8f92,
    0x4d5a_9e4b_cf65_09a7,
    0x28e9_fa9e_9d9f_5e34,
]);
/// The base point G = (xG, yG) of sm2p256v1 (GB/T 32918.5 §3).
const G: Affine = Affine {
    x: Fe::from_canonical_limbs([
        0x715a_4589_334c_74c7,
        0x8fe3_0bbf_f266_0be1,
        0x5f99_0446_6a39_c994,
        0x32c4_ae2c_1f19_8119,
    ]),
    y: Fe::from_canonical_limbs([
        0x02df_32e5_2139_f0a0,
        0xd0a9_877c_c62a_4740,
        0x59bd_cee3_6b69_2153,
        0xbc37_36a2_f4f6_779c,
    ]),
};

/// Bits per comb window and the number of windows covering a 256-bit scalar plus the carry of
/// the signed recoding (37 · 7 = 259 ≥ 257).
const W: usize = 7;
const WINDOWS: usize = 37;
/// Entries per window: |digit| ∈ 1..=64 (digit 0 is the point at infinity, not stored).
const ENTRIES: usize = 1 << (W - 1);

/// A finite point in affine coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine {
    pub x: Fe,
    pub y: Fe,
}

impl Affine {
    pub(crate) fn generator() -> Self {
        G
    }

    /// From the big-endian coordinates; `None` unless both are below p and (x, y) lies on
    /// the curve, y² = x³ - 3x + b (GB/T 32918.1 §6.2.1 b–c; the cofactor is 1, so d holds).
    pub(crate) fn from_xy(x: &[u8; 32], y: &[u8; 32]) -> Option<Self> {
        let x = Fe::from_bytes(x)?;
        let y = Fe::from_bytes(y)?;
        let p = Affine { x, y };
        p.is_on_curve().then_some(p)
    }

    fn is_on_curve(&self) -> bool {
        let three = Fe::ONE.double() + Fe::ONE;
        let rhs = (self.x.square() - three) * self.x + B;
        self.y.square() == rhs
    }

    /// `x ‖ y`, each 32 bytes big-endian.
    pub(crate) fn to_xy(self) -> ([u8; 32], [u8; 32]) {
        (self.x.to_bytes(), self.y.to_bytes())
    }

    fn neg(&self) -> Self {
        Affine {
            x: self.x,
            y: -self.y,
        }
    }
}

/// All ones when a = b, else 0, by arithmetic (no comparison the compiler could turn into a
/// branch): x | -x has its top bit set exactly when x ≠ 0.
#[inline(always)]
fn eq_mask(a: u32, b: u32) -> u64 {
    let x = u64::from(a ^ b);
    ((x | x.wrapping_neg()) >> 63).wrapping_sub(1)
}

/// A point in Jacobian coordinates; Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl From<&Affine> for Jacobian {
    fn from(p: &Affine) -> Self {
        Jacobian {
            x: p.x,
            y: p.y,
            z: Fe::ONE,
        }
    }
}

impl Jacobian {
    pub(crate) const INFINITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    /// `b` where `mask` is all ones, `a` where it is 0.
    fn select(a: &Self, b: &Self, mask: u64) -> Self {
        Jacobian {
            x: Fe::select(&a.x, &b.x, mask),
            y: Fe::select(&a.y, &b.y, mask),
            z: Fe::select(&a.z, &b.z, mask),
        }
    }

    pub(crate) fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// 2P, `dbl-2001-b` for a = -3 (3M + 5S). Exception-free: the curve has prime order, so
    /// no point has y = 0, and the point at infinity (Z = 0) doubles to Z = 0.
    pub(crate) fn double(&self) -> Jacobian {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x * gamma;
        let t = (self.x - delta) * (self.x + delta);
        let alpha = t.double() + t;
        let beta4 = beta.double().double();
        let x3 = alpha.square() - beta4.double();
        let z3 = (self.y + self.z).square() - gamma - delta;
        let gamma2 = gamma.square();
        let y3 = alpha * (beta4 - x3) - gamma2.double().double().double();
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q for affine Q, `madd-2007-bl` (7M + 4S), constant time. Only valid when P is
    /// finite and P ≠ ±Q; the caller rules both out (see [`mul_base`]).
    fn add_affine_unchecked(&self, q: &Affine) -> Jacobian {
        let z1z1 = self.z.square();
        let u2 = q.x * z1z1;
        let s2 = q.y * self.z * z1z1;
        let h = u2 - self.x;
        let hh = h.square();
        let i = hh.double().double();
        let j = h * i;
        let r = (s2 - self.y).double();
        let v = self.x * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (self.y * j).double();
        let z3 = (self.z + h).square() - z1z1 - hh;
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q for affine Q, every case (variable time: for public points only).
    fn add_affine_vartime(&self, q: &Affine) -> Jacobian {
        if self.is_infinity() {
            return Jacobian::from(q);
        }
        let z1z1 = self.z.square();
        let u2 = q.x * z1z1;
        let s2 = q.y * self.z * z1z1;
        let h = u2 - self.x;
        if h.is_zero() {
            return if (s2 - self.y).is_zero() {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        self.add_affine_unchecked(q)
    }

    /// P + Q, `add-2007-bl` (11M + 5S), every case (variable time: for public points only).
    fn add_vartime(&self, q: &Jacobian) -> Jacobian {
        if self.is_infinity() {
            return *q;
        }
        if q.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x * z2z2;
        let u2 = q.x * z1z1;
        let s1 = self.y * q.z * z2z2;
        let s2 = q.y * self.z * z1z1;
        let h = u2 - u1;
        let r = (s2 - s1).double();
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let i = h.double().square();
        let j = h * i;
        let v = u1 * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (s1 * j).double();
        let z3 = ((self.z + q.z).square() - z1z1 - z2z2) * h;
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    fn neg(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: -self.y,
            z: self.z,
        }
    }

    /// The affine point, `None` for the point at infinity. Constant time in the coordinates
    /// (Fermat inversion); whether the point is infinity is not hidden.
    pub(crate) fn to_affine(self) -> Option<Affine> {
        if self.is_infinity() {
            return None;
        }
        let zinv = self.z.invert();
        let zinv2 = zinv.square();
        Some(Affine {
            x: self.x * zinv2,
            y: self.y * zinv2 * zinv,
        })
    }

    /// Whether the affine x of this point, reduced modulo n, equals `want` — GB/T 32918.2
    /// §7.1 B7 (R = (e' + x1') mod n = r') without an inversion: x1 = X/Z² ∈ [0, p) and
    /// p < 2n, so x1 ≡ want (mod n) means x1 = want, or x1 = want + n when that is below p;
    /// each is checked as X = x1·Z².
    pub(crate) fn x_reduced_equals_vartime(&self, want: &Scalar) -> bool {
        if self.is_infinity() {
            return false;
        }
        let zz = self.z.square();
        let want_bytes: [u8; 32] = want.to_repr().into();
        // `want` < n < p: a canonical field element.
        let Some(c) = Fe::from_bytes(&want_bytes) else {
            return false;
        };
        if self.x == c * zz {
            return true;
        }
        // want + n < p ⇔ want < p - n (big-endian byte strings compare as integers)
        want_bytes < P_MINUS_N && self.x == (c + N_AS_FE) * zz
    }
}

/// p - n, big-endian.
const P_MINUS_N: [u8; 32] = {
    let mut b = [0u8; 32];
    let v: u128 = 0x8dfc_2093_de39_fad5_ac44_0bf6_c62a_bedc;
    let be = v.to_be_bytes();
    let mut i = 0;
    while i < 16 {
        b[16 + i] = be[i];
        i += 1;
    }
    b
};
/// The group order n as a field element (n < p).
const N_AS_FE: Fe = Fe::from_canonical_limbs([
    0x53bb_f409_39d5_4123,
    0x7203_df6b_21c6_052b,
    0xffff_ffff_ffff_ffff,
    0xffff_fffe_ffff_ffff,
]);

/// Little-endian 64-bit words of a scalar's canonical value.
fn scalar_words(k: &Scalar) -> [u64; 4] {
    let be = k.to_repr();
    let mut w = [0u64; 4];
    for (i, word) in w.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&be[32 - 8 * (i + 1)..32 - 8 * i]);
        *word = u64::from_be_bytes(b);
    }
    w
}

/// `len` (≤ 8) bits of `k` from bit `pos` (bits past 255 read as 0).
fn bits(k: &[u64; 4], pos: usize, len: usize) -> u32 {
    let word = pos / 64;
    let shift = pos % 64;
    if word >= 4 {
        return 0;
    }
    let mut v = k[word] >> shift;
    if shift + len > 64 && word + 1 < 4 {
        v |= k[word + 1] << (64 - shift);
    }
    (v & ((1 << len) - 1)) as u32
}

/// Signed 7-bit digits d_i ∈ [-64, 64] with k = Σ d_i·2^(7i) (signed-window
/// recoding), computed without branches on the scalar.
fn comb_digits(k: &Scalar) -> [i32; WINDOWS] {
    let words = scalar_words(k);
    let mut digits = [0i32; WINDOWS];
    let mut carry = 0u32;
    for (i, d) in digits.iter_mut().enumerate() {
        let w = bits(&words, W * i, W) + carry; // 0..=128
        carry = (w + (1 << (W - 1))) >> W; // 1 when w ≥ 64
        *d = w as i32 - ((carry << W) as i32);
    }
    digits
}

/// An affine point as the Montgomery limbs of x then y.
type PointLimbs = [u64; 8];

impl Affine {
    fn to_limbs(self) -> PointLimbs {
        let mut out = [0; 8];
        out[..4].copy_from_slice(&self.x.0);
        out[4..].copy_from_slice(&self.y.0);
        out
    }

    fn from_limbs(l: &PointLimbs) -> Self {
        let (x, y) = l.split_at(4);
        let mut p = Affine {
            x: Fe::ZERO,
            y: Fe::ZERO,
        };
        p.x.0.copy_from_slice(x);
        p.y.0.copy_from_slice(y);
        p
    }
}

/// table[i][j] = (j + 1)·2^(7i)·G, affine, as limbs.
struct CombTable(Vec<[PointLimbs; ENTRIES]>);

static COMB: LazyLock<CombTable> = LazyLock::new(CombTable::compute);

impl CombTable {
    fn compute() -> CombTable {
        let mut rows = Vec::with_capacity(WINDOWS);
        let mut base = Jacobian::from(&Affine::generator());
        for _ in 0..WINDOWS {
            let mut row = [Jacobian::INFINITY; ENTRIES];
            row[0] = base;
            for j in 1..ENTRIES {
                row[j] = row[j - 1].add_vartime(&base);
            }
            // next base = 2^7 · base = 2 · (64 · base)
            base = row[ENTRIES - 1].double();
            rows.push(batch_to_affine(&row).map(Affine::to_limbs));
        }
        CombTable(rows)
    }

    /// d·2^(7i)·G for |d| ≤ 64 in constant time; the mask is all ones when d = 0 (the point
    /// at infinity, for which the returned point is meaningless).
    fn select(&self, i: usize, d: i32) -> (Affine, u64) {
        let neg = (d >> 31) & 1; // 1 when d < 0
        // (hidden from the optimiser, so it cannot specialise the scan on the digit)
        let abs = std::hint::black_box(((d ^ -neg) + neg) as u32);
        // Every entry is read; the wanted one is kept by masking.
        let mut acc: PointLimbs = [0; 8];
        for (j, entry) in self.0[i].iter().enumerate() {
            let mask = eq_mask(abs, j as u32 + 1);
            for (a, e) in acc.iter_mut().zip(entry) {
                *a |= e & mask;
            }
        }
        let p = Affine::from_limbs(&acc);
        let y = Fe::select(&p.y, &-p.y, eq_mask(neg as u32, 1));
        (Affine { x: p.x, y }, eq_mask(abs, 0))
    }

    fn get_vartime(&self, i: usize, d: i32) -> Affine {
        let p = Affine::from_limbs(&self.0[i][(d.unsigned_abs() - 1) as usize]);
        if d < 0 { p.neg() } else { p }
    }
}

/// Affine forms of finite Jacobian points with one inversion (Montgomery's trick).
fn batch_to_affine<const N: usize>(points: &[Jacobian; N]) -> [Affine; N] {
    let mut prefix = [Fe::ONE; N];
    let mut acc = Fe::ONE;
    for (i, p) in points.iter().enumerate() {
        prefix[i] = acc;
        acc *= p.z;
    }
    let mut inv = acc.invert();
    let mut out = [Affine {
        x: Fe::ZERO,
        y: Fe::ZERO,
    }; N];
    for i in (0..N).rev() {
        let zinv = inv * prefix[i];
        inv *= points[i].z;
        let zinv2 = zinv.square();
        out[i] = Affine {
            x: points[i].x * zinv2,
            y: points[i].y * zinv2 * zinv,
        };
    }
    out
}

/// [k]G in constant time (GB/T 32918.2 §6.1 A4; the public key of GB/T 32918.1 §6.1).
///
/// The accumulator holds Σ_{l<i} d_l·2^(7l)·G, whose multiplier has absolute value below
/// 2^(7i)·64/127 < 2^(7i) ≤ |d_i|·2^(7i), and for the top window a sum ≡ ±d_i·2^(7i) (mod n)
/// would need k ≡ 0 (mod n) or k ≥ n. So when both are finite the accumulator is never ±
/// the window's point and the incomplete mixed addition is exact; the accumulator at
/// infinity (all lower digits zero) and a zero digit are handled by constant-time selection.
pub(crate) fn mul_base(k: &Scalar) -> Jacobian {
    let digits = comb_digits(k);
    let table = &*COMB;
    let mut acc = Jacobian::INFINITY;
    let mut acc_is_inf = u64::MAX;
    for (i, d) in digits.iter().enumerate() {
        let (q, q_is_inf) = table.select(i, *d);
        let sum = acc.add_affine_unchecked(&q);
        let next = Jacobian::select(&sum, &Jacobian::from(&q), acc_is_inf);
        acc = Jacobian::select(&next, &acc, q_is_inf);
        acc_is_inf &= q_is_inf;
    }
    acc
}

/// Width-5 non-adjacent form of k: digits odd in [-15, 15] or 0, k = Σ d_i·2^i.
fn wnaf5(k: &Scalar) -> [i8; 257] {
    const WIDTH: usize = 5;
    let words = scalar_words(k);
    let mut naf = [0i8; 257];
    let mut pos = 0;
    let mut carry = 0u32;
    while pos < 257 {
        let window = carry + bits(&words, pos, WIDTH);
        if window & 1 == 0 {
            // bit pos (with the carry) is 0; the carry moves on to the next bit unchanged
            pos += 1;
            continue;
        }
        let d = if window < 1 << (WIDTH - 1) {
            carry = 0;
            window as i32
        } else {
            carry = 1;
            window as i32 - (1 << WIDTH)
        };
        naf[pos] = d as i8;
        pos += WIDTH;
    }
    naf
}

/// [s]G + [t]P (GB/T 32918.2 §7.1 B6), variable time: every input is public.
pub(crate) fn mul_base_add_vartime(s: &Scalar, t: &Scalar, p: &Affine) -> Jacobian {
    // odd multiples P, 3P, …, 15P
    let p1 = Jacobian::from(p);
    let p2 = p1.double();
    let mut odd = [p1; 8];
    for i in 1..8 {
        odd[i] = odd[i - 1].add_vartime(&p2);
    }
    let naf = wnaf5(t);
    let mut acc = Jacobian::INFINITY;
    let top = naf.iter().rposition(|d| *d != 0);
    if let Some(top) = top {
        for i in (0..=top).rev() {
            acc = acc.double();
            let d = naf[i];
            if d > 0 {
                acc = acc.add_vartime(&odd[(d / 2) as usize]);
            } else if d < 0 {
                acc = acc.add_vartime(&odd[(-d / 2) as usize].neg());
            }
        }
    }
    let table = &*COMB;
    for (i, d) in comb_digits(s).iter().enumerate() {
        if *d != 0 {
            acc = acc.add_affine_vartime(&table.get_vartime(i, *d));
        }
    }
    acc
}

/// A 32-byte big-endian string reduced modulo n (the digest e, or x1, GB/T 32918.2 §6.1).
pub(crate) fn reduce(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(bytes))
}

/// The group order n as the integer type the nonce generator takes.
pub(crate) const ORDER: U256 = Sm2::ORDER.get_copy();

#[cfg(test)]
mod tests {
    use super::*;
    use ::sm2::ProjectivePoint;
    use ::sm2::elliptic_curve::group::Group;
    use ::sm2::elliptic_curve::point::AffineCoordinates;
    use ::sm2::elliptic_curve::sec1::ToSec1Point;
    use proptest::prelude::*;

    /// The crate's affine result as ours, `None` at infinity.
    fn reference(p: ProjectivePoint) -> Option<Affine> {
        let a = p.to_affine();
        let enc = a.to_sec1_point(false);
        let b = enc.as_bytes();
        if b.len() != 65 {
            return None;
        }
        Affine::from_xy(b[1..33].try_into().unwrap(), b[33..].try_into().unwrap())
    }

    fn scalar(bytes: [u8; 32]) -> Scalar {
        reduce(&bytes)
    }

    fn hex32(h: &str) -> [u8; 32] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    /// Scalars at the edges: 0, 1, 2, n-1, n-2, (n-1)/2, 2^255, 2^256-1 and n reduced,
    /// powers of two at the window borders, and all-ones digits.
    fn edge_scalars() -> Vec<Scalar> {
        let n_minus = |k: u64| -Scalar::from(k);
        let mut v = vec![
            Scalar::ZERO,
            Scalar::ONE,
            Scalar::from(2u64),
            Scalar::from(64u64),
            Scalar::from(127u64),
            Scalar::from(128u64),
            n_minus(1),
            n_minus(2),
            n_minus(64),
            scalar([0xFF; 32]),
            reduce(&hex32(
                "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
            )),
            Scalar::from(2u64).invert().unwrap(),
        ];
        for bit in [6, 7, 63, 64, 251, 252, 253, 255] {
            let mut b = [0u8; 32];
            b[31 - bit / 8] = 1 << (bit % 8);
            v.push(scalar(b));
            v.push(-scalar(b));
        }
        // every window digit = 64 (carry chains) and = -64
        let mut b = [0u8; 32];
        for i in 0..36 {
            let bit = 7 * i + 6;
            b[31 - bit / 8] |= 1 << (bit % 8);
        }
        v.push(scalar(b));
        v.push(-scalar(b));
        v
    }

    #[test]
    fn doubling_matches_the_crate() {
        let g = Affine::generator();
        let two_g = Jacobian::from(&g).double().to_affine();
        assert_eq!(two_g, reference(ProjectivePoint::GENERATOR.double()));
        assert_eq!(Jacobian::INFINITY.double().to_affine(), None);
        assert!(g.is_on_curve());
    }

    #[test]
    fn comb_table_entries_are_multiples_of_g() {
        let t = &*COMB;
        for (i, j) in [(0, 0), (0, 63), (1, 0), (5, 17), (36, 0), (36, 63)] {
            let k = Scalar::from((j + 1) as u64) * (0..7 * i).fold(Scalar::ONE, |a, _| a.double());
            assert_eq!(
                Some(t.get_vartime(i, j + 1)),
                reference(ProjectivePoint::GENERATOR * k),
                "({i}, {j})"
            );
            let (p, inf) = t.select(i, -(j + 1));
            assert_eq!(inf, 0);
            assert_eq!(Some(p), reference(-(ProjectivePoint::GENERATOR * k)));
        }
    }

    #[test]
    fn edge_scalars_match_the_crate() {
        let p = mul_base(&Scalar::from(7u64)).to_affine().unwrap();
        let pp = ProjectivePoint::GENERATOR * Scalar::from(7u64);
        assert_eq!(Some(p), reference(pp));
        for k in edge_scalars() {
            let want = reference(ProjectivePoint::GENERATOR * k);
            assert_eq!(mul_base(&k).to_affine(), want, "[k]G, k = {k:?}");
            for t in edge_scalars() {
                let want = reference(ProjectivePoint::GENERATOR * k + pp * t);
                assert_eq!(
                    mul_base_add_vartime(&k, &t, &p).to_affine(),
                    want,
                    "[s]G + [t]P, s = {k:?}, t = {t:?}"
                );
            }
        }
    }

    #[test]
    fn s_g_plus_t_p_cancelling_to_infinity() {
        // P = G: [s]G + [n - s]G is the point at infinity.
        let g = Affine::generator();
        let s = Scalar::from(12345u64);
        let sum = mul_base_add_vartime(&s, &-s, &g);
        assert!(sum.is_infinity());
        // P = G, t = s: 2s·G, the doubling case of the final additions.
        let want = reference(ProjectivePoint::GENERATOR * (s + s));
        assert_eq!(mul_base_add_vartime(&s, &s, &g).to_affine(), want);
    }

    #[test]
    fn x_reduced_check() {
        let k = Scalar::from(99u64);
        let p = mul_base(&k);
        let x = p.to_affine().unwrap().x.to_bytes();
        let xr = reduce(&x);
        assert!(p.x_reduced_equals_vartime(&xr));
        assert!(!p.x_reduced_equals_vartime(&(xr + Scalar::ONE)));
        assert!(!Jacobian::INFINITY.x_reduced_equals_vartime(&xr));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_scalars_match_the_crate(k in any::<[u8; 32]>(), s in any::<[u8; 32]>(), t in any::<[u8; 32]>()) {
            let (k, s, t) = (scalar(k), scalar(s), scalar(t));
            prop_assert_eq!(mul_base(&k).to_affine(), reference(ProjectivePoint::GENERATOR * k));
            let pp = ProjectivePoint::GENERATOR * k;
            if let Some(p) = reference(pp) {
                let want = reference(ProjectivePoint::GENERATOR * s + pp * t);
                prop_assert_eq!(mul_base_add_vartime(&s, &t, &p).to_affine(), want);
            }
        }
    }

    #[test]
    fn generator_x_is_the_curve_constant() {
        assert_eq!(
            <[u8; 32]>::from(::sm2::AffinePoint::GENERATOR.x()),
            Affine::generator().x.to_bytes()
        );
        assert_eq!(
            Some(Affine::generator()),
            reference(ProjectivePoint::GENERATOR)
        );
    }
}
