//! The algorithms on real public graphs, against petgraph, an independent PageRank, and
//! the values their publishers (SNAP) and NetworkX report.
//!
//! The datasets are not shipped with the repository (their licences are unstated), so
//! these tests are ignored by default. Run them with the datasets folder in
//! `PAGEGRAPH_DATASETS` (default: `../shared/datasets` beside the workspace):
//! `cargo test --release -p pagegraph --test real_datasets -- --ignored`.

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::panic,
    reason = "tests: a failed step is a failed test"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::pagerank_by_push;
use pagegraph::algo::{self, Betweenness, Csr, CsrOptions, Louvain, PageRank, StoreView};
use pagegraph::{Direction, EdgeSpec, Graph, NodeId, NodeSpec};
use petgraph::graph::{DiGraph, NodeIndex};

fn dataset(rel: &str) -> PathBuf {
    let root = std::env::var_os("PAGEGRAPH_DATASETS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
        PathBuf::from,
    );
    let path = root.join(rel);
    assert!(
        path.exists(),
        "{} not found: set PAGEGRAPH_DATASETS to the datasets folder",
        path.display()
    );
    path
}

/// A loaded graph: node `i` has external id `external[i]`, edges by position.
struct Loaded {
    graph: Graph,
    ids: Vec<NodeId>,
    external: Vec<u64>,
    edges: Vec<(usize, usize)>,
}

impl Loaded {
    fn new(pairs: &[(u64, u64)]) -> Loaded {
        let external: Vec<u64> = pairs
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let pos: BTreeMap<u64, usize> = external.iter().enumerate().map(|(i, &x)| (x, i)).collect();
        let edges: Vec<(usize, usize)> = pairs.iter().map(|(a, b)| (pos[a], pos[b])).collect();
        let graph = Graph::in_memory().expect("graph");
        let mut tx = graph.begin_write().expect("writer");
        let ids = tx
            .insert_nodes(
                external
                    .iter()
                    .map(|x| NodeSpec::new("node", x.to_string())),
            )
            .expect("nodes");
        tx.insert_edges(
            edges
                .iter()
                .map(|&(a, b)| EdgeSpec::new(ids[a], ids[b], "E")),
        )
        .expect("edges");
        tx.commit().expect("commit");
        Loaded {
            graph,
            ids,
            external,
            edges,
        }
    }

    fn csr(&self) -> Csr {
        let r = self.graph.begin_read().expect("reader");
        Csr::build(&r, &CsrOptions::default(), &mut |_| {}).expect("snapshot")
    }

    fn petgraph(&self) -> DiGraph<(), f64> {
        let mut g = DiGraph::new();
        for _ in &self.ids {
            g.add_node(());
        }
        for &(a, b) in &self.edges {
            g.add_edge(NodeIndex::new(a), NodeIndex::new(b), 1.0);
        }
        g
    }

    fn value_of(&self, rows: &[(NodeId, f64)], external: u64) -> f64 {
        let i = self.external.binary_search(&external).expect("known node");
        rows[i].1
    }
}

/// `u v` pairs of a SNAP edge list (comment lines start with `#`).
fn edge_list(path: &PathBuf) -> Vec<(u64, u64)> {
    std::fs::read_to_string(path)
        .expect("readable edge list")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l
                .split_whitespace()
                .map(|x| x.parse::<u64>().expect("an id"));
            (it.next().expect("u"), it.next().expect("v"))
        })
        .collect()
}

/// Edges of a GML file's `source`/`target` lines.
fn gml_edges(path: &PathBuf) -> Vec<(u64, u64)> {
    let text = std::fs::read_to_string(path).expect("readable GML");
    let ends: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            match it.next() {
                Some("source" | "target") => it.next().and_then(|x| x.parse().ok()),
                _ => None,
            }
        })
        .collect();
    ends.chunks(2).map(|c| (c[0], c[1])).collect()
}

fn mean(rows: &[(NodeId, f64)]) -> f64 {
    rows.iter().map(|x| x.1).sum::<f64>() / rows.len() as f64
}

