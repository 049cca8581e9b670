//! Dense LAPACK eigenvalue baselines (feature `lapack`): safe wrappers around `dsyevr` and
//! `dsyevd` from the system OpenBLAS (Debian's `libopenblas-dev`, which contains LAPACK;
//! `build.rs` links `-lopenblas` when the feature is on).
//!
//! With `baselines` (features `scalapack`, `elpa`) this is the crate's only FFI. The
//! wrappers copy the lower triangle of the input into a contiguous column-major buffer
//! (LAPACK overwrites it), run LAPACK's workspace query, and then the solver, eigenvalues
//! only (`jobz = 'N'`). They are meant as reference
//! values and timing baselines for small to medium `n` (dense O(n²) memory, O(n³) time).
//!
//! Threads: OpenBLAS picks its own thread count (`OPENBLAS_NUM_THREADS`, default = the
//! number of cores); the wrappers set nothing, [`set_num_threads`] changes it.

use faer::MatRef;
use std::ffi::c_char;
use std::fmt;

/// Why a LAPACK call did not return eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LapackError {
    /// A LAPACK routine returned `info ≠ 0`: `< 0` means argument `−info` was illegal,
    /// `> 0` means the algorithm failed to converge (see the routine's documentation).
    Info {
        /// The routine (`"dsyevr"`, `"dsyevd"`).
        routine: &'static str,
        /// Its `info` output.
        info: i32,
    },
    /// The interval `(vl, vu]` of a range-'V' call is empty or has a NaN end.
    BadInterval {
        /// Lower end (exclusive).
        vl: f64,
        /// Upper end (inclusive).
        vu: f64,
    },
    /// The matrix is not square.
    NotSquare {
        /// Rows of the input.
        rows: usize,
        /// Columns of the input.
        cols: usize,
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
    /// The lower triangle contains a NaN or an infinity.
    NonFinite,
    /// `n` or a workspace size does not fit LAPACK's 32-bit integers.
    TooLarge(usize),
}

impl fmt::Display for LapackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LapackError::Info { routine, info } if info < 0 => {
                write!(f, "LAPACK {routine}: argument {} had an illegal value (info = {info})", -info)
            }
            LapackError::Info { routine, info } => {
                write!(f, "LAPACK {routine}: no convergence (info = {info})")
            }
            LapackError::BadInterval { vl, vu } => {
                write!(f, "LAPACK: the interval ({vl}, {vu}] is empty or has a NaN end")
            }
            LapackError::NotSquare { rows, cols } => {
                write!(f, "LAPACK: matrix is {rows} × {cols}, expected a square matrix")
            }
            LapackError::IndexOutOfRange { il, iu, n } => {
                write!(f, "LAPACK: eigenvalue indices {il}..={iu} are not a range inside 1..={n}")
            }
            LapackError::NonFinite => write!(f, "LAPACK: the matrix has a NaN or infinite entry"),
            LapackError::TooLarge(x) => write!(f, "LAPACK: size {x} exceeds the 32-bit integer range"),
        }
    }
}

impl std::error::Error for LapackError {}

fn to_int(x: usize) -> Result<i32, LapackError> {
    i32::try_from(x).map_err(|_| LapackError::TooLarge(x))
}

/// Workspace size returned by a query (`work[0]` is a float) as a buffer length ≥ `min`.
fn work_len(q: f64, min: usize) -> Result<usize, LapackError> {
    if !(q.is_finite() && q >= 0.0 && q < i32::MAX as f64 + 1.0) {
        return Err(LapackError::TooLarge(q as usize));
    }
    Ok((q.ceil() as usize).max(min))
}

/// Checks squareness and finiteness and copies the lower triangle into a column-major
/// `n × n` buffer with leading dimension `max(1, n)` (the upper triangle is left zero; LAPACK
/// with `uplo = 'L'` does not read it).
fn lower_copy(a: MatRef<'_, f64>) -> Result<(usize, Vec<f64>), LapackError> {
    let (rows, cols) = (a.nrows(), a.ncols());
    if rows != cols {
        return Err(LapackError::NotSquare { rows, cols });
    }
    let n = rows;
    to_int(n)?;
    let len = n.checked_mul(n).ok_or(LapackError::TooLarge(n))?;
    let mut buf = vec![0.0; len.max(1)];
    for j in 0..n {
        for i in j..n {
            let x = a[(i, j)];
            if !x.is_finite() {
                return Err(LapackError::NonFinite);
            }
            buf[j * n + i] = x;
        }
    }
    Ok((n, buf))
}

