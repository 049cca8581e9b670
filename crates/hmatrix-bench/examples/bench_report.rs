//! Markdown report and plots of the eigenvalue benchmarks: hmatrix against the dense
//! solvers (LAPACK dsyevr/dsyevd, ScaLAPACK pdsyevx/pdsyevr, ELPA 1/2).
//!
//! Reads JSON lines written by the benchmark driver, one record per run:
//! `{"solver", "problem", "n", "cores", "k", "nev", "time_s", "time_build_s", "peak_memory_bytes",
//! "lambda", "lambdas", "abs_err", "norm2", "tol", "factorizations", "machine", "date"}`, and
//! writes, per problem and nev (1 or 64): a table N × solver of wall times (the median of
//! records that share problem, nev, solver, cores and N), the fastest dense solver, the
//! speed-up of hmatrix over it (with and without hmatrix's construction), hmatrix's
//! `abs_err`, the N from which hmatrix is faster, the fitted slopes of log time vs log N,
//! a peak-memory table, and the plot `eig-<problem>-nev<k>.png` (time vs N, one line per
//! solver, slopes in the legend, machine in the title).
//!
//! ```text
//! cargo run --release --example bench_report -- [--input docs/bench/eig.jsonl]
//!     [--out docs/bench/eig-report.md] [--png-dir DIR (default: the report's folder)]
//! ```
//! Runs in well under a second.

mod common;

use clap::Parser;
use common::report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Markdown report + time-vs-N plots of the eigenvalue benchmark records (JSON lines)")]
struct Args {
    /// Benchmark records, one JSON object per line.
    #[arg(long, default_value = "docs/bench/eig.jsonl")]
    input: PathBuf,
    /// The Markdown report.
    #[arg(long, default_value = "docs/bench/eig-report.md")]
    out: PathBuf,
    /// Folder of the PNGs (default: the report's folder).
    #[arg(long)]
    png_dir: Option<PathBuf>,
}

/// How the report, in `report_dir`, links to a PNG in `png_dir`.
fn link_dir(report_dir: &Path, png_dir: &Path) -> String {
    match png_dir.strip_prefix(report_dir) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => png_dir.display().to_string(),
    }
}

fn run(a: &Args) -> Result<(), String> {
    let text = std::fs::read_to_string(&a.input).map_err(|e| format!("{}: {e}", a.input.display()))?;
    let records = report::parse(&text).map_err(|e| format!("{}: {e}", a.input.display()))?;
    if records.is_empty() {
        return Err(format!("{}: no records", a.input.display()));
    }
    let groups = report::groups(&records);
    let report_dir = a.out.parent().unwrap_or(Path::new("")).to_path_buf();
    let png_dir = a.png_dir.clone().unwrap_or_else(|| report_dir.clone());
    for d in [&report_dir, &png_dir].into_iter().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let pngs = report::write_pngs(&groups, &png_dir)?;
    let md = report::markdown(&groups, &a.input.display().to_string(), &link_dir(&report_dir, &png_dir));
    std::fs::write(&a.out, md).map_err(|e| format!("{}: {e}", a.out.display()))?;
    println!("{} records, {} (problem, nev) groups → {}", records.len(), groups.len(), a.out.display());
    for p in pngs {
        println!("  {}", p.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    common::exit_code("bench_report", run(&Args::parse()))
}
