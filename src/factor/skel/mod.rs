//! Strong-admissibility `LDLᵀ` of `A − σI` by recursive skeletonization (no H² matrix
//! needed): bounded ranks on surfaces, O(N) memory, a new skeleton per shift.
//!
//! The ULV factorizations of [`crate::factor`] need bases that span each cluster's
//! whole off-diagonal block row, whose ranks grow with N in 3-D. Here the bases span
//! only the *far* field (strong admissibility), and the coupling that near clusters
//! keep is eliminated exactly, level by level from the leaves (`eliminate.rs`): at each
//! cluster an interpolative decomposition of the sampled far block row picks skeleton
//! indices, a unit-triangular congruence decouples the redundant indices from the far
//! field (dropping the ID residual — the only approximation), and the redundant indices
//! are eliminated with a Bunch–Kaufman `LBLᵀ`, whose Schur complement lands on the
//! cluster's skeleton and its near partners (stored; the far coupling between two near
//! partners enters their next IDs). Parents take their children's skeletons; the root
//! is eliminated in full.
//!
//! The factored matrix is `K̃(σ) = A − σI + E(σ)`, with `E(σ)` the dropped ID residuals
//! carried through the elimination: Sylvester's law gives the exact inertia of `K̃(σ)`,
//! and `|ν_A(σ) − ν(σ)| = 0` whenever σ is farther than `‖E(σ)‖₂` from every
//! eigenvalue of `A` (Weyl). Unlike [`crate::factor::Ldlt`], `E` depends on σ (the skeletons
//! see the shifted Schur complements), so the counts belong to no single fixed matrix.
//!
//! Cost per shift: `O(n_c² m² r)` per cluster (`n_c` near partners, `m` active and `r`
//! redundant indices), O(N) in total when the skeletons stay bounded (surfaces); memory is
//! the stored blocks of one level (no near field is kept between shifts).
//!
//! [`Skeletonization::ldlt`] keeps only the counts (bisection); [`Skeletonization::factor`]
//! runs the same elimination and keeps the factors, for solves and products with
//! `K̃(σ)` (`factors.rs`).

mod eliminate;
mod factors;
mod store;
mod wave;

pub use factors::SkelFactor;

use super::{Inertia, LogDet};
use crate::block::{Admissibility, BlockTree};
use crate::cluster::ClusterTree;
use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::par::{default_par, Par};
use crate::sample::{self, validate_compression};
use crate::source::{located, EntrySource};
use eliminate::{Ctx, State};
use factors::Step;
use std::time::Instant;

/// The order in which the clusters of one level are eliminated. Each order is
/// deterministic and independent of the thread count; the two give different, equally
/// accurate, factorizations (the numbers change with the order, not with the threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EliminationOrder {
    /// Waves of clusters with disjoint reaches, each wave's clusters in parallel on the
    /// current rayon pool (default). Waves cost more flops (their clusters meet
    /// un-eliminated neighbours; `docs/architecture.md` has the measurements) but put every
    /// core on one factorization.
    #[default]
    Waves,
    /// One cluster after the other in arena order: the cheaper order when concurrent
    /// shifts fill the cores (bisection).
    Arena,
}

/// Parameters of [`Skeletonization`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SkelParams {
    /// Relative tolerance of each interpolative decomposition: a skeleton index is kept
    /// while its pivot exceeds `tol` times the largest pivot of the sampled far block row
    /// (default 1e-8).
    pub tol: f64,
    /// Maximum leaf size (default 128).
    pub leaf_size: usize,
    /// Strong admissibility η: clusters with `ρ_s + ρ_t ≤ η ‖c_s − c_t‖` are far
    /// (default 1: the bounding balls of far pairs are disjoint). Larger η has fewer near
    /// partners but lets the far sample miss the closest points (yukawa sphere, N = 4096,
    /// tol 1e-5: wrong counts at most 0.006·tol·‖A‖ from an eigenvalue at η = 1, 1.0 at
    /// η = 1.3, 20 at η = 1.6).
    pub eta: f64,
    /// Far-field sample size per cluster, in points (default 96).
    pub far_samples: usize,
    /// The elimination order of each level (default waves).
    pub order: EliminationOrder,
    /// Largest entry allowed in `K'[r, r]⁻¹ K'[r, s ∪ near]` (default 32; `∞` disables):
    /// redundant indices whose elimination would amplify the dropped ID residual more
    /// than this stay in the skeleton (`eliminate.rs`).
    pub growth_limit: f64,
    /// Parallelism of the far-field sampling and of the waves (default: the current rayon
    /// pool; same results for any value).
    pub par: Par,
}

