//! ELPA 1-stage and 2-stage eigenvalues of a distributed symmetric matrix (feature `elpa`).
//!
//! Debian's `libelpa` (2022.11) through its exported C symbols: the header's `elpa_set`,
//! `elpa_eigenvalues`, `elpa_allocate` and `elpa_deallocate` are `_Generic`/variadic
//! macros, so the declarations name `elpa_set_integer`, `elpa_eigenvalues_a_h_a_d`,
//! `elpa_allocate(int*)` and `elpa_deallocate(handle, int*)` directly. ELPA wants the MPI
//! communicator as a Fortran handle (`MPI_Comm_c2f`) and the grid coordinates of the BLACS
//! grid the data is distributed on.

use super::{check_range, to_int, BaselineError, DistMatrix};
use mpi::raw::AsRaw;
use std::ffi::{c_char, c_int, CStr};
use std::sync::OnceLock;

#[repr(C)]
struct ElpaObject {
    _private: [u8; 0],
}

extern "C" {
    fn elpa_init(api_version: c_int) -> c_int;
    fn elpa_allocate(error: *mut c_int) -> *mut ElpaObject;
    fn elpa_deallocate(handle: *mut ElpaObject, error: *mut c_int);
    fn elpa_set_integer(handle: *mut ElpaObject, name: *const c_char, value: c_int, error: *mut c_int);
    fn elpa_setup(handle: *mut ElpaObject) -> c_int;
    fn elpa_eigenvalues_a_h_a_d(handle: *mut ElpaObject, a: *mut f64, ev: *mut f64, error: *mut c_int);
    fn elpa_strerr(code: c_int) -> *const c_char;
}

/// `ELPA_OK`.
const ELPA_OK: c_int = 0;
/// The oldest API version this code uses (`elpa_init` accepts 20171201 ..= 20221109).
const API_VERSION: c_int = 20171201;

/// ELPA's eigenvalue solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElpaSolver {
    /// Direct tridiagonalisation (`ELPA_SOLVER_1STAGE`).
    OneStage = 1,
    /// Full → banded → tridiagonal (`ELPA_SOLVER_2STAGE`).
    TwoStage = 2,
}

fn elpa_error(routine: impl Into<String>, code: c_int) -> BaselineError {
    // SAFETY: `elpa_strerr` returns a pointer to a static NUL-terminated string for any
    // code (or null, which is checked).
    let p = unsafe { elpa_strerr(code) };
    let message = if p.is_null() {
        "unknown".to_string()
    } else {
        // SAFETY: non-null, static and NUL-terminated (see above).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    };
    BaselineError::Elpa { routine: routine.into(), code, message }
}

fn check(routine: impl Into<String>, code: c_int) -> Result<(), BaselineError> {
    if code == ELPA_OK {
        Ok(())
    } else {
        Err(elpa_error(routine, code))
    }
}

/// An allocated ELPA object, deallocated on drop.
struct Handle(*mut ElpaObject);

impl Handle {
    fn new() -> Result<Self, BaselineError> {
        static INIT: OnceLock<c_int> = OnceLock::new();
        // SAFETY: `elpa_init` takes an integer and sets ELPA's global state; the OnceLock
        // makes this process call it once.
        check("elpa_init", *INIT.get_or_init(|| unsafe { elpa_init(API_VERSION) }))?;
        let mut err: c_int = 0;
        // SAFETY: writes one integer through a pointer to a live local.
        let h = unsafe { elpa_allocate(&mut err) };
        check("elpa_allocate", err)?;
        if h.is_null() {
            return Err(elpa_error("elpa_allocate", -1));
        }
        Ok(Self(h))
    }

    fn set(&self, name: &CStr, value: c_int) -> Result<(), BaselineError> {
        let mut err: c_int = 0;
        // SAFETY: `self.0` is a live handle from `elpa_allocate`; `name` is NUL-terminated
        // and outlives the call, which copies what it needs; `err` is a live local.
        unsafe { elpa_set_integer(self.0, name.as_ptr(), value, &mut err) };
        check(format!("elpa_set_integer({})", name.to_string_lossy()), err)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut err: c_int = 0;
        // SAFETY: `self.0` came from `elpa_allocate` and is deallocated exactly once.
        unsafe { elpa_deallocate(self.0, &mut err) };
    }
}

/// Eigenvalues `il..=iu` (1-based, ascending) of the distributed symmetric matrix `a` by
/// ELPA with the given solver (eigenvalues only, `nev = iu`). Collective; every rank
/// receives all `iu − il + 1` values. `a` is overwritten.
///
/// ELPA computes the lowest `nev` eigenvalues; with eigenvalues only, its cost is dominated
/// by the reduction to tridiagonal form and hardly depends on `nev`.
///
/// # Errors
/// [`BaselineError::IndexOutOfRange`] unless `1 ≤ il ≤ iu ≤ n`, [`BaselineError::TooLarge`],
/// [`BaselineError::Elpa`] for an ELPA error code (naming the call).
pub fn elpa_eigenvalues(
    a: &mut DistMatrix<'_>,
    il: usize,
    iu: usize,
    solver: ElpaSolver,
) -> Result<Vec<f64>, BaselineError> {
    let n = a.n();
    check_range(il, iu, n)?;
    let grid = a.grid();
    let (rows, cols) = a.local_shape();
    let (myrow, mycol) = grid.coords();
    // SAFETY: converts a live communicator handle (owned by the grid, which outlives this
    // call) to its Fortran integer handle; no state changes.
    let fcomm = unsafe { mpi::ffi::RSMPI_Comm_c2f(grid.comm().as_raw()) };
    let h = Handle::new()?;
    let settings: [(&CStr, usize); 7] = [
        (c"na", n),
        (c"nev", iu),
        (c"local_nrows", rows.max(1)),
        (c"local_ncols", cols),
        (c"nblk", a.nb()),
        (c"process_row", myrow),
        (c"process_col", mycol),
    ];
    for (name, v) in settings {
        h.set(name, to_int(v)?)?;
    }
    h.set(c"mpi_comm_parent", fcomm)?;
    // SAFETY: `h.0` is a live handle with all required parameters set.
    check("elpa_setup", unsafe { elpa_setup(h.0) })?;
    h.set(c"solver", solver as c_int)?;
    let mut ev = vec![0.0_f64; n];
    let mut err: c_int = 0;
    let local = a.local_mut();
    // SAFETY: `local` holds local_nrows × local_ncols entries (leading dimension
    // local_nrows = max(1, rows), as set above) of the block-cyclic piece that ELPA's
    // `process_row/col`, `nblk` and `na` describe; `ev` has `na` entries; `err` is a live
    // local. The call is synchronous and keeps no pointer.
    unsafe { elpa_eigenvalues_a_h_a_d(h.0, local.as_mut_ptr(), ev.as_mut_ptr(), &mut err) };
    check("elpa_eigenvalues", err)?;
    Ok(ev[il - 1..iu].to_vec())
}
