//! Eigenvalues by bisection on the counts of the skeletonization `LDLᵀ`
//! ([`crate::factor::skel`]): no H² matrix is built, so N is limited by one
//! factorization's memory (O(N) on surfaces), not by the near-and-far bases.
//!
//! Each count is the exact inertia of `A − σI + E(σ)` with a dropped-residual error
//! `E(σ)` that depends on σ, so — unlike [`super::Spectrum`] — there is no fixed matrix
//! whose eigenvalues the brackets enclose and no refinement by solves. The bisection
//! brackets `[lo, hi]` of the counts are widened by `ε = c·tol·‖A‖`, c = 1: every wrong
//! count measured against dense references lay within `0.27·tol·‖A‖₂` of an eigenvalue
//! (`tests/skel.rs`), so `λ_k(A) ∈ [lo − ε, hi + ε]` holds where that measurement
//! carries over — an estimate, not a certificate.
//!
//! `‖A‖` and the start interval come from exact entries: the mean eigenvalue
//! `tr(A)/n` (O(n)) and Gershgorin discs estimated from `m` sampled rows (O(mn)); an end
//! of the start interval is counted only when a result's bracket rests on it, and pushed
//! out until its count holds.

use super::bisect::{check_interval, Eigenvalue, Interval};
use crate::error::{Error, Result};
use crate::factor::skel::Skeletonization;
use crate::h2::build::{entries, pmap};
use crate::source::EntrySource;
use rand::seq::index::sample;
use rand::SeedableRng;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Parameters of [`SkelSpectrum`].
#[derive(Debug, Clone, PartialEq)]
pub struct SkelEigParams {
    /// Bracket width at which bisection stops (default `0.1·tol·‖A‖`: the counts are not
    /// sharper than the ID error).
    pub eig_tol: Option<f64>,
    /// Rows sampled for the Gershgorin estimate of the spectrum's ends (default 64).
    pub rows: usize,
    /// Count the shifts of a round in parallel (default true).
    pub parallel: bool,
    /// Seed of the row sample (default 0x5eed).
    pub seed: u64,
}

impl Default for SkelEigParams {
    fn default() -> Self {
        Self { eig_tol: None, rows: 64, parallel: true, seed: 0x5eed }
    }
}

/// Work done so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
    start: std::sync::Mutex<[f64; 2]>,
    /// `ν(start[0]) = 0`, `ν(start[1]) = n` counted.
    checked: std::sync::Mutex<[bool; 2]>,
    mean: f64,
    norm: f64,
    eps: f64,
    eig_tol: f64,
    parallel: bool,
    factorizations: AtomicUsize,
    moved: AtomicUsize,
    max_skeleton: AtomicUsize,
    peak_stored_bytes: AtomicUsize,
}

