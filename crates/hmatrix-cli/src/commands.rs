//! The commands. Each prints one JSON object (`--json`) or the same fields as text.

use crate::args::{Cli, Command, Common, Factorization, Method};
use crate::problem::{self, progress_bar, BuildProgress};
use faer::Mat;
use hmatrix::eigen::{certify, EigParams, Eigenvalue, SkelEigParams, SkelSpectrum, Spectrum};
use hmatrix::factor::skel::{EliminationOrder, SkelParams, Skeletonization};
use hmatrix::factor::{PlanParams, UlvPlan};
use hmatrix::h2::H2Matrix;
use hmatrix::{Error, Result};
use serde_json::{json, Value};
use std::time::Instant;

pub fn run(cli: Cli) -> Result<()> {
    let threads = match &cli.command {
        Command::Info(c) => c.threads,
        Command::Matvec { common, .. }
        | Command::Inertia { common, .. }
        | Command::Solve { common, .. }
        | Command::Logdet { common, .. }
        | Command::Eig { common, .. } => common.threads,
        Command::ElsesSupercell { .. } => None,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(Error::invalid("threads", 0, "a positive integer"));
        }
        builder = builder.num_threads(t);
    }
    let pool = builder.build().map_err(|e| Error::invalid("threads", e, "a buildable thread pool"))?;
    pool.install(|| dispatch(cli.command))
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Info(c) => info(&c),
        Command::Matvec { common, x, out } => {
            let (p, bar) = setup(&common)?;
            let h = problem::build(&p, &common, &bar)?;
            let xm = read_vectors(&x, h.n())?;
            let y = h.matvec(xm.as_ref());
            hmatrix::io::write_npy(&out, y.as_ref(), y.ncols() == 1)?;
            emit(&common, json!({"n": h.n(), "columns": y.ncols(), "out": out.display().to_string()}))
        }
        Command::Inertia { common, shift } => inertia(&common, shift),
        Command::Solve { common, rhs, out, method, shift } => {
            let (p, bar) = setup(&common)?;
            let h = problem::build(&p, &common, &bar)?;
            let b = read_vectors(&rhs, h.n())?;
            let plan = plan(&h)?;
            let t = Instant::now();
            let (x, used) = solve(&plan, b.as_ref(), method, shift)?;
            let (ax, bn) = (h.matvec(x.as_ref()) - &x * faer::Scale(shift), b.norm_l2());
            hmatrix::io::write_npy(&out, x.as_ref(), x.ncols() == 1)?;
            let res = (&ax - &b).norm_l2() / bn.max(f64::MIN_POSITIVE);
            emit(
                &common,
                json!({"n": h.n(), "method": used, "shift": shift, "time_solve_s": t.elapsed().as_secs_f64(), "relative_residual_h2": res, "out": out.display().to_string()}),
            )
        }
        Command::Logdet { common, method, shift } => {
            let (p, bar) = setup(&common)?;
            let h = problem::build(&p, &common, &bar)?;
            let plan = plan(&h)?;
            let t = Instant::now();
            let (d, used) = match method {
                Method::Ldl => (plan.ldlt(shift)?.logdet(), "ldl"),
                Method::Cholesky => (plan.cholesky(shift)?.logdet(), "cholesky"),
                Method::Auto => match plan.cholesky(shift) {
                    Ok(c) => (c.logdet(), "cholesky"),
                    Err(Error::NotPositiveDefinite { .. }) => (plan.ldlt(shift)?.logdet(), "ldl"),
                    Err(e) => return Err(e),
                },
            };
            emit(
                &common,
                json!({"n": h.n(), "shift": shift, "method": used, "sign": d.sign, "logabsdet": d.logabsdet, "time_factor_s": t.elapsed().as_secs_f64()}),
            )
        }
        Command::Eig { common, k, range, interval, eig_tol, exact_limit, factorization, cuts_per_round } => {
            let query = Query { k, range, interval };
            match factorization {
                Factorization::Ulv => {
                    eig(common, query, EigParams::default().eig_tol(eig_tol).exact_limit(exact_limit))
                }
                Factorization::Skel => eig_skel(
                    common,
                    query,
                    SkelEigParams::default().eig_tol(eig_tol).cuts_per_round(cuts_per_round),
                ),
            }
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
            hmatrix::io::write_xyz(&out, &symbols, &big, &comment)?;
            println!("{}", json!({"atoms": big.len(), "n": 4 * big.len(), "out": out.display().to_string()}));
            Ok(())
        }
    }
}

