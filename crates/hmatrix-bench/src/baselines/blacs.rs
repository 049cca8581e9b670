//! BLACS process grids and block-cyclic local pieces filled from an entry source.

use super::{check_info, to_int, BaselineError};
use hmatrix::source::EntrySource;
use mpi::collective::SystemOperation;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};
use std::ffi::{c_char, c_int};

extern "C" {
    fn Csys2blacs_handle(comm: mpi::ffi::MPI_Comm) -> c_int;
    fn Cfree_blacs_system_handle(handle: c_int);
    fn Cblacs_gridinit(ctxt: *mut c_int, order: *const c_char, nprow: c_int, npcol: c_int);
    fn Cblacs_gridinfo(
        ctxt: c_int,
        nprow: *mut c_int,
        npcol: *mut c_int,
        myrow: *mut c_int,
        mycol: *mut c_int,
    );
    fn Cblacs_gridexit(ctxt: c_int);
    fn descinit_(
        desc: *mut c_int,
        m: *const c_int,
        n: *const c_int,
        mb: *const c_int,
        nb: *const c_int,
        irsrc: *const c_int,
        icsrc: *const c_int,
        ictxt: *const c_int,
        lld: *const c_int,
        info: *mut c_int,
    );
}

/// The grid shape `(nprow, npcol)` for `p` processes: `nprow` is the largest divisor of `p`
/// with `nprow² ≤ p` (so `nprow ≤ npcol`, as square as `p` allows; `p = 0` gives `(1, 0)`).
pub fn grid_shape(p: usize) -> (usize, usize) {
    let mut r = 1;
    let mut d = 1;
    while d * d <= p {
        if p % d == 0 {
            r = d;
        }
        d += 1;
    }
    (r, p / r)
}

/// Entries of a dimension of length `n`, distributed in blocks of `nb` over `nprocs`
/// processes starting at process 0, that process `iproc` owns (ScaLAPACK's `numroc`).
pub fn local_len(n: usize, nb: usize, iproc: usize, nprocs: usize) -> usize {
    if nb == 0 || nprocs == 0 {
        return 0;
    }
    let blocks = n / nb;
    let mut len = (blocks / nprocs) * nb;
    let extra = blocks % nprocs;
    if iproc < extra {
        len += nb;
    } else if iproc == extra {
        len += n % nb;
    }
    len
}

/// The global index (0-based) of local index `l` of process `iproc` in the block-cyclic
/// distribution with block size `nb` over `nprocs` processes (source process 0).
pub fn local_to_global(l: usize, nb: usize, iproc: usize, nprocs: usize) -> usize {
    (l / nb * nprocs + iproc) * nb + l % nb
}

/// A BLACS process grid over (a duplicate of) an MPI communicator. Dropping it releases the
/// BLACS context; it must be dropped before MPI is finalised (declare it after the
/// `mpi::environment::Universe`).
pub struct Grid {
    comm: SimpleCommunicator,
    sys: c_int,
    ctxt: c_int,
    shape: (usize, usize),
    coords: (usize, usize),
}

