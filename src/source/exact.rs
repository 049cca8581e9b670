//! Entry access: blocks `A(rows, cols)` and exact products `A·Z` straight from a source.

use super::EntrySource;
use crate::dense::mul;
use crate::error::{Error, Result};
use crate::par::{pmap, Par};
use faer::{Mat, MatMut, MatRef};

/// `A(rows, cols)` from the source (an empty matrix when either list is empty).
pub fn entries(src: &dyn EntrySource, rows: &[usize], cols: &[usize]) -> Mat<f64> {
    let mut m = Mat::zeros(rows.len(), cols.len());
    if !rows.is_empty() && !cols.is_empty() {
        src.block(rows, cols, m.as_mut());
    }
    m
}

/// [`entries`], checked: every entry finite.
///
/// # Errors
/// [`Error::NonFiniteEntry`] with the global row and column of the first NaN/inf entry
/// (column-major order of the block).
pub fn checked_entries(src: &dyn EntrySource, rows: &[usize], cols: &[usize]) -> Result<Mat<f64>> {
    let m = entries(src, rows, cols);
    for (b, &j) in cols.iter().enumerate() {
        if let Some(a) = (0..rows.len()).find(|&a| !m[(a, b)].is_finite()) {
            return Err(Error::NonFiniteEntry { row: rows[a], col: j });
        }
    }
    Ok(m)
}

/// Assembles the whole matrix of a source densely (tests and small references only).
pub fn to_dense(src: &dyn EntrySource) -> Mat<f64> {
    let idx: Vec<usize> = (0..src.n()).collect();
    entries(src, &idx, &idx)
}

/// Rows and columns of one tile of the exact product.
const TILE: usize = 256;

/// `A · z` with every entry of `A` taken from the source, each entry once: `A` is
/// symmetric, so tile `(I, J)`, `I < J`, serves both `y_I += A_IJ z_J` and
/// `y_J += A_IJᵀ z_I` (`N²/2` entries). Row blocks `I` run in order, the tiles of one block
/// row in parallel, and their parts are added in a fixed order, so the result does not
/// depend on the thread count.
pub fn exact_product(src: &dyn EntrySource, z: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let n = src.n();
    let blocks = n.div_ceil(TILE);
    let range = |b: usize| (b * TILE, ((b + 1) * TILE).min(n) - b * TILE);
    let mut out = Mat::zeros(n, z.ncols());
    for bi in 0..blocks {
        let (i0, ni) = range(bi);
        let rows: Vec<usize> = (i0..i0 + ni).collect();
        let tiles: Vec<usize> = (bi..blocks).collect();
        let parts: Vec<(Mat<f64>, Option<Mat<f64>>)> = pmap(par, &tiles, |&bj| {
            let (j0, nj) = range(bj);
            let cols: Vec<usize> = (j0..j0 + nj).collect();
            let mut a = Mat::zeros(ni, nj);
            src.block(&rows, &cols, a.as_mut());
            let own = mul(a.as_ref(), z.subrows(j0, nj));
            let mirrored = (bj > bi).then(|| mul(a.transpose(), z.subrows(i0, ni)));
            (own, mirrored)
        });
        for (bj, (own, mirrored)) in (bi..blocks).zip(parts) {
            add_rows(out.as_mut(), i0, &own);
            if let Some(m) = mirrored {
                add_rows(out.as_mut(), range(bj).0, &m);
            }
        }
    }
    out
}

/// Rows sampled by [`sampled_norm_estimate`], and the columns of `A(S, :)` read at once.
const NORM_ROWS: usize = 64;
const NORM_CHUNK: usize = 4096;

/// An estimate of `‖A‖₂` from `m = min(n, 64)` evenly spaced rows `S`:
/// `√(n/m) · ‖A(S, :)‖₂` (exact when `m = n`). For a matrix dominated by a few smooth
/// eigenvectors (kernel matrices) it is close to `‖A‖₂`; for a diagonal-dominated one it
/// overestimates by up to `√(n/m)`. It reads `m·n` entries (the Gram matrix
/// `A(S,:) A(S,:)ᵀ` column chunk by chunk, summed in a fixed order: the same bits for any
/// thread count), so it costs far less than a product when `n ≫ 64`.
///
/// # Errors
/// [`Error::NonFiniteEntry`] with the global indices of a NaN/inf entry in the sampled rows.
pub fn sampled_norm_estimate(src: &dyn EntrySource, par: Par) -> Result<f64> {
    let n = src.n();
    let m = n.min(NORM_ROWS);
    let rows: Vec<usize> = (0..m).map(|j| ((2 * j + 1) * n) / (2 * m)).collect();
    let chunks: Vec<usize> = (0..n.div_ceil(NORM_CHUNK)).collect();
    let grams = pmap(par, &chunks, |&c| {
        let cols: Vec<usize> = (c * NORM_CHUNK..((c + 1) * NORM_CHUNK).min(n)).collect();
        checked_entries(src, &rows, &cols).map(|b| mul(b.as_ref(), b.transpose()))
    });
    let mut g = Mat::<f64>::zeros(m, m);
    for part in grams {
        g += part?;
    }
    let top = crate::dense::symmetric_eigen(g).and_then(|(w, _)| w.last().copied()).unwrap_or(0.0);
    Ok((n as f64 / m as f64).sqrt() * top.max(0.0).sqrt())
}

