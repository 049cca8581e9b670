//! The commands that factor (`inertia`, `solve`, `logdet`, `eig`), written once over
//! [`InertiaCounter`]: each is a [`Task`] that [`with_counter`] runs on the ULV plan of an
//! H² matrix or on the skeletonization, as `--factorization` (or `auto`) chooses.

use crate::args::{Common, FactorOpts, Factorization, Method};
use crate::problem::{self, progress_bar, BuildProgress, Problem, DEFAULT_TOL};
use crate::ranks::Ranks;
use faer::Mat;
use hmatrix::batch::Simd;
use hmatrix::eigen::{
    certify, Compression, EigAccuracy, EigParams, Eigenpairs, Eigenvalue, InertiaCounter, ShiftedFactor,
    Spectrum, WorkerGroup,
};
use hmatrix::factor::skel::{EliminationOrder, SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::par::default_par;
use hmatrix::source::{sampled_norm_estimate, EntrySource};
use hmatrix::{Error, Result};
use serde_json::{json, Value};
use std::time::Instant;

/// What every factoring command knows about the problem and its representation.
pub struct Setup<'a> {
    pub n: usize,
    pub default_problem: bool,
    pub time_build_s: f64,
    /// Bytes of the H² matrix and its plan (ULV); 0 for the skeletonization (per shift).
    pub memory_bytes: usize,
    pub max_rank: usize,
    pub cuts_per_round: usize,
    /// The ULV plan (and through it the H² matrix, for `Ã x`); none for the skeletonization.
    pub ulv: Option<&'a UlvPlan<'a>>,
    /// The MPI ranks that share `eig`'s rounds (none: this process alone).
    pub group: Option<&'a dyn WorkerGroup>,
    /// Whether this process writes the output files (rank 0).
    pub root: bool,
}

/// A command run on one counter; returns the JSON object it prints.
pub trait Task {
    fn run<C: InertiaCounter>(self, c: &C, s: &Setup<'_>) -> Result<Value>;
    /// The eigenvalue accuracy the command asks for, from which the compression is derived
    /// when the options give neither `--tol` nor `--leaf` (`eig` only).
    fn accuracy(&self) -> Option<EigAccuracy> {
        None
    }
}

/// Fills in the built-in default problem (yukawa on 65,536 points of a circle) when no
/// problem is given; returns whether it did.
pub fn default_problem(c: &mut Common) -> bool {
    let default_problem = c.kernel.is_none() && c.matrix.is_none() && c.elses.is_none();
    if default_problem {
        c.kernel = Some("yukawa".into());
        c.geometry = Some("circle".into());
        c.n = Some(c.n.unwrap_or(65536));
    }
    default_problem
}

/// Sets `tol` and `leaf` from the accuracy ([`Compression::for_eigenvalues`]) when the
/// options give neither; returns how they were set: "derived", "given" or "default".
///
/// # Errors
/// A NaN/inf entry in the rows that estimate ‖A‖₂ (absolute accuracies only).
fn resolve_compression(
    c: &mut Common,
    acc: Option<EigAccuracy>,
    src: &dyn EntrySource,
) -> Result<&'static str> {
    if c.tol.is_some() || c.leaf.is_some() {
        return Ok("given");
    }
    let Some(acc) = acc else { return Ok("default") };
    let norm = match acc {
        EigAccuracy::Relative(_) => 1.0,
        EigAccuracy::Absolute(_) => sampled_norm_estimate(src, default_par())?,
    };
    let dim = src.points().map_or(0, |p| p.dim());
    let comp = Compression::for_eigenvalues(acc.relative(norm), dim);
    c.tol = Some(comp.tol);
    c.leaf = comp.leaf_size;
    Ok("derived")
}

