//! Point clouds in 1, 2 or 3 dimensions: validated storage and built-in geometries.
//!
//! Points are stored row-major (`coords[i * dim + a]` is coordinate `a` of point `i`),
//! in the user's order. Clustering permutes internally; the permutation never leaks.

mod generate;

pub use generate::Geometry;

use crate::error::{Error, Result};

/// A validated set of `n ≥ 1` points with `dim ∈ {1, 2, 3}` finite coordinates each.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    dim: usize,
    coords: Vec<f64>,
}

impl Points {
    /// Wraps row-major coordinates.
    ///
    /// # Errors
    /// [`Error::BadDimension`] unless `dim ∈ {1,2,3}`, [`Error::SizeMismatch`] if
    /// `coords.len()` is not a multiple of `dim`, [`Error::Empty`] for no points and
    /// [`Error::NonFinitePoint`] (with the index of the first bad point) for NaN/inf.
    pub fn new(dim: usize, coords: Vec<f64>) -> Result<Self> {
        if !(1..=3).contains(&dim) {
            return Err(Error::BadDimension { dim });
        }
        if coords.len() % dim != 0 {
            return Err(Error::SizeMismatch {
                what: "coordinate count (multiple of dim)",
                expected: coords.len() / dim * dim,
                found: coords.len(),
            });
        }
        if coords.is_empty() {
            return Err(Error::Empty);
        }
        if let Some(p) = coords.iter().position(|c| !c.is_finite()) {
            return Err(Error::NonFinitePoint { index: p / dim, coord: p % dim });
        }
        Ok(Self { dim, coords })
    }

    /// Points `0, 1, …, n-1` on a line: the geometry of a matrix given without coordinates.
    pub fn index_line(n: usize) -> Result<Self> {
        Self::new(1, (0..n).map(|i| i as f64).collect())
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.coords.len() / self.dim
    }

    /// Always false: a `Points` value holds at least one point.
    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }

    /// Spatial dimension (1, 2 or 3).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Coordinates of point `i`.
    #[track_caller]
    #[inline]
    pub fn point(&self, i: usize) -> &[f64] {
        &self.coords[i * self.dim..(i + 1) * self.dim]
    }

    /// Euclidean distance between points `i` and `j`.
    #[inline]
    pub fn dist(&self, i: usize, j: usize) -> f64 {
        dist(self.point(i), self.point(j))
    }

    /// The raw row-major coordinates.
    pub fn coords(&self) -> &[f64] {
        &self.coords
    }

    /// Checks that no two points coincide.
    ///
    /// # Errors
    /// [`Error::DuplicatePoints`] with the two smallest indices of a coinciding pair.
    pub fn check_distinct(&self) -> Result<()> {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.sort_by(|&a, &b| {
            self.point(a).partial_cmp(self.point(b)).expect("coordinates are finite").then(a.cmp(&b))
        });
        for w in idx.windows(2) {
            if self.point(w[0]) == self.point(w[1]) {
                return Err(Error::DuplicatePoints { first: w[0].min(w[1]), second: w[0].max(w[1]) });
            }
        }
        Ok(())
    }
}

/// Euclidean distance of two coordinate slices of equal length.
#[inline]
pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nan_with_index() {
        let e = Points::new(2, vec![0.0, 0.0, 1.0, f64::NAN]).unwrap_err();
        assert_eq!(e, Error::NonFinitePoint { index: 1, coord: 1 });
        let e = Points::new(3, vec![0.0, f64::INFINITY, 0.0]).unwrap_err();
        assert_eq!(e, Error::NonFinitePoint { index: 0, coord: 1 });
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(Points::new(4, vec![0.0; 4]).unwrap_err(), Error::BadDimension { dim: 4 });
        assert_eq!(Points::new(2, vec![]).unwrap_err(), Error::Empty);
        assert!(matches!(Points::new(2, vec![0.0; 3]), Err(Error::SizeMismatch { .. })));
    }

    #[test]
    fn finds_duplicates() {
        let p = Points::new(2, vec![0.0, 0.0, 1.0, 2.0, 3.0, 3.0, 1.0, 2.0]).unwrap();
        assert_eq!(p.check_distinct().unwrap_err(), Error::DuplicatePoints { first: 1, second: 3 });
        let q = Points::new(1, vec![0.0, 1.0, 2.0]).unwrap();
        assert!(q.check_distinct().is_ok());
    }
}
