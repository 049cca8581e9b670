//! Stored skeletonization factors: solve and apply with the factored matrix `F(σ)`.
//!
//! [`Skeletonization::factor`](super::Skeletonization::factor) runs the elimination of
//! [`Skeletonization::ldlt`](super::Skeletonization::ldlt) (same numbers, same inertia and
//! log-determinant bits) and keeps, per elimination step `t` in step order (arena order,
//! or for waves the order in which the steps are merged back: steps of one wave have
//! disjoint reaches and commute), with global (source) indices:
//! - `s` (the skeleton kept), `r` (the redundant indices eliminated), and
//!   `y = s ∪ act(N(B))`: `s` followed by the active indices of each near partner at that
//!   moment, the rows and columns that receive the Schur complement;
//! - `T` (`|s| × |r|`): the ID, the congruence `x_s ← x_s − T x_r`;
//! - `K'[r, r]` (`|r| × |r|`, dense) and its Bunch–Kaufman factor;
//! - `W = K'[r, r]⁻¹ K'[r, y]` (`|r| × |y|`).
//!
//! The root is an ordinary step with empty `s`; merges only re-index. Steps with empty
//! `r` change nothing and are not kept.
//!
//! **The factored matrix.** With `E(σ)` the dropped ID residuals, `F = A − σI + E`. With
//! `G_t` the unit-triangular congruence (`G[s, r] = −T`) and `L_t = [[I, 0], [Wᵀ, I]]` on
//! `(r, y)` the block elimination, `K' = G₁ᵀ F G₁ = L₁ (D₁ ⊕ F₁) L₁ᵀ` with
//! `D₁ = K'[r, r]` and `F₁` the rest, factored by the later steps on the other indices:
//! `F = G₁⁻ᵀ L₁ (D₁ ⊕ F₁) L₁ᵀ G₁⁻¹`. Hence
//! - [`SkelFactor::solve`], `F⁻¹ b`: forward over the steps in order
//!   `b_r −= Tᵀ b_s; b_y −= Wᵀ b_r; b_r ← K'[r, r]⁻¹ b_r`, then backward in reverse order
//!   `b_r −= W b_y; b_s −= T b_r`;
//! - [`SkelFactor::apply`], `F x`: forward in order `x_s += T x_r; x_r += W x_y;
//!   x_r ← K'[r, r] x_r`, then backward in reverse order `x_y += Wᵀ x_r; x_r += Tᵀ x_s`.
//!
//! Every step works on gathered row blocks (`b[r, :]`, `b[y, :]`) with dense GEMMs,
//! sequentially: the results do not depend on the thread count.
//!
//! **Memory.** Per step `O(|r| (|s| + |r| + |y|))` entries: O(N) in total when the
//! skeletons (and so `|r|`, `|y|`) stay bounded, as on surfaces. [`SkelFactor::memory_bytes`]
//! counts all of it.

use super::{SkelLdlt, Skeletonization};
use crate::dense::gemm;
use crate::factor::pivot::{Bk, BlockFactor};
use crate::factor::{Inertia, LogDet};
use faer::{Mat, MatMut, MatRef};

/// One elimination step as stored (module docs; global indices).
pub(super) struct Step {
    pub s: Vec<usize>,
    pub r: Vec<usize>,
    pub y: Vec<usize>,
    /// `|s| × |r|`.
    pub t: Mat<f64>,
    /// `K'[r, r]`.
    pub drr: Mat<f64>,
    /// Bunch–Kaufman factor of `K'[r, r]`.
    pub f: Bk,
    /// `K'[r, r]⁻¹ K'[r, y]`, `|r| × |y|`.
    pub w: Mat<f64>,
}

impl Step {
    fn memory_bytes(&self) -> usize {
        let idx = self.s.len() + self.r.len() + self.y.len();
        let mats = [&self.t, &self.drr, &self.w].iter().map(|m| m.nrows() * m.ncols()).sum::<usize>();
        std::mem::size_of::<usize>() * idx + 8 * mats + self.f.memory_bytes()
    }
}

/// The stored factors of one skeletonization `LDLᵀ` of `A − σI`: solve and apply with
/// `F(σ) = A − σI + E(σ)` (module docs), inertia and log-determinant. From
/// [`Skeletonization::factor`].
pub struct SkelFactor<'s> {
    sk: &'s Skeletonization<'s>,
    steps: Vec<Step>,
    stats: SkelLdlt,
}

/// `b[idx, :]`.
fn rows(b: MatRef<'_, f64>, idx: &[usize]) -> Mat<f64> {
    Mat::from_fn(idx.len(), b.ncols(), |i, j| b[(idx[i], j)])
}

/// `b[idx, :] ← v`.
fn scatter(mut b: MatMut<'_, f64>, idx: &[usize], v: MatRef<'_, f64>) {
    for j in 0..v.ncols() {
        for (i, &g) in idx.iter().enumerate() {
            b[(g, j)] = v[(i, j)];
        }
    }
}

