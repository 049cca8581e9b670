//! Distributed dense eigenvalue baselines (features `scalapack`, `elpa`), for benchmarks
//! only; the library core never uses them.
//!
//! * [`Grid`]: a BLACS process grid on an MPI communicator (as square as possible,
//!   row-major rank order), and [`DistMatrix`]: the 2-D block-cyclic piece of a symmetric
//!   matrix that **this rank** owns, filled directly from an
//!   [`EntrySource`](hmatrix::source::EntrySource) — no rank ever holds the N × N matrix.
//! * [`scalapack`]: `pdsyevx` and `pdsyevr`, eigenvalues `il..=iu` only (`range = 'I'`).
//! * `elpa` (feature `elpa`): ELPA 1-stage and 2-stage eigenvalues.
//!
//! The system libraries come from Debian (`libscalapack-openmpi-dev`, `libelpa-dev`) and are
//! linked by `build.rs`; MPI is rsmpi (`mpi` crate), so programs run under `mpirun -np P`
//! (a program started without `mpirun` is a one-rank singleton). MPI can be initialised
//! only once per process: initialise it in `main` and pass the communicator in.
//!
//! All routines are **collective**: every rank of the grid must call them with the same
//! arguments. Argument errors are detected identically on every rank, and entry errors
//! (NaN) are agreed on with an all-reduce, so every rank returns the same `Result`.
//!
//! Together with `crate::lapack` these modules hold all of the crate's `unsafe` code.

mod blacs;
#[cfg(feature = "elpa")]
pub mod elpa;
pub mod scalapack;

pub use blacs::{grid_shape, local_len, local_to_global, DistMatrix, Grid};

use std::fmt;

/// Why a distributed baseline did not return eigenvalues.
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineError {
    /// A ScaLAPACK/BLACS routine returned `info ≠ 0` (`< 0`: argument `−info` was
    /// illegal; `> 0`: see the routine's documentation).
    Info {
        /// The routine, e.g. `"pdsyevx"`.
        routine: &'static str,
        /// Its `info` output.
        info: i32,
    },
    /// A solver returned `found` eigenvalues where `expected` were asked for.
    WrongCount {
        /// The routine.
        routine: &'static str,
        /// `iu − il + 1`.
        expected: usize,
        /// Its `m` output.
        found: i64,
    },
    /// An ELPA call returned an error code other than `ELPA_OK`.
    Elpa {
        /// The call, e.g. `"elpa_setup"` or `"elpa_set_integer(na)"`.
        routine: String,
        /// ELPA's error code.
        code: i32,
        /// ELPA's text for it (`elpa_strerr`).
        message: String,
    },
    /// `il..=iu` is not a non-empty range inside `1..=n`.
    IndexOutOfRange {
        /// First index (1-based).
        il: usize,
        /// Last index (1-based).
        iu: usize,
        /// Dimension.
        n: usize,
    },
    /// The matrix has dimension 0, or the block size is 0.
    Empty,
    /// Some rank's piece has a NaN or infinite entry.
    NonFinite,
    /// A size does not fit the libraries' 32-bit integers.
    TooLarge(usize),
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Info { routine, info } if *info < 0 => {
                write!(f, "{routine}: argument {} had an illegal value (info = {info})", -info)
            }
            BaselineError::Info { routine, info } => write!(f, "{routine} failed (info = {info})"),
            BaselineError::WrongCount { routine, expected, found } => {
                write!(f, "{routine} returned {found} eigenvalues, expected {expected}")
            }
            BaselineError::Elpa { routine, code, message } => {
                write!(f, "{routine}: ELPA error {code}: {message}")
            }
            BaselineError::IndexOutOfRange { il, iu, n } => {
                write!(f, "eigenvalue indices {il}..={iu} are not a range inside 1..={n}")
            }
            BaselineError::Empty => write!(f, "empty matrix or zero block size"),
            BaselineError::NonFinite => write!(f, "the matrix has a NaN or infinite entry"),
            BaselineError::TooLarge(x) => write!(f, "size {x} exceeds the 32-bit integer range"),
        }
    }
}

impl std::error::Error for BaselineError {}

/// `x` as the libraries' 32-bit integer.
fn to_int(x: usize) -> Result<i32, BaselineError> {
    i32::try_from(x).map_err(|_| BaselineError::TooLarge(x))
}

/// Checks `1 ≤ il ≤ iu ≤ n`.
fn check_range(il: usize, iu: usize, n: usize) -> Result<(), BaselineError> {
    if il == 0 || il > iu || iu > n {
        return Err(BaselineError::IndexOutOfRange { il, iu, n });
    }
    Ok(())
}

/// A queried workspace size (`work[0]`, a float) as a buffer length of at least `min`, with
/// 10 % slack (ScaLAPACK's queries are known to be tight for some grids).
fn work_len(q: f64, min: usize) -> Result<usize, BaselineError> {
    if !(q.is_finite() && q >= 0.0 && q < f64::from(i32::MAX)) {
        return Err(BaselineError::TooLarge(q as usize));
    }
    let len = (q.ceil() as usize).max(min);
    Ok(len.saturating_add(len / 10).min(i32::MAX as usize))
}

fn check_info(routine: &'static str, info: i32) -> Result<(), BaselineError> {
    if info == 0 {
        Ok(())
    } else {
        Err(BaselineError::Info { routine, info })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(check_range(1, 1, 1).is_ok());
        assert_eq!(check_range(0, 1, 5), Err(BaselineError::IndexOutOfRange { il: 0, iu: 1, n: 5 }));
        assert!(check_range(3, 2, 5).is_err());
        assert!(check_range(5, 6, 5).is_err());
        assert_eq!(work_len(100.0, 10).unwrap(), 110);
        assert_eq!(work_len(1.0, 50).unwrap(), 55);
        assert!(work_len(f64::NAN, 1).is_err());
        assert!(work_len(1e12, 1).is_err());
        assert_eq!(to_int(1 << 40), Err(BaselineError::TooLarge(1 << 40)));
        assert_eq!(check_info("pdsyevx", 0), Ok(()));
        let e = check_info("pdsyevx", -8).unwrap_err();
        assert_eq!(e.to_string(), "pdsyevx: argument 8 had an illegal value (info = -8)");
        assert!(BaselineError::Info { routine: "pdsyevr", info: 2 }.to_string().contains("pdsyevr failed"));
    }
}
