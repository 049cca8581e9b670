//! Refinement of a small isolated group of eigenvalues of `Ã_f`: shift-and-invert
//! subspace iteration with the `LDLᵀ` of one shift, Rayleigh–Ritz, and residual bounds.
//!
//! Bisection gains one bit per factorization. Once an interval `[lo, hi)` holds few
//! eigenvalues (`m = ν(hi) − ν(lo) ≤ MAX_GROUP`), a factorization at a shift σ inside it
//! also gives cheap solves with `Ã_f − σI` (O(N·r) per column against O(N·r²) for the
//! factorization). Subspace iteration from a seeded block of `m + max(m, 2)` columns, then
//! Rayleigh–Ritz with the factored matvec (so bounds and counts speak of the same `Ã_f`),
//! gives Ritz pairs `(θ_i, z_i)` and the residual `R_S = Ã_f Z_S − Z_S Θ_S` of any subset S.
//! Rigorous enclosures follow:
//! - Kahan: there are |S| eigenvalues `λ_{j_1} ≤ … ≤ λ_{j_|S|}` with `|θ_i − λ_{j_i}| ≤ ‖R_S‖₂`.
//!   With `|S| = m` and every `[θ_i − ‖R_S‖_F, θ_i + ‖R_S‖_F]` inside `(lo, hi)`, which holds
//!   exactly m eigenvalues, they are `λ_{ν(lo)+1} … λ_{ν(hi)}` in order;
//! - for m = 1, Kato–Temple: `λ_k` is the only eigenvalue in `(a, b)` (its count bracket),
//!   so `θ − r²/(b − θ) ≤ λ_k ≤ θ + r²/(θ − a)` — quadratic in the residual `r`.
//!
//! Every factorization's count also cuts the interval, so a refinement that stalls (σ far
//! from the group compared with the neighbours) still did the work of a bisection step. A
//! second factorization is taken at the centre of the Ritz values. Rounding: residuals are
//! enlarged by `64·ε·‖A‖` before they enter a bound.

