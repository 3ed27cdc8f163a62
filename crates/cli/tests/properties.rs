//! The property model on the command line, through real runs of the binary: `index
//! create|list|drop` (unique constraints over existing duplicates), `node find --where`
//! with each operator against answers worked out by hand (with and without an index),
//! `node set`, `node delete [--detach]`, `edge delete`, `--key` node arguments (found,
//! not found, ambiguous), and imports that keep file ids: a second run refused, or with
//! `--upsert` leaving every count as it was while updating what changed. `check` runs
//! clean after each step that writes. Not covered: the library's own index semantics
//! (see the graph crate's tests).
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

mod common;

use common::{fails, json_of, ok, run, s, text, write};

/// Runs a command that must exit 2 (a usage error).
fn usage(args: &[&str]) {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stderr)
    );
}

/// Runs a command that must find nothing: exit 3 with one line on stderr; returns it.
fn not_found(args: &[&str]) -> String {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
    assert!(
        err.starts_with("pagegraph: ") && err.lines().count() == 1,
        "{err}"
    );
    err
}

fn clean(db: &str) {
    assert_eq!(json_of(&["check", db])["clean"], true, "check of {db}");
}

/// `{"nodes", "edges"}` counts of `stats`.
fn counts(db: &str) -> (u64, u64) {
    let st = json_of(&["stats", db]);
    (st["nodes"].as_u64().unwrap(), st["edges"].as_u64().unwrap())
}

/// The names of the nodes `node find ARGS --json` prints, in its order.
fn found(db: &str, args: &[&str]) -> Vec<String> {
    let mut a = vec!["node", "find", db];
    a.extend_from_slice(args);
    json_of(&a)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect()
}

fn as_set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// People with an age of every kind: the integers 41, 25 and 30, the float 30.0, the text
/// "x", and none.
const PEOPLE: &str = r#"{"id": 1, "kind": "Person", "name": "Ann", "data": {"age": 41, "city": "Berlin"}}
{"id": 2, "kind": "Person", "name": "Bob", "data": {"age": 25, "city": "Bonn"}}
{"id": 3, "kind": "Person", "name": "Cy", "data": {"age": 30, "city": "Berlin"}}
{"id": 4, "kind": "Person", "name": "Dee", "data": {"age": 30.0}}
{"id": 5, "kind": "Person", "name": "Eve", "data": {"age": "x"}}
{"id": 6, "kind": "Person", "name": "Al"}
{"id": 7, "kind": "Robot", "name": "Ann2", "data": {"age": 41}}
"#;

const KNOWS: &str = r#"{"from": 1, "to": 2, "type": "KNOWS", "data": {"since": 2020}}
{"from": 2, "to": 3, "type": "KNOWS"}
{"from": 3, "to": 1, "type": "KNOWS", "data": {"since": 2001}}
{"from": 1, "to": 7, "type": "OWNS"}
"#;

