//! Adjacency chunks (`adjacency.rs`) against a model: random batches of edges (parallel
//! edges, self-loops, two types) into nodes of degree 0, 1, about one chunk's worth and
//! thousands, single and whole-node deletes that shrink and empty chunks, in and across
//! transactions. After every step each node's neighbors (per direction and type, and as
//! the write transaction reads them), `edges_between`, `degree` and the whole-graph
//! `degrees` (and `for_each_degree`, `two_step_walks`, with and without self-loops: the
//! latter read from the degree trees) equal the model's, and
//! `check` is clean at the end of every run. With `PAGEGRAPH_STRESS=1` a node of degree
//! 1,000,000 is built, read and thinned too.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::algo::{Csr, CsrOptions};
use pagegraph::{Direction, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, WriteTxn};
use serde_json::json;

/// The model: every live edge by id.
type Model = BTreeMap<EdgeId, (NodeId, NodeId, String)>;

fn expected(
    model: &Model,
    node: NodeId,
    dir: Direction,
    ty: Option<&str>,
) -> Vec<(EdgeId, NodeId)> {
    let mut out: Vec<(EdgeId, NodeId)> = Vec::new();
    for (&e, (from, to, t)) in model {
        if ty.is_some_and(|ty| ty != t) {
            continue;
        }
        if matches!(dir, Direction::Outgoing | Direction::Both) && *from == node {
            out.push((e, *to));
        }
        if matches!(dir, Direction::Incoming | Direction::Both) && *to == node {
            out.push((e, *from));
        }
    }
    out.sort();
    out
}

fn sorted(mut v: Vec<(EdgeId, NodeId)>) -> Vec<(EdgeId, NodeId)> {
    v.sort();
    v
}

fn assert_matches(g: &Graph, model: &Model, nodes: &[NodeId], step: &str) {
    let r = g.begin_read().unwrap();
    // Whole-graph degrees from one scan: every node with relationships, in id order.
    for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
        for types in [None, Some(&["A"][..]), Some(&["B", "Missing"][..])] {
            let mut want: BTreeMap<NodeId, (u64, u64)> = BTreeMap::new();
            for (from, to, t) in model.values() {
                if types.is_some_and(|ts| !ts.contains(&t.as_str())) {
                    continue;
                }
                let ends = match dir {
                    Direction::Outgoing => vec![*from],
                    Direction::Incoming => vec![*to],
                    Direction::Both => vec![*from, *to],
                };
                for n in ends {
                    let d = want.entry(n).or_default();
                    d.0 += 1;
                    d.1 += u64::from(from == to);
                }
            }
            let got: BTreeMap<NodeId, (u64, u64)> = r
                .degrees(dir, types)
                .unwrap()
                .into_iter()
                .map(|d| (d.node, (d.degree, d.self_loops)))
                .collect();
            assert_eq!(got, want, "{step}: degrees {dir:?} {types:?}");
            // The same handed out node by node, each node once, in id order.
            let incoming = match dir {
                Direction::Outgoing => false,
                Direction::Incoming => true,
                Direction::Both => continue,
            };
            let mut streamed: Vec<(NodeId, (u64, u64))> = Vec::new();
            r.for_each_degree(incoming, types, true, |d| {
                streamed.push((d.node, (d.degree, d.self_loops)));
            })
            .unwrap();
            assert!(streamed.windows(2).all(|w| w[0].0 < w[1].0), "{step}");
            let streamed: BTreeMap<NodeId, (u64, u64)> = streamed.into_iter().collect();
            assert_eq!(streamed, want, "{step}: for_each_degree {dir:?} {types:?}");
            // Without self-loops: from the degree trees (format 8), each node once, in order.
            let mut counted: Vec<(NodeId, u64)> = Vec::new();
            r.for_each_degree(incoming, types, false, |d| {
                assert_eq!(d.self_loops, 0, "{step}: self-loops not asked for");
                counted.push((d.node, d.degree));
            })
            .unwrap();
            assert!(counted.windows(2).all(|w| w[0].0 < w[1].0), "{step}");
            let want_counts: BTreeMap<NodeId, u64> =
                want.iter().map(|(&n, &(d, _))| (n, d)).collect();
            assert_eq!(
                counted.into_iter().collect::<BTreeMap<_, _>>(),
                want_counts,
                "{step}: degree counts {dir:?} {types:?}"
            );
        }
    }
    assert_walks(&r, model, step);
    assert_scans(&r, model, step);
    for &n in nodes {
        for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
            for ty in [None, Some("A"), Some("B")] {
                let got = r.neighbors(n, dir, ty).unwrap();
                if ty.is_some() && dir != Direction::Both {
                    // One type one way: in key order, by other end, then edge (the main
                    // tree's pairs and its delta's merged).
                    let keys: Vec<(NodeId, EdgeId)> = got.iter().map(|&(e, o)| (o, e)).collect();
                    assert!(keys.is_sorted(), "{step}: neighbors of {n} out of order");
                }
                let want = expected(model, n, dir, ty);
                assert_eq!(got.len() as u64, r.degree(n, dir, ty).unwrap());
                assert_eq!(sorted(got), want, "{step}: node {n} {dir:?} {ty:?}");
            }
        }
    }
}

