//! The stored skeletonization factors (`Skeletonization::factor`) against dense
//! references: `apply` is `A − σI` at a tight tolerance, `solve` inverts `apply` at any
//! tolerance, the assembled `F(σ)` has the counted inertia and log-determinant, the counts
//! are `ldlt`'s bits, and `‖F − (A − σI)‖₂` is of order `tol·‖A‖₂`.
mod common;
use common::*;
use faer::{Mat, MatRef, Side};
use hmatrix::factor::skel::{EliminationOrder, SkelFactor, SkelParams, Skeletonization};

/// Mean of the diagonal: a shift inside the spectrum (indefinite `A − σI`).
fn mean_diag(a: &Mat<f64>) -> f64 {
    (0..a.nrows()).map(|i| a[(i, i)]).sum::<f64>() / a.nrows() as f64
}

fn shifted(a: &Mat<f64>, shift: f64) -> Mat<f64> {
    let mut k = a.clone();
    (0..k.nrows()).for_each(|i| k[(i, i)] -= shift);
    k
}

fn rel(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

/// `F` assembled column by column by `apply` on the identity.
fn dense_factored(f: &SkelFactor<'_>) -> Mat<f64> {
    f.apply(Mat::<f64>::identity(f.n(), f.n()).as_ref())
}

fn norm2(a: &Mat<f64>) -> f64 {
    a.self_adjoint_eigenvalues(Side::Lower).unwrap().iter().fold(0f64, |m, x| m.max(x.abs()))
}

/// Eliminations ran below the root (the congruences and `W` are exercised), on a tree with
/// several levels.
fn assert_skeletonized(f: &SkelFactor<'_>, n: usize) {
    let levels = &f.stats().levels;
    assert!(levels.len() >= 4, "a tree with a few levels ({})", levels.len());
    let left = levels[levels.len() - 2].total_skeleton;
    assert!(left < 3 * n / 4, "{left} of {n} indices reach level 1");
}

/// At tol 1e-12 the dropped residuals are at rounding: `F x = (A − σI) x`.
#[test]
fn apply_is_the_shifted_matrix_at_tight_tolerance() {
    for (kernel, geometry, n, nugget) in [("yukawa", "sphere", 601, 0.0), ("matern32", "random", 555, 1e-2)] {
        let p = kernel_problem(kernel, geometry, n, nugget);
        let shift = mean_diag(&p.dense);
        let params = SkelParams::default().tol(1e-12).leaf_size(32);
        let sk = Skeletonization::new(&p.src, params).unwrap();
        let f = sk.factor(shift).unwrap();
        assert_skeletonized(&f, n);
        let x = random_mat(n, 3, 7);
        let exact = shifted(&p.dense, shift) * &x;
        let err = rel(f.apply(x.as_ref()).as_ref(), exact.as_ref());
        println!("{kernel} {geometry}: ‖F x − (A − σI) x‖ / ‖(A − σI) x‖ = {err:.2e}");
        assert!(err <= 1e-9, "{kernel}: {err:e}");
    }
}

/// At tol 1e-4 the factors are still self-consistent: `solve` inverts `apply`, the
/// assembled `F` is symmetric, and its inertia and log-determinant are the counted ones.
#[test]
fn solve_inverts_apply_and_f_has_the_counted_inertia() {
    for (kernel, geometry, n, nugget) in [("yukawa", "sphere", 601, 0.0), ("matern32", "ball", 503, 1e-2)] {
        let p = kernel_problem(kernel, geometry, n, nugget);
        let shift = mean_diag(&p.dense);
        let sk = Skeletonization::new(&p.src, SkelParams::default().tol(1e-4).leaf_size(32)).unwrap();
        let f = sk.factor(shift).unwrap();
        assert_skeletonized(&f, n);
        let x = random_mat(n, 4, 9);
        let back = f.solve(f.apply(x.as_ref()).as_ref());
        let err = rel(back.as_ref(), x.as_ref());
        let b = random_mat(n, 2, 10);
        let err2 = rel(f.apply(f.solve(b.as_ref()).as_ref()).as_ref(), b.as_ref());
        let fd = dense_factored(&f);
        let asym = (&fd - fd.transpose()).norm_l2() / fd.norm_l2();
        let ev = fd.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let smallest = ev.iter().fold(f64::INFINITY, |m, l| m.min(l.abs()));
        let (logabsdet, sign) = dense_logdet(&ev, 0.0);
        let d = f.logdet();
        println!(
            "{kernel} {geometry}: solve∘apply {err:.2e}, apply∘solve {err2:.2e}, asymmetry {asym:.2e}, \
             min |λ(F)| {smallest:.2e}, logdet {} vs {logabsdet}",
            d.logabsdet
        );
        assert!(err <= 1e-10 && err2 <= 1e-10, "{kernel}: {err:e}, {err2:e}");
        assert!(asym <= 1e-12, "{kernel}: asymmetry {asym:e}");
        assert_eq!(ev.partition_point(|&l| l < 0.0), f.inertia().negative, "{kernel}");
        assert_eq!(f.inertia().zero, 0);
        assert!((d.logabsdet - logabsdet).abs() <= 1e-9 * logabsdet.abs().max(1.0), "{kernel}");
        assert_eq!(d.sign, sign, "{kernel}");
    }
}

/// `factor` runs `ldlt`'s elimination: the same inertia and log-determinant bits in both
/// orders; and its solves are the same bits on 1 and 2 threads.
#[test]
fn factor_counts_are_ldlt_bits_and_solves_thread_independent() {
    let p = kernel_problem("laplace3d", "sphere", 777, 0.0);
    let shift = 0.7 * mean_diag(&p.dense);
    let b = random_mat(777, 3, 5);
    let run = |threads: usize, order: EliminationOrder| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let params = SkelParams::default().tol(1e-6).leaf_size(32).order(order);
            let sk = Skeletonization::new(&p.src, params).unwrap();
            let (l, f) = (sk.ldlt(shift).unwrap(), sk.factor(shift).unwrap());
            assert_eq!(l.inertia, f.inertia(), "{order:?}");
            assert_eq!(l.logdet.logabsdet.to_bits(), f.logdet().logabsdet.to_bits(), "{order:?}");
            assert_eq!(l.logdet.sign, f.logdet().sign, "{order:?}");
            assert_eq!(l.peak_stored_bytes, f.stats().peak_stored_bytes, "{order:?}");
            assert_eq!(f.shift(), shift);
            let x = f.solve(b.as_ref());
            (0..3).flat_map(|j| (0..777).map(move |i| (i, j))).map(|ij| x[ij].to_bits()).collect::<Vec<u64>>()
        })
    };
    for order in [EliminationOrder::Waves, EliminationOrder::Arena] {
        assert_eq!(run(1, order), run(2, order), "{order:?}");
    }
}

