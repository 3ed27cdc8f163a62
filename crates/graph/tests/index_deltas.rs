//! A non-unique index's delta trees (added and removed entries, see `index.rs`, "Delta
//! trees") against a model: random updates, deletes, creates and values set back to what
//! they were, over many commits (some aborted) and reopens, so that the deltas fill, are
//! read beside the main tree, and are applied to it again and again. After every step each
//! lookup, inside the write transaction and in a snapshot, equals the model's answer, the
//! entry count equals the model's, and at the end `check` is clean. The storage layer is
//! asked whether the delta trees exist, so that both states are proven to occur.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::ops::Bound;

use pagegraph::storage::{Database, Options as StorageOptions};
use pagegraph::value::Inequality;
use pagegraph::{Condition, Graph, IndexSpec, NodeId, Properties, PropertyValue as V};

/// The model's answer to a condition: whether an age matches.
type Test = Box<dyn Fn(i64) -> bool>;

/// The conditions every step checks, with the model's test for each.
fn conditions() -> Vec<(Condition, Test)> {
    vec![
        (Condition::Eq(V::Int(7)), Box::new(|a| a == 7)),
        (Condition::Eq(V::Int(0)), Box::new(|a| a == 0)),
        (
            Condition::Cmp(Inequality::Lt, V::Int(5)),
            Box::new(|a| a < 5),
        ),
        (
            Condition::Cmp(Inequality::Ge, V::Int(35)),
            Box::new(|a| a >= 35),
        ),
        (
            Condition::Between(Bound::Included(V::Int(10)), Bound::Excluded(V::Int(20))),
            Box::new(|a| (10..20).contains(&a)),
        ),
        (
            Condition::In(vec![V::Int(3), V::Int(21), V::Int(39)]),
            Box::new(|a| [3, 21, 39].contains(&a)),
        ),
    ]
}

/// Ids the model says match, in the index's order (by value, then id).
fn expected(model: &BTreeMap<u64, i64>, test: &dyn Fn(i64) -> bool) -> Vec<NodeId> {
    let mut hits: Vec<(i64, u64)> = model
        .iter()
        .filter(|(_, a)| test(**a))
        .map(|(id, a)| (*a, *id))
        .collect();
    hits.sort_unstable();
    hits.into_iter().map(|(_, id)| NodeId(id)).collect()
}

fn collect(it: impl Iterator<Item = pagegraph::Result<NodeId>>) -> Vec<NodeId> {
    it.map(Result::unwrap).collect()
}

fn person(age: i64) -> Properties {
    [("age".to_string(), V::Int(age))].into()
}

/// Whether the index's delta trees hold anything, asked of the storage layer.
fn delta_entries(path: &std::path::Path) -> u64 {
    let db = Database::open(path, StorageOptions::default()).unwrap();
    let r = db.begin_read().unwrap();
    let n = ["g.ix.1.d", "g.ix.1.r"]
        .iter()
        .map(|t| r.tree(t).unwrap().map_or(0, |t| t.len()))
        .sum();
    drop(r);
    db.close().unwrap();
    n
}

#[test]
fn index_deltas_fill_are_read_and_are_applied_without_losing_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    let mut rng = fastrand::Rng::with_seed(20_261_205);
    let mut model: BTreeMap<u64, i64> = BTreeMap::new();
    let mut g = Graph::open(&path).unwrap();
    {
        let mut tx = g.begin_write().unwrap();
        for _ in 0..400 {
            let age = rng.i64(0..40);
            let id = tx.create_node(&["Person"], person(age)).unwrap();
            model.insert(id.0, age);
        }
        tx.create_index(IndexSpec::on_label("Person", "age"))
            .unwrap();
        tx.commit().unwrap();
    }
    let conds = conditions();
    let (mut saw_deltas, mut saw_applied) = (false, false);
    for step in 0..60 {
        let mut tx = g.begin_write().unwrap();
        let mut next = model.clone();
        for _ in 0..rng.usize(1..60) {
            let ids: Vec<u64> = next.keys().copied().collect();
            match rng.u8(0..10) {
                0 if !ids.is_empty() => {
                    let id = ids[rng.usize(0..ids.len())];
                    tx.delete_node(NodeId(id)).unwrap();
                    next.remove(&id);
                }
                1 | 2 => {
                    let age = rng.i64(0..40);
                    let id = tx.create_node(&["Person"], person(age)).unwrap();
                    next.insert(id.0, age);
                }
                3 if !ids.is_empty() => {
                    // Away and back in one transaction: the entry is removed, then added
                    // again (from the main tree, or from the added delta).
                    let id = ids[rng.usize(0..ids.len())];
                    let age = next[&id];
                    tx.set_node_property(NodeId(id), "age", V::Int(age + 1))
                        .unwrap();
                    tx.set_node_property(NodeId(id), "age", V::Int(age))
                        .unwrap();
                }
                _ if !ids.is_empty() => {
                    let id = ids[rng.usize(0..ids.len())];
                    let age = rng.i64(0..40);
                    tx.set_node_property(NodeId(id), "age", V::Int(age))
                        .unwrap();
                    next.insert(id, age);
                }
                _ => {}
            }
        }
        // The transaction sees its own writes.
        for (c, test) in &conds {
            let got = collect(tx.nodes_where("Person", "age", c).unwrap());
            assert_eq!(
                got,
                expected(&next, test.as_ref()),
                "step {step}, {c:?}, in txn"
            );
        }
        assert_eq!(tx.indexes().unwrap()[0].entries, next.len() as u64);
        if rng.u8(0..6) == 0 {
            drop(tx); // aborted: the model stays as it was
        } else {
            tx.commit().unwrap();
            model = next;
        }
        let r = g.begin_read().unwrap();
        for (c, test) in &conds {
            let got = collect(r.nodes_where("Person", "age", c).unwrap());
            assert_eq!(got, expected(&model, test.as_ref()), "step {step}, {c:?}");
        }
        assert_eq!(r.indexes().unwrap()[0].entries, model.len() as u64);
        drop(r);
        if step % 4 == 3 {
            g.close().unwrap();
            if delta_entries(&path) > 0 {
                saw_deltas = true;
            } else {
                saw_applied = true;
            }
            g = Graph::open(&path).unwrap();
            let report = g.check().unwrap();
            assert!(report.is_clean(), "step {step}: {:?}", report.problems);
        }
    }
    assert!(
        saw_deltas,
        "the delta trees never held an entry at a reopen"
    );
    assert!(
        saw_applied,
        "the delta trees were never applied before a reopen"
    );
}
