//! `MATCH <pattern> RETURN count(*)` is answered by counting walks level by level for
//! patterns of one or two directed steps (`count.rs`); here every such pattern shape, on
//! random graphs with self-loops, parallel relationships, two types and overlapping
//! labels, gives the count that enumerating the matches gives (`count(1)` enumerates: it
//! is not `count(*)`), whether it counts by two scans of the adjacency (large or no label
//! sets at the start) or level by level (small ones: half the seeds add many unlabelled
//! nodes). Relationship uniqueness is the subtle part: a walk back over the
//! same relationship, or twice round a self-loop, is not a match. Also: `shortestPath`,
//! searched from both ends, against `allShortestPaths`, searched from one.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::{Value, execute};

fn one(g: &Graph, text: &str) -> Value {
    let r = execute(g, text, &BTreeMap::new()).unwrap_or_else(|e| panic!("{text}: {e}"));
    r.rows[0][0].clone()
}

/// The random graph of the count tests: 30 nodes over labels A, B, A:B and C (property
/// `i`), 90 relationships of types R and S with self-loops and parallel ones, and, when
/// `unlabelled`, 150 nodes without labels beside them.
fn random_graph(rng: &mut fastrand::Rng, unlabelled: bool) -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut parts = Vec::new();
    for i in 0..30 {
        let label = ["A", "B", "A:B", "C"][rng.usize(0..4)];
        parts.push(format!("(n{i}:{label} {{i: {i}}})"));
    }
    if unlabelled {
        parts.extend((0..150).map(|_| "()".to_string()));
    }
    for _ in 0..90 {
        let a = rng.usize(0..30);
        // Some self-loops and parallel relationships.
        let b = if rng.u8(0..8) == 0 {
            a
        } else {
            rng.usize(0..30)
        };
        let t = ["R", "S"][rng.usize(0..2)];
        parts.push(format!("(n{a})-[:{t}]->(n{b})"));
    }
    execute(
        &g,
        &format!("CREATE {}", parts.join(", ")),
        &BTreeMap::new(),
    )
    .unwrap();
    g
}

#[test]
fn counted_matches_equal_enumerated_matches() {
    for seed in 0..4u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        // With many unlabelled nodes beside them, every label set is under a quarter of
        // the nodes: counted level by level; else mostly by scans of the adjacency.
        let g = random_graph(&mut rng, seed % 2 == 1);
        // A label every node has: counted from the adjacency alone, as if unlabelled,
        // once the graph's count of it shows it is everyone's.
        execute(&g, "MATCH (n) SET n:U", &BTreeMap::new()).unwrap();
        let nodes = ["()", "(:A)", "(:B)", "(x:A:B)", "(:C)", "(:U)"];
        let rels = ["-[:R]->", "<-[:R]-", "-[:S]->", "<-[r:R|S]-", "-->", "<--"];
        for _ in 0..60 {
            let mut pattern = nodes[rng.usize(0..nodes.len())].replace('x', "a");
            let steps = rng.usize(1..=2);
            for k in 0..steps {
                let node = nodes[rng.usize(0..nodes.len())].replace('x', &format!("n{k}"));
                let rel = rels[rng.usize(0..rels.len())].replace("r:", &format!("r{k}:"));
                pattern.push_str(&rel);
                pattern.push_str(&node);
            }
            let counted = one(&g, &format!("MATCH {pattern} RETURN count(*)"));
            let enumerated = one(&g, &format!("MATCH {pattern} RETURN count(1)"));
            assert_eq!(counted, enumerated, "seed {seed}: {pattern}");
        }
        // Every unlabelled shape: counted from the graph's degrees in two scans.
        for r1 in rels {
            assert_eq!(
                one(&g, &format!("MATCH (){r1}() RETURN count(*)")),
                one(&g, &format!("MATCH (){r1}() RETURN count(1)")),
                "seed {seed}: (){r1}()"
            );
            for r2 in rels {
                let r2 = r2.replace("r:", "r2:");
                let pattern = format!("(){r1}(){r2}()");
                let counted = one(&g, &format!("MATCH {pattern} RETURN count(*)"));
                let enumerated = one(&g, &format!("MATCH {pattern} RETURN count(1)"));
                assert_eq!(counted, enumerated, "seed {seed}: {pattern}");
            }
        }
        // The count stands for every input row, and is 0 where nothing matches.
        assert_eq!(
            one(
                &g,
                "UNWIND [1, 2, 3] AS x MATCH (:A)-[:R]->()-[:R]->() RETURN count(*)"
            ),
            one(
                &g,
                "UNWIND [1, 2, 3] AS x MATCH (:A)-[:R]->()-[:R]->() RETURN count(1)"
            ),
        );
        assert_eq!(
            one(&g, "MATCH (:Missing)-->() RETURN count(*)"),
            Value::Int(0)
        );
    }
}

