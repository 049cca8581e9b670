//! H² construction from an [`EntrySource`]: bases by interpolative decomposition (ID)
//! of sampled block rows, level by level from the leaves, then couplings, near blocks
//! (what the factorizations derive from them lives in `crate::factor::plan`).
//!
//! For cluster `c` with candidate rows `I_c` (its indices at a leaf, its children's
//! skeletons above) and sample columns `J_c` (the near field in full — leaf indices of
//! near partners at the leaf level, their children's skeletons above — plus a far-field
//! sample), the row ID `A(I_c, J_c) ≈ X_c A(skel_c, J_c)` picks `skel_c ⊂ I_c`.
//! Nesting: `X_big(c) = diag(X_big(c1), X_big(c2)) X_c`. Orthonormalizing
//! `X_big(c) = U_big(c) R_c` gives the transfer matrix from the thin QR of
//! `diag(R_c1, R_c2) X_c`, and the couplings `S_st = R_s A(skel_s, skel_t) R_tᵀ`.
//! Cost per cluster is bounded by the leaf size, the rank and the sample sizes: O(N) in all.

use super::{BasisSpan, BuildReport, H2Matrix, H2Params, Progress, Rotation};
use crate::block::{Admissibility, BlockTree};
use crate::cluster::{ClusterId, ClusterTree};
use crate::dense::{congruence, mul, row_id_of_transpose, Reflectors};
use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::par::pmap;
use crate::sample::{self, validate_compression};
use crate::source::{checked_entries, located, EntrySource};
use faer::Mat;
use std::time::Instant;

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

impl<'s> H2Matrix<'s> {
    /// The construction behind [`super::H2Builder::build`] (its docs list the errors).
    pub(super) fn build_with(
        src: &'s dyn EntrySource,
        params: H2Params,
        progress: Option<&dyn Progress>,
    ) -> Result<Self> {
        let (points, group) = located(src)?;
        validate(src, &points, group, &params)?;
        let t0 = Instant::now();
        let tree = ClusterTree::new(&points, params.leaf_size, group);
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
        let far = sample::far_samples(&tree, &sampling, params.far_samples, params.par);
        let ctx = Ctx { src, storage: &blocks, tree: &tree, sampling: &sampling, far: &far, params: &params };
        let cb = bases(&ctx, progress)?;
        if let Some(p) = progress {
            p.report("couplings", tree.depth(), tree.depth() + 1);
        }
        let coupling = pmap(params.par, blocks.far_slots(), |&(s, t)| {
            let (bs, bt) = (&cb[s.idx()], &cb[t.idx()]);
            let a = checked_entries(src, &bs.skel, &bt.skel)?;
            Ok(congruence(bs.r.transpose(), a.as_ref(), bt.r.transpose()))
        });
        let coupling = coupling.into_iter().collect::<Result<Vec<_>>>()?;
        let near = pmap(params.par, blocks.near_slots(), |&(s, t)| {
            checked_entries(src, tree.indices(s), tree.indices(t))
        });
        let near = near.into_iter().collect::<Result<Vec<_>>>()?;
        let fallbacks = cb.iter().filter(|b| b.fallback).count();
        let (mut basis, mut rank, mut rotation) = (Vec::new(), Vec::new(), Vec::new());
        let factorizable = params.basis == BasisSpan::NearAndFar;
        for b in cb {
            basis.push(b.basis);
            rank.push(b.rank);
            if factorizable {
                rotation.push(b.rotation);
            }
        }
        let report = BuildReport::default();
        let mut h = H2Matrix { src, tree, blocks, params, basis, rank, near, coupling, rotation, report };
        h.report = BuildReport::measure(&h, src, t0.elapsed().as_secs_f64());
        h.report.far_sample_fallbacks = fallbacks;
        Ok(h)
    }
}

