//! One elimination step of the strong recursive skeletonization, and the merge of a
//! level's clusters into their parents.
//!
//! Step at cluster `B` with active indices `I` (`m` of them), near partners `N(B)` (the
//! same-level clusters whose pair with `B` is not admissible), and the far partners `F(B)`
//! whose blocks with `B` were changed by earlier steps:
//! 1. **Skeleton.** A column ID of the sampled far block row
//!    `W = [A(far sample, I); K(act F(B), I)]` splits `I = s ∪ r` with
//!    `W[:, r] ≈ W[:, s] T` (`T`: `|s| × |r|`), to the relative tolerance.
//! 2. **Congruence.** `x_s ← x_s − T x_r` is the unit-triangular `G` with `G[s, r] = −T`:
//!    `K ← Gᵀ K G` changes only the `r` columns (rows), `K[:, r] ← K[:, r] − K[:, s] T`.
//!    In far rows that is the ID residual, which is dropped — this, and nothing else, is
//!    the approximation.
//! 3. **Elimination.** `K'[r, r]` is factored (Bunch–Kaufman; its pivots add to the
//!    inertia, Sylvester) and `r` is eliminated: every pair `(Y, Z)` of
//!    `{s} ∪ N(B)` receives `−K'[Y, r] K'[r, r]⁻¹ K'[r, Z]`. Pairs of near partners that
//!    are far from each other become stored far partners: the next step at either one
//!    puts their block into its ID, so that no coupling is ever dropped unseen.
//! 4. **Stability.** The dropped residual `e` of a far row would have received
//!    `−e W` with `W = K'[r, r]⁻¹ K'[r, s ∪ N(B)]`: the elimination amplifies the error by
//!    `W`'s entries. Below the spectrum they stay ≤ 2; at interior shifts `K'[r, r]` can be
//!    nearly singular and they reach 4e2 (16384-point sphere, tol 1e-5; the measured
//!    `ε(σ)` was 100·tol·‖A‖). Redundant indices whose row of `W` exceeds
//!    `growth_limit` move to the skeleton *unrotated* (their columns leave `T`, their rows
//!    of `T` are zero: `W[:, r'] ≈ W[:, s'] T'` holds with the same residuals, and they keep
//!    their couplings exactly), and the rest is factored again, until no row exceeds it.
//!    A step whose ID had no far rows drops nothing and is left as it is.
//!
//! After the step `B` keeps `s`: skeletons are subsets of the original indices, so every
//! block nobody has changed is still the source's entries, evaluated on demand.

use super::factors::Step;
use super::store::Store;
use crate::block::BlockTree;
use crate::cluster::{ClusterId, ClusterTree};
use crate::dense::{gemm, row_id_of_transpose};
use crate::error::{Error, Result};
use crate::factor::pivot::{Bk, BlockFactor};
use crate::factor::{Inertia, LogDet};
use crate::source::entries;
use crate::source::EntrySource;
use faer::{Mat, MatRef};

/// What one factorization reads: source, topology, samples, tolerance and shift.
pub(super) struct Ctx<'a> {
    pub src: &'a dyn EntrySource,
    pub tree: &'a ClusterTree,
    pub blocks: &'a BlockTree,
    /// Far-field sample (matrix indices) per cluster, by arena id.
    pub far: &'a [Vec<usize>],
    pub tol: f64,
    /// Largest entry allowed in `K'[r, r]⁻¹ K'[r, ·]` (`SkelParams::growth_limit`).
    pub growth_limit: f64,
    pub shift: f64,
    /// Parallelism of the waves.
    pub par: crate::par::Par,
}

/// The partially eliminated matrix and the pivots so far.
pub(super) struct State {
    /// Active (not yet eliminated) matrix indices per cluster, by arena id.
    pub active: Vec<Vec<usize>>,
    pub store: Store,
    pub inertia: Inertia,
    pub logdet: LogDet,
    /// The recorded steps, in step order, when the factors are kept (`factors.rs`).
    pub steps: Option<Vec<Step>>,
}

