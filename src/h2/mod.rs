//! The symmetric H² matrix: shared nested bases, couplings, dense near blocks.
//!
//! With `U_c` the orthonormal basis of cluster `c` (nested: the basis of a non-leaf
//! cluster is `diag(U_c1, U_c2)·E_c` with a *transfer* matrix `E_c`),
//!
//! ```text
//! Ã = Σ_{dense (s,t)} P_s D_st P_tᵀ  +  Σ_{admissible (s,t)} U_s S_st U_tᵀ
//! ```
//!
//! where `P_s` selects the rows of leaf `s`. Row and column bases coincide (symmetry).
//! HSS is the special case of weak admissibility.
//!
//! **Which columns the bases span.** With [`BasisSpan::NearAndFar`] (the default) the
//! basis of `c` spans the *whole* off-diagonal block row `A(c, ∖c)` to the tolerance:
//! near-field columns in full and the far field through a farthest-point sample. That
//! makes the bases independent of diagonal shifts and lets the factorizations drop the
//! complement interactions (`docs/architecture.md`); it costs HSS-like ranks.
//! [`BasisSpan::FarOnly`] spans only the far field (classical H², much lower ranks),
//! which is enough for matvec but cannot be factored.

pub(crate) mod build;
mod matvec;
mod report;
pub(crate) mod sample;
pub(crate) mod top;

pub use report::{BuildReport, LevelRanks};

use crate::block::{Admissibility, BlockTree};
use crate::cluster::{ClusterId, ClusterTree};
use crate::dense::Reflectors;
use faer::{Mat, MatRef};

/// Which part of a cluster's off-diagonal block row the cluster basis spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasisSpan {
    /// Near field (in full) and far field: factorizable, shift-independent (default).
    #[default]
    NearAndFar,
    /// Far field only: lower ranks, matvec only (requires strong admissibility; the
    /// stored η is capped at `sampling_eta` so that every far block lies in the sampled far field).
    FarOnly,
}

/// Construction parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct H2Params {
    /// Relative compression tolerance: a skeleton is kept while its pivot exceeds
    /// `tol` times the largest pivot of the cluster's sampled block row (default 1e-8).
    pub tol: f64,
    /// Optional rank cap (caps destroy the accuracy guarantee; default none).
    pub max_rank: Option<usize>,
    /// Maximum leaf size (default 64).
    pub leaf_size: usize,
    /// Strong (H²) or weak (HSS) admissibility of the stored blocks.
    pub admissibility: Admissibility,
    /// What the bases span.
    pub basis: BasisSpan,
    /// Far-field sample size per cluster, in points (default 96).
    pub far_samples: usize,
    /// η of the strong criterion that splits near from far for *sampling* (default 0.7,
    /// stricter than storage: clusters whose bounding balls nearly touch must not be
    /// sampled, or the far sample misses their closest points).
    pub sampling_eta: f64,
    /// Run the per-level batches in parallel on the current rayon pool (default true).
    /// Results are identical either way.
    pub parallel: bool,
    /// Tree level whose clusters' skeleton coordinates form the dense top block of the
    /// factorizations (clamped to `1..=depth`). `None` (default): the level that
    /// minimizes a flop model of one factorization (`h2/top.rs`). Any level factors the
    /// same `Ã_f`; only the cost changes.
    pub top_level: Option<usize>,
}

impl Default for H2Params {
    fn default() -> Self {
        Self {
            tol: 1e-8,
            max_rank: None,
            leaf_size: 64,
            admissibility: Admissibility::default(),
            basis: BasisSpan::default(),
            far_samples: 96,
            sampling_eta: 0.7,
            parallel: true,
            top_level: None,
        }
    }
}

