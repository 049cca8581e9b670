//! Eigenvectors against dense LAPACK-style references (faer's self-adjoint EVD): residuals
//! against `A`, angles to the reference vectors of isolated eigenvalues, and the invariant
//! subspace of clusters (Davis–Kahan), for both factorizations through the one `Spectrum`.
mod common;
use common::*;
use faer::{Mat, Side};
use hmatrix::eigen::{EigParams, Eigenpairs, InertiaCounter, Spectrum};
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::H2Params;

/// The dense eigendecomposition `(λ ascending, U)` and `‖A‖₂`.
fn reference(a: &Mat<f64>) -> (Vec<f64>, Mat<f64>, f64) {
    let evd = a.self_adjoint_eigen(Side::Lower).unwrap();
    let lam: Vec<f64> = (0..a.nrows()).map(|i| evd.S()[i]).collect();
    let norm = lam[0].abs().max(lam[lam.len() - 1].abs());
    (lam, evd.U().to_owned(), norm)
}

/// Checks every pair against the dense reference: unit length, the reported residual is
/// the true `‖Ax − λx‖` (or bounds it when not exact) and is ≤ 1e-8·‖A‖ when exact; the
/// part of x outside the reference eigenspace of the eigenvalues within γ = 1e-4·‖A‖ of λ
/// is ≤ r/γ (Davis–Kahan) — for an isolated eigenvalue this is |⟨x, x_ref⟩| ≥ 1 − 1e-8.
fn check(name: &str, a: &Mat<f64>, (lam, u, norm): &(Vec<f64>, Mat<f64>, f64), p: &Eigenpairs) {
    assert_eq!(p.vectors.ncols(), p.values.len());
    let ax = a * &p.vectors;
    let gamma = 1e-4 * norm;
    for (j, e) in p.values.iter().enumerate() {
        let x = p.vectors.col(j);
        assert!((x.norm_l2() - 1.0).abs() < 1e-12, "{name}: ‖x_{}‖ = {}", e.k, x.norm_l2());
        let r = (ax.col(j) - faer::Scale(e.value) * x).norm_l2();
        let slack = 1e-13 * norm;
        if p.residuals_exact {
            assert!(
                (r - p.residuals[j]).abs() <= slack + 1e-6 * r,
                "{name}: λ_{} residual {r:e} reported {:e}",
                e.k,
                p.residuals[j]
            );
            assert!(r <= 1e-8 * norm, "{name}: λ_{} residual {:e}·‖A‖", e.k, r / norm);
        } else {
            assert!(
                r <= p.residuals[j] + slack,
                "{name}: λ_{} residual {r:e} above its bound {:e}",
                e.k,
                p.residuals[j]
            );
        }
        assert!(
            e.lower <= lam[e.k - 1] + slack && lam[e.k - 1] <= e.upper + slack,
            "{name}: λ_{} bracket",
            e.k
        );
        let near: Vec<usize> = (0..lam.len()).filter(|&i| (lam[i] - e.value).abs() <= gamma).collect();
        let q = Mat::from_fn(lam.len(), near.len(), |i, c| u[(i, near[c])]);
        let inside = (q.transpose() * x).norm_l2();
        let outside = (1.0 - inside * inside).max(0.0).sqrt();
        let bound = p.residuals[j] / gamma + 1e-7;
        assert!(
            outside <= bound,
            "{name}: λ_{} vector {outside:e} outside its eigenspace (bound {bound:e})",
            e.k
        );
        if near.len() == 1 && p.residuals_exact {
            let dot = (u.col(near[0]).transpose() * x).abs();
            assert!(dot >= 1.0 - 1e-8, "{name}: λ_{} isolated, |⟨x, x_ref⟩| = 1 − {:e}", e.k, 1.0 - dot);
        }
    }
}

