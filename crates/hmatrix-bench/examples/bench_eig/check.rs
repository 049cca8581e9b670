//! `--check FILE`: do all solvers agree with `dsyevr` on the same eigenvalues?

use super::record::{max_abs_diff, read_records, Record};
use std::collections::BTreeMap;
use std::path::Path;

type Key = (String, usize, usize, usize);

/// ‖A‖₂ of a group: the largest `norm2` of its records (dsyevd's is exact), else the
/// largest |λ| of the window (a lower bound, so the check is then stricter).
fn group_norm(recs: &[&Record]) -> f64 {
    let from_records = recs.iter().filter_map(|r| r.norm2).fold(0.0_f64, f64::max);
    if from_records > 0.0 {
        return from_records;
    }
    recs.iter().flat_map(|r| r.lambdas.iter()).fold(0.0_f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE)
}

/// Checks every record against the last `dsyevr` record of its (problem, n, k, nev) group:
/// `max |λ − λ_dsyevr| ≤ rel_tol · ‖A‖₂`. Prints one line per record; groups without a
/// `dsyevr` record are reported and skipped. Returns whether every checked record agrees.
///
/// # Errors
/// The file cannot be read.
pub fn check(path: &Path, rel_tol: f64) -> std::io::Result<bool> {
    let recs = read_records(path)?;
    let mut groups: BTreeMap<Key, Vec<&Record>> = BTreeMap::new();
    for r in &recs {
        groups.entry((r.problem.clone(), r.n, r.k, r.nev)).or_default().push(r);
    }
    let mut all_ok = true;
    println!("# agreement with dsyevr: max |λ − λ_dsyevr| ≤ {rel_tol:e}·‖A‖₂ ({} records)", recs.len());
    for ((problem, n, k, nev), group) in &groups {
        let Some(reference) = group.iter().rev().find(|r| r.solver == "dsyevr") else {
            println!("skip {problem} n={n} k={k} nev={nev}: no dsyevr record");
            continue;
        };
        let norm = group_norm(group);
        for r in group {
            let err = max_abs_diff(&r.lambdas, &reference.lambdas);
            let ok = err.is_some_and(|e| e <= rel_tol * norm);
            all_ok &= ok;
            let e = err.map_or("length mismatch".to_string(), |e| format!("{e:.2e} ({:.1e}·‖A‖₂)", e / norm));
            println!(
                "{} {problem} n={n} k={k} nev={nev} {:<12} |Δλ| = {e}",
                if ok { "ok  " } else { "FAIL" },
                r.solver
            );
        }
    }
    Ok(all_ok)
}
