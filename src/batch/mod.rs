//! Run-time SIMD dispatch for maps over many `f64`s, and the vectorizable `exp`.
//!
//! Filling a block of a kernel matrix is a map `r ↦ f(r)` over many distances, and for
//! the exponential kernels (yukawa, gaussian, exponential, Matérn) the scalar `libm` `exp`
//! dominated construction (36 % of a yukawa sphere build at N = 8192). A map is written
//! once as a [`SliceMap`] (straight-line code over a slice, using [`exp`]: Cody–Waite
//! reduction, degree-13 Taylor polynomial in fused multiply–adds, exponent built with
//! integer operations), which LLVM vectorizes; this module compiles it three times and
//! chooses at run time:
//!
//! - AVX-512F (8 lanes) and AVX2 + FMA (4 lanes) on x86-64 (`#[target_feature]`);
//! - the scalar reference everywhere else (aarch64 compiles it with NEON; an SVE build
//!   would slot in next to the x86 ones).
//!
//! All operations are IEEE-exact or correctly rounded (`mul_add` is a fused multiply–add
//! in every variant, in software where the CPU lacks one), so every path returns the same
//! bits: tested here on a map of this module's tests and in `kernel::radial` on every
//! kernel, so the entries of a matrix never depend on the machine's SIMD width.
//!
//! This module is the bottom layer: it imports nothing of the crate. The formulas live with
//! their owners (`crate::kernel` implements [`SliceMap`] for the radial kernels).

/// A map `v[i] ← f(v[i])` written as one loop over a slice. Implement
/// [`SliceMap::map_slice`] with `#[inline(always)]` and no calls that cannot be inlined:
/// the dispatchers compile it once per instruction set.
pub trait SliceMap: Sync {
    /// `v[i] ← f(v[i])` for every `i`.
    fn map_slice(&self, v: &mut [f64]);
}

/// The instruction set a batched call runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// x86-64 AVX-512F.
    Avx512,
    /// x86-64 AVX2 with FMA.
    Avx2Fma,
    /// Portable scalar code (the reference).
    Scalar,
}

impl Simd {
    /// The best instruction set of this CPU (run-time detection; `std` caches it).
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            // the AVX-512 paths are compiled with AVX2 and FMA enabled too: require all three
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                return Simd::Avx2Fma;
            }
        }
        Simd::Scalar
    }

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Simd::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// `v[i] ← f(v[i])` on a chosen instruction set (the kernels only use the point-batched
/// [`map_at_points`]; this is the dispatch tests' entry).
///
/// # Panics
/// If this CPU cannot run `simd` (see [`Simd::available`]).
#[cfg(test)]
#[track_caller]
pub fn map_in_place_with<F: SliceMap>(simd: Simd, f: &F, v: &mut [f64]) {
    assert!(simd.available(), "{simd:?} is not available on this CPU");
    match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed that the CPU supports AVX-512F, AVX2 and FMA,
        // the features the function is compiled with.
        Simd::Avx512 => unsafe { x86::map_avx512(f, v) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed that the CPU supports AVX2 and FMA.
        Simd::Avx2Fma => unsafe { x86::map_avx2(f, v) },
        _ => f.map_slice(v),
    }
}

/// `out[i] ← f(‖x_i − y‖)` for the points `x_i = (xs[0][i], xs[1][i], …)` given by
/// coordinate columns and one point `y` (`y.len() = xs.len()`), on the best instruction set.
/// The distance is `√(0 + d₀² + d₁² + …)`, squared differences summed in coordinate order
/// and an IEEE-exact square root: bit for bit the scalar formula, so the distances
/// vectorize too (they were a scalar gather-and-`sqrt` loop, 8 % of an eigenvalue run).
///
/// # Panics
/// If a coordinate column is shorter than `out` or `y` has another dimension.
#[track_caller]
pub fn map_at_points<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    map_at_points_with(Simd::detect(), f, xs, y, out);
}

