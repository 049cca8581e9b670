//! Scaling study of the strong-admissibility skeletonization `LDLᵀ` (`factor::skel`),
//! with the near-and-far ULV `LDLᵀ` and the dense `LBLᵀ` timed in the same run.
//!
//! For `N = min-n, 2·min-n, …, max-n` points of one geometry (seed 42) and one radial
//! kernel, at the shift `σ = tr(A)/N` (the mean eigenvalue: inside the spectrum, an
//! indefinite factorization as bisection uses), it measures:
//!
//! * **setup s**: `Skeletonization::new` (cluster tree, block tree, far samples);
//! * **skel s**: median wall time of `reps` factorizations `ldlt(σ)` (levels in parallel
//!   waves on all threads, or with `--arena-order` one cluster after the other on one core);
//! * **max skel**, per level the largest skeleton, and **top**: the largest active set of
//!   the level where everything left is eliminated densely;
//! * **stored MB**: the most block entries held at once (the factorization's memory);
//! * for `N ≤ --ulv-max-n`: **ULV build s** (the H² matrix, leaf `--ulv-leaf`, same tol,
//!   and its `UlvPlan`) and **ULV s** (median of `reps` `UlvPlan::ldlt`), the memory of the
//!   matrix and the plan, and whether the two counts ν(σ) agree;
//! * for `N ≤ --dense-max-n`: **dense s**, faer's `lblt` on the assembled matrix.
//!
//! It prints the fitted exponents `t ∝ N^p` and appends JSON records with `--jsonl`.
//!
//! ```text
//! cargo run --release --example skel_scaling -- --kernel yukawa --geometry sphere \
//!     --min-n 16384 --max-n 1048576 --tol 1e-5 --jsonl docs/bench/skel_scaling.jsonl
//! ```

mod common;

