//! Multi-target bisection on inertia counts, with certified brackets.

use super::density::DensityModel;
use super::estimate::{factored_error_estimate, lanczos_quadrature};
use super::refine::{Refined, MAX_GROUP};
use crate::error::{Error, Result};
use crate::factor::{Ldlt, UlvPlan};
use crate::h2::H2Matrix;
use crate::par::{default_par, pmap, Par};
use crate::source::EntrySource;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Bisection parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EigParams {
    /// Absolute width at which a bracket of `Ã_f` stops being bisected. Default
    /// `max(1e-2 · tol · ‖A‖, 1e-14 · ‖A‖)`: finer widths are below the compression error.
    pub eig_tol: Option<f64>,
    /// Columns sampled for the error estimate δ (default 32).
    pub error_samples: usize,
    /// Parallelism across the shifts of one bisection round (default: the current rayon
    /// pool; results are identical for any value).
    pub par: Par,
    /// Seed of the norm and error estimates (default 0x5eed).
    pub seed: u64,
    /// Refined eigenvalues are checked against exact products with the input matrix
    /// (`N²` entries, one product per refined group, see `exact.rs`) when `n ≤ exact_limit`
    /// (default 65536; 0 = never): values become A's Rayleigh–Ritz values, and brackets
    /// shrink to half-width ≈ `‖(A − Ã_f)z‖²/gap` where the counts prove a gap wider than 2δ.
    pub exact_limit: usize,
}

impl Default for EigParams {
    fn default() -> Self {
        Self { eig_tol: None, error_samples: 32, par: default_par(), seed: 0x5eed, exact_limit: 1 << 16 }
    }
}

setters!(EigParams {
    /// Sets the bracket width where bisection stops (`None`: from the compression tolerance).
    eig_tol: Option<f64>,
    /// Sets the columns sampled for δ.
    error_samples: usize,
    /// Sets the parallelism across shifts.
    par: Par,
    /// Sets the seed of the estimates.
    seed: u64,
    /// Sets the largest n for exact products with the input matrix.
    exact_limit: usize,
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
    /// Lanczos estimate of `‖Ã‖₂` (the larger magnitude of the estimated spectrum ends).
    pub norm_estimate: f64,
    /// δ: estimate of `‖A − Ã_f‖₂` plus rounding allowance, added to every bracket.
    pub error_estimate: f64,
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

/// The spectrum of one H² matrix, probed by inertia counts of its plan's factorizations.
pub struct Spectrum<'a> {
    pub(super) plan: &'a UlvPlan<'a>,
    pub(super) h: &'a H2Matrix<'a>,
    pub(super) src: &'a dyn EntrySource,
    pub(super) exact_limit: usize,
    /// An exact product (`n²` entries) costs at most about what a few factorizations cost
    /// (`n² ≤ 64 ·` the entries `Ã` stores; each factorization touches them all with
    /// O(rank) flops): then it is spent for A's Rayleigh–Ritz values even where it cannot
    /// certify. Not on matrices that compress very well (the default 65,536-point circle:
    /// the product alone would take 10× the whole bisection).
    pub(super) cheap_products: bool,
    pub(super) norm: f64,
    pub(super) delta: f64,
    pub(super) eig_tol: f64,
    /// Estimated spectrum ends (Lanczos) and the start interval they give.
    ends: (f64, f64),
    /// The Lanczos quadrature's model of ν, which aims the cuts (`density.rs`).
    model: Option<DensityModel>,
    start: [f64; 2],
    /// `ν(start[0]) = 0` / `ν(start[1]) = n` counted and true.
    start_ok: [AtomicBool; 2],
    /// A counted start interval, once a check of `start` failed.
    counted_start: OnceLock<[f64; 2]>,
    pub(super) par: Par,
    pub(super) seed: u64,
    factorizations: AtomicUsize,
    moved: AtomicUsize,
    pub(super) sharpened: AtomicUsize,
    pub(super) exact_products: AtomicUsize,
}

/// `[lo, hi)` with the counts `nlo = ν(lo)`, `nhi = ν(hi)` of `Ã_f`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interval {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) nlo: usize,
    pub(super) nhi: usize,
    /// The last cut halved the interval: interpolate freely (else within the middle third).
    pub(super) interp: bool,
    /// The leftmost shift known with count `nlo` and the rightmost with count `nhi`:
    /// `λ_{nlo} < glo` and `λ_{nhi+1} ≥ ghi`, the widest gap around the interval's
    /// eigenvalues that the counts prove (what certification against `A` needs).
    pub(super) glo: f64,
    pub(super) ghi: f64,
    /// A first cut to use instead of the interpolated one (the mean eigenvalue, see
    /// [`Spectrum::range`]); children never inherit it.
    pub(super) first: Option<f64>,
    /// A refinement of this interval (or of the one it was cut from) already failed: once
    /// narrow, it is finished by its bracket alone.
    pub(super) refined: bool,
    /// A refinement handed this interval back unchanged (no count moved it): it is bisected
    /// once before it is refined again, so that the same refinement cannot repeat forever.
    pub(super) stalled: bool,
}

