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
    let cols: Option<Vec<&[f64]>> =
        (0..n).map(|j| a.col(j).try_as_col_major().map(|c| c.as_slice())).collect();
    let worst = match cols {
        Some(cols) => worst_pair(n, |i, j| cols[j][i]),
        None => worst_pair(n, |i, j| a[(i, j)]),
    };
    let (diff, row, col) = worst;
    let tol = 1e-12 * max_abs(a);
    if diff > tol {
        return Err(Error::NotSymmetric { row, col, diff, tol });
    }
    Ok(())
}

/// `max |a_ij|`.
fn max_abs(a: MatRef<'_, f64>) -> f64 {
    (0..a.ncols()).fold(0.0f64, |m, j| a.col(j).iter().fold(m, |m, x| m.max(x.abs())))
}

/// The worst `|a_ij − a_ji|` over `i > j` with its `(i, j)`: tiles of the lower triangle
/// against their mirror tiles, so that both stay in cache (a column-by-column sweep reads
/// the upper triangle with stride n); the first worst pair in column-major order, whatever
/// the tile order.
fn worst_pair(n: usize, at: impl Fn(usize, usize) -> f64) -> (f64, usize, usize) {
    const TILE: usize = 64;
    let mut worst = (0.0f64, 0, 0);
    for jb in (0..n).step_by(TILE) {
        for ib in (jb..n).step_by(TILE) {
            for j in jb..(jb + TILE).min(n) {
                for i in (j + 1).max(ib)..(ib + TILE).min(n) {
                    let diff = (at(i, j) - at(j, i)).abs();
                    if diff > worst.0 || (diff == worst.0 && diff > 0.0 && (j, i) < (worst.2, worst.1)) {
                        worst = (diff, i, j);
                    }
                }
            }
        }
    }
    worst
}
