//! Certification of refined eigenvalues against the *input* matrix `A`.
//!
//! The counts and the refinement speak of `Ã_f`; Weyl's `|λ_k(A) − λ_k(Ã_f)| ≤ δ` turns
//! them into brackets of half-width ≈ δ ≈ tol·‖A‖. When exact products with `A` are
//! affordable (`N²` entries from the source), the Ritz vectors `Z` (n × m) of a group give
//! much sharper brackets:
//! - Rayleigh–Ritz of `A` on span(Z): Ritz values `ρ_i`, residual `R = A Z' − Z' diag(ρ)`,
//!   `e = ‖R‖_F` (+ a rounding allowance) — small when `Z` is close to an invariant
//!   subspace of `A`, i.e. `e ≈ ‖(A − Ã_f) Z‖ ≪ δ` in practice;
//! - the group's gap in `A`: the counts give `λ_{nlo}(Ã_f) < lo`, `λ_{nhi+1}(Ã_f) ≥ hi`, so
//!   by Weyl no eigenvalue of `A` other than the group's lies in `(α, β) = (lo + δ, hi − δ)`;
//!   the group's own are inside when their δ-brackets are;
//! - Kahan (`|ρ_i − λ_{nlo+i}(A)| ≤ e` when all `ρ_i ± e` lie in `(α, β)`), and for a single
//!   eigenvalue Kato–Temple: `ρ − e²/(β − ρ) ≤ λ_k(A) ≤ ρ + e²/(ρ − α)`;
//! - in a group whose Kahan intervals are disjoint, member i is the only eigenvalue of `A`
//!   between its neighbours' intervals, `(a_i, b_i) = (ρ_{i−1} + e, ρ_{i+1} − e)` (α, β at
//!   the ends), and Kato–Temple with its own residual `r_i = ‖A z_i − ρ_i z_i‖` applies.
//!
//! - without a proven gap (the group's neighbours lie within 2δ, as in the dense middle of
//!   a kernel matrix's spectrum) nothing is certified, but the values are still A's Ritz
//!   values `ρ_i` (clamped to the δ-brackets): their error is quadratic in the Ritz
//!   vectors' error instead of the first-order `zᵀ(A − Ã_f)z` of `Ã_f`'s values.
//!
//! Rounding: `e` is enlarged by `√n·64ε·‖A‖` and each bracket by `n·ε·‖A‖` (the error of
//! the computed Rayleigh quotient). Every bracket is intersected with the δ-bracket, so
//! certification can only sharpen it.

use super::bounds::{enclosure, Enclosed};
use crate::dense::symmetric_eigen;
use crate::par::Par;
use crate::source::{exact_product, EntrySource};
use faer::MatRef;

/// What certification needs to know about a refined group.
pub(super) struct Group<'g> {
    /// Widest count bracket of the group: `λ_{nlo} < lo`, `λ_{nlo+m+1} ≥ hi` (`Ã_f`).
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// δ ≥ ‖A − Ã_f‖₂ and ‖A‖ (for the rounding allowance).
    pub(super) delta: f64,
    pub(super) norm: f64,
    /// Spend the product for A's Rayleigh–Ritz values even where it cannot certify
    /// (no proven gap); see `Spectrum::cheap_products`.
    pub(super) values_only_product: bool,
    /// Enclosures of the group's eigenvalues of `Ã_f`, ascending in k.
    pub(super) enc: &'g [Enclosed],
    /// Parallelism of the exact product.
    pub(super) par: Par,
}