fn check_info(routine: &'static str, info: i32) -> Result<(), LapackError> {
    if info == 0 {
        Ok(())
    } else {
        Err(LapackError::Info { routine, info })
    }
}

/// Runs a LAPACK routine with its workspace query: `call(work, lwork, iwork, liwork)`
/// returns `info`; it is called once with one-entry buffers and `lwork = liwork = −1`,
/// then with buffers of at least the queried sizes and the documented minima.
fn with_workspace(
    routine: &'static str,
    min_work: usize,
    min_iwork: usize,
    mut call: impl FnMut(&mut [f64], i32, &mut [i32], i32) -> i32,
) -> Result<(), LapackError> {
    let (mut work_q, mut iwork_q) = ([0.0_f64; 1], [0_i32; 1]);
    check_info(routine, call(&mut work_q, -1, &mut iwork_q, -1))?;
    let lwork = work_len(work_q[0], min_work.max(1))?;
    let liwork = work_len(iwork_q[0] as f64, min_iwork.max(1))?;
    let (mut work, mut iwork) = (vec![0.0_f64; lwork], vec![0_i32; liwork]);
    check_info(routine, call(&mut work, to_int(lwork)?, &mut iwork, to_int(liwork)?))
}

/// Which eigenvalues `dsyevr` computes.
#[derive(Debug, Clone, Copy)]
enum Range {
    /// Indices `il..=iu` (1-based), range 'I'.
    Index(usize, usize),
    /// Values in `(vl, vu]`, range 'V'.
    Value(f64, f64),
}

/// Eigenvalues `il..=iu` (1-based, ascending) of the symmetric matrix whose **lower
/// triangle** is `a`, by LAPACK `dsyevr` (`jobz = 'N'`, `range = 'I'`, `uplo = 'L'`,
/// `abstol = 2·dlamch('S')`, the most accurate bisection tolerance).
///
/// Cost: one Householder tridiagonalisation (4/3 n³ flops) dominates; the selected
/// eigenvalues then come from bisection on the tridiagonal matrix.
///
/// # Errors
/// [`LapackError::NotSquare`], [`LapackError::IndexOutOfRange`] unless `1 ≤ il ≤ iu ≤ n`,
/// [`LapackError::NonFinite`], [`LapackError::TooLarge`], [`LapackError::Info`].
pub fn dsyevr_range(a: MatRef<'_, f64>, il: usize, iu: usize) -> Result<Vec<f64>, LapackError> {
    dsyevr(a, Range::Index(il, iu))
}

/// All eigenvalues in the half-open interval `(vl, vu]` (ascending) of the symmetric matrix
/// whose **lower triangle** is `a`, by LAPACK `dsyevr` (`range = 'V'`, otherwise as
/// [`dsyevr_range`]). The result may be empty.
///
/// # Errors
/// [`LapackError::BadInterval`] unless `vl < vu` (both not NaN), [`LapackError::NotSquare`],
/// [`LapackError::NonFinite`], [`LapackError::TooLarge`], [`LapackError::Info`].
pub fn dsyevr_interval(a: MatRef<'_, f64>, vl: f64, vu: f64) -> Result<Vec<f64>, LapackError> {
    if vl.is_nan() || vu.is_nan() || vl >= vu {
        return Err(LapackError::BadInterval { vl, vu });
    }
    dsyevr(a, Range::Value(vl, vu))
}

