//! Integrated density of states ν(σ) = #{λ < σ} of an ELSES tight-binding Hamiltonian
//! from inertia counts alone — no eigenvalue is computed.
//!
//! The H² matrix is built once; every grid shift σ costs one certified inertia count
//! (three `LDLᵀ` factorizations: σ − δ, σ, σ + δ, so that `uncertain` says how many
//! eigenvalues of the exact matrix could be on either side), and the shifts are counted in
//! parallel. The Fermi level is where ν crosses N/2 (4 electrons per carbon atom fill N/2
//! of the 4-per-atom orbitals): the grid cells holding the HOMO λ_{N/2} and LUMO λ_{N/2+1}
//! are bisected with a few extra counts (`--refine`), which brackets the HOMO–LUMO gap.
//!
//! ```text
//! cargo run --release --example density_of_states -- [--xyz FILE.xyz | --matrix FILE.mtx.gz]
//!     [--from A --to B] [--shifts 201] [--bins 50] [--refine 16] [--tol 1e-10] [--leaf 64] [--out dos]
//! ```
//! Writes `DIR/dos.csv` (`shift,count,uncertain`), `DIR/integrated_dos.png` (ν(σ) with the
//! Fermi level marked) and `DIR/dos_histogram.png` (eigenvalues per hartree in `--bins` bins
//! of whole grid cells).
//! Energies are in hartree (the ELSES atomic unit, 1 Ha = 27.2116 eV).
//!
//! Default input `data/c60_single_n240.xyz` (N = 240): about a second. Without
//! `--from/--to` the range is the spectrum ± 2 %, its ends located by ~20 coarse counts.
//! The C60 crystal `data/c60_fcc_1x1x1_n7680.xyz` (N = 7680) needs ~10 s per count on
//! 2 cores, so use few shifts there (`--shifts 21` is already ~10 minutes).

mod common;

use clap::Parser;
use common::dos::{self, Fermi, GridCount};
use common::plot::{self, Labels, Marker, Series};
use hmatrix::eigen::{norm2_estimate, EigParams, Spectrum};
use hmatrix::elses::ElsesSource;
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use hmatrix::source::{DenseSource, EntrySource};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// 1 a.u. of energy in eV, as ELSES uses it.
const HARTREE_EV: f64 = 27.2116;

#[derive(Parser)]
#[command(about = "Integrated density of states ν(σ) by inertia counts, with the Fermi level and gap")]
struct Args {
    /// Atom positions (.xyz, Å): the ELSES carbon Hamiltonian is generated from them.
    #[arg(long, default_value = "data/c60_single_n240.xyz", conflicts_with = "matrix")]
    xyz: PathBuf,
    /// An explicit symmetric matrix instead (.mtx, .mtx.gz, .npy), e.g. data/c60_single_n240.mtx.gz.
    #[arg(long)]
    matrix: Option<PathBuf>,
    /// Lowest shift (hartree); default: the smallest eigenvalue − 2 % of the spectrum width.
    #[arg(long, allow_negative_numbers = true)]
    from: Option<f64>,
    /// Highest shift (hartree); default: the largest eigenvalue + 2 % of the spectrum width.
    #[arg(long, allow_negative_numbers = true)]
    to: Option<f64>,
    /// Number of grid shifts (equally spaced, ends included).
    #[arg(long, default_value_t = 201)]
    shifts: usize,
    /// Filled states (default N/2: 4 electrons per carbon atom, 2 per orbital).
    #[arg(long)]
    filled: Option<usize>,
    /// Bins of the DOS histogram (whole grid cells each, at most one per cell).
    #[arg(long, default_value_t = 50)]
    bins: usize,
    /// Extra bisection counts for each of HOMO and LUMO, starting from the grid cell.
    #[arg(long, default_value_t = 16)]
    refine: usize,
    /// Relative compression tolerance.
    #[arg(long, default_value_t = 1e-10, allow_negative_numbers = true)]
    tol: f64,
    /// Leaf size.
    #[arg(long, default_value_t = 64)]
    leaf: usize,
    /// Output folder (created).
    #[arg(long, default_value = "dos")]
    out: PathBuf,
}

/// The matrix source (with its points and orbitals per point, where it has them) and a
/// name for titles.
fn load(a: &Args) -> Result<(Box<dyn EntrySource>, String), String> {
    if let Some(m) = &a.matrix {
        let mat = hmatrix::io::read_matrix(m).map_err(|e| format!("{}: {e}", m.display()))?;
        // no points: the indices are clustered in order (the points of a line)
        let src = DenseSource::new(mat).map_err(|e| format!("{}: {e}", m.display()))?;
        return Ok((Box::new(src), file_name(m)));
    }
    let (_, atoms) = hmatrix::io::read_xyz(&a.xyz).map_err(|e| format!("{}: {e}", a.xyz.display()))?;
    let src = ElsesSource::new(atoms).map_err(|e| format!("{}: {e}", a.xyz.display()))?;
    Ok((Box::new(src), file_name(&a.xyz)))
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}

/// The shift range: the user's, or the spectrum ± 2 % located by coarse bisection.
fn shift_range(a: &Args, s: &Spectrum<'_, UlvPlan<'_>>, n: usize) -> Result<(f64, f64), String> {
    if let (Some(f), Some(t)) = (a.from, a.to) {
        return Ok((f, t));
    }
    let lo = s.kth(1).map_err(|e| e.to_string())?.lower;
    let hi = s.kth(n).map_err(|e| e.to_string())?.upper;
    let pad = 0.02 * (hi - lo).max(f64::MIN_POSITIVE);
    Ok((a.from.unwrap_or(lo - pad), a.to.unwrap_or(hi + pad)))
}

