//! Path and structure algorithms against independent implementations on random stored
//! multigraphs: A* and reachability against petgraph, Yen's k shortest paths against an
//! enumeration of every simple path, transitive reduction against its definition, and
//! dominators and natural loops against petgraph's dominators and a direct search.

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::panic,
    reason = "tests: a failed step is a failed test; costs are small integers, exact in f64"
)]

mod common;

use std::collections::{BTreeSet, HashMap, VecDeque};

use common::{SHAPES, random};
use pagegraph::algo::{self, Csr, CsrOptions, StoreView};
use pagegraph::{Direction, EdgeSpec, Graph, NodeId, NodeSpec};
use petgraph::graph::NodeIndex;

#[test]
fn astar_agrees_with_petgraph() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let weighted = g.csr(None, true);
        let pg = g.petgraph(None);
        let mut rng = fastrand::Rng::with_seed(seed);
        for _ in 0..20 {
            let (s, t) = (rng.usize(0..n), rng.usize(0..n));
            let exact_to_t = {
                let mut rev = pg.clone();
                rev.reverse();
                petgraph::algo::dijkstra(&rev, NodeIndex::new(t), None, |e| *e.weight())
            };
            let expected = petgraph::algo::astar(
                &pg,
                NodeIndex::new(s),
                |x| x.index() == t,
                |e| *e.weight(),
                |_| 0.0,
            )
            .map(|(c, _)| c);
            // Zero, half the true remaining cost, and the true cost: all admissible.
            for scale in [0.0, 0.5, 1.0] {
                let h = |id: NodeId| {
                    exact_to_t
                        .get(&NodeIndex::new(g.pos(id)))
                        .map_or(0.0, |d| d * scale)
                };
                let found = algo::astar(&weighted, g.ids[s], g.ids[t], Direction::Outgoing, h)
                    .expect("astar");
                assert_eq!(
                    found.as_ref().map(|p| p.cost),
                    expected,
                    "seed {seed} {s}->{t}"
                );
                if let Some(p) = found {
                    check_path(&g.edges, &g.ids, &p, true);
                }
            }
        }
    }
}

/// The path is connected through stored edges and its cost is the sum of their weights.
fn check_path(edges: &[(usize, usize, &str, f64)], ids: &[NodeId], p: &algo::Path, weighted: bool) {
    assert_eq!(p.nodes.len(), p.edges.len() + 1);
    let mut cost = 0.0;
    for (k, e) in p.edges.iter().enumerate() {
        let (a, b, _, w) = edges[(e.0 - 1) as usize];
        assert_eq!((ids[a], ids[b]), (p.nodes[k], p.nodes[k + 1]));
        cost += if weighted { w } else { 1.0 };
    }
    assert_eq!(cost, p.cost);
}

/// Extends the path at `at` by every edge to a node not on it, collecting costs at `t`.
fn go(
    at: usize,
    t: usize,
    cost: f64,
    edges: &[(usize, usize, &str, f64)],
    on_path: &mut Vec<bool>,
    out: &mut Vec<f64>,
) {
    if at == t {
        out.push(cost);
        return;
    }
    on_path[at] = true;
    for &(a, b, _, w) in edges {
        if a == at && !on_path[b] {
            go(b, t, cost + w, edges, on_path, out);
        }
    }
    on_path[at] = false;
}

/// Every simple path from `s` to `t` (by edges), with its cost.
fn all_simple_paths(n: usize, edges: &[(usize, usize, &str, f64)], s: usize, t: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut on_path = vec![false; n];
    go(s, t, 0.0, edges, &mut on_path, &mut out);
    out.sort_by(f64::total_cmp);
    out
}