/// `dsyevr` with `jobz = 'N'`, `uplo = 'L'`, `abstol = 2·dlamch('S')` on a copy of `a`.
fn dsyevr(a: MatRef<'_, f64>, range: Range) -> Result<Vec<f64>, LapackError> {
    let (n, mut buf) = lower_copy(a)?;
    let (range_c, il, iu, vl, vu) = match range {
        Range::Index(il, iu) => {
            if il == 0 || il > iu || iu > n {
                return Err(LapackError::IndexOutOfRange { il, iu, n });
            }
            (b'I', il, iu, 0.0, 0.0)
        }
        Range::Value(..) if n == 0 => return Ok(Vec::new()),
        Range::Value(vl, vu) => (b'V', 1, 1, vl, vu),
    };
    let (jobz, range_c, uplo, cmach) = (b'N' as c_char, range_c as c_char, b'L' as c_char, b'S' as c_char);
    let n_i = to_int(n)?;
    let lda = n_i.max(1);
    let (il_i, iu_i) = (to_int(il)?, to_int(iu)?);
    // SAFETY: `dlamch_` reads one character through a valid pointer to a local and returns
    // a number; it has no other side effects. (lapack-sys declares no hidden Fortran string
    // length argument; LAPACK reads only the first character of a `CHARACTER*1` argument.)
    let abstol = 2.0 * unsafe { lapack_sys::dlamch_(&cmach) };
    let mut m: i32 = 0;
    let mut w = vec![0.0_f64; n.max(1)];
    let mut z = [0.0_f64; 1]; // not referenced for jobz = 'N'; ldz = 1 is valid then
    let ldz: i32 = 1;
    let mut isuppz = vec![0_i32; 2 * n.max(1)];
    with_workspace("dsyevr", 26 * n, 10 * n, |work, lwork, iwork, liwork| {
        let mut info: i32 = 0;
        // SAFETY: every pointer points to a live local or Vec of at least the length LAPACK
        // may touch: `buf` is n·n (≥ 1) with lda = max(1, n), `w` has max(1, n) entries (at
        // most n are written), `isuppz` 2·max(1, n), `z` one entry with ldz = 1 (not
        // referenced for jobz = 'N'), `work`/`iwork` hold `lwork`/`liwork` entries (one
        // each for the query, which writes only the first). Scalars are references to
        // locals that outlive the synchronous call, which keeps no pointer.
        unsafe {
            lapack_sys::dsyevr_(
                &jobz,
                &range_c,
                &uplo,
                &n_i,
                buf.as_mut_ptr(),
                &lda,
                &vl,
                &vu,
                &il_i,
                &iu_i,
                &abstol,
                &mut m,
                w.as_mut_ptr(),
                z.as_mut_ptr(),
                &ldz,
                isuppz.as_mut_ptr(),
                work.as_mut_ptr(),
                &lwork,
                iwork.as_mut_ptr(),
                &liwork,
                &mut info,
            );
        }
        info
    })?;
    let m = usize::try_from(m).map_err(|_| LapackError::Info { routine: "dsyevr", info: i32::MIN })?.min(n);
    w.truncate(m);
    Ok(w)
}

/// All eigenvalues (ascending) of the symmetric matrix whose **lower triangle** is `a`, by
/// LAPACK `dsyevd` (`jobz = 'N'`, `uplo = 'L'`).
///
/// # Errors
/// [`LapackError::NotSquare`], [`LapackError::NonFinite`], [`LapackError::TooLarge`],
/// [`LapackError::Info`].
pub fn dsyevd_all(a: MatRef<'_, f64>) -> Result<Vec<f64>, LapackError> {
    let (n, mut buf) = lower_copy(a)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let (jobz, uplo) = (b'N' as c_char, b'L' as c_char);
    let n_i = to_int(n)?;
    let lda = n_i;
    let mut w = vec![0.0_f64; n];
    with_workspace("dsyevd", 2 * n + 1, 1, |work, lwork, iwork, liwork| {
        let mut info: i32 = 0;
        // SAFETY: `buf` is n·n with lda = n ≥ 1, `w` has n entries, `work`/`iwork` hold
        // `lwork`/`liwork` entries (one each for the query, which writes only the first).
        // Scalars are references to locals that outlive the synchronous call, which keeps
        // no pointer.
        unsafe {
            lapack_sys::dsyevd_(
                &jobz,
                &uplo,
                &n_i,
                buf.as_mut_ptr(),
                &lda,
                w.as_mut_ptr(),
                work.as_mut_ptr(),
                &lwork,
                iwork.as_mut_ptr(),
                &liwork,
                &mut info,
            );
        }
        info
    })?;
    Ok(w)
}

extern "C" {
    /// BLAS `dgemm` (Fortran interface) from the same OpenBLAS.
    fn dgemm_(
        transa: *const c_char,
        transb: *const c_char,
        m: *const std::ffi::c_int,
        n: *const std::ffi::c_int,
        k: *const std::ffi::c_int,
        alpha: *const f64,
        a: *const f64,
        lda: *const std::ffi::c_int,
        b: *const f64,
        ldb: *const std::ffi::c_int,
        beta: *const f64,
        c: *mut f64,
        ldc: *const std::ffi::c_int,
    );
}

