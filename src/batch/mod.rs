//! Run-time SIMD dispatch for maps over many `f64`s, and the vectorizable `exp`.
//!
//! Filling a block of a kernel matrix is a map `r ↦ f(r)` over many distances, and for
//! the exponential kernels (yukawa, gaussian, exponential, Matérn) the scalar `libm` `exp`
//! dominated construction (36 % of a yukawa sphere build at N = 8192). A map is written
//! once as a [`SliceMap`]: straight-line code over [`Lanes`] using [`exp`] (Cody–Waite
//! reduction, degree-13 Taylor polynomial in fused multiply–adds, exponent built with
//! integer operations). This module compiles it once per instruction set and chooses at
//! run time ([`Simd::detect`]):
//!
//! - x86-64: AVX-512F (8 lanes) and AVX2 + FMA (4 lanes): the scalar loop (`L = f64`)
//!   compiled with `#[target_feature]`, which LLVM vectorizes (`x86`);
//! - aarch64: SVE at any vector length, detected at run time, each operation a
//!   vector-length-agnostic `asm!` loop over a strip of 64 doubles (`sve`); else NEON,
//!   present on every aarch64 CPU, in intrinsics on registers of two doubles (`neon`);
//! - the scalar reference (`L = f64`) everywhere.
//!
//! All operations are IEEE-exact or correctly rounded (`mul_add` is a fused multiply–add
//! in every variant, in software where the CPU lacks one), so every path returns the same
//! bits: tested here on a map of this module's tests and in `kernel::radial` on every
//! kernel against digests that are the same on x86-64 and aarch64, so the entries of a
//! matrix never depend on the machine or its SIMD width.
//!
//! This module is the bottom layer: it imports nothing of the crate. The formulas live with
//! their owners (`crate::kernel` implements [`SliceMap`] for the radial kernels).

mod gemm;
mod lanes;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "aarch64")]
mod sve;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use gemm::{GemmShape, FAER_FROM};
pub use lanes::{exp, for_lanes, zip_lanes, Arr, Lanes, MAX_WIDTH};

/// A map `v[i] ← f(v[i])` written once over [`Lanes`]. Implement
/// [`SliceMap::map_lanes`] with `#[inline(always)]`, as [`for_lanes`] over a closure with
/// no calls that cannot be inlined: the dispatchers compile it once per instruction set.
pub trait SliceMap: Sync {
    /// `v[i] ← f(v[i])` for every `i`, computed in lanes `L`.
    fn map_lanes<L: Lanes>(&self, v: &mut [f64]);
}

/// The instruction set a batched call runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// x86-64 AVX-512F.
    Avx512,
    /// x86-64 AVX2 with FMA.
    Avx2Fma,
    /// aarch64 SVE, vector-length agnostic.
    Sve,
    /// aarch64 NEON (Advanced SIMD), two doubles per register.
    Neon,
    /// Portable scalar code (the reference).
    Scalar,
}

impl Simd {
    /// Every path, the reference last.
    pub const ALL: [Simd; 5] = [Simd::Avx512, Simd::Avx2Fma, Simd::Sve, Simd::Neon, Simd::Scalar];

    /// The best instruction set of this CPU (run-time detection; `std` caches it).
    pub fn detect() -> Self {
        Self::ALL.into_iter().find(|s| s.available()).unwrap_or(Simd::Scalar)
    }

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Simd::Scalar => true,
            // the AVX-512 paths are compiled with AVX2 and FMA enabled too: require all three
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
            #[cfg(target_arch = "aarch64")]
            Simd::Sve => std::arch::is_aarch64_feature_detected!("sve"),
            #[cfg(target_arch = "aarch64")]
            Simd::Neon => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Doubles per vector register of this path on this CPU (SVE: its vector length, read
    /// at run time); 0 where the path is not available.
    pub fn doubles_per_vector(self) -> usize {
        match self {
            _ if !self.available() => 0,
            Simd::Avx512 => 8,
            Simd::Avx2Fma => 4,
            // SAFETY: `available()` just confirmed SVE.
            #[cfg(target_arch = "aarch64")]
            Simd::Sve => unsafe { sve::doubles_per_vector() },
            Simd::Neon => 2,
            _ => 1,
        }
    }

    /// The path's name as the CLI prints it: `avx512`, `avx2+fma`, `sve`, `neon`, `scalar`.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Avx512 => "avx512",
            Simd::Avx2Fma => "avx2+fma",
            Simd::Sve => "sve",
            Simd::Neon => "neon",
            Simd::Scalar => "scalar",
        }
    }
}

