//! One eigenvalue solver on one problem, timed, appended as one JSON record per run: the
//! driver of `scripts/bench-eig.sh` (see `docs/bench/README.md`).
//!
//! Solvers: `hmatrix` (H² construction + bisection on inertia; `--threads` rayon threads),
//! `dsyevr` (LAPACK, range 'I'), `dsyevd` (LAPACK, all eigenvalues; `--threads` OpenBLAS
//! threads), and with feature `scalapack` `pdsyevx`, `pdsyevr`, with feature `elpa` `elpa1`,
//! `elpa2`, which run under `mpirun -np P` on a BLACS grid (nb = `--nb`, 1 OpenBLAS thread
//! per rank unless `--threads`); rank 0 writes the record. Only the solver is timed (dense
//! assembly and the block-cyclic fill are not); for hmatrix `time_s` = construction +
//! eigenvalues and `time_build_s` = construction.
//!
//! ```text
//! cargo build --release --features elpa --example bench_eig
//! B=target/release/examples/bench_eig
//! $B --solver dsyevr --kernel yukawa --geometry sphere --n 2048 --out eig.jsonl
//! mpirun -np 2 $B --solver elpa2 --kernel yukawa --geometry sphere --n 2048 --reference eig.jsonl --out eig.jsonl
//! $B --solver hmatrix --kernel yukawa --geometry sphere --n 2048 --reference eig.jsonl --out eig.jsonl
//! $B --check eig.jsonl        # do all solvers agree with dsyevr to 1e-8·‖A‖₂?
//! ```

#[path = "bench_eig/check.rs"]
mod check;
#[cfg(feature = "scalapack")]
#[path = "bench_eig/dist.rs"]
mod dist;
#[path = "bench_eig/problem.rs"]
mod problem;
#[path = "bench_eig/record.rs"]
mod record;

use clap::{Parser, ValueEnum};
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::factor::skel::{EliminationOrder, SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::to_dense;
use hmatrix_bench::lapack::{dsyevd_all, dsyevr_range, set_num_threads};
use problem::{Problem, ProblemArgs};
use record::Record;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

/// The solvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Solver {
    Hmatrix,
    /// hmatrix's strong-admissibility skeletonization counts (`eig --factorization skel`).
    HmatrixSkel,
    Dsyevr,
    Dsyevd,
    Pdsyevx,
    Pdsyevr,
    Elpa1,
    Elpa2,
}

#[derive(Debug, Parser)]
#[command(about = "Times one eigenvalue solver on one problem and appends a JSON record")]
struct Args {
    /// The solver (required unless --check).
    #[arg(long, value_enum)]
    solver: Option<Solver>,
    #[command(flatten)]
    problem: ProblemArgs,
    /// First eigenvalue index, 1-based ascending (default N/2).
    #[arg(long)]
    k: Option<usize>,
    /// Number of consecutive eigenvalues k, k+1, …, k+nev−1.
    #[arg(long, default_value_t = 1)]
    nev: usize,
    /// hmatrix: relative compression tolerance.
    #[arg(long, default_value_t = 1e-8)]
    tol: f64,
    /// hmatrix: leaf size of the cluster tree (default: the library's).
    #[arg(long)]
    leaf: Option<usize>,
    /// hmatrix: bisection width (default: from tol and ‖A‖).
    #[arg(long)]
    eig_tol: Option<f64>,
    /// Threads: rayon pool for hmatrix, OpenBLAS for dsyevr/dsyevd (default: OPENBLAS_NUM_THREADS
    /// or all cores), OpenBLAS per rank for the distributed solvers (default 1).
    #[arg(long)]
    threads: Option<usize>,
    /// Block size of the block-cyclic distribution.
    #[arg(long, default_value_t = 64)]
    nb: usize,
    /// JSONL file with the dsyevr record of the same problem, n, k, nev: fills abs_err.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Append the record to this JSONL file (repeatable).
    #[arg(long)]
    out: Vec<PathBuf>,
    /// Instead of running a solver: check that all records of FILE agree with dsyevr.
    #[arg(long, conflicts_with = "solver")]
    check: Option<PathBuf>,
    /// Relative tolerance of --check (times ‖A‖₂).
    #[arg(long, default_value_t = 1e-8)]
    check_tol: f64,
}

