//! Binary cluster tree by recursive bisection.
//!
//! Every node splits its index range at the median along the largest extent of its
//! bounding box, so all nodes of one level have sizes that differ by at most one. The
//! depth `L` is the smallest with `⌈n / 2^L⌉ ≤ leaf_size`, so **all leaves sit on level
//! `L`** and every level is a complete, ordered list of clusters: the per-level batches
//! of the H² construction and factorization rely on that.
//!
//! Points may carry a *group size* `g`: point `p` then stands for the `g` consecutive
//! matrix indices `g·p … g·p+g-1` (the 4 orbitals of an atom), which always stay in one
//! leaf. The tree's index space is the matrix's (`n = g · #points`).

use crate::geometry::Points;

/// Index of a cluster in [`ClusterTree`]'s arena. Level `l` holds ids `2^l-1 .. 2^(l+1)-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u32);

impl ClusterId {
    /// The arena index.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// Geometry and index range of one cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// First position (in tree order) of the cluster's matrix indices.
    pub start: usize,
    /// One past the last position.
    pub end: usize,
    /// Level (root = 0).
    pub level: usize,
    /// Centre of the bounding box (unused axes are 0).
    pub center: [f64; 3],
    /// Largest distance from `center` to a point of the cluster.
    pub radius: f64,
}

impl Cluster {
    /// Number of matrix indices in the cluster.
    #[inline]
    pub fn size(&self) -> usize {
        self.end - self.start
    }
}

/// Immutable, complete binary cluster tree over `n` matrix indices.
#[derive(Debug, Clone)]
pub struct ClusterTree {
    nodes: Vec<Cluster>,
    depth: usize,
    /// `perm[pos]` = user index at tree position `pos`.
    perm: Vec<usize>,
    /// `iperm[user index]` = tree position.
    iperm: Vec<usize>,
    points: Points,
    group: usize,
}

impl ClusterTree {
    /// Builds the tree over the points, each standing for `group` matrix indices.
    ///
    /// Panics (misuse) if `leaf_size == 0` or `group == 0`; callers validate user input first.
    #[track_caller]
    pub fn new(points: &Points, leaf_size: usize, group: usize) -> Self {
        assert!(leaf_size > 0 && group > 0, "leaf_size and group must be positive");
        let np = points.len();
        let n = np * group;
        let mut depth = 0;
        while n.div_ceil(1 << depth) > leaf_size && (np >> depth) >= 2 {
            depth += 1;
        }
        let mut order: Vec<usize> = (0..np).collect();
        let mut nodes = Vec::with_capacity((2 << depth) - 1);
        // ranges over points, breadth first
        let mut ranges = vec![(0usize, np)];
        for level in 0..=depth {
            let mut next = Vec::with_capacity(ranges.len() * 2);
            for &(s, e) in &ranges {
                let (center, radius) = bounding(points, &order[s..e]);
                nodes.push(Cluster { start: s * group, end: e * group, level, center, radius });
                if level < depth {
                    let axis = widest_axis(points, &order[s..e]);
                    let mid = s + (e - s) / 2;
                    let slice = &mut order[s..e];
                    slice.sort_by(|&a, &b| {
                        points.point(a)[axis].total_cmp(&points.point(b)[axis]).then(a.cmp(&b))
                    });
                    next.push((s, mid));
                    next.push((mid, e));
                }
            }
            ranges = next;
        }
        let perm: Vec<usize> = order.iter().flat_map(|&p| (0..group).map(move |o| p * group + o)).collect();
        let mut iperm = vec![0; n];
        for (pos, &u) in perm.iter().enumerate() {
            iperm[u] = pos;
        }
        Self { nodes, depth, perm, iperm, points: points.clone(), group }
    }

    /// Number of matrix indices.
    pub fn n(&self) -> usize {
        self.perm.len()
    }

    /// Leaf level `L` (the root is level 0).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of orbitals / indices per point.
    pub fn group(&self) -> usize {
        self.group
    }

    /// The clustered points (user order).
    pub fn points(&self) -> &Points {
        &self.points
    }

    /// The root cluster.
    pub fn root(&self) -> ClusterId {
        ClusterId(0)
    }

    /// All clusters of level `l`, left to right.
    pub fn level(&self, l: usize) -> impl ExactSizeIterator<Item = ClusterId> + Clone {
        ((1u32 << l) - 1..(2u32 << l) - 1).map(ClusterId)
    }

    /// Number of clusters on level `l`.
    pub fn level_len(&self, l: usize) -> usize {
        1 << l
    }

