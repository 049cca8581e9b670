//! hmatrix against LAPACK dsyevr (feature `lapack`): the same matrix, the same k.
#![cfg(feature = "lapack")]
mod common;
use common::*;
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::h2::H2Params;

#[test]
fn kth_eigenvalue_agrees_with_dsyevr() {
    for (k, g, n) in [("yukawa", "sphere", 512), ("matern32", "ball", 515)] {
        let p = kernel_problem(k, g, n, 1e-3);
        let h = build(&p, H2Params::default());
        let s = Spectrum::new(&h, &p.src, &EigParams::default()).unwrap();
        let all = hmatrix::lapack::dsyevd_all(p.dense.as_ref()).unwrap();
        let norm = all.iter().fold(0f64, |m, x| m.max(x.abs()));
        for kk in [1, n / 2, n] {
            let refv = hmatrix::lapack::dsyevr_range(p.dense.as_ref(), kk, kk).unwrap()[0];
            let e = s.kth(kk).unwrap();
            assert!((e.value - refv).abs() <= 1e-8 * norm, "{k} k={kk}: {} vs {refv}", e.value);
            assert!(e.lower <= refv && refv <= e.upper);
            assert!((all[kk - 1] - refv).abs() <= 1e-12 * norm);
        }
    }
}