impl Interval {
    pub(super) fn new(lo: f64, hi: f64, nlo: usize, nhi: usize) -> Self {
        Interval {
            lo,
            hi,
            nlo,
            nhi,
            interp: true,
            glo: lo,
            ghi: hi,
            first: None,
            refined: false,
            stalled: false,
        }
    }

    /// Where to cut next for the targets `k1..=k2` it holds, when groups of at most `group`
    /// eigenvalues are refined instead of bisected (`group = 0`: never). Counting-function
    /// interpolation: with the `nhi − nlo` eigenvalues spread evenly over `[lo, hi)`, the
    /// count `c` is reached at `lo + (c − nlo)/(nhi − nlo)·(hi − lo)`; the cut aims at the
    /// middle target (`c` halfway between its neighbours), clamped to the inner 3/4. A
    /// smooth density of states makes this a secant method on ν. A cut that failed to
    /// halve the targets' side (regula falsi's one-sided stall) clamps the next
    /// interpolated cut of that side to the middle third, so every second cut at least
    /// shortens the interval by a third. Against plain midpoints after a stall, this took
    /// 13 % fewer counts on four simulated spectra (C60, yukawa sphere, matern ball,
    /// laplace cube; 44 targets from the ends to the middle).
    ///
    /// Once the targets lie within `group` of an end of the interval, a cut at the targets
    /// only tells on which side of it they lie; the cut aims instead at the middle of the
    /// counts that leave them in a refinable piece — below them when they are near the top
    /// (`c ∈ [nhi − group, t₁ − 1]`), above when near the bottom (`c ∈ [t₂, nlo + group]`).
    /// A single target in the middle of a dense kernel spectrum (yukawa sphere,
    /// N = 16384) then took 2 counts fewer to isolate.
    ///
    /// Targets that fit in one group are aimed by `model` (the Lanczos quadrature's
    /// counting function, `density.rs`) instead of a uniform spread, where it has enough
    /// resolution, after a cut that halved the interval, and only where its aim needs no
    /// clamping (inside the margins above; a model aimed beyond them was seen to be wrong: on the ball it
    /// spreads the lowest node's mass below the spectrum). Yukawa sphere k = N/2 at
    /// N = 16384: 11 → 8 counts; matern32 + nugget in a ball at 4096 / 8192: 12 / 14 → 10 /
    /// 13 (tol 1e-6). Unclamped model cuts everywhere took 18 at 8192.
    pub(super) fn cut(&self, k1: usize, k2: usize, group: usize, model: Option<&DensityModel>) -> f64 {
        if let Some(c) = self.first.filter(|&c| c > self.lo && c < self.hi) {
            return c;
        }
        let (t1, t2) = ((self.nlo + 1).max(k1), self.nhi.min(k2));
        let isolating = self.isolating_count(t1, t2, group);
        // aiming at a window of counts, not at a root: a miss still shrinks the interval,
        // and the windows lie near an end, so the clamps are halved
        let margin = match (isolating.is_some(), self.interp) {
            (false, true) => 1.0 / 8.0,
            (false, false) => 1.0 / 3.0,
            (true, true) => 1.0 / 16.0,
            (true, false) => 1.0 / 8.0,
        };
        let count = isolating.unwrap_or(0.5 * (t1 + t2) as f64 - 0.5);
        // the model aims one group of targets; ranges are split where uniform
        // interpolation put their pieces (64 targets: 46 counts against 35 with the model)
        let modelled = model
            .filter(|_| t2 - t1 < group && self.interp)
            .and_then(|m| m.locate((self.lo, self.hi), (self.nlo, self.nhi), count))
            .map(|x| (x - self.lo) / (self.hi - self.lo))
            .filter(|f| (margin..=1.0 - margin).contains(f));
        let frac = modelled.unwrap_or(
            ((count - self.nlo as f64) / (self.nhi - self.nlo) as f64).clamp(margin, 1.0 - margin),
        );
        let c = self.lo + frac * (self.hi - self.lo);
        if c > self.lo && c < self.hi {
            c
        } else {
            0.5 * (self.lo + self.hi)
        }
    }