/// The whole-graph scans that merge a main tree with its delta pair by pair: every
/// relationship in key order, and the snapshot (CSR) rows, against the model.
fn assert_scans(r: &pagegraph::ReadTxn, model: &Model, step: &str) {
    for incoming in [false, true] {
        let mut got: Vec<(NodeId, NodeId, EdgeId)> = Vec::new();
        r.for_each_relationship(incoming, None, |n, o, e| got.push((n, o, e)))
            .unwrap();
        assert!(
            got.windows(2).all(|w| w[0].0 <= w[1].0),
            "{step}: node order"
        );
        let mut want: Vec<(NodeId, NodeId, EdgeId)> = model
            .iter()
            .map(|(&e, (f, t, _))| if incoming { (*t, *f, e) } else { (*f, *t, e) })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{step}: relationships, incoming {incoming}");
    }
    for ty in [None, Some("A")] {
        let options = CsrOptions {
            edge_type: ty.map(str::to_string),
            weight_field: None,
        };
        let csr = Csr::build(r, &options, &mut |_| {}).unwrap();
        for i in 0..csr.node_count() as u32 {
            let node = csr.id(i);
            let row: Vec<(EdgeId, NodeId)> = csr
                .out_positions(i)
                .map(|p| {
                    (
                        csr.edge_id(p),
                        csr.id(csr.out(i)[p - csr.out_positions(i).start]),
                    )
                })
                .collect();
            if ty.is_some() {
                // One type: a row is in key order, by other end, then edge.
                let keys: Vec<(NodeId, EdgeId)> = row.iter().map(|&(e, o)| (o, e)).collect();
                assert!(keys.is_sorted(), "{step}: row of {node} out of order");
            }
            assert_eq!(
                sorted(row),
                expected(model, node, Direction::Outgoing, ty),
                "{step}: CSR row of {node} {ty:?}"
            );
        }
    }
}

/// Two-step walks, with and without self-loops, against the model's edge list.
fn assert_walks(r: &pagegraph::ReadTxn, model: &Model, step: &str) {
    // Two-step walks through the nodes with an even id: the sum of their first degrees
    // times their second degrees, from the model's edge list.
    let even = |n: NodeId| n.0.is_multiple_of(2);
    for (first_in, second_in) in [(true, false), (false, false), (true, true)] {
        for (t1, t2) in [(None, None), (Some(&["A"][..]), Some(&["B"][..]))] {
            let degree = |n: NodeId, incoming: bool, ts: Option<&[&str]>| -> (u64, u64) {
                let mut d = (0, 0);
                for (from, to, t) in model.values() {
                    let at = if incoming { to } else { from };
                    if *at == n && ts.is_none_or(|ts| ts.contains(&t.as_str())) {
                        d.0 += 1;
                        d.1 += u64::from(from == to);
                    }
                }
                d
            };
            let mut want = pagegraph::TwoStepWalks::default();
            let ends: std::collections::BTreeSet<NodeId> =
                model.values().flat_map(|(a, b, _)| [*a, *b]).collect();
            for &n in ends.iter().filter(|&&n| even(n)) {
                let (d1, loops) = degree(n, first_in, t1);
                want.first_steps += d1;
                want.first_self_loops += loops;
                want.walks += d1 * degree(n, second_in, t2).0;
            }
            let got = r
                .two_step_walks(first_in, t1, second_in, t2, true, &even)
                .unwrap();
            assert_eq!(
                got, want,
                "{step}: two-step walks {first_in} {second_in} {t1:?}"
            );
            // Without self-loops: both degrees from the degree trees.
            let got = r
                .two_step_walks(first_in, t1, second_in, t2, false, &even)
                .unwrap();
            let want = pagegraph::TwoStepWalks {
                first_self_loops: 0,
                ..want
            };
            assert_eq!(
                got, want,
                "{step}: two-step walks from counts {first_in} {second_in} {t1:?}"
            );
        }
    }
}

