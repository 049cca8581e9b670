//! Eigenvectors: the Ritz vectors of a refined group, polished against `A`.
//!
//! Refinement (`refine.rs`) ends with Ritz vectors `Z` (n × m, orthonormal) of `M_σ`, the
//! factored matrix at one shift, for a group of m eigenvalues. Their angle to A's
//! eigenvectors is first order in `‖A − M_σ‖₂/gap` (≈ tol·‖A‖/gap). Where exact products
//! with `A` are affordable (`n ≤ exact_limit`), a Davidson iteration with Olsen's
//! correction and the factorization as preconditioner `P = (M_σ − σI)⁻¹` polishes them:
//! - search space `V` (orthonormal, starting at `Z`) and `AV` (exact products, each column
//!   once);
//! - Rayleigh–Ritz of `A` on `V`; the group's pairs `(ρ_i, x_i)` are the m Ritz values
//!   nearest its current values; residuals `r_i = A x_i − ρ_i x_i`;
//! - Olsen's correction `t_i = P r_i − (x_iᵀ P r_i / x_iᵀ P x_i) P x_i` (⊥ `x_i`): the
//!   solution of Jacobi–Davidson's projected correction equation when `A − σI` is replaced
//!   by the factored `M_σ − σI`. Since `P (A − σI) = I − P E` (`E = M_σ − A`), the error
//!   contracts by about `‖E‖/gap + |λ − σ|/|λ_next − σ|` per step;
//! - `V` grows by the m corrections (orthonormalized twice against `V`); only they are
//!   multiplied by `A`.
//!
//! It stops once every `‖r_i‖ ≤ residual_tol·‖A‖`, after [`POLISH_STEPS`] steps, or when
//! the largest residual twice in a row shrinks by less than 10 % (the rounding floor); the
//! best step is kept. Without exact products the vectors stay `M_σ`'s Ritz vectors, and the residuals
//! reported are the bound `‖M_σ x − θx‖ + ‖A − M_σ‖` (δ + ε(σ)) of `‖Ax − θx‖` (triangle
//! inequality). Each vector's sign makes its largest entry (the first, on ties) positive.

