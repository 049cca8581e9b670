//! Eigenvalues by bisection on the counts of the skeletonization `LDLᵀ`
//! ([`crate::factor::skel`]): no H² matrix is built, so N is limited by one
//! factorization's memory (O(N) on surfaces), not by the near-and-far bases.
//!
//! Each count is the exact inertia of `A − σI + E(σ)` with a dropped-residual error
//! `E(σ)` that depends on σ, so — unlike [`super::Spectrum`] — there is no fixed matrix
//! whose eigenvalues the brackets enclose and no refinement by solves. The bisection
//! brackets `[lo, hi]` of the counts are widened by `ε = c·tol·‖A‖` (`error_factor` c,
//! default 4): every wrong count measured against dense references on kernel matrices lay
//! within `0.27·tol·‖A‖₂` of an eigenvalue (`tests/skel.rs`), but the C60 2×2×2 crystal
//! (N = 61,440, tol 1e-5) put its HOMO `1.2·tol·‖A‖` below the ULV's value. So
//! `λ_k(A) ∈ [lo − ε, hi + ε]` holds where those measurements carry over — an estimate,
//! not a certificate.
//!
//! `‖A‖` and the start interval come from exact entries: the mean eigenvalue
//! `tr(A)/n` (O(n)) and Gershgorin discs estimated from `m` sampled rows (O(mn)); an end
//! of the start interval is counted only when a result's bracket rests on it, and pushed
//! out until its count holds.

use super::bisect::{check_interval, first_cut, with_moves, Eigenvalue, Interval};
use crate::error::{Error, Result};
use crate::factor::skel::Skeletonization;
use crate::par::{default_par, pmap, Par};
use crate::source::checked_entries;
use rand::seq::index::sample;
use rand::SeedableRng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Parameters of [`SkelSpectrum`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SkelEigParams {
    /// Bracket width at which bisection stops (default `0.1·tol·‖A‖`: the counts are not
    /// sharper than the ID error).
    pub eig_tol: Option<f64>,
    /// c in the bracket half-width `c·tol·‖A‖` added to the count brackets (default 4;
    /// module docs for the measurements behind it).
    pub error_factor: f64,
    /// Rows sampled for the Gershgorin estimate of the spectrum's ends (default 64).
    pub rows: usize,
    /// Cuts per round, spread over the active intervals (default 2, at least one per
    /// interval): they are counted concurrently, each with its own factorization's memory.
    /// A fixed number, not the thread count, so that results do not depend on the pool.
    pub cuts_per_round: usize,
    /// Parallelism across the shifts of a round (default: the current rayon pool; same
    /// results for any value).
    pub par: Par,
    /// Seed of the row sample (default 0x5eed).
    pub seed: u64,
}

impl Default for SkelEigParams {
    fn default() -> Self {
        Self {
            eig_tol: None,
            error_factor: 4.0,
            rows: 64,
            cuts_per_round: 2,
            par: default_par(),
            seed: 0x5eed,
        }
    }
}

setters!(SkelEigParams {
    /// Sets the bracket width where bisection stops.
    eig_tol: Option<f64>,
    /// Sets c of the bracket half-width `c·tol·‖A‖`.
    error_factor: f64,
    /// Sets the rows sampled for the Gershgorin estimate.
    rows: usize,
    /// Sets the cuts per round.
    cuts_per_round: usize,
    /// Sets the parallelism across shifts.
    par: Par,
    /// Sets the seed of the row sample.
    seed: u64,
});

/// Work done so far.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SkelEigStats {
    /// Factorizations (counts), including start-interval checks.
    pub factorizations: usize,
    /// Shifts moved off a zero or non-finite pivot.
    pub shifts_moved: usize,
    /// Estimate of `‖A‖₂` (the larger magnitude of the start interval's ends).
    pub norm_estimate: f64,
    /// ε added to both ends of every bracket.
    pub error_estimate: f64,
    /// The bisection width used.
    pub eig_tol: f64,
    /// The start interval (after any widening).
    pub start: [f64; 2],
    /// Largest skeleton of any factorization.
    pub max_skeleton: usize,
    /// Most bytes of stored blocks of any factorization.
    pub peak_stored_bytes: usize,
}