/// `out[r0 .. r0 + part.nrows(), :] += part`.
fn add_rows(out: MatMut<'_, f64>, r0: usize, part: &Mat<f64>) {
    let mut dst = out.subrows_mut(r0, part.nrows());
    for j in 0..part.ncols() {
        for i in 0..part.nrows() {
            dst[(i, j)] += part[(i, j)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::DenseSource;

    /// The symmetric tiling equals the dense product, at sizes around the tile (one
    /// entry, a partial tile, one tile ± 1, several with a remainder).
    #[test]
    fn exact_product_matches_the_dense_product() {
        for n in [1, 7, 255, 256, 257, 600] {
            let a = Mat::from_fn(n, n, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64) + ((i + j) as f64).sin());
            let z = Mat::from_fn(n, 3, |i, j| ((i * 3 + j) as f64).cos());
            let src = DenseSource::new(a.clone()).unwrap();
            let got = exact_product(&src, z.as_ref(), crate::par::default_par());
            let want = &a * &z;
            let bound = n as f64 * f64::EPSILON * a.norm_l2() * z.norm_l2();
            assert!((&got - &want).norm_l2() <= bound, "n {n}: {:e}", (&got - &want).norm_l2());
        }
    }

    /// The tiles' parts are summed in a fixed order: the same bits on 1 and 4 threads.
    #[test]
    fn exact_product_is_thread_count_independent() {
        let n = 700;
        let a = Mat::from_fn(n, n, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64).sqrt());
        let z = Mat::from_fn(n, 2, |i, j| ((i * 5 + j) as f64).sin());
        let src = DenseSource::new(a).unwrap();
        let on = |t: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
            pool.install(|| exact_product(&src, z.as_ref(), crate::par::default_par()))
        };
        let (one, four) = (on(1), on(4));
        for j in 0..2 {
            for i in 0..n {
                assert_eq!(one[(i, j)].to_bits(), four[(i, j)].to_bits(), "({i}, {j})");
            }
        }
    }

    /// Exact (the 2-norm) when n ≤ 64; within a factor of the true norm for a kernel-like
    /// matrix, and never below it by more than the row sampling allows; a NaN in a sampled
    /// row is reported with its global indices; thread-count independent.
    #[test]
    fn sampled_norm_estimate_against_the_dense_norm() {
        let smooth =
            |n: usize| Mat::from_fn(n, n, |i, j| (-((i as f64 - j as f64) / n as f64).powi(2) * 4.0).exp());
        let two_norm = |a: &Mat<f64>| a.singular_values().unwrap()[0];
        for n in [1, 5, 64] {
            let a = smooth(n);
            let got = sampled_norm_estimate(&DenseSource::new(a.clone()).unwrap(), Par::Seq).unwrap();
            assert!((got - two_norm(&a)).abs() <= 1e-12 * two_norm(&a), "n {n}: {got}");
        }
        for n in [65, 701, 1499] {
            let a = smooth(n);
            let src = DenseSource::new(a.clone()).unwrap();
            let (got, want) = (sampled_norm_estimate(&src, Par::Seq).unwrap(), two_norm(&a));
            assert!(got >= 0.9 * want && got <= 1.1 * want, "n {n}: {got} vs {want}");
            let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
            let par = pool.install(|| sampled_norm_estimate(&src, crate::par::default_par()).unwrap());
            assert_eq!(got.to_bits(), par.to_bits());
        }
        // the identity: √(n/m) above its norm, as documented
        let id = DenseSource::new(Mat::<f64>::identity(1024, 1024)).unwrap();
        assert_eq!(sampled_norm_estimate(&id, Par::Seq).unwrap(), 4.0);
        let r = ((2 * 7 + 1) * 300) / 128; // the 8th sampled row
        let nan = crate::source::FnSource::new(300, move |i: usize, j: usize| {
            if (i, j) == (r, 299) || (i, j) == (299, r) {
                f64::NAN
            } else {
                1.0 / (1.0 + i.abs_diff(j) as f64)
            }
        });
        match sampled_norm_estimate(&nan, Par::Seq) {
            Err(Error::NonFiniteEntry { row, col }) => assert_eq!((row, col), (r, 299)),
            other => panic!("{other:?}"),
        }
    }
}