fn people(dir: &Path) -> String {
    let db = dir.join("p.pgdb");
    let n = write(&dir.join("people.jsonl"), PEOPLE);
    let e = write(&dir.join("knows.jsonl"), KNOWS);
    ok(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
    s(&db).to_string()
}

#[test]
fn indexes_are_created_listed_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let db = &people(dir.path());
    // The import made one unique index per label on the file ids.
    let list = json_of(&["index", "list", db]);
    assert_eq!(list["count"], 2, "{list}");
    assert_eq!(
        list["indexes"][0],
        json!({"name": "Person_id", "on": "label", "target": "Person", "properties": ["id"],
               "unique": true, "state": "ready", "entries": 6})
    );
    assert_eq!(list["indexes"][1]["name"], "Robot_id");

    // 30 and 30.0 are one value to a unique constraint.
    let err = fails(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "age",
        "--unique",
    ]);
    assert!(
        err.contains("Person_age on :Person(age) violated: 30"),
        "{err}"
    );
    let made = json_of(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "age",
    ]);
    assert_eq!(made["entries"], 5, "every person with an age: {made}");
    assert_eq!(made["unique"], false);
    let edge = json_of(&[
        "index",
        "create",
        db,
        "--edge-type",
        "KNOWS",
        "--property",
        "since",
        "--name",
        "since",
    ]);
    assert_eq!(
        (
            edge["on"].as_str(),
            edge["target"].as_str(),
            edge["entries"].as_u64()
        ),
        (Some("edge_type"), Some("KNOWS"), Some(2))
    );
    let two = json_of(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "city",
        "--property",
        "age",
    ]);
    assert_eq!(
        (two["name"].as_str(), two["entries"].as_u64()),
        (Some("Person_city_age"), Some(3))
    );

    // A unique index over existing duplicates fails, naming them, and is not created.
    let err = fails(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "city",
        "--unique",
    ]);
    assert!(
        err.contains("unique constraint Person_city on :Person(city) violated: \"Berlin\""),
        "{err}"
    );
    // One index per label and properties, whatever its name.
    let err = fails(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "age",
        "--unique",
        "--name",
        "u_age",
    ]);
    assert!(err.contains("index Person_age already exists"), "{err}");
    let unique_name = json_of(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "name",
        "--unique",
    ]);
    assert_eq!(unique_name["entries"], 6);
    assert!(
        fails(&[
            "index",
            "create",
            db,
            "--label",
            "Person",
            "--property",
            "age"
        ])
        .contains("index Person_age already exists")
    );

    let table = ok(&["index", "list", db]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("name") && header.contains("properties"),
        "{table}"
    );
    assert!(
        table.contains("Person_city_age") && table.contains(":Person"),
        "{table}"
    );
    assert!(table.contains("[:KNOWS]"), "{table}");
    assert_eq!(json_of(&["index", "list", db])["count"], 6);

    // The unique constraint now refuses a second Ann, and nothing changes.
    let err = fails(&["node", "set", db, "2", "--prop", "name=Ann"]);
    assert!(
        err.contains("Person_name") && err.contains("\"Ann\""),
        "{err}"
    );
    assert_eq!(json_of(&["node", "get", db, "2"])["name"], "Bob");

    assert_eq!(
        json_of(&["index", "drop", db, "Person_name"])["dropped"],
        "Person_name"
    );
    assert!(fails(&["index", "drop", db, "Person_name"]).contains("no index named Person_name"));
    assert_eq!(json_of(&["index", "list", db])["count"], 5);
    clean(db);

    usage(&["index", "create", db, "--property", "x"]);
    usage(&[
        "index",
        "create",
        db,
        "--label",
        "A",
        "--edge-type",
        "B",
        "--property",
        "x",
    ]);
    usage(&["index", "create", db, "--label", "A"]);
    assert!(fails(&["--allow-unclean", "index", "drop", db, "x"]).contains("--allow-unclean"));
    let empty = dir.path().join("e.pgdb");
    ok(&["init", s(&empty)]);
    assert_eq!(ok(&["index", "list", s(&empty)]).trim(), "no indexes");
}

