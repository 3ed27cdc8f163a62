//! Many independent single-source runs (betweenness, closeness) spread over the cores.

use std::num::NonZeroUsize;

use super::{Csr, Progress, ProgressFn};
use crate::ids::NodeId;

/// Runs `work(state, source)` for every source, on up to as many threads as the machine
/// has cores, each thread with its own `init()` state; returns the states, in thread
/// order. Thread `t` of `k` takes sources `t, t + k, t + 2k, ...`, so the split (and any
/// sum over the states) depends only on the thread count. The calling thread is one of the
/// workers and reports progress about every 64 of its sources.
pub(crate) fn for_each_source<S: Send>(
    sources: &[u32],
    stage: &'static str,
    progress: ProgressFn<'_>,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, u32) + Sync,
) -> Vec<S> {
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .clamp(1, sources.len().max(1));
    let total = sources.len() as u64;
    let run = |t: usize, state: &mut S, report: &mut dyn FnMut(Progress)| {
        for (k, &s) in sources.iter().enumerate().skip(t).step_by(threads) {
            work(state, s);
            if k % 64 == 0 {
                report(Progress {
                    stage,
                    done: k as u64,
                    total,
                });
            }
        }
    };
    let states = on_threads(threads, progress, |t, report| {
        let mut state = init();
        run(t, &mut state, report);
        state
    });
    progress(Progress {
        stage,
        done: total,
        total,
    });
    states
}

/// Runs `work(t, report)` for `t` in `0..threads` in parallel and returns the results in
/// `t` order. The calling thread runs `t = 0` and its `report` reaches `progress`; the
/// others run as tasks of the process's worker pool (rayon-core's global pool: a thread
/// per core, kept between calls, so a run starts on a core of its own at once rather than
/// on a new thread that may first share its parent's core) and report nowhere. A panic in
/// any of them is resumed here.
pub(crate) fn on_threads<T: Send>(
    threads: usize,
    progress: ProgressFn<'_>,
    work: impl Fn(usize, &mut dyn FnMut(Progress)) -> T + Sync,
) -> Vec<T> {
    let mut rest: Vec<Option<T>> = (1..threads.max(1)).map(|_| None).collect();
    let first = rayon_core::in_place_scope(|scope| {
        let work = &work;
        for (i, slot) in rest.iter_mut().enumerate() {
            scope.spawn(move |_| *slot = Some(work(i + 1, &mut |_| {})));
        }
        work(0, progress)
    });
    let mut results = vec![first];
    results.extend(rest.into_iter().flatten());
    results
}

/// `value(state, v)` for every node `v` of `g`, computed on the cores with one `init()`
/// state per thread; `(id, value)` in id order.
pub(crate) fn per_node<S: Send, T: Send + Copy + Default>(
    g: &Csr,
    stage: &'static str,
    progress: ProgressFn<'_>,
    init: impl Fn() -> S + Sync,
    value: impl Fn(&mut S, u32) -> T + Sync,
) -> Vec<(NodeId, T)> {
    let n = g.node_count();
    let nodes: Vec<u32> = (0..n as u32).collect();
    let states = for_each_source(
        &nodes,
        stage,
        progress,
        || (init(), Vec::new()),
        |(state, out): &mut (S, Vec<(u32, T)>), v| out.push((v, value(state, v))),
    );
    let mut result = vec![T::default(); n];
    for (_, out) in states {
        for (v, x) in out {
            result[v as usize] = x;
        }
    }
    result
        .into_iter()
        .enumerate()
        .map(|(v, x)| (g.id(v as u32), x))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_runs_once() {
        let sources: Vec<u32> = (0..1000).collect();
        let states = for_each_source(&sources, "t", &mut |_| {}, Vec::new, Vec::push);
        let mut all: Vec<u32> = states.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, sources);
        assert!(for_each_source(&[], "t", &mut |_| {}, || 0, |_, _| {}).len() == 1);
    }
}
