//! Where the jobs of a bisection round run: on this process's threads, or shared by a
//! group of processes that all run the same query (the MPI layer's spectrum slicing).
//!
//! Every job of a round (a count at one shift, the refinement of one interval, the vectors
//! of one finished group) depends only on its interval, never on the other jobs or on
//! where it runs (`bisect.rs`). So a group of `P` workers that each run the whole driver,
//! compute only the jobs assigned to them and exchange the results after every round
//! reproduces the one-process run *bit for bit*, for any `P`: the assignment is free. It
//! is longest-job-first by a cost estimate (a refinement weighs [`REFINE_COST`] counts),
//! the same on every worker. Multisection is the same mechanism: with
//! [`EigParams::cuts_per_round`](super::EigParams) = m, a round holds at least m counts,
//! one per worker when m = P; results then depend on m, never on P.
//!
//! The statistics follow the jobs: each worker adds the other workers' counts of the round
//! to its own, so every worker reports the totals of the whole group.
//!
//! A failed job fails the round on every worker at once (the error travels as its message:
//! [`Error::OnWorker`] on the other workers), and a panic inside a job is caught and sent
//! as such an error, so that no worker waits for a message that never comes.

use super::counter::InertiaCounter;
use super::spectrum::Spectrum;
use super::wire::{Reader, Wire, Writer};
use crate::error::{Error, Result};
use crate::par::pmap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

/// What a job of a round does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum JobKind {
    /// One inertia count (a factorization at one shift).
    Count,
    /// Refinement of a small group by shift-and-invert (a few factorizations and solves).
    Refine,
    /// Eigenvectors of a group that bisection finished.
    Vectors,
}

impl JobKind {
    /// The cost in counts that the assignment assumes.
    fn cost(self) -> f64 {
        match self {
            JobKind::Count => 1.0,
            JobKind::Refine => 4.0,
            JobKind::Vectors => 2.0,
        }
    }
}

/// One job of a round as it ran: its kind and wall time (on whichever worker ran it).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct JobTrace {
    /// What the job did.
    pub kind: JobKind,
    /// Its wall time in seconds.
    pub seconds: f64,
}

/// A group of processes that run the same query and share the jobs of its rounds.
///
/// Every member calls the query with the same arguments; the engine calls
/// [`WorkerGroup::all_gather`] once per round, on the thread that called the query.
pub trait WorkerGroup: Sync {
    /// Number of workers `P ≥ 1`.
    fn size(&self) -> usize;
    /// This worker's index in `0..P`.
    fn rank(&self) -> usize;
    /// Contributes `mine` and returns every worker's contribution, in worker order (a
    /// collective: every worker calls it the same number of times).
    fn all_gather(&self, mine: Vec<u8>) -> Vec<Vec<u8>>;
}

/// Writes a job's result, or its error with the worker it came from (`me`, or the worker
/// of an error relayed from another one).
fn put_result<T: Wire>(w: &mut Writer, r: &Result<T>, me: usize) {
    match r {
        Ok(v) => {
            w.bool(true);
            v.put(w);
        }
        Err(e) => {
            w.bool(false);
            let (worker, message) = match e {
                Error::OnWorker { worker, message } => (*worker, message.clone()),
                e => (me, e.to_string()),
            };
            w.usize(worker);
            w.str(&message);
        }
    }
}