/// The cluster bases, level by level from the leaves (the root's is empty).
fn bases(ctx: &Ctx<'_>, progress: Option<&dyn Progress>) -> Result<Vec<ClusterBasis>> {
    let tree = ctx.tree;
    let nc = (2 << tree.depth()) - 1;
    let mut cb: Vec<Option<ClusterBasis>> = (0..nc).map(|_| None).collect();
    for l in (1..=tree.depth()).rev() {
        if let Some(p) = progress {
            p.report("bases", tree.depth() - l, tree.depth() + 1);
        }
        let ids: Vec<ClusterId> = tree.level(l).collect();
        let out = pmap(ctx.params.par, &ids, |&c| cluster_basis(ctx, c, &cb));
        for (c, b) in ids.into_iter().zip(out) {
            cb[c.idx()] = Some(b?);
        }
    }
    cb[0] = Some(ClusterBasis {
        fallback: false,
        skel: Vec::new(),
        basis: Mat::zeros(0, 0),
        rank: 0,
        r: Mat::zeros(0, 0),
        rotation: None,
    });
    Ok(cb.into_iter().map(|b| b.expect("every level built")).collect())
}

fn validate(src: &dyn EntrySource, points: &Points, group: usize, p: &H2Params) -> Result<()> {
    validate_compression(src.n(), points, group, (p.tol, p.leaf_size, p.far_samples))?;
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

fn cluster_basis(ctx: &Ctx<'_>, c: ClusterId, done: &[Option<ClusterBasis>]) -> Result<ClusterBasis> {
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
    let mut id = interpolate(ctx, &cand, &cols)?;
    let mut fallback = false;
    // A far sample that fails the verification is enlarged by random far-field columns
    // (4× and 16×), and only then replaced by the whole far field (exact but O(N) here).
    for (attempt, grow) in [4, 16, 0].into_iter().enumerate() {
        if far_sample_verified(ctx, c, &cand, &id, attempt as u64)? {
            break;
        }
        let region = sample::far_region(ctx.tree, ctx.sampling, c);
        cols.truncate(near_len);
        if grow == 0 || grow * ctx.params.far_samples >= region.len() {
            fallback = true;
            cols.extend(region);
            id = interpolate(ctx, &cand, &cols)?;
            break;
        }
        let mut rng =
            <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(!(c.0 as u64) ^ grow as u64);
        let pick = rand::seq::index::sample(&mut rng, region.len(), grow * ctx.params.far_samples);
        cols.extend(sample::expand(&ctx.far[c.idx()], tree.group()));
        cols.extend(pick.iter().map(|i| region[i]));
        id = interpolate(ctx, &cand, &cols)?;
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
    Ok(ClusterBasis { fallback, ..orthonormalize(w, skel, ctx.params.basis, kids.is_some()) })
}

/// Row ID of `A(cand, cols)`: skeleton (user indices), interpolation matrix, and the
/// largest entry of the sampled block (the scale the truncation is relative to).
fn interpolate(ctx: &Ctx<'_>, cand: &[usize], cols: &[usize]) -> Result<(Vec<usize>, Mat<f64>, f64)> {
    // A(cols, cand) = A(cand, cols)ᵀ by symmetry: the layout the QR of Mᵀ works in
    let mt = checked_entries(ctx.src, cols, cand)?;
    let scale = mt.norm_max();
    let (pos, x) = row_id_of_transpose(mt, ctx.params.tol, ctx.params.max_rank.unwrap_or(usize::MAX));
    Ok((pos.iter().map(|&p| cand[p]).collect(), x, scale))
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
) -> Result<bool> {
    let region = sample::far_region(ctx.tree, ctx.sampling, c);
    if region.is_empty() || ctx.params.max_rank.is_some() {
        return Ok(true);
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(c.0 as u64 | attempt << 32);
    let pick = rand::seq::index::sample(&mut rng, region.len(), region.len().min(32));
    let v: Vec<usize> = pick.iter().map(|i| region[i]).collect();
    let full = checked_entries(ctx.src, cand, &v)?;
    let skel = checked_entries(ctx.src, &id.0, &v)?;
    let mut resid = full.clone();
    crate::dense::gemm(resid.as_mut(), true, id.1.as_ref(), skel.as_ref(), -1.0);
    let scale = full.norm_max().max(id.2);
    Ok(resid.norm_max() <= 10.0 * ctx.params.tol * scale.max(f64::MIN_POSITIVE))
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