#[test]
fn node_find_where_answers_each_operator() {
    let dir = tempfile::tempdir().unwrap();
    let db = &people(dir.path());
    // Each condition's answer, worked out from PEOPLE: numbers compare with numbers (30 =
    // 30.0), strings with strings, and a node without the property never matches.
    let cases: [(&str, &[&str]); 13] = [
        ("age=30", &["Cy", "Dee"]),
        ("age = 30.0", &["Cy", "Dee"]),
        ("age<30", &["Bob"]),
        ("age<=30", &["Bob", "Cy", "Dee"]),
        ("age>30", &["Ann"]),
        ("age>=25", &["Ann", "Bob", "Cy", "Dee"]),
        ("age=x", &["Eve"]),
        ("age>=\"a\"", &["Eve"]),
        ("name^=A", &["Ann", "Al"]),
        ("city^=B", &["Ann", "Bob", "Cy"]),
        ("age IN [25, 41, \"x\"]", &["Ann", "Bob", "Eve"]),
        ("id in [1, \"2\", 6]", &["Ann", "Al"]),
        ("id>=6", &["Al"]),
    ];
    let check = |indexed: bool| {
        for (cond, want) in cases {
            let got = found(db, &["--label", "Person", "--where", cond]);
            assert_eq!(
                as_set(&got),
                want.iter().copied().collect(),
                "{cond} (index: {indexed})"
            );
        }
    };
    check(false);
    ok(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "age",
    ]);
    ok(&[
        "index",
        "create",
        db,
        "--label",
        "Person",
        "--property",
        "name",
    ]);
    check(true);
    // Through an index, nodes come in the property's order, then by id.
    assert_eq!(
        found(db, &["--label", "Person", "--where", "age<=41"]),
        ["Bob", "Cy", "Dee", "Ann"]
    );
    assert_eq!(
        found(db, &["--label", "Person", "--where", "name^=A"]),
        ["Al", "Ann"]
    );

    // Several conditions: all must hold (the indexed one leads, the others filter).
    assert_eq!(
        found(
            db,
            &[
                "--label",
                "Person",
                "--where",
                "city=Berlin",
                "--where",
                "age>=30"
            ]
        ),
        ["Cy", "Ann"]
    );
    assert_eq!(
        found(
            db,
            &[
                "--kind",
                "Person",
                "--where",
                "city=Berlin",
                "--where",
                "name=Ann"
            ]
        ),
        ["Ann"]
    );
    // The label matters: the robot aged 41 is not a person.
    assert_eq!(
        found(db, &["--label", "Robot", "--where", "age=41"]),
        ["Ann2"]
    );

    // --limit shows some and counts all; text output is one line per node.
    let v = json_of(&[
        "node", "find", db, "--label", "Person", "--where", "age>=25", "--limit", "1",
    ]);
    assert_eq!(
        (v["total"].as_u64(), v["nodes"].as_array().unwrap().len()),
        (Some(4), 1)
    );
    assert_eq!(v["nodes"][0]["name"], "Bob");
    let v = json_of(&[
        "node", "find", db, "--label", "Person", "--where", "age>=25", "--limit", "0",
    ]);
    assert_eq!(v, json!({"total": 4, "nodes": []}));
    let t = ok(&[
        "node", "find", db, "--label", "Person", "--where", "age>=25", "--limit", "2",
    ]);
    assert_eq!(t.lines().count(), 3, "{t}");
    assert!(t.lines().next().unwrap().contains("\tBob\t"), "{t}");
    assert!(t.ends_with("(2 of 4 shown)\n"), "{t}");

    // Nothing found: exit 3, and with --json the empty result.
    let out = run(&[
        "node", "find", db, "--label", "Person", "--where", "age>99", "--json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!({"total": 0, "nodes": []}));
    not_found(&["node", "find", db, "--label", "Nobody", "--where", "age>1"]);

    // The old lookups are as they were.
    assert_eq!(found(db, &["--kind", "Robot"]), ["Ann2"]);
    assert_eq!(found(db, &["--label", "Robot"]), ["Ann2"]);
    assert_eq!(found(db, &["--glob", "A*"]), ["Al", "Ann", "Ann2"]);

    // Bad conditions: usage errors for the flags, one clear line for the text.
    usage(&["node", "find", db, "--where", "age>1"]);
    usage(&["node", "find", db, "--name", "Ann", "--where", "age>1"]);
    assert!(
        fails(&["node", "find", db, "--label", "Person", "--where", "age"])
            .contains("expected PROPERTY OP VALUE")
    );
    assert!(
        fails(&["node", "find", db, "--label", "Person", "--where", "age!=3"])
            .contains("unknown operator")
    );
    assert!(
        fails(&[
            "node", "find", db, "--label", "Person", "--where", "age=null"
        ])
        .contains("null")
    );
    assert!(
        fails(&[
            "node",
            "find",
            db,
            "--label",
            "Person",
            "--where",
            "age IN [1"
        ])
        .contains("IN takes a JSON list")
    );
    clean(db);
}

#[test]
fn nodes_are_set_and_deleted_and_edges_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = &people(dir.path());
    let v = json_of(&[
        "node",
        "set",
        db,
        "2",
        "--prop",
        "age=26",
        "--prop",
        "nick=bobby",
        "--prop",
        "zip=\"01234\"",
        "--remove",
        "city",
        "--label",
        "Admin",
    ]);
    assert_eq!(
        v,
        json!({"id": 2, "labels": ["Person", "Admin"],
               "properties": {"age": 26, "id": 2, "name": "Bob", "nick": "bobby", "zip": "01234"}})
    );
    assert_eq!(
        json_of(&["node", "get", db, "2"])["data"],
        json!({"age": 26, "id": 2, "nick": "bobby", "zip": "01234"})
    );
    assert!(ok(&["node", "get", db, "2"]).contains("labels: Person, Admin"));
    assert_eq!(found(db, &["--label", "Admin"]), ["Bob"]);
    // A null value removes, a label goes, and the kind follows the labels.
    let v = json_of(&[
        "node",
        "set",
        db,
        "2",
        "--prop",
        "nick=null",
        "--remove-label",
        "Person",
    ]);
    assert_eq!(v["labels"], json!(["Admin"]));
    assert!(v["properties"].get("nick").is_none(), "{v}");
    assert_eq!(json_of(&["node", "get", db, "2"])["kind"], "Admin");
    // The name is the name property.
    ok(&["node", "set", db, "2", "--prop", "name=Robert"]);
    assert_eq!(
        json_of(&["node", "get", db, "Robert", "--by-name"])["id"],
        2
    );
    clean(db);

    usage(&["node", "set", db, "2"]);
    assert!(fails(&["node", "set", db, "2", "--prop", "age"]).contains("expected KEY=VALUE"));
    assert!(fails(&["node", "set", db, "2", "--prop", "a=1", "--remove", "a"]).contains("both"));
    assert!(fails(&["node", "set", db, "99", "--prop", "a=1"]).contains("node 99 not found"));

    // Ann has three edges: refused without --detach, then deleted with them.
    let err = fails(&["node", "delete", db, "1"]);
    assert!(
        err.contains("node 1 has 3 edge(s) (2 out, 1 in)") && err.contains("--detach"),
        "{err}"
    );
    assert_eq!(counts(db), (7, 4));
    let v = json_of(&["node", "delete", db, "1", "--detach"]);
    assert_eq!(v, json!({"deleted": 1, "edges_deleted": 3}));
    assert_eq!(counts(db), (6, 1));
    assert!(fails(&["node", "get", db, "1"]).contains("node 1 not found"));
    // A node without edges needs no --detach.
    assert_eq!(json_of(&["node", "delete", db, "6"])["edges_deleted"], 0);
    clean(db);

    // The one edge left is 2 -> 3.
    assert_eq!(json_of(&["edge", "get", db, "2"])["from"], 2);
    assert_eq!(json_of(&["edge", "delete", db, "2"]), json!({"deleted": 2}));
    assert!(fails(&["edge", "delete", db, "2"]).contains("edge 2 not found"));
    assert!(fails(&["edge", "get", db, "2"]).contains("edge 2 not found"));
    assert_eq!(counts(db), (5, 0));
    clean(db);
}