use super::counter::{InertiaCounter, ShiftedFactor};
use super::interval::Interval;
use super::refine::{orthonormalize, ritz};
use super::spectrum::Spectrum;
use crate::dense::{mul, solve_left_upper, solve_right_upper, symmetric_eigen, thin_qr};
use crate::error::Result;
use crate::source::exact_product;
use faer::{Col, Mat, MatRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::Ordering;

/// Most Davidson steps of the polish (each: two solves and one exact product of m columns).
pub(super) const POLISH_STEPS: usize = 12;
/// Solves of the subspace iteration that finds vectors for a group bisection finished.
const SOLVES: usize = 24;

/// The eigenvectors of a group, ascending in k.
#[derive(Debug, Clone)]
pub(super) struct GroupVectors {
    /// n × m, orthonormal columns (user ordering).
    pub(super) x: Mat<f64>,
    /// Rayleigh quotients: of `A` when `exact`, else of `M_σ`.
    pub(super) values: Vec<f64>,
    /// `‖A x_j − value_j x_j‖₂` when `exact`, else an upper bound of it.
    pub(super) residuals: Vec<f64>,
    /// Whether the residuals were computed with exact products of `A`.
    pub(super) exact: bool,
}

/// One column of a [`GroupVectors`].
#[derive(Debug, Clone)]
pub(super) struct FoundVector {
    pub(super) x: Col<f64>,
    pub(super) value: f64,
    pub(super) residual: f64,
    pub(super) exact: bool,
}

impl GroupVectors {
    /// Column `j` with its value and residual.
    pub(super) fn column(&self, j: usize) -> FoundVector {
        let x = self.x.col(j).to_owned();
        FoundVector { x, value: self.values[j], residual: self.residuals[j], exact: self.exact }
    }
}

impl<C: InertiaCounter> Spectrum<'_, C> {
    /// The polished eigenvectors of a group from `M_σ`'s Ritz vectors `z` (module docs).
    pub(super) fn polish(&self, f: &C::Factor<'_>, z: Mat<f64>) -> GroupVectors {
        if self.n > self.exact_limit {
            return self.unpolished(f, z);
        }
        let (src, par, m) = (self.src, self.par, z.ncols());
        let target = self.residual_tol * self.norm;
        let mut av = exact_product(src, z.as_ref(), par);
        let mut v = z;
        let mut products = 1;
        let mut best: Option<(f64, GroupVectors)> = None;
        let mut want: Option<Vec<f64>> = None;
        let mut stalls = 0;
        for step in 0..=POLISH_STEPS {
            let reach = best.as_ref().map_or(0.0, |b| 2.0 * b.0);
            let Some((rho, x, ax)) = select(v.as_ref(), av.as_ref(), m, want.as_deref().map(|w| (w, reach)))
            else {
                break;
            };
            let r = &ax - mul(x.as_ref(), diag(&rho).as_ref());
            let res: Vec<f64> = (0..m).map(|j| r.col(j).norm_l2()).collect();
            let worst = res.iter().copied().fold(0.0, f64::max);
            let prev = best.as_ref().map_or(f64::INFINITY, |b| b.0);
            if worst < prev {
                let g = GroupVectors { x: x.clone(), values: rho.clone(), residuals: res, exact: true };
                best = Some((worst, g));
            }
            // a step can lose ground (harmonic selection in a cluster): two in a row end it
            stalls = if worst > 0.9 * prev { stalls + 1 } else { 0 };
            if worst <= target || stalls == 2 || step == POLISH_STEPS {
                break;
            }
            let Some(t) = olsen(f, r.as_ref(), x.as_ref(), v.as_ref()) else { break };
            let at = exact_product(src, t.as_ref(), par);
            products += 1;
            v = hcat(v.as_ref(), t.as_ref());
            av = hcat(av.as_ref(), at.as_ref());
            want = Some(rho);
        }
        self.exact_products.fetch_add(products, Ordering::Relaxed);
        match best {
            Some((_, g)) => signed(g),
            None => self.unpolished(f, v.subcols(0, m).to_owned()),
        }
    }

    /// `M_σ`'s Rayleigh quotients of `z` and the residual bounds `‖M_σ z − θz‖ + δ + ε(σ)`.
    fn unpolished(&self, f: &C::Factor<'_>, z: Mat<f64>) -> GroupVectors {
        let mz = f.apply_unshifted(z.as_ref());
        let slack = self.delta + f.error();
        let values: Vec<f64> = (0..z.ncols()).map(|j| z.col(j).transpose() * mz.col(j)).collect();
        let r = &mz - mul(z.as_ref(), diag(&values).as_ref());
        let residuals = (0..z.ncols()).map(|j| r.col(j).norm_l2() + slack).collect();
        signed(GroupVectors { x: z, values, residuals, exact: false })
    }

    /// Eigenvectors for a group that bisection finished without refining it (its bracket
    /// became narrow first, or refinement stalled): one factorization at the interval's
    /// centre, subspace iteration, the pairs assigned to indices by the factorization's own
    /// count, then [`Spectrum::polish`].
    ///
    /// # Errors
    /// The factorization's.
    pub(super) fn vectors_of(&self, iv: Interval) -> Result<GroupVectors> {
        let (n, m) = (self.n, iv.nhi - iv.nlo);
        let (f, _) = self.factor(0.5 * (iv.lo + iv.hi))?;
        let seed = self.seed ^ (iv.nhi as u64).wrapping_mul(0xd1b5_4a32_d192_ed03);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Mat::from_fn(n, (2 * m).max(m + 2).min(n), |_, _| rng.random::<f64>() - 0.5);
        let mut pairs = None;
        let mut prev = f64::INFINITY;
        for _ in 0..SOLVES {
            let mut q = f.solve(x.as_ref());
            if !orthonormalize(&mut q) {
                break;
            }
            let Some((theta, z, res)) = ritz(&f, &q) else { break };
            x = q;
            let Some(sel) = by_count(&theta, f.shift(), f.inertia().negative, iv) else { break };
            let worst = sel.iter().map(|&i| res[i]).fold(0.0, f64::max);
            pairs = Some(Mat::from_fn(n, m, |i, j| z[(i, sel[j])]));
            if worst <= self.eig_tol || worst > 0.7 * prev {
                break;
            }
            prev = worst;
        }
        let z = pairs.unwrap_or_else(|| x.subcols(0, m.min(x.ncols())).to_owned());
        Ok(self.polish(&f, z))
    }
}