fn queries<C: InertiaCounter>(name: &str, c: &C, a: &Mat<f64>, params: &EigParams) {
    let rf = reference(a);
    let n = a.nrows();
    let s = Spectrum::new(c, params).unwrap();
    for k in [1, n / 4, n / 2, n] {
        let p = s.range_with_vectors(k, k).unwrap();
        check(&format!("{name} k={k}"), a, &rf, &p);
        // the values agree with the query without vectors to the brackets' accuracy
        let v = s.kth(k).unwrap();
        assert!((v.value - p.values[0].value).abs() <= (v.upper - v.lower).max(1e-12 * rf.2));
    }
    let p = s.range_with_vectors(n / 2 - 3, n / 2 + 4).unwrap();
    assert_eq!(p.values.len(), 8);
    check(&format!("{name} range"), a, &rf, &p);
    // vectors of one group are orthonormal; across groups |x_iᵀx_j| ≤ (r_i + r_j)/|λ_i − λ_j|
    // (from x_iᵀAx_j computed both ways)
    let g = p.vectors.transpose() * &p.vectors;
    for i in 0..8 {
        for j in 0..i {
            let gap = (p.values[i].value - p.values[j].value).abs();
            let bound = ((p.residuals[i] + p.residuals[j]) / gap).min(1.0) + 1e-10;
            assert!(g[(i, j)].abs() <= bound, "{name}: x_{i}ᵀx_{j} = {:e} > {bound:e}", g[(i, j)]);
        }
    }
    let (lo, hi) = (rf.0[n / 3] - 1e-9, rf.0[n / 3 + 3] + 1e-9);
    let p = s.in_interval_with_vectors(lo, hi).unwrap();
    assert_eq!(p.values.len(), s.in_interval(lo, hi).unwrap().len(), "{name}: interval");
    check(&format!("{name} interval"), a, &rf, &p);
    println!(
        "{name}: {} factorizations, {} exact products",
        s.stats().factorizations,
        s.stats().exact_products
    );
}

/// At tol 1e-4 the factored matrix's own Ritz vectors have residuals ≈ 1e-4·‖A‖ against A:
/// only the polish reaches 1e-8 (an odd size, and a kernel with a nugget).
#[test]
fn vectors_match_dense_on_both_factorizations() {
    for (k, g, n, nug, tol) in [("yukawa", "sphere", 1501, 0.0, 1e-4), ("matern32", "ball", 1200, 1e-2, 1e-5)]
    {
        let p = kernel_problem(k, g, n, nug);
        let h = build(&p, H2Params::default().tol(tol).leaf_size(64));
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        queries(&format!("{k} ulv"), &plan, &p.dense, &EigParams::default());
        let sk = Skeletonization::new(&p.src, SkelParams::default().tol(tol).leaf_size(64)).unwrap();
        queries(&format!("{k} skel"), &sk, &p.dense, &EigParams::default());
    }
}

/// Without exact products (n above exact_limit) the vectors are the factored matrix's
/// Ritz vectors and the residuals are bounds `‖Mx − θx‖ + ‖A − M‖` that must hold.
#[test]
fn without_exact_products_residuals_are_bounds() {
    let p = kernel_problem("yukawa", "sphere", 900, 0.0);
    let h = build(&p, H2Params::default().tol(1e-8).leaf_size(64));
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    let params = EigParams::default().exact_limit(0);
    queries("yukawa ulv, no exact products", &plan, &p.dense, &params);
    let sk = Skeletonization::new(&p.src, SkelParams::default().tol(1e-8).leaf_size(64)).unwrap();
    queries("yukawa skel, no exact products", &sk, &p.dense, &params);
}

/// The same vectors (bit for bit) for 1 and 3 threads.
#[test]
fn vectors_do_not_depend_on_the_thread_count() {
    let p = kernel_problem("gaussian", "cube", 700, 1e-3);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let h = build(&p, H2Params::default().tol(1e-6));
            let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
            let s = Spectrum::new(&plan, &EigParams::default()).unwrap();
            s.range_with_vectors(300, 302).unwrap()
        })
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a.vectors, b.vectors);
    assert_eq!(a.residuals, b.residuals);
}

#[test]
fn bad_residual_tol_is_an_error() {
    let p = kernel_problem("yukawa", "sphere", 300, 0.0);
    let h = build(&p, H2Params::default());
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = Spectrum::new(&plan, &EigParams::default().residual_tol(bad));
        assert!(matches!(r, Err(hmatrix::Error::InvalidParameter { .. })), "{bad}");
    }
}