/// `‖F − (A − σI)‖₂ = ‖E(σ)‖₂` is of order `tol·‖A‖₂`.
#[test]
fn factored_matrix_is_within_tol_of_the_shifted_matrix() {
    let tol = 1e-6;
    for (kernel, geometry, n, nugget) in [("yukawa", "sphere", 901, 0.0), ("matern32", "ball", 803, 1e-2)] {
        let p = kernel_problem(kernel, geometry, n, nugget);
        let shift = mean_diag(&p.dense);
        for order in [EliminationOrder::Waves, EliminationOrder::Arena] {
            let params = SkelParams::default().tol(tol).leaf_size(32).order(order);
            let sk = Skeletonization::new(&p.src, params).unwrap();
            let f = sk.factor(shift).unwrap();
            assert_skeletonized(&f, n);
            let mut e = dense_factored(&f) - shifted(&p.dense, shift);
            e = (&e + e.transpose()) * 0.5;
            let ratio = norm2(&e) / (tol * norm2(&p.dense));
            println!(
                "{kernel} {geometry} {order:?}: ‖F − (A − σI)‖₂ = {ratio:.3}·tol·‖A‖₂; stored factors \
                 {} B, peak working store {} B",
                f.memory_bytes(),
                f.stats().peak_stored_bytes
            );
            assert!(ratio <= 1.0, "{kernel} {order:?}: {ratio}");
            assert!(ratio > 0.0);
        }
    }
}

