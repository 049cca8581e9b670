//! The middle eigenvalue of a kernel matrix: dense LAPACK against H² bisection.
//!
//! For one kernel on one geometry (seed 0, no nugget) and each N of `--n`:
//!
//! * **dense** (N ≤ `--dense-max-n`): assemble the N × N matrix (`source::to_dense`, not
//!   timed), then time `dsyevr` for `k = N/2` alone (`lapack::dsyevr_range`, range 'I',
//!   eigenvalues only) and `dsyevd` for all eigenvalues (`lapack::dsyevd_all`), whose largest
//!   |λ| gives ‖A‖₂ and whose λ_k cross-checks dsyevr. OpenBLAS uses its default thread
//!   count (all cores, unless `OPENBLAS_NUM_THREADS` is set); this program sets nothing.
//! * **ours**: time the H² construction (tolerance `--tol`) with its `UlvPlan`,
//!   `Spectrum::new` (norm and error estimates, start interval) and `Spectrum::kth(N/2)`
//!   on the default rayon pool (all cores).
//! * For N > `--dense-max-n` only ours runs, and the dense time is **extrapolated** as
//!   `t(N₀)·(N/N₀)³` from the largest dense N₀ measured in this run (or `--dense-ref N₀:T`).
//!
//! Columns: `|Δλ|` = |λ_ours − λ_dsyevr|, relative to ‖A‖₂ (from dsyevd, or from our power
//! estimate when the dense solve is skipped); `bracket` = our certified `[lower, upper]`
//! and whether λ_dsyevr lies in it; `fact.` = LDLᵀ factorizations performed;
//! `speed-up` = t(dsyevr) / t(ours, build + eig).
//! With `--jsonl FILE` one JSON record per (solver, N) is appended: `solver` (dsyevr,
//! dsyevd, hmatrix), `problem`, `n`, `cores`, `k`, `time_s`, `lambda`, `abs_err`
//! (|λ − λ_dsyevr|, null where there is no dense reference) and a few extras.
//!
//! ```text
//! cargo run --release --features lapack --example eig_vs_lapack -- --n 2048,4096,8192
//! ```

use clap::Parser;
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::geometry::Geometry;
use hmatrix::h2::H2Matrix;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};
use hmatrix_bench::lapack::{dsyevd_all, dsyevr_range};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Middle eigenvalue: LAPACK dsyevr/dsyevd against H² bisection")]
struct Args {
    /// Kernel name (see `RadialKernel::from_name`).
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    /// Geometry name (see `Geometry::from_name`).
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// Comma-separated list of N.
    #[arg(long, value_delimiter = ',', default_value = "2048,4096,8192")]
    n: Vec<usize>,
    /// Relative compression tolerance of the H² matrix.
    #[arg(long, default_value_t = 1e-8)]
    tol: f64,
    /// Largest N for which the dense matrix is assembled and LAPACK is run.
    #[arg(long, default_value_t = 8192)]
    dense_max_n: usize,
    /// Reference dense time `N0:SECONDS` for the extrapolation when no dense N ran here.
    #[arg(long)]
    dense_ref: Option<String>,
    /// Skip dsyevd (then ‖A‖₂ comes from our power estimate).
    #[arg(long)]
    skip_dsyevd: bool,
    /// Seed of the geometry.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Append one JSON record per (solver, N) to this file.
    #[arg(long)]
    jsonl: Option<PathBuf>,
}

struct Dense {
    lambda: f64,
    t_dsyevr: f64,
    all: Option<(f64, f64, f64)>, // (λ_k from dsyevd, ‖A‖₂, time)
}