/// The problem and the progress bar of its construction (`problem::build` borrows both).
fn setup(c: &Common) -> Result<(problem::Problem, BuildProgress)> {
    let p = problem::load(c)?;
    Ok((p, BuildProgress::new(c.json)))
}

/// The factorizations' plan, with the matrix's parallelism.
fn plan<'h>(h: &'h H2Matrix<'h>) -> Result<UlvPlan<'h>> {
    UlvPlan::new(h, PlanParams::default().par(h.params().par))
}

fn info(c: &Common) -> Result<()> {
    let (p, bar) = setup(c)?;
    let h = problem::build(&p, c, &bar)?;
    let mut v = serde_json::to_value(h.report()).expect("serializable");
    v["problem"] = json!(p.name);
    emit(c, v)
}

fn inertia(c: &Common, shift: f64) -> Result<()> {
    let (p, bar) = setup(c)?;
    let h = problem::build(&p, c, &bar)?;
    let plan = plan(&h)?;
    let t = Instant::now();
    let f = plan.ldlt(shift)?;
    let time = t.elapsed().as_secs_f64();
    let delta = hmatrix::eigen::factored_error_estimate(&plan, 32, 0x5eed)?
        + 1e-12 * hmatrix::eigen::norm2_estimate(&h, 0x5eed);
    let i = f.inertia();
    let ci = certify(&plan, i, shift, delta)?;
    emit(
        c,
        json!({"n": h.n(), "shift": shift, "negative": i.negative, "zero": i.zero, "positive": i.positive, "uncertain": ci.uncertain, "error_estimate": delta, "time_factor_s": time}),
    )
}

fn solve(
    plan: &UlvPlan<'_>,
    b: faer::MatRef<'_, f64>,
    m: Method,
    shift: f64,
) -> Result<(Mat<f64>, &'static str)> {
    Ok(match m {
        Method::Ldl => (plan.ldlt(shift)?.solve(b), "ldl"),
        Method::Cholesky => (plan.cholesky(shift)?.solve(b), "cholesky"),
        Method::Auto => match plan.cholesky(shift) {
            Ok(f) => (f.solve(b), "cholesky"),
            Err(Error::NotPositiveDefinite { .. }) => (plan.ldlt(shift)?.solve(b), "ldl"),
            Err(e) => return Err(e),
        },
    })
}

/// What `eig` computes: the k-th eigenvalue, an index range or an interval.
struct Query {
    k: Option<usize>,
    range: Option<String>,
    interval: Option<String>,
}

/// The queries both spectra answer.
trait Probe {
    fn kth(&self, k: usize) -> Result<Eigenvalue>;
    fn range(&self, k1: usize, k2: usize) -> Result<Vec<Eigenvalue>>;
    fn in_interval(&self, a: f64, b: f64) -> Result<Vec<Eigenvalue>>;
}

