//! Parallelism as faer's [`Par`], passed in: the one parallel map every stage uses.
//!
//! [`Par::Seq`] runs on the calling thread. `Par::Rayon(n)` runs on the rayon pool that is
//! current *when the work runs* (install a pool with `rayon::ThreadPool::install` to
//! choose the threads), split into at most `n` pieces at a time, so at most `n` threads work
//! on one map; `Par::rayon(1)` is sequential. The default, [`default_par`], is
//! `Par::Rayon(usize::MAX)`: every thread of the current pool, however many it has when
//! the work runs. Every caller writes its results by input position and reads only
//! finished stages, so the output never depends on the parallelism.

pub use faer::Par;
use rayon::prelude::*;
use std::num::NonZeroUsize;

/// The default parallelism: every thread of the rayon pool current when the work runs.
pub fn default_par() -> Par {
    Par::Rayon(NonZeroUsize::MAX)
}

/// The number of pieces `par` lets a map run at once on the current pool (1: sequential).
pub(crate) fn threads(par: Par) -> usize {
    match par {
        Par::Seq => 1,
        Par::Rayon(n) => n.get().min(rayon::current_num_threads()),
    }
}

/// Maps `f` over `items`, in parallel when `par` asks for it; the output order is the
/// input order.
pub(crate) fn pmap<T: Sync, R: Send>(par: Par, items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    match threads(par) {
        1 => items.iter().map(f).collect(),
        t if t >= rayon::current_num_threads() => items.par_iter().map(f).collect(),
        // fewer threads than the pool has: pieces of len/t items keep t of them busy
        t => items.par_iter().with_min_len(items.len().div_ceil(t).max(1)).map(f).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_par_is_read_when_the_work_runs() {
        let items: Vec<usize> = (0..1000).collect();
        let seq = pmap(Par::Seq, &items, |&i| i * i);
        assert_eq!(seq[999], 999 * 999);
        let pool = |t: usize| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
        let par = default_par(); // made outside any pool: resolved when the work runs
        assert_eq!(pool(1).install(|| threads(par)), 1);
        assert_eq!(pool(3).install(|| threads(par)), 3);
        assert_eq!(pool(3).install(|| threads(Par::rayon(2))), 2);
        assert_eq!(pool(3).install(|| threads(Par::rayon(1))), 1);
        for p in [par, Par::rayon(2), Par::rayon(1)] {
            assert_eq!(pool(3).install(|| pmap(p, &items, |&i| i * i)), seq);
        }
        // two threads of a 3-thread pool: never a third one at work
        let busy = std::sync::Mutex::new(std::collections::HashSet::new());
        pool(3).install(|| {
            pmap(Par::rayon(2), &items, |_| {
                busy.lock().unwrap().insert(rayon::current_thread_index());
                std::thread::sleep(std::time::Duration::from_micros(50));
            })
        });
        assert!(busy.lock().unwrap().len() <= 2, "{:?}", busy.lock().unwrap());
    }
}
