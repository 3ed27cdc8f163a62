//! The algorithm commands (`bfs`, `path`, `algo`) run as a user would, on small graphs
//! with hand-computed answers, including their error exits.

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::format_collect,
    reason = "tests: a failed step is a failed test; each test reads top to bottom"
)]

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
    assert_eq!(
        dom["nodes"][2]["idom_name"], "c",
        "each idom carries its name"
    );
    let post = json_of(&["algo", db, "post-dominators", "--source", "d", "--by-name"]);
    assert_eq!(post["root"]["name"], "d");
    assert_eq!(post["nodes"].as_array().unwrap().len(), 4);
    let loops = json_of(&["algo", db, "loops", "--source", "1"]);
    assert_eq!(
        loops,
        json!([{"header": 3, "header_name": "c", "back_edges": [6], "body": [
            {"node": 3, "name": "c"}, {"node": 4, "name": "d"}, {"node": 5, "name": "e"}
        ]}])
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

/// Zachary's karate club, one line per friendship (members 1..=34).
const KARATE: &str = "1-2 1-3 1-4 1-5 1-6 1-7 1-8 1-9 1-11 1-12 1-13 1-14 1-18 1-20 1-22 1-32 2-3 2-4 2-8 2-14 2-18 2-20 2-22 2-31 3-4 3-8 3-9 3-10 3-14 3-28 3-29 3-33 4-8 4-13 4-14 5-7 5-11 6-7 6-11 6-17 7-17 9-31 9-33 9-34 14-34 20-34 32-25 32-26 32-29 32-33 32-34 31-33 31-34 10-34 28-24 28-25 28-34 29-34 33-15 33-16 33-19 33-21 33-23 33-24 33-30 33-34 34-15 34-16 34-19 34-21 34-23 34-24 34-27 34-30 24-26 24-30 26-25 30-27";

/// NetworkX 3.6 `pagerank(G, alpha=0.85, tol=1e-14)` on the undirected karate club graph.
const KARATE_PAGERANK: [f64; 34] = [
    0.096_997_285_388_373_85,
    0.052_876_924_061_168_42,
    0.057_078_509_488_460_14,
    0.035_859_857_786_430_18,
    0.021_977_952_364_620_395,
    0.029_111_154_678_416_34,
    0.029_111_154_678_416_34,
    0.024_490_497_035_294_375,
    0.029_766_056_081_009_08,
    0.014_309_397_129_027_668,
    0.021_977_952_364_620_395,
    0.009_564_745_492_141_207,
    0.014_644_892_011_886_432,
    0.029_536_456_151_920_635,
    0.014_535_993_997_910_644,
    0.014_535_993_997_910_644,
    0.016_784_005_444_216_283,
    0.014_558_677_209_030_098,
    0.014_535_993_997_910_644,
    0.019_604_636_325_656_358,
    0.014_535_993_997_910_644,
    0.014_558_677_209_030_098,
    0.014_535_993_997_910_644,
    0.031_522_514_776_648_816,
    0.021_076_033_559_207_175,
    0.021_006_197_394_476_234,
    0.015_044_038_082_713_533,
    0.025_639_767_482_829_985,
    0.019_573_459_463_819_234,
    0.026_288_537_695_090_607,
    0.024_590_155_248_570_597,
    0.037_158_087_069_124_37,
    0.071_693_226_005_696_36,
    0.100_919_182_332_551_58,
];

#[test]
fn undirected_pagerank_agrees_with_networkx_on_karate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("karate.pgdb");
    let lines: String = KARATE
        .split(' ')
        .map(|e| e.replace('-', " ") + "\n")
        .collect();
    let e = write(&dir.path().join("karate.txt"), &lines);
    ok(&["import", s(&db), "--edges", s(&e)]);
    let db = s(&db);
    let ranks = |dir: &str| -> Vec<f64> {
        let v = json_of(&["algo", db, "pagerank", "--dir", dir, "--iterations", "200"]);
        let mut by_member = [0.0; 34];
        for row in v.as_array().unwrap() {
            let member: usize = row["name"].as_str().unwrap().parse().unwrap();
            by_member[member - 1] = row["rank"].as_f64().unwrap();
        }
        by_member.to_vec()
    };
    let both = ranks("both");
    for (i, (ours, nx)) in both.iter().zip(KARATE_PAGERANK).enumerate() {
        assert!(
            (ours - nx).abs() < 1e-10,
            "member {}: {ours} vs {nx}",
            i + 1
        );
    }
    // Each direction means something else.
    let (out, inn) = (ranks("out"), ranks("in"));
    assert!(out != both && inn != both && out != inn);
}

