//! `MATCH (a:A)-[e:R]->(b:B) RETURN a.x, e.w, b.y`: answered from one scan of the
//! relationship records (`scan_rel.rs`; on several threads, which debug builds use on small
//! graphs too) where the row path would look up each match. Every answer must hold the
//! same rows as the row path's, which the same query takes with `WHERE true` added (the
//! scan takes no `WHERE`): rows may come in another order (Cypher leaves it open without
//! `ORDER BY`), so rows are compared as multisets, `ORDER BY` keys in order, and a `LIMIT`
//! by how many rows and that each is a match.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pagegraph::{EdgeSpec, Graph, NodeId};
use pagegraph_query::{QueryOptions, QueryResult, Result, Value, execute_prepared};
use serde_json::json;

fn run(g: &Graph, text: &str) -> Result<QueryResult> {
    run_with(g, text, false, None)
}

fn run_with(
    g: &Graph,
    text: &str,
    columnar: bool,
    memory_limit: Option<usize>,
) -> Result<QueryResult> {
    let statement = pagegraph_query::StatementCache::default().prepare(text)?;
    let options = QueryOptions {
        cancel: None,
        memory_limit,
        columnar,
        ..Default::default()
    };
    execute_prepared(g, &statement, &BTreeMap::new(), &options, |r, _| Ok(r))
}

/// A result's rows, from its rows or its columns.
fn rows_of(mut r: QueryResult) -> Vec<Vec<Value>> {
    let n = r.len();
    let columns = r.take_columns();
    (0..n)
        .map(|i| columns.iter().map(|c| c.get(i).unwrap()).collect())
        .collect()
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Nodes under `A`, `B`, both or neither (and `C`, on every 50th node: ids far apart),
/// some deleted again; relationships of types `R`, `S` and `T` between random nodes,
/// self-loops included, with every kind of property value, some missing, some without
/// data at all.
fn graph(nodes: usize, rels: usize, seed: u64) -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut rng = Rng(seed);
    let mut script = String::new();
    for i in 0..nodes {
        let mut labels = [":A", ":B", ":A:B", ""][rng.below(4) as usize].to_string();
        if i % 50 == 7 {
            labels.push_str(":C");
        }
        let mut props = vec![format!("x: {i}")];
        if rng.below(4) > 0 {
            props.push(format!("y: 'y{}'", rng.below(30)));
        }
        if rng.below(6) == 0 {
            props.push(format!("name: 'n{}'", rng.below(5)));
        }
        writeln!(script, "CREATE (n{i}{labels} {{{}}})", props.join(", ")).unwrap();
        if i % 200 == 199 || i + 1 == nodes {
            run(&g, &script).unwrap();
            script.clear();
        }
    }
    if nodes > 0 {
        run(&g, "MATCH (n) WHERE n.x % 11 = 3 DETACH DELETE n").unwrap();
    }
    let ids: Vec<NodeId> = {
        let r = g.begin_read().unwrap();
        r.node_ids().collect::<pagegraph::Result<_>>().unwrap()
    };
    if ids.is_empty() {
        return g;
    }
    let mut tx = g.begin_write().unwrap();
    for i in 0..rels {
        let from = ids[rng.below(ids.len() as u64) as usize];
        let to = if rng.below(20) == 0 {
            from
        } else {
            ids[rng.below(ids.len() as u64) as usize]
        };
        let edge_type = ["R", "S", "T"][rng.below(3) as usize].to_string();
        let mut data = match rng.below(8) {
            0 if edge_type == "S" => serde_json::Value::Null,
            1 => json!({"w": i, "s": format!("s{}", rng.below(9)), "l": [1, "x"]}),
            2 => json!({"k": null, "w": f64::from(u32::try_from(i).unwrap()) / 4.0}),
            3 => json!({"s": format!("long string {} {}", "z".repeat(40), rng.below(3))}),
            _ => {
                json!({"w": f64::from(u32::try_from(rng.below(1000)).unwrap()) / 8.0, "k": rng.below(4)})
            }
        };
        // Every relationship of types R and T has a float `f` and a boolean `t`.
        if let Some(map) = data.as_object_mut() {
            map.insert(
                "f".into(),
                json!(f64::from(u32::try_from(i).unwrap()) + 0.5),
            );
            map.insert("t".into(), json!(i % 3 == 0));
        }
        tx.insert_edge(EdgeSpec {
            from,
            to,
            edge_type,
            data,
        })
        .unwrap();
    }
    tx.commit().unwrap();
    g
}

