//! Scaling study of the H² `LDLᵀ` factorization against dense `LBLᵀ`.
//!
//! For `N = min-n, 2·min-n, 4·min-n, …, max-n` points of one geometry (seed 42) and one
//! radial kernel (no nugget), with default `H2Params` except `--tol`, it measures:
//!
//! * **build s**: wall time of one H² construction and its `UlvPlan` (point generation
//!   excluded).
//! * **factor s**: median wall time of `reps` calls `plan.ldlt(½·‖Ã‖)`, with `‖Ã‖`
//!   from `eigen::norm2_estimate(&h, 1)` (not timed). The shift puts it inside the
//!   spectrum, i.e. an indefinite factorization as used by bisection.
//! * **factor/build**: ratio of the two.
//! * **top rank**: largest basis rank on tree level 1 (`report().ranks` last entry);
//!   **max rank**: `report().max_rank` over all levels; **top**: the size of the dense
//!   top block and the tree level whose skeletons form it (`UlvPlan::top_block`).
//! * **memory MB**: the matrix's and the plan's numbers (`memory_bytes`) in 10⁶ bytes.
//! * for `N ≤ --dense-max-n`, in the same run: **dense s**, the median wall time of `reps`
//!   faer `Mat::lblt(Side::Lower)` (Bunch–Kaufman) on `source::to_dense(&src)` (the dense
//!   assembly is not timed), and **dense/H²** = dense s / factor s.
//!
//! After the table it prints the least-squares exponent `p` of `factor s ∝ N^p` (log-log
//! fit over all measured sizes; also for build and dense) and the first measured N at
//! which one H² `LDLᵀ` beat the dense `LBLᵀ`. The sweep stops gracefully (a final
//! `stopped: <reason>` row) when the previous build took longer than `--max-build-s`
//! or a build/factorization fails. With `--jsonl FILE` one JSON record per size (plus a
//! stop record and a summary record) is appended to FILE.
//!
//! ```text
//! cargo run --release --example factor_scaling -- --kernel laplace3d --geometry sphere \
//!     --min-n 2048 --max-n 65536 --jsonl docs/bench/factor_scaling.jsonl
//! ```

mod common;

use clap::Parser;
use faer::Side;
use hmatrix::eigen::norm2_estimate;
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::{to_dense, EntrySource};
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Time H² LDLᵀ (and dense LBLᵀ) for N = min-n, 2·min-n, …, max-n")]
struct Args {
    /// Kernel name (see `RadialKernel::from_name`).
    #[arg(long, default_value = "laplace3d")]
    kernel: String,
    /// Geometry name (see `Geometry::from_name`).
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// Smallest N (the sweep doubles from here).
    #[arg(long, default_value_t = 2048)]
    min_n: usize,
    /// Largest N.
    #[arg(long, default_value_t = 65536)]
    max_n: usize,
    /// Relative compression tolerance.
    #[arg(long, default_value_t = 1e-8)]
    tol: f64,
    /// Leaf size of the cluster tree (default: `H2Params::default()`).
    #[arg(long)]
    leaf: Option<usize>,
    /// Level of the dense top block (default: chosen by the flop model).
    #[arg(long)]
    top_level: Option<usize>,
    /// Repetitions of each factorization (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Largest N for which the dense LBLᵀ is also timed.
    #[arg(long, default_value_t = 8192)]
    dense_max_n: usize,
    /// Stop after a build that took longer than this many seconds.
    #[arg(long, default_value_t = 240.0)]
    max_build_s: f64,
    /// Append one JSON record per size to this file.
    #[arg(long)]
    jsonl: Option<std::path::PathBuf>,
}

struct Row {
    n: usize,
    build_s: f64,
    factor_s: f64,
    dense_s: Option<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.min_n == 0 || args.max_n < args.min_n || args.reps == 0 {
        return Err("need 0 < min-n ≤ max-n and reps ≥ 1".into());
    }
    let defaults = H2Params::default();
    let leaf_size = args.leaf.unwrap_or(defaults.leaf_size);
    let params = defaults.tol(args.tol).leaf_size(leaf_size);
    let plan_params = PlanParams::default().top_level(args.top_level);
    let mut jsonl = common::open_jsonl(args.jsonl.as_deref())?;
    let threads = rayon::current_num_threads();
    let started = common::unix_time();
    let base = serde_json::json!({
        "started": started,
        "kernel": args.kernel,
        "geometry": args.geometry,
        "tol": args.tol,
        "leaf_size": params.leaf_size,
        "reps": args.reps,
        "threads": threads,
    });
    let mut emit = |rec: serde_json::Value| -> std::io::Result<()> {
        if let Some(f) = jsonl.as_mut() {
            let mut r = base.clone();
            if let (Some(r), serde_json::Value::Object(extra)) = (r.as_object_mut(), rec) {
                r.extend(extra);
            }
            writeln!(f, "{r}")?;
            f.flush()?;
        }
        Ok(())
    };

