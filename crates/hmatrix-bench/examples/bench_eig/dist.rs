//! The distributed solvers (feature `scalapack`): pdsyevx, pdsyevr, ELPA 1/2-stage on a
//! BLACS grid over all ranks of `mpirun -np P`; rank 0 gets the result.

use super::problem::Problem;
use super::record::peak_memory_bytes;
use super::Solver;
use hmatrix_bench::baselines::{scalapack, DistMatrix, Grid};
use mpi::collective::SystemOperation;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};
use std::time::Instant;

/// What rank 0 reports.
pub struct DistOutcome {
    pub lambdas: Vec<f64>,
    pub time_s: f64,
    pub ranks: usize,
    pub peak_memory_bytes: u64,
}

type BoxError = Box<dyn std::error::Error>;

/// Runs `solver` for eigenvalues `k..k+nev−1` on all ranks; `Some` on rank 0. On an error
/// every rank prints it and the job is aborted (so no rank waits in a collective forever).
pub fn run(
    solver: Solver,
    p: &Problem,
    k: usize,
    nev: usize,
    nb: usize,
) -> Result<Option<DistOutcome>, BoxError> {
    let universe = mpi::initialize().ok_or("MPI was already initialised")?;
    let world = universe.world();
    match solve(&world, solver, p, k, nev, nb) {
        Ok(r) => Ok(r),
        Err(e) => {
            eprintln!("rank {}: {e}", world.rank());
            world.abort(2)
        }
    }
}

fn solve(
    world: &mpi::topology::SimpleCommunicator,
    solver: Solver,
    p: &Problem,
    k: usize,
    nev: usize,
    nb: usize,
) -> Result<Option<DistOutcome>, BoxError> {
    let grid = Grid::new(world)?;
    let mut a = DistMatrix::from_source(&grid, p.src.as_ref(), nb)?; // not timed
    let (il, iu) = (k, k + nev - 1);
    world.barrier();
    let t = Instant::now();
    let lambdas = match solver {
        Solver::Pdsyevx => scalapack::pdsyevx(&mut a, il, iu)?,
        Solver::Pdsyevr => scalapack::pdsyevr(&mut a, il, iu)?,
        Solver::Elpa1 | Solver::Elpa2 => elpa(&mut a, il, iu, solver)?,
        _ => return Err(format!("{solver:?} is not a distributed solver").into()),
    };
    world.barrier();
    let time_s = t.elapsed().as_secs_f64();
    let mem = peak_memory_bytes();
    let root = world.process_at_rank(0);
    if world.rank() == 0 {
        let mut total = 0_u64;
        root.reduce_into_root(&mem, &mut total, SystemOperation::sum());
        Ok(Some(DistOutcome { lambdas, time_s, ranks: world.size() as usize, peak_memory_bytes: total }))
    } else {
        root.reduce_into(&mem, SystemOperation::sum());
        Ok(None)
    }
}

#[cfg(feature = "elpa")]
fn elpa(a: &mut DistMatrix<'_>, il: usize, iu: usize, solver: Solver) -> Result<Vec<f64>, BoxError> {
    use hmatrix_bench::baselines::elpa::{elpa_eigenvalues, ElpaSolver};
    let s = if solver == Solver::Elpa1 { ElpaSolver::OneStage } else { ElpaSolver::TwoStage };
    Ok(elpa_eigenvalues(a, il, iu, s)?)
}

#[cfg(not(feature = "elpa"))]
fn elpa(_: &mut DistMatrix<'_>, _: usize, _: usize, solver: Solver) -> Result<Vec<f64>, BoxError> {
    Err(format!("{solver:?} needs the `elpa` feature (cargo build --features elpa)").into())
}
