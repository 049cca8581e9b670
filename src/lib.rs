//! # hmatrix
//!
//! Hierarchical low-rank matrices for dense symmetric matrices that are too big for
//! LAPACK: H² (strong admissibility) and HSS (weak admissibility) in one representation,
//! O(N) matvec, LDLᵀ/ULV factorizations with inertia, and eigenvalues by bisection.
//!
//! The data flows one way:
//! [`geometry`] points → [`cluster`] tree → [`block`] tree → far-field samples → [`h2`]
//! matrix (bases, couplings, dense near blocks) → [`factor`] (a [`factor::UlvPlan`] per
//! matrix, `LDLᵀ`/Cholesky per shift; the skeletonization) → [`eigen`] (inertia counts,
//! bisection), with [`source`]/[`kernel`] providing entries, [`io`] the file formats,
//! [`par`] the parallelism and [`error`] the typed errors; `dist` (feature `mpi`) shares
//! the engine's rounds among MPI ranks, beside the engine; the layers are checked
//! (`docs/architecture.md`). [`prelude`] has the names most programs need.
//!
//! ```
//! use faer::Mat;
//! use hmatrix::prelude::*;
//!
//! # fn main() -> hmatrix::Result<()> {
//! let points = Geometry::Sphere.generate(500, 0)?;
//! let src = KernelSource::new(points, RadialKernel::from_name("yukawa")?, 0.0)?;
//! let h = H2Matrix::builder(&src).tol(1e-8).build()?; // the points come from the source
//! let x = Mat::from_fn(500, 1, |i, _| (i as f64).sin());
//! let y = h.matvec(x.as_ref()); // O(N)
//! assert!(h.report().rel_err_estimate < 1e-7);
//! let plan = UlvPlan::new(&h, PlanParams::default())?; // what every shift reuses
//! let below = plan.ldlt(500.0)?.inertia().negative; // #eigenvalues below 500
//! let s = Spectrum::new(&plan, &EigParams::default())?;
//! let mid = s.kth(250)?; // value and a bracket [lower, upper] for the exact matrix
//! assert!(mid.lower <= mid.value && mid.value <= mid.upper);
//! # let _ = (y, below);
//! # Ok(())
//! # }
//! ```

/// Chainable setters for a `#[non_exhaustive]` parameter struct: `fn field(self, value) -> Self`
/// for each listed field (its doc comment says what it sets).
macro_rules! setters {
    ($ty:ty { $($(#[$m:meta])* $field:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                $(#[$m])*
                #[must_use]
                pub fn $field(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

pub mod batch;
pub mod block;
pub mod cluster;
pub(crate) mod dense;
#[cfg(feature = "mpi")]
pub mod dist;
pub mod eigen;
pub mod elses;
pub mod error;
pub mod factor;
pub mod geometry;
pub mod h2;
#[cfg(feature = "ndarray")]
pub mod interop;
pub mod io;
pub mod kernel;
pub mod par;
pub mod prelude;
pub(crate) mod sample;
pub mod source;

pub use error::{Error, Result};

/// The README's code runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