/// How the factorizations rotate a non-leaf node's diagonal block into its `[U⊥ | U]`
/// coordinates (`Q_cᵀ D Q_c` with `Q_c` the stored full basis).
pub(crate) enum Rotation {
    /// `Q_c = I`: the node keeps all its coordinates.
    Identity,
    /// `Q_c = H`, the reflectors of `U⊥` (the thinner side).
    ComplementFirst(Reflectors),
    /// `Q_c = H P`: `H = [U | U⊥]` from the reflectors of `U`, `P` moves `U⊥` first.
    RangeFirst(Reflectors),
}

impl Rotation {
    fn entries(&self) -> usize {
        match self {
            Rotation::Identity => 0,
            Rotation::ComplementFirst(h) | Rotation::RangeFirst(h) => h.entries(),
        }
    }
}

/// A symmetric H² (or HSS) matrix. Immutable once built; share it freely between threads.
pub struct H2Matrix {
    pub(crate) tree: ClusterTree,
    pub(crate) blocks: BlockTree,
    pub(crate) params: H2Params,
    /// Per cluster: `[U_c⊥ | U_c]` (near-and-far) or `U_c` (far-only); at a non-leaf the
    /// rows are the children's skeleton coordinates, so `U_c` is the transfer matrix.
    pub(crate) basis: Vec<Mat<f64>>,
    pub(crate) rank: Vec<usize>,
    pub(crate) near: Vec<Mat<f64>>,
    pub(crate) coupling: Vec<Mat<f64>>,
    /// Per non-leaf cluster (near-and-far bases): the cheap form of its rotation.
    pub(crate) rotation: Vec<Option<Rotation>>,
    /// Per non-leaf cluster `p`: `U_c1ᵀ Ã(c1, c2) U_c2` of its children (near-and-far only).
    pub(crate) sibling: Vec<Mat<f64>>,
    /// Per leaf: `Q_cᵀ D_cc Q_c`, the rotated diagonal block (shift-independent; near-and-far only).
    pub(crate) leaf_rotated: Vec<Mat<f64>>,
    /// The shift-independent part of the factorizations' dense top block.
    pub(crate) top: top::Top,
    pub(crate) report: BuildReport,
}

impl H2Matrix {
    /// Dimension `n`.
    pub fn n(&self) -> usize {
        self.tree.n()
    }

    /// The cluster tree.
    pub fn tree(&self) -> &ClusterTree {
        &self.tree
    }

    /// The block tree.
    pub fn blocks(&self) -> &BlockTree {
        &self.blocks
    }

    /// The parameters used.
    pub fn params(&self) -> &H2Params {
        &self.params
    }

    /// The construction report.
    pub fn report(&self) -> &BuildReport {
        &self.report
    }

    /// Rank of cluster `c`'s basis (0 for the root).
    pub fn rank(&self, c: ClusterId) -> usize {
        self.rank[c.idx()]
    }

