//! HOMO/LUMO of C60 FCC supercells of growing size: how the H² pipeline scales with N.
//!
//! The cell (`--cell`, default the 1×1×1 crystal `data/c60_fcc_1x1x1_n7680.xyz`, 32
//! molecules) is replicated 1×1×1, 2×1×1, 2×2×1, 2×2×2, 3×2×2, … (one axis grows at a
//! time, x before y before z) up to `--max NX,NY,NZ`, every atom moved by seeded uniform
//! noise of ±`--noise` Å (default 0.1). For each supercell the ELSES Hamiltonian
//! (N = 4·atoms, hartree) is compressed into an H² matrix and the HOMO λ_{N/2} and LUMO
//! λ_{N/2+1} are found together by bisection (`Spectrum::range`), each with a certified
//! bracket. One JSON record per size is appended to `--out` (times of build and
//! eigenvalues, H² memory, peak RSS, factorizations, brackets, gap), and after every size
//! `--png` (default: `--out` with `.png`) is redrawn: log-log time vs N (build, eigenvalues,
//! total) with fitted slopes, from every record in the file with the same cell, noise,
//! seed, tol, eig-tol and leaf (the median where a size was run more than once), so a
//! sweep can be resumed with `--start`.
//!
//! ```text
//! cargo run --release --example c60_scaling -- --max 2,2,2 [--start 1,1,1] [--cell FILE.xyz --edge 28.34]
//!     [--noise 0.1] [--seed 1] [--tol 1e-5] [--eig-tol 1e-7] [--leaf 256] [--out c60_scaling.jsonl] [--png FILE]
//! ```
//! Runtime on 2 cores at the defaults (tol 1e-5, leaf 256; the eigenvalues are A's
//! Rayleigh–Ritz values from exact products, so the loose tolerance costs no accuracy):
//! 1×1×1 (N = 7680) about 40 s; `--max 2,2,2` about 1.5 h with a 21 GB peak at 2×2×2
//! (`scripts/c60-2x2x2.sh` runs that size alone, twice). Each doubling of N costs ~4×. A cheap check of the pipeline on the
//! single molecule (a "crystal" of C60 10 Å apart: N = 240, 480, 960 in ~5 s; `--max
//! 2,2,2` adds N = 1920, ~30 s, all of it within the 26 Å interaction range):
//! `--cell data/c60_single_n240.xyz --edge 10 --max 2,2,1`.

mod common;

use clap::Parser;
use common::plot::{self, Labels, Series};
use hmatrix::eigen::{EigParams, Spectrum};
use hmatrix::elses::{supercell, ElsesSource, CELL_EDGE, ORBITALS};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::{H2Matrix, H2Params};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const HARTREE_EV: f64 = 27.2116;

#[derive(Parser)]
#[command(about = "HOMO/LUMO of C60 supercells 1×1×1, 2×1×1, 2×2×1, … up to --max: time, memory, brackets")]
struct Args {
    /// The cell to replicate (.xyz, Å).
    #[arg(long, default_value = "data/c60_fcc_1x1x1_n7680.xyz")]
    cell: PathBuf,
    /// Edge of the cubic cell in Å (the replication period).
    #[arg(long, default_value_t = CELL_EDGE, allow_negative_numbers = true)]
    edge: f64,
    /// Largest supercell NX,NY,NZ.
    #[arg(long, default_value = "1,1,1")]
    max: String,
    /// First supercell of the sequence NX,NY,NZ (to resume a sweep).
    #[arg(long, default_value = "1,1,1")]
    start: String,
    /// Uniform noise on every coordinate, ± Å.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    noise: f64,
    /// Seed of the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Relative compression tolerance.
    #[arg(long, default_value_t = 1e-5, allow_negative_numbers = true)]
    tol: f64,
    /// Bisection width (hartree).
    #[arg(long, default_value_t = 1e-7, allow_negative_numbers = true)]
    eig_tol: f64,
    /// Leaf size.
    #[arg(long, default_value_t = 256)]
    leaf: usize,
    /// JSONL file the records are appended to.
    #[arg(long, default_value = "c60_scaling.jsonl")]
    out: PathBuf,
    /// Time-vs-N plot (default: --out with the extension .png).
    #[arg(long)]
    png: Option<PathBuf>,
}