use clap::Parser;
use faer::Side;
use hmatrix::factor::skel::{EliminationOrder, SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::H2Matrix;
use hmatrix::source::{to_dense, EntrySource};
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Time the skeletonization LDLᵀ (and ULV, dense) for N = min-n, 2·min-n, …, max-n")]
struct Args {
    /// Kernel name (see `RadialKernel::from_name`).
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    /// Geometry name (see `Geometry::from_name`).
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// Diagonal nugget added to the kernel.
    #[arg(long, default_value_t = 0.0)]
    nugget: f64,
    /// Smallest N (the sweep doubles from here).
    #[arg(long, default_value_t = 16384)]
    min_n: usize,
    /// Largest N.
    #[arg(long, default_value_t = 262144)]
    max_n: usize,
    /// Relative ID / compression tolerance.
    #[arg(long, default_value_t = 1e-5)]
    tol: f64,
    /// Leaf size of the skeletonization's cluster tree.
    #[arg(long, default_value_t = 128)]
    leaf: usize,
    /// Strong admissibility η of the skeletonization.
    #[arg(long, default_value_t = 1.0)]
    eta: f64,
    /// Eliminate clusters one after the other in arena order (one core) instead of in
    /// parallel waves (`SkelParams::order`).
    #[arg(long)]
    arena_order: bool,
    /// Repetitions (median reported); sizes above 262144 run once.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Largest N for which the ULV (near-and-far H²) build and factorization are timed.
    #[arg(long, default_value_t = 65536)]
    ulv_max_n: usize,
    /// Leaf size of the ULV's H² matrix.
    #[arg(long, default_value_t = 256)]
    ulv_leaf: usize,
    /// Largest N for which the dense LBLᵀ is timed.
    #[arg(long, default_value_t = 8192)]
    dense_max_n: usize,
    /// Append one JSON record per size to this file.
    #[arg(long)]
    jsonl: Option<std::path::PathBuf>,
}

struct Row {
    n: usize,
    skel_s: f64,
    stored: f64,
    ulv: Option<(f64, f64)>,
    dense_s: Option<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.min_n == 0 || args.max_n < args.min_n || args.reps == 0 {
        return Err("need 0 < min-n ≤ max-n and reps ≥ 1".into());
    }
    let order = if args.arena_order { EliminationOrder::Arena } else { EliminationOrder::Waves };
    let params = SkelParams::default().tol(args.tol).leaf_size(args.leaf).eta(args.eta).order(order);
    let mut jsonl = common::open_jsonl(args.jsonl.as_deref())?;
    let base = serde_json::json!({
        "started": common::unix_time(), "kernel": args.kernel, "geometry": args.geometry,
        "nugget": args.nugget, "tol": args.tol, "leaf_size": args.leaf, "eta": args.eta,
        "ulv_leaf": args.ulv_leaf, "threads": rayon::current_num_threads(),
        "order": if args.arena_order { "arena" } else { "waves" },
    });
    println!(
        "kernel {} · geometry {} · nugget {} · tol {:e} · skel leaf {} η {} ({}) · ULV leaf {} · shift tr(A)/N",
        args.kernel,
        args.geometry,
        args.nugget,
        args.tol,
        args.leaf,
        args.eta,
        if args.arena_order { "arena order, one core" } else { "parallel waves" },
        args.ulv_leaf
    );
    println!();
    println!("| N | setup s | skel s | max skel | top | stored MB | ULV build s | ULV s | ULV MB | ν agree | dense s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    let mut n = args.min_n;
    while n <= args.max_n {
        let points = hmatrix::geometry::Geometry::from_name(&args.geometry)?.generate(n, 42)?;
        let kernel = hmatrix::kernel::RadialKernel::from_name(&args.kernel)?;
        let src = hmatrix::source::KernelSource::new(points, kernel, args.nugget)?;
        let shift = (0..n).map(|i| src.entry(i, i)).sum::<f64>() / n as f64;
        let t0 = Instant::now();
        let sk = Skeletonization::new(&src, params.clone())?;
        let setup_s = t0.elapsed().as_secs_f64();
        let reps = if n > 262144 { 1 } else { args.reps };
        let (times, f) = common::timed(reps, || sk.ldlt(shift));
        let f = f?;
        let skel_s = common::median(times.clone());
        let max_skel = f.levels.iter().map(|l| l.max_skeleton).max().unwrap_or(0);
        let top = f.levels.iter().find(|l| l.max_skeleton == 0).map_or(0, |l| l.max_active);
        let ulv = if n <= args.ulv_max_n {
            let t0 = Instant::now();
            let h = H2Matrix::builder(&src).tol(args.tol).leaf_size(args.ulv_leaf).build()?;
            let plan = UlvPlan::new(&h, PlanParams::default())?;
            let build_s = t0.elapsed().as_secs_f64();
            let (t, l) = common::timed(reps, || plan.ldlt(shift).map(|l| l.inertia()));
            Some((build_s, common::median(t), h.memory_bytes() + plan.memory_bytes(), l?.negative))
        } else {
            None
        };
        let dense_s = (n <= args.dense_max_n).then(|| {
            let a = to_dense(&src as &dyn EntrySource);
            common::median(common::timed(reps, || a.lblt(Side::Lower)).0)
        });
        let stored = f.peak_stored_bytes as f64 / 1e6;
        let dash = || "–".to_string();
        println!(
            "| {n} | {setup_s:.3} | {skel_s:.3} | {max_skel} | {top} | {stored:.1} | {} | {} | {} | {} | {} |",
            ulv.map_or_else(dash, |u| format!("{:.2}", u.0)),
            ulv.map_or_else(dash, |u| format!("{:.3}", u.1)),
            ulv.map_or_else(dash, |u| format!("{:.1}", u.2 as f64 / 1e6)),
            ulv.map_or_else(dash, |u| (u.3 == f.inertia.negative).to_string()),
            dense_s.map_or_else(dash, |d| format!("{d:.3}")),
        );
        if let Some(file) = jsonl.as_mut() {
            let mut r = base.clone();
            r.as_object_mut().expect("object").extend(
                serde_json::json!({
                    "n": n, "shift": shift, "setup_s": setup_s, "skel_s": skel_s, "skel_times_s": times,
                    "inertia": f.inertia, "levels": f.levels, "peak_stored_bytes": f.peak_stored_bytes,
                    "ulv_build_s": ulv.map(|u| u.0), "ulv_s": ulv.map(|u| u.1),
                    "ulv_memory_bytes": ulv.map(|u| u.2), "ulv_negative": ulv.map(|u| u.3),
                    "dense_lblt_s": dense_s,
                })
                .as_object()
                .expect("object")
                .clone(),
            );
            writeln!(file, "{r}")?;
        }
        rows.push(Row { n, skel_s, stored, ulv: ulv.map(|u| (u.0, u.1)), dense_s });
        n *= 2;
    }
    let fit = |f: &dyn Fn(&Row) -> Option<f64>| {
        common::fmt_slope(common::loglog_slope(
            &rows.iter().filter_map(|r| f(r).map(|y| (r.n as f64, y))).collect::<Vec<_>>(),
        ))
    };
    println!();
    println!("fitted exponents (log-log least squares): skel s ∝ N^{}", fit(&|r| Some(r.skel_s)));
    println!("                                          stored ∝ N^{}", fit(&|r| Some(r.stored)));
    println!("                                          ULV s ∝ N^{}", fit(&|r| r.ulv.map(|u| u.1)));
    println!("                                          ULV build ∝ N^{}", fit(&|r| r.ulv.map(|u| u.0)));
    println!("                                          dense s ∝ N^{}", fit(&|r| r.dense_s));
    Ok(())
}
