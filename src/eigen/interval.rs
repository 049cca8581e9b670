//! Intervals of the bisection and where to cut them.

use super::density::DensityModel;

/// `[lo, hi)` with the counts `nlo = ν(lo)`, `nhi = ν(hi)` of `Ã_f`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interval {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) nlo: usize,
    pub(super) nhi: usize,
    /// `ε` of the counts at `lo` and `hi` (0 under the fixed model: `counter.rs`).
    pub(super) elo: f64,
    pub(super) ehi: f64,
    /// The last cut halved the interval: interpolate freely (else within the middle third).
    pub(super) interp: bool,
    /// The leftmost shift known with count `nlo` and the rightmost with count `nhi`:
    /// `λ_{nlo} < glo` and `λ_{nhi+1} ≥ ghi`, the widest gap around the interval's
    /// eigenvalues that the counts prove (what certification against `A` needs).
    pub(super) glo: f64,
    pub(super) ghi: f64,
    /// `ε` of the counts at `glo` and `ghi`.
    pub(super) eglo: f64,
    pub(super) eghi: f64,
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
            elo: 0.0,
            ehi: 0.0,
            interp: true,
            glo: lo,
            ghi: hi,
            eglo: 0.0,
            eghi: 0.0,
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

    /// `m` cuts for one round (multisection; `cut` for `m = 1`). Targets that span several
    /// counts get the boundaries of `m + 1` pieces of equal target count — located by
    /// `model` where it resolves them, else interpolated on the counts (inside the
    /// interval's inner `1 − 2/(8(m + 1))`) — so that the next rounds have up to `m + 1`
    /// intervals to cut at once (p?stebz splits its work by counts the same way); on the
    /// first cut (`first`, the mean) the mean is one of them. A single target gets the
    /// aimed cut and `m − 1` more around it, `±h, ±2h, …` with `h = (hi − lo)/(4m)`.
    /// Distinct, ascending, strictly inside `(lo, hi)`.
    pub(super) fn cuts(
        &self,
        k1: usize,
        k2: usize,
        group: usize,
        model: Option<&DensityModel>,
        m: usize,
    ) -> Vec<f64> {
        let c = self.cut(k1, k2, group, model);
        let (t1, t2) = ((self.nlo + 1).max(k1), self.nhi.min(k2));
        let mut out = Vec::with_capacity(m + 1);
        if m > 1 && t2 > t1 {
            let targets = (t2 + 1 - t1) as f64;
            let margin = 1.0 / (8.0 * (m + 1) as f64);
            let span = (self.nhi - self.nlo) as f64;
            if self.first.is_some() {
                out.push(c);
            }
            let pieces = (m + 1 - out.len()) as f64;
            for i in 1..=(m - out.len()) {
                let count = (t1 - 1) as f64 + targets * i as f64 / pieces;
                let uniform = ((count - self.nlo as f64) / span).clamp(margin, 1.0 - margin);
                let x = model
                    .and_then(|md| md.locate((self.lo, self.hi), (self.nlo, self.nhi), count))
                    .filter(|&x| x > self.lo && x < self.hi)
                    .unwrap_or(self.lo + uniform * (self.hi - self.lo));
                out.push(x);
            }
        } else {
            let h = (self.hi - self.lo) / (4.0 * m as f64);
            out.push(c);
            out.extend((1..m).map(|j| c + if j % 2 == 1 { 1.0 } else { -1.0 } * j.div_ceil(2) as f64 * h));
        }
        out.retain(|&x| x > self.lo && x < self.hi);
        out.sort_by(f64::total_cmp);
        out.dedup();
        if out.is_empty() {
            out.push(c);
        }
        out
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

/// A counted shift: `ν(at) = count` for the matrix factored there, within `err` of `A`'s
/// (or exact for the fixed `M`: `err = 0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Point {
    pub(super) at: f64,
    pub(super) count: usize,
    pub(super) err: f64,
}