/// The spectrum of `A`, probed by skeletonization counts.
pub struct SkelSpectrum<'a> {
    sk: &'a Skeletonization<'a>,
    start: Mutex<[f64; 2]>,
    /// `ν(start[0]) = 0`, `ν(start[1]) = n` counted.
    checked: Mutex<[bool; 2]>,
    mean: f64,
    norm: f64,
    eps: f64,
    eig_tol: f64,
    cuts_per_round: usize,
    par: Par,
    factorizations: AtomicUsize,
    moved: AtomicUsize,
    max_skeleton: AtomicUsize,
    peak_stored_bytes: AtomicUsize,
}

impl<'a> SkelSpectrum<'a> {
    /// Estimates the spectrum's ends from the source's exact entries (module docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or NaN `eig_tol`, a negative or NaN
    /// `error_factor`, `rows = 0` or `cuts_per_round = 0`, or a sampled row whose absolute sum
    /// overflows; [`Error::NonFiniteEntry`] (global row and column) for a non-finite sampled entry.
    pub fn new(sk: &'a Skeletonization<'a>, params: &SkelEigParams) -> Result<Self> {
        if let Some(t) = params.eig_tol {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::invalid("eig_tol", t, "a finite positive number"));
            }
        }
        if !(params.error_factor.is_finite() && params.error_factor >= 0.0) {
            return Err(Error::invalid("error_factor", params.error_factor, "a finite number >= 0"));
        }
        for (name, v) in [("rows", params.rows), ("cuts_per_round", params.cuts_per_round)] {
            if v == 0 {
                return Err(Error::invalid(name, 0, "a positive integer"));
            }
        }
        let [lo, hi, mean] = gershgorin(sk, params)?;
        let norm = lo.abs().max(hi.abs());
        let tol = sk.params().tol;
        Ok(SkelSpectrum {
            sk,
            start: Mutex::new([lo, hi]),
            checked: Mutex::new([false; 2]),
            mean,
            norm,
            eps: params.error_factor * tol * norm,
            eig_tol: params.eig_tol.unwrap_or(0.1 * tol * norm),
            cuts_per_round: params.cuts_per_round,
            par: params.par,
            factorizations: AtomicUsize::new(0),
            moved: AtomicUsize::new(0),
            max_skeleton: AtomicUsize::new(0),
            peak_stored_bytes: AtomicUsize::new(0),
        })
    }

    /// Statistics so far.
    pub fn stats(&self) -> SkelEigStats {
        SkelEigStats {
            factorizations: self.factorizations.load(Ordering::Relaxed),
            shifts_moved: self.moved.load(Ordering::Relaxed),
            norm_estimate: self.norm,
            error_estimate: self.eps,
            eig_tol: self.eig_tol,
            start: *self.start.lock().expect("not poisoned"),
            max_skeleton: self.max_skeleton.load(Ordering::Relaxed),
            peak_stored_bytes: self.peak_stored_bytes.load(Ordering::Relaxed),
        }
    }

    /// ν(σ), moving σ off a zero or non-finite pivot (`with_moves`); with the shift used.
    fn nu(&self, sigma: f64) -> Result<(usize, f64)> {
        with_moves(sigma, self.norm, (&self.factorizations, &self.moved), |s| {
            let f = self.sk.ldlt(s)?;
            let skel = f.levels.iter().map(|l| l.max_skeleton).max().unwrap_or(0);
            self.max_skeleton.fetch_max(skel, Ordering::Relaxed);
            self.peak_stored_bytes.fetch_max(f.peak_stored_bytes, Ordering::Relaxed);
            Ok((f.inertia.zero == 0).then_some(f.inertia.negative))
        })
    }

    /// The k-th smallest eigenvalue, `1 ≤ k ≤ n`.
    ///
    /// # Errors
    /// As [`SkelSpectrum::range`].
    pub fn kth(&self, k: usize) -> Result<Eigenvalue> {
        Ok(self.range(k, k)?[0])
    }

    /// Eigenvalues `k1 ..= k2` (1-based, ascending).
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] unless `1 ≤ k1, k2 ≤ n`; [`Error::EmptyRange`] if
    /// `k1 > k2`; factorization errors; [`Error::ShiftUncertain`] when a start end still
    /// fails its count after 64 widenings.
    pub fn range(&self, k1: usize, k2: usize) -> Result<Vec<Eigenvalue>> {
        let n = self.sk.n();
        let first = first_cut(k1, k2, n, || self.mean)?;
        for _ in 0..64 {
            let [a, b] = *self.start.lock().expect("not poisoned");
            let mut rests = [false; 2];
            let out = self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, k1, k2, &mut rests)?;
            if self.ends_hold(rests, [a, b])? {
                return Ok(out);
            }
        }
        Err(Error::ShiftUncertain { shift: self.start.lock().expect("not poisoned")[1] })
    }

    /// Counts the start ends that a result rests on (once each); a wrong end is pushed
    /// twice as far from the mean eigenvalue. Whether both ends held.
    fn ends_hold(&self, rests: [bool; 2], ends: [f64; 2]) -> Result<bool> {
        let n = self.sk.n();
        let mut ok = true;
        for (i, count) in [(0, 0), (1, n)] {
            if !rests[i] || self.checked.lock().expect("not poisoned")[i] {
                continue;
            }
            // a moved shift lies above the end: it proves ν(a) = 0, not ν(b) = n
            let (c, used) = self.nu(ends[i])?;
            if c == count && (i == 0 || used <= ends[i]) {
                self.checked.lock().expect("not poisoned")[i] = true;
            } else {
                let mut s = self.start.lock().expect("not poisoned");
                s[i] = self.mean + 2.0 * (s[i] - self.mean);
                ok = false;
            }
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
        self.bisect(Interval::new(a, b, nlo, nhi), nlo + 1, nhi, &mut [false; 2])
    }

    /// Multi-target bisection; each round counts `cuts_per_round` cuts (at least one per
    /// active interval) in parallel. `rests[0]`/`rests[1]` are set when a result's bracket
    /// ends at `start`'s lower/upper end.
    fn bisect(
        &self,
        start: Interval,
        k1: usize,
        k2: usize,
        rests: &mut [bool; 2],
    ) -> Result<Vec<Eigenvalue>> {
        let holds = |iv: &Interval| (iv.nlo + 1).max(k1) <= iv.nhi.min(k2);
        let mut active = vec![start];
        let mut done = Vec::new();
        while !active.is_empty() {
            let (fin, work): (Vec<Interval>, Vec<Interval>) = active.into_iter().partition(|iv| {
                let mid = 0.5 * (iv.lo + iv.hi);
                iv.hi - iv.lo <= self.eig_tol || mid <= iv.lo || mid >= iv.hi
            });
            for iv in fin.iter().filter(|iv| holds(iv)) {
                self.finish(&mut done, iv, (k1, k2), rests, &start);
            }
            let per = self.cuts_per_round.div_ceil(work.len().max(1));
            let cuts: Vec<(usize, f64)> = work
                .iter()
                .enumerate()
                .flat_map(|(w, iv)| cuts(iv, k1, k2, per).map(move |c| (w, c)))
                .collect();
            let counts = pmap(self.par, &cuts, |&(_, c)| self.nu(c));
            let mut pieces: Vec<Vec<(f64, usize)>> = vec![Vec::new(); work.len()];
            for (&(w, _), r) in cuts.iter().zip(counts) {
                let (c, s) = r?;
                pieces[w].push((s, c));
            }
            active = Vec::new();
            for (iv, pts) in work.iter().zip(pieces) {
                let parts = split(iv, pts);
                if let [one] = parts.as_slice() {
                    if one.lo == iv.lo && one.hi == iv.hi {
                        // every cut was moved out of the interval (zero pivots closer than
                        // the move step): it cannot shrink further
                        self.finish(&mut done, iv, (k1, k2), rests, &start);
                        continue;
                    }
                }
                active.extend(parts.into_iter().filter(holds));
            }
        }
        done.sort_by_key(|e| e.k);
        Ok(done)
    }
}

