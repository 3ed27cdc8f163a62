//! Queries on a small graph against hand-computed answers: reads, writes, merges, paths,
//! aggregation, indexes, procedures, and the errors a user sees.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::{QueryError, Value, execute};

fn q(g: &Graph, text: &str) -> Vec<Vec<Value>> {
    execute(g, text, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .rows
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// ada -KNOWS-> bob -KNOWS-> cy -KNOWS-> ada (a triangle), dee alone; ada and bob LIKE a post.
fn social() -> Graph {
    let g = Graph::in_memory().unwrap();
    q(
        &g,
        "CREATE (ada:Person {name: 'ada', age: 36}), (bob:Person {name: 'bob', age: 25}),
           (cy:Person {name: 'cy', age: 41}), (:Person {name: 'dee', age: 19}),
           (p:Post {title: 'hello'}),
           (ada)-[:KNOWS {since: 2010}]->(bob), (bob)-[:KNOWS {since: 2015}]->(cy),
           (cy)-[:KNOWS {since: 2020}]->(ada), (ada)-[:LIKES]->(p), (bob)-[:LIKES]->(p)",
    );
    g
}

#[test]
fn reads_answer_as_computed_by_hand() {
    let g = social();
    assert_eq!(
        q(
            &g,
            "MATCH (p:Person) WHERE p.age > 30 RETURN p.name ORDER BY p.name"
        ),
        vec![vec![s("ada")], vec![s("cy")]]
    );
    // Two hops along KNOWS from ada: cy.
    assert_eq!(
        q(
            &g,
            "MATCH (:Person {name: 'ada'})-[:KNOWS]->()-[:KNOWS]->(f) RETURN f.name"
        ),
        vec![vec![s("cy")]]
    );
    // Friends of friends, either direction, not ada herself: relationship uniqueness keeps
    // the triangle from walking back over the same edge.
    assert_eq!(
        q(
            &g,
            "MATCH (a {name: 'ada'})-[:KNOWS*2]-(f) RETURN f.name ORDER BY f.name"
        ),
        vec![vec![s("bob")], vec![s("cy")]]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (p:Person) OPTIONAL MATCH (p)-[:LIKES]->(x) RETURN p.name, count(x) ORDER BY p.name"
        ),
        vec![
            vec![s("ada"), Value::Int(1)],
            vec![s("bob"), Value::Int(1)],
            vec![s("cy"), Value::Int(0)],
            vec![s("dee"), Value::Int(0)],
        ]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (p:Person) RETURN avg(p.age), min(p.age), max(p.age), collect(p.name)[0..2]"
        ),
        vec![vec![
            Value::Float(30.25),
            Value::Int(19),
            Value::Int(41),
            Value::List(vec![s("ada"), s("bob")])
        ]]
    );
    assert_eq!(
        q(
            &g,
            "MATCH p = shortestPath((a {name: 'ada'})-[:KNOWS*]-(c {name: 'cy'})) RETURN length(p)"
        ),
        vec![vec![Value::Int(1)]]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (p:Person) WHERE (p)-[:LIKES]->(:Post) RETURN p.name ORDER BY p.name"
        ),
        vec![vec![s("ada")], vec![s("bob")]]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (p:Person {name: 'ada'}) RETURN [(p)-[:KNOWS]->(f) | f.name]"
        ),
        vec![vec![Value::List(vec![s("bob")])]]
    );
}

