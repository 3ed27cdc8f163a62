//! Concurrency of merges and indexes: racing "get or create" from many threads makes each
//! key once (with and without an index on the key), and readers running beside an indexed
//! writer always see an index and the records it points to from the same snapshot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    clippy::too_many_lines,
    reason = "tests"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pagegraph::{Condition, Graph, IndexSpec, Properties, PropertyValue as V};

fn key(name: &str) -> Properties {
    [("name".to_string(), V::String(name.to_string()))].into()
}

#[test]
fn four_threads_upserting_fifty_names_make_fifty_nodes() {
    for indexed in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let g = Arc::new(Graph::open(dir.path().join("g.pgdb")).unwrap());
        if indexed {
            let mut tx = g.begin_write().unwrap();
            tx.create_index(IndexSpec::on_label("Entity", "name").unique())
                .unwrap();
            tx.commit().unwrap();
        }
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let g = Arc::clone(&g);
                std::thread::spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(t);
                    let mut created = 0;
                    // Every name, twice, in this thread's own shuffled order.
                    let mut order: Vec<u32> = (0..50).chain(0..50).collect();
                    rng.shuffle(&mut order);
                    for i in order {
                        let name = format!("e{i}");
                        let mut tx = g.begin_write().unwrap();
                        let seen: Properties = [("seen_by".to_string(), V::Int(t as i64))].into();
                        let m = tx
                            .merge_node(&["Entity"], key(&name), Properties::new(), seen)
                            .unwrap();
                        created += u32::from(m.created);
                        tx.commit().unwrap();
                    }
                    created
                })
            })
            .collect();
        let created: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        let r = g.begin_read().unwrap();
        let distinct = r.nodes_by_kind("Entity").unwrap().len();
        assert_eq!(r.node_count().unwrap(), distinct as u64);
        assert!(
            distinct <= 50 && created as usize == distinct,
            "indexed {indexed}: {created} created, {distinct} nodes"
        );
        for i in 0..50 {
            let n = r
                .nodes_matching(&["Entity"], &key(&format!("e{i}")))
                .unwrap();
            assert!(n.len() <= 1, "e{i}: {n:?}");
        }
        drop(r);
        assert!(g.check().unwrap().is_clean());
    }
}

#[test]
fn readers_see_an_index_and_its_records_from_one_snapshot() {
    let g = Arc::new(Graph::in_memory().unwrap());
    {
        let mut tx = g.begin_write().unwrap();
        tx.create_index(IndexSpec::on_label("Counter", "v"))
            .unwrap();
        for i in 0..100 {
            tx.create_node(&["Counter"], [("v".to_string(), V::Int(i % 10))].into())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (g, stop) = (Arc::clone(&g), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut checked = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let r = g.begin_read().unwrap();
                    // Every hit for v = 3 has v = 3 in the same snapshot, and the hits are
                    // exactly the nodes that a scan of the snapshot finds.
                    let hits: Vec<_> = r
                        .nodes_where("Counter", "v", &Condition::Eq(V::Int(3)))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    for &id in &hits {
                        let p = r.node_props(id).unwrap().unwrap();
                        assert_eq!(p.properties.get("v"), Some(&V::Int(3)));
                    }
                    let scan = r
                        .nodes_by_kind("Counter")
                        .unwrap()
                        .into_iter()
                        .filter(|&id| {
                            r.node_props(id).unwrap().unwrap().properties.get("v")
                                == Some(&V::Int(3))
                        })
                        .count();
                    assert_eq!(hits.len(), scan);
                    checked += 1;
                }
                checked
            })
        })
        .collect();
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..300 {
        let mut tx = g.begin_write().unwrap();
        for _ in 0..5 {
            let id = pagegraph::NodeId(rng.u64(1..=100));
            tx.set_node_property(id, "v", V::Int(rng.i64(0..10)))
                .unwrap();
        }
        tx.commit().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert!(g.check().unwrap().is_clean());
}