    /// The count to aim at that leaves the targets `t1..=t2` in a piece of at most `group`
    /// eigenvalues (the middle of the widest such window), if one cut can.
    fn isolating_count(&self, t1: usize, t2: usize, group: usize) -> Option<f64> {
        let (nlo, nhi) = (self.nlo, self.nhi);
        if group == 0 || nhi - nlo <= group || t2 - t1 >= group {
            return None;
        }
        // windows [a, b] of counts: below the targets (piece (c, nhi]) or above (piece (nlo, c])
        let below = ((nhi - group).max(nlo + 1), t1 - 1);
        let above = (t2, (nlo + group).min(nhi - 1));
        let width = |(a, b): (usize, usize)| if b >= a { b - a + 1 } else { 0 };
        let best = if width(below) >= width(above) { below } else { above };
        (width(best) > 0).then(|| 0.5 * (best.0 + best.1) as f64)
    }
}

/// One unit of work of a bisection round.
enum Step {
    /// The count at the midpoint (and the shift actually used).
    Split(usize, f64),
    /// The outcome of refining an isolated eigenvalue.
    Refined(Refined),
}

impl<'a> Spectrum<'a> {
    /// Estimates `‖A‖₂`, δ and a start interval `[a, b]` around the spectrum (its ends'
    /// counts are checked lazily, see [`Spectrum::range`]).
    ///
    /// The entries of `A` (exact products, the error estimate δ) come from the matrix's
    /// own source, so the brackets speak of the matrix that was compressed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or NaN `eig_tol` or zero
    /// `error_samples`.
    pub fn new(plan: &'a UlvPlan<'a>, params: &EigParams) -> Result<Self> {
        let (h, src) = (plan.matrix(), plan.matrix().source());
        if let Some(t) = params.eig_tol {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::invalid("eig_tol", t, "a finite positive number"));
            }
        }
        if params.error_samples == 0 {
            return Err(Error::invalid("error_samples", 0, "a positive integer"));
        }
        // Both ends of the spectrum, once: the larger magnitude is the norm estimate (the
        // dominant eigenvalue's Rayleigh quotient), and they seed the start interval.
        let (ends, model) = lanczos_quadrature(h, params.seed);
        let norm = ends.0.abs().max(ends.1.abs());
        let scale = if norm > 0.0 { norm } else { 1.0 };
        let delta = factored_error_estimate(plan, params.error_samples, params.seed)? + 1e-12 * scale;
        let eig_tol = params.eig_tol.unwrap_or((1e-2 * h.params().tol * scale).max(1e-14 * scale));
        let stored = (h.memory_bytes() + plan.memory_bytes()) / 8;
        let mut s = Spectrum {
            plan,
            h,
            src,
            exact_limit: params.exact_limit,
            cheap_products: (h.n() as f64).powi(2) <= 64.0 * stored as f64,
            norm,
            delta,
            eig_tol,
            ends,
            model,
            start: [0.0; 2],
            start_ok: [AtomicBool::new(false), AtomicBool::new(false)],
            counted_start: OnceLock::new(),
            par: params.par,
            seed: params.seed,
            factorizations: AtomicUsize::new(0),
            moved: AtomicUsize::new(0),
            sharpened: AtomicUsize::new(0),
            exact_products: AtomicUsize::new(0),
        };
        s.start = s.start_estimate();
        Ok(s)
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
        let n = self.h.n();
        let scale = self.norm.max(f64::MIN_POSITIVE);
        let checked = |i: usize, x: f64| x == self.start[i] && self.start_ok[i].load(Ordering::Relaxed);
        let (mut a, mut b) = (None, None);
        let mut grow = 1.0;
        for _ in 0..64 {
            let [xa, xb] = self.widened_ends(grow);
            if a.is_none() && (checked(0, xa) || self.nu(xa)?.0 == 0) {
                a = Some(xa);
            }
            if b.is_none() && (checked(1, xb) || self.nu(xb)?.0 == n) {
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
                    if self.nu(-x)?.0 == 0 && self.nu(x)?.0 == n {
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
            error_estimate: self.delta,
            eig_tol: self.eig_tol,
            start: *self.counted_start.get().unwrap_or(&self.start),
            sharpened: self.sharpened.load(Ordering::Relaxed),
            exact_products: self.exact_products.load(Ordering::Relaxed),
        }
    }

    /// ν(σ) = #{λ(Ã_f) < σ}, moving σ slightly (and counting the move) when the
    /// factorization hits a zero or non-finite pivot. Returns the count and the shift used.
    fn nu(&self, sigma: f64) -> Result<(usize, f64)> {
        self.factor(sigma).map(|(_, c, s)| (c, s))
    }

    /// The factorization behind [`Spectrum::nu`], with its count and shift.
    pub(super) fn factor(&self, sigma: f64) -> Result<(Ldlt<'a>, usize, f64)> {
        let counters = (&self.factorizations, &self.moved);
        let (f, s) = with_moves(sigma, self.norm, counters, |s| {
            self.plan.ldlt(s).map(|f| (f.inertia().zero == 0).then_some(f))
        })?;
        let c = f.inertia().negative;
        Ok((f, c, s))
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
        let n = self.h.n();
        let first = first_cut(k1, k2, n, || self.h.trace() / n as f64)?;
        // The start's counts ν(a) = 0, ν(b) = n are assumed, and counted only if a final
        // bracket (or a gap a certificate used) still ends there: a target away from the
        // ends never needs them (2 of ~11 counts for k = n/2). A failed check means the
        // estimated ends were wrong: start again from a counted interval.
        if let Some(&[a, b]) = self.counted_start.get() {
            return self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, k1, k2, &mut [false; 2]);
        }
        let [a, b] = self.start;
        let mut used = [false; 2];
        let out = self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, k1, k2, &mut used)?;
        if self.start_holds(0, used[0], a, 0)? && self.start_holds(1, used[1], b, n)? {
            return Ok(out);
        }
        let [a, b] = match self.counted_start.get() {
            Some(&s) => s,
            None => {
                let s = self.start_interval()?;
                *self.counted_start.get_or_init(|| s)
            }
        };
        self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, k1, k2, &mut [false; 2])
    }

    /// Whether end `i` of the start interval (at `x`, assumed count `count`) can be trusted:
    /// unused, checked before, or counted now.
    fn start_holds(&self, i: usize, used: bool, x: f64, count: usize) -> Result<bool> {
        if !used || self.start_ok[i].load(Ordering::Relaxed) {
            return Ok(true);
        }
        // a moved shift lies above x: it still proves ν(a) = 0 below, but not ν(b) = n
        let (c, used_shift) = self.nu(x)?;
        let ok = c == count && (i == 0 || used_shift <= x);
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
        check_interval(a, b)?;
        let (nlo, a) = self.nu(a)?;
        let (nhi, b) = self.nu(b)?;
        if nhi <= nlo {
            return Ok(Vec::new());
        }
        // both ends are counted: nothing to check afterwards
        self.bisect(Interval::new(a, b, nlo, nhi), nlo + 1, nhi, &mut [false; 2])
    }

    /// Number of eigenvalues in `[a, b)`, with the number that lie within δ of an end.
    ///
    /// # Errors
    /// As [`Spectrum::in_interval`].
    pub fn count_in_interval(&self, a: f64, b: f64) -> Result<IntervalCount> {
        check_interval(a, b)?;
        let d = self.delta;
        let shifts = [a - d, a, a + d, b - d, b, b + d];
        let nus: Vec<Result<(usize, f64)>> = pmap(self.par, &shifts, |&s| self.nu(s));
        let v: Vec<usize> = nus.into_iter().map(|r| r.map(|x| x.0)).collect::<Result<_>>()?;
        Ok(IntervalCount { count: v[4].saturating_sub(v[1]), uncertain: (v[2] - v[0]) + (v[5] - v[3]) })
    }

    /// Brackets of the targets `k1..=k2` of `start`; `used[0]`/`used[1]` are set when a
    /// result rests on `start`'s lower/upper end (its count was not checked by the caller).
    fn bisect(&self, start: Interval, k1: usize, k2: usize, used: &mut [bool; 2]) -> Result<Vec<Eigenvalue>> {
        let (a, b) = (start.lo, start.hi);
        let mut uses = |iv: &Interval| {
            used[0] |= iv.lo == a || iv.glo == a;
            used[1] |= iv.hi == b || iv.ghi == b;
        };
        let mut active = vec![start];
        let mut done = Vec::new();
        // A narrow interval is finished by its bracket, unless its values can still come
        // from A's Rayleigh–Ritz (refinement + exact product): the midpoint of an
        // eig_tol-wide bracket of Ã_f is ~δ from λ(A), the Ritz value ~δ²/gap.
        let ritz_values = self.values_from_a();
        while !active.is_empty() {
            let (fin, work): (Vec<Interval>, Vec<Interval>) = active.into_iter().partition(|iv| {
                let mid = 0.5 * (iv.lo + iv.hi);
                let narrow = iv.hi - iv.lo <= self.eig_tol || mid <= iv.lo || mid >= iv.hi;
                let refinable = ritz_values && !iv.refined && iv.nhi - iv.nlo <= MAX_GROUP;
                narrow && !refinable
            });
            for iv in fin {
                uses(&iv);
                self.finish(&mut done, iv, 0.5 * (iv.lo + iv.hi), (k1, k2));
            }
            work.iter().filter(|iv| iv.nhi - iv.nlo <= MAX_GROUP).for_each(&mut uses);
            // An interval holding a few eigenvalues is refined by shift-and-invert subspace
            // iteration (a few factorizations) instead of bisected (one bit per factorization).
            let steps = pmap(self.par, &work, |iv| {
                if iv.nhi - iv.nlo <= MAX_GROUP && !iv.stalled {
                    self.refine(*iv).map(Step::Refined)
                } else {
                    self.nu(iv.cut(k1, k2, MAX_GROUP, self.model.as_ref())).map(|(c, m)| Step::Split(c, m))
                }
            });
            active = Vec::with_capacity(2 * work.len());
            for (iv, step) in work.into_iter().zip(steps) {
                self.advance(iv, step?, (k1, k2), &mut active, &mut done);
            }
        }
        done.sort_by_key(|e| e.k);
        Ok(done)
    }

    /// Whether every refined group's values are A's Rayleigh–Ritz values (one exact
    /// product per group, also where no gap is proven; `exact.rs`): `n ≤ exact_limit` and
    /// the product costs about what a few factorizations do.
    pub(super) fn values_from_a(&self) -> bool {
        self.h.n() <= self.exact_limit && self.cheap_products
    }

    /// Applies one step's outcome to `iv`: refined eigenvalues of the targets `(k1, k2)` go
    /// to `done`, the pieces that still hold targets to `active`.
    fn advance(
        &self,
        iv: Interval,
        step: Step,
        (k1, k2): (usize, usize),
        active: &mut Vec<Interval>,
        done: &mut Vec<Eigenvalue>,
    ) {
        let holds = |p: &Interval| (p.nlo + 1).max(k1) <= p.nhi.min(k2);
        match step {
            Step::Refined(Refined::Done(group)) => {
                for e in group.into_iter().filter(|e| (k1..=k2).contains(&e.k)) {
                    done.push(Eigenvalue { k: e.k, value: e.value, lower: e.lo, upper: e.hi });
                }
            }
            Step::Refined(Refined::Split(pieces)) => {
                active.extend(pieces.into_iter().filter(holds).map(|p| {
                    let stalled = p.lo == iv.lo && p.hi == iv.hi;
                    Interval { refined: true, stalled, ..p }
                }))
            }
            Step::Split(nm, m) => {
                let nm = nm.clamp(iv.nlo, iv.nhi);
                let width = iv.hi - iv.lo;
                let ghi = if nm == iv.nhi { iv.ghi } else { m };
                let glo = if nm == iv.nlo { iv.glo } else { m };
                let (lower, upper) = (
                    Interval { hi: m, nhi: nm, ghi, first: None, stalled: false, ..iv },
                    Interval { lo: m, nlo: nm, glo, first: None, stalled: false, ..iv },
                );
                for half in [lower, upper] {
                    if holds(&half) {
                        active.push(Interval { interp: half.hi - half.lo <= 0.5 * width, ..half });
                    }
                }
            }
        }
    }

    /// Records the targets of a final interval `[lo, hi]` of `Ã_f`, widened by δ.
    fn finish(&self, done: &mut Vec<Eigenvalue>, iv: Interval, value: f64, (k1, k2): (usize, usize)) {
        for k in (iv.nlo + 1).max(k1)..=iv.nhi.min(k2) {
            done.push(Eigenvalue { k, value, lower: iv.lo - self.delta, upper: iv.hi + self.delta });
        }
    }
}