/// Predicted bytes of the near-and-far H² matrix and its ULV plan for 3-D points (or none):
/// `8·n·w` with `w` entries per row, 3300 at n = 16384 and tol 1e-4, growing as `n^0.2` and
/// 1.6× per decade of tolerance (fitted to the sphere at 16384 / 262144 and the ball at
/// 10,000 points, tol 1e-4 / 1e-5, docs/benchmarks.md). 1-D/2-D ranks stay bounded: 0.
fn predicted_ulv_bytes(n: usize, dim: usize, tol: f64) -> f64 {
    if (1..=2).contains(&dim) {
        return 0.0;
    }
    let decades = (1e-4 / tol).log10().max(-1.0);
    8.0 * n as f64 * 3300.0 * (n as f64 / 16384.0).powf(0.2) * 1.6f64.powf(decades)
}

/// `MemAvailable` of /proc/meminfo in bytes (16 GiB where it cannot be read).
fn available_memory() -> f64 {
    let kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemAvailable:"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    kb.map_or(16.0 * (1u64 << 30) as f64, |k| 1024.0 * k)
}

/// `auto`: the ULV while its predicted memory fits in 60 % of the available memory (shared
/// by the `ranks` of the run, each of which holds a copy), the skeletonization (O(N)
/// memory on surfaces) beyond; with the prediction, under `auto`.
fn choose(f: Factorization, src: &dyn EntrySource, tol: f64, ranks: usize) -> (Factorization, Option<f64>) {
    if f != Factorization::Auto {
        return (f, None);
    }
    let need = predicted_ulv_bytes(src.n(), src.points().map_or(0, |p| p.dim()), tol);
    let fits = need * ranks as f64 <= 0.6 * available_memory();
    (if fits { Factorization::Ulv } else { Factorization::Skel }, Some(need))
}

/// The loaded problem, how its compression was set, and the factorization chosen.
struct Loaded {
    p: Problem,
    compression: &'static str,
    kind: Factorization,
    predicted: Option<f64>,
}

fn load_and_choose(c: &mut Common, f: &FactorOpts, acc: Option<EigAccuracy>, ranks: usize) -> Result<Loaded> {
    let p = problem::load(c)?;
    let compression = resolve_compression(c, acc, p.src.as_ref())?;
    let (kind, predicted) = choose(f.factorization, p.src.as_ref(), c.tol.unwrap_or(DEFAULT_TOL), ranks);
    Ok(Loaded { p, compression, kind, predicted })
}

/// Loads the problem, builds the chosen representation and runs `task` on it; the JSON
/// object gets `n`, `problem`, `factorization`, `time_build_s`, `tol`, `leaf`,
/// `compression` (and `predicted_ulv_bytes` under `auto`, `ranks` under MPI) added. Every
/// rank settles the loading's outcome and runs rank 0's choice of factorization
/// (`ranks.rs`).
pub fn with_counter<T: Task>(mut c: Common, f: &FactorOpts, task: T, ranks: &Ranks<'_>) -> Result<Value> {
    let default_problem = default_problem(&mut c);
    let t0 = Instant::now();
    let (loaded, outcome) = match load_and_choose(&mut c, f, task.accuracy(), ranks.size()) {
        Ok(l) => {
            let skel = u64::from(l.kind == Factorization::Skel);
            (Some(l), Ok(skel))
        }
        Err(e) => (None, Err(e)),
    };
    let skel = ranks.settle(outcome)? == 1;
    let Loaded { p, compression, predicted, .. } = loaded.expect("settled: loaded on this rank");
    let run = Run { p: &p, c: &c, f, at: (t0, default_problem), ranks };
    let mut v = if skel { on_skel(&run, task)? } else { on_ulv(&run, task)? };
    v["n"] = json!(p.src.n());
    v["problem"] = json!(p.name);
    // the instruction set of the kernel evaluation (run-time dispatch)
    v["simd"] = json!(Simd::detect().to_string());
    v["tol"] = json!(c.tol.unwrap_or(DEFAULT_TOL));
    v["compression"] = json!(compression);
    if let Some(bytes) = predicted {
        v["predicted_ulv_bytes"] = json!(bytes);
    }
    if ranks.size() > 1 {
        v["ranks"] = json!(ranks.size());
    }
    Ok(v)
}

