//! The one interface between a factorization and the eigenvalue engine: a family of
//! factorizations of `A − σI`, one per shift, that count inertia.
//!
//! [`Spectrum`](super::Spectrum) is written once against [`InertiaCounter`]; the ULV
//! ([`UlvPlan`]) and the strong skeletonization ([`Skeletonization`]) implement it, and a
//! distributed factorization plugs in the same way.
//!
//! What a count at σ means is the counter's [`ErrorModel`]:
//! - [`ErrorModel::Fixed`]: every factorization factors `M − σI` for one fixed matrix `M`
//!   (the ULV's `Ã_f`), so counts are exact for `M`, monotone in σ, and one estimate
//!   `δ ≥ ‖A − M‖₂` turns brackets of `M` into brackets of `A` (Weyl);
//! - [`ErrorModel::PerShift`]: the factorization at σ factors `M_σ − σI` with
//!   `M_σ = A + E(σ)`, and reports its own bound `ε(σ) ≥ ‖E(σ)‖₂`: the count `c` at σ gives
//!   `λ_c(A) < σ + ε(σ)` and `λ_{c+1}(A) ≥ σ − ε(σ)` (Weyl), whatever the other shifts.
//!
//! The engine keeps, with every counted shift, its error `ε` (0 under the fixed model,
//! where the counts speak of `M` itself), and adds δ (the fixed model's `‖A − M‖₂`, or
//! only a rounding allowance) at the end.

use super::density::DensityModel;
use super::estimate::{factored_error_estimate, lanczos_quadrature};
use crate::error::Result;
use crate::factor::skel::{SkelFactor, Skeletonization};
use crate::factor::{Inertia, Ldlt, LogDet, UlvPlan};
use crate::par::Par;
use crate::source::EntrySource;
use faer::{Mat, MatRef};

/// How the counts of a factorization relate to the input matrix `A` (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorModel {
    /// All counts are exact inertias of one fixed `M` with `‖A − M‖₂ ≤ δ`.
    Fixed,
    /// Each factorization carries its own bound `ε(σ) ≥ ‖M_σ − A‖₂`.
    PerShift,
}

/// One count: the inertia of `M_σ − σI`, and `ε(σ)` (0 under [`ErrorModel::Fixed`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    /// The inertia counted.
    pub inertia: Inertia,
    /// `ε(σ)`: bound of `‖M_σ − M‖₂` (`M = A` under the per-shift model).
    pub error: f64,
    /// Largest rank or skeleton of the factorization (0 if it does not say).
    pub max_rank: usize,
    /// Bytes the factorization held at its peak (0 if it does not say).
    pub bytes: usize,
}

/// What the engine needs to know of the spectrum before it bisects.
#[derive(Debug, Clone)]
pub struct Estimates {
    /// Estimated smallest and largest eigenvalue (checked by counts before any bracket rests on them).
    pub ends: (f64, f64),
    /// Estimate of `‖A‖₂`.
    pub norm: f64,
    /// The mean eigenvalue `tr(A)/n`.
    pub mean: f64,
    /// δ: estimate of `‖A − M‖₂` plus a rounding allowance (fixed model), or the rounding
    /// allowance alone (per-shift model, whose errors come with each count).
    pub delta: f64,
    /// The bracket width below which bisection stops, when the caller sets none.
    pub eig_tol: f64,
    /// The Lanczos quadrature's model of the counting function, if the counter has one.
    pub(crate) model: Option<DensityModel>,
    /// Factorizations the estimates took (counted in the engine's statistics).
    pub factorizations: usize,
}

