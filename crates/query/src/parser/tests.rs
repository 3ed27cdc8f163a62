use crate::ast::{BinaryOp, Clause, Dir, ExprKind, Literal, Statement};
use crate::parse;

fn query(q: &str) -> crate::ast::Query {
    match parse(q) {
        Ok(Statement::Query(q)) => q,
        other => panic!("{q}: {other:?}"),
    }
}

#[test]
fn clauses_patterns_and_expressions_parse_to_the_expected_tree() {
    let q = query(
        "MATCH (a:Person {name: 'Ada'})-[r:KNOWS|LIKES*1..3]->(b), (b)<--(c) WHERE a.age > 1 + 2 * 3 RETURN DISTINCT b.name AS n, count(*) ORDER BY n DESC SKIP 1 LIMIT 10",
    );
    let Clause::Match {
        pattern, filter, ..
    } = &q.first.clauses[0]
    else {
        panic!()
    };
    assert_eq!(pattern.len(), 2);
    let (rel, _) = &pattern[0].element.chain[0];
    assert_eq!(
        (rel.dir, rel.types.len(), rel.length),
        (Dir::Right, 2, Some((Some(1), Some(3))))
    );
    assert_eq!(pattern[1].element.chain[0].0.dir, Dir::Left);
    let Some(f) = filter else { panic!() };
    // a.age > (1 + (2 * 3))
    let ExprKind::Binary(BinaryOp::Gt, _, right) = &f.kind else {
        panic!("{f:?}")
    };
    assert!(
        matches!(&right.kind, ExprKind::Binary(BinaryOp::Add, _, r) if matches!(r.kind, ExprKind::Binary(BinaryOp::Mul, _, _)))
    );
    let Clause::Return(p) = &q.first.clauses[1] else {
        panic!()
    };
    assert!(p.distinct);
    assert_eq!(p.items[0].alias.as_deref(), Some("n"));
    assert_eq!(p.items[1].text, "count(*)");
    assert!(!p.order[0].1);
}

#[test]
fn writes_merges_calls_and_schema_parse() {
    for q in [
        "CREATE (a:A {x: 1})-[:T {w: 2.5}]->(b:B:C)",
        "MERGE (n:Person {id: $id}) ON CREATE SET n.created = timestamp() ON MATCH SET n.seen = n.seen + 1, n += $props",
        "MATCH (n) SET n:Tag:Other, n = {a: 1} REMOVE n.a, n:Tag DETACH DELETE n",
        "UNWIND [1, 2, 3] AS x WITH x WHERE x > 1 RETURN collect(x)",
        "CALL db.labels() YIELD label RETURN label",
        "CALL pagerank('Person', 'KNOWS') YIELD node, score WHERE score > 0.1 RETURN node",
        "MATCH (a) CALL { WITH a MATCH (a)-->(b) RETURN count(b) AS c } RETURN a, c",
        "MATCH (a) RETURN a UNION ALL MATCH (b) RETURN b",
        "MATCH p = shortestPath((a:P)-[*..5]-(b:P)) RETURN length(p)",
        "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x * x], [(a)-->(b) | b.name], all(x IN [1] WHERE x > 0)",
        "RETURN CASE WHEN 1 < 2 THEN 'a' ELSE 'b' END, CASE 1 WHEN 1 THEN true END",
        "MATCH (n) WHERE n.name STARTS WITH 'A' AND n.name ENDS WITH 'z' OR n.x IS NOT NULL AND n.s =~ 'a.*' AND NOT n:Deleted RETURN n {.name, .*, k: 1}",
        "MATCH (n) WHERE EXISTS { MATCH (n)-->(m) WHERE m.x = 1 } AND exists((n)-->()) RETURN n",
        "RETURN reduce(s = 0, x IN [1,2] | s + x), [1,2,3][0], [1,2,3][1..], {a: [1, {b: null}]}",
        "RETURN -9223372036854775808, 0x1F, 0o17, 1e3, .5, 'it\\'s', \"q\"",
        "CREATE INDEX person_name FOR (p:Person) ON (p.name)",
        "CREATE INDEX IF NOT EXISTS FOR ()-[r:KNOWS]-() ON (r.since)",
        "CREATE CONSTRAINT uniq IF NOT EXISTS FOR (p:Person) REQUIRE p.id IS UNIQUE",
        "CREATE INDEX ON :Person(name)",
        "DROP INDEX person_name IF EXISTS",
        "EXPLAIN MATCH (n) RETURN n",
        "PROFILE MATCH (n) RETURN n;",
        "MATCH (n) WHERE 1 < n.x <= 3 RETURN n",
        "MATCH (n)<-->(m) RETURN n",
        "RETURN 1<-2",
    ] {
        if let Err(e) = parse(q) {
            panic!("{q}\n{e}");
        }
    }
    // A chained comparison is a conjunction; `1<-2` is `1 < -2`.
    let q = query("RETURN 1<-2");
    let Clause::Return(p) = &q.first.clauses[0] else {
        panic!()
    };
    assert!(
        matches!(&p.items[0].expr.kind, ExprKind::Binary(BinaryOp::Lt, _, r) if r.kind == ExprKind::Literal(Literal::Int(-2)))
    );
}