/// `MATCH <one step> RETURN <keys on one end>, count(*)` is counted per node of that end
/// from one scan of the adjacency (`count::counts_by`); here it gives the groups and counts
/// that enumerating gives (`count(1)` enumerates), for keys that are the node, a property
/// of it, or both, through `WITH` with a filter, order and limit too.
#[test]
fn grouped_counts_equal_enumerated_groups() {
    for seed in 0..4u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = random_graph(&mut rng, false);
        let nodes = ["()", "(:A)", "(:B)", "(:A:B)", "(:C)"];
        let rels = ["-[:R]->", "<-[:R]-", "-[:S]->", "<-[r:R|S]-", "-->", "<--"];
        let rows = |text: &str| {
            let mut r = execute(&g, text, &BTreeMap::new())
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .rows;
            r.sort_by_key(|row| format!("{row:?}"));
            r
        };
        for _ in 0..40 {
            let start = nodes[rng.usize(0..nodes.len())]
                .replace("(x", "(")
                .replace('(', "(a");
            let end = nodes[rng.usize(0..nodes.len())]
                .replace("(x", "(")
                .replace('(', "(b");
            let rel = rels[rng.usize(0..rels.len())];
            let pattern = format!("{start}{rel}{end}");
            let v = ["a", "b"][rng.usize(0..2)];
            for keys in [
                format!("{v}.i AS k"),
                v.to_string(),
                format!("{v}, {v}.i % 3 AS k"),
            ] {
                let counted = rows(&format!("MATCH {pattern} RETURN {keys}, count(*) AS c"));
                let enumerated = rows(&format!("MATCH {pattern} RETURN {keys}, count(1) AS c"));
                assert_eq!(counted, enumerated, "seed {seed}: {pattern} by {keys}");
            }
            // Through a WITH, ordered and cut.
            let text = format!(
                "MATCH {pattern} WITH {v}.i AS k, count(*) AS c WHERE c > 1 \
                 RETURN k, c ORDER BY c DESC, k LIMIT 5"
            );
            let counted = rows(&text);
            let enumerated = rows(&text.replace("count(*)", "count(1)"));
            assert_eq!(counted, enumerated, "seed {seed}: {text}");
        }
    }
}

/// `shortestPath` searches from both ends; its length must be the one a search from one
/// end finds (`allShortestPaths` searches from one end), and its path must be a path of
/// the graph from the start to the end.
#[test]
fn shortest_paths_from_both_ends_are_shortest() {
    for seed in 0..4u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = Graph::in_memory().unwrap();
        let mut parts = Vec::new();
        for i in 0..60 {
            parts.push(format!("(n{i}:N {{i: {i}}})"));
        }
        for _ in 0..100 {
            let (a, b) = (rng.usize(0..60), rng.usize(0..60));
            parts.push(format!("(n{a})-[:R]->(n{b})"));
        }
        execute(
            &g,
            &format!("CREATE {}", parts.join(", ")),
            &BTreeMap::new(),
        )
        .unwrap();
        for _ in 0..40 {
            let (a, b) = (rng.usize(0..60), rng.usize(0..60));
            if a == b {
                continue;
            }
            for arrow in ["-[:R*]->", "-[:R*]-", "<-[:R*..4]-"] {
                let one = execute(
                    &g,
                    &format!(
                        "MATCH p = shortestPath((a:N {{i: {a}}}){arrow}(b:N {{i: {b}}})) \
                         RETURN length(p), [n IN nodes(p) | n.i]"
                    ),
                    &BTreeMap::new(),
                )
                .unwrap()
                .rows;
                let all = execute(
                    &g,
                    &format!(
                        "MATCH p = allShortestPaths((a:N {{i: {a}}}){arrow}(b:N {{i: {b}}})) \
                         RETURN length(p), [n IN nodes(p) | n.i]"
                    ),
                    &BTreeMap::new(),
                )
                .unwrap()
                .rows;
                assert_eq!(one.len(), usize::from(!all.is_empty()), "{a} {arrow} {b}");
                if let Some(row) = one.first() {
                    assert_eq!(row[0], all[0][0], "{a} {arrow} {b}");
                    // Its nodes are one of the shortest paths.
                    assert!(
                        all.iter().any(|r| r[1] == row[1]),
                        "{a} {arrow} {b}: {row:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn node_counts_from_the_label_counts_equal_enumerated_nodes() {
    for seed in 0..3u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = random_graph(&mut rng, seed == 1);
        let none = BTreeMap::new();
        let patterns = [
            "(n)",
            "(n:A)",
            "(n:B)",
            "(n:A:B)",
            "(n:C)",
            "(n:Missing)",
            "()",
        ];
        let check = |when: &str| {
            for p in patterns {
                assert_eq!(
                    one(&g, &format!("MATCH {p} RETURN count(*)")),
                    one(&g, &format!("MATCH {p} RETURN count(1)")),
                    "seed {seed}, {when}: {p}"
                );
            }
        };
        check("as created");
        // Labels added and removed, nodes deleted: the kept counts follow.
        execute(
            &g,
            "MATCH (n:A) WHERE n.i % 3 = 0 REMOVE n:A SET n:C",
            &none,
        )
        .unwrap();
        execute(&g, "MATCH (n:B) WHERE n.i % 4 = 1 DETACH DELETE n", &none).unwrap();
        execute(&g, "MATCH (n:C) WHERE n.i % 5 = 2 SET n:B", &none).unwrap();
        check("after writes");
        // Inside a write transaction the count sees the transaction's own writes.
        let mut tx = g.begin_write().unwrap();
        pagegraph_query::run_write("CREATE (:A), (:A:B)", &none, &mut tx).unwrap();
        let counted = pagegraph_query::run_write("MATCH (n:A) RETURN count(*)", &none, &mut tx)
            .unwrap()
            .rows;
        let enumerated = pagegraph_query::run_write("MATCH (n:A) RETURN count(1)", &none, &mut tx)
            .unwrap()
            .rows;
        assert_eq!(counted, enumerated, "seed {seed}, in a transaction");
    }
}