/// Checks `1 ≤ k1 ≤ k2 ≤ n` and returns the first cut of an index query: the mean
/// eigenvalue `mean()` for targets away from the ends. Kernel matrices pile their
/// eigenvalues up near the diagonal value (identity + compact), so interpolating between
/// the spectrum's ends first wastes ~6 halvings; the mean eigenvalue tr(A)/n (exact, O(n))
/// is a better first cut (simulated on four spectra: 22 % fewer counts to isolate them).
///
/// # Errors
/// [`Error::IndexOutOfRange`] unless `1 ≤ k1, k2 ≤ n`; [`Error::EmptyRange`] if `k1 > k2`.
pub(super) fn first_cut(k1: usize, k2: usize, n: usize, mean: impl FnOnce() -> f64) -> Result<Option<f64>> {
    for k in [k1, k2] {
        if k == 0 || k > n {
            return Err(Error::IndexOutOfRange { k, n });
        }
    }
    if k1 > k2 {
        return Err(Error::EmptyRange { lower: k1.to_string(), upper: k2.to_string() });
    }
    let j = (k1 + k2) / 2;
    Ok((j >= n / 16 && j <= n - n / 16).then(mean))
}

/// Factors at σ, moving the shift up by `1e-9·‖A‖` steps (at most 3 times, counted in
/// `counters.1`) while `factor` reports a zero pivot (`Ok(None)`) or a non-finite one;
/// every attempt is counted in `counters.0`. Returns the factorization and the shift used.
///
/// # Errors
/// [`Error::ShiftUncertain`] after 4 failed attempts; `factor`'s other errors.
pub(super) fn with_moves<T>(
    sigma: f64,
    norm: f64,
    counters: (&AtomicUsize, &AtomicUsize),
    mut factor: impl FnMut(f64) -> Result<Option<T>>,
) -> Result<(T, f64)> {
    let step = 1e-9 * norm.max(f64::MIN_POSITIVE) + 4.0 * f64::EPSILON * sigma.abs();
    let mut s = sigma;
    for attempt in 0..4 {
        counters.0.fetch_add(1, Ordering::Relaxed);
        match factor(s) {
            Ok(Some(f)) => return Ok((f, s)),
            Ok(None) | Err(Error::NonFinitePivot { .. }) => {
                counters.1.fetch_add(1, Ordering::Relaxed);
                s = sigma + step * (attempt + 1) as f64;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::ShiftUncertain { shift: sigma })
}

pub(super) fn check_interval(a: f64, b: f64) -> Result<()> {
    if a.is_nan() || b.is_nan() {
        return Err(Error::invalid("interval end", f64::NAN, "a number"));
    }
    if a > b {
        return Err(Error::EmptyRange { lower: a.to_string(), upper: b.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::kernel::RadialKernel;
    use crate::source::{to_dense, KernelSource};
    use faer::Side;

    /// Targets near an end of an interval holding more than a group: the cut aims at the
    /// middle of the counts that leave them in a piece of ≤ `group` (below them near the
    /// top, above them near the bottom); elsewhere, and without groups, at the targets.
    #[test]
    fn cuts_isolate_targets_near_an_end() {
        let iv = Interval::new(0.0, 67.0, 100, 167);
        // target 164, 3 from the top: counts 159..=163 leave (c, 167] ≤ 8 → aim at 161
        assert_eq!(iv.isolating_count(164, 164, 8), Some(161.0));
        assert_eq!(iv.cut(164, 164, 8, None), 61.0);
        // target 103 near the bottom: counts 103..=108 leave (100, c] ≤ 8 → aim at 105.5
        assert_eq!(iv.isolating_count(103, 103, 8), Some(105.5));
        // in the middle, or no groups: aim at the target itself (clamped to the inner 3/4)
        assert_eq!(iv.isolating_count(130, 130, 8), None);
        assert_eq!(iv.cut(130, 130, 8, None), 29.5);
        assert_eq!(iv.cut(164, 164, 0, None), 67.0 * 7.0 / 8.0);
        // a range of targets wider than a group, or a piece already small: no isolation
        assert_eq!(iv.isolating_count(150, 160, 8), None);
        assert_eq!(Interval::new(0.0, 1.0, 0, 8).isolating_count(3, 3, 8), None);
    }

    /// A single target is aimed by the model where its aim lies in the inner 3/4 after a
    /// halving cut; elsewhere (and for ranges) by the uniform spread.
    #[test]
    fn model_aims_single_targets_only_inside_the_clamps() {
        let m = DensityModel::new(&[0.0, 1.0, 4.0], &[0.1, 0.8, 0.1]).unwrap();
        let iv = Interval::new(-0.5, 5.5, 0, 100);
        // count 49.5 of 100: F̂ = 0.495 on the knots (0, 0.05) – (1, 0.5)
        assert!((iv.cut(50, 50, 8, Some(&m)) - 0.445 / 0.45).abs() < 1e-12, "the model's median");
        assert_eq!(iv.cut(50, 50, 8, None), -0.5 + 49.5 / 100.0 * 6.0);
        // a range wider than a group, or after a stall: uniform
        assert_eq!(iv.cut(40, 60, 8, Some(&m)), iv.cut(40, 60, 8, None));
        let stalled = Interval { interp: false, ..iv };
        assert_eq!(stalled.cut(50, 50, 8, Some(&m)), stalled.cut(50, 50, 8, None));
        // the model's aim near an end of a wide interval would need clamping: uniform
        let wide = Interval::new(-60.0, 5.5, 0, 100);
        assert_eq!(wide.cut(50, 50, 8, Some(&m)), wide.cut(50, 50, 8, None));
    }

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
