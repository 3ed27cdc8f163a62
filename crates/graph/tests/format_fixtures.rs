//! Databases written by earlier releases, committed under `tests/fixtures/`, open with their
//! content intact. Each fixture is a database file plus a WAL holding commits that were never
//! checkpointed (the state a killed process leaves), so both the page format and the WAL
//! format of that release are read.
//!
//! `v1/`: format version 1 (WAL version 2): 20 nodes (`n0`..`n19`, kinds alternating
//! `Person`, `City`, data `{"i": i, "sq": i*i}`) in a chain of 19 `NEXT` edges (data
//! `{"w": i}`), checkpointed; then, only in the WAL, a node `in-wal-1` with a `KNOWS` edge
//! to `n0`, and a node `in-wal-2`.
//!
//! `v2/`: format version 2 (WAL version 3), the same content. Its header names a live WAL
//! at `/moved-away/graph.pgdb-wal` (as if the database and its WAL had been moved since a
//! crash), so the WAL beside it is the one found.
//!
//! A format change must keep these tests passing (by upgrading the file) or make them
//! assert a clear refusal; it never misreads them.

#![allow(clippy::expect_used, reason = "a failed step is a failed test")]

use std::collections::BTreeMap;
use std::path::Path;

use pagegraph::{Direction, Graph};
use serde_json::json;

/// Copies fixture `name` (database and WAL, if it has one) into a fresh directory and
/// returns its path.
fn fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["graph.pgdb", "graph.pgdb-wal"] {
        if file == "graph.pgdb" || src.join(file).exists() {
            std::fs::copy(src.join(file), dir.path().join(file)).expect("copy fixture");
        }
    }
    let path = dir.path().join("graph.pgdb");
    (dir, path)
}

/// Opens the fixture copy at `path` read-only (nothing upgraded or written), or fails
/// the test saying `what`.
fn open_read_only(path: &Path, what: &str) -> Graph {
    let options = pagegraph::Options {
        read_only: true,
        ..pagegraph::Options::default()
    };
    Graph::open_with(path, options).expect(what)
}

fn assert_v1_content(g: &Graph) {
    let r = g.begin_read().expect("read");
    assert_eq!(r.node_count().expect("count"), 22);
    assert_eq!(r.edge_count().expect("count"), 20);
    assert_eq!(
        r.kinds().expect("kinds"),
        vec![("City".to_string(), 11), ("Person".to_string(), 11)]
    );
    for i in 0..20u64 {
        let ids = r.nodes_by_name(&format!("n{i}")).expect("by name");
        assert_eq!(ids.len(), 1, "n{i}");
        let n = r.node(ids[0]).expect("node").expect("exists");
        assert_eq!(n.kind, if i % 2 == 0 { "Person" } else { "City" });
        assert_eq!(n.data, json!({"i": i, "sq": i * i}));
        let out = r
            .neighbors(ids[0], Direction::Outgoing, Some("NEXT"))
            .expect("neighbors");
        if i < 19 {
            assert_eq!(out.len(), 1, "n{i}");
            let next = r.node(out[0].1).expect("node").expect("exists");
            assert_eq!(next.name, format!("n{}", i + 1));
            let e = r.edge(out[0].0).expect("edge").expect("exists");
            assert_eq!(e.data, json!({"w": i}));
        } else {
            assert!(out.is_empty());
        }
    }
    let w1 = r.nodes_by_name("in-wal-1").expect("by name");
    assert_eq!(w1.len(), 1);
    let n = r.node(w1[0]).expect("node").expect("exists");
    assert_eq!(n.data, json!({"note": "only in the WAL"}));
    let knows = r
        .neighbors(w1[0], Direction::Outgoing, Some("KNOWS"))
        .expect("neighbors");
    assert_eq!(knows.len(), 1);
    assert_eq!(
        r.node(knows[0].1).expect("node").expect("exists").name,
        "n0"
    );
    assert_eq!(r.nodes_by_name("in-wal-2").expect("by name").len(), 1);
}

#[test]
fn every_fixture_opens_with_its_wal_replayed() {
    for name in ["v1", "v2"] {
        let (_dir, path) = fixture(name);
        let g = Graph::open(&path).expect("open fixture");
        assert_v1_content(&g);
        assert!(g.check().expect("check").is_clean(), "{name}");
        g.close().expect("close");
        // Reopened after the upgrade and checkpoint, the content is the same.
        let g = Graph::open(&path).expect("reopen");
        assert_v1_content(&g);
        assert!(g.check().expect("check").is_clean(), "{name}");
    }
}

#[test]
fn fixtures_read_only_are_read_in_place_and_left_as_they_are() {
    for name in ["v1", "v2"] {
        let (dir, path) = fixture(name);
        let files = |d: &Path| {
            ["graph.pgdb", "graph.pgdb-wal"].map(|f| std::fs::read(d.join(f)).expect("read"))
        };
        let before = files(dir.path());
        let g = open_read_only(&path, "open v1 fixture read-only");
        assert_v1_content(&g);
        assert!(g.check().expect("check").is_clean());
        drop(g);
        assert_eq!(
            files(dir.path()),
            before,
            "a read-only open changed the files"
        );
    }
}

#[test]
fn v1_fixture_is_upgraded_to_the_current_format_by_a_read_write_open() {
    let (dir, path) = fixture("v1");
    Graph::open(&path).expect("open").close().expect("close");
    let bytes = std::fs::read(&path).expect("read");
    // Header slot 0: format version at byte 40, database id at 88 (docs/file-format.md).
    let version = u32::from_le_bytes(bytes[40..44].try_into().expect("4 bytes"));
    let id = u64::from_le_bytes(bytes[88..96].try_into().expect("8 bytes"));
    assert_eq!(version, pagegraph::storage::FORMAT_VERSION);
    assert_ne!(id, 0, "the upgrade gave the database an id");
    assert!(!dir.path().join("graph.pgdb-wal").exists());
}

