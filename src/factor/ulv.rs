//! The level-by-level elimination shared by [`Ldlt`] and [`Cholesky`].

use super::pivot::{Bk, BlockFactor, Chol};
use super::plan::UlvPlan;
use super::{Inertia, LogDet};
use crate::cluster::ClusterId;
use crate::dense::gemm;
use crate::error::{Error, Result};
use crate::h2::H2Matrix;
use crate::par::pmap;
use faer::{Mat, MatRef};

/// What one non-root node keeps: the factored complement block and `Y = D'_⊥⊥⁻¹ D'_⊥o`.
pub(crate) struct Node<F> {
    pub(crate) cc: F,
    pub(crate) y: Mat<f64>,
}

/// A ULV-type factorization of `Ã − σI` with block factors `F`.
pub(crate) struct Ulv<F> {
    pub(crate) nodes: Vec<Option<Node<F>>>,
    pub(crate) root: F,
    pub(crate) shift: f64,
}

impl<F: BlockFactor> Ulv<F> {
    pub(crate) fn new(plan: &UlvPlan<'_>, shift: f64) -> Result<Self> {
        let h = plan.h;
        if !shift.is_finite() {
            return Err(Error::invalid("shift", shift, "a finite number"));
        }
        let tree = h.tree();
        let nc = (2 << tree.depth()) - 1;
        let mut nodes: Vec<Option<Node<F>>> = (0..nc).map(|_| None).collect();
        let mut schur: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, 0)).collect();
        for l in (plan.top.level.max(1)..=tree.depth()).rev() {
            let ids: Vec<ClusterId> = tree.level(l).collect();
            let out = pmap(plan.par, &ids, |&c| {
                let dr = rotated_block(plan, c, shift, &schur);
                eliminate::<F>(h, c, dr.as_ref(), l, tree.index_in_level(c))
            });
            for (c, r) in ids.into_iter().zip(out) {
                let (node, s) = r?;
                nodes[c.idx()] = Some(node);
                schur[c.idx()] = s;
            }
        }
        let d = top_block(plan, shift, &schur);
        let root = F::factor(d.as_ref(), plan.top.level, 0)?;
        Ok(Ulv { nodes, root, shift })
    }

    pub(crate) fn inertia(&self) -> Inertia {
        let mut i = self.root.inertia();
        for n in self.nodes.iter().flatten() {
            i.add(n.cc.inertia());
        }
        i
    }

    pub(crate) fn logdet(&self) -> LogDet {
        let mut d = self.root.logdet();
        for n in self.nodes.iter().flatten() {
            d.combine(n.cc.logdet());
        }
        d
    }
}

/// `Q_cᵀ (D_c − σI) Q_c` for a non-root node. At a leaf `Q_cᵀ D_c Q_c` is computed once
/// per matrix and the shift only touches its diagonal (`Q_c` is orthogonal).
fn rotated_block(plan: &UlvPlan<'_>, c: ClusterId, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    let h = plan.h;
    if h.tree().is_leaf(c) {
        let mut d = plan.leaf_rotated[c.idx()].clone();
        for i in 0..d.nrows() {
            d[(i, i)] -= shift;
        }
        return d;
    }
    h.rotate(c, diagonal_block(plan, c, shift, schur).as_ref())
}

/// The dense top block: the Schur complements of the top level's clusters on the
/// diagonal, the precomputed `U_cᵀ Ã_f(c, d) U_d` elsewhere (`factor/top.rs`); the shifted
/// leaf block of a one-leaf tree.
fn top_block(plan: &UlvPlan<'_>, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    let tree = plan.h.tree();
    if tree.depth() == 0 {
        return diagonal_block(plan, tree.root(), shift, schur);
    }
    let top = &plan.top;
    let mut d = top.coupling.clone();
    for (c, &o) in tree.level(top.level).zip(&top.offsets) {
        let s = &schur[c.idx()];
        d.as_mut().submatrix_mut(o, o, s.nrows(), s.ncols()).copy_from(s);
    }
    d
}

