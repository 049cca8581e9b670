//! Writes a kernel matrix on a built-in geometry as an explicit problem: the dense matrix
//! (`.npy`, n × n) and its points (`.xyz`), for benchmarks of the file path
//! (`hmatrix eig --matrix M.npy --points P.xyz`, `bench_eig --matrix M.npy`).
//!
//! ```text
//! cargo run --release -p hmatrix-bench --example write_problem -- \
//!     --kernel matern32 --geometry ball --n 10000 --nugget 1e-2 --matrix M.npy --points P.xyz
//! ```

use clap::Parser;
use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Writes a kernel matrix (.npy) and its points (.xyz)")]
struct Args {
    /// Kernel name (yukawa, laplace3d, matern32, …).
    #[arg(long)]
    kernel: String,
    /// Geometry name (sphere, ball, cube, …).
    #[arg(long)]
    geometry: String,
    /// Number of points.
    #[arg(long)]
    n: usize,
    /// Seed of the geometry.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Adds X·I to the kernel matrix.
    #[arg(long, default_value_t = 0.0)]
    nugget: f64,
    /// Output matrix, .npy.
    #[arg(long)]
    matrix: PathBuf,
    /// Output points, .xyz.
    #[arg(long)]
    points: PathBuf,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let run = || -> hmatrix::Result<()> {
        let points = Geometry::from_name(&a.geometry)?.generate(a.n, a.seed)?;
        let symbols = vec!["X".to_string(); points.len()];
        let comment = format!("{} on {}, n = {}, seed {}", a.kernel, a.geometry, a.n, a.seed);
        hmatrix::io::write_xyz(&a.points, &symbols, &points, &comment)?;
        let src = KernelSource::new(points, RadialKernel::from_name(&a.kernel)?, a.nugget)?;
        hmatrix::io::write_npy(&a.matrix, to_dense(&src).as_ref(), false)
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