#[test]
fn writes_merges_and_deletes_change_the_graph_as_said() {
    let g = social();
    // MERGE finds the existing person and creates the missing one, once each.
    for _ in 0..2 {
        q(
            &g,
            "UNWIND ['ada', 'eve'] AS n MERGE (p:Person {name: n}) ON CREATE SET p.new = true",
        );
    }
    assert_eq!(
        q(&g, "MATCH (p:Person) RETURN count(*)"),
        vec![vec![Value::Int(5)]]
    );
    assert_eq!(
        q(&g, "MATCH (p:Person {new: true}) RETURN p.name"),
        vec![vec![s("eve")]]
    );
    q(
        &g,
        "MATCH (p:Person {name: 'eve'}) SET p:Admin, p.age = 50 REMOVE p.new",
    );
    assert_eq!(
        q(&g, "MATCH (p:Admin) RETURN labels(p), properties(p)"),
        vec![vec![
            Value::List(vec![s("Person"), s("Admin")]),
            Value::Map(
                [
                    ("age".to_string(), Value::Int(50)),
                    ("name".to_string(), s("eve"))
                ]
                .into()
            ),
        ]]
    );
    // A node with relationships is refused by DELETE and taken by DETACH DELETE.
    let err = execute(&g, "MATCH (p {name: 'ada'}) DELETE p", &BTreeMap::new()).unwrap_err();
    assert!(err.to_string().contains("DETACH DELETE"), "{err}");
    q(&g, "MATCH (p {name: 'ada'}) DETACH DELETE p");
    assert_eq!(
        q(&g, "MATCH ()-[r]->() RETURN count(r)"),
        vec![vec![Value::Int(2)]]
    );
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn indexes_and_procedures_through_cypher() {
    let g = social();
    q(
        &g,
        "CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE",
    );
    q(&g, "CREATE INDEX IF NOT EXISTS FOR (p:Person) ON (p.age)");
    q(&g, "CREATE INDEX IF NOT EXISTS FOR (p:Person) ON (p.age)");
    let err = execute(&g, "CREATE (:Person {name: 'bob'})", &BTreeMap::new()).unwrap_err();
    assert!(
        matches!(
            err,
            QueryError::Graph(pagegraph::GraphError::ConstraintViolation { .. })
        ),
        "{err}"
    );
    assert_eq!(
        q(
            &g,
            "CALL db.indexes() YIELD name, unique RETURN name, unique ORDER BY name"
        ),
        vec![
            vec![s("Person_age"), Value::Bool(false)],
            vec![s("person_name"), Value::Bool(true)]
        ]
    );
    assert_eq!(
        q(&g, "CALL db.labels() YIELD label RETURN collect(label)"),
        vec![vec![Value::List(vec![s("Person"), s("Post")])]]
    );
    // The triangle is one weak component; dee is her own.
    assert_eq!(
        q(
            &g,
            "CALL algo.wcc('Person', 'KNOWS') YIELD node, component RETURN count(DISTINCT component)"
        ),
        vec![vec![Value::Int(2)]]
    );
    let ranks = q(
        &g,
        "CALL algo.pagerank('Person', 'KNOWS') YIELD node, score RETURN node.name, score ORDER BY node.name",
    );
    assert_eq!(ranks.len(), 4);
    q(&g, "DROP INDEX Person_age");
    q(&g, "DROP INDEX Person_age IF EXISTS");
    assert!(execute(&g, "DROP INDEX Person_age", &BTreeMap::new()).is_err());
}

/// Kùzu's table statements: a node table's primary key is a unique constraint (refused a
/// second time unless `IF NOT EXISTS`), and a relationship table changes nothing.
#[test]
fn kuzu_tables_declare_keys() {
    let g = Graph::in_memory().unwrap();
    q(
        &g,
        "CREATE NODE TABLE Movie (name STRING, year INT64, PRIMARY KEY(name))",
    );
    q(
        &g,
        "CREATE NODE TABLE IF NOT EXISTS Movie (name STRING, PRIMARY KEY(name))",
    );
    let again = execute(
        &g,
        "CREATE NODE TABLE Movie (name STRING, PRIMARY KEY(name))",
        &BTreeMap::new(),
    );
    assert!(
        matches!(
            again,
            Err(QueryError::Graph(pagegraph::GraphError::IndexExists(_)))
        ),
        "{again:?}"
    );
    q(
        &g,
        "CREATE NODE TABLE Person (name STRING PRIMARY KEY, born INT64)",
    );
    q(
        &g,
        "CREATE REL TABLE ActedIn (FROM Person TO Movie, role STRING)",
    );
    q(
        &g,
        "CREATE REL TABLE IF NOT EXISTS ActedIn (FROM Person TO Movie)",
    );
    q(
        &g,
        "CREATE (:Person {name: 'ada'})-[:ActedIn {role: 'x'}]->(:Movie {name: 'm', year: 1999})",
    );
    let dup = execute(&g, "CREATE (:Movie {name: 'm'})", &BTreeMap::new()).unwrap_err();
    assert!(
        matches!(
            dup,
            QueryError::Graph(pagegraph::GraphError::ConstraintViolation { .. })
        ),
        "{dup}"
    );
    assert_eq!(
        q(
            &g,
            "CALL db.indexes() YIELD target, properties, unique \
             RETURN target, properties, unique ORDER BY target"
        ),
        vec![
            vec![s(":Movie"), Value::List(vec![s("name")]), Value::Bool(true)],
            vec![
                s(":Person"),
                Value::List(vec![s("name")]),
                Value::Bool(true)
            ],
        ]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (p)-[r:ActedIn]->(m) RETURN p.name, r.role, m.year"
        ),
        vec![vec![s("ada"), s("x"), Value::Int(1999)]]
    );
    // Kùzu's name of `relationships(p)`.
    assert_eq!(
        q(
            &g,
            "MATCH p = (:Person)-[:ActedIn*1..2]->(m) \
             RETURN [r IN rels(p) | r.role], size(nodes(p)), rels(null)"
        ),
        vec![vec![Value::List(vec![s("x")]), Value::Int(2), Value::Null]]
    );
    assert_eq!(
        q(&g, "EXPLAIN CREATE REL TABLE T (FROM A TO B)"),
        vec![vec![s("DeclareTable (nothing to do)")]]
    );
}

