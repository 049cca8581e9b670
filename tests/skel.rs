//! The strong-admissibility skeletonization LDLᵀ against dense references: inertia at
//! 200+ shifts per matrix, log-determinant, degenerate sizes, errors, determinism.
mod common;
use common::*;
use faer::{Mat, Side};
use hmatrix::factor::skel::{EliminationOrder, SkelParams, Skeletonization};
use hmatrix::geometry::Points;
use hmatrix::par::Par;
use hmatrix::source::{DenseSource, EntrySource};
use rand::Rng;

/// Distance factor c: a shift at least c·tol·‖A‖₂ from every eigenvalue of A must be
/// counted exactly. The counts are those of `A − σI + E(σ)` with `E(σ)` the dropped ID
/// residuals. Measured: the farthest wrongly counted shift lay 0.27·tol·‖A‖ from an
/// eigenvalue (yukawa sphere, gaussian sphere); the others had none.
const C: f64 = 1.0;

struct Case {
    name: &'static str,
    dense: Mat<f64>,
    src: Box<dyn EntrySource>,
    params: SkelParams,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let specs = [
        ("yukawa", "sphere", 1600, 0.0, 1e-6, 64, 0.7),
        ("laplace3d", "ball", 1333, 0.0, 1e-6, 64, 1.0),
        ("matern32", "cube", 1201, 1e-2, 1e-7, 48, 0.7),
        ("gaussian", "sphere", 1024, 1e-3, 1e-5, 64, 1.0),
    ];
    for (k, g, n, nugget, tol, leaf_size, eta) in specs {
        let p = kernel_problem(k, g, n, nugget);
        let params = SkelParams::default().tol(tol).leaf_size(leaf_size).eta(eta);
        out.push(Case { name: k, dense: p.dense, src: Box::new(p.src), params });
    }
    // an explicit .npy input with index geometry
    let p = kernel_problem("exponential", "line", 1001, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    hmatrix::io::write_npy(&path, p.dense.as_ref(), false).unwrap();
    let points = Points::index_line(1001).unwrap();
    let src =
        DenseSource::new(hmatrix::io::read_matrix(&path).unwrap()).unwrap().with_points(points).unwrap();
    let params = SkelParams::default().tol(1e-7).leaf_size(50);
    out.push(Case { name: "npy", dense: p.dense, src: Box::new(src), params });
    out
}

fn eigenvalues(a: &Mat<f64>) -> Vec<f64> {
    a.self_adjoint_eigenvalues(Side::Lower).unwrap()
}

fn norm2(ev: &[f64]) -> f64 {
    ev.iter().fold(0f64, |m, x| m.max(x.abs()))
}

#[test]
fn counts_match_dense_counts_away_from_the_spectrum() {
    for (i, case) in cases().into_iter().enumerate() {
        // both elimination orders: parallel waves and arena order
        let order = if i % 2 == 0 { EliminationOrder::Waves } else { EliminationOrder::Arena };
        let sk = Skeletonization::new(case.src.as_ref(), case.params.clone().order(order)).unwrap();
        let ev = eigenvalues(&case.dense);
        let norm = norm2(&ev);
        let tol = case.params.tol;
        let mut r = rng(11);
        let (mut tested, mut near_right, mut near_wrong, mut worst) = (0, 0, 0, 0f64);
        let (lo, hi) = (ev[0] - 0.01 * norm, ev[ev.len() - 1] + 0.01 * norm);
        while tested < 200 {
            // half the shifts uniformly, half between neighbouring eigenvalues
            let s = if tested % 2 == 0 {
                lo + (hi - lo) * r.random::<f64>()
            } else {
                let i = r.random_range(0..ev.len() - 1);
                0.5 * (ev[i] + ev[i + 1])
            };
            let exact = ev.partition_point(|&l| l < s);
            let dist = ev.iter().map(|l| (l - s).abs()).fold(f64::INFINITY, f64::min);
            if dist < C * tol * norm && near_right + near_wrong >= 100 {
                continue; // enough close shifts for the statistic
            }
            let f = sk.ldlt(s).unwrap();
            assert_eq!(f.inertia.negative + f.inertia.zero + f.inertia.positive, ev.len());
            let count = f.inertia.negative;
            if count != exact {
                worst = worst.max(dist / (tol * norm));
            }
            if dist >= C * tol * norm {
                assert_eq!(
                    count,
                    exact,
                    "{}: shift {s} (distance {:.2e}·tol·‖A‖)",
                    case.name,
                    dist / (tol * norm)
                );
                tested += 1;
            } else if count == exact {
                near_right += 1;
            } else {
                near_wrong += 1;
            }
        }
        println!(
            "{}: 200 shifts ≥ {C}·tol·‖A‖ away: all exact; closer: {near_right} right, {near_wrong} off \
             (farthest wrong count {worst:.2}·tol·‖A‖)",
            case.name
        );
    }
}

/// The per-shift error ε(σ) measured on each factorization's stored factors
/// (`InertiaCounter::count`): at 200 shifts per matrix (five matrices: half uniform, a
/// quarter between neighbouring eigenvalues, a quarter within 2·tol·‖A‖ of one) the count
/// lies between A's counts at σ − ε and σ + ε — no wrong count farther from the spectrum
/// than the bound the factorization reports.
#[test]
fn counts_hold_within_the_measured_error() {
    use hmatrix::eigen::InertiaCounter;
    for case in cases() {
        let sk = Skeletonization::new(case.src.as_ref(), case.params.clone().order(EliminationOrder::Arena))
            .unwrap();
        let ev = eigenvalues(&case.dense);
        let (norm, tol) = (norm2(&ev), case.params.tol);
        let mut r = rng(23);
        let (lo, hi) = (ev[0] - 0.01 * norm, ev[ev.len() - 1] + 0.01 * norm);
        let (mut wrong, mut eps_max, mut eps_min, mut dist_wrong) = (0, 0f64, f64::INFINITY, 0f64);
        for t in 0..200 {
            let i = r.random_range(0..ev.len() - 1);
            let s = match t % 4 {
                0 | 1 => lo + (hi - lo) * r.random::<f64>(),
                2 => 0.5 * (ev[i] + ev[i + 1]),
                _ => ev[i] + (4.0 * r.random::<f64>() - 2.0) * tol * norm,
            };
            let c = sk.count(s, norm).unwrap();
            let (below, above) =
                (ev.partition_point(|&l| l < s - c.error), ev.partition_point(|&l| l < s + c.error));
            let nu = c.inertia.negative;
            assert!(
                below <= nu && nu <= above,
                "{}: count {nu} at {s} outside [{below}, {above}] (ε = {:.2e}·tol·‖A‖)",
                case.name,
                c.error / (tol * norm)
            );
            if nu != ev.partition_point(|&l| l < s) {
                wrong += 1;
                let d = ev.iter().map(|l| (l - s).abs()).fold(f64::INFINITY, f64::min);
                dist_wrong = dist_wrong.max(d / c.error);
            }
            eps_max = eps_max.max(c.error / (tol * norm));
            eps_min = eps_min.min(c.error / (tol * norm));
        }
        println!(
            "{}: ε(σ) ∈ [{eps_min:.2}, {eps_max:.2}]·tol·‖A‖; {wrong} counts off A's, all within \
             {dist_wrong:.2}·ε of an eigenvalue",
            case.name
        );
    }
}

/// `log|det(A − σI)| = Σ log|λ_i − σ|`; with every eigenvalue moved by at most
/// `ε = C·tol·‖A‖` (Weyl), each term moves by at most `ε / (|λ_i − σ| − ε)`.
#[test]
fn logdet_within_the_weyl_bound() {
    for case in cases() {
        let sk = Skeletonization::new(case.src.as_ref(), case.params.clone()).unwrap();
        let ev = eigenvalues(&case.dense);
        let (norm, n) = (norm2(&ev), ev.len());
        let eps = C * case.params.tol * norm;
        for shift in [ev[0] - 0.1 * norm, 0.5 * (ev[n / 2] + ev[n / 2 + 1]), ev[n - 1] + 0.05 * norm] {
            let (exact, sign) = dense_logdet(&ev, shift);
            if ev.iter().any(|l| (l - shift).abs() <= 2.0 * eps) {
                continue; // the bound needs every eigenvalue to stay on its side
            }
            let bound: f64 = ev.iter().map(|l| eps / ((l - shift).abs() - eps)).sum();
            let d = sk.ldlt(shift).unwrap().logdet;
            assert!(
                (d.logabsdet - exact).abs() <= bound,
                "{}: {} vs {exact} (bound {bound:e})",
                case.name,
                d.logabsdet
            );
            assert_eq!(d.sign, sign, "{}", case.name);
        }
    }
}

/// Sizes below and around the leaf size, and a single point: with no far field at all the
/// elimination is exact dense LDLᵀ.
#[test]
fn degenerate_sizes_are_exact() {
    for (n, leaf) in [(1, 8), (2, 8), (7, 8), (9, 8), (129, 64), (300, 300)] {
        let p = kernel_problem("yukawa", "sphere", n, 0.0);
        let sk = Skeletonization::new(&p.src, SkelParams::default().leaf_size(leaf)).unwrap();
        let ev = eigenvalues(&p.dense);
        for i in 0..n.saturating_sub(1) {
            let s = 0.5 * (ev[i] + ev[i + 1]);
            assert_eq!(sk.ldlt(s).unwrap().inertia.negative, i + 1, "n {n}, leaf {leaf}");
        }
        assert_eq!(sk.ldlt(ev[n - 1] + 1.0).unwrap().inertia.negative, n);
        assert_eq!(sk.ldlt(ev[0] - 1.0).unwrap().inertia.positive, n);
    }
}

#[test]
fn bad_input_is_an_error() {
    let p = kernel_problem("yukawa", "sphere", 200, 0.0);
    let ok = SkelParams::default();
    let sk = Skeletonization::new(&p.src, ok.clone()).unwrap();
    for s in [f64::NAN, f64::INFINITY] {
        assert!(matches!(sk.ldlt(s), Err(hmatrix::Error::InvalidParameter { .. })));
    }
    let bad = [
        ok.clone().tol(0.0),
        ok.clone().tol(f64::NAN),
        ok.clone().leaf_size(0),
        ok.clone().eta(-1.0),
        ok.clone().far_samples(0),
    ];
    for params in bad {
        assert!(matches!(Skeletonization::new(&p.src, params), Err(hmatrix::Error::InvalidParameter { .. })));
    }
    // two indices per point: the points do not match the dimension (group from the source)
    let grouped = Grouped { inner: &p.src, points: p.points.clone(), group: 2 };
    assert!(matches!(Skeletonization::new(&grouped, ok.clone()), Err(hmatrix::Error::SizeMismatch { .. })));
    // a NaN entry gives an error, never a count: between the two poles (far from each
    // other, sampled in full: `far_samples` covers every point), and on the diagonal
    let n = p.dense.nrows();
    for (bad_i, bad_j) in [(0, n - 1), (5, 5)] {
        let d = p.dense.clone();
        let src = hmatrix::source::FnSource::new(n, move |i, j| {
            if (i, j) == (bad_i, bad_j) || (j, i) == (bad_i, bad_j) {
                f64::NAN
            } else {
                d[(i, j)]
            }
        })
        .with_points(p.points.clone())
        .unwrap();
        let params = ok.clone().leaf_size(16).far_samples(4 * n);
        let sk = Skeletonization::new(&src, params).unwrap();
        let e = sk.ldlt(0.0).err();
        if bad_i == bad_j {
            assert!(
                matches!(
                    e,
                    Some(hmatrix::Error::NonFiniteEntry { .. } | hmatrix::Error::NonFinitePivot { .. })
                ),
                "NaN on the diagonal: {e:?}"
            );
        } else {
            assert!(matches!(e, Some(hmatrix::Error::NonFiniteEntry { .. })), "NaN in the far field: {e:?}");
        }
    }
}

/// Same bits for any thread count, with levels in parallel waves and in arena order: one
/// factorization, and a whole bisection (whose rounds count several shifts concurrently).
#[test]
fn same_input_same_bits_for_any_thread_count() {
    use hmatrix::eigen::{EigParams, Spectrum};
    let p = kernel_problem("laplace3d", "sphere", 1500, 0.0);
    // `parallel` (the old flag): waves and parallel sampling and rounds, or arena order and
    // everything sequential
    let run = |threads: usize, parallel: bool| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let (order, par) = if parallel {
                (EliminationOrder::Waves, hmatrix::par::default_par())
            } else {
                (EliminationOrder::Arena, Par::Seq)
            };
            let params = SkelParams::default().leaf_size(64).tol(1e-6).order(order).par(par);
            let sk = Skeletonization::new(&p.src, params).unwrap();
            let f = sk.ldlt(500.0).unwrap();
            let s = Spectrum::new(&sk, &EigParams::default().par(par).cuts_per_round(2)).unwrap();
            let e = s.range(700, 703).unwrap();
            let bits: Vec<[u64; 3]> =
                e.iter().map(|e| [e.value.to_bits(), e.lower.to_bits(), e.upper.to_bits()]).collect();
            (f.inertia, f.logdet.logabsdet.to_bits(), bits, s.stats().factorizations)
        })
    };
    assert_eq!(run(1, true), run(4, true));
    assert_eq!(run(1, false), run(4, false));
}