/// The Ritz pairs of a subspace iteration that stand for the indices `(iv.nlo, iv.nhi]`:
/// with `c` eigenvalues of `M_σ` below σ, the sorted Ritz values just below σ are
/// `λ_c, λ_{c−1}, …` and those above `λ_{c+1}, …` (shift-and-invert finds the nearest).
fn by_count(theta: &[f64], sigma: f64, c: usize, iv: Interval) -> Option<Vec<usize>> {
    let below = theta.partition_point(|&t| t < sigma) as i64;
    let first = iv.nlo as i64 + 1 - (c as i64 - below + 1);
    let ok = first >= 0 && first as usize + (iv.nhi - iv.nlo) <= theta.len();
    ok.then(|| (first as usize..first as usize + iv.nhi - iv.nlo).collect())
}

/// The group's m pairs from `V` (orthonormal, `AV` given), ascending, as `(ρ, X, AX)`
/// (`X` orthonormal, `ρ` A's Rayleigh quotients). The first step (V has m columns) is
/// plain Rayleigh–Ritz. Later ones use harmonic Rayleigh–Ritz around the group's centre τ:
/// inside the spectrum, plain Rayleigh–Ritz on the enlarged space yields spurious values
/// (mixtures of eigenvectors on both sides) close to the targets, which mix with them and
/// were seen to raise the residuals 50-fold (a 7-fold cluster of the yukawa sphere). The
/// harmonic vectors are taken, among those whose Rayleigh quotients lie within `reach` of
/// the group's current values `want`, by smallest residual; their span gets a last plain
/// Rayleigh–Ritz (orthonormal vectors, also inside a near-degenerate cluster).
fn select(v: MatRef<'_, f64>, av: MatRef<'_, f64>, m: usize, want: Option<(&[f64], f64)>) -> Option<RitzSet> {
    let Some((w, reach)) = want else { return rayleigh_ritz(v, av) };
    let (x, ax) = harmonic(v, av, 0.5 * (w[0] + w[w.len() - 1]))?;
    let rho: Vec<f64> = (0..x.ncols()).map(|j| x.col(j).transpose() * ax.col(j)).collect();
    let res: Vec<f64> =
        (0..x.ncols()).map(|j| (ax.col(j) - faer::Scale(rho[j]) * x.col(j)).norm_l2()).collect();
    let near = |t: f64| w.iter().map(|&x| (x - t).abs()).fold(f64::INFINITY, f64::min) <= reach;
    let mut cand: Vec<usize> = (0..rho.len()).collect();
    cand.sort_by(|&a, &b| near(rho[b]).cmp(&near(rho[a])).then(res[a].total_cmp(&res[b])));
    cand.truncate(m);
    let xs = Mat::from_fn(x.nrows(), cand.len(), |i, j| x[(i, cand[j])]);
    let mut aq = Mat::from_fn(x.nrows(), cand.len(), |i, j| ax[(i, cand[j])]);
    // orthonormal basis of their span (and its image), then plain Rayleigh–Ritz on it
    let (q, r) = thin_qr(xs.as_ref());
    solve_right_upper(r.as_ref(), aq.as_mut());
    aq.norm_l2().is_finite().then_some(())?;
    rayleigh_ritz(q.as_ref(), aq.as_ref())
}

/// Plain Rayleigh–Ritz of `A` on `V` (orthonormal, `AV` given): all pairs, ascending.
fn rayleigh_ritz(v: MatRef<'_, f64>, av: MatRef<'_, f64>) -> Option<RitzSet> {
    let (rho, u) = symmetric_eigen(mul(v.transpose(), av))?;
    rho.iter().all(|t| t.is_finite()).then(|| (rho, mul(v, u.as_ref()), mul(av, u.as_ref())))
}

