//! Conversions between [`ndarray`] and faer at the edge of the library (feature `ndarray`).
//!
//! The library speaks faer (`MatRef<'_, f64>`, `MatMut<'_, f64>`, `Mat<f64>`) and
//! [`Points`]; these functions let ndarray users call it without reshuffling data.
//!
//! | function | direction | copies? |
//! |---|---|---|
//! | [`as_faer`] | `ArrayView2` → `MatRef` | never: zero-copy for every layout ndarray can express |
//! | [`as_faer_mut`] | `ArrayViewMut2` → `MatMut` | never: writes land in the ndarray |
//! | [`col_as_faer`] | `ArrayView1` (length `n`) → `MatRef` (`n × 1`) | never |
//! | [`as_ndarray`] | `MatRef` → `ArrayView2` | never: zero-copy for every faer layout |
//! | [`to_ndarray`] | `MatRef` → `Array2` | always (a fresh C-order array) |
//! | [`points_from_ndarray`] | `ArrayView2` (`n × dim`) → [`Points`] | always (`Points` owns row-major coordinates) |
//!
//! Both libraries address element `(i, j)` as `ptr + i * row_stride + j * col_stride`
//! (in elements) from a pointer to the logical first element, so views translate one to
//! one, including transposed, strided and reversed (negative-stride) layouts. The only
//! adjustments are not copies:
//! * empty views (0 rows or 0 columns) get fresh, harmless strides, since the strides of
//!   an empty view address nothing;
//! * ndarray's pointer constructors require non-negative strides, so [`as_ndarray`]
//!   starts from the lowest-addressed element and flips the reversed axes with
//!   [`ndarray::ArrayBase::invert_axis`] (a stride sign change, still zero-copy).
//!
//! None of these functions panics on user data.
//!
//! ```
//! use hmatrix::interop::{as_faer, as_ndarray, col_as_faer};
//! use ndarray::{array, s};
//!
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let x = array![1.0, 0.0, -1.0];
//! let y = as_faer(a.view()) * col_as_faer(x.view()); // faer product, no copies in
//! assert_eq!(y[(1, 0)], a.dot(&x)[1]);
//! let back = as_ndarray(as_faer(a.slice(s![.., ..;-1])));
//! assert_eq!(back, a.slice(s![.., ..;-1]));
//! ```

use faer::{MatMut, MatRef};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder};

use crate::error::Result;
use crate::geometry::Points;

/// Strides handed to faer: ndarray's `(row, col)` strides, or column-major ones for an
/// empty `nrows × ncols` view (whose strides address nothing and may be arbitrary).
fn faer_strides(nrows: usize, ncols: usize, strides: &[isize]) -> (isize, isize) {
    match strides {
        [rs, cs] if nrows > 0 && ncols > 0 => (*rs, *cs),
        [rs] if nrows > 0 => (*rs, 1),
        _ => (1, nrows.max(1) as isize),
    }
}

