//! ScaLAPACK `pdsyevx` and `pdsyevr`: eigenvalues `il..=iu` of a distributed symmetric
//! matrix (`jobz = 'N'`, `range = 'I'`, `uplo = 'L'`), after a workspace query.
//!
//! Debian's `libscalapack-openmpi` is gfortran-built: every `CHARACTER` argument has a
//! hidden `size_t` length appended after the regular arguments, which the declarations
//! below pass explicitly (1 for each of `jobz`, `range`, `uplo`).

use super::{check_info, check_range, to_int, work_len, BaselineError, DistMatrix};
use std::ffi::{c_char, c_int};

extern "C" {
    fn pdsyevx_(
        jobz: *const c_char,
        range: *const c_char,
        uplo: *const c_char,
        n: *const c_int,
        a: *mut f64,
        ia: *const c_int,
        ja: *const c_int,
        desca: *const c_int,
        vl: *const f64,
        vu: *const f64,
        il: *const c_int,
        iu: *const c_int,
        abstol: *const f64,
        m: *mut c_int,
        nz: *mut c_int,
        w: *mut f64,
        orfac: *const f64,
        z: *mut f64,
        iz: *const c_int,
        jz: *const c_int,
        descz: *const c_int,
        work: *mut f64,
        lwork: *const c_int,
        iwork: *mut c_int,
        liwork: *const c_int,
        ifail: *mut c_int,
        iclustr: *mut c_int,
        gap: *mut f64,
        info: *mut c_int,
        jobz_len: usize,
        range_len: usize,
        uplo_len: usize,
    );
    fn pdsyevr_(
        jobz: *const c_char,
        range: *const c_char,
        uplo: *const c_char,
        n: *const c_int,
        a: *mut f64,
        ia: *const c_int,
        ja: *const c_int,
        desca: *const c_int,
        vl: *const f64,
        vu: *const f64,
        il: *const c_int,
        iu: *const c_int,
        m: *mut c_int,
        nz: *mut c_int,
        w: *mut f64,
        z: *mut f64,
        iz: *const c_int,
        jz: *const c_int,
        descz: *const c_int,
        work: *mut f64,
        lwork: *const c_int,
        iwork: *mut c_int,
        liwork: *const c_int,
        info: *mut c_int,
        jobz_len: usize,
        range_len: usize,
        uplo_len: usize,
    );
}

/// Arguments shared by both drivers.
struct Common {
    n: c_int,
    il: c_int,
    iu: c_int,
    one: c_int,
    w: Vec<f64>,
    z: [f64; 1],
}

impl Common {
    fn new(a: &DistMatrix<'_>, il: usize, iu: usize) -> Result<Self, BaselineError> {
        let n = a.n();
        check_range(il, iu, n)?;
        Ok(Self { n: to_int(n)?, il: to_int(il)?, iu: to_int(iu)?, one: 1, w: vec![0.0; n], z: [0.0] })
    }

    /// The `m` computed eigenvalues, checked to be the `iu − il + 1` requested.
    fn finish(mut self, routine: &'static str, m: c_int) -> Result<Vec<f64>, BaselineError> {
        let expected = (self.iu - self.il + 1) as usize;
        if usize::try_from(m).ok() != Some(expected) {
            return Err(BaselineError::WrongCount { routine, expected, found: i64::from(m) });
        }
        self.w.truncate(m as usize);
        Ok(self.w)
    }
}

/// Entries of the query buffers. The drivers use the first few entries of WORK and IWORK
/// as scratch for their cross-process argument checks even in a query (pdsyevx writes
/// IWORK(1..=10) or so); one-entry buffers corrupted the stack here.
const QUERY_LEN: usize = 64;

