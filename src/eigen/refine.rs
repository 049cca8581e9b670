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

use super::bounds::{enclosure, Enclosed};
use super::counter::{InertiaCounter, ShiftedFactor};
use super::exact::{certify, Group};
use super::interval::{Cuts, Interval};
use super::spectrum::Spectrum;
use super::vectors::GroupVectors;
use crate::dense::symmetric_eigen;
use crate::error::Result;
use faer::{Mat, MatRef};
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
    /// `Ã_f` are enclosed to `eig_tol`), with the group's eigenvectors when asked for.
    Done(Vec<Enclosed>, Option<GroupVectors>),
    /// Not converged: the pieces of the interval cut by the counts, to bisect further.
    Split(Vec<Interval>),
}

/// Orthonormalizes the columns of `y` in place (Gram–Schmidt, twice: deterministic and
/// accurate for the few columns used here). Returns false if a column vanished.
pub(super) fn orthonormalize(y: &mut Mat<f64>) -> bool {
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

pub(super) fn ritz(f: &impl ShiftedFactor, q: &Mat<f64>) -> Option<RitzPairs> {
    let aq = f.apply_unshifted(q.as_ref());
    let (theta, u) = symmetric_eigen(q.transpose() * &aq)?;
    let z = q * &u;
    let res = &aq * &u - &z * faer::ColRef::from_slice(&theta).as_diagonal();
    let c = theta.len();
    Some((theta, z, (0..c).map(|i| res.col(i).norm_l2()).collect()))
}

impl<C: InertiaCounter> Spectrum<'_, C> {
    /// Refines the group of eigenvalues in `iv` (`1 ≤ iv.nhi − iv.nlo ≤ MAX_GROUP`), with
    /// its polished eigenvectors (`vectors.rs`) when `vectors`.
    pub(super) fn refine(&self, iv: Interval, vectors: bool) -> Result<Refined> {
        let (n, m) = (self.n, iv.nhi - iv.nlo);
        debug_assert!((1..=MAX_GROUP).contains(&m));
        let seed = self.seed ^ (iv.nhi as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Mat::from_fn(n, (m + OVERSAMPLE.max(m)).min(n), |_, _| rng.random::<f64>() - 0.5);
        let mut cuts = Cuts::of(&iv);
        let mut sigma = 0.5 * (iv.lo + iv.hi);
        for _ in 0..ROUNDS {
            let (f, p) = self.factor(sigma)?;
            cuts.insert(p);
            match self.iterate(&f, &mut x, &cuts, iv)? {
                Ok((done, z)) if vectors => {
                    let g = self.polish(&f, z);
                    return Ok(Refined::Done(self.certified(&done, g.x.as_ref(), iv), Some(g)));
                }
                Ok((done, z)) => return Ok(Refined::Done(self.certified(&done, z.as_ref(), iv), None)),
                Err(Some(centre)) if iv.lo < centre && centre < iv.hi => sigma = centre,
                Err(_) => break,
            }
        }
        Ok(Refined::Split(cuts.pieces(&iv)))
    }

    /// Brackets of `λ_k(A)` for a refined group of `M` (enclosures `enc`, Ritz vectors
    /// `z`): δ-widened, and sharpened by exact residuals with `A` when `n ≤ exact_limit`.
    fn certified(&self, enc: &[Enclosed], z: MatRef<'_, f64>, iv: Interval) -> Vec<Enclosed> {
        let brackets = if self.n <= self.exact_limit {
            let values_only_product = self.values_from_a();
            // λ_{nlo}(M) < glo + ε(glo) and λ_{nhi+1}(M) ≥ ghi − ε(ghi) (`counter.rs`)
            let g = Group {
                lo: iv.glo + iv.eglo,
                hi: iv.ghi - iv.eghi,
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

    /// Subspace iteration with one factorization `f` (of `M_σ − σI`, `‖M_σ − M‖₂ ≤ ε`):
    /// the enclosures of `M`'s eigenvalues and their Ritz vectors once the enclosures of
    /// `M_σ`'s are all ≤ eig_tol wide, else (on stalling) the centre of the Ritz values
    /// inside the interval, if any.
    fn iterate(&self, f: &C::Factor<'_>, x: &mut Mat<f64>, cuts: &Cuts, iv: Interval) -> Result<Iterated> {
        let slack = 64.0 * f64::EPSILON * self.norm;
        let (n, ef) = (self.n, f.error());
        // M_σ's eigenvalues of the group lie within ε of the interval's count brackets
        let (lo, hi) = (iv.lo - iv.elo - ef, iv.hi + iv.ehi + ef);
        let (mut prev, mut centre) = (f64::INFINITY, None);
        for _ in 0..SOLVES {
            let mut q = f.solve(x.as_ref());
            if !orthonormalize(&mut q) {
                break;
            }
            let Some((theta, z, res)) = ritz(f, &q) else { break };
            *x = q;
            // The m Ritz pairs inside (lo, hi) with the smallest residuals.
            let mut inside: Vec<usize> =
                (0..theta.len()).filter(|&i| lo < theta[i] && theta[i] < hi).collect();
            inside.sort_by(|&a, &b| res[a].total_cmp(&res[b]));
            inside.truncate(iv.nhi - iv.nlo);
            inside.sort_unstable();
            if !inside.is_empty() {
                centre = Some(inside.iter().map(|&i| theta[i]).sum::<f64>() / inside.len() as f64);
            }
            let e = inside.iter().map(|&i| res[i] * res[i]).sum::<f64>().sqrt() + slack;
            let enclosed = if self.fixed {
                self.enclose(cuts, iv, &inside, &theta, (e, ef))
            } else {
                assign_by_count(&theta, &res, f, iv, self.eig_tol).map(|sel| {
                    inside = sel;
                    bracket_by_counts(cuts, iv, &inside, &theta)
                })
            };
            if let Some(done) = enclosed {
                if done.iter().all(|d| d.0.hi - d.0.lo <= self.eig_tol) {
                    let zs = Mat::from_fn(n, inside.len(), |i, j| z[(i, inside[j])]);
                    return Ok(Ok((done.into_iter().map(|d| d.1).collect(), zs)));
                }
            }
            if e > 0.7 * prev {
                break;
            }
            prev = e;
        }
        Ok(Err(centre))
    }

    /// Enclosures of all m eigenvalues of `iv` from the Ritz values `theta[inside]` of
    /// `M_σ` and the Frobenius norm `e` of their residual, or `None` if they do not
    /// determine them: per eigenvalue, the enclosure of `λ_k(M_σ)` and that of `λ_k(M)`.
    ///
    /// `M_σ`'s eigenvalues in `(a + ε_a + ε, b − ε_b − ε)` (a, b counted, `ε = ‖M_σ − M‖`)
    /// have indices in `(ν(a), ν(b)]` (Weyl), so Kahan's and Kato–Temple's intervals inside
    /// it identify them; `λ_k(M)` is within ε of `λ_k(M_σ)`. Under the fixed model every ε
    /// is 0 and both enclosures are the same.
    fn enclose(
        &self,
        cuts: &Cuts,
        iv: Interval,
        inside: &[usize],
        theta: &[f64],
        (e, ef): (f64, f64),
    ) -> Option<Vec<(Enclosed, Enclosed)>> {
        if inside.len() != iv.nhi - iv.nlo {
            return None;
        }
        let (lo, hi) = (iv.lo + iv.elo + ef, iv.hi - iv.ehi - ef);
        // a single eigenvalue of the fixed M lies in its count bracket; otherwise only the
        // residual intervals prove where M_σ's eigenvalues are
        let proven = inside.len() == 1 && self.fixed;
        if !proven && inside.iter().any(|&i| theta[i] - e <= lo || theta[i] + e >= hi) {
            return None;
        }
        let mut out = Vec::with_capacity(inside.len());
        for (t, &i) in inside.iter().enumerate() {
            let k = iv.nlo + 1 + t;
            let (pa, pb) = cuts.bracket(k);
            let (a, b) = (pa.at + pa.err + ef, pb.at - pb.err - ef);
            let (l, u) = if inside.len() == 1 {
                enclosure(a, b, theta[i], e)
            } else {
                ((theta[i] - e).max(a), (theta[i] + e).min(b))
            };
            let (ml, mu) = ((l - ef).max(pa.at - pa.err), (u + ef).min(pb.at + pb.err));
            if l > u || ml > mu {
                return None;
            }
            let of_m_sigma = Enclosed { k, lo: l, hi: u, value: theta[i].clamp(l, u) };
            out.push((of_m_sigma, Enclosed { k, lo: ml, hi: mu, value: theta[i].clamp(ml, mu) }));
        }
        Some(out)
    }
}

/// Per-shift counts: `M_σ`'s Ritz values cannot be enclosed by index where neighbours lie
/// within `2ε` (the dense middle of a kernel spectrum), so the brackets stay the counts'
/// `[a − ε_a, b + ε_b]` (Weyl, each count on its own) and refinement gives the values:
/// `λ_k(M_σ)` (`sel`, from [`assign_by_count`]), within ε of `λ_k(A)`; `A`'s Rayleigh–Ritz
/// values replace them where exact products are affordable (`exact.rs`). The first of each
/// pair reports width 0 (converged) to `iterate`.
fn bracket_by_counts(cuts: &Cuts, iv: Interval, sel: &[usize], theta: &[f64]) -> Vec<(Enclosed, Enclosed)> {
    let out = sel.iter().enumerate().map(|(t, &i)| {
        let k = iv.nlo + 1 + t;
        let (pa, pb) = cuts.bracket(k);
        let (lo, hi) = (pa.at - pa.err, pb.at + pb.err);
        let at = Enclosed { k, lo: theta[i], hi: theta[i], value: theta[i] };
        (at, Enclosed { k, lo, hi, value: theta[i].clamp(lo, hi) })
    });
    out.collect()
}

/// The Ritz pair of each index `k ∈ (iv.nlo, iv.nhi]` of `M_σ`, from the factorization's
/// own exact count `c = ν_{M_σ}(σ)`: shift-and-invert converges to the eigenvalues nearest
/// σ, so the sorted Ritz values just below σ are `λ_c, λ_{c−1}, …` and those above
/// `λ_{c+1}, …` — once every pair from σ out to the group has converged (residual ≤ `tol`).
/// `None` when the subspace does not reach a member or has not converged.
fn assign_by_count(
    theta: &[f64],
    res: &[f64],
    f: &impl ShiftedFactor,
    iv: Interval,
    tol: f64,
) -> Option<Vec<usize>> {
    let (c, sigma) = (f.inertia().negative as i64, f.shift());
    let below = theta.partition_point(|&t| t < sigma) as i64;
    // Ritz pair i stands for λ_{c − below + 1 + i}
    let index_of = |k: usize| usize::try_from(k as i64 - (c - below + 1)).ok().filter(|&i| i < theta.len());
    let sel: Vec<usize> = (iv.nlo + 1..=iv.nhi).map(index_of).collect::<Option<_>>()?;
    let (first, last) = (sel[0].min(below as usize), sel[sel.len() - 1].max((below as usize).max(1) - 1));
    (first..=last.min(theta.len() - 1)).all(|i| res[i] <= tol).then_some(sel)
}

#[cfg(test)]
mod tests {
    use super::{assign_by_count, enclosure, Interval, ShiftedFactor};
    use crate::factor::{Inertia, LogDet};
    use faer::{Mat, MatRef};

    /// A factorization that only knows its shift and count.
    struct Counted(f64, usize);

    impl ShiftedFactor for Counted {
        fn shift(&self) -> f64 {
            self.0
        }
        fn inertia(&self) -> Inertia {
            Inertia { negative: self.1, zero: 0, positive: 0 }
        }
        fn logdet(&self) -> LogDet {
            LogDet { sign: 1.0, logabsdet: 0.0 }
        }
        fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
            b.to_owned()
        }
        fn apply_unshifted(&self, x: MatRef<'_, f64>) -> Mat<f64> {
            x.to_owned()
        }
        fn error(&self) -> f64 {
            0.0
        }
    }

    /// Ritz values around σ take their indices from the factorization's own count: with 10
    /// eigenvalues below σ = 3.5, the Ritz values 3 and 4 are λ_10 and λ_11, whatever the
    /// interval's ends say; an unconverged pair between σ and the group voids it.
    #[test]
    fn ritz_values_take_indices_from_the_shift_count() {
        let theta = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ok = [1.0, 1.0, 1e-9, 1e-9, 1.0];
        let iv = Interval::new(2.5, 4.5, 9, 11);
        assert_eq!(assign_by_count(&theta, &ok, &Counted(3.5, 10), iv, 1e-6), Some(vec![2, 3]));
        // σ = 1.5 below the group with 8 eigenvalues under it: 1 is λ_8, 2 is λ_9, and 3, 4
        // are λ_10, λ_11 again once the pair at 2 between σ and the group has converged
        let conv = [1.0, 1e-9, 1e-9, 1e-9, 1.0];
        assert_eq!(assign_by_count(&theta, &conv, &Counted(1.5, 8), iv, 1e-6), Some(vec![2, 3]));
        assert_eq!(assign_by_count(&theta, &ok, &Counted(1.5, 8), iv, 1e-6), None);
        // another count at the same shift moves the indices: 3 and 4 are λ_11 and λ_12
        let all = [1.0, 1e-9, 1e-9, 1e-9, 1e-9];
        assert_eq!(assign_by_count(&theta, &all, &Counted(1.5, 7), iv, 1e-6), Some(vec![3, 4]));
        // the group lies beyond the subspace
        assert_eq!(assign_by_count(&theta, &ok, &Counted(3.5, 100), iv, 1e-6), None);
    }

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
}
