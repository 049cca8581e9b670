//! The JSONL record of one solver run, and what goes into it besides the eigenvalues.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One line of `docs/bench/eig.jsonl` (the report generator reads exactly these fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub solver: String,
    pub problem: String,
    pub n: usize,
    pub cores: usize,
    pub k: usize,
    pub nev: usize,
    pub time_s: f64,
    pub time_build_s: Option<f64>,
    pub peak_memory_bytes: u64,
    pub lambda: f64,
    pub lambdas: Vec<f64>,
    pub abs_err: Option<f64>,
    pub norm2: Option<f64>,
    pub tol: Option<f64>,
    pub factorizations: Option<usize>,
    pub machine: String,
    pub date: String,
}

/// Peak resident memory of this process (`VmHWM` of `/proc/self/status`), in bytes; 0 where
/// there is no such file.
pub fn peak_memory_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// CPU model and logical core count from `/proc/cpuinfo`, e.g. `"AMD EPYC (2 cores)"`.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim()))
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = info.lines().filter(|l| l.starts_with("processor")).count().max(1);
    format!("{model} ({cores} cores)")
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // civil-from-days (H. Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// All records of a JSONL file (lines that do not parse as a record are skipped).
pub fn read_records(path: &Path) -> std::io::Result<Vec<Record>> {
    let f = std::fs::File::open(path)?;
    let mut out = Vec::new();
    for line in std::io::BufReader::new(f).lines() {
        if let Ok(r) = serde_json::from_str::<Record>(&line?) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The eigenvalues of the last `dsyevr` record of the same problem, `n`, `k` and `nev`.
pub fn reference(
    path: &Path,
    problem: &str,
    n: usize,
    k: usize,
    nev: usize,
) -> std::io::Result<Option<Vec<f64>>> {
    if !path.exists() {
        return Ok(None);
    }
    let recs = read_records(path)?;
    Ok(recs
        .into_iter()
        .rev()
        .find(|r| r.solver == "dsyevr" && r.problem == problem && r.n == n && r.k == k && r.nev == nev)
        .map(|r| r.lambdas))
}

/// `max |a_i − b_i|` (None if the lengths differ).
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> Option<f64> {
    (a.len() == b.len()).then(|| a.iter().zip(b).fold(0.0_f64, |m, (x, y)| m.max((x - y).abs())))
}

/// Appends the record as one line to every file (creating folders and files).
pub fn append(rec: &Record, paths: &[PathBuf]) -> std::io::Result<()> {
    let line = serde_json::to_string(rec)?;
    for p in paths {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(p)?;
        writeln!(f, "{line}")?;
    }
    Ok(())
}

/// The one-line summary printed for each record.
pub fn summary(r: &Record) -> String {
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1e}"));
    format!(
        "{:<8} {:<16} n={:<6} k={:<6} nev={:<3} cores={:<2} time={:>9.3}s build={} mem={:.1}MB λ_k={:.12e} abs_err={} fact={}",
        r.solver,
        r.problem,
        r.n,
        r.k,
        r.nev,
        r.cores,
        r.time_s,
        r.time_build_s.map_or("-".to_string(), |t| format!("{t:.3}s")),
        r.peak_memory_bytes as f64 / 1e6,
        r.lambda,
        opt(r.abs_err),
        r.factorizations.map_or("-".to_string(), |f| f.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_and_diff() {
        let d = utc_now();
        assert_eq!(d.len(), 20);
        assert!(d.starts_with("20") && d.ends_with('Z'));
        assert_eq!(max_abs_diff(&[1.0, 2.0], &[1.5, 2.0]), Some(0.5));
        assert_eq!(max_abs_diff(&[1.0], &[]), None);
    }
}
