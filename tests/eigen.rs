//! Bisection eigenvalues against dense references: k-th, ranges, intervals, the ELSES
//! C60 Hamiltonian, bad input.
mod common;
use common::*;
use faer::{Mat, Side};
use hmatrix::block::Admissibility;
use hmatrix::eigen::{EigParams, InertiaCounter, Spectrum};
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::geometry::Points;
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::DenseSource;
use hmatrix::Error;

/// Brackets contain the dense reference up to the reference's own error `n·ε·‖A‖` (faer's
/// dense eigenvalues were seen 160·ε·‖A‖ off: a spectrum shifted by 960.9 moved λ_1 by 5e-11).
/// Values are within `eig_tol + δ` of it, plus `6ε` for per-shift counts (a refined
/// group's bracket is at most `6ε + eig_tol` wide, `Spectrum::refinable`).
fn check<C: InertiaCounter>(
    name: &str,
    s: &Spectrum<'_, C>,
    ev: &[f64],
    vals: &[hmatrix::eigen::Eigenvalue],
) {
    let st = s.stats();
    let n = ev.len() as f64;
    let slack = n * f64::EPSILON * ev[0].abs().max(ev[ev.len() - 1].abs());
    for e in vals {
        let r = ev[e.k - 1];
        let inside = e.lower - slack <= r && r <= e.upper + slack;
        assert!(inside, "{name}: λ_{} = {r} outside [{}, {}]", e.k, e.lower, e.upper);
        let err = (e.value - r).abs();
        let bound = st.eig_tol + st.error_estimate + 6.0 * st.max_shift_error;
        assert!(err <= bound, "{name} ({}): λ_{} error {err:e} > eig_tol + δ + 6ε", st.factorization, e.k);
    }
}

#[test]
fn kth_ranges_and_intervals_match_dense() {
    let specs = [
        ("laplace3d", "sphere", 1024, 0.0, Admissibility::default()),
        ("yukawa", "ball", 777, 0.0, Admissibility::Weak),
        ("matern32", "cube", 900, 1e-2, Admissibility::default()),
        ("gaussian", "sphere", 640, 1e-3, Admissibility::default()),
        ("laplace2d", "circle", 1100, 0.0, Admissibility::Weak),
    ];
    for (k, g, n, nug, adm) in specs {
        let p = kernel_problem(k, g, n, nug);
        let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let h = build(&p, H2Params::default().tol(1e-8).admissibility(adm));
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        queries_match_dense(k, &plan, &ev);
        if adm != Admissibility::Weak {
            // the same queries through the same Spectrum on the other factorization
            let sk = Skeletonization::new(&p.src, SkelParams::default().tol(1e-8).leaf_size(64)).unwrap();
            queries_match_dense(k, &sk, &ev);
        }
    }
}

/// k ∈ {1, n/4, n/2, n}, a range of 32, an interval and its count, against `ev`.
fn queries_match_dense<C: InertiaCounter>(k: &str, c: &C, ev: &[f64]) {
    let n = ev.len();
    let s = Spectrum::new(c, &EigParams::default()).unwrap();
    for kk in [1, n / 4, n / 2, n] {
        check(k, &s, ev, &[s.kth(kk).unwrap()]);
    }
    let before = s.stats().factorizations;
    let r = s.range(n / 2 - 15, n / 2 + 16).unwrap();
    assert_eq!(r.len(), 32);
    check(k, &s, ev, &r);
    let used = s.stats().factorizations - before;
    println!("{k} ({}): 32 eigenvalues with {used} factorizations", c.name());
    let (a, b) = (ev[n / 3] - 1e-9, ev[n / 3 + 5] + 1e-9);
    let inside = s.in_interval(a, b).unwrap();
    check(k, &s, ev, &inside);
    let exact = ev.iter().filter(|&&l| a <= l && l < b).count();
    let ci = s.count_in_interval(a, b).unwrap();
    assert!(inside.len().abs_diff(exact) <= ci.uncertain, "{k}: {} vs {exact}", inside.len());
    assert!(ci.count.abs_diff(exact) <= ci.uncertain);
}

