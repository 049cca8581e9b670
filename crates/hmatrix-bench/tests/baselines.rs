//! The distributed baselines (feature `scalapack`, ELPA with `elpa`) against LAPACK
//! `dsyevd` on the same matrix.
//!
//! MPI can be initialised only once per process, so each process runs one MPI test:
//! `one_rank` initialises a singleton in this test process, and `two_and_four_ranks` starts
//! this test binary again under `mpirun -np 2` and `-np 4`, running only the ignored
//! `mpi_child` test (skipped with a message when `mpirun` is not installed).
#![cfg(feature = "scalapack")]

use hmatrix::source::{to_dense, EntrySource, FnSource};
use hmatrix_bench::baselines::{scalapack, BaselineError, DistMatrix, Grid};
use hmatrix_bench::lapack::dsyevd_all;
use std::process::Command;

/// A symmetric test matrix with well-separated, non-trivial eigenvalues.
fn source(n: usize) -> impl EntrySource {
    FnSource::new(n, |i, j| {
        let (a, b) = (i.min(j) as f64, i.max(j) as f64);
        if i == j {
            2.0 + (a * 0.37).sin() + a / 50.0
        } else {
            ((a * 1.3 + b * 0.7).cos()) / (1.0 + b - a)
        }
    })
}

/// Runs every solver on `comm` for several index ranges and checks them against dsyevd;
/// also checks that bad input gives the same typed error on every rank.
fn check_all_solvers(world: &mpi::topology::SimpleCommunicator) {
    let grid = Grid::new(world).unwrap();
    for (n, nb) in [(300, 32), (97, 64)] {
        let src = source(n);
        let all = dsyevd_all(to_dense(&src).as_ref()).unwrap();
        let norm = all.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        for (il, iu) in [(1, 1), (n / 2, n / 2), (n / 2 - 5, n / 2 + 10), (n, n)] {
            let expect = &all[il - 1..iu];
            let mut runs: Vec<(&str, Vec<f64>)> = Vec::new();
            let mut a = DistMatrix::from_source(&grid, &src, nb).unwrap();
            runs.push(("pdsyevx", scalapack::pdsyevx(&mut a, il, iu).unwrap()));
            let mut a = DistMatrix::from_source(&grid, &src, nb).unwrap();
            runs.push(("pdsyevr", scalapack::pdsyevr(&mut a, il, iu).unwrap()));
            #[cfg(feature = "elpa")]
            for (name, s) in [("elpa1", elpa::ElpaSolver::OneStage), ("elpa2", elpa::ElpaSolver::TwoStage)] {
                let mut a = DistMatrix::from_source(&grid, &src, nb).unwrap();
                runs.push((name, elpa::elpa_eigenvalues(&mut a, il, iu, s).unwrap()));
            }
            for (name, w) in runs {
                assert_eq!(w.len(), expect.len(), "{name} n={n} {il}..={iu}");
                for (x, e) in w.iter().zip(expect) {
                    assert!((x - e).abs() <= 1e-12 * norm, "{name} n={n} {il}..={iu}: {x} vs {e}");
                }
            }
        }
        let mut a = DistMatrix::from_source(&grid, &src, nb).unwrap();
        let bad = BaselineError::IndexOutOfRange { il: 0, iu: 1, n };
        assert_eq!(scalapack::pdsyevx(&mut a, 0, 1), Err(bad));
        assert!(scalapack::pdsyevr(&mut a, 3, n + 1).is_err());
    }
    // one NaN on whichever rank owns entry (70, 3): every rank gets the error
    let nan = FnSource::new(100, |i, j| if (i, j) == (70, 3) || (i, j) == (3, 70) { f64::NAN } else { 1.0 });
    assert_eq!(DistMatrix::from_source(&grid, &nan, 16).err(), Some(BaselineError::NonFinite));
    assert_eq!(DistMatrix::from_source(&grid, &nan, 0).err(), Some(BaselineError::Empty));
}

#[cfg(feature = "elpa")]
use hmatrix_bench::baselines::elpa;

/// Serialises the two tests of this process: MPI's initialisation writes the environment
/// that the other reads, and `fork` (to start `mpirun`) while OpenBLAS computes on its
/// thread pool in another thread deadlocks (OpenBLAS shuts its pool down in a fork handler).
static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn one_rank() {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let universe = mpi::initialize().expect("the only MPI test of this process");
    let grid = Grid::new(&universe.world()).unwrap();
    assert_eq!((grid.shape(), grid.coords()), ((1, 1), (0, 0)));
    drop(grid);
    check_all_solvers(&universe.world());
}

/// Runs under `mpirun` from `two_and_four_ranks` (does nothing when run directly).
#[test]
#[ignore = "started under mpirun by two_and_four_ranks"]
fn mpi_child() {
    if std::env::var_os("HMATRIX_MPI_CHILD").is_none() {
        return;
    }
    let universe = mpi::initialize().expect("one MPI test per process");
    check_all_solvers(&universe.world());
}

#[test]
fn two_and_four_ranks() {
    if Command::new("mpirun").arg("--version").output().is_err() {
        eprintln!("SKIPPED: mpirun not found (apt-get install openmpi-bin)");
        return;
    }
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let exe = std::env::current_exe().unwrap();
    // `one_rank` makes this process an MPI singleton, which puts OpenMPI/PMIx variables
    // into its environment; a child `mpirun` that inherits them fails without a word.
    let keep: Vec<(String, String)> = ["PATH", "HOME", "LD_LIBRARY_PATH", "TMPDIR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    for np in ["2", "4"] {
        let mut cmd = Command::new("mpirun");
        cmd.env_clear().envs(keep.iter().cloned());
        let out = cmd
            .args(["-np", np, "--oversubscribe", "--allow-run-as-root"])
            .arg(&exe)
            .args(["mpi_child", "--exact", "--ignored", "--test-threads=1"])
            .env("HMATRIX_MPI_CHILD", "1")
            .env("OPENBLAS_NUM_THREADS", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.matches("1 passed").count() == np.parse::<usize>().unwrap(),
            "mpirun -np {np} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
