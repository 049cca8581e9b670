//! Forward and backward sweeps of the ULV factorization.
//!
//! Forward (leaves → root), at node `c` with local right-hand side `v_c`:
//! `y = Q_cᵀ v_c`, `u_c = D'_⊥⊥⁻¹ y_⊥`, and `z_c = y_o − Yᵀ y_⊥` goes up.
//! Top (the level-`t` clusters' `z_c` stacked, `top.rs`): `x_top = D_top⁻¹ v_top`. Backward (root → leaves), with `x_o` from the parent:
//! `x_⊥ = u_c − Y x_o`, and `Q_c [x_⊥; x_o]` is the node's solution in its coordinates.

use super::pivot::BlockFactor;
use super::plan::UlvPlan;
use super::ulv::Ulv;
use crate::cluster::ClusterId;
use crate::dense::{gemm, mul};
use crate::h2::H2Matrix;
use crate::par::pmap;
use faer::{Mat, MatRef};

#[track_caller]
pub(crate) fn solve<F: BlockFactor>(plan: &UlvPlan<'_>, f: &Ulv<F>, b: MatRef<'_, f64>) -> Mat<f64> {
    let h = plan.h;
    assert_eq!(b.nrows(), h.n(), "solve: b has {} rows, the matrix {}", b.nrows(), h.n());
    let tree = h.tree();
    let (m, par) = (b.ncols(), plan.par);
    let perm = tree.perm();
    let bt = Mat::from_fn(h.n(), m, |i, j| b[(perm[i], j)]);
    let nc = (2 << tree.depth()) - 1;
    let mut up: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, m)).collect();
    let mut kept: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, m)).collect();
    let t = plan.top.level.max(1);
    for l in (t..=tree.depth()).rev() {
        let ids: Vec<ClusterId> = tree.level(l).collect();
        let out = pmap(par, &ids, |&c| {
            let node = f.nodes[c.idx()].as_ref().expect("factored");
            let v = local(h, c, bt.as_ref(), &up);
            let y = mul(h.full_basis(c).transpose(), v.as_ref());
            let k = node.y.nrows();
            let mut u = y.as_ref().subrows(0, k).to_owned();
            let mut z = y.as_ref().subrows(k, y.nrows() - k).to_owned();
            gemm(z.as_mut(), true, node.y.transpose(), u.as_ref(), -1.0);
            node.cc.solve_in_place(u.as_mut());
            (u, z)
        });
        for (c, (u, z)) in ids.into_iter().zip(out) {
            kept[c.idx()] = u;
            up[c.idx()] = z;
        }
    }
    // down[c]: x_o of node c (its solution in the parent's coordinates)
    let mut down: Vec<Mat<f64>> = (0..nc).map(|_| Mat::zeros(0, m)).collect();
    let mut xt = Mat::zeros(h.n(), m);
    if tree.depth() == 0 {
        let mut x = local(h, tree.root(), bt.as_ref(), &up);
        f.root.solve_in_place(x.as_mut());
        scatter(h, tree.root(), x, &mut down, &mut xt);
    } else {
        // the dense top: the level-t clusters' z_c stacked, solved, handed back
        let offsets = &plan.top.offsets;
        let mut x = Mat::zeros(plan.top.size(), m);
        for (c, &o) in tree.level(t).zip(offsets) {
            x.as_mut().subrows_mut(o, up[c.idx()].nrows()).copy_from(&up[c.idx()]);
        }
        f.root.solve_in_place(x.as_mut());
        for (c, &o) in tree.level(t).zip(offsets) {
            down[c.idx()] = x.as_ref().subrows(o, h.rank(c)).to_owned();
        }
    }
    for l in t..=tree.depth() {
        let ids: Vec<ClusterId> = tree.level(l).collect();
        let out = pmap(par, &ids, |&c| {
            let node = f.nodes[c.idx()].as_ref().expect("factored");
            let xo = &down[c.idx()];
            let mut xc = kept[c.idx()].clone();
            gemm(xc.as_mut(), true, node.y.as_ref(), xo.as_ref(), -1.0);
            let (k, r) = (xc.nrows(), xo.nrows());
            let mut both = Mat::zeros(k + r, m);
            both.as_mut().subrows_mut(0, k).copy_from(&xc);
            both.as_mut().subrows_mut(k, r).copy_from(xo);
            mul(h.full_basis(c), both.as_ref())
        });
        for (c, x) in ids.into_iter().zip(out) {
            scatter(h, c, x, &mut down, &mut xt);
        }
    }
    let iperm = tree.iperm();
    Mat::from_fn(h.n(), m, |i, j| xt[(iperm[i], j)])
}

/// Right-hand side of node `c` in its coordinates: `b_c` at a leaf, `[z_c1; z_c2]` above.
fn local(h: &H2Matrix, c: ClusterId, b: MatRef<'_, f64>, up: &[Mat<f64>]) -> Mat<f64> {
    match h.tree().children(c) {
        None => {
            let cl = h.tree().cluster(c);
            b.subrows(cl.start, cl.size()).to_owned()
        }
        Some([a, d]) => {
            let (ra, rd) = (up[a.idx()].nrows(), up[d.idx()].nrows());
            let mut v = Mat::zeros(ra + rd, b.ncols());
            v.as_mut().subrows_mut(0, ra).copy_from(&up[a.idx()]);
            v.as_mut().subrows_mut(ra, rd).copy_from(&up[d.idx()]);
            v
        }
    }
}

/// Hands node `c`'s solution (in its coordinates) to its children, or writes a leaf's.
fn scatter(h: &H2Matrix, c: ClusterId, x: Mat<f64>, down: &mut [Mat<f64>], xt: &mut Mat<f64>) {
    match h.tree().children(c) {
        None => {
            let cl = h.tree().cluster(c);
            xt.as_mut().subrows_mut(cl.start, cl.size()).copy_from(&x);
        }
        Some([a, b]) => {
            let ra = h.rank(a);
            down[a.idx()] = x.as_ref().subrows(0, ra).to_owned();
            down[b.idx()] = x.as_ref().subrows(ra, h.rank(b)).to_owned();
        }
    }
}