#[test]
fn explicit_mtx_input_and_shared_counts() {
    let p = kernel_problem("exponential", "line", 513, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.mtx");
    hmatrix::io::write_matrix_market(&path, p.dense.as_ref(), true).unwrap();
    let src = DenseSource::new(hmatrix::io::read_matrix(&path).unwrap())
        .unwrap()
        .with_points(Points::index_line(513).unwrap())
        .unwrap();
    let h = H2Matrix::builder(&src).build().unwrap();
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
    let start = s.stats().factorizations;
    let r = s.range(200, 231).unwrap();
    check("mtx", &s, &ev, &r);
    let single = {
        let s1 = Spectrum::new(&plan, &EigParams::default()).unwrap();
        let b = s1.stats().factorizations;
        s1.kth(215).unwrap();
        s1.stats().factorizations - b
    };
    let shared = s.stats().factorizations - start;
    assert!(shared < 32 * single / 2, "shared {shared} vs 32 × {single}");
    let sk = Skeletonization::new(&src, SkelParams::default().tol(1e-8).leaf_size(64)).unwrap();
    let s = Spectrum::new(&sk, &EigParams::default()).unwrap();
    check("mtx", &s, &ev, &s.range(200, 231).unwrap());
}

fn c60() -> Option<(Mat<f64>, Vec<f64>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let a = hmatrix::io::read_matrix(&dir.join("c60_single_n240.mtx.gz")).ok()?;
    let text = std::fs::read_to_string(dir.join("c60_single_n240.eigenvalues.txt")).ok()?;
    let refs = text.lines().filter_map(|l| l.split_whitespace().last()?.parse().ok()).collect();
    Some((a, refs))
}

#[test]
fn elses_c60_all_eigenvalues_to_1e10() {
    let (a, refs) = c60().expect("data/c60_single_n240.* are shipped with the crate");
    assert_eq!(refs.len(), 240);
    let src = DenseSource::new(a).unwrap().with_points(Points::index_line(240).unwrap()).unwrap();
    let h = H2Matrix::builder(&src).tol(1e-12).leaf_size(30).build().unwrap();
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default().eig_tol(Some(1e-11))).unwrap();
    let all = s.range(1, 240).unwrap();
    // the reference list is ELSES's LAPACK output: allow its own n·ε·‖A‖
    let slack = 240.0 * f64::EPSILON * 1.3;
    for e in &all {
        let r = refs[e.k - 1];
        assert!((e.value - r).abs() <= 1e-10, "λ_{}: {} vs {r}", e.k, e.value);
        assert!(
            e.lower - slack <= r && r <= e.upper + slack,
            "λ_{}: {r} outside [{}, {}]",
            e.k,
            e.lower,
            e.upper
        );
    }
    let (homo, lumo) = (all[119].value, all[120].value);
    assert!((lumo - homo - 3.11e-2).abs() < 1e-3);
}

#[test]
fn bad_input_is_an_error() {
    let p = kernel_problem("laplace3d", "sphere", 300, 0.0);
    let h = build(&p, H2Params::default());
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
    assert_eq!(s.kth(0).unwrap_err(), Error::IndexOutOfRange { k: 0, n: 300 });
    assert_eq!(s.kth(301).unwrap_err(), Error::IndexOutOfRange { k: 301, n: 300 });
    assert!(matches!(s.range(10, 9), Err(Error::EmptyRange { .. })));
    assert!(matches!(s.in_interval(2.0, 1.0), Err(Error::EmptyRange { .. })));
    assert!(matches!(s.count_in_interval(f64::NAN, 1.0), Err(Error::InvalidParameter { .. })));
    for t in [f64::NAN, 0.0, -1.0] {
        let e = Spectrum::new(&plan, &EigParams::default().eig_tol(Some(t))).err();
        assert!(matches!(e, Some(Error::InvalidParameter { .. })));
        let e = Spectrum::new(&plan, &EigParams::default().eig_rtol(Some(t))).err();
        assert!(matches!(e, Some(Error::InvalidParameter { .. })));
    }
    let both = EigParams::default().eig_tol(Some(1e-6)).eig_rtol(Some(1e-9));
    assert!(matches!(Spectrum::new(&plan, &both).err(), Some(Error::InvalidParameter { .. })));
    // a relative width is taken against the norm estimate
    let st = Spectrum::new(&plan, &EigParams::default().eig_rtol(Some(1e-9))).unwrap().stats();
    assert_eq!(st.eig_tol, 1e-9 * st.norm_estimate);
}

