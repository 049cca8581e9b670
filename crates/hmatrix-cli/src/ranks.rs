//! The processes of one run: this one alone, or the MPI ranks (feature `mpi`) as the
//! engine's [`WorkerGroup`].
//!
//! Every rank runs the same command on the same input: construction and the commands that
//! factor once (`info`, `matvec`, `inertia`, `solve`, `logdet`) run replicated, `eig`
//! shares the jobs of its bisection rounds (`hmatrix::dist`), and only rank 0 prints and
//! writes files. Ranks compare outcomes at two fixed points ([`agree`]): after loading the
//! problem ([`Ranks::settle`], which also hands out rank 0's choice of factorization) and
//! at the end of every command ([`Ranks::finish`]), so that a rank that failed alone (a
//! file missing on its node) stops the others instead of leaving them waiting, and rank 0
//! reports it.

use hmatrix::eigen::{agree, WorkerGroup};
use hmatrix::Result;

/// The ranks of this run.
pub struct Ranks<'g> {
    group: Option<&'g dyn WorkerGroup>,
}

impl<'g> Ranks<'g> {
    /// This process alone.
    #[cfg_attr(feature = "mpi", allow(dead_code))]
    pub fn single() -> Self {
        Ranks { group: None }
    }

    /// The members of `group`.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn group(group: &'g dyn WorkerGroup) -> Self {
        Ranks { group: Some(group) }
    }

    /// The group that shares `eig`'s rounds, if there are several ranks.
    pub fn shared(&self) -> Option<&'g dyn WorkerGroup> {
        self.group.filter(|g| g.size() > 1)
    }

    /// Whether this process prints and writes files (rank 0).
    pub fn is_root(&self) -> bool {
        self.group.is_none_or(|g| g.rank() == 0)
    }

    /// Number of ranks.
    pub fn size(&self) -> usize {
        self.group.map_or(1, |g| g.size())
    }

    /// After loading (every rank, every factoring command): `Ok` with rank 0's `value`
    /// when every rank succeeded, else the first failure on every rank.
    ///
    /// # Errors
    /// This rank's error, or the first failed rank's.
    pub fn settle(&self, outcome: Result<u64>) -> Result<u64> {
        self.agree(1, outcome)
    }

    /// At the end of every command, on every rank: the first failure, if any rank failed.
    ///
    /// # Errors
    /// This rank's error, or the first failed rank's.
    pub fn finish(&self, outcome: Result<()>) -> Result<()> {
        self.agree(2, outcome.map(|()| 0)).map(|_| ())
    }

    fn agree(&self, step: u32, outcome: Result<u64>) -> Result<u64> {
        match self.shared() {
            Some(g) => agree(g, step, outcome),
            None => outcome,
        }
    }
}