/// At a tolerance near rounding the ID keeps (almost) everything: the counts at every
/// eigenvalue midpoint and the log-determinant are those of the dense matrix to rounding,
/// which checks the congruence and Schur algebra far more sharply than `C·tol·‖A‖`.
#[test]
fn near_exact_at_rounding_tolerance() {
    let p = kernel_problem("yukawa", "sphere", 700, 0.0);
    let ev = eigenvalues(&p.dense);
    let norm = norm2(&ev);
    let mut logdets = Vec::new();
    for order in [EliminationOrder::Waves, EliminationOrder::Arena] {
        let params = SkelParams::default().tol(1e-14).leaf_size(40).order(order);
        let sk = Skeletonization::new(&p.src, params).unwrap();
        let levels = sk.ldlt(0.0).unwrap().levels;
        assert!(levels.len() >= 4, "a tree with a few levels ({})", levels.len());
        // the congruences must have run: indices were eliminated below the root
        let left = levels[levels.len() - 2].total_skeleton;
        assert!(left < 3 * ev.len() / 4, "{left} of {} indices reach level 1", ev.len());
        for i in 0..ev.len() - 1 {
            if ev[i + 1] - ev[i] > 1e-9 * norm {
                let s = 0.5 * (ev[i] + ev[i + 1]);
                assert_eq!(sk.ldlt(s).unwrap().inertia.negative, i + 1, "midpoint {i}");
            }
        }
        let shift = 0.5 * (ev[350] + ev[351]);
        let (exact, sign) = dense_logdet(&ev, shift);
        let d = sk.ldlt(shift).unwrap().logdet;
        assert!((d.logabsdet - exact).abs() <= 1e-8 * exact.abs(), "{} vs {exact}", d.logabsdet);
        assert_eq!(d.sign, sign);
        logdets.push(d.logabsdet);
    }
    // waves and arena order differ only in rounding here
    assert!((logdets[0] - logdets[1]).abs() <= 1e-10 * logdets[0].abs(), "{logdets:?}");
}