/// A shift on an eigenvalue of A is flagged, a shift far from the spectrum is certified.
#[test]
fn certified_inertia_flags_shifts_on_eigenvalues() {
    let p = kernel_problem("yukawa", "sphere", 600, 0.0);
    let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let h = build(&p, H2Params::default());
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
    let delta = s.stats().error_estimate;
    let on = hmatrix::eigen::certified_inertia(&plan, ev[300], (delta, 0.0)).unwrap();
    assert!(on.uncertain >= 1);
    assert!(on.inertia.negative.abs_diff(300) <= on.uncertain);
    // the widest gap in the spectrum, if it is wider than 4δ
    let (i, gap) =
        (0..599).map(|i| (i, ev[i + 1] - ev[i])).fold((0, 0.0), |b, x| if x.1 > b.1 { x } else { b });
    assert!(gap > 4.0 * delta, "test needs a gap wider than 4δ");
    let off = hmatrix::eigen::certified_inertia(&plan, 0.5 * (ev[i] + ev[i + 1]), (delta, 0.0)).unwrap();
    assert_eq!((off.uncertain, off.inertia.negative), (0, i + 1));
}

/// Refinement (shift-and-invert subspace iteration on a group of ≤ 8 eigenvalues) encloses
/// the eigenvalues of the factored matrix `Ã_f` within `eig_tol`, with far fewer
/// factorizations than bisection to that width would need, and exact residuals with `A`
/// sharpen the certified brackets below ±δ. Checked against the dense eigenvalues of `A`
/// and of `Ã_f` (the debug matvec applied to the identity), on a spectrum with
/// near-degenerate pairs (sphere), an odd size, and a 1 × 1 matrix.
#[test]
fn refinement_encloses_eigenvalues_of_the_factored_matrix() {
    for (k, g, n) in [("yukawa", "sphere", 1000), ("matern32", "cube", 517), ("laplace3d", "ball", 1)] {
        let p = kernel_problem(k, g, n, if k == "matern32" { 1e-2 } else { 0.0 });
        let h = build(&p, H2Params::default().leaf_size(32));
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let af = plan.apply(Mat::<f64>::identity(n, n).as_ref());
        let ev_f = af.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let norm = ev_f[0].abs().max(ev_f[n - 1].abs());
        let eig_tol = 1e-12 * norm;
        let s = Spectrum::new(&plan, &EigParams::default().eig_tol(Some(eig_tol))).unwrap();
        let st = s.stats();
        let delta = st.error_estimate;
        let before = st.factorizations;
        let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let targets = [(n / 2).max(1), n];
        for &kk in &targets {
            let e = s.kth(kk).unwrap();
            let r = ev[kk - 1];
            let slack = n as f64 * f64::EPSILON * norm;
            let inside = e.lower - slack <= r && r <= e.upper + slack;
            assert!(inside, "{k}: λ_{kk}(A) = {r} outside [{}, {}]", e.lower, e.upper);
            // the bracket holds the δ-widened enclosure of λ_k(Ã_f), at most eig_tol wide
            let (lo, hi) = (e.lower - delta, e.upper + delta);
            let rf = ev_f[kk - 1];
            assert!(lo <= rf && rf <= hi && e.upper - e.lower <= 2.0 * delta + eig_tol, "{k}: λ_{kk}(Ã_f)");
        }
        let st = s.stats();
        println!("{k}: {} of {} brackets sharpened by exact residuals below ±δ", st.sharpened, targets.len());
        if n > 1 {
            assert!(st.sharpened >= 1, "{k}: exact residuals sharpened no bracket");
        }
        let per = (st.factorizations - before) as f64 / targets.len() as f64;
        let bisection = ((st.start[1] - st.start[0]) / eig_tol).log2();
        println!("{k} {g} {n}: {per} factorizations per eigenvalue (bisection alone: {bisection:.0})");
        if n > 1 {
            assert!(per < 0.75 * bisection, "{k}: {per} factorizations per eigenvalue");
        } else {
            assert!(per <= 3.0, "1 × 1: the two start counts and one refinement");
        }
    }
}

