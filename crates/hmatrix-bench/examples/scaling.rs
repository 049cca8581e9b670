//! Scaling study of H² construction and matvec.
//!
//! What it measures, for `N = min-n, 2·min-n, 4·min-n, …, max-n` points of one geometry
//! (seed 42) and one radial kernel (no nugget):
//!
//! * **build s**: wall time of one `H2Matrix::builder(..).build()` (cluster tree, block tree, bases,
//!   couplings, near blocks, and the report's sampled error estimate). Point generation is
//!   not included.
//! * **matvec s**: median wall time of `reps` products `Ã x` with one random right-hand
//!   side (`N × 1`), after one untimed warm-up product.
//! * **memory MB**: `BuildReport::memory_bytes` (the stored numbers), in 10⁶ bytes.
//! * **max rank**, **rel err est**: `BuildReport::max_rank` and
//!   `BuildReport::rel_err_estimate` (relative matvec error on 64 random rows against the
//!   exact kernel).
//! * the **ratio** columns divide each value by the previous N's value: for an O(N)
//!   method they approach 2 per doubling, for O(N log N) slightly above 2, for O(N²) 4.
//!
//! The sweep stops gracefully (a final `stopped: <reason>` row) before a size whose
//! predicted memory (previous memory × 2.5) exceeds `--max-mem-gib` (16) or when the
//! previous build took longer than `--max-build-s` (300 s), or if a build fails.
//! With `--jsonl FILE` one JSON record per size (and one per stop) is appended to FILE.
//!
//! ```text
//! cargo run --release --example scaling -- --basis far-only --min-n 16384 --max-n 1048576
//! ```

mod common;

use clap::{Parser, ValueEnum};
use faer::Mat;
use hmatrix::h2::{BasisSpan, H2Matrix, H2Params};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Basis {
    /// Bases span near and far field (factorizable default).
    NearAndFar,
    /// Bases span the far field only (classical H², matvec only).
    FarOnly,
}

#[derive(Debug, Parser)]
#[command(about = "Time H² construction and matvec for N = min-n, 2·min-n, …, max-n")]
struct Args {
    /// Kernel name (see `RadialKernel::from_name`).
    #[arg(long, default_value = "laplace3d")]
    kernel: String,
    /// Geometry name (see `Geometry::from_name`).
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// What the cluster bases span.
    #[arg(long, value_enum, default_value = "near-and-far")]
    basis: Basis,
    /// Largest N.
    #[arg(long, default_value_t = 1 << 20)]
    max_n: usize,
    /// Smallest N (the sweep doubles from here).
    #[arg(long, default_value_t = 1 << 14)]
    min_n: usize,
    /// Relative compression tolerance.
    #[arg(long, default_value_t = 1e-8)]
    tol: f64,
    /// Matvec repetitions (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Append one JSON record per size to this file.
    #[arg(long)]
    jsonl: Option<std::path::PathBuf>,
    /// Stop before a size whose predicted memory (previous × 2.5) exceeds this many GiB.
    #[arg(long, default_value_t = 16.0)]
    max_mem_gib: f64,
    /// Stop after a build that took longer than this many seconds.
    #[arg(long, default_value_t = 300.0)]
    max_build_s: f64,
}

struct Row {
    n: usize,
    build_s: f64,
    matvec_s: f64,
    memory_bytes: usize,
    max_rank: usize,
    rel_err: f64,
}