impl State {
    /// No active indices, nothing stored, no pivots; recording the steps if `record`.
    pub(super) fn new(clusters: usize, record: bool) -> Self {
        State {
            active: vec![Vec::new(); clusters],
            store: Store::new(),
            inertia: Inertia::default(),
            logdet: LogDet::one(),
            steps: record.then(Vec::new),
        }
    }
}

impl Ctx<'_> {
    /// `K[act(a), act(b)]`, removed from the store when stored; the source's entries
    /// (shifted on a leaf diagonal) otherwise.
    fn take(&self, st: &mut State, a: ClusterId, b: ClusterId) -> Mat<f64> {
        match st.store.take(a, b) {
            Some(m) if a.0 <= b.0 => m,
            Some(m) => m.transpose().to_owned(),
            None => self.fresh(st, a, b),
        }
    }

    /// `K[act(a), act(b)]` without removing it.
    fn peek(&self, st: &State, a: ClusterId, b: ClusterId) -> Mat<f64> {
        match st.store.get(a, b) {
            Some(m) if a.0 <= b.0 => m.to_owned(),
            Some(m) => m.transpose().to_owned(),
            None => self.fresh(st, a, b),
        }
    }

    fn fresh(&self, st: &State, a: ClusterId, b: ClusterId) -> Mat<f64> {
        let mut m = entries(self.src, &st.active[a.idx()], &st.active[b.idx()]);
        if a == b {
            // a diagonal block is first read at the leaves; above, merges store it
            debug_assert!(self.tree.is_leaf(a), "unstored diagonal block above the leaves");
            for i in 0..m.nrows() {
                m[(i, i)] -= self.shift;
            }
        }
        m
    }
}

/// Stores `m = K[act(a), act(b)]` in the store's orientation.
fn put(st: &mut State, a: ClusterId, b: ClusterId, m: Mat<f64>) {
    if a.0 <= b.0 {
        st.store.put(a, b, m)
    } else {
        st.store.put(a, b, m.transpose().to_owned())
    }
}

/// `m[rows, cols]` for position lists.
fn gather(m: MatRef<'_, f64>, rows: &[usize], cols: &[usize]) -> Mat<f64> {
    Mat::from_fn(rows.len(), cols.len(), |i, j| m[(rows[i], cols[j])])
}

/// Skeleton positions `s` (ascending), redundant positions `r`, and `T` (`|s| × |r|`)
/// with `W[:, r] ≈ W[:, s] T` for the sampled far block row `W` of `b`.
///
/// # Errors
/// [`Error::NonFiniteEntry`] when `W` holds a NaN/inf (a NaN would make every pivot
/// test false: rank 0, and the far coupling dropped without a trace).
fn skeleton(ctx: &Ctx<'_>, st: &State, b: ClusterId, far_partners: &[ClusterId]) -> Result<Skeleton> {
    let act = &st.active[b.idx()];
    let sample = &ctx.far[b.idx()];
    let rows = sample.len() + far_partners.iter().map(|x| st.active[x.idx()].len()).sum::<usize>();
    let mut w = Mat::zeros(rows, act.len());
    if !sample.is_empty() {
        ctx.src.block(sample, act, w.as_mut().subrows_mut(0, sample.len()));
    }
    let mut row_ids: Vec<usize> = sample.clone();
    for &x in far_partners {
        let k = ctx.peek(st, x, b);
        w.as_mut().subrows_mut(row_ids.len(), k.nrows()).copy_from(&k);
        row_ids.extend_from_slice(&st.active[x.idx()]);
    }
    for j in 0..w.ncols() {
        if let Some(i) = (0..w.nrows()).find(|&i| !w[(i, j)].is_finite()) {
            return Err(Error::NonFiniteEntry { row: row_ids[i], col: act[j] });
        }
    }
    // column ID of W = row ID of Wᵀ, which row_id_of_transpose takes as W itself
    let (skel, x) = row_id_of_transpose(w, ctx.tol, usize::MAX);
    let mut order: Vec<usize> = (0..skel.len()).collect();
    order.sort_by_key(|&i| skel[i]);
    let s: Vec<usize> = order.iter().map(|&i| skel[i]).collect();
    let mut is_skel = vec![false; act.len()];
    s.iter().for_each(|&p| is_skel[p] = true);
    let r: Vec<usize> = (0..act.len()).filter(|&p| !is_skel[p]).collect();
    let t = Mat::from_fn(s.len(), r.len(), |i, j| x[(r[j], order[i])]);
    Ok(Skeleton { s, r, t, drops: rows > 0 })
}