/// Counted shifts inside one interval, sorted, with counts made nondecreasing along them.
pub(super) struct Cuts(Vec<Point>);

impl Cuts {
    /// The two ends of `iv`.
    pub(super) fn of(iv: &Interval) -> Self {
        Cuts(vec![
            Point { at: iv.lo, count: iv.nlo, err: iv.elo },
            Point { at: iv.hi, count: iv.nhi, err: iv.ehi },
        ])
    }

    /// Adds a count inside the ends (others carry no information here). A count of a
    /// per-shift matrix need not be monotone: it is clamped between its neighbours'.
    pub(super) fn insert(&mut self, p: Point) {
        let (lo, hi) = (self.0[0], self.0[self.0.len() - 1]);
        if lo.at < p.at && p.at < hi.at {
            let at = self.0.partition_point(|q| q.at < p.at);
            let count = p.count.clamp(self.0[at - 1].count, self.0[at].count);
            self.0.insert(at, Point { count, ..p });
        }
    }

    /// Tightest `[a, b)` known to hold `λ_j`: `ν(a) < j ≤ ν(b)`, with the counts' errors.
    pub(super) fn bracket(&self, j: usize) -> (Point, Point) {
        let a = self.0.iter().rev().find(|p| p.count < j).copied().unwrap_or(self.0[0]);
        let b = self.0.iter().find(|p| p.count >= j).copied().unwrap_or(self.0[self.0.len() - 1]);
        (a, b)
    }

