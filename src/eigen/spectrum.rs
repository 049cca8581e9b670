//! The spectrum of `A` probed by the counts of any [`InertiaCounter`]: parameters, results,
//! the start interval and the queries; the bisection rounds are in `bisect.rs`.

use super::accuracy::EigAccuracy;
use super::bisect::{check_interval, first_cut, with_moves};
use super::counter::{Count, ErrorModel, Estimates, InertiaCounter, ShiftedFactor};
use super::density::DensityModel;
use super::interval::{Interval, Point};
use super::vectors::FoundVector;
use super::workers::{JobKind, JobTrace, WorkerGroup};
use crate::error::{Error, Result};
use crate::par::{default_par, Par};
use crate::source::EntrySource;
use faer::Mat;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Bisection parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EigParams {
    /// Absolute width at which a bracket of `Ã_f` stops being bisected. Default
    /// `max(1e-2 · tol · ‖A‖, 1e-14 · ‖A‖)`: finer widths are below the compression error.
    pub eig_tol: Option<f64>,
    /// The same width relative to the estimate of `‖A‖₂` (at most one of `eig_tol` and
    /// `eig_rtol`; default `None`).
    pub eig_rtol: Option<f64>,
    /// Columns sampled for the error estimates: δ of a fixed matrix, or the rows of the
    /// spectrum estimates of a per-shift counter (default 32).
    pub error_samples: usize,
    /// Cuts counted per bisection round, spread over the active intervals (at least one
    /// each; default 1). More than one interval's worth keeps the cores busy with
    /// concurrent shifts when each factorization runs in the arena order.
    pub cuts_per_round: usize,
    /// Parallelism across the shifts of one bisection round (default: the current rayon
    /// pool; results are identical for any value).
    pub par: Par,
    /// Seed of the norm and error estimates (default 0x5eed).
    pub seed: u64,
    /// Refined eigenvalues are checked against exact products with the input matrix
    /// (`N²` entries, one product per refined group, see `exact.rs`) when `n ≤ exact_limit`
    /// (default 65536; 0 = never): values become A's Rayleigh–Ritz values, and brackets
    /// shrink to half-width ≈ `‖(A − Ã_f)z‖²/gap` where the counts prove a gap wider than 2δ.
    /// Eigenvectors are polished against `A` up to the same n (`vectors.rs`).
    pub exact_limit: usize,
    /// Eigenvectors are polished until `‖Ax − ρx‖₂ ≤ residual_tol · ‖A‖₂` (default 1e-10;
    /// the rounding floor is about `√n · 64ε`) or until the residual stops shrinking.
    pub residual_tol: f64,
}

impl Default for EigParams {
    fn default() -> Self {
        Self {
            eig_tol: None,
            eig_rtol: None,
            error_samples: 32,
            cuts_per_round: 1,
            par: default_par(),
            seed: 0x5eed,
            exact_limit: 1 << 16,
            residual_tol: 1e-10,
        }
    }
}

setters!(EigParams {
    /// Sets the bracket width where bisection stops (`None`: from the compression tolerance).
    eig_tol: Option<f64>,
    /// Sets the bracket width relative to ‖A‖₂ (`None`: from `eig_tol` or the tolerance).
    eig_rtol: Option<f64>,
    /// Sets the columns sampled for the error estimates.
    error_samples: usize,
    /// Sets the cuts per round.
    cuts_per_round: usize,
    /// Sets the parallelism across shifts.
    par: Par,
    /// Sets the seed of the estimates.
    seed: u64,
    /// Sets the largest n for exact products with the input matrix.
    exact_limit: usize,
    /// Sets the residual at which eigenvector polishing stops (relative to ‖A‖₂).
    residual_tol: f64,
});

