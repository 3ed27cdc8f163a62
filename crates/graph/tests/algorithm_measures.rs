//! Centrality, cohesion and community algorithms against direct implementations of their
//! definitions (all-pairs path counting, triple enumeration, peeling, plain label
//! counting, modularity summed edge by edge) on random stored multigraphs.

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::panic,
    reason = "tests: a failed step is a failed test"
)]

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};

use common::{Random, SHAPES, random};
use pagegraph::algo::{self, Betweenness, LabelPropagation, Louvain};
use pagegraph::{Direction, NodeId};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// Distinct neighbors (no self) of each node: out-neighbors, or either way if undirected.
fn simple(g: &Random, undirected: bool) -> Vec<Vec<usize>> {
    let n = g.ids.len();
    let mut adj = vec![std::collections::BTreeSet::new(); n];
    for &(a, b, _, _) in &g.edges {
        if a != b {
            adj[a].insert(b);
            if undirected {
                adj[b].insert(a);
            }
        }
    }
    adj.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// Hop distances and shortest-path counts from `s`.
fn bfs_counts(adj: &[Vec<usize>], s: usize) -> (Vec<Option<u32>>, Vec<f64>) {
    let mut dist = vec![None; adj.len()];
    let mut sigma = vec![0.0; adj.len()];
    dist[s] = Some(0);
    sigma[s] = 1.0;
    let mut q = VecDeque::from([s]);
    while let Some(v) = q.pop_front() {
        let d = dist[v].expect("queued nodes have a distance");
        for &w in &adj[v] {
            if dist[w].is_none() {
                dist[w] = Some(d + 1);
                q.push_back(w);
            }
            if dist[w] == Some(d + 1) {
                sigma[w] += sigma[v];
            }
        }
    }
    (dist, sigma)
}

#[test]
fn betweenness_agrees_with_pair_counting() {
    for (seed, n, m) in SHAPES.into_iter().filter(|s| s.1 <= 100) {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        for undirected in [false, true] {
            let adj = simple(&g, undirected);
            let all: Vec<_> = (0..n).map(|s| bfs_counts(&adj, s)).collect();
            // Sum over ordered pairs s != v != t of sigma_sv * sigma_vt / sigma_st on a
            // shortest path; each unordered pair once when undirected.
            let mut expected = vec![0.0; n];
            for s in 0..n {
                for t in 0..n {
                    let Some(dst) = all[s].0[t] else { continue };
                    if s == t {
                        continue;
                    }
                    for v in (0..n).filter(|&v| v != s && v != t) {
                        if let (Some(dsv), Some(dvt)) = (all[s].0[v], all[v].0[t])
                            && dsv + dvt == dst
                        {
                            expected[v] += all[s].1[v] * all[v].1[t] / all[s].1[t];
                        }
                    }
                }
            }
            if undirected {
                for x in &mut expected {
                    *x /= 2.0;
                }
            }
            let params = Betweenness {
                dir: if undirected {
                    Direction::Both
                } else {
                    Direction::Outgoing
                },
                ..Betweenness::default()
            };
            let ours = algo::betweenness(&csr, &params, &mut |_| {}).expect("betweenness");
            for (v, &(id, x)) in ours.iter().enumerate() {
                assert_eq!(id, g.ids[v]);
                assert!(
                    close(x, expected[v]),
                    "seed {seed} node {v}: {x} vs {}",
                    expected[v]
                );
            }
        }
    }
}

#[test]
fn sampled_betweenness_estimates_the_exact_values() {
    // With half of the sources, the estimate of the total stays near the exact total.
    let g = random(5, 200, 1000);
    let csr = g.csr(None, false);
    let exact: f64 = algo::betweenness(&csr, &Betweenness::default(), &mut |_| {})
        .expect("exact")
        .iter()
        .map(|x| x.1)
        .sum();
    let params = Betweenness {
        samples: Some(100),
        seed: 1,
        ..Betweenness::default()
    };
    let sampled: f64 = algo::betweenness(&csr, &params, &mut |_| {})
        .expect("sampled")
        .iter()
        .map(|x| x.1)
        .sum();
    assert!((sampled / exact - 1.0).abs() < 0.1, "{sampled} vs {exact}");
}

#[test]
fn closeness_agrees_with_distances() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        for (dir, undirected, reversed) in [
            (Direction::Outgoing, false, false),
            (Direction::Incoming, false, true),
            (Direction::Both, true, false),
        ] {
            let mut adj = simple(&g, undirected);
            if reversed {
                let mut rev = vec![Vec::new(); n];
                for (a, list) in adj.iter().enumerate() {
                    for &b in list {
                        rev[b].push(a);
                    }
                }
                adj = rev;
            }
            let ours = algo::closeness(&csr, dir, &mut |_| {});
            for (v, &(_, score)) in ours.iter().enumerate() {
                let (dist, _) = bfs_counts(&adj, v);
                let reached: Vec<u32> = dist.iter().filter_map(|d| *d).filter(|&d| d > 0).collect();
                let total: u32 = reached.iter().sum();
                let r = reached.len() as f64;
                let expected = if total == 0 {
                    0.0
                } else {
                    r / f64::from(total) * r / (n - 1) as f64
                };
                assert!(close(score, expected), "seed {seed} node {v} {dir:?}");
            }
        }
    }
}