/// Harmonic Ritz vectors of `A` on `V` around τ, unit columns with their images: with
/// `W = (A − τI)V = QR`, they are the Ritz vectors of `(A − τI)⁻¹` on span(W), whose
/// Rayleigh–Ritz matrix is `Qᵀ(A − τI)⁻¹Q = QᵀV R⁻¹` (symmetric up to rounding), mapped
/// back by `x = V R⁻¹ z`. `None` where `W` is rank deficient.
fn harmonic(v: MatRef<'_, f64>, av: MatRef<'_, f64>, tau: f64) -> Option<(Mat<f64>, Mat<f64>)> {
    let w = av - faer::Scale(tau) * v;
    let (q, r) = thin_qr(w.as_ref());
    // H = (QᵀV) R⁻¹
    let mut h = mul(q.transpose(), v);
    solve_right_upper(r.as_ref(), h.as_mut());
    let p = h.nrows();
    let (_, mut y) = symmetric_eigen(h)?;
    solve_left_upper(r.as_ref(), y.as_mut());
    let (mut x, mut ax) = (mul(v, y.as_ref()), mul(av, y.as_ref()));
    for j in 0..p {
        let nj = x.col(j).norm_l2();
        if !(nj.is_finite() && nj > 0.0) {
            return None;
        }
        let (mut xj, mut axj) = (x.col_mut(j), ax.col_mut(j));
        xj *= faer::Scale(1.0 / nj);
        axj *= faer::Scale(1.0 / nj);
    }
    Some((x, ax))
}

/// `(ρ, X, AX)` of [`select`].
type RitzSet = (Vec<f64>, Mat<f64>, Mat<f64>);

/// Olsen's corrections `P r_i − (x_iᵀ P r_i / x_iᵀ P x_i) P x_i`, orthonormalized against
/// `V` and each other; `None` when nothing new is left.
fn olsen(
    f: &impl ShiftedFactor,
    r: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
    v: MatRef<'_, f64>,
) -> Option<Mat<f64>> {
    let (pr, px) = (f.solve(r), f.solve(x));
    let mut t = pr.clone();
    for j in 0..x.ncols() {
        let d = x.col(j).transpose() * px.col(j);
        if d.abs() > f64::MIN_POSITIVE && d.is_finite() {
            let e = (x.col(j).transpose() * pr.col(j)) / d;
            let mut tj = t.col_mut(j);
            tj -= faer::Scale(e) * px.col(j);
        }
    }
    // twice against V (Gram–Schmidt in blocks), then among themselves
    for _ in 0..2 {
        let c = mul(v.transpose(), t.as_ref());
        t -= mul(v, c.as_ref());
    }
    let scale = t.norm_l2();
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    t *= faer::Scale(1.0 / scale);
    let cols: Vec<usize> = (0..t.ncols()).filter(|&j| t.col(j).norm_l2() > 1e-8).collect();
    let mut t = Mat::from_fn(t.nrows(), cols.len(), |i, j| t[(i, cols[j])]);
    (!cols.is_empty() && orthonormalize(&mut t)).then_some(t)
}

fn diag(d: &[f64]) -> Mat<f64> {
    Mat::from_fn(d.len(), d.len(), |i, j| if i == j { d[i] } else { 0.0 })
}

/// `[a | b]`.
fn hcat(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let k = a.ncols();
    Mat::from_fn(a.nrows(), k + b.ncols(), |i, j| if j < k { a[(i, j)] } else { b[(i, j - k)] })
}

/// Each column's sign chosen so that its largest entry (the first, on ties) is positive.
fn signed(mut g: GroupVectors) -> GroupVectors {
    for j in 0..g.x.ncols() {
        let c = g.x.col(j);
        let big = (0..c.nrows()).fold(0, |b, i| if c[i].abs() > c[b].abs() { i } else { b });
        if c.nrows() > 0 && c[big] < 0.0 {
            let mut cm = g.x.col_mut(j);
            cm *= faer::Scale(-1.0);
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::{by_count, Interval};

    /// Ritz values 1..5 around σ: with c eigenvalues of M below σ the pair just below σ is
    /// λ_c, whatever the interval's own counts.
    #[test]
    fn pairs_take_indices_from_the_shift_count() {
        let theta = [1.0, 2.0, 3.0, 4.0, 5.0];
        // σ = 3.5, 10 below: 3 is λ_10, 4 is λ_11
        assert_eq!(by_count(&theta, 3.5, 10, Interval::new(2.5, 4.5, 9, 11)), Some(vec![2, 3]));
        assert_eq!(by_count(&theta, 3.5, 11, Interval::new(2.5, 4.5, 9, 11)), Some(vec![1, 2]));
        // the group beyond the subspace
        assert_eq!(by_count(&theta, 3.5, 10, Interval::new(2.5, 4.5, 12, 14)), None);
        assert_eq!(by_count(&theta, 3.5, 10, Interval::new(0.0, 1.0, 4, 6)), None);
    }
}