/// The k-th smallest eigenvalue (1-based) with a bracket that contains `λ_k(A)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Eigenvalue {
    /// Index, 1-based ascending (LAPACK's `il/iu` convention).
    pub k: usize,
    /// Estimate of `λ_k(A)`: A's Rayleigh–Ritz value on the refined eigenvectors when
    /// `n ≤ exact_limit`, else `Ã_f`'s Rayleigh quotient when the eigenvalue was refined,
    /// else the midpoint of its bisection bracket.
    pub value: f64,
    /// Lower end of the certified bracket (enclosure of `λ_k(Ã_f)` − δ, or the
    /// Kato–Temple/Kahan bound from A's exact residual when that is sharper).
    pub lower: f64,
    /// Upper end of the certified bracket (as `lower`).
    pub upper: f64,
}

/// Eigenvalues with their eigenvectors ([`Spectrum::range_with_vectors`]).
#[derive(Debug, Clone)]
pub struct Eigenpairs {
    /// The eigenvalues, ascending in k; each value is the Rayleigh quotient of its vector
    /// (of `A` when `residuals_exact`, else of the factored matrix) clamped to its bracket.
    pub values: Vec<Eigenvalue>,
    /// `n × m`: column j is the unit eigenvector of `values[j]` (user ordering), signed so
    /// that its largest entry is positive. In a cluster of eigenvalues closer than the
    /// residuals, the columns span the cluster's invariant subspace to that accuracy.
    pub vectors: Mat<f64>,
    /// `‖A x_j − λ_j x_j‖₂` with `λ_j = values[j].value`: computed with exact products of
    /// `A` when `residuals_exact`, else the upper bound `‖M x_j − θ_j x_j‖₂ + ‖A − M‖₂`
    /// (`M` the factored matrix, `θ_j` its Rayleigh quotient).
    pub residuals: Vec<f64>,
    /// Whether every residual is computed against `A` itself (`n ≤ exact_limit`).
    pub residuals_exact: bool,
}

/// An eigenvalue found by bisection, with its eigenvector when one was asked for.
pub(super) struct Found {
    pub(super) value: Eigenvalue,
    pub(super) vector: Option<FoundVector>,
}

/// Eigenvalue count in `[a, b)` and how many could lie on either side of an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct IntervalCount {
    /// `ν(b) − ν(a)` for `Ã_f`.
    pub count: usize,
    /// Eigenvalues of `Ã_f` within δ of `a` or `b`: the count of `A` is within ±uncertain.
    pub uncertain: usize,
}

/// Work done so far.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct EigStats {
    /// Factorizations (inertia counts) performed, including the start-interval checks.
    pub factorizations: usize,
    /// Shifts moved because they produced a zero or non-finite pivot.
    pub shifts_moved: usize,
    /// Which factorization counted (`"ulv"`, `"skel"`).
    pub factorization: &'static str,
    /// Estimate of `‖A‖₂` (the larger magnitude of the estimated spectrum ends).
    pub norm_estimate: f64,
    /// δ: estimate of `‖A − Ã_f‖₂` (fixed model) plus rounding allowance, added to every bracket.
    pub error_estimate: f64,
    /// The largest per-shift error bound `ε(σ)` of any count (0 under the fixed model).
    pub max_shift_error: f64,
    /// Largest rank or skeleton of any factorization.
    pub max_rank: usize,
    /// Most bytes any one factorization held.
    pub peak_factor_bytes: usize,
    /// The bisection width used.
    pub eig_tol: f64,
    /// Eigenvalues whose bracket was sharpened by exact residuals with `A` (else ±δ).
    pub sharpened: usize,
    /// Exact products `A·Z` (N² entries each) spent on certification.
    pub exact_products: usize,
    /// Start interval `[a, b]` of index queries, from the estimated spectrum ends.
    /// `ν(a) = 0` and `ν(b) = n` are counted only when a result's bracket rests on that
    /// end; a failed check restarts the query from a counted interval.
    pub start: [f64; 2],
}

