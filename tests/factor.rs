//! Factorizations against dense references: inertia at 200+ shifts per matrix, the debug
//! path (dense Ã_f), solve backward error, log-determinant, errors, determinism.
mod common;
use common::*;
use faer::{Mat, Side};
use hmatrix::block::Admissibility;
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::{DenseSource, EntrySource};
use rand::Rng;

/// Distance factor c: shifts at least c·tol·‖A‖₂ from every eigenvalue of A must be
/// counted exactly (the prototype measured ‖A − Ã‖₂ ≈ 0.3–0.45·tol·‖A‖₂).
const C: f64 = 1.0;

struct Case {
    name: &'static str,
    dense: Mat<f64>,
    src: Box<dyn EntrySource>,
    params: H2Params,
    tol: f64,
}

impl Case {
    /// The H² matrix of the case (it borrows the case's source).
    fn matrix(&self) -> H2Matrix<'_> {
        H2Matrix::builder(self.src.as_ref()).params(self.params.clone()).build().unwrap()
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let specs = [
        ("laplace3d", "sphere", 1600, 0.0, Admissibility::default()),
        ("yukawa", "ball", 1333, 0.0, Admissibility::Weak),
        ("matern32", "cube", 1200, 1e-2, Admissibility::default()),
        ("gaussian", "sphere", 1024, 1e-3, Admissibility::Weak),
    ];
    for (k, g, n, nug, adm) in specs {
        let p = kernel_problem(k, g, n, nug);
        let params = H2Params::default().tol(1e-8).admissibility(adm);
        out.push(Case { name: k, dense: p.dense, src: Box::new(p.src), params, tol: 1e-8 });
    }
    // an explicit .npy input (a yukawa matrix on a line, clustered by index)
    let p = kernel_problem("exponential", "line", 1001, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    hmatrix::io::write_npy(&path, p.dense.as_ref(), false).unwrap();
    let pts = hmatrix::geometry::Points::index_line(1001).unwrap();
    let src = DenseSource::new(hmatrix::io::read_matrix(&path).unwrap()).unwrap().with_points(pts).unwrap();
    let params = H2Params::default().tol(1e-8);
    out.push(Case { name: "npy", dense: p.dense, src: Box::new(src), params, tol: 1e-8 });
    out
}

fn eigenvalues(a: &Mat<f64>) -> Vec<f64> {
    a.self_adjoint_eigenvalues(Side::Lower).unwrap()
}

#[test]
fn inertia_matches_dense_counts_away_from_the_spectrum() {
    for case in cases() {
        let h = case.matrix();
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let ev = eigenvalues(&case.dense);
        let norm = ev.iter().fold(0f64, |m, x| m.max(x.abs()));
        let gap = C * case.tol * norm;
        let mut r = rng(7);
        let (mut tested, mut near_right, mut near_wrong) = (0, 0, 0);
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
            let count = plan.ldlt(s).unwrap().inertia().negative;
            let dist = ev.iter().map(|l| (l - s).abs()).fold(f64::INFINITY, f64::min);
            if dist >= gap {
                assert_eq!(count, exact, "{}: shift {s} (distance {:.2e}·‖A‖)", case.name, dist / norm);
                tested += 1;
            } else if count == exact {
                near_right += 1;
            } else {
                near_wrong += 1;
            }
        }
        println!("{}: 200 shifts ≥ {C}·tol·‖A‖ away: all exact; closer shifts: {near_right} right, {near_wrong} off", case.name);
    }
}

/// The debug path: counts equal the eigenvalue counts of the dense Ã_f exactly.
#[test]
fn counts_are_the_exact_inertia_of_the_factored_matrix() {
    for case in cases() {
        let n = case.dense.nrows();
        let h = case.matrix();
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let af = plan.apply(Mat::<f64>::identity(n, n).as_ref());
        let evf = eigenvalues(&af);
        let norm = evf.iter().fold(0f64, |m, x| m.max(x.abs()));
        let mut mismatches = 0;
        for i in (0..n - 1).step_by(n / 60) {
            let s = 0.5 * (evf[i] + evf[i + 1]);
            if evf[i + 1] - evf[i] < 1e-11 * norm {
                continue; // closer than the rounding of the dense reference itself
            }
            if plan.ldlt(s).unwrap().inertia().negative != i + 1 {
                mismatches += 1;
            }
        }
        assert_eq!(mismatches, 0, "{}", case.name);
    }
}