fn assert_tx_matches(tx: &WriteTxn, model: &Model, nodes: &[NodeId], rng: &mut fastrand::Rng) {
    for _ in 0..8 {
        let a = nodes[rng.usize(0..nodes.len())];
        let b = nodes[rng.usize(0..nodes.len())];
        let got = tx.neighbors(a, Direction::Outgoing, Some("A")).unwrap();
        assert_eq!(
            sorted(got),
            expected(model, a, Direction::Outgoing, Some("A"))
        );
        let between = tx.edges_between(a, b, "B").unwrap();
        let want: Vec<EdgeId> = model
            .iter()
            .filter(|(_, (f, t, ty))| *f == a && *t == b && ty == "B")
            .map(|(&e, _)| e)
            .collect();
        assert_eq!(between, want, "edges_between {a} {b}");
    }
}

/// One random run: `n` nodes, the first a hub that takes a share of every batch.
fn run(seed: u64, n: usize, steps: usize, deltas_seen: &mut bool) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let mut nodes = tx
        .insert_nodes((0..n).map(|i| NodeSpec {
            kind: "N".into(),
            name: format!("n{i}"),
            data: json!(null),
        }))
        .unwrap();
    tx.commit().unwrap();
    let mut model = Model::new();
    for step in 0..steps {
        let mut tx = g.begin_write().unwrap();
        for _ in 0..rng.usize(1..4) {
            match rng.u8(0..11) {
                // A batch: a mix of hub edges, parallel edges, self-loops and random ones.
                0..=5 => {
                    let size = [1, 2, 40, 300, 2000][rng.usize(0..5)];
                    let specs: Vec<EdgeSpec> = (0..size)
                        .map(|_| {
                            let pick = |rng: &mut fastrand::Rng| nodes[rng.usize(0..nodes.len())];
                            let from = if rng.u8(0..3) == 0 {
                                nodes[0]
                            } else {
                                pick(&mut rng)
                            };
                            let to = match rng.u8(0..6) {
                                0 => from,
                                1 => nodes[0],
                                _ => pick(&mut rng),
                            };
                            EdgeSpec {
                                from,
                                to,
                                edge_type: if rng.bool() { "A" } else { "B" }.into(),
                                data: json!(null),
                            }
                        })
                        .collect();
                    let ids = tx.insert_edges(specs.clone()).unwrap();
                    for (id, s) in ids.into_iter().zip(specs) {
                        model.insert(id, (s.from, s.to, s.edge_type));
                    }
                }
                // Single deletes, often of a hub's edges, emptying small chunks.
                6..=8 => {
                    for _ in 0..rng.usize(1..60) {
                        let Some((&e, _)) = model.iter().nth(rng.usize(0..model.len().max(1)))
                        else {
                            break;
                        };
                        tx.delete_edge(e).unwrap();
                        model.remove(&e);
                    }
                }
                // A whole node with its edges (never the hub), and a fresh one instead.
                9 => {
                    let at = rng.usize(1..nodes.len());
                    let victim = nodes[at];
                    tx.delete_node(victim).unwrap();
                    model.retain(|_, (f, t, _)| *f != victim && *t != victim);
                    nodes[at] = tx
                        .insert_node(NodeSpec {
                            kind: "N".into(),
                            name: format!("fresh{step}"),
                            data: json!(null),
                        })
                        .unwrap();
                }
                // The adjacency deltas merged into the main trees now, at a random point.
                _ => {
                    tx.merge_adjacency_deltas().unwrap();
                }
            }
            assert_tx_matches(&tx, &model, &nodes, &mut rng);
        }
        if rng.u8(0..8) == 0 {
            tx.abort();
            // The model follows the last commit: rebuild it from the graph's edges.
            let r = g.begin_read().unwrap();
            model = r
                .edges()
                .map(|e| {
                    let e = e.unwrap();
                    (e.id, (e.from, e.to, e.edge_type))
                })
                .collect();
            let live: Vec<NodeId> = r.nodes().map(|n| n.unwrap().id).collect();
            nodes = live;
            continue;
        }
        tx.commit().unwrap();
        assert_matches(&g, &model, &nodes, &format!("seed {seed} step {step}"));
        let trees = g.page_usage().unwrap();
        *deltas_seen |= trees
            .iter()
            .any(|t| t.name == "g.out.d" || t.name == "g.in.d");
    }
    let report = g.check().unwrap();
    assert!(report.is_clean(), "seed {seed}: {:?}", report.problems);
}