    /// The pieces of `iv` between cuts that hold eigenvalues, each with the widest gap
    /// the counts prove (`glo`, `ghi`; `iv`'s own where the count is `iv`'s). Pieces keep
    /// `iv`'s `refined` flag; `interp` says whether a piece is at most half of `iv`.
    pub(super) fn pieces(&self, iv: &Interval) -> Vec<Interval> {
        let first_with = |c: usize| {
            if c == iv.nlo {
                (iv.glo, iv.eglo)
            } else {
                self.0.iter().find(|p| p.count == c).map_or((iv.lo, iv.elo), |p| (p.at, p.err))
            }
        };
        let last_with = |c: usize| {
            if c == iv.nhi {
                (iv.ghi, iv.eghi)
            } else {
                self.0.iter().rev().find(|p| p.count == c).map_or((iv.hi, iv.ehi), |p| (p.at, p.err))
            }
        };
        let width = iv.hi - iv.lo;
        let w = self.0.windows(2).filter(|p| p[1].count > p[0].count);
        w.map(|p| {
            let ((glo, eglo), (ghi, eghi)) = (first_with(p[0].count), last_with(p[1].count));
            Interval {
                elo: p[0].err,
                ehi: p[1].err,
                glo,
                ghi,
                eglo,
                eghi,
                interp: p[1].at - p[0].at <= 0.5 * width,
                refined: iv.refined,
                ..Interval::new(p[0].at, p[1].at, p[0].count, p[1].count)
            }
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Multisection: a range gets the boundaries of `m + 1` equal-count pieces of its
    /// targets (the mean among them on the first cut), a single target its aimed cut and
    /// more around it; never outside the interval, never twice the same shift.
    #[test]
    fn multisection_cuts_ranges_into_equal_counts() {
        // counts 0..100 spread evenly over [0, 100): count c lies at c
        let iv = Interval::new(0.0, 100.0, 0, 100);
        assert_eq!(iv.cuts(11, 50, 0, None, 3), vec![20.0, 30.0, 40.0]);
        assert_eq!(iv.cuts(11, 50, 0, None, 1), vec![iv.cut(11, 50, 0, None)]);
        // targets beyond the interval count only where they lie inside it
        assert_eq!(iv.cuts(81, 300, 0, None, 3), vec![85.0, 90.0, 95.0]);
        // the first cut (the mean) stays one of them
        let first = Interval { first: Some(63.0), ..iv };
        let got = first.cuts(11, 50, 0, None, 3);
        let want = [10.0 + 40.0 / 3.0, 10.0 + 80.0 / 3.0, 63.0];
        assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12) && got.len() == 3, "{got:?}");
        // one target (aimed at count 40.5): the aimed cut, then +h, −h, +2h with h = 100/16
        assert_eq!(iv.cuts(41, 41, 0, None, 4), vec![34.25, 40.5, 46.75, 53.0]);
        // near an end: cuts outside the interval are dropped
        let c = iv.cut(2, 2, 0, None);
        assert!(iv.cuts(2, 2, 0, None, 8).iter().all(|&x| x > 0.0 && x < 100.0 && x >= c - 12.5 * 4.0));
        // a tiny interval: distinct shifts only
        let tiny = Interval::new(1.0, 1.0 + 4.0 * f64::EPSILON, 0, 100);
        let cuts = tiny.cuts(40, 60, 0, None, 8);
        assert!(cuts.windows(2).all(|w| w[0] < w[1]) && !cuts.is_empty(), "{cuts:?}");
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

    fn pt(at: f64, count: usize) -> Point {
        Point { at, count, err: 0.0 }
    }

    #[test]
    fn cuts_bracket_each_index_and_split_into_pieces() {
        let mut c = Cuts(vec![pt(0.0, 3), pt(8.0, 7)]);
        c.insert(pt(4.0, 5));
        c.insert(Point { err: 0.25, ..pt(2.0, 5) });
        c.insert(pt(9.0, 1)); // outside: ignored
        let at = |(a, b): (Point, Point)| (a.at, b.at);
        assert_eq!(at(c.bracket(4)), (0.0, 2.0));
        assert_eq!(at(c.bracket(6)), (4.0, 8.0));
        assert_eq!(c.bracket(4).1.err, 0.25, "a bracket carries its counts' errors");
        let p = c.pieces(&Interval::new(0.0, 8.0, 3, 7));
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].lo, p[0].hi, p[0].nlo, p[0].nhi), (0.0, 2.0, 3, 5));
        assert_eq!((p[1].lo, p[1].hi, p[1].nlo, p[1].nhi), (4.0, 8.0, 5, 7));
        assert_eq!((p[0].ehi, p[1].eglo), (0.25, 0.25));
        // the widest proven gaps: ν = 5 holds from 2 to 4, so λ_5 < 2 and λ_6 ≥ 4
        assert_eq!((p[0].glo, p[0].ghi, p[1].glo, p[1].ghi), (0.0, 4.0, 2.0, 8.0));
        assert!(p[0].interp && p[1].interp, "pieces of at most half the interval interpolate");
        let mut wide = Cuts::of(&Interval::new(0.0, 8.0, 3, 7));
        wide.insert(pt(6.0, 5));
        let q = wide.pieces(&Interval::new(0.0, 8.0, 3, 7));
        assert!(!q[0].interp && q[1].interp, "a piece wider than half is clamped next time");
    }

    /// Counts of per-shift matrices need not be monotone: each is clamped between its
    /// neighbours', so no eigenvalue index is lost or counted twice.
    #[test]
    fn non_monotone_counts_are_clamped() {
        let mut c = Cuts(vec![pt(0.0, 10), pt(4.0, 20)]);
        c.insert(pt(1.0, 15));
        c.insert(pt(2.0, 13)); // below its left neighbour's 15
        c.insert(pt(3.0, 25)); // above the right end's 20
        let counts: Vec<usize> = c.0.iter().map(|p| p.count).collect();
        assert_eq!(counts, [10, 15, 15, 20, 20]);
        let p = c.pieces(&Interval::new(0.0, 4.0, 10, 20));
        assert_eq!(p.iter().map(|q| q.nhi - q.nlo).sum::<usize>(), 10);
    }
}