impl Default for SkelParams {
    fn default() -> Self {
        Self {
            tol: 1e-8,
            leaf_size: 128,
            eta: 1.0,
            far_samples: 96,
            order: EliminationOrder::default(),
            growth_limit: 32.0,
            par: default_par(),
        }
    }
}

setters!(SkelParams {
    /// Sets the ID tolerance.
    tol: f64,
    /// Sets the maximum leaf size.
    leaf_size: usize,
    /// Sets the strong admissibility η.
    eta: f64,
    /// Sets the far-field sample size per cluster.
    far_samples: usize,
    /// Sets the elimination order.
    order: EliminationOrder,
    /// Sets the growth limit of the eliminations.
    growth_limit: f64,
    /// Sets the parallelism of the sampling.
    par: Par,
});

/// The shift-independent part: source, cluster tree, near/far partition, far samples.
pub struct Skeletonization<'a> {
    src: &'a dyn EntrySource,
    tree: ClusterTree,
    blocks: BlockTree,
    far: Vec<Vec<usize>>,
    params: SkelParams,
}

/// Per-level statistics of one factorization.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SkelLevel {
    /// Tree level (leaves = depth).
    pub level: usize,
    /// Largest active set entering the level.
    pub max_active: usize,
    /// Largest skeleton kept.
    pub max_skeleton: usize,
    /// Indices left after the level.
    pub total_skeleton: usize,
}

/// One factorization of `A − σI` (inertia and log-determinant of `K̃(σ)`).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SkelLdlt {
    /// The shift σ.
    pub shift: f64,
    /// Inertia of `K̃(σ)` (module docs).
    pub inertia: Inertia,
    /// `log|det K̃(σ)|` and its sign.
    pub logdet: LogDet,
    /// Levels, leaves first.
    pub levels: Vec<SkelLevel>,
    /// Most matrix entries stored at once, in bytes.
    pub peak_stored_bytes: usize,
    /// Wall time of the factorization.
    pub time_s: f64,
}