/// The query with `WHERE true` before its `RETURN` or `WITH`: the same matches, through
/// the row path.
fn row_path(text: &str) -> String {
    let at = [" RETURN ", " WITH "]
        .iter()
        .filter_map(|c| text.find(c))
        .min()
        .unwrap();
    format!("{} WHERE true{}", &text[..at], &text[at..])
}

fn sorted(rows: &[Vec<Value>]) -> Vec<String> {
    let mut out: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
    out.sort();
    out
}

const SAME_ROWS: [&str; 13] = [
    "MATCH (a:A)-[e:R]->(b:B) RETURN a.x, e.w, b.y",
    "MATCH (a)<-[e:R]-(b:A) RETURN a.name AS n, e.w AS w, e.k AS k, b.x",
    "MATCH (a:A)-[e:R|S]->(b:A) RETURN b.x, a.x, e.s",
    "MATCH (a)-[e]->(b) RETURN e.w, e.l, e.k, e.s",
    "MATCH (a:C)-[e:T]->(b) RETURN a.x, b.x, e.w",
    "MATCH (a)-[:S]->(b:C) RETURN a.y, b.x",
    "MATCH (:B)-[e:S]->(:B) RETURN e.w",
    "MATCH (a:B)-[e:Missing]->(b) RETURN a.x, e.w",
    "MATCH (a:Missing)-[e:R]->(b) RETURN a.x, e.w",
    "MATCH (a:A)-[e:T]->(b) RETURN DISTINCT a.y, e.k",
    "MATCH (a)-[e:R]->(b:B) RETURN b.name AS name, b.name AS again, e.w",
    "MATCH (a:A)-[e:S]->(b) WITH a.x AS x, e.w AS w RETURN x, w",
    "MATCH (a)-[e:R|T]->(b) RETURN e.f, e.t, a.x",
];

#[test]
fn scan_rows_are_the_row_paths() {
    for (nodes, rels, seed) in [(0, 0, 1), (6, 3, 2), (40, 200, 3), (900, 4000, 4)] {
        let g = graph(nodes, rels, seed);
        for q in SAME_ROWS {
            let scan = run(&g, q).unwrap();
            let rows = run(&g, &row_path(q)).unwrap();
            assert_eq!(scan.columns, rows.columns, "{q}");
            assert_eq!(sorted(&scan.rows), sorted(&rows.rows), "{nodes} nodes: {q}");
        }
    }
}

/// Made by columns (`QueryOptions::columnar`, as the Python package asks), the same rows.
#[test]
fn columns_hold_the_row_paths_rows() {
    let mut by_columns = 0;
    for (nodes, rels, seed) in [(0, 0, 1), (6, 3, 2), (40, 200, 3), (900, 4000, 4)] {
        let g = graph(nodes, rels, seed);
        for q in SAME_ROWS {
            let columns = run_with(&g, q, true, None).unwrap();
            by_columns += usize::from(columns.table.is_some());
            assert!(columns.rows.is_empty() || columns.table.is_none());
            let rows = run(&g, &row_path(q)).unwrap();
            assert_eq!(columns.columns, rows.columns, "{q}");
            assert_eq!(
                sorted(&rows_of(columns)),
                sorted(&rows.rows),
                "{nodes} nodes: {q}"
            );
        }
        // Sorted, paged or distinct rows, and rows through a WITH, come as rows.
        for q in [
            "MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w ORDER BY a.x",
            "MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w LIMIT 5",
            "MATCH (a:A)-[e:T]->(b) RETURN DISTINCT a.y",
            "MATCH (a:A)-[e:R]->(b) RETURN a.x UNION ALL MATCH (a:B)-[e:R]->(b) RETURN a.x",
        ] {
            let r = run_with(&g, q, true, None).unwrap();
            assert!(r.table.is_none(), "{q}");
            assert_eq!(r.rows, run(&g, q).unwrap().rows, "{q}");
        }
    }
    assert!(by_columns >= 20, "{by_columns}");
    // Numbers and booleans come as machine arrays.
    let g = graph(300, 1000, 8);
    let mut r = run_with(&g, "MATCH (a)-[e:R]->(b) RETURN e.f, e.t, a.x", true, None).unwrap();
    let columns = r.take_columns();
    assert!(matches!(columns[0], pagegraph_query::Column::Float(_)));
    assert!(matches!(columns[1], pagegraph_query::Column::Bool(_)));
    assert!(matches!(columns[2], pagegraph_query::Column::Int(_)));
}

