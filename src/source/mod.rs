//! Entry sources: where the numbers of a symmetric matrix come from.
//!
//! Construction only ever asks for sub-blocks `A[rows, cols]` (user indices), so a
//! source never has to hold the N×N matrix: kernels evaluate on demand, explicit
//! matrices are read once, and any closure with a geometry can be compressed.

mod check;
mod exact;

pub use check::{check_finite, check_symmetric};
pub use exact::{checked_entries, entries, exact_product, sampled_norm_estimate, to_dense};

use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::kernel::Kernel;
use faer::{Mat, MatMut};

/// A symmetric matrix given entry-wise. Indices are the user's (0-based).
pub trait EntrySource: Send + Sync {
    /// Dimension `n`.
    fn n(&self) -> usize;

    /// Writes `A[rows[a], cols[b]]` into `out[(a, b)]`.
    ///
    /// `out` has shape `rows.len() × cols.len()`.
    fn block(&self, rows: &[usize], cols: &[usize], out: MatMut<'_, f64>);

    /// The point cloud the indices live on: index `i` belongs to point `i / group()`.
    /// `None` (the default): no geometry, and compressions cluster the indices in their
    /// order (as the points `0, 1, …, n − 1` of a line).
    fn points(&self) -> Option<&Points> {
        None
    }

    /// Consecutive indices per point (default 1; 4 for the orbitals of an atom).
    fn group(&self) -> usize {
        1
    }

    /// One entry `A[i, j]`.
    fn entry(&self, i: usize, j: usize) -> f64 {
        let mut m = Mat::zeros(1, 1);
        self.block(&[i], &[j], m.as_mut());
        m[(0, 0)]
    }
}

/// `A_ij = k(x_i, x_j) + nugget · δ_ij`.
pub struct KernelSource<K: Kernel> {
    points: Points,
    kernel: K,
    nugget: f64,
}

impl<K: Kernel> KernelSource<K> {
    /// A kernel matrix on distinct points with an optional diagonal `nugget ≥ 0`.
    ///
    /// # Errors
    /// [`Error::DuplicatePoints`] if two points coincide; [`Error::InvalidParameter`] for
    /// a negative or non-finite nugget; [`Error::NonFiniteEntry`] if the kernel is not
    /// finite on the diagonal.
    pub fn new(points: Points, kernel: K, nugget: f64) -> Result<Self> {
        if !(nugget.is_finite() && nugget >= 0.0) {
            return Err(Error::invalid("nugget", nugget, "a finite number >= 0"));
        }
        points.check_distinct()?;
        let p = points.point(0);
        if !kernel.eval(p, p).is_finite() {
            return Err(Error::NonFiniteEntry { row: 0, col: 0 });
        }
        Ok(Self { points, kernel, nugget })
    }

    /// The points.
    pub fn points(&self) -> &Points {
        &self.points
    }
}

impl<K: Kernel> EntrySource for KernelSource<K> {
    fn n(&self) -> usize {
        self.points.len()
    }

    fn points(&self) -> Option<&Points> {
        Some(&self.points)
    }

    fn block(&self, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        self.kernel.eval_block(&self.points, rows, cols, out.as_mut());
        if self.nugget != 0.0 {
            for (b, &j) in cols.iter().enumerate() {
                for (a, &i) in rows.iter().enumerate() {
                    if i == j {
                        out[(a, b)] += self.nugget;
                    }
                }
            }
        }
    }
}

/// An explicit, validated symmetric matrix held in memory, optionally with the points its
/// indices live on.
pub struct DenseSource {
    a: Mat<f64>,
    located: Option<Located>,
}

/// Points attached to an explicit source: `n = group · points.len()`.
struct Located {
    points: Points,
    group: usize,
}

impl Located {
    /// `group = n / points.len()`, which must be a whole number.
    fn new(n: usize, points: Points) -> Result<Self> {
        if points.is_empty() || n % points.len() != 0 {
            return Err(Error::SizeMismatch {
                what: "points vs matrix dimension (a divisor of n)",
                expected: n,
                found: points.len(),
            });
        }
        Ok(Located { group: n / points.len(), points })
    }
}

impl DenseSource {
    /// Wraps a square, finite, symmetric matrix.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::NotSquare`], [`Error::NonFiniteEntry`] or
    /// [`Error::NotSymmetric`] (worst `|a_ij − a_ji|` above `1e-12 · max|a|`).
    pub fn new(a: Mat<f64>) -> Result<Self> {
        if a.nrows() == 0 || a.ncols() == 0 {
            return Err(Error::Empty);
        }
        check_symmetric(a.as_ref())?;
        Ok(Self { a, located: None })
    }

