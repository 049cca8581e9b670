//! Helpers shared by the examples: the benchmark problem, JSONL output, medians (here),
//! PNG plots (`plot`), density-of-states counting (`dos`) and the eigenvalue benchmark
//! report (`report`). Every example compiles all of it, hence `allow(dead_code)`.
#![allow(dead_code)]

pub mod dos;
pub mod plot;
pub mod report;

use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::KernelSource;
use std::path::Path;
use std::time::Instant;

/// The kernel matrix of a built-in geometry with the benchmarks' fixed seed (42); the
/// source carries the points.
pub fn kernel_problem(kernel: &str, geometry: &str, n: usize) -> hmatrix::Result<KernelSource<RadialKernel>> {
    let points = Geometry::from_name(geometry)?.generate(n, 42)?;
    KernelSource::new(points, RadialKernel::from_name(kernel)?, 0.0)
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

/// Least-squares slope of `ln y` against `ln x` (`None` for fewer than two points).
pub fn loglog_slope(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let m = pts.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
    let mx = lx.iter().sum::<f64>() / m;
    let my = ly.iter().sum::<f64>() / m;
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx) * (x - mx)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// A fitted slope with two decimals, or a dash when there were too few sizes.
pub fn fmt_slope(s: Option<f64>) -> String {
    s.map_or("– (fewer than 2 sizes)".to_string(), |p| format!("{p:.2}"))
}

/// Runs `f` `reps` times: the wall times in seconds and the last result.
pub fn timed<T>(reps: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let out = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    (times, last.expect("reps ≥ 1"))
}

/// The wall time of one call of `f`, in seconds (interleaved measurements call it per
/// method and repetition).
pub fn seconds(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// The examples' exit: success, or `NAME: error` on one line and exit status 2.
pub fn exit_code<E: std::fmt::Display>(name: &str, r: Result<(), E>) -> std::process::ExitCode {
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