/// The columns count against the memory limit: a result too large for it fails with the
/// limit's error, as the row path's does.
#[test]
fn columns_keep_to_the_memory_limit() {
    let g = graph(500, 3000, 9);
    let q = "MATCH (a)-[e]->(b) RETURN a.y, e.s, b.y";
    let small = Some(20_000);
    for columnar in [false, true] {
        match run_with(&g, q, columnar, small) {
            Err(pagegraph_query::QueryError::MemoryLimit { .. }) => {}
            other => panic!("columnar {columnar}: {other:?}"),
        }
    }
    let whole = run_with(&g, q, true, None).unwrap();
    assert_eq!(whole.len(), 3000);
}

/// Labels whose nodes are a run of ids (made together) are read by offset: the same rows,
/// also once a node in the middle is gone.
#[test]
fn labels_made_together_answer_the_same() {
    let g = Graph::in_memory().unwrap();
    run(&g, "UNWIND range(0, 299) AS i CREATE (:P {x: i})").unwrap();
    run(&g, "UNWIND range(0, 99) AS i CREATE (:Q {x: 1000 + i})").unwrap();
    run(
        &g,
        "MATCH (p:P), (q:Q) WHERE (p.x * 7 + q.x) % 23 = 0 \
         CREATE (p)-[:R {w: p.x * 0.5}]->(q), (q)-[:R {w: 1}]->(p), (p)-[:S]->(p)",
    )
    .unwrap();
    for delete in [None, Some("MATCH (p:P {x: 150}) DETACH DELETE p")] {
        if let Some(d) = delete {
            run(&g, d).unwrap();
        }
        for q in [
            "MATCH (a:P)-[e:R]->(b:Q) RETURN a.x, b.x, e.w",
            "MATCH (a:Q)-[e:R]->(b:P) RETURN a.x, b.x, e.w",
            "MATCH (a)-[e]->(b:P) RETURN a.x, b.x, e.w",
            "MATCH (a:P)-[e:S]->(b:P) RETURN a.x, b.x",
        ] {
            for columnar in [false, true] {
                let fast = rows_of(run_with(&g, q, columnar, None).unwrap());
                let rows = run(&g, &row_path(q)).unwrap();
                assert!(!rows.rows.is_empty(), "{q}");
                assert_eq!(sorted(&fast), sorted(&rows.rows), "{delete:?} {q}");
            }
        }
    }
}

