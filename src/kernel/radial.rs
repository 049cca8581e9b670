//! The radial functions `f(r)` of [`RadialKernel`], written once as a [`SliceMap`] so that
//! `crate::batch` compiles them for every instruction set (AVX-512F, AVX2 + FMA, scalar),
//! with the crate's vectorizable [`exp`]; every path gives the same bits (tested below).

use super::RadialKernel;
use crate::batch::{exp, for_lanes, Lanes, SliceMap};

/// `f(r)` for one distance: the scalar reference, bit for bit what the batched paths give.
#[inline]
pub(super) fn radial_one(k: &RadialKernel, r: f64) -> f64 {
    let mut v = [r];
    k.map_lanes::<f64>(&mut v);
    v[0]
}

/// The one source of every variant: a branch-free loop per kernel (the `match` is
/// outside the loop so that each loop vectorizes), in the operation order of the scalar
/// formulas (`-a * r` is `(-a)·r`, sums left to right), which fixes the bits.
impl SliceMap for RadialKernel {
    #[inline(always)]
    fn map_lanes<L: Lanes>(&self, v: &mut [f64]) {
        let c = L::splat;
        match *self {
            RadialKernel::Laplace3d { delta } => for_lanes::<L>(v, |r| c(1.0) / (r + c(delta))),
            // no vector logarithm here: libm's, element by element
            RadialKernel::Laplace2d { delta } => for_lanes::<L>(v, |r| -(r + c(delta)).ln()),
            RadialKernel::Yukawa { alpha, delta } => {
                for_lanes::<L>(v, |r| exp(c(-alpha) * r) / (r + c(delta)))
            }
            RadialKernel::Gaussian { ell } => for_lanes::<L>(v, |r| {
                let s = r / c(ell);
                exp(-s * s)
            }),
            RadialKernel::Exponential { ell } => for_lanes::<L>(v, |r| exp(-r / c(ell))),
            RadialKernel::Matern32 { ell } => {
                let k = 3f64.sqrt() / ell;
                for_lanes::<L>(v, |r| {
                    let s = c(k) * r;
                    (c(1.0) + s) * exp(-s)
                })
            }
            RadialKernel::Matern52 { ell } => {
                let k = 5f64.sqrt() / ell;
                for_lanes::<L>(v, |r| {
                    let s = c(k) * r;
                    (c(1.0) + s + s * s / c(3.0)) * exp(-s)
                })
            }
            RadialKernel::Imq { c: cc } => for_lanes::<L>(v, |r| c(1.0) / (r * r + c(cc * cc)).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::{simd_paths, ulps};
    use crate::batch::{map_at_points_with, map_in_place_with, Simd};
    use rand::{Rng, SeedableRng};

    /// The radial functions written with `libm`'s `exp`.
    fn libm_radial(k: &RadialKernel, r: f64) -> f64 {
        match *k {
            RadialKernel::Laplace3d { delta } => 1.0 / (r + delta),
            RadialKernel::Laplace2d { delta } => -(r + delta).ln(),
            RadialKernel::Yukawa { alpha, delta } => (-alpha * r).exp() / (r + delta),
            RadialKernel::Gaussian { ell } => (-(r / ell) * (r / ell)).exp(),
            RadialKernel::Exponential { ell } => (-r / ell).exp(),
            RadialKernel::Matern32 { ell } => {
                let s = 3f64.sqrt() * r / ell;
                (1.0 + s) * (-s).exp()
            }
            RadialKernel::Matern52 { ell } => {
                let s = 5f64.sqrt() * r / ell;
                (1.0 + s + s * s / 3.0) * (-s).exp()
            }
            RadialKernel::Imq { c } => 1.0 / (r * r + c * c).sqrt(),
        }
    }

    #[test]
    fn every_simd_path_returns_the_scalar_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let dist: Vec<f64> =
            (0..1003).map(|i| if i % 7 == 0 { 0.0 } else { rng.random_range(0.0..3.0) }).collect();
        let mut tested = 0;
        for name in RadialKernel::NAMES.split(", ") {
            let k = RadialKernel::from_name(name).unwrap();
            let mut reference = dist.clone();
            map_in_place_with(Simd::Scalar, &k, &mut reference);
            for (r, f) in dist.iter().zip(&reference) {
                assert_eq!(f.to_bits(), k.radial(*r).to_bits(), "{name}({r})");
                // a one-ulp change of r moves f(r) by cond ulp: the two formulas may round
                // their intermediate arguments differently
                let want = libm_radial(&k, *r);
                let cond = if *r > 0.0 {
                    ((libm_radial(&k, r * (1.0 + 1e-7)) - want) / want).abs() / 1e-7
                } else {
                    0.0
                };
                assert!(ulps(*f, want) <= 4.0 + 2.0 * cond, "{name}({r}): {f} vs {want}");
            }
            for simd in simd_paths() {
                let mut v = dist.clone();
                map_in_place_with(simd, &k, &mut v);
                assert!(v.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits()), "{name} {simd:?}");
                tested += 1;
            }
        }
        println!("SIMD paths compared with the scalar reference: {tested} (detected {:?})", Simd::detect());
    }

    /// FNV-1a over the bits of every kernel's point batches: in 1–5 dimensions, lengths
    /// that are no multiple of any vector width, distances from 0 to where `exp` goes
    /// subnormal. The same digests on every path of every machine (x86-64 and aarch64).
    fn digest(k: &RadialKernel, simd: Simd) -> u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for dim in 1..=5 {
            for (len, scale) in
                [(0, 1.0), (1, 1.0), (3, 1.0), (7, 1.0), (13, 1.0), (31, 1.0), (65, 3.0), (133, 30.0)]
            {
                let xs: Vec<Vec<f64>> =
                    (0..dim).map(|_| (0..len).map(|_| rng.random_range(-scale..scale)).collect()).collect();
                // y is the first point when there is one: a zero distance
                let y: Vec<f64> = xs.iter().map(|c| c.first().copied().unwrap_or(0.5)).collect();
                let mut out = vec![f64::NAN; len];
                map_at_points_with(simd, k, &xs, &y, &mut out);
                for o in out {
                    h = (h ^ o.to_bits()).wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
        }
        h
    }

    /// The digests of the scalar reference on x86-64 before the aarch64 paths existed.
    /// Every path on every machine must give these bits.
    const DIGESTS: [(&str, u64); 8] = [
        ("laplace3d", 0x4b27b0c7c69c4072),
        ("laplace2d", 0x383f51e5cc3305d3),
        ("yukawa", 0x53291db7491281da),
        ("gaussian", 0x7c8ffeac09adf1d9),
        ("exponential", 0xf73cd25d9a43a974),
        ("matern32", 0x1321bcfd5d04f469),
        ("matern52", 0x95b50b2cc5c2be25),
        ("imq", 0x65f8d557bfeeb89c),
    ];

    #[test]
    fn every_path_on_every_machine_gives_the_recorded_bits() {
        assert_eq!(DIGESTS.map(|(n, _)| n).join(", "), RadialKernel::NAMES);
        for (name, want) in DIGESTS {
            let k = RadialKernel::from_name(name).unwrap();
            for simd in Simd::ALL.into_iter().filter(|s| s.available()) {
                assert_eq!(digest(&k, simd), want, "{name} on {simd}");
            }
        }
    }

    /// Point-batched evaluation gives the bits of `radial(dist(x, y))` on every path, in
    /// one to five dimensions, with lengths around the vector widths.
    #[test]
    fn point_batches_return_the_scalar_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for dim in 1..=5 {
            for len in [0, 1, 7, 8, 9, 133] {
                let pts: Vec<Vec<f64>> =
                    (0..len).map(|_| (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
                let xs: Vec<Vec<f64>> = (0..dim).map(|d| pts.iter().map(|p| p[d]).collect()).collect();
                // y is one of the points when there are any: a zero distance
                let y: Vec<f64> = pts.first().cloned().unwrap_or_else(|| vec![0.5; dim]);
                for name in RadialKernel::NAMES.split(", ") {
                    let k = RadialKernel::from_name(name).unwrap();
                    for simd in Simd::ALL.into_iter().filter(|s| s.available()) {
                        let mut out = vec![f64::NAN; len];
                        map_at_points_with(simd, &k, &xs, &y, &mut out);
                        for (o, p) in out.iter().zip(&pts) {
                            let want = k.radial(crate::geometry::dist(p, &y));
                            assert_eq!(o.to_bits(), want.to_bits(), "{name} dim {dim} {simd:?}");
                        }
                    }
                }
            }
        }
    }
}
