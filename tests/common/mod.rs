//! Shared helpers of the integration tests: dense references and seeded inputs.
#![allow(dead_code)]

use faer::{Mat, MatMut};
use hmatrix::geometry::{Geometry, Points};
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, EntrySource, KernelSource};
use rand::{Rng, SeedableRng};

pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

pub fn random_mat(n: usize, m: usize, seed: u64) -> Mat<f64> {
    let mut r = rng(seed);
    Mat::from_fn(n, m, |_, _| r.random::<f64>() * 2.0 - 1.0)
}

/// A kernel problem: its points, source and dense matrix.
pub struct Problem {
    pub points: Points,
    pub src: KernelSource<RadialKernel>,
    pub dense: Mat<f64>,
}

pub fn kernel_problem(kernel: &str, geometry: &str, n: usize, nugget: f64) -> Problem {
    let points = Geometry::from_name(geometry).unwrap().generate(n, 42).unwrap();
    let k = RadialKernel::from_name(kernel).unwrap();
    let src = KernelSource::new(points.clone(), k, nugget).unwrap();
    let dense = to_dense(&src);
    Problem { points, src, dense }
}

pub fn build(p: &Problem, params: H2Params) -> H2Matrix<'_> {
    H2Matrix::builder(&p.src).params(params).build().unwrap()
}

/// ‖A x − Ã x‖ / ‖A x‖ for a random block of 3 right-hand sides.
pub fn matvec_rel_err(h: &H2Matrix<'_>, dense: &Mat<f64>, seed: u64) -> f64 {
    let x = random_mat(dense.nrows(), 3, seed);
    let exact = dense * &x;
    let approx = h.matvec(x.as_ref());
    (&exact - &approx).norm_l2() / exact.norm_l2()
}

/// `(log|det(A − σI)|, sign)` from the dense eigenvalues of `A`.
pub fn dense_logdet(ev: &[f64], shift: f64) -> (f64, f64) {
    let logabsdet = ev.iter().map(|l| (l - shift).abs().ln()).sum();
    (logabsdet, ev.iter().map(|l| (l - shift).signum()).product())
}

/// The entries of `inner` with `group` indices per point of `points` (which need not match
/// its dimension).
pub struct Grouped<'a> {
    pub inner: &'a dyn EntrySource,
    pub points: Points,
    pub group: usize,
}

impl EntrySource for Grouped<'_> {
    fn n(&self) -> usize {
        self.inner.n()
    }

    fn block(&self, rows: &[usize], cols: &[usize], out: MatMut<'_, f64>) {
        self.inner.block(rows, cols, out)
    }

    fn points(&self) -> Option<&Points> {
        Some(&self.points)
    }

    fn group(&self) -> usize {
        self.group
    }
}