impl SkelSpectrum<'_> {
    /// Records the targets of a final interval: value at its midpoint, bracket ± ε.
    fn finish(
        &self,
        done: &mut Vec<Eigenvalue>,
        iv: &Interval,
        (k1, k2): (usize, usize),
        rests: &mut [bool; 2],
        start: &Interval,
    ) {
        rests[0] |= iv.lo == start.lo;
        rests[1] |= iv.hi == start.hi;
        let value = 0.5 * (iv.lo + iv.hi);
        for k in (iv.nlo + 1).max(k1)..=iv.nhi.min(k2) {
            done.push(Eigenvalue { k, value, lower: iv.lo - self.eps, upper: iv.hi + self.eps });
        }
    }
}

/// `[lower end, upper end, mean eigenvalue]` of the spectrum from exact entries: the
/// diagonal (O(n)) and the largest off-diagonal row sum of `params.rows` sampled rows,
/// evaluated one row at a time (a 64 × N block would be 512 MB at N = 2^20).
fn gershgorin(sk: &Skeletonization<'_>, params: &SkelEigParams) -> Result<[f64; 3]> {
    let src = sk.source();
    let n = src.n();
    let diag: Vec<f64> = (0..n).map(|i| src.entry(i, i)).collect();
    if let Some(i) = diag.iter().position(|d| !d.is_finite()) {
        return Err(Error::NonFiniteEntry { row: i, col: i });
    }
    let mean = diag.iter().sum::<f64>() / n as f64;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(params.seed);
    let all: Vec<usize> = (0..n).collect();
    let mut radius = 0f64;
    for i in sample(&mut rng, n, params.rows.min(n)) {
        let row = checked_entries(src, &[i], &all)?;
        let r: f64 = (0..n).filter(|&j| j != i).map(|j| row[(0, j)].abs()).sum();
        if !r.is_finite() {
            return Err(Error::invalid(
                "matrix",
                format!("row {i} (its absolute sum overflows)"),
                "rows with a finite absolute sum",
            ));
        }
        radius = radius.max(r);
    }
    let (dmin, dmax) =
        diag.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| (a.min(d), b.max(d)));
    let pad = 1.05 * radius + 1e-12 * dmax.abs().max(dmin.abs()).max(f64::MIN_POSITIVE);
    Ok([dmin - pad, dmax + pad, mean])
}