#[test]
fn solve_backward_error_and_logdet() {
    for case in cases() {
        let n = case.dense.nrows();
        let h = case.matrix();
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let ev = eigenvalues(&case.dense);
        let norm = ev.iter().fold(0f64, |m, x| m.max(x.abs()));
        let b = random_mat(n, 3, 5);
        let mid = 0.5 * (ev[n / 2] + ev[n / 2 + 1]);
        for (shift, spd) in [(mid, false), (ev[0] - 0.1 * (ev[0].abs() + 1e-3), true)] {
            let x = if spd {
                plan.cholesky(shift).unwrap().solve(b.as_ref())
            } else {
                plan.ldlt(shift).unwrap().solve(b.as_ref())
            };
            let mut a = case.dense.clone();
            for i in 0..n {
                a[(i, i)] -= shift;
            }
            let bwd = (&a * &x - &b).norm_l2() / (norm * x.norm_l2() + b.norm_l2());
            assert!(bwd <= 10.0 * case.tol, "{} spd={spd}: backward error {bwd:.2e}", case.name);
            // log|det(A − σI)| = Σ log|λ_i − σ|; Weyl: each term moves by ≤ ‖E‖/|λ_i − σ|
            let (exact, sign) = dense_logdet(&ev, shift);
            let bound: f64 = ev.iter().map(|l| case.tol * norm / (l - shift).abs()).sum();
            let d =
                if spd { plan.cholesky(shift).unwrap().logdet() } else { plan.ldlt(shift).unwrap().logdet() };
            assert!(
                (d.logabsdet - exact).abs() <= bound,
                "{}: logdet {} vs {exact} (bound {bound:e})",
                case.name,
                d.logabsdet
            );
            assert_eq!(d.sign, sign, "{}", case.name);
        }
    }
}

#[test]
fn cholesky_reports_the_failing_block_and_bad_shifts_are_errors() {
    let p = kernel_problem("laplace3d", "sphere", 800, 0.0);
    let h = build(&p, H2Params::default());
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let ev = eigenvalues(&p.dense);
    let e = plan.cholesky(ev[400]).err().unwrap();
    assert!(matches!(e, hmatrix::Error::NotPositiveDefinite { .. }), "{e}");
    assert!(e.to_string().contains("level") && e.to_string().contains("LDL"));
    assert!(matches!(plan.ldlt(f64::NAN).err(), Some(hmatrix::Error::InvalidParameter { .. })));
    assert!(plan.cholesky(ev[0] - 1.0).is_ok());
}

#[test]
fn factorization_is_deterministic_across_thread_counts() {
    let p = kernel_problem("yukawa", "sphere", 1200, 0.0);
    let b = random_mat(1200, 2, 1);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let h = build(&p, H2Params::default());
            let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
            let f = plan.ldlt(200.0).unwrap();
            (f.inertia(), f.logdet().logabsdet.to_bits(), f.solve(b.as_ref()))
        })
    };
    let (a, b2) = (run(1), run(2));
    assert_eq!(a.0, b2.0);
    assert_eq!(a.1, b2.1);
    let diff = (&a.2 - &b2.2).norm_max();
    assert!(a.2 == b2.2, "max diff {diff:e}");
}

/// The dense top can sit on any tree level: the same `Ã_f` is factored, so the counts at
/// shifts between its eigenvalues are the same exact ones, and the solutions agree to the
/// conditioning of `Ã_f − σI` (checked through the residual against the dense `Ã_f`).
#[test]
fn every_top_level_factors_the_same_matrix() {
    let p = kernel_problem("yukawa", "sphere", 1500, 0.0);
    let h = build(&p, H2Params::default().tol(1e-7).leaf_size(48));
    let plan_at = |t: Option<usize>| UlvPlan::new(&h, PlanParams::default().top_level(t)).unwrap();
    let depth = h.tree().depth();
    assert!(depth >= 4, "depth {depth}");
    let n = p.dense.nrows();
    let af = plan_at(Some(1)).apply(Mat::<f64>::identity(n, n).as_ref());
    let evf = eigenvalues(&af);
    let norm = evf.iter().fold(0f64, |m, x| m.max(x.abs()));
    let b = random_mat(n, 2, 3);
    for t in [2, depth - 1, depth, depth + 5] {
        let plan = plan_at(Some(t));
        assert_eq!(plan.top_block().0, t.min(depth));
        let aft = plan.apply(Mat::<f64>::identity(n, n).as_ref());
        assert!((&aft - &af).norm_max() <= 1e-12 * norm, "top {t}: a different Ã_f");
        for i in (0..n - 1).step_by(n / 40) {
            if evf[i + 1] - evf[i] < 1e-11 * norm {
                continue;
            }
            let s = 0.5 * (evf[i] + evf[i + 1]);
            assert_eq!(plan.ldlt(s).unwrap().inertia().negative, i + 1, "top {t}, shift {s}");
        }
        let s = 0.5 * (evf[n / 3] + evf[n / 3 + 1]);
        let x = plan.ldlt(s).unwrap().solve(b.as_ref());
        let mut a = af.clone();
        for i in 0..n {
            a[(i, i)] -= s;
        }
        let bwd = (&a * &x - &b).norm_l2() / (norm * x.norm_l2() + b.norm_l2());
        assert!(bwd <= 1e-12, "top {t}: backward error {bwd:e} against Ã_f");
    }
    let auto = plan_at(None);
    assert!((1..=depth).contains(&auto.top_block().0));
}
