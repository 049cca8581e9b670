//! Small dense helpers on faer matrices, always sequential inside one block (the
//! parallelism of hmatrix is across the blocks of a tree level, which keeps results
//! independent of the thread count).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `C ← β·C + α·A·B` with `β ∈ {0, 1}` (`accumulate`).
#[inline]
pub fn gemm(c: MatMut<'_, f64>, accumulate: bool, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) {
    let acc = if accumulate { Accum::Add } else { Accum::Replace };
    matmul(c, acc, a, b, alpha, Par::Seq);
}

/// `A·B`.
pub fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    gemm(c.as_mut(), false, a, b, 1.0);
    c
}

/// `Aᵀ·B·C`.
pub fn congruence(a: MatRef<'_, f64>, b: MatRef<'_, f64>, c: MatRef<'_, f64>) -> Mat<f64> {
    let t = mul(b, c);
    mul(a.transpose(), t.as_ref())
}

/// Row interpolative decomposition of `M` (m × n): `M ≈ X · M[skel, :]`.
///
/// Column-pivoted QR of `Mᵀ` selects the skeleton rows; the rank is the number of
/// pivots with `|R_kk| > tol · |R_00|`, capped at `max_rank`. Returns the skeleton
/// positions (in pivot order) and `X` (m × rank), whose skeleton rows form the identity.
pub fn row_id(m: MatRef<'_, f64>, tol: f64, max_rank: usize) -> (Vec<usize>, Mat<f64>) {
    let (rows, cols) = (m.nrows(), m.ncols());
    if rows == 0 || cols == 0 {
        return (Vec::new(), Mat::zeros(rows, 0));
    }
    let qr = m.transpose().col_piv_qr();
    let r = qr.R();
    let kmax = rows.min(cols);
    let r00 = r[(0, 0)].abs();
    let mut rank = 0;
    while rank < kmax && r[(rank, rank)].abs() > tol * r00 && r[(rank, rank)].abs() > 0.0 {
        rank += 1;
    }
    rank = rank.min(max_rank);
    let perm = qr.P().arrays().0.to_vec();
    let mut x = Mat::zeros(rows, rank);
    if rank == 0 {
        return (Vec::new(), x);
    }
    // T = R11⁻¹ R12  (rank × (rows − rank))
    let r11 = r.submatrix(0, 0, rank, rank);
    let mut t = r.submatrix(0, rank, rank, rows - rank).to_owned();
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(r11, t.as_mut(), Par::Seq);
    for k in 0..rank {
        x[(perm[k], k)] = 1.0;
    }
    for j in 0..rows - rank {
        for k in 0..rank {
            x[(perm[rank + j], k)] = t[(k, j)];
        }
    }
    (perm[..rank].to_vec(), x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn row_id_reproduces_low_rank_matrix() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for (m, n, k) in [(20, 30, 5), (7, 3, 3), (40, 40, 1), (1, 9, 1)] {
            let a = Mat::from_fn(m, k, |_, _| rng.random::<f64>() - 0.5);
            let b = Mat::from_fn(k, n, |_, _| rng.random::<f64>() - 0.5);
            let mm = mul(a.as_ref(), b.as_ref());
            let (skel, x) = row_id(mm.as_ref(), 1e-12, usize::MAX);
            assert_eq!(skel.len(), k);
            let sk = Mat::from_fn(k, n, |i, j| mm[(skel[i], j)]);
            let approx = mul(x.as_ref(), sk.as_ref());
            let err = (&approx - &mm).norm_l2() / mm.norm_l2();
            assert!(err < 1e-12, "err {err}");
        }
        let (s, x) = row_id(Mat::<f64>::zeros(4, 4).as_ref(), 1e-8, 10);
        assert!(s.is_empty() && x.ncols() == 0);
    }
}