/// Counted here from the relationships and nodes read one by one through the graph API.
#[test]
fn scan_rows_are_those_counted_here() {
    let g = graph(700, 3000, 7);
    let snap = g.begin_read().unwrap();
    let labels = |id: NodeId| snap.node_labels(id).unwrap().unwrap();
    let mut want: Vec<String> = Vec::new();
    for edge in snap.edges() {
        let edge = edge.unwrap();
        if edge.edge_type != "R" || !labels(edge.from).contains(&"A".to_string()) {
            continue;
        }
        let x = snap.node_property(edge.from, "x").unwrap().unwrap();
        let w = edge
            .data
            .get("w")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        want.push(format!("{x:?} {w}"));
    }
    want.sort();
    let got = run(&g, "MATCH (a:A)-[e:R]->() RETURN a.x, e.w").unwrap();
    let mut got: Vec<String> = got
        .rows
        .iter()
        .map(|row| {
            let x = match &row[0] {
                Value::Int(x) => pagegraph::PropertyValue::Int(*x),
                other => panic!("{other:?}"),
            };
            let w = match &row[1] {
                Value::Null => "null".to_string(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => serde_json::Value::from(*f).to_string(),
                other => panic!("{other:?}"),
            };
            format!("{x:?} {w}")
        })
        .collect();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn limits_skips_and_orders_keep_the_row_paths_rows() {
    let g = graph(600, 2500, 5);
    let all = run(&g, "MATCH (a:A)-[e:R]->(b) WHERE true RETURN a.x, e.w").unwrap();
    let all = sorted(&all.rows);
    for (q, n) in [
        ("MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w LIMIT 7", 7),
        ("MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w SKIP 5 LIMIT 3", 3),
        ("MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w LIMIT 0", 0),
    ] {
        let got = run(&g, q).unwrap();
        assert_eq!(got.rows.len(), n, "{q}");
        for row in sorted(&got.rows) {
            assert!(all.binary_search(&row).is_ok(), "{q}: {row}");
        }
    }
    let skipped = run(&g, "MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w SKIP 10").unwrap();
    assert_eq!(skipped.rows.len(), all.len() - 10);
    for q in [
        "MATCH (a:A)-[e:R]->(b) RETURN a.x AS x, e.w AS w ORDER BY w DESC, x",
        "MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w ORDER BY e.w, a.x LIMIT 20",
        "MATCH (a:A)-[e:R]->(b) RETURN a.y AS y, e.w ORDER BY y SKIP 3 LIMIT 50",
    ] {
        let scan = run(&g, q).unwrap();
        let rows = run(&g, &row_path(q)).unwrap();
        // Ties may come in another order: the keys must be in the same order, and with
        // unique keys (`w, x`) the rows are the same.
        assert_eq!(scan.rows.len(), rows.rows.len(), "{q}");
        if q.contains("LIMIT") && q.contains("ORDER BY y") {
            let keys =
                |r: &QueryResult| r.rows.iter().map(|row| row[0].clone()).collect::<Vec<_>>();
            assert_eq!(keys(&scan), keys(&rows), "{q}");
        } else {
            assert_eq!(scan.rows, rows.rows, "{q}");
        }
    }
}

/// The scan is a read-only plan: in a writing query the row path answers, with the same
/// rows.
#[test]
fn writing_queries_answer_the_same() {
    let g = graph(300, 900, 6);
    let q = "MATCH (a:A)-[e:S]->(b:B) RETURN a.x, e.w, b.y";
    let read = run(&g, q).unwrap();
    let written = run(
        &g,
        "MATCH (a:A)-[e:S]->(b:B) SET e.seen = true RETURN a.x, e.w, b.y",
    )
    .unwrap();
    assert_eq!(sorted(&read.rows), sorted(&written.rows));
}

/// Streamed (as the CLI takes results), rows leave the scan as it reads them, with
/// `columnar` asked for or not: the same rows, and a `LIMIT` stops the scan.
#[test]
fn streamed_rows_are_the_row_paths() {
    struct Collect(Vec<Vec<Value>>);
    impl pagegraph_query::RowSink for Collect {
        fn columns(
            &mut self,
            _: &[String],
            _: &dyn pagegraph_query::eval::GraphRead,
        ) -> Result<()> {
            Ok(())
        }
        fn row(&mut self, row: Vec<Value>, _: &dyn pagegraph_query::eval::GraphRead) -> Result<()> {
            self.0.push(row);
            Ok(())
        }
    }
    let g = graph(500, 3000, 10);
    for (q, limit) in [
        ("MATCH (a:A)-[e:R]->(b) RETURN a.x, e.w, b.y", None),
        ("MATCH (a)-[e:T]->(b:B) RETURN e.f, b.x LIMIT 9", Some(9)),
    ] {
        for columnar in [false, true] {
            let statement = pagegraph_query::StatementCache::default()
                .prepare(q)
                .unwrap();
            let options = QueryOptions {
                cancel: None,
                memory_limit: None,
                columnar,
                ..Default::default()
            };
            let mut sink = Collect(Vec::new());
            pagegraph_query::execute_streaming(
                &g,
                &statement,
                &BTreeMap::new(),
                &options,
                &mut sink,
            )
            .unwrap();
            let all = run(&g, &row_path(q.split(" LIMIT").next().unwrap())).unwrap();
            match limit {
                None => assert_eq!(sorted(&sink.0), sorted(&all.rows), "{q}"),
                Some(n) => {
                    assert_eq!(sink.0.len(), n, "{q}");
                    let all = sorted(&all.rows);
                    for row in sorted(&sink.0) {
                        assert!(all.binary_search(&row).is_ok(), "{q}: {row}");
                    }
                }
            }
        }
    }
}
