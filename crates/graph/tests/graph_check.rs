//! `Graph::check` finds broken graph invariants: entries missing from, added to or altered in
//! the adjacency trees and the kind and name indexes, written behind the graph's back
//! through the storage layer (each tree stays a sound B+Tree, so only the graph half of the
//! check can see them). An altered entry keeps every count right: only the contents show it.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;

use pagegraph::storage::{Database, Options as StorageOptions, WriteTxn};
use pagegraph::{EdgeSpec, Graph, NodeSpec};
use serde_json::json;

/// 300 nodes in 3 kinds, 1,000 edges in 2 types (fixed seed).
fn build(path: &Path) {
    let g = Graph::open(path).unwrap();
    let mut tx = g.begin_write().unwrap();
    let ids = tx
        .insert_nodes((0..300).map(|i| NodeSpec {
            kind: format!("k{}", i % 3),
            name: format!("n{i}"),
            data: json!({ "i": i }),
        }))
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(9);
    tx.insert_edges((0..1000).map(|i| EdgeSpec {
        from: ids[rng.usize(0..300)],
        to: ids[rng.usize(0..300)],
        edge_type: format!("T{}", i % 2),
        data: json!(null),
    }))
    .unwrap();
    tx.commit().unwrap();
    g.close().unwrap();
}

/// The `i`-th key of a tree (modulo its length: an adjacency tree holds a chunk of pairs
/// per node and type, not a key per edge).
fn key_at(db: &Database, tree: &str, i: usize) -> Vec<u8> {
    entry_at(db, tree, i).0
}

/// The `i`-th entry of a tree (modulo its length).
fn entry_at(db: &Database, tree: &str, i: usize) -> (Vec<u8>, Vec<u8>) {
    let r = db.begin_read().unwrap();
    let t = r.tree(tree).unwrap().unwrap();
    let n = t.iter().count();
    t.iter().nth(i % n).unwrap().unwrap()
}

/// Builds a graph, damages it with `damage`, and returns what `check` reports.
fn problems_after(damage: impl FnOnce(&Database, &mut WriteTxn)) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    build(&path);
    let db = Database::open(&path, StorageOptions::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    damage(&db, &mut tx);
    tx.commit().unwrap();
    db.close().unwrap();
    let g = Graph::open(&path).unwrap();
    let report = g.check().unwrap();
    report.problems.iter().map(|p| p.message.clone()).collect()
}

fn has(problems: &[String], text: &str) -> bool {
    problems.iter().any(|p| p.contains(text))
}

#[test]
fn an_undamaged_graph_is_clean() {
    assert_eq!(problems_after(|_, _| {}), Vec::<String>::new());
}

#[test]
fn a_missing_adjacency_entry_is_named() {
    for (tree, side) in [("g.out", "outgoing"), ("g.in", "incoming")] {
        let p = problems_after(|db, tx| {
            let k = key_at(db, tree, 500);
            tx.tree(tree).unwrap().remove(&k).unwrap();
        });
        assert!(
            has(&p, &format!("the {side} adjacency and the edges disagree")),
            "{p:?}"
        );
        assert!(
            has(&p, &format!("is missing from the {side} adjacency")),
            "{p:?}"
        );
    }
}

#[test]
fn an_altered_adjacency_entry_is_seen_though_every_count_agrees() {
    for (tree, side) in [("g.out", "outgoing"), ("g.in", "incoming")] {
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 123);
            let mut changed = k.clone();
            // The last byte is the low byte of the chunk's first edge id: now another
            // edge's (the pairs after it are stored as differences from it, so they change
            // too, but stay in order).
            *changed.last_mut().unwrap() ^= 1;
            let mut t = tree_of(tx, tree);
            t.remove(&k).unwrap();
            t.insert(&changed, &v).unwrap();
        });
        assert!(
            has(&p, &format!("the {side} adjacency and the edges disagree")),
            "{p:?}"
        );
    }
}

