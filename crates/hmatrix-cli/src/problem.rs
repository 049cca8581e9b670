//! Turns the problem options into an entry source and a geometry, and builds the matrix.

use crate::args::{Adm, Common, Span};
use hmatrix::block::Admissibility;
use hmatrix::geometry::{Geometry, Points};
use hmatrix::h2::{BasisSpan, H2Matrix, H2Params};
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{DenseSource, EntrySource, KernelSource};
use hmatrix::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A problem ready to build.
pub struct Problem {
    pub src: Box<dyn EntrySource>,
    pub points: Points,
    pub group: usize,
    pub name: String,
}

/// Reads or generates the problem described by the options.
pub fn load(c: &Common) -> Result<Problem> {
    if let Some(path) = &c.elses {
        if c.kernel.is_some() || c.geometry.is_some() || c.matrix.is_some() || c.points.is_some() {
            return Err(Error::invalid("problem", "--elses with another source", "--elses FILE.xyz alone"));
        }
        let (_, atoms) = hmatrix::io::read_xyz(path)?;
        let src = hmatrix::elses::ElsesSource::new(atoms.clone())?;
        let name = format!("ELSES carbon TB, {}", path.display());
        return Ok(Problem { src: Box::new(src), points: atoms, group: hmatrix::elses::ORBITALS, name });
    }
    if let Some(path) = &c.matrix {
        if c.kernel.is_some() || c.geometry.is_some() {
            return Err(Error::invalid(
                "problem",
                "--matrix with --kernel/--geometry",
                "either --matrix or --kernel",
            ));
        }
        let a = hmatrix::io::read_matrix(path)?;
        let n = a.nrows();
        let points = match &c.points {
            Some(p) => hmatrix::io::read_points(p)?,
            None => Points::index_line(n)?,
        };
        let group = group_for(n, points.len())?;
        let src = DenseSource::new(a)?;
        return Ok(Problem { src: Box::new(src), points, group, name: path.display().to_string() });
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
    let src = KernelSource::new(points.clone(), kernel, c.nugget)?;
    Ok(Problem { src: Box::new(src), points, group: 1, name })
}

/// Orbitals per point: 1, or n / #points when a matrix comes with atom positions.
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
    H2Params {
        tol: c.tol,
        max_rank: c.max_rank,
        leaf_size: c.leaf,
        admissibility: match c.admissibility {
            Adm::Strong => Admissibility::Strong { eta: c.eta },
            Adm::Weak => Admissibility::Weak,
        },
        basis: match c.basis {
            Span::NearAndFar => BasisSpan::NearAndFar,
            Span::FarOnly => BasisSpan::FarOnly,
        },
        ..H2Params::default()
    }
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

/// Builds the H² matrix with a progress bar on a terminal.
pub fn build(p: &Problem, c: &Common) -> Result<H2Matrix> {
    let pb = progress_bar(c.json, "building H² matrix");
    let cb = |stage: &str, done: usize, total: usize| {
        if let Some(pb) = &pb {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
            pb.set_message(format!("building H² matrix: {stage}"));
        }
    };
    let h = H2Matrix::build(p.src.as_ref(), &p.points, p.group, params(c), Some(&cb));
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    h
}
