//! Lanes: the arithmetic a batched map is written in, one implementation per instruction
//! set, and the crate's vectorizable `exp` written once over it.
//!
//! A map is written once as a closure over `L: Lanes` (see [`for_lanes`]). With `L = f64`
//! it is the scalar reference, which LLVM vectorizes wherever the code is compiled for
//! wider registers (the x86 dispatch compiles it for AVX-512F and AVX2 + FMA); on aarch64
//! `L` is also a NEON register of two doubles (`super::neon`) or an SVE strip
//! (`super::sve`). Every operation here is IEEE-exact or correctly rounded on every
//! implementation (`mul_add` fused, `clamp` by compare-and-select as `f64::clamp`), so a
//! map evaluated in the same operation order gives the same bits on every path.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// The most elements one [`Lanes`] value holds (the SVE strip).
pub const MAX_WIDTH: usize = 64;

/// A fixed number of `f64` lanes and the elementwise, correctly rounded operations the
/// maps use. The operators are the IEEE operations lane by lane.
pub trait Lanes:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// Elements per value, at most [`MAX_WIDTH`].
    const WIDTH: usize;
    /// Every lane `x`.
    fn splat(x: f64) -> Self;
    /// The first [`Self::WIDTH`] elements of `s`.
    ///
    /// # Panics
    /// If `s` is shorter.
    fn load(s: &[f64]) -> Self;
    /// Writes the lanes to the first [`Self::WIDTH`] elements of `s`.
    ///
    /// # Panics
    /// If `s` is shorter.
    fn store(self, s: &mut [f64]);
    /// `self·a + b` with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The correctly rounded square root.
    fn sqrt(self) -> Self;
    /// The nearest integer, ties to even.
    fn round_ties_even(self) -> Self;
    /// The largest integer not above.
    fn floor(self) -> Self;
    /// `lo` where `x < lo`, `hi` where `x > hi`, else `x` (NaN stays): `f64::clamp`.
    fn clamp(self, lo: f64, hi: f64) -> Self;
    /// The bits `(bits(x) − bits(2⁵²)) << 52` as a double: for `x = 2⁵² + e` with an
    /// integer `e ∈ [1, 2046]`, the power `2^(e − 1023)`.
    fn shift_into_exponent(self) -> Self;
    /// The natural logarithm, `libm`'s, lane by lane (no vector logarithm here).
    fn ln(self) -> Self;
}

/// `2⁵²`: the low bits of `2⁵² + m` hold an integer `m < 2⁵²`.
pub(crate) const SHIFT: f64 = 4_503_599_627_370_496.0;

impl Lanes for f64 {
    const WIDTH: usize = 1;

