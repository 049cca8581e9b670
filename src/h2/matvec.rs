//! `y = Ã x` in O(N): upward pass, couplings, downward pass, near field.

use super::build::pmap;
use super::H2Matrix;
use crate::cluster::ClusterId;
use crate::dense::gemm;
use faer::{Mat, MatRef};

/// Which matrix the tree matvec applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Apply {
    /// The H² matrix `Ã` (all stored blocks).
    H2,
    /// The factorizations' `Ã_f` (leaf diagonal blocks and projected sibling blocks).
    Factored,
}

impl H2Matrix {
    /// `Ã · x` for `x` of shape `n × m` (m right-hand sides), in the user's ordering.
    ///
    /// Deterministic: every output block is accumulated in a fixed order, whatever the
    /// thread count. Panics (misuse) if `x.nrows() ≠ n`.
    #[track_caller]
    pub fn matvec(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.n(), "matvec: x has {} rows, the matrix {}", x.nrows(), self.n());
        let perm = self.tree.perm();
        let xt = Mat::from_fn(self.n(), x.ncols(), |i, j| x[(perm[i], j)]);
        let yt = self.matvec_tree(xt.as_ref(), Apply::H2);
        let iperm = self.tree.iperm();
        Mat::from_fn(self.n(), x.ncols(), |i, j| yt[(iperm[i], j)])
    }

    /// `Ã_f · x`, where `Ã_f` is the matrix the factorizations factor *exactly*: the
    /// leaf diagonal blocks plus, for every pair of siblings, `U_c1 T U_c2ᵀ` with the
    /// projected sibling block `T = U_c1ᵀ Ã(c1, c2) U_c2` (big bases). It differs from
    /// `Ã` by the parts of the off-diagonal blocks outside the bases (≈ tol).
    ///
    /// # Errors
    /// [`Error::NotFactorizable`](crate::Error::NotFactorizable) for far-only bases.
    #[track_caller]
    pub fn matvec_factored(&self, x: MatRef<'_, f64>) -> crate::Result<Mat<f64>> {
        assert_eq!(x.nrows(), self.n(), "matvec: x has {} rows, the matrix {}", x.nrows(), self.n());
        if !self.is_factorizable() {
            return Err(crate::Error::NotFactorizable);
        }
        let perm = self.tree.perm();
        let xt = Mat::from_fn(self.n(), x.ncols(), |i, j| x[(perm[i], j)]);
        let yt = self.matvec_tree(xt.as_ref(), Apply::Factored);
        let iperm = self.tree.iperm();
        Ok(Mat::from_fn(self.n(), x.ncols(), |i, j| yt[(iperm[i], j)]))
    }

    /// Dense `Ã` (H² blocks) in user ordering, by applying it to the identity. O(N²) memory:
    /// for tests and debugging.
    pub fn to_dense(&self) -> Mat<f64> {
        self.matvec(Mat::<f64>::identity(self.n(), self.n()).as_ref())
    }

    /// Matvec in tree ordering.
    pub(crate) fn matvec_tree(&self, x: MatRef<'_, f64>, apply: Apply) -> Mat<f64> {
        let (tree, par, m) = (&self.tree, self.params.parallel, x.ncols());
        let depth = tree.depth();
        let nc = (2 << depth) - 1;
        // upward: xh[c] = U_cᵀ x_c (leaf) or E_cᵀ [xh_c1; xh_c2]
        let mut xh: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, m)).collect();
        for l in (1..=depth).rev() {
            let ids: Vec<ClusterId> = tree.level(l).collect();
            let out = pmap(par, &ids, |&c| {
                let input = self.local_input(c, x, &xh);
                let mut o = Mat::zeros(self.rank(c), m);
                gemm(o.as_mut(), false, self.u(c).transpose(), input.as_ref(), 1.0);
                o
            });
            for (c, o) in ids.into_iter().zip(out) {
                xh[c.idx()] = o;
            }
        }
        // couplings: yh[s] = Σ S_st xh[t]
        let all: Vec<ClusterId> = (0..nc).map(|i| ClusterId(i as u32)).collect();
        let mut yh = pmap(par, &all, |&s| {
            let mut o = Mat::zeros(self.rank(s), m);
            match apply {
                Apply::H2 => {
                    for e in self.blocks.far(s) {
                        let sm = &self.coupling[e.slot];
                        let sref = if e.transposed { sm.transpose() } else { sm.as_ref() };
                        gemm(o.as_mut(), true, sref, xh[e.col.idx()].as_ref(), 1.0);
                    }
                }
                Apply::Factored => {
                    if let Some(p) = tree.parent(s) {
                        let [a, b] = tree.children(p).expect("parent");
                        let t = &self.sibling[p.idx()];
                        let (tref, other) = if s == a { (t.as_ref(), b) } else { (t.transpose(), a) };
                        gemm(o.as_mut(), true, tref, xh[other.idx()].as_ref(), 1.0);
                    }
                }
            }
            o
        });
        // downward: [yh_c1; yh_c2] += E_c yh_c
        for l in 1..depth {
            let ids: Vec<ClusterId> = tree.level(l).collect();
            let out = pmap(par, &ids, |&c| crate::dense::mul(self.u(c), yh[c.idx()].as_ref()));
            for (c, o) in ids.into_iter().zip(out) {
                let [a, b] = tree.children(c).expect("non-leaf");
                let ra = self.rank(a);
                yh[a.idx()] += o.as_ref().subrows(0, ra);
                yh[b.idx()] += o.as_ref().subrows(ra, self.rank(b));
            }
        }
        // leaves: y_c = U_c yh_c + Σ D_ct x_t
        let leaves: Vec<ClusterId> = tree.level(depth).collect();
        let out = pmap(par, &leaves, |&c| {
            let cl = tree.cluster(c);
            let mut o = Mat::zeros(cl.size(), m);
            if depth > 0 {
                gemm(o.as_mut(), false, self.u(c), yh[c.idx()].as_ref(), 1.0);
            }
            for e in self.blocks.near(c).iter().filter(|e| apply == Apply::H2 || e.col == c) {
                let d = &self.near[e.slot];
                let dref = if e.transposed { d.transpose() } else { d.as_ref() };
                let tc = tree.cluster(e.col);
                gemm(o.as_mut(), true, dref, x.subrows(tc.start, tc.size()), 1.0);
            }
            o
        });
        let mut y = Mat::zeros(self.n(), m);
        for (c, o) in leaves.into_iter().zip(out) {
            let cl = tree.cluster(c);
            y.as_mut().subrows_mut(cl.start, cl.size()).copy_from(&o);
        }
        y
    }

    /// The input of cluster `c` in its own coordinates: `x_c` at a leaf, `[xh_c1; xh_c2]` above.
    fn local_input(&self, c: ClusterId, x: MatRef<'_, f64>, xh: &[Mat<f64>]) -> Mat<f64> {
        match self.tree.children(c) {
            None => {
                let cl = self.tree.cluster(c);
                x.subrows(cl.start, cl.size()).to_owned()
            }
            Some([a, b]) => {
                let (ra, rb) = (self.rank(a), self.rank(b));
                let mut v = Mat::zeros(ra + rb, x.ncols());
                v.as_mut().subrows_mut(0, ra).copy_from(&xh[a.idx()]);
                v.as_mut().subrows_mut(ra, rb).copy_from(&xh[b.idx()]);
                v
            }
        }
    }
}
