//! Dense factorizations of the small diagonal blocks eliminated at each tree node:
//! Bunch–Kaufman `LBLᵀ` (indefinite; 1×1 and 2×2 pivots) and Cholesky `LLᵀ` (SPD).

use super::{Inertia, LogDet};
use crate::error::{Error, Result};
use faer::linalg::solvers::{Lblt, Llt, Solve};
use faer::{MatMut, MatRef, Side};

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

/// Bunch–Kaufman with rook-like partial pivoting (faer's `LBLᵀ`).
pub(crate) struct Bk {
    f: Option<Lblt<f64>>,
    inertia: Inertia,
    logdet: LogDet,
}

impl BlockFactor for Bk {
    fn factor(a: MatRef<'_, f64>, level: usize, block: usize) -> Result<Self> {
        let n = a.nrows();
        if n == 0 {
            return Ok(Bk { f: None, inertia: Inertia::default(), logdet: LogDet::one() });
        }
        let f = Lblt::new(a, Side::Lower);
        let (d, s) = (f.B_diag(), f.B_subdiag());
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
        if let Some(f) = &self.f {
            f.solve_in_place(rhs);
        }
    }

    fn inertia(&self) -> Inertia {
        self.inertia
    }

    fn logdet(&self) -> LogDet {
        self.logdet
    }
}

/// Cholesky `LLᵀ`; a non-positive pivot is [`Error::NotPositiveDefinite`].
pub(crate) struct Chol {
    f: Option<Llt<f64>>,
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
        let f = Llt::new(a, Side::Lower).map_err(|_| Error::NotPositiveDefinite { level, block })?;
        let l = f.L();
        let logabsdet = (0..n).map(|i| 2.0 * l[(i, i)].ln()).sum();
        Ok(Chol { f: Some(f), logdet: LogDet { sign: 1.0, logabsdet }, n })
    }

    fn solve_in_place(&self, rhs: MatMut<'_, f64>) {
        if let Some(f) = &self.f {
            f.solve_in_place(rhs);
        }
    }

    fn inertia(&self) -> Inertia {
        Inertia { negative: 0, zero: 0, positive: self.n }
    }

    fn logdet(&self) -> LogDet {
        self.logdet
    }
}
