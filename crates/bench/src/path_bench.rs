//! Point-to-point shortest paths on a large stored graph: the searches from both ends
//! (`algo::shortest_path`, `algo::dijkstra`) against the one-sided searches they replaced,
//! kept here as the baseline (the same algorithm, returning the length instead of the
//! path), in the same run on the same pairs.
//!
//! - Fewest edges, read straight from the store (`StoreView`), following edges out and
//!   both ways: the baseline is a breadth-first search from the start that stops when it
//!   reaches the end.
//! - Cheapest, on a snapshot (`Csr`) with a random integer weight 1..=100 per edge: the
//!   baseline is Dijkstra from the start that stops when it settles the end (and allocates
//!   its per-node arrays for the whole snapshot each time).
//!
//! The new searches answer every pair once untimed (warm: pages cached, the snapshot's
//! incoming side built), then all pairs `RUNS` times (median pass). The baseline reads a
//! large part of the graph per query, so it answers only the first `BASELINE` pairs, once,
//! timed, each answer checked against the new search's length or cost; the new search's
//! time on those same pairs is printed beside it.
//!
//! Usage: `path-bench DB [PAIRS] [RUNS] [BASELINE]` (defaults 1000 pairs, 3 runs, 50
//! baseline pairs; `CACHE_MIB`, default 2048, sizes the page cache in MiB). Build the graph
//! with `import-bench --generate 10000000 1000000 FILE` and `pagegraph import DB --edges
//! FILE`.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and rates are only printed, to a few digits"
)]

mod measure;
use measure::{median, peak_rss};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use pagegraph::algo::{self, Adjacency, Csr, CsrOptions, StoreView};
use pagegraph::{Direction, Graph, NodeId, Options};
use rustc_hash::FxHashMap;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: path-bench DB [PAIRS] [RUNS] [BASELINE]";
    let db = PathBuf::from(args.next().context(usage)?);
    let pair_count: usize = args.next().map_or(Ok(1000), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let baseline: usize = args.next().map_or(Ok(50), |s| s.parse())?;
    let cache_mib: usize = std::env::var("CACHE_MIB").map_or(Ok(2048), |s| s.parse())?;
    let graph = Graph::open_with(
        &db,
        Options {
            read_only: true,
            cache_pages: cache_mib * 1024 * 1024 / 4096,
            ..Options::default()
        },
    )?;
    let r = graph.begin_read()?;
    let ids: Vec<NodeId> = r.node_ids().collect::<Result<_, _>>()?;
    ensure!(!ids.is_empty(), "the graph has no nodes");
    let mut rng = fastrand::Rng::with_seed(7);
    let pairs: Vec<(NodeId, NodeId)> = (0..pair_count)
        .map(|_| (ids[rng.usize(0..ids.len())], ids[rng.usize(0..ids.len())]))
        .collect();
    let bench = Bench {
        pairs: &pairs,
        runs,
        baseline: baseline.min(pairs.len()),
    };
    println!(
        "{} nodes, {} edges; {} pairs (median of {runs} passes), the first {} also by the \
         baseline\n",
        ids.len(),
        r.edge_count()?,
        pairs.len(),
        bench.baseline,
    );
    println!(
        "| search | both ends, all pairs | both ends, baseline pairs | one-sided, baseline \
         pairs | speed-up | found | mean length |"
    );
    println!("|---|---|---|---|---|---|---|");

    let store = StoreView::new(&r, None);
    for dir in [Direction::Outgoing, Direction::Both] {
        let before = |&(a, b): &(NodeId, NodeId)| -> Result<Option<f64>> {
            Ok(one_sided_bfs(&store, a, b, dir)?)
        };
        let after = |&(a, b): &(NodeId, NodeId)| -> Result<Option<f64>> {
            Ok(algo::shortest_path(&store, a, b, dir)?.map(|p| p.cost))
        };
        bench.compare(&format!("fewest edges, store, {dir:?}"), before, after)?;
    }

    let t = Instant::now();
    let csr = weighted_snapshot(&r, &mut rng)?;
    let built = t.elapsed();
    for dir in [Direction::Outgoing, Direction::Both] {
        let before = |&(a, b): &(NodeId, NodeId)| -> Result<Option<f64>> {
            Ok(one_sided_dijkstra(&csr, a, b, dir))
        };
        let after = |&(a, b): &(NodeId, NodeId)| -> Result<Option<f64>> {
            Ok(algo::dijkstra(&csr, a, b, dir)?.map(|p| p.cost))
        };
        bench.compare(&format!("cheapest, snapshot, {dir:?}"), before, after)?;
    }
    println!(
        "\nweighted snapshot built in {:.1} s; peak RSS {:.0} MiB",
        built.as_secs_f64(),
        peak_rss() as f64 / f64::from(1 << 20)
    );
    Ok(())
}

/// The pairs and how to time them.
struct Bench<'a> {
    pairs: &'a [(NodeId, NodeId)],
    runs: usize,
    baseline: usize,
}

