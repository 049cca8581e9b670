//! Batched small products `C_b ← C_b + A_b·B_b` (`hmatrix::batch::gemm_batched`) against a
//! loop of one faer `matmul` per product (`Par::Seq`) and, with feature `lapack`, a loop
//! of OpenBLAS `dgemm` calls, on one thread; square sizes, one strided batch each, all
//! methods interleaved per repetition and the median reported. `gflops_dgemm_peak` is one
//! 1024³ faer product on one thread, the machine's practical per-core peak.
//!
//! ```text
//! OPENBLAS_NUM_THREADS=1 cargo run --release -p hmatrix-bench --features lapack \
//!     --example batch_bench -- --json
//! ```
//!
//! Runs unchanged on aarch64 (NEON kernel; SVE CPUs run it too).

mod common;

use clap::Parser;
use common::{median, seconds};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use hmatrix::batch::{gemm_batched, GemmShape, Simd};
use rand::{Rng, SeedableRng};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Batched small GEMM against per-call faer and OpenBLAS loops")]
struct Args {
    /// Comma-separated square sizes.
    #[arg(long, default_value = "4,8,16,32,64,128")]
    sizes: String,
    /// Products per batch.
    #[arg(long, default_value_t = 20_000)]
    batch: usize,
    /// Passes over the batch per timing: with a batch that fits in cache (say `--batch 100
    /// --repeat 200`) this measures the kernels instead of the memory bandwidth.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Repetitions; the median is reported.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let a = Args::parse();
    common::exit_code("batch_bench", run(&a))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> =
        args.sizes.split(',').map(|s| s.trim().parse::<usize>()).collect::<Result<_, _>>()?;
    if args.batch == 0 || args.reps == 0 || args.repeat == 0 || sizes.contains(&0) {
        return Err("--batch, --repeat, --reps and every size must be positive".into());
    }
    #[cfg(feature = "lapack")]
    hmatrix_bench::lapack::set_num_threads(1);
    let peak = dgemm_peak();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for &s in &sizes {
        let shape = GemmShape { m: s, n: s, k: s };
        let len = args.batch * s * s;
        let a: Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut c = vec![0.0; len];
        // one untimed pass of each first: the first touch of `c` faults its pages in,
        // which would be charged to whichever method ran first
        gemm_batched(shape, &a, &b, &mut c);
        faer_loop(s, &a, &b, &mut c);
        openblas_loop(s, &a, &b, &mut c, 1);
        let mut times: [Vec<f64>; 3] = Default::default();
        for _ in 0..args.reps {
            let r = args.repeat;
            times[0].push(seconds(|| (0..r).for_each(|_| gemm_batched(shape, &a, &b, &mut c))));
            times[1].push(seconds(|| (0..r).for_each(|_| faer_loop(s, &a, &b, &mut c))));
            if let Some(t) = openblas_loop(s, &a, &b, &mut c, r) {
                times[2].push(t);
            }
        }
        std::hint::black_box(&c);
        let flops = 2.0 * (s * s * s) as f64 * (args.batch * args.repeat) as f64;
        let rate = |t: Vec<f64>| (!t.is_empty()).then(|| flops / median(t) / 1e9);
        let [tb, tf, to] = times;
        let (gb, gf, go) = (rate(tb).unwrap_or(0.0), rate(tf).unwrap_or(0.0), rate(to));
        let go_json = go.map_or("null".to_string(), |g| format!("{g:.3}"));
        if args.json {
            println!(
                "{{\"m\":{s},\"n\":{s},\"k\":{s},\"batch\":{},\"repeat\":{},\"simd\":\"{}\",\"gflops_batched\":{gb:.3},\"gflops_faer_loop\":{gf:.3},\"gflops_openblas_loop\":{go_json},\"gflops_dgemm_peak\":{peak:.3},\"speedup_vs_faer\":{:.3}}}",
                args.batch,
                args.repeat,
                Simd::detect().name(),
                gb / gf
            );
        } else {
            println!(
                "{s:>4}³ × {}: batched {gb:7.2} GFlop/s  faer loop {gf:7.2}  OpenBLAS loop {go_json:>7}  peak {peak:.1}  ({:.2}× faer)",
                args.batch,
                gb / gf
            );
        }
    }
    Ok(())
}

/// One faer `matmul` per product, on this thread.
fn faer_loop(s: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    let size = s * s;
    for ((ai, bi), ci) in a.chunks_exact(size).zip(b.chunks_exact(size)).zip(c.chunks_exact_mut(size)) {
        let (am, bm) = (MatRef::from_column_major_slice(ai, s, s), MatRef::from_column_major_slice(bi, s, s));
        matmul(MatMut::from_column_major_slice_mut(ci, s, s), Accum::Add, am, bm, 1.0, Par::Seq);
    }
}

/// One OpenBLAS `dgemm` per product (feature `lapack`), timed; `None` without it.
#[cfg(feature = "lapack")]
fn openblas_loop(s: usize, a: &[f64], b: &[f64], c: &mut [f64], repeat: usize) -> Option<f64> {
    let size = s * s;
    Some(seconds(|| {
        for _ in 0..repeat {
            for ((ai, bi), ci) in a.chunks_exact(size).zip(b.chunks_exact(size)).zip(c.chunks_exact_mut(size))
            {
                hmatrix_bench::lapack::dgemm_add(s, s, s, ai, bi, ci);
            }
        }
    }))
}

#[cfg(not(feature = "lapack"))]
fn openblas_loop(_: usize, _: &[f64], _: &[f64], _: &mut [f64], _: usize) -> Option<f64> {
    None
}

/// GFlop/s of one 1024³ faer product on one thread (best of 3).
fn dgemm_peak() -> f64 {
    let n = 1024;
    let a = Mat::<f64>::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 11) as f64);
    let mut c = Mat::<f64>::zeros(n, n);
    let best = (0..3)
        .map(|_| seconds(|| matmul(c.as_mut(), Accum::Replace, a.as_ref(), a.as_ref(), 1.0, Par::Seq)))
        .fold(f64::INFINITY, f64::min);
    2.0 * (n as f64).powi(3) / best / 1e9
}