/// `D_c`: the shifted dense diagonal block at a leaf, else `[[S_c1, T_c], [T_cᵀ, S_c2]]`.
fn diagonal_block(plan: &UlvPlan<'_>, c: ClusterId, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    match plan.h.tree().children(c) {
        None => {
            let mut d = plan.h.leaf_diagonal(c).clone();
            for i in 0..d.nrows() {
                d[(i, i)] -= shift;
            }
            d
        }
        Some([a, b]) => {
            let (sa, sb) = (&schur[a.idx()], &schur[b.idx()]);
            let (ra, rb) = (sa.nrows(), sb.nrows());
            let t = &plan.sibling[c.idx()];
            let mut d = Mat::zeros(ra + rb, ra + rb);
            d.as_mut().submatrix_mut(0, 0, ra, ra).copy_from(sa);
            d.as_mut().submatrix_mut(ra, ra, rb, rb).copy_from(sb);
            d.as_mut().submatrix_mut(0, ra, ra, rb).copy_from(t);
            d.as_mut().submatrix_mut(ra, 0, rb, ra).copy_from(t.transpose());
            d
        }
    }
}

/// Factors the complement block of the rotated `D'_c` and returns the node and its Schur complement.
fn eliminate<F: BlockFactor>(
    h: &H2Matrix,
    c: ClusterId,
    dr: MatRef<'_, f64>,
    level: usize,
    block: usize,
) -> Result<(Node<F>, Mat<f64>)> {
    let b = dr.nrows();
    let r = h.rank(c);
    let k = b - r;
    let cc = F::factor(dr.submatrix(0, 0, k, k), level, block)?;
    let mut y = dr.submatrix(0, k, k, r).to_owned();
    cc.solve_in_place(y.as_mut());
    let mut s = dr.submatrix(k, k, r, r).to_owned();
    gemm(s.as_mut(), true, dr.submatrix(k, 0, r, k), y.as_ref(), -1.0);
    // keep the Schur complement exactly symmetric
    for j in 0..r {
        for i in j + 1..r {
            let v = 0.5 * (s[(i, j)] + s[(j, i)]);
            s[(i, j)] = v;
            s[(j, i)] = v;
        }
    }
    Ok((Node { cc, y }, s))
}

/// The generalized `LDLᵀ` of `Ã_f − σI` (Bunch–Kaufman pivots at every node): inertia,
/// solve and signed log-determinant of an indefinite symmetric H² matrix. From
/// [`UlvPlan::ldlt`]; factor as many shifts as you like, from any thread.
pub struct Ldlt<'p> {
    pub(crate) plan: &'p UlvPlan<'p>,
    pub(crate) ulv: Ulv<Bk>,
}

impl<'p> Ldlt<'p> {
    pub(super) fn new(plan: &'p UlvPlan<'p>, shift: f64) -> Result<Self> {
        Ok(Ldlt { plan, ulv: Ulv::new(plan, shift)? })
    }

    /// The shift σ.
    pub fn shift(&self) -> f64 {
        self.ulv.shift
    }

    /// The plan (and through it the matrix) this factorization belongs to.
    pub fn plan(&self) -> &'p UlvPlan<'p> {
        self.plan
    }

    /// Inertia of `Ã_f − σI`: `negative` is the number of eigenvalues of `Ã_f` below σ.
    pub fn inertia(&self) -> Inertia {
        self.ulv.inertia()
    }

    /// `log|det(Ã_f − σI)|` and its sign.
    pub fn logdet(&self) -> LogDet {
        self.ulv.logdet()
    }

    /// Solves `(Ã_f − σI) x = b` for `b` of shape `n × m` (user ordering). Panics (misuse)
    /// if `b.nrows() ≠ n`.
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        super::solve::solve(self.plan, &self.ulv, b)
    }
}

/// The ULV Cholesky of an SPD `Ã_f − σI`: solve and log-determinant. From
/// [`UlvPlan::cholesky`].
pub struct Cholesky<'p> {
    pub(crate) plan: &'p UlvPlan<'p>,
    pub(crate) ulv: Ulv<Chol>,
}

impl<'p> Cholesky<'p> {
    pub(super) fn new(plan: &'p UlvPlan<'p>, shift: f64) -> Result<Self> {
        Ok(Cholesky { plan, ulv: Ulv::new(plan, shift)? })
    }

    /// `log det(Ã_f − σI)` (the sign is +1).
    pub fn logdet(&self) -> LogDet {
        self.ulv.logdet()
    }

    /// Solves `(Ã_f − σI) x = b`. Panics (misuse) if `b.nrows() ≠ n`.
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        super::solve::solve(self.plan, &self.ulv, b)
    }
}