impl std::fmt::Display for Simd {
    /// The name, with the vector length in doubles: `sve (8 × f64)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} × f64)", self.name(), self.doubles_per_vector())
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
        #[cfg(target_arch = "aarch64")]
        Simd::Sve => f.map_lanes::<sve::Strip>(v),
        #[cfg(target_arch = "aarch64")]
        Simd::Neon => f.map_lanes::<neon::F64x2>(v),
        _ => f.map_lanes::<f64>(v),
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
        #[cfg(target_arch = "aarch64")]
        Simd::Sve => points_generic::<F, sve::Strip>(f, xs, y, out),
        #[cfg(target_arch = "aarch64")]
        Simd::Neon => points_generic::<F, neon::F64x2>(f, xs, y, out),
        _ => points_generic::<F, f64>(f, xs, y, out),
    }
}

/// `C_b ← C_b + A_b·B_b` for every product `b` of a strided batch (`gemm.rs`), on the best
/// instruction set: `a`, `b`, `c` hold the column-major `A`s (`m × k`), `B`s (`k × n`) and
/// `C`s (`m × n`) back to back. Below [`FAER_FROM`] multiply–adds per product every path
/// gives the same bits (fused multiply–adds in `p` order from `C`'s value); larger
/// products are faer's (the same result to rounding).
///
/// # Panics
/// If the three slices do not hold the same whole number of matrices of `shape`.
#[track_caller]
pub fn gemm_batched(shape: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    gemm_batched_with(Simd::detect(), shape, a, b, c)
}

/// [`gemm_batched`] on a chosen instruction set (SVE: register tiles of `2·VL` rows × 4
/// columns in one `asm!` block each, rows predicated).
///
/// # Panics
/// As [`gemm_batched`], and if this CPU cannot run `simd`.
#[track_caller]
pub fn gemm_batched_with(simd: Simd, shape: GemmShape, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(simd.available(), "{simd:?} is not available on this CPU");
    match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed AVX-512F, AVX2 and FMA.
        Simd::Avx512 => unsafe { x86::gemm_avx512(shape, a, b, c) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `available()` just confirmed AVX2 and FMA.
        Simd::Avx2Fma => unsafe { x86::gemm_avx2(shape, a, b, c) },
        #[cfg(target_arch = "aarch64")]
        Simd::Sve => gemm::batch_sve(shape, a, b, c),
        #[cfg(target_arch = "aarch64")]
        Simd::Neon => gemm::batch_generic::<neon::F64x2, 8>(shape, a, b, c),
        _ => gemm::batch_generic::<f64, 4>(shape, a, b, c),
    }
}