    /// Wraps a matrix that [`check_symmetric`] has passed (and that is not empty).
    pub(crate) fn from_checked(a: Mat<f64>) -> Self {
        debug_assert!(a.nrows() > 0 && check_symmetric(a.as_ref()).is_ok());
        Self { a, located: None }
    }

    /// Attaches the points the indices live on (`n / points.len()` consecutive indices per
    /// point: atoms with several orbitals), used by the compressions to cluster the indices.
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] if `points.len()` does not divide `n`.
    pub fn with_points(mut self, points: Points) -> Result<Self> {
        self.located = Some(Located::new(self.a.nrows(), points)?);
        Ok(self)
    }

    /// The matrix.
    pub fn matrix(&self) -> &Mat<f64> {
        &self.a
    }
}

impl EntrySource for DenseSource {
    fn n(&self) -> usize {
        self.a.nrows()
    }

    fn points(&self) -> Option<&Points> {
        self.located.as_ref().map(|l| &l.points)
    }

    fn group(&self) -> usize {
        self.located.as_ref().map_or(1, |l| l.group)
    }

    fn block(&self, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        for (b, &j) in cols.iter().enumerate() {
            let col = self.a.col(j);
            for (a, &i) in rows.iter().enumerate() {
                out[(a, b)] = col[i];
            }
        }
    }
}

/// The points of `src` and the indices per point: its own, or else the indices in order as
/// points of a line (one index each).
///
/// # Errors
/// [`Error::Empty`] for a source of dimension 0.
pub(crate) fn located(src: &dyn EntrySource) -> Result<(std::borrow::Cow<'_, Points>, usize)> {
    match src.points() {
        Some(p) => Ok((std::borrow::Cow::Borrowed(p), src.group())),
        None => Ok((std::borrow::Cow::Owned(Points::index_line(src.n())?), 1)),
    }
}

/// Entries from a user closure `f(i, j)`, which must be symmetric and finite.
pub struct FnSource<F> {
    n: usize,
    f: F,
    located: Option<Located>,
}

impl<F: Fn(usize, usize) -> f64 + Send + Sync> FnSource<F> {
    /// Wraps `f` as an `n × n` symmetric matrix. Symmetry is the caller's promise
    /// (it is spot-checked by the construction's a-posteriori error estimate).
    pub fn new(n: usize, f: F) -> Self {
        Self { n, f, located: None }
    }

    /// Attaches the points the indices live on, as [`DenseSource::with_points`].
    ///
    /// # Errors
    /// [`Error::SizeMismatch`] if `points.len()` does not divide `n`.
    pub fn with_points(mut self, points: Points) -> Result<Self> {
        self.located = Some(Located::new(self.n, points)?);
        Ok(self)
    }
}

impl<F: Fn(usize, usize) -> f64 + Send + Sync> EntrySource for FnSource<F> {
    fn n(&self) -> usize {
        self.n
    }

    fn points(&self) -> Option<&Points> {
        self.located.as_ref().map(|l| &l.points)
    }

    fn group(&self) -> usize {
        self.located.as_ref().map_or(1, |l| l.group)
    }

    fn block(&self, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        for (b, &j) in cols.iter().enumerate() {
            for (a, &i) in rows.iter().enumerate() {
                out[(a, b)] = (self.f)(i, j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::kernel::RadialKernel;

    /// The batched block (gathered coordinates, SIMD sweeps) holds the per-entry kernel
    /// values bit for bit, plus the nugget exactly where a row index meets the same column
    /// index (rows and columns overlap, repeat and come in any order).
    #[test]
    fn blocks_hold_the_entries_and_the_nugget_on_the_diagonal() {
        for (g, n) in [("sphere", 40), ("circle", 33), ("line", 9)] {
            let pts = Geometry::from_name(g).unwrap().generate(n, 3).unwrap();
            for name in RadialKernel::NAMES.split(", ") {
                let k = RadialKernel::from_name(name).unwrap();
                let src = KernelSource::new(pts.clone(), k, 0.25).unwrap();
                let rows: Vec<usize> = (0..n).rev().step_by(2).chain([0, 3]).collect();
                let cols: Vec<usize> = (0..n).step_by(3).chain([3]).collect();
                let mut out = Mat::zeros(rows.len(), cols.len());
                src.block(&rows, &cols, out.as_mut());
                for (a, &i) in rows.iter().enumerate() {
                    for (b, &j) in cols.iter().enumerate() {
                        let want = k.eval(pts.point(i), pts.point(j)) + if i == j { 0.25 } else { 0.0 };
                        assert_eq!(out[(a, b)].to_bits(), want.to_bits(), "{g} {name} ({i}, {j})");
                    }
                }
            }
        }
    }
}