/// The spectrum of `A`, probed by the inertia counts of one [`InertiaCounter`] (the ULV
/// plan of an H² matrix, the skeletonization, …).
pub struct Spectrum<'a, C: InertiaCounter> {
    pub(super) counter: &'a C,
    pub(super) src: &'a dyn EntrySource,
    pub(super) n: usize,
    pub(super) fixed: bool,
    pub(super) exact_limit: usize,
    pub(super) residual_tol: f64,
    /// An exact product (`n²` entries) costs at most about what a few factorizations cost
    /// (`n² ≤ 64 ·` the entries the counter stores; each factorization touches them all
    /// with O(rank) flops): then it is spent for A's Rayleigh–Ritz values even where it
    /// cannot certify. Not on matrices that compress very well (the default 65,536-point
    /// circle: the product alone would take 10× the whole bisection).
    pub(super) cheap_products: bool,
    pub(super) norm: f64,
    pub(super) delta: f64,
    pub(super) eig_tol: f64,
    pub(super) mean: f64,
    /// Estimated spectrum ends and the start interval they give.
    ends: (f64, f64),
    /// The Lanczos quadrature's model of ν, which aims the cuts (`density.rs`).
    pub(super) model: Option<DensityModel>,
    pub(super) start: [f64; 2],
    /// `ν(start[0]) = 0` / `ν(start[1]) = n` counted and true.
    start_ok: [AtomicBool; 2],
    /// A counted start interval, once a check of `start` failed.
    pub(super) counted_start: OnceLock<[f64; 2]>,
    pub(super) par: Par,
    pub(super) cuts_per_round: usize,
    pub(super) seed: u64,
    pub(super) factorizations: AtomicUsize,
    pub(super) moved: AtomicUsize,
    pub(super) sharpened: AtomicUsize,
    pub(super) exact_products: AtomicUsize,
    /// Bits of the largest `ε(σ)` so far (nonnegative floats order as their bits).
    pub(super) max_error: AtomicU64,
    pub(super) max_rank: AtomicUsize,
    pub(super) peak_bytes: AtomicUsize,
    /// The processes that share the rounds' jobs (`workers.rs`); `None`: this one alone.
    pub(super) group: Option<&'a dyn WorkerGroup>,
    /// Every round's jobs with their kinds and times ([`Spectrum::trace`]).
    pub(super) trace: Mutex<Vec<Vec<JobTrace>>>,
}

impl<'a, C: InertiaCounter> Spectrum<'a, C> {
    /// Estimates `‖A‖₂`, δ and a start interval `[a, b]` around the spectrum (its ends'
    /// counts are checked lazily, see [`Spectrum::range`]).
    ///
    /// The entries of `A` (exact products, the error estimate δ) come from the matrix's
    /// own source, so the brackets speak of the matrix that was compressed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or NaN `eig_tol` or `eig_rtol`, both
    /// of them given, or zero `error_samples`.
    pub fn new(counter: &'a C, params: &EigParams) -> Result<Self> {
        let accuracy = EigAccuracy::from_options(params.eig_tol, params.eig_rtol)?;
        let r = params.residual_tol;
        if !(r.is_finite() && r > 0.0) {
            return Err(Error::invalid("residual_tol", r, "a finite positive number"));
        }
        for (name, v) in [("error_samples", params.error_samples), ("cuts_per_round", params.cuts_per_round)]
        {
            if v == 0 {
                return Err(Error::invalid(name, 0, "a positive integer"));
            }
        }
        let est = counter.estimates(params.error_samples, params.seed)?;
        let Estimates { ends, norm, mean, delta, eig_tol, model, factorizations } = est;
        let n = counter.n();
        let mut s = Spectrum {
            counter,
            src: counter.source(),
            n,
            fixed: counter.error_model() == ErrorModel::Fixed,
            exact_limit: params.exact_limit,
            residual_tol: params.residual_tol,
            cheap_products: (n as f64).powi(2) <= 64.0 * counter.stored_entries() as f64,
            norm,
            delta,
            eig_tol: accuracy.map_or(eig_tol, |a| a.absolute(norm)),
            mean,
            ends,
            model,
            start: [0.0; 2],
            start_ok: [AtomicBool::new(false), AtomicBool::new(false)],
            counted_start: OnceLock::new(),
            par: params.par,
            cuts_per_round: params.cuts_per_round,
            seed: params.seed,
            factorizations: AtomicUsize::new(factorizations),
            moved: AtomicUsize::new(0),
            sharpened: AtomicUsize::new(0),
            exact_products: AtomicUsize::new(0),
            max_error: AtomicU64::new(0),
            max_rank: AtomicUsize::new(0),
            peak_bytes: AtomicUsize::new(0),
            group: None,
            trace: Mutex::new(Vec::new()),
        };
        s.start = s.start_estimate();
        Ok(s)
    }

