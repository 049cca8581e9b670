//! The eigenvalue benchmark report (`examples/bench_report.rs`): JSON-lines records of
//! hmatrix and dense solvers → per (problem, nev) tables, speed-ups, overtaking N, fitted
//! slopes, and time-vs-N PNGs.

use super::median;
use super::plot::{self, Labels, Series};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The solvers a record may name; all but `hmatrix` and `hmatrix-skel` are dense.
/// Speed-ups are those of `hmatrix` (the ULV); `hmatrix-skel` is a line of its own.
pub const SOLVERS: [&str; 8] =
    ["hmatrix", "hmatrix-skel", "dsyevr", "dsyevd", "pdsyevx", "pdsyevr", "elpa1", "elpa2"];

/// One benchmark record: the driver's own type (`examples/bench_eig/record.rs`), so the
/// writer and this reader cannot drift apart.
#[path = "../bench_eig/record.rs"]
mod record;
pub use record::Record;

/// Parses JSON lines (blank lines skipped).
///
/// # Errors
/// `line L: <reason>` for malformed JSON, a missing field, an unknown solver, `n = 0` or
/// a negative or non-finite time.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let r: Record = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if !SOLVERS.contains(&r.solver.as_str()) {
            return Err(format!(
                "line {}: unknown solver {:?} (expected one of {SOLVERS:?})",
                i + 1,
                r.solver
            ));
        }
        let times_ok = [Some(r.time_s), r.time_build_s].iter().flatten().all(|t| t.is_finite() && *t >= 0.0);
        if r.n == 0 || !times_ok {
            return Err(format!("line {}: need n > 0 and finite non-negative times", i + 1));
        }
        out.push(r);
    }
    Ok(out)
}

/// Medians of the records of one solver configuration at one N.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub time: f64,
    pub build: Option<f64>,
    pub memory: f64,
    /// Largest `abs_err` of the records (worst case).
    pub abs_err: Option<f64>,
    pub runs: usize,
}

/// One solver on a fixed core count.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub solver: String,
    pub cores: usize,
    pub cells: BTreeMap<usize, Cell>,
}

impl Line {
    fn is_dense(&self) -> bool {
        !self.solver.starts_with("hmatrix")
    }

    /// `(N, median time)` points.
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.cells.iter().map(|(&n, c)| (n as f64, c.time)).collect()
    }
}

/// All records of one problem and `nev`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub problem: String,
    pub nev: usize,
    pub machines: Vec<String>,
    pub dates: (String, String),
    pub lines: Vec<Line>,
}

fn cell(rs: &[&Record]) -> Cell {
    let opt = |v: Vec<f64>| (!v.is_empty()).then(|| median(v));
    Cell {
        time: median(rs.iter().map(|r| r.time_s).collect()),
        build: opt(rs.iter().filter_map(|r| r.time_build_s).collect()),
        memory: median(rs.iter().map(|r| r.peak_memory_bytes as f64).collect()),
        abs_err: rs.iter().filter_map(|r| r.abs_err).reduce(f64::max),
        runs: rs.len(),
    }
}

fn group(problem: &str, nev: usize, rs: &[&Record]) -> Group {
    let mut by: BTreeMap<(usize, &str, usize), BTreeMap<usize, Vec<&Record>>> = BTreeMap::new();
    for r in rs {
        let order = SOLVERS.iter().position(|s| *s == r.solver).unwrap_or(SOLVERS.len());
        by.entry((order, r.solver.as_str(), r.cores)).or_default().entry(r.n).or_default().push(r);
    }
    let configs = |s: &str| by.keys().filter(|k| k.1 == s).count();
    let lines = by
        .iter()
        .map(|(&(_, solver, cores), cells)| Line {
            label: if configs(solver) > 1 { format!("{solver} ({cores} cores)") } else { solver.to_string() },
            solver: solver.to_string(),
            cores,
            cells: cells.iter().map(|(&n, v)| (n, cell(v))).collect(),
        })
        .collect();
    let mut machines: Vec<String> = rs.iter().map(|r| r.machine.clone()).collect();
    machines.sort();
    machines.dedup();
    let dates = (
        rs.iter().map(|r| r.date.clone()).min().unwrap_or_default(),
        rs.iter().map(|r| r.date.clone()).max().unwrap_or_default(),
    );
    Group { problem: problem.to_string(), nev, machines, dates, lines }
}

/// Groups by (problem, nev), sorted; lines in the order of [`SOLVERS`], then cores.
pub fn groups(records: &[Record]) -> Vec<Group> {
    let mut by: BTreeMap<(&str, usize), Vec<&Record>> = BTreeMap::new();
    for r in records {
        by.entry((r.problem.as_str(), r.nev)).or_default().push(r);
    }
    by.iter().map(|(&(p, nev), rs)| group(p, nev, rs)).collect()
}

