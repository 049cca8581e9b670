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
#[cfg(feature = "lapack")]
pub mod lapack;
pub mod source;

pub use error::{Error, Result};
