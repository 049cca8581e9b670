//! The sampling stage (after the block tree, before any compression): geometric samples of
//! the far field by farthest-point sampling (FPS), and the parameter checks every
//! compression of a source shares.
//!
//! `rep(c)`: up to `k` points spread over cluster `c` (bottom-up: FPS of the children's reps).
//! `far(c)`: up to `k` points spread over the far field of `c` = everything admissible to
//! `c` or to one of its ancestors (top-down: FPS of the parent's far sample and the reps
//! of `c`'s admissible partners). Sampling the far field is harmless for the accuracy
//! (../shared/research/proto-ldl.md §3.4); the near field is never sampled.

use crate::block::BlockTree;
use crate::cluster::{ClusterId, ClusterTree};
use crate::error::{Error, Result};
use crate::geometry::{dist, Points};
use crate::par::{pmap, Par};

/// Point ids (not matrix indices) of the far-field sample of every cluster, by arena id.
/// The clusters of one level are sampled in parallel when `par` asks for it (same result).
pub(crate) fn far_samples(tree: &ClusterTree, adm: &BlockTree, k: usize, par: Par) -> Vec<Vec<usize>> {
    let nc = (2 << tree.depth()) - 1;
    let g = tree.group();
    let pts = tree.points();
    let mut rep: Vec<Vec<usize>> = vec![Vec::new(); nc];
    for l in (0..=tree.depth()).rev() {
        let ids: Vec<ClusterId> = tree.level(l).collect();
        let out = pmap(par, &ids, |&c| {
            let cand: Vec<usize> = match tree.children(c) {
                None => tree.indices(c).iter().step_by(g).map(|&u| u / g).collect(),
                Some([a, b]) => rep[a.idx()].iter().chain(&rep[b.idx()]).copied().collect(),
            };
            fps(pts, &cand, k)
        });
        for (c, r) in ids.into_iter().zip(out) {
            rep[c.idx()] = r;
        }
    }
    let mut far: Vec<Vec<usize>> = vec![Vec::new(); nc];
    for l in 1..=tree.depth() {
        let ids: Vec<ClusterId> = tree.level(l).collect();
        let out = pmap(par, &ids, |&c| {
            let parent = tree.parent(c).expect("level ≥ 1");
            // the parent's far field, thinned to k points, plus k/4 points of each of
            // c's own admissible partners: the closest far field stays densely sampled
            let mut sample = fps(pts, &far[parent.idx()], k);
            for e in adm.far(c) {
                sample.extend(fps(pts, &rep[e.col.idx()], k.div_ceil(4)));
            }
            sample
        });
        for (c, s) in ids.into_iter().zip(out) {
            far[c.idx()] = s;
        }
    }
    far
}

/// Farthest-point sampling of up to `k` of the candidate points, deterministic: starts
/// from the candidate farthest from the candidates' centroid (ties: first in order).
pub(crate) fn fps(pts: &Points, cand: &[usize], k: usize) -> Vec<usize> {
    if cand.len() <= k {
        return cand.to_vec();
    }
    let d = pts.dim();
    let mut centroid = [0.0; 3];
    for &p in cand {
        for (a, x) in pts.point(p).iter().enumerate() {
            centroid[a] += x / cand.len() as f64;
        }
    }
    // the first point is the one farthest from the centroid (ties: first in order)
    let to_centroid = |q: usize| dist(&centroid[..d], pts.point(q));
    let first =
        (0..cand.len()).fold(0, |b, i| if to_centroid(cand[i]) > to_centroid(cand[b]) { i } else { b });
    let mut mind = vec![f64::INFINITY; cand.len()];
    let mut out = Vec::with_capacity(k);
    let mut next = first;
    for _ in 0..k {
        let p = cand[next];
        out.push(p);
        for (i, &q) in cand.iter().enumerate() {
            mind[i] = mind[i].min(dist(pts.point(p), pts.point(q)));
        }
        next = (0..cand.len()).fold(0, |b, i| if mind[i] > mind[b] { i } else { b });
    }
    out
}

/// Expands point ids to their matrix indices (`group` consecutive indices per point).
pub(crate) fn expand(points: &[usize], group: usize) -> impl Iterator<Item = usize> + '_ {
    points.iter().flat_map(move |&p| (0..group).map(move |o| p * group + o))
}

/// Every matrix index in the far region of `c`: the clusters admissible to `c` or to one
/// of its ancestors.
pub(crate) fn far_region(tree: &ClusterTree, adm: &BlockTree, c: ClusterId) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = Some(c);
    while let Some(x) = cur {
        for e in adm.far(x) {
            out.extend_from_slice(tree.indices(e.col));
        }
        cur = tree.parent(x);
    }
    out
}

/// Used by the construction to find a cluster's geometric near partners.
pub(crate) fn near_partners(adm: &BlockTree, c: ClusterId) -> &[ClusterId] {
    adm.close(c)
}

/// The checks every compression of a source on `points` needs: `group ≥ 1`, matching
/// sizes, `tol ∈ (0, 1)`, positive leaf size and far-sample size.
pub(crate) fn validate_compression(
    n: usize,
    points: &Points,
    group: usize,
    (tol, leaf_size, far_samples): (f64, usize, usize),
) -> Result<()> {
    if group == 0 {
        return Err(Error::invalid("group", group, "a positive integer"));
    }
    if points.len() * group != n {
        return Err(Error::SizeMismatch {
            what: "points × group vs matrix dimension",
            expected: n,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    /// Each level reads only finished levels: the parallel samples are the sequential ones.
    #[test]
    fn far_samples_do_not_depend_on_parallelism() {
        let pts = Geometry::from_name("sphere").unwrap().generate(3000, 4).unwrap();
        let tree = ClusterTree::new(&pts, 32, 1);
        let adm = BlockTree::new(&tree, crate::block::Admissibility::Strong { eta: 0.7 });
        let (seq, par) =
            (far_samples(&tree, &adm, 48, Par::Seq), far_samples(&tree, &adm, 48, Par::rayon(2)));
        // (the clusters near the root have no far field yet)
        assert!(seq.iter().filter(|s| !s.is_empty()).count() > seq.len() / 2, "most clusters are sampled");
        assert_eq!(seq, par);
    }

    #[test]
    fn fps_spreads_and_is_deterministic() {
        let p = Geometry::Line.generate(101, 0).unwrap();
        let cand: Vec<usize> = (0..101).collect();
        let s = fps(&p, &cand, 3);
        let mut s2 = s.clone();
        s2.sort();
        assert_eq!(s2, vec![0, 50, 100]);
        assert_eq!(fps(&p, &cand[..2], 5), vec![0, 1]);
    }
}