impl Estimates {
    /// The estimates of a counter whose matrix `M` can be applied (`apply(x) = M x` for
    /// `x` of shape `n × m`), as the ULV's: both spectrum ends and the density model of the
    /// cuts from 24 Lanczos steps (seeded), `‖A‖₂` as the larger end's magnitude; the mean
    /// eigenvalue `tr(A)/n`, δ and the default bisection width as given.
    pub fn from_operator(
        n: usize,
        apply: impl Fn(MatRef<'_, f64>) -> Mat<f64>,
        (mean, delta, eig_tol): (f64, f64, f64),
        seed: u64,
    ) -> Self {
        let (ends, model) = lanczos_quadrature(n, apply, seed);
        let norm = ends.0.abs().max(ends.1.abs());
        Estimates { ends, norm, mean, delta, eig_tol, model, factorizations: 0 }
    }
}

/// A factorization of `M_σ − σI` at one shift, kept for solves.
pub trait ShiftedFactor: Send + Sync {
    /// The shift σ.
    fn shift(&self) -> f64;
    /// Inertia of `M_σ − σI` (Sylvester: exact for the factored matrix).
    fn inertia(&self) -> Inertia;
    /// `log|det(M_σ − σI)|` and its sign.
    fn logdet(&self) -> LogDet;
    /// `(M_σ − σI)⁻¹ b` for `b` of shape `n × m` (user ordering).
    fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64>;
    /// `M_σ x` (the factored matrix without its shift), `x` of shape `n × m`.
    fn apply_unshifted(&self, x: MatRef<'_, f64>) -> Mat<f64>;
    /// `ε(σ)` of [`Count::error`].
    fn error(&self) -> f64;
}

/// Counts inertia at any shift σ: the factorizations the eigenvalue engine drives.
pub trait InertiaCounter: Sync {
    /// A factorization at one shift, with solves.
    type Factor<'f>: ShiftedFactor
    where
        Self: 'f;
    /// `"ulv"`, `"skel"`, …: which factorization ran (reported by the CLI).
    fn name(&self) -> &'static str;
    /// Dimension n.
    fn n(&self) -> usize;
    /// The entries of `A` (exact products, error estimates).
    fn source(&self) -> &dyn EntrySource;
    /// Parallelism of one factorization.
    fn par(&self) -> Par;
    /// What a count means.
    fn error_model(&self) -> ErrorModel;
    /// Spectrum estimates; `samples` and `seed` drive the randomized ones.
    ///
    /// # Errors
    /// As the counter's factorizations and entry reads.
    fn estimates(&self, samples: usize, seed: u64) -> Result<Estimates>;
    /// The inertia at σ (without keeping the factors when they are not needed for ε);
    /// `norm` is [`Estimates::norm`], the scale of error bounds that are not measured.
    ///
    /// # Errors
    /// As the counter's factorizations; a zero pivot is reported in `inertia.zero`.
    fn count(&self, sigma: f64, norm: f64) -> Result<Count>;
    /// The factorization at σ, kept for solves (`norm` as for [`InertiaCounter::count`]).
    ///
    /// # Errors
    /// As [`InertiaCounter::count`].
    fn factor(&self, sigma: f64, norm: f64) -> Result<Self::Factor<'_>>;
    /// Entries the representation stores: an exact product (`n²` entries) is "cheap" when
    /// it costs about what a few factorizations do.
    fn stored_entries(&self) -> usize;
}

impl ShiftedFactor for Ldlt<'_> {
    fn shift(&self) -> f64 {
        Ldlt::shift(self)
    }
    fn inertia(&self) -> Inertia {
        Ldlt::inertia(self)
    }
    fn logdet(&self) -> LogDet {
        Ldlt::logdet(self)
    }
    fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        Ldlt::solve(self, b)
    }
    fn apply_unshifted(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.plan().apply(x)
    }
    fn error(&self) -> f64 {
        0.0
    }
}

impl<'h> InertiaCounter for UlvPlan<'h> {
    type Factor<'f>
        = Ldlt<'f>
    where
        Self: 'f;

