//! # hmatrix
//!
//! Hierarchical low-rank matrices for dense symmetric matrices that are too big for
//! LAPACK: H² (strong admissibility) and HSS (weak admissibility) in one representation,
//! O(N) matvec, LDLᵀ/ULV factorizations with inertia, and eigenvalues by bisection.
//!
//! The data flows one way:
//! [`geometry`] points → [`cluster`] tree → [`block`] tree → [`h2`] matrix
//! (bases, couplings, dense near blocks) → [`factor`] (LDLᵀ, Cholesky) → [`eigen`]
//! (inertia counts, bisection), with [`source`]/[`kernel`] providing entries,
//! [`io`] the file formats and [`error`] the typed errors.
//!
//! ```
//! use faer::Mat;
//! use hmatrix::eigen::{EigParams, Spectrum};
//! use hmatrix::factor::Ldlt;
//! use hmatrix::geometry::Geometry;
//! use hmatrix::h2::{H2Matrix, H2Params};
//! use hmatrix::kernel::RadialKernel;
//! use hmatrix::source::KernelSource;
//!
//! # fn main() -> hmatrix::Result<()> {
//! let points = Geometry::Sphere.generate(500, 0)?;
//! let src = KernelSource::new(points.clone(), RadialKernel::from_name("yukawa")?, 0.0)?;
//! let h = H2Matrix::build(&src, &points, 1, H2Params::default(), None)?;
//! let x = Mat::from_fn(500, 1, |i, _| (i as f64).sin());
//! let y = h.matvec(x.as_ref()); // O(N)
//! assert!(h.report().rel_err_estimate < 1e-7);
//! let below = Ldlt::new(&h, 500.0)?.inertia().negative; // #eigenvalues below 500
//! let s = Spectrum::new(&h, &src, &EigParams::default())?;
//! let mid = s.kth(250)?; // value and a bracket [lower, upper] for the exact matrix
//! assert!(mid.lower <= mid.value && mid.value <= mid.upper);
//! # let _ = (y, below);
//! # Ok(())
//! # }
//! ```

pub mod batch;
pub mod block;
pub mod cluster;
pub mod dense;
pub mod eigen;
pub mod elses;
pub mod error;
pub mod factor;
pub mod geometry;
pub mod h2;
pub mod io;
pub mod kernel;
pub mod source;

pub use error::{Error, Result};