    /// Position of `c` within its level.
    pub fn index_in_level(&self, c: ClusterId) -> usize {
        c.idx() + 1 - (1 << self.nodes[c.idx()].level)
    }

    /// The cluster's data.
    #[inline]
    pub fn cluster(&self, c: ClusterId) -> &Cluster {
        &self.nodes[c.idx()]
    }

    /// Children, or `None` for a leaf.
    #[inline]
    pub fn children(&self, c: ClusterId) -> Option<[ClusterId; 2]> {
        (self.nodes[c.idx()].level < self.depth).then(|| [ClusterId(2 * c.0 + 1), ClusterId(2 * c.0 + 2)])
    }

    /// Parent, or `None` for the root.
    #[inline]
    pub fn parent(&self, c: ClusterId) -> Option<ClusterId> {
        (c.0 > 0).then(|| ClusterId((c.0 - 1) / 2))
    }

    /// Whether `c` is a leaf.
    #[inline]
    pub fn is_leaf(&self, c: ClusterId) -> bool {
        self.nodes[c.idx()].level == self.depth
    }

    /// User indices of the tree positions `start..end` of a cluster.
    #[inline]
    pub fn indices(&self, c: ClusterId) -> &[usize] {
        let cl = &self.nodes[c.idx()];
        &self.perm[cl.start..cl.end]
    }

    /// `perm[pos]` = user index at tree position `pos`.
    pub fn perm(&self) -> &[usize] {
        &self.perm
    }

    /// `iperm[user]` = tree position of a user index.
    pub fn iperm(&self) -> &[usize] {
        &self.iperm
    }

    /// Distance between the bounding spheres' centres of two clusters.
    pub fn center_dist(&self, a: ClusterId, b: ClusterId) -> f64 {
        crate::geometry::dist(&self.cluster(a).center, &self.cluster(b).center)
    }
}

/// Per-axis minimum and maximum of the points `idx` (unused axes: ±∞).
fn bbox(points: &Points, idx: &[usize]) -> ([f64; 3], [f64; 3]) {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for &i in idx {
        for (a, &x) in points.point(i).iter().enumerate() {
            lo[a] = lo[a].min(x);
            hi[a] = hi[a].max(x);
        }
    }
    (lo, hi)
}

/// Centre of the bounding box and the largest centre-to-point distance.
fn bounding(points: &Points, idx: &[usize]) -> ([f64; 3], f64) {
    let d = points.dim();
    let (lo, hi) = bbox(points, idx);
    let mut c = [0.0; 3];
    for a in 0..d {
        c[a] = 0.5 * (lo[a] + hi[a]);
    }
    let r = idx.iter().map(|&i| crate::geometry::dist(&c[..d], points.point(i))).fold(0.0, f64::max);
    (c, r)
}

/// The axis of largest extent (ties: the lowest axis).
fn widest_axis(points: &Points, idx: &[usize]) -> usize {
    let (lo, hi) = bbox(points, idx);
    (0..points.dim())
        .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])).then(b.cmp(&a)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    #[test]
    fn balanced_complete_and_permutation() {
        for (n, leaf) in [(1, 4), (5, 1), (100, 8), (1000, 64), (1023, 32)] {
            let p = Geometry::Random.generate(n, 1).unwrap();
            let t = ClusterTree::new(&p, leaf, 1);
            let l = t.depth();
            let sizes: Vec<usize> = t.level(l).map(|c| t.cluster(c).size()).collect();
            // leaves are never empty and exceed `leaf` only when there are fewer points than 2·leaves
            assert!(sizes.iter().all(|&s| s >= 1 && (s <= leaf || s <= 2)));
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            let mut seen = t.perm().to_vec();
            seen.sort();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            for c in t.level(l) {
                assert!(t.is_leaf(c));
            }
            // children partition parents
            for lv in 0..l {
                for c in t.level(lv) {
                    let [a, b] = t.children(c).unwrap();
                    assert_eq!(t.cluster(a).start, t.cluster(c).start);
                    assert_eq!(t.cluster(a).end, t.cluster(b).start);
                    assert_eq!(t.cluster(b).end, t.cluster(c).end);
                    assert_eq!(t.parent(a), Some(c));
                }
            }
        }
    }

    #[test]
    fn groups_stay_together() {
        let p = Geometry::Ball.generate(37, 2).unwrap();
        let t = ClusterTree::new(&p, 12, 4);
        assert_eq!(t.n(), 148);
        for c in t.level(t.depth()) {
            let idx = t.indices(c);
            assert_eq!(idx.len() % 4, 0);
            for chunk in idx.chunks(4) {
                assert!(chunk.iter().all(|&u| u / 4 == chunk[0] / 4));
            }
        }
    }
}
