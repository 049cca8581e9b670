//! Block tree: the partition of the index square into dense near blocks and
//! admissible (low-rank) far blocks.
//!
//! Built by a dual traversal of the cluster tree from `(root, root)`, pairing clusters of
//! the same level. A pair `(s, t)` is
//! - **admissible** when `s ≠ t` and the [`Admissibility`] criterion holds: it is stored
//!   as a coupling `S_st` between the cluster bases;
//! - **dense** when it is not admissible and both are leaves;
//! - **split** into its four child pairs otherwise.
//!
//! The matrix is symmetric, so the block `(t, s)` shares the data of `(s, t)`: each
//! stored block has a `slot` in the data vectors and a `transposed` flag.

use crate::cluster::{ClusterId, ClusterTree};
use std::collections::HashMap;

/// When an off-diagonal pair of clusters `(s, t)` is represented in low rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Admissibility {
    /// H²: admissible iff `ρ_s + ρ_t ≤ η · ‖c_s − c_t‖`, with `c` the bounding-box centre
    /// and `ρ` the largest centre-to-point distance (the two bounding balls are separated
    /// by at least `(1/η − 1)(ρ_s + ρ_t)`). Smaller `η` means fewer, better-separated far blocks.
    Strong {
        /// The separation parameter η > 0 (default 1).
        eta: f64,
    },
    /// HSS: every pair of distinct clusters is admissible (sibling blocks are low rank).
    Weak,
}

impl Default for Admissibility {
    fn default() -> Self {
        Admissibility::Strong { eta: 1.0 }
    }
}

impl Admissibility {
    /// Whether the pair `(s, t)` of same-level clusters is admissible.
    pub fn admissible(&self, tree: &ClusterTree, s: ClusterId, t: ClusterId) -> bool {
        if s == t {
            return false;
        }
        match *self {
            Admissibility::Weak => true,
            Admissibility::Strong { eta } => {
                let (a, b) = (tree.cluster(s), tree.cluster(t));
                a.radius + b.radius <= eta * tree.center_dist(s, t)
            }
        }
    }
}

/// Index of a block in the [`BlockTree`] arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockId(pub u32);

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Dense leaf block; data in slot `slot` of the near-field vector.
    Dense {
        /// Index into the near-field blocks.
        slot: usize,
        /// Whether the stored block is `A(t, s)` (its transpose is meant).
        transposed: bool,
    },
    /// Low-rank block; coupling in slot `slot` of the coupling vector.
    Admissible {
        /// Index into the couplings.
        slot: usize,
        /// Whether the stored coupling is `S_ts` (its transpose is meant).
        transposed: bool,
    },
    /// Split into `(s1,t1), (s1,t2), (s2,t1), (s2,t2)`.
    Split([BlockId; 4]),
}

/// One node of the block tree.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    /// Row cluster.
    pub row: ClusterId,
    /// Column cluster (same level as `row`).
    pub col: ClusterId,
    /// Dense, admissible or split.
    pub kind: BlockKind,
}

/// A stored block as seen from its row cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowEntry {
    /// The column cluster.
    pub col: ClusterId,
    /// Data slot.
    pub slot: usize,
    /// Whether the stored data is the transpose (the block `(col, row)` was stored).
    pub transposed: bool,
}

/// Immutable block partition of a symmetric matrix.
#[derive(Debug, Clone)]
pub struct BlockTree {
    blocks: Vec<Block>,
    admissibility: Admissibility,
    /// `near[c]`: dense blocks of leaf row `c` (indexed by arena id; empty for non-leaves).
    near: Vec<Vec<RowEntry>>,
    /// `far[c]`: admissible blocks of row `c`.
    far: Vec<Vec<RowEntry>>,
    /// `(row, col)` of each near slot (row ≤ col).
    near_slots: Vec<(ClusterId, ClusterId)>,
    /// `(row, col)` of each coupling slot (row < col).
    far_slots: Vec<(ClusterId, ClusterId)>,
    /// `sibling[p]`: the block `(c1, c2)` of the children of a non-leaf cluster `p`.
    sibling: Vec<Option<BlockId>>,
    /// `close[c]`: same-level clusters `t ≠ c` with `(c, t)` not admissible (dense or split).
    close: Vec<Vec<ClusterId>>,
}

impl BlockTree {
    /// Builds the block tree of `tree × tree` under `adm`.
    pub fn new(tree: &ClusterTree, adm: Admissibility) -> Self {
        let nc = (2 << tree.depth()) - 1;
        let mut bt = BlockTree {
            blocks: Vec::new(),
            admissibility: adm,
            near: vec![Vec::new(); nc],
            far: vec![Vec::new(); nc],
            near_slots: Vec::new(),
            far_slots: Vec::new(),
            sibling: vec![None; nc],
            close: vec![Vec::new(); nc],
        };
        let mut slots: HashMap<(u32, u32), usize> = HashMap::new();
        bt.build(tree, tree.root(), tree.root(), &mut slots);
        bt
    }