#[test]
fn errors_point_at_the_fault() {
    let cases = [
        ("MATCH (n RETURN n", 1, 10, "expected `)`"),
        (
            "MATCH (n)\nWHERE n.x = \nRETURN n",
            3,
            1,
            "expected an expression",
        ),
        ("RETURN 9223372036854775808", 1, 8, "too large"),
        ("MATCH (n) RETURN n LIMIT", 1, 25, "expected an expression"),
        ("MATCH (n)-[:R]-(m RETURN m", 1, 19, "expected `)`"),
        ("FOO (n)", 1, 1, "expected a clause"),
        ("RETURN 1 2", 1, 10, "end of the statement"),
        ("", 1, 1, "expected a clause"),
    ];
    for (q, line, column, msg) in cases {
        let e = parse(q).unwrap_err();
        assert_eq!(
            (e.position.line, e.position.column),
            (line, column),
            "{q}: {e}"
        );
        assert!(e.message.contains(msg), "{q}: {e}");
        let shown = e.to_string();
        assert!(
            shown.lines().nth(2).is_some_and(|l| l.ends_with('^')),
            "{shown}"
        );
    }
}

#[test]
fn deep_nesting_is_an_error_and_random_text_never_panics() {
    let deep = format!("RETURN {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(
        parse(&deep)
            .unwrap_err()
            .message
            .contains("nests more than")
    );
    let deep = format!("RETURN {}1{}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse(&deep).is_err());
    let deep = format!("RETURN {}1", "NOT ".repeat(5000));
    assert!(parse(&deep).is_err());
    let deep = format!("RETURN {}1", "- ".repeat(5000));
    assert!(parse(&deep).is_err());
    let words = [
        "MATCH", "(", ")", "n", ":", "L", "-", "->", "<-", "[", "]", "*", "..", "{", "}", "'s'",
        "1", "2.5", "$p", ",", "RETURN", "WHERE", "=", "<", "AND", "CASE", "WHEN", "END", "|",
        "IN", ".", "x", "CALL", "YIELD", "EXISTS", "count", "UNWIND", "AS", "WITH", "CREATE",
        "NOT", "CAST", "FLOAT", "MERGE", "OPTIONAL",
    ];
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..50_000 {
        let q: Vec<&str> = (0..rng.usize(0..25))
            .map(|_| words[rng.usize(..words.len())])
            .collect();
        let _ = parse(&q.join(" "));
    }
}

/// Kùzu's table statements: a node table's primary key (in a clause of its own or after
/// its column) is a unique constraint; column types of every shape are skipped; a
/// relationship table, or a node table without a key, declares nothing.
#[test]
fn kuzu_tables_parse_to_constraints_or_declarations() {
    let key = |target: &str, key: &str, if_not_exists: bool| Statement::CreateIndex {
        name: None,
        relationship: false,
        target: target.into(),
        properties: vec![key.into()],
        unique: true,
        if_not_exists,
    };
    let declared = |name: &str, relationship: bool| Statement::DeclareTable {
        name: name.into(),
        relationship,
    };
    let cases = [
        (
            "CREATE NODE TABLE Movie (name STRING, PRIMARY KEY(name))",
            key("Movie", "name", false),
        ),
        (
            "create node table if not exists Entity(ID STRING, PRIMARY KEY (ID))",
            key("Entity", "ID", true),
        ),
        (
            "CREATE NODE TABLE Chunk(id SERIAL PRIMARY KEY, text STRING, embedding FLOAT[384], \
             tags STRING[], meta MAP(STRING, INT64), s STRUCT(a INT64, b STRING[]), \
             score DOUBLE DEFAULT 0.5, note STRING DEFAULT 'a, b')",
            key("Chunk", "id", false),
        ),
        ("CREATE NODE TABLE Loose(x INT64)", declared("Loose", false)),
        (
            "CREATE REL TABLE ActedIn (FROM Person TO Movie)",
            declared("ActedIn", true),
        ),
        (
            "CREATE REL TABLE IF NOT EXISTS LINKS(FROM Entity TO Entity, FROM Entity TO Chunk, \
             predicate STRING, weight DOUBLE[2], MANY_ONE)",
            declared("LINKS", true),
        ),
        (
            "CREATE REL TABLE GROUP Knows (FROM A TO B, FROM B TO A, since INT64)",
            declared("Knows", true),
        ),
        // A table may be named GROUP.
        (
            "CREATE REL TABLE GROUP (FROM A TO B)",
            declared("GROUP", true),
        ),
    ];
    for (q, want) in cases {
        assert_eq!(parse(q).unwrap_or_else(|e| panic!("{q}\n{e}")), want, "{q}");
    }
    for (q, msg) in [
        ("CREATE REL TABLE T(a INT64)", "needs `FROM a TO b`"),
        (
            "CREATE NODE TABLE T(a INT64, PRIMARY KEY(a)",
            "expected `)`",
        ),
        ("CREATE NODE TABLE T(a MAP(STRING, INT64)", "expected `)`"),
        ("CREATE NODE TABLE (a INT64)", "expected a table name"),
        ("CREATE REL TABLE T(FROM A B)", "expected `TO`"),
        // Found by the cypher_parse fuzz target: a closing bracket with none open.
        (
            "CREATE NODE TABLE E(v FLOAT_3], PRIMARY KEY(v))",
            "after a column's type",
        ),
        ("CREATE NODE TABLE E(v MAP(A, B)})", "after a column's type"),
    ] {
        let e = parse(q).unwrap_err();
        assert!(e.message.contains(msg), "{q}: {e}");
    }
}
