//! H² construction and matvec against dense references: every kernel, strong and weak
//! admissibility, four tolerances, explicit inputs, degenerate sizes.
mod common;
use common::*;
use hmatrix::block::Admissibility;
use hmatrix::geometry::{Geometry, Points};
use hmatrix::h2::{BasisSpan, H2Matrix, H2Params};
use hmatrix::source::{DenseSource, EntrySource, FnSource};

const KERNELS: [(&str, &str); 8] = [
    ("laplace3d", "sphere"),
    ("laplace2d", "circle"),
    ("yukawa", "ball"),
    ("gaussian", "sphere"),
    ("exponential", "cube"),
    ("matern32", "random"),
    ("matern52", "cube-surface"),
    ("imq", "ball"),
];

/// The acceptance bound of the construction: relative matvec error ≤ 10·tol.
#[test]
fn matvec_error_within_ten_tol_for_every_kernel() {
    for (i, (k, g)) in KERNELS.iter().enumerate() {
        let n = [1531, 1200, 1777, 1024][i % 4];
        let p = kernel_problem(k, g, n, 0.0);
        for adm in [Admissibility::default(), Admissibility::Weak] {
            for tol in [1e-4, 1e-6, 1e-8, 1e-10] {
                let h = build(&p, H2Params { tol, admissibility: adm, leaf_size: 48, ..Default::default() });
                let err = matvec_rel_err(&h, &p.dense, i as u64);
                assert!(err <= 10.0 * tol, "{k} on {g} n={n} {adm:?} tol {tol:e}: error {err:.3e}");
                let tr: f64 = (0..n).map(|i| p.dense[(i, i)]).sum();
                let scale: f64 = (0..n).map(|i| p.dense[(i, i)].abs()).sum();
                assert!((h.trace() - tr).abs() <= 1e-13 * scale, "{k}: trace {} vs {tr}", h.trace());
                let est = h.report().rel_err_estimate;
                assert!(est <= 10.0 * tol, "{k} {adm:?} tol {tol:e}: estimate {est:.3e}");
            }
        }
    }
}

#[test]
fn far_only_bases_are_accurate_for_smooth_kernels_but_not_factorizable() {
    let p = kernel_problem("laplace3d", "sphere", 2048, 0.0);
    let h = build(&p, H2Params { tol: 1e-6, basis: BasisSpan::FarOnly, ..Default::default() });
    let err = matvec_rel_err(&h, &p.dense, 3);
    assert!(err <= 10.0 * 1e-6, "far-only error {err:e}");
    assert!(!h.is_factorizable());
    let full = build(&p, H2Params { tol: 1e-6, ..Default::default() });
    assert!(h.report().max_rank < full.report().max_rank);
    assert_eq!(hmatrix::factor::Ldlt::new(&h, 0.0).err(), Some(hmatrix::Error::NotFactorizable));
}

#[test]
fn explicit_npy_and_matrix_market_inputs() {
    let p = kernel_problem("yukawa", "sphere", 999, 0.0);
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.npy", "a.mtx", "a.mtx.gz"] {
        let path = dir.path().join(name);
        if name.ends_with(".npy") {
            hmatrix::io::write_npy(&path, p.dense.as_ref(), false).unwrap();
        } else {
            hmatrix::io::write_matrix_market(&path, p.dense.as_ref(), true).unwrap();
        }
        let a = hmatrix::io::read_matrix(&path).unwrap();
        let src = DenseSource::new(a).unwrap();
        for (points, tol) in [(p.points.clone(), 1e-8), (Points::index_line(999).unwrap(), 1e-6)] {
            let h = H2Matrix::build(&src, &points, 1, H2Params { tol, ..Default::default() }, None).unwrap();
            let err = matvec_rel_err(&h, &p.dense, 9);
            assert!(err <= 10.0 * tol, "{name} tol {tol:e}: {err:e}");
        }
    }
}

#[test]
fn closure_source_and_degenerate_sizes() {
    for n in [1usize, 2, 3, 17, 65, 130] {
        for leaf in [1, 4, 64] {
            let pts = Geometry::Random.generate(n, n as u64).unwrap();
            let q = pts.clone();
            let src = FnSource::new(n, move |i, j| (-q.dist(i, j)).exp() + if i == j { 1.0 } else { 0.0 });
            let dense = hmatrix::source::to_dense(&src);
            for adm in [Admissibility::default(), Admissibility::Weak] {
                let params =
                    H2Params { tol: 1e-10, leaf_size: leaf, admissibility: adm, ..Default::default() };
                let h = H2Matrix::build(&src as &dyn EntrySource, &pts, 1, params, None).unwrap();
                let err = matvec_rel_err(&h, &dense, 1);
                assert!(err <= 1e-9, "n={n} leaf={leaf} {adm:?}: {err:e}");
            }
        }
    }
}

#[test]
fn deterministic_across_thread_counts() {
    let p = kernel_problem("matern32", "ball", 1500, 0.0);
    let x = random_mat(1500, 2, 11);
    let run = |threads: usize, parallel: bool| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| build(&p, H2Params { parallel, ..Default::default() }).matvec(x.as_ref()))
    };
    let a = run(1, false);
    let b = run(2, true);
    assert!(a == b, "results differ between sequential and parallel runs");
}

#[test]
fn bad_parameters_are_errors() {
    let p = kernel_problem("laplace3d", "sphere", 100, 0.0);
    let bad = [
        H2Params { leaf_size: 0, ..Default::default() },
        H2Params { tol: f64::NAN, ..Default::default() },
        H2Params { tol: 0.0, ..Default::default() },
        H2Params { max_rank: Some(0), ..Default::default() },
        H2Params { admissibility: Admissibility::Strong { eta: -1.0 }, ..Default::default() },
        H2Params { admissibility: Admissibility::Weak, basis: BasisSpan::FarOnly, ..Default::default() },
    ];
    for params in bad {
        let e = H2Matrix::build(&p.src, &p.points, 1, params.clone(), None).err();
        assert!(matches!(e, Some(hmatrix::Error::InvalidParameter { .. })), "{params:?}: {e:?}");
    }
    let other = Geometry::Sphere.generate(99, 0).unwrap();
    let e = H2Matrix::build(&p.src, &other, 1, H2Params::default(), None).err();
    assert!(matches!(e, Some(hmatrix::Error::SizeMismatch { .. })));
}