/// The split `I = s ∪ r` (positions in the active list) and `T` of one cluster.
struct Skeleton {
    s: Vec<usize>,
    r: Vec<usize>,
    t: Mat<f64>,
    /// Whether the ID had far rows, i.e. whether the step drops a residual at all (without
    /// far rows every index is redundant and the elimination is exact).
    drops: bool,
}

impl Skeleton {
    /// Moves the redundant positions `r[i]`, `i ∈ moved`, into the skeleton, unrotated: their
    /// columns leave `T` and their rows of `T` are zero, so `W[:, r'] ≈ W[:, s'] T'` still
    /// holds with the same residuals, and the moved indices keep their couplings exactly.
    fn keep(self, moved: &[usize]) -> Skeleton {
        let mut out = vec![false; self.r.len()];
        moved.iter().for_each(|&i| out[i] = true);
        let stay: Vec<usize> = (0..self.r.len()).filter(|&i| !out[i]).collect();
        let mut s: Vec<(usize, Option<usize>)> =
            self.s.iter().enumerate().map(|(a, &p)| (p, Some(a))).collect();
        s.extend(moved.iter().map(|&i| (self.r[i], None)));
        s.sort_by_key(|&(p, _)| p);
        let t = Mat::from_fn(s.len(), stay.len(), |a, j| s[a].1.map_or(0.0, |row| self.t[(row, stay[j])]));
        let r = stay.iter().map(|&i| self.r[i]).collect();
        Skeleton { s: s.iter().map(|&(p, _)| p).collect(), r, t, drops: self.drops }
    }
}

/// The blocks after the congruence `x_s ← x_s − T x_r` (only `r` columns change):
/// `K[s, s]`, `K'[s, r] = K[s, r] − K[s, s] T`,
/// `K'[r, r] = K[r, r] − K[r, s] T − Tᵀ K'[s, r]`, and per near partner `y`
/// `K[y, s]` and `K'[y, r] = K[y, r] − K[y, s] T`.
struct Rotated {
    dss: Mat<f64>,
    dsr: Mat<f64>,
    drr: Mat<f64>,
    near_s: Vec<Mat<f64>>,
    near_r: Vec<Mat<f64>>,
}

/// Reads `b`'s diagonal and near blocks (copies: the step writes them back) and applies
/// the congruence.
fn rotate(ctx: &Ctx<'_>, st: &State, b: ClusterId, close: &[ClusterId], k: &Skeleton) -> Rotated {
    let (s, r, t) = (&k.s, &k.r, k.t.as_ref());
    let d = ctx.peek(st, b, b);
    let mut dsr = gather(d.as_ref(), s, r);
    let dss = gather(d.as_ref(), s, s);
    gemm(dsr.as_mut(), true, dss.as_ref(), t, -1.0);
    let mut drr = gather(d.as_ref(), r, r);
    gemm(drr.as_mut(), true, gather(d.as_ref(), r, s).as_ref(), t, -1.0);
    gemm(drr.as_mut(), true, t.transpose(), dsr.as_ref(), -1.0);
    let (mut near_s, mut near_r) = (Vec::with_capacity(close.len()), Vec::with_capacity(close.len()));
    for &y in close {
        let v = ctx.peek(st, y, b);
        let rows: Vec<usize> = (0..v.nrows()).collect();
        let vs = gather(v.as_ref(), &rows, s);
        let mut vr = gather(v.as_ref(), &rows, r);
        gemm(vr.as_mut(), true, vs.as_ref(), t, -1.0);
        near_s.push(vs);
        near_r.push(vr);
    }
    Rotated { dss, dsr, drr, near_s, near_r }
}

/// Far partners keep only their coupling to the skeleton `s` (the rest is the ID residual).
fn reduce_far(ctx: &Ctx<'_>, st: &mut State, b: ClusterId, far_partners: &[ClusterId], s: &[usize]) {
    for &x in far_partners {
        let m = ctx.take(st, x, b);
        let rows: Vec<usize> = (0..m.nrows()).collect();
        put(st, x, b, gather(m.as_ref(), &rows, s));
    }
}

