//! The ULV plan: everything the factorizations of `Ã_f − σI` reuse for every shift σ,
//! computed once from an [`H2Matrix`] (faer's symbolic/numeric split: the plan is the
//! symbolic part, [`UlvPlan::ldlt`] / [`UlvPlan::cholesky`] the numeric one).
//!
//! The plan owns, for near-and-far bases:
//! - per non-leaf cluster `p`, the projected sibling block `T_p = U_p1ᵀ Ã(p1, p2) U_p2`
//!   (the blocks of the sibling pair projected upward through the transfer matrices);
//! - per leaf `c`, the rotated diagonal block `Q_cᵀ D_cc Q_c` (a shift only touches its
//!   diagonal, `Q_c` being orthogonal);
//! - the level `t` where the elimination stops and the shift-independent couplings of the
//!   dense top block (`top.rs`).
//!
//! Together they define `Ã_f` — the leaf diagonal blocks plus `U_c1 T U_c2ᵀ` for every
//! sibling pair — the matrix the factorizations factor *exactly* ([`UlvPlan::apply`]); it
//! differs from `Ã` by the parts of the off-diagonal blocks outside the bases (≈ tol).

use super::top::{self, Top};
use super::{Cholesky, Ldlt};
use crate::block::{BlockId, BlockKind};
use crate::cluster::ClusterId;
use crate::dense::congruence;
use crate::error::{Error, Result};
use crate::h2::H2Matrix;
use crate::par::{default_par, pmap, Par};
use faer::{Mat, MatRef};

/// Parameters of a [`UlvPlan`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlanParams {
    /// Tree level whose clusters' skeleton coordinates form the dense top block (clamped
    /// to `1..=depth`). `None` (default): the level that minimizes a flop model of one
    /// factorization (`factor/top.rs`). Any level factors the same `Ã_f`; only the cost
    /// changes.
    pub top_level: Option<usize>,
    /// Parallelism of the plan and of every factorization and solve it hands out
    /// (default: the current rayon pool; results are identical for any value).
    pub par: Par,
}

impl Default for PlanParams {
    fn default() -> Self {
        PlanParams { top_level: None, par: default_par() }
    }
}

setters!(PlanParams {
    /// Sets the level of the dense top block (`None`: chosen by the flop model).
    top_level: Option<usize>,
    /// Sets the parallelism.
    par: Par,
});

/// The shift-independent part of the ULV factorizations of one [`H2Matrix`].
pub struct UlvPlan<'h> {
    pub(crate) h: &'h H2Matrix<'h>,
    pub(crate) par: Par,
    /// Per non-leaf cluster `p`: `U_p1ᵀ Ã(p1, p2) U_p2` of its children.
    pub(crate) sibling: Vec<Mat<f64>>,
    /// Per leaf: `Q_cᵀ D_cc Q_c` (empty elsewhere, and when the root is the only leaf).
    pub(crate) leaf_rotated: Vec<Mat<f64>>,
    /// The shift-independent part of the dense top block.
    pub(crate) top: Top,
}

impl<'h> UlvPlan<'h> {
    /// Plans the factorizations of `h`.
    ///
    /// # Errors
    /// [`Error::NotFactorizable`] for far-only bases (they do not span the near field).
    pub fn new(h: &'h H2Matrix<'h>, params: PlanParams) -> Result<Self> {
        if !h.is_factorizable() {
            return Err(Error::NotFactorizable);
        }
        let par = params.par;
        let sibling = sibling_projections(h, par);
        let leaf_rotated = leaf_rotations(h, par);
        let level = top::choose_level(h, params.top_level);
        let top = if level > 0 { top::assemble(h, &sibling, level, par) } else { Top::none() };
        Ok(UlvPlan { h, par, sibling, leaf_rotated, top })
    }

    /// The matrix.
    pub fn matrix(&self) -> &'h H2Matrix<'h> {
        self.h
    }

    /// Dimension `n`.
    pub fn n(&self) -> usize {
        self.h.n()
    }

    /// The parallelism of the factorizations and solves.
    pub fn par(&self) -> Par {
        self.par
    }

