//! The MPI layer (feature `mpi`): the processes of an `mpirun` as one
//! [`WorkerGroup`] of the eigenvalue engine.
//!
//! **Spectrum slicing with a replicated matrix.** Every rank builds the same
//! representation (points and entries are O(N) to replicate; the construction is
//! deterministic), runs the same query on a [`Spectrum`](crate::eigen::Spectrum) made with
//! [`Spectrum::with_group`](crate::eigen::Spectrum::with_group), and computes only its share
//! of each bisection round's jobs: counts at the round's shifts, refinements of small
//! groups, eigenvectors of finished groups (`eigen/workers.rs`). One all-gather per round
//! exchanges the results. Because a job depends only on its own interval, the output is
//! bit-identical to the one-process run for any number of ranks; the number of
//! concurrent jobs per round is the parallelism, and
//! [`EigParams::cuts_per_round`](crate::eigen::EigParams) (multisection: m counts per round
//! where a single interval is left) is how a few eigenvalues use many ranks.
//!
//! **Threads.** MPI is initialised with `MPI_THREAD_FUNNELED`: only the thread that
//! initialised it makes MPI calls (every collective here checks that and panics
//! otherwise); rayon works inside each rank.
//!
//! **Failures.** A job that fails (or panics) on one rank fails the round on every rank
//! with its message ([`Error::OnWorker`] elsewhere); work outside the rounds is the same on
//! every rank, and [`agree`](crate::eigen::agree) lets the ranks compare outcomes before
//! a collective phase, so that a rank that failed alone (a file missing on its node) does
//! not leave the others waiting. [`Mpi::abort`] ends every rank after a panic.
//!
//! Only this module links MPI; nothing in the library imports it.

use crate::eigen::WorkerGroup;
use crate::error::{Error, Result};
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};
use mpi::Threading;
use std::thread::ThreadId;

/// MPI, initialised for this process (finalised when dropped): the world communicator as
/// a [`WorkerGroup`].
pub struct Mpi {
    // dropped last: MPI_Finalize
    _universe: Universe,
    thread: ThreadId,
    rank: usize,
    size: usize,
}

impl Mpi {
    /// Initialises MPI with `MPI_THREAD_FUNNELED` (once per process; the calling thread is
    /// the one that makes every MPI call). Works without `mpirun` as a single rank.
    ///
    /// # Errors
    /// [`Error::Mpi`] if MPI was already initialised or provides less than funneled
    /// threading.
    pub fn init() -> Result<Mpi> {
        let (universe, provided) = mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| Error::Mpi { message: "MPI is already initialised in this process".into() })?;
        if provided < Threading::Funneled {
            return Err(Error::Mpi {
                message: format!("MPI provides {provided:?} threading, funneled is needed"),
            });
        }
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        Ok(Mpi { _universe: universe, thread: std::thread::current().id(), rank, size })
    }

    /// Whether this is rank 0 (the one that prints).
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Ends every rank of the run with `code` (`MPI_Abort`): after a panic, when the other
    /// ranks may be waiting in a collective.
    pub fn abort(&self, code: i32) -> ! {
        SimpleCommunicator::world().abort(code)
    }

    /// Runs `f`; a panic in it (a bug, or a failed assertion of a test) ends every rank
    /// with [`Mpi::abort`] after the panic's message is printed, instead of leaving the
    /// other ranks waiting in their next collective.
    pub fn abort_on_panic<T>(&self, f: impl FnOnce() -> T) -> T {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(v) => v,
            Err(_) => {
                eprintln!("rank {}: panicked; ending every rank", self.rank);
                self.abort(101)
            }
        }
    }

    /// The world communicator, on the thread that initialised MPI only.
    fn world(&self) -> SimpleCommunicator {
        assert_eq!(
            std::thread::current().id(),
            self.thread,
            "MPI is funneled: collectives run on the thread that initialised it"
        );
        SimpleCommunicator::world()
    }
}

impl WorkerGroup for Mpi {
    fn size(&self) -> usize {
        self.size
    }

    fn rank(&self) -> usize {
        self.rank
    }

    /// Lengths first (`MPI_Allgather`), then the bytes (`MPI_Allgatherv`).
    fn all_gather(&self, mine: Vec<u8>) -> Vec<Vec<u8>> {
        let world = self.world();
        let mut lengths = vec![0u64; self.size];
        world.all_gather_into(&(mine.len() as u64), &mut lengths[..]);
        let counts: Vec<i32> = lengths
            .iter()
            .map(|&l| i32::try_from(l).expect("an MPI message of at most 2^31 bytes per rank"))
            .collect();
        let displs: Vec<i32> = counts
            .iter()
            .scan(0i32, |at, &c| {
                let d = *at;
                *at = at.checked_add(c).expect("at most 2^31 bytes per round");
                Some(d)
            })
            .collect();
        let mut all = vec![0u8; counts.iter().map(|&c| c as usize).sum()];
        {
            let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            world.all_gather_varcount_into(&mine[..], &mut part);
        }
        let mut out = Vec::with_capacity(self.size);
        let mut rest = &all[..];
        for &c in &counts {
            let (head, tail) = rest.split_at(c as usize);
            out.push(head.to_vec());
            rest = tail;
        }
        out
    }
}