#[test]
fn triangles_and_clustering_agree_with_triples() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let und = simple(&g, true);
        let out = simple(&g, false);
        let linked = |a: usize, b: usize| und[a].binary_search(&b).is_ok();
        let arc = |a: usize, b: usize| out[a].binary_search(&b).is_ok();
        let mut per_node = vec![0u64; n];
        let mut total = 0u64;
        for a in 0..n {
            for b in a + 1..n {
                for c in b + 1..n {
                    if linked(a, b) && linked(b, c) && linked(a, c) {
                        total += 1;
                        per_node[a] += 1;
                        per_node[b] += 1;
                        per_node[c] += 1;
                    }
                }
            }
        }
        let ours: Vec<u64> = algo::triangles(&csr, &mut |_| {})
            .iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(ours, per_node, "seed {seed}");
        assert_eq!(algo::triangle_count(&csr, &mut |_| {}), total);
        let lcc_und = algo::lcc(&csr, false, &mut |_| {});
        let lcc_dir = algo::lcc(&csr, true, &mut |_| {});
        for v in 0..n {
            let nb = &und[v];
            let d = nb.len() as f64;
            let (mut pairs_und, mut pairs_dir) = (0u32, 0u32);
            for &a in nb {
                for &b in nb {
                    if a != b {
                        pairs_und += u32::from(linked(a, b));
                        pairs_dir += u32::from(arc(a, b));
                    }
                }
            }
            let lcc = |p: u32| {
                if nb.len() < 2 {
                    0.0
                } else {
                    f64::from(p) / (d * (d - 1.0))
                }
            };
            assert!(close(lcc_und[v].1, lcc(pairs_und)), "seed {seed} node {v}");
            assert!(close(lcc_dir[v].1, lcc(pairs_dir)), "seed {seed} node {v}");
        }
    }
}

#[test]
fn core_numbers_agree_with_peeling() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        let und = simple(&g, true);
        // core(v) = the largest k for which v survives repeatedly deleting nodes of
        // fewer than k remaining neighbors.
        let mut expected = vec![0u32; n];
        for k in 1..=n as u32 {
            let mut alive = vec![true; n];
            loop {
                let doomed: Vec<usize> = (0..n)
                    .filter(|&v| {
                        alive[v] && (und[v].iter().filter(|&&w| alive[w]).count() as u32) < k
                    })
                    .collect();
                if doomed.is_empty() {
                    break;
                }
                for &v in &doomed {
                    alive[v] = false;
                }
            }
            for v in (0..n).filter(|&v| alive[v]) {
                expected[v] = k;
            }
        }
        let ours: Vec<u32> = algo::core_numbers(&csr).iter().map(|x| x.1).collect();
        assert_eq!(ours, expected, "seed {seed}");
    }
}

