//! # hmatrix-bench
//!
//! hmatrix's benchmark suite, kept out of the library so that `hmatrix` builds pure Rust:
//!
//! * [`lapack`] (feature `lapack`): dense `dsyevr`/`dsyevd` baselines on the system
//!   OpenBLAS;
//! * `baselines` (features `scalapack`, `elpa`): ScaLAPACK `pdsyevx`/`pdsyevr` and ELPA on a
//!   BLACS grid under `mpirun`;
//! * the examples: the eigenvalue suite (`bench_eig`, `bench_report`), the scaling sweeps
//!   and the ELSES examples, with their plots (`examples/common`).
//!
//! `build.rs` links the system libraries of the enabled features only. This crate holds
//! all of the workspace's FFI `unsafe` code.

#[cfg(feature = "scalapack")]
pub mod baselines;
#[cfg(feature = "lapack")]
pub mod lapack;