    /// The same spectrum with the jobs of every round shared by `group` (`workers.rs`):
    /// each member of the group makes the same queries and gets the same results, bit for
    /// bit those of a spectrum without a group, for any group size.
    pub fn with_group(mut self, group: &'a dyn WorkerGroup) -> Self {
        self.group = Some(group);
        self
    }

    /// The estimated ends of the spectrum widened by 1 % of its spread + 2δ (uncounted).
    /// A tight start saves the bisection steps that would only find where the spectrum
    /// lies (6 of 22 for a kernel whose spectrum sits near ‖A‖).
    fn start_estimate(&self) -> [f64; 2] {
        self.widened_ends(1.0)
    }

    /// The estimated spectrum ends widened by `grow` times the base margin (1 % of the
    /// spread + 2δ), clamped to `±(1.1‖A‖ + δ)`.
    fn widened_ends(&self, grow: f64) -> [f64; 2] {
        let (emin, emax) = self.ends;
        let bound = 1.1 * self.norm.max(f64::MIN_POSITIVE) + self.delta;
        let margin = grow * self.base_margin();
        [(emin - margin).max(-bound), (emax + margin).min(bound)]
    }

    fn base_margin(&self) -> f64 {
        let (emin, emax) = self.ends;
        0.01 * (emax - emin) + 2.0 * self.delta + 1e-12 * self.norm.max(f64::MIN_POSITIVE)
    }

    /// `[a, b]` with `ν(a) = 0` and `ν(b) = n` counted: [`Spectrum::start_estimate`], each
    /// side widened 4× until its count certifies it (at most `±(1.1‖A‖ + δ)·2^k`). An end of
    /// `start` already checked is not counted again.
    fn start_interval(&self) -> Result<[f64; 2]> {
        let n = self.n;
        let scale = self.norm.max(f64::MIN_POSITIVE);
        let checked = |i: usize, x: f64| x == self.start[i] && self.start_ok[i].load(Ordering::Relaxed);
        let (mut a, mut b) = (None, None);
        let mut grow = 1.0;
        for _ in 0..64 {
            let [xa, xb] = self.widened_ends(grow);
            if a.is_none() && (checked(0, xa) || self.nu(xa)?.count == 0) {
                a = Some(xa);
            }
            if b.is_none() && (checked(1, xb) || self.nu(xb)?.count == n) {
                b = Some(xb);
            }
            if let (Some(a), Some(b)) = (a, b) {
                return Ok([a, b]);
            }
            grow *= 4.0;
            if grow * self.base_margin() > 4.0 * scale {
                // the Lanczos ends were far off: fall back to ±b, doubling
                let mut x = 1.1 * scale + self.delta;
                for _ in 0..64 {
                    if self.nu(-x)?.count == 0 && self.nu(x)?.count == n {
                        return Ok([-x, x]);
                    }
                    x *= 2.0;
                }
                return Err(Error::ShiftUncertain { shift: x });
            }
        }
        Err(Error::ShiftUncertain { shift: self.widened_ends(grow)[0] })
    }