/// Brackets of `λ_k(A)` for the group: `(lower, upper, value)` per eigenvalue, each within
/// its δ-bracket (the δ-brackets themselves when `A`'s residual does not certify more),
/// with A's Ritz values as the values, and the number of exact products (one).
pub(super) fn certify(src: &dyn EntrySource, z: MatRef<'_, f64>, g: &Group<'_>) -> (Brackets, usize) {
    let weyl: Brackets = g.enc.iter().map(|e| (e.lo - g.delta, e.hi + g.delta, e.value)).collect();
    let (alpha, beta) = (g.lo + g.delta, g.hi - g.delta);
    // No proven gap of A around the group (its neighbours are within 2δ): the product
    // cannot certify anything, but A's Ritz values are still far better values than
    // Ã_f's (mid-spectrum clusters: errors ~1e-9 instead of ~1e-5 at tol 1e-5).
    let no_gap = weyl.iter().any(|w| w.0 <= alpha || w.1 >= beta);
    if no_gap && !g.values_only_product {
        return (weyl, 0);
    }
    let Some((rho, e, r)) = rayleigh_ritz(src, z, g.norm, g.par) else { return (weyl, 1) };
    // Where the residual does not certify, A's Ritz values are still the better estimates
    // of λ(A) (error quadratic in the Ritz vectors' error): values, with ±δ brackets.
    let estimates: Brackets = weyl.iter().zip(&rho).map(|(w, &r)| (w.0, w.1, r.clamp(w.0, w.1))).collect();
    if no_gap {
        return (estimates, 1);
    }
    let m = g.enc.len();
    if m > 1 && rho.iter().any(|&r| r - e <= alpha || r + e >= beta) {
        return (estimates, 1);
    }
    // rounding of the Rayleigh quotient itself: |fl(zᵀAz) − zᵀAz| ≲ n·ε·‖A‖
    let round = src.n() as f64 * f64::EPSILON * g.norm;
    // Kahan's intervals hold the group's eigenvalues in order; where they are disjoint,
    // member i is the only eigenvalue of A in (a_i, b_i) between its neighbours'
    // intervals, and Kato–Temple with its own residual r_i sharpens it quadratically.
    let disjoint = rho.windows(2).all(|p| p[0] + e < p[1] - e);
    let mut out = Vec::with_capacity(m);
    for (i, (w, &ri)) in weyl.iter().zip(&rho).enumerate() {
        let (l, u) = if m == 1 {
            enclosure(alpha, beta, ri, e)
        } else if disjoint {
            let a = if i == 0 { alpha } else { rho[i - 1] + e };
            let b = if i + 1 == m { beta } else { rho[i + 1] - e };
            let (l, u) = enclosure(a, b, ri, r[i]);
            (l.max(ri - e), u.min(ri + e))
        } else {
            (ri - e, ri + e)
        };
        let (l, u) = ((l - round).max(w.0), (u + round).min(w.1));
        if l > u {
            return (estimates, 1);
        }
        out.push((l, u, ri.clamp(l, u)));
    }
    (out, 1)
}

/// `(lower, upper, value)` per eigenvalue of a group.
pub(super) type Brackets = Vec<(f64, f64, f64)>;