/// Compares the outcomes of a phase that has no collectives (loading, construction) on
/// every worker before a collective one, and hands out worker 0's `value` (a decision,
/// such as which factorization to run, that must be the same everywhere): `Ok(value of
/// worker 0)` only if every worker's outcome is `Ok`; else this worker's own error, or the
/// first failed worker's as [`Error::OnWorker`]. A worker that failed alone thus stops the
/// others instead of leaving them waiting in the next round (a collective: every worker
/// calls it at the same point, which `step` names: a program with several such points
/// gives each its own number).
///
/// # Errors
/// As above.
///
/// # Panics
/// When the workers are out of step (another `step`, or one of them in a round of a
/// query): a bug, which panics on every worker instead of waiting.
pub fn agree(group: &dyn WorkerGroup, step: u32, outcome: Result<u64>) -> Result<u64> {
    let mut w = Writer::default();
    w.0.push(AGREE);
    w.u64(step.into());
    match &outcome {
        Ok(v) => {
            w.bool(true);
            w.u64(*v);
        }
        Err(e) => {
            w.bool(false);
            w.str(&e.to_string());
        }
    }
    let all = group.all_gather(w.0);
    outcome?;
    let mut first = 0;
    for (worker, m) in all.iter().enumerate() {
        let mut r = reader(m, AGREE);
        let theirs = r.u64();
        assert!(
            theirs == u64::from(step),
            "workers out of step: worker {worker} at step {theirs}, this one at {step}"
        );
        if !r.bool() {
            return Err(Error::OnWorker { worker, message: r.str() });
        }
        if worker == 0 {
            first = r.u64();
        }
    }
    Ok(first)
}

/// The first byte of a message: what kind of collective sent it.
const AGREE: u8 = b'A';
const ROUND: u8 = b'R';

/// A reader past the message's kind, which must be `kind`.
fn reader(m: &[u8], kind: u8) -> Reader<'_> {
    let (k, rest) = m.split_first().expect("a message from every worker");
    assert!(*k == kind, "workers out of step: a '{}' message where '{}' was due", *k as char, kind as char);
    Reader::new(rest)
}

/// Additive and maximal statistics of a [`Spectrum`], as exchanged after a round.
#[derive(Clone, Copy, Default)]
struct Tally {
    sums: [usize; 4],
    maxima: [u64; 3],
}

impl<C: InertiaCounter> Spectrum<'_, C> {
    /// `f` on every job, results in job order: locally on the spectrum's threads, or
    /// spread over its worker group (module docs); `kind` says what a job does (its cost
    /// in the assignment). The round's jobs and times go to the trace.
    pub(super) fn run_jobs<J: Sync, T: Wire + Send>(
        &self,
        jobs: &[J],
        kind: impl Fn(&J) -> JobKind,
        f: impl Fn(&J) -> Result<T> + Sync + Send,
    ) -> Vec<Result<T>> {
        if jobs.is_empty() {
            // the same on every worker: no round to exchange
            return Vec::new();
        }
        let kinds: Vec<JobKind> = jobs.iter().map(kind).collect();
        let timed = |j: usize| {
            let t = std::time::Instant::now();
            (f(&jobs[j]), t.elapsed().as_secs_f64())
        };
        let Some(group) = self.group else {
            let idx: Vec<usize> = (0..jobs.len()).collect();
            let (out, seconds): (Vec<_>, Vec<_>) = pmap(self.par, &idx, |&j| timed(j)).into_iter().unzip();
            self.record(&kinds, &seconds);
            return out;
        };
        let (p, me) = (group.size(), group.rank());
        let owner = assign(&kinds.iter().map(|k| k.cost()).collect::<Vec<_>>(), p);
        let mine: Vec<usize> = (0..jobs.len()).filter(|&j| owner[j] == me).collect();
        let before = self.tally();
        let local = pmap(self.par, &mine, |&j| {
            catch_unwind(AssertUnwindSafe(|| timed(j))).unwrap_or_else(|panic| {
                let message = format!("panic in a job: {}", panic_message(panic.as_ref()));
                (Err(Error::OnWorker { worker: me, message }), 0.0)
            })
        });
        let mut w = Writer::default();
        w.0.push(ROUND);
        self.tally().minus(&before).put(&mut w);
        for (&j, (r, seconds)) in mine.iter().zip(&local) {
            w.usize(j);
            w.f64(*seconds);
            put_result(&mut w, r, me);
        }
        let messages = group.all_gather(w.0);
        let mut out: Vec<Option<Result<T>>> = jobs.iter().map(|_| None).collect();
        let mut seconds = vec![0.0; jobs.len()];
        for (j, (r, t)) in mine.into_iter().zip(local) {
            (out[j], seconds[j]) = (Some(r), t);
        }
        for (_, m) in messages.iter().enumerate().filter(|(w, _)| *w != me) {
            let mut r = reader(m, ROUND);
            self.absorb(&Tally::get(&mut r));
            while !r.is_empty() {
                let j = r.usize();
                seconds[j] = r.f64();
                out[j] = Some(if r.bool() {
                    Ok(T::get(&mut r))
                } else {
                    Err(Error::OnWorker { worker: r.usize(), message: r.str() })
                });
            }
        }
        self.record(&kinds, &seconds);
        out.into_iter().map(|r| r.expect("every job has an owner")).collect()
    }

    /// Appends a round to the trace.
    fn record(&self, kinds: &[JobKind], seconds: &[f64]) {
        let round = kinds.iter().zip(seconds).map(|(&kind, &seconds)| JobTrace { kind, seconds }).collect();
        self.trace.lock().expect("trace lock").push(round);
    }

    /// The rounds so far: each round's jobs with their kinds and wall times, in job order
    /// (of every worker of the group). What a load-balance model of the slicing needs.
    pub fn trace(&self) -> Vec<Vec<JobTrace>> {
        self.trace.lock().expect("trace lock").clone()
    }

    fn tally(&self) -> Tally {
        let sums = [&self.factorizations, &self.moved, &self.sharpened, &self.exact_products]
            .map(|a| a.load(Ordering::Relaxed));
        let maxima = [
            self.max_error.load(Ordering::Relaxed),
            self.max_rank.load(Ordering::Relaxed) as u64,
            self.peak_bytes.load(Ordering::Relaxed) as u64,
        ];
        Tally { sums, maxima }
    }

    /// Adds another worker's round to this worker's statistics.
    fn absorb(&self, t: &Tally) {
        let sums = [&self.factorizations, &self.moved, &self.sharpened, &self.exact_products];
        for (a, v) in sums.into_iter().zip(t.sums) {
            a.fetch_add(v, Ordering::Relaxed);
        }
        self.max_error.fetch_max(t.maxima[0], Ordering::Relaxed);
        self.max_rank.fetch_max(t.maxima[1] as usize, Ordering::Relaxed);
        self.peak_bytes.fetch_max(t.maxima[2] as usize, Ordering::Relaxed);
    }
}