struct Ours {
    lambda: f64,
    lower: f64,
    upper: f64,
    factorizations: usize,
    norm_estimate: f64,
    t_build: f64,
    t_eig: f64,
    max_rank: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let kernel = RadialKernel::from_name(&args.kernel)?;
    let geometry = Geometry::from_name(&args.geometry)?;
    let problem = format!("{} on {}, tol {:e}", args.kernel, args.geometry, args.tol);
    let rayon_threads = rayon::current_num_threads();
    let blas_threads: usize = std::env::var("OPENBLAS_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |c| c.get()));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# {problem}; k = N/2; OpenBLAS threads = {blas_threads} (default), rayon threads = {rayon_threads}; \
         load average at start: {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let mut jsonl = match &args.jsonl {
        Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
        None => None,
    };
    let mut dense_ref: Option<(usize, f64)> = match &args.dense_ref {
        Some(s) => {
            let (a, b) = s.split_once(':').ok_or("--dense-ref expects N0:SECONDS")?;
            Some((a.parse()?, b.parse()?))
        }
        None => None,
    };
    // warm up OpenBLAS's thread pool so the first timed call does not pay for it
    {
        let w = faer::Mat::from_fn(64, 64, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64));
        dsyevr_range(w.as_ref(), 32, 32)?;
    }

    let mut rows = Vec::new();
    for &n in &args.n {
        let k = n / 2;
        if k == 0 {
            return Err(format!("N = {n} is too small (k = N/2 must be ≥ 1)").into());
        }
        let points = geometry.generate(n, args.seed)?;
        let src = KernelSource::new(points, kernel, 0.0)?;

        let dense = if n <= args.dense_max_n {
            let a = to_dense(&src);
            let t = Instant::now();
            let w = dsyevr_range(a.as_ref(), k, k)?;
            let t_dsyevr = t.elapsed().as_secs_f64();
            let all = if args.skip_dsyevd {
                None
            } else {
                let t = Instant::now();
                let ev = dsyevd_all(a.as_ref())?;
                let t_all = t.elapsed().as_secs_f64();
                let norm = ev.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
                Some((ev[k - 1], norm, t_all))
            };
            drop(a);
            if dense_ref.is_none_or(|(n0, _)| n >= n0) {
                dense_ref = Some((n, t_dsyevr));
            }
            eprintln!("N = {n}: dsyevr {t_dsyevr:.2} s");
            Some(Dense { lambda: w[0], t_dsyevr, all })
        } else {
            None
        };

        let t = Instant::now();
        let h = H2Matrix::builder(&src).tol(args.tol).build()?;
        // the plan's precomputations were part of the construction before the plan existed
        let plan = UlvPlan::new(&h, PlanParams::default())?;
        let t_build = t.elapsed().as_secs_f64();
        eprintln!("N = {n}: build {t_build:.2} s, max rank {}", h.report().max_rank);
        let t = Instant::now();
        let s = Spectrum::new(&plan, &EigParams::default())?;
        let e = s.kth(k)?;
        let t_eig = t.elapsed().as_secs_f64();
        let st = s.stats();
        eprintln!("N = {n}: eig {t_eig:.2} s, {} factorizations", st.factorizations);
        let ours = Ours {
            lambda: e.value,
            lower: e.lower,
            upper: e.upper,
            factorizations: st.factorizations,
            norm_estimate: st.norm_estimate,
            t_build,
            t_eig,
            max_rank: h.report().max_rank,
        };

        if let Some(f) = jsonl.as_mut() {
            let base = |solver: &str| json!({ "solver": solver, "problem": problem, "n": n, "k": k });
            let mut recs = Vec::new();
            if let Some(d) = &dense {
                let mut r = base("dsyevr");
                r["cores"] = json!(blas_threads);
                r["time_s"] = json!(d.t_dsyevr);
                r["lambda"] = json!(d.lambda);
                r["abs_err"] = json!(0.0);
                recs.push(r);
                if let Some((l, norm, t_all)) = d.all {
                    let mut r = base("dsyevd");
                    r["cores"] = json!(blas_threads);
                    r["time_s"] = json!(t_all);
                    r["lambda"] = json!(l);
                    r["abs_err"] = json!((l - d.lambda).abs());
                    r["norm2"] = json!(norm);
                    recs.push(r);
                }
            } else if let Some((n0, t0)) = dense_ref {
                let mut r = base("dsyevr");
                r["cores"] = json!(blas_threads);
                r["time_s"] = json!(t0 * (n as f64 / n0 as f64).powi(3));
                r["lambda"] = serde_json::Value::Null;
                r["abs_err"] = serde_json::Value::Null;
                r["extrapolated_from_n"] = json!(n0);
                recs.push(r);
            }
            let mut r = base("hmatrix");
            r["cores"] = json!(rayon_threads);
            r["time_s"] = json!(ours.t_build + ours.t_eig);
            r["lambda"] = json!(ours.lambda);
            r["abs_err"] =
                dense.as_ref().map_or(serde_json::Value::Null, |d| json!((ours.lambda - d.lambda).abs()));
            r["lower"] = json!(ours.lower);
            r["upper"] = json!(ours.upper);
            r["factorizations"] = json!(ours.factorizations);
            r["time_build_s"] = json!(ours.t_build);
            r["time_eig_s"] = json!(ours.t_eig);
            r["max_rank"] = json!(ours.max_rank);
            r["tol"] = json!(args.tol);
            recs.push(r);
            for r in recs {
                writeln!(f, "{r}")?;
            }
        }
        rows.push((n, k, dense, ours, dense_ref));
    }

    println!();
    println!(
        "| N | dsyevr s | dsyevd s | ours build s | ours eig s | ours total s | speed-up | λ_k dsyevr | λ_k ours \
         | abs Δλ | abs Δλ / ‖A‖₂ | bracket [lower, upper] | in bracket | fact. | max rank |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (n, _k, dense, o, dref) in &rows {
        let total = o.t_build + o.t_eig;
        let (t_r, t_d, speed, lam_r, dl, rel, inb) = match dense {
            Some(d) => {
                let norm = d.all.map_or(o.norm_estimate, |a| a.1);
                let dl = (o.lambda - d.lambda).abs();
                (
                    format!("{:.2}", d.t_dsyevr),
                    d.all.map_or("—".into(), |a| format!("{:.2}", a.2)),
                    format!("{:.2}×", d.t_dsyevr / total),
                    format!("{:.12e}", d.lambda),
                    format!("{dl:.1e}"),
                    format!("{:.1e}", dl / norm),
                    (if o.lower <= d.lambda && d.lambda <= o.upper { "yes" } else { "**no**" }).to_string(),
                )
            }
            None => {
                let (t_r, speed) = match dref {
                    Some((n0, t0)) => {
                        let te = t0 * (*n as f64 / *n0 as f64).powi(3);
                        (
                            format!("{te:.0} (extrapolated from N={n0})"),
                            format!("{:.1}× (extrapolated)", te / total),
                        )
                    }
                    None => ("—".into(), "—".into()),
                };
                (t_r, "—".into(), speed, "—".into(), "—".into(), "—".into(), "—".into())
            }
        };
        println!(
            "| {n} | {t_r} | {t_d} | {:.2} | {:.2} | {total:.2} | {speed} | {lam_r} | {:.12e} | {dl} | {rel} \
             | [{:.10e}, {:.10e}] | {inb} | {} | {} |",
            o.t_build, o.t_eig, o.lambda, o.lower, o.upper, o.factorizations, o.max_rank
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!("# load average at end: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    Ok(())
}
