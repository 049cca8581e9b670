//! Multi-target bisection rounds on inertia counts (`dstebz`-style): every round cuts all
//! active intervals (or refines the small ones) in parallel, and every count splits an
//! interval for all the target indices it holds.

use super::counter::InertiaCounter;
use super::interval::{Cuts, Interval, Point};
use super::refine::{Refined, MAX_GROUP};
use super::spectrum::{Eigenvalue, Found, Spectrum};
use super::vectors::GroupVectors;
use super::wire::{Reader, Wire, Writer};
use super::workers::JobKind;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One unit of work of a bisection round.
enum Job {
    /// Count at this shift.
    Cut(f64),
    /// Refine the interval's small group.
    Refine,
}

/// The outcome of a [`Job`].
enum Step {
    /// A count (at the shift actually used).
    Count(Point),
    /// The outcome of refining an isolated group.
    Refined(Refined),
}

impl<C: InertiaCounter> Spectrum<'_, C> {
    /// Brackets of the targets `k1..=k2` of `start` (with eigenvectors when `vectors`);
    /// `used[0]`/`used[1]` are set when a result rests on `start`'s lower/upper end (its
    /// count was not checked by the caller).
    pub(super) fn bisect(
        &self,
        start: Interval,
        (k1, k2): (usize, usize),
        used: &mut [bool; 2],
        vectors: bool,
    ) -> Result<Vec<Found>> {
        let (a, b) = (start.lo, start.hi);
        let mut uses = |iv: &Interval| {
            used[0] |= iv.lo == a || iv.glo == a;
            used[1] |= iv.hi == b || iv.ghi == b;
        };
        let mut active = vec![start];
        let (mut done, mut finished) = (Vec::new(), Vec::new());
        // A narrow interval is finished by its bracket, unless its values can still come
        // from A's Rayleigh–Ritz (refinement + exact product): the midpoint of an
        // eig_tol-wide bracket is ~δ from λ(A), the Ritz value ~δ²/gap. Wanted vectors
        // come from refinement too.
        let ritz_values = self.values_from_a() || vectors;
        while !active.is_empty() {
            let (fin, work): (Vec<Interval>, Vec<Interval>) = active.into_iter().partition(|iv| {
                let mid = 0.5 * (iv.lo + iv.hi);
                let narrow = iv.hi - iv.lo <= self.eig_tol || mid <= iv.lo || mid >= iv.hi;
                let refinable = ritz_values && !iv.refined && self.refinable(iv);
                narrow && !refinable
            });
            fin.iter().for_each(&mut uses);
            finished.extend(fin);
            work.iter().filter(|iv| self.refinable(iv)).for_each(&mut uses);
            let steps = self.round(&work, (k1, k2), vectors)?;
            active = Vec::with_capacity(2 * work.len());
            for (iv, step) in work.into_iter().zip(steps) {
                self.advance(iv, step, (k1, k2), &mut active, (&mut done, &mut finished));
            }
        }
        // groups finished by their brackets: vectors by one more factorization each
        let groups = if vectors {
            self.run_jobs(&finished, |_| JobKind::Vectors, |iv| self.vectors_of(*iv).map(Some))
        } else {
            finished.iter().map(|_| Ok(None)).collect()
        };
        for (iv, g) in finished.into_iter().zip(groups) {
            self.finish(&mut done, iv, (k1, k2), g?.as_ref());
        }
        done.sort_by_key(|e| e.value.k);
        Ok(done)
    }

    /// One round: an interval holding a few eigenvalues is refined by shift-and-invert
    /// subspace iteration (a few factorizations) instead of bisected (one bit per
    /// factorization); every other interval gets its share of `cuts_per_round` cuts (at
    /// least one). All jobs run concurrently; the steps of each interval in order.
    fn round(&self, work: &[Interval], (k1, k2): (usize, usize), vectors: bool) -> Result<Vec<Vec<Step>>> {
        let per = self.cuts_per_round.div_ceil(work.len().max(1)).max(1);
        let mut jobs: Vec<(usize, Job)> = Vec::with_capacity(work.len() * per);
        for (w, iv) in work.iter().enumerate() {
            if self.refinable(iv) && !iv.stalled {
                jobs.push((w, Job::Refine));
            } else {
                let cuts = iv.cuts(k1, k2, MAX_GROUP, self.model.as_ref(), per);
                jobs.extend(cuts.into_iter().map(|x| (w, Job::Cut(x))));
            }
        }
        let kind = |(_, job): &(usize, Job)| match job {
            Job::Refine => JobKind::Refine,
            Job::Cut(_) => JobKind::Count,
        };
        let out = self.run_jobs(&jobs, kind, |(w, job)| match job {
            Job::Refine => self.refine(work[*w], vectors).map(Step::Refined),
            Job::Cut(x) => self.nu(*x).map(Step::Count),
        });
        let mut steps: Vec<Vec<Step>> = work.iter().map(|_| Vec::new()).collect();
        for ((w, _), s) in jobs.iter().zip(out) {
            steps[*w].push(s?);
        }
        Ok(steps)
    }

    /// Whether `iv` is refined instead of cut: it holds at most [`MAX_GROUP`] eigenvalues,
    /// and — per-shift counts, whose brackets stay the count brackets widened by ε
    /// (`refine.rs`) — it is at most `4ε + eig_tol` wide, so that the brackets of a refined
    /// group are no wider than `6ε + eig_tol`.
    pub(super) fn refinable(&self, iv: &Interval) -> bool {
        iv.nhi - iv.nlo <= MAX_GROUP
            && (self.fixed || iv.hi - iv.lo <= 4.0 * iv.elo.max(iv.ehi) + self.eig_tol)
    }

    /// Whether every refined group's values are A's Rayleigh–Ritz values (one exact
    /// product per group, also where no gap is proven; `exact.rs`): `n ≤ exact_limit` and
    /// the product costs about what a few factorizations do.
    pub(super) fn values_from_a(&self) -> bool {
        self.n <= self.exact_limit && self.cheap_products
    }

    /// Applies one interval's steps: refined eigenvalues of the targets `(k1, k2)` go to
    /// `done`, the pieces that still hold targets to `active`, an interval that cannot
    /// shrink to `finished`.
    fn advance(
        &self,
        iv: Interval,
        steps: Vec<Step>,
        (k1, k2): (usize, usize),
        active: &mut Vec<Interval>,
        (done, finished): (&mut Vec<Found>, &mut Vec<Interval>),
    ) {
        let holds = |p: &Interval| (p.nlo + 1).max(k1) <= p.nhi.min(k2);
        let mut cuts = Cuts::of(&iv);
        let mut counted = false;
        for step in steps {
            match step {
                Step::Refined(Refined::Done(group, vectors)) => {
                    for (j, e) in group.into_iter().enumerate().filter(|(_, e)| (k1..=k2).contains(&e.k)) {
                        let value = Eigenvalue { k: e.k, value: e.value, lower: e.lo, upper: e.hi };
                        done.push(Found { value, vector: vectors.as_ref().map(|g| g.column(j)) });
                    }
                }
                Step::Refined(Refined::Split(pieces)) => {
                    active.extend(pieces.into_iter().filter(holds).map(|p| {
                        let stalled = p.lo == iv.lo && p.hi == iv.hi;
                        Interval { refined: true, stalled, ..p }
                    }))
                }
                Step::Count(p) => {
                    cuts.insert(p);
                    counted = true;
                }
            }
        }
        if counted {
            let pieces = cuts.pieces(&iv);
            if let [one] = pieces.as_slice() {
                if one.lo == iv.lo && one.hi == iv.hi {
                    // every cut was moved out of the interval (zero pivots closer than the
                    // move step): it cannot shrink further
                    finished.push(iv);
                    return;
                }
            }
            active.extend(pieces.into_iter().filter(holds));
        }
    }

    /// Records the targets of a final interval `[lo, hi]`: `λ_k(M) ∈ [lo − ε_lo, hi + ε_hi]`
    /// by its counts, widened by δ for `A`; the value is the midpoint, or the Rayleigh
    /// quotient of the group's vector (clamped to the bracket) when there are vectors.
    pub(super) fn finish(
        &self,
        done: &mut Vec<Found>,
        iv: Interval,
        (k1, k2): (usize, usize),
        vectors: Option<&GroupVectors>,
    ) {
        let (lower, upper) = (iv.lo - iv.elo - self.delta, iv.hi + iv.ehi + self.delta);
        for k in (iv.nlo + 1).max(k1)..=iv.nhi.min(k2) {
            let j = k - iv.nlo - 1;
            let vector = vectors.filter(|g| j < g.x.ncols()).map(|g| g.column(j));
            let value = vector.as_ref().map_or(0.5 * (iv.lo + iv.hi), |v| v.value.clamp(lower, upper));
            done.push(Found { value: Eigenvalue { k, value, lower, upper }, vector });
        }
    }
}

impl Wire for Step {
    fn put(&self, w: &mut Writer) {
        match self {
            Step::Count(p) => {
                w.bool(true);
                p.put(w);
            }
            Step::Refined(r) => {
                w.bool(false);
                r.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        if r.bool() {
            Step::Count(Point::get(r))
        } else {
            Step::Refined(Refined::get(r))
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
