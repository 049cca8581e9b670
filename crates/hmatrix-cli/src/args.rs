//! Command-line arguments: `hmatrix <command> [problem] [options]`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hmatrix",
    version,
    about = "Hierarchical low-rank (H²/HSS) matrices: build, apply, factor, count and find eigenvalues"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the H² matrix and print the construction report.
    Info(Common),
    /// y = Ã x for x read from a .npy file (length n or n×m, user ordering).
    Matvec {
        #[command(flatten)]
        common: Common,
        /// Input vector(s), .npy.
        #[arg(long)]
        x: PathBuf,
        /// Output file, .npy.
        #[arg(long)]
        out: PathBuf,
    },
    /// Inertia of A − σI: numbers of eigenvalues below, at and above the shift.
    Inertia {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        fact: FactorOpts,
        /// The shift σ.
        #[arg(long, allow_hyphen_values = true)]
        shift: f64,
    },
    /// Solve (A − σI) x = b for b read from a .npy file.
    Solve {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        fact: FactorOpts,
        /// Right-hand side(s), .npy (n or n×m).
        #[arg(long)]
        rhs: PathBuf,
        /// Output file, .npy.
        #[arg(long)]
        out: PathBuf,
        /// Pivots: cholesky (SPD, ulv only), ldl (indefinite), auto (Cholesky, LDLᵀ if not SPD).
        #[arg(long, value_enum, default_value_t = Method::Auto)]
        method: Method,
        /// Shift σ (default 0).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        shift: f64,
    },
    /// Log-determinant of A − σI with its sign.
    Logdet {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        fact: FactorOpts,
        /// Pivots: cholesky (ulv only), ldl or auto.
        #[arg(long, value_enum, default_value_t = Method::Auto)]
        method: Method,
        /// Shift σ (default 0).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        shift: f64,
    },
    /// Eigenvalues by bisection: the k-th, an index range or an interval.
    /// Without a problem: yukawa on 65,536 points of a circle (a 34 GB dense matrix), k = N/2.
    Eig {
        #[command(flatten)]
        common: Common,
        /// The k-th smallest eigenvalue (1-based).
        #[arg(long, conflicts_with_all = ["range", "interval"])]
        k: Option<usize>,
        /// Index range K1:K2 (1-based, inclusive).
        #[arg(long, conflicts_with = "interval")]
        range: Option<String>,
        /// All eigenvalues in [A, B).
        #[arg(long, allow_hyphen_values = true)]
        interval: Option<String>,
        /// Absolute accuracy asked of each eigenvalue (the bisection width). Without --tol
        /// and --leaf the compression is derived from it (see --eig-rtol).
        #[arg(long, allow_hyphen_values = true, conflicts_with = "eig_rtol")]
        eig_tol: Option<f64>,
        /// Accuracy relative to ‖A‖₂ (default 1e-8). Without --tol and --leaf the compression
        /// is derived from it: 3-D or no points tol = √rel (within [rel, 1e-4]) and leaf 256,
        /// 1-D/2-D points tol = rel; the output reports `tol`, `leaf` and `compression`.
        #[arg(long, allow_hyphen_values = true)]
        eig_rtol: Option<f64>,
        /// Use A's exact products (N² entries each) for Rayleigh–Ritz values and certified
        /// brackets up to this N.
        #[arg(long, default_value_t = 1 << 16)]
        exact_limit: usize,
        /// Write the eigenvectors to this .npy file (n × m, column j for the j-th eigenvalue,
        /// user ordering); the output gets each one's residual ‖Ax − λx‖₂ (exact with A up to
        /// --exact-limit, else a bound).
        #[arg(long)]
        vectors: Option<PathBuf>,
        #[command(flatten)]
        fact: FactorOpts,
    },
    /// Replicate a C60 crystal cell NX×NY×NZ times with seeded uniform noise, write .xyz.
    ElsesSupercell {
        /// The 1×1×1 cell (.xyz, Å).
        #[arg(long)]
        cell: PathBuf,
        /// Repetitions NX,NY,NZ.
        #[arg(long)]
        repeat: String,
        /// Uniform noise amplitude per coordinate, Å.
        #[arg(long, default_value_t = 0.1)]
        noise: f64,
        /// Seed of the noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Cell edge, Å.
        #[arg(long, default_value_t = hmatrix::elses::CELL_EDGE)]
        edge: f64,
        /// Output .xyz.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Cholesky,
    Ldl,
    Auto,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factorization {
    Ulv,
    Skel,
    Auto,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adm {
    Strong,
    Weak,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    NearAndFar,
    FarOnly,
}

/// Which factorization counts, solves and factors (inertia, solve, logdet, eig).
#[derive(Args, Debug, Clone)]
pub struct FactorOpts {
    /// ulv (near-and-far H² matrix: one fixed matrix, certified brackets), skel
    /// (strong-admissibility skeletonization per shift: no H² matrix, O(N) memory on
    /// surfaces, per-shift measured error; uses --tol, --leaf, --eta only) or auto (ulv
    /// while its predicted memory fits in 60 % of the available memory, skel beyond); the
    /// output names it.
    #[arg(long, value_enum, default_value_t = Factorization::Auto)]
    pub factorization: Factorization,
    /// Shifts counted concurrently per bisection round (at least one per interval; skel
    /// factors each in arena order, so raise it with the core count). Default: 1 for ulv,
    /// the thread count for skel.
    #[arg(long)]
    pub cuts_per_round: Option<usize>,
}

/// The problem and the construction options shared by every command.
#[derive(Args, Debug, Clone)]
pub struct Common {
    // tol and leaf: `None` when not given, so that `eig` can derive them
    /// Kernel: laplace3d, laplace2d, yukawa, gaussian, exponential, matern32, matern52, imq.
    #[arg(long)]
    pub kernel: Option<String>,
    /// Built-in geometry: line, circle, sphere, ball, cube, cube-surface, random.
    #[arg(long)]
    pub geometry: Option<String>,
    /// Number of points for a built-in geometry.
    #[arg(long)]
    pub n: Option<usize>,
    /// Seed of the random geometries.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Points file (.xyz, or text with 1–3 columns) for --kernel or --matrix.
    #[arg(long)]
    pub points: Option<PathBuf>,
    /// Explicit symmetric matrix: .mtx, .mtx.gz or .npy.
    #[arg(long)]
    pub matrix: Option<PathBuf>,
    /// ELSES carbon tight-binding Hamiltonian of the atoms in an .xyz file (4 orbitals per atom).
    #[arg(long)]
    pub elses: Option<PathBuf>,
    /// Diagonal nugget added to a kernel matrix.
    #[arg(long, default_value_t = 0.0)]
    pub nugget: f64,
    /// Relative compression tolerance (default 1e-8; `eig` without --tol and --leaf
    /// derives it from --eig-tol / --eig-rtol).
    #[arg(long)]
    pub tol: Option<f64>,
    /// Rank cap (voids the accuracy guarantee).
    #[arg(long)]
    pub max_rank: Option<usize>,
    /// Leaf size of the cluster tree (default 64, skel 128; `eig` derives it as --tol).
    #[arg(long)]
    pub leaf: Option<usize>,
    /// η of the strong admissibility.
    #[arg(long, default_value_t = 1.0)]
    pub eta: f64,
    /// Admissibility: strong (H²) or weak (HSS).
    #[arg(long, value_enum, default_value_t = Adm::Strong)]
    pub admissibility: Adm,
    /// What the cluster bases span (far-only: matvec only).
    #[arg(long, value_enum, default_value_t = Span::NearAndFar)]
    pub basis: Span,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}