fn write_csv(path: &Path, counts: &[GridCount]) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "shift,count,uncertain")?;
    for c in counts {
        writeln!(f, "{:.17e},{},{}", c.shift, c.count, c.uncertain)?;
    }
    f.flush()
}

fn plots(
    a: &Args,
    name: &str,
    n: usize,
    filled: usize,
    counts: &[GridCount],
    fermi: Option<&Fermi>,
) -> plot::PlotResult {
    let out = &a.out;
    let marker: Vec<Marker> = fermi
        .map(|f| Marker { x: f.level, label: format!("Fermi level {:.5} Ha", f.level) })
        .into_iter()
        .collect();
    let nu = Series {
        label: "ν(σ) = #{λ < σ}".into(),
        points: counts.iter().map(|c| (c.shift, c.count as f64)).collect(),
    };
    let (x0, x1) = (counts[0].shift, counts[counts.len() - 1].shift);
    let half = Series {
        label: format!("ν = {filled} (filled states)"),
        points: vec![(x0, filled as f64), (x1, filled as f64)],
    };
    let title = format!("Integrated density of states, {name} (N = {n})");
    let labels =
        Labels {
            title: &title, x: "shift σ (hartree; 1 Ha = 27.2116 eV)", y: "ν(σ) (eigenvalues below σ)"
        };
    plot::lines(&out.join("integrated_dos.png"), labels, &[nu, half], true, &marker)?;
    let (edges, heights) = dos::density(counts, a.bins);
    let title = format!("Density of states, {name} (N = {n}, {} bins)", heights.len());
    let labels = Labels {
        title: &title,
        x: "energy (hartree; 1 Ha = 27.2116 eV)",
        y: "DOS (eigenvalues per hartree)",
    };
    plot::histogram(&out.join("dos_histogram.png"), labels, "Δν / Δσ per bin", &edges, &heights, &marker)
}

fn report(fermi: &Fermi, delta: f64, filled: usize) {
    let (h, l) = (fermi.homo, fermi.lumo);
    let (g0, g1) = fermi.gap(delta);
    println!(
        "Fermi level   {:.8} Ha = {:.5} eV (ν = {filled} between HOMO and LUMO)",
        fermi.level,
        fermi.level * HARTREE_EV
    );
    println!("HOMO λ_{}    in [{:.10}, {:.10}] Ha", h.k, h.lower - delta, h.upper + delta);
    println!("LUMO λ_{}    in [{:.10}, {:.10}] Ha", l.k, l.lower - delta, l.upper + delta);
    println!(
        "gap           in [{g0:.6e}, {g1:.6e}] Ha = [{:.5}, {:.5}] eV",
        g0 * HARTREE_EV,
        g1 * HARTREE_EV
    );
}

fn run(a: &Args) -> Result<(), String> {
    let (src, name) = load(a)?;
    let n = src.n();
    let filled = a.filled.unwrap_or(n / 2);
    if filled == 0 || filled >= n {
        return Err(format!("--filled {filled}: need 0 < filled < N = {n}"));
    }
    let t0 = Instant::now();
    let params = H2Params::default().tol(a.tol).leaf_size(a.leaf);
    let h = H2Matrix::builder(src.as_ref()).params(params).build().map_err(|e| e.to_string())?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = UlvPlan::new(&h, PlanParams::default()).map_err(|e| e.to_string())?;
    let t_build = t0.elapsed().as_secs_f64();
    let norm = norm2_estimate(&h, 0x5eed);
    let eig = EigParams::default().eig_tol(Some(2e-3 * norm.max(f64::MIN_POSITIVE)));
    let s = Spectrum::new(&plan, &eig).map_err(|e| e.to_string())?;
    let delta = s.stats().error_estimate;
    let (from, to) = shift_range(a, &s, n)?;
    let shifts = dos::grid(from, to, a.shifts)?;
    let t1 = Instant::now();
    let counts = dos::count_grid(&plan, &shifts, delta, norm).map_err(|e| e.to_string())?;
    let t_grid = t1.elapsed().as_secs_f64();
    // a window that misses the HOMO or LUMO still gets its counts and plots
    let fermi = dos::refine_fermi(&plan, &counts, filled, a.refine, norm)
        .inspect_err(|e| eprintln!("density_of_states: no Fermi level: {e}"))
        .ok();
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let csv = a.out.join("dos.csv");
    write_csv(&csv, &counts).map_err(|e| format!("{}: {e}", csv.display()))?;
    plots(a, &name, n, filled, &counts, fermi.as_ref()).map_err(|e| format!("plot: {e}"))?;
    let uncertain = counts.iter().filter(|c| c.uncertain > 0).count();
    println!("input         {name}, N = {n}, built in {t_build:.2} s (max rank {})", h.report().max_rank);
    println!("δ             {delta:.2e} Ha (bound on ‖A − Ã‖₂ added to every bracket)");
    println!(
        "grid          {} shifts in [{from:.6}, {to:.6}] Ha: {:.2} s, {} factorizations",
        shifts.len(),
        t_grid,
        3 * shifts.len()
    );
    println!(
        "certified     {} of {} grid counts exact for A ({uncertain} within δ of an eigenvalue)",
        counts.len() - uncertain,
        counts.len()
    );
    if let Some(f) = &fermi {
        println!("refinement    {} extra counts", f.counts);
        report(f, delta, filled);
    }
    println!("wrote         {}, integrated_dos.png, dos_histogram.png", csv.display());
    Ok(())
}

fn main() -> ExitCode {
    let a = Args::parse();
    common::exit_code("density_of_states", run(&a))
}
