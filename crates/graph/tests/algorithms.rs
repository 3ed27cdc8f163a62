//! The algorithms against independent implementations (petgraph, and a PageRank written
//! push-style over the raw edge list), on random graphs stored in a real database: so the
//! snapshot built from the store is checked along the way.

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::panic,
    reason = "tests: a failed step is a failed test; costs are small integers, exact in f64"
)]

use std::collections::{BTreeSet, HashMap};

use pagegraph::algo::{self, Csr, CsrOptions, PageRank, StoreView};
use pagegraph::{Direction, EdgeSpec, Graph, NodeId, NodeSpec};
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::json;

mod common;

use common::{SHAPES, pagerank_by_push, random};

#[test]
fn snapshot_matches_the_edge_list() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        for only in [None, Some("A")] {
            let csr = g.csr(only, false);
            let pg = g.petgraph(only);
            assert_eq!(csr.node_count(), n);
            assert_eq!(csr.edge_count(), pg.edge_count());
            for (i, &id) in g.ids.iter().enumerate() {
                let ix = csr.index(id).expect("node in snapshot");
                let mut ours: Vec<usize> = csr.out(ix).iter().map(|&t| g.pos(csr.id(t))).collect();
                let mut theirs: Vec<usize> = pg
                    .neighbors(NodeIndex::new(i))
                    .map(NodeIndex::index)
                    .collect();
                ours.sort_unstable();
                theirs.sort_unstable();
                assert_eq!(ours, theirs, "seed {seed} node {i}");
            }
        }
    }
}

/// A graph large enough for the build to read the adjacency tree in parallel runs, with a
/// hub whose row the cuts between runs fall inside: every row, in both directions, with
/// edge ids and weights, matches the edge list, with and without a type filter.
#[test]
fn large_snapshots_read_in_parallel_runs_match_the_edge_list() {
    let mut rng = fastrand::Rng::with_seed(41);
    let n = 2_000;
    let graph = Graph::in_memory().expect("graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..n).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    // Node 7 is a hub with most of the edges; the rest are uniform.
    let list: Vec<(usize, usize, &str, u8)> = (0..120_000)
        .map(|k| {
            let from = if k % 3 == 0 { rng.usize(0..n) } else { 7 };
            let ty = if rng.u8(0..4) == 0 { "A" } else { "B" };
            (from, rng.usize(0..n), ty, rng.u8(0..10))
        })
        .collect();
    let edge_ids = tx
        .insert_edges(list.iter().map(|&(a, b, ty, w)| EdgeSpec {
            from: ids[a],
            to: ids[b],
            edge_type: ty.to_string(),
            data: json!({ "w": w }),
        }))
        .expect("edges");
    tx.commit().expect("commit");
    let r = graph.begin_read().expect("reader");
    for only in [None, Some("A")] {
        let options = CsrOptions {
            edge_type: only.map(str::to_string),
            weight_field: Some("w".to_string()),
        };
        let csr = Csr::build(&r, &options, &mut |_| {}).expect("snapshot");
        // (from, to, edge id, weight bits), sorted, from the list and from each side of the CSR.
        let mut want: Vec<(NodeId, NodeId, u64, u64)> = list
            .iter()
            .zip(&edge_ids)
            .filter(|((_, _, ty, _), _)| only.is_none_or(|o| o == *ty))
            .map(|(&(a, b, _, w), e)| (ids[a], ids[b], e.0, f64::from(w).to_bits()))
            .collect();
        want.sort_unstable();
        let mut out = Vec::new();
        let mut inc = Vec::new();
        for ix in 0..csr.node_count() as u32 {
            for (pos, &to) in csr.out_positions(ix).zip(csr.out(ix)) {
                let w = csr.weight(pos).to_bits();
                out.push((csr.id(ix), csr.id(to), csr.edge_id(pos).0, w));
            }
            for (&pos, &from) in csr.inc_positions(ix).iter().zip(csr.inc(ix)) {
                let pos = pos as usize;
                let w = csr.weight(pos).to_bits();
                inc.push((csr.id(from), csr.id(ix), csr.edge_id(pos).0, w));
            }
        }
        out.sort_unstable();
        inc.sort_unstable();
        assert_eq!(out.len(), want.len(), "{only:?}");
        assert!(
            out == want,
            "{only:?}: outgoing rows differ from the edge list"
        );
        assert!(
            inc == want,
            "{only:?}: incoming rows differ from the edge list"
        );
    }
}

#[test]
fn components_agree_with_petgraph() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let pg = g.petgraph(None);
        // Strongly connected: the same partition as Tarjan's in petgraph.
        let ours: BTreeSet<BTreeSet<usize>> = algo::scc(&csr)
            .iter()
            .map(|c| c.iter().map(|&id| g.pos(id)).collect())
            .collect();
        let theirs: BTreeSet<BTreeSet<usize>> = petgraph::algo::tarjan_scc(&pg)
            .iter()
            .map(|c| c.iter().map(|ix| ix.index()).collect())
            .collect();
        assert_eq!(ours, theirs, "scc, seed {seed}");
        // Weakly connected: same count as petgraph, and both ends of every edge share a
        // label that is the smallest id of its component.
        let labels: HashMap<NodeId, NodeId> = algo::wcc(&csr).into_iter().collect();
        let count = labels.values().collect::<BTreeSet<_>>().len();
        assert_eq!(
            count,
            petgraph::algo::connected_components(&pg),
            "seed {seed}"
        );
        for &(a, b, _, _) in &g.edges {
            assert_eq!(labels[&g.ids[a]], labels[&g.ids[b]]);
        }
        for (&node, &label) in &labels {
            assert!(label <= node && labels[&label] == label);
        }
    }
}

