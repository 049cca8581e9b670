//! Small dense helpers on faer matrices, always sequential inside one block (the
//! parallelism of hmatrix is across the blocks of a tree level, which keeps results
//! independent of the thread count).

use faer::dyn_stack::{MemBuffer, MemStack};
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

/// Eigenvalues (ascending) and eigenvectors of the symmetric part `(G + Gᵀ)/2` of a square
/// `g` (a Rayleigh–Ritz matrix, symmetric up to rounding); `None` if the decomposition fails.
pub fn symmetric_eigen(mut g: Mat<f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    for i in 0..g.nrows() {
        for j in 0..i {
            let v = 0.5 * (g[(i, j)] + g[(j, i)]);
            (g[(i, j)], g[(j, i)]) = (v, v);
        }
    }
    let evd = g.self_adjoint_eigen(faer::Side::Lower).ok()?;
    Some(((0..g.nrows()).map(|i| evd.S()[i]).collect(), evd.U().to_owned()))
}

/// `Aᵀ·B·C`.
pub fn congruence(a: MatRef<'_, f64>, b: MatRef<'_, f64>, c: MatRef<'_, f64>) -> Mat<f64> {
    let t = mul(b, c);
    mul(a.transpose(), t.as_ref())
}

/// Row interpolative decomposition of `M` (m × n): `M ≈ X · M[skel, :]`.
///
/// Column-pivoted QR of `Mᵀ` (or, at loose tolerances, the equivalent pivoted Cholesky of
/// its Gram matrix, see [`row_id_of_transpose`]) selects the skeleton rows; the rank is the
/// number of pivots with `|R_kk| > tol · |R_00|`, capped at `max_rank`. Returns the skeleton
/// positions (in pivot order) and `X` (m × rank), whose skeleton rows form the identity.
#[cfg(test)]
pub fn row_id(m: MatRef<'_, f64>, tol: f64, max_rank: usize) -> (Vec<usize>, Mat<f64>) {
    row_id_of_transpose(m.transpose().to_owned(), tol, max_rank)
}

/// [`row_id`] of `M` given `Mᵀ` (n × m), consumed: the QR runs in its storage (the
/// construction's sampled block rows are tens of MB; a copy and fresh pages cost more
/// than the kernel evaluations that fill them).
///
/// Where the tolerance is loose enough, the pivots come from the Gram matrix instead (see
/// [`gram_is_accurate`]): same skeleton selection rule, 2–3× less time on the
/// construction's tall samples.
pub fn row_id_of_transpose(mt: Mat<f64>, tol: f64, max_rank: usize) -> (Vec<usize>, Mat<f64>) {
    let (cols, rows) = (mt.nrows(), mt.ncols());
    if rows == 0 || cols == 0 {
        return (Vec::new(), Mat::zeros(rows, 0));
    }
    let method = if gram_is_accurate(cols, rows, tol) { IdMethod::Gram } else { IdMethod::Qr };
    let (perm, t) = pivoted_interpolation(mt, tol, max_rank, method);
    let rank = t.nrows();
    let mut x = Mat::zeros(rows, rank);
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

/// How the pivots of a row ID are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdMethod {
    /// Column-pivoted Householder QR of `Mᵀ` (after an unpivoted QR when it is wide).
    Qr,
    /// Diagonally pivoted Cholesky of the Gram matrix `M Mᵀ`.
    Gram,
}

/// Whether the Gram path keeps the truncation exact enough: with `Mᵀ` of size
/// `cols × rows` and `d₀` its largest squared column norm, forming `M Mᵀ` and factoring it
/// perturbs the Schur complements (the squared pivots that are compared with `tol²·d₀`) by
/// at most ≈ `(cols + rows)·ε·d₀`; the Gram path is taken when that worst case stays below
/// 1 % of `tol²·d₀`. At `tol = 1e-4` that admits every sample up to 4.5e5 rows + columns,
/// at `1e-5` up to 4500, at the default `1e-8` none.
fn gram_is_accurate(cols: usize, rows: usize, tol: f64) -> bool {
    100.0 * (cols + rows) as f64 * f64::EPSILON <= tol * tol
}