    println!(
        "kernel {} · geometry {} · near-and-far · tol {:e} · leaf {} · reps {} · rayon threads {} · shift ½‖Ã‖",
        args.kernel, args.geometry, args.tol, params.leaf_size, args.reps, threads
    );
    println!();
    println!(
        "| N | build s | factor s | factor/build | top rank | max rank | top (level) | memory MB | dense LBLᵀ s | dense/H² |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

    let mut rows: Vec<Row> = Vec::new();
    let mut stopped: Option<String> = None;
    let mut n = args.min_n;
    while n <= args.max_n {
        if let Some(p) = rows.last() {
            if p.build_s > args.max_build_s {
                stopped = Some(format!(
                    "N = {} build took {:.1} s > {} s; N = {n} skipped",
                    p.n, p.build_s, args.max_build_s
                ));
                break;
            }
        }

        let src = common::kernel_problem(&args.kernel, &args.geometry, n)?;
        let t0 = Instant::now();
        let h = match H2Matrix::builder(&src).params(params.clone()).build() {
            Ok(h) => h,
            Err(e) => {
                stopped = Some(format!("N = {n} build failed: {e}"));
                break;
            }
        };
        let plan = match UlvPlan::new(&h, plan_params.clone()) {
            Ok(p) => p,
            Err(e) => {
                stopped = Some(format!("N = {n} build failed: {e}"));
                break;
            }
        };
        let build_s = t0.elapsed().as_secs_f64();

        let norm = norm2_estimate(&h, 1);
        let shift = 0.5 * norm;
        let (factor_times, res) = common::timed(args.reps, || plan.ldlt(shift).map(|f| f.inertia()));
        let inertia = match res {
            Ok(i) => i,
            Err(e) => {
                stopped = Some(format!("N = {n} the factorization failed: {e}"));
                break;
            }
        };
        let factor_s = common::median(factor_times.clone());

        let (dense_s, dense_times) = if n <= args.dense_max_n {
            let a = to_dense(&src as &dyn EntrySource);
            let (times, _) = common::timed(args.reps, || a.lblt(Side::Lower));
            (Some(common::median(times.clone())), Some(times))
        } else {
            (None, None)
        };

        let rep = h.report();
        let top_rank = rep.ranks.last().map_or(0, |r| r.max);
        let (top_level, root) = plan.top_block();
        let memory_bytes = h.memory_bytes() + plan.memory_bytes();
        println!(
            "| {} | {:.3} | {:.4} | {:.3} | {} | {} | {} ({}) | {:.1} | {} | {} |",
            n,
            build_s,
            factor_s,
            factor_s / build_s,
            top_rank,
            rep.max_rank,
            root,
            top_level,
            memory_bytes as f64 / 1e6,
            dense_s.map_or("–".to_string(), |d| format!("{d:.4}")),
            dense_s.map_or("–".to_string(), |d| format!("{:.2}", d / factor_s)),
        );
        emit(serde_json::json!({
            "n": n,
            "build_s": build_s,
            "norm2_estimate": norm,
            "shift": shift,
            "factor_s": factor_s,
            "factor_times_s": factor_times,
            "inertia": format!("{inertia:?}"),
            "top_rank": top_rank,
            "max_rank": rep.max_rank,
            "root_size": root,
            "top_level": top_level,
            "memory_bytes": memory_bytes,
            "dense_lblt_s": dense_s,
            "dense_lblt_times_s": dense_times,
            "report": rep,
        }))?;
        drop(plan);
        drop(h);
        rows.push(Row { n, build_s, factor_s, dense_s });
        n = match n.checked_mul(2) {
            Some(m) => m,
            None => break,
        };
    }
    if let Some(reason) = &stopped {
        println!("| stopped: {reason} | | | | | | | | | |");
        emit(serde_json::json!({ "stopped": reason }))?;
    }

    let pts = |f: &dyn Fn(&Row) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter().filter_map(|r| f(r).map(|y| (r.n as f64, y))).collect()
    };
    let p_factor = common::loglog_slope(&pts(&|r| Some(r.factor_s)));
    let p_build = common::loglog_slope(&pts(&|r| Some(r.build_s)));
    let p_dense = common::loglog_slope(&pts(&|r| r.dense_s));
    let crossover = rows.iter().find(|r| r.dense_s.is_some_and(|d| r.factor_s < d)).map(|r| r.n);
    println!();
    println!(
        "fitted exponent (least squares, log-log over {} sizes): factor s ∝ N^{}",
        rows.len(),
        common::fmt_slope(p_factor)
    );
    println!("                                         build s  ∝ N^{}", common::fmt_slope(p_build));
    println!("                                         dense s  ∝ N^{}", common::fmt_slope(p_dense));
    match crossover {
        Some(c) => println!("crossover: H² LDLᵀ faster than dense LBLᵀ from N = {c} (first measured size)"),
        None => println!("crossover: none among the sizes with a dense reference (N ≤ {})", args.dense_max_n),
    }
    emit(serde_json::json!({
        "summary": true,
        "sizes": rows.iter().map(|r| r.n).collect::<Vec<_>>(),
        "factor_exponent": p_factor,
        "build_exponent": p_build,
        "dense_exponent": p_dense,
        "crossover_n": crossover,
    }))?;
    Ok(())
}