/// `C ← C + A·B` by OpenBLAS's `dgemm` for column-major `A` (`m × k`), `B` (`k × n`) and
/// `C` (`m × n`) in contiguous slices: the per-call baseline of the batched products.
///
/// # Panics
/// If a slice has another length than its shape, or a dimension exceeds `i32::MAX`.
pub fn dgemm_add(m: usize, n: usize, k: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n, "dgemm_add: slice lengths");
    let dim = |x: usize| std::ffi::c_int::try_from(x.max(1)).expect("dimension fits in an int");
    let (mi, ni, ki) = (dim(m), dim(n), dim(k));
    if m == 0 || n == 0 {
        return;
    }
    let (no, one) = (b'N' as c_char, 1.0f64);
    // SAFETY: the lengths were checked against the shapes and leading dimensions (m, k, m,
    // at least 1); dgemm reads `a` and `b` and writes only `c`, all valid for the call.
    unsafe {
        dgemm_(&no, &no, &mi, &ni, &ki, &one, a.as_ptr(), &mi, b.as_ptr(), &ki, &one, c.as_mut_ptr(), &mi);
    }
}

extern "C" {
    /// OpenBLAS's run-time thread setter (Debian's `libopenblas.so`, linked by `build.rs`).
    fn openblas_set_num_threads(num_threads: std::ffi::c_int);
}