    #[inline(always)]
    fn splat(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        s[0]
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        s[0] = self;
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        f64::round_ties_even(self)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        f64::floor(self)
    }
    #[inline(always)]
    fn clamp(self, lo: f64, hi: f64) -> Self {
        f64::clamp(self, lo, hi)
    }
    #[inline(always)]
    fn shift_into_exponent(self) -> Self {
        f64::from_bits(self.to_bits().wrapping_sub(SHIFT.to_bits()) << 52)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
}

/// `v[i] ← f(v[i])`, [`Lanes::WIDTH`] elements at a time; a tail shorter than a value is
/// padded with zeros (whose results are dropped). With `L = f64` it is the plain loop.
#[inline(always)]
pub fn for_lanes<L: Lanes>(v: &mut [f64], f: impl Fn(L) -> L) {
    if L::WIDTH == 1 {
        v.iter_mut().for_each(|x| {
            let s = std::slice::from_mut(x);
            f(L::load(s)).store(s)
        });
        return;
    }
    let mut chunks = v.chunks_exact_mut(L::WIDTH);
    for c in &mut chunks {
        f(L::load(c)).store(c);
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let mut buf = [0.0; MAX_WIDTH];
        let n = tail.len();
        buf[..n].copy_from_slice(tail);
        f(L::load(&buf)).store(&mut buf);
        tail.copy_from_slice(&buf[..n]);
    }
}

/// `v[i] ← f(v[i], x[i])` for `i < v.len()`, [`Lanes::WIDTH`] elements at a time.
///
/// # Panics
/// If `x` is shorter than `v`.
#[inline(always)]
pub fn zip_lanes<L: Lanes>(v: &mut [f64], x: &[f64], f: impl Fn(L, L) -> L) {
    let x = &x[..v.len()];
    if L::WIDTH == 1 {
        v.iter_mut().zip(x).for_each(|(o, a)| {
            let s = std::slice::from_mut(o);
            f(L::load(s), L::load(std::slice::from_ref(a))).store(s)
        });
        return;
    }
    let mut chunks = v.chunks_exact_mut(L::WIDTH);
    let mut xc = x.chunks_exact(L::WIDTH);
    for (c, a) in (&mut chunks).zip(&mut xc) {
        f(L::load(c), L::load(a)).store(c);
    }
    let (tail, xt) = (chunks.into_remainder(), xc.remainder());
    if !tail.is_empty() {
        let (mut buf, mut xbuf) = ([0.0; MAX_WIDTH], [0.0; MAX_WIDTH]);
        let n = tail.len();
        buf[..n].copy_from_slice(tail);
        xbuf[..n].copy_from_slice(xt);
        f(L::load(&buf), L::load(&xbuf)).store(&mut buf);
        tail.copy_from_slice(&buf[..n]);
    }
}

/// `eˣ` within 2 ulp for normal results, in straight-line arithmetic that vectorizes.
///
/// `x = n ln2 + t` with `n = round(x/ln2)` and `|t| ≤ ln2/2` (Cody–Waite: `ln2` split
/// into a 32-bit head, so `n·head` is exact, and a tail); `eᵗ` by its Taylor polynomial
/// of degree 13 (truncation `< 0.35¹⁴/14! ≈ 5e-18`); `2ⁿ = 2^{n₁} 2^{n₂}` with
/// `n₁ = ⌊n/2⌋`, each factor's exponent bits built by integer operations, which covers
/// subnormal results and overflow to `+∞` without branches. NaN propagates; inputs are
/// clamped to `[−746, 710]` (results 0 and `+∞` beyond).
#[inline(always)]
pub fn exp<L: Lanes>(x: L) -> L {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8; // ln 2 rounded to 32 significant bits
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // ln 2 − LN2_HI
    let x = x.clamp(-746.0, 710.0);
    let n = (x * L::splat(LOG2E)).round_ties_even();
    let t = n.mul_add(L::splat(-LN2_LO), n.mul_add(L::splat(-LN2_HI), x));
    let mut p = L::splat(1.0 / 6_227_020_800.0); // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(t, L::splat(c));
    }
    let n1 = (L::splat(0.5) * n).floor();
    let n2 = n - n1;
    // m + 1023 + 2^52 has the bits of 2^52 plus m + 1023 ∈ [1, 2046]: shifted into the
    // exponent field, 2^m
    let pow2 = |m: L| (m + L::splat(1023.0) + L::splat(SHIFT)).shift_into_exponent();
    p * pow2(n1) * pow2(n2)
}

/// `W` doubles in an array, every operation a loop over the lanes: compiled for registers
/// of `W` doubles (AVX-512F: 8, AVX2: 4) LLVM makes each loop one vector instruction, and
/// the bits are `f64`'s lane by lane.
#[derive(Clone, Copy)]
pub struct Arr<const W: usize>(pub [f64; W]);

macro_rules! arr_operator {
    ($tr:ident, $method:ident, $op:tt) => {
        impl<const W: usize> std::ops::$tr for Arr<W> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, o: Self) -> Self {
                Arr(std::array::from_fn(|i| self.0[i] $op o.0[i]))
            }
        }
    };
}

arr_operator!(Add, add, +);
arr_operator!(Sub, sub, -);
arr_operator!(Mul, mul, *);
arr_operator!(Div, div, /);

impl<const W: usize> Neg for Arr<W> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Arr(self.0.map(|x| -x))
    }
}

impl<const W: usize> Arr<W> {
    /// `f` lane by lane.
    #[inline(always)]
    fn each(self, f: impl Fn(f64) -> f64) -> Self {
        Arr(self.0.map(f))
    }
}

impl<const W: usize> Lanes for Arr<W> {
    const WIDTH: usize = W;

    #[inline(always)]
    fn splat(x: f64) -> Self {
        Arr([x; W])
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        Arr(std::array::from_fn(|i| s[..W][i]))
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        s[..W].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        Arr(std::array::from_fn(|i| self.0[i].mul_add(a.0[i], b.0[i])))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.each(f64::sqrt)
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        self.each(f64::round_ties_even)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        self.each(f64::floor)
    }
    #[inline(always)]
    fn clamp(self, lo: f64, hi: f64) -> Self {
        self.each(|x| x.clamp(lo, hi))
    }
    #[inline(always)]
    fn shift_into_exponent(self) -> Self {
        self.each(<f64 as Lanes>::shift_into_exponent)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.each(f64::ln)
    }
}