#[test]
fn yen_agrees_with_enumerating_every_simple_path() {
    for seed in 0..30u64 {
        let n = 7;
        let g = random(100 + seed, n, 18);
        let weighted = g.csr(None, true);
        let mut rng = fastrand::Rng::with_seed(seed);
        let (s, t) = (rng.usize(0..n), rng.usize(0..n));
        let every = all_simple_paths(n, &g.edges, s, t);
        for k in [1, 3, 10, 1000] {
            let paths =
                algo::k_shortest_paths(&weighted, g.ids[s], g.ids[t], k, Direction::Outgoing)
                    .expect("yen");
            let costs: Vec<f64> = paths.iter().map(|p| p.cost).collect();
            assert_eq!(costs, every[..k.min(every.len())], "seed {seed} k {k}");
            let distinct: BTreeSet<Vec<u64>> = paths
                .iter()
                .map(|p| p.edges.iter().map(|e| e.0).collect())
                .collect();
            assert_eq!(distinct.len(), paths.len());
            for p in &paths {
                check_path(&g.edges, &g.ids, p, true);
                let nodes: BTreeSet<NodeId> = p.nodes.iter().copied().collect();
                assert_eq!(nodes.len(), p.nodes.len(), "a path repeats a node");
            }
        }
    }
}

#[test]
fn reachability_agrees_with_petgraph() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let pg = g.petgraph(Some("A"));
        let r = g.graph.begin_read().expect("reader");
        let view = StoreView::new(&r, Some("A"));
        let mut rng = fastrand::Rng::with_seed(seed);
        for _ in 0..10 {
            let s = rng.usize(0..n);
            let reach = algo::reachable(&view, g.ids[s], Direction::Outgoing).expect("reach");
            let expected: Vec<NodeId> = (0..n)
                .filter(|&t| {
                    petgraph::algo::has_path_connecting(
                        &pg,
                        NodeIndex::new(s),
                        NodeIndex::new(t),
                        None,
                    )
                })
                .map(|t| g.ids[t])
                .collect();
            assert_eq!(reach, expected, "seed {seed} from {s}");
            let t = rng.usize(0..n);
            assert_eq!(
                algo::is_reachable(&view, g.ids[s], g.ids[t], Direction::Outgoing).expect("reach"),
                expected.contains(&g.ids[t])
            );
        }
    }
}