/// Sets the number of OpenBLAS threads for the following LAPACK/BLAS calls of this process
/// (overrides `OPENBLAS_NUM_THREADS`; 0 is taken as 1, values above `i32::MAX` are clamped).
/// Call it before BLAS work starts, not while another thread is inside a BLAS call: OpenBLAS
/// resizes its one process-wide thread pool. (Not unit-tested for that reason; the bench
/// driver calls it once at start-up.)
pub fn set_num_threads(threads: usize) {
    let t = std::ffi::c_int::try_from(threads.max(1)).unwrap_or(std::ffi::c_int::MAX);
    // SAFETY: `openblas_set_num_threads` takes an integer by value and only resizes
    // OpenBLAS's internal thread pool; no memory of ours is involved. (Resizing during a
    // running BLAS call in another thread is OpenBLAS's documented misuse, see above.)
    unsafe { openblas_set_num_threads(t) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{Mat, Side};
    use rand::{Rng, SeedableRng};

    #[test]
    fn dgemm_add_matches_faer() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (m, n, k) = (7, 5, 3);
        let mut v = |len: usize| -> Vec<f64> { (0..len).map(|_| rng.random_range(-1.0..1.0)).collect() };
        let (a, b, c0) = (v(m * k), v(k * n), v(m * n));
        let mut c = c0.clone();
        dgemm_add(m, n, k, &a, &b, &mut c);
        let want = MatRef::from_column_major_slice(&c0, m, n)
            + MatRef::from_column_major_slice(&a, m, k) * MatRef::from_column_major_slice(&b, k, n);
        for j in 0..n {
            for i in 0..m {
                assert!((c[j * m + i] - want[(i, j)]).abs() < 1e-14, "({i}, {j})");
            }
        }
    }

    /// The 1-2-1 matrix tridiag(−1, 2, −1) and its exact eigenvalues 2 − 2cos(kπ/(n+1)).
    fn one_two_one(n: usize) -> (Mat<f64>, Vec<f64>) {
        let a = Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        let exact =
            (1..=n).map(|k| 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos()).collect();
        (a, exact)
    }

    #[test]
    fn dsyevr_range_matches_one_two_one() {
        let n = 100;
        let (a, exact) = one_two_one(n);
        for k in [1, 2, 37, 50, 51, 99, 100] {
            let w = dsyevr_range(a.as_ref(), k, k).unwrap();
            assert_eq!(w.len(), 1);
            assert!((w[0] - exact[k - 1]).abs() < 1e-13, "k = {k}: {} vs {}", w[0], exact[k - 1]);
        }
        let w = dsyevr_range(a.as_ref(), 10, 20).unwrap();
        assert_eq!(w.len(), 11);
        for (x, e) in w.iter().zip(&exact[9..20]) {
            assert!((x - e).abs() < 1e-13);
        }
        // the whole range (dsyevr then takes its MRRR path)
        let w = dsyevr_range(a.as_ref(), 1, n).unwrap();
        for (x, e) in w.iter().zip(&exact) {
            assert!((x - e).abs() < 1e-13);
        }
    }

    #[test]
    fn dsyevr_interval_matches_one_two_one() {
        let n = 100;
        let (a, exact) = one_two_one(n);
        // (vl, vu] between exact eigenvalues: exactly the ones inside
        let (vl, vu) = (0.5 * (exact[19] + exact[20]), 0.5 * (exact[39] + exact[40]));
        let w = dsyevr_interval(a.as_ref(), vl, vu).unwrap();
        assert_eq!(w.len(), 20);
        for (x, e) in w.iter().zip(&exact[20..40]) {
            assert!((x - e).abs() < 1e-13);
        }
        assert_eq!(dsyevr_interval(a.as_ref(), 5.0, 6.0).unwrap(), Vec::<f64>::new());
        assert_eq!(dsyevr_interval(a.as_ref(), -1.0, 5.0).unwrap().len(), n);
        assert_eq!(dsyevr_interval(Mat::<f64>::zeros(0, 0).as_ref(), 0.0, 1.0).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn dsyevd_all_matches_one_two_one() {
        for n in [1, 7, 100] {
            let (a, exact) = one_two_one(n);
            let w = dsyevd_all(a.as_ref()).unwrap();
            assert_eq!(w.len(), n);
            for (x, e) in w.iter().zip(&exact) {
                assert!((x - e).abs() < 1e-13, "n = {n}: {x} vs {e}");
            }
        }
        assert_eq!(dsyevd_all(Mat::<f64>::zeros(0, 0).as_ref()).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn matches_faer_on_random_symmetric() {
        let n = 150;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut a = Mat::<f64>::zeros(n, n);
        for j in 0..n {
            for i in j..n {
                let x: f64 = rng.random_range(-1.0..1.0);
                a[(i, j)] = x;
                a[(j, i)] = x;
            }
        }
        let reference = a.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let all = dsyevd_all(a.as_ref()).unwrap();
        for (x, r) in all.iter().zip(&reference) {
            assert!((x - r).abs() < 1e-12, "{x} vs {r}");
        }
        for k in [1, n / 2, n] {
            let w = dsyevr_range(a.as_ref(), k, k).unwrap();
            assert!((w[0] - reference[k - 1]).abs() < 1e-12);
        }
        // only the lower triangle is read
        let mut lower = a.clone();
        for j in 0..n {
            for i in 0..j {
                lower[(i, j)] = f64::NAN;
            }
        }
        assert_eq!(dsyevd_all(lower.as_ref()).unwrap(), all);
        // a strided (transposed) view is copied correctly
        let w = dsyevr_range(a.transpose(), n / 2, n / 2).unwrap();
        assert!((w[0] - reference[n / 2 - 1]).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let (a, _) = one_two_one(5);
        assert!(matches!(dsyevr_range(a.as_ref(), 0, 1), Err(LapackError::IndexOutOfRange { .. })));
        assert!(matches!(dsyevr_range(a.as_ref(), 3, 2), Err(LapackError::IndexOutOfRange { .. })));
        assert!(matches!(dsyevr_range(a.as_ref(), 1, 6), Err(LapackError::IndexOutOfRange { .. })));
        let r = Mat::<f64>::zeros(3, 4);
        assert_eq!(dsyevd_all(r.as_ref()), Err(LapackError::NotSquare { rows: 3, cols: 4 }));
        let mut b = a.clone();
        b[(3, 1)] = f64::NAN;
        assert_eq!(dsyevd_all(b.as_ref()), Err(LapackError::NonFinite));
        let e = LapackError::Info { routine: "dsyevr", info: -4 };
        assert_eq!(e.to_string(), "LAPACK dsyevr: argument 4 had an illegal value (info = -4)");
        assert!(LapackError::Info { routine: "dsyevd", info: 3 }
            .to_string()
            .contains("dsyevd: no convergence"));
        for (vl, vu) in [(1.0, 1.0), (2.0, 1.0), (f64::NAN, 1.0), (0.0, f64::NAN)] {
            assert!(matches!(dsyevr_interval(a.as_ref(), vl, vu), Err(LapackError::BadInterval { .. })));
        }
    }
}
