//! Validation of explicit matrices: finiteness and symmetry, with global positions.

use crate::error::{Error, Result};
use faer::MatRef;

/// Checks that every entry is finite.
///
/// # Errors
/// [`Error::NonFiniteEntry`] with the 0-based position of the first NaN/inf entry in
/// column-major order.
pub fn check_finite(a: MatRef<'_, f64>) -> Result<()> {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            if !a[(i, j)].is_finite() {
                return Err(Error::NonFiniteEntry { row: i, col: j });
            }
        }
    }
    Ok(())
}

/// Checks that a square matrix is symmetric to within `tol = 1e-12 · max |a_ij|`.
///
/// The worst asymmetry `|a_ij − a_ji|` over all pairs is compared with `tol`; an exactly
/// symmetric matrix (including the zero matrix) always passes.
///
/// # Errors
/// [`Error::NotSymmetric`] if the worst difference exceeds `tol`; `row > col` is the
/// lower-triangle position of the worst pair (the first one in column-major order on
/// ties). [`Error::NotSquare`] if `a` is not square and [`Error::NonFiniteEntry`] if an
/// entry is NaN or infinite (symmetry is meaningless then).
pub fn check_symmetric(a: MatRef<'_, f64>) -> Result<()> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::NotSquare { rows: n, cols: a.ncols() });
    }
    check_finite(a)?;
    let mut amax = 0.0f64;
    for j in 0..n {
        for i in 0..n {
            amax = amax.max(a[(i, j)].abs());
        }
    }
    let tol = 1e-12 * amax;
    let mut worst = (0.0f64, 0, 0);
    for j in 0..n {
        for i in j + 1..n {
            let diff = (a[(i, j)] - a[(j, i)]).abs();
            if diff > worst.0 {
                worst = (diff, i, j);
            }
        }
    }
    let (diff, row, col) = worst;
    if diff > tol {
        return Err(Error::NotSymmetric { row, col, diff, tol });
    }
    Ok(())
}
