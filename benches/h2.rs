//! Criterion benches of H² construction, matvec and LDLᵀ, with a same-run dense baseline.
//!
//! Problems: `laplace3d` on `sphere` (seed 42, no nugget), default `H2Params`
//! (near-and-far bases, tol 1e-8, leaf 64). Groups:
//!
//! * `construct/N`: one `H2Matrix::builder(&src).build()`, N = 2048, 4096, 8192;
//! * `matvec/N`: one `Ã x` with one right-hand side, N = 2048, 4096, 8192;
//! * `ldlt/N`: one `plan.ldlt(shift)` at `shift = ½·‖Ã‖₂` (power-method estimate), with the
//!   shift-independent `UlvPlan` made once outside the loop, N = 2048, 4096;
//! * `skel_ldlt/N`: one strong-admissibility skeletonization `ldlt(shift)` (no H² matrix,
//!   tol 1e-8, default `SkelParams`), same shift, N = 2048, 4096;
//! * `dense_faer/matvec/2048`, `dense_faer/lblt/2048` and `dense_faer/eigenvalues/2048`:
//!   faer's dense `&a * &x`, Bunch–Kaufman and `Mat::self_adjoint_eigenvalues`, for ratios
//!   against the H² numbers.
//! * `batched_gemm/{batched,faer_loop}/S`: 2000 products `C ← C + A·B` of S × S matrices,
//!   `hmatrix::batch::gemm_batched` against one faer `matmul` per product (`Par::Seq`),
//!   S = 4, 8, 16, 32, 64 (`examples/batch_bench.rs` prints the same with OpenBLAS, as JSON).
//!
//! Sample sizes are small (10) so that `cargo bench --bench h2` finishes in a few minutes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::{Mat, Side};
use hmatrix::eigen::norm2_estimate;
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::geometry::Geometry;
use hmatrix::h2::H2Matrix;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

fn problem(n: usize) -> KernelSource<RadialKernel> {
    let points = Geometry::from_name("sphere").unwrap().generate(n, 42).unwrap();
    let k = RadialKernel::from_name("laplace3d").unwrap();
    KernelSource::new(points, k, 0.0).unwrap()
}

fn build(src: &KernelSource<RadialKernel>) -> H2Matrix<'_> {
    H2Matrix::builder(src).build().unwrap()
}

fn rhs(n: usize) -> Mat<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    Mat::from_fn(n, 1, |_, _| rng.random::<f64>() * 2.0 - 1.0)
}

fn construct(c: &mut Criterion) {
    let mut g = c.benchmark_group("construct");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in [2048, 4096, 8192] {
        let src = problem(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| b.iter(|| build(&src)));
    }
    g.finish();
}

fn matvec(c: &mut Criterion) {
    let mut g = c.benchmark_group("matvec");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for n in [2048, 4096, 8192] {
        let src = problem(n);
        let h = build(&src);
        let x = rhs(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| h.matvec(black_box(x.as_ref())))
        });
    }
    g.finish();
}

fn ldlt(c: &mut Criterion) {
    let mut g = c.benchmark_group("ldlt");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in [2048, 4096] {
        let src = problem(n);
        let h = build(&src);
        let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
        let shift = 0.5 * norm2_estimate(&h, 1);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| plan.ldlt(black_box(shift)).unwrap())
        });
    }
    g.finish();
}

fn skel_ldlt(c: &mut Criterion) {
    let mut g = c.benchmark_group("skel_ldlt");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in [2048, 4096] {
        let src = problem(n);
        let shift = 0.5 * norm2_estimate(&build(&src), 1);
        let sk = Skeletonization::new(&src, SkelParams::default()).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| sk.ldlt(black_box(shift)).unwrap())
        });
    }
    g.finish();
}

fn dense_faer(c: &mut Criterion) {
    let mut g = c.benchmark_group("dense_faer");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    let n = 2048;
    let src = problem(n);
    let a = to_dense(&src);
    let x = rhs(n);
    g.bench_with_input(BenchmarkId::new("matvec", n), &n, |b, _| b.iter(|| &a * black_box(&x)));
    g.bench_with_input(BenchmarkId::new("lblt", n), &n, |b, _| b.iter(|| black_box(&a).lblt(Side::Lower)));
    g.bench_with_input(BenchmarkId::new("eigenvalues", n), &n, |b, _| {
        b.iter(|| black_box(&a).self_adjoint_eigenvalues(Side::Lower).unwrap())
    });
    g.finish();
}

fn batched_gemm(c: &mut Criterion) {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, MatMut, MatRef, Par};
    use hmatrix::batch::{gemm_batched, GemmShape};
    let mut g = c.benchmark_group("batched_gemm");
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let count = 2000;
    for s in [4, 8, 16, 32, 64] {
        let len = count * s * s;
        let a: Vec<f64> = (0..len).map(|_| rng.random::<f64>() - 0.5).collect();
        let b: Vec<f64> = (0..len).map(|_| rng.random::<f64>() - 0.5).collect();
        let mut out = vec![0.0; len];
        let shape = GemmShape { m: s, n: s, k: s };
        g.bench_with_input(BenchmarkId::new("batched", s), &s, |bch, _| {
            bch.iter(|| gemm_batched(shape, &a, &b, black_box(&mut out)))
        });
        g.bench_with_input(BenchmarkId::new("faer_loop", s), &s, |bch, _| {
            bch.iter(|| {
                for ((ai, bi), ci) in
                    a.chunks_exact(s * s).zip(b.chunks_exact(s * s)).zip(out.chunks_exact_mut(s * s))
                {
                    let (am, bm) = (
                        MatRef::from_column_major_slice(ai, s, s),
                        MatRef::from_column_major_slice(bi, s, s),
                    );
                    matmul(MatMut::from_column_major_slice_mut(ci, s, s), Accum::Add, am, bm, 1.0, Par::Seq);
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, construct, matvec, ldlt, skel_ldlt, dense_faer, batched_gemm);
criterion_main!(benches);