/// Ritz values of `A` on span(z) (orthonormal columns), the Frobenius norm of the Ritz
/// residual and the residual norm of each Ritz vector, each plus a rounding allowance
/// `√n · 64ε · ‖A‖`.
fn rayleigh_ritz(
    src: &dyn EntrySource,
    z: MatRef<'_, f64>,
    norm: f64,
    par: Par,
) -> Option<(Vec<f64>, f64, Vec<f64>)> {
    let az = exact_product(src, z, par);
    let (rho, u) = symmetric_eigen(z.transpose() * &az)?;
    let res = &az * &u - z * &u * faer::ColRef::from_slice(&rho).as_diagonal();
    let slack = (src.n() as f64).sqrt() * 64.0 * f64::EPSILON * norm;
    let e = res.norm_l2() + slack;
    let each: Vec<f64> = (0..res.ncols()).map(|j| res.col(j).norm_l2() + slack).collect();
    e.is_finite().then_some((rho, e, each))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::DenseSource;
    use faer::Mat;

    /// `A = Q diag(λ) Qᵀ` (n = 40) with a fixed orthogonal `Q` (Householder QR of a fixed
    /// matrix): a pair at 1 and 1 + 1e-3, the rest at 2 + i.
    fn test_matrix() -> (Mat<f64>, Vec<f64>, Mat<f64>) {
        let n = 40;
        let lam: Vec<f64> =
            (0..n).map(|i| if i < 2 { 1.0 + 1e-3 * i as f64 } else { 2.0 + i as f64 }).collect();
        let m = Mat::from_fn(n, n, |i, j| ((i * 7 + j * 13) as f64).sin());
        let (q, _) = crate::dense::full_qr(m.as_ref());
        let a = Mat::from_fn(n, n, |i, j| (0..n).map(|k| q[(i, k)] * lam[k] * q[(j, k)]).sum::<f64>());
        let a = Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
        (a, lam, q)
    }

    /// A pair at 1 and 1 + 1e-3 (gap to the rest ≥ 1): Kahan alone gives ±e, the
    /// per-member Kato–Temple ≈ ±e²/1e-3; both brackets must hold the eigenvalues.
    #[test]
    fn group_members_get_kato_temple_brackets() {
        let (a, lam, q) = test_matrix();
        let n = lam.len();
        let src = DenseSource::new(a).unwrap();
        // Ritz vectors: the two eigenvectors, perturbed by 1e-5 towards the third one
        let z = Mat::from_fn(n, 2, |i, j| q[(i, j)] + 1e-5 * q[(i, 2)]);
        let (zq, _) = crate::dense::full_qr(z.as_ref());
        let z = zq.as_ref().subcols(0, 2).to_owned();
        let enc = [
            Enclosed { k: 1, lo: 0.99, hi: 1.0005, value: 1.0 },
            Enclosed { k: 2, lo: 1.0005, hi: 1.01, value: 1.001 },
        ];
        let g = Group {
            lo: 0.5,
            hi: 3.0,
            delta: 0.01,
            norm: 42.0,
            values_only_product: true,
            enc: &enc,
            par: crate::par::default_par(),
        };
        let (b, products) = certify(&src, z.as_ref(), &g);
        assert_eq!(products, 1);
        for (i, (l, u, v)) in b.iter().enumerate() {
            assert!((v - lam[i]).abs() < 1e-9, "member {i}: value {v}");
            assert!(*l <= lam[i] && lam[i] <= *u, "member {i}: {l} {u}");
            assert!(l <= v && v <= u);
            // e ≈ 1e-5·gap ≈ 3e-5; Kato–Temple: ≈ e²/1e-3 ≈ 1e-6 (+ rounding allowances)
            assert!(u - l < 1e-5, "member {i}: width {} not quadratic", u - l);
        }
    }

    /// Neighbours within 2δ: nothing is certified (the δ-brackets stay), but the values are
    /// A's Rayleigh quotients, not the δ/2-off values of `Ã_f`.
    #[test]
    fn without_a_gap_values_still_come_from_a() {
        let (a, lam, q) = test_matrix();
        let src = DenseSource::new(a).unwrap();
        let z = Mat::from_fn(lam.len(), 1, |i, _| q[(i, 0)] + 1e-5 * q[(i, 2)]);
        let z = Mat::from_fn(z.nrows(), 1, |i, _| z[(i, 0)] / z.col(0).norm_l2());
        let delta = 0.01;
        let enc = [Enclosed { k: 1, lo: 1.004, hi: 1.0045, value: 1.0042 }];
        // the next eigenvalue of Ã_f may lie at 1.0046: within 2δ, no gap of A is proven
        let g = Group {
            lo: 0.5,
            hi: 1.0046,
            delta,
            norm: 42.0,
            values_only_product: true,
            enc: &enc,
            par: crate::par::default_par(),
        };
        let (b, products) = certify(&src, z.as_ref(), &g);
        assert_eq!(products, 1);
        let (l, u, v) = b[0];
        assert_eq!((l, u), (1.004 - delta, 1.0045 + delta), "no certificate without a gap");
        assert!((v - lam[0]).abs() < 1e-9, "value {v} is not A's Rayleigh quotient");
    }
}