#[test]
fn options_an_algorithm_does_not_use_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_graph(dir.path());
    let db = s(&db);
    for (args, why) in [
        (
            vec!["wcc", "--damping", "0.5"],
            "--damping does not apply to wcc",
        ),
        (vec!["wcc", "--dir", "both"], "direction by definition"),
        (vec!["scc", "--dir", "in"], "directed edges"),
        (vec!["triangles", "--dir", "out"], "undirected graph"),
        (vec!["kcore", "--dir", "both"], "undirected graph"),
        (vec!["louvain", "--dir", "out"], "undirected graph"),
        (vec!["lcc", "--dir", "in"], "lcc does not take --dir in"),
        (vec!["pagerank", "--resolution", "2"], "--resolution"),
        (vec!["pagerank", "--seed", "1"], "--seed"),
        (vec!["degree", "--iterations", "3"], "--iterations"),
        (vec!["cdlp", "--tolerance", "0.1"], "--tolerance"),
        (vec!["betweenness", "--seed", "3"], "--samples"),
        (vec!["closeness", "--k", "2"], "--k"),
        (vec!["reach", "--source", "1", "--all"], "--all"),
        (vec!["wcc", "--by-name"], "--source"),
        (vec!["topo", "--normalized"], "--normalized"),
        (vec!["degree", "--weight", "w"], "--weight"),
    ] {
        let mut a = vec!["algo", db];
        a.extend(&args);
        let err = fails(&a);
        assert!(err.contains(why), "{args:?}: {err}");
    }
    // What each accepts takes effect: lcc out (directed) differs from both here.
    assert_ne!(
        json_of(&["algo", db, "lcc", "--dir", "out"]),
        json_of(&["algo", db, "lcc", "--dir", "both"])
    );
}

#[test]
fn unreached_nodes_are_listed_at_infinity_and_top_limits_json_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_graph(dir.path());
    let db = s(&db);
    let sssp = json_of(&["algo", db, "sssp", "--source", "a", "--by-name", "--all"]);
    let rows = sssp.as_array().unwrap();
    assert_eq!(rows.len(), 7);
    let far: Vec<(&str, &Value)> = rows[5..]
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), &r["distance"]))
        .collect();
    assert_eq!(far, [("f", &json!("infinity")), ("g", &json!("infinity"))]);
    let bfs = json_of(&["bfs", db, "--start", "a", "--by-name", "--all"]);
    assert_eq!(bfs.as_array().unwrap().len(), 7);
    assert_eq!(bfs[6]["depth"], "infinity");
    assert!(ok(&["bfs", db, "--start", "a", "--by-name", "--all"]).contains("infinity\t7\tg"));
    // 30 nodes: text shows 20 by default, JSON all, --top applies to both.
    let big = dir.path().join("big.pgdb");
    let lines: String = (1..30).map(|i| format!("{i} {}\n", i + 1)).collect();
    let e = write(&dir.path().join("big.txt"), &lines);
    ok(&["import", s(&big), "--edges", s(&e)]);
    let big = s(&big);
    assert_eq!(
        json_of(&["algo", big, "pagerank"])
            .as_array()
            .unwrap()
            .len(),
        30
    );
    assert_eq!(ok(&["algo", big, "pagerank"]).lines().count(), 21);
    let top = json_of(&["algo", big, "degree", "--top", "5"]);
    assert_eq!(top.as_array().unwrap().len(), 5);
    assert_eq!(
        json_of(&["algo", big, "wcc"])["largest"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