impl Grid {
    /// A `grid_shape(size)` grid on all ranks of `comm`, ranks in row-major order. Collective.
    ///
    /// # Errors
    /// [`BaselineError::Info`] (routine `"Cblacs_gridinit"`) if BLACS did not place this
    /// rank on the grid.
    pub fn new(comm: &impl Communicator) -> Result<Self, BaselineError> {
        let comm = comm.duplicate();
        let (nprow, npcol) = grid_shape(comm.size() as usize);
        // SAFETY: `comm` is a valid, live communicator handle (rsmpi owns it and frees it
        // after the grid is released, in `Drop`); the call only registers it with BLACS.
        let sys = unsafe { Csys2blacs_handle(comm.as_raw()) };
        let mut ctxt = sys;
        let (mut r, mut c, mut myrow, mut mycol) = (0, 0, -1, -1);
        // SAFETY: `ctxt` is a live local that BLACS overwrites with the new context; the
        // order string is a NUL-terminated literal; `nprow·npcol` equals the size of the
        // communicator behind `sys` (both fit c_int since the size came from a c_int).
        // `Cblacs_gridinfo` writes four integers through pointers to live locals.
        unsafe {
            Cblacs_gridinit(&mut ctxt, c"Row".as_ptr(), nprow as c_int, npcol as c_int);
            Cblacs_gridinfo(ctxt, &mut r, &mut c, &mut myrow, &mut mycol);
        }
        if myrow < 0 || mycol < 0 || r as usize != nprow || c as usize != npcol {
            // SAFETY: releases the system handle obtained above; nothing uses it afterwards.
            unsafe { Cfree_blacs_system_handle(sys) };
            return Err(BaselineError::Info { routine: "Cblacs_gridinit", info: -1 });
        }
        Ok(Self { comm, sys, ctxt, shape: (nprow, npcol), coords: (myrow as usize, mycol as usize) })
    }

    /// `(nprow, npcol)`.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// This rank's `(myrow, mycol)`.
    pub fn coords(&self) -> (usize, usize) {
        self.coords
    }

    /// The BLACS context.
    pub fn context(&self) -> c_int {
        self.ctxt
    }

    /// The grid's communicator (a duplicate of the one given to [`Grid::new`]).
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// `true` on every rank iff `ok` on every rank (an all-reduce; collective).
    pub(crate) fn all(&self, ok: bool) -> bool {
        let mut bad = 0_i32;
        self.comm.all_reduce_into(&i32::from(!ok), &mut bad, SystemOperation::max());
        bad == 0
    }
}

impl Drop for Grid {
    fn drop(&mut self) {
        // SAFETY: `ctxt` and `sys` came from BLACS in `new` and are released exactly once,
        // while the communicator (dropped after this body) is still alive.
        unsafe {
            Cblacs_gridexit(self.ctxt);
            Cfree_blacs_system_handle(self.sys);
        }
    }
}

/// This rank's block-cyclic piece of a symmetric `n × n` matrix (square blocks `nb`,
/// column-major with leading dimension `lld`), with its ScaLAPACK descriptor.
pub struct DistMatrix<'g> {
    grid: &'g Grid,
    n: usize,
    nb: usize,
    rows: usize,
    cols: usize,
    desc: [c_int; 9],
    data: Vec<f64>,
}

impl<'g> DistMatrix<'g> {
    /// Fills this rank's piece (all of its entries, both triangles) from `src`, one block
    /// column at a time; no rank evaluates or holds more than its own piece. Collective.
    ///
    /// # Errors
    /// [`BaselineError::Empty`] for `n = 0` or `nb = 0`, [`BaselineError::TooLarge`],
    /// [`BaselineError::Info`] from `descinit`, [`BaselineError::NonFinite`] (on every
    /// rank) if any rank's piece has a NaN or infinity.
    pub fn from_source(grid: &'g Grid, src: &dyn EntrySource, nb: usize) -> Result<Self, BaselineError> {
        let n = src.n();
        if n == 0 || nb == 0 {
            return Err(BaselineError::Empty);
        }
        let ((nprow, npcol), (myrow, mycol)) = (grid.shape, grid.coords);
        let (rows, cols) = (local_len(n, nb, myrow, nprow), local_len(n, nb, mycol, npcol));
        let lld = rows.max(1);
        let desc = descriptor(grid, n, nb, lld)?;
        let len = lld.checked_mul(cols.max(1)).ok_or(BaselineError::TooLarge(n))?;
        let mut data = vec![0.0; len];
        let grows: Vec<usize> = (0..rows).map(|l| local_to_global(l, nb, myrow, nprow)).collect();
        let gcols: Vec<usize> = (0..cols).map(|l| local_to_global(l, nb, mycol, npcol)).collect();
        for (b, chunk) in data.chunks_mut(lld * nb).enumerate() {
            let c0 = b * nb;
            let w = nb.min(cols.saturating_sub(c0));
            if w == 0 || rows == 0 {
                break;
            }
            let out = faer::MatMut::from_column_major_slice_with_stride_mut(
                &mut chunk[..lld * (w - 1) + rows],
                rows,
                w,
                lld,
            );
            src.block(&grows, &gcols[c0..c0 + w], out);
        }
        if !grid.all(data.iter().all(|x| x.is_finite())) {
            return Err(BaselineError::NonFinite);
        }
        Ok(Self { grid, n, nb, rows, cols, desc, data })
    }