/// The one `Spectrum` on skeletonization counts: every bracket contains the dense
/// eigenvalue and the value is within `eig_tol + ε` of it, for single targets at both ends
/// and in the middle, a range of 32 and an interval.
#[test]
fn skel_spectrum_brackets_contain_dense_eigenvalues() {
    use hmatrix::eigen::{EigParams, Spectrum};
    for (kernel, geometry, n, nugget, tol) in
        [("yukawa", "sphere", 1501, 0.0, 1e-6), ("matern32", "ball", 1200, 1e-2, 1e-7)]
    {
        let p = kernel_problem(kernel, geometry, n, nugget);
        let ev = eigenvalues(&p.dense);
        let params = SkelParams::default().tol(tol).leaf_size(64);
        let sk = Skeletonization::new(&p.src, params).unwrap();
        let s = Spectrum::new(&sk, &EigParams::default()).unwrap();
        let check = |e: &hmatrix::eigen::Eigenvalue| {
            let st = s.stats();
            let r = ev[e.k - 1];
            assert!(
                e.lower <= r && r <= e.upper,
                "{kernel}: λ_{} = {r} outside [{}, {}]",
                e.k,
                e.lower,
                e.upper
            );
            assert!(
                (e.value - r).abs() <= st.eig_tol + 6.0 * st.max_shift_error + st.error_estimate,
                "{kernel}: λ_{} = {r} vs {}",
                e.k,
                e.value
            );
        };
        for k in [1, n / 4, n / 2, n] {
            check(&s.kth(k).unwrap());
        }
        let r = s.range(n / 2 - 16, n / 2 + 15).unwrap();
        assert_eq!(r.iter().map(|e| e.k).collect::<Vec<_>>(), (n / 2 - 16..=n / 2 + 15).collect::<Vec<_>>());
        r.iter().for_each(check);
        let (a, b) = (ev[n / 3] - 1e-3 * (ev[n / 3 + 1] - ev[n / 3]), ev[n / 3 + 10]);
        let inside = s.in_interval(a, b).unwrap();
        assert!(!inside.is_empty());
        inside.iter().for_each(check);
        println!("{kernel}: {:?}", s.stats());
    }
}