/// A format-1 database whose first read-write open (the upgrade) is cut short at any write
/// or sync, with or without a power cut after it, opens read-write afterwards with its
/// content. The upgrade starts (or resets) the WAL with the id it is about to give the file
/// before the upgraded header is written; cut short between the two, that WAL must not be
/// refused as another database's on every later read-write open.
#[test]
fn a_format_1_upgrade_cut_short_anywhere_reopens() {
    use std::sync::Arc;

    use pagegraph::storage::file::{FaultPlan, FaultVfs, MemVfs};

    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let db_bytes = std::fs::read(src.join("graph.pgdb")).expect("fixture");
    let wal_bytes = std::fs::read(src.join("graph.pgdb-wal")).expect("fixture");
    let path = Path::new("/graph.pgdb");
    let wal = Path::new("/graph.pgdb-wal");
    // The checkpointed file alone, and beside an emptied WAL of its release (the 32-byte
    // version-2 header, no frames): both hold the 20 checkpointed nodes.
    for with_wal in [false, true] {
        for fail_sync in [false, true] {
            for n in 1..40 {
                let mem = MemVfs::new();
                mem.write_file(path, db_bytes.clone());
                if with_wal {
                    mem.write_file(wal, wal_bytes[..32].to_vec());
                }
                let faulty = FaultVfs::new(mem.clone());
                let mut plan = FaultPlan::default();
                if fail_sync {
                    plan.fail_sync = Some(n);
                } else {
                    plan.fail_write = Some(n);
                }
                faulty.set_plan(plan);
                drop(Graph::open_with_vfs(
                    Arc::new(faulty.clone()),
                    path,
                    pagegraph::Options::default(),
                ));
                if !faulty.fired() {
                    break;
                }
                let ctx = format!(
                    "WAL {with_wal}, fail {} #{n}",
                    if fail_sync { "sync" } else { "write" }
                );
                let mut seed = n;
                mem.power_cut(&mut || {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    seed >> 11
                });
                let g = Graph::open_with_vfs(
                    Arc::new(mem.clone()),
                    path,
                    pagegraph::Options::default(),
                )
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let r = g.begin_read().expect("read");
                assert_eq!(r.node_count().expect("count"), 20, "{ctx}");
                drop(r);
                assert!(g.check().expect("check").is_clean(), "{ctx}");
                g.close().expect("close");
            }
        }
    }
}

#[test]
fn a_graph_format_1_fixture_is_upgraded_to_format_2_and_takes_indexes() {
    use pagegraph::{Condition, IndexSpec, PropertyValue};
    let (_dir, path) = fixture("v1");
    {
        let g = open_read_only(&path, "read-only");
        assert_eq!(
            g.begin_read()
                .expect("read")
                .graph_format()
                .expect("format"),
            1
        );
    }
    let g = Graph::open(&path).expect("open");
    assert_eq!(
        g.begin_read()
            .expect("read")
            .graph_format()
            .expect("format"),
        pagegraph::GRAPH_FORMAT
    );
    let mut tx = g.begin_write().expect("write");
    tx.create_index(IndexSpec::on_label("Person", "i").unique())
        .expect("index over format-1 records");
    tx.commit().expect("commit");
    let r = g.begin_read().expect("read");
    let hits: Vec<_> = r
        .nodes_where("Person", "i", &Condition::Eq(PropertyValue::Int(4)))
        .expect("lookup")
        .map(|x| x.expect("hit"))
        .collect();
    assert_eq!(hits.len(), 1);
    let n = r.node_props(hits[0]).expect("node").expect("exists");
    assert_eq!(
        n.properties.get("name"),
        Some(&PropertyValue::String("n4".into()))
    );
    drop(r);
    assert_v1_content(&g);
    assert!(g.check().expect("check").is_clean());
}

/// `graph-format-2/`: graph format 2 (one adjacency key per edge), written by the release
/// before adjacency chunks: the edge list `edges.txt` beside it imported (40 nodes named
/// `1`..`40`, 500 `edge` edges, node `1` with 208 outgoing), then two `KNOWS` edges between
/// `2` and `3` with a `since` property.
fn format_2_edges(r: &pagegraph::ReadTxn) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for e in r.edges() {
        let e = e.expect("edge");
        let name = |id| r.node(id).expect("node").expect("exists").name;
        out.push((name(e.from), name(e.to), e.edge_type));
    }
    out.sort();
    out
}

fn format_2_expected() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph-format-2/edges.txt"),
    )
    .expect("edge list");
    let mut out: Vec<(String, String, String)> = text
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').expect("pair");
            (a.to_string(), b.to_string(), "edge".to_string())
        })
        .collect();
    out.push(("2".into(), "3".into(), "KNOWS".into()));
    out.push(("3".into(), "2".into(), "KNOWS".into()));
    out.sort();
    out
}

/// Every node's neighbors, both directions, by name, as the adjacency gives them.
fn neighbor_names(r: &pagegraph::ReadTxn) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for n in r.nodes() {
        let n = n.expect("node");
        for (e, other) in r
            .neighbors(n.id, Direction::Outgoing, None)
            .expect("neighbors")
        {
            let ty = r.edge(e).expect("edge").expect("exists").edge_type;
            let to = r.node(other).expect("node").expect("exists").name;
            out.push((n.name.clone(), to, ty));
        }
        let incoming = r
            .neighbors(n.id, Direction::Incoming, None)
            .expect("neighbors");
        assert_eq!(
            incoming.len() as u64,
            r.degree(n.id, Direction::Incoming, None).expect("degree")
        );
    }
    out.sort();
    out
}

