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
//!   eigenvalue Kato–Temple: `ρ − e²/(β − ρ) ≤ λ_k(A) ≤ ρ + e²/(ρ − α)`.
//!
//! Rounding: `e` is enlarged by `√n·64ε·‖A‖` and each bracket by `n·ε·‖A‖` (the error of
//! the computed Rayleigh quotient). Every bracket is intersected with the δ-bracket, so
//! certification can only sharpen it.

use super::refine::{enclosure, Enclosed};
use crate::source::EntrySource;
use faer::{Mat, MatRef, Side};
use rayon::prelude::*;

/// Rows of `A` evaluated per task of the exact product.
const ROW_CHUNK: usize = 32;

/// `A · z` with every entry of `A` taken from the source (N² entries, parallel over row
/// chunks; each output row is a fixed-order sum, so the result is thread-count independent).
pub fn exact_product(src: &dyn EntrySource, z: MatRef<'_, f64>) -> Mat<f64> {
    let n = src.n();
    let cols: Vec<usize> = (0..n).collect();
    let chunks: Vec<Mat<f64>> = (0..n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .map(|c| {
            let rows: Vec<usize> = (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n)).collect();
            let mut a = Mat::zeros(rows.len(), n);
            src.block(&rows, &cols, a.as_mut());
            crate::dense::mul(a.as_ref(), z)
        })
        .collect();
    let mut out = Mat::zeros(n, z.ncols());
    for (c, part) in chunks.iter().enumerate() {
        out.as_mut().subrows_mut(c * ROW_CHUNK, part.nrows()).copy_from(part);
    }
    out
}

/// What certification needs to know about a refined group.
pub(super) struct Group<'g> {
    /// Widest count bracket of the group: `λ_{nlo} < lo`, `λ_{nlo+m+1} ≥ hi` (`Ã_f`).
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// δ ≥ ‖A − Ã_f‖₂ and ‖A‖ (for the rounding allowance).
    pub(super) delta: f64,
    pub(super) norm: f64,
    /// Enclosures of the group's eigenvalues of `Ã_f`, ascending in k.
    pub(super) enc: &'g [Enclosed],
}

/// Brackets of `λ_k(A)` for the group: `(lower, upper, value)` per eigenvalue, each within
/// its δ-bracket (the δ-brackets themselves when `A`'s residual does not certify more; A's
/// Ritz values as the values once a product was spent), and the number of exact products.
pub(super) fn certify(src: &dyn EntrySource, z: MatRef<'_, f64>, g: &Group<'_>) -> (Brackets, usize) {
    let weyl: Brackets = g.enc.iter().map(|e| (e.lo - g.delta, e.hi + g.delta, e.value)).collect();
    let (alpha, beta) = (g.lo + g.delta, g.hi - g.delta);
    // No proven gap of A around the group (its neighbours are within 2δ): an exact product
    // (N² entries) could not certify anything, so none is spent.
    if weyl.iter().any(|w| w.0 <= alpha || w.1 >= beta) {
        return (weyl, 0);
    }
    let Some((rho, e)) = rayleigh_ritz(src, z, g.norm) else { return (weyl, 1) };
    // Where the residual does not certify, A's Ritz values are still the better estimates
    // of λ(A) (error quadratic in the Ritz vectors' error): values, with ±δ brackets.
    let estimates: Brackets = weyl.iter().zip(&rho).map(|(w, &r)| (w.0, w.1, r.clamp(w.0, w.1))).collect();
    let m = g.enc.len();
    if m > 1 && rho.iter().any(|&r| r - e <= alpha || r + e >= beta) {
        return (estimates, 1);
    }
    // rounding of the Rayleigh quotient itself: |fl(zᵀAz) − zᵀAz| ≲ n·ε·‖A‖
    let round = src.n() as f64 * f64::EPSILON * g.norm;
    let mut out = Vec::with_capacity(m);
    for (w, &r) in weyl.iter().zip(&rho) {
        let (l, u) = if m == 1 { enclosure(alpha, beta, r, e) } else { (r - e, r + e) };
        let (l, u) = ((l - round).max(w.0), (u + round).min(w.1));
        if l > u {
            return (estimates, 1);
        }
        out.push((l, u, r.clamp(l, u)));
    }
    (out, 1)
}

/// `(lower, upper, value)` per eigenvalue of a group.
pub(super) type Brackets = Vec<(f64, f64, f64)>;

/// Ritz values of `A` on span(z) (orthonormal columns) and the Frobenius norm of the Ritz
/// residual plus a rounding allowance `√n · 64ε · ‖A‖`.
fn rayleigh_ritz(src: &dyn EntrySource, z: MatRef<'_, f64>, norm: f64) -> Option<(Vec<f64>, f64)> {
    let az = exact_product(src, z);
    let mut g = z.transpose() * &az;
    for i in 0..g.nrows() {
        for j in 0..i {
            let v = 0.5 * (g[(i, j)] + g[(j, i)]);
            (g[(i, j)], g[(j, i)]) = (v, v);
        }
    }
    let evd = g.self_adjoint_eigen(Side::Lower).ok()?;
    let rho: Vec<f64> = (0..g.nrows()).map(|i| evd.S()[i]).collect();
    let res = &az * evd.U() - z * evd.U() * evd.S();
    let slack = (src.n() as f64).sqrt() * 64.0 * f64::EPSILON * norm;
    let e = res.norm_l2() + slack;
    e.is_finite().then_some((rho, e))
}