#[test]
fn skel_spectrum_rejects_bad_queries() {
    use hmatrix::eigen::{EigParams, Spectrum};
    use hmatrix::Error;
    let p = kernel_problem("yukawa", "sphere", 300, 0.0);
    let sk = Skeletonization::new(&p.src, SkelParams::default()).unwrap();
    let s = Spectrum::new(&sk, &EigParams::default()).unwrap();
    assert!(matches!(s.kth(0), Err(Error::IndexOutOfRange { .. })));
    assert!(matches!(s.kth(301), Err(Error::IndexOutOfRange { .. })));
    assert!(matches!(s.range(5, 4), Err(Error::EmptyRange { .. })));
    assert!(matches!(s.in_interval(2.0, 1.0), Err(Error::EmptyRange { .. })));
    assert!(matches!(s.in_interval(f64::NAN, 1.0), Err(Error::InvalidParameter { .. })));
    for bad in [
        EigParams::default().eig_tol(Some(f64::NAN)),
        EigParams::default().cuts_per_round(0),
        EigParams::default().error_samples(0),
    ] {
        assert!(matches!(Spectrum::new(&sk, &bad), Err(Error::InvalidParameter { .. })));
    }
}

/// A NaN off the diagonal, found by the spectrum's Gershgorin rows, is named by its
/// global row and column (it was reported as column 0).
#[test]
fn skel_spectrum_names_a_nan_entry() {
    use hmatrix::eigen::{EigParams, Spectrum};
    use hmatrix::source::FnSource;
    let p = kernel_problem("yukawa", "sphere", 300, 0.0);
    let (i0, j0) = (211, 57);
    let f = |i: usize, j: usize| {
        if (i, j) == (i0, j0) || (i, j) == (j0, i0) {
            f64::NAN
        } else {
            p.src.entry(i, j)
        }
    };
    let src = FnSource::new(300, f).with_points(p.points.clone()).unwrap();
    let sk = Skeletonization::new(&src, SkelParams::default()).unwrap();
    // every row sampled: the first of rows i0, j0 in the sample order reports the pair
    match Spectrum::new(&sk, &EigParams::default().error_samples(300)).err() {
        Some(hmatrix::Error::NonFiniteEntry { row, col }) => {
            assert!((row, col) == (i0, j0) || (row, col) == (j0, i0), "({row}, {col})")
        }
        e => panic!("expected NonFiniteEntry, got {e:?}"),
    }
}
