//! H² construction and matvec against dense references: every kernel, strong and weak
//! admissibility, four tolerances, explicit inputs, degenerate sizes.
mod common;
use common::*;
use hmatrix::block::{Admissibility, BlockTree};
use hmatrix::cluster::{ClusterId, ClusterTree};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::geometry::{Geometry, Points};
use hmatrix::h2::{BasisSpan, H2Matrix, H2Params};
use hmatrix::par::Par;
use hmatrix::source::{DenseSource, FnSource};

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
                let h = build(&p, H2Params::default().tol(tol).admissibility(adm).leaf_size(48));
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
    let h = build(&p, H2Params::default().tol(1e-6).basis(BasisSpan::FarOnly));
    let err = matvec_rel_err(&h, &p.dense, 3);
    assert!(err <= 10.0 * 1e-6, "far-only error {err:e}");
    assert!(!h.is_factorizable());
    let full = build(&p, H2Params::default().tol(1e-6));
    assert!(h.report().max_rank < full.report().max_rank);
    assert_eq!(UlvPlan::new(&h, PlanParams::default()).err(), Some(hmatrix::Error::NotFactorizable));
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
        for (points, tol) in [(p.points.clone(), 1e-8), (Points::index_line(999).unwrap(), 1e-6)] {
            let src = DenseSource::new(a.clone()).unwrap().with_points(points).unwrap();
            let h = H2Matrix::builder(&src).tol(tol).build().unwrap();
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
            let src = FnSource::new(n, move |i, j| (-q.dist(i, j)).exp() + if i == j { 1.0 } else { 0.0 })
                .with_points(pts)
                .unwrap();
            let dense = hmatrix::source::to_dense(&src);
            for adm in [Admissibility::default(), Admissibility::Weak] {
                let params = H2Params::default().tol(1e-10).leaf_size(leaf).admissibility(adm);
                let h = H2Matrix::builder(&src).params(params).build().unwrap();
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
    let run = |threads: usize, par: Par| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| build(&p, H2Params::default().par(par)).matvec(x.as_ref()))
    };
    let a = run(1, Par::Seq);
    let b = run(2, hmatrix::par::default_par());
    assert!(a == b, "results differ between sequential and parallel runs");
}

#[test]
fn bad_parameters_are_errors() {
    let p = kernel_problem("laplace3d", "sphere", 100, 0.0);
    let bad = [
        H2Params::default().leaf_size(0),
        H2Params::default().tol(f64::NAN),
        H2Params::default().tol(0.0),
        H2Params::default().max_rank(Some(0)),
        H2Params::default().admissibility(Admissibility::Strong { eta: -1.0 }),
        H2Params::default().admissibility(Admissibility::Weak).basis(BasisSpan::FarOnly),
    ];
    for params in bad {
        let e = H2Matrix::builder(&p.src).params(params.clone()).build().err();
        assert!(matches!(e, Some(hmatrix::Error::InvalidParameter { .. })), "{params:?}: {e:?}");
    }
    // points that do not match the dimension (the source's points, no longer an argument)
    let other = Grouped { inner: &p.src, points: Geometry::Sphere.generate(99, 0).unwrap(), group: 1 };
    let e = H2Matrix::builder(&other).build().err();
    assert!(matches!(e, Some(hmatrix::Error::SizeMismatch { .. })));
}

/// The leaf of `tree` holding index `i`.
fn leaf_of(tree: &ClusterTree, i: usize) -> ClusterId {
    let mut c = tree.root();
    while let Some(children) = tree.children(c) {
        c = children.into_iter().find(|&k| tree.indices(k).contains(&i)).unwrap();
    }
    c
}

/// A NaN in a far (low-rank) block is reported with its global row and column in the
/// user's ordering, not positions inside the block or in the cluster ordering.
#[test]
fn nan_in_a_far_block_names_its_global_indices() {
    let (n, i0) = (600, 137);
    let points = Geometry::Sphere.generate(n, 1).unwrap();
    // beyond 1.8 on the unit sphere every pair is admissible at the default η (near
    // partners of i0's leaf reach 1.72): the NaNs lie in far blocks only
    let far = |i: usize, j: usize| (i == i0 || j == i0) && points.dist(i, j) > 1.8;
    // yukawa-like entries, NaN in row and column i0 wherever the other point is far from i0
    let entry = |i: usize, j: usize| {
        if far(i, j) {
            return f64::NAN;
        }
        let r = points.dist(i, j);
        (-r).exp() / (r + 1e-3) + if i == j { 1.0 } else { 0.0 }
    };
    let nan_cols: Vec<usize> = (0..n).filter(|&j| far(i0, j)).collect();
    assert!(!nan_cols.is_empty() && nan_cols.len() < n - 1, "{} NaN columns", nan_cols.len());
    // check that on the tree the default build makes: no NaN in a dense (near) block
    let params = H2Params::default();
    let tree = ClusterTree::new(&points, params.leaf_size, 1);
    let blocks = BlockTree::new(&tree, params.admissibility);
    let leaf0 = leaf_of(&tree, i0);
    for &j in &nan_cols {
        let leaf = leaf_of(&tree, j);
        assert!(blocks.near(leaf0).iter().all(|e| e.col != leaf), "NaN column {j} in a near block of {i0}");
    }
    let src = FnSource::new(n, &entry).with_points(points.clone()).unwrap();
    match H2Matrix::builder(&src).build().err() {
        Some(hmatrix::Error::NonFiniteEntry { row, col }) => {
            assert!(row < n && col < n, "({row}, {col}) out of range");
            assert!(row == i0 || col == i0, "({row}, {col}) is not in row or column {i0}");
            let other = if row == i0 { col } else { row };
            let d = points.dist(i0, other);
            assert!(d > 1.8, "({row}, {col}): point {other} is {d} from point {i0}");
            assert!(entry(row, col).is_nan(), "A({row}, {col}) = {} is finite", entry(row, col));
        }
        e => panic!("expected NonFiniteEntry, got {e:?}"),
    }
}
