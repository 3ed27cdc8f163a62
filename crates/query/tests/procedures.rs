//! Procedures an application registers, called from Cypher: answers computed by hand on a
//! small graph, every check a signature makes before and while a query runs, and the
//! registry's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::sync::Arc;

use pagegraph::{Direction, Graph};
use pagegraph_query::{
    ProcedureSignature, Procedures, QueryError, QueryOptions, QueryResult, StatementCache, Value,
    execute, execute_prepared,
};

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// ada -KNOWS-> bob, ada -KNOWS-> cy, bob -KNOWS-> cy; dee alone.
fn graph() -> Graph {
    let g = Graph::in_memory().unwrap();
    execute(
        &g,
        "CREATE (ada:Person {name: 'ada'}), (bob:Person {name: 'bob'}),
                (cy:Person {name: 'cy'}), (:Person {name: 'dee'}),
                (ada)-[:KNOWS]->(bob), (ada)-[:KNOWS]->(cy), (bob)-[:KNOWS]->(cy)",
        &BTreeMap::new(),
    )
    .unwrap();
    g
}

/// `app.outDegree(node :: NODE) :: (degree :: INTEGER)` reading the graph it is given;
/// `app.split(text :: STRING?, sep :: STRING?) :: (part :: STRING?, at :: FLOAT?)`, which
/// yields integers where floats are declared; `app.bad() :: (x :: INTEGER)`, whose rows
/// are one value too long; `app.fails() :: ()`.
fn procedures() -> Procedures {
    let mut p = Procedures::new();
    p.register(
        ProcedureSignature::parse("app.outDegree(node :: NODE) :: (degree :: INTEGER)").unwrap(),
        |args, g| {
            let Value::Node(n) = &args[0] else {
                unreachable!("the signature lets only nodes in");
            };
            let d = g.expand(*n, Direction::Outgoing, None)?.len();
            Ok(vec![vec![Value::Int(i64::try_from(d).unwrap())]])
        },
    )
    .unwrap();
    p.register(
        ProcedureSignature::parse(
            "app.split(text :: STRING?, sep :: STRING?) :: (part :: STRING?, at :: FLOAT?)",
        )
        .unwrap(),
        |args, _| match args {
            [Value::String(t), Value::String(sep)] => Ok(t
                .split(sep.as_str())
                .enumerate()
                .map(|(i, part)| vec![s(part), Value::Int(i64::try_from(i).unwrap())])
                .collect()),
            _ => Ok(Vec::new()),
        },
    )
    .unwrap();
    p.register(
        ProcedureSignature::parse("app.bad() :: (x :: INTEGER)").unwrap(),
        |_, _| Ok(vec![vec![Value::Int(1), Value::Int(2)]]),
    )
    .unwrap();
    p.register(
        ProcedureSignature::parse("app.fails() :: ()").unwrap(),
        |_, _| Err(QueryError::Argument("app.fails always fails".into())),
    )
    .unwrap();
    p
}

fn run(g: &Graph, text: &str, params: &BTreeMap<String, Value>) -> Result<QueryResult, QueryError> {
    let statement = StatementCache::default().prepare(text)?;
    let options = QueryOptions {
        procedures: Some(Arc::new(procedures())),
        ..QueryOptions::default()
    };
    execute_prepared(g, &statement, params, &options, |r, _| Ok(r))
}