/// The pivots `perm` (a permutation of the `rows` candidates; the first `rank` are the
/// skeleton) and `T = R₁₁⁻¹ R₁₂` (rank × (rows − rank)) of the column-pivoted factorization
/// `Mᵀ P = Q R`, truncated at the first pivot `|R_kk| ≤ tol·|R₀₀|` (and at `max_rank`).
fn pivoted_interpolation(
    mt: Mat<f64>,
    tol: f64,
    max_rank: usize,
    method: IdMethod,
) -> (Vec<usize>, Mat<f64>) {
    let (cols, rows) = (mt.nrows(), mt.ncols());
    if method == IdMethod::Gram {
        return gram_interpolation(mt, tol, max_rank);
    }
    // A wide sample is first reduced by an unpivoted (blocked, BLAS-3) QR: `Mᵀ = Q₁ R₁`
    // with orthogonal Q₁ leaves column norms and column relations unchanged, so the
    // pivoted QR of the small R₁ picks the same skeleton and the same R.
    let (r, perm) = if cols > 2 * rows { col_piv_qr_owned(qr_r_owned(mt)) } else { col_piv_qr_owned(mt) };
    let r = r.as_ref();
    let kmax = rows.min(cols);
    let r00 = r[(0, 0)].abs();
    let mut rank = 0;
    while rank < kmax && r[(rank, rank)].abs() > tol * r00 && r[(rank, rank)].abs() > 0.0 {
        rank += 1;
    }
    rank = rank.min(max_rank);
    let mut t = r.submatrix(0, rank, rank, rows - rank).to_owned();
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        r.submatrix(0, 0, rank, rank),
        t.as_mut(),
        Par::Seq,
    );
    (perm, t)
}

/// [`pivoted_interpolation`] from `G = M Mᵀ` (lower half, one SYRK) and a left-looking
/// Cholesky with diagonal pivoting, `Pᵀ G P = L Lᵀ`, stopped at the same criterion: the
/// remaining diagonal of the Schur complement is the squared column norm that the pivoted
/// QR compares, so both pick the same skeleton in exact arithmetic, with `R = Lᵀ`.
/// `rows·rank²` flops after the SYRK's `cols·rows²`, against the QR's `2·cols·rows²` at
/// Householder speed.
fn gram_interpolation(mut mt: Mat<f64>, tol: f64, max_rank: usize) -> (Vec<usize>, Mat<f64>) {
    let (cols, rows) = (mt.nrows(), mt.ncols());
    // Squaring entries of 1e-170 (a far Gaussian block) would underflow and of 1e170
    // overflow: scale by a power of two (exact) so that the largest entry is in [1, 2);
    // the pivots and T do not depend on the scale.
    let big = mt.norm_max();
    if big.is_finite() && big > 0.0 {
        mt *= faer::Scale(2f64.powi(-big.log2().floor() as i32));
    }
    let g = lower_gram(mt.as_ref());
    let (perm, l, rank) = pivoted_cholesky(&g, tol, rows.min(cols).min(max_rank));
    // T = R₁₁⁻¹ R₁₂ with R = Lᵀ
    let mut t = l.as_ref().submatrix(rank, 0, rows - rank, rank).transpose().to_owned();
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        l.as_ref().submatrix(0, 0, rank, rank).transpose(),
        t.as_mut(),
        Par::Seq,
    );
    (perm, t)
}

/// The lower half of `Mᵀᵀ Mᵀ = M Mᵀ` for `mt = Mᵀ` (one sequential SYRK).
fn lower_gram(mt: MatRef<'_, f64>) -> Mat<f64> {
    use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure as Bs};
    let rows = mt.ncols();
    let mut g = Mat::zeros(rows, rows);
    let (lower, full) = (Bs::TriangularLower, Bs::Rectangular);
    tri_matmul(g.as_mut(), lower, Accum::Replace, mt.transpose(), full, mt, full, 1.0, Par::Seq);
    g
}

