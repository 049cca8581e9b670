//! Parallelism as faer's [`Par`], passed in: the one parallel map every stage uses.
//!
//! [`Par::Seq`] runs on the calling thread; [`Par::Rayon`] runs on the *current* rayon
//! pool (install a pool with `rayon::ThreadPool::install` to choose the threads), and
//! `Par::rayon(1)` is sequential. Every caller writes its results by input position and
//! reads only finished stages, so the output never depends on the parallelism.

pub use faer::Par;
use rayon::prelude::*;

/// The default parallelism: every thread of the current rayon pool (`Par::rayon(0)`).
pub fn default_par() -> Par {
    Par::rayon(0)
}

/// Whether `par` asks for more than one thread.
pub(crate) fn is_parallel(par: Par) -> bool {
    match par {
        Par::Seq => false,
        Par::Rayon(n) => n.get() > 1,
    }
}

/// Maps `f` over `items`, in parallel when `par` asks for it; the output order is the
/// input order.
pub(crate) fn pmap<T: Sync, R: Send>(par: Par, items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if is_parallel(par) {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_par_is_read() {
        let items: Vec<usize> = (0..1000).collect();
        let seq = pmap(Par::Seq, &items, |&i| i * i);
        assert_eq!(seq, pmap(default_par(), &items, |&i| i * i));
        assert_eq!(seq[999], 999 * 999);
        assert!(!is_parallel(Par::Seq) && !is_parallel(Par::rayon(1)));
        assert!(is_parallel(default_par()) && is_parallel(Par::rayon(3)));
    }
}