    /// Dimension `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Block size.
    pub fn nb(&self) -> usize {
        self.nb
    }

    /// The grid.
    pub fn grid(&self) -> &'g Grid {
        self.grid
    }

    /// Local `(rows, cols)` of this rank's piece (the leading dimension is `max(1, rows)`).
    pub fn local_shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The ScaLAPACK array descriptor.
    pub fn descriptor(&self) -> &[c_int; 9] {
        &self.desc
    }

    /// The local piece, column-major (the solvers overwrite it).
    pub fn local(&self) -> &[f64] {
        &self.data
    }

    /// The local piece, mutable, for the solver wrappers.
    pub(crate) fn local_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }
}

/// `descinit` for an `n × n` matrix with `nb × nb` blocks on `grid`.
fn descriptor(grid: &Grid, n: usize, nb: usize, lld: usize) -> Result<[c_int; 9], BaselineError> {
    let (n_i, nb_i, lld_i) = (to_int(n)?, to_int(nb)?, to_int(lld)?);
    let zero: c_int = 0;
    let mut desc = [0 as c_int; 9];
    let mut info: c_int = 0;
    // SAFETY: `desc` has the 9 entries of a ScaLAPACK descriptor (DLEN_ = 9); every other
    // argument is a reference to a live local; the call keeps no pointer.
    unsafe {
        descinit_(desc.as_mut_ptr(), &n_i, &n_i, &nb_i, &nb_i, &zero, &zero, &grid.ctxt, &lld_i, &mut info);
    }
    check_info("descinit", info)?;
    Ok(desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn numroc_(
            n: *const c_int,
            nb: *const c_int,
            iproc: *const c_int,
            isrc: *const c_int,
            np: *const c_int,
        ) -> c_int;
    }

    #[test]
    fn grid_shapes_are_as_square_as_possible() {
        let cases =
            [(1, (1, 1)), (2, (1, 2)), (3, (1, 3)), (4, (2, 2)), (6, (2, 3)), (8, (2, 4)), (9, (3, 3))];
        for (p, shape) in cases {
            assert_eq!(grid_shape(p), shape, "p = {p}");
        }
        assert_eq!(grid_shape(12), (3, 4));
        assert_eq!(grid_shape(7), (1, 7));
    }

    #[test]
    fn local_len_matches_numroc_and_indices_cover_once() {
        for (n, nb, np) in [(1000, 64, 3), (7, 2, 4), (128, 64, 2), (5, 64, 2), (640, 64, 5)] {
            let mut seen = vec![false; n];
            for p in 0..np {
                let (n_i, nb_i, p_i, z, np_i) =
                    (n as c_int, nb as c_int, p as c_int, 0 as c_int, np as c_int);
                // SAFETY: `numroc_` reads five integers through references to live locals.
                let r = unsafe { numroc_(&n_i, &nb_i, &p_i, &z, &np_i) };
                let len = local_len(n, nb, p, np);
                assert_eq!(len as c_int, r, "n {n} nb {nb} p {p}/{np}");
                for l in 0..len {
                    let g = local_to_global(l, nb, p, np);
                    assert!(g < n && !seen[g]);
                    seen[g] = true;
                }
            }
            assert!(seen.iter().all(|&s| s));
        }
        assert_eq!(local_len(10, 0, 0, 1), 0);
    }
}