#[test]
fn keys_name_nodes_wherever_a_node_argument_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let db = &people(dir.path());
    // A file id is the id property: a number, or text.
    assert_eq!(
        json_of(&["node", "get", db, "--key", "Person.id=1"])["name"],
        "Ann"
    );
    assert_eq!(
        json_of(&["node", "get", db, "Person.name=Bob", "--key"])["id"],
        2
    );
    assert_eq!(
        json_of(&["node", "get", db, "--key", "Person.age=41"])["name"],
        "Ann"
    );
    let nb = json_of(&[
        "neighbors",
        db,
        "--key",
        "Person.id=1",
        "--dir",
        "out",
        "--type",
        "KNOWS",
    ]);
    assert_eq!(nb["neighbors"][0]["node"]["name"], "Bob");
    let e = json_of(&[
        "edge",
        "add",
        db,
        "--key",
        "Robot.id=7",
        "Person.name=Eve",
        "--type",
        "SEES",
    ]);
    assert_eq!((e["from"].as_u64(), e["to"].as_u64()), (Some(7), Some(5)));
    let p = json_of(&["path", db, "--key", "Person.id=2", "Person.id=1"]);
    let path: Vec<u64> = p["paths"][0]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(path, [2, 3, 1], "{p}");
    let b = json_of(&["bfs", db, "--start", "Person.id=3", "--key", "--depth", "1"]);
    assert_eq!(b.as_array().unwrap().len(), 2, "{b}");
    // From Bob: Cy, Ann, Ann's robot and, by the edge just added, Eve.
    let r = json_of(&["algo", db, "reach", "--source", "Person.id=2", "--key"]);
    let reached: BTreeSet<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(reached, BTreeSet::from(["Bob", "Cy", "Ann", "Ann2", "Eve"]));
    assert!(fails(&["algo", db, "wcc", "--key"]).contains("--key names the --source node"));
    ok(&[
        "node",
        "set",
        db,
        "--key",
        "Person.id=5",
        "--prop",
        "age=50",
    ]);
    assert_eq!(json_of(&["node", "get", db, "5"])["data"]["age"], 50);

    // No such node: exit 3. Several: an error naming them. Malformed: a clear line.
    let err = not_found(&["node", "get", db, "--key", "Person.id=99"]);
    assert!(err.contains("no node has the key Person.id = 99"), "{err}");
    not_found(&["node", "get", db, "--key", "Nobody.id=1"]);
    // The text "1" is not the integer 1.
    not_found(&["node", "get", db, "--key", "Person.id=\"1\""]);
    not_found(&[
        "edge",
        "add",
        db,
        "--key",
        "Person.id=1",
        "Person.id=99",
        "--type",
        "T",
    ]);
    let err = fails(&["node", "get", db, "--key", "Person.city=Berlin"]);
    assert!(
        err.contains("the key Person.city = \"Berlin\" is ambiguous: 2 nodes have it (ids 1, 3)"),
        "{err}"
    );
    // 30 and 30.0 are equal values.
    let err = fails(&["node", "get", db, "--key", "Person.age=30.0"]);
    assert!(
        err.contains("ambiguous: 2 nodes have it (ids 3, 4)"),
        "{err}"
    );
    assert!(fails(&["node", "get", db, "--key", "Person"]).contains("not a node key"));
    assert!(fails(&["node", "get", db, "Person.id=1"]).contains("--key"));
    usage(&["node", "get", db, "--key", "--by-name", "Person.id=1"]);
    // --by-name still works as it did.
    assert_eq!(json_of(&["node", "get", db, "Cy", "--by-name"])["id"], 3);
    clean(db);
}