fn check_pagerank(g: &Loaded, csr: &Csr) {
    for (d, it) in [(0.85, 20), (0.85, 100), (0.5, 30)] {
        let params = PageRank {
            damping: d,
            iterations: it,
            tolerance: 0.0,
            ..PageRank::default()
        };
        let ours = algo::pagerank(csr, params, &mut |_| {}).expect("pagerank");
        let theirs = pagerank_by_push(g.ids.len(), &g.edges, d, it);
        for (i, &(_, x)) in ours.iter().enumerate() {
            assert!(
                (x - theirs[i]).abs() < 1e-9,
                "node {i}: {x} vs {}",
                theirs[i]
            );
        }
    }
}

#[test]
#[ignore = "needs the shared datasets; see the module docs"]
fn karate_club_matches_networkx() {
    // Undirected: both arcs of each of the 78 edges.
    let undirected: Vec<(u64, u64)> = gml_edges(&dataset("karate-club/karate.gml"))
        .into_iter()
        .flat_map(|(a, b)| [(a, b), (b, a)])
        .collect();
    assert_eq!(undirected.len(), 156);
    let g = Loaded::new(&undirected);
    let csr = g.csr();
    assert_eq!(algo::triangle_count(&csr, &mut |_| {}), 45);
    let cores = algo::core_numbers(&csr);
    assert_eq!(cores.iter().map(|c| c.1).max(), Some(4));
    let bc = algo::betweenness(
        &csr,
        &Betweenness {
            dir: Direction::Both,
            normalized: true,
            ..Betweenness::default()
        },
        &mut |_| {},
    )
    .expect("betweenness");
    // NetworkX betweenness_centrality (normalized) for members 1 and 34.
    assert!((g.value_of(&bc, 1) - 0.437_635_281_385_281_46).abs() < 1e-12);
    assert!((g.value_of(&bc, 34) - 0.304_074_975_949_975_96).abs() < 1e-12);
    // NetworkX closeness_centrality: member 1 is at total distance 58 from the others.
    let close = algo::closeness(&csr, Direction::Both, &mut |_| {});
    assert!((g.value_of(&close, 1) - 33.0 / 58.0).abs() < 1e-12);
    // NetworkX average_clustering.
    let lcc = algo::lcc(&csr, false, &mut |_| {});
    assert!(
        (mean(&lcc) - 0.570_638_478_207_682_3).abs() < 1e-12,
        "{}",
        mean(&lcc)
    );
    // Directed LCC on both arcs equals the undirected one.
    let lcc_dir = algo::lcc(&csr, true, &mut |_| {});
    assert!((mean(&lcc_dir) - mean(&lcc)).abs() < 1e-12);
    // NetworkX pagerank (tolerance 1e-6): members 1 and 34.
    let pr = algo::pagerank(
        &csr,
        PageRank {
            damping: 0.85,
            iterations: 200,
            tolerance: 1e-15,
            ..PageRank::default()
        },
        &mut |_| {},
    )
    .expect("pagerank");
    assert!((g.value_of(&pr, 1) - 0.097_001_817_589_837_09).abs() < 1e-5);
    assert!((g.value_of(&pr, 34) - 0.100_917_916_748_712_1).abs() < 1e-5);
    check_pagerank(&g, &csr);
    // One arc per edge, followed both ways, is the same undirected PageRank.
    let single = Loaded::new(&gml_edges(&dataset("karate-club/karate.gml")));
    let pr_both = algo::pagerank(
        &single.csr(),
        PageRank {
            iterations: 200,
            dir: Direction::Both,
            ..PageRank::default()
        },
        &mut |_| {},
    )
    .expect("pagerank");
    for member in 1..=34 {
        let (a, b) = (g.value_of(&pr, member), single.value_of(&pr_both, member));
        assert!((a - b).abs() < 1e-12, "member {member}: {a} vs {b}");
    }
    // The best known partition has modularity 0.4198; Louvain finds 0.41-0.42.
    let q = algo::louvain(&csr, &Louvain::default(), &mut |_| {})
        .expect("louvain")
        .modularity;
    assert!(q > 0.40 && q < 0.4199, "{q}");
}