/// Runs `call(work, lwork, iwork, liwork) -> info` once as a workspace query
/// (`lwork = liwork = −1`), then with buffers of the queried sizes, `lwork` capped at
/// `max_lwork`.
fn with_workspace(
    routine: &'static str,
    max_lwork: usize,
    mut call: impl FnMut(&mut [f64], c_int, &mut [c_int], c_int) -> c_int,
) -> Result<(), BaselineError> {
    let (mut wq, mut iq) = ([0.0_f64; QUERY_LEN], [0 as c_int; QUERY_LEN]);
    check_info(routine, call(&mut wq, -1, &mut iq, -1))?;
    let lwork = work_len(wq[0], QUERY_LEN)?.min(max_lwork.max(QUERY_LEN));
    let liwork = work_len(f64::from(iq[0]), QUERY_LEN)?;
    let (mut work, mut iwork) = (vec![0.0_f64; lwork], vec![0 as c_int; liwork]);
    check_info(routine, call(&mut work, to_int(lwork)?, &mut iwork, to_int(liwork)?))
}

/// The largest `lwork` to pass: one that keeps the tridiagonal reduction distributed.
///
/// Both drivers reduce through `PDSYNTRD`, which on a grid with `⌊√(nprow·npcol)⌋ = 1`
/// (2 or 3 ranks) and `lwork − 5n ≥ n² + 3n + 1` copies the whole matrix onto one
/// process and runs the serial `DSYTRD` there: one core does the O(n³) work (our ranks
/// run one OpenBLAS thread each), and at n = 16384 the copy's 2³¹-byte buffer aborts in
/// BLACS's `xxmr2d`. The queried (optimal) size asks for that path, so on such grids
/// `lwork` is capped at a bound of both drivers' minimum for `jobz = 'N'` (pdsyevx:
/// `5n + max(5·nn, nb·(np0 + 1))`, pdsyevr: `17n + 2` plus `PDSYNTRD`'s `(np + 1)·nb`,
/// with `nn = max(n, nb, 2)`, `np0, np ≤ nn + nb`), which selects the distributed
/// `PDLATRD`/`PDSYR2K` reduction for n ≳ 2·nb and is harmless below. Square grids (4+
/// ranks) keep the queried size: there it selects the distributed `PDSYTTRD`.
fn distributed_lwork(a: &DistMatrix<'_>) -> usize {
    let (pr, pc) = a.grid().shape();
    let p = pr * pc;
    if p > 1 && p < 4 {
        let nn = a.n().max(a.nb()).max(2);
        22 * nn + 4 + a.nb() * (nn + a.nb() + 1)
    } else {
        usize::MAX
    }
}