#[test]
fn a_missing_altered_extra_or_damaged_degree_count_is_named() {
    for (tree, side) in [("g.out_deg", "outgoing"), ("g.in_deg", "incoming")] {
        let want = format!("the {side} degree counts disagree with the adjacency");
        // A count gone.
        let p = problems_after(|db, tx| {
            let k = key_at(db, tree, 40);
            tx.tree(tree).unwrap().remove(&k).unwrap();
        });
        assert!(has(&p, &want), "{p:?}");
        // A count one too high (the value's last byte is its last count's, under 127).
        let p = problems_after(|db, tx| {
            let (k, mut v) = entry_at(db, tree, 41);
            let last = v.last_mut().unwrap();
            assert!(*last < 0x7f, "a small count");
            *last += 1;
            tree_of(tx, tree).insert(&k, &v).unwrap();
        });
        assert!(has(&p, &want), "{p:?}");
        // Two entries' counts swapped: every total still agrees.
        let p = problems_after(|db, tx| {
            let (k1, v1) = entry_at(db, tree, 2);
            let (k2, v2) = entry_at(db, tree, 3);
            assert_ne!(v1, v2);
            let mut t = tree_of(tx, tree);
            t.insert(&k1, &v2).unwrap();
            t.insert(&k2, &v1).unwrap();
        });
        assert!(has(&p, &want), "{p:?}");
        // A count for a node and type with no relationships (node 255 * 64 + 1, type 9).
        let p = problems_after(|_, tx| {
            tree_of(tx, tree).insert(&[1, 0xff, 1, 9], &[1, 1]).unwrap();
        });
        assert!(has(&p, &want), "{p:?}");
        // Damaged (none a panic): an offset without its count, an offset past the block,
        // a key of three varints.
        for (k, v) in [
            (None, vec![0u8]),
            (None, vec![0x80]),
            (Some(vec![1u8, 1, 1, 1, 1, 1]), vec![1]),
        ] {
            let p = problems_after(|db, tx| {
                let k = k.unwrap_or_else(|| key_at(db, tree, 43));
                tree_of(tx, tree).insert(&k, &v).unwrap();
            });
            assert!(
                has(
                    &p,
                    &format!("the {side} degree counts hold a damaged entry")
                ),
                "{p:?}"
            );
        }
    }
}

#[test]
fn a_damaged_or_misordered_chunk_is_a_problem_not_a_failure() {
    for (tree, side) in [("g.out", "outgoing"), ("g.in", "incoming")] {
        // A value cut inside a varint.
        let p = problems_after(|db, tx| {
            let (k, _) = entry_at(db, tree, 77);
            tree_of(tx, tree).insert(&k, &[0x80]).unwrap();
        });
        assert!(has(&p, &format!("the {side} adjacency")), "{p:?}");
        // A value whose second pair repeats the first one.
        let p = problems_after(|db, tx| {
            let (k, _) = entry_at(db, tree, 78);
            tree_of(tx, tree).insert(&k, &[0, 0]).unwrap();
        });
        assert!(has(&p, &format!("the {side} adjacency")), "{p:?}");
        // A chunk whose pairs run past the next chunk's first pair: a huge jump in the
        // neighbor id.
        let p = problems_after(|db, tx| {
            let (k, _) = entry_at(db, tree, 79);
            let mut v = vec![0xff; 8];
            v.extend([0x7f, 0]);
            tree_of(tx, tree).insert(&k, &v).unwrap();
        });
        assert!(has(&p, &format!("the {side} adjacency")), "{p:?}");
    }
}

#[test]
fn a_damaged_or_overlapping_edge_chunk_is_a_problem_not_a_failure() {
    // A chunk cut inside the varint after its "more edges" byte.
    let p = problems_after(|db, tx| {
        let (k, _) = entry_at(db, "g.edges", 3);
        tree_of(tx, "g.edges")
            .insert(&k, &[1, 2, 1, 0, 0x80])
            .unwrap();
    });
    assert!(has(&p, "the edge records chunk with key"), "{p:?}");
    // A chunk whose second edge jumps past the next chunk's first id.
    let p = problems_after(|db, tx| {
        let (k, _) = entry_at(db, "g.edges", 4);
        tree_of(tx, "g.edges")
            .insert(&k, &[1, 2, 1, 0, 0x80, 0x80, 0x04, 0, 0])
            .unwrap();
    });
    assert!(
        has(&p, "out of order (edge record chunks overlap)"),
        "{p:?}"
    );
    // A bad key.
    let p = problems_after(|_, tx| {
        tree_of(tx, "g.edges").insert(&[9], &[1, 2, 1]).unwrap();
    });
    assert!(has(&p, "the edge records chunk with key [09]"), "{p:?}");
}