#[test]
#[ignore = "needs the shared datasets; see the module docs"]
fn email_eu_core_agrees_with_petgraph_and_snap() {
    let g = Loaded::new(&edge_list(&dataset("email-Eu-core/email-Eu-core.txt")));
    let csr = g.csr();
    let pg = g.petgraph();
    assert_eq!((csr.node_count(), csr.edge_count()), (1005, 25_571));
    // SNAP's statistics page: 105,461 triangles; largest WCC 986 nodes, SCC 803.
    assert_eq!(algo::triangle_count(&csr, &mut |_| {}), 105_461);
    let ours: BTreeSet<BTreeSet<usize>> = algo::scc(&csr)
        .iter()
        .map(|c| {
            c.iter()
                .map(|id| csr.index(*id).expect("in snapshot") as usize)
                .collect()
        })
        .collect();
    let theirs: BTreeSet<BTreeSet<usize>> = petgraph::algo::tarjan_scc(&pg)
        .iter()
        .map(|c| c.iter().map(|ix| ix.index()).collect())
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.iter().map(BTreeSet::len).max(), Some(803));
    let mut sizes: BTreeMap<NodeId, usize> = BTreeMap::new();
    for (_, l) in algo::wcc(&csr) {
        *sizes.entry(l).or_default() += 1;
    }
    assert_eq!(sizes.len(), petgraph::algo::connected_components(&pg));
    assert_eq!(sizes.values().max(), Some(&986));
    check_pagerank(&g, &csr);
    let r = g.graph.begin_read().expect("reader");
    let view = StoreView::new(&r, None);
    for s in [0, 17, 500, 1004] {
        let depth: BTreeMap<usize, u32> = algo::bfs(&view, g.ids[s], Direction::Outgoing, None)
            .expect("bfs")
            .iter()
            .map(|v| (csr.index(v.node).expect("in snapshot") as usize, v.depth))
            .collect();
        let unit = petgraph::algo::dijkstra(&pg, NodeIndex::new(s), None, |_| 1u32);
        let theirs: BTreeMap<usize, u32> = unit.iter().map(|(k, &d)| (k.index(), d)).collect();
        assert_eq!(depth, theirs, "bfs from {s}");
        let ours = algo::dominators(&csr, g.ids[s]).expect("dominators");
        let theirs = petgraph::algo::dominators::simple_fast(&pg, NodeIndex::new(s));
        for v in 0..g.ids.len() {
            let t = theirs
                .immediate_dominator(NodeIndex::new(v))
                .map(|x| g.ids[x.index()]);
            assert_eq!(ours.immediate_dominator(g.ids[v]), t);
        }
    }
}

#[test]
#[ignore = "needs the shared datasets; see the module docs"]
fn enron_matches_snap() {
    let g = Loaded::new(&edge_list(&dataset("email-Enron/Email-Enron.txt")));
    let csr = g.csr();
    assert_eq!((csr.node_count(), csr.edge_count()), (36_692, 367_662));
    // SNAP's statistics page: 727,044 triangles, largest WCC 33,696 nodes, average
    // clustering coefficient 0.4970.
    assert_eq!(algo::triangle_count(&csr, &mut |_| {}), 727_044);
    let mut sizes: BTreeMap<NodeId, usize> = BTreeMap::new();
    for (_, l) in algo::wcc(&csr) {
        *sizes.entry(l).or_default() += 1;
    }
    assert_eq!(sizes.values().max(), Some(&33_696));
    let avg = mean(&algo::lcc(&csr, false, &mut |_| {}));
    assert!((avg - 0.4970).abs() < 5e-4, "{avg}");
    check_pagerank(&g, &csr);
    let pg = g.petgraph();
    assert_eq!(
        algo::scc(&csr).len(),
        petgraph::algo::kosaraju_scc(&pg).len()
    );
}