/// [`map_at_points`] on a chosen instruction set.
///
/// # Panics
/// As [`map_at_points`], and if this CPU cannot run `simd`.
#[track_caller]
pub fn map_at_points_with<F: SliceMap>(simd: Simd, f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    assert!(simd.available(), "{simd:?} is not available on this CPU");
    assert_eq!(xs.len(), y.len(), "point dimensions differ");
    assert!(xs.iter().all(|c| c.len() >= out.len()), "coordinate column shorter than the output");
    match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed that the CPU supports AVX-512F, AVX2 and FMA,
        // the features the function is compiled with.
        Simd::Avx512 => unsafe { x86::points_avx512(f, xs, y, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed that the CPU supports AVX2 and FMA.
        Simd::Avx2Fma => unsafe { x86::points_avx2(f, xs, y, out) },
        _ => points_generic(f, xs, y, out),
    }
}

/// Distances by coordinate sweeps (`0 + d₀² + d₁² + …`, the order of `geometry::dist`),
/// then the map.
#[inline(always)]
fn points_generic<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (c, &yd) in xs.iter().zip(y) {
        for (o, &x) in out.iter_mut().zip(c) {
            let t = x - yd;
            *o += t * t;
        }
    }
    out.iter_mut().for_each(|o| *o = o.sqrt());
    f.map_slice(out);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{points_generic, SliceMap};

    #[cfg(test)]
    /// The map compiled for AVX-512F.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn map_avx512<F: SliceMap>(f: &F, v: &mut [f64]) {
        f.map_slice(v)
    }

    #[cfg(test)]
    /// The map compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn map_avx2<F: SliceMap>(f: &F, v: &mut [f64]) {
        f.map_slice(v)
    }

    /// The point-batched loop compiled for AVX-512F.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn points_avx512<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
        points_generic(f, xs, y, out)
    }

    /// The point-batched loop compiled for AVX2 + FMA.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn points_avx2<F: SliceMap>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
        points_generic(f, xs, y, out)
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
pub fn exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8; // ln 2 rounded to 32 significant bits
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // ln 2 − LN2_HI
    const SHIFT: f64 = 4_503_599_627_370_496.0; // 2^52: the low bits of SHIFT + m hold m
    let x = x.clamp(-746.0, 710.0);
    let n = (x * LOG2E).round_ties_even();
    let t = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x));
    let mut p: f64 = 1.0 / 6_227_020_800.0; // 1/13!
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
        p = p.mul_add(t, c);
    }
    let n1 = (0.5 * n).floor();
    let n2 = n - n1;
    // (m + 1023 + 2^52) has the bits of 2^52 plus m + 1023 ∈ [1, 2046]: shifted into the
    // exponent field, 2^m
    let pow2 = |m: f64| f64::from_bits((m + 1023.0 + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits()) << 52);
    p * pow2(n1) * pow2(n2)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// `|a − b|` in units of `ε·|b|` (0 when equal): the accuracy yardstick of the SIMD
    /// tests here and in `kernel::radial`.
    pub(crate) fn ulps(a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        (a - b).abs() / (f64::EPSILON * b.abs().max(f64::MIN_POSITIVE))
    }

    #[test]
    fn exp_agrees_with_libm_within_two_ulp() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut worst = 0f64;
        for i in 0..200_000 {
            let x = match i % 4 {
                0 => rng.random_range(-1.0..1.0),
                1 => rng.random_range(-40.0..0.0),
                2 => rng.random_range(-708.0..709.0),
                _ => rng.random_range(-1e-6..1e-6),
            };
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        for (x, want) in [(0.0, 1.0), (1.0, std::f64::consts::E), (-800.0, 0.0), (800.0, f64::INFINITY)] {
            assert!(ulps(exp(x), want) <= 1.0, "exp({x}) = {}", exp(x));
        }
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        // subnormal results keep their leading digits
        assert!((exp(-740.0) / (-740f64).exp() - 1.0).abs() < 1e-3);
    }

    /// A map of the shape of the kernels' (a division, an `exp`, a square root), for
    /// the dispatch tests of this layer.
    struct Probe;

    impl SliceMap for Probe {
        #[inline(always)]
        fn map_slice(&self, v: &mut [f64]) {
            v.iter_mut().for_each(|r| *r = exp(-1.7 * *r) / (*r + 1e-3) + (*r * *r + 0.01).sqrt())
        }
    }

    fn probe(r: f64) -> f64 {
        let mut v = [r];
        Probe.map_slice(&mut v);
        v[0]
    }

    #[test]
    fn every_simd_path_returns_the_scalar_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let dist: Vec<f64> =
            (0..1003).map(|i| if i % 7 == 0 { 0.0 } else { rng.random_range(0.0..3.0) }).collect();
        let mut reference = dist.clone();
        map_in_place_with(Simd::Scalar, &Probe, &mut reference);
        assert!(dist.iter().zip(&reference).all(|(r, f)| f.to_bits() == probe(*r).to_bits()));
        for simd in [Simd::Avx512, Simd::Avx2Fma].into_iter().filter(|s| s.available()) {
            let mut v = dist.clone();
            map_in_place_with(simd, &Probe, &mut v);
            assert!(v.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits()), "{simd:?}");
        }
    }

    /// Point batches give the bits of `f(√(0 + d₀² + …))` on every path, in one to five
    /// dimensions, with lengths around the vector widths.
    #[test]
    fn point_batches_return_the_scalar_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for dim in 1..=5 {
            for len in [0, 1, 7, 8, 9, 133] {
                let pts: Vec<Vec<f64>> =
                    (0..len).map(|_| (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
                let xs: Vec<Vec<f64>> = (0..dim).map(|d| pts.iter().map(|p| p[d]).collect()).collect();
                let y: Vec<f64> = pts.first().cloned().unwrap_or_else(|| vec![0.5; dim]);
                for simd in [Simd::Scalar, Simd::Avx512, Simd::Avx2Fma].into_iter().filter(|s| s.available())
                {
                    let mut out = vec![f64::NAN; len];
                    map_at_points_with(simd, &Probe, &xs, &y, &mut out);
                    for (o, p) in out.iter().zip(&pts) {
                        let d2 = p.iter().zip(&y).fold(0.0, |acc, (a, b)| acc + (a - b) * (a - b));
                        assert_eq!(o.to_bits(), probe(d2.sqrt()).to_bits(), "dim {dim} {simd:?}");
                    }
                }
            }
        }
    }
}