/// Where hmatrix becomes faster than the fastest dense solver.
#[derive(Debug, Clone, PartialEq)]
pub enum Overtake {
    /// Faster at every N measured for both (the smallest such N).
    Always(usize),
    /// Slower below, faster from this N on (at every larger N measured for both).
    From(usize),
    /// Not faster at the largest N measured for both.
    NotYet,
    /// No N with both hmatrix and a dense solver.
    NoData,
}

impl Group {
    pub fn hmatrix(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.solver == "hmatrix")
    }

    /// The fastest dense line at N and its median time.
    pub fn fastest_dense(&self, n: usize) -> Option<(&Line, f64)> {
        let times =
            self.lines.iter().filter(|l| l.is_dense()).filter_map(|l| Some((l, l.cells.get(&n)?.time)));
        times.min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Every N with an hmatrix time and a dense time: `(N, fastest dense time / hmatrix
    /// time)`. hmatrix's `time_s` includes its construction; with `eig_only` the
    /// construction is left out (a matrix built once and reused; N without a build time are
    /// then left out).
    pub fn speedups(&self, eig_only: bool) -> Vec<(usize, f64)> {
        let Some(h) = self.hmatrix() else { return Vec::new() };
        let time = |c: &Cell| if eig_only { c.build.map(|b| c.time - b) } else { Some(c.time) };
        h.cells.iter().filter_map(|(&n, c)| Some((n, self.fastest_dense(n)?.1 / time(c)?))).collect()
    }

    /// Where hmatrix (with `eig_only`: without its construction) overtakes.
    pub fn overtake(&self, eig_only: bool) -> Overtake {
        let s = self.speedups(eig_only);
        let Some(&(first, _)) = s.first() else { return Overtake::NoData };
        match s.iter().rposition(|&(_, x)| x <= 1.0) {
            None => Overtake::Always(first),
            Some(i) if i + 1 < s.len() => Overtake::From(s[i + 1].0),
            Some(_) => Overtake::NotYet,
        }
    }

    /// N where the fitted power laws of hmatrix and of the dense solver that is fastest at
    /// the largest common N cross (`None` unless both fit and hmatrix grows more slowly).
    pub fn extrapolated_crossing(&self) -> Option<f64> {
        let (n, _) = *self.speedups(false).last()?;
        let (dh, ih) = plot::loglog_fit(&self.hmatrix()?.points())?;
        let (dd, id) = plot::loglog_fit(&self.fastest_dense(n)?.0.points())?;
        (dh < dd).then(|| ((ih - id) / (dd - dh)).exp())
    }
}

/// `eig-<problem>-nev<k>.png`, the problem reduced to `[A-Za-z0-9._-]`.
pub fn png_name(g: &Group) -> String {
    let p: String = g
        .problem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect();
    format!("eig-{p}-nev{}.png", g.nev)
}

fn secs(t: f64) -> String {
    if t >= 100.0 {
        format!("{t:.0}")
    } else if t >= 1.0 {
        format!("{t:.2}")
    } else {
        format!("{t:.3}")
    }
}

fn ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.1}×")
    } else if x >= 0.1 {
        format!("{x:.2}×")
    } else {
        format!("{x:.1e}×")
    }
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

