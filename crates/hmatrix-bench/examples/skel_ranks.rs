//! Where the skeletonization's skeletons grow: per level, the largest and the total
//! skeleton of one factorization of `A − σI` at several shifts, on one problem.
//!
//! Shifts: a number, `mean` (`tr(A)/N`, the middle of the spectrum, where the eigenvalue
//! engine cuts first) or `below` (`−10⁶·|tr(A)/N|`: `A − σI` is then nearly `|σ|·I`, so the
//! fill-in of the eliminations is negligible and the skeletons are those of the kernel's
//! far field alone). Comparing the two separates what the far field needs from what the
//! shifted Schur complements (fill-in) add.
//!
//! ```text
//! cargo run --release -p hmatrix-bench --example skel_ranks -- \
//!     --kernel yukawa --geometry ball --n 32768 --tol 1e-6 --shifts mean,below
//! ```

mod common;

use clap::Parser;
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{EntrySource, KernelSource};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Skeleton sizes per level of the skeletonization at several shifts")]
struct Args {
    /// Kernel name (yukawa, matern32, …).
    #[arg(long, default_value = "yukawa")]
    kernel: String,
    /// Geometry name (ball, sphere, cube, …).
    #[arg(long, default_value = "ball")]
    geometry: String,
    /// Number of points.
    #[arg(long, default_value_t = 16384)]
    n: usize,
    /// Adds X·I to the kernel matrix.
    #[arg(long, default_value_t = 0.0)]
    nugget: f64,
    /// Relative ID tolerance.
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    /// Strong admissibility η.
    #[arg(long, default_value_t = 1.0)]
    eta: f64,
    /// Leaf size.
    #[arg(long, default_value_t = 128)]
    leaf: usize,
    /// Comma-separated shifts: numbers, `mean`, `below`.
    #[arg(long, default_value = "mean,below")]
    shifts: String,
}

fn main() -> ExitCode {
    let a = Args::parse();
    common::exit_code("skel_ranks", run(&a))
}

fn run(a: &Args) -> hmatrix::Result<()> {
    let points = Geometry::from_name(&a.geometry)?.generate(a.n, 0)?;
    let src = KernelSource::new(points, RadialKernel::from_name(&a.kernel)?, a.nugget)?;
    let mean = (0..a.n).map(|i| src.entry(i, i)).sum::<f64>() / a.n as f64;
    let sk = Skeletonization::new(&src, SkelParams::default().tol(a.tol).eta(a.eta).leaf_size(a.leaf))?;
    println!(
        "{} on {}, n = {}, nugget {}, tol {:e}, η {}, leaf {}",
        a.kernel, a.geometry, a.n, a.nugget, a.tol, a.eta, a.leaf
    );
    println!(
        "| shift | σ | ν(σ) | time s | stored MB | max skeleton per level (leaves first) | total per level |"
    );
    println!("|---|---:|---:|---:|---:|---|---|");
    for name in a.shifts.split(',').map(str::trim) {
        let sigma = match name {
            "mean" => mean,
            "below" => -1e6 * mean.abs().max(1.0),
            x => x.parse().map_err(|_| hmatrix::Error::invalid("shift", x, "a number, mean or below"))?,
        };
        let f = sk.ldlt(sigma)?;
        let active = f.levels.iter().take_while(|l| l.total_skeleton > 0);
        let (max, total): (Vec<usize>, Vec<usize>) =
            active.map(|l| (l.max_skeleton, l.total_skeleton)).unzip();
        println!(
            "| {name} | {sigma:.6e} | {} | {:.2} | {:.0} | {max:?} | {total:?} |",
            f.inertia.negative,
            f.time_s,
            f.peak_stored_bytes as f64 / 1e6
        );
    }
    Ok(())
}