/// Distances by coordinate sweeps (`0 + d₀² + d₁² + …`, the order of `geometry::dist`),
/// then the map, all in lanes `L`.
#[inline(always)]
fn points_generic<F: SliceMap, L: Lanes>(f: &F, xs: &[Vec<f64>], y: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (c, &yd) in xs.iter().zip(y) {
        zip_lanes::<L>(out, c, |o, x| {
            let t = x - L::splat(yd);
            o + t * t
        });
    }
    for_lanes::<L>(out, L::sqrt);
    f.map_lanes::<L>(out);
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

    /// A map of the shape of the kernels' (a division, an `exp`, a square root, a
    /// clamp), for the dispatch tests of this layer.
    struct Probe;

    impl SliceMap for Probe {
        #[inline(always)]
        fn map_lanes<L: Lanes>(&self, v: &mut [f64]) {
            for_lanes::<L>(v, |r| {
                exp(L::splat(-1.7) * r) / (r + L::splat(1e-3)) + (r * r + L::splat(0.01)).sqrt()
                    - r.clamp(0.5, 2.5).floor()
            })
        }
    }

    fn probe(r: f64) -> f64 {
        exp(-1.7 * r) / (r + 1e-3) + (r * r + 0.01).sqrt() - r.clamp(0.5, 2.5).floor()
    }

    /// One [`Lanes`] operation per index (the composite ones are what `exp` uses).
    struct LaneOp(usize);

    impl LaneOp {
        const COUNT: usize = 12;
    }

    impl SliceMap for LaneOp {
        #[inline(always)]
        fn map_lanes<L: Lanes>(&self, v: &mut [f64]) {
            let c = L::splat;
            match self.0 {
                0 => for_lanes::<L>(v, |x| x + c(0.3)),
                1 => for_lanes::<L>(v, |x| x - c(0.3)),
                2 => for_lanes::<L>(v, |x| x * c(1.7)),
                3 => for_lanes::<L>(v, |x| c(0.7) / x),
                4 => for_lanes::<L>(v, |x| -x),
                5 => for_lanes::<L>(v, |x| x.sqrt()),
                6 => for_lanes::<L>(v, |x| x.round_ties_even()),
                7 => for_lanes::<L>(v, |x| x.floor()),
                8 => for_lanes::<L>(v, |x| x.clamp(-2.0, 2.0)),
                // fused: one rounding (an unfused multiply–add differs in the last bits)
                9 => for_lanes::<L>(v, |x| x.mul_add(c(1.0 / 3.0), c(0.1))),
                10 => for_lanes::<L>(v, |x| {
                    let e = x.round_ties_even().clamp(-1022.0, 1023.0);
                    (e + c(1023.0) + c(lanes::SHIFT)).shift_into_exponent()
                }),
                _ => for_lanes::<L>(v, |x| (x * x + c(0.5)).ln()),
            }
        }
    }

    /// Every operation of every path against `f64`'s, on ties, signed zeros, subnormals,
    /// huge values, NaN and a length that is no multiple of any width.
    #[test]
    fn every_lane_operation_is_the_scalar_one() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        let special = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.0, -0.0, 1e-310, -1e-310, 1e300, -1e300, f64::NAN];
        let x: Vec<f64> = special.into_iter().chain((0..990).map(|_| rng.random_range(-5.0..5.0))).collect();
        for op in 0..LaneOp::COUNT {
            let mut reference = x.clone();
            map_in_place_with(Simd::Scalar, &LaneOp(op), &mut reference);
            for simd in simd_paths() {
                let mut v = x.clone();
                map_in_place_with(simd, &LaneOp(op), &mut v);
                for (i, (a, b)) in v.iter().zip(&reference).enumerate() {
                    let same = a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                    assert!(same, "operation {op} on {simd} at x = {}: {a} vs {b}", x[i]);
                }
            }
        }
    }

    /// The paths this CPU can run besides the reference.
    pub(crate) fn simd_paths() -> Vec<Simd> {
        Simd::ALL.into_iter().filter(|s| *s != Simd::Scalar && s.available()).collect()
    }

    /// Where the test environment names the path this CPU must run (CI does, under each
    /// emulated aarch64 CPU: `sve:8`, `sve:4`, `neon`), the dispatch reports it.
    #[test]
    fn the_expected_path_is_detected() {
        let detected = Simd::detect();
        println!("detected {detected}");
        let Ok(want) = std::env::var("HMATRIX_TEST_SIMD") else { return };
        let (name, width) = want.split_once(':').unwrap_or((&want, ""));
        assert_eq!(detected.name(), name, "HMATRIX_TEST_SIMD={want}");
        if let Ok(w) = width.parse::<usize>() {
            assert_eq!(detected.doubles_per_vector(), w, "HMATRIX_TEST_SIMD={want}");
        }
    }

    #[test]
    fn every_simd_path_returns_the_scalar_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let dist: Vec<f64> =
            (0..1003).map(|i| if i % 7 == 0 { 0.0 } else { rng.random_range(0.0..3.0) }).collect();
        let mut reference = dist.clone();
        map_in_place_with(Simd::Scalar, &Probe, &mut reference);
        assert!(dist.iter().zip(&reference).all(|(r, f)| f.to_bits() == probe(*r).to_bits()));
        for simd in simd_paths() {
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
                for simd in Simd::ALL.into_iter().filter(|s| s.available()) {
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
