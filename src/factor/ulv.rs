//! The level-by-level elimination shared by [`Ldlt`] and [`Cholesky`].

use super::pivot::{Bk, BlockFactor, Chol};
use super::{Inertia, LogDet};
use crate::cluster::ClusterId;
use crate::dense::gemm;
use crate::error::{Error, Result};
use crate::h2::build::pmap;
use crate::h2::H2Matrix;
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
    pub(crate) fn new(h: &H2Matrix, shift: f64) -> Result<Self> {
        if !h.is_factorizable() {
            return Err(Error::NotFactorizable);
        }
        if !shift.is_finite() {
            return Err(Error::invalid("shift", shift, "a finite number"));
        }
        let tree = h.tree();
        let nc = (2 << tree.depth()) - 1;
        let mut nodes: Vec<Option<Node<F>>> = (0..nc).map(|_| None).collect();
        let mut schur: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, 0)).collect();
        for l in (h.top.level.max(1)..=tree.depth()).rev() {
            let ids: Vec<ClusterId> = tree.level(l).collect();
            let out = pmap(h.params().parallel, &ids, |&c| {
                let dr = rotated_block(h, c, shift, &schur);
                eliminate::<F>(h, c, dr.as_ref(), l, tree.index_in_level(c))
            });
            for (c, r) in ids.into_iter().zip(out) {
                let (node, s) = r?;
                nodes[c.idx()] = Some(node);
                schur[c.idx()] = s;
            }
        }
        let d = top_block(h, shift, &schur);
        let root = F::factor(d.as_ref(), h.top.level, 0)?;
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
fn rotated_block(h: &H2Matrix, c: ClusterId, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    if h.tree().is_leaf(c) {
        let mut d = h.leaf_rotated[c.idx()].clone();
        for i in 0..d.nrows() {
            d[(i, i)] -= shift;
        }
        return d;
    }
    h.rotate(c, diagonal_block(h, c, shift, schur).as_ref())
}

/// The dense top block: the Schur complements of the top level's clusters on the
/// diagonal, the precomputed `U_cᵀ Ã_f(c, d) U_d` elsewhere (`h2/top.rs`); the shifted
/// leaf block of a one-leaf tree.
fn top_block(h: &H2Matrix, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    let tree = h.tree();
    if tree.depth() == 0 {
        return diagonal_block(h, tree.root(), shift, schur);
    }
    let top = &h.top;
    let mut d = top.coupling.clone();
    for (c, &o) in tree.level(top.level).zip(&top.offsets) {
        let s = &schur[c.idx()];
        d.as_mut().submatrix_mut(o, o, s.nrows(), s.ncols()).copy_from(s);
    }
    d
}

/// `D_c`: the shifted dense diagonal block at a leaf, else `[[S_c1, T_c], [T_cᵀ, S_c2]]`.
fn diagonal_block(h: &H2Matrix, c: ClusterId, shift: f64, schur: &[Mat<f64>]) -> Mat<f64> {
    match h.tree().children(c) {
        None => {
            let e = h.blocks().near(c).iter().find(|e| e.col == c).expect("diagonal block is dense");
            let mut d = h.near[e.slot].clone();
            for i in 0..d.nrows() {
                d[(i, i)] -= shift;
            }
            d
        }
        Some([a, b]) => {
            let (sa, sb) = (&schur[a.idx()], &schur[b.idx()]);
            let (ra, rb) = (sa.nrows(), sb.nrows());
            let t = &h.sibling[c.idx()];
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

/// The generalized `LDLᵀ` of `Ã − σI` (Bunch–Kaufman pivots at every node): inertia,
/// solve and signed log-determinant of an indefinite symmetric H² matrix.
///
/// A new value borrowing the matrix: factor as many shifts as you like, from any thread.
pub struct Ldlt<'a> {
    pub(crate) h: &'a H2Matrix,
    pub(crate) ulv: Ulv<Bk>,
}

impl<'a> Ldlt<'a> {
    /// Factors `Ã − shift·I`.
    ///
    /// # Errors
    /// [`Error::NotFactorizable`] for far-only bases, [`Error::InvalidParameter`] for a
    /// non-finite shift, [`Error::NonFinitePivot`] (level, block) if a pivot is NaN/inf.
    pub fn new(h: &'a H2Matrix, shift: f64) -> Result<Self> {
        Ok(Ldlt { h, ulv: Ulv::new(h, shift)? })
    }

    /// The shift σ.
    pub fn shift(&self) -> f64 {
        self.ulv.shift
    }

    /// Inertia of `Ã − σI`: `negative` is the number of eigenvalues of `Ã` below σ.
    pub fn inertia(&self) -> Inertia {
        self.ulv.inertia()
    }

    /// `log|det(Ã − σI)|` and its sign.
    pub fn logdet(&self) -> LogDet {
        self.ulv.logdet()
    }

    /// Solves `(Ã − σI) x = b` for `b` of shape `n × m` (user ordering).
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        super::solve::solve(self.h, &self.ulv, b)
    }
}

/// The ULV Cholesky of an SPD `Ã` (optionally shifted): solve and log-determinant.
pub struct Cholesky<'a> {
    pub(crate) h: &'a H2Matrix,
    pub(crate) ulv: Ulv<Chol>,
}

impl<'a> Cholesky<'a> {
    /// Factors `Ã − shift·I` (use a negative shift to add a nugget).
    ///
    /// # Errors
    /// [`Error::NotPositiveDefinite`] naming the level and block where a pivot was not
    /// positive (use [`Ldlt`] or a larger nugget), [`Error::NotFactorizable`],
    /// [`Error::NonFinitePivot`], [`Error::InvalidParameter`] for a non-finite shift.
    pub fn new(h: &'a H2Matrix, shift: f64) -> Result<Self> {
        Ok(Cholesky { h, ulv: Ulv::new(h, shift)? })
    }

    /// `log det(Ã − σI)` (the sign is +1).
    pub fn logdet(&self) -> LogDet {
        self.ulv.logdet()
    }

    /// Solves `(Ã − σI) x = b`.
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        super::solve::solve(self.h, &self.ulv, b)
    }
}
