//! Helpers shared by the examples: the benchmark problem, JSONL output, medians (here),
//! PNG plots (`plot`), density-of-states counting (`dos`) and the eigenvalue benchmark
//! report (`report`). Every example compiles all of it, hence `allow(dead_code)`.
#![allow(dead_code)]

pub mod dos;
pub mod plot;
pub mod report;

use hmatrix::geometry::{Geometry, Points};
use hmatrix::kernel::RadialKernel;
use hmatrix::source::KernelSource;
use std::path::Path;

/// The kernel matrix of a built-in geometry with the benchmarks' fixed seed (42).
pub fn kernel_problem(
    kernel: &str,
    geometry: &str,
    n: usize,
) -> hmatrix::Result<(Points, KernelSource<RadialKernel>)> {
    let points = Geometry::from_name(geometry)?.generate(n, 42)?;
    let src = KernelSource::new(points.clone(), RadialKernel::from_name(kernel)?, 0.0)?;
    Ok((points, src))
}

/// Opens a JSONL file for appending (creating its folder), or `None` without a path.
pub fn open_jsonl(path: Option<&Path>) -> std::io::Result<Option<std::fs::File>> {
    let Some(p) = path else { return Ok(None) };
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?))
}

/// Seconds since the Unix epoch (identifies one run in a JSONL file).
pub fn unix_time() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Median of a non-empty sample.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}