/// Eigenvalues `il..=iu` (1-based, ascending) of the distributed symmetric matrix `a` by
/// ScaLAPACK `pdsyevx` (bisection + inverse iteration driver; eigenvalues only, `abstol =
/// 2·dlamch('S')`). Collective; every rank receives all `iu − il + 1` values. `a`'s lower
/// triangle is overwritten.
///
/// # Errors
/// [`BaselineError::IndexOutOfRange`] unless `1 ≤ il ≤ iu ≤ n`, [`BaselineError::TooLarge`],
/// [`BaselineError::Info`] with routine `"pdsyevx"` for `info ≠ 0`,
/// [`BaselineError::WrongCount`] if it returned another number of eigenvalues.
pub fn pdsyevx(a: &mut DistMatrix<'_>, il: usize, iu: usize) -> Result<Vec<f64>, BaselineError> {
    let mut c = Common::new(a, il, iu)?;
    let p = a.grid().shape().0 * a.grid().shape().1;
    let desc = *a.descriptor();
    let (jobz, range, uplo) = (b'N' as c_char, b'I' as c_char, b'L' as c_char);
    let (vl, vu, orfac) = (0.0_f64, 0.0_f64, 0.0_f64);
    let cmach = b'S' as c_char;
    // SAFETY: `dlamch_` reads one character through a pointer to a live local.
    let abstol = 2.0 * unsafe { lapack_sys::dlamch_(&cmach) };
    let (mut m, mut nz) = (0 as c_int, 0 as c_int);
    let mut ifail = vec![0 as c_int; a.n()];
    let mut iclustr = vec![0 as c_int; 2 * p];
    let mut gap = vec![0.0_f64; p];
    let max_lwork = distributed_lwork(a);
    let local = a.local_mut();
    with_workspace("pdsyevx", max_lwork, |work, lwork, iwork, liwork| {
        let mut info: c_int = 0;
        // SAFETY: `local` is this rank's piece described by `desc` (lld·local columns
        // entries); `w` and `ifail` have n entries, `iclustr` 2·nprow·npcol and `gap`
        // nprow·npcol, as pdsyevx documents; `z`/`descz` are not referenced for
        // jobz = 'N' (a one-entry dummy and a valid descriptor are passed); `work`/`iwork`
        // hold `lwork`/`liwork` entries (QUERY_LEN each for the query, which uses only
        // the first few). Scalars are references to live locals; the hidden Fortran lengths of the
        // three CHARACTER*1 arguments are 1. The call is synchronous and keeps no pointer.
        unsafe {
            pdsyevx_(
                &jobz,
                &range,
                &uplo,
                &c.n,
                local.as_mut_ptr(),
                &c.one,
                &c.one,
                desc.as_ptr(),
                &vl,
                &vu,
                &c.il,
                &c.iu,
                &abstol,
                &mut m,
                &mut nz,
                c.w.as_mut_ptr(),
                &orfac,
                c.z.as_mut_ptr(),
                &c.one,
                &c.one,
                desc.as_ptr(),
                work.as_mut_ptr(),
                &lwork,
                iwork.as_mut_ptr(),
                &liwork,
                ifail.as_mut_ptr(),
                iclustr.as_mut_ptr(),
                gap.as_mut_ptr(),
                &mut info,
                1,
                1,
                1,
            );
        }
        info
    })?;
    c.finish("pdsyevx", m)
}

/// Eigenvalues `il..=iu` (1-based, ascending) of the distributed symmetric matrix `a` by
/// ScaLAPACK `pdsyevr` (MRRR driver; eigenvalues only). Collective; every rank receives
/// all `iu − il + 1` values. `a`'s lower triangle is overwritten.
///
/// # Errors
/// As [`pdsyevx`], with routine `"pdsyevr"`.
pub fn pdsyevr(a: &mut DistMatrix<'_>, il: usize, iu: usize) -> Result<Vec<f64>, BaselineError> {
    let mut c = Common::new(a, il, iu)?;
    let desc = *a.descriptor();
    let (jobz, range, uplo) = (b'N' as c_char, b'I' as c_char, b'L' as c_char);
    let (vl, vu) = (0.0_f64, 0.0_f64);
    let (mut m, mut nz) = (0 as c_int, 0 as c_int);
    let max_lwork = distributed_lwork(a);
    let local = a.local_mut();
    with_workspace("pdsyevr", max_lwork, |work, lwork, iwork, liwork| {
        let mut info: c_int = 0;
        // SAFETY: as in `pdsyevx`: `local` is the piece described by `desc`, `w` has n
        // entries, `z`/`descz` are not referenced for jobz = 'N', `work`/`iwork` hold
        // `lwork`/`liwork` entries, scalars are live locals, hidden lengths are 1.
        unsafe {
            pdsyevr_(
                &jobz,
                &range,
                &uplo,
                &c.n,
                local.as_mut_ptr(),
                &c.one,
                &c.one,
                desc.as_ptr(),
                &vl,
                &vu,
                &c.il,
                &c.iu,
                &mut m,
                &mut nz,
                c.w.as_mut_ptr(),
                c.z.as_mut_ptr(),
                &c.one,
                &c.one,
                desc.as_ptr(),
                work.as_mut_ptr(),
                &lwork,
                iwork.as_mut_ptr(),
                &liwork,
                &mut info,
                1,
                1,
                1,
            );
        }
        info
    })?;
    c.finish("pdsyevr", m)
}