impl Bench<'_> {
    /// Times both as described in the crate documentation and prints a row.
    fn compare(
        &self,
        what: &str,
        before: impl Fn(&(NodeId, NodeId)) -> Result<Option<f64>>,
        after: impl Fn(&(NodeId, NodeId)) -> Result<Option<f64>>,
    ) -> Result<()> {
        let answers: Vec<Option<f64>> = self.pairs.iter().map(&after).collect::<Result<_>>()?;
        let mut passes = Vec::with_capacity(self.runs);
        for _ in 0..self.runs {
            passes.push(pass(self.pairs, &after)?);
        }
        let all = median(passes);
        let few = &self.pairs[..self.baseline];
        let (mut old, mut new) = (Duration::ZERO, Duration::ZERO);
        for (p, want) in few.iter().zip(&answers) {
            let t = Instant::now();
            let got = before(p)?;
            old += t.elapsed();
            let t = Instant::now();
            std::hint::black_box(after(p)?);
            new += t.elapsed();
            ensure!(
                got == *want,
                "{what}: {p:?}: one-sided {got:?}, both ends {want:?}"
            );
        }
        let found: Vec<f64> = answers.iter().flatten().copied().collect();
        let per = |d: Duration, n: usize| d.as_secs_f64() * 1e3 / n.max(1) as f64;
        println!(
            "| {what} | {:.0} ms ({:.3} ms/query) | {:.3} ms/query | {:.1} ms/query | {:.0}x | \
             {} of {} | {:.2} |",
            all.as_secs_f64() * 1e3,
            per(all, self.pairs.len()),
            per(new, few.len()),
            per(old, few.len()),
            old.as_secs_f64() / new.as_secs_f64(),
            found.len(),
            self.pairs.len(),
            found.iter().sum::<f64>() / found.len().max(1) as f64,
        );
        Ok(())
    }
}

/// One search between two nodes: the path's length or cost, if there is one.
type Query<'a> = dyn Fn(&(NodeId, NodeId)) -> Result<Option<f64>> + 'a;

fn pass(pairs: &[(NodeId, NodeId)], query: &Query<'_>) -> Result<Duration> {
    let t = Instant::now();
    for p in pairs {
        std::hint::black_box(query(p)?);
    }
    Ok(t.elapsed())
}

/// The stored graph's edges as a snapshot, each with a random integer weight 1..=100
/// (integers, so both searches' sums are exact and comparable).
fn weighted_snapshot(r: &pagegraph::ReadTxn, rng: &mut fastrand::Rng) -> Result<Csr> {
    let plain = Csr::build(r, &CsrOptions::default(), &mut |_| {})?;
    let mut edges = Vec::with_capacity(plain.edge_count());
    for i in 0..u32::try_from(plain.node_count())? {
        for &t in plain.out(i) {
            edges.push((plain.id(i), plain.id(t), f64::from(rng.u8(1..=100))));
        }
    }
    Ok(Csr::from_weighted_edges(plain.ids(), &edges)?)
}

/// The baseline: breadth-first from `from` until `to` is reached (the one-sided
/// `shortest_path` this benchmark compares against); the number of edges.
fn one_sided_bfs(
    g: &impl Adjacency,
    from: NodeId,
    to: NodeId,
    dir: Direction,
) -> algo::Result<Option<f64>> {
    if from == to {
        return Ok(Some(0.0));
    }
    let mut parent: FxHashMap<NodeId, NodeId> = FxHashMap::default();
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        let mut found = false;
        g.for_each_edge(node, dir, &mut |_, next| {
            if found || next == from || parent.contains_key(&next) {
                return;
            }
            parent.insert(next, node);
            found = next == to;
            queue.push_back(next);
        })?;
        if found {
            let (mut hops, mut at) = (0.0, to);
            while let Some(&p) = parent.get(&at) {
                hops += 1.0;
                at = p;
            }
            return Ok(Some(hops));
        }
    }
    Ok(None)
}

/// The baseline: Dijkstra from `from` over per-node arrays the size of the snapshot,
/// stopping when `to` is settled (the one-sided `dijkstra`); the cost.
fn one_sided_dijkstra(g: &Csr, from: NodeId, to: NodeId, dir: Direction) -> Option<f64> {
    let (source, target) = (g.index(from)?, g.index(to)?);
    let n = g.node_count();
    let mut dist = vec![f64::INFINITY; n];
    let mut parent: Vec<Option<(u32, usize)>> = vec![None; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0.0;
    heap.push(Reverse((Cost(0.0), source)));
    while let Some(Reverse((Cost(d), v))) = heap.pop() {
        if done[v as usize] {
            continue;
        }
        done[v as usize] = true;
        if v == target {
            break;
        }
        g.each(v, dir, |w, pos| {
            let nd = d + g.weight(pos);
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                parent[w as usize] = Some((v, pos));
                heap.push(Reverse((Cost(nd), w)));
            }
        });
    }
    std::hint::black_box(&parent);
    let cost = dist[target as usize];
    cost.is_finite().then_some(cost)
}

/// An `f64` ordered by `total_cmp`, for the heap.
#[derive(Clone, Copy, PartialEq)]
struct Cost(f64);

impl Eq for Cost {}

impl PartialOrd for Cost {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cost {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