#[test]
fn chunks_follow_the_model_through_random_batches_and_deletes() {
    let seeds = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        40
    } else {
        4
    };
    let mut deltas_seen = false;
    for seed in 0..seeds {
        run(seed, [2, 5, 30][seed as usize % 3], 25, &mut deltas_seen);
    }
    assert!(deltas_seen, "no batch went to an adjacency delta");
}

#[test]
fn nodes_of_degree_zero_one_and_one_chunk_read_back() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let ids = tx
        .insert_nodes((0..200).map(|i| NodeSpec {
            kind: "N".into(),
            name: format!("n{i}"),
            data: json!(null),
        }))
        .unwrap();
    // Node 0: no edges; node 1: one; node 2: 40 (about one chunk); node 3: 199.
    let mut model = Model::new();
    for (src, degree) in [(1usize, 1usize), (2, 40), (3, 199)] {
        let specs: Vec<EdgeSpec> = (0..degree)
            .map(|k| EdgeSpec {
                from: ids[src],
                to: ids[(k * 7 + 1) % 200],
                edge_type: "A".into(),
                data: json!(null),
            })
            .collect();
        for (id, s) in tx
            .insert_edges(specs.clone())
            .unwrap()
            .into_iter()
            .zip(specs)
        {
            model.insert(id, (s.from, s.to, s.edge_type));
        }
    }
    tx.commit().unwrap();
    assert_matches(&g, &model, &ids[..4], "built");
    // Delete node 3's edges one by one, from the middle out: chunks shrink, then vanish.
    let mut tx = g.begin_write().unwrap();
    let mut out = tx.neighbors(ids[3], Direction::Outgoing, None).unwrap();
    out.sort();
    let mid = out.len() / 2;
    for k in 0..out.len() {
        let at = if k % 2 == 0 {
            mid + k / 2
        } else {
            mid - 1 - k / 2
        };
        let (e, _) = out[at.min(out.len() - 1)];
        if model.remove(&e).is_some() {
            tx.delete_edge(e).unwrap();
        }
    }
    tx.commit().unwrap();
    assert_matches(&g, &model, &ids[..4], "thinned");
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn a_node_of_degree_one_million_when_stressed() {
    if std::env::var_os("PAGEGRAPH_STRESS").is_none() {
        return;
    }
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let ids = tx
        .insert_nodes((0..1000).map(|i| NodeSpec {
            kind: "N".into(),
            name: format!("n{i}"),
            data: json!(null),
        }))
        .unwrap();
    let specs = (0..1_000_000).map(|k| EdgeSpec {
        from: ids[0],
        to: ids[k % 1000],
        edge_type: "A".into(),
        data: json!(null),
    });
    tx.insert_edges(specs).unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(
        r.degree(ids[0], Direction::Outgoing, None).unwrap(),
        1_000_000
    );
    assert_eq!(
        r.degree(ids[7], Direction::Incoming, Some("A")).unwrap(),
        1000
    );
    let out = r.neighbors(ids[0], Direction::Outgoing, None).unwrap();
    drop(r);
    // Every 1000th edge goes, in one transaction, then one more batch lands.
    let mut tx = g.begin_write().unwrap();
    for (e, _) in out.iter().step_by(1000) {
        tx.delete_edge(*e).unwrap();
    }
    tx.insert_edges((0..5000).map(|k| EdgeSpec {
        from: ids[0],
        to: ids[(k * 3) % 1000],
        edge_type: "A".into(),
        data: json!(null),
    }))
    .unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(
        r.degree(ids[0], Direction::Outgoing, None).unwrap(),
        1_000_000 - 1000 + 5000
    );
    drop(r);
    assert!(g.check().unwrap().is_clean());
}