macro_rules! probe {
    ($t:ty) => {
        impl Probe for $t {
            fn kth(&self, k: usize) -> Result<Eigenvalue> {
                <$t>::kth(self, k)
            }
            fn range(&self, k1: usize, k2: usize) -> Result<Vec<Eigenvalue>> {
                <$t>::range(self, k1, k2)
            }
            fn in_interval(&self, a: f64, b: f64) -> Result<Vec<Eigenvalue>> {
                <$t>::in_interval(self, a, b)
            }
        }
    };
}
probe!(Spectrum<'_>);
probe!(SkelSpectrum<'_>);

/// Answers `q` (default: k = N/2 on the default problem, else k = 1), with a progress
/// spinner on a terminal unless `json`.
fn answer(s: &impl Probe, q: &Query, n: usize, default_problem: bool, json: bool) -> Result<Vec<Eigenvalue>> {
    let pb = progress_bar(json, "bisection");
    let vals = if let Some(iv) = &q.interval {
        let (a, b) = pair::<f64>(iv, "interval")?;
        s.in_interval(a, b)
    } else if let Some(r) = &q.range {
        let (k1, k2) = pair::<usize>(r, "range")?;
        s.range(k1, k2)
    } else {
        s.kth(q.k.unwrap_or(if default_problem { n / 2 } else { 1 })).map(|e| vec![e])
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    vals
}

/// Fills in the built-in default problem (yukawa on 65,536 points of a circle) when no
/// problem is given; returns whether it did.
fn default_problem(c: &mut Common) -> bool {
    let default_problem = c.kernel.is_none() && c.matrix.is_none() && c.elses.is_none();
    if default_problem {
        c.kernel = Some("yukawa".into());
        c.geometry = Some("circle".into());
        c.n = Some(c.n.unwrap_or(65536));
    }
    default_problem
}

fn eig(mut c: Common, q: Query, params: EigParams) -> Result<()> {
    let default_problem = default_problem(&mut c);
    let t0 = Instant::now();
    let (p, bar) = setup(&c)?;
    let h = problem::build(&p, &c, &bar)?;
    // the plan's precomputations were part of the construction before the plan existed
    let plan = plan(&h)?;
    let time_build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let s = Spectrum::new(&plan, &params)?;
    let n = h.n();
    let vals = answer(&s, &q, n, default_problem, c.json)?;
    let st = s.stats();
    emit(
        &c,
        json!({"n": n, "problem": p.name, "eigenvalues": vals, "factorizations": st.factorizations,
        "shifts_moved": st.shifts_moved, "error_estimate": st.error_estimate, "eig_tol": st.eig_tol,
        "sharpened": st.sharpened, "exact_products": st.exact_products,
        "time_build_s": time_build, "time_eig_s": t1.elapsed().as_secs_f64(),
        "max_rank": h.report().max_rank, "memory_bytes": h.memory_bytes() + plan.memory_bytes()}),
    )
}

/// `eig --factorization skel`: the same queries on skeletonization counts (no H² matrix).
fn eig_skel(mut c: Common, q: Query, params: SkelEigParams) -> Result<()> {
    let default_problem = default_problem(&mut c);
    let p = problem::load(&c)?;
    let t0 = Instant::now();
    // arena order (fewer flops than waves): `--cuts-per-round` concurrent shifts fill the
    // cores (`SkelParams::order`)
    let sp = SkelParams::default().tol(c.tol).leaf_size(c.leaf).eta(c.eta).order(EliminationOrder::Arena);
    let sk = Skeletonization::new(p.src.as_ref(), sp)?;
    let time_build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let s = SkelSpectrum::new(&sk, &params)?;
    let n = sk.n();
    let vals = answer(&s, &q, n, default_problem, c.json)?;
    let st = s.stats();
    emit(
        &c,
        json!({"n": n, "problem": p.name, "factorization": "skel", "eigenvalues": vals,
        "factorizations": st.factorizations, "shifts_moved": st.shifts_moved,
        "error_estimate": st.error_estimate, "eig_tol": st.eig_tol,
        "time_build_s": time_build, "time_eig_s": t1.elapsed().as_secs_f64(),
        "max_rank": st.max_skeleton, "memory_bytes": st.peak_stored_bytes}),
    )
}

fn pair<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<(T, T)> {
    let mut it = s.splitn(2, ':');
    let (a, b) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    match (a.trim().parse(), b.trim().parse()) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        _ => Err(Error::invalid(what, s, "two values separated by ':'")),
    }
}

fn read_vectors(path: &std::path::Path, n: usize) -> Result<Mat<f64>> {
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

fn emit(c: &Common, v: Value) -> Result<()> {
    if c.json {
        println!("{v}");
    } else if let Value::Object(m) = v {
        for (k, val) in m {
            println!("{k}: {val}");
        }
    }
    Ok(())
}
