//! Load-balance model of spectrum slicing at P = 1 … 1024 ranks, fed by measured job times.
//!
//! The MPI layer shares each bisection round's jobs among the ranks (longest job first)
//! and exchanges the results once per round (`hmatrix::eigen`'s `workers.rs`). Its time
//! on P ranks is therefore `Σ_rounds makespan(jobs of the round, P)`, and its efficiency
//! against one rank `Σ_jobs t / (P · Σ_rounds makespan)`. This example
//!
//! 1. takes the mean wall time of each job kind (count, refinement, vectors) from the job
//!    trace of a measured run (`examples/slicing.rs`'s JSON line; on 1-thread ranks);
//! 2. replays the *real* engine with a synthetic counter on a model spectrum (the dense
//!    spectrum of the same kernel on a smaller point set, stretched by quantiles to `n`:
//!    the same density, exact counts in O(log n), solves of a diagonal matrix) for 64,
//!    1024 and 10,000 consecutive eigenvalues in the middle of the spectrum, once with one
//!    count per round and once with P (multisection), and records each round's jobs;
//! 3. schedules every round on P ranks with the measured times and prints the predicted
//!    time and efficiency, one JSON line per (targets, P, cuts per round).
//!
//! Not modelled: the all-gather per round (a few KB; microseconds on a node, tens of
//! microseconds across nodes, against ≥ 0.1 s per job at n = 65,536) and the replicated
//! construction (each rank builds the whole matrix: a serial fraction of the end-to-end
//! time that the distributed matrix of issue 16 part 3 would remove).
//!
//! ```text
//! cargo run --release -p hmatrix-bench --example slicing_model -- \
//!     --trace docs/bench/mpi_slicing.jsonl --n 65536
//! ```

mod common;

use clap::Parser;
use faer::{Mat, MatMut, MatRef, Side};
use hmatrix::eigen::{
    Count, EigParams, ErrorModel, Estimates, InertiaCounter, JobKind, ShiftedFactor, Spectrum,
};
use hmatrix::factor::{Inertia, LogDet};
use hmatrix::par::Par;
use hmatrix::source::{to_dense, EntrySource};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Predicted efficiency of MPI spectrum slicing from measured job times")]
struct Args {
    /// A JSONL file of `slicing` runs: the last line with `threads` = 1 gives the job times.
    #[arg(long)]
    trace: std::path::PathBuf,
    /// Dimension of the modelled problem.
    #[arg(long, default_value_t = 65536)]
    n: usize,
    /// Kernel and geometry of the model spectrum.
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    #[arg(long, default_value = "sphere")]
    geometry: String,
    /// Points of the dense problem whose spectrum is stretched to n.
    #[arg(long, default_value_t = 2048)]
    dense_n: usize,
    /// Numbers of consecutive eigenvalues (middle of the spectrum).
    #[arg(long, default_value = "64,1024,10000")]
    targets: String,
    /// Rank counts.
    #[arg(long, default_value = "1,2,16,64,256,1024")]
    ranks: String,
}

fn main() -> ExitCode {
    common::exit_code("slicing_model", run(&Args::parse()))
}

fn run(a: &Args) -> Result<(), String> {
    let times = job_times(&a.trace)?;
    eprintln!("slicing_model: mean job seconds {times:?} (count, refine, vectors)");
    let d = model_spectrum(a).map_err(|e| e.to_string())?;
    let list = |s: &str| {
        s.split(',')
            .map(|x| x.trim().parse::<usize>().map_err(|e| format!("{s}: {e}")))
            .collect::<Result<Vec<_>, _>>()
    };
    let (targets, ranks) = (list(&a.targets)?, list(&a.ranks)?);
    let counter = Diagonal { d };
    for &m in &targets {
        let k1 = (a.n - m) / 2 + 1;
        let base = rounds(&counter, (k1, k1 + m - 1), 1)?;
        let t1: f64 = base.iter().flatten().map(|k| seconds(&times, *k)).sum();
        for &p in &ranks {
            // one count per round, and multisection with one count per rank
            for cuts in if p == 1 { vec![1] } else { vec![1, p] } {
                let r = if cuts == 1 { base.clone() } else { rounds(&counter, (k1, k1 + m - 1), cuts)? };
                let tp: f64 = r
                    .iter()
                    .map(|round| makespan(round.iter().map(|k| seconds(&times, *k)).collect(), p))
                    .sum();
                let jobs: usize = r.iter().map(Vec::len).sum();
                println!(
                    "{}",
                    json!({"n": a.n, "targets": m, "ranks": p, "cuts_per_round": cuts,
                    "rounds": r.len(), "jobs": jobs, "predicted_s": tp, "one_rank_s": t1,
                    "efficiency": t1 / (p as f64 * tp)})
                );
            }
        }
    }
    Ok(())
}

/// Mean seconds per job kind (count, refine, vectors) of the last 1-thread run in `path`.
fn job_times(path: &std::path::Path) -> Result<[f64; 3], String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let run: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|v| v["threads"] == 1)
        .ok_or_else(|| format!("{}: no run with threads = 1", path.display()))?;
    let mut sum = [(0.0, 0usize); 3];
    for job in run["trace"].as_array().into_iter().flatten().flat_map(|r| r.as_array().into_iter().flatten())
    {
        let i = match job["kind"].as_str() {
            Some("Count") => 0,
            Some("Refine") => 1,
            _ => 2,
        };
        sum[i].0 += job["seconds"].as_f64().unwrap_or(0.0);
        sum[i].1 += 1;
    }
    if sum[0].1 == 0 {
        return Err(format!("{}: the run's trace has no counts", path.display()));
    }
    let mean = |(s, c): (f64, usize)| if c > 0 { s / c as f64 } else { 2.0 * sum[0].0 / sum[0].1 as f64 };
    Ok(sum.map(mean))
}

