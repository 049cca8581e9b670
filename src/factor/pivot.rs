//! Dense factorizations of the small diagonal blocks eliminated at each tree node:
//! Bunch–Kaufman `LBLᵀ` (indefinite; 1×1 and 2×2 pivots) and Cholesky `LLᵀ` (SPD).

use super::{Inertia, LogDet};
use crate::error::{Error, Result};
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::perm::Perm;
use faer::{Mat, MatMut, MatRef, Par};

/// A factored symmetric block: solve, inertia and log-determinant.
pub(crate) trait BlockFactor: Sized + Send + Sync {
    /// Factors the symmetric `a` (lower triangle read); `level`/`block` locate it for errors.
    fn factor(a: MatRef<'_, f64>, level: usize, block: usize) -> Result<Self>;
    /// `rhs ← A⁻¹ rhs`.
    fn solve_in_place(&self, rhs: MatMut<'_, f64>);
    /// Inertia of the block (Sylvester: that of its pivots).
    fn inertia(&self) -> Inertia;
    /// `log|det A|` and its sign.
    fn logdet(&self) -> LogDet;
}

/// `(L, diag(B), subdiag(B), P)` of `P A Pᵀ = L B Lᵀ`.
type BkFactors = (Mat<f64>, Diag<f64>, Diag<f64>, Perm<usize>);

/// Bunch–Kaufman with partial pivoting (faer's `LBLᵀ`).
pub(crate) struct Bk {
    /// Unit lower `L` (diagonal holds the 1×1 pivots / 2×2 diagonals), subdiagonal, permutation.
    f: Option<BkFactors>,
    inertia: Inertia,
    logdet: LogDet,
}

impl BlockFactor for Bk {
    fn factor(a: MatRef<'_, f64>, level: usize, block: usize) -> Result<Self> {
        let n = a.nrows();
        if n == 0 {
            return Ok(Bk { f: None, inertia: Inertia::default(), logdet: LogDet::one() });
        }
        let f = bunch_kaufman(a);
        let (d, s) = (f.1.as_ref(), f.2.as_ref());
        let (mut inertia, mut logdet) = (Inertia::default(), LogDet::one());
        let mut i = 0;
        while i < n {
            if i + 1 < n && s[i] != 0.0 {
                // 2×2 pivot [[a, b], [b, c]]: eigenvalue signs from det and trace
                let (p, q, b) = (d[i], d[i + 1], s[i]);
                let det = p * q - b * b;
                if !det.is_finite() || !(p + q).is_finite() {
                    return Err(Error::NonFinitePivot { level, block });
                }
                match det.partial_cmp(&0.0) {
                    Some(std::cmp::Ordering::Less) => {
                        inertia.negative += 1;
                        inertia.positive += 1;
                    }
                    Some(std::cmp::Ordering::Greater) if p + q > 0.0 => inertia.positive += 2,
                    Some(std::cmp::Ordering::Greater) => inertia.negative += 2,
                    _ => {
                        inertia.zero += 1;
                        if p + q > 0.0 {
                            inertia.positive += 1
                        } else if p + q < 0.0 {
                            inertia.negative += 1
                        } else {
                            inertia.zero += 1
                        }
                    }
                }
                logdet.mul(det);
                i += 2;
            } else {
                let p = d[i];
                if !p.is_finite() {
                    return Err(Error::NonFinitePivot { level, block });
                }
                inertia.add_pivot(p);
                logdet.mul(p);
                i += 1;
            }
        }
        Ok(Bk { f: Some(f), inertia, logdet })
    }

    fn solve_in_place(&self, rhs: MatMut<'_, f64>) {
        use faer::linalg::cholesky::lblt::solve as bk;
        if let Some(f) = &self.f {
            // sequential on purpose: the result must not depend on the thread count
            let req = bk::solve_in_place_scratch::<usize, f64>(f.0.nrows(), rhs.ncols(), Par::Seq);
            let mut mem = MemBuffer::new(req);
            let (l, d, s, p) = f;
            bk::solve_in_place(
                l.as_ref(),
                d.as_ref(),
                s.as_ref(),
                p.as_ref(),
                rhs,
                Par::Seq,
                MemStack::new(&mut mem),
            );
        }
    }

    fn inertia(&self) -> Inertia {
        self.inertia
    }

    fn logdet(&self) -> LogDet {
        self.logdet
    }
}

impl Bk {
    /// Bytes of the stored factor (`L`, the pivots and the permutation).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.f.as_ref().map_or(0, |(l, ..)| {
            let n = l.nrows();
            8 * (n * n + 2 * n) + 2 * std::mem::size_of::<usize>() * n
        })
    }
}

