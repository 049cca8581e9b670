//! One level's eliminations in parallel: waves of clusters whose reaches are disjoint.
//!
//! The step at `c` reads and writes only blocks between clusters of its *reach*
//! `{c} ∪ N(c) ∪ F(c)` (near partners and stored far partners, `eliminate.rs`). Steps
//! with disjoint reaches touch disjoint blocks, so they commute: each runs on a sub-state
//! that owns its reach's blocks, and the sub-states are merged back in wave order. The
//! waves are greedy maximal sets in arena order, computed from the state alone, so the
//! result does not depend on the number of threads.

use super::eliminate::{eliminate, Ctx, State};
use crate::cluster::ClusterId;
use crate::error::Result;
use rayon::prelude::*;

/// `{c} ∪ N(c) ∪ F(c)` (clusters with active indices), ascending.
fn reach(ctx: &Ctx<'_>, st: &State, c: ClusterId) -> Vec<ClusterId> {
    let mut r: Vec<ClusterId> =
        ctx.blocks.close(c).iter().copied().filter(|y| !st.active[y.idx()].is_empty()).collect();
    r.extend(st.store.partners(c));
    r.push(c);
    r.sort_by_key(|x| x.0);
    r.dedup();
    r
}

/// Moves every stored block between two clusters of `reach` into a new sub-state, with
/// copies of their active index lists.
fn split_off(st: &mut State, reach: &[ClusterId]) -> State {
    let mut sub = State::new(st.active.len(), st.steps.is_some());
    for &x in reach {
        sub.active[x.idx()] = st.active[x.idx()].clone();
        let mut with: Vec<ClusterId> = st.store.partners(x).into_iter().filter(|p| p.0 > x.0).collect();
        with.push(x);
        for p in with.into_iter().filter(|p| reach.binary_search_by_key(&p.0, |y| y.0).is_ok()) {
            if let Some(m) = st.store.take(x, p) {
                sub.store.put(x, p, m);
            }
        }
    }
    sub
}

/// Eliminates every cluster of level `l` (waves, module docs).
///
/// # Errors
/// The first error of a step, in wave order.
pub(super) fn eliminate_level(ctx: &Ctx<'_>, st: &mut State, l: usize) -> Result<()> {
    let mut pending: Vec<ClusterId> = ctx.tree.level(l).filter(|c| !st.active[c.idx()].is_empty()).collect();
    while !pending.is_empty() {
        let mut taken = vec![false; st.active.len()];
        let (mut wave, mut rest) = (Vec::new(), Vec::new());
        for c in pending {
            let r = reach(ctx, st, c);
            if r.iter().all(|x| !taken[x.idx()]) {
                r.iter().for_each(|x| taken[x.idx()] = true);
                wave.push((c, r));
            } else {
                rest.push(c);
            }
        }
        let subs: Vec<(ClusterId, State)> = wave.iter().map(|(c, r)| (*c, split_off(st, r))).collect();
        let step = |(c, mut sub): (ClusterId, State)| eliminate(ctx, &mut sub, c, l).map(|()| (c, sub));
        let done: Vec<Result<(ClusterId, State)>> = if crate::par::threads(ctx.par) > 1 {
            subs.into_par_iter().map(step).collect()
        } else {
            subs.into_iter().map(step).collect()
        };
        let mut transient = 0;
        let mut back = Vec::with_capacity(done.len());
        for d in done {
            let (c, sub) = d?;
            transient += sub.store.peak_entries();
            back.push((c, sub));
        }
        st.store.note_transient(transient);
        for (c, mut sub) in back {
            st.active[c.idx()] = std::mem::take(&mut sub.active[c.idx()]);
            st.inertia.add(sub.inertia);
            st.logdet.combine(sub.logdet);
            if let (Some(all), Some(steps)) = (st.steps.as_mut(), sub.steps.take()) {
                all.extend(steps);
            }
            for ((a, b), m) in sub.store.drain() {
                st.store.put(a, b, m);
            }
        }
        pending = rest;
    }
    Ok(())
}