fn seconds(times: &[f64; 3], k: JobKind) -> f64 {
    match k {
        JobKind::Count => times[0],
        JobKind::Refine => times[1],
        _ => times[2],
    }
}

/// Longest job first on `p` ranks: the finishing time of the busiest.
fn makespan(mut jobs: Vec<f64>, p: usize) -> f64 {
    jobs.sort_by(|a, b| b.total_cmp(a));
    let mut load = vec![0.0f64; p.min(jobs.len()).max(1)];
    for t in jobs {
        let w = (0..load.len()).min_by(|&a, &b| load[a].total_cmp(&load[b])).expect("a rank");
        load[w] += t;
    }
    load.into_iter().fold(0.0, f64::max)
}

/// The job kinds of every round of the engine's query `k1..=k2` with `cuts` per round.
fn rounds(c: &Diagonal, (k1, k2): (usize, usize), cuts: usize) -> Result<Vec<Vec<JobKind>>, String> {
    let params = EigParams::default().cuts_per_round(cuts).exact_limit(0).par(Par::Seq);
    let s = Spectrum::new(c, &params).map_err(|e| e.to_string())?;
    s.range(k1, k2).map_err(|e| e.to_string())?;
    Ok(s.trace().into_iter().map(|r| r.into_iter().map(|j| j.kind).collect()).collect())
}

/// The dense spectrum of the kernel on `dense_n` points, stretched to `n` eigenvalues by
/// linear interpolation of its quantiles (the same density of states, no ties).
fn model_spectrum(a: &Args) -> hmatrix::Result<Vec<f64>> {
    let src = common::kernel_problem(&a.kernel, &a.geometry, a.dense_n)?;
    let ev = to_dense(&src).self_adjoint_eigenvalues(Side::Lower).expect("dense eigenvalues");
    let m = ev.len();
    Ok((0..a.n)
        .map(|i| {
            let x = i as f64 * (m - 1) as f64 / (a.n - 1).max(1) as f64;
            let j = (x as usize).min(m - 2);
            ev[j] + (x - j as f64) * (ev[j + 1] - ev[j])
        })
        .collect())
}

/// `diag(d)` (ascending): its own source, counter and factorizations.
struct Diagonal {
    d: Vec<f64>,
}

impl EntrySource for Diagonal {
    fn n(&self) -> usize {
        self.d.len()
    }
    fn block(&self, rows: &[usize], cols: &[usize], mut out: MatMut<'_, f64>) {
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in cols.iter().enumerate() {
                out[(a, b)] = if i == j { self.d[i] } else { 0.0 };
            }
        }
    }
}

/// `diag(d) − σI`.
struct Shifted<'a> {
    d: &'a [f64],
    sigma: f64,
}

impl ShiftedFactor for Shifted<'_> {
    fn shift(&self) -> f64 {
        self.sigma
    }
    fn inertia(&self) -> Inertia {
        let negative = self.d.partition_point(|&x| x < self.sigma);
        let zero = self.d[negative..].partition_point(|&x| x <= self.sigma);
        Inertia { negative, zero, positive: self.d.len() - negative - zero }
    }
    fn logdet(&self) -> LogDet {
        let sign = if self.inertia().negative % 2 == 0 { 1.0 } else { -1.0 };
        LogDet { sign, logabsdet: self.d.iter().map(|x| (x - self.sigma).abs().ln()).sum() }
    }
    fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(b.nrows(), b.ncols(), |i, j| b[(i, j)] / (self.d[i] - self.sigma))
    }
    fn apply_unshifted(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(x.nrows(), x.ncols(), |i, j| self.d[i] * x[(i, j)])
    }
    fn error(&self) -> f64 {
        0.0
    }
}

impl InertiaCounter for Diagonal {
    type Factor<'f> = Shifted<'f>;
    fn name(&self) -> &'static str {
        "diagonal"
    }
    fn n(&self) -> usize {
        self.d.len()
    }
    fn source(&self) -> &dyn EntrySource {
        self
    }
    fn par(&self) -> Par {
        Par::Seq
    }
    fn error_model(&self) -> ErrorModel {
        ErrorModel::Fixed
    }
    /// As the ULV's: Lanczos ends and density model, δ and the width of tol = 1e-4.
    fn estimates(&self, _: usize, seed: u64) -> hmatrix::Result<Estimates> {
        let norm = self.d[0].abs().max(self.d[self.d.len() - 1].abs());
        let mean = self.d.iter().sum::<f64>() / self.d.len() as f64;
        let apply = |x: MatRef<'_, f64>| Shifted { d: &self.d, sigma: 0.0 }.apply_unshifted(x);
        Ok(Estimates::from_operator(self.d.len(), apply, (mean, 1e-6 * norm, 1e-6 * norm), seed))
    }
    fn count(&self, sigma: f64, _: f64) -> hmatrix::Result<Count> {
        let inertia = Shifted { d: &self.d, sigma }.inertia();
        Ok(Count { inertia, error: 0.0, max_rank: 0, bytes: 0 })
    }
    fn factor(&self, sigma: f64, _: f64) -> hmatrix::Result<Shifted<'_>> {
        Ok(Shifted { d: &self.d, sigma })
    }
    fn stored_entries(&self) -> usize {
        self.d.len()
    }
}