    /// The generalized `LDLᵀ` of `Ã_f − σI` (Bunch–Kaufman pivots at every node).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite shift, [`Error::NonFinitePivot`]
    /// (level, block) if a pivot is NaN/inf.
    pub fn ldlt(&self, shift: f64) -> Result<Ldlt<'_>> {
        Ldlt::new(self, shift)
    }

    /// The ULV Cholesky of an SPD `Ã_f − σI` (use a negative shift to add a nugget).
    ///
    /// # Errors
    /// [`Error::NotPositiveDefinite`] naming the level and block where a pivot was not
    /// positive (use [`UlvPlan::ldlt`] or a larger nugget), [`Error::NonFinitePivot`],
    /// [`Error::InvalidParameter`] for a non-finite shift.
    pub fn cholesky(&self, shift: f64) -> Result<Cholesky<'_>> {
        Cholesky::new(self, shift)
    }

    /// `Ã_f · x` for `x` of shape `n × m` (user ordering): the matrix the factorizations
    /// factor exactly (module docs). Panics (misuse) if `x.nrows() ≠ n`.
    #[track_caller]
    pub fn apply(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.h.matvec_factored(x, &self.sibling, self.par)
    }

    /// Tree level whose clusters' skeletons form the dense top block, and its size
    /// (`(0, n)` for a one-leaf tree).
    pub fn top_block(&self) -> (usize, usize) {
        match self.h.tree.depth() {
            0 => (0, self.n()),
            _ => (self.top.level, self.top.size()),
        }
    }

    /// Memory held by the plan's numbers, in bytes (the matrix's not included).
    pub fn memory_bytes(&self) -> usize {
        let entries: usize =
            self.sibling.iter().chain(&self.leaf_rotated).map(|m| m.nrows() * m.ncols()).sum();
        8 * (entries + self.top.coupling.nrows() * self.top.coupling.ncols())
    }
}

/// `U_c1ᵀ Ã(c1, c2) U_c2` for the children of every non-leaf cluster, by projecting the
/// blocks of the sibling pair upward through the transfer matrices.
fn sibling_projections(h: &H2Matrix, par: Par) -> Vec<Mat<f64>> {
    let ids: Vec<ClusterId> = (0..(2 << h.tree.depth()) - 1).map(|i| ClusterId(i as u32)).collect();
    pmap(par, &ids, |&p| match h.blocks.sibling(p) {
        Some(b) => project(h, b, par),
        None => Mat::zeros(0, 0),
    })
}

/// `Q_cᵀ D_cc Q_c` for every leaf (empty elsewhere, and when the root is the only leaf).
fn leaf_rotations(h: &H2Matrix, par: Par) -> Vec<Mat<f64>> {
    let depth = h.tree.depth();
    let ids: Vec<ClusterId> = (0..(2 << depth) - 1).map(|i| ClusterId(i as u32)).collect();
    pmap(par, &ids, |&c| {
        if depth == 0 || !h.tree.is_leaf(c) {
            return Mat::zeros(0, 0);
        }
        let q = h.full_basis(c);
        congruence(q, h.leaf_diagonal(c).as_ref(), q)
    })
}

fn project(h: &H2Matrix, b: BlockId, par: Par) -> Mat<f64> {
    let blk = h.blocks.block(b);
    let (s, t) = (blk.row, blk.col);
    match blk.kind {
        BlockKind::Dense { slot, transposed } => {
            let d: MatRef<'_, f64> =
                if transposed { h.near[slot].transpose() } else { h.near[slot].as_ref() };
            congruence(h.u(s), d, h.u(t))
        }
        BlockKind::Admissible { slot, transposed } => {
            if transposed {
                h.coupling[slot].transpose().to_owned()
            } else {
                h.coupling[slot].clone()
            }
        }
        BlockKind::Split(kids) => {
            let [s1, s2] = h.tree.children(s).expect("split");
            let [t1, t2] = h.tree.children(t).expect("split");
            let (rs1, rt1) = (h.rank(s1), h.rank(t1));
            let mut m = Mat::zeros(rs1 + h.rank(s2), rt1 + h.rank(t2));
            // the sub-blocks in parallel: the root's sibling block alone holds half the tree
            let parts = pmap(par, &kids, |&kid| project(h, kid, par));
            for (k, p) in parts.iter().enumerate() {
                let (ro, co) = (if k < 2 { 0 } else { rs1 }, if k % 2 == 0 { 0 } else { rt1 });
                m.as_mut().submatrix_mut(ro, co, p.nrows(), p.ncols()).copy_from(p);
            }
            congruence(h.u(s), m.as_ref(), h.u(t))
        }
    }
}