    fn name(&self) -> &'static str {
        "ulv"
    }
    fn n(&self) -> usize {
        UlvPlan::n(self)
    }
    fn source(&self) -> &dyn EntrySource {
        self.matrix().source()
    }
    fn par(&self) -> Par {
        UlvPlan::par(self)
    }
    fn error_model(&self) -> ErrorModel {
        ErrorModel::Fixed
    }

    /// Lanczos on the H² matvec (ends, norm, density model), δ from sampled exact columns
    /// against `Ã_f` ([`factored_error_estimate`]), the mean from `tr(Ã) = tr(A)`.
    fn estimates(&self, samples: usize, seed: u64) -> Result<Estimates> {
        let h = self.matrix();
        // Both ends of the spectrum, once: the larger magnitude is the norm estimate (the
        // dominant eigenvalue's Rayleigh quotient), and they seed the start interval.
        let (ends, model) = lanczos_quadrature(h.n(), |x| h.matvec(x), seed);
        let norm = ends.0.abs().max(ends.1.abs());
        let scale = if norm > 0.0 { norm } else { 1.0 };
        let delta = factored_error_estimate(self, samples, seed)? + 1e-12 * scale;
        let eig_tol = (1e-2 * h.params().tol * scale).max(1e-14 * scale);
        Ok(Estimates { ends, norm, mean: h.trace() / h.n() as f64, delta, eig_tol, model, factorizations: 0 })
    }

    fn count(&self, sigma: f64, _: f64) -> Result<Count> {
        let inertia = self.ldlt(sigma)?.inertia();
        Ok(Count { inertia, error: 0.0, max_rank: self.matrix().report().max_rank, bytes: 0 })
    }

    fn factor(&self, sigma: f64, _: f64) -> Result<Ldlt<'_>> {
        self.ldlt(sigma)
    }

    fn stored_entries(&self) -> usize {
        (self.matrix().memory_bytes() + self.memory_bytes()) / 8
    }
}

/// A skeletonization factor with its measured `ε(σ)`.
pub struct SkelShift<'a> {
    factor: SkelFactor<'a>,
    error: f64,
}

impl ShiftedFactor for SkelShift<'_> {
    fn shift(&self) -> f64 {
        self.factor.shift()
    }
    fn inertia(&self) -> Inertia {
        self.factor.inertia()
    }
    fn logdet(&self) -> LogDet {
        self.factor.logdet()
    }
    fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        self.factor.solve(b)
    }
    fn apply_unshifted(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut y = self.factor.apply(x);
        y += faer::Scale(self.factor.shift()) * x;
        y
    }
    fn error(&self) -> f64 {
        self.error
    }
}

impl<'a> InertiaCounter for Skeletonization<'a> {
    type Factor<'f>
        = SkelShift<'f>
    where
        Self: 'f;

    fn name(&self) -> &'static str {
        "skel"
    }
    fn n(&self) -> usize {
        Skeletonization::n(self)
    }
    fn source(&self) -> &dyn EntrySource {
        Skeletonization::source(self)
    }
    fn par(&self) -> Par {
        self.params().par
    }
    fn error_model(&self) -> ErrorModel {
        ErrorModel::PerShift
    }

    fn estimates(&self, samples: usize, seed: u64) -> Result<Estimates> {
        super::skel::estimates(self, samples, seed)
    }

    fn count(&self, sigma: f64, norm: f64) -> Result<Count> {
        let f = InertiaCounter::factor(self, sigma, norm)?;
        let st = f.factor.stats();
        let max_rank = st.levels.iter().map(|l| l.max_skeleton).max().unwrap_or(0);
        let bytes = st.peak_stored_bytes.max(f.factor.memory_bytes());
        Ok(Count { inertia: f.inertia(), error: f.error, max_rank, bytes })
    }

    fn factor(&self, sigma: f64, norm: f64) -> Result<SkelShift<'_>> {
        let factor = Skeletonization::factor(self, sigma)?;
        let error = super::skel::shift_error(self, &factor, norm)?;
        Ok(SkelShift { factor, error })
    }

    fn stored_entries(&self) -> usize {
        self.near_entries()
    }
}