/// Redundant positions (indices into `r`) whose row of `W = K'[r, r]⁻¹ K'[r, s ∪ near]`
/// has an entry above `limit`.
fn unstable_rows(w_s: &Mat<f64>, w_near: &[Mat<f64>], limit: f64) -> Vec<usize> {
    let big = |i: usize| {
        std::iter::once(w_s).chain(w_near).any(|w| (0..w.ncols()).any(|j| w[(i, j)].abs() > limit))
    };
    (0..w_s.nrows()).filter(|&i| big(i)).collect()
}

/// Eliminates the redundant indices of `b` (module docs); `b` keeps its skeleton.
///
/// # Errors
/// [`Error::NonFiniteEntry`] from the skeleton's sample; [`Error::NonFinitePivot`] when
/// the eliminated block has a non-finite pivot.
pub(super) fn eliminate(ctx: &Ctx<'_>, st: &mut State, b: ClusterId, level: usize) -> Result<()> {
    if st.active[b.idx()].is_empty() {
        return Ok(());
    }
    let close: Vec<ClusterId> =
        ctx.blocks.close(b).iter().copied().filter(|y| !st.active[y.idx()].is_empty()).collect();
    let far_partners: Vec<ClusterId> =
        st.store.partners(b).into_iter().filter(|x| !close.contains(x)).collect();
    let mut k = skeleton(ctx, st, b, &far_partners)?;
    // W_j = K'[r,r]⁻¹ K'[r, j] for the skeleton of b and each near partner; where it is
    // large, the elimination would amplify the dropped ID residual by as much (interior
    // shifts: entries up to 4e2 where they stay ≤ 2 below the spectrum), so those
    // redundant indices move to the skeleton and the rest is factored again
    let (Rotated { dss, dsr, drr, near_s, near_r }, f, w_s, w_near) = loop {
        let rot = rotate(ctx, st, b, &close, &k);
        let f = Bk::factor(rot.drr.as_ref(), level, ctx.tree.index_in_level(b))?;
        let solve = |l: &Mat<f64>| {
            let mut w = l.transpose().to_owned();
            f.solve_in_place(w.as_mut());
            w
        };
        let w_s = solve(&rot.dsr);
        let w_near: Vec<Mat<f64>> = rot.near_r.iter().map(solve).collect();
        // a step that drops nothing has nothing to amplify: keeping indices would only
        // carry them to a later, equally amplifying, elimination
        let moved = if k.drops { unstable_rows(&w_s, &w_near, ctx.growth_limit) } else { Vec::new() };
        if moved.is_empty() {
            break (rot, f, w_s, w_near);
        }
        k = k.keep(&moved);
    };
    reduce_far(ctx, st, b, &far_partners, &k.s);
    st.inertia.add(f.inertia());
    st.logdet.combine(f.logdet());
    if let Some(steps) = st.steps.as_mut().filter(|_| !k.r.is_empty()) {
        steps.push(record(&st.active, b, &close, &k, (drr, f), &w_s, &w_near));
    }
    st.active[b.idx()] = k.s.iter().map(|&p| st.active[b.idx()][p]).collect();
    let mut diag = dss;
    gemm(diag.as_mut(), true, dsr.as_ref(), w_s.as_ref(), -1.0);
    symmetrize(&mut diag);
    put(st, b, b, diag);
    for (i, &y) in close.iter().enumerate() {
        // K[s, y] = K'[y, s]ᵀ − K'[s, r] W_y
        let mut sy = near_s[i].transpose().to_owned();
        gemm(sy.as_mut(), true, dsr.as_ref(), w_near[i].as_ref(), -1.0);
        put(st, b, y, sy);
        for (j, &z) in close.iter().enumerate().skip(i) {
            let mut yz = ctx.take(st, y, z);
            gemm(yz.as_mut(), true, near_r[i].as_ref(), w_near[j].as_ref(), -1.0);
            if i == j {
                symmetrize(&mut yz);
            }
            put(st, y, z, yz);
        }
    }
    Ok(())
}

