//! H² construction from an [`EntrySource`]: bases by interpolative decomposition (ID)
//! of sampled block rows, level by level from the leaves, then couplings, near blocks
//! and the sibling projections used by the factorizations.
//!
//! For cluster `c` with candidate rows `I_c` (its indices at a leaf, its children's
//! skeletons above) and sample columns `J_c` (the near field in full — leaf indices of
//! near partners at the leaf level, their children's skeletons above — plus a far-field
//! sample), the row ID `A(I_c, J_c) ≈ X_c A(skel_c, J_c)` picks `skel_c ⊂ I_c`.
//! Nesting: `X_big(c) = diag(X_big(c1), X_big(c2)) X_c`. Orthonormalizing
//! `X_big(c) = U_big(c) R_c` gives the transfer matrix from the thin QR of
//! `diag(R_c1, R_c2) X_c`, and the couplings `S_st = R_s A(skel_s, skel_t) R_tᵀ`.
//! Cost per cluster is bounded by the leaf size, the rank and the sample sizes: O(N) in all.

use super::{sample, BasisSpan, BuildReport, H2Matrix, H2Params, Rotation};
use crate::block::{Admissibility, BlockId, BlockKind, BlockTree};
use crate::cluster::{ClusterId, ClusterTree};
use crate::dense::{congruence, mul, row_id_of_transpose, Reflectors};
use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::source::EntrySource;
use faer::{Mat, MatRef};
use rayon::prelude::*;
use std::time::Instant;

