//! `y = Ã x` in O(N): upward pass, couplings, downward pass, near field.

use super::H2Matrix;
use crate::cluster::ClusterId;
use crate::dense::gemm;
use crate::par::{pmap, Par};
use faer::{Mat, MatRef};

/// Which matrix the tree matvec applies.
#[derive(Clone, Copy)]
enum Apply<'a> {
    /// The H² matrix `Ã` (all stored blocks).
    H2,
    /// The factorizations' `Ã_f`: leaf diagonal blocks and, per non-leaf cluster, the
    /// projected sibling block of its children (`crate::factor::UlvPlan`).
    Factored(&'a [Mat<f64>]),
}

impl H2Matrix<'_> {
    /// `Ã · x` for `x` of shape `n × m` (m right-hand sides), in the user's ordering.
    ///
    /// Deterministic: every output block is accumulated in a fixed order, whatever the
    /// thread count. Panics (misuse) if `x.nrows() ≠ n`.
    #[track_caller]
    pub fn matvec(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.n(), "matvec: x has {} rows, the matrix {}", x.nrows(), self.n());
        self.matvec_user(x, Apply::H2, self.params.par)
    }

    /// `Ã_f · x` with the plan's projected sibling blocks (`UlvPlan::apply`).
    #[track_caller]
    pub(crate) fn matvec_factored(&self, x: MatRef<'_, f64>, sibling: &[Mat<f64>], par: Par) -> Mat<f64> {
        assert_eq!(x.nrows(), self.n(), "apply: x has {} rows, the matrix {}", x.nrows(), self.n());
        self.matvec_user(x, Apply::Factored(sibling), par)
    }

    /// Permutes `x` into tree order, applies, permutes back.
    fn matvec_user(&self, x: MatRef<'_, f64>, apply: Apply<'_>, par: Par) -> Mat<f64> {
        let perm = self.tree.perm();
        let xt = Mat::from_fn(self.n(), x.ncols(), |i, j| x[(perm[i], j)]);
        let yt = self.matvec_tree(xt.as_ref(), apply, par);
        let iperm = self.tree.iperm();
        Mat::from_fn(self.n(), x.ncols(), |i, j| yt[(iperm[i], j)])
    }

    /// Dense `Ã` (H² blocks) in user ordering, by applying it to the identity. O(N²) memory:
    /// for tests and debugging.
    pub fn to_dense(&self) -> Mat<f64> {
        self.matvec(Mat::<f64>::identity(self.n(), self.n()).as_ref())
    }

    /// Matvec in tree ordering.
    fn matvec_tree(&self, x: MatRef<'_, f64>, apply: Apply<'_>, par: Par) -> Mat<f64> {
        let (tree, m) = (&self.tree, x.ncols());
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
                Apply::Factored(sibling) => {
                    if let Some(p) = tree.parent(s) {
                        let [a, b] = tree.children(p).expect("parent");
                        let t = &sibling[p.idx()];
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
            for e in self.blocks.near(c).iter().filter(|e| matches!(apply, Apply::H2) || e.col == c) {
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