#[test]
fn paths_agree_with_petgraph_dijkstra() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let weighted = g.csr(None, true);
        let pg = g.petgraph(None);
        let r = g.graph.begin_read().expect("reader");
        let store = StoreView::new(&r, None);
        for s in (0..n).step_by(7) {
            let src = g.ids[s];
            let want: HashMap<usize, f64> =
                petgraph::algo::dijkstra(&pg, NodeIndex::new(s), None, |e| *e.weight())
                    .into_iter()
                    .map(|(ix, d)| (ix.index(), d))
                    .collect();
            let got: HashMap<usize, f64> = algo::sssp(&weighted, src, Direction::Outgoing)
                .expect("sssp")
                .into_iter()
                .map(|(id, d)| (g.pos(id), d))
                .collect();
            assert_eq!(got, want, "sssp, seed {seed} source {s}");
            // Hop counts: BFS from the store against petgraph with unit weights.
            let hops: HashMap<usize, u32> =
                petgraph::algo::dijkstra(&pg, NodeIndex::new(s), None, |_| 1u32)
                    .into_iter()
                    .map(|(ix, d)| (ix.index(), d))
                    .collect();
            let visits = algo::bfs(&store, src, Direction::Outgoing, None).expect("bfs");
            let depths: HashMap<usize, u32> =
                visits.iter().map(|v| (g.pos(v.node), v.depth)).collect();
            assert_eq!(depths, hops, "bfs, seed {seed} source {s}");
            let on_snapshot =
                algo::bfs_csr(&weighted, src, Direction::Outgoing, None).expect("bfs");
            let depths: HashMap<usize, u32> = on_snapshot
                .iter()
                .map(|v| (g.pos(v.node), v.depth))
                .collect();
            assert_eq!(depths, hops, "bfs on the snapshot, seed {seed} source {s}");
            for t in (0..n).step_by(5) {
                let dst = g.ids[t];
                let p = algo::dijkstra(&weighted, src, dst, Direction::Outgoing).expect("path");
                assert_eq!(p.as_ref().map(|p| p.cost), want.get(&t).copied());
                if let Some(p) = p {
                    // The path is real: consecutive nodes joined by the named edges, whose
                    // weights add up to the cost.
                    let mut cost = 0.0;
                    for (k, e) in p.edges.iter().enumerate() {
                        let edge = r.edge(*e).expect("read").expect("edge exists");
                        assert_eq!((edge.from, edge.to), (p.nodes[k], p.nodes[k + 1]));
                        cost += edge.data["w"].as_f64().expect("weight");
                    }
                    assert_eq!(cost, p.cost);
                }
                let hop = algo::shortest_path(&store, src, dst, Direction::Outgoing).expect("bfs");
                assert_eq!(
                    hop.map(|p| p.edges.len() as u32),
                    hops.get(&t).copied(),
                    "seed {seed} {s} -> {t}"
                );
            }
        }
    }
}

#[test]
fn order_and_cycles_agree_with_petgraph() {
    for (seed, n, m) in SHAPES {
        // Forward-only edges make a DAG; the random graph itself usually has cycles.
        let g = random(seed, n, m);
        for dag in [false, true] {
            let mut pg = DiGraph::<(), ()>::new();
            let mut nodes = Vec::new();
            for i in 0..n {
                nodes.push(g.ids[i]);
                pg.add_node(());
            }
            let edges: Vec<(NodeId, NodeId)> = g
                .edges
                .iter()
                .filter(|&&(a, b, _, _)| !dag || a < b)
                .map(|&(a, b, _, _)| {
                    pg.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
                    (g.ids[a], g.ids[b])
                })
                .collect();
            let csr = Csr::from_edges(&nodes, &edges).expect("snapshot");
            let cyclic = petgraph::algo::is_cyclic_directed(&pg);
            match algo::find_cycle(&csr) {
                None => assert!(!cyclic, "seed {seed}"),
                Some(cycle) => {
                    assert!(cyclic, "seed {seed}");
                    for k in 0..cycle.len() {
                        let (a, b) = (cycle[k], cycle[(k + 1) % cycle.len()]);
                        assert!(edges.contains(&(a, b)), "{a} -> {b} is not an edge");
                    }
                }
            }
            match algo::toposort(&csr) {
                Ok(order) => {
                    assert!(!cyclic);
                    let at: HashMap<NodeId, usize> =
                        order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
                    assert_eq!(at.len(), n);
                    assert!(edges.iter().all(|(a, b)| at[a] < at[b]));
                }
                Err(algo::AlgoError::Cycle(c)) => assert!(cyclic && !c.is_empty()),
                Err(e) => panic!("{e}"),
            }
        }
    }
}