/// The stored step at `b` (`factors.rs`), before `b` is reduced to its skeleton: global
/// `s`, `r`, `y = s ∪ act(close)`, `T`, `K'[r, r]` with its factor, `W = [W_s, W_near…]`.
fn record(
    active: &[Vec<usize>],
    b: ClusterId,
    close: &[ClusterId],
    k: &Skeleton,
    (drr, f): (Mat<f64>, Bk),
    w_s: &Mat<f64>,
    w_near: &[Mat<f64>],
) -> Step {
    let act = &active[b.idx()];
    let s: Vec<usize> = k.s.iter().map(|&p| act[p]).collect();
    let r: Vec<usize> = k.r.iter().map(|&p| act[p]).collect();
    let mut y = s.clone();
    close.iter().for_each(|c| y.extend_from_slice(&active[c.idx()]));
    let mut w = Mat::zeros(r.len(), y.len());
    let mut j0 = 0;
    for m in std::iter::once(w_s).chain(w_near) {
        w.as_mut().subcols_mut(j0, m.ncols()).copy_from(m);
        j0 += m.ncols();
    }
    Step { s, r, y, t: k.t.clone(), drr, f, w }
}

fn symmetrize(m: &mut Mat<f64>) {
    for j in 0..m.ncols() {
        for i in j + 1..m.nrows() {
            let v = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
}

/// A stored child block with its pair.
type ChildBlock = ((ClusterId, ClusterId), Mat<f64>);

/// Moves from level `l` to `l − 1`: a parent's active indices are its children's
/// skeletons, and each stored child block goes into its parents' block, whose other
/// child blocks are the source's entries.
pub(super) fn merge(ctx: &Ctx<'_>, st: &mut State, l: usize) {
    let tree = ctx.tree;
    for p in tree.level(l - 1) {
        let [c1, c2] = tree.children(p).expect("level < depth has children");
        let mut act = st.active[c1.idx()].clone();
        act.extend_from_slice(&st.active[c2.idx()]);
        st.active[p.idx()] = act;
    }
    let children = st.store.drain();
    let held: usize = children.iter().map(|(_, m)| m.nrows() * m.ncols()).sum();
    let mut parents: std::collections::BTreeMap<(u32, u32), Vec<ChildBlock>> = Default::default();
    for ((a, b), m) in children {
        let (pa, pb) = (tree.parent(a).expect("level ≥ 1"), tree.parent(b).expect("level ≥ 1"));
        parents.entry((pa.0, pb.0)).or_default().push(((a, b), m));
    }
    for ((pa, pb), kids) in parents {
        let (pa, pb) = (ClusterId(pa), ClusterId(pb));
        debug_assert!(pa.0 <= pb.0, "heap numbering keeps parent pairs ordered");
        let mut out = Mat::zeros(st.active[pa.idx()].len(), st.active[pb.idx()].len());
        let [a1, a2] = tree.children(pa).expect("parent");
        let [b1, b2] = tree.children(pb).expect("parent");
        let (na1, nb1) = (st.active[a1.idx()].len(), st.active[b1.idx()].len());
        for (ca, cb) in [(a1, b1), (a1, b2), (a2, b1), (a2, b2)] {
            if pa == pb && ca.0 > cb.0 {
                continue; // the lower child block of a diagonal block: mirrored below
            }
            let sub = match kids.iter().find(|((x, y), _)| (*x, *y) == (ca, cb)) {
                Some((_, m)) => m.clone(),
                None => entries(ctx.src, &st.active[ca.idx()], &st.active[cb.idx()]),
            };
            let (i0, j0) = (if ca == a1 { 0 } else { na1 }, if cb == b1 { 0 } else { nb1 });
            out.as_mut().submatrix_mut(i0, j0, sub.nrows(), sub.ncols()).copy_from(&sub);
            if pa == pb && ca != cb {
                out.as_mut().submatrix_mut(j0, i0, sub.ncols(), sub.nrows()).copy_from(sub.transpose());
            }
        }
        st.store.put(pa, pb, out);
    }
    // the children's blocks are freed group by group: at most all of them were held
    // next to all the parents' blocks
    st.store.note_transient(held);
}
