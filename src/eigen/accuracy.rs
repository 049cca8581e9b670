//! From the accuracy a user asks of eigenvalues to the compression that delivers it
//! cheaply: the rule behind `hmatrix eig --eig-tol / --eig-rtol` without `--tol`/`--leaf`.
//!
//! Where the engine takes A's Rayleigh–Ritz values on refined vectors (`n ≤ exact_limit`),
//! a value's error is second order in the residual of its vector against A,
//! `|θ − λ| ≲ ‖(A − Ã)z‖²/gap`, and that residual is far below the worst case
//! `‖A − Ã‖₂ ≈ tol·‖A‖₂`. The rule `tol = √rel` is therefore empirical, not a bound:
//! measured (docs/benchmarks.md), `tol = 1e-4` meets `1e-8·‖A‖₂` on the Yukawa sphere up to
//! N = 32768 and `tol = 3.2e-5` meets `1e-9·‖A‖₂` on a 10,000-point sphere read from a file.
//! In 1-D and 2-D the ranks stay small at any tolerance, so the compression simply takes
//! `tol = rel` there and the bracket of `Ã` carries the accuracy.
//!
//! Beyond `exact_limit` (or where an eigenvalue sits in a cluster that bisection cannot
//! split into groups of ≤ 8) no Ritz value of A is taken, and the requested accuracy is a
//! target: the certified bracket `[lower, upper]` of each result is the guarantee.

use crate::error::{Error, Result};

/// The accuracy asked of each eigenvalue: the bisection width, absolute or relative to
/// `‖A‖₂` (its estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EigAccuracy {
    /// An absolute width (same units as `A`).
    Absolute(f64),
    /// A width relative to `‖A‖₂`.
    Relative(f64),
}

/// The relative accuracy asked when the user names none: the benchmark criterion
/// `|λ − λ_ref| ≤ 1e-8·‖A‖₂`.
pub const DEFAULT_RELATIVE_ACCURACY: f64 = 1e-8;

impl EigAccuracy {
    /// At most one of an absolute and a relative accuracy, each finite and positive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when both are given, or one is NaN, infinite or ≤ 0.
    pub fn from_options(absolute: Option<f64>, relative: Option<f64>) -> Result<Option<Self>> {
        let check = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(Error::invalid(name, v, "a finite positive number"))
            }
        };
        match (absolute, relative) {
            (Some(_), Some(_)) => {
                Err(Error::invalid("eig_tol", "with eig_rtol", "either an absolute or a relative accuracy"))
            }
            (Some(a), None) => Ok(Some(Self::Absolute(check("eig_tol", a)?))),
            (None, Some(r)) => Ok(Some(Self::Relative(check("eig_rtol", r)?))),
            (None, None) => Ok(None),
        }
    }

    /// The absolute width for a matrix of norm `norm`.
    pub fn absolute(self, norm: f64) -> f64 {
        match self {
            Self::Absolute(a) => a,
            Self::Relative(r) => r * norm,
        }
    }

    /// The width relative to `norm` (an absolute accuracy against a zero norm: 1).
    pub fn relative(self, norm: f64) -> f64 {
        match self {
            Self::Absolute(a) if norm > 0.0 => a / norm,
            Self::Absolute(_) => 1.0,
            Self::Relative(r) => r,
        }
    }
}

/// Compression parameters for eigenvalues to a relative accuracy ([`Compression::for_eigenvalues`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Compression {
    /// The relative compression tolerance (H² construction or skeletonization IDs).
    pub tol: f64,
    /// Leaf size of the cluster tree; `None`: the representation's own default.
    pub leaf_size: Option<usize>,
}

/// Loosest compression tolerance the rule hands out: looser ones were not tried against a
/// dense reference.
const LOOSEST_TOL: f64 = 1e-4;

impl Compression {
    /// The rule of the module docs for a relative accuracy `rel`, on points in `dim`
    /// dimensions (`dim = 0`: no geometry): `tol = rel` for `dim ∈ {1, 2}` (library leaf),
    /// `tol = √rel` otherwise with leaves of 256 (the eigenvalue benchmarks' leaf: larger
    /// dense blocks, fewer levels); both within `[rel, 1e-4]` and `≥ 1e-14`.
    pub fn for_eigenvalues(rel: f64, dim: usize) -> Self {
        let floor = rel.clamp(1e-14, LOOSEST_TOL);
        if (1..=2).contains(&dim) {
            Self { tol: floor, leaf_size: None }
        } else {
            Self { tol: rel.sqrt().clamp(floor, LOOSEST_TOL), leaf_size: Some(256) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_options_are_checked() {
        assert_eq!(EigAccuracy::from_options(None, None).unwrap(), None);
        assert_eq!(EigAccuracy::from_options(Some(0.5), None).unwrap(), Some(EigAccuracy::Absolute(0.5)));
        assert_eq!(EigAccuracy::from_options(None, Some(1e-9)).unwrap(), Some(EigAccuracy::Relative(1e-9)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(EigAccuracy::from_options(Some(bad), None).is_err(), "{bad}");
            assert!(EigAccuracy::from_options(None, Some(bad)).is_err(), "{bad}");
        }
        let both = EigAccuracy::from_options(Some(1e-3), Some(1e-9)).unwrap_err().to_string();
        assert!(both.contains("eig_tol") && both.contains("eig_rtol"), "{both}");
        assert_eq!(EigAccuracy::Relative(1e-8).absolute(1e3), 1e-5);
        assert_eq!(EigAccuracy::Absolute(1e-5).relative(1e3), 1e-8);
        assert_eq!(EigAccuracy::Absolute(1e-5).relative(0.0), 1.0);
    }

    #[test]
    fn compression_rule() {
        let c = Compression::for_eigenvalues(1e-8, 3);
        assert_eq!((c.tol, c.leaf_size), (1e-4, Some(256)));
        assert!((Compression::for_eigenvalues(1e-9, 3).tol - 1e-9f64.sqrt()).abs() < 1e-18);
        assert_eq!(Compression::for_eigenvalues(1e-9, 0).tol, Compression::for_eigenvalues(1e-9, 3).tol);
        // loose requests stop at the loosest tolerance tried; tight ones at the rounding floor
        assert_eq!(Compression::for_eigenvalues(1e-2, 3).tol, 1e-4);
        assert_eq!(Compression::for_eigenvalues(1e-30, 3).tol, 1e-14);
        let c = Compression::for_eigenvalues(1e-8, 2);
        assert_eq!((c.tol, c.leaf_size), (1e-8, None));
        assert_eq!(Compression::for_eigenvalues(1e-2, 1).tol, 1e-4);
        // monotone: a tighter request never gets a looser tolerance
        let mut last = f64::INFINITY;
        for e in 2..16 {
            let t = Compression::for_eigenvalues(10f64.powi(-e), 3).tol;
            assert!(t <= last);
            last = t;
        }
    }
}