/// Left-looking Cholesky with diagonal pivoting of the symmetric `g` (lower half read),
/// stopped before the first pivot `≤ tol²·max diag(g)` (or NaN) and after `kmax` steps:
/// the permutation, `L` (rows in pivot order, `kmax` columns, the first `rank` filled)
/// and the rank.
fn pivoted_cholesky(g: &Mat<f64>, tol: f64, kmax: usize) -> (Vec<usize>, Mat<f64>, usize) {
    let rows = g.nrows();
    let gsym = |i: usize, j: usize| if i >= j { g[(i, j)] } else { g[(j, i)] };
    let mut perm: Vec<usize> = (0..rows).collect();
    let mut d: Vec<f64> = (0..rows).map(|i| g[(i, i)]).collect();
    let d0 = d.iter().fold(0.0_f64, |m, &x| m.max(x));
    let mut l = Mat::zeros(rows, kmax);
    let mut col = Mat::zeros(rows, 1);
    for k in 0..kmax {
        let p = (k..rows).fold(k, |b, i| if d[i] > d[b] { i } else { b });
        // NaN stops the factorization too
        if d[p].is_nan() || d[p] <= tol * tol * d0 {
            return (perm, l, k);
        }
        perm.swap(k, p);
        d.swap(k, p);
        for j in 0..k {
            let (a, b) = (l[(k, j)], l[(p, j)]);
            (l[(k, j)], l[(p, j)]) = (b, a);
        }
        let lkk = d[k].sqrt();
        // column k below the pivot: (G[perm i, perm k] − L[i, :k] · L[k, :k]) / l_kk
        let m = rows - k - 1;
        for i in 0..m {
            col[(i, 0)] = gsym(perm[k + 1 + i], perm[k]);
        }
        let (top, below) = l.as_ref().split_at_row(k + 1);
        let lk = top.row(k).subcols(0, k).transpose().as_mat();
        matmul(col.as_mut().subrows_mut(0, m), Accum::Add, below.subcols(0, k), lk, -1.0, Par::Seq);
        l[(k, k)] = lkk;
        for i in 0..m {
            let v = col[(i, 0)] / lkk;
            l[(k + 1 + i, k)] = v;
            d[k + 1 + i] -= v * v;
        }
    }
    (perm, l, kmax)
}

/// Sequential column-pivoted QR `A P = Q R` in the storage of `qr`: returns `R`
/// (min(m,n) × n) and the forward permutation (`perm[k]` = original column of pivot `k`).
fn col_piv_qr_owned(mut qr: Mat<f64>) -> (Mat<f64>, Vec<usize>) {
    use faer::linalg::qr::{col_pivoting::factor as cp, no_pivoting::factor::recommended_block_size};
    let (m, n) = (qr.nrows(), qr.ncols());
    let bs = recommended_block_size::<f64>(m, n);
    let mut coeff = Mat::zeros(bs, m.min(n));
    let (mut fwd, mut bwd) = (vec![0usize; n], vec![0usize; n]);
    let mut mem =
        MemBuffer::new(cp::qr_in_place_scratch::<usize, f64>(m, n, bs, Par::Seq, Default::default()));
    cp::qr_in_place(
        qr.as_mut(),
        coeff.as_mut(),
        &mut fwd,
        &mut bwd,
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let k = m.min(n);
    let r = Mat::from_fn(k, n, |i, j| if i <= j { qr[(i, j)] } else { 0.0 });
    (r, fwd)
}

/// The `R` factor (min(m,n) × n) of a sequential Householder QR, in the storage of `qr`.
fn qr_r_owned(mut qr: Mat<f64>) -> Mat<f64> {
    use faer::linalg::qr::no_pivoting::factor as qf;
    let (m, n) = (qr.nrows(), qr.ncols());
    let bs = qf::recommended_block_size::<f64>(m, n);
    let mut coeff = Mat::zeros(bs, m.min(n));
    let mut mem = MemBuffer::new(qf::qr_in_place_scratch::<f64>(m, n, bs, Par::Seq, Default::default()));
    qf::qr_in_place(qr.as_mut(), coeff.as_mut(), Par::Seq, MemStack::new(&mut mem), Default::default());
    Mat::from_fn(m.min(n), n, |i, j| if i <= j { qr[(i, j)] } else { 0.0 })
}

/// Sequential Householder QR of an `m × r` matrix (`r ≤ m`): the full orthogonal `Q`
/// (m × m) and the thin `R` (r × r).
#[cfg(test)]
pub fn full_qr(a: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let (h, r) = Reflectors::qr(a);
    (h.to_dense(), r)
}

/// Sequential thin Householder QR `a = Q R` of an `m × r` matrix (`r ≤ m`): `Q` (m × r,
/// orthonormal columns) and `R` (r × r, upper triangular).
pub fn thin_qr(a: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let (h, r) = Reflectors::qr(a);
    (h.thin_q(), r)
}

/// `x ← x R⁻¹` for an upper triangular `R` (sequential): `Rᵀ xᵀ = xᵀ`.
pub fn solve_right_upper(r: MatRef<'_, f64>, x: MatMut<'_, f64>) {
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
        r.transpose(),
        x.transpose_mut(),
        Par::Seq,
    );
}