    fn build(
        &mut self,
        tree: &ClusterTree,
        s: ClusterId,
        t: ClusterId,
        slots: &mut HashMap<(u32, u32), usize>,
    ) -> BlockId {
        let id = BlockId(self.blocks.len() as u32);
        let far = self.admissibility.admissible(tree, s, t);
        let leaf = tree.is_leaf(s);
        let (lo, hi) = if s <= t { (s, t) } else { (t, s) };
        let transposed = s > t;
        if !far && s != t {
            self.close[s.idx()].push(t);
        }
        let kind = if far || leaf {
            let table = if far { &mut self.far_slots } else { &mut self.near_slots };
            let slot = *slots.entry((lo.0, hi.0)).or_insert_with(|| {
                table.push((lo, hi));
                table.len() - 1
            });
            let entry = RowEntry { col: t, slot, transposed };
            if far {
                self.far[s.idx()].push(entry);
                BlockKind::Admissible { slot, transposed }
            } else {
                self.near[s.idx()].push(entry);
                BlockKind::Dense { slot, transposed }
            }
        } else {
            BlockKind::Split([BlockId(0); 4])
        };
        self.blocks.push(Block { row: s, col: t, kind });
        if let BlockKind::Split(_) = kind {
            let [s1, s2] = tree.children(s).expect("non-leaf");
            let [t1, t2] = tree.children(t).expect("non-leaf");
            let kids = [(s1, t1), (s1, t2), (s2, t1), (s2, t2)].map(|(a, b)| self.build(tree, a, b, slots));
            self.blocks[id.0 as usize].kind = BlockKind::Split(kids);
            if s == t {
                self.sibling[s.idx()] = Some(kids[1]);
            }
        }
        id
    }

    /// The admissibility this tree was built with.
    pub fn admissibility(&self) -> Admissibility {
        self.admissibility
    }

    /// A block.
    #[inline]
    pub fn block(&self, b: BlockId) -> &Block {
        &self.blocks[b.0 as usize]
    }

    /// Number of blocks (all kinds).
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Never true: the root block always exists.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Dense blocks of a leaf row.
    #[inline]
    pub fn near(&self, row: ClusterId) -> &[RowEntry] {
        &self.near[row.idx()]
    }

    /// Admissible blocks of a row.
    #[inline]
    pub fn far(&self, row: ClusterId) -> &[RowEntry] {
        &self.far[row.idx()]
    }

    /// `(row, col)` of every stored dense block (row ≤ col).
    pub fn near_slots(&self) -> &[(ClusterId, ClusterId)] {
        &self.near_slots
    }

    /// `(row, col)` of every stored coupling (row < col).
    pub fn far_slots(&self) -> &[(ClusterId, ClusterId)] {
        &self.far_slots
    }

    /// Same-level clusters `t ≠ row` whose pair with `row` is not admissible (the geometric near field).
    pub fn close(&self, row: ClusterId) -> &[ClusterId] {
        &self.close[row.idx()]
    }

    /// The block pairing the two children of non-leaf cluster `p`.
    pub fn sibling(&self, p: ClusterId) -> Option<BlockId> {
        self.sibling[p.idx()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    /// Every (i, j) index pair must be covered by exactly one dense or admissible block.
    fn check_partition(tree: &ClusterTree, bt: &BlockTree) {
        let n = tree.n();
        let mut cover = vec![0u8; n * n];
        let mut mark = |r: ClusterId, c: ClusterId| {
            let (a, b) = (tree.cluster(r), tree.cluster(c));
            for i in a.start..a.end {
                for j in b.start..b.end {
                    cover[i * n + j] += 1;
                }
            }
        };
        for l in 0..=tree.depth() {
            for r in tree.level(l) {
                for e in bt.near(r).iter().chain(bt.far(r)) {
                    mark(r, e.col);
                }
            }
        }
        assert!(cover.iter().all(|&c| c == 1));
    }

    #[test]
    fn strong_and_weak_partition_the_matrix() {
        for (n, leaf) in [(1, 4), (3, 1), (200, 8), (513, 16)] {
            let p = Geometry::Sphere.generate(n, 0).unwrap();
            let tree = ClusterTree::new(&p, leaf, 1);
            for adm in
                [Admissibility::Weak, Admissibility::Strong { eta: 1.0 }, Admissibility::Strong { eta: 0.5 }]
            {
                let bt = BlockTree::new(&tree, adm);
                check_partition(&tree, &bt);
            }
        }
    }

    #[test]
    fn weak_has_only_diagonal_dense_blocks() {
        let p = Geometry::Circle.generate(300, 0).unwrap();
        let tree = ClusterTree::new(&p, 10, 1);
        let bt = BlockTree::new(&tree, Admissibility::Weak);
        for c in tree.level(tree.depth()) {
            assert_eq!(bt.near(c).len(), 1);
            assert_eq!(bt.near(c)[0].col, c);
        }
        assert!(bt.sibling(tree.root()).is_some());
    }

    #[test]
    fn strong_symmetric_slots() {
        let p = Geometry::Ball.generate(400, 1).unwrap();
        let tree = ClusterTree::new(&p, 16, 1);
        let bt = BlockTree::new(&tree, Admissibility::default());
        for l in 0..=tree.depth() {
            for r in tree.level(l) {
                for e in bt.far(r) {
                    let back = bt.far(e.col).iter().find(|x| x.col == r).unwrap();
                    assert_eq!(back.slot, e.slot);
                    assert_ne!(back.transposed, e.transposed);
                }
            }
        }
    }
}