    /// Statistics so far.
    pub fn stats(&self) -> EigStats {
        EigStats {
            factorizations: self.factorizations.load(Ordering::Relaxed),
            shifts_moved: self.moved.load(Ordering::Relaxed),
            norm_estimate: self.norm,
            factorization: self.counter.name(),
            error_estimate: self.delta,
            max_shift_error: f64::from_bits(self.max_error.load(Ordering::Relaxed)),
            max_rank: self.max_rank.load(Ordering::Relaxed),
            peak_factor_bytes: self.peak_bytes.load(Ordering::Relaxed),
            eig_tol: self.eig_tol,
            start: *self.counted_start.get().unwrap_or(&self.start),
            sharpened: self.sharpened.load(Ordering::Relaxed),
            exact_products: self.exact_products.load(Ordering::Relaxed),
        }
    }

    /// ν(σ) = #{λ(M_σ) < σ}, moving σ slightly (and counting the move) when the
    /// factorization hits a zero or non-finite pivot: the shift used, count and `ε(σ)`.
    pub(super) fn nu(&self, sigma: f64) -> Result<Point> {
        let counters = (&self.factorizations, &self.moved);
        let (c, at) = with_moves(sigma, self.norm, counters, |s| {
            self.counter.count(s, self.norm).map(|c| (c.inertia.zero == 0).then_some(c))
        })?;
        self.note(&c);
        Ok(Point { at, count: c.inertia.negative, err: c.error })
    }

    /// The factorization behind [`Spectrum::nu`], kept for solves, with its count.
    pub(super) fn factor(&self, sigma: f64) -> Result<(C::Factor<'a>, Point)> {
        let counters = (&self.factorizations, &self.moved);
        let (f, at) = with_moves(sigma, self.norm, counters, |s| {
            self.counter.factor(s, self.norm).map(|f| (f.inertia().zero == 0).then_some(f))
        })?;
        let i = f.inertia();
        let err = f.error();
        self.note(&Count { inertia: i, error: err, max_rank: 0, bytes: 0 });
        Ok((f, Point { at, count: i.negative, err }))
    }

    /// Records a count's error bound, rank and memory in the statistics.
    fn note(&self, c: &Count) {
        self.max_error.fetch_max(c.error.max(0.0).to_bits(), Ordering::Relaxed);
        self.max_rank.fetch_max(c.max_rank, Ordering::Relaxed);
        self.peak_bytes.fetch_max(c.bytes, Ordering::Relaxed);
    }

    /// The k-th smallest eigenvalue, `1 ≤ k ≤ n`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`]; factorization errors.
    pub fn kth(&self, k: usize) -> Result<Eigenvalue> {
        Ok(self.range(k, k)?[0])
    }