impl<'a> SkelSpectrum<'a> {
    /// Estimates the spectrum's ends from `src`'s exact entries (module docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or NaN `eig_tol` or `rows = 0`;
    /// [`Error::NonFiniteEntry`] for a non-finite sampled entry.
    pub fn new(sk: &'a Skeletonization<'a>, src: &dyn EntrySource, params: &SkelEigParams) -> Result<Self> {
        if let Some(t) = params.eig_tol {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::invalid("eig_tol", t, "a finite positive number"));
            }
        }
        if params.rows == 0 {
            return Err(Error::invalid("rows", 0, "a positive integer"));
        }
        let n = src.n();
        assert_eq!(n, sk.n(), "source and skeletonization differ in size");
        let diag: Vec<f64> = (0..n).map(|i| src.entry(i, i)).collect();
        if let Some(i) = diag.iter().position(|d| !d.is_finite()) {
            return Err(Error::NonFiniteEntry { row: i, col: i });
        }
        let mean = diag.iter().sum::<f64>() / n as f64;
        // Gershgorin: λ ∈ ∪ [a_ii − r_i, a_ii + r_i]; the largest radius of sampled rows
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(params.seed);
        let rows: Vec<usize> = sample(&mut rng, n, params.rows.min(n)).into_vec();
        let all: Vec<usize> = (0..n).collect();
        let block = entries(src, &rows, &all);
        let mut radius = 0f64;
        for (a, &i) in rows.iter().enumerate() {
            let r: f64 = (0..n).filter(|&j| j != i).map(|j| block[(a, j)].abs()).sum();
            if !r.is_finite() {
                return Err(Error::NonFiniteEntry { row: i, col: 0 });
            }
            radius = radius.max(r);
        }
        let (dmin, dmax) =
            diag.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| (a.min(d), b.max(d)));
        let pad = 1.05 * radius + 1e-12 * dmax.abs().max(dmin.abs()).max(f64::MIN_POSITIVE);
        let start = [dmin - pad, dmax + pad];
        let norm = start[0].abs().max(start[1].abs());
        let tol = sk.params().tol;
        Ok(SkelSpectrum {
            sk,
            start: std::sync::Mutex::new(start),
            checked: std::sync::Mutex::new([false; 2]),
            mean,
            norm,
            eps: tol * norm,
            eig_tol: params.eig_tol.unwrap_or(0.1 * tol * norm),
            parallel: params.parallel,
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

    /// ν(σ), moving σ by `1e-9·‖A‖` steps off a zero or non-finite pivot; with the shift used.
    fn nu(&self, sigma: f64) -> Result<(usize, f64)> {
        let step = 1e-9 * self.norm.max(f64::MIN_POSITIVE) + 4.0 * f64::EPSILON * sigma.abs();
        let mut s = sigma;
        for attempt in 0..4 {
            self.factorizations.fetch_add(1, Ordering::Relaxed);
            let f = self.sk.ldlt(s);
            if let Ok(f) = &f {
                let skel = f.levels.iter().map(|l| l.max_skeleton).max().unwrap_or(0);
                self.max_skeleton.fetch_max(skel, Ordering::Relaxed);
                self.peak_stored_bytes.fetch_max(f.peak_stored_bytes, Ordering::Relaxed);
            }
            match f {
                Ok(f) if f.inertia.zero == 0 => return Ok((f.inertia.negative, s)),
                Ok(_) | Err(Error::NonFinitePivot { .. }) => {
                    self.moved.fetch_add(1, Ordering::Relaxed);
                    s = sigma + step * (attempt + 1) as f64;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::ShiftUncertain { shift: sigma })
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
    /// `k1 > k2`; factorization errors; [`Error::ShiftUncertain`].
    pub fn range(&self, k1: usize, k2: usize) -> Result<Vec<Eigenvalue>> {
        let n = self.sk.n();
        for k in [k1, k2] {
            if k == 0 || k > n {
                return Err(Error::IndexOutOfRange { k, n });
            }
        }
        if k1 > k2 {
            return Err(Error::EmptyRange { lower: k1.to_string(), upper: k2.to_string() });
        }
        // the mean eigenvalue first for middle targets (kernel spectra pile up there)
        let j = (k1 + k2) / 2;
        let first = (j >= n / 16 && j <= n - n / 16).then_some(self.mean);
        loop {
            let [a, b] = *self.start.lock().expect("not poisoned");
            let mut rests = [false; 2];
            let out = self.bisect(Interval { first, ..Interval::new(a, b, 0, n) }, k1, k2, &mut rests)?;
            // an end that a bracket rests on must be counted; a wrong one is pushed out
            let mut again = false;
            for (i, count) in [(0, 0), (1, n)] {
                let end = [a, b][i];
                if rests[i] && !self.checked.lock().expect("not poisoned")[i] {
                    let (c, used) = self.nu(end)?;
                    if c == count && (i == 0 || used <= end) {
                        self.checked.lock().expect("not poisoned")[i] = true;
                    } else {
                        let mut s = self.start.lock().expect("not poisoned");
                        s[i] = self.mean + 2.0 * (s[i] - self.mean);
                        again = true;
                    }
                }
            }
            if !again {
                return Ok(out);
            }
        }
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

    /// Multi-target bisection; rounds count the cuts of all active intervals in parallel,
    /// with several cuts per interval when there are fewer intervals than threads.
    /// `rests[0]`/`rests[1]` are set when a result's bracket ends at `start`'s lower/upper end.
    fn bisect(
        &self,
        start: Interval,
        k1: usize,
        k2: usize,
        rests: &mut [bool; 2],
    ) -> Result<Vec<Eigenvalue>> {
        let holds = |iv: &Interval| (iv.nlo + 1).max(k1) <= iv.nhi.min(k2);
        let threads = if self.parallel { rayon::current_num_threads() } else { 1 };
        let mut active = vec![start];
        let mut done = Vec::new();
        while !active.is_empty() {
            let (fin, work): (Vec<Interval>, Vec<Interval>) = active.into_iter().partition(|iv| {
                let mid = 0.5 * (iv.lo + iv.hi);
                iv.hi - iv.lo <= self.eig_tol || mid <= iv.lo || mid >= iv.hi
            });
            for iv in fin.iter().filter(|iv| holds(iv)) {
                rests[0] |= iv.lo == start.lo;
                rests[1] |= iv.hi == start.hi;
                for k in (iv.nlo + 1).max(k1)..=iv.nhi.min(k2) {
                    let value = 0.5 * (iv.lo + iv.hi);
                    done.push(Eigenvalue { k, value, lower: iv.lo - self.eps, upper: iv.hi + self.eps });
                }
            }
            let per = threads.div_ceil(work.len().max(1)).max(1);
            let cuts: Vec<(usize, f64)> = work
                .iter()
                .enumerate()
                .flat_map(|(w, iv)| cuts(iv, k1, k2, per).map(move |c| (w, c)))
                .collect();
            let counts = pmap(self.parallel, &cuts, |&(_, c)| self.nu(c));
            let mut pieces: Vec<Vec<(f64, usize)>> = vec![Vec::new(); work.len()];
            for (&(w, _), r) in cuts.iter().zip(counts) {
                let (c, s) = r?;
                pieces[w].push((s, c));
            }
            active = Vec::new();
            for (iv, mut pts) in work.into_iter().zip(pieces) {
                pts.sort_by(|x, y| x.0.total_cmp(&y.0));
                let width = iv.hi - iv.lo;
                let (mut lo, mut nlo) = (iv.lo, iv.nlo);
                for (s, c) in pts.into_iter().chain([(iv.hi, iv.nhi)]) {
                    // counts of a perturbed matrix need not be monotone: clamp into order
                    let c = c.clamp(nlo, iv.nhi);
                    let piece = Interval {
                        interp: s - lo <= 0.5 * width,
                        first: None,
                        ..Interval::new(lo, s, nlo, c)
                    };
                    if s > lo && holds(&piece) {
                        active.push(piece);
                    }
                    (lo, nlo) = (s, c);
                }
            }
        }
        done.sort_by_key(|e| e.k);
        Ok(done)
    }
}

/// `m` cuts of `iv`: the interpolated cut, with `m > 1` spread symmetrically around it
/// over a quarter of the interval (inside `(lo, hi)`, distinct).
fn cuts(iv: &Interval, k1: usize, k2: usize, m: usize) -> impl Iterator<Item = f64> {
    let c = iv.cut(k1, k2);
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