impl<'a> Skeletonization<'a> {
    /// Prepares the factorizations of `src − σI`, on the source's points
    /// ([`EntrySource::points`]; the indices in order when it has none).
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] if the source's points do not match its dimension;
    /// [`Error::InvalidParameter`] for `tol ∉ (0, 1)`, `leaf_size = 0`, `far_samples = 0`,
    /// `η` not finite and positive or `growth_limit` below 1 or NaN; [`Error::Empty`] for a source of dimension 0.
    pub fn new(src: &'a dyn EntrySource, params: SkelParams) -> Result<Self> {
        let (points, group) = located(src)?;
        validate(src, &points, group, &params)?;
        let tree = ClusterTree::new(&points, params.leaf_size, group);
        let blocks = BlockTree::new(&tree, Admissibility::Strong { eta: params.eta });
        let far = sample::far_samples(&tree, &blocks, params.far_samples, params.par)
            .into_iter()
            .map(|pts| sample::expand(&pts, group).collect())
            .collect();
        Ok(Self { src, tree, blocks, far, params })
    }

    /// Dimension N.
    pub fn n(&self) -> usize {
        self.src.n()
    }

    /// Entries of the leaf-level near field, `Σ_leaf Σ_{y ∈ N(leaf)} |leaf|·|y|`: what every
    /// factorization reads and eliminates at least once (its cost model's unit).
    pub fn near_entries(&self) -> usize {
        let t = &self.tree;
        let leaf_len = |c| t.indices(c).len();
        t.level(t.depth())
            .map(|c| leaf_len(c) * self.blocks.close(c).iter().map(|&y| leaf_len(y)).sum::<usize>())
            .sum()
    }

    /// The parameters.
    pub fn params(&self) -> &SkelParams {
        &self.params
    }

    /// The source of the entries.
    pub fn source(&self) -> &'a dyn EntrySource {
        self.src
    }

    /// Factors `A − σI`: inertia, log-determinant and statistics, no factors kept
    /// ([`Skeletonization::factor`] keeps them).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite shift; [`Error::NonFiniteEntry`] for a
    /// NaN/inf entry in a sampled far block row; [`Error::NonFinitePivot`] when an
    /// eliminated block has a non-finite pivot (NaN/inf entries, or an overflow).
    pub fn ldlt(&self, shift: f64) -> Result<SkelLdlt> {
        self.run(shift, false).map(|(f, _)| f)
    }

    /// Factors `A − σI` as [`Skeletonization::ldlt`] does (same numbers: the same inertia
    /// and log-determinant bits) and keeps the factors, for solves and products with the
    /// factored matrix `F(σ) = A − σI + E(σ)` ([`SkelFactor`]; O(N) memory when the
    /// skeletons stay bounded).
    ///
    /// # Errors
    /// As [`Skeletonization::ldlt`]: [`Error::InvalidParameter`] for a non-finite shift;
    /// [`Error::NonFiniteEntry`] for a NaN/inf entry in a sampled far block row;
    /// [`Error::NonFinitePivot`] when an eliminated block has a non-finite pivot.
    pub fn factor(&self, shift: f64) -> Result<SkelFactor<'_>> {
        let (stats, steps) = self.run(shift, true)?;
        Ok(SkelFactor::new(self, steps.unwrap_or_default(), stats))
    }

    /// The elimination of every level, leaves first, recording the steps if `record`.
    fn run(&self, shift: f64, record: bool) -> Result<(SkelLdlt, Option<Vec<Step>>)> {
        if !shift.is_finite() {
            return Err(Error::invalid("shift", shift, "a finite number"));
        }
        let t0 = Instant::now();
        let tree = &self.tree;
        let ctx = Ctx {
            src: self.src,
            tree,
            blocks: &self.blocks,
            far: &self.far,
            tol: self.params.tol,
            growth_limit: self.params.growth_limit,
            shift,
            par: self.params.par,
        };
        let mut st = State::new((2 << tree.depth()) - 1, record);
        for c in tree.level(tree.depth()) {
            st.active[c.idx()] = tree.indices(c).to_vec();
        }
        let mut levels = Vec::with_capacity(tree.depth() + 1);
        for l in (0..=tree.depth()).rev() {
            levels.push(self.level(&ctx, &mut st, l)?);
            if l > 0 {
                eliminate::merge(&ctx, &mut st, l);
            }
        }
        debug_assert_eq!(st.inertia.negative + st.inertia.zero + st.inertia.positive, self.n());
        let stats = SkelLdlt {
            shift,
            inertia: st.inertia,
            logdet: st.logdet,
            levels,
            peak_stored_bytes: 8 * st.store.peak_entries(),
            time_s: t0.elapsed().as_secs_f64(),
        };
        Ok((stats, st.steps))
    }

    /// Eliminates the clusters of level `l` in the configured order.
    fn level(&self, ctx: &Ctx<'_>, st: &mut State, l: usize) -> Result<SkelLevel> {
        let tree = &self.tree;
        let max_active = tree.level(l).map(|c| st.active[c.idx()].len()).max().unwrap_or(0);
        match self.params.order {
            EliminationOrder::Waves => wave::eliminate_level(ctx, st, l)?,
            EliminationOrder::Arena => {
                for c in tree.level(l) {
                    eliminate::eliminate(ctx, st, c, l)?;
                }
            }
        }
        let sizes = tree.level(l).map(|c| st.active[c.idx()].len());
        let (max_skeleton, total_skeleton) = sizes.fold((0, 0), |(m, t), s| (m.max(s), t + s));
        Ok(SkelLevel { level: l, max_active, max_skeleton, total_skeleton })
    }
}

fn validate(src: &dyn EntrySource, points: &Points, group: usize, p: &SkelParams) -> Result<()> {
    validate_compression(src.n(), points, group, (p.tol, p.leaf_size, p.far_samples))?;
    if !(p.eta.is_finite() && p.eta > 0.0) {
        return Err(Error::invalid("eta", p.eta, "a finite positive number"));
    }
    if p.growth_limit.is_nan() || p.growth_limit < 1.0 {
        return Err(Error::invalid("growth_limit", p.growth_limit, "a number ≥ 1 (∞ disables)"));
    }
    Ok(())
}
