//! Eigenvalues by bisection on inertia counts, written once for every factorization.
//!
//! [`Spectrum`] drives any [`InertiaCounter`] — a family of factorizations of `A − σI`,
//! one per shift: the ULV [`UlvPlan`](crate::factor::UlvPlan) of an H² matrix, the strong
//! [`Skeletonization`](crate::factor::skel::Skeletonization), a distributed one later. A
//! count at σ is the exact inertia of the factored `M_σ − σI` (Sylvester); the counter's
//! [`ErrorModel`] says how `M_σ` relates to `A` (`counter.rs`):
//! - **fixed** (ULV): `M_σ = Ã_f` for every σ, so ν is monotone, brackets of `Ã_f` are exact,
//!   and Weyl's `|λ_k(A) − λ_k(Ã_f)| ≤ ‖A − Ã_f‖₂ ≤ δ` (δ the a-posteriori estimate of
//!   [`factored_error_estimate`] plus `1e-12·‖A‖`) gives the bracket `[lo − δ, hi + δ]`;
//! - **per shift** (skeletonization): `M_σ = A + E(σ)`, and each factorization measures its
//!   own `ε(σ) ≈ ‖E(σ)‖`; a count `c` at σ places `λ_c(A) < σ + ε(σ) ≤ λ_{c+1}(A) + 2ε(σ)`,
//!   so a bracket is `[lo − ε(lo), hi + ε(hi)]` (each end with its own count's error).
//!
//! Many targets share work (as LAPACK's `dstebz`): the active intervals form a list, each
//! holding a contiguous group of eigenvalue indices; every round cuts all of them in
//! parallel (`cuts_per_round` spreads extra concurrent shifts over them: multisection),
//! and every count splits an interval for all the indices it holds. A round's jobs depend
//! only on their own intervals, so a [`WorkerGroup`] (the MPI ranks of `hmatrix::dist`)
//! can share them and still get the one-process results bit for bit (`workers.rs`).
//!
//! Once an interval holds a small group (≤ 8) of eigenvalues, bisection hands it to
//! refinement (`refine.rs`): the factorization at one shift is reused for shift-and-invert
//! subspace iteration (solves cost O(N·r) against O(N·r²) for a factorization), and
//! Rayleigh–Ritz with Kahan / Kato–Temple residual bounds encloses the group's eigenvalues
//! of `M_σ` rigorously (for a per-shift `M_σ`, inside the count brackets shrunk by the
//! errors, where only the group's eigenvalues of `M_σ` can lie). A group near-degenerate
//! below the compression error (symmetric geometries give such pairs) would otherwise cost
//! a bisection step per bit. Where exact products with `A` are affordable, A's own
//! Rayleigh–Ritz values on the refined vectors become the values (`exact.rs`).

mod accuracy;
mod bisect;
mod bounds;
mod counter;
mod density;
mod estimate;
mod exact;
mod interval;
mod refine;
mod skel;
mod spectrum;
mod vectors;
mod wire;
mod workers;

pub use accuracy::{Compression, EigAccuracy, DEFAULT_RELATIVE_ACCURACY};
pub use counter::{Count, ErrorModel, Estimates, InertiaCounter, ShiftedFactor, SkelShift};
pub use estimate::{factored_error_estimate, norm2_estimate, spectrum_ends_estimate};
pub use spectrum::{EigParams, EigStats, Eigenpairs, Eigenvalue, IntervalCount, Spectrum};
pub use workers::{agree, JobKind, JobTrace, WorkerGroup};

use crate::factor::Inertia;

/// The inertia of `A − σI` with the number of eigenvalues that cannot be assigned a side.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CertifiedInertia {
    /// Counts of `M_σ − σI` (exact for the factored matrix).
    pub inertia: Inertia,
    /// Eigenvalues of the factored matrices within `d = δ + ε` of σ, `ν(σ+d) − ν(σ−d)`:
    /// for those the side in the *input* matrix `A` is not certain, and
    /// `ν_A(σ) ∈ [ν(σ−d), ν(σ+d)]` (Weyl).
    pub uncertain: usize,
    /// `ε(σ)` of the count (0 for a fixed matrix).
    pub shift_error: f64,
}

/// Inertia at σ plus `uncertain = ν(σ+d) − ν(σ−d)` with `d = δ + 2ε(σ)` (`δ ≥ ‖A − M‖₂`
/// of a fixed matrix, the per-shift `ε` of the count at σ taken twice for the shifts
/// beside it): the count of `A` itself is certain when `uncertain = 0`. `norm` as for
/// [`InertiaCounter::count`] (unused by the ULV).
///
/// # Errors
/// As the counter's [`InertiaCounter::count`].
pub fn certified_inertia<C: InertiaCounter>(
    c: &C,
    shift: f64,
    (delta, norm): (f64, f64),
) -> crate::Result<CertifiedInertia> {
    let at = c.count(shift, norm)?;
    certify(c, at, shift, (delta, norm))
}

/// [`certified_inertia`] for a count already made at `shift` (two more factorizations);
/// `norm` as for [`InertiaCounter::count`].
///
/// # Errors
/// As the counter's [`InertiaCounter::count`].
pub fn certify<C: InertiaCounter>(
    c: &C,
    at: Count,
    shift: f64,
    (delta, norm): (f64, f64),
) -> crate::Result<CertifiedInertia> {
    let d = delta + 2.0 * at.error;
    let below = c.count(shift - d, norm)?.inertia.negative;
    let a = c.count(shift + d, norm)?.inertia;
    Ok(CertifiedInertia {
        inertia: at.inertia,
        uncertain: (a.negative + a.zero).saturating_sub(below),
        shift_error: at.error,
    })
}
