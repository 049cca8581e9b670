//! HOMO, LUMO and gap of a C60 crystal from its atom positions.
//!
//! The ELSES carbon tight-binding Hamiltonian (4 orbitals per atom, N = 4·atoms) is
//! generated entry by entry from the `.xyz` file — never stored densely — compressed into
//! an H² matrix, and the eigenvalues k = N/2 (HOMO: 4 electrons per atom fill N/2
//! orbitals) and N/2 + 1 (LUMO) are found by bisection on inertia counts. Each comes with a
//! bracket that contains the eigenvalue of the exact Hamiltonian. With `--orbitals X.npy`
//! the HOMO and LUMO orbitals (N × 2, coefficients of the atoms' s, px, py, pz orbitals in
//! file order) are written too, each with its residual ‖Hx − λx‖₂ against the exact
//! Hamiltonian.
//!
//! ```text
//! cargo run --release --example c60_homo_lumo -- [FILE.xyz] [--tol 1e-9] [--eig-tol 1e-10] [--leaf 240] [--orbitals X.npy]
//! ```
//! Default file: `data/c60_fcc_1x1x1_n7680.xyz` (N = 7680; reference HOMO 0.1345955018,
//! LUMO 0.1385442638 Hartree, see data/README.md). The 1×1×1 crystal is small and nearly
//! dense (28 Å box, 26 Å interaction range), so it is the hardest case for compression;
//! `data/c60_single_n240.xyz` runs in a second.

use clap::Parser;
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::elses::{ElsesSource, ORBITALS};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Atom positions (.xyz, Å).
    #[arg(default_value = "data/c60_fcc_1x1x1_n7680.xyz")]
    xyz: PathBuf,
    /// Relative compression tolerance.
    #[arg(long, default_value_t = 1e-9)]
    tol: f64,
    /// Bisection width (Hartree); the HOMO/LUMO clusters are ~1e-7 apart.
    #[arg(long, default_value_t = 1e-10)]
    eig_tol: f64,
    /// Leaf size (a multiple of 4 keeps atoms whole anyway).
    #[arg(long, default_value_t = 240)]
    leaf: usize,
    /// Also run LAPACK dsyevr (range 'I', k = N/2, N/2+1) on the same matrix, densely
    /// (needs `--features lapack` and N² doubles of memory).
    #[arg(long)]
    dense: bool,
    /// Write the HOMO and LUMO orbitals (N × 2, .npy) and print their residuals.
    #[arg(long)]
    orbitals: Option<PathBuf>,
}

/// dsyevr on the dense Hamiltonian: (HOMO, LUMO, seconds).
#[cfg(feature = "lapack")]
fn dense_reference(src: &ElsesSource, n: usize) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let a = hmatrix::source::to_dense(src);
    let t = Instant::now();
    let v = hmatrix_bench::lapack::dsyevr_range(a.as_ref(), n / 2, n / 2 + 1)?;
    Ok((v[0], v[1], t.elapsed().as_secs_f64()))
}

#[cfg(not(feature = "lapack"))]
fn dense_reference(_: &ElsesSource, _: usize) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    Err("--dense needs the LAPACK baseline: rebuild with --features lapack".into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let (_, atoms) = hmatrix::io::read_xyz(&a.xyz)?;
    let natoms = atoms.len();
    let src = ElsesSource::new(atoms)?;
    let n = ORBITALS * natoms;
    let t0 = Instant::now();
    let params = H2Params::default().tol(a.tol).leaf_size(a.leaf);
    let h = H2Matrix::builder(&src).params(params).build()?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = UlvPlan::new(&h, PlanParams::default())?;
    let t_build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let s = Spectrum::new(&plan, &EigParams::default().eig_tol(Some(a.eig_tol)))?;
    let (v, residuals) = match &a.orbitals {
        Some(path) => {
            let pairs = s.range_with_vectors(n / 2, n / 2 + 1)?;
            hmatrix::io::write_npy(path, pairs.vectors.as_ref(), false)?;
            (pairs.values, Some((pairs.residuals, pairs.residuals_exact, path)))
        }
        None => (s.range(n / 2, n / 2 + 1)?, None),
    };
    let t_eig = t1.elapsed().as_secs_f64();
    let dense = if a.dense { Some(dense_reference(&src, n)?) } else { None };
    let (homo, lumo) = (v[0], v[1]);
    println!("file          {}", a.xyz.display());
    println!("N             {n} ({natoms} atoms)");
    println!("HOMO (k={})  {:.12} Ha  bracket [{:.12}, {:.12}]", homo.k, homo.value, homo.lower, homo.upper);
    println!("LUMO (k={})  {:.12} Ha  bracket [{:.12}, {:.12}]", lumo.k, lumo.value, lumo.lower, lumo.upper);
    println!(
        "gap           {:.6e} Ha = {:.4} eV",
        lumo.value - homo.value,
        (lumo.value - homo.value) * 27.2116
    );
    if let Some((res, exact, path)) = residuals {
        let how = if exact { "exact Hamiltonian" } else { "bound" };
        println!(
            "orbitals      {} (N × 2); residuals ‖Hx − λx‖₂ {:.1e}, {:.1e} Ha ({how})",
            path.display(),
            res[0],
            res[1]
        );
    }
    let r = h.report();
    let memory = h.memory_bytes() + plan.memory_bytes();
    println!("max rank      {}   memory {:.1} MB", r.max_rank, memory as f64 / 1e6);
    println!(
        "time          build {t_build:.1} s, eigenvalues {t_eig:.1} s, {} factorizations",
        s.stats().factorizations
    );
    if let Some((h0, l0, t)) = dense {
        println!("dsyevr        HOMO {h0:.12}, LUMO {l0:.12} Ha in {t:.1} s (same matrix, dense)");
        println!("difference    HOMO {:.1e}, LUMO {:.1e}", (homo.value - h0).abs(), (lumo.value - l0).abs());
    }
    Ok(())
}
