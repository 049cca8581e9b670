//! The blocks of the partially eliminated matrix that are no longer kernel entries.
//!
//! At every stage the remaining matrix `K` lives on the *active* indices of the clusters
//! of one level (original matrix indices: skeletons are subsets of points). The block
//! `K[act(a), act(b)]` equals the source's entries `A(act(a), act(b))` (minus the shift
//! on the diagonal) until an elimination touches it; from then on it is stored here.
//! Symmetry: the pair `{a, b}` is stored once, under the key `(min, max)`, as
//! `K[act(min), act(max)]`; diagonal blocks are stored in full.

use crate::cluster::ClusterId;
use faer::{Mat, MatRef};
use std::collections::{BTreeMap, BTreeSet};

/// Stored blocks of one level, with the partner sets that index them.
#[derive(Default)]
pub(super) struct Store {
    blocks: BTreeMap<(u32, u32), Mat<f64>>,
    /// `partners[c]`: clusters `x ≠ c` with a stored block `{c, x}` (by arena id).
    partners: BTreeMap<u32, BTreeSet<u32>>,
    /// Entries held now, and the most held at once.
    entries: usize,
    peak_entries: usize,
}

impl Store {
    /// An empty store.
    pub(super) fn new() -> Self {
        Store::default()
    }

    fn key(a: ClusterId, b: ClusterId) -> (u32, u32) {
        (a.0.min(b.0), a.0.max(b.0))
    }

    /// The stored `K[act(a), act(b)]` as stored: the caller transposes when `a > b`.
    pub(super) fn get(&self, a: ClusterId, b: ClusterId) -> Option<MatRef<'_, f64>> {
        self.blocks.get(&Self::key(a, b)).map(|m| m.as_ref())
    }

    /// Removes and returns the stored block of `{a, b}` (oriented `K[act(min), act(max)]`).
    pub(super) fn take(&mut self, a: ClusterId, b: ClusterId) -> Option<Mat<f64>> {
        let m = self.blocks.remove(&Self::key(a, b))?;
        self.entries -= m.nrows() * m.ncols();
        if a != b {
            for (x, y) in [(a, b), (b, a)] {
                if let Some(p) = self.partners.get_mut(&x.0) {
                    p.remove(&y.0);
                    if p.is_empty() {
                        self.partners.remove(&x.0);
                    }
                }
            }
        }
        Some(m)
    }

    /// Stores `m = K[act(min(a,b)), act(max(a,b))]`, replacing what was there.
    pub(super) fn put(&mut self, a: ClusterId, b: ClusterId, m: Mat<f64>) {
        self.entries += m.nrows() * m.ncols();
        if let Some(old) = self.blocks.insert(Self::key(a, b), m) {
            self.entries -= old.nrows() * old.ncols();
        }
        if a != b {
            self.partners.entry(a.0).or_default().insert(b.0);
            self.partners.entry(b.0).or_default().insert(a.0);
        }
        self.peak_entries = self.peak_entries.max(self.entries);
    }

    /// Clusters with a stored block shared with `c` (ascending, `c` excluded).
    pub(super) fn partners(&self, c: ClusterId) -> Vec<ClusterId> {
        self.partners.get(&c.0).map_or_else(Vec::new, |p| p.iter().map(|&x| ClusterId(x)).collect())
    }

    /// All stored blocks, consumed in key order.
    pub(super) fn drain(&mut self) -> Vec<((ClusterId, ClusterId), Mat<f64>)> {
        let blocks = std::mem::take(&mut self.blocks);
        self.partners.clear();
        self.entries = 0;
        blocks.into_iter().map(|((a, b), m)| ((ClusterId(a), ClusterId(b)), m)).collect()
    }

    /// Counts `extra` entries held outside the store next to everything stored now.
    pub(super) fn note_transient(&mut self, extra: usize) {
        self.peak_entries = self.peak_entries.max(self.entries + extra);
    }

    /// The most entries held at once so far (stored blocks, and the children's blocks
    /// during a merge; not the working blocks of one elimination).
    pub(super) fn peak_entries(&self) -> usize {
        self.peak_entries
    }
}