/// Progress callback: `(stage, done, total)`.
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// Maps `f` over `items`, in parallel when asked; the output order is the input order.
pub(crate) fn pmap<T: Sync, R: Send>(par: bool, items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if par {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

struct ClusterBasis {
    fallback: bool,
    skel: Vec<usize>,
    basis: Mat<f64>,
    rank: usize,
    r: Mat<f64>,
    rotation: Option<Rotation>,
}

/// Everything a cluster's basis computation reads.
struct Ctx<'a> {
    src: &'a dyn EntrySource,
    storage: &'a BlockTree,
    tree: &'a ClusterTree,
    sampling: &'a BlockTree,
    far: &'a [Vec<usize>],
    params: &'a H2Params,
}

impl H2Matrix {
    /// Builds the H² matrix of `src` on `points`, each point standing for `group` consecutive
    /// indices (1 for kernels; 4 for the orbitals of an atom).
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] if `group · points.len() ≠ src.n()`; [`Error::InvalidParameter`]
    /// for `tol ∉ (0, 1)`, `leaf_size = 0`, `far_samples = 0`, `η ≤ 0`, a zero rank cap, or
    /// far-only bases with weak admissibility; [`Error::NonFiniteEntry`] if the source
    /// produces NaN/inf.
    pub fn build(
        src: &dyn EntrySource,
        points: &Points,
        group: usize,
        params: H2Params,
        progress: Option<Progress<'_>>,
    ) -> Result<Self> {
        validate(src, points, group, &params)?;
        let t0 = Instant::now();
        let tree = ClusterTree::new(points, params.leaf_size, group);
        let mut params = params;
        if let (BasisSpan::FarOnly, Admissibility::Strong { eta }) = (params.basis, params.admissibility) {
            // far-only bases span only the sampled far field, so every stored far block
            // must lie in it: the storage criterion is capped at the sampling one
            params.admissibility = Admissibility::Strong { eta: eta.min(params.sampling_eta) };
        }
        let blocks = BlockTree::new(&tree, params.admissibility);
        let sampling = match params.admissibility {
            Admissibility::Strong { eta } if eta == params.sampling_eta => blocks.clone(),
            _ => BlockTree::new(&tree, Admissibility::Strong { eta: params.sampling_eta }),
        };
        let far = sample::far_samples(&tree, &sampling, params.far_samples, params.parallel);
        let ctx = Ctx { src, storage: &blocks, tree: &tree, sampling: &sampling, far: &far, params: &params };
        let nc = (2 << tree.depth()) - 1;
        let mut cb: Vec<Option<ClusterBasis>> = (0..nc).map(|_| None).collect();
        for l in (1..=tree.depth()).rev() {
            if let Some(p) = progress {
                p("bases", tree.depth() - l, tree.depth() + 2);
            }
            let ids: Vec<ClusterId> = tree.level(l).collect();
            let out = pmap(params.parallel, &ids, |&c| cluster_basis(&ctx, c, &cb));
            for (c, b) in ids.into_iter().zip(out) {
                cb[c.idx()] = Some(b);
            }
        }
        let root = ClusterBasis {
            fallback: false,
            skel: Vec::new(),
            basis: Mat::zeros(0, 0),
            rank: 0,
            r: Mat::zeros(0, 0),
            rotation: None,
        };
        cb[0] = Some(root);
        let cb: Vec<ClusterBasis> = cb.into_iter().map(|b| b.expect("every level built")).collect();
        if let Some(p) = progress {
            p("couplings", tree.depth(), tree.depth() + 2);
        }
        let coupling = pmap(params.parallel, blocks.far_slots(), |&(s, t)| {
            let (bs, bt) = (&cb[s.idx()], &cb[t.idx()]);
            let a = entries(src, &bs.skel, &bt.skel);
            congruence(bs.r.transpose(), a.as_ref(), bt.r.transpose())
        });
        let near = pmap(params.parallel, blocks.near_slots(), |&(s, t)| {
            entries(src, tree.indices(s), tree.indices(t))
        });
        if let Some(bad) = first_non_finite(&near, &coupling) {
            return Err(bad);
        }
        let fallbacks = cb.iter().filter(|b| b.fallback).count();
        let (mut basis, mut rank, mut rotation) = (Vec::new(), Vec::new(), Vec::with_capacity(nc));
        for b in cb {
            basis.push(b.basis);
            rank.push(b.rank);
            rotation.push(b.rotation);
        }
        let mut h = H2Matrix {
            tree,
            blocks,
            params,
            basis,
            rank,
            near,
            coupling,
            rotation,
            sibling: Vec::new(),
            leaf_rotated: Vec::new(),
            top: super::top::Top::none(),
            report: BuildReport::default(),
        };
        if h.is_factorizable() {
            if let Some(p) = progress {
                p("siblings", h.tree.depth() + 1, h.tree.depth() + 2);
            }
            h.sibling = sibling_projections(&h);
            h.leaf_rotated = leaf_rotations(&h);
            let level = super::top::choose_level(&h, h.params.top_level);
            if level > 0 {
                h.top = super::top::assemble(&h, level);
            }
        }
        h.report = BuildReport::measure(&h, src, t0.elapsed().as_secs_f64());
        h.report.far_sample_fallbacks = fallbacks;
        Ok(h)
    }
}

/// The checks every compression of `src` on `points` needs: `group ≥ 1`, matching sizes,
/// `tol ∈ (0, 1)`, positive leaf size and far-sample size.
pub(crate) fn validate_compression(
    src: &dyn EntrySource,
    points: &Points,
    group: usize,
    (tol, leaf_size, far_samples): (f64, usize, usize),
) -> Result<()> {
    if group == 0 {
        return Err(Error::invalid("group", group, "a positive integer"));
    }
    if points.len() * group != src.n() {
        return Err(Error::SizeMismatch {
            what: "points × group vs matrix dimension",
            expected: src.n(),
            found: points.len() * group,
        });
    }
    if !(tol > 0.0 && tol < 1.0) {
        return Err(Error::invalid("tol", tol, "a number in (0, 1)"));
    }
    if leaf_size == 0 {
        return Err(Error::invalid("leaf size", 0, "a positive integer"));
    }
    if far_samples == 0 {
        return Err(Error::invalid("far_samples", 0, "a positive integer"));
    }
    Ok(())
}

