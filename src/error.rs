//! The typed error of every fallible operation in hmatrix.
//!
//! Misuse of the API (shape mismatches, indices out of range in internal calls) panics
//! with `#[track_caller]`; everything a user can cause with data or parameters
//! (bad files, NaN coordinates, a non-symmetric matrix, a shift that hits an
//! eigenvalue, a matrix that is not positive definite) is an [`Error`].

use std::fmt;
use std::path::PathBuf;

/// Convenience alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with user data, parameters or numerics.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A point coordinate is NaN or infinite.
    NonFinitePoint {
        /// Index of the point (0-based, input order).
        index: usize,
        /// Its coordinate axis (0 = x).
        coord: usize,
    },
    /// Two points coincide exactly (a kernel would be evaluated at r = 0 off the diagonal).
    DuplicatePoints {
        /// The first of the two points (input order).
        first: usize,
        /// The second.
        second: usize,
    },
    /// No points / an empty matrix.
    Empty,
    /// Points must have 1, 2 or 3 coordinates.
    BadDimension {
        /// The dimension found.
        dim: usize,
    },
    /// A matrix entry is NaN or infinite.
    NonFiniteEntry {
        /// Global row index (0-based, the user's ordering).
        row: usize,
        /// Global column index.
        col: usize,
    },
    /// The explicit matrix is not symmetric: worst |a_ij - a_ji| at (row, col).
    NotSymmetric {
        /// Row of the worst pair.
        row: usize,
        /// Column of the worst pair.
        col: usize,
        /// `|a_ij − a_ji|`.
        diff: f64,
        /// The tolerance it exceeds.
        tol: f64,
    },
    /// The matrix is not square.
    NotSquare {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// Two sizes that must agree do not.
    SizeMismatch {
        /// Which sizes.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// A file is malformed.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line when known, 0 otherwise.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Unknown kernel / geometry / other name.
    UnknownName {
        /// What was named (`"kernel"`, `"geometry"`, …).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names accepted.
        expected: &'static str,
    },
    /// A parameter is out of its valid range.
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// The valid range.
        expected: &'static str,
    },
    /// Cholesky found a non-positive pivot in the block `block` at `level` of the cluster tree.
    NotPositiveDefinite {
        /// Tree level (0 = root, or the dense top).
        level: usize,
        /// Position of the cluster within its level.
        block: usize,
    },
    /// A pivot of the factorization was NaN or infinite (level and block of the cluster tree).
    NonFinitePivot {
        /// Tree level (0 = root, or the dense top).
        level: usize,
        /// Position of the cluster within its level.
        block: usize,
    },
    /// The matrix was built with far-field-only bases, which cannot be factored accurately.
    NotFactorizable,
    /// An eigenvalue index outside 1..=n.
    IndexOutOfRange {
        /// The index asked for (1-based).
        k: usize,
        /// The dimension.
        n: usize,
    },
    /// An empty or reversed index range / interval.
    EmptyRange {
        /// Lower end, formatted.
        lower: String,
        /// Upper end, formatted.
        upper: String,
    },
    /// A shift stayed within the error estimate of an eigenvalue after all retries.
    ShiftUncertain {
        /// The last shift tried.
        shift: f64,
    },
    /// Another worker of a group that shares a query's jobs (an MPI rank) failed.
    OnWorker {
        /// The worker (rank) that failed.
        worker: usize,
        /// Its error, as text.
        message: String,
    },
    /// MPI could not be initialised as required (feature `mpi`).
    Mpi {
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            NonFinitePoint { index, coord } => {
                write!(f, "point {index} has a non-finite coordinate (axis {coord})")
            }
            DuplicatePoints { first, second } => {
                write!(f, "points {first} and {second} coincide (duplicate points are not allowed with a kernel)")
            }
            Empty => write!(f, "the problem is empty (no points / a 0x0 matrix)"),
            BadDimension { dim } => write!(f, "points must have 1, 2 or 3 coordinates, found {dim}"),
            NonFiniteEntry { row, col } => {
                write!(f, "matrix entry ({row}, {col}) is NaN or infinite")
            }
            NotSymmetric { row, col, diff, tol } => write!(
                f,
                "matrix is not symmetric: |a[{row},{col}] - a[{col},{row}]| = {diff:.3e} > {tol:.3e}"
            ),
            NotSquare { rows, cols } => write!(f, "matrix is not square ({rows} x {cols})"),
            SizeMismatch { what, expected, found } => {
                write!(f, "size mismatch for {what}: expected {expected}, found {found}")
            }
            Io { path, message } => write!(f, "{}: {message}", path.display()),
            Parse { path, line, message } => {
                if *line > 0 {
                    write!(f, "{}:{line}: {message}", path.display())
                } else {
                    write!(f, "{}: {message}", path.display())
                }
            }
            UnknownName { kind, name, expected } => {
                write!(f, "unknown {kind} '{name}' (expected one of: {expected})")
            }
            InvalidParameter { name, value, expected } => {
                write!(f, "invalid {name} = {value} (expected {expected})")
            }
            NotPositiveDefinite { level, block } => write!(
                f,
                "matrix is not positive definite (non-positive pivot in block {block} at level {level}); use the LDL^T factorization or a larger nugget"
            ),
            NonFinitePivot { level, block } => write!(
                f,
                "non-finite pivot in block {block} at level {level} (input contains NaN/inf or overflowed)"
            ),
            NotFactorizable => write!(
                f,
                "this H² matrix was built with far-field-only bases (matvec only); rebuild with BasisSpan::NearAndFar to factor it"
            ),
            IndexOutOfRange { k, n } => write!(f, "eigenvalue index k = {k} is out of range 1..={n}"),
            EmptyRange { lower, upper } => write!(f, "empty range: lower {lower} > upper {upper}"),
            ShiftUncertain { shift } => write!(
                f,
                "shift {shift:e} stays within the compression error of an eigenvalue after retries"
            ),
            OnWorker { worker, message } => write!(f, "rank {worker}: {message}"),
            Mpi { message } => write!(f, "MPI: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Builds an [`Error::Io`] from a path and an I/O error.
    pub fn io(path: impl Into<PathBuf>, e: impl fmt::Display) -> Self {
        Error::Io { path: path.into(), message: e.to_string() }
    }

    /// Builds an [`Error::Parse`].
    pub fn parse(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Error::Parse { path: path.into(), line, message: message.into() }
    }

    /// Builds an [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, value: impl fmt::Display, expected: &'static str) -> Self {
        Error::InvalidParameter { name, value: value.to_string(), expected }
    }
}