/// What the two factorizations' runs share: the problem, the options, when loading began,
/// whether the problem is the built-in default, and the ranks.
struct Run<'r, 'g> {
    p: &'r Problem,
    c: &'r Common,
    f: &'r FactorOpts,
    at: (Instant, bool),
    ranks: &'r Ranks<'g>,
}

impl<'r> Run<'r, '_> {
    /// The task's setup: `n`, bytes and rank of the representation, default cuts per round,
    /// the ULV plan if any.
    fn setup<'a>(
        &self,
        (n, memory_bytes, max_rank): (usize, usize, usize),
        cuts: usize,
        ulv: Option<&'a UlvPlan<'a>>,
    ) -> Setup<'a>
    where
        'r: 'a,
    {
        Setup {
            n,
            default_problem: self.at.1,
            time_build_s: self.at.0.elapsed().as_secs_f64(),
            memory_bytes,
            max_rank,
            cuts_per_round: self.f.cuts_per_round.unwrap_or(cuts),
            ulv,
            group: self.ranks.shared(),
            root: self.ranks.is_root(),
        }
    }
}

/// Runs `task` on the skeletonization (leaf: the options', else the library's 128).
fn on_skel<T: Task>(r: &Run<'_, '_>, task: T) -> Result<Value> {
    let c = r.c;
    let leaf = c.leaf.unwrap_or(SkelParams::default().leaf_size);
    // arena order (fewer flops than waves): concurrent shifts fill the cores
    let sp = SkelParams::default().tol(c.tol.unwrap_or(DEFAULT_TOL)).leaf_size(leaf).eta(c.eta);
    let sk = Skeletonization::new(r.p.src.as_ref(), sp.order(EliminationOrder::Arena))?;
    let s = r.setup((sk.n(), 0, 0), rayon::current_num_threads(), None);
    let mut v = task.run(&sk, &s)?;
    v["time_build_s"] = json!(s.time_build_s);
    v["leaf"] = json!(leaf);
    Ok(v)
}

/// Builds the H² matrix and its ULV plan and runs `task` on them.
fn on_ulv<T: Task>(r: &Run<'_, '_>, task: T) -> Result<Value> {
    let bar = BuildProgress::new(r.c.json);
    let h = problem::build(r.p, r.c, &bar)?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = UlvPlan::new(&h, PlanParams::default().par(h.params().par))?;
    let s = r.setup((h.n(), h.memory_bytes() + plan.memory_bytes(), h.report().max_rank), 1, Some(&plan));
    let mut v = task.run(&plan, &s)?;
    v["time_build_s"] = json!(s.time_build_s);
    v["leaf"] = json!(h.params().leaf_size);
    Ok(v)
}

/// `inertia --shift S`.
pub struct InertiaTask {
    pub shift: f64,
}

impl Task for InertiaTask {
    fn run<C: InertiaCounter>(self, c: &C, _: &Setup<'_>) -> Result<Value> {
        // δ of a fixed matrix from the engine's own estimate; per-shift errors come with the count
        let est = c.estimates(32, 0x5eed)?;
        let t = Instant::now();
        let at = c.count(self.shift, est.norm)?;
        let time = t.elapsed().as_secs_f64();
        let ci = certify(c, at, self.shift, (est.delta, est.norm))?;
        let i = at.inertia;
        Ok(json!({"factorization": c.name(), "shift": self.shift, "negative": i.negative, "zero": i.zero,
            "positive": i.positive, "uncertain": ci.uncertain, "error_estimate": est.delta + at.error,
            "time_factor_s": time}))
    }
}