/// The pieces of `iv` cut at the counted shifts `pts` (shift used, count). Counts of a
/// perturbed matrix need not be monotone: each is clamped between its left neighbour's
/// and `nhi`. A shift moved to or past `hi` (off a zero pivot) carries no information
/// inside `iv` and is skipped; the last piece always ends at `(hi, nhi)`, so no
/// eigenvalue index is ever lost.
fn split(iv: &Interval, mut pts: Vec<(f64, usize)>) -> Vec<Interval> {
    pts.sort_by(|x, y| x.0.total_cmp(&y.0));
    let width = iv.hi - iv.lo;
    let (mut lo, mut nlo) = (iv.lo, iv.nlo);
    let mut out = Vec::with_capacity(pts.len() + 1);
    for (s, c) in pts.into_iter().filter(|&(s, _)| s > iv.lo && s < iv.hi).chain([(iv.hi, iv.nhi)]) {
        let c = c.clamp(nlo, iv.nhi);
        if s > lo {
            out.push(Interval { interp: s - lo <= 0.5 * width, first: None, ..Interval::new(lo, s, nlo, c) });
            (lo, nlo) = (s, c);
        } else {
            nlo = c; // the same shift counted twice
        }
    }
    out
}

/// `m` cuts of `iv`: the interpolated cut, with `m > 1` spread symmetrically around it
/// over a quarter of the interval (inside `(lo, hi)`, distinct).
fn cuts(iv: &Interval, k1: usize, k2: usize, m: usize) -> impl Iterator<Item = f64> {
    // no refinement here: every interval is bisected down to eig_tol
    let c = iv.cut(k1, k2, 0, None);
    let h = (iv.hi - iv.lo) / (4.0 * m as f64);
    let (lo, hi) = (iv.lo, iv.hi);
    let mut out: Vec<f64> =
        (0..m).map(|i| c + (i as f64 - 0.5 * (m - 1) as f64) * h).filter(|&x| x > lo && x < hi).collect();
    out.dedup();
    if out.is_empty() {
        out.push(c);
    }
    out.into_iter()
}
