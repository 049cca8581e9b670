//! The commands. Each prints one JSON object (`--json`) or the same fields as text.

use crate::args::{Cli, Command, Common};
use crate::factored::{read_vectors, with_counter, EigTask, FactorTask, InertiaTask};
use crate::problem::{self, BuildProgress};
use crate::ranks::Ranks;
use hmatrix::batch::Simd;
use hmatrix::eigen::{EigAccuracy, EigParams, DEFAULT_RELATIVE_ACCURACY};
use hmatrix::{Error, Result};
use serde_json::{json, Value};

pub fn run(cli: Cli, ranks: &Ranks<'_>) -> Result<()> {
    let threads = match &cli.command {
        Command::Info(c) => c.threads,
        Command::Matvec { common, .. }
        | Command::Inertia { common, .. }
        | Command::Solve { common, .. }
        | Command::Logdet { common, .. }
        | Command::Eig { common, .. } => common.threads,
        Command::ElsesSupercell { .. } => None,
    };
    // the global pool, so that the command itself runs on the main thread: under MPI
    // (funneled) only that thread may call MPI
    if let Some(t) = threads {
        if t == 0 {
            return Err(Error::invalid("threads", 0, "a positive integer"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| Error::invalid("threads", e, "a buildable thread pool"))?;
    }
    dispatch(cli.command, ranks)
}

fn dispatch(cmd: Command, ranks: &Ranks<'_>) -> Result<()> {
    match cmd {
        Command::Info(c) => info(&c, ranks),
        Command::Matvec { common, x, out } => {
            let (p, bar) = setup(&common)?;
            let h = problem::build(&p, &common, &bar)?;
            let xm = read_vectors(&x, h.n())?;
            let y = h.matvec(xm.as_ref());
            if ranks.is_root() {
                hmatrix::io::write_npy(&out, y.as_ref(), y.ncols() == 1)?;
            }
            emit(
                ranks,
                common.json,
                json!({"n": h.n(), "columns": y.ncols(), "out": out.display().to_string()}),
            )
        }
        Command::Inertia { common, fact, shift } => {
            let json = common.json;
            emit(ranks, json, with_counter(common, &fact, InertiaTask { shift }, ranks)?)
        }
        Command::Solve { common, fact, rhs, out, method, shift } => {
            let json = common.json;
            emit(
                ranks,
                json,
                with_counter(common, &fact, FactorTask { method, shift, files: Some((rhs, out)) }, ranks)?,
            )
        }
        Command::Logdet { common, fact, method, shift } => {
            let json = common.json;
            emit(ranks, json, with_counter(common, &fact, FactorTask { method, shift, files: None }, ranks)?)
        }
        Command::Eig { common, k, range, interval, eig_tol, eig_rtol, exact_limit, vectors, fact } => {
            let json = common.json;
            let accuracy = EigAccuracy::from_options(eig_tol, eig_rtol)?
                .unwrap_or(EigAccuracy::Relative(DEFAULT_RELATIVE_ACCURACY));
            let params = EigParams::default().exact_limit(exact_limit);
            // an unwritable output path fails before any work is done
            if let Some(path) = vectors.as_ref().filter(|_| ranks.is_root()) {
                std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
            }
            let task = EigTask { k, range, interval, accuracy, params, json, vectors };
            emit(ranks, json, with_counter(common, &fact, task, ranks)?)
        }
        Command::ElsesSupercell { cell, repeat, noise, seed, edge, out } => {
            let r: Vec<usize> = repeat
                .split(',')
                .map(|x| x.trim().parse())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| Error::invalid("repeat", &repeat, "NX,NY,NZ"))?;
            let r: [usize; 3] = r.try_into().map_err(|_| Error::invalid("repeat", &repeat, "NX,NY,NZ"))?;
            let (_, atoms) = hmatrix::io::read_xyz(&cell)?;
            let big = hmatrix::elses::supercell(&atoms, r, edge, noise, seed)?;
            let symbols = vec!["C".to_string(); big.len()];
            let comment = format!(
                "C60 crystal supercell {}x{}x{} of {} (edge {edge} A, noise {noise} A, seed {seed})",
                r[0],
                r[1],
                r[2],
                cell.display()
            );
            if ranks.is_root() {
                hmatrix::io::write_xyz(&out, &symbols, &big, &comment)?;
            }
            emit(
                ranks,
                true,
                json!({"atoms": big.len(), "n": 4 * big.len(), "out": out.display().to_string()}),
            )
        }
    }
}

/// The problem and the progress bar of its construction (`problem::build` borrows both).
fn setup(c: &Common) -> Result<(problem::Problem, BuildProgress)> {
    let p = problem::load(c)?;
    Ok((p, BuildProgress::new(c.json)))
}

fn info(c: &Common, ranks: &Ranks<'_>) -> Result<()> {
    let (p, bar) = setup(c)?;
    let h = problem::build(&p, c, &bar)?;
    let mut v = serde_json::to_value(h.report()).expect("serializable");
    v["problem"] = json!(p.name);
    v["simd"] = json!(Simd::detect().to_string());
    emit(ranks, c.json, v)
}

/// Prints `v` on rank 0: one JSON line, or `key: value` lines.
fn emit(ranks: &Ranks<'_>, json: bool, v: Value) -> Result<()> {
    if !ranks.is_root() {
        return Ok(());
    }
    if json {
        println!("{v}");
    } else if let Value::Object(m) = v {
        for (k, val) in m {
            println!("{k}: {val}");
        }
    }
    Ok(())
}