/// A random DAG stored in a database: edges only from lower to higher position, some
/// parallel.
fn random_dag(seed: u64, n: usize, m: usize) -> (Graph, Vec<NodeId>, Vec<(usize, usize)>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let graph = Graph::in_memory().expect("graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..n).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    // Edges go forward in a shuffled order of the nodes, so id order is not topological.
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut edges = Vec::new();
    for _ in 0..m {
        let a = rng.usize(0..n - 1);
        let b = rng.usize(a + 1..n);
        edges.push((order[a], order[b]));
    }
    tx.insert_edges(
        edges
            .iter()
            .map(|&(a, b)| EdgeSpec::new(ids[a], ids[b], "E")),
    )
    .expect("edges");
    tx.commit().expect("commit");
    (graph, ids, edges)
}

fn reaches(n: usize, edges: &[(usize, usize)], from: usize, skip_edge: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut queue = VecDeque::from([from]);
    seen[from] = true;
    while let Some(x) = queue.pop_front() {
        for (k, &(a, b)) in edges.iter().enumerate() {
            if a == x && Some(k) != skip_edge && !seen[b] {
                seen[b] = true;
                queue.push_back(b);
            }
        }
    }
    seen
}

#[test]
fn transitive_reduction_agrees_with_its_definition() {
    for seed in 0..12u64 {
        let n = 5 + (seed as usize) * 3;
        let (graph, _, edges) = random_dag(seed, n, n * 3);
        let r = graph.begin_read().expect("reader");
        let csr = Csr::build(&r, &CsrOptions::default(), &mut |_| {}).expect("snapshot");
        let kept: BTreeSet<u64> = algo::transitive_reduction(&csr)
            .expect("a DAG")
            .iter()
            .map(|e| e.0)
            .collect();
        // Edge u -> v stays exactly when it is the first of its parallel edges and v is
        // not reachable from u once every u -> v edge is gone.
        for (k, &(a, b)) in edges.iter().enumerate() {
            let first = edges.iter().position(|&e| e == (a, b)) == Some(k);
            let without: Vec<(usize, usize)> =
                edges.iter().copied().filter(|&e| e != (a, b)).collect();
            let needed = first && !reaches(n, &without, a, None)[b];
            assert_eq!(
                kept.contains(&(k as u64 + 1)),
                needed,
                "seed {seed} edge {a}->{b}"
            );
        }
        // Reachability is unchanged.
        let reduced: Vec<(usize, usize)> = kept.iter().map(|&e| edges[(e - 1) as usize]).collect();
        for s in 0..n {
            assert_eq!(reaches(n, &reduced, s, None), reaches(n, &edges, s, None));
        }
    }
}

#[test]
fn dominators_agree_with_petgraph() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let pg = g.petgraph(None);
        let mut reversed = pg.clone();
        reversed.reverse();
        for root in [0, n / 2, n - 1] {
            let ours = algo::dominators(&csr, g.ids[root]).expect("dominators");
            let theirs = petgraph::algo::dominators::simple_fast(&pg, NodeIndex::new(root));
            let post = algo::post_dominators(&csr, g.ids[root]).expect("post-dominators");
            let post_theirs =
                petgraph::algo::dominators::simple_fast(&reversed, NodeIndex::new(root));
            for v in 0..n {
                let ix = NodeIndex::new(v);
                let expect = |d: &petgraph::algo::dominators::Dominators<NodeIndex>| {
                    d.immediate_dominator(ix).map(|x| g.ids[x.index()])
                };
                assert_eq!(
                    ours.immediate_dominator(g.ids[v]),
                    expect(&theirs),
                    "seed {seed}"
                );
                assert_eq!(
                    post.immediate_dominator(g.ids[v]),
                    expect(&post_theirs),
                    "seed {seed}"
                );
                let chain: Option<Vec<NodeId>> = theirs
                    .dominators(ix)
                    .map(|it| it.map(|x| g.ids[x.index()]).collect());
                assert_eq!(ours.dominators_of(g.ids[v]), chain);
            }
            check_loops(&g, &csr, root, &theirs);
        }
    }
}

/// Natural loops against their definition, with dominance from petgraph.
fn check_loops(
    g: &common::Random,
    csr: &Csr,
    root: usize,
    dom: &petgraph::algo::dominators::Dominators<NodeIndex>,
) {
    let dominates = |a: usize, b: usize| {
        dom.dominators(NodeIndex::new(b))
            .is_some_and(|mut it| it.any(|x| x.index() == a))
    };
    let mut expected: HashMap<usize, (BTreeSet<u64>, BTreeSet<usize>)> = HashMap::new();
    for (k, &(t, h, _, _)) in g.edges.iter().enumerate() {
        if !dominates(h, t) {
            continue;
        }
        let reached = |a: usize| a == root || dom.immediate_dominator(NodeIndex::new(a)).is_some();
        let entry = expected.entry(h).or_default();
        entry.0.insert(k as u64 + 1);
        // h, then every reached node that reaches t without passing through h.
        entry.1.insert(h);
        let mut stack = Vec::new();
        if entry.1.insert(t) {
            stack.push(t);
        }
        while let Some(x) = stack.pop() {
            for &(a, b, _, _) in &g.edges {
                if b == x && reached(a) && entry.1.insert(a) {
                    stack.push(a);
                }
            }
        }
    }
    let ours = algo::natural_loops(csr, g.ids[root]).expect("loops");
    assert_eq!(ours.len(), expected.len());
    for l in ours {
        let h = g.pos(l.header);
        let (edges, body) = &expected[&h];
        assert_eq!(
            &l.back_edges.iter().map(|e| e.0).collect::<BTreeSet<_>>(),
            edges
        );
        assert_eq!(
            &l.body.iter().map(|&v| g.pos(v)).collect::<BTreeSet<_>>(),
            body
        );
    }
}