#[test]
fn label_propagation_agrees_with_the_graphalytics_definition() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(None, false);
        for (dir, iterations) in [
            (Direction::Both, 1),
            (Direction::Both, 10),
            (Direction::Outgoing, 5),
        ] {
            let mut labels: Vec<usize> = (0..n).collect();
            for _ in 0..iterations {
                let mut next = labels.clone();
                for (v, slot) in next.iter_mut().enumerate() {
                    let mut count: BTreeMap<usize, usize> = BTreeMap::new();
                    for &(a, b, _, _) in &g.edges {
                        if a == v {
                            *count.entry(labels[b]).or_default() += 1;
                        }
                        if b == v && dir == Direction::Both {
                            *count.entry(labels[a]).or_default() += 1;
                        }
                    }
                    // Most frequent, then smallest (BTreeMap order, first maximum kept).
                    if let Some(max) = count.values().max() {
                        *slot = *count.iter().find(|(_, c)| *c == max).expect("a maximum").0;
                    }
                }
                labels = next;
            }
            let params = LabelPropagation {
                dir,
                iterations,
                seed: None,
            };
            let ours: Vec<NodeId> = algo::label_propagation(&csr, &params, &mut |_| {})
                .iter()
                .map(|x| x.1)
                .collect();
            let expected: Vec<NodeId> = labels.iter().map(|&l| g.ids[l]).collect();
            assert_eq!(ours, expected, "seed {seed} {dir:?} x{iterations}");
        }
    }
}

/// Modularity of a labelling, edge by edge: `sum_c L_c/m - (d_c/2m)^2`.
fn modularity(g: &Random, labels: &HashMap<NodeId, NodeId>, weighted: bool) -> f64 {
    let mut m = 0.0;
    let mut inside: HashMap<NodeId, f64> = HashMap::new();
    let mut degree: HashMap<NodeId, f64> = HashMap::new();
    for &(a, b, _, w) in &g.edges {
        let w = if weighted { w } else { 1.0 };
        m += w;
        let (la, lb) = (labels[&g.ids[a]], labels[&g.ids[b]]);
        *degree.entry(la).or_default() += w;
        *degree.entry(lb).or_default() += w;
        if la == lb {
            *inside.entry(la).or_default() += w;
        }
    }
    if m == 0.0 {
        return 0.0;
    }
    degree
        .iter()
        .map(|(c, d)| inside.get(c).copied().unwrap_or(0.0) / m - (d / (2.0 * m)).powi(2))
        .sum()
}

#[test]
fn louvain_reports_the_modularity_of_its_partition() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        for weighted in [false, true] {
            let csr = g.csr(None, weighted);
            for s in [None, Some(seed)] {
                let params = Louvain {
                    seed: s,
                    ..Louvain::default()
                };
                let c = algo::louvain(&csr, &params, &mut |_| {}).expect("louvain");
                let labels: HashMap<NodeId, NodeId> = c.labels.iter().copied().collect();
                let q = modularity(&g, &labels, weighted);
                assert!(
                    close(c.modularity, q),
                    "seed {seed}: {} vs {q}",
                    c.modularity
                );
                let singletons: HashMap<NodeId, NodeId> = g.ids.iter().map(|&v| (v, v)).collect();
                assert!(q >= modularity(&g, &singletons, weighted) - 1e-12);
                // Labels are the smallest id of their community.
                for (&v, &l) in &labels {
                    assert!(l <= v && labels[&l] == l);
                }
                let count = labels
                    .values()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                assert_eq!(count, c.count);
            }
        }
    }
}

#[test]
fn degrees_agree_with_the_edge_list() {
    for (seed, n, m) in SHAPES {
        let g = random(seed, n, m);
        let csr = g.csr(Some("B"), false);
        let (mut out, mut inc) = (vec![0usize; n], vec![0usize; n]);
        for &(a, b, ty, _) in &g.edges {
            if ty == "B" {
                out[a] += 1;
                inc[b] += 1;
            }
        }
        let d = |dir| -> Vec<usize> { algo::degree(&csr, dir).iter().map(|x| x.1).collect() };
        assert_eq!(d(Direction::Outgoing), out);
        assert_eq!(d(Direction::Incoming), inc);
        let both: Vec<usize> = out.iter().zip(&inc).map(|(a, b)| a + b).collect();
        assert_eq!(d(Direction::Both), both);
    }
}
