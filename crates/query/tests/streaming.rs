//! `execute_streaming`: the same columns and rows as a collected run for every kind of
//! statement, rows handed out while the match goes on (so a result larger than the memory
//! limit passes through), and a sink's error stopping the statement with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::eval::GraphRead;
use pagegraph_query::{
    Cancel, QueryError, QueryOptions, QueryResult, Result, RowSink, StatementCache, Value,
    execute_prepared, execute_streaming,
};

/// Collects what it is handed; fails or cancels after `stop_after` rows when asked to.
#[derive(Default)]
struct Collect {
    columns: Option<Vec<String>>,
    rows: Vec<Vec<Value>>,
    stop_after: Option<usize>,
    cancel: Option<Cancel>,
}

impl RowSink for Collect {
    fn columns(&mut self, columns: &[String], _: &dyn GraphRead) -> Result<()> {
        assert!(self.columns.is_none(), "columns twice");
        self.columns = Some(columns.to_vec());
        Ok(())
    }

    fn row(&mut self, row: Vec<Value>, graph: &dyn GraphRead) -> Result<()> {
        assert!(self.columns.is_some(), "a row before the columns");
        // Nodes the row names can be read where the statement runs.
        for v in &row {
            if let Value::Node(id) = v {
                assert!(graph.node(*id)?.is_some());
            }
        }
        self.rows.push(row);
        if self.stop_after.is_some_and(|n| self.rows.len() >= n) {
            match &self.cancel {
                Some(c) => c.cancel(),
                None => return Err(QueryError::Sink("the sink is full".into())),
            }
        }
        Ok(())
    }
}

fn graph() -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    pagegraph_query::run_write(
        "UNWIND range(1, 300) AS i CREATE (:P {i: i, g: i % 7})-[:R {w: i}]->(:Q {i: i})",
        &BTreeMap::new(),
        &mut tx,
    )
    .unwrap();
    tx.commit().unwrap();
    g
}

fn collected(g: &Graph, text: &str, limit: Option<usize>) -> Result<QueryResult> {
    let s = StatementCache::default().prepare(text)?;
    let options = QueryOptions {
        memory_limit: limit,
        ..QueryOptions::default()
    };
    execute_prepared(g, &s, &BTreeMap::new(), &options, |r, _| Ok(r))
}

fn streamed(g: &Graph, text: &str, sink: &mut Collect, options: &QueryOptions) -> Result<()> {
    let s = StatementCache::default().prepare(text)?;
    execute_streaming(g, &s, &BTreeMap::new(), options, sink).map(|_| ())
}

#[test]
fn streamed_results_equal_collected_results() {
    let queries = [
        "MATCH (p:P) RETURN p.i AS i, p",
        "MATCH (p:P)-[r:R]->(q) WHERE p.g = 3 RETURN q.i, r.w SKIP 5 LIMIT 7",
        "MATCH (p:P) RETURN DISTINCT p.g AS g",
        "MATCH (p:P) RETURN p.g AS g, count(*) AS n, sum(p.i) AS s ORDER BY g",
        "MATCH (p:P) RETURN p.i ORDER BY p.i DESC LIMIT 4",
        "MATCH (p:P) WITH p WHERE p.i < 20 MATCH (p)-->(q) RETURN q.i",
        "MATCH (p:P) RETURN count(*)",
        "MATCH (p:P) WHERE p.i < 3 RETURN p.i UNION MATCH (q:Q) WHERE q.i < 5 RETURN q.i AS `p.i`",
        "UNWIND [3, 1, 2] AS x RETURN x",
        "RETURN 1 AS one",
        "MATCH (p:P) WHERE p.i > 1000 RETURN p",
        "EXPLAIN MATCH (p:P) RETURN p",
        "CALL db.labels()",
        "MATCH (p:P) RETURN p.i LIMIT 0",
    ];
    let g = graph();
    for q in queries {
        let want = collected(&g, q, None).unwrap();
        let mut got = Collect::default();
        streamed(&g, q, &mut got, &QueryOptions::default()).unwrap();
        assert_eq!(got.columns.as_ref(), Some(&want.columns), "{q}");
        assert_eq!(got.rows, want.rows, "{q}");
    }
    // A write: rows after it ran, its writes visible to the sink, then committed.
    let mut got = Collect::default();
    streamed(
        &g,
        "MATCH (p:P) WHERE p.i <= 2 CREATE (p)-[:NEW]->(n:N {i: p.i}) RETURN n ORDER BY n.i",
        &mut got,
        &QueryOptions::default(),
    )
    .unwrap();
    assert_eq!(got.rows.len(), 2);
    let n = collected(&g, "MATCH ()-[:NEW]->(n:N) RETURN count(*)", None).unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(2)]]);
}

/// Rows reach the sink while the match goes on: a result far larger than the memory limit
/// streams through it, and a cancel from the sink's first row stops the scan.
#[test]
fn rows_are_handed_out_as_they_are_produced() {
    let g = graph();
    let q = "UNWIND range(1, 200) AS k MATCH (p:P) RETURN k, p.i, p";
    let options = QueryOptions {
        memory_limit: Some(1 << 20),
        ..QueryOptions::default()
    };
    let err = collected(&g, q, Some(1 << 20)).unwrap_err();
    assert!(matches!(err, QueryError::MemoryLimit { .. }), "{err}");
    let mut all = Collect::default();
    streamed(&g, q, &mut all, &options).unwrap();
    assert_eq!(all.rows.len(), 200 * 300);
    let cancel = Cancel::new();
    let mut first = Collect {
        stop_after: Some(1),
        cancel: Some(cancel.clone()),
        ..Collect::default()
    };
    let options = QueryOptions {
        cancel: Some(cancel),
        memory_limit: None,
        columnar: false,
        ..QueryOptions::default()
    };
    let err = streamed(&g, q, &mut first, &options).unwrap_err();
    assert!(matches!(err, QueryError::Cancelled), "{err}");
    assert!(
        first.rows.len() < 10,
        "{} rows before the cancel",
        first.rows.len()
    );
}

/// An error from the sink ends the statement with it; a write is then discarded.
#[test]
fn a_sink_error_stops_the_statement_and_discards_its_write() {
    let g = graph();
    let mut sink = Collect {
        stop_after: Some(3),
        ..Collect::default()
    };
    let err = streamed(
        &g,
        "MATCH (p:P) RETURN p.i",
        &mut sink,
        &QueryOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("the sink is full"), "{err}");
    assert_eq!(sink.rows.len(), 3);
    let mut sink = Collect {
        stop_after: Some(1),
        ..Collect::default()
    };
    let err = streamed(
        &g,
        "UNWIND range(1, 10) AS i CREATE (n:Gone {i: i}) RETURN n",
        &mut sink,
        &QueryOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("the sink is full"), "{err}");
    let n = collected(&g, "MATCH (n:Gone) RETURN count(*)", None).unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(0)]]);
}