fn validate(src: &dyn EntrySource, points: &Points, group: usize, p: &H2Params) -> Result<()> {
    validate_compression(src, points, group, (p.tol, p.leaf_size, p.far_samples))?;
    if p.max_rank == Some(0) {
        return Err(Error::invalid("max rank", 0, "a positive integer"));
    }
    let eta_ok = |e: f64| e.is_finite() && e > 0.0;
    if !eta_ok(p.sampling_eta) {
        return Err(Error::invalid("eta", p.sampling_eta, "a finite positive number"));
    }
    match p.admissibility {
        Admissibility::Strong { eta } if !eta_ok(eta) => {
            Err(Error::invalid("eta", eta, "a finite positive number"))
        }
        Admissibility::Weak if p.basis == BasisSpan::FarOnly => Err(Error::invalid(
            "basis",
            "far-only",
            "near-and-far bases with weak admissibility (HSS blocks touch the near field)",
        )),
        _ => Ok(()),
    }
}

/// `A(rows, cols)` from the source.
pub(crate) fn entries(src: &dyn EntrySource, rows: &[usize], cols: &[usize]) -> Mat<f64> {
    let mut m = Mat::zeros(rows.len(), cols.len());
    if !rows.is_empty() && !cols.is_empty() {
        src.block(rows, cols, m.as_mut());
    }
    m
}

fn first_non_finite(near: &[Mat<f64>], coupling: &[Mat<f64>]) -> Option<Error> {
    for m in near.iter().chain(coupling) {
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                if !m[(i, j)].is_finite() {
                    return Some(Error::NonFiniteEntry { row: i, col: j });
                }
            }
        }
    }
    None
}

fn cluster_basis(ctx: &Ctx<'_>, c: ClusterId, done: &[Option<ClusterBasis>]) -> ClusterBasis {
    let tree = ctx.tree;
    let kids = tree.children(c).map(|k| k.map(|x| done[x.idx()].as_ref().expect("children first")));
    let cand: Vec<usize> = match &kids {
        None => tree.indices(c).to_vec(),
        Some([a, b]) => a.skel.iter().chain(&b.skel).copied().collect(),
    };
    let mut cols: Vec<usize> = Vec::new();
    // Near-and-far bases take every near partner (its children's skeletons stand for it:
    // their bases span the interactions with `c`). Far-only bases take only the partners
    // that the stored blocks treat as admissible although they are too close to be
    // sampled, in full: a far-only skeleton does not represent near interactions.
    let far_only = ctx.params.basis == BasisSpan::FarOnly;
    let stored_far = |t: ClusterId| ctx.storage.far(c).iter().any(|e| e.col == t);
    for &t in sample::near_partners(ctx.sampling, c).iter().filter(|&&t| !far_only || stored_far(t)) {
        match tree.children(t) {
            Some([t1, t2]) if !far_only => {
                for x in [t1, t2] {
                    cols.extend_from_slice(&done[x.idx()].as_ref().expect("children first").skel);
                }
            }
            _ => cols.extend_from_slice(tree.indices(t)),
        }
    }
    let near_len = cols.len();
    cols.extend(sample::expand(&ctx.far[c.idx()], tree.group()));
    let mut id = interpolate(ctx, &cand, &cols);
    let mut fallback = false;
    // A far sample that fails the verification is enlarged by random far-field columns
    // (4× and 16×), and only then replaced by the whole far field (exact but O(N) here).
    for (attempt, grow) in [4, 16, 0].into_iter().enumerate() {
        if far_sample_verified(ctx, c, &cand, &id, attempt as u64) {
            break;
        }
        let region = sample::far_region(ctx.tree, ctx.sampling, c);
        cols.truncate(near_len);
        if grow == 0 || grow * ctx.params.far_samples >= region.len() {
            fallback = true;
            cols.extend(region);
            id = interpolate(ctx, &cand, &cols);
            break;
        }
        let mut rng =
            <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(!(c.0 as u64) ^ grow as u64);
        let pick = rand::seq::index::sample(&mut rng, region.len(), grow * ctx.params.far_samples);
        cols.extend(sample::expand(&ctx.far[c.idx()], tree.group()));
        cols.extend(pick.iter().map(|i| region[i]));
        id = interpolate(ctx, &cand, &cols);
    }
    let (skel, x, _) = id;
    let w = match &kids {
        None => x,
        Some([a, b]) => {
            let (ra, rb) = (a.rank, b.rank);
            let mut w = Mat::zeros(ra + rb, x.ncols());
            crate::dense::gemm(
                w.as_mut().subrows_mut(0, ra),
                false,
                a.r.as_ref(),
                x.as_ref().subrows(0, ra),
                1.0,
            );
            crate::dense::gemm(
                w.as_mut().subrows_mut(ra, rb),
                false,
                b.r.as_ref(),
                x.as_ref().subrows(ra, rb),
                1.0,
            );
            w
        }
    };
    ClusterBasis { fallback, ..orthonormalize(w, skel, ctx.params.basis, kids.is_some()) }
}

