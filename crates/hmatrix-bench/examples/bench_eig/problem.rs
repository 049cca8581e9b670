//! The problem options of the driver, as in the `hmatrix` CLI: a kernel on a generated
//! geometry, an explicit matrix file, or an ELSES tight-binding crystal.

use clap::Args;
use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{DenseSource, EntrySource, KernelSource};
use std::path::{Path, PathBuf};

/// Where the matrix comes from (exactly one of `--kernel/--geometry/--n`, `--matrix`,
/// `--elses`).
#[derive(Debug, Args)]
pub struct ProblemArgs {
    /// Kernel name (yukawa, laplace3d, matern32, …).
    #[arg(long)]
    pub kernel: Option<String>,
    /// Geometry name (sphere, ball, circle, …).
    #[arg(long)]
    pub geometry: Option<String>,
    /// Number of points.
    #[arg(long)]
    pub n: Option<usize>,
    /// Seed of the geometry.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Adds X·I to the kernel matrix.
    #[arg(long, default_value_t = 0.0)]
    pub nugget: f64,
    /// An explicit symmetric matrix (.mtx, .mtx.gz, .npy); every rank reads all of it.
    #[arg(long)]
    pub matrix: Option<PathBuf>,
    /// ELSES carbon tight-binding matrix of the atoms in FILE.xyz.
    #[arg(long)]
    pub elses: Option<PathBuf>,
    /// The record's `problem` name (default: KERNEL-GEOMETRY, or the file stem).
    #[arg(long)]
    pub name: Option<String>,
}

/// A loaded problem: its entries (with the points the H² matrix clusters, and orbitals per
/// point, where the source has them).
pub struct Problem {
    pub src: Box<dyn EntrySource>,
    pub name: String,
}

type BoxError = Box<dyn std::error::Error>;

/// Reads or generates the problem.
pub fn load(p: &ProblemArgs) -> Result<Problem, BoxError> {
    let kernel_opts = p.kernel.is_some() || p.geometry.is_some() || p.n.is_some();
    match (&p.elses, &p.matrix, kernel_opts) {
        (Some(path), None, false) => {
            let (_, atoms) = hmatrix::io::read_xyz(path)?;
            let src = hmatrix::elses::ElsesSource::new(atoms)?;
            let name = name_or(p, || file_stem(path));
            Ok(Problem { src: Box::new(src), name })
        }
        (None, Some(path), false) => {
            let a = hmatrix::io::read_matrix(path)?;
            let name = name_or(p, || file_stem(path));
            // no points: the indices are clustered in order (the points of a line)
            Ok(Problem { src: Box::new(DenseSource::new(a)?), name })
        }
        (None, None, true) => {
            let (Some(k), Some(g), Some(n)) = (&p.kernel, &p.geometry, p.n) else {
                return Err("a kernel problem needs --kernel, --geometry and --n".into());
            };
            let points = Geometry::from_name(g)?.generate(n, p.seed)?;
            let src = KernelSource::new(points, RadialKernel::from_name(k)?, p.nugget)?;
            let name = name_or(p, || format!("{k}-{g}"));
            Ok(Problem { src: Box::new(src), name })
        }
        _ => {
            Err("give exactly one problem: --kernel K --geometry G --n N, --matrix FILE or --elses FILE.xyz"
                .into())
        }
    }
}

fn name_or(p: &ProblemArgs, default: impl FnOnce() -> String) -> String {
    p.name.clone().unwrap_or_else(default)
}

/// `dir/c60.mtx.gz` → `c60`.
fn file_stem(path: &Path) -> String {
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_string()
}
