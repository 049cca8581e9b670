//! Kernel evaluation on every SIMD path of this CPU: entries per second of the
//! point-batched evaluation (distances, then `f(r)`) of each radial kernel, a column of
//! `m` rows at a time as the H² construction and the skeletonization call it, with the
//! scalar reference measured in the same run (medians of `--reps`, interleaved).
//!
//! Runs unchanged on x86-64 (AVX-512F, AVX2 + FMA) and aarch64 (SVE at the CPU's vector
//! length, NEON). Under an emulator (qemu-user) the timings are not performance.
//!
//! ```text
//! cargo run --release -p hmatrix-bench --example simd_kernels -- --json
//! ```

mod common;

use clap::Parser;
use common::{median, seconds};
use hmatrix::batch::{map_at_points_with, Simd};
use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Radial kernel evaluation per SIMD path against the scalar reference")]
struct Args {
    /// Comma-separated kernel names.
    #[arg(long, default_value = "yukawa,matern32,gaussian,laplace3d,imq")]
    kernels: String,
    /// Rows per column (the batch length of one call).
    #[arg(long, default_value_t = 256)]
    m: usize,
    /// Columns (calls) per measurement.
    #[arg(long, default_value_t = 4096)]
    cols: usize,
    /// Geometry of the points (ball, sphere, cube, …).
    #[arg(long, default_value = "ball")]
    geometry: String,
    /// Repetitions; the median is reported.
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let a = Args::parse();
    common::exit_code("simd_kernels", run(&a))
}

fn run(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if a.m == 0 || a.cols == 0 || a.reps == 0 {
        return Err("--m, --cols and --reps must be positive".into());
    }
    let pts = Geometry::from_name(&a.geometry)?.generate(a.m + a.cols, 1)?;
    let xs: Vec<Vec<f64>> = (0..pts.dim()).map(|d| (0..a.m).map(|i| pts.point(i)[d]).collect()).collect();
    let paths: Vec<Simd> = Simd::ALL.into_iter().filter(|s| s.available()).collect();
    let mut out = vec![0.0; a.m];
    for name in a.kernels.split(',') {
        let k = RadialKernel::from_name(name)?;
        let mut times = vec![Vec::new(); paths.len()];
        for _ in 0..a.reps {
            for (p, &simd) in paths.iter().enumerate() {
                times[p].push(seconds(|| {
                    for j in a.m..a.m + a.cols {
                        map_at_points_with(simd, &k, &xs, pts.point(j), &mut out);
                    }
                }));
                std::hint::black_box(&out);
            }
        }
        let medians: Vec<f64> = times.into_iter().map(median).collect();
        let scalar =
            medians[paths.iter().position(|&s| s == Simd::Scalar).expect("the reference always runs")];
        for (&simd, &t) in paths.iter().zip(&medians) {
            let rate = (a.m * a.cols) as f64 / t / 1e9;
            if a.json {
                println!(
                    "{{\"kernel\":\"{name}\",\"simd\":\"{}\",\"doubles_per_vector\":{},\"dim\":{},\"m\":{},\"cols\":{},\"median_s\":{t:.6},\"gentries_per_s\":{rate:.4},\"speedup_vs_scalar\":{:.3}}}",
                    simd.name(),
                    simd.doubles_per_vector(),
                    pts.dim(),
                    a.m,
                    a.cols,
                    scalar / t
                );
            } else {
                println!(
                    "{name:<12} {:<20} {rate:8.3} Gentries/s  {:6.2}× scalar",
                    simd.to_string(),
                    scalar / t
                );
            }
        }
    }
    Ok(())
}
