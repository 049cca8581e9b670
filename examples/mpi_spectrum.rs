//! The MPI layer's test (run by `.ci/run` under `mpirun --oversubscribe -np 1 … 4`; MPI
//! initialises once per process, so this is an example, not a `#[test]`):
//!
//! - spectrum slicing with every rank in the group gives, bit for bit, the one-process
//!   results and statistics (computed in the same process without a group), on the ULV and
//!   the skeletonization: an index range, one eigenvalue by multisection, an interval,
//!   interval counts, eigenvectors; and the brackets contain the dense eigenvalues;
//! - a query out of range fails on every rank with the same typed error;
//! - a count that fails, or panics, on the last rank only fails the query on every rank,
//!   with that rank's message;
//! - [`agree`] stops every rank when one failed before a collective phase.
//!
//! `cargo run --release --features mpi --example mpi_spectrum` (one rank) or
//! `mpirun -np 4 target/release/examples/mpi_spectrum`. Prints one line per rank and check.
//! With `--panic-on-last-rank` the last rank panics while the others wait in a collective:
//! the run must end (`MPI_Abort`, non-zero status) instead of hanging.

use faer::{Mat, Side};
use hmatrix::dist::Mpi;
use hmatrix::eigen::{
    agree, Count, EigParams, Eigenvalue, ErrorModel, Estimates, InertiaCounter, Spectrum, WorkerGroup,
};
use hmatrix::factor::skel::{SkelParams, Skeletonization};
use hmatrix::factor::{Ldlt, PlanParams, UlvPlan};
use hmatrix::prelude::*;
use hmatrix::source::{to_dense, EntrySource};
use hmatrix::{Error, Result};

fn main() {
    let mpi = Mpi::init().expect("MPI initialises");
    if std::env::args().any(|a| a == "--panic-on-last-rank") {
        // a panic outside any job, on one rank, while the others wait in a collective:
        // every rank must end (the CI checks the exit status under a timeout)
        mpi.abort_on_panic(|| {
            assert!(mpi.rank() + 1 < mpi.size(), "injected panic on the last rank");
            let _ = agree(&mpi, 1, Ok(0));
        });
        return;
    }
    mpi.abort_on_panic(|| run(&mpi));
}

fn run(mpi: &Mpi) {
    let t = std::time::Instant::now();
    let say = |what: &str| {
        println!("rank {}/{} ({:.1} s): {what}", mpi.rank(), mpi.size(), t.elapsed().as_secs_f64())
    };
    let pts = Geometry::Sphere.generate(1001, 7).unwrap();
    let src = KernelSource::new(pts, RadialKernel::from_name("yukawa").unwrap(), 0.0).unwrap();
    let ev = to_dense(&src).self_adjoint_eigenvalues(Side::Lower).unwrap();
    let h = H2Matrix::builder(&src).tol(1e-8).leaf_size(32).build().unwrap();
    let plan = UlvPlan::new(&h, PlanParams::default()).unwrap();
    same_as_one_process(mpi, &plan, &ev, EigParams::default(), 40);
    say("ulv: range, multisection, interval, counts and vectors as one process");
    let ball = Geometry::from_name("ball").unwrap().generate(500, 3).unwrap();
    let bsrc = KernelSource::new(ball, RadialKernel::from_name("matern32").unwrap(), 1e-2).unwrap();
    let bev = to_dense(&bsrc).self_adjoint_eigenvalues(Side::Lower).unwrap();
    let sk = Skeletonization::new(&bsrc, SkelParams::default().tol(1e-6).leaf_size(64)).unwrap();
    same_as_one_process(mpi, &sk, &bev, EigParams::default().exact_limit(0), 8);
    say("skel: range, multisection, interval, counts and vectors as one process");
    failures_reach_every_rank(mpi, &plan);
    say("failures end the query on every rank with the failed rank's message");
}