fn tree_of<'t>(tx: &'t mut WriteTxn, name: &str) -> pagegraph::storage::TreeMut<'t> {
    tx.tree(name).unwrap()
}

#[test]
fn index_entries_missing_or_stray_are_seen() {
    let p = problems_after(|db, tx| {
        let k = key_at(db, "g.kind", 7);
        tx.tree("g.kind").unwrap().remove(&k).unwrap();
    });
    assert!(has(&p, "the kind index and the nodes disagree"), "{p:?}");
    assert!(has(&p, "is missing from the kind index"), "{p:?}");

    let p = problems_after(|db, tx| {
        let k = key_at(db, "g.name", 7);
        tx.tree("g.name").unwrap().remove(&k).unwrap();
    });
    assert!(has(&p, "the name index and the nodes disagree"), "{p:?}");
    assert!(has(&p, "is missing from the name index"), "{p:?}");

    // A second entry for an existing node under a name it does not have.
    let p = problems_after(|db, tx| {
        let mut k = key_at(db, "g.name", 7);
        k[0] = b'x';
        tx.tree("g.name").unwrap().insert(&k, &[]).unwrap();
    });
    assert!(has(&p, "the name index and the nodes disagree"), "{p:?}");
}

#[test]
fn pairs_in_a_delta_are_checked_with_the_main_tree() {
    for (tree, side) in [("g.out", "outgoing"), ("g.in", "incoming")] {
        let delta = format!("{tree}.d");
        // The pairs of a chunk: its first in the key, then two varints each.
        let pairs = |v: &[u8]| 1 + v.iter().filter(|&&b| b < 0x80).count() as u64 / 2;
        let count_key = [b'd', 0, 0, 0, if tree == "g.out" { 1 } else { 2 }];
        // A chunk moved from the main tree to its delta, with the delta's pair count: a
        // valid state, found clean (the check reads the pairs of both).
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 200);
            tree_of(tx, tree).remove(&k).unwrap();
            tree_of(tx, &delta).insert(&k, &v).unwrap();
            tree_of(tx, "g.counts")
                .insert(&count_key, &pairs(&v).to_be_bytes())
                .unwrap();
        });
        assert_eq!(p, Vec::<String>::new(), "{tree}: a moved chunk");
        // The same without the count: the count is wrong.
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 200);
            tree_of(tx, tree).remove(&k).unwrap();
            tree_of(tx, &delta).insert(&k, &v).unwrap();
        });
        assert!(
            has(&p, &format!("the {side} adjacency delta holds")),
            "{p:?}"
        );
        // A chunk in both trees: every pair twice.
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 201);
            tree_of(tx, &delta).insert(&k, &v).unwrap();
        });
        assert!(has(&p, &format!("the {side} adjacency")), "{p:?}");
        // A damaged value in the delta: a problem, not a panic.
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 202);
            tree_of(tx, tree).remove(&k).unwrap();
            let mut cut = v.clone();
            cut.push(0x80);
            tree_of(tx, &delta).insert(&k, &cut).unwrap();
        });
        assert!(has(&p, &format!("the {side} adjacency")), "{p:?}");
        // A moved chunk naming another edge: every count agrees, the contents do not.
        let p = problems_after(|db, tx| {
            let (k, v) = entry_at(db, tree, 203);
            tree_of(tx, tree).remove(&k).unwrap();
            let mut changed = k.clone();
            *changed.last_mut().unwrap() ^= 1;
            tree_of(tx, &delta).insert(&changed, &v).unwrap();
        });
        assert!(
            has(&p, &format!("the {side} adjacency and the edges disagree")),
            "{p:?}"
        );
    }
}
