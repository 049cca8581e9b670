//! The dense top of the factorizations: where the level-by-level elimination stops.
//!
//! The ULV elimination of `Ã_f − σI` (`crate::factor`) eliminates the complement
//! coordinates of every cluster from the leaves up to a level `t`, then factors the
//! remaining matrix densely. That matrix lives on the skeleton coordinates of the
//! level-`t` clusters, `n_top = Σ_{c ∈ level t} r_c`: its diagonal blocks are the
//! clusters' Schur complements (shift-dependent) and its off-diagonal blocks are
//! `U_cᵀ Ã_f(c, d) U_d`, shift-independent and assembled here once per matrix through
//! the transfer matrices of the clusters above `t`:
//!
//! ```text
//! X_c = I (c on level t),   X_p = diag(X_p1, X_p2) E_p,   block(p1, p2) = X_p1 T_p X_p2ᵀ
//! ```
//!
//! where `E_p` is `p`'s transfer matrix and `T_p = U_p1ᵀ Ã(p1, p2) U_p2` the projected
//! sibling block. Every choice of `t` factors the same `Ã_f` exactly (the inertia is
//! the same by Sylvester's law); `t` only trades flops. Near the root the ranks of
//! near-field-spanning bases barely shrink from one level to the next (yukawa on a sphere,
//! N = 8192: 376 → 514 → 530), so a level there costs rotations while it eliminates
//! little, and one dense `LBLᵀ` of a lower level's skeletons can be cheaper.

use crate::cluster::ClusterId;
use crate::dense::{gemm, mul};
use crate::h2::H2Matrix;
use crate::par::{pmap, Par};
use faer::Mat;

/// Largest dense top the automatic choice accepts (its matrix is stored, 8·n_top² bytes).
pub(crate) const MAX_AUTO_TOP: usize = 6144;

/// Flops of a dense `LBLᵀ` relative to `n³/3`: Bunch–Kaufman runs at a fraction of the
/// GEMM speed the rotations reach (faer LBLᵀ ≈ 17 GFlop/s here, its GEMM ≈ 3× that).
const DENSE_WEIGHT: f64 = 3.0;

/// The shift-independent part of the dense top block.
#[derive(Debug, Clone)]
pub(crate) struct Top {
    /// Tree level `t` whose clusters' skeletons form the top (0 only for a one-leaf tree).
    pub(crate) level: usize,
    /// Start of each level-`t` cluster's coordinates in the top block (`2^t + 1` entries).
    pub(crate) offsets: Vec<usize>,
    /// `U_cᵀ Ã_f(c, d) U_d` between distinct level-`t` clusters; zero diagonal blocks.
    pub(crate) coupling: Mat<f64>,
}

impl Top {
    /// The empty top of a matrix that is not factorizable.
    pub(crate) fn none() -> Self {
        Top { level: 0, offsets: Vec::new(), coupling: Mat::zeros(0, 0) }
    }

    /// Size of the dense top block.
    pub(crate) fn size(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }
}