/// `"2,2,1"` → `[2, 2, 1]`, each at least 1.
fn parse_repeat(name: &str, s: &str) -> Result<[usize; 3], String> {
    let bad = || format!("--{name} {s:?}: expected three positive integers NX,NY,NZ");
    let v: Vec<usize> =
        s.split(',').map(|t| t.trim().parse::<usize>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    match v[..] {
        [x, y, z] if x > 0 && y > 0 && z > 0 => Ok([x, y, z]),
        _ => Err(bad()),
    }
}

/// 1×1×1, 2×1×1, 2×2×1, 2×2×2, 3×2×2, …: from `start`, grow the smallest axis still
/// below `max` (x before y before z) until `max`.
fn sizes(start: [usize; 3], max: [usize; 3]) -> Result<Vec<[usize; 3]>, String> {
    if (0..3).any(|i| start[i] > max[i]) {
        return Err(format!("--start {start:?} exceeds --max {max:?}"));
    }
    let mut r = start;
    let mut out = vec![r];
    while let Some(i) = (0..3).filter(|&i| r[i] < max[i]).min_by_key(|&i| (r[i], i)) {
        r[i] += 1;
        out.push(r);
    }
    Ok(out)
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// The parameters that make records comparable in one plot.
fn setup(a: &Args) -> Value {
    json!({"cell": a.cell.display().to_string(), "edge": a.edge, "noise": a.noise, "seed": a.seed,
           "tol": a.tol, "eig_tol": a.eig_tol, "leaf": a.leaf})
}

/// Builds and solves one supercell; returns its JSON record.
fn one_size(a: &Args, cell: &hmatrix::geometry::Points, repeat: [usize; 3]) -> Result<Value, String> {
    let atoms = supercell(cell, repeat, a.edge, a.noise, a.seed).map_err(|e| e.to_string())?;
    let natoms = atoms.len();
    let src = ElsesSource::new(atoms).map_err(|e| format!("supercell {repeat:?}: {e}"))?;
    let n = ORBITALS * natoms;
    let t0 = Instant::now();
    let params = H2Params::default().tol(a.tol).leaf_size(a.leaf);
    let h = H2Matrix::builder(&src).params(params).build().map_err(|e| e.to_string())?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = UlvPlan::new(&h, PlanParams::default()).map_err(|e| e.to_string())?;
    let t_build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let eig = EigParams::default().eig_tol(Some(a.eig_tol));
    let s = Spectrum::new(&plan, &eig).map_err(|e| e.to_string())?;
    let v = s.range(n / 2, n / 2 + 1).map_err(|e| e.to_string())?;
    let t_eig = t1.elapsed().as_secs_f64();
    let (st, r) = (s.stats(), h.report());
    let gap = v[1].value - v[0].value;
    let mut rec = json!({
        "example": "c60_scaling", "run": common::unix_time(), "repeat": repeat, "atoms": natoms, "n": n,
        "threads": rayon::current_num_threads(), "time_build_s": t_build, "time_eig_s": t_eig,
        "time_total_s": t_build + t_eig, "memory_bytes": h.memory_bytes() + plan.memory_bytes(), "max_rank": r.max_rank,
        "rel_err_estimate": r.rel_err_estimate, "peak_rss_bytes": peak_rss_bytes(),
        "factorizations": st.factorizations, "shifts_moved": st.shifts_moved, "norm_estimate": st.norm_estimate,
        "error_estimate": st.error_estimate, "homo": v[0], "lumo": v[1], "gap_ha": gap, "gap_ev": gap * HARTREE_EV,
    });
    if let (Some(m), Value::Object(p)) = (rec.as_object_mut(), setup(a)) {
        m.extend(p);
    }
    Ok(rec)
}

/// Median times per N of the records in `path` that share this run's setup.
fn read_times(path: &Path, setup: &Value) -> Result<Vec<Series>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let keys = ["time_build_s", "time_eig_s", "time_total_s"];
    let mut by_n: BTreeMap<u64, [Vec<f64>; 3]> = BTreeMap::new();
    for rec in text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
        let same = setup.as_object().is_some_and(|s| s.iter().all(|(k, v)| rec.get(k) == Some(v)));
        let Some(n) = rec.get("n").and_then(Value::as_u64).filter(|_| same) else { continue };
        let t = by_n.entry(n).or_default();
        for (i, k) in keys.iter().enumerate() {
            if let Some(x) = rec.get(*k).and_then(Value::as_f64) {
                t[i].push(x);
            }
        }
    }
    let series = |i: usize, label: &str| Series {
        label: label.into(),
        points: by_n
            .iter()
            .filter(|(_, t)| !t[i].is_empty())
            .map(|(&n, t)| (n as f64, common::median(t[i].clone())))
            .collect(),
    };
    Ok(vec![series(0, "H² build"), series(1, "HOMO+LUMO (bisection)"), series(2, "total")])
}

fn redraw(a: &Args, png: &Path) -> Result<(), String> {
    let series = read_times(&a.out, &setup(a))?;
    let threads = rayon::current_num_threads();
    let title = format!("C60 supercells: HOMO/LUMO, tol {:e}, leaf {}, {threads} threads", a.tol, a.leaf);
    let labels = Labels { title: &title, x: "N (orbitals = 4 × atoms)", y: "wall time (s)" };
    plot::loglog_lines(png, labels, &series).map_err(|e| format!("{}: {e}", png.display()))
}

fn run(a: &Args) -> Result<(), String> {
    let seq = sizes(parse_repeat("start", &a.start)?, parse_repeat("max", &a.max)?)?;
    let (_, cell) = hmatrix::io::read_xyz(&a.cell).map_err(|e| format!("{}: {e}", a.cell.display()))?;
    let png = a.png.clone().unwrap_or_else(|| a.out.with_extension("png"));
    let mut out = common::open_jsonl(Some(&a.out)).map_err(|e| format!("{}: {e}", a.out.display()))?;
    println!("| supercell | N | build s | eig s | memory MB | max rank | factorizations | HOMO (Ha) | LUMO (Ha) | gap (eV) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in seq {
        let rec = one_size(a, &cell, r)?;
        if let Some(f) = out.as_mut() {
            writeln!(f, "{rec}").map_err(|e| format!("{}: {e}", a.out.display()))?;
        }
        let g = |k: &str| rec[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {}×{}×{} | {} | {:.2} | {:.2} | {:.1} | {} | {} | {:.10} | {:.10} | {:.5} |",
            r[0],
            r[1],
            r[2],
            rec["n"],
            g("time_build_s"),
            g("time_eig_s"),
            g("memory_bytes") / 1e6,
            rec["max_rank"],
            rec["factorizations"],
            rec["homo"]["value"].as_f64().unwrap_or(f64::NAN),
            rec["lumo"]["value"].as_f64().unwrap_or(f64::NAN),
            g("gap_ev")
        );
        redraw(a, &png)?;
    }
    println!("appended to {}, plot {}", a.out.display(), png.display());
    Ok(())
}

fn main() -> ExitCode {
    common::exit_code("c60_scaling", run(&Args::parse()))
}