/// Near an interior eigenvalue the elimination amplifies the dropped ID residual by the
/// entries of `K'[r, r]⁻¹ K'[r, ·]`; the growth limit keeps such redundant indices in the
/// skeleton. Over one middle eigenvalue's bisection, the largest measured
/// `ε(σ) ≥ ‖E(σ)‖₂` (exact products, `counter.rs`) with the default limit is several times
/// smaller than without one (∞), and the value is within 1e-8·‖A‖₂ of the dense one; a
/// limit below 1 is refused.
#[test]
fn growth_limit_keeps_the_elimination_error_small() {
    use hmatrix::eigen::{EigParams, Spectrum};
    let (tol, n) = (1e-5, 4096);
    let p = kernel_problem("yukawa", "sphere", n, 0.0);
    let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let norm = ev[n - 1].abs().max(ev[0].abs());
    let run = |limit: f64| {
        let params = SkelParams::default().tol(tol).growth_limit(limit).order(EliminationOrder::Arena);
        let sk = Skeletonization::new(&p.src, params).unwrap();
        let s = Spectrum::new(&sk, &EigParams::default().cuts_per_round(2)).unwrap();
        let v = s.kth(n / 2).unwrap();
        (s.stats().max_shift_error / (tol * norm), (v.value - ev[n / 2 - 1]).abs() / norm)
    };
    let ((limited, err), (free, err_free)) = (run(32.0), run(f64::INFINITY));
    println!("max ε(σ) = {limited:.2} (limit 32) vs {free:.2} (none) ·tol·‖A‖₂; errors {err:.1e} vs {err_free:.1e}");
    assert!(limited <= 0.25 * free, "{limited} vs {free}");
    assert!(err <= 1e-8, "{err}");
    for bad in [0.5, f64::NAN] {
        assert!(Skeletonization::new(&p.src, SkelParams::default().growth_limit(bad)).is_err());
    }
}

/// A mid-size case without a dense reference: solve inverts apply, and the memory of the
/// stored factors against the peak of the working store.
#[test]
fn mid_size_factors_are_self_consistent() {
    use hmatrix::geometry::Geometry;
    use hmatrix::kernel::RadialKernel;
    use hmatrix::source::KernelSource;
    let points = Geometry::from_name("sphere").unwrap().generate(8191, 42).unwrap();
    let src = KernelSource::new(points, RadialKernel::from_name("yukawa").unwrap(), 0.0).unwrap();
    let sk = Skeletonization::new(&src, SkelParams::default().tol(1e-6).leaf_size(64)).unwrap();
    let f = sk.factor(0.5).unwrap();
    let x = random_mat(8191, 2, 3);
    let err = rel(f.solve(f.apply(x.as_ref()).as_ref()).as_ref(), x.as_ref());
    println!(
        "yukawa sphere 8191, tol 1e-6, leaf 64: {} steps, stored factors {:.1} MB, peak working store \
         {:.1} MB, factor {:.2} s, solve∘apply {err:.2e}",
        f.steps(),
        f.memory_bytes() as f64 / 1e6,
        f.stats().peak_stored_bytes as f64 / 1e6,
        f.stats().time_s
    );
    assert!(err <= 1e-10, "{err:e}");
    assert!(f.memory_bytes() > 0);
}

#[test]
#[should_panic(expected = "solve: b has 10 rows")]
fn solve_with_wrong_rows_panics() {
    let p = kernel_problem("yukawa", "sphere", 100, 0.0);
    let sk = Skeletonization::new(&p.src, SkelParams::default()).unwrap();
    let _ = sk.factor(0.0).unwrap().solve(Mat::<f64>::zeros(10, 1).as_ref());
}

#[test]
#[should_panic(expected = "apply: x has 101 rows")]
fn apply_with_wrong_rows_panics() {
    let p = kernel_problem("yukawa", "sphere", 100, 0.0);
    let sk = Skeletonization::new(&p.src, SkelParams::default()).unwrap();
    let _ = sk.factor(0.0).unwrap().apply(Mat::<f64>::zeros(101, 1).as_ref());
}