/// The Lanczos ends are Ritz values of `Ã` (inside its spectrum up to the compression
/// error δ), the dominant end converged, the other end within 0.5 % of the spread
/// (measured 1.5e-4 and 4.5e-4); the norm estimate is ‖A‖₂ from below. Sizes below the
/// Krylov dimension (1, 2, 7) take the whole space: exact ends.
#[test]
fn lanczos_ends_lie_inside_and_near_the_spectrum() {
    use hmatrix::eigen::{norm2_estimate, spectrum_ends_estimate};
    for (k, g, n, nug) in [
        ("yukawa", "sphere", 1500, 0.0),
        ("matern32", "ball", 999, 1e-2),
        ("laplace2d", "circle", 7, 0.0),
        ("gaussian", "line", 2, 0.0),
        ("exponential", "line", 1, 0.0),
    ] {
        let p = kernel_problem(k, g, n, nug);
        let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let tol = 1e-8;
        let h = build(&p, H2Params::default().tol(tol).leaf_size(64));
        let (lo, hi) = spectrum_ends_estimate(&h, 3);
        let (emin, emax) = (ev[0], ev[n - 1]);
        let scale = emin.abs().max(emax.abs());
        // Ã differs from A by ≈ tol·‖A‖: Ritz values of Ã lie within that of A's spectrum
        let slack = 10.0 * tol * scale;
        assert!(
            emin - slack <= lo && lo <= hi && hi <= emax + slack,
            "{k} {n}: [{lo}, {hi}] vs [{emin}, {emax}]"
        );
        assert!((emax - hi).abs() <= 1e-6 * scale, "{k} {n}: top end {hi} vs {emax}");
        let exact_space = n <= 24;
        let low_err = if exact_space { slack } else { 0.005 * (emax - emin) };
        assert!(lo - emin <= low_err, "{k} {n}: low end {lo} vs {emin}");
        let norm = norm2_estimate(&h, 3);
        assert!(
            norm <= scale + slack && norm >= scale * (1.0 - 1e-6) - slack,
            "{k} {n}: ‖A‖ {norm} vs {scale}"
        );
    }
}

/// At a loose tolerance, bisection can reach eig_tol before the target's group holds ≤ 8
/// eigenvalues (the dense middle of a kernel spectrum); such narrow groups are refined all
/// the same, so the value is A's Rayleigh–Ritz value, not the midpoint of a bracket of
/// `Ã_f` (yukawa sphere, N = 2000, tol 3e-3: the midpoint was 3e-3 off, 0.07·eig_tol; the
/// Ritz value 5e-5).
#[test]
fn narrow_brackets_still_get_ritz_values() {
    let p = kernel_problem("yukawa", "sphere", 2000, 0.0);
    let ev = p.dense.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let h = build(&p, H2Params::default().tol(3e-3).leaf_size(64));
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
    let e = s.kth(1000).unwrap();
    let st = s.stats();
    assert_eq!(st.exact_products, 1, "the value did not come from A's Rayleigh–Ritz");
    let err = (e.value - ev[999]).abs();
    assert!(err <= 1e-2 * st.eig_tol, "error {err:e} against eig_tol {:e}", st.eig_tol);
    assert!(e.lower <= ev[999] && ev[999] <= e.upper);
}