/// Cholesky `LLᵀ`; a non-positive pivot is [`Error::NotPositiveDefinite`].
pub(crate) struct Chol {
    /// Lower Cholesky factor (upper triangle unused).
    f: Option<Mat<f64>>,
    logdet: LogDet,
    n: usize,
}

impl BlockFactor for Chol {
    fn factor(a: MatRef<'_, f64>, level: usize, block: usize) -> Result<Self> {
        let n = a.nrows();
        if n == 0 {
            return Ok(Chol { f: None, logdet: LogDet::one(), n });
        }
        if (0..n).any(|j| (j..n).any(|i| !a[(i, j)].is_finite())) {
            return Err(Error::NonFinitePivot { level, block });
        }
        let f = cholesky(a).ok_or(Error::NotPositiveDefinite { level, block })?;
        let l = f.as_ref();
        let logabsdet = (0..n).map(|i| 2.0 * l[(i, i)].ln()).sum();
        Ok(Chol { f: Some(f), logdet: LogDet { sign: 1.0, logabsdet }, n })
    }

    fn solve_in_place(&self, rhs: MatMut<'_, f64>) {
        use faer::linalg::cholesky::llt::solve as ch;
        if let Some(f) = &self.f {
            let req = ch::solve_in_place_scratch::<f64>(f.nrows(), rhs.ncols(), Par::Seq);
            let mut mem = MemBuffer::new(req);
            ch::solve_in_place(f.as_ref(), rhs, Par::Seq, MemStack::new(&mut mem));
        }
    }

    fn inertia(&self) -> Inertia {
        Inertia { negative: 0, zero: 0, positive: self.n }
    }

    fn logdet(&self) -> LogDet {
        self.logdet
    }
}

/// Sequential Bunch–Kaufman `P A Pᵀ = L B Lᵀ` of the lower triangle of `a` (sequential so
/// that results never depend on the thread count).
fn bunch_kaufman(a: MatRef<'_, f64>) -> BkFactors {
    use faer::linalg::cholesky::lblt::factor as bk;
    let n = a.nrows();
    let mut l = Mat::zeros(n, n);
    l.copy_from_triangular_lower(a);
    let mut sub = Diag::zeros(n);
    let (mut fwd, mut bwd) = (vec![0usize; n], vec![0usize; n]);
    let mut mem =
        MemBuffer::new(bk::cholesky_in_place_scratch::<usize, f64>(n, Par::Seq, Default::default()));
    bk::cholesky_in_place(
        l.as_mut(),
        sub.as_mut(),
        &mut fwd,
        &mut bwd,
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let mut d = Diag::zeros(n);
    for i in 0..n {
        d[i] = l[(i, i)];
        l[(i, i)] = 1.0;
        for j in i + 1..n {
            l[(i, j)] = 0.0;
        }
    }
    (l, d, sub, Perm::new_checked(fwd.into_boxed_slice(), bwd.into_boxed_slice(), n))
}

/// Sequential Cholesky of the lower triangle of `a`; `None` if a pivot is not positive.
fn cholesky(a: MatRef<'_, f64>) -> Option<Mat<f64>> {
    use faer::linalg::cholesky::llt::factor as ch;
    let n = a.nrows();
    let mut l = Mat::zeros(n, n);
    l.copy_from_triangular_lower(a);
    let mut mem = MemBuffer::new(ch::cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default()));
    ch::cholesky_in_place(
        l.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .ok()?;
    Some(l)
}