/// `x ← R⁻¹ x` for an upper triangular `R` (sequential).
pub fn solve_left_upper(r: MatRef<'_, f64>, x: MatMut<'_, f64>) {
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(r, x, Par::Seq);
}

/// An orthogonal `H = H_1 ⋯ H_m` (`b × b`) kept as its `m` Householder reflectors
/// (faer's blocked form): `Hᵀ D H` costs `≈ 8b²m` flops instead of the `4b³` of two dense
/// products, a saving whenever `m < b/2`.
pub struct Reflectors {
    /// `b × m`, unit lower trapezoidal (the essential parts of the reflectors).
    basis: Mat<f64>,
    /// Block factors, `block_size × m`.
    coeff: Mat<f64>,
}

impl Reflectors {
    /// Sequential Householder QR `a = H [R; 0]` of `a` (`b × m`, `m ≤ b`): the
    /// reflectors and the thin `R` (`m × m`).
    pub fn qr(a: MatRef<'_, f64>) -> (Self, Mat<f64>) {
        use faer::linalg::qr::no_pivoting::factor as qf;
        let (m, n) = (a.nrows(), a.ncols());
        let k = m.min(n);
        let mut qr = a.to_owned();
        let bs = qf::recommended_block_size::<f64>(m, n);
        let mut coeff = Mat::zeros(bs, k);
        let mut mem = MemBuffer::new(qf::qr_in_place_scratch::<f64>(m, n, bs, Par::Seq, Default::default()));
        qf::qr_in_place(qr.as_mut(), coeff.as_mut(), Par::Seq, MemStack::new(&mut mem), Default::default());
        let r = Mat::from_fn(k, n, |i, j| if i <= j { qr[(i, j)] } else { 0.0 });
        let basis = Mat::from_fn(m, k, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Greater => qr[(i, j)],
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Less => 0.0,
        });
        (Reflectors { basis, coeff }, r)
    }

    /// Number of reflectors `m`.
    pub fn len(&self) -> usize {
        self.basis.ncols()
    }

    /// Whether there are no reflectors (`H = I`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The explicit `H` (`b × b`), as `I·H`.
    pub fn to_dense(&self) -> Mat<f64> {
        let mut q = Mat::identity(self.basis.nrows(), self.basis.nrows());
        self.right(q.as_mut());
        q
    }

    /// The first `len()` columns of `H` (`b × m`): the thin `Q` of [`thin_qr`].
    pub fn thin_q(&self) -> Mat<f64> {
        use faer::linalg::householder as hh;
        let (b, m) = (self.basis.nrows(), self.len());
        let mut q = Mat::from_fn(b, m, |i, j| if i == j { 1.0 } else { 0.0 });
        if m == 0 {
            return q;
        }
        let req = hh::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(
            b,
            self.coeff.nrows(),
            m,
        );
        let mut mem = MemBuffer::new(req);
        hh::apply_block_householder_sequence_on_the_left_in_place_with_conj(
            self.basis.as_ref(),
            self.coeff.as_ref(),
            faer::Conj::No,
            q.as_mut(),
            Par::Seq,
            MemStack::new(&mut mem),
        );
        q
    }

    /// `Hᵀ D H` for a square `d` of size `b`.
    pub fn congruence(&self, d: MatRef<'_, f64>) -> Mat<f64> {
        let mut m = d.to_owned();
        self.left_transpose(m.as_mut());
        self.right(m.as_mut());
        m
    }

    /// `m ← Hᵀ m`.
    fn left_transpose(&self, m: MatMut<'_, f64>) {
        use faer::linalg::householder as hh;
        if self.is_empty() {
            return;
        }
        let (b, bs, nc) = (self.basis.nrows(), self.coeff.nrows(), m.ncols());
        let req =
            hh::apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(b, bs, nc);
        let mut mem = MemBuffer::new(req);
        hh::apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
            self.basis.as_ref(),
            self.coeff.as_ref(),
            faer::Conj::No,
            m,
            Par::Seq,
            MemStack::new(&mut mem),
        );
    }

    /// `m ← m H`.
    fn right(&self, m: MatMut<'_, f64>) {
        use faer::linalg::householder as hh;
        if self.is_empty() {
            return;
        }
        let (b, bs, nr) = (self.basis.nrows(), self.coeff.nrows(), m.nrows());
        let req = hh::apply_block_householder_sequence_on_the_right_in_place_scratch::<f64>(b, bs, nr);
        let mut mem = MemBuffer::new(req);
        let stack = MemStack::new(&mut mem);
        hh::apply_block_householder_sequence_on_the_right_in_place_with_conj(
            self.basis.as_ref(),
            self.coeff.as_ref(),
            faer::Conj::No,
            m,
            Par::Seq,
            stack,
        );
    }

    /// Memory held, in `f64` entries.
    pub fn entries(&self) -> usize {
        self.basis.nrows() * self.basis.ncols() + self.coeff.nrows() * self.coeff.ncols()
    }
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

    /// The Gram path picks the QR path's skeleton and reproduces the sample as well, on a
    /// kernel block between two separated random point sets (tall, square-ish and wide
    /// samples, three tolerances, one rank cap).
    #[test]
    fn gram_pivots_match_the_pivoted_qr() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for (rows, cols) in [(60, 700), (90, 130), (45, 40), (1, 17)] {
            let x: Vec<[f64; 2]> = (0..rows).map(|_| [rng.random(), rng.random()]).collect();
            let y: Vec<[f64; 2]> = (0..cols).map(|_| [2.5 + rng.random::<f64>(), rng.random()]).collect();
            let m = Mat::from_fn(rows, cols, |i, j| {
                1.0 / ((x[i][0] - y[j][0]).powi(2) + (x[i][1] - y[j][1]).powi(2)).sqrt()
            });
            for (tol, cap) in [(1e-3, usize::MAX), (1e-4, usize::MAX), (1e-5, usize::MAX), (1e-4, 3)] {
                let mt = m.transpose().to_owned();
                let (pq, tq) = pivoted_interpolation(mt.clone(), tol, cap, IdMethod::Qr);
                let (pg, tg) = pivoted_interpolation(mt, tol, cap, IdMethod::Gram);
                let rank = tq.nrows();
                assert!(rank >= 1 && rank <= cap, "rows {rows} tol {tol}: rank {rank}");
                assert_eq!(tg.nrows(), rank, "rows {rows} cols {cols} tol {tol}: ranks differ");
                assert_eq!(pq[..rank], pg[..rank], "rows {rows} tol {tol}: skeletons differ");
                let resid = |p: &[usize], t: &Mat<f64>| {
                    // M[redundant] − Tᵀ M[skel], rows in pivot order
                    Mat::from_fn(rows - rank, cols, |i, j| {
                        m[(p[rank + i], j)] - (0..rank).map(|k| t[(k, i)] * m[(p[k], j)]).sum::<f64>()
                    })
                    .norm_max()
                };
                let (eq, eg) = (resid(&pq, &tq), resid(&pg, &tg));
                assert!(
                    eg <= 1.01 * eq + 1e-3 * tol * m.norm_max(),
                    "rows {rows} tol {tol}: gram {eg:e} qr {eq:e}"
                );
                if cap == usize::MAX {
                    assert!(eq <= 10.0 * tol * m.norm_max(), "rows {rows} tol {tol}: residual {eq:e}");
                }
            }
        }
    }

    /// Degenerate samples and extreme scales: a zero block (rank 0), an exactly
    /// rank-deficient one, a zero rank cap, and a kernel block scaled by 1e-170 / 1e170
    /// (its Gram matrix would underflow / overflow unscaled): same skeleton as the QR.
    #[test]
    fn gram_pivots_survive_degenerate_and_extreme_inputs() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let (rows, cols) = (30, 200);
        let a = Mat::from_fn(rows, 3, |_, _| rng.random::<f64>() - 0.5);
        let b = Mat::from_fn(3, cols, |_, _| rng.random::<f64>() - 0.5);
        let low_rank = mul(a.as_ref(), b.as_ref());
        let kernel = Mat::from_fn(rows, cols, |i, j| 1.0 / (3.0 + i as f64 / 7.0 + j as f64 / 50.0));
        let cases = [
            (Mat::<f64>::zeros(rows, cols), usize::MAX),
            (low_rank, usize::MAX),
            (kernel.clone(), 0),
            (&kernel * faer::Scale(1e-170), usize::MAX),
            (&kernel * faer::Scale(1e170), usize::MAX),
        ];
        for (c, (m, cap)) in cases.into_iter().enumerate() {
            let mt = m.transpose().to_owned();
            let (pq, tq) = pivoted_interpolation(mt.clone(), 1e-4, cap, IdMethod::Qr);
            let (pg, tg) = pivoted_interpolation(mt, 1e-4, cap, IdMethod::Gram);
            let rank = tq.nrows();
            assert_eq!(tg.nrows(), rank, "case {c}: ranks differ");
            assert_eq!(pq[..rank], pg[..rank], "case {c}: skeletons differ");
            if c == 1 {
                assert_eq!(rank, 3, "the exact rank of the low-rank block");
            }
            if c >= 3 {
                // T's columns follow each method's order of the redundant rows: compare
                // the coefficients by original row
                let by_row = |p: &[usize], t: &Mat<f64>| {
                    let mut x = Mat::<f64>::zeros(rows, rank);
                    for (j, &r) in p[rank..].iter().enumerate() {
                        for k in 0..rank {
                            x[(r, k)] = t[(k, j)];
                        }
                    }
                    x
                };
                let (xq, xg) = (by_row(&pq, &tq), by_row(&pg, &tg));
                let rel = (&xq - &xg).norm_max() / xq.norm_max().max(1.0);
                assert!(rel < 1e-6, "case {c}: interpolation differs by {rel:e}");
            }
        }
    }

    #[test]
    fn gram_only_where_its_rounding_is_below_the_truncation() {
        assert!(gram_is_accurate(5000, 345, 1e-4));
        assert!(gram_is_accurate(3000, 300, 1e-5));
        assert!(!gram_is_accurate(5000, 345, 1e-5));
        assert!(!gram_is_accurate(10, 10, 1e-8));
    }

    #[test]
    fn reflectors_apply_like_their_dense_matrix() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for (b, m) in [(9, 4), (40, 13), (70, 1), (5, 5), (130, 40)] {
            let a = Mat::from_fn(b, m, |_, _| rng.random::<f64>() - 0.5);
            let (h, _) = Reflectors::qr(a.as_ref());
            assert_eq!(h.len(), m);
            let q = h.to_dense();
            let d = Mat::from_fn(b, b, |i, j| ((i * j) as f64).sin() + ((i + j) as f64).cos());
            let fast = h.congruence(d.as_ref());
            let slow = congruence(q.as_ref(), d.as_ref(), q.as_ref());
            assert!((&fast - &slow).norm_max() < 1e-12 * d.norm_max() * b as f64, "b {b} m {m}");
        }
    }

    #[test]
    fn full_qr_is_orthogonal_and_reconstructs() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        for (m, n) in [(5, 2), (40, 13), (3, 3), (70, 1)] {
            let a = Mat::from_fn(m, n, |_, _| rng.random::<f64>() - 0.5);
            let (q, r) = full_qr(a.as_ref());
            let qtq = mul(q.transpose(), q.as_ref());
            assert!((&qtq - &Mat::<f64>::identity(m, m)).norm_max() < 1e-13);
            let back = mul(q.as_ref().subcols(0, n), r.as_ref());
            assert!((&back - &a).norm_max() < 1e-13);
        }
    }
}
