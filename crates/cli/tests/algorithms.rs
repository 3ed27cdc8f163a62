//! The algorithm commands (`bfs`, `path`, `algo`) run as a user would, on small graphs
//! with hand-computed answers, including their error exits.

#![allow(clippy::unwrap_used, reason = "tests: a failed step is a failed test")]

mod common;

use std::path::{Path, PathBuf};

use common::{fails, json_of, nothing_found, ok, s, write};
use serde_json::{Value, json};

/// The hand-checked graph, imported into `dir`: a -> b -> c (weights 1), a -> c (5),
/// c -> d (2), the cycle c -> d -> e -> c, and f -> g apart. Ids by first sight: a=1 b=2
/// c=3 d=4 e=5 f=6 g=7.
fn hand_graph(dir: &Path) -> PathBuf {
    let db = dir.join("g.pgdb");
    let e = write(
        &dir.join("g.e"),
        "a b 1\nb c 1\na c 5\nc d 2\nd e 1\ne c 1\nf g 1\n",
    );
    ok(&["import", s(&db), "--edges", s(&e)]);
    db
}

#[test]
fn traversals_paths_and_algorithms_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_graph(dir.path());
    let db = s(&db);
    let names = |v: &Value| -> Vec<String> {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    // `path --json` is {"paths": [...]} with or without --k.
    let one = |args: &[&str]| json_of(args)["paths"][0].clone();
    let hops = one(&["path", db, "a", "d", "--by-name"]);
    assert_eq!(names(&hops), ["a", "c", "d"]);
    assert_eq!(hops["cost"], 2.0);
    let cheap = one(&["path", db, "a", "d", "--by-name", "--weight", "weight"]);
    assert_eq!(names(&cheap), ["a", "b", "c", "d"]);
    assert_eq!(cheap["cost"], 4.0);
    assert_eq!(cheap["edges"].as_array().unwrap().len(), 3);
    // No path: exit status 3, no result on stdout.
    assert_eq!(
        nothing_found(&["path", db, "d", "a", "--by-name"]),
        json!({"paths": []})
    );
    let back = one(&["path", db, "d", "a", "--by-name", "--dir", "in"]);
    assert_eq!(names(&back), ["d", "c", "a"]);

    let near = json_of(&["bfs", db, "--start", "a", "--by-name", "--depth", "1"]);
    let got: Vec<(String, u64)> = near
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().into(),
                v["depth"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("a".into(), 0), ("b".into(), 1), ("c".into(), 1)]);
    let all = json_of(&["bfs", db, "--start", "a", "--by-name"]);
    assert_eq!(all.as_array().unwrap().len(), 5);
    let e_visit = all
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "e")
        .unwrap();
    assert_eq!(e_visit["depth"], 3);
    assert!(fails(&["bfs", db, "--start", "zz", "--by-name"]).contains("zz"));
    assert!(fails(&["bfs", db, "--start", "999"]).contains("999"));

    let wcc = json_of(&["algo", db, "wcc"]);
    assert_eq!(wcc["components"], 2);
    assert_eq!(wcc["largest"][0]["size"], 5);
    assert_eq!(wcc["labels"].as_array().unwrap().len(), 7);
    let scc = json_of(&["algo", db, "scc"]);
    assert_eq!(scc["components"], 5, "{{c,d,e}} and four single nodes");
    assert_eq!(scc["largest"][0].as_array().unwrap().len(), 3);
    let cycle = json_of(&["algo", db, "cycle"]);
    let mut on_cycle: Vec<&str> = cycle
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    on_cycle.sort_unstable();
    assert_eq!(on_cycle, ["c", "d", "e"]);
    assert!(fails(&["algo", db, "topo"]).contains("cycle"));
    let ranks = json_of(&["algo", db, "pagerank", "--top", "0"]);
    let sum: f64 = ranks
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rank"].as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    assert_eq!(ranks.as_array().unwrap().len(), 7);
    assert!(fails(&["algo", db, "pagerank", "--damping", "1.5"]).contains("damping"));
    // Edge-type filter: every edge here has the default type.
    assert_eq!(
        json_of(&["algo", db, "wcc", "--type", "nope"])["components"],
        7
    );
    assert!(ok(&["algo", db, "scc"]).contains("strongly connected components"));
}