impl Tally {
    /// The round's own work: sums as differences, maxima as they stand.
    fn minus(self, before: &Tally) -> Tally {
        Tally { sums: std::array::from_fn(|i| self.sums[i] - before.sums[i]), maxima: self.maxima }
    }
}

impl Wire for Tally {
    fn put(&self, w: &mut Writer) {
        self.sums.iter().for_each(|&s| w.usize(s));
        self.maxima.iter().for_each(|&m| w.u64(m));
    }
    fn get(r: &mut Reader<'_>) -> Self {
        Tally { sums: std::array::from_fn(|_| r.usize()), maxima: std::array::from_fn(|_| r.u64()) }
    }
}

/// Longest job first: jobs in decreasing cost (ties by index) each go to the least loaded
/// of `p` workers (ties to the lowest index). The same on every worker.
pub(super) fn assign(costs: &[f64], p: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; p.max(1)];
    let mut owner = vec![0; costs.len()];
    for j in order {
        let w = (0..load.len()).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).expect("p ≥ 1");
        owner[j] = w;
        load[w] += costs[j];
    }
    owner
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_jobs_first_to_the_least_loaded() {
        // costs 3, 1, 1, 1, 3 on 2 workers: the two refinements split, the counts fill up
        assert_eq!(assign(&[3.0, 1.0, 1.0, 1.0, 3.0], 2), vec![0, 0, 1, 0, 1]);
        assert_eq!(assign(&[1.0; 5], 1), vec![0; 5]);
        // more workers than jobs: one job each, the rest idle
        assert_eq!(assign(&[1.0, 2.0], 4), vec![1, 0]);
        assert!(assign(&[], 3).is_empty());
    }
}