    /// Basis (leaf) or transfer matrix (non-leaf) `U_c`, `rows × rank`.
    pub fn u(&self, c: ClusterId) -> MatRef<'_, f64> {
        let b = &self.basis[c.idx()];
        b.as_ref().subcols(b.ncols() - self.rank[c.idx()], self.rank[c.idx()])
    }

    /// The full orthogonal `[U_c⊥ | U_c]` (near-and-far bases only).
    pub(crate) fn full_basis(&self, c: ClusterId) -> MatRef<'_, f64> {
        self.basis[c.idx()].as_ref()
    }

    /// `Q_cᵀ D Q_c` for a square `d` in the coordinates of `c` (near-and-far bases).
    pub(crate) fn rotate(&self, c: ClusterId, d: MatRef<'_, f64>) -> Mat<f64> {
        let rotation = self.rotation[c.idx()].as_ref();
        match rotation.expect("rotate: only non-leaf clusters of near-and-far bases are rotated") {
            Rotation::Identity => d.to_owned(),
            Rotation::ComplementFirst(h) => h.congruence(d),
            Rotation::RangeFirst(h) => {
                let m = h.congruence(d);
                let (b, r) = (m.nrows(), h.len());
                let p = |i: usize| if i < b - r { r + i } else { i + r - b };
                Mat::from_fn(b, b, |i, j| m[(p(i), p(j))])
            }
        }
    }

    /// Coordinates of cluster `c` at its level: its size at a leaf, else the sum of its children's ranks.
    pub fn coords(&self, c: ClusterId) -> usize {
        match self.tree.children(c) {
            None => self.tree.cluster(c).size(),
            Some([a, b]) => self.rank[a.idx()] + self.rank[b.idx()],
        }
    }

    /// Tree level whose clusters' skeletons form the factorizations' dense top block, and
    /// its size (`(0, n)` for a one-leaf tree, `(0, 0)` if not factorizable).
    pub fn top_block(&self) -> (usize, usize) {
        match self.tree.depth() {
            0 if self.is_factorizable() => (0, self.n()),
            _ => (self.top.level, self.top.size()),
        }
    }

    /// Whether the bases span the near field (needed by the factorizations).
    pub fn is_factorizable(&self) -> bool {
        self.params.basis == BasisSpan::NearAndFar
    }

    /// `tr(Ã) = tr(A)`: the diagonal lies in the dense leaf blocks, which are exact.
    pub fn trace(&self) -> f64 {
        self.tree
            .level(self.tree.depth())
            .map(|c| {
                let e = self.blocks.near(c).iter().find(|e| e.col == c).expect("diagonal block is dense");
                let d = &self.near[e.slot];
                (0..d.nrows()).map(|i| d[(i, i)]).sum::<f64>()
            })
            .sum()
    }

    /// Memory held by the numbers, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let entries: usize = [&self.basis, &self.near, &self.coupling, &self.sibling, &self.leaf_rotated]
            .iter()
            .flat_map(|v| v.iter())
            .map(|m| m.nrows() * m.ncols())
            .sum::<usize>()
            + self.top.coupling.nrows() * self.top.coupling.ncols()
            + self.rotation.iter().flatten().map(Rotation::entries).sum::<usize>();
        entries * 8 + self.n() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::congruence;
    use crate::geometry::Geometry;
    use crate::kernel::RadialKernel;
    use crate::source::KernelSource;

    /// Every cheap rotation (identity, reflectors of `U⊥`, reflectors of `U` + permutation)
    /// equals the dense congruence with the stored full basis.
    #[test]
    fn cheap_rotations_equal_the_dense_congruence() {
        let mut seen = [0usize; 3];
        for (tol, leaf, geometry) in [(1e-2, 64, "line"), (1e-6, 40, "sphere"), (1e-15, 12, "sphere")] {
            let pts = Geometry::from_name(geometry).unwrap().generate(700, 3).unwrap();
            let src =
                KernelSource::new(pts.clone(), RadialKernel::from_name("yukawa").unwrap(), 0.0).unwrap();
            let p = H2Params { tol, leaf_size: leaf, ..H2Params::default() };
            let h = H2Matrix::build(&src, &pts, 1, p, None).unwrap();
            for c in (0..h.rotation.len()).map(|i| ClusterId(i as u32)) {
                let Some(rot) = &h.rotation[c.idx()] else { continue };
                seen[match rot {
                    Rotation::Identity => 0,
                    Rotation::ComplementFirst(_) => 1,
                    Rotation::RangeFirst(_) => 2,
                }] += 1;
                let b = h.coords(c);
                let d = Mat::from_fn(b, b, |i, j| ((i + j) as f64).cos() + (i * j) as f64 / (b * b) as f64);
                let q = h.full_basis(c);
                let err = (&h.rotate(c, d.as_ref()) - &congruence(q, d.as_ref(), q)).norm_max();
                assert!(err <= 1e-13 * b as f64, "cluster {c:?}: {err:e}");
            }
        }
        assert!(seen.iter().all(|&s| s > 0), "variants seen: {seen:?}");
    }
}