/// `solve --rhs B --out X` and `logdet`: Cholesky where asked for (ULV only) or where
/// `auto` finds `A − σI` positive definite, else `LDLᵀ`.
pub struct FactorTask {
    pub method: Method,
    pub shift: f64,
    /// The right-hand sides' and the output file (`solve`), none for `logdet`.
    pub files: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Task for FactorTask {
    fn run<C: InertiaCounter>(self, c: &C, s: &Setup<'_>) -> Result<Value> {
        let rhs = match self.files {
            Some((b, out)) => Some((read_vectors(&b, s.n)?, out)),
            None => None,
        };
        let (t, sigma) = (Instant::now(), self.shift);
        if let Some(plan) = s.ulv.filter(|_| self.method != Method::Ldl) {
            match plan.cholesky(sigma) {
                Ok(ch) => {
                    let solved = rhs.map(|(b, out)| Solved { x: ch.solve(b.as_ref()), b, out });
                    return finish(c, s, solved, ch.logdet(), sigma, "cholesky", t);
                }
                Err(Error::NotPositiveDefinite { .. }) if self.method == Method::Auto => {}
                Err(e) => return Err(e),
            }
        } else if self.method == Method::Cholesky {
            return Err(Error::invalid("method", "cholesky", "ldl or auto with --factorization skel"));
        }
        let f = c.factor(sigma, c.estimates(32, 0x5eed)?.norm)?;
        let solved = rhs.map(|(b, out)| Solved { x: f.solve(b.as_ref()), b, out });
        finish(c, s, solved, f.logdet(), sigma, "ldl", t)
    }
}

/// A solution `x` of `(A − σI) x = b`, to be written to `out`.
struct Solved {
    x: Mat<f64>,
    b: Mat<f64>,
    out: std::path::PathBuf,
}

/// The JSON of a solve or log-determinant; writes the solution and reports its residual
/// against `Ã` (ULV) or against `A` itself (skel, exact products up to n = 65536).
fn finish<C: InertiaCounter>(
    c: &C,
    s: &Setup<'_>,
    solved: Option<Solved>,
    d: hmatrix::factor::LogDet,
    sigma: f64,
    method: &str,
    t: Instant,
) -> Result<Value> {
    let time = t.elapsed().as_secs_f64();
    let mut v = json!({"factorization": c.name(), "shift": sigma, "method": method,
        "sign": d.sign, "logabsdet": d.logabsdet, "time_factor_s": time});
    let Some(Solved { x, b, out }) = solved else { return Ok(v) };
    if s.root {
        hmatrix::io::write_npy(&out, x.as_ref(), x.ncols() == 1)?;
    }
    v["out"] = json!(out.display().to_string());
    v["time_solve_s"] = json!(time);
    let residual =
        |ax: Mat<f64>| (ax - &x * faer::Scale(sigma) - &b).norm_l2() / b.norm_l2().max(f64::MIN_POSITIVE);
    match s.ulv {
        Some(plan) => v["relative_residual_h2"] = json!(residual(plan.matrix().matvec(x.as_ref()))),
        None if s.n <= 1 << 16 => {
            let ax = hmatrix::source::exact_product(c.source(), x.as_ref(), hmatrix::par::default_par());
            v["relative_residual"] = json!(residual(ax));
        }
        None => {}
    }
    Ok(v)
}

/// What `eig` computes: the k-th eigenvalue, an index range or an interval.
pub struct EigTask {
    pub k: Option<usize>,
    pub range: Option<String>,
    pub interval: Option<String>,
    /// The accuracy asked of each eigenvalue (bisection width).
    pub accuracy: EigAccuracy,
    pub params: EigParams,
    pub json: bool,
    /// Where to write the eigenvectors (.npy), if asked for.
    pub vectors: Option<std::path::PathBuf>,
}

impl Task for EigTask {
    fn accuracy(&self) -> Option<EigAccuracy> {
        Some(self.accuracy)
    }