#[test]
fn a_graph_format_2_fixture_reads_as_chunks_of_one_and_is_upgraded_to_format_3() {
    let (_dir, path) = fixture("graph-format-2");
    let expected = format_2_expected();
    {
        let g = open_read_only(&path, "read-only");
        let r = g.begin_read().expect("read");
        assert_eq!(r.graph_format().expect("format"), 2);
        assert_eq!(format_2_edges(&r), expected);
        assert_eq!(neighbor_names(&r), expected);
        drop(r);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    let r = g.begin_read().expect("read");
    assert_eq!(r.graph_format().expect("format"), pagegraph::GRAPH_FORMAT);
    let hub = r.nodes_by_name("1").expect("by name")[0];
    let others: Vec<_> = (2..=40)
        .map(|i| r.nodes_by_name(&i.to_string()).expect("by name")[0])
        .collect();
    drop(r);
    // New edges merge into the one-pair chunks of format 2; deletes take pairs out of them.
    let mut model = expected.clone();
    let mut tx = g.begin_write().expect("write");
    let specs: Vec<_> = (0..300)
        .map(|i| pagegraph::EdgeSpec {
            from: hub,
            to: others[i % others.len()],
            edge_type: "edge".into(),
            data: json!(null),
        })
        .collect();
    for (i, _) in specs.iter().enumerate() {
        model.push((
            "1".into(),
            (i % others.len() + 2).to_string(),
            "edge".into(),
        ));
    }
    tx.insert_edges(specs).expect("insert");
    let old: Vec<_> = tx
        .neighbors(hub, Direction::Outgoing, Some("edge"))
        .expect("neighbors");
    for (e, other) in old.iter().step_by(3) {
        tx.delete_edge(*e).expect("delete");
        let name = tx.node(*other).expect("node").expect("exists").name;
        let at = model
            .iter()
            .position(|m| *m == ("1".to_string(), name.clone(), "edge".to_string()))
            .expect("in model");
        model.remove(at);
    }
    tx.commit().expect("commit");
    model.sort();
    let r = g.begin_read().expect("read");
    assert_eq!(format_2_edges(&r), model);
    assert_eq!(neighbor_names(&r), model);
    drop(r);
    assert!(g.check().expect("check").is_clean());
}

/// `graph-format-3/`: graph format 3 (one edge record per key), written by the release
/// before edge record chunks: `graph-format-2/edges.txt` imported (500 `edge` edges
/// without data), then `KNOWS` edges 501 and 502 with data, `LIKES` edge 503 without,
/// then edge 10 deleted. `edges.jsonl` is every edge as that release printed it
/// (`pagegraph edge get --json`).
fn format_3_expected() -> BTreeMap<u64, (u64, u64, String, serde_json::Value)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph-format-3/edges.jsonl"),
    )
    .expect("edge list");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let n = |k: &str| v[k].as_u64().expect("id");
            let ty = v["type"].as_str().expect("type").to_string();
            (n("id"), (n("from"), n("to"), ty, v["data"].clone()))
        })
        .collect()
}

fn format_3_edges(r: &pagegraph::ReadTxn) -> BTreeMap<u64, (u64, u64, String, serde_json::Value)> {
    r.edges()
        .map(|e| {
            let e = e.expect("edge");
            (e.id.0, (e.from.0, e.to.0, e.edge_type, e.data))
        })
        .collect()
}

