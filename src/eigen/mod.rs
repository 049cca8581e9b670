//! Eigenvalues by bisection on inertia counts ν(σ) = #{λ_i(Ã_f) < σ}.
//!
//! Every count comes from one [`Ldlt`](crate::factor::Ldlt) of `Ã_f − σI` on the once-built matrix (the bases
//! do not depend on σ). Counts are exact for `Ã_f` (Sylvester), so ν is monotone and
//! bisection brackets `λ_k(Ã_f)` in `[lo, hi]`. Weyl's inequality
//! `|λ_k(A) − λ_k(Ã_f)| ≤ ‖A − Ã_f‖₂ ≤ δ` then gives the certified bracket
//! `[lo − δ, hi + δ]` for the input matrix, with δ the a-posteriori estimate of
//! [`factored_error_estimate`] plus a rounding allowance `1e-12·‖A‖`.
//!
//! Many targets share work (as LAPACK's `dstebz`): the active intervals form a list, each
//! holding a contiguous group of eigenvalue indices; every round bisects all of them in
//! parallel, and every count splits an interval for all the indices it holds.
//!
//! Once an interval holds a small group (≤ 8) of eigenvalues, bisection hands it to
//! refinement (`refine.rs`): the factorization at one shift is reused for shift-and-invert
//! subspace iteration (solves cost O(N·r) against O(N·r²) for a factorization), and
//! Rayleigh–Ritz with Kahan / Kato–Temple residual bounds encloses the group's eigenvalues
//! of `Ã_f` rigorously. A group near-degenerate below the compression error (symmetric
//! geometries give such pairs) would otherwise cost a bisection step per bit.

mod bisect;
mod bounds;
mod density;
mod estimate;
mod exact;
mod refine;
mod skel;

pub use bisect::{EigParams, EigStats, Eigenvalue, IntervalCount, Spectrum};
pub use estimate::{factored_error_estimate, norm2_estimate, spectrum_ends_estimate};
pub use skel::{SkelEigParams, SkelEigStats, SkelSpectrum};

use crate::factor::{Inertia, UlvPlan};

/// The inertia of `A − σI` with the number of eigenvalues that cannot be assigned a side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CertifiedInertia {
    /// Counts of `Ã_f − σI` (exact for the compressed matrix).
    pub inertia: Inertia,
    /// Eigenvalues of `Ã_f` within δ of σ, `ν(σ+δ) − ν(σ−δ)`: for those the side in the
    /// *input* matrix `A` is not certain, and `ν_A(σ) ∈ [ν(σ−δ), ν(σ+δ)]` (Weyl).
    pub uncertain: usize,
}

/// Inertia of `Ã_f − σI` plus `uncertain = ν(σ+δ) − ν(σ−δ)`: the count of `A` itself is
/// certified exactly when `uncertain = 0` (Weyl, with `δ ≥ ‖A − Ã_f‖₂`).
///
/// # Errors
/// As [`UlvPlan::ldlt`].
pub fn certified_inertia(plan: &UlvPlan<'_>, shift: f64, delta: f64) -> crate::Result<CertifiedInertia> {
    certify(plan, plan.ldlt(shift)?.inertia(), shift, delta)
}

/// [`certified_inertia`] for an inertia already computed at `shift` (two more factorizations).
///
/// # Errors
/// As [`UlvPlan::ldlt`].
pub fn certify(
    plan: &UlvPlan<'_>,
    inertia: Inertia,
    shift: f64,
    delta: f64,
) -> crate::Result<CertifiedInertia> {
    let below = plan.ldlt(shift - delta)?.inertia().negative;
    let above = plan.ldlt(shift + delta)?;
    let a = above.inertia();
    Ok(CertifiedInertia { inertia, uncertain: (a.negative + a.zero).saturating_sub(below) })
}