/// A solver's result, before it becomes a record.
struct Outcome {
    lambdas: Vec<f64>,
    time_s: f64,
    time_build_s: Option<f64>,
    cores: usize,
    peak_memory_bytes: u64,
    norm2: Option<f64>,
    tol: Option<f64>,
    factorizations: Option<usize>,
}

impl Outcome {
    fn basic(lambdas: Vec<f64>, time_s: f64, cores: usize) -> Self {
        let peak_memory_bytes = record::peak_memory_bytes();
        Self {
            lambdas,
            time_s,
            time_build_s: None,
            cores,
            peak_memory_bytes,
            norm2: None,
            tol: None,
            factorizations: None,
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench_eig: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<ExitCode, BoxError> {
    if let Some(path) = &args.check {
        return Ok(if check::check(path, args.check_tol)? { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let solver = args.solver.ok_or("give --solver NAME (or --check FILE)")?;
    let p = problem::load(&args.problem)?;
    let n = p.src.n();
    let k = args.k.unwrap_or((n / 2).max(1));
    if args.nev == 0 || k == 0 || k + args.nev - 1 > n {
        return Err(format!("eigenvalues {k}..{} are not inside 1..={n}", k + args.nev.max(1) - 1).into());
    }
    let outcome = match solver {
        Solver::Hmatrix => Some(hmatrix(args, &p, k)?),
        Solver::HmatrixSkel => Some(hmatrix_skel(args, &p, k)?),
        Solver::Dsyevr | Solver::Dsyevd => Some(dense(args, &p, k, solver)?),
        _ => distributed(args, &p, k, solver)?,
    };
    let Some(o) = outcome else { return Ok(ExitCode::SUCCESS) }; // ranks other than 0
    let reference = match &args.reference {
        Some(path) => record::reference(path, &p.name, n, k, args.nev)?,
        None => None,
    };
    let rec = Record {
        solver: solver.to_possible_value().expect("no skipped variants").get_name().to_string(),
        problem: p.name.clone(),
        n,
        cores: o.cores,
        k,
        nev: args.nev,
        time_s: o.time_s,
        time_build_s: o.time_build_s,
        peak_memory_bytes: o.peak_memory_bytes,
        lambda: o.lambdas[0],
        abs_err: reference.and_then(|r| record::max_abs_diff(&o.lambdas, &r)),
        lambdas: o.lambdas,
        norm2: o.norm2,
        tol: o.tol,
        factorizations: o.factorizations,
        machine: record::machine(),
        date: record::utc_now(),
    };
    record::append(&rec, &args.out)?;
    println!("{}", record::summary(&rec));
    Ok(ExitCode::SUCCESS)
}

/// H² construction + `Spectrum::range(k, k + nev − 1)`, both timed.
fn hmatrix(args: &Args, p: &Problem, k: usize) -> Result<Outcome, BoxError> {
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global()?;
    }
    let t = Instant::now();
    let mut params = H2Params::default().tol(args.tol);
    if let Some(l) = args.leaf {
        params = params.leaf_size(l);
    }
    let h = H2Matrix::builder(p.src.as_ref()).params(params).build()?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = UlvPlan::new(&h, PlanParams::default())?;
    let t_build = t.elapsed().as_secs_f64();
    let eig = EigParams::default().eig_tol(args.eig_tol);
    let s = Spectrum::new(&plan, &eig)?;
    let values = s.range(k, k + args.nev - 1)?;
    let time_s = t.elapsed().as_secs_f64();
    let st = s.stats();
    let worst = values.iter().map(|e| e.upper - e.lower).fold(0.0_f64, f64::max);
    eprintln!("hmatrix: max rank {}, widest certified bracket {worst:.1e}", h.report().max_rank);
    let mut o =
        Outcome::basic(values.iter().map(|e| e.value).collect(), time_s, rayon::current_num_threads());
    o.time_build_s = Some(t_build);
    o.norm2 = Some(st.norm_estimate);
    o.tol = Some(args.tol);
    o.factorizations = Some(st.factorizations);
    Ok(o)
}

/// Skeletonization setup + `Spectrum::range(k, k + nev − 1)` on its counts, both timed (leaf 128
/// unless `--leaf`); `time_build_s` is the setup (cluster tree and far samples).
fn hmatrix_skel(args: &Args, p: &Problem, k: usize) -> Result<Outcome, BoxError> {
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global()?;
    }
    let t = Instant::now();
    // arena order: the bisection's concurrent shifts fill the cores (`SkelParams::order`)
    let params = SkelParams::default()
        .tol(args.tol)
        .leaf_size(args.leaf.unwrap_or(128))
        .order(EliminationOrder::Arena);
    let sk = Skeletonization::new(p.src.as_ref(), params)?;
    let t_build = t.elapsed().as_secs_f64();
    // one count per core and round: the benchmark runs per core count anyway
    let eig = EigParams::default().eig_tol(args.eig_tol).cuts_per_round(rayon::current_num_threads());
    let s = Spectrum::new(&sk, &eig)?;
    let values = s.range(k, k + args.nev - 1)?;
    let time_s = t.elapsed().as_secs_f64();
    let st = s.stats();
    eprintln!(
        "hmatrix-skel: max skeleton {}, peak factor {:.1} MB, largest ε(σ) {:.1e}",
        st.max_rank,
        st.peak_factor_bytes as f64 / 1e6,
        st.max_shift_error
    );
    let mut o =
        Outcome::basic(values.iter().map(|e| e.value).collect(), time_s, rayon::current_num_threads());
    o.time_build_s = Some(t_build);
    // no norm2: the Gershgorin bound would widen the agreement check of every solver
    o.tol = Some(args.tol);
    o.factorizations = Some(st.factorizations);
    Ok(o)
}

/// LAPACK on the assembled dense matrix (assembly not timed).
fn dense(args: &Args, p: &Problem, k: usize, solver: Solver) -> Result<Outcome, BoxError> {
    let cores = match args.threads {
        Some(t) => {
            set_num_threads(t);
            t
        }
        None => std::env::var("OPENBLAS_NUM_THREADS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |c| c.get())),
    };
    // warm up OpenBLAS's thread pool so that the timed call does not pay for it
    let w = faer::Mat::from_fn(64, 64, |i, j| 1.0 / (1.0 + i.abs_diff(j) as f64));
    dsyevr_range(w.as_ref(), 32, 32)?;
    let a = to_dense(p.src.as_ref());
    let (il, iu) = (k, k + args.nev - 1);
    let t = Instant::now();
    let (lambdas, norm2) = if solver == Solver::Dsyevr {
        (dsyevr_range(a.as_ref(), il, iu)?, None)
    } else {
        let all = dsyevd_all(a.as_ref())?;
        let norm = all.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        (all[il - 1..iu].to_vec(), Some(norm))
    };
    let time_s = t.elapsed().as_secs_f64();
    let mut o = Outcome::basic(lambdas, time_s, cores);
    o.norm2 = norm2;
    Ok(o)
}

#[cfg(feature = "scalapack")]
fn distributed(args: &Args, p: &Problem, k: usize, solver: Solver) -> Result<Option<Outcome>, BoxError> {
    let threads = args.threads.unwrap_or(1);
    set_num_threads(threads);
    let Some(d) = dist::run(solver, p, k, args.nev, args.nb)? else { return Ok(None) };
    let mut o = Outcome::basic(d.lambdas, d.time_s, d.ranks * threads);
    o.peak_memory_bytes = d.peak_memory_bytes;
    Ok(Some(o))
}

#[cfg(not(feature = "scalapack"))]
fn distributed(_: &Args, _: &Problem, _: usize, solver: Solver) -> Result<Option<Outcome>, BoxError> {
    Err(format!("{solver:?} needs the `scalapack` feature (cargo build --features elpa)").into())
}
