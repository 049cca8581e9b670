//! The construction report: ranks, memory, time and an a-posteriori error estimate.

use super::{BasisSpan, H2Matrix};
use crate::block::Admissibility;
use crate::source::EntrySource;
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rank statistics of one tree level.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LevelRanks {
    /// Tree level (root = 0).
    pub level: usize,
    /// Smallest basis rank on the level.
    pub min: usize,
    /// Largest basis rank on the level.
    pub max: usize,
    /// Mean basis rank.
    pub mean: f64,
}

/// What a construction produced and how accurate it is.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BuildReport {
    /// Dimension.
    pub n: usize,
    /// Leaf level of the cluster tree.
    pub depth: usize,
    /// Leaf size parameter.
    pub leaf_size: usize,
    /// `"near-and-far"` or `"far-only"`.
    pub basis: String,
    /// `"strong"` (with η) or `"weak"`.
    pub admissibility: String,
    /// Relative tolerance.
    pub tol: f64,
    /// Ranks per level, leaves first.
    pub ranks: Vec<LevelRanks>,
    /// Largest basis rank.
    pub max_rank: usize,
    /// Stored dense near blocks / couplings.
    pub near_blocks: usize,
    /// Stored admissible couplings.
    pub far_blocks: usize,
    /// Clusters whose far-field sample failed the random verification and were built
    /// from their whole far field instead (O(N) each; many of them mean O(N²) construction).
    pub far_sample_fallbacks: usize,
    /// Bytes held by the numbers.
    pub memory_bytes: usize,
    /// `memory_bytes / (8 n²)`.
    pub compression_ratio: f64,
    /// Wall time of the construction (including this estimate).
    pub time_build_s: f64,
    /// `‖(A x − Ã x)_S‖ / ‖(A x)_S‖` for a random `x` and a random set `S` of up to 64 rows,
    /// with `A x` computed exactly from the source (O(64 N) entries).
    pub rel_err_estimate: f64,
}

impl BuildReport {
    pub(crate) fn measure(h: &H2Matrix, src: &dyn EntrySource, time: f64) -> Self {
        let tree = &h.tree;
        let ranks = (1..=tree.depth())
            .rev()
            .map(|l| {
                let r: Vec<usize> = tree.level(l).map(|c| h.rank(c)).collect();
                LevelRanks {
                    level: l,
                    min: *r.iter().min().unwrap_or(&0),
                    max: *r.iter().max().unwrap_or(&0),
                    mean: r.iter().sum::<usize>() as f64 / r.len() as f64,
                }
            })
            .collect::<Vec<_>>();
        let n = h.n();
        let t0 = std::time::Instant::now();
        let rel_err_estimate = sampled_matvec_error(h, src, 64, 0x5eed);
        let memory_bytes = h.memory_bytes();
        BuildReport {
            n,
            depth: tree.depth(),
            leaf_size: h.params.leaf_size,
            basis: match h.params.basis {
                BasisSpan::NearAndFar => "near-and-far".into(),
                BasisSpan::FarOnly => "far-only".into(),
            },
            admissibility: match h.params.admissibility {
                Admissibility::Strong { eta } => format!("strong(eta={eta})"),
                Admissibility::Weak => "weak".into(),
            },
            tol: h.params.tol,
            max_rank: ranks.iter().map(|r| r.max).max().unwrap_or(0),
            ranks,
            far_sample_fallbacks: 0,
            near_blocks: h.near.len(),
            far_blocks: h.coupling.len(),
            memory_bytes,
            compression_ratio: memory_bytes as f64 / (8.0 * (n as f64) * (n as f64)),
            time_build_s: time + t0.elapsed().as_secs_f64(),
            rel_err_estimate,
        }
    }
}

/// Relative matvec error on a random sample of `rows` rows (all rows when `n ≤ rows`).
pub(crate) fn sampled_matvec_error(h: &H2Matrix, src: &dyn EntrySource, rows: usize, seed: u64) -> f64 {
    let n = h.n();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Mat::from_fn(n, 1, |_, _| rng.random::<f64>() * 2.0 - 1.0);
    let y = h.matvec(x.as_ref());
    let sample: Vec<usize> =
        if n <= rows { (0..n).collect() } else { rand::seq::index::sample(&mut rng, n, rows).into_vec() };
    let all: Vec<usize> = (0..n).collect();
    let (mut num, mut den) = (0.0, 0.0);
    for &i in &sample {
        let row = crate::source::entries(src, &[i], &all);
        let exact: f64 = (0..n).map(|j| row[(0, j)] * x[(j, 0)]).sum();
        num += (exact - y[(i, 0)]).powi(2);
        den += exact * exact;
    }
    if den == 0.0 {
        num.sqrt()
    } else {
        (num / den).sqrt()
    }
}