/// Views an `m × n` ndarray as an `m × n` faer matrix, without copying.
///
/// Works for every layout (C order, Fortran order, sliced, transposed, negatively
/// strided, empty): the faer view uses the ndarray's pointer and strides as they are.
/// The result borrows `a`'s data for the same lifetime.
pub fn as_faer(a: ArrayView2<'_, f64>) -> MatRef<'_, f64> {
    let (nrows, ncols) = a.dim();
    let (rs, cs) = faer_strides(nrows, ncols, a.strides());
    // SAFETY: `a.as_ptr()` is non-null and aligned (ndarray guarantees this even for an
    // empty view) and points at the logical element (0, 0); for a non-empty view every
    // `ptr + i * rs + j * cs` with `i < nrows`, `j < ncols` is an element of `a`, because
    // these are exactly ndarray's own strides, so the whole view lies in `a`'s allocation
    // and is initialized. An empty view addresses no element, whatever its strides. `a`
    // is a shared borrow of lifetime `'_`, so nothing writes to its elements during the
    // returned view's (equal) lifetime.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), nrows, ncols, rs, cs) }
}

/// Views an `m × n` mutable ndarray as an `m × n` mutable faer matrix, without copying.
///
/// Works for every layout, as [`as_faer`]; writes through the result land in the ndarray.
pub fn as_faer_mut(mut a: ArrayViewMut2<'_, f64>) -> MatMut<'_, f64> {
    let (nrows, ncols) = a.dim();
    let (rs, cs) = faer_strides(nrows, ncols, a.strides());
    let ptr = a.as_mut_ptr();
    // SAFETY: as in `as_faer`, `ptr` is non-null, aligned, points at the logical element
    // (0, 0), and ndarray's strides keep every addressed element inside `a`'s
    // initialized allocation. `a` is an exclusive borrow of lifetime `'_` that is moved
    // in and dropped here, so the returned view (same lifetime) is the only access to
    // these elements; a mutable ndarray view never maps two indices to one address
    // (ndarray forbids overlapping strides in mutable views), as faer requires.
    unsafe { MatMut::from_raw_parts_mut(ptr, nrows, ncols, rs, cs) }
}

/// Views a length-`n` ndarray vector as an `n × 1` faer matrix (a column), without
/// copying, for any stride (including negative ones).
///
/// `h.matvec(col_as_faer(x.view()))` multiplies an H² matrix by an ndarray vector.
pub fn col_as_faer(v: ArrayView1<'_, f64>) -> MatRef<'_, f64> {
    let n = v.len();
    let (rs, cs) = faer_strides(n, 1, v.strides());
    // SAFETY: `v.as_ptr()` is non-null, aligned and points at the logical element 0;
    // `ptr + i * rs` for `i < n` is element `i` of `v` (ndarray's own stride), so every
    // addressed element is inside `v`'s initialized allocation (none when `n == 0`).
    // The column stride is never applied to a 1-column matrix. `v` is a shared borrow of
    // lifetime `'_`, equal to the result's, so nothing writes to these elements meanwhile.
    unsafe { MatRef::from_raw_parts(v.as_ptr(), n, 1, rs, cs) }
}

/// Views an `m × n` faer matrix as an `m × n` ndarray, without copying.
///
/// Accepts every faer layout: positive, negative and zero strides (a negatively strided
/// axis becomes an inverted ndarray axis), and empty matrices (returned as an empty view
/// with zero strides). The result borrows `m`'s data for the same lifetime; use
/// [`to_ndarray`] for an owned copy.
pub fn as_ndarray(m: MatRef<'_, f64>) -> ArrayView2<'_, f64> {
    let (nrows, ncols) = (m.nrows(), m.ncols());
    if nrows == 0 || ncols == 0 {
        // SAFETY: the pointer of a faer view is non-null and aligned even for an empty
        // matrix, and an empty view with zero strides addresses no element at all.
        return unsafe { ArrayView2::from_shape_ptr((nrows, ncols).strides((0, 0)), m.as_ptr()) };
    }
    // The stride of a length-1 axis is never applied; zero keeps ndarray's checks trivial.
    let rs = if nrows > 1 { m.row_stride() } else { 0 };
    let cs = if ncols > 1 { m.col_stride() } else { 0 };
    // The element with the lowest address: the last index along each reversed axis.
    let i0 = if rs < 0 { nrows - 1 } else { 0 };
    let j0 = if cs < 0 { ncols - 1 } else { 0 };
    let low = m.ptr_at(i0, j0);
    let shape = (nrows, ncols).strides((rs.unsigned_abs(), cs.unsigned_abs()));
    // SAFETY: `low` is the address of element (i0, j0) of `m`, hence non-null, aligned
    // and initialized. With strides |rs|, |cs| ≥ 0 from `low`, index (i, j) addresses
    // faer's element (i0 ± i, j0 ± j) (minus exactly along the reversed axes), so every
    // address lies inside `m`'s allocation and the offset span is the one faer already
    // relies on (≤ isize::MAX). `m` is a shared borrow of lifetime `'_`, equal to the
    // result's, so nothing writes to these elements meanwhile; ndarray allows aliasing
    // (zero strides) in read-only views.
    let mut view = unsafe { ArrayView2::from_shape_ptr(shape, low) };
    if rs < 0 {
        view.invert_axis(Axis(0));
    }
    if cs < 0 {
        view.invert_axis(Axis(1));
    }
    view
}

/// Copies an `m × n` faer matrix into a fresh `m × n` C-order ndarray (any layout).
pub fn to_ndarray(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Builds [`Points`] from an `n × dim` ndarray: row `i` holds the coordinates of point `i`
/// (any layout; the coordinates are copied in row-major order).
///
/// # Errors
/// As [`Points::new`]: [`Error::BadDimension`](crate::Error::BadDimension) unless the
/// array has 1, 2 or 3 columns (checked first, so a `0 × 4` array gives this),
/// [`Error::Empty`](crate::Error::Empty) for no rows, and
/// [`Error::NonFinitePoint`](crate::Error::NonFinitePoint) with the row (`index`) and
/// column (`coord`) of the first NaN/infinite entry in row-major order.
pub fn points_from_ndarray(a: ArrayView2<'_, f64>) -> Result<Points> {
    Points::new(a.ncols(), a.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use faer::Mat;
    use ndarray::{array, s, Array1};

    /// An `m × n` C-order array with distinct entries `10 i + j` (a wrong stride shows).
    fn sample(m: usize, n: usize) -> Array2<f64> {
        Array2::from_shape_fn((m, n), |(i, j)| (10 * i + j) as f64)
    }

    /// Checks `as_faer` entry by entry, then the way back (`as_ndarray`, `to_ndarray`).
    fn round_trip(a: ArrayView2<'_, f64>) {
        let f = as_faer(a);
        assert_eq!((f.nrows(), f.ncols()), a.dim());
        for ((i, j), x) in a.indexed_iter() {
            assert_eq!(f[(i, j)], *x, "entry ({i}, {j})");
        }
        let back = as_ndarray(f);
        assert_eq!(back, a);
        assert_eq!(to_ndarray(f), a);
        if !a.is_empty() {
            assert_eq!(f.as_ptr(), a.as_ptr(), "as_faer must not copy");
            assert_eq!(back.as_ptr(), a.as_ptr(), "as_ndarray must not copy");
            assert_eq!(back.strides(), a.strides());
        }
    }

    #[test]
    fn round_trip_c_order() {
        let a = sample(4, 3);
        assert_eq!(a.strides(), &[3, 1]);
        round_trip(a.view());
    }

    #[test]
    fn round_trip_fortran_order() {
        let a = Array2::from_shape_vec((4, 3).f(), (0..12).map(f64::from).collect()).unwrap();
        assert_eq!(a.strides(), &[1, 4]);
        assert_eq!(a[[1, 0]], 1.0);
        round_trip(a.view());
        assert_eq!(as_faer(a.view()).row_stride(), 1);
    }

    #[test]
    fn round_trip_strided_slice() {
        let a = sample(7, 8);
        let v = a.slice(s![..;2, 1..;3]);
        assert_eq!(v.dim(), (4, 3));
        assert_eq!(v.strides(), &[16, 3]);
        round_trip(v);
        assert_eq!(as_faer(v)[(3, 2)], 67.0);
    }

    #[test]
    fn round_trip_transposed() {
        let a = sample(4, 3);
        let t = a.t();
        round_trip(t);
        let f = as_faer(t);
        assert_eq!((f.nrows(), f.ncols()), (3, 4));
        assert_eq!(f[(2, 1)], 12.0);
        assert_eq!(f, as_faer(a.view()).transpose());
    }

    #[test]
    fn round_trip_negative_strides() {
        let a = sample(4, 3);
        let v = a.slice(s![..;-1, ..]);
        assert_eq!(v.strides(), &[-3, 1]);
        round_trip(v);
        assert_eq!(as_faer(v)[(0, 0)], 30.0);
        assert_eq!(as_faer(v)[(3, 2)], 2.0);
        let w = a.slice(s![1..;-2, ..;-1]);
        assert_eq!(w.strides(), &[-6, -1]);
        round_trip(w);
        assert_eq!(as_faer(w)[(0, 0)], 32.0);
    }

    #[test]
    fn round_trip_empty() {
        for (m, n) in [(0, 3), (3, 0), (0, 0)] {
            let a = sample(m, n);
            round_trip(a.view());
            round_trip(a.t());
            let f = as_faer(a.view());
            assert_eq!(f * Mat::<f64>::zeros(n, 2), Mat::<f64>::zeros(m, 2));
            assert_eq!(as_ndarray(Mat::<f64>::zeros(m, n).as_ref()).dim(), (m, n));
        }
        let a = sample(5, 4);
        round_trip(a.slice(s![2..2, ..;-1]));
        round_trip(a.slice(s![..;-2, 4..]));
    }

    #[test]
    fn writes_through_as_faer_mut_land_in_ndarray() {
        let mut a = sample(4, 6);
        let mut f = as_faer_mut(a.slice_mut(s![..;-1, 1..;2]));
        assert_eq!((f.nrows(), f.ncols()), (4, 3));
        f[(0, 0)] = -1.0;
        f[(3, 2)] = -2.0;
        f.col_mut(1).fill(7.0);
        assert_eq!(a[[3, 1]], -1.0);
        assert_eq!(a[[0, 5]], -2.0);
        assert!((0..4).all(|i| a[[i, 3]] == 7.0));
        assert_eq!(a[[0, 0]], 0.0);
        assert_eq!(a[[3, 2]], 32.0);
        let mut t = a.clone();
        as_faer_mut(t.view_mut().reversed_axes()).fill(0.5);
        assert!(t.iter().all(|&x| x == 0.5));
        as_faer_mut(t.slice_mut(s![4.., ..])).fill(1.0);
    }

    #[test]
    fn as_faer_is_zero_copy() {
        let a = sample(5, 5);
        let v = a.slice(s![1.., 2..;-1]);
        let f = as_faer(v);
        assert_eq!(f.as_ptr(), &a[[1, 4]] as *const f64);
        assert_eq!(f.row_stride(), 5);
        assert_eq!(f.col_stride(), -1);
        let x = Array1::from_iter((0..6).map(f64::from));
        let c = col_as_faer(x.slice(s![..;-2]));
        assert_eq!(c.as_ptr(), &x[5] as *const f64);
    }

    #[test]
    fn as_ndarray_accepts_faer_layouts() {
        let m = Mat::from_fn(4, 3, |i, j| (10 * i + j) as f64);
        let expect = sample(4, 3);
        assert_eq!(as_ndarray(m.as_ref()), expect);
        assert_eq!(as_ndarray(m.as_ref().transpose()), expect.t());
        assert_eq!(as_ndarray(m.as_ref().reverse_rows()), expect.slice(s![..;-1, ..]));
        assert_eq!(as_ndarray(m.as_ref().reverse_cols()), expect.slice(s![.., ..;-1]));
        let r = m.as_ref().reverse_rows_and_cols().transpose();
        assert_eq!(as_ndarray(r), expect.slice(s![..;-1, ..;-1]).t());
        assert_eq!(as_ndarray(r).as_ptr(), r.as_ptr());
        let sub = m.as_ref().submatrix(1, 2, 3, 1);
        assert_eq!(as_ndarray(sub), expect.slice(s![1.., 2..]));
        assert_eq!(as_ndarray(m.as_ref().row(2).as_mat()), expect.slice(s![2..3, ..]));
    }

    #[test]
    fn col_as_faer_product_matches_dot() {
        let a = sample(5, 4).mapv(|x| (x * 0.37).sin());
        let x = Array1::from_iter((0..8).map(|i| (i as f64 * 0.9).cos()));
        for xv in [x.slice(s![..4]), x.slice(s![..;2]), x.slice(s![..;-2])] {
            let c = col_as_faer(xv);
            assert_eq!((c.nrows(), c.ncols()), (4, 1));
            let y = as_faer(a.view()) * c;
            let expect = a.dot(&xv);
            for i in 0..5 {
                assert!((y[(i, 0)] - expect[i]).abs() < 1e-14, "row {i}");
            }
        }
        let empty = col_as_faer(x.slice(s![3..3]));
        assert_eq!((empty.nrows(), empty.ncols()), (0, 1));
        assert_eq!(as_faer(a.slice(s![.., ..0])) * empty, Mat::<f64>::zeros(5, 1));
    }

    #[test]
    fn points_from_ndarray_copies_rows() {
        let a = array![[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]];
        let p = points_from_ndarray(a.view()).unwrap();
        assert_eq!((p.len(), p.dim()), (2, 3));
        assert_eq!(p.point(1), &[3.0, 4.0, 5.0]);
        let q = points_from_ndarray(a.t()).unwrap();
        assert_eq!((q.len(), q.dim()), (3, 2));
        assert_eq!(q.point(1), &[1.0, 4.0]);
    }

    #[test]
    fn points_from_ndarray_errors() {
        let mut a = Array2::<f64>::zeros((3, 2).f());
        a[[1, 0]] = f64::NAN;
        let e = points_from_ndarray(a.view()).unwrap_err();
        assert_eq!(e, Error::NonFinitePoint { index: 1, coord: 0 });
        a[[1, 0]] = 0.0;
        a[[2, 1]] = f64::INFINITY;
        let e = points_from_ndarray(a.view()).unwrap_err();
        assert_eq!(e, Error::NonFinitePoint { index: 2, coord: 1 });
        let e = points_from_ndarray(Array2::zeros((5, 4)).view()).unwrap_err();
        assert_eq!(e, Error::BadDimension { dim: 4 });
        let e = points_from_ndarray(Array2::zeros((5, 0)).view()).unwrap_err();
        assert_eq!(e, Error::BadDimension { dim: 0 });
        let e = points_from_ndarray(Array2::zeros((0, 3)).view()).unwrap_err();
        assert_eq!(e, Error::Empty);
    }
}