#[test]
fn every_algorithm_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_graph(dir.path());
    let db = s(&db);
    let column = |v: &Value, key: &str| -> Vec<(u64, f64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["node"].as_u64().unwrap(), r[key].as_f64().unwrap()))
            .collect()
    };
    // Yen: the two cheapest paths a -> d.
    let two = json_of(&[
        "path",
        db,
        "a",
        "d",
        "--by-name",
        "--weight",
        "weight",
        "--k",
        "2",
    ]);
    let costs: Vec<f64> = two["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cost"].as_f64().unwrap())
        .collect();
    assert_eq!(costs, [4.0, 7.0]);
    // Degree (both ways): c has 4 edges.
    let deg = json_of(&["algo", db, "degree", "--top", "1"]);
    assert_eq!(column(&deg, "degree"), [(3, 4.0)]);
    // Single-source costs from a, nearest first; f and g are not reached.
    let sssp = json_of(&[
        "algo",
        db,
        "sssp",
        "--source",
        "a",
        "--by-name",
        "--weight",
        "weight",
    ]);
    assert_eq!(
        column(&sssp, "distance"),
        [(1, 0.0), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0)]
    );
    assert_eq!(
        json_of(&["algo", db, "reach", "--source", "4"]),
        json!([{"node": 3, "name": "c"}, {"node": 4, "name": "d"}, {"node": 5, "name": "e"}])
    );
    // Undirected: triangles abc and cde; c is on every path between {a, b} and {d, e}.
    let tri = json_of(&["algo", db, "triangles", "--top", "1"]);
    assert_eq!(tri["total"], 2);
    assert_eq!(tri["nodes"][0]["node"], 3);
    let bc = json_of(&["algo", db, "betweenness", "--dir", "both", "--top", "2"]);
    assert_eq!(column(&bc, "betweenness"), [(3, 4.0), (1, 0.0)]);
    // c's neighbors {a, b, d, e} have 2 links of 6 possible.
    let lcc = json_of(&["algo", db, "lcc", "--top", "0"]);
    assert!(column(&lcc, "clustering").contains(&(3, 1.0 / 3.0)));
    let kcore = json_of(&["algo", db, "kcore", "--k", "2"]);
    let in_core: Vec<u64> = kcore
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_u64().unwrap())
        .collect();
    assert_eq!(in_core, [1, 2, 3, 4, 5]);
    // a reaches 4 nodes at total distance 1 + 1 + 2 + 3: 4/7 * 4/6.
    let close = json_of(&["algo", db, "closeness", "--dir", "out", "--top", "1"]);
    let (node, score) = column(&close, "closeness")[0];
    assert_eq!(node, 1);
    assert!((score - 4.0 / 7.0 * 4.0 / 6.0).abs() < 1e-12, "{score}");
    // Control flow from a: c's idom is a, d's is c, e's is d; the loop c -> d -> e -> c.
    let dom = json_of(&["algo", db, "dominators", "--source", "a", "--by-name"]);
    let idoms: Vec<(u64, u64)> = dom["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["node"].as_u64().unwrap(), r["idom"].as_u64().unwrap()))
        .collect();
    assert_eq!(idoms, [(2, 1), (3, 1), (4, 3), (5, 4)]);
    let post = json_of(&["algo", db, "post-dominators", "--source", "d", "--by-name"]);
    assert_eq!(post["root"]["name"], "d");
    assert_eq!(post["nodes"].as_array().unwrap().len(), 4);
    let loops = json_of(&["algo", db, "loops", "--source", "1"]);
    assert_eq!(
        loops,
        json!([{"header": 3, "back_edges": [6], "body": [3, 4, 5]}])
    );
    // Communities: f and g are never with the others.
    let louvain = json_of(&["algo", db, "louvain"]);
    assert!(louvain["modularity"].as_f64().unwrap() > 0.0);
    let labels = louvain["labels"].as_array().unwrap();
    assert_eq!(
        (&labels[0]["name"], &labels[5]["name"]),
        (&json!("a"), &json!("f"))
    );
    assert_ne!(labels[0]["label"], labels[5]["label"]);
    assert_eq!(
        json_of(&["algo", db, "cdlp"])["labels"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    // Errors: a DAG-only algorithm on a cycle; a missing --source; a misplaced --weight.
    assert!(fails(&["algo", db, "tred"]).contains("cycle"));
    assert!(fails(&["algo", db, "sssp"]).contains("--source"));
    assert!(fails(&["algo", db, "degree", "--weight", "w"]).contains("--weight"));
    assert!(fails(&["algo", db, "betweenness", "--samples", "0"]).contains("samples"));
    assert!(ok(&["algo", db, "louvain"]).contains("modularity"));
}

#[test]
fn astar_with_coordinates_from_node_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    // Four towns on a line, and a detour town far off it. Road lengths are at least the
    // straight-line distance, so the heuristic is admissible.
    let nodes = write(
        &dir.path().join("n.jsonl"),
        r#"{"id": "a", "kind": "Town", "name": "a", "data": {"x": 0, "y": 0}}
{"id": "b", "kind": "Town", "name": "b", "data": {"x": 1, "y": 0}}
{"id": "c", "kind": "Town", "name": "c", "data": {"x": 2, "y": 0}}
{"id": "d", "kind": "Town", "name": "d", "data": {"x": 3, "y": 0}}
{"id": "e", "kind": "Town", "name": "e", "data": {"x": 1, "y": 5}}
{"id": "f", "kind": "Town", "name": "f", "data": {}}
"#,
    );
    let edges = write(
        &dir.path().join("e.jsonl"),
        r#"{"from": "a", "to": "b", "type": "ROAD", "data": {"km": 1}}
{"from": "b", "to": "c", "type": "ROAD", "data": {"km": 1.5}}
{"from": "c", "to": "d", "type": "ROAD", "data": {"km": 1}}
{"from": "a", "to": "e", "type": "ROAD", "data": {"km": 5.1}}
{"from": "e", "to": "d", "type": "ROAD", "data": {"km": 5.4}}
{"from": "b", "to": "f", "type": "ROAD", "data": {"km": 0.1}}
{"from": "f", "to": "d", "type": "ROAD", "data": {"km": 9}}
"#,
    );
    ok(&["import", s(&db), "--nodes", s(&nodes), "--edges", s(&edges)]);
    let db = s(&db);
    let astar = json_of(&[
        "path",
        db,
        "a",
        "d",
        "--by-name",
        "--weight",
        "km",
        "--astar",
        "x,y",
    ]);
    let dijkstra = json_of(&["path", db, "a", "d", "--by-name", "--weight", "km"]);
    let (astar, dijkstra) = (&astar["paths"][0], &dijkstra["paths"][0]);
    assert_eq!(astar["cost"], 3.5);
    assert_eq!(astar, dijkstra);
    let names: Vec<&str> = astar["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    // The target needs coordinates; the fields come as X,Y.
    assert!(fails(&["path", db, "a", "f", "--by-name", "--astar", "x,y"]).contains("no numeric"));
    assert!(fails(&["path", db, "a", "d", "--by-name", "--astar", "x"]).contains("X,Y"));
}