    /// Eigenvalues `k1 ..= k2` (1-based, ascending).
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] unless `1 ≤ k1, k2 ≤ n`; [`Error::EmptyRange`] if `k1 > k2`;
    /// the factorizations' errors and [`Error::ShiftUncertain`] (also from counting the
    /// start interval's ends).
    pub fn range(&self, k1: usize, k2: usize) -> Result<Vec<Eigenvalue>> {
        Ok(self.query(k1, k2, false)?.into_iter().map(|f| f.value).collect())
    }

    /// Eigenvalues `k1 ..= k2` with their eigenvectors (`vectors.rs`): the refined Ritz
    /// vectors, polished against `A` by a Davidson iteration with exact products while
    /// `n ≤ exact_limit`. Each group of eigenvalues costs about one factorization more
    /// than [`Spectrum::range`] when bisection finished it without refining it.
    ///
    /// # Errors
    /// As [`Spectrum::range`].
    pub fn range_with_vectors(&self, k1: usize, k2: usize) -> Result<Eigenpairs> {
        Ok(pairs(self.n, self.query(k1, k2, true)?))
    }

    fn query(&self, k1: usize, k2: usize, vectors: bool) -> Result<Vec<Found>> {
        let n = self.n;
        let first = first_cut(k1, k2, n, || self.mean)?;
        // The start's counts ν(a) = 0, ν(b) = n are assumed, and counted only if a final
        // bracket (or a gap a certificate used) still ends there: a target away from the
        // ends never needs them (2 of ~11 counts for k = n/2). A failed check means the
        // estimated ends were wrong: start again from a counted interval.
        let from = |[a, b]: [f64; 2], used: &mut [bool; 2]| {
            self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, (k1, k2), used, vectors)
        };
        if let Some(&s) = self.counted_start.get() {
            return from(s, &mut [false; 2]);
        }
        let [a, b] = self.start;
        let mut used = [false; 2];
        let out = from([a, b], &mut used)?;
        if self.start_holds(0, used[0], a, 0)? && self.start_holds(1, used[1], b, n)? {
            return Ok(out);
        }
        let s = match self.counted_start.get() {
            Some(&s) => s,
            None => {
                let s = self.start_interval()?;
                *self.counted_start.get_or_init(|| s)
            }
        };
        from(s, &mut [false; 2])
    }

    /// Whether end `i` of the start interval (at `x`, assumed count `count`) can be trusted:
    /// unused, checked before, or counted now.
    fn start_holds(&self, i: usize, used: bool, x: f64, count: usize) -> Result<bool> {
        if !used || self.start_ok[i].load(Ordering::Relaxed) {
            return Ok(true);
        }
        // a moved shift lies above x: it still proves ν(a) = 0 below, but not ν(b) = n
        let p = self.nu(x)?;
        let ok = p.count == count && (i == 0 || p.at <= x);
        if ok {
            self.start_ok[i].store(true, Ordering::Relaxed);
        }
        Ok(ok)
    }

    /// All eigenvalues in `[a, b)`.
    ///
    /// # Errors
    /// [`Error::EmptyRange`] if `a > b`, [`Error::InvalidParameter`] for NaN ends.
    pub fn in_interval(&self, a: f64, b: f64) -> Result<Vec<Eigenvalue>> {
        Ok(self.interval_query(a, b, false)?.into_iter().map(|f| f.value).collect())
    }

    /// All eigenvalues in `[a, b)` with their eigenvectors, as [`Spectrum::range_with_vectors`].
    ///
    /// # Errors
    /// As [`Spectrum::in_interval`].
    pub fn in_interval_with_vectors(&self, a: f64, b: f64) -> Result<Eigenpairs> {
        Ok(pairs(self.n, self.interval_query(a, b, true)?))
    }

    fn interval_query(&self, a: f64, b: f64, vectors: bool) -> Result<Vec<Found>> {
        check_interval(a, b)?;
        let (pa, pb) = (self.nu(a)?, self.nu(b)?);
        if pb.count <= pa.count {
            return Ok(Vec::new());
        }
        // both ends are counted: nothing to check afterwards
        let iv = Interval::new(pa.at, pb.at, pa.count, pb.count);
        let iv = Interval { elo: pa.err, ehi: pb.err, eglo: pa.err, eghi: pb.err, ..iv };
        self.bisect(iv, (pa.count + 1, pb.count), &mut [false; 2], vectors)
    }

    /// Number of eigenvalues in `[a, b)`, with the number that lie within δ of an end.
    ///
    /// # Errors
    /// As [`Spectrum::in_interval`].
    pub fn count_in_interval(&self, a: f64, b: f64) -> Result<IntervalCount> {
        check_interval(a, b)?;
        let ends = self.run_jobs(&[a, b], |_| JobKind::Count, |&s| self.nu(s));
        let mut ends = ends.into_iter();
        let (pa, pb) = (ends.next().expect("two")?, ends.next().expect("two")?);
        // ν_A(x) ∈ [ν(x − d), ν(x + d)] once d ≥ δ + ε at x ± d; the per-shift ε is taken
        // twice the one counted at x (same skeleton tolerance, nearby shift)
        let (da, db) = (self.delta + 2.0 * pa.err, self.delta + 2.0 * pb.err);
        let shifts = [a - da, a + da, b - db, b + db];
        let nus = self.run_jobs(&shifts, |_| JobKind::Count, |&s| self.nu(s));
        let v: Vec<usize> = nus.into_iter().map(|r| r.map(|p| p.count)).collect::<Result<_>>()?;
        let uncertain = v[1].saturating_sub(v[0]) + v[3].saturating_sub(v[2]);
        Ok(IntervalCount { count: pb.count.saturating_sub(pa.count), uncertain })
    }
}