fn ns(g: &Group) -> Vec<usize> {
    let mut v: Vec<usize> = g.lines.iter().flat_map(|l| l.cells.keys().copied()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Times table: N × line, then the fastest dense line, speed-ups and hmatrix's error.
fn time_table(g: &Group, md: &mut String) {
    let head: Vec<&str> = g.lines.iter().map(|l| l.label.as_str()).collect();
    let _ = writeln!(
        md,
        "| N | {} | fastest dense | speed-up | speed-up, matrix built | hmatrix abs_err |",
        head.join(" | ")
    );
    let _ = writeln!(md, "|---:|{}---|---:|---:|---:|", "---:|".repeat(head.len()));
    let h = g.hmatrix();
    for n in ns(g) {
        let times: Vec<String> = g.lines.iter().map(|l| opt(l.cells.get(&n), time_cell)).collect();
        let hc = h.and_then(|l| l.cells.get(&n));
        let best = g.fastest_dense(n);
        let up = hc.zip(best).map(|(c, b)| b.1 / c.time);
        let up_build = hc.zip(best).and_then(|(c, b)| Some(b.1 / (c.time - c.build?)));
        let _ = writeln!(
            md,
            "| {n} | {} | {} | {} | {} | {} |",
            times.join(" | "),
            opt(best, |b| b.0.label.clone()),
            opt(up, ratio),
            opt(up_build, ratio),
            opt(hc.and_then(|c| c.abs_err), |e| format!("{e:.1e}")),
        );
    }
}

fn time_cell(c: &Cell) -> String {
    let mut s = secs(c.time);
    if let Some(b) = c.build {
        let _ = write!(s, " (build {})", secs(b));
    }
    if c.runs > 1 {
        let _ = write!(s, " [{}]", c.runs);
    }
    s
}

fn memory_table(g: &Group, md: &mut String) {
    let head: Vec<&str> = g.lines.iter().map(|l| l.label.as_str()).collect();
    let _ = writeln!(md, "| N | {} |", head.join(" | "));
    let _ = writeln!(md, "|---:|{}", "---:|".repeat(head.len()));
    for n in ns(g) {
        let mem: Vec<String> =
            g.lines.iter().map(|l| opt(l.cells.get(&n), |c| format!("{:.1}", c.memory / 1e6))).collect();
        let _ = writeln!(md, "| {n} | {} |", mem.join(" | "));
    }
}

fn overtake_text(g: &Group, build: bool) -> String {
    let who = if build { "hmatrix with the matrix already built" } else { "hmatrix" };
    let cross = opt(g.extrapolated_crossing().filter(|_| !build), |x| {
        format!("; the fitted power laws cross near N ≈ {x:.0}")
    });
    match g.overtake(build) {
        Overtake::Always(n) => format!("{who} is faster than every dense solver at every measured N (from N = {n})"),
        Overtake::From(n) => format!("{who} overtakes the fastest dense solver at **N = {n}** (and stays faster at every larger measured N)"),
        Overtake::NotYet => format!("{who} is not faster than the fastest dense solver at the largest measured N{cross}"),
        Overtake::NoData if build => "no N has both a dense time and an hmatrix construction time".into(),
        Overtake::NoData => "no N has both an hmatrix and a dense time".into(),
    }
}

fn summary(g: &Group, md: &mut String) {
    let _ = writeln!(md, "{}; {}.\n", overtake_text(g, false), overtake_text(g, true));
    let slopes: Vec<String> = g
        .lines
        .iter()
        .map(|l| format!("{} {}", l.label, opt(plot::loglog_slope(&l.points()), |s| format!("{s:.2}"))))
        .collect();
    let _ = writeln!(md, "Fitted slopes of log time vs log N: {}.\n", slopes.join(", "));
}

/// The whole Markdown report; `png_dir` is how the report refers to the plots.
pub fn markdown(groups: &[Group], input: &str, png_dir: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Eigenvalue benchmarks: hmatrix against dense solvers\n");
    let _ = writeln!(
        md,
        "Generated by `cargo run --release --example bench_report` from `{input}`. Times are wall"
    );
    let _ = writeln!(
        md,
        "seconds, the median where several records share problem, nev, solver, cores and N (their"
    );
    let _ = writeln!(
        md,
        "number in brackets). hmatrix's time includes its construction (`time_build_s`, shown as"
    );
    let _ = writeln!(
        md,
        "`build …`). Speed-up = fastest dense time / hmatrix time (> 1: hmatrix is faster); `matrix built`"
    );
    let _ = writeln!(
        md,
        "leaves the construction out (one matrix serves many eigenvalues). `abs_err` is the largest of the records. Memory is the"
    );
    let _ = writeln!(md, "median peak memory in MB (10⁶ bytes).\n");
    for g in groups {
        let _ = writeln!(md, "## {} — nev = {}\n", g.problem, g.nev);
        let _ = writeln!(md, "Machine: {}; dates {} … {}.\n", g.machines.join(", "), g.dates.0, g.dates.1);
        time_table(g, &mut md);
        let _ = writeln!(md);
        summary(g, &mut md);
        let _ = writeln!(md, "Peak memory (MB):\n");
        memory_table(g, &mut md);
        let png = png_name(g);
        let path = if png_dir.is_empty() { png.clone() } else { format!("{png_dir}/{png}") };
        let _ = writeln!(md, "\n![time vs N, {} nev {}]({path})\n", g.problem, g.nev);
    }
    md
}

/// Draws one time-vs-N PNG per group into `dir`; returns the paths.
///
/// # Errors
/// Drawing or I/O errors, as one message.
pub fn write_pngs(groups: &[Group], dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for g in groups {
        let path = dir.join(png_name(g));
        let series: Vec<Series> =
            g.lines.iter().map(|l| Series { label: l.label.clone(), points: l.points() }).collect();
        let title = format!("{}, nev = {}: time_s vs N on {}", g.problem, g.nev, g.machines.join(", "));
        let labels = Labels { title: &title, x: "N (matrix order)", y: "wall time, median (s)" };
        plot::loglog_lines(&path, labels, &series).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}