#[test]
fn imports_keep_ids_refuse_a_second_run_and_upsert() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = &people(d);
    let n = d.join("people.jsonl");
    let e = d.join("knows.jsonl");
    assert_eq!(counts(db), (7, 4));

    // A second run is refused at its first node, naming it; nothing of it is written.
    let err = fails(&["import", db, "--nodes", s(&n), "--edges", s(&e)]);
    assert!(
        err.contains(
            "people.jsonl:1: node id 1 of kind \"Person\" is already in the database (node 1"
        ) && err.contains("--upsert"),
        "{err}"
    );
    assert_eq!(counts(db), (7, 4));
    // With --skip-bad every node line is skipped, and the edges, whose endpoints are not
    // among this run's nodes, name no node.
    let out = run(&["import", db, "--nodes", s(&n), "--skip-bad", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["nodes"].as_u64(), v["skipped"].as_u64()),
        (Some(0), Some(7)),
        "{v}"
    );
    assert_eq!(counts(db), (7, 4));
    clean(db);

    // --upsert: the same files leave every count as it was.
    let v = json_of(&["import", db, "--nodes", s(&n), "--edges", s(&e), "--upsert"]);
    assert_eq!(
        (
            v["nodes"].as_u64(),
            v["edges"].as_u64(),
            v["nodes_updated"].as_u64(),
            v["edges_updated"].as_u64()
        ),
        (Some(0), Some(0), Some(7), Some(4)),
        "{v}"
    );
    assert_eq!(counts(db), (7, 4));
    clean(db);

    // A changed property is updated in place; a new node and a new edge are added; an
    // edge repeated in the file is one edge.
    let changed = PEOPLE
        .replace("\"age\": 25", "\"age\": 26")
        .replace("\"Bonn\"", "\"Köln\"")
        + "{\"id\": 8, \"kind\": \"Person\", \"name\": \"Flo\"}\n";
    let n2 = write(&d.join("people2.jsonl"), &changed);
    let more = KNOWS.replace("\"since\": 2020", "\"since\": 2021")
        + "{\"from\": 8, \"to\": 1, \"type\": \"KNOWS\"}\n{\"from\": 8, \"to\": 1, \"type\": \"KNOWS\", \"data\": {\"w\": 2}}\n";
    let e2 = write(&d.join("knows2.jsonl"), &more);
    let v = json_of(&[
        "import",
        db,
        "--nodes",
        s(&n2),
        "--edges",
        s(&e2),
        "--upsert",
    ]);
    assert_eq!(
        (
            v["nodes"].as_u64(),
            v["edges"].as_u64(),
            v["nodes_updated"].as_u64(),
            v["edges_updated"].as_u64()
        ),
        (Some(1), Some(1), Some(7), Some(5)),
        "{v}"
    );
    assert_eq!(counts(db), (8, 5));
    let bob = json_of(&["node", "get", db, "--key", "Person.id=2"]);
    assert_eq!(bob["data"], json!({"age": 26, "city": "Köln", "id": 2}));
    assert_eq!(bob["id"], 2, "updated in place");
    assert_eq!(
        json_of(&["edge", "get", db, "1"])["data"],
        json!({"since": 2021})
    );
    let flo_edges = json_of(&["neighbors", db, "--key", "Person.id=8", "--dir", "out"]);
    assert_eq!(flo_edges["count"], 1);
    assert_eq!(flo_edges["neighbors"][0]["node"]["name"], "Ann");
    let flo_edge = flo_edges["neighbors"][0]["edge"]
        .as_u64()
        .unwrap()
        .to_string();
    assert_eq!(
        json_of(&["edge", "get", db, &flo_edge])["data"],
        json!({"w": 2})
    );
    clean(db);

    // Edge lists: endpoints are found by (node kind, id), so an --upsert rerun changes no
    // count and updates a weight; without --upsert the edges are added again.
    let el = write(&d.join("g.txt"), "1 2\n2 3 0.5\n3 1\n1 2\n");
    let g = &s(&d.join("g.pgdb")).to_string();
    assert_eq!(json_of(&["import", g, "--edges", s(&el)])["edges"], 4);
    assert_eq!(
        json_of(&["node", "get", g, "--key", "node.id=3"])["data"],
        json!({"id": 3})
    );
    let v = json_of(&["import", g, "--edges", s(&el), "--upsert"]);
    assert_eq!(
        (
            v["nodes"].as_u64(),
            v["edges"].as_u64(),
            v["edges_updated"].as_u64()
        ),
        (Some(0), Some(0), Some(4))
    );
    assert_eq!(counts(g), (3, 4));
    write(&el, "2 3 0.75\n");
    ok(&["import", g, "--edges", s(&el), "--upsert"]);
    assert_eq!(
        json_of(&["edge", "get", g, "2"])["data"],
        json!({"weight": 0.75})
    );
    ok(&["import", g, "--edges", s(&el)]);
    assert_eq!(counts(g), (3, 5));
    clean(g);

    // --id-property names the property; data that already has it keeps its value (as an
    // export of an imported graph does), and the other property names are refused.
    let h = &s(&d.join("h.pgdb")).to_string();
    let nodes = write(
        &d.join("ext.jsonl"),
        "{\"id\": \"a\", \"kind\": \"T\"}\n{\"id\": \"b\", \"kind\": \"T\", \"data\": {\"ext\": \"B\"}}\n",
    );
    ok(&["import", h, "--nodes", s(&nodes), "--id-property", "ext"]);
    assert_eq!(
        json_of(&["node", "get", h, "--key", "T.ext=a"])["data"],
        json!({"ext": "a"})
    );
    assert_eq!(
        json_of(&["node", "get", h, "--key", "T.ext=B"])["name"],
        "b"
    );
    assert_eq!(
        json_of(&["index", "list", h])["indexes"][0]["name"],
        "T_ext"
    );
    assert!(
        fails(&["import", h, "--nodes", s(&nodes), "--id-property", "name"])
            .contains("--id-property")
    );
    // An index on the property that is not unique stops the import, saying what to do.
    ok(&["index", "create", h, "--label", "U", "--property", "ext"]);
    let u = write(&d.join("u.jsonl"), "{\"id\": 1, \"kind\": \"U\"}\n");
    let err = fails(&["import", h, "--nodes", s(&u), "--id-property", "ext"]);
    assert!(
        err.contains("U_ext") && err.contains("not a unique constraint"),
        "{err}"
    );
    clean(h);
}

#[test]
fn export_of_an_imported_graph_imports_to_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = &people(d);
    let out = d.join("dump");
    ok(&["export", db, "--format", "jsonl", "--out", s(&out)]);
    let again = &s(&d.join("again.pgdb")).to_string();
    ok(&[
        "import",
        again,
        "--nodes",
        s(&out.join("nodes.jsonl")),
        "--edges",
        s(&out.join("edges.jsonl")),
    ]);
    assert_eq!(
        common::jsonl_dump(Path::new(db)),
        common::jsonl_dump(Path::new(again))
    );
    // The file ids survive as the id property, so keys find the same nodes.
    assert_eq!(
        json_of(&["node", "get", again, "--key", "Person.id=3"])["name"],
        "Cy"
    );
    clean(again);
}