/// Every query with the group equals the one without, bit for bit, and brackets `ev`
/// (`width` eigenvalues in the index range).
fn same_as_one_process<C: InertiaCounter>(mpi: &Mpi, c: &C, ev: &[f64], params: EigParams, width: usize) {
    let n = c.n();
    let alone = Spectrum::new(c, &params).unwrap();
    let shared = Spectrum::new(c, &params).unwrap().with_group(mpi);
    let same = |a: &[Eigenvalue], b: &[Eigenvalue], what: &str| {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (x, y) in a.iter().zip(b) {
            let bits = |e: &Eigenvalue| (e.k, e.value.to_bits(), e.lower.to_bits(), e.upper.to_bits());
            assert_eq!(bits(x), bits(y), "{what}: λ_{} differs from the one-process run", x.k);
            let l = ev[x.k - 1];
            assert!(
                x.lower <= l && l <= x.upper,
                "{what}: λ_{} = {l} outside [{}, {}]",
                x.k,
                x.lower,
                x.upper
            );
        }
    };
    let (k1, k2) = (n / 3, n / 3 + width - 1);
    same(&alone.range(k1, k2).unwrap(), &shared.range(k1, k2).unwrap(), "range");
    same(&alone.range(1, 3).unwrap(), &shared.range(1, 3).unwrap(), "lowest");
    let (a, b) = (ev[n / 2] - 1e-3 * ev[n - 1].abs(), ev[n / 2 + width / 4]);
    same(&alone.in_interval(a, b).unwrap(), &shared.in_interval(a, b).unwrap(), "interval");
    assert_eq!(alone.count_in_interval(a, b).unwrap(), shared.count_in_interval(a, b).unwrap());
    let (x, y) = (
        alone.range_with_vectors(n / 2, n / 2 + 3).unwrap(),
        shared.range_with_vectors(n / 2, n / 2 + 3).unwrap(),
    );
    same(&x.values, &y.values, "vectors' values");
    let bits = |m: &Mat<f64>| {
        m.col_iter().flat_map(|c| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>()
    };
    assert_eq!(bits(&x.vectors), bits(&y.vectors), "eigenvectors differ from the one-process run");
    assert_eq!(alone.stats(), shared.stats(), "statistics of the whole group");
    // multisection: three counts per round, wherever they run
    let p3 = params.cuts_per_round(3);
    let (alone, shared) = (Spectrum::new(c, &p3).unwrap(), Spectrum::new(c, &p3).unwrap().with_group(mpi));
    same(&[alone.kth(n / 2).unwrap()], &[shared.kth(n / 2).unwrap()], "multisection");
    assert_eq!(alone.stats(), shared.stats(), "statistics with multisection");
    // bad input: the same typed error on every rank, no collective left waiting
    assert!(matches!(shared.kth(n + 1), Err(Error::IndexOutOfRange { k, .. }) if k == n + 1));
}

/// A ULV plan whose counts fail (`Err`, or a panic) on one rank.
struct Failing<'p, 'h> {
    plan: &'p UlvPlan<'h>,
    /// This rank's counts fail.
    fails: bool,
    /// By a panic instead of an error.
    panics: bool,
}

impl<'h> InertiaCounter for Failing<'_, 'h> {
    type Factor<'f>
        = Ldlt<'f>
    where
        Self: 'f;
    fn name(&self) -> &'static str {
        "failing"
    }
    fn n(&self) -> usize {
        self.plan.n()
    }
    fn source(&self) -> &dyn EntrySource {
        InertiaCounter::source(self.plan)
    }
    fn par(&self) -> Par {
        InertiaCounter::par(self.plan)
    }
    fn error_model(&self) -> ErrorModel {
        ErrorModel::Fixed
    }
    fn estimates(&self, samples: usize, seed: u64) -> Result<Estimates> {
        self.plan.estimates(samples, seed)
    }
    fn count(&self, sigma: f64, norm: f64) -> Result<Count> {
        if !self.fails {
            return self.plan.count(sigma, norm);
        }
        assert!(!self.panics, "injected panic at σ = {sigma}");
        Err(Error::ShiftUncertain { shift: sigma })
    }
    fn factor(&self, sigma: f64, norm: f64) -> Result<Ldlt<'_>> {
        InertiaCounter::factor(self.plan, sigma, norm)
    }
    fn stored_entries(&self) -> usize {
        self.plan.stored_entries()
    }
}

fn failures_reach_every_rank(mpi: &Mpi, plan: &UlvPlan<'_>) {
    let (me, last) = (mpi.rank(), mpi.size() - 1);
    for panics in [false, true] {
        // only the last rank's counts fail; a middle eigenvalue needs no count outside the
        // rounds, so the failure happens inside a job (round 1 is the last rank's when P = 1)
        let c = Failing { plan, fails: me == last, panics };
        let s =
            Spectrum::new(&c, &EigParams::default().cuts_per_round(2 * mpi.size())).unwrap().with_group(mpi);
        let e = s.kth(plan.n() / 2).expect_err("a failed rank fails the query everywhere");
        let text = e.to_string();
        match (&e, me == last) {
            (Error::OnWorker { worker, .. }, false) => assert_eq!(*worker, last, "{text}"),
            (Error::ShiftUncertain { .. }, true) if !panics => {}
            (Error::OnWorker { worker, .. }, true) if panics => assert_eq!(*worker, me, "{text}"),
            _ => panic!("rank {me}: unexpected error {text}"),
        }
        let expected = if panics { "injected panic" } else { "stays within the compression error" };
        assert!(text.contains(expected), "rank {me}: {text}");
    }
    // a phase without collectives failed on the last rank only
    let outcome = if me == last { Err(Error::invalid("input", "x", "present on every node")) } else { Ok(7) };
    let e = agree(mpi, 1, outcome).expect_err("agree stops every rank");
    assert!(e.to_string().contains("present on every node"), "{e}");
    // every rank gets rank 0's decision
    assert_eq!(agree(mpi, 2, Ok(10 + me as u64)).unwrap(), 10);
}
