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

mod build;
mod builder;
mod matvec;
mod report;

pub use builder::{H2Builder, Progress};
pub use report::{BuildReport, LevelRanks};

use crate::block::{Admissibility, BlockTree};
use crate::cluster::{ClusterId, ClusterTree};
use crate::dense::Reflectors;
use crate::par::{default_par, Par};
use crate::source::EntrySource;
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

/// Construction parameters (set them with the chainable setters or [`H2Builder`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// Parallelism of the per-level batches of the construction and of the matvec
    /// (default: the current rayon pool). Results are identical for any value.
    pub par: Par,
}

setters!(H2Params {
    /// Sets the relative compression tolerance.
    tol: f64,
    /// Sets the rank cap (`None`: no cap).
    max_rank: Option<usize>,
    /// Sets the maximum leaf size.
    leaf_size: usize,
    /// Sets strong (with η) or weak admissibility.
    admissibility: Admissibility,
    /// Sets what the bases span.
    basis: BasisSpan,
    /// Sets the far-field sample size per cluster.
    far_samples: usize,
    /// Sets the η that separates near from far for sampling.
    sampling_eta: f64,
    /// Sets the parallelism.
    par: Par,
});

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
            par: default_par(),
        }
    }
}

/// The compact (Householder) form of a non-leaf cluster's full orthogonal basis
/// `Q_c = [U⊥ | U]`, kept from the QR that chose the basis: the factorizations rotate with
/// it (`Q_cᵀ D Q_c` in `≈ 8b²·min(r, b − r)` flops instead of a dense `b × b` congruence).
/// Recomputing it from the dense `Q_c` would give other reflectors and other rounding in
/// every factorization, so it stays with the basis it represents.
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

/// A symmetric H² (or HSS) matrix, borrowing the source of its entries (its exact
/// products, error estimates and certified brackets read the same source). Immutable once
/// built; share it freely between threads. Build it with [`H2Matrix::builder`].
pub struct H2Matrix<'s> {
    pub(crate) src: &'s dyn EntrySource,
    pub(crate) tree: ClusterTree,
    pub(crate) blocks: BlockTree,
    pub(crate) params: H2Params,
    /// Per cluster: `[U_c⊥ | U_c]` (near-and-far) or `U_c` (far-only); at a non-leaf the
    /// rows are the children's skeleton coordinates, so `U_c` is the transfer matrix.
    pub(crate) basis: Vec<Mat<f64>>,
    pub(crate) rank: Vec<usize>,
    pub(crate) near: Vec<Mat<f64>>,
    pub(crate) coupling: Vec<Mat<f64>>,
    /// Per non-leaf cluster of near-and-far bases: the Householder form of its full basis
    /// (empty for far-only bases).
    pub(crate) rotation: Vec<Option<Rotation>>,
    pub(crate) report: BuildReport,
}

impl<'s> H2Matrix<'s> {
    /// A builder for the H² matrix of `src`, on the source's points
    /// ([`EntrySource::points`]; the indices in order when it has none).
    ///
    /// ```
    /// # fn main() -> hmatrix::Result<()> {
    /// use hmatrix::prelude::*;
    /// let src = KernelSource::new(Geometry::Sphere.generate(300, 0)?, RadialKernel::from_name("yukawa")?, 0.0)?;
    /// let h = H2Matrix::builder(&src).tol(1e-6).leaf_size(32).build()?;
    /// assert_eq!(h.n(), 300);
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(src: &'s dyn EntrySource) -> H2Builder<'s, 'static> {
        H2Builder::new(src)
    }

    /// The source of the entries.
    pub fn source(&self) -> &'s dyn EntrySource {
        self.src
    }

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

    /// The dense diagonal block `D_cc` of leaf `c`.
    pub(crate) fn leaf_diagonal(&self, c: ClusterId) -> &Mat<f64> {
        let e = self.blocks.near(c).iter().find(|e| e.col == c).expect("diagonal block is dense");
        &self.near[e.slot]
    }

    /// `Q_cᵀ D Q_c` for a square `d` in the coordinates of `c` (near-and-far bases).
    pub(crate) fn rotate(&self, c: ClusterId, d: MatRef<'_, f64>) -> Mat<f64> {
        let rotation = self.rotation.get(c.idx()).and_then(Option::as_ref);
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

    /// Whether the bases span the near field (needed by the factorizations).
    pub fn is_factorizable(&self) -> bool {
        self.params.basis == BasisSpan::NearAndFar
    }

    /// `tr(Ã) = tr(A)`: the diagonal lies in the dense leaf blocks, which are exact.
    pub fn trace(&self) -> f64 {
        self.tree
            .level(self.tree.depth())
            .map(|c| {
                let d = self.leaf_diagonal(c);
                (0..d.nrows()).map(|i| d[(i, i)]).sum::<f64>()
            })
            .sum()
    }

    /// Memory held by the numbers, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let entries: usize = [&self.basis, &self.near, &self.coupling]
            .iter()
            .flat_map(|v| v.iter())
            .map(|m| m.nrows() * m.ncols())
            .sum::<usize>()
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
            let h = H2Matrix::builder(&src).tol(tol).leaf_size(leaf).build().unwrap();
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