#[test]
fn a_graph_format_3_fixture_reads_as_edge_chunks_of_one_and_is_upgraded_to_format_4() {
    let (_dir, path) = fixture("graph-format-3");
    let mut model = format_3_expected();
    assert_eq!(model.len(), 502);
    {
        let g = open_read_only(&path, "read-only");
        let r = g.begin_read().expect("read");
        assert_eq!(r.graph_format().expect("format"), 3);
        assert_eq!(format_3_edges(&r), model);
        assert_eq!(r.edge_count().expect("count"), 502);
        assert!(r.edge(pagegraph::EdgeId(10)).expect("edge").is_none());
        drop(r);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    let r = g.begin_read().expect("read");
    assert_eq!(r.graph_format().expect("format"), pagegraph::GRAPH_FORMAT);
    assert_eq!(format_3_edges(&r), model);
    drop(r);
    // Changes land in the one-edge chunks: new edges, deletes, data given and taken away.
    let mut tx = g.begin_write().expect("write");
    let specs: Vec<_> = (0..100u64)
        .map(|i| pagegraph::EdgeSpec {
            from: pagegraph::NodeId(1 + i % 40),
            to: pagegraph::NodeId(1 + i * 7 % 40),
            edge_type: "edge".into(),
            data: if i % 10 == 0 {
                json!({ "i": i })
            } else {
                json!(null)
            },
        })
        .collect();
    let ids = tx.insert_edges(specs.clone()).expect("insert");
    for (id, s) in ids.iter().zip(&specs) {
        model.insert(
            id.0,
            (s.from.0, s.to.0, s.edge_type.clone(), s.data.clone()),
        );
    }
    for id in [1u64, 2, 250, 501, 503, ids[5].0] {
        tx.delete_edge(pagegraph::EdgeId(id)).expect("delete");
        model.remove(&id);
    }
    for (id, data) in [
        (3u64, json!({"w": 3})),
        (502, json!(null)),
        (ids[0].0, json!(null)),
    ] {
        tx.update_edge(pagegraph::EdgeId(id), data.clone())
            .expect("update");
        model.get_mut(&id).expect("in model").3 = data;
    }
    // The transaction sees its own changes, edge by edge.
    for id in 1..=ids.last().expect("ids").0 {
        let got = tx.edge(pagegraph::EdgeId(id)).expect("edge");
        let got = got.map(|e| (e.from.0, e.to.0, e.edge_type, e.data));
        assert_eq!(got.as_ref(), model.get(&id), "edge {id}");
    }
    assert_eq!(tx.counts().expect("counts").1, model.len() as u64);
    tx.commit().expect("commit");
    let r = g.begin_read().expect("read");
    assert_eq!(format_3_edges(&r), model);
    assert_eq!(r.edge_count().expect("count"), model.len() as u64);
    drop(r);
    assert!(g.check().expect("check").is_clean());
    // Compaction packs the one-edge chunks and keeps every edge.
    g.compact().expect("compact");
    let g = Graph::open(&path).expect("reopen");
    let r = g.begin_read().expect("read");
    assert_eq!(format_3_edges(&r), model);
    drop(r);
    assert!(g.check().expect("check").is_clean());
}

/// `graph-format-4/`: graph format 4 (no self-loop counts), written by the release before
/// them: 30 `N` nodes (`i`: 0..29); an `A` edge from each to node `(7i + 3) % 30` (data
/// `{"w": i}`); an `A` self-loop on every node whose `i` is a multiple of 4, then the one
/// on node 8 deleted; two `B` self-loops (one with data) on every multiple of 5; a `B` edge
/// from each node to the next (mod 30). That is 37 `A` edges (7 self-loops) and 42 `B`
/// edges (12 self-loops).
#[test]
fn a_graph_format_4_fixture_gets_its_self_loops_counted_by_the_upgrade_to_format_5() {
    let (_dir, path) = fixture("graph-format-4");
    let want = vec![("A".to_string(), 7), ("B".to_string(), 12)];
    {
        let g = open_read_only(&path, "read-only");
        let r = g.begin_read().expect("read");
        assert_eq!(r.graph_format().expect("format"), 4);
        // Not counted yet: none are claimed.
        assert_eq!(r.self_loop_counts().expect("loops"), None);
        assert_eq!(
            r.edge_types().expect("types"),
            vec![("A".to_string(), 37), ("B".to_string(), 42)]
        );
        drop(r);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    let r = g.begin_read().expect("read");
    assert_eq!(r.graph_format().expect("format"), pagegraph::GRAPH_FORMAT);
    assert_eq!(r.self_loop_counts().expect("loops"), Some(want));
    drop(r);
    assert!(g.check().expect("check").is_clean());
    // Kept as self-loops come and go, in batches and one at a time.
    let (n, first_b_loop) = {
        let r = g.begin_read().expect("read");
        let b_loop = r
            .edges()
            .map(|e| e.expect("edge"))
            .find(|e| e.edge_type == "B" && e.from == e.to)
            .expect("a B self-loop");
        (r.nodes_by_kind("N").expect("nodes"), b_loop)
    };
    let mut tx = g.begin_write().expect("write");
    let specs = (0..6).map(|i| pagegraph::EdgeSpec {
        from: n[i],
        to: n[if i % 2 == 0 { i } else { i + 1 }],
        edge_type: "C".into(),
        data: serde_json::Value::Null,
    });
    tx.insert_edges(specs).expect("insert");
    tx.delete_edge(first_b_loop.id).expect("delete");
    tx.delete_node(n[0]).expect("delete node and its edges");
    tx.commit().expect("commit");
    let r = g.begin_read().expect("read");
    // Node 0 had an A self-loop (0 is a multiple of 4) and two B ones (one deleted above
    // if it was node 0's, else another's) and a C one (i = 0).
    let counts = r.self_loop_counts().expect("loops").expect("kept");
    let mut recount: BTreeMap<String, u64> = BTreeMap::new();
    for e in r.edges() {
        let e = e.expect("edge");
        if e.from == e.to {
            *recount.entry(e.edge_type).or_default() += 1;
        }
    }
    assert_eq!(counts, recount.into_iter().collect::<Vec<_>>());
    assert_eq!(counts.iter().find(|(t, _)| t == "C").map(|c| c.1), Some(2));
    drop(r);
    assert!(g.check().expect("check").is_clean());
}

/// `graph-format-5/`: graph format 5 (before temporal values), written by the release
/// before them through `pagegraph query`: `(ada:Person {name: 'ada', born: 1815, score:
/// 9.5, tags: ['math', 'poetry'], ok: true})`, `(bob:Person {name: 'bob', born: 1990})`,
/// `(london:City {name: 'London'})`, `(ada)-[:LIVES_IN {since: 1833}]->(london)`,
/// `(bob)-[:KNOWS]->(ada)`, and an index on `Person.born`.
#[test]
fn a_graph_format_5_fixture_reads_the_same_and_takes_temporal_values_after_the_upgrade() {
    use pagegraph::value::{Inequality, Temporal};
    use pagegraph::{Condition, PropertyValue as V};

    let (_dir, path) = fixture("graph-format-5");
    let content = |g: &Graph| {
        let r = g.begin_read().expect("read");
        let ada = r.nodes_by_name("ada").expect("by name")[0];
        let props = r.node_props(ada).expect("props").expect("ada").properties;
        assert_eq!(props.get("born"), Some(&V::Int(1815)));
        assert_eq!(props.get("score"), Some(&V::Float(9.5)));
        assert_eq!(
            props.get("tags"),
            Some(&V::List(vec![
                V::String("math".into()),
                V::String("poetry".into())
            ]))
        );
        assert_eq!(props.get("ok"), Some(&V::Bool(true)));
        let older = r
            .nodes_where(
                "Person",
                "born",
                &Condition::Cmp(Inequality::Lt, V::Int(1900)),
            )
            .expect("seek")
            .collect::<Result<Vec<_>, _>>()
            .expect("ids");
        assert_eq!(older, vec![ada]);
        assert_eq!(
            r.edge_types().expect("types"),
            vec![("KNOWS".to_string(), 1), ("LIVES_IN".to_string(), 1)]
        );
        (
            r.graph_format().expect("format"),
            ada,
            r.nodes_by_name("bob").expect("bob")[0],
        )
    };
    {
        let g = open_read_only(&path, "read-only");
        assert_eq!(content(&g).0, 5);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    let (format, ada, bob) = content(&g);
    assert_eq!(format, pagegraph::GRAPH_FORMAT);
    assert!(g.check().expect("check").is_clean());
    // Temporal values can now be stored, indexed and found.
    let day = |t: &str| V::Temporal(Temporal::parse("date", t).expect("date"));
    let mut tx = g.begin_write().expect("write");
    tx.set_node_property(ada, "died", day("1852-11-27"))
        .expect("set");
    tx.set_node_property(bob, "died", day("2070-01-01"))
        .expect("set");
    tx.create_index(pagegraph::IndexSpec {
        name: None,
        target: pagegraph::IndexTarget::Label("Person".into()),
        properties: vec!["died".into()],
        unique: false,
    })
    .expect("index");
    tx.commit().expect("commit");
    drop(g);
    let g = Graph::open(&path).expect("reopen");
    let r = g.begin_read().expect("read");
    let before = r
        .nodes_where(
            "Person",
            "died",
            &Condition::Cmp(Inequality::Lt, day("1970-01-01")),
        )
        .expect("seek")
        .collect::<Result<Vec<_>, _>>()
        .expect("ids");
    assert_eq!(before, vec![ada]);
    drop(r);
    assert!(g.check().expect("check").is_clean());
}

/// The data of the nodes of `graph-format-6/`, in id order.
fn format_6_nodes() -> [serde_json::Value; 6] {
    [
        json!({"born": 1815, "died": {"\u{0}date": "1852-11-27"}, "ok": true, "score": 9.5,
               "tags": ["math", "poetry"]}),
        json!({"bio": "A long text that does not fit inline in the node record, so it goes outside.",
               "born": 1990}),
        json!({"note": "tab\there \"quoted\" é"}),
        serde_json::from_str(
            r#"{"e": 1e-320, "neg": -9223372036854775808, "nested": {"a": [1, {"b": null}]},
                "u": 18446744073709551615, "z": -0.0}"#,
        )
        .expect("json"),
        json!([1, 2, "three"]),
        json!({}),
    ]
}

/// `graph-format-6/`: graph format 6 (data stored as JSON text), written by the release
/// before binary data through `pagegraph query` and `pagegraph node add`: the format 5
/// fixture's people and places (with a date and a long text stored outside the node
/// record), a node whose data holds an integer above `i64::MAX`, the smallest negative
/// integer, a nested map, `-0.0` and a subnormal float, one whose data is a list, one
/// with an empty object, a relationship with data and two without, and an index on
/// `Person.born`.
#[test]
fn a_graph_format_6_fixture_reads_the_same_and_mixes_json_and_binary_data_after_the_upgrade() {
    use pagegraph::value::Inequality;
    use pagegraph::{Condition, EdgeId, NodeId, PropertyValue as V};

    let (_dir, path) = fixture("graph-format-6");
    let nodes = format_6_nodes();
    let edges = [json!({"since": 1833, "w": 0.25}), json!(null), json!(null)];
    let born_under = |g: &Graph, year: i64| {
        g.begin_read()
            .expect("read")
            .nodes_where(
                "Person",
                "born",
                &Condition::Cmp(Inequality::Lt, V::Int(year)),
            )
            .expect("seek")
            .collect::<Result<Vec<_>, _>>()
            .expect("ids")
    };
    let content = |g: &Graph| {
        let r = g.begin_read().expect("read");
        for (i, want) in nodes.iter().enumerate() {
            let id = NodeId(i as u64 + 1);
            let node = r.node(id).expect("node").expect("exists");
            assert_eq!(&node.data, want, "node {id:?}");
            // Bit for bit: -0.0 stays negative, 1e-320 stays subnormal.
            assert_eq!(node.data.to_string(), want.to_string());
            let raw = r.node_raw(id).expect("raw").expect("exists");
            let text: serde_json::Value = serde_json::from_str(&raw.data).expect("JSON text");
            assert_eq!(&text, want);
        }
        for (i, want) in edges.iter().enumerate() {
            let e = r.edge(EdgeId(i as u64 + 1)).expect("edge").expect("exists");
            assert_eq!(&e.data, want);
        }
        let ada = r.node_props(NodeId(1)).expect("props").expect("ada");
        assert_eq!(ada.properties.get("score"), Some(&V::Float(9.5)));
        assert_eq!(
            r.edge_property(EdgeId(1), "w").expect("w"),
            Some(V::Float(0.25))
        );
        r.graph_format().expect("format")
    };
    {
        let g = open_read_only(&path, "read-only");
        assert_eq!(content(&g), 6);
        // Format 6 wrote JSON text: read as it is.
        let raw = g
            .begin_read()
            .expect("read")
            .node_raw(NodeId(3))
            .expect("raw");
        assert_eq!(
            raw.expect("London").data,
            r#"{"note":"tab\there \"quoted\" é"}"#
        );
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    assert_eq!(content(&g), pagegraph::GRAPH_FORMAT);
    assert!(g.check().expect("check").is_clean());
    assert_eq!(born_under(&g, 1900), vec![NodeId(1)]);
    // Rewrites: each record written again is binary, beside the JSON text of the others;
    // the index drops the old value read from JSON text.
    let mut tx = g.begin_write().expect("write");
    tx.set_node_property(NodeId(1), "born", V::Int(2000))
        .expect("ada");
    tx.set_node_property(NodeId(2), "born", V::Int(1850))
        .expect("bob");
    tx.update_node(NodeId(4), nodes[3].clone())
        .expect("same data");
    tx.set_edge_property(EdgeId(1), "w", V::Float(-0.5))
        .expect("edge");
    tx.commit().expect("commit");
    drop(g);
    let g = Graph::open(&path).expect("reopen");
    assert!(g.check().expect("check").is_clean());
    assert_eq!(born_under(&g, 1900), vec![NodeId(2)]);
    assert_eq!(
        born_under(&g, 2001),
        vec![NodeId(2), NodeId(1)],
        "in value order"
    );
    let r = g.begin_read().expect("read");
    let node = |id: u64| r.node(NodeId(id)).expect("node").expect("exists").data;
    assert_eq!(node(1)["born"], json!(2000));
    assert_eq!(node(1)["died"], nodes[0]["died"]);
    assert_eq!(node(2)["bio"], nodes[1]["bio"]);
    assert_eq!(node(4).to_string(), nodes[3].to_string());
    assert_eq!(node(3), nodes[2]);
    assert_eq!(
        r.edge(EdgeId(1)).expect("edge").expect("exists").data,
        json!({"since": 1833, "w": -0.5})
    );
}

/// `graph-format-7/`: graph format 7 (before degree trees), written by the release before
/// them through `pagegraph query`: `(ada:Person)`, `(bob:Person)`, `(london:City)`,
/// `(ada)-[:LIVES_IN {since: 1833}]->(london)`, two `(bob)-[:KNOWS]->(ada)`, the self-loops
/// `(ada)-[:KNOWS]->(ada)` and `(bob)-[:LIVES_IN]->(bob)`, 300 `(:Fan {i})-[:FOLLOWS]->(ada)`
/// of which those with `i % 10 = 0` were deleted, `(ada)-[:FOLLOWS]->(:Fan)` for `i % 3 = 0`
/// (so ada's chunks span several cells both ways), and an index on `Fan.i`.
#[test]
fn a_graph_format_7_fixture_gets_its_degrees_counted_by_the_upgrade_to_format_8() {
    use pagegraph::NodeId;

    let (_dir, path) = fixture("graph-format-7");
    // Counted by hand from the statements above.
    let degrees = |g: &Graph| {
        let r = g.begin_read().expect("read");
        let id = |name: &str| r.nodes_by_name(name).expect("by name")[0];
        let (ada, bob, london) = (id("ada"), id("bob"), id("London"));
        let d = |n: NodeId, dir, ty: Option<&str>| r.degree(n, dir, ty).expect("degree");
        assert_eq!(d(ada, Direction::Outgoing, None), 102);
        assert_eq!(d(ada, Direction::Incoming, None), 273);
        assert_eq!(
            d(ada, Direction::Both, Some("KNOWS")),
            4,
            "the self-loop twice"
        );
        assert_eq!(d(ada, Direction::Incoming, Some("FOLLOWS")), 270);
        assert_eq!(d(ada, Direction::Outgoing, Some("FOLLOWS")), 100);
        assert_eq!(d(bob, Direction::Outgoing, None), 3);
        assert_eq!(d(bob, Direction::Incoming, Some("LIVES_IN")), 1);
        assert_eq!(d(bob, Direction::Incoming, Some("NO_SUCH_TYPE")), 0);
        assert_eq!(d(london, Direction::Both, None), 1);
        let fan = id("fan30");
        assert_eq!(d(fan, Direction::Outgoing, None), 0, "deleted");
        assert_eq!(d(fan, Direction::Incoming, None), 1);
        let follows = r
            .degrees_counting(Direction::Incoming, Some(&["FOLLOWS"]), false)
            .expect("degrees");
        assert_eq!(follows.len(), 1 + 100, "ada and the fans ada follows");
        assert_eq!(follows.iter().map(|d| d.degree).sum::<u64>(), 370);
        // (a)-[:FOLLOWS]->(b)-[:FOLLOWS]->(c): 270 x 100 through ada, and 1 x 1 through
        // each fan with i % 3 = 0 but not i % 10 = 0 (100 - 10).
        let walks = r
            .two_step_walks(
                true,
                Some(&["FOLLOWS"]),
                false,
                Some(&["FOLLOWS"]),
                false,
                &|_| true,
            )
            .expect("walks");
        assert_eq!((walks.first_steps, walks.walks), (370, 27_000 + 90));
        r.graph_format().expect("format")
    };
    {
        let g = open_read_only(&path, "read-only");
        // Read-only: degrees counted from the chunks, as format 7 did.
        assert_eq!(degrees(&g), 7);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    assert_eq!(degrees(&g), pagegraph::GRAPH_FORMAT);
    assert!(g.check().expect("check").is_clean());
    // Writes keep the counts: a fan unfollows ada, ada follows another fan.
    let mut tx = g.begin_write().expect("write");
    let r = g.begin_read().expect("read");
    let ada = r.nodes_by_name("ada").expect("ada")[0];
    let fan1 = r.nodes_by_name("fan1").expect("fan1")[0];
    let gone = r
        .neighbors(fan1, Direction::Outgoing, Some("FOLLOWS"))
        .expect("edges")[0]
        .0;
    drop(r);
    tx.delete_edge(gone).expect("unfollow");
    tx.insert_edges([pagegraph::EdgeSpec {
        from: ada,
        to: fan1,
        edge_type: "FOLLOWS".into(),
        data: json!(null),
    }])
    .expect("follow");
    tx.commit().expect("commit");
    drop(g);
    let g = Graph::open(&path).expect("reopen");
    assert!(g.check().expect("check").is_clean());
    let r = g.begin_read().expect("read");
    assert_eq!(r.degree(ada, Direction::Incoming, None).expect("in"), 272);
    assert_eq!(r.degree(ada, Direction::Outgoing, None).expect("out"), 103);
    assert_eq!(r.degree(fan1, Direction::Both, None).expect("fan1"), 1);
}

/// The `i` of every `Item` whose `g` equals `g`, through the index on `Item.g`, in the
/// index's order (by id, for equal values).
fn items_with_g(r: &pagegraph::ReadTxn, g: i64) -> Vec<i64> {
    use pagegraph::{Condition, PropertyValue};
    r.nodes_where("Item", "g", &Condition::Eq(PropertyValue::Int(g)))
        .expect("lookup")
        .map(|id| {
            let node = r.node(id.expect("id")).expect("node").expect("exists");
            node.data["i"].as_i64().expect("i")
        })
        .collect()
}

/// `graph-format-8/`: graph format 8 (before index delta trees), written by the release
/// before them through `pagegraph query` and `pagegraph index create`: 600
/// `(:Item {i, g: i % 7, tag: 't' + (i % 50)})` for `i` in 1..=600, an index on `Item.g`
/// and a unique index on `Item.i`, both built; then the items with `i % 10 = 0` deleted
/// and `g` set to 100 for those with `i <= 20`.
#[test]
fn a_graph_format_8_fixture_reads_the_same_and_takes_index_deltas_after_the_upgrade() {
    let (_dir, path) = fixture("graph-format-8");
    // Computed by hand from the statements above: i -> g.
    let mut model: BTreeMap<i64, i64> = (1..=600)
        .filter(|i| i % 10 != 0)
        .map(|i| (i, if i <= 20 { 100 } else { i % 7 }))
        .collect();
    let answers = |g: &Graph, model: &BTreeMap<i64, i64>| {
        let r = g.begin_read().expect("read");
        for value in (0..7).chain([100]) {
            let want: Vec<i64> = model
                .iter()
                .filter(|(_, v)| **v == value)
                .map(|(i, _)| *i)
                .collect();
            assert_eq!(items_with_g(&r, value), want, "g = {value}");
        }
        let entries: Vec<u64> = r
            .indexes()
            .expect("indexes")
            .iter()
            .map(|i| i.entries)
            .collect();
        assert_eq!(entries, vec![model.len() as u64; 2]);
        r.graph_format().expect("format")
    };
    {
        let g = open_read_only(&path, "read-only");
        assert_eq!(answers(&g, &model), 8);
        assert!(g.check().expect("check").is_clean());
    }
    let mut g = Graph::open(&path).expect("open");
    assert_eq!(answers(&g, &model), pagegraph::GRAPH_FORMAT);
    assert!(g.check().expect("check").is_clean());
    // Updates over several commits: each removes an entry of the main tree and adds one,
    // so the deltas fill past their bound and are applied to the main tree in between.
    let ids: BTreeMap<i64, pagegraph::NodeId> = {
        let r = g.begin_read().expect("read");
        let mut ids = BTreeMap::new();
        for value in (0..7).chain([100]) {
            let hits = r
                .nodes_where(
                    "Item",
                    "g",
                    &pagegraph::Condition::Eq(pagegraph::PropertyValue::Int(value)),
                )
                .expect("lookup");
            for id in hits {
                let id = id.expect("id");
                let node = r.node(id).expect("node").expect("exists");
                ids.insert(node.data["i"].as_i64().expect("i"), id);
            }
        }
        ids
    };
    for round in 0..6 {
        let mut tx = g.begin_write().expect("write");
        for (i, g_now) in model.iter_mut().skip(round * 80).take(80) {
            *g_now = (*g_now + 3) % 7;
            tx.set_node_property(ids[i], "g", pagegraph::PropertyValue::Int(*g_now))
                .expect("set g");
        }
        tx.commit().expect("commit");
        assert_eq!(
            answers(&g, &model),
            pagegraph::GRAPH_FORMAT,
            "round {round}"
        );
    }
    drop(g);
    g = Graph::open(&path).expect("reopen");
    assert_eq!(answers(&g, &model), pagegraph::GRAPH_FORMAT);
    assert!(g.check().expect("check").is_clean());
}

/// Every edge of the graph as `(from's i, to's i, type)`, sorted, and each node's
/// neighbors one way and one type as `(other's i, edge)` in the order they are read.
type Edges = Vec<(i64, i64, String)>;

/// The edges of the graph by the `i` of their ends, sorted; also checks that every node's
/// neighbors (each way, each type) are exactly those edges, in key order, and that its
/// degrees agree.
fn edges_by_i(g: &Graph) -> Edges {
    let r = g.begin_read().expect("read");
    let i_of: BTreeMap<pagegraph::NodeId, i64> = r
        .nodes()
        .map(|n| {
            let n = n.expect("node");
            (n.id, n.data["i"].as_i64().expect("i"))
        })
        .collect();
    let mut edges: Edges = r
        .edges()
        .map(|e| {
            let e = e.expect("edge");
            (i_of[&e.from], i_of[&e.to], e.edge_type)
        })
        .collect();
    edges.sort();
    for (&id, &i) in &i_of {
        for (dir, outgoing) in [(Direction::Outgoing, true), (Direction::Incoming, false)] {
            for ty in ["L", "F"] {
                let got = r.neighbors(id, dir, Some(ty)).expect("neighbors");
                let keys: Vec<(pagegraph::NodeId, pagegraph::EdgeId)> =
                    got.iter().map(|&(e, o)| (o, e)).collect();
                assert!(keys.is_sorted(), "neighbors of {i} in key order");
                let mut others: Vec<i64> = got.iter().map(|(_, o)| i_of[o]).collect();
                others.sort_unstable();
                let mut want: Vec<i64> = edges
                    .iter()
                    .filter(|(f, t, y)| y == ty && if outgoing { *f == i } else { *t == i })
                    .map(|(f, t, _)| if outgoing { *t } else { *f })
                    .collect();
                want.sort_unstable();
                assert_eq!(others, want, "node {i} {dir:?} {ty}");
                let degree = r.degree(id, dir, Some(ty)).expect("degree");
                assert_eq!(degree, want.len() as u64, "degree of {i} {dir:?} {ty}");
            }
        }
    }
    edges
}

/// The chunks of the adjacency delta trees, asked of the storage layer.
fn adjacency_delta_chunks(path: &Path) -> u64 {
    use pagegraph::storage::{Database, Options};
    let db = Database::open(path, Options::default()).expect("storage open");
    let r = db.begin_read().expect("read");
    let n = ["g.out.d", "g.in.d"]
        .iter()
        .map(|t| r.tree(t).expect("tree").map_or(0, |t| t.len()))
        .sum();
    drop(r);
    db.close().expect("close");
    n
}

/// `graph-format-9/`: graph format 9 (before adjacency delta trees), written by the release
/// before them through `pagegraph query`: 300 `(:P {i})` for `i` in 1..=300; an `L` edge
/// from each to the one with `i = (7 i) % 300 + 1` (so each node has one `L` in and one
/// out, and no `L` self-loop); `F` edges from `i = 1` to each `i <= 100` (a self-loop
/// among them), then those to `i % 10 = 0` deleted: 300 `L` and 90 `F` edges.
#[test]
fn a_graph_format_9_fixture_reads_the_same_and_takes_adjacency_deltas_after_the_upgrade() {
    let (_dir, path) = fixture("graph-format-9");
    // Computed by hand from the statements above.
    let mut model: Edges = (1..=300)
        .map(|i| (i, (7 * i) % 300 + 1, "L".to_string()))
        .chain(
            (1..=100)
                .filter(|b| b % 10 != 0)
                .map(|b| (1, b, "F".to_string())),
        )
        .collect();
    model.sort();
    {
        let g = open_read_only(&path, "read-only");
        assert_eq!(edges_by_i(&g), model);
        let r = g.begin_read().expect("read");
        assert_eq!(r.graph_format().expect("format"), 9);
        drop(r);
        assert!(g.check().expect("check").is_clean());
    }
    let g = Graph::open(&path).expect("open");
    assert_eq!(edges_by_i(&g), model);
    let r = g.begin_read().expect("read");
    assert_eq!(r.graph_format().expect("format"), pagegraph::GRAPH_FORMAT);
    let id_of: BTreeMap<i64, pagegraph::NodeId> = r
        .nodes()
        .map(|n| {
            let n = n.expect("node");
            (n.data["i"].as_i64().expect("i"), n.id)
        })
        .collect();
    drop(r);
    // Small batches, each under an eighth of the graph: their pairs go to the deltas.
    // Deletes take old edges (pairs of the main trees) and new ones (pairs of the deltas).
    for round in 0..6i64 {
        let mut tx = g.begin_write().expect("write");
        let new: Vec<(i64, i64)> = (0..5).map(|k| (round * 5 + k + 2, 300 - k)).collect();
        tx.insert_edges(new.iter().map(|&(f, t)| pagegraph::EdgeSpec {
            from: id_of[&f],
            to: id_of[&t],
            edge_type: "F".into(),
            data: json!(null),
        }))
        .expect("insert");
        model.extend(new.iter().map(|&(f, t)| (f, t, "F".to_string())));
        // Node 1's F edge to 1 + round (main), and the first new edge of the last round.
        let r = g.begin_read().expect("read");
        let drop_to = |from: i64, to: i64| {
            r.neighbors(id_of[&from], Direction::Outgoing, Some("F"))
                .expect("neighbors")
                .into_iter()
                .find(|(_, o)| *o == id_of[&to])
                .map(|(e, _)| e)
        };
        let mut gone = vec![(1, round + 2)];
        if round > 0 {
            gone.push(((round - 1) * 5 + 2, 300));
        }
        for (f, t) in gone {
            let e = drop_to(f, t).expect("edge to delete");
            tx.delete_edge(e).expect("delete");
            let at = model
                .iter()
                .position(|x| *x == (f, t, "F".to_string()))
                .expect("in the model");
            model.remove(at);
        }
        drop(r);
        tx.commit().expect("commit");
        model.sort();
        assert_eq!(edges_by_i(&g), model, "round {round}");
    }
    assert!(g.check().expect("check").is_clean());
    drop(g);
    assert!(
        adjacency_delta_chunks(&path) > 0,
        "the batches went to the deltas"
    );
    let g = Graph::open(&path).expect("reopen");
    assert_eq!(edges_by_i(&g), model);
    let mut tx = g.begin_write().expect("write");
    assert!(tx.merge_adjacency_deltas().expect("merge") > 0);
    tx.commit().expect("commit");
    assert_eq!(edges_by_i(&g), model);
    assert!(g.check().expect("check").is_clean());
    drop(g);
    assert_eq!(adjacency_delta_chunks(&path), 0, "merged whole");
}