fn rows(g: &Graph, text: &str) -> Vec<Vec<Value>> {
    run(g, text, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .rows
}

#[test]
fn registered_procedures_answer_in_queries_and_alone() {
    let g = graph();
    // Hand-computed out-degrees: ada 2, bob 1, cy 0, dee 0.
    assert_eq!(
        rows(
            &g,
            "MATCH (p:Person) CALL app.outDegree(p) YIELD degree WHERE degree > 0
             RETURN p.name, degree ORDER BY p.name"
        ),
        vec![vec![s("ada"), Value::Int(2)], vec![s("bob"), Value::Int(1)]]
    );
    // Alone, without YIELD: every output, integers converted where floats are declared.
    let r = run(&g, "CALL app.split('a,b,c', ',')", &BTreeMap::new()).unwrap();
    assert_eq!(r.columns, ["part", "at"]);
    assert_eq!(
        r.rows,
        vec![
            vec![s("a"), Value::Float(0.0)],
            vec![s("b"), Value::Float(1.0)],
            vec![s("c"), Value::Float(2.0)]
        ]
    );
    // Alone without parentheses: the arguments are the parameters of the inputs' names.
    let params = BTreeMap::from([("text".to_string(), s("x-y")), ("sep".to_string(), s("-"))]);
    let r = run(&g, "CALL app.split", &params).unwrap();
    assert_eq!(r.rows.len(), 2);
    // Renamed outputs, an argument from the row, and a void procedure in a query leaves
    // each row as it is.
    assert_eq!(
        rows(
            &g,
            "UNWIND ['p q', 'r'] AS t CALL app.split(t, ' ') YIELD part AS w
             RETURN collect(w) AS words"
        ),
        vec![vec![Value::List(vec![s("p"), s("q"), s("r")])]]
    );
    // Null arguments are passed where the input is nullable; the body decides.
    assert!(rows(&g, "CALL app.split(null, ',') YIELD part RETURN part").is_empty());
}

#[test]
fn calls_that_do_not_fit_the_signature_fail_before_anything_runs() {
    let g = graph();
    let code = |text: &str| match run(&g, text, &BTreeMap::new()) {
        Err(QueryError::Semantic { code, .. }) => code.to_string(),
        Err(other) => format!("{other:?}"),
        Ok(r) => format!("rows {:?}", r.rows),
    };
    // An empty MATCH: the call is never reached, yet the errors come.
    assert_eq!(
        code("MATCH (n:None) CALL app.nothing() YIELD x RETURN x"),
        "ProcedureNotFound"
    );
    assert_eq!(
        code("MATCH (n:None) CALL app.split('a') YIELD part RETURN part"),
        "InvalidNumberOfArguments"
    );
    assert_eq!(
        code("MATCH (n:None) CALL app.split(1, ',') YIELD part RETURN part"),
        "InvalidArgumentType"
    );
    assert_eq!(
        code("MATCH (n:None) CALL app.outDegree(null) YIELD degree RETURN degree"),
        "InvalidArgumentType"
    );
    assert_eq!(
        code("MATCH (n:None) CALL app.split YIELD part RETURN part"),
        "InvalidArgumentPassingMode"
    );
    assert_eq!(
        code("MATCH (n:None) CALL app.split('a', 'b') YIELD nope RETURN nope"),
        "UndefinedVariable"
    );
    assert!(
        code("MATCH (n:None) CALL app.split('a', 'b') YIELD * RETURN part").starts_with("Syntax")
    );
    assert_eq!(
        code("WITH 1 AS part CALL app.split('a', 'b') YIELD part RETURN part"),
        "VariableAlreadyBound"
    );
    assert_eq!(
        code("MATCH (n) CALL app.outDegree(count(n)) YIELD degree RETURN degree"),
        "InvalidAggregation"
    );
    assert!(matches!(
        run(&g, "CALL app.split", &BTreeMap::new()),
        Err(QueryError::MissingParameter(p)) if p == "text"
    ));
    // Without the registry the procedures do not exist.
    assert!(matches!(
        execute(&g, "CALL app.split('a', 'b')", &BTreeMap::new()),
        Err(QueryError::Semantic {
            code: "ProcedureNotFound",
            ..
        })
    ));
}

#[test]
fn values_and_rows_are_checked_as_the_query_runs() {
    let g = graph();
    // A value of the wrong type that only shows at run time; null where it is not allowed.
    for text in [
        "WITH 1 AS x CALL app.outDegree(x) YIELD degree RETURN degree",
        "WITH null AS x CALL app.outDegree(x) YIELD degree RETURN degree",
    ] {
        assert!(
            matches!(run(&g, text, &BTreeMap::new()), Err(QueryError::Type(_))),
            "{text}"
        );
    }
    // A body whose rows do not fit its outputs, and one that fails: errors, not rows.
    assert!(matches!(
        run(&g, "CALL app.bad() YIELD x RETURN x", &BTreeMap::new()),
        Err(QueryError::Argument(m)) if m.contains("2 values")
    ));
    assert!(matches!(
        run(&g, "CALL app.fails()", &BTreeMap::new()),
        Err(QueryError::Argument(m)) if m.contains("always fails")
    ));
    // A write before a failing call is not committed.
    assert!(
        run(
            &g,
            "CREATE (:Temp) WITH 1 AS one CALL app.fails() RETURN one",
            &BTreeMap::new()
        )
        .is_err()
    );
    assert_eq!(
        execute(&g, "MATCH (t:Temp) RETURN count(t)", &BTreeMap::new())
            .unwrap()
            .rows,
        vec![vec![Value::Int(0)]]
    );
}

#[test]
fn the_registry_refuses_built_in_and_repeated_names() {
    let mut p = procedures();
    let sig = |t: &str| ProcedureSignature::parse(t).unwrap();
    assert!(matches!(
        p.register(sig("app.fails() :: ()"), |_, _| Ok(Vec::new())),
        Err(QueryError::Argument(_))
    ));
    assert!(matches!(
        p.register(sig("db.labels() :: (label :: STRING)"), |_, _| Ok(
            Vec::new()
        )),
        Err(QueryError::Argument(_))
    ));
    let names: Vec<String> = p.signatures().map(ProcedureSignature::full_name).collect();
    assert_eq!(
        names,
        ["app.bad", "app.fails", "app.outDegree", "app.split"]
    );
}
