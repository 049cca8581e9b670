//! The radial functions `f(r)` of [`RadialKernel`], written once as a [`SliceMap`] so that
//! `crate::batch` compiles them for every instruction set (AVX-512F, AVX2 + FMA, scalar),
//! with the crate's vectorizable [`exp`]; every path gives the same bits (tested below).

use super::RadialKernel;
use crate::batch::{exp, SliceMap};

/// `f(r)` for one distance: the scalar reference, bit for bit what the batched paths give.
#[inline]
pub(super) fn radial_one(k: &RadialKernel, r: f64) -> f64 {
    let mut v = [r];
    k.map_slice(&mut v);
    v[0]
}

/// The one source of every variant: a branch-free loop per kernel (the `match` is
/// outside the loop so that each loop vectorizes).
impl SliceMap for RadialKernel {
    #[inline(always)]
    fn map_slice(&self, v: &mut [f64]) {
        match *self {
            RadialKernel::Laplace3d { delta } => v.iter_mut().for_each(|r| *r = 1.0 / (*r + delta)),
            // no vector logarithm here: libm's, element by element
            RadialKernel::Laplace2d { delta } => v.iter_mut().for_each(|r| *r = -(*r + delta).ln()),
            RadialKernel::Yukawa { alpha, delta } => {
                v.iter_mut().for_each(|r| *r = exp(-alpha * *r) / (*r + delta))
            }
            RadialKernel::Gaussian { ell } => v.iter_mut().for_each(|r| {
                let s = *r / ell;
                *r = exp(-s * s)
            }),
            RadialKernel::Exponential { ell } => v.iter_mut().for_each(|r| *r = exp(-*r / ell)),
            RadialKernel::Matern32 { ell } => {
                let c = 3f64.sqrt() / ell;
                v.iter_mut().for_each(|r| {
                    let s = c * *r;
                    *r = (1.0 + s) * exp(-s)
                })
            }
            RadialKernel::Matern52 { ell } => {
                let c = 5f64.sqrt() / ell;
                v.iter_mut().for_each(|r| {
                    let s = c * *r;
                    *r = (1.0 + s + s * s / 3.0) * exp(-s)
                })
            }
            RadialKernel::Imq { c } => v.iter_mut().for_each(|r| *r = 1.0 / (*r * *r + c * c).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::ulps;
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
            for simd in [Simd::Avx512, Simd::Avx2Fma].into_iter().filter(|s| s.available()) {
                let mut v = dist.clone();
                map_in_place_with(simd, &k, &mut v);
                assert!(v.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits()), "{name} {simd:?}");
                tested += 1;
            }
        }
        println!("SIMD paths compared with the scalar reference: {tested} (detected {:?})", Simd::detect());
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
                    for simd in
                        [Simd::Scalar, Simd::Avx512, Simd::Avx2Fma].into_iter().filter(|s| s.available())
                    {
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