    fn run<C: InertiaCounter>(self, c: &C, s: &Setup<'_>) -> Result<Value> {
        let t1 = Instant::now();
        let params = match self.accuracy {
            EigAccuracy::Absolute(a) => self.params.clone().eig_tol(Some(a)),
            EigAccuracy::Relative(r) => self.params.clone().eig_rtol(Some(r)),
        };
        let sp = Spectrum::new(c, &params.cuts_per_round(s.cuts_per_round))?;
        let sp = match s.group {
            Some(g) => sp.with_group(g),
            None => sp,
        };
        let (vals, pairs) = self.answer(&sp, s)?;
        let st = sp.stats();
        let mut v = json!({"factorization": st.factorization, "eigenvalues": vals,
            "factorizations": st.factorizations, "shifts_moved": st.shifts_moved,
            "error_estimate": st.error_estimate, "max_shift_error": st.max_shift_error,
            "eig_tol": st.eig_tol, "eig_rtol": st.eig_tol / st.norm_estimate, "sharpened": st.sharpened, "exact_products": st.exact_products,
            "time_eig_s": t1.elapsed().as_secs_f64(), "max_rank": s.max_rank.max(st.max_rank),
            "memory_bytes": s.memory_bytes.max(st.peak_factor_bytes)});
        if let (Some(p), Some(path)) = (pairs, &self.vectors) {
            if s.root {
                hmatrix::io::write_npy(path, p.vectors.as_ref(), false)?;
            }
            v["vectors"] = json!(path.display().to_string());
            v["residuals"] = json!(p.residuals);
            v["residuals_exact"] = json!(p.residuals_exact);
        }
        Ok(v)
    }
}

impl EigTask {
    /// Answers the query (default: k = N/2 on the default problem, else k = 1), with the
    /// eigenpairs when vectors are asked for, and a progress spinner on a terminal unless
    /// `json`.
    fn answer<C: InertiaCounter>(&self, sp: &Spectrum<'_, C>, s: &Setup<'_>) -> Result<Answer> {
        let pb = progress_bar(self.json, "bisection");
        let out = self.query(sp, s);
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        out
    }

    fn query<C: InertiaCounter>(&self, sp: &Spectrum<'_, C>, s: &Setup<'_>) -> Result<Answer> {
        let with = self.vectors.is_some();
        let pairs = |p: Eigenpairs| (p.values.clone(), Some(p));
        if let Some(iv) = &self.interval {
            let (a, b) = pair::<f64>(iv, "interval")?;
            return if with {
                sp.in_interval_with_vectors(a, b).map(pairs)
            } else {
                Ok((sp.in_interval(a, b)?, None))
            };
        }
        let (k1, k2) = match &self.range {
            Some(r) => pair::<usize>(r, "range")?,
            None => {
                let k = self.k.unwrap_or(if s.default_problem { s.n / 2 } else { 1 });
                (k, k)
            }
        };
        if with {
            sp.range_with_vectors(k1, k2).map(pairs)
        } else {
            Ok((sp.range(k1, k2)?, None))
        }
    }
}

/// The eigenvalues of a query, with the eigenpairs when vectors were asked for.
type Answer = (Vec<Eigenvalue>, Option<Eigenpairs>);

fn pair<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<(T, T)> {
    let mut it = s.splitn(2, ':');
    let (a, b) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    match (a.trim().parse(), b.trim().parse()) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        _ => Err(Error::invalid(what, s, "two values separated by ':'")),
    }
}

/// Reads `n × m` right-hand sides or vectors from a `.npy` file, checked.
pub fn read_vectors(path: &std::path::Path, n: usize) -> Result<Mat<f64>> {
    let x = hmatrix::io::read_npy(path)?;
    if x.nrows() != n {
        return Err(Error::SizeMismatch {
            what: "vector length vs matrix dimension",
            expected: n,
            found: x.nrows(),
        });
    }
    hmatrix::source::check_finite(x.as_ref())?;
    Ok(x)
}