/// The eigenpairs of found eigenvalues that all carry vectors.
fn pairs(n: usize, found: Vec<Found>) -> Eigenpairs {
    let mut vectors = Mat::zeros(n, found.len());
    let (mut values, mut residuals, mut exact) = (Vec::new(), Vec::new(), true);
    for (j, f) in found.into_iter().enumerate() {
        // ‖Ax − λx‖ ≤ ‖Ax − ρx‖ + |λ − ρ| for the reported λ (ρ clamped to its bracket)
        match f.vector {
            Some(v) => {
                vectors.col_mut(j).copy_from(&v.x);
                residuals.push(v.residual + (f.value.value - v.value).abs());
                exact &= v.exact;
            }
            None => residuals.push(f64::INFINITY),
        }
        values.push(f.value);
    }
    Eigenpairs { values, vectors, residuals, residuals_exact: exact }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factor::UlvPlan;
    use crate::geometry::Geometry;
    use crate::h2::H2Matrix;
    use crate::kernel::RadialKernel;
    use crate::source::{to_dense, KernelSource};
    use faer::Side;

    /// The start's counts are assumed until a result rests on them: wrong estimated ends
    /// (the Lanczos estimate itself may be poor on this small sphere; then ends moved
    /// inside the spectrum on purpose) are caught by the lazy check, which restarts from a
    /// counted interval.
    #[test]
    fn wrong_start_estimates_are_caught() {
        let pts = Geometry::from_name("sphere").unwrap().generate(301, 1).unwrap();
        let src = KernelSource::new(pts.clone(), RadialKernel::from_name("yukawa").unwrap(), 0.0).unwrap();
        let ev = to_dense(&src).self_adjoint_eigenvalues(Side::Lower).unwrap();
        let h = H2Matrix::builder(&src).tol(1e-10).leaf_size(32).build().unwrap();
        let plan = UlvPlan::new(&h, crate::factor::PlanParams::default()).unwrap();
        let n = ev.len();
        let fresh = || Spectrum::new(&plan, &EigParams::default()).unwrap();
        let inside = |e: &Eigenvalue| e.lower <= ev[e.k - 1] && ev[e.k - 1] <= e.upper;
        for k in [1, n / 2, n] {
            let e = fresh().kth(k).unwrap();
            assert!(inside(&e), "λ_{k} = {} outside [{}, {}]", ev[k - 1], e.lower, e.upper);
        }
        let right = [ev[0] - 1.0, ev[n - 1] + 1.0];
        // wrong ends: the lower one above λ_3, the upper one below λ_{n−2}
        for (k, bad) in
            [(1, [0.5 * (ev[2] + ev[3]), right[1]]), (n, [right[0], 0.5 * (ev[n - 3] + ev[n - 2])])]
        {
            let mut s = fresh();
            s.start = bad;
            let e = s.kth(k).unwrap();
            assert!(
                inside(&e),
                "λ_{k} = {} outside [{}, {}] from a wrong start",
                ev[k - 1],
                e.lower,
                e.upper
            );
            assert!(s.counted_start.get().is_some(), "λ_{k}: the wrong start was not caught");
        }
    }
}
