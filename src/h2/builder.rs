//! The entry point of the construction: [`H2Builder`], from [`H2Matrix::builder`].

use super::{BasisSpan, H2Matrix, H2Params};
use crate::block::Admissibility;
use crate::error::Result;
use crate::par::Par;
use crate::source::EntrySource;

/// Progress of a long construction: `report(stage, done, total)` is called at each stage
/// (`"bases"` level by level, `"couplings"`), from the calling thread. Any
/// `Fn(&str, usize, usize) + Sync` closure is a `Progress`.
pub trait Progress: Sync {
    /// Stage `stage` reached step `done` of `total`.
    fn report(&self, stage: &str, done: usize, total: usize);
}

impl<F: Fn(&str, usize, usize) + Sync> Progress for F {
    fn report(&self, stage: &str, done: usize, total: usize) {
        self(stage, done, total)
    }
}

/// Builds an [`H2Matrix`] of a source: the parameters of [`H2Params`] with their defaults,
/// each settable by name, then [`H2Builder::build`].
/// The matrix borrows the source (`'s`); the progress callback (`'p`) is borrowed only
/// until [`H2Builder::build`] returns.
#[must_use]
pub struct H2Builder<'s, 'p> {
    src: &'s dyn EntrySource,
    params: H2Params,
    progress: Option<&'p dyn Progress>,
}

impl<'s> H2Builder<'s, 'static> {
    pub(super) fn new(src: &'s dyn EntrySource) -> Self {
        H2Builder { src, params: H2Params::default(), progress: None }
    }
}

impl<'s, 'p> H2Builder<'s, 'p> {
    /// Replaces all parameters (including those set before on this builder).
    pub fn params(mut self, params: H2Params) -> Self {
        self.params = params;
        self
    }

    /// Relative compression tolerance (default 1e-8, see [`H2Params::tol`]).
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }

    /// Rank cap (default none; a cap destroys the accuracy guarantee).
    pub fn max_rank(mut self, max_rank: usize) -> Self {
        self.params.max_rank = Some(max_rank);
        self
    }

    /// Maximum leaf size (default 64).
    pub fn leaf_size(mut self, leaf_size: usize) -> Self {
        self.params.leaf_size = leaf_size;
        self
    }

    /// Strong (H², default η = 1) or weak (HSS) admissibility.
    pub fn admissibility(mut self, admissibility: Admissibility) -> Self {
        self.params.admissibility = admissibility;
        self
    }

    /// What the bases span (default near and far: factorizable).
    pub fn basis(mut self, basis: BasisSpan) -> Self {
        self.params.basis = basis;
        self
    }

    /// Far-field sample size per cluster, in points (default 96).
    pub fn far_samples(mut self, far_samples: usize) -> Self {
        self.params.far_samples = far_samples;
        self
    }

    /// η of the criterion that separates near from far for sampling (default 0.7).
    pub fn sampling_eta(mut self, sampling_eta: f64) -> Self {
        self.params.sampling_eta = sampling_eta;
        self
    }

    /// Parallelism (default: the current rayon pool; the result does not depend on it).
    pub fn par(mut self, par: Par) -> Self {
        self.params.par = par;
        self
    }

    /// Reports the construction's progress to `progress`.
    pub fn progress<'q>(self, progress: &'q dyn Progress) -> H2Builder<'s, 'q> {
        H2Builder { src: self.src, params: self.params, progress: Some(progress) }
    }

    /// Builds the matrix.
    ///
    /// # Errors
    /// [`Error::SizeMismatch`](crate::Error::SizeMismatch) if the source's points do not
    /// match its dimension; [`Error::InvalidParameter`](crate::Error::InvalidParameter)
    /// for `tol ∉ (0, 1)`, `leaf_size = 0`, `far_samples = 0`, `η ≤ 0`, a zero rank cap, or
    /// far-only bases with weak admissibility; [`Error::NonFiniteEntry`](crate::Error::NonFiniteEntry)
    /// (global row and column) if the source produces NaN/inf; [`Error::Empty`](crate::Error::Empty)
    /// for a source of dimension 0.
    pub fn build(self) -> Result<H2Matrix<'s>> {
        H2Matrix::build_with(self.src, self.params, self.progress)
    }
}