#[test]
fn pagerank_agrees_with_an_independent_implementation() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let edges: Vec<(usize, usize)> = g.edges.iter().map(|&(a, b, _, _)| (a, b)).collect();
        for (d, iterations) in [(0.85, 20), (0.5, 3), (1.0, 10), (0.0, 2)] {
            let params = PageRank {
                damping: d,
                iterations,
                tolerance: 0.0,
                ..PageRank::default()
            };
            let mut reported = 0;
            let ours = algo::pagerank(&csr, params, &mut |_| reported += 1).expect("pagerank");
            assert_eq!(reported, iterations);
            let want = pagerank_by_push(n, &edges, d, iterations);
            for (id, r) in ours {
                let diff = (r - want[g.pos(id)]).abs();
                assert!(diff < 1e-9, "seed {seed} d {d}: {r} vs {}", want[g.pos(id)]);
            }
        }
    }
}

#[test]
fn pagerank_both_ways_is_pagerank_of_the_symmetric_graph_and_in_of_the_reversed() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let edges: Vec<(usize, usize)> = g.edges.iter().map(|&(a, b, _, _)| (a, b)).collect();
        let reversed: Vec<(usize, usize)> = edges.iter().map(|&(a, b)| (b, a)).collect();
        // Undirected: each edge is an arc each way (a self-loop, two arcs to itself).
        let both: Vec<(usize, usize)> = edges.iter().chain(&reversed).copied().collect();
        for (dir, arcs) in [(Direction::Both, &both), (Direction::Incoming, &reversed)] {
            let params = PageRank {
                dir,
                iterations: 30,
                ..PageRank::default()
            };
            let ours = algo::pagerank(&csr, params, &mut |_| {}).expect("pagerank");
            let want = pagerank_by_push(n, arcs, 0.85, 30);
            for (id, r) in ours {
                let diff = (r - want[g.pos(id)]).abs();
                assert!(
                    diff < 1e-9,
                    "seed {seed} {dir:?}: {r} vs {}",
                    want[g.pos(id)]
                );
            }
        }
    }
}

#[test]
fn bad_weights_are_reported_with_the_edge() {
    let graph = Graph::in_memory().expect("graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..3).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    tx.insert_edge(EdgeSpec {
        data: json!({"w": 2}),
        ..EdgeSpec::new(ids[0], ids[1], "T")
    })
    .expect("edge");
    let bad = tx
        .insert_edge(EdgeSpec {
            data: json!({"w": "heavy"}),
            ..EdgeSpec::new(ids[1], ids[2], "T")
        })
        .expect("edge");
    tx.commit().expect("commit");
    let r = graph.begin_read().expect("reader");
    let options = CsrOptions {
        edge_type: None,
        weight_field: Some("w".into()),
    };
    match Csr::build(&r, &options, &mut |_| {}) {
        Err(algo::AlgoError::BadWeight { edge, .. }) => assert_eq!(edge, bad),
        other => panic!("{other:?}"),
    }
    // Without weights, or with a field no edge has, the snapshot builds.
    let none = CsrOptions {
        edge_type: None,
        weight_field: Some("missing".into()),
    };
    let csr = Csr::build(&r, &none, &mut |_| {}).expect("snapshot");
    assert_eq!(csr.weight(0), 1.0);
    // A start node that does not exist is an error, not an empty answer.
    let store = StoreView::new(&r, None);
    assert!(matches!(
        algo::bfs(&store, NodeId(999), Direction::Outgoing, None),
        Err(algo::AlgoError::NodeNotFound(NodeId(999)))
    ));
}

/// A 10M-node cycle (one chain closed at the end): the deepest search any of these can
/// meet. Nothing recurses, so WCC, SCC, topological order and cycle finding all finish and agree
/// with the hand-computed answer. Heavy (about 1 GB, tens of seconds): run with
/// `cargo test --release -- --ignored`.
#[test]
#[ignore = "heavy: 10M nodes"]
fn a_ten_million_node_chain_does_not_recurse() {
    let n = 10_000_000u64;
    let nodes: Vec<NodeId> = (1..=n).map(NodeId).collect();
    let mut edges: Vec<(NodeId, NodeId)> = (1..n).map(|i| (NodeId(i), NodeId(i + 1))).collect();
    let chain = Csr::from_edges(&nodes, &edges).expect("chain");
    assert!(algo::wcc(&chain).iter().all(|&(_, l)| l == NodeId(1)));
    assert_eq!(algo::scc(&chain).len(), n as usize);
    let order = algo::toposort(&chain).expect("a chain is acyclic");
    assert!(order.iter().zip(1..).all(|(v, i)| v.0 == i));
    edges.push((NodeId(n), NodeId(1)));
    let cycle = Csr::from_edges(&nodes, &edges).expect("cycle");
    let comps = algo::scc(&cycle);
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0].len(), n as usize);
    assert!(algo::toposort(&cycle).is_err());
    assert_eq!(algo::find_cycle(&cycle).map(|c| c.len()), Some(n as usize));
}