impl<'s> SkelFactor<'s> {
    pub(super) fn new(sk: &'s Skeletonization<'s>, steps: Vec<Step>, stats: SkelLdlt) -> Self {
        Self { sk, steps, stats }
    }

    /// Dimension N.
    pub fn n(&self) -> usize {
        self.sk.n()
    }

    /// The shift σ.
    pub fn shift(&self) -> f64 {
        self.stats.shift
    }

    /// Inertia of `F(σ)` (bit-identical to [`Skeletonization::ldlt`]'s).
    pub fn inertia(&self) -> Inertia {
        self.stats.inertia
    }

    /// `log|det F(σ)|` and its sign (bit-identical to [`Skeletonization::ldlt`]'s).
    pub fn logdet(&self) -> LogDet {
        self.stats.logdet
    }

    /// Levels, peak of the working store and time of the factorization, as
    /// [`Skeletonization::ldlt`] reports them (the time includes the recording).
    pub fn stats(&self) -> &SkelLdlt {
        &self.stats
    }

    /// Number of stored elimination steps.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    /// Bytes of everything stored: indices, `T`, `K'[r, r]`, its factor and `W` of every step.
    pub fn memory_bytes(&self) -> usize {
        self.steps.iter().map(Step::memory_bytes).sum()
    }

    /// `F(σ)⁻¹ b` for an `N × m` block `b` in the source's index order.
    ///
    /// # Panics
    /// If `b` does not have `N` rows.
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(b.nrows(), self.n(), "solve: b has {} rows, the matrix {}", b.nrows(), self.n());
        let mut x = b.to_owned();
        for st in &self.steps {
            solve_forward(st, x.as_mut());
        }
        for st in self.steps.iter().rev() {
            solve_backward(st, x.as_mut());
        }
        x
    }

    /// `F(σ) x` for an `N × m` block `x` in the source's index order.
    ///
    /// # Panics
    /// If `x` does not have `N` rows.
    #[track_caller]
    pub fn apply(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.n(), "apply: x has {} rows, the matrix {}", x.nrows(), self.n());
        let mut b = x.to_owned();
        for st in &self.steps {
            apply_forward(st, b.as_mut());
        }
        for st in self.steps.iter().rev() {
            apply_backward(st, b.as_mut());
        }
        b
    }
}

/// `b_r −= Tᵀ b_s; b_y −= Wᵀ b_r; b_r ← K'[r, r]⁻¹ b_r`.
fn solve_forward(st: &Step, mut b: MatMut<'_, f64>) {
    let mut br = rows(b.as_ref(), &st.r);
    gemm(br.as_mut(), true, st.t.transpose(), rows(b.as_ref(), &st.s).as_ref(), -1.0);
    let mut by = rows(b.as_ref(), &st.y);
    gemm(by.as_mut(), true, st.w.transpose(), br.as_ref(), -1.0);
    scatter(b.as_mut(), &st.y, by.as_ref());
    st.f.solve_in_place(br.as_mut());
    scatter(b, &st.r, br.as_ref());
}

/// `b_r −= W b_y; b_s −= T b_r`.
fn solve_backward(st: &Step, mut b: MatMut<'_, f64>) {
    let mut br = rows(b.as_ref(), &st.r);
    gemm(br.as_mut(), true, st.w.as_ref(), rows(b.as_ref(), &st.y).as_ref(), -1.0);
    let mut bs = rows(b.as_ref(), &st.s);
    gemm(bs.as_mut(), true, st.t.as_ref(), br.as_ref(), -1.0);
    scatter(b.as_mut(), &st.r, br.as_ref());
    scatter(b, &st.s, bs.as_ref());
}

/// `x_s += T x_r; x_r += W x_y; x_r ← K'[r, r] x_r`.
fn apply_forward(st: &Step, mut x: MatMut<'_, f64>) {
    let mut xr = rows(x.as_ref(), &st.r);
    let mut xs = rows(x.as_ref(), &st.s);
    gemm(xs.as_mut(), true, st.t.as_ref(), xr.as_ref(), 1.0);
    scatter(x.as_mut(), &st.s, xs.as_ref());
    gemm(xr.as_mut(), true, st.w.as_ref(), rows(x.as_ref(), &st.y).as_ref(), 1.0);
    let mut out = Mat::zeros(xr.nrows(), xr.ncols());
    gemm(out.as_mut(), false, st.drr.as_ref(), xr.as_ref(), 1.0);
    scatter(x, &st.r, out.as_ref());
}

/// `x_y += Wᵀ x_r; x_r += Tᵀ x_s`.
fn apply_backward(st: &Step, mut x: MatMut<'_, f64>) {
    let mut xr = rows(x.as_ref(), &st.r);
    let mut xy = rows(x.as_ref(), &st.y);
    gemm(xy.as_mut(), true, st.w.transpose(), xr.as_ref(), 1.0);
    scatter(x.as_mut(), &st.y, xy.as_ref());
    gemm(xr.as_mut(), true, st.t.transpose(), rows(x.as_ref(), &st.s).as_ref(), 1.0);
    scatter(x, &st.r, xr.as_ref());
}
