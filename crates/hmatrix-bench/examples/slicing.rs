//! Spectrum slicing under MPI (feature `mpi`): consecutive eigenvalues of one kernel
//! matrix, every rank holding the same ULV plan and sharing the bisection rounds
//! (`hmatrix::dist`). One JSON line on rank 0: ranks, threads per rank, construction and
//! query times (each repeat on a fresh `Spectrum`; median; `eig_s` the shared rounds,
//! `estimates_s` the replicated spectrum estimates before them), counts, rounds, the largest
//! peak resident memory of any rank, and the job trace of the first repeat (kinds and
//! wall times per round, for `slicing_model`).
//!
//! ```text
//! cargo build --release -p hmatrix-bench --features mpi --example slicing
//! mpirun -np 2 target/release/examples/slicing --n 65536 --range 32737:32800 --threads 1
//! ```

mod common;

use clap::Parser;
use hmatrix::dist::Mpi;
use hmatrix::eigen::{agree, EigParams, Spectrum, WorkerGroup};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::H2Matrix;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Consecutive eigenvalues with the bisection rounds shared by MPI ranks")]
struct Args {
    /// Kernel name.
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    /// Geometry name.
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// Number of points.
    #[arg(long, default_value_t = 65536)]
    n: usize,
    /// Indices `k1:k2` (1-based, inclusive).
    #[arg(long, default_value = "32737:32800")]
    range: String,
    /// Compression tolerance (the CLI's derived default for eig-rtol 1e-8).
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
    /// Leaf size.
    #[arg(long, default_value_t = 256)]
    leaf: usize,
    /// Counts per bisection round (multisection); the output is the same for any number
    /// of ranks at a given value.
    #[arg(long, default_value_t = 1)]
    cuts_per_round: usize,
    /// Exact products with A only up to this n (0: values from the factored matrix).
    #[arg(long, default_value_t = 1 << 16)]
    exact_limit: usize,
    /// Threads per rank (default: all of the node's).
    #[arg(long)]
    threads: Option<usize>,
    /// Queries, each on a fresh spectrum (the median is reported).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

fn main() -> ExitCode {
    let mpi = match Mpi::init() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let args = Args::parse();
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global().expect("one global pool");
    }
    mpi.abort_on_panic(|| match run(&mpi, &args) {
        // every rank fails together (the rounds share errors); rank 0 prints
        Err(_) if !mpi.is_root() => ExitCode::from(2),
        r => common::exit_code("slicing", r),
    })
}

fn run(mpi: &Mpi, a: &Args) -> hmatrix::Result<()> {
    let (k1, k2) = a
        .range
        .split_once(':')
        .and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
        .ok_or_else(|| hmatrix::Error::invalid("range", &a.range, "k1:k2"))?;
    let t0 = Instant::now();
    let src = common::kernel_problem(&a.kernel, &a.geometry, a.n)?;
    let h = H2Matrix::builder(&src).tol(a.tol).leaf_size(a.leaf).build()?;
    let plan = UlvPlan::new(&h, PlanParams::default())?;
    let build_s = t0.elapsed().as_secs_f64();
    agree(mpi, 1, Ok(0))?;
    let params = EigParams::default().cuts_per_round(a.cuts_per_round).exact_limit(a.exact_limit);
    let (mut times, mut estimates, mut first) = (Vec::new(), Vec::new(), None);
    for _ in 0..a.repeat {
        // the spectrum's estimates (Lanczos ends, δ) are replicated on every rank: the
        // serial part of each query, timed apart from the shared rounds
        let t = Instant::now();
        let s = Spectrum::new(&plan, &params)?.with_group(mpi);
        estimates.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let values = s.range(k1, k2)?;
        times.push(t.elapsed().as_secs_f64());
        first.get_or_insert((values, s.stats(), s.trace()));
    }
    let (values, stats, trace) = first.expect("repeat ≥ 1");
    let peak_kb = mpi_max(mpi, peak_resident_kb());
    if mpi.is_root() {
        let line = json!({"ranks": mpi.size(), "threads": rayon::current_num_threads(), "n": a.n,
            "kernel": a.kernel, "geometry": a.geometry, "range": [k1, k2], "tol": a.tol, "leaf": a.leaf,
            "cuts_per_round": a.cuts_per_round, "exact_limit": a.exact_limit, "build_s": build_s,
            "eig_s": times, "eig_s_median": common::median(times.clone()),
            "estimates_s": estimates.clone(), "estimates_s_median": common::median(estimates), "factorizations": stats.factorizations,
            "exact_products": stats.exact_products, "rounds": trace.len(), "peak_rank_kb": peak_kb,
            "lambda_first": values[0].value, "lambda_last": values[values.len() - 1].value,
            "trace": trace});
        println!("{line}");
    }
    Ok(())
}

/// The largest of every rank's `v` (a collective).
fn mpi_max(mpi: &Mpi, v: u64) -> u64 {
    let all = mpi.all_gather(v.to_le_bytes().to_vec());
    all.iter().map(|b| u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))).max().unwrap_or(v)
}

/// `VmHWM` of /proc/self/status in KiB (0 where it cannot be read).
fn peak_resident_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