use super::bisect::{Interval, Spectrum};
use super::bounds::{enclosure, Enclosed};
use super::exact::{certify, Group};
use crate::error::Result;
use crate::factor::Ldlt;
use faer::{Mat, MatRef, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::Ordering;

/// Largest group of eigenvalues refined together.
pub(super) const MAX_GROUP: usize = 8;
/// Fewest extra columns of the subspace; a group of m gets max(m, 2). In a cluster the
/// group's outer eigenvalues converge at the rate |λ_edge − σ|/|λ_(next outside) − σ|:
/// about 0.8 per solve with 2 extra columns, 0.5 with m (yukawa sphere, 64 consecutive
/// eigenvalues at N = 4096: 84 → 48 factorizations).
const OVERSAMPLE: usize = 2;
/// Factorizations one refinement may spend before handing its pieces back to bisection.
const ROUNDS: usize = 2;
/// Solves per factorization (each ~1/100 of a factorization per column); iteration stops
/// earlier when the residual shrinks by less than 0.7 per solve.
const SOLVES: usize = 16;

/// What refinement achieved for a group `[lo, hi)`.
pub(super) enum Refined {
    /// Certified brackets `λ_k(A) ∈ [lo, hi]` for every k of the group (the eigenvalues of
    /// `Ã_f` are enclosed to `eig_tol`).
    Done(Vec<Enclosed>),
    /// Not converged: the pieces of the interval cut by the counts, to bisect further.
    Split(Vec<Interval>),
}

/// Shifts with their counts inside one interval, sorted: `ν` is nondecreasing along them.
struct Cuts(Vec<(f64, usize)>);

impl Cuts {
    fn insert(&mut self, s: f64, c: usize) {
        let (lo, hi) = (self.0[0], self.0[self.0.len() - 1]);
        if lo.0 < s && s < hi.0 {
            let at = self.0.partition_point(|p| p.0 < s);
            let c = c.clamp(self.0[at - 1].1, self.0[at].1);
            self.0.insert(at, (s, c));
        }
    }

    /// Tightest `[a, b)` known to hold `λ_j`: `ν(a) < j ≤ ν(b)`.
    fn bracket(&self, j: usize) -> (f64, f64) {
        let a = self.0.iter().rev().find(|p| p.1 < j).map_or(self.0[0].0, |p| p.0);
        let b = self.0.iter().find(|p| p.1 >= j).map_or(self.0[self.0.len() - 1].0, |p| p.0);
        (a, b)
    }

    /// The pieces of `iv` between cuts that hold eigenvalues, each with the widest gap
    /// the counts prove (`glo`, `ghi`; `iv`'s own where the count is `iv`'s).
    fn pieces(&self, iv: &Interval) -> Vec<Interval> {
        let first_with = |c: usize| {
            if c == iv.nlo {
                iv.glo
            } else {
                self.0.iter().find(|p| p.1 == c).map_or(iv.lo, |p| p.0)
            }
        };
        let last_with = |c: usize| {
            if c == iv.nhi {
                iv.ghi
            } else {
                self.0.iter().rev().find(|p| p.1 == c).map_or(iv.hi, |p| p.0)
            }
        };
        let w = self.0.windows(2).filter(|p| p[1].1 > p[0].1);
        w.map(|p| Interval {
            glo: first_with(p[0].1),
            ghi: last_with(p[1].1),
            ..Interval::new(p[0].0, p[1].0, p[0].1, p[1].1)
        })
        .collect()
    }
}

/// Orthonormalizes the columns of `y` in place (Gram–Schmidt, twice: deterministic and
/// accurate for the few columns used here). Returns false if a column vanished.
fn orthonormalize(y: &mut Mat<f64>) -> bool {
    for j in 0..y.ncols() {
        for _ in 0..2 {
            for i in 0..j {
                let d = (y.col(i).transpose() * y.col(j)).to_owned();
                let (ci, mut cj) = (y.col(i).to_owned(), y.col_mut(j));
                cj -= faer::Scale(d) * &ci;
            }
        }
        let nj = y.col(j).norm_l2();
        if !(nj.is_finite() && nj > 0.0) {
            return false;
        }
        let mut cj = y.col_mut(j);
        cj *= faer::Scale(1.0 / nj);
    }
    true
}

/// Outcome of [`Spectrum::iterate`]: enclosures and Ritz vectors, or the centre to refactor at.
type Iterated = std::result::Result<(Vec<Enclosed>, Mat<f64>), Option<f64>>;

/// Ritz pairs of the span of `q` (orthonormal): values, vectors, and the residual norm of each.
type RitzPairs = (Vec<f64>, Mat<f64>, Vec<f64>);

fn ritz(plan: &crate::factor::UlvPlan<'_>, q: &Mat<f64>) -> Result<Option<RitzPairs>> {
    let aq = plan.apply(q.as_ref());
    let mut g = q.transpose() * &aq;
    let c = g.ncols();
    for i in 0..c {
        for j in 0..i {
            let v = 0.5 * (g[(i, j)] + g[(j, i)]);
            (g[(i, j)], g[(j, i)]) = (v, v);
        }
    }
    let Ok(evd) = g.self_adjoint_eigen(Side::Lower) else { return Ok(None) };
    let theta: Vec<f64> = (0..c).map(|i| evd.S()[i]).collect();
    let z = q * evd.U();
    let res = &aq * evd.U() - &z * evd.S();
    Ok(Some((theta, z, (0..c).map(|i| res.col(i).norm_l2()).collect())))
}

impl Spectrum<'_> {
    /// Refines the group of eigenvalues in `iv` (`1 ≤ iv.nhi − iv.nlo ≤ MAX_GROUP`).
    pub(super) fn refine(&self, iv: Interval) -> Result<Refined> {
        let (n, m) = (self.h.n(), iv.nhi - iv.nlo);
        debug_assert!((1..=MAX_GROUP).contains(&m));
        let seed = self.seed ^ (iv.nhi as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Mat::from_fn(n, (m + OVERSAMPLE.max(m)).min(n), |_, _| rng.random::<f64>() - 0.5);
        let mut cuts = Cuts(vec![(iv.lo, iv.nlo), (iv.hi, iv.nhi)]);
        let mut sigma = 0.5 * (iv.lo + iv.hi);
        for _ in 0..ROUNDS {
            let (f, c, s) = self.factor(sigma)?;
            cuts.insert(s, c);
            match self.iterate(&f, &mut x, &cuts, iv)? {
                Ok((done, z)) => return Ok(Refined::Done(self.certified(&done, z.as_ref(), iv))),
                Err(Some(centre)) if iv.lo < centre && centre < iv.hi => sigma = centre,
                Err(_) => break,
            }
        }
        Ok(Refined::Split(cuts.pieces(&iv)))
    }

    /// Brackets of `λ_k(A)` for a refined group of `Ã_f` (enclosures `enc`, Ritz vectors
    /// `z`): δ-widened, and sharpened by exact residuals with `A` when `n ≤ exact_limit`.
    fn certified(&self, enc: &[Enclosed], z: MatRef<'_, f64>, iv: Interval) -> Vec<Enclosed> {
        let brackets = if self.h.n() <= self.exact_limit {
            let values_only_product = self.values_from_a();
            let g = Group {
                lo: iv.glo,
                hi: iv.ghi,
                delta: self.delta,
                norm: self.norm,
                values_only_product,
                enc,
                par: self.par,
            };
            let (b, products) = certify(self.src, z, &g);
            self.exact_products.fetch_add(products, Ordering::Relaxed);
            let sharper =
                b.iter().zip(enc).filter(|(b, e)| b.1 - b.0 < e.hi - e.lo + 2.0 * self.delta).count();
            self.sharpened.fetch_add(sharper, Ordering::Relaxed);
            b
        } else {
            enc.iter().map(|e| (e.lo - self.delta, e.hi + self.delta, e.value)).collect()
        };
        let out = enc.iter().zip(brackets);
        out.map(|(e, (lo, hi, value))| Enclosed { k: e.k, lo, hi, value }).collect()
    }

    /// Subspace iteration with one factorization: the enclosures of `Ã_f`'s eigenvalues and
    /// their Ritz vectors once all are ≤ eig_tol wide, else (on stalling) the centre of the
    /// Ritz values inside the interval, if any.
    fn iterate(&self, f: &Ldlt<'_>, x: &mut Mat<f64>, cuts: &Cuts, iv: Interval) -> Result<Iterated> {
        let slack = 64.0 * f64::EPSILON * self.norm;
        let n = self.h.n();
        let (mut prev, mut centre) = (f64::INFINITY, None);
        for _ in 0..SOLVES {
            let mut q = f.solve(x.as_ref());
            if !orthonormalize(&mut q) {
                break;
            }
            let Some((theta, z, res)) = ritz(self.plan, &q)? else { break };
            *x = q;
            // The m Ritz pairs inside (lo, hi) with the smallest residuals.
            let mut inside: Vec<usize> =
                (0..theta.len()).filter(|&i| iv.lo < theta[i] && theta[i] < iv.hi).collect();
            inside.sort_by(|&a, &b| res[a].total_cmp(&res[b]));
            inside.truncate(iv.nhi - iv.nlo);
            inside.sort_unstable();
            if !inside.is_empty() {
                centre = Some(inside.iter().map(|&i| theta[i]).sum::<f64>() / inside.len() as f64);
            }
            let e = inside.iter().map(|&i| res[i] * res[i]).sum::<f64>().sqrt() + slack;
            if let Some(done) = self.enclose(cuts, iv, &inside, &theta, e) {
                if done.iter().all(|d| d.hi - d.lo <= self.eig_tol) {
                    let zs = Mat::from_fn(n, inside.len(), |i, j| z[(i, inside[j])]);
                    return Ok(Ok((done, zs)));
                }
            }
            if e > 0.7 * prev {
                break;
            }
            prev = e;
        }
        Ok(Err(centre))
    }

    /// Enclosures of all m eigenvalues of `iv` from the Ritz values `theta[inside]` and
    /// the Frobenius norm `e` of their residual, or `None` if they do not determine them.
    fn enclose(
        &self,
        cuts: &Cuts,
        iv: Interval,
        inside: &[usize],
        theta: &[f64],
        e: f64,
    ) -> Option<Vec<Enclosed>> {
        if inside.len() != iv.nhi - iv.nlo {
            return None;
        }
        if inside.iter().any(|&i| theta[i] - e <= iv.lo || theta[i] + e >= iv.hi) && inside.len() > 1 {
            return None;
        }
        let mut out = Vec::with_capacity(inside.len());
        for (t, &i) in inside.iter().enumerate() {
            let k = iv.nlo + 1 + t;
            let (a, b) = cuts.bracket(k);
            let (lo, hi) = if inside.len() == 1 {
                enclosure(a, b, theta[i], e)
            } else {
                ((theta[i] - e).max(a), (theta[i] + e).min(b))
            };
            if lo > hi {
                return None;
            }
            out.push(Enclosed { k, lo, hi, value: theta[i].clamp(lo, hi) });
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{enclosure, Cuts};

    #[test]
    fn enclosure_uses_residual_and_kato_temple() {
        // λ = 1 isolated in [0, 2): a vector with residual 1e-4 and Rayleigh quotient 1 + 5e-9
        let (l, u) = enclosure(0.0, 2.0, 1.0 + 5e-9, 1e-4);
        assert!(l <= 1.0 && 1.0 <= u);
        assert!(u - l < 2.1e-8, "Kato–Temple gives r²/gap = 1e-8 each side: {l} {u}");
        // ρ outside the interval: only the count bracket remains
        assert_eq!(enclosure(0.0, 2.0, 3.0, 1e-4), (0.0, 2.0));
        // residual interval sticking out: Kato–Temple still applies inside
        let (l, u) = enclosure(0.0, 2.0, 1.9, 0.5);
        assert!(l >= 0.0 && u <= 2.0 && l < 1.9);
    }

    #[test]
    fn cuts_bracket_each_index_and_split_into_pieces() {
        let mut c = Cuts(vec![(0.0, 3), (8.0, 7)]);
        c.insert(4.0, 5);
        c.insert(2.0, 5);
        c.insert(9.0, 1); // outside: ignored
        assert_eq!(c.bracket(4), (0.0, 2.0));
        assert_eq!(c.bracket(6), (4.0, 8.0));
        let p = c.pieces(&super::Interval::new(0.0, 8.0, 3, 7));
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].lo, p[0].hi, p[0].nlo, p[0].nhi), (0.0, 2.0, 3, 5));
        assert_eq!((p[1].lo, p[1].hi, p[1].nlo, p[1].nhi), (4.0, 8.0, 5, 7));
        // the widest proven gaps: ν = 5 holds from 2 to 4, so λ_5 < 2 and λ_6 ≥ 4
        assert_eq!((p[0].glo, p[0].ghi, p[1].glo, p[1].ghi), (0.0, 4.0, 2.0, 8.0));
    }
}
