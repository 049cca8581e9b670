//! Turns the problem options into an entry source and a geometry, and builds the matrix.

use crate::args::{Adm, Common, Span};
use hmatrix::block::Admissibility;
use hmatrix::geometry::Geometry;
use hmatrix::h2::{BasisSpan, H2Matrix, H2Params, Progress};
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{EntrySource, KernelSource};
use hmatrix::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Compression tolerance when the options give none and nothing derives it (leaf sizes:
/// the library's defaults, 64 for the H² matrix and 128 for the skeletonization).
pub const DEFAULT_TOL: f64 = 1e-8;

/// A problem ready to build: the source carries its points (and orbitals per point).
pub struct Problem {
    pub src: Box<dyn EntrySource>,
    pub name: String,
}

/// Reads or generates the problem described by the options.
pub fn load(c: &Common) -> Result<Problem> {
    if let Some(path) = &c.elses {
        if c.kernel.is_some() || c.geometry.is_some() || c.matrix.is_some() || c.points.is_some() {
            return Err(Error::invalid("problem", "--elses with another source", "--elses FILE.xyz alone"));
        }
        let (_, atoms) = hmatrix::io::read_xyz(path)?;
        let src = hmatrix::elses::ElsesSource::new(atoms)?;
        let name = format!("ELSES carbon TB, {}", path.display());
        return Ok(Problem { src: Box::new(src), name });
    }
    if let Some(path) = &c.matrix {
        if c.kernel.is_some() || c.geometry.is_some() {
            return Err(Error::invalid(
                "problem",
                "--matrix with --kernel/--geometry",
                "either --matrix or --kernel",
            ));
        }
        let src = hmatrix::io::read_source(path)?;
        let points = c.points.as_deref().map(hmatrix::io::read_points).transpose()?;
        if let Some(points) = &points {
            group_for(src.n(), points.len())?;
        }
        // without points, the indices are clustered in order (the points of a line)
        let src = match points {
            Some(points) => src.with_points(points)?,
            None => src,
        };
        return Ok(Problem { src: Box::new(src), name: path.display().to_string() });
    }
    let Some(kname) = &c.kernel else {
        return Err(Error::invalid(
            "problem",
            "none",
            "--kernel NAME with --geometry/--n or --points, or --matrix FILE",
        ));
    };
    let kernel = RadialKernel::from_name(kname)?;
    let (points, name) = match (&c.points, &c.geometry) {
        (Some(p), None) => (hmatrix::io::read_points(p)?, format!("{kname} on {}", p.display())),
        (None, Some(g)) => {
            let n = c.n.ok_or_else(|| Error::invalid("n", "missing", "--n N with --geometry"))?;
            (Geometry::from_name(g)?.generate(n, c.seed)?, format!("{kname} on {g}, n = {n}"))
        }
        (None, None) => {
            return Err(Error::invalid("geometry", "missing", "--geometry NAME --n N or --points FILE"))
        }
        (Some(_), Some(_)) => {
            return Err(Error::invalid("geometry", "both", "either --geometry or --points"))
        }
    };
    let src = KernelSource::new(points, kernel, c.nugget)?;
    Ok(Problem { src: Box::new(src), name })
}

/// Orbitals per point: n / #points when a matrix comes with atom positions (the check of
/// `DenseSource::with_points`, with the CLI's message).
fn group_for(n: usize, np: usize) -> Result<usize> {
    if np == 0 || n % np != 0 {
        return Err(Error::SizeMismatch {
            what: "points vs matrix dimension (a divisor of n)",
            expected: n,
            found: np,
        });
    }
    Ok(n / np)
}

/// The construction parameters of the options.
pub fn params(c: &Common) -> H2Params {
    let p = H2Params::default();
    let leaf = c.leaf.unwrap_or(p.leaf_size); // the library's default when not given
    p.tol(c.tol.unwrap_or(DEFAULT_TOL))
        .max_rank(c.max_rank)
        .leaf_size(leaf)
        .admissibility(match c.admissibility {
            Adm::Strong => Admissibility::Strong { eta: c.eta },
            Adm::Weak => Admissibility::Weak,
        })
        .basis(match c.basis {
            Span::NearAndFar => BasisSpan::NearAndFar,
            Span::FarOnly => BasisSpan::FarOnly,
        })
}

/// A progress bar on a terminal (never in JSON mode or when stderr is redirected).
pub fn progress_bar(json: bool, msg: &str) -> Option<ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new(1);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template"),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

/// The construction's progress bar on a terminal (none in JSON mode or when stderr is
/// redirected). The caller holds it: the matrix borrows it for its lifetime's sake.
pub struct BuildProgress(Option<ProgressBar>);

impl BuildProgress {
    pub fn new(json: bool) -> Self {
        BuildProgress(progress_bar(json, "building H² matrix"))
    }
}

impl Progress for BuildProgress {
    fn report(&self, stage: &str, done: usize, total: usize) {
        if let Some(pb) = &self.0 {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
            pb.set_message(format!("building H² matrix: {stage}"));
        }
    }
}

/// Builds the H² matrix of the problem's source, reporting to `progress`.
pub fn build<'s>(p: &'s Problem, c: &Common, progress: &'s BuildProgress) -> Result<H2Matrix<'s>> {
    let h = H2Matrix::builder(p.src.as_ref()).params(params(c)).progress(progress).build();
    if let Some(pb) = &progress.0 {
        pb.finish_and_clear();
    }
    h
}