/// Row ID of `A(cand, cols)`: skeleton (user indices), interpolation matrix, and the
/// largest entry of the sampled block (the scale the truncation is relative to).
fn interpolate(ctx: &Ctx<'_>, cand: &[usize], cols: &[usize]) -> (Vec<usize>, Mat<f64>, f64) {
    // A(cols, cand) = A(cand, cols)ᵀ by symmetry: the layout the QR of Mᵀ works in
    let mt = entries(ctx.src, cols, cand);
    let scale = mt.norm_max();
    let (pos, x) = row_id_of_transpose(mt, ctx.params.tol, ctx.params.max_rank.unwrap_or(usize::MAX));
    (pos.iter().map(|&p| cand[p]).collect(), x, scale)
}

/// Checks the ID on up to 32 random far-field columns (seeded by the cluster id): every
/// residual entry must stay below `10 · tol` times the largest entry of the sampled and
/// the verification blocks, else the sample is declared insufficient.
fn far_sample_verified(
    ctx: &Ctx<'_>,
    c: ClusterId,
    cand: &[usize],
    id: &(Vec<usize>, Mat<f64>, f64),
    attempt: u64,
) -> bool {
    let region = sample::far_region(ctx.tree, ctx.sampling, c);
    if region.is_empty() || ctx.params.max_rank.is_some() {
        return true;
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(c.0 as u64 | attempt << 32);
    let pick = rand::seq::index::sample(&mut rng, region.len(), region.len().min(32));
    let v: Vec<usize> = pick.iter().map(|i| region[i]).collect();
    let full = entries(ctx.src, cand, &v);
    let skel = entries(ctx.src, &id.0, &v);
    let mut resid = full.clone();
    crate::dense::gemm(resid.as_mut(), true, id.1.as_ref(), skel.as_ref(), -1.0);
    let scale = full.norm_max().max(id.2);
    resid.norm_max() <= 10.0 * ctx.params.tol * scale.max(f64::MIN_POSITIVE)
}

/// Thin QR `W = Q R`; the stored basis is `[Q⊥ | Q]` for near-and-far bases, else `Q`.
///
/// A non-leaf near-and-far basis also keeps the cheapest reflectors of `[U⊥ | U]` for
/// the factorizations' rotations (`≈ 8b²m` flops with `m = min(r, b − r)` reflectors).
/// When `U⊥` is the thinner side (upper levels eliminate few coordinates) the basis of
/// `span(W)` is re-chosen from the reflectors of `U⊥` (their last `r` columns `U'`):
/// `U' = U M` with `M = Uᵀ U'` orthogonal and `R' = Mᵀ R`, so `W = U' R'` and `Ã` are
/// unchanged.
fn orthonormalize(w: Mat<f64>, skel: Vec<usize>, span: BasisSpan, non_leaf: bool) -> ClusterBasis {
    let (b, r) = (w.nrows(), w.ncols());
    if r == 0 {
        // all coordinates are complement: Q = I, so a factorization must not rotate at all
        let (basis, rotation) = match span {
            BasisSpan::NearAndFar => (Mat::identity(b, b), non_leaf.then_some(Rotation::Identity)),
            BasisSpan::FarOnly => (Mat::zeros(b, 0), None),
        };
        return ClusterBasis { fallback: false, skel, basis, rank: 0, r: Mat::zeros(0, 0), rotation };
    }
    let (h, rf) = Reflectors::qr(w.as_ref());
    let q = h.to_dense();
    let k = b - r;
    let (basis, rf, rotation) = match span {
        BasisSpan::FarOnly => (q.as_ref().subcols(0, r).to_owned(), rf, None),
        BasisSpan::NearAndFar if non_leaf && k == 0 => {
            // nothing to eliminate: U' = I and R' = W, no rotation at all
            (Mat::identity(b, b), w, Some(Rotation::Identity))
        }
        BasisSpan::NearAndFar if non_leaf && k < r => {
            let (h2, _) = Reflectors::qr(q.as_ref().subcols(r, k));
            let f = h2.to_dense();
            let m = mul(q.as_ref().subcols(0, r).transpose(), f.as_ref().subcols(k, r));
            (f, mul(m.transpose(), rf.as_ref()), Some(Rotation::ComplementFirst(h2)))
        }
        BasisSpan::NearAndFar => {
            let mut f = Mat::zeros(b, b);
            f.as_mut().subcols_mut(0, k).copy_from(q.as_ref().subcols(r, k));
            f.as_mut().subcols_mut(k, r).copy_from(q.as_ref().subcols(0, r));
            (f, rf, non_leaf.then_some(Rotation::RangeFirst(h)))
        }
    };
    ClusterBasis { fallback: false, skel, basis, rank: r, r: rf, rotation }
}

/// `U_c1ᵀ Ã(c1, c2) U_c2` for the children of every non-leaf cluster, by projecting the
/// blocks of the sibling pair upward through the transfer matrices.
fn sibling_projections(h: &H2Matrix) -> Vec<Mat<f64>> {
    let ids: Vec<ClusterId> = (0..(2 << h.tree.depth()) - 1).map(|i| ClusterId(i as u32)).collect();
    pmap(h.params.parallel, &ids, |&p| match h.blocks.sibling(p) {
        Some(b) => project(h, b),
        None => Mat::zeros(0, 0),
    })
}

/// `Q_cᵀ D_cc Q_c` for every leaf (empty elsewhere, and when the root is the only leaf).
fn leaf_rotations(h: &H2Matrix) -> Vec<Mat<f64>> {
    let depth = h.tree.depth();
    let ids: Vec<ClusterId> = (0..(2 << depth) - 1).map(|i| ClusterId(i as u32)).collect();
    pmap(h.params.parallel, &ids, |&c| {
        if depth == 0 || !h.tree.is_leaf(c) {
            return Mat::zeros(0, 0);
        }
        let e = h.blocks.near(c).iter().find(|e| e.col == c).expect("diagonal block is dense");
        let q = h.full_basis(c);
        congruence(q, h.near[e.slot].as_ref(), q)
    })
}

fn project(h: &H2Matrix, b: BlockId) -> Mat<f64> {
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
            let parts = pmap(h.params.parallel, &kids, |&kid| project(h, kid));
            for (k, p) in parts.iter().enumerate() {
                let (ro, co) = (if k < 2 { 0 } else { rs1 }, if k % 2 == 0 { 0 } else { rt1 });
                m.as_mut().submatrix_mut(ro, co, p.nrows(), p.ncols()).copy_from(p);
            }
            congruence(h.u(s), m.as_ref(), h.u(t))
        }
    }
}