fn ratio(cur: f64, prev: Option<f64>) -> String {
    match prev {
        Some(p) if p > 0.0 => format!("{:.2}", cur / p),
        _ => "–".to_string(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.min_n == 0 || args.max_n < args.min_n || args.reps == 0 {
        return Err("need 0 < min-n ≤ max-n and reps ≥ 1".into());
    }
    let basis = match args.basis {
        Basis::NearAndFar => BasisSpan::NearAndFar,
        Basis::FarOnly => BasisSpan::FarOnly,
    };
    let basis_name = match args.basis {
        Basis::NearAndFar => "near-and-far",
        Basis::FarOnly => "far-only",
    };
    let params = H2Params::default().tol(args.tol).basis(basis);
    let mut jsonl = common::open_jsonl(args.jsonl.as_deref())?;
    let threads = rayon::current_num_threads();
    let started = common::unix_time();

    println!(
        "kernel {} · geometry {} · basis {} · tol {:e} · leaf {} · reps {} · rayon threads {}",
        args.kernel, args.geometry, basis_name, args.tol, params.leaf_size, args.reps, threads
    );
    println!();
    println!(
        "| N | build s | build ratio | matvec s | matvec ratio | memory MB | memory ratio | max rank | rel err est |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

    let mut prev: Option<Row> = None;
    let mut n = args.min_n;
    while n <= args.max_n {
        if let Some(p) = &prev {
            let predicted = p.memory_bytes as f64 * 2.5;
            let limit = args.max_mem_gib * (1u64 << 30) as f64;
            let reason = if predicted > limit {
                Some(format!(
                    "N = {n} predicted memory {:.1} GiB (= {:.1} GiB × 2.5) > {} GiB",
                    predicted / (1u64 << 30) as f64,
                    p.memory_bytes as f64 / (1u64 << 30) as f64,
                    args.max_mem_gib
                ))
            } else if p.build_s > args.max_build_s {
                Some(format!(
                    "N = {} build took {:.1} s > {} s; N = {n} skipped",
                    p.n, p.build_s, args.max_build_s
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                stop(&reason, &mut jsonl, basis_name, &args, n)?;
                return Ok(());
            }
        }

        let src = common::kernel_problem(&args.kernel, &args.geometry, n)?;
        let t0 = Instant::now();
        let h = match H2Matrix::builder(&src).params(params.clone()).build() {
            Ok(h) => h,
            Err(e) => {
                stop(&format!("N = {n} build failed: {e}"), &mut jsonl, basis_name, &args, n)?;
                return Ok(());
            }
        };
        let build_s = t0.elapsed().as_secs_f64();

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let x = Mat::from_fn(n, 1, |_, _| rng.random::<f64>() * 2.0 - 1.0);
        std::hint::black_box(h.matvec(x.as_ref()));
        let times: Vec<f64> = (0..args.reps)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(h.matvec(std::hint::black_box(x.as_ref())));
                t.elapsed().as_secs_f64()
            })
            .collect();
        let matvec_s = common::median(times.clone());

        let rep = h.report();
        let row = Row {
            n,
            build_s,
            matvec_s,
            memory_bytes: rep.memory_bytes,
            max_rank: rep.max_rank,
            rel_err: rep.rel_err_estimate,
        };
        println!(
            "| {} | {:.3} | {} | {:.4} | {} | {:.1} | {} | {} | {:.2e} |",
            row.n,
            row.build_s,
            ratio(row.build_s, prev.as_ref().map(|p| p.build_s)),
            row.matvec_s,
            ratio(row.matvec_s, prev.as_ref().map(|p| p.matvec_s)),
            row.memory_bytes as f64 / 1e6,
            ratio(row.memory_bytes as f64, prev.as_ref().map(|p| p.memory_bytes as f64)),
            row.max_rank,
            row.rel_err
        );
        if let Some(f) = jsonl.as_mut() {
            let rec = serde_json::json!({
                "started": started,
                "kernel": args.kernel,
                "geometry": args.geometry,
                "basis": basis_name,
                "tol": args.tol,
                "threads": threads,
                "n": n,
                "build_s": build_s,
                "matvec_s": matvec_s,
                "matvec_times_s": times,
                "report": rep,
            });
            writeln!(f, "{rec}")?;
            f.flush()?;
        }
        drop(h);
        prev = Some(row);
        n = match n.checked_mul(2) {
            Some(m) => m,
            None => break,
        };
    }
    Ok(())
}

fn stop(
    reason: &str,
    jsonl: &mut Option<std::fs::File>,
    basis_name: &str,
    args: &Args,
    n: usize,
) -> std::io::Result<()> {
    println!("| stopped: {reason} | | | | | | | | |");
    if let Some(f) = jsonl.as_mut() {
        let rec = serde_json::json!({
            "kernel": args.kernel,
            "geometry": args.geometry,
            "basis": basis_name,
            "tol": args.tol,
            "n": n,
            "stopped": reason,
        });
        writeln!(f, "{rec}")?;
        f.flush()?;
    }
    Ok(())
}
