//! hmatrix against LAPACK dsyevr (feature `lapack`): the same matrix, the same k.
#![cfg(feature = "lapack")]
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::geometry::Geometry;
use hmatrix::h2::H2Matrix;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};

#[test]
fn kth_eigenvalue_agrees_with_dsyevr() {
    for (k, g, n) in [("yukawa", "sphere", 512), ("matern32", "ball", 515)] {
        let points = Geometry::from_name(g).unwrap().generate(n, 42).unwrap();
        let src = KernelSource::new(points, RadialKernel::from_name(k).unwrap(), 1e-3).unwrap();
        let dense = to_dense(&src);
        let h = H2Matrix::builder(&src).build().unwrap();
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
        let all = hmatrix_bench::lapack::dsyevd_all(dense.as_ref()).unwrap();
        let norm = all.iter().fold(0f64, |m, x| m.max(x.abs()));
        for kk in [1, n / 2, n] {
            let refv = hmatrix_bench::lapack::dsyevr_range(dense.as_ref(), kk, kk).unwrap()[0];
            let e = s.kth(kk).unwrap();
            assert!((e.value - refv).abs() <= 1e-8 * norm, "{k} k={kk}: {} vs {refv}", e.value);
            assert!(e.lower <= refv && refv <= e.upper);
            assert!((all[kk - 1] - refv).abs() <= 1e-12 * norm);
        }
    }
}