/// The level of the dense top: `requested` clamped to `1..=depth`, or else the level
/// that minimizes a model of one factorization's time — the rotations (`8b²·min(r, b−r)`
/// with reflectors), complement `LBLᵀ` and Schur updates of the clusters on levels
/// `t … depth−1` (halved: two cores), plus `3 · n_top³/3` for the sequential dense top —
/// among the tops of at most [`MAX_AUTO_TOP`] coordinates (level 1 always qualifies).
/// The model does not depend on the thread count, so the factorization's arithmetic
/// does not either.
pub(crate) fn choose_level(h: &H2Matrix, requested: Option<usize>) -> usize {
    let depth = h.tree.depth();
    if depth == 0 {
        return 0;
    }
    if let Some(t) = requested {
        return t.clamp(1, depth);
    }
    let node = |c: ClusterId| {
        let (b, r) = (h.coords(c) as f64, h.rank(c) as f64);
        let k = b - r;
        8.0 * b * b * k.min(r) + k * k * k / 3.0 + 2.0 * k * k * r + 2.0 * k * r * r
    };
    // a level's nodes run in parallel, the dense top does not: with at least two cores
    // (assumed, so that the choice does not depend on the machine) a level of two or
    // more nodes takes half its flops in wall time
    let level_cost = |l: usize| -> f64 {
        let w: f64 = h.tree.level(l).map(node).sum();
        if l > 0 {
            w / 2.0
        } else {
            w
        }
    };
    let top_size = |t: usize| -> usize { h.tree.level(t).map(|c| h.rank(c)).sum() };
    let mut best = (f64::INFINITY, 1);
    let mut below = 0.0; // rotations etc. of the non-leaf levels t..depth−1
    for t in (1..=depth).rev() {
        if t < depth {
            below += level_cost(t);
        }
        let n = top_size(t) as f64;
        if t > 1 && n as usize > MAX_AUTO_TOP {
            continue;
        }
        let cost = below + DENSE_WEIGHT * n * n * n / 3.0;
        if cost < best.0 {
            best = (cost, t);
        }
    }
    best.1
}

/// Assembles the shift-independent off-diagonal part of the top at `level` (≥ 1) from the
/// projected sibling blocks `sibling[p] = U_p1ᵀ Ã(p1, p2) U_p2`.
pub(crate) fn assemble(h: &H2Matrix, sibling: &[Mat<f64>], level: usize, par: Par) -> Top {
    let tree = &h.tree;
    let mut offsets = vec![0];
    for c in tree.level(level) {
        offsets.push(offsets.last().copied().unwrap_or(0) + h.rank(c));
    }
    let n = *offsets.last().expect("non-empty");
    let mut coupling = Mat::zeros(n, n);
    // x[c]: the basis of c in the top coordinates of its level-t descendants (X_c above)
    let nc = (2 << tree.depth()) - 1;
    let mut x: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, 0)).collect();
    for c in tree.level(level) {
        x[c.idx()] = Mat::identity(h.rank(c), h.rank(c));
    }
    for m in (0..level).rev() {
        let ids: Vec<ClusterId> = tree.level(m).collect();
        let out = pmap(par, &ids, |&p| {
            let [p1, p2] = tree.children(p).expect("above the top level");
            let (x1, x2) = (&x[p1.idx()], &x[p2.idx()]);
            let block = mul(mul(x1.as_ref(), sibling[p.idx()].as_ref()).as_ref(), x2.transpose());
            let xp = (m > 0).then(|| {
                let (e, r1) = (h.u(p), h.rank(p1));
                let mut xp = Mat::zeros(x1.nrows() + x2.nrows(), e.ncols());
                gemm(xp.as_mut().subrows_mut(0, x1.nrows()), false, x1.as_ref(), e.subrows(0, r1), 1.0);
                let rest = e.subrows(r1, e.nrows() - r1);
                gemm(xp.as_mut().subrows_mut(x1.nrows(), x2.nrows()), false, x2.as_ref(), rest, 1.0);
                xp
            });
            (block, xp)
        });
        for (&p, (block, xp)) in ids.iter().zip(out) {
            // p1's coordinates come first, p2's right after them
            let (r0, n1, n2) = (offsets[first_below(h, p, level)], block.nrows(), block.ncols());
            let c0 = r0 + n1;
            coupling.as_mut().submatrix_mut(r0, c0, n1, n2).copy_from(&block);
            coupling.as_mut().submatrix_mut(c0, r0, n2, n1).copy_from(block.transpose());
            if let Some(xp) = xp {
                x[p.idx()] = xp;
            }
        }
    }
    Top { level, offsets, coupling }
}

/// Index within level `t` of the first level-`t` descendant of `c` (level ≤ t).
fn first_below(h: &H2Matrix, c: ClusterId, t: usize) -> usize {
    let mut d = c;
    while h.tree.cluster(d).level < t {
        d = h.tree.children(d).expect("above the top level")[0];
    }
    h.tree.index_in_level(d)
}