#[test]
fn errors_say_what_and_where() {
    let g = social();
    let p = BTreeMap::new();
    match execute(&g, "MATCH (n:Person)\nRETURN n.name,", &p).unwrap_err() {
        QueryError::Syntax(e) => assert_eq!((e.position.line, e.position.column), (2, 15)),
        other => panic!("{other}"),
    }
    assert!(matches!(
        execute(&g, "MATCH (n) RETURN m", &p),
        Err(QueryError::Semantic {
            code: "UndefinedVariable",
            ..
        })
    ));
    assert!(matches!(
        execute(&g, "RETURN 9223372036854775807 + 1", &p),
        Err(QueryError::Arithmetic(_))
    ));
    assert!(matches!(
        execute(&g, "RETURN $missing", &p),
        Err(QueryError::MissingParameter(_))
    ));
    // A read-only run refuses writes; the graph is unchanged.
    let snapshot = g.begin_read().unwrap();
    assert!(pagegraph_query::run("CREATE (:X)", &p, &snapshot).is_err());
    assert_eq!(
        q(&g, "MATCH (x:X) RETURN count(x)"),
        vec![vec![Value::Int(0)]]
    );
    // A failed write query leaves nothing behind.
    assert!(execute(&g, "CREATE (:Y) WITH 1 AS one RETURN 1 / 0", &p).is_err());
    assert_eq!(
        q(&g, "MATCH (y:Y) RETURN count(y)"),
        vec![vec![Value::Int(0)]]
    );
    // What a query deleted has no properties or labels to read: an error, and the delete
    // is discarded with the query; counting and type() of what it deleted still answer.
    for text in [
        "MATCH (n:Person {name: 'dee'}) DETACH DELETE n RETURN n.name",
        "MATCH (n:Person {name: 'dee'}) DETACH DELETE n RETURN labels(n)",
        "MATCH (:Person {name: 'ada'})-[r:KNOWS]->() DELETE r RETURN r.since",
    ] {
        assert!(
            matches!(execute(&g, text, &p), Err(QueryError::Deleted(_))),
            "{text}"
        );
    }
    assert_eq!(
        q(&g, "MATCH (n:Person) RETURN count(n)"),
        vec![vec![Value::Int(4)]]
    );
    assert_eq!(
        q(
            &g,
            "MATCH (:Person {name: 'ada'})-[r:KNOWS]->() DELETE r RETURN type(r), count(*)"
        ),
        vec![vec![s("KNOWS"), Value::Int(1)]]
    );
}

#[test]
fn parameters_go_everywhere_a_value_goes() {
    let g = social();
    let mut p = BTreeMap::new();
    p.insert("names".to_string(), Value::List(vec![s("ada"), s("cy")]));
    p.insert("min".to_string(), Value::Int(30));
    let r = execute(&g, "MATCH (n:Person) WHERE n.name IN $names AND n.age >= $min RETURN n.name ORDER BY n.name LIMIT $min", &p).unwrap();
    assert_eq!(r.rows, vec![vec![s("ada")], vec![s("cy")]]);
}

#[test]
fn execute_with_reads_the_result_in_the_transaction_it_ran_in() {
    let g = social();
    let p = BTreeMap::new();
    // A write: `finish` sees the created node before the commit.
    let name =
        pagegraph_query::execute_with(&g, "CREATE (n:New {name: 'eve'}) RETURN n", &p, |r, tx| {
            let Value::Node(id) = r.rows[0][0] else {
                panic!("not a node: {:?}", r.rows[0][0]);
            };
            Ok(tx.node(id)?.map(|n| n.properties["name"].clone()))
        })
        .unwrap();
    assert_eq!(name, Some(pagegraph::PropertyValue::String("eve".into())));
    // An error from `finish` discards the write.
    let err = pagegraph_query::execute_with(&g, "CREATE (:Discarded)", &p, |_, _| {
        Err::<(), _>(QueryError::Argument("refused".into()))
    });
    assert!(matches!(err, Err(QueryError::Argument(_))));
    assert_eq!(
        q(&g, "MATCH (d:Discarded) RETURN count(d)"),
        vec![vec![Value::Int(0)]]
    );
    // A read: `finish` gets the snapshot the query read.
    let count = pagegraph_query::execute_with(&g, "MATCH (n:New) RETURN n", &p, |r, tx| {
        Ok((r.rows.len(), tx.label_ids("New")?.len()))
    })
    .unwrap();
    assert_eq!(count, (1, 1));
}

#[test]
fn statement_writes_tells_writes_from_reads() {
    use pagegraph_query::statement_writes;
    for text in [
        "CREATE (:A)",
        "MATCH (n) SET n.x = 1",
        "MERGE (:A {k: 1})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n) RETURN n UNION MATCH (m) REMOVE m:A RETURN m",
        "CREATE INDEX FOR (p:Person) ON (p.name)",
        "DROP INDEX Person_name",
    ] {
        assert!(statement_writes(text).unwrap(), "{text}");
    }
    for text in [
        "MATCH (n) RETURN n",
        "RETURN 1",
        "CALL db.labels()",
        "EXPLAIN CREATE (:A)",
        "CREATE REL TABLE T (FROM A TO B)",
    ] {
        assert!(!statement_writes(text).unwrap(), "{text}");
    }
    assert!(statement_writes("PROFILE CREATE (:A)").unwrap());
    assert!(statement_writes("CREATE NODE TABLE T (k INT64, PRIMARY KEY (k))").unwrap());
    assert!(matches!(
        statement_writes("MATCH ("),
        Err(QueryError::Syntax(_))
    ));
}
